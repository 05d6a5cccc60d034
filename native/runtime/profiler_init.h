#pragma once
// libtorch's profiler (Kineto) sets itself up the first time a trace is prepared. Doing that on a
// worker thread makes Kineto print "External init callback must run in same thread as
// registerClient" on stderr, as its client was registered on the thread that loaded libtorch.

namespace missingu {

// Sets Kineto up once, on the calling thread: call it on the JS thread before profileOps runs on a
// worker. Also keeps Kineto's own log lines (profiler_start/stop markers) off stderr unless
// KINETO_LOG_LEVEL or MISSING_U_VERBOSE asks for them.
void initProfilerHere();

}  // namespace missingu

#pragma once
// NNPACK is one of libtorch's CPU convolution back-ends. Where it cannot start (a CPU or VM its cpuinfo
// rejects), libtorch retries it at every convolution and logs "Could not initialize NNPACK!" each time;
// convolutions then run on oneDNN either way.

namespace missingu {

// Probes NNPACK once with libtorch's log muted and, when it cannot start, turns it off so that no later
// convolution tries (and logs) again. Returns whether NNPACK is usable.
bool settleNnpack();

// Whether convolutions may use NNPACK (after settleNnpack()).
bool nnpackEnabled();

}  // namespace missingu

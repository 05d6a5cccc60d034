#pragma once
// torch.save pickles state dicts as collections.OrderedDict, which libtorch's unpickler turns into
// None (it only expects one as a tensor's backward hooks). This rewrites a protocol-2 pickle so that
// every OrderedDict() becomes a plain dict, and BUILD (setting an OrderedDict's _metadata, the only
// state torch.save writes for these), which the unpickler cannot apply to a dict, becomes
// dict['__metadata__'] = state; everything else passes through unchanged.
#include <string>
#include <vector>

namespace missingu::interop {

// The rewritten pickle; CodedError(Format) for a truncated stream, a protocol above 2 or an opcode
// protocol 2 does not have (`what` names the file in the message).
std::vector<char> plainDicts(const char* data, size_t size, const std::string& what);

}  // namespace missingu::interop

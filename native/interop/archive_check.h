#pragma once
// The tensors of a PyTorch zip archive checked before libtorch reads them: libtorch makes each
// storage as large as its pickle claims, over a buffer as large as its record, so a storage that
// claims more than its record holds reads past the buffer (see pickle_tensors.h for the rest).
#include <caffe2/serialize/inline_container.h>

#include <string>

namespace missingu::interop {

// The storages `pickle` refers to (as libtorch will read it), each against its record <folder><key>:
// CodedError(Format) naming `path` when a record is missing or holds fewer bytes than the storage's
// numel x element size, or when the pickle itself is refused (pickleStorages).
void checkStorages(caffe2::serialize::PyTorchStreamReader& archive, const char* pickle, size_t size,
                   const std::string& folder, const std::string& path);

// What torch::jit::load unpickles: data.pkl (storages under data/), constants.pkl (under constants/)
// and the debug pickles beside the code, which hold no tensors.
void checkScriptArchive(caffe2::serialize::PyTorchStreamReader& archive, const std::string& path);

}  // namespace missingu::interop

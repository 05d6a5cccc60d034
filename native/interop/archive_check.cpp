#include "interop/archive_check.h"

#include "interop/pickle_tensors.h"
#include "runtime/error_code.h"

namespace missingu::interop {
namespace {

void checkRecord(caffe2::serialize::PyTorchStreamReader& archive, const std::string& name, const std::string& folder,
                 const std::string& path) {
  const auto [data, size] = archive.getRecord(name);
  const auto* bytes = static_cast<const char*>(data.get());
  if (folder.empty()) {
    if (!pickleStorages(bytes, size, path + " (" + name + ")").empty()) {
      throw CodedError(ErrorCode::Format, path + ": its debug record " + name + " refers to tensor storages");
    }
    return;
  }
  checkStorages(archive, bytes, size, folder, path);
}

}  // namespace

void checkStorages(caffe2::serialize::PyTorchStreamReader& archive, const char* pickle, size_t size,
                   const std::string& folder, const std::string& path) {
  for (const StorageRef& storage : pickleStorages(pickle, size, path)) {
    const std::string record = folder + storage.key;
    if (!archive.hasRecord(record)) {
      throw CodedError(ErrorCode::Format, path + ": tensor storage " + storage.key + " has no record " + record);
    }
    const size_t held = archive.getRecordSize(record);
    const uint64_t claimed = static_cast<uint64_t>(storage.numel) * static_cast<uint64_t>(storage.itemSize);
    if (claimed > held) {
      throw CodedError(ErrorCode::Format, path + ": tensor storage " + storage.key + " claims " +
                                              std::to_string(claimed) + " bytes (" + std::to_string(storage.numel) +
                                              " " + storage.dtype + " elements) but its record " + record + " holds " +
                                              std::to_string(held) + ": the file is corrupt");
    }
  }
}

void checkScriptArchive(caffe2::serialize::PyTorchStreamReader& archive, const std::string& path) {
  for (const std::string& name : archive.getAllRecords()) {
    if (name == "data.pkl") checkRecord(archive, name, "data/", path);
    if (name == "constants.pkl") checkRecord(archive, name, "constants/", path);
    if (name.ends_with(".debug_pkl")) checkRecord(archive, name, "", path);
  }
}

}  // namespace missingu::interop

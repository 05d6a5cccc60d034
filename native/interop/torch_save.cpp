#include "interop/torch_save.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "interop/archive_check.h"
#include "interop/pickle_rewrite.h"
#include "runtime/error_code.h"

namespace missingu::interop {
namespace {

// Refuses what is not a regular file of at most kMaxTorchSaveBytes that starts like a zip archive.
void checkFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw CodedError(ErrorCode::File, "no such file: " + path);
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw CodedError(ErrorCode::File, path + " is not a regular file (a torch.save .pt file is expected)");
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw CodedError(ErrorCode::File, "cannot read " + path + ": " + ec.message());
  if (size > kMaxTorchSaveBytes) {
    throw CodedError(ErrorCode::File, path + " is " + std::to_string(size) + " bytes, more than the " +
                                          std::to_string(kMaxTorchSaveBytes >> 30) + " GiB missing-u reads");
  }
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, "PK\x03\x04", 4) != 0) {
    throw CodedError(ErrorCode::Format, path +
                                            " is not a torch.save file: it is not a zip archive (files saved "
                                            "with _use_new_zipfile_serialization=False or by pickle are not read)");
  }
}

c10::IValue unpickle(const std::string& path) {
  caffe2::serialize::PyTorchStreamReader archive(path);
  if (!archive.hasRecord("data.pkl")) {
    throw CodedError(ErrorCode::Format, path + " is a zip archive without data.pkl: not a torch.save file");
  }
  const auto [record, size] = archive.getRecord("data.pkl");
  const std::vector<char> pickle = plainDicts(static_cast<const char*>(record.get()), size, path);
  checkStorages(archive, pickle.data(), pickle.size(), "data/", path);
  size_t at = 0;
  auto reader = [&pickle, &at](char* buffer, size_t n) {
    const size_t count = std::min(n, pickle.size() - at);
    std::memcpy(buffer, pickle.data() + at, count);
    at += count;
    return count;
  };
  auto readRecord = [&archive](const std::string& name) { return std::get<0>(archive.getRecord("data/" + name)); };
  torch::jit::Unpickler unpickler(reader, nullptr, nullptr, readRecord, c10::Device(c10::kCPU));
  return unpickler.parse_ivalue();
}

}  // namespace

c10::IValue readTorchSave(const std::string& path) {
  checkFile(path);
  try {
    return unpickle(path);
  } catch (const CodedError&) {
    throw;
  } catch (const c10::Error& e) {
    throw CodedError(ErrorCode::Format,
                     path + " could not be read as a torch.save file: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw CodedError(ErrorCode::Format, path + " could not be read as a torch.save file: " + e.what());
  }
}

}  // namespace missingu::interop

#include "interop/script_load.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import.h>

#include <filesystem>
#include <system_error>

#include "interop/archive_check.h"
#include "runtime/error_code.h"

namespace missingu::interop {

torch::jit::Module loadScript(const std::string& path, c10::Device device) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw CodedError(ErrorCode::File, "TorchScript file not found: " + path);
  }
  const auto corrupt = [&path](const std::string& why) {
    return CodedError(ErrorCode::Format, "cannot load TorchScript file " + path +
                                             ": it is corrupt or not a torch.jit.save archive (" + why + ")");
  };
  torch::jit::Module module;
  try {
    {
      caffe2::serialize::PyTorchStreamReader archive(path);
      checkScriptArchive(archive, path);
    }
    module = torch::jit::load(path, device);
  } catch (const CodedError&) {
    throw;
  } catch (const c10::Error& e) {
    throw corrupt(e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw corrupt(e.what());
  }
  if (!module.find_method("forward")) {
    throw CodedError(ErrorCode::Format, "TorchScript module in " + path + " has no forward method");
  }
  module.eval();
  return module;
}

}  // namespace missingu::interop

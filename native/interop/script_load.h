#pragma once
// TorchScript archives (torch.jit.save) loaded after the checks archive_check.h makes, in eval mode.
#include <c10/core/Device.h>

#include <string>

namespace torch::jit {
struct Module;
}  // namespace torch::jit

namespace missingu::interop {

// The module in `path`, its tensors on `device`. CodedError names the path: File when there is no
// such regular file; Format when it is corrupt, not a torch.jit.save archive, or has no forward method.
torch::jit::Module loadScript(const std::string& path, c10::Device device);

}  // namespace missingu::interop

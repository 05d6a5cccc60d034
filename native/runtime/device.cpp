#include "runtime/device.h"

#include "runtime/error_code.h"

#include <torch/cuda.h>

#include <stdexcept>

namespace missingu {

bool cudaCompiledIn() {
#ifdef MISSING_U_WITH_CUDA
  return true;
#else
  return false;
#endif
}

int cudaDeviceCount() { return static_cast<int>(torch::cuda::device_count()); }

namespace {

int parseCudaIndex(const std::string& spec) {
  if (spec == "cuda") return 0;
  const std::string digits = spec.substr(5);
  if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos) {
    throw CodedError(ErrorCode::Device,
                     "invalid device '" + spec + "': write 'cuda' or 'cuda:N' with N a device index");
  }
  return std::stoi(digits);
}

}  // namespace

c10::Device resolveDevice(const std::string& spec) {
  if (spec == "cpu") return c10::Device(c10::kCPU);
  if (spec == "auto") {
    return cudaCompiledIn() && cudaDeviceCount() > 0 ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  }
  if (spec.rfind("cuda", 0) != 0 || (spec.size() > 4 && spec[4] != ':')) {
    throw CodedError(ErrorCode::Device, "unknown device '" + spec + "': use 'auto', 'cpu', 'cuda' or 'cuda:N'");
  }
  const int index = parseCudaIndex(spec);
  if (!cudaCompiledIn()) {
    throw CodedError(ErrorCode::Device, "device '" + spec +
                                            "' requested, but this build of missing-u has no CUDA support (CPU-only "
                                            "libtorch); use device 'cpu' or 'auto', or build the CUDA variant with "
                                            "`npm run build:cuda`");
  }
  const int count = cudaDeviceCount();
  if (count == 0) {
    throw CodedError(ErrorCode::Device,
                     "device '" + spec +
                         "' requested, but no CUDA device is visible on this machine (check the driver "
                         "and CUDA_VISIBLE_DEVICES); use device 'cpu' or 'auto'");
  }
  if (index >= count) {
    throw CodedError(ErrorCode::Device,
                     "device '" + spec + "' requested, but only " + std::to_string(count) +
                         " CUDA device(s) are visible: use cuda:0 .. cuda:" + std::to_string(count - 1));
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace missingu

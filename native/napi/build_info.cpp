#include "napi/build_info.h"

#include <ATen/Context.h>
#include <torch/headeronly/version.h>

#include "runtime/device.h"

#ifndef MISSING_U_SOURCE_HASH
#error "MISSING_U_SOURCE_HASH must be defined by the build (binding.gyp or CMakeLists.txt)"
#endif

namespace missingu {

const char* sourceHash() { return MISSING_U_SOURCE_HASH; }

std::map<std::string, std::string> buildFlags() {
  const auto yesNo = [](bool value) { return std::string(value ? "yes" : "no"); };
  std::map<std::string, std::string> flags = {
      {"sourceHash", MISSING_U_SOURCE_HASH},
      {"buildSystem", MISSING_U_BUILD_SYSTEM},
      {"compiler", "gcc " __VERSION__},
      {"cxxStandard", std::to_string(__cplusplus)},
      {"cxx11Abi", yesNo(_GLIBCXX_USE_CXX11_ABI)},
      {"torchHeaders", TORCH_VERSION},
      {"cuda", yesNo(cudaCompiledIn())},
#ifdef MISSING_U_WITH_GLOO
      {"distributed", "gloo"},
#else
      {"distributed", "no"},
#endif
      {"mkldnn", yesNo(at::hasMKLDNN())},
      {"openmp", yesNo(at::hasOpenMP())},
      {"mkl", yesNo(at::hasMKL())},
      {"lapack", yesNo(at::hasLAPACK())},
  };
#ifdef MISSING_U_CUDA_VERSION
  // The CUDA build (CMakeLists.txt): the toolkit that compiled native/cuda and the architectures targeted.
  flags["cudaVersion"] = MISSING_U_CUDA_VERSION;
  flags["cudaArchs"] = MISSING_U_CUDA_ARCHS;
#endif
  return flags;
}

}  // namespace missingu

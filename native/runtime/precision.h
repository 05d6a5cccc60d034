#pragma once
// The arithmetic a network runs in. fp32 is plain float32; bf16 and fp16 run as PyTorch's autocast
// does (matrix products and convolutions in the low precision, reductions in float32), with the
// weights, the optimizer state and every checkpoint staying float32.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <string>
#include <vector>

namespace missingu {

enum class Precision { Fp32, Bf16, Fp16 };

// std::invalid_argument naming `where` and the precisions for an unknown name.
Precision precisionNamed(const std::string& name, const std::string& where);
std::string precisionName(Precision precision);
std::vector<std::string> precisionNames();  // the names precision.cpp's table gives them

// Why `precision` cannot run on `device`, or an empty string when it can: bf16 on a CPU needs
// avx512_bf16 or AMX (without them each product is emulated and runs slower than fp32); fp16 runs on
// CUDA, and on CPUs with AMX-FP16.
std::string precisionProblem(Precision precision, c10::Device device);
// Throws std::invalid_argument "<where>: <problem>" when precisionProblem says so.
void requirePrecision(Precision precision, c10::Device device, const std::string& where);

// Autocast for one device type over a scope, on the calling thread (autocast state is thread-local):
// the previous state comes back on exit, and the outermost scope drops autocast's cache of
// low-precision weight copies. fp32 leaves everything alone.
class PrecisionScope {
 public:
  PrecisionScope(Precision precision, c10::DeviceType deviceType);
  ~PrecisionScope();
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType deviceType_;
  bool previousEnabled_ = false;
  c10::ScalarType previousDtype_ = c10::kFloat;
};

}  // namespace missingu

#include "runtime/precision.h"

#include <ATen/autocast_mode.h>
#include <ATen/cpu/Utils.h>

#include <stdexcept>

#include "runtime/name_table.h"

namespace missingu {
namespace {

const NameTable<Precision>& precisions() {
  static const NameTable<Precision> table{
      {"fp32", Precision::Fp32}, {"bf16", Precision::Bf16}, {"fp16", Precision::Fp16}};
  return table;
}

bool cpuHas(const std::string& capability) {
  static const auto capabilities = at::cpu::get_cpu_capabilities();
  const auto found = capabilities.find(capability);
  return found != capabilities.end() && found->second.isBool() && found->second.toBool();
}

c10::ScalarType dtypeOf(Precision precision) { return precision == Precision::Fp16 ? c10::kHalf : c10::kBFloat16; }

}  // namespace

Precision precisionNamed(const std::string& name, const std::string& where) {
  if (const auto precision = precisions().find(name)) return *precision;
  throw std::invalid_argument(where + ": precision must be " + precisions().alternatives("'") + ", got '" + name + "'");
}

std::string precisionName(Precision precision) { return precisions().name(precision); }

std::vector<std::string> precisionNames() { return precisions().names(); }

std::string precisionProblem(Precision precision, c10::Device device) {
  if (precision == Precision::Fp32 || device.is_cuda()) return "";
  if (!device.is_cpu()) return precisionName(precision) + " runs on the CPU and CUDA, not on " + device.str();
  if (precision == Precision::Bf16 && !cpuHas("avx512_bf16") && !cpuHas("amx_bf16")) {
    return "this CPU has neither avx512_bf16 nor AMX, so bf16 would be emulated and slower than fp32: use "
           "precision 'fp32' here (bf16 pays off on CPUs that have them, and on CUDA)";
  }
  if (precision == Precision::Fp16 && !cpuHas("amx_fp16")) {
    return "fp16 on a CPU needs AMX-FP16, which this CPU lacks: use precision 'bf16' on the CPU (fp16 is for "
           "CUDA devices)";
  }
  return "";
}

void requirePrecision(Precision precision, c10::Device device, const std::string& where) {
  const std::string problem = precisionProblem(precision, device);
  if (!problem.empty()) throw std::invalid_argument(where + ": " + problem);
}

PrecisionScope::PrecisionScope(Precision precision, c10::DeviceType deviceType) : deviceType_(deviceType) {
  if (precision == Precision::Fp32) return;
  active_ = true;
  previousEnabled_ = at::autocast::is_autocast_enabled(deviceType);
  previousDtype_ = at::autocast::get_autocast_dtype(deviceType);
  at::autocast::set_autocast_enabled(deviceType, true);
  at::autocast::set_autocast_dtype(deviceType, dtypeOf(precision));
  at::autocast::increment_nesting();
}

PrecisionScope::~PrecisionScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_dtype(deviceType_, previousDtype_);
  at::autocast::set_autocast_enabled(deviceType_, previousEnabled_);
}

}  // namespace missingu

#include "models/accounting.h"

#include <ATen/core/grad_mode.h>
#include <ATen/record_function.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "runtime/cpu_caching_allocator.h"

namespace missingu::models {
namespace {

thread_local MacCount* activeCount = nullptr;
thread_local int depth = 0;
thread_local int missed = 0;  // only the outermost counted op counts (linear -> addmm, conv -> mkldnn ...)

struct Frame : at::ObserverContext {
  bool counted = false;
  int64_t macsPerOutput = 0;
  int64_t macsFromInputs = -1;  // for ops recorded without outputs (RECORD_FUNCTION in our own code)
};

const char* kindOf(const char* name) {
  if (std::strcmp(name, "aten::convolution") == 0 || std::strcmp(name, "missing_u::conv1x1") == 0) return "conv";
  // The C++ frontend's Linear calls addmm directly (aten::linear never runs).
  if (std::strcmp(name, "aten::linear") == 0 || std::strcmp(name, "aten::addmm") == 0) return "linear";
  if (std::strcmp(name, "aten::instance_norm") == 0) return "instance-norm";
  if (std::strcmp(name, "aten::upsample_nearest2d") == 0) return "upsample-nearest";
  if (std::strcmp(name, "aten::upsample_bilinear2d") == 0) return "upsample-bilinear";
  if (std::strcmp(name, "aten::bmm") == 0 || std::strcmp(name, "aten::matmul") == 0 ||
      std::strcmp(name, "aten::mm") == 0) {
    return "matmul";
  }
  return nullptr;
}

// Multiply-accumulates per output element, from the op's inputs (readable only when it starts).
int64_t macsPerOutput(const char* kind, c10::ArrayRef<const c10::IValue> inputs) {
  // thop's calculate_upsample: one op per output element, eleven for bilinear.
  if (std::strcmp(kind, "upsample-nearest") == 0) return 1;
  if (std::strcmp(kind, "upsample-bilinear") == 0) return 11;
  // thop's count_normalization: 2 per element, 4 with an affine transform.
  if (std::strcmp(kind, "instance-norm") == 0) return inputs.size() > 1 && inputs[1].isTensor() ? 4 : 2;
  if (inputs.size() < 2 || !inputs[0].isTensor() || !inputs[1].isTensor()) return 0;
  const at::Tensor& second = inputs[1].toTensor();
  if (std::strcmp(kind, "conv") == 0) {  // weight (out, in / groups, kh, kw)
    int64_t perOutput = 1;
    for (int64_t d = 1; d < second.dim(); ++d) perOutput *= second.size(d);
    return perOutput;
  }
  // linear(x, weight (out, in)) or addmm(bias, x (n, in), weight^T): in features either way.
  if (std::strcmp(kind, "linear") == 0) return second.size(-1);
  return inputs[0].toTensor().size(-1);  // (.., n, k) x (.., k, m)
}

std::unique_ptr<at::ObserverContext> onStart(const at::RecordFunction& fn) {
  auto frame = std::make_unique<Frame>();
  const char* kind = kindOf(fn.name());
  if (activeCount != nullptr && kind != nullptr) {
    frame->counted = depth == 0;
    if (frame->counted && !fn.needsInputs()) {
      ++missed;  // the op's inputs were not recorded: the count would be wrong, so countMacs fails
      frame->counted = false;
    }
    if (frame->counted) frame->macsPerOutput = macsPerOutput(kind, fn.inputs());
    // missing_u::conv1x1(x, weight): every output element costs in-channels MACs, so x.numel() x out-channels.
    if (frame->counted && std::strcmp(fn.name(), "missing_u::conv1x1") == 0) {
      frame->macsFromInputs = fn.inputs()[0].toTensor().numel() * fn.inputs()[1].toTensor().size(0);
    }
    ++depth;
  }
  return frame;
}

void onEnd(const at::RecordFunction& fn, at::ObserverContext* context) {
  const char* kind = kindOf(fn.name());
  if (activeCount == nullptr || kind == nullptr || context == nullptr) return;
  --depth;
  const auto* frame = static_cast<Frame*>(context);
  if (!frame->counted) return;
  int64_t macs = frame->macsFromInputs;
  if (macs < 0) {
    if (fn.outputs().empty() || !fn.outputs()[0].isTensor()) return;
    macs = fn.outputs()[0].toTensor().numel() * frame->macsPerOutput;
  }
  activeCount->byOp[kind] += macs;
  // thop sees neither attention products nor functional interpolation (the official cU-Net's resampling).
  if (std::strcmp(kind, "matmul") == 0 || std::strcmp(kind, "upsample-bilinear") == 0) return;
  activeCount->total += macs;
}

}  // namespace

ParameterCount countParameters(const torch::nn::Module& module) {
  ParameterCount count;
  for (const at::Tensor& p : module.parameters(/*recurse=*/true)) {
    count.total += p.numel();
    if (p.requires_grad()) count.trainable += p.numel();
  }
  return count;
}

int64_t stateBytes(const torch::nn::Module& module) {
  int64_t bytes = 0;
  for (const at::Tensor& p : module.parameters(/*recurse=*/true)) bytes += static_cast<int64_t>(p.nbytes());
  for (const at::Tensor& b : module.buffers(/*recurse=*/true)) bytes += static_cast<int64_t>(b.nbytes());
  return bytes;
}

MacCount countMacs(const std::function<void()>& forward) {
  MacCount count;
  activeCount = &count;
  depth = 0;
  missed = 0;
  const at::CallbackHandle handle = at::addThreadLocalCallback(at::RecordFunctionCallback(&onStart, &onEnd)
                                                                   .needsInputs(true)
                                                                   .needsOutputs(true)
                                                                   .scopes({at::RecordScope::FUNCTION}));
  try {
    forward();
  } catch (...) {
    at::removeCallback(handle);
    activeCount = nullptr;
    throw;
  }
  at::removeCallback(handle);
  activeCount = nullptr;
  if (missed > 0) throw std::runtime_error("FLOP count incomplete: " + std::to_string(missed) + " ops ran unrecorded");
  return count;
}

bool canMeasurePeakMemory(c10::Device device) { return CpuCachingAllocator::installed() != nullptr && device.is_cpu(); }

PeakMemory peakMemory(const std::function<void()>& forward) {
  CpuCachingAllocator* allocator = CpuCachingAllocator::installed();
  if (allocator == nullptr) throw std::logic_error("peakMemory needs the CPU caching allocator installed");
  const auto peakOf = [&](bool training) {
    const size_t base = allocator->stats().allocatedBytes;
    allocator->resetPeak();
    {
      at::AutoGradMode grad(training);
      forward();
    }
    return static_cast<double>(allocator->stats().peakAllocatedBytes - base);
  };
  PeakMemory out;
  out.inference = peakOf(false);
  out.training = peakOf(true);
  return out;
}

}  // namespace missingu::models

#include "metrics/features.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/repeat_interleave.h>
#include <ATen/ops/upsample_bilinear2d.h>
#include <ATen/ops/zeros.h>
#include <c10/util/StringUtil.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "metrics/image_pairs.h"
#include "runtime/name_table.h"

namespace missingu::metrics {
namespace {

// Where and in which dtype the module keeps its weights (CPU float32 for a module without any).
at::TensorOptions moduleOptions(const torch::jit::Module& module) {
  for (const at::Tensor& p : module.parameters()) return p.options();
  for (const at::Tensor& b : module.buffers()) {
    if (b.is_floating_point()) return b.options();
  }
  return at::TensorOptions().dtype(at::kFloat);
}

void checkBatchSize(const std::string& where, int64_t batchSize) {
  if (batchSize < 1) throw std::invalid_argument(where + ": batchSize must be >= 1, got " + c10::str(batchSize));
}

// forward(inputs), with TorchScript's traceback dropped from the message.
c10::IValue run(torch::jit::Module& module, const at::Tensor& x, const std::string& what) {
  try {
    return module.forward({x});
  } catch (const c10::Error& e) {
    throw std::runtime_error(what + " failed on input " + c10::str(x.sizes()) + ": " + e.what_without_backtrace());
  }
}

std::vector<at::Tensor> tensorList(const c10::IValue& value, const std::string& what) {
  if (value.isTensorList()) return value.toTensorVector();
  std::vector<at::Tensor> out;
  if (value.isList() || value.isTuple()) {
    const c10::ArrayRef<c10::IValue> items =
        value.isList() ? value.toListRef() : c10::ArrayRef<c10::IValue>(value.toTupleRef().elements().asArrayRef());
    for (const c10::IValue& item : items) {
      if (!item.isTensor()) break;
      out.push_back(item.toTensor());
    }
    if (out.size() == items.size()) return out;
  }
  throw std::invalid_argument("lpips: " + what + " returned " + value.tagKind() + "; it must return List[Tensor]");
}

}  // namespace

namespace {

const NameTable<InputRange>& inputRanges() {
  static const NameTable<InputRange> table{
      {"-1,1", InputRange::MinusOneToOne}, {"0,1", InputRange::ZeroToOne}, {"0,255", InputRange::ZeroTo255}};
  return table;
}

}  // namespace

InputRange inputRangeNamed(const std::string& name) { return inputRanges().parse(name, "input range"); }

std::vector<std::string> inputRangeNames() { return inputRanges().names(); }

void validate(const Preprocessing& how) {
  if (how.size < 0) throw std::invalid_argument("features: size must be a positive integer");
  if (how.channels != 0 && how.channels != 1 && how.channels != 3) {
    throw std::invalid_argument("features: channels must be 1 or 3, got " + c10::str(how.channels));
  }
}

at::Tensor preprocess(const at::Tensor& images, const Preprocessing& how) {
  at::Tensor x = images;
  if (how.size > 0 || how.channels > 0 || how.minSide > 0) {
    if (x.dim() != 4) {
      throw std::invalid_argument("features: resizing or repeating channels needs images (B, C, H, W), got " +
                                  c10::str(x.sizes()));
    }
    if (how.channels > 0 && how.channels != x.size(1)) {
      if (how.channels != 3 || x.size(1) != 1) {
        throw std::invalid_argument("features: cannot turn " + c10::str(x.size(1)) + "-channel images into " +
                                    c10::str(how.channels) + " channels (only 1 -> 3 is supported)");
      }
      x = x.expand({x.size(0), 3, x.size(2), x.size(3)});
    }
    if (how.minSide > 0) {
      const int64_t shorter = std::max<int64_t>(1, std::min(x.size(2), x.size(3)));
      const int64_t k = std::max<int64_t>(1, (how.minSide + shorter - 1) / shorter);
      if (k > 1) x = x.repeat_interleave(k, 2).repeat_interleave(k, 3);
    }
    if (how.size > 0 && (x.size(2) != how.size || x.size(3) != how.size)) {
      x = at::upsample_bilinear2d(x.contiguous(), {how.size, how.size}, /*align_corners=*/false);
    }
  }
  switch (how.range) {
    case InputRange::ZeroToOne: return (x + 1) * 0.5;
    case InputRange::ZeroTo255: return (x + 1) * 127.5;
    case InputRange::MinusOneToOne: break;
  }
  return x.contiguous();
}

bool extractFeatures(torch::jit::Module module, const at::Tensor& images, const Preprocessing& how, int64_t batchSize,
                     const FeatureSink& sink) {
  checkBatchSize("features", batchSize);
  if (images.dim() < 1 || images.size(0) < 1) {
    throw std::invalid_argument("features: no images (got " + c10::str(images.sizes()) + ")");
  }
  if (!images.is_floating_point()) {
    throw std::invalid_argument("features: images must be floating point in [-1, 1], got " +
                                std::string(images.dtype().name()));
  }
  at::NoGradGuard noGrad;
  const at::TensorOptions options = moduleOptions(module);
  const int64_t total = images.size(0);
  for (int64_t start = 0; start < total; start += batchSize) {
    const int64_t length = std::min(batchSize, total - start);
    const at::Tensor x = preprocess(images.narrow(0, start, length).to(options), how);
    const c10::IValue out = run(module, x, "the feature extractor");
    if (!out.isTensor()) {
      throw std::invalid_argument("the feature extractor returned " + out.tagKind() +
                                  "; it must return a Tensor of features (B, D)");
    }
    const at::Tensor features = out.toTensor();
    if (features.dim() < 1 || features.size(0) != length) {
      throw std::invalid_argument("the feature extractor returned " + c10::str(features.sizes()) + " for " +
                                  c10::str(length) + " images; its first dimension must be the batch");
    }
    if (!sink(features.reshape({length, -1}), start + length, total)) return false;
  }
  return true;
}

at::Tensor features(torch::jit::Module module, const at::Tensor& images, const Preprocessing& how, int64_t batchSize) {
  std::vector<at::Tensor> parts;
  extractFeatures(std::move(module), images, how, batchSize, [&](const at::Tensor& batch, int64_t, int64_t) {
    parts.push_back(batch.to(at::kCPU, at::kFloat));
    return true;
  });
  return at::cat(parts);
}

at::Tensor lpips(torch::jit::Module module, const at::Tensor& a, const at::Tensor& b, int64_t batchSize,
                 int64_t minSide) {
  checkPair("lpips", a, b, 4, "(N, 3, H, W)");
  if (a.size(1) != 3 && a.size(1) != 1) {
    throw std::invalid_argument("lpips: images must be RGB (3 channels) or grey (1, repeated to 3), got " +
                                c10::str(a.sizes()));
  }
  checkBatchSize("lpips", batchSize);
  const std::optional<torch::jit::Method> weightsMethod = module.find_method("weights");
  if (!weightsMethod) {
    throw std::invalid_argument(
        "lpips: the TorchScript module has no weights() method; an LPIPS file provides forward(x) -> List[Tensor] "
        "(the backbone's feature maps) and weights() -> List[Tensor] (each linear head's (C_l,) weights), "
        "see docs/lpips.md");
  }
  at::NoGradGuard noGrad;
  const at::TensorOptions options = moduleOptions(module);
  std::vector<at::Tensor> weights = tensorList((*weightsMethod)(std::vector<c10::IValue>{}), "weights()");
  if (weights.empty()) throw std::invalid_argument("lpips: weights() returned an empty list");
  for (size_t l = 0; l < weights.size(); ++l) {
    weights[l] = weights[l].to(options.device(), at::kDouble).reshape({-1});
    if (weights[l].lt(0).any().item<bool>()) {
      throw std::invalid_argument("lpips: weights()[" + c10::str(l) + "] has negative entries; LPIPS heads are >= 0");
    }
  }
  std::vector<at::Tensor> parts;
  const int64_t total = a.size(0);
  for (int64_t start = 0; start < total; start += batchSize) {
    const int64_t length = std::min(batchSize, total - start);
    const Preprocessing how{InputRange::MinusOneToOne, 0, 3, minSide};
    const auto input = [&](const at::Tensor& images) {
      return preprocess(images.narrow(0, start, length).to(options), how);
    };
    const std::vector<at::Tensor> fa = tensorList(run(module, input(a), "the LPIPS network"), "forward");
    const std::vector<at::Tensor> fb = tensorList(run(module, input(b), "the LPIPS network"), "forward");
    if (fa.size() != weights.size() || fb.size() != weights.size()) {
      throw std::invalid_argument("lpips: forward returned " + c10::str(fa.size()) + " feature maps but weights() " +
                                  c10::str(weights.size()) + " heads; they must match layer for layer");
    }
    at::Tensor sum = at::zeros({length}, at::TensorOptions().dtype(at::kDouble).device(options.device()));
    for (size_t l = 0; l < weights.size(); ++l) {
      const at::Tensor& w = weights[l];
      if (fa[l].dim() != 4 || fa[l].size(0) != length || fa[l].sizes() != fb[l].sizes()) {
        throw std::invalid_argument("lpips: feature map " + c10::str(l) + " is " + c10::str(fa[l].sizes()) +
                                    "; expected (B, C, H, W) with B = " + c10::str(length));
      }
      if (fa[l].size(1) != w.numel()) {
        throw std::invalid_argument("lpips: feature map " + c10::str(l) + " has " + c10::str(fa[l].size(1)) +
                                    " channels but its head weights() has " + c10::str(w.numel()));
      }
      const auto unit = [](const at::Tensor& f) {
        const at::Tensor x = f.to(at::kDouble);
        return x / (x.square().sum(1, /*keepdim=*/true).sqrt() + 1e-10);
      };
      const at::Tensor d = (unit(fa[l]) - unit(fb[l])).square();
      sum = sum + (d * w.view({1, -1, 1, 1})).sum(1).mean({1, 2});
    }
    parts.push_back(sum);
  }
  return at::cat(parts).cpu();
}

}  // namespace missingu::metrics

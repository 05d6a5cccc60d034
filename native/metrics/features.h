#pragma once
// Features and LPIPS through TorchScript modules the user supplies (an Inception, an MNIST classifier,
// an LPIPS backbone with its heads), run in batches without gradients on the module's device.
#include <ATen/core/Tensor.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace missingu::metrics {

// How images in [-1, 1] are mapped to the range an extractor was trained on.
enum class InputRange { MinusOneToOne, ZeroToOne, ZeroTo255 };

// "-1,1" (as given), "0,1" or "0,255"; std::invalid_argument otherwise.
InputRange inputRangeNamed(const std::string& name);
std::vector<std::string> inputRangeNames();

struct Preprocessing {
  InputRange range = InputRange::MinusOneToOne;
  int64_t size = 0;      // > 0: bilinear resize to size x size (align_corners false, no antialias)
  int64_t channels = 0;  // 3: repeat single-channel images to three; 0 (or the images' count) keeps them
  int64_t minSide = 0;   // > 0: enlarge by the smallest integer factor k (each pixel repeated k x k, as
                         // nearest does) that makes the shorter side at least minSide
};

// std::invalid_argument when size is negative or channels is neither 0, 1 nor 3.
void validate(const Preprocessing& how);

// images (B, C, H, W) in [-1, 1] (any rank (B, ...) when neither size nor channels is set) ->
// the extractor's input: channels repeated, then enlarged to minSide, then resized, then mapped to the range.
at::Tensor preprocess(const at::Tensor& images, const Preprocessing& how);

// After each batch: its features (B, D) and how many of `total` images are done; false stops the run.
using FeatureSink = std::function<bool(const at::Tensor& features, int64_t done, int64_t total)>;

// Runs module.forward over images (N, ...) in batches of batchSize; forward must return a Tensor whose
// first dimension is the batch (more dimensions are flattened). Returns false when the sink stopped it.
bool extractFeatures(torch::jit::Module module, const at::Tensor& images, const Preprocessing& how, int64_t batchSize,
                     const FeatureSink& sink);

// Every image's features (N, D), float32 on the CPU: extractFeatures' batches joined.
at::Tensor features(torch::jit::Module module, const at::Tensor& images, const Preprocessing& how, int64_t batchSize);

// LPIPS v0.1 per image pair, (N,) float64 on the CPU. a, b: (N, 3, H, W) in [-1, 1] (grey (N, 1, H, W)
// is repeated to three channels; with minSide > 0 small images are enlarged as preprocess does). The module's
// forward(x) returns List[Tensor] of L feature maps (it applies LPIPS's scaling layer itself), and its
// weights() returns List[Tensor] of L non-negative head weights (C_l,). Per layer the features are
// unit-normalised over channels (f / (sqrt(sum_c f^2) + 1e-10)), the squared difference weighted by the
// head and summed over channels, averaged over space; the layers are summed.
at::Tensor lpips(torch::jit::Module module, const at::Tensor& a, const at::Tensor& b, int64_t batchSize,
                 int64_t minSide = 0);

}  // namespace missingu::metrics

#pragma once
// A model's state by name (parameters then buffers, by their registered names: a checkpoint's tensor
// names), and loading a checkpoint's tensors into it after checking their names, shapes and values.
#include <ATen/core/Tensor.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace missingu::models {

class DenoiserImpl;
struct ModelSpec;

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// The model's own tensors (not copies), parameters then buffers.
NamedTensors namedState(const DenoiserImpl& model);

// A checkpoint's tensor by name; nullopt when it has none of that name.
using TensorLookup = std::function<std::optional<at::Tensor>(const std::string& name)>;

struct StateCopy {
  std::string name;
  at::Tensor target, source;  // the model's tensor and the checkpoint's
};

// Pairs each of the model's tensors with the checkpoint's of the same name, in namedState's order.
// CodedError(Shape) names the first tensor that is missing or has another shape, and the network
// (models::describe(spec)); then, when the checkpoint holds `givenCount` tensors where the model has
// another number, the two counts.
std::vector<StateCopy> matchState(const DenoiserImpl& model, const ModelSpec& spec, const TensorLookup& lookup,
                                  size_t givenCount);

// Copies every source into its target, without gradients. Every source is checked first: NaN or Inf
// weights sample to garbage (an all-black image) without an error, so CodedError(Numeric) names the
// first such tensor and the model is left as it was. Runs kernels: call it on the compute thread.
void loadState(const std::vector<StateCopy>& copies);

}  // namespace missingu::models

#include "models/state_dict.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/isfinite.h>
#include <c10/util/StringUtil.h>

#include "models/denoiser.h"
#include "models/model_spec.h"
#include "runtime/error_code.h"

namespace missingu::models {
namespace {

void requireFinite(const std::string& name, const at::Tensor& tensor) {
  if (!at::isFloatingType(tensor.scalar_type()) || at::isfinite(tensor).all().item<bool>()) return;
  throw CodedError(ErrorCode::Numeric,
                   "tensor '" + name + "' holds NaN or Inf values: the checkpoint is corrupt or the run diverged");
}

}  // namespace

NamedTensors namedState(const DenoiserImpl& model) {
  NamedTensors out;
  for (const auto& item : model.named_parameters(true)) out.emplace_back(item.key(), item.value());
  for (const auto& item : model.named_buffers(true)) out.emplace_back(item.key(), item.value());
  return out;
}

std::vector<StateCopy> matchState(const DenoiserImpl& model, const ModelSpec& spec, const TensorLookup& lookup,
                                  size_t givenCount) {
  const NamedTensors state = namedState(model);
  std::vector<StateCopy> copies;
  for (const auto& [name, target] : state) {
    const std::optional<at::Tensor> source = lookup(name);
    if (!source) {
      throw CodedError(ErrorCode::Shape, "the checkpoint has no tensor '" + name + "' for " + describe(spec));
    }
    if (source->sizes() != target.sizes()) {
      throw CodedError(ErrorCode::Shape, "tensor '" + name + "' has shape " + c10::str(source->sizes()) +
                                             " in the checkpoint but " + c10::str(target.sizes()) + " in a " +
                                             describe(spec) + ": was it trained with other options?");
    }
    copies.push_back({name, target, *source});
  }
  if (givenCount != state.size()) {
    throw CodedError(ErrorCode::Shape, "the checkpoint has " + std::to_string(givenCount) + " tensors but a " +
                                           describe(spec) + " has " + std::to_string(state.size()));
  }
  return copies;
}

void loadState(const std::vector<StateCopy>& copies) {
  at::NoGradGuard noGrad;
  for (const StateCopy& c : copies) requireFinite(c.name, c.source);
  for (const StateCopy& c : copies) c.target.copy_(c.source);
}

}  // namespace missingu::models

#pragma once
// The two networks a training run holds: the model it trains and its EMA copy, built from one spec on
// one device, or continuing a run from that run's weights after checking they belong to the same network.
#include <c10/core/Device.h>

#include <memory>
#include <optional>

#include "models/denoiser.h"
#include "models/model_spec.h"

namespace missingu::train {

struct RunModels {
  models::ModelSpec spec;  // resolved (models::resolve)
  std::shared_ptr<models::DenoiserImpl> model, ema;
};

// A network and the spec that built it.
struct SpecifiedModel {
  models::ModelSpec spec;
  std::shared_ptr<models::DenoiserImpl> model;
};

// The weights of the run to continue; they are copied, not taken.
struct ResumedWeights {
  SpecifiedModel model, ema;
};

// Seeds PyTorch's generator with `seed`, builds model and EMA (the EMA starts equal and in eval mode)
// on `device`, and with `resume` copies its weights in. std::invalid_argument names both networks when
// the resumed weights come from another spec. Runs kernels: call it on the compute thread.
RunModels buildRunModels(const models::ModelSpec& spec, c10::Device device, uint64_t seed,
                         const std::optional<ResumedWeights>& resume);

}  // namespace missingu::train

#include "train/run_models.h"

#include <stdexcept>
#include <string>

#include "models/presets.h"
#include "runtime/scoped_seed.h"
#include "train/trainer.h"

namespace missingu::train {
namespace {

void copyResumed(models::DenoiserImpl& to, const SpecifiedModel& from, const models::ModelSpec& expected,
                 const std::string& what) {
  if (!(from.spec == expected)) {
    throw std::invalid_argument("train: " + what + " is a " + models::describe(from.spec) + ", but this run trains a " +
                                models::describe(expected));
  }
  copyWeights(to, *from.model);
}

}  // namespace

RunModels buildRunModels(const models::ModelSpec& spec, c10::Device device, uint64_t seed,
                         const std::optional<ResumedWeights>& resume) {
  RunModels out;
  out.spec = models::resolve(spec);
  {
    const ScopedSeed seeded(seed);  // the same initial weights for a seed, without touching the global generator
    out.model = models::createModel(out.spec);
    out.ema = models::createModel(out.spec);
  }
  out.model->to(device);
  out.ema->to(device);
  out.ema->eval();
  if (resume) {
    copyResumed(*out.model, resume->model, out.spec, "resume.model");
    copyResumed(*out.ema, resume->ema, out.spec, "resume.ema");
  }
  return out;
}

}  // namespace missingu::train

#include "ode/rk_step.h"

#include "ode/stage_update.h"

namespace missingu::ode {

State combineStages(const State& y, const std::vector<State>& stages, const std::vector<double>& weights, double dt) {
  std::vector<double> coefs;
  for (size_t i = 0; i < stages.size(); ++i) coefs.push_back(dt * weights[i]);
  State out;
  std::vector<at::Tensor> ks(stages.size());
  for (size_t component = 0; component < y.size(); ++component) {
    for (size_t i = 0; i < stages.size(); ++i) ks[i] = stages[i][component];
    out.push_back(stageUpdate(y[component], ks, coefs));
  }
  return out;
}

RkStep rkStep(const Dynamics& f, const Tableau& tableau, double s, double dt, const State& y,
              std::optional<State> firstStage, int64_t& nfe) {
  RkStep step;
  if (firstStage) {
    step.stages.push_back(std::move(*firstStage));
  } else {
    step.stages.push_back(f(s, y));
    ++nfe;
  }
  for (int i = 1; i < tableau.stages(); ++i) {
    const State yi = combineStages(y, step.stages, tableau.a[i], dt);
    step.stages.push_back(f(s + tableau.c[i] * dt, yi));
    ++nfe;
    // With FSAL the last stage is evaluated at y1 itself, so y1 is that stage's input.
    if (tableau.fsal && i == tableau.stages() - 1) step.y1 = yi;
  }
  if (!tableau.fsal) step.y1 = combineStages(y, step.stages, tableau.b, dt);
  return step;
}

}  // namespace missingu::ode

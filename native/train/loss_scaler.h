#pragma once
// Dynamic loss scaling for fp16 training, as torch.amp.GradScaler does it: the loss is multiplied by a
// scale before backward so that small gradients survive fp16; the gradients are divided by it before the
// optimizer step, and a step whose gradients hold Inf or NaN is skipped and the scale halved. After
// `growthInterval` good steps in a row the scale doubles.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace missingu::train {

class LossScaler {
 public:
  // initialScale 0 turns scaling off: scaled() returns the loss and unscale() always says "step".
  explicit LossScaler(double initialScale, int64_t growthInterval = 2000);

  bool enabled() const { return scale_ > 0; }
  double scale() const { return scale_; }
  at::Tensor scaled(const at::Tensor& loss) const;
  // Divides every defined gradient by the scale; false when one of them holds Inf or NaN (the step
  // must be skipped). Then updates the scale. Throws (ErrorCode::Numeric) when the scale has fallen
  // below 2^-24: the gradients are not finite at any scale, so the run diverged.
  bool unscale(const std::vector<at::Tensor>& parameters, int64_t step);

 private:
  double scale_;
  int64_t growthInterval_;
  int64_t goodSteps_ = 0;
};

}  // namespace missingu::train

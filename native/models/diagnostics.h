#pragma once
// What one pass of a model does inside, to find where training goes wrong or where a pass spends its
// time: the gradient norm of each parameter, and each operator's time.
#include <ATen/core/Tensor.h>
#include <c10/core/DeviceType.h>

#include <string>
#include <utility>
#include <vector>

#include "runtime/op_profile.h"
#include "runtime/precision.h"

namespace missingu::models {

class DenoiserImpl;

// The L2 norm of each trainable parameter's gradient of mean(forward(x, t)^2), by name, 0 where the
// loss does not reach a parameter. The model's gradients are cleared before and after.
std::vector<std::pair<std::string, double>> gradientNorms(DenoiserImpl& model, const at::Tensor& x,
                                                          const at::Tensor& t);

// forward(x, t) in `precision` (autocast for `deviceType`), and with `backward` the backward pass of
// mean(output^2) in float32, profiled operator by operator after one warm-up pass. The model's
// gradients are cleared after.
std::vector<OpTime> profilePass(DenoiserImpl& model, const at::Tensor& x, const at::Tensor& t, bool backward,
                                Precision precision, c10::DeviceType deviceType);

}  // namespace missingu::models

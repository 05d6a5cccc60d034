#pragma once
// A time origin on the device, for right-hand sides replayed from a CUDA graph.
#include <ATen/core/Tensor.h>

namespace missingu::ode {

// While alive on this thread, script right-hand sides that take s as a tensor receive origin + s (a
// device op) instead of a constant: a captured CUDA graph then follows the time by refilling origin.
// Those that take a float s throw std::invalid_argument (the value would be frozen into the graph).
class TimeOrigin {
 public:
  explicit TimeOrigin(at::Tensor origin);
  ~TimeOrigin();
  TimeOrigin(const TimeOrigin&) = delete;
  TimeOrigin& operator=(const TimeOrigin&) = delete;
  // The innermost origin on this thread, or nullptr.
  static const at::Tensor* current();

 private:
  at::Tensor origin_;
  const at::Tensor* previous_;
};

}  // namespace missingu::ode

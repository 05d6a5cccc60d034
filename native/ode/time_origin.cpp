#include "ode/time_origin.h"

#include <utility>

namespace missingu::ode {
namespace {

thread_local const at::Tensor* currentOrigin = nullptr;

}  // namespace

TimeOrigin::TimeOrigin(at::Tensor origin) : origin_(std::move(origin)), previous_(currentOrigin) {
  currentOrigin = &origin_;
}

TimeOrigin::~TimeOrigin() { currentOrigin = previous_; }

const at::Tensor* TimeOrigin::current() { return currentOrigin; }

}  // namespace missingu::ode

#include "metrics/image_pairs.h"

#include <c10/util/StringUtil.h>

#include <cmath>
#include <stdexcept>

namespace missingu::metrics {

void checkPair(const std::string& metric, const at::Tensor& a, const at::Tensor& b, int64_t rank,
               const std::string& layout) {
  if (a.sizes() != b.sizes()) {
    throw std::invalid_argument(metric + ": a is " + c10::str(a.sizes()) + " but b is " + c10::str(b.sizes()) +
                                ": images must have the same shape");
  }
  if ((rank > 0 && a.dim() != rank) || a.dim() < 1) {
    throw std::invalid_argument(metric + ": images must be " + layout + ", got " + c10::str(a.sizes()));
  }
  if (a.size(0) < 1) throw std::invalid_argument(metric + ": no images (the batch is empty)");
  if (!a.is_floating_point() || !b.is_floating_point()) {
    throw std::invalid_argument(metric + ": images must be floating point, got " + std::string(a.dtype().name()) +
                                " and " + std::string(b.dtype().name()));
  }
}

void checkDataRange(const std::string& metric, double dataRange) {
  if (!std::isfinite(dataRange) || dataRange <= 0) {
    throw std::invalid_argument(metric + ": dataRange must be > 0 (2 for images in [-1, 1], 1 for [0, 1]), got " +
                                c10::str(dataRange));
  }
}

}  // namespace missingu::metrics

#include "data/batch_draw.h"

#include <ATen/ops/randint.h>

namespace missingu::data {

BatchDraw drawBatch(at::Generator& generator, int64_t count, int64_t size, bool horizontalFlip) {
  const auto cpuLong = at::TensorOptions().dtype(at::kLong);
  BatchDraw out;
  out.index = at::randint(count, {size}, generator, cpuLong);
  if (horizontalFlip) out.flip = at::randint(2, {size}, generator, cpuLong).to(at::kBool);
  return out;
}

}  // namespace missingu::data

#pragma once
// Which images a training batch takes, and which of them it mirrors: the draw the trainer makes for every
// micro-batch, from the run's generator, in this order (rows, then flips when they are on).
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace missingu::data {

struct BatchDraw {
  at::Tensor index;  // int64, `size` rows in [0, count)
  at::Tensor flip;   // bool, `size` entries; undefined when flips are off
};

BatchDraw drawBatch(at::Generator& generator, int64_t count, int64_t size, bool horizontalFlip);

}  // namespace missingu::data

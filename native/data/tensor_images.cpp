#include "data/tensor_images.h"

#include <ATen/ops/flip.h>
#include <ATen/ops/where.h>

#include <stdexcept>

namespace missingu::data {

TensorImages::TensorImages(at::Tensor images) : images_(std::move(images)) {
  if (images_.dim() != 4 || images_.size(0) < 1 || images_.scalar_type() != at::kFloat || !images_.is_cpu()) {
    throw std::invalid_argument("the dataset must be a float32 (N, C, H, W) CPU tensor with N >= 1");
  }
  images_ = images_.contiguous();
}

int64_t TensorImages::count() const { return images_.size(0); }

std::array<int64_t, 3> TensorImages::imageShape() const { return {images_.size(1), images_.size(2), images_.size(3)}; }

at::Tensor TensorImages::gather(const at::Tensor& index, const at::Tensor& flip) const {
  at::Tensor batch = images_.index_select(0, index);
  if (!flip.defined()) return batch;
  return at::where(flip.view({-1, 1, 1, 1}), batch.flip({3}), batch);
}

}  // namespace missingu::data

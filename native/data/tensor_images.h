#pragma once
// An ImageSource over a (N, C, H, W) float32 tensor that already holds the images in [-1, 1].
#include "data/image_source.h"

namespace missingu::data {

class TensorImages final : public ImageSource {
 public:
  // std::invalid_argument unless `images` is a 4-d float32 CPU tensor with N >= 1.
  explicit TensorImages(at::Tensor images);
  int64_t count() const override;
  std::array<int64_t, 3> imageShape() const override;
  at::Tensor gather(const at::Tensor& index, const at::Tensor& flip) const override;

 private:
  at::Tensor images_;
};

}  // namespace missingu::data

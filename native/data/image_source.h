#pragma once
// Where a training run's images come from: an in-memory float tensor, or a prepared dataset's uint8 file
// read image by image (so memory does not grow with the set). Both hand out batches as float32 in [-1, 1].
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>

namespace missingu::data {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual int64_t count() const = 0;
  // (C, H, W) of every image.
  virtual std::array<int64_t, 3> imageShape() const = 0;
  // Rows `index` (int64, on the CPU) as a new (B, C, H, W) float32 CPU tensor in [-1, 1]; where `flip`
  // (bool, B entries, or undefined for none) is true, the image is mirrored left-right. Safe to call from
  // a thread other than the one that made the source, one call at a time.
  virtual at::Tensor gather(const at::Tensor& index, const at::Tensor& flip) const = 0;
};

}  // namespace missingu::data

#pragma once
// An ImageSource over a prepared dataset's images.u8: N images of (C, H, W) uint8 pixels, back to back,
// no header (lib/data/prepared/ writes it and checks its manifest). Each batch is read with positioned
// reads of just its images, so resident memory stays at one batch whatever N is, and processes that read
// the same file share the kernel's page cache.
#include <array>
#include <string>
#include <vector>

#include "data/image_source.h"

namespace missingu::data {

class PreparedImages final : public ImageSource {
 public:
  // Opens `path`; CodedError (File) when it cannot be opened, (Format) when its size is not exactly
  // count x C x H x W bytes. `shape` is {count, C, H, W}.
  PreparedImages(std::string path, const std::array<int64_t, 4>& shape);
  ~PreparedImages() override;
  PreparedImages(const PreparedImages&) = delete;
  PreparedImages& operator=(const PreparedImages&) = delete;

  int64_t count() const override { return count_; }
  std::array<int64_t, 3> imageShape() const override { return imageShape_; }
  at::Tensor gather(const at::Tensor& index, const at::Tensor& flip) const override;

 private:
  void readImage(int64_t row, uint8_t* into) const;

  std::string path_;
  int fd_ = -1;
  int64_t count_;
  std::array<int64_t, 3> imageShape_;
  size_t stride_;                         // bytes per image
  mutable std::vector<uint8_t> scratch_;  // one image's bytes (gather is called one at a time)
};

// byte b -> float32(b / 127.5 - 1), computed in double: what an in-memory decode of the same image gives.
const std::array<float, 256>& pixelToUnit();

}  // namespace missingu::data

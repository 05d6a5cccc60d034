#include "data/prepared_images.h"

#include <ATen/ops/empty.h>
#include <c10/util/safe_numerics.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/error_code.h"

namespace missingu::data {

const std::array<float, 256>& pixelToUnit() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> out{};
    for (int b = 0; b < 256; ++b) out[b] = static_cast<float>(b / 127.5 - 1.0);
    return out;
  }();
  return table;
}

PreparedImages::PreparedImages(std::string path, const std::array<int64_t, 4>& shape)
    : path_(std::move(path)), count_(shape[0]), imageShape_{shape[1], shape[2], shape[3]} {
  uint64_t stride = 1;
  uint64_t total = 0;
  for (int64_t d : shape) {
    if (d < 1) throw CodedError(ErrorCode::Format, path_ + ": the dataset shape has a size below 1");
  }
  bool overflow = c10::mul_overflows(static_cast<uint64_t>(shape[1]), static_cast<uint64_t>(shape[2]), &stride);
  overflow = overflow || c10::mul_overflows(stride, static_cast<uint64_t>(shape[3]), &stride);
  overflow = overflow || c10::mul_overflows(stride, static_cast<uint64_t>(shape[0]), &total);
  if (overflow || total > static_cast<uint64_t>(INT64_MAX)) {
    throw CodedError(ErrorCode::Format, path_ + ": the dataset shape describes more bytes than a file can hold");
  }
  stride_ = static_cast<size_t>(stride);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    throw CodedError(ErrorCode::File, "cannot open the prepared images " + path_ + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw CodedError(ErrorCode::File, path_ + " is not a regular file (a prepared dataset's images.u8 is expected)");
  }
  if (static_cast<uint64_t>(st.st_size) != total) {
    ::close(fd_);
    throw CodedError(ErrorCode::Format, path_ + " holds " + std::to_string(st.st_size) + " bytes, but " +
                                            std::to_string(shape[0]) + " images of " + std::to_string(shape[1]) + "x" +
                                            std::to_string(shape[2]) + "x" + std::to_string(shape[3]) + " need " +
                                            std::to_string(total) +
                                            ": the dataset is damaged or its manifest does not belong to it "
                                            "(prepare it again)");
  }
  // Batches draw images at random: read-ahead would only fetch neighbours nobody asked for.
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_RANDOM);
  scratch_.resize(stride_);
}

PreparedImages::~PreparedImages() {
  if (fd_ >= 0) ::close(fd_);
}

void PreparedImages::readImage(int64_t row, uint8_t* into) const {
  size_t done = 0;
  const auto offset = static_cast<off_t>(static_cast<uint64_t>(row) * stride_);
  while (done < stride_) {
    const ssize_t got = ::pread(fd_, into + done, stride_ - done, offset + static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      throw CodedError(ErrorCode::File,
                       "cannot read image " + std::to_string(row) + " of " + path_ + ": " + std::strerror(errno));
    }
    if (got == 0) {
      throw CodedError(ErrorCode::Format, path_ + " ended before image " + std::to_string(row) +
                                              ": the file was truncated while training read it");
    }
    done += static_cast<size_t>(got);
  }
}

at::Tensor PreparedImages::gather(const at::Tensor& index, const at::Tensor& flip) const {
  const at::Tensor rows = index.to(at::kLong).contiguous();
  const at::Tensor mirror = flip.defined() ? flip.to(at::kBool).contiguous() : at::Tensor();
  const int64_t batch = rows.numel();
  const auto [channels, height, width] = imageShape_;
  at::Tensor out = at::empty({batch, channels, height, width}, at::TensorOptions().dtype(at::kFloat));
  float* to = out.data_ptr<float>();
  const int64_t* row = rows.data_ptr<int64_t>();
  const bool* flips = mirror.defined() ? mirror.data_ptr<bool>() : nullptr;
  const auto& unit = pixelToUnit();
  for (int64_t b = 0; b < batch; ++b) {
    if (row[b] < 0 || row[b] >= count_) {
      throw CodedError(ErrorCode::Option, "image index " + std::to_string(row[b]) + " is outside " + path_ + "'s " +
                                              std::to_string(count_) + " images");
    }
    readImage(row[b], scratch_.data());
    const uint8_t* from = scratch_.data();
    const bool flipped = flips != nullptr && flips[b];
    for (int64_t line = 0; line < channels * height; ++line, from += width, to += width) {
      if (flipped) {
        for (int64_t x = 0; x < width; ++x) to[x] = unit[from[width - 1 - x]];
      } else {
        for (int64_t x = 0; x < width; ++x) to[x] = unit[from[x]];
      }
    }
  }
  return out;
}

}  // namespace missingu::data

#include "napi/dataset_argument.h"

#include <ATen/ops/from_blob.h>
#include <c10/util/StringUtil.h>
#include <c10/util/safe_numerics.h>

#include <stdexcept>

#include "data/prepared_images.h"
#include "data/tensor_images.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/options.h"

namespace missingu {

// The images: a Float32Array (copied, so the run owns it) or { file } (a prepared dataset's images.u8, read
// batch by batch), with their shape [N, C, H, W]; the images must be square.
std::shared_ptr<data::ImageSource> datasetArgument(const Napi::Value& value, const Napi::Value& shapeValue,
                                                   const std::string& where) {
  const std::vector<int64_t> shape = sizesArgument(shapeValue, where + ": dataset shape", 1, 4, "[N, C, H, W]");
  if (shape[2] != shape[3])
    throw std::invalid_argument(where + ": images must be square, got " + c10::str(c10::IntArrayRef(shape)));
  if (value.IsObject() && !value.IsTypedArray()) {
    const OptionReader file(value, where + ": dataset");
    const std::string path = file.string("file");
    file.finish();
    return std::make_shared<data::PreparedImages>(path, std::array<int64_t, 4>{shape[0], shape[1], shape[2], shape[3]});
  }
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throwTypeError(value.Env(),
                   where + ": the dataset must be a Float32Array or { file }, with its shape [N, C, H, W]");
  }
  auto array = value.As<Napi::Float32Array>();
  uint64_t elements = 1;
  bool overflow = false;
  for (int64_t d : shape) overflow = overflow || c10::mul_overflows(elements, static_cast<uint64_t>(d), &elements);
  if (overflow || elements != array.ElementLength()) {
    throw std::invalid_argument(where + ": dataset shape " + c10::str(c10::IntArrayRef(shape)) +
                                " does not match its length " + std::to_string(array.ElementLength()));
  }
  at::Tensor images;
  runOnComputeThread(
      [&] { images = at::from_blob(array.Data(), shape, at::TensorOptions().dtype(at::kFloat)).clone(); });
  return std::make_shared<data::TensorImages>(images);
}

}  // namespace missingu

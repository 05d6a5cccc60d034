#include "napi/data_binding.h"

#include <ATen/CPUGeneratorImpl.h>

#include "data/batch_draw.h"
#include "napi/async_job.h"
#include "napi/dataset_argument.h"
#include "napi/errors.h"
#include "napi/options.h"
#include "napi/tensor.h"

namespace missingu {

Napi::Value dataDrawBatch(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const std::shared_ptr<data::ImageSource> source = datasetArgument(info[0], info[1], "data.drawBatch");
    const OptionReader opts(info[2], "data.drawBatch");
    const int64_t n = opts.integer("n", 1, 1 << 20);
    const uint64_t seed = opts.seed("seed");
    const bool flip = opts.boolean("horizontalFlip");
    opts.finish();
    at::Tensor batch;
    runOnComputeThread([&] {
      at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
      const data::BatchDraw draw = data::drawBatch(generator, source->count(), n, flip);
      batch = source->gather(draw.index, draw.flip);
    });
    return TensorWrap::wrap(env, batch);
  });
}

}  // namespace missingu

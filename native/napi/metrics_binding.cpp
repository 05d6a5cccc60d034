#include "napi/metrics_binding.h"

#include <ATen/ops/from_blob.h>
#include <c10/util/StringUtil.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "metrics/feature_stats.h"
#include "metrics/features.h"
#include "metrics/psnr.h"
#include "metrics/ssim.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/job_control.h"
#include "napi/options.h"
#include "napi/script_module.h"
#include "napi/tensor.h"

namespace missingu {
namespace {

// A (n,) or (n, n) float64 CPU tensor as a new Float64Array.
Napi::Float64Array float64Array(Napi::Env env, const at::Tensor& values) {
  const at::Tensor contiguous = values.to(at::kCPU, at::kDouble).contiguous();
  Napi::Float64Array out = Napi::Float64Array::New(env, contiguous.numel());
  if (contiguous.numel() > 0) {
    std::memcpy(out.Data(), contiguous.data_ptr<double>(), contiguous.numel() * sizeof(double));
  }
  return out;
}

// A copy of a Float64Array argument as a float64 tensor of `sizes`.
at::Tensor float64Tensor(const Napi::Value& value, const std::string& what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throwTypeError(value.Env(), what + " must be a Float64Array");
  }
  auto array = value.As<Napi::Float64Array>();
  const auto length = static_cast<int64_t>(array.ElementLength());
  return at::from_blob(array.Data(), {length}, at::TensorOptions().dtype(at::kDouble)).clone();
}

metrics::Preprocessing readPreprocessing(const OptionReader& opts) {
  metrics::Preprocessing how;
  how.range = metrics::inputRangeNamed(opts.has("inputRange") ? opts.oneOf("inputRange", metrics::inputRangeNames())
                                                              : std::string("-1,1"));
  how.size = opts.optionalInteger("size").value_or(0);
  how.channels = opts.optionalInteger("channels").value_or(0);
  metrics::validate(how);
  return how;
}

using PairMetric = at::Tensor (*)(const at::Tensor&, const at::Tensor&, double);

Napi::Value pairMetric(const Napi::CallbackInfo& info, const std::string& name, PairMetric metric) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const at::Tensor a = TensorWrap::unwrap(info[0], name + ": a");
    const at::Tensor b = TensorWrap::unwrap(info[1], name + ": b");
    const OptionReader opts(info[2].IsUndefined() ? Napi::Object::New(env) : info[2], name);
    const double dataRange = opts.optionalNumber("dataRange").value_or(2.0);
    auto result = std::make_shared<at::Tensor>();
    return runAsync(
        env, [=] { *result = metric(a, b, dataRange); },
        [result](Napi::Env e) -> Napi::Value { return float64Array(e, *result); }, "");  // the messages name the metric
  });
}

}  // namespace

Napi::Value metricsSsim(const Napi::CallbackInfo& info) { return pairMetric(info, "ssim", &metrics::ssim); }

Napi::Value metricsPsnr(const Napi::CallbackInfo& info) { return pairMetric(info, "psnr", &metrics::psnr); }

Napi::Value metricsFeatureStats(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const torch::jit::Module module = ScriptModuleWrap::unwrap(info[0], "featureStats: extractor");
    const at::Tensor images = TensorWrap::unwrap(info[1], "featureStats: images");
    const OptionReader opts(info[2], "featureStats");
    const metrics::Preprocessing how = readPreprocessing(opts);
    const int64_t batchSize = opts.optionalInteger("batchSize").value_or(64);
    auto control = std::make_shared<JobControl>(env, info[3], info[4]);
    auto stats = std::make_shared<metrics::FeatureStats>();
    auto aborted = std::make_shared<bool>(false);
    return runAsync(
        env,
        [=] {
          *aborted = !metrics::extractFeatures(module, images, how, batchSize,
                                               [&](const at::Tensor& features, int64_t done, int64_t total) {
                                                 stats->add(features);
                                                 control->report([done, total](Napi::Env e, Napi::Function fn) {
                                                   Napi::Object progress = Napi::Object::New(e);
                                                   progress.Set("done", static_cast<double>(done));
                                                   progress.Set("total", static_cast<double>(total));
                                                   fn.Call({progress});
                                                 });
                                                 return !control->aborted();
                                               });
        },
        [stats, aborted](Napi::Env e) -> Napi::Value {
          Napi::Object out = Napi::Object::New(e);
          out.Set("count", static_cast<double>(stats->count()));
          out.Set("dim", static_cast<double>(stats->dim()));
          out.Set("mean", stats->count() > 0 ? float64Array(e, stats->mean()) : Napi::Float64Array::New(e, 0));
          out.Set("covariance", float64Array(e, stats->covariance()));
          out.Set("aborted", *aborted);
          return out;
        },
        "", control);
  });
}

Napi::Value metricsFeatures(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const torch::jit::Module module = ScriptModuleWrap::unwrap(info[0], "features: extractor");
    const at::Tensor images = TensorWrap::unwrap(info[1], "features: images");
    const OptionReader opts(info[2], "features");
    const metrics::Preprocessing how = readPreprocessing(opts);
    const int64_t batchSize = opts.optionalInteger("batchSize").value_or(64);
    auto result = std::make_shared<at::Tensor>();
    return runAsync(
        env, [=] { *result = metrics::features(module, images, how, batchSize); },
        [result](Napi::Env e) -> Napi::Value { return TensorWrap::wrap(e, std::move(*result)); }, "");
  });
}

Napi::Value metricsFrechet(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const at::Tensor mean1 = float64Tensor(info[0], "frechetDistance: mean1");
    const at::Tensor cov1 = float64Tensor(info[1], "frechetDistance: covariance1");
    const at::Tensor mean2 = float64Tensor(info[2], "frechetDistance: mean2");
    const at::Tensor cov2 = float64Tensor(info[3], "frechetDistance: covariance2");
    const int64_t d = mean1.numel();
    const auto square = [d](const at::Tensor& cov, const std::string& name) {
      if (cov.numel() != d * d) {
        throw std::invalid_argument("frechetDistance: " + name + " has " + c10::str(cov.numel()) +
                                    " entries but the means have " + c10::str(d) + " dimensions (expected " +
                                    c10::str(d * d) + ")");
      }
      return cov.view({d, d});
    };
    if (mean2.numel() != d) {
      throw std::invalid_argument("frechetDistance: the means have " + c10::str(d) + " and " + c10::str(mean2.numel()) +
                                  " dimensions");
    }
    const at::Tensor sigma1 = square(cov1, "covariance1"), sigma2 = square(cov2, "covariance2");
    double distance = 0;
    runOnComputeThread([&] { distance = metrics::frechetDistance(mean1, sigma1, mean2, sigma2); });
    return Napi::Number::New(env, distance);
  });
}

Napi::Value metricsLpips(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const torch::jit::Module module = ScriptModuleWrap::unwrap(info[0], "lpips: network");
    const at::Tensor a = TensorWrap::unwrap(info[1], "lpips: a");
    const at::Tensor b = TensorWrap::unwrap(info[2], "lpips: b");
    const OptionReader opts(info[3].IsUndefined() ? Napi::Object::New(env) : info[3], "lpips");
    const int64_t batchSize = opts.optionalInteger("batchSize").value_or(32);
    const int64_t minSide = opts.optionalInteger("minSide", 0, 4096).value_or(0);
    auto result = std::make_shared<at::Tensor>();
    return runAsync(
        env, [=] { *result = metrics::lpips(module, a, b, batchSize, minSide); },
        [result](Napi::Env e) -> Napi::Value { return float64Array(e, *result); }, "");
  });
}

}  // namespace missingu

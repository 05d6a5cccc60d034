#include "napi/model_binding.h"

#include <ATen/Context.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/generated/variable_factories.h>

#include "models/accounting.h"
#include "models/diagnostics.h"
#include "models/presets.h"
#include "models/probe_inputs.h"
#include "models/state_dict.h"
#include "napi/addon_data.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/model_options.h"
#include "napi/options.h"
#include "napi/tensor.h"
#include "runtime/device.h"
#include "runtime/profiler_init.h"
#include "runtime/scoped_seed.h"

#include <optional>
#include <stdexcept>
#include <utility>

namespace missingu {
namespace {

// The most image channels models.create takes (images have 1, 3 or 4).
constexpr int64_t kMaxChannels = 64;

// A shape whose input alone exceeds this machine's memory is refused before libtorch's allocator fails on it.
std::vector<int64_t> shapeArgument(const Napi::Value& value, const std::string& what) {
  std::vector<int64_t> shape = sizesArgument(value, what, 1, 4, "[batch, channels, height, width]");
  models::requireFitsMemory(shape, what);
  return shape;
}

}  // namespace

Napi::Function ModelWrap::defineClass(Napi::Env env) {
  std::vector<PropertyDescriptor> properties = {
      InstanceAccessor<&ModelWrap::preset>("preset"),
      InstanceAccessor<&ModelWrap::imageSize>("imageSize"),
      InstanceAccessor<&ModelWrap::channels>("channels"),
      InstanceAccessor<&ModelWrap::width>("width"),
      InstanceAccessor<&ModelWrap::device>("device"),
      InstanceAccessor<&ModelWrap::precision>("precision"),
      InstanceMethod<&ModelWrap::parameterCount>("parameterCount"),
      InstanceMethod<&ModelWrap::parameters>("parameters"),
      InstanceMethod<&ModelWrap::flops>("flops"),
      InstanceMethod<&ModelWrap::peakMemory>("peakMemory"),
      InstanceMethod<&ModelWrap::forward>("forward"),
      InstanceMethod<&ModelWrap::gradientNorms>("gradientNorms"),
      InstanceMethod<&ModelWrap::profile>("profile"),
      InstanceMethod<&ModelWrap::stateDict>("stateDict"),
      InstanceMethod<&ModelWrap::loadStateDict>("loadStateDict"),
      InstanceMethod<&ModelWrap::dispose>("dispose"),
  };
  if (const auto symbol = disposeSymbol(env)) properties.push_back(InstanceMethod<&ModelWrap::dispose>(*symbol));
  return DefineClass(env, "Model", properties);
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  const Napi::Env env = info.Env();
  if (info.Length() == 1 && info[0].IsExternal()) {  // from wrap()
    spec_ = std::move(*info[0].As<Napi::External<Spec>>().Data());
    account(env);
    return;
  }
  rethrowAsJs(env, [&] {
    const OptionReader opts(info[0], "models.create");
    models::ModelSpec spec = readModelSpec(opts);
    // Absent: the preset's (models::resolve fills them in and says why a size does not suit the preset).
    spec.imageSize = opts.optionalInteger("imageSize", 0, kMaxSafeInteger).value_or(0);
    spec.channels = opts.optionalInteger("channels", 0, kMaxChannels).value_or(0);
    spec_.device = resolveDevice(opts.string("device"));
    const std::optional<uint64_t> seed = opts.optionalSeed("seed");
    spec_.precision = optionalPrecision(opts, "models.create", Precision::Fp32);
    opts.finish();
    requirePrecision(spec_.precision, spec_.device, "models.create");
    spec_.spec = models::resolve(spec);
    runOnComputeThread([&] {  // initialisation runs parallel kernels: keep them on the one OpenMP thread
      const ScopedSeed seeded(seed);
      spec_.model = models::createModel(spec_.spec);
      spec_.model->to(spec_.device);
      spec_.model->eval();
    });
    account(env);
  });
}

ModelWrap::~ModelWrap() { release(); }

void ModelWrap::account(Napi::Env env) {
  accountedBytes_ = models::stateBytes(*spec_.model);
  Napi::MemoryManagement::AdjustExternalMemory(env, accountedBytes_);
}

void ModelWrap::release() {
  if (!spec_.model) return;
  spec_.model.reset();
  Napi::MemoryManagement::AdjustExternalMemory(Env(), -accountedBytes_);
  accountedBytes_ = 0;
}

Napi::Object ModelWrap::wrap(Napi::Env env, Spec spec) {
  return addonData(env).modelClass.New({Napi::External<Spec>::New(env, &spec)});
}

bool ModelWrap::isModel(const Napi::Value& value) {
  return value.IsObject() && value.As<Napi::Object>().InstanceOf(addonData(value.Env()).modelClass.Value());
}

ModelWrap::Spec ModelWrap::unwrap(const Napi::Value& value, const std::string& what) {
  if (!isModel(value)) throwTypeError(value.Env(), what + " must be a Model (made with models.create)");
  const ModelWrap* self = Unwrap(value.As<Napi::Object>());
  if (!self->spec_.model) throwTypeError(value.Env(), what + " is a disposed Model");
  return self->spec_;
}

const std::shared_ptr<models::DenoiserImpl>& ModelWrap::live(const Napi::Env& env) const {
  if (!spec_.model) throw jsError(env, "this Model was disposed; it cannot be used after dispose()", ErrorCode::Option);
  return spec_.model;
}

Napi::Value ModelWrap::preset(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), spec_.spec.preset);
}
Napi::Value ModelWrap::imageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(spec_.spec.imageSize));
}
Napi::Value ModelWrap::channels(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(spec_.spec.channels));
}
Napi::Value ModelWrap::device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), spec_.device.str());
}
Napi::Value ModelWrap::precision(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), precisionName(spec_.precision));
}
Napi::Value ModelWrap::width(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(spec_.spec.width));
}

Napi::Value ModelWrap::parameterCount(const Napi::CallbackInfo& info) {
  const models::ParameterCount count = models::countParameters(*live(info.Env()));
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("total", static_cast<double>(count.total));
  out.Set("trainable", static_cast<double>(count.trainable));
  return out;
}

Napi::Value ModelWrap::parameters(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const auto named = live(env)->named_parameters(/*recurse=*/true);
  Napi::Array out = Napi::Array::New(env, named.size());
  uint32_t i = 0;
  for (const auto& item : named) {
    Napi::Object row = Napi::Object::New(env);
    row.Set("name", item.key());
    Napi::Array shape = Napi::Array::New(env, item.value().dim());
    for (int64_t d = 0; d < item.value().dim(); ++d) shape.Set(d, static_cast<double>(item.value().size(d)));
    row.Set("shape", shape);
    row.Set("trainable", item.value().requires_grad());
    out.Set(i++, row);
  }
  return out;
}

Napi::Value ModelWrap::flops(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const auto model = live(env);
    const auto inputs = models::probeInputs(shapeArgument(info[0], "flops(shape)"), spec_.device);
    models::MacCount count;
    runOnComputeThread([&] {
      at::NoGradGuard noGrad;
      count = models::countMacs([&] { model->forward(inputs.x, inputs.t); });
    });
    Napi::Object out = Napi::Object::New(env);
    out.Set("macs", static_cast<double>(count.total));
    Napi::Object byOp = Napi::Object::New(env);
    for (const auto& [op, macs] : count.byOp) byOp.Set(op, static_cast<double>(macs));
    out.Set("byOp", byOp);
    return out;
  });
}

Napi::Value ModelWrap::peakMemory(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    if (!models::canMeasurePeakMemory(spec_.device)) return env.Null();
    const auto model = live(env);
    const auto inputs = models::probeInputs(shapeArgument(info[0], "peakMemory(shape)"), spec_.device);
    models::PeakMemory peak;
    runOnComputeThread([&] { peak = models::peakMemory([&] { model->forward(inputs.x, inputs.t); }); });
    Napi::Object out = Napi::Object::New(env);
    out.Set("inference", peak.inference);
    out.Set("training", peak.training);
    return out;
  });
}

Napi::Value ModelWrap::forward(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const auto model = live(env);
    const at::Tensor x = TensorWrap::unwrap(info[0], "forward: x");
    const at::Tensor t = TensorWrap::unwrap(info[1], "forward: t");
    const int64_t channels = spec_.spec.channels;
    if (x.dim() != 4 || x.size(1) != channels) {
      throw std::invalid_argument("forward: x must be (batch, " + std::to_string(channels) + ", height, width), got " +
                                  c10::str(x.sizes()));
    }
    if (t.dim() != 1 || t.size(0) != x.size(0)) {
      throw std::invalid_argument("forward: t must be (batch,) = (" + std::to_string(x.size(0)) + ",), got " +
                                  c10::str(t.sizes()));
    }
    auto result = std::make_shared<at::Tensor>();
    return runAsync(
        env,
        [model, x, t, result, precision = spec_.precision, device = spec_.device] {
          at::NoGradGuard noGrad;
          const PrecisionScope scope(precision, device.type());
          *result = model->forward(x, t).to(at::kFloat);
        },
        [result](Napi::Env e) -> Napi::Value { return TensorWrap::wrap(e, *result); });
  });
}

Napi::Value ModelWrap::gradientNorms(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const auto model = live(env);
    const at::Tensor x = TensorWrap::unwrap(info[0], "gradientNorms: x");
    const at::Tensor t = TensorWrap::unwrap(info[1], "gradientNorms: t");
    auto norms = std::make_shared<std::vector<std::pair<std::string, double>>>();
    return runAsync(
        env, [model, x, t, norms] { *norms = models::gradientNorms(*model, x, t); },
        [norms](Napi::Env e) -> Napi::Value {
          Napi::Object out = Napi::Object::New(e);
          for (const auto& [name, norm] : *norms) out.Set(name, norm);
          return out;
        });
  });
}

Napi::Value ModelWrap::profile(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const auto model = live(env);
    const at::Tensor x = TensorWrap::unwrap(info[0], "profile: x");
    const at::Tensor t = TensorWrap::unwrap(info[1], "profile: t");
    const OptionReader opts(info[2].IsUndefined() ? Napi::Object::New(env) : info[2], "profile");
    const bool backward = opts.optionalBoolean("backward").value_or(false);
    const Precision precision = optionalPrecision(opts, "profile", spec_.precision);
    opts.finish();
    requirePrecision(precision, spec_.device, "profile");
    initProfilerHere();
    auto rows = std::make_shared<std::vector<OpTime>>();
    return runAsync(
        env,
        [model, x, t, backward, precision, rows, device = spec_.device] {
          *rows = models::profilePass(*model, x, t, backward, precision, device.type());
        },
        [rows](Napi::Env e) -> Napi::Value {
          Napi::Array out = Napi::Array::New(e, rows->size());
          for (size_t i = 0; i < rows->size(); ++i) {
            Napi::Object row = Napi::Object::New(e);
            row.Set("op", (*rows)[i].name);
            row.Set("calls", static_cast<double>((*rows)[i].calls));
            row.Set("selfMs", (*rows)[i].selfMs);
            row.Set("totalMs", (*rows)[i].totalMs);
            out.Set(i, row);
          }
          return out;
        });
  });
}

Napi::Value ModelWrap::stateDict(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const auto state = models::namedState(*live(env));
    Napi::Array out = Napi::Array::New(env, state.size());
    for (size_t i = 0; i < state.size(); ++i) {
      Napi::Object row = Napi::Object::New(env);
      row.Set("name", state[i].first);
      row.Set("tensor", TensorWrap::wrap(env, state[i].second.detach()));
      out.Set(i, row);
    }
    return out;
  });
}

void ModelWrap::loadStateDict(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  rethrowAsJs(env, [&] {
    if (!info[0].IsObject()) throwTypeError(env, "loadStateDict expects an object of name -> Tensor");
    const Napi::Object given = info[0].As<Napi::Object>();
    const auto model = live(env);
    const models::TensorLookup lookup = [&](const std::string& name) -> std::optional<at::Tensor> {
      if (!given.Has(name)) return std::nullopt;
      return TensorWrap::unwrap(given.Get(name), "tensor '" + name + "'");
    };
    const auto copies = models::matchState(*model, spec_.spec, lookup, given.GetPropertyNames().Length());
    runOnComputeThread([&] { models::loadState(copies); });
  });
}

void ModelWrap::dispose(const Napi::CallbackInfo&) { release(); }

Napi::Value modelsCreate(const Napi::CallbackInfo& info) { return addonData(info.Env()).modelClass.New({info[0]}); }

Napi::Value modelsCheckImageSize(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    if (!info[0].IsString()) throwTypeError(env, "checkImageSize(preset, imageSize): preset must be a preset name");
    const int64_t imageSize = integerArgument(info[1], "checkImageSize: imageSize", 1, kMaxSafeInteger);
    const auto problem = models::imageSizeProblem(info[0].As<Napi::String>().Utf8Value(), imageSize);
    return problem ? Napi::String::New(env, *problem) : env.Null();
  });
}

Napi::Value modelsPresets(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const auto& all = models::presets();
  Napi::Array out = Napi::Array::New(env, all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    Napi::Object row = Napi::Object::New(env);
    row.Set("name", all[i].name);
    row.Set("description", all[i].description);
    row.Set("family", all[i].family);
    row.Set("imageSize", static_cast<double>(all[i].imageSize));
    row.Set("channels", static_cast<double>(all[i].channels));
    row.Set("sizeMultiple", static_cast<double>(all[i].sizeMultiple));
    row.Set("minImageSize", static_cast<double>(all[i].minImageSize));
    row.Set("maxImageSize", static_cast<double>(models::kMaxImageSize));
    out.Set(i, row);
  }
  return out;
}

}  // namespace missingu

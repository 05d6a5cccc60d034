#include "diffusion/bound_denoiser.h"

#include <c10/util/StringUtil.h>
#include <torch/csrc/jit/api/module.h>

#include <stdexcept>
#include <utility>
#include <vector>

#include "models/denoiser.h"
#include "models/model_spec.h"
#ifdef MISSING_U_WITH_CUDA
#include "cuda/graph.h"
#endif

namespace missingu::diffusion {

BoundDenoiser bindModel(std::shared_ptr<models::DenoiserImpl> model, const models::ModelSpec& spec, c10::Device device,
                        Precision precision) {
  BoundDenoiser bound;
  bound.call = [model = std::move(model)](const at::Tensor& x, const at::Tensor& t) { return model->forward(x, t); };
  bound.device = device;
  bound.channels = spec.channels;
  bound.imageSize = spec.imageSize;
  bound.precision = precision;
  return bound;
}

BoundDenoiser bindScript(const torch::jit::Module& script) {
  BoundDenoiser bound;
  bound.call = [module = script](const at::Tensor& x, const at::Tensor& t) mutable {
    const c10::IValue out = module.forward({x, t});
    if (!out.isTensor() || out.toTensor().sizes() != x.sizes()) {
      throw std::runtime_error("the TorchScript denoiser must return a Tensor of x's shape " + c10::str(x.sizes()));
    }
    return out.toTensor();
  };
  for (const at::Tensor& p : script.parameters()) {
    bound.device = p.device();
    break;
  }
  return bound;
}

void setPrecision(BoundDenoiser& denoiser, Precision precision, const std::string& where) {
  denoiser.precision = precision;
  requirePrecision(denoiser.precision, denoiser.device, where);
  if (denoiser.precision == Precision::Fp32) return;
  denoiser.call = [call = denoiser.call](const at::Tensor& x, const at::Tensor& t) {
    return call(x, t).to(at::kFloat);
  };
}

void graphDenoiser(BoundDenoiser& denoiser, const std::string& where) {
#ifdef MISSING_U_WITH_CUDA
  if (!denoiser.device.is_cuda()) {
    throw std::invalid_argument(where + ": cudaGraph needs a denoiser on a CUDA device, not " +
                                c10::str(denoiser.device));
  }
  auto graphed = std::make_shared<cuda::GraphedFunction>([call = denoiser.call](const std::vector<at::Tensor>& in) {
    return std::vector<at::Tensor>{call(in[0], in[1])};
  });
  // Cloned: the graph's output buffer is overwritten by the next step.
  denoiser.call = [graphed](const at::Tensor& x, const at::Tensor& t) { return (*graphed)({x, t})[0].clone(); };
#else
  throw std::invalid_argument(where + ": cudaGraph: true needs the CUDA build of missing-u (npm run build:cuda); " +
                              "this build is CPU-only");
#endif
}

}  // namespace missingu::diffusion

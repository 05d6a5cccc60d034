#include "cuda/graph.h"

#include <ATen/core/grad_mode.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/StringUtil.h>

#include <stdexcept>
#include <string>

namespace missingu::cuda {

struct GraphedFunction::Impl {
  Fn fn;
  int warmups;
  std::vector<at::Tensor> inputs;   // the static buffers the graph reads
  std::vector<at::Tensor> outputs;  // the static buffers the graph writes
  std::unique_ptr<at::cuda::CUDAGraph> graph;

  void capture(const std::vector<at::Tensor>& given) {
    if (given.empty()) throw std::invalid_argument("a CUDA graph needs at least one input tensor");
    const c10::Device device = given[0].device();
    for (const at::Tensor& t : given) {
      if (!t.is_cuda() || t.device() != device) {
        throw std::invalid_argument("a CUDA graph needs all its inputs on one CUDA device, got " +
                                    c10::str(t.device()) + " and " + c10::str(device));
      }
    }
    const c10::cuda::CUDAGuard deviceGuard(device);
    for (const at::Tensor& t : given) inputs.push_back(t.clone());
    // Capture on a side stream, after everything queued so far (a one-time host wait).
    c10::cuda::getCurrentCUDAStream().synchronize();
    const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(false, device.index());
    {
      const c10::cuda::CUDAStreamGuard streamGuard(side);
      for (int i = 0; i < warmups; ++i) fn(inputs);
      side.synchronize();
      graph = std::make_unique<at::cuda::CUDAGraph>();
      // Thread-local: only this (the compute) thread's CUDA calls are restricted while capturing.
      graph->capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
      try {
        outputs = fn(inputs);
        graph->capture_end();
      } catch (...) {
        graph.reset();
        outputs.clear();
        inputs.clear();
        throw;
      }
    }
  }

  void checkMatches(const std::vector<at::Tensor>& given) const {
    if (given.size() != inputs.size()) {
      throw std::invalid_argument("a CUDA graph replays with " + std::to_string(inputs.size()) + " inputs, got " +
                                  std::to_string(given.size()));
    }
    for (size_t i = 0; i < given.size(); ++i) {
      if (given[i].sizes() != inputs[i].sizes() || given[i].scalar_type() != inputs[i].scalar_type() ||
          given[i].device() != inputs[i].device()) {
        throw std::invalid_argument("a CUDA graph replays fixed shapes: input " + std::to_string(i) + " was " +
                                    c10::str(inputs[i].sizes()) + " when captured, now " + c10::str(given[i].sizes()));
      }
    }
  }
};

GraphedFunction::GraphedFunction(Fn fn, int warmups) : impl_(std::make_unique<Impl>()) {
  impl_->fn = std::move(fn);
  impl_->warmups = warmups;
}

GraphedFunction::~GraphedFunction() = default;

std::vector<at::Tensor> GraphedFunction::operator()(const std::vector<at::Tensor>& given) {
  if (at::GradMode::is_enabled()) throw std::invalid_argument("a CUDA graph cannot record gradients");
  if (!impl_->graph) impl_->capture(given);
  impl_->checkMatches(given);
  for (size_t i = 0; i < given.size(); ++i) impl_->inputs[i].copy_(given[i]);
  impl_->graph->replay();
  return impl_->outputs;
}

}  // namespace missingu::cuda

#pragma once
// Capture once, replay many: CUDA graphs for loops that make no host syncs. Compiled only in the
// CUDA build (MISSING_U_WITH_CUDA); plain C++ so that callers need no CUDA headers.
#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <vector>

namespace missingu::cuda {

// A function of CUDA tensors of fixed shapes, run from a CUDA graph. The first call runs fn a few
// times on a side stream (warm-up: lazy initialisation, TorchScript profiling runs), then captures
// one call on static copies of the inputs. Every call copies its inputs into those buffers and
// replays the graph on the current stream. The returned tensors are the graph's own outputs,
// overwritten by the next call: copy what must outlive it.
// fn must be pure, make no host syncs (no .item(), no host copies), keep its shapes, and run with
// gradients off. Untested on hardware so far (no GPU where it was written); see README "CUDA".
class GraphedFunction {
 public:
  using Fn = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>& inputs)>;
  explicit GraphedFunction(Fn fn, int warmups = 3);
  ~GraphedFunction();
  GraphedFunction(const GraphedFunction&) = delete;
  GraphedFunction& operator=(const GraphedFunction&) = delete;

  std::vector<at::Tensor> operator()(const std::vector<at::Tensor>& inputs);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace missingu::cuda

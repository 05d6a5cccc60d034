#include "cuda/stage_update_cuda.h"

#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/ops/empty_like.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <algorithm>

namespace missingu::cuda {
namespace {

constexpr int kThreads = 256;
// Enough blocks to fill an H100 several times over; the grid-stride loop covers the rest.
constexpr int64_t kMaxBlocks = 4096;

template <typename scalar_t, typename acc_t>
struct Terms {
  const scalar_t* k[kMaxStageTerms];
  acc_t c[kMaxStageTerms];
  int count;
};

template <typename scalar_t, typename acc_t>
__global__ void stageUpdateKernel(scalar_t* out, const scalar_t* y, const Terms<scalar_t, acc_t> terms, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    acc_t sum = static_cast<acc_t>(y[i]);
    for (int j = 0; j < terms.count; ++j) sum += terms.c[j] * static_cast<acc_t>(terms.k[j][i]);
    out[i] = static_cast<scalar_t>(sum);
  }
}

bool supportedType(at::ScalarType type) {
  return type == at::kFloat || type == at::kDouble || type == at::kHalf || type == at::kBFloat16;
}

}  // namespace

bool stageUpdateSupported(const at::Tensor& y, const std::vector<at::Tensor>& ks) {
  if (!y.is_cuda() || !y.is_contiguous() || !supportedType(y.scalar_type()) || ks.size() > kMaxStageTerms) {
    return false;
  }
  for (const at::Tensor& k : ks) {
    if (k.device() != y.device() || k.scalar_type() != y.scalar_type() || !k.is_contiguous() ||
        k.sizes() != y.sizes()) {
      return false;
    }
  }
  return true;
}

at::Tensor stageUpdate(const at::Tensor& y, const std::vector<at::Tensor>& ks, const std::vector<double>& coefs) {
  TORCH_CHECK(stageUpdateSupported(y, ks) && coefs.size() == ks.size(), "missing-u: unsupported CUDA stage update");
  const c10::cuda::CUDAGuard guard(y.device());
  at::Tensor out = at::empty_like(y);
  const int64_t n = y.numel();
  if (n == 0) return out;
  const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks);
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, y.scalar_type(), "missingu_stage_update", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    Terms<scalar_t, acc_t> terms{};
    terms.count = static_cast<int>(ks.size());
    for (size_t j = 0; j < ks.size(); ++j) {
      terms.k[j] = ks[j].const_data_ptr<scalar_t>();
      terms.c[j] = static_cast<acc_t>(coefs[j]);
    }
    stageUpdateKernel<scalar_t, acc_t><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
        out.mutable_data_ptr<scalar_t>(), y.const_data_ptr<scalar_t>(), terms, n);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return out;
}

}  // namespace missingu::cuda

#include "models/probe_inputs.h"

#include <ATen/ops/full.h>
#include <ATen/ops/zeros.h>
#include <c10/util/StringUtil.h>

#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace missingu::models {
namespace {

std::string gigabytes(double value) {
  char text[32];
  std::snprintf(text, sizeof text, value >= 1000 ? "%.3g TB" : "%.3g GB", value >= 1000 ? value / 1000 : value);
  return text;
}

}  // namespace

void requireFitsMemory(const std::vector<int64_t>& shape, const std::string& what) {
  double needed = 4e-9;
  for (int64_t size : shape) needed *= static_cast<double>(size);
  const double memory =
      1e-9 * static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  if (needed > memory) {
    throw std::invalid_argument(what + ": an input of [" + c10::Join(", ", shape) + "] alone would take " +
                                gigabytes(needed) + ", more than this machine's " + gigabytes(memory) +
                                " of memory: give a smaller shape");
  }
}

ProbeInputs probeInputs(const std::vector<int64_t>& shape, c10::Device device) {
  const auto options = at::TensorOptions().device(device);
  return {at::zeros(shape, options.dtype(at::kFloat)), at::full({shape[0]}, 500, options.dtype(at::kLong))};
}

}  // namespace missingu::models

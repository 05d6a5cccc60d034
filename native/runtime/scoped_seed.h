#pragma once
// Seeds PyTorch's default CPU generator for one scope and gives it back its former state afterwards,
// for code that draws from it without a generator argument (module initialisation, dropout): the same
// seed gives the same draws, and nothing outside the scope sees a reseeded global generator.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>

namespace missingu {

class ScopedSeed {
 public:
  explicit ScopedSeed(std::optional<uint64_t> seed);  // nullopt: leaves the generator alone
  ~ScopedSeed();
  ScopedSeed(const ScopedSeed&) = delete;
  ScopedSeed& operator=(const ScopedSeed&) = delete;

 private:
  at::Generator generator_;
  at::Tensor saved_;  // undefined when nothing was seeded
};

}  // namespace missingu

#pragma once
// Reads a JS options object, throwing a TypeError that names the option, what it got and what is allowed.
#include <napi.h>

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

namespace missingu {

// The largest integer a JS number holds exactly (Number.MAX_SAFE_INTEGER, 2^53 - 1): no integer option
// may go beyond it, so no conversion to int64 can wrap.
inline constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

// An array of integer sizes, each in [minimum (0 or 1), 2^53 - 1], of exactly `rank` entries when rank > 0.
// TypeErrors name `what` (and `layout`, e.g. "[C, H, W]", when given).
std::vector<int64_t> sizesArgument(const Napi::Value& value, const std::string& what, int64_t minimum, size_t rank = 0,
                                   const std::string& layout = "");

// A positional integer argument in [min, max], checked before conversion; the TypeError names `what`.
int64_t integerArgument(const Napi::Value& value, const std::string& what, int64_t min, int64_t max);

// A seed for PyTorch's generator: a safe integer >= 0 (a TypeError names `what` otherwise).
uint64_t seedArgument(const Napi::Value& value, const std::string& what);

class OptionReader {
 public:
  OptionReader(const Napi::Value& options, std::string where);

  bool has(const std::string& key) const;
  double number(const std::string& key) const;
  double number(const std::string& key, double fallback) const;
  // An integer in [-(2^53 - 1), 2^53 - 1]; `fallback` when the key is absent.
  int64_t integer(const std::string& key, int64_t fallback) const;
  // An integer in [min, max], checked before conversion; a TypeError names the option and the range.
  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) const;
  // A seed: a safe integer >= 0; `fallback` when the key is absent.
  uint64_t seed(const std::string& key, uint64_t fallback = 0) const;
  std::string string(const std::string& key, const std::string& fallback) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::string oneOf(const std::string& key, const std::vector<std::string>& allowed, const std::string& fallback) const;
  at::Tensor tensor(const std::string& key) const;
  std::optional<at::Tensor> optionalTensor(const std::string& key) const;
  Napi::Value value(const std::string& key) const { return object_.Get(key); }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;

  Napi::Object object_;
  std::string where_;
};

}  // namespace missingu

#pragma once
// Reads a JS options object, throwing a TypeError that names the option, what it got and what is allowed.
// The defaults live in lib/'s schemas: the JS side fills them in, so an option without a fallback here
// is required. finish() refuses every key no accessor asked for, by name.
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

// Every accessor marks its key as known (also when the key is absent); finish() then throws a TypeError
// naming the first key that was given but never asked for: "sample: unknown option 'stepz' (known: ...)".
class OptionReader {
 public:
  OptionReader(const Napi::Value& options, std::string where);

  bool has(const std::string& key) const;
  // Required: a TypeError names the key when it is absent or of the wrong kind.
  double number(const std::string& key) const;
  // An integer in [min, max] (default: the safe range), checked before conversion.
  int64_t integer(const std::string& key, int64_t min = -kMaxSafeInteger, int64_t max = kMaxSafeInteger) const;
  uint64_t seed(const std::string& key) const;  // a safe integer >= 0
  std::string string(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::string oneOf(const std::string& key, const std::vector<std::string>& allowed) const;
  at::Tensor tensor(const std::string& key) const;
  // Optional: nullopt when the key is absent (options whose absence means something, such as "the preset's").
  std::optional<double> optionalNumber(const std::string& key) const;
  std::optional<int64_t> optionalInteger(const std::string& key, int64_t min = -kMaxSafeInteger,
                                         int64_t max = kMaxSafeInteger) const;
  std::optional<uint64_t> optionalSeed(const std::string& key) const;
  std::optional<std::string> optionalString(const std::string& key) const;
  std::optional<bool> optionalBoolean(const std::string& key) const;
  std::optional<at::Tensor> optionalTensor(const std::string& key) const;
  // A nested options object (required), read with the same rules; its keys are named "key.inner".
  OptionReader child(const std::string& key) const;
  Napi::Value value(const std::string& key) const;

  // Throws a TypeError naming the first given key that no accessor asked for, with the known ones.
  void finish() const;

 private:
  OptionReader(const Napi::Value& options, std::string where, std::string prefix);
  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;
  std::string named(const std::string& key) const { return prefix_ + key; }

  Napi::Object object_;
  std::string where_;
  std::string prefix_;  // "train." for the keys of options.train
  mutable std::vector<std::string> known_;
};

}  // namespace missingu

#pragma once
// Reads a JS options object, throwing a TypeError that names the option, what it got and what is allowed.
#include <napi.h>

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

namespace missingu {

// An array of integer sizes, each >= minimum (0 or 1), of exactly `rank` entries when rank > 0.
// TypeErrors name `what` (and `layout`, e.g. "[C, H, W]", when given).
std::vector<int64_t> sizesArgument(const Napi::Value& value, const std::string& what, int64_t minimum, size_t rank = 0,
                                   const std::string& layout = "");

class OptionReader {
 public:
  OptionReader(const Napi::Value& options, std::string where);

  bool has(const std::string& key) const;
  double number(const std::string& key) const;
  double number(const std::string& key, double fallback) const;
  int64_t integer(const std::string& key, int64_t fallback) const;
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

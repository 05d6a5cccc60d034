#include "napi/options.h"

#include <c10/util/StringUtil.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "napi/errors.h"
#include "napi/tensor.h"

namespace missingu {
namespace {

std::string describe(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsString()) return "'" + value.As<Napi::String>().Utf8Value() + "'";
  return value.ToString().Utf8Value();
}

std::string bound(int64_t n) {
  if (n == kMaxSafeInteger) return "2^53 - 1";
  if (n == -kMaxSafeInteger) return "-(2^53 - 1)";
  return std::to_string(n);
}

std::string integerRange(int64_t min, int64_t max) { return "an integer in [" + bound(min) + ", " + bound(max) + "]"; }

// Whether `value` is a number holding an integer in [min, max] (both within the safe range, so the
// comparisons in double are exact). Checked before any conversion: 1e20 never becomes an int64.
bool integerWithin(const Napi::Value& value, int64_t min, int64_t max) {
  if (!value.IsNumber()) return false;
  const double n = value.As<Napi::Number>().DoubleValue();
  return std::isfinite(n) && n == std::floor(n) && n >= static_cast<double>(min) && n <= static_cast<double>(max);
}

std::pair<int64_t, int64_t> safeRange(int64_t min, int64_t max) {
  return {std::max(min, -kMaxSafeInteger), std::min(max, kMaxSafeInteger)};
}

}  // namespace

int64_t integerArgument(const Napi::Value& value, const std::string& what, int64_t min, int64_t max) {
  std::tie(min, max) = safeRange(min, max);
  if (!integerWithin(value, min, max)) {
    throwTypeError(value.Env(), what + " must be " + integerRange(min, max) + " (got " + describe(value) + ")");
  }
  return static_cast<int64_t>(value.As<Napi::Number>().DoubleValue());
}

uint64_t seedArgument(const Napi::Value& value, const std::string& what) {
  return static_cast<uint64_t>(integerArgument(value, what, 0, kMaxSafeInteger));
}

std::vector<int64_t> sizesArgument(const Napi::Value& value, const std::string& what, int64_t minimum, size_t rank,
                                   const std::string& layout) {
  const Napi::Env env = value.Env();
  if (!value.IsArray()) throwTypeError(env, what + " must be an array " + (layout.empty() ? "of sizes" : layout));
  const auto array = value.As<Napi::Array>();
  std::vector<int64_t> sizes;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const Napi::Value item = array.Get(i);
    if (!integerWithin(item, minimum, kMaxSafeInteger)) {
      throwTypeError(env, what + "[" + std::to_string(i) + "] must be a " +
                              (minimum >= 1 ? "positive" : "non-negative") + " integer of at most 2^53 - 1 (got " +
                              describe(item) + ")");
    }
    sizes.push_back(static_cast<int64_t>(item.As<Napi::Number>().DoubleValue()));
  }
  if (rank > 0 && sizes.size() != rank) {
    throwTypeError(env, what + " must have " + std::to_string(rank) + " entries " + layout);
  }
  return sizes;
}

OptionReader::OptionReader(const Napi::Value& options, std::string where)
    : OptionReader(options, std::move(where), "") {}

OptionReader::OptionReader(const Napi::Value& options, std::string where, std::string prefix)
    : where_(std::move(where)), prefix_(std::move(prefix)) {
  if (!options.IsObject()) {
    throwTypeError(options.Env(),
                   where_ + (prefix_.empty() ? " expects an options object"
                                             : ": " + prefix_.substr(0, prefix_.size() - 1) + " must be an object"));
  }
  object_ = options.As<Napi::Object>();
}

void OptionReader::fail(const std::string& key, const std::string& expected) const {
  throwTypeError(object_.Env(),
                 where_ + ": " + named(key) + " must be " + expected + " (got " + describe(object_.Get(key)) + ")");
}

Napi::Value OptionReader::value(const std::string& key) const {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
  return object_.Get(key);
}

bool OptionReader::has(const std::string& key) const { return !value(key).IsUndefined(); }

void OptionReader::finish() const {
  const Napi::Array keys = object_.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    if (object_.Get(key).IsUndefined()) continue;  // { steps: undefined } is "not given"
    std::vector<std::string> known;
    for (const std::string& k : known_) known.push_back(named(k));
    throwTypeError(object_.Env(),
                   where_ + ": unknown option '" + named(key) + "' (known: " + c10::Join(", ", known) + ")");
  }
}

OptionReader OptionReader::child(const std::string& key) const {
  if (!value(key).IsObject()) fail(key, "an object");
  return OptionReader(value(key), where_, named(key) + ".");
}

double OptionReader::number(const std::string& key) const {
  const Napi::Value v = value(key);
  if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue())) fail(key, "a finite number");
  return v.As<Napi::Number>().DoubleValue();
}

std::optional<double> OptionReader::optionalNumber(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return number(key);
}

int64_t OptionReader::integer(const std::string& key, int64_t min, int64_t max) const {
  std::tie(min, max) = safeRange(min, max);
  if (!integerWithin(value(key), min, max)) fail(key, integerRange(min, max));
  return static_cast<int64_t>(value(key).As<Napi::Number>().DoubleValue());
}

std::optional<int64_t> OptionReader::optionalInteger(const std::string& key, int64_t min, int64_t max) const {
  if (!has(key)) return std::nullopt;
  return integer(key, min, max);
}

uint64_t OptionReader::seed(const std::string& key) const {
  return static_cast<uint64_t>(integer(key, 0, kMaxSafeInteger));
}

std::optional<uint64_t> OptionReader::optionalSeed(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return seed(key);
}

std::string OptionReader::string(const std::string& key) const {
  if (!value(key).IsString()) fail(key, "a string");
  return value(key).As<Napi::String>().Utf8Value();
}

std::optional<std::string> OptionReader::optionalString(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return string(key);
}

bool OptionReader::boolean(const std::string& key) const {
  if (!value(key).IsBoolean()) fail(key, "true or false");
  return value(key).As<Napi::Boolean>().Value();
}

std::optional<bool> OptionReader::optionalBoolean(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return boolean(key);
}

std::string OptionReader::oneOf(const std::string& key, const std::vector<std::string>& allowed) const {
  const std::string expected = "one of '" + c10::Join("', '", allowed) + "'";
  if (!value(key).IsString()) fail(key, expected);
  const std::string chosen = value(key).As<Napi::String>().Utf8Value();
  if (std::find(allowed.begin(), allowed.end(), chosen) == allowed.end()) fail(key, expected);
  return chosen;
}

at::Tensor OptionReader::tensor(const std::string& key) const {
  return TensorWrap::unwrap(value(key), where_ + ": " + named(key));
}

std::optional<at::Tensor> OptionReader::optionalTensor(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return tensor(key);
}

}  // namespace missingu

#pragma once
// The names of an enum's values, in one table per enum: parsing a name, printing a value, the allowed
// names an error lists and the list the JS side checks its own against (napi/choices_binding.cpp) all
// read that table, so each name is written once.
#include <c10/util/StringUtil.h>

#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace missingu {

template <typename Enum>
class NameTable {
 public:
  NameTable(std::initializer_list<std::pair<const char*, Enum>> entries) {
    for (const auto& [name, value] : entries) {
      names_.emplace_back(name);
      values_.push_back(value);
    }
  }

  std::optional<Enum> find(const std::string& name) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return values_[i];
    }
    return std::nullopt;
  }

  // The value named `name`; std::invalid_argument "unknown <what> '<name>': use a, b or c" otherwise.
  Enum parse(const std::string& name, const std::string& what) const {
    if (const auto value = find(name)) return *value;
    throw std::invalid_argument("unknown " + what + " '" + name + "': use " + alternatives());
  }

  // The name of `value`, or nullptr for a value the table leaves out.
  const std::string* nameOf(Enum value) const {
    for (size_t i = 0; i < values_.size(); ++i) {
      if (values_[i] == value) return &names_[i];
    }
    return nullptr;
  }

  const std::string& name(Enum value) const {
    if (const std::string* found = nameOf(value)) return *found;
    throw std::logic_error("an enum value without a name");
  }

  const std::vector<std::string>& names() const { return names_; }

  // "a, b or c", each name between `quote`s.
  std::string alternatives(const std::string& quote = "") const {
    std::vector<std::string> quoted;
    for (const std::string& n : names_) quoted.push_back(quote + n + quote);
    if (quoted.size() < 2) return c10::Join("", quoted);
    const std::string last = quoted.back();
    quoted.pop_back();
    return c10::Join(", ", quoted) + " or " + last;
  }

 private:
  std::vector<std::string> names_;
  std::vector<Enum> values_;
};

}  // namespace missingu

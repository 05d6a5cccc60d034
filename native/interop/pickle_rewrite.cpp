#include "interop/pickle_rewrite.h"

#include <cstdint>
#include <cstring>
#include <set>

#include "interop/pickle_scanner.h"

namespace missingu::interop {
namespace {

constexpr char kOrderedDict[] = "collections\nOrderedDict\n";

}  // namespace

std::vector<char> plainDicts(const char* data, size_t size, const std::string& what) {
  Scanner in(data, size, what);
  std::vector<char> out;
  out.reserve(size + 4096);
  std::set<uint64_t> orderedDictMemo;
  // Where in `out` each stack item's instructions begin, and the MARKs (stack depth, offset).
  std::vector<size_t> starts;
  std::vector<std::pair<size_t, size_t>> marks;
  const auto apply = [&](const Effect& effect, size_t offset) {
    size_t start = offset;
    if (effect.toMark) {
      if (marks.empty()) in.fail("an instruction needs a MARK that is not there");
      start = marks.back().second;
      starts.resize(marks.back().first);
      marks.pop_back();
    } else if (effect.pops > 0) {
      if (starts.size() < static_cast<size_t>(effect.pops)) in.fail("an instruction pops an empty stack");
      start = starts[starts.size() - effect.pops];
      starts.resize(starts.size() - effect.pops);
    }
    for (int i = 0; i < effect.pushes; ++i) starts.push_back(start);
  };
  const auto emit = [&out](const std::string& bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); };
  // After an OrderedDict reference: `()` then REDUCE, which together become `{}`.
  const auto expectCall = [&] {
    std::string next = instruction(in);
    if (isMemoPut(next)) next = instruction(in);  // a memoised global is followed by its put
    if (next != ")" || instruction(in) != "R") in.fail("collections.OrderedDict is used other than as OrderedDict()");
    apply({0, false, 1}, out.size());
    emit("}");
  };
  while (!in.done()) {
    const std::string op = instruction(in);
    if (op[0] == '\x80' && static_cast<unsigned char>(op[1]) > 2) {
      in.fail("it uses pickle protocol " + std::to_string(static_cast<unsigned char>(op[1])) +
              "; missing-u reads torch.save's default, protocol 2");
    }
    if (op == std::string("c") + kOrderedDict) {
      if (!in.done() && isMemoPut(std::string(1, in.peek()))) orderedDictMemo.insert(memoIndex(instruction(in)));
      expectCall();
    } else if (isMemoGet(op) && orderedDictMemo.count(memoIndex(op)) > 0) {
      expectCall();
    } else if (op == "b") {
      // [dict, state] BUILD -> [dict, '__metadata__', state] SETITEM: the state's bytes (and any memo
      // entries in them that later instructions refer to) stay.
      if (starts.size() < 2) in.fail("BUILD needs an object and its state");
      const std::string key = std::string("X\x0c\x00\x00\x00", 5) + "__metadata__";
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(starts.back()), key.begin(), key.end());
      apply({2, false, 0}, out.size());
      emit("s");
    } else if (op[0] == '(') {
      marks.emplace_back(starts.size(), out.size());
      emit(op);
    } else if (op[0] == 'i' || op[0] == 'o' || op[0] == '2') {
      in.fail("it holds a Python object other than tensors, dicts, lists, tuples, numbers and strings");
    } else {
      apply(effectOf(op[0]), out.size());
      emit(op);
    }
  }
  return out;
}

}  // namespace missingu::interop

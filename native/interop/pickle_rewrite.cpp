#include "interop/pickle_rewrite.h"

#include <cstdint>
#include <cstring>
#include <set>

#include "runtime/error_code.h"

namespace missingu::interop {
namespace {

constexpr char kOrderedDict[] = "collections\nOrderedDict\n";

class Scanner {
 public:
  Scanner(const char* data, size_t size, const std::string& what) : data_(data), size_(size), what_(what) {}

  bool done() const { return at_ >= size_; }
  size_t at() const { return at_; }
  char peek(size_t ahead = 0) const {
    if (at_ + ahead >= size_) fail("it ends inside an instruction");
    return data_[at_ + ahead];
  }
  // Bytes [at, at + n) as one instruction's span, moving past them.
  std::string take(size_t n) {
    if (at_ + n > size_) fail("it ends inside an instruction");
    std::string out(data_ + at_, n);
    at_ += n;
    return out;
  }
  std::string line() {
    const void* end = std::memchr(data_ + at_, '\n', size_ - at_);
    if (end == nullptr) fail("a line argument has no end");
    return take(static_cast<size_t>(static_cast<const char*>(end) - (data_ + at_)) + 1);
  }
  uint64_t little(size_t offset, size_t bytes) const {
    uint64_t value = 0;
    for (size_t i = 0; i < bytes; ++i)
      value |= static_cast<uint64_t>(static_cast<unsigned char>(peek(offset + i))) << (8 * i);
    return value;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw CodedError(ErrorCode::Format, what_ + ": its pickle cannot be read (" + why + ")");
  }

 private:
  const char* data_;
  size_t size_;
  size_t at_ = 0;
  const std::string& what_;
};

// The whole instruction at the scanner (opcode and argument), for protocol 0-2 opcodes.
std::string instruction(Scanner& in) {
  const char op = in.peek();
  switch (op) {
    // No argument.
    case '(':
    case '.':
    case '0':
    case '1':
    case '2':
    case 'N':
    case 'Q':
    case 'R':
    case 'a':
    case 'b':
    case 'd':
    case '}':
    case 'e':
    case 'l':
    case ']':
    case 'o':
    case 's':
    case 't':
    case ')':
    case 'u':
    case '\x81':
    case '\x85':
    case '\x86':
    case '\x87':
    case '\x88':
    case '\x89': return in.take(1);
    case 'K':
    case 'h':
    case 'q':
    case '\x80':
    case '\x82': return in.take(2);
    case 'M':
    case '\x83': return in.take(3);
    case 'J':
    case 'j':
    case 'r':
    case '\x84': return in.take(5);
    case 'G': return in.take(9);
    case 'F':
    case 'I':
    case 'L':
    case 'P':
    case 'S':
    case 'V':
    case 'g':
    case 'p': {
      std::string out = in.take(1);
      return out + in.line();
    }
    case 'c':
    case 'i': {
      std::string out = in.take(1);
      out += in.line();
      return out + in.line();
    }
    case 'T':
    case 'X':
    case 'B': return in.take(5 + in.little(1, 4));
    case 'U':
    case 'C': return in.take(2 + in.little(1, 1));
    case '\x8a': return in.take(2 + in.little(1, 1));
    case '\x8b': return in.take(5 + in.little(1, 4));
    default:
      in.fail("opcode 0x" + std::to_string(static_cast<unsigned char>(op)) +
              " is not in pickle protocol 2, torch.save's default; save with the default pickle_protocol");
  }
}

// How an instruction changes the unpickler's stack: items popped (or all down to the last MARK) and pushed.
struct Effect {
  int pops = 0;
  bool toMark = false;
  int pushes = 0;
};

Effect effectOf(char op) {
  switch (op) {
    case 'N':
    case '\x88':
    case '\x89':
    case 'I':
    case 'J':
    case 'K':
    case 'M':
    case 'L':
    case '\x8a':
    case '\x8b':
    case 'F':
    case 'G':
    case 'S':
    case 'T':
    case 'U':
    case 'V':
    case 'X':
    case 'B':
    case 'C':
    case '}':
    case ']':
    case ')':
    case 'c':
    case 'h':
    case 'j':
    case 'g': return {0, false, 1};
    case 'Q':
    case '\x85': return {1, false, 1};
    case 'R':
    case '\x81':
    case '\x86': return {2, false, 1};
    case '\x87': return {3, false, 1};
    case 't':
    case 'l':
    case 'd': return {0, true, 1};
    case 'e':
    case 'u':
    case '1': return {0, true, 0};
    case 'a':
    case '0': return {1, false, 0};
    case 's': return {2, false, 0};
    default: return {};  // memo puts, PROTO, STOP
  }
}

bool isMemoPut(const std::string& op) { return op[0] == 'q' || op[0] == 'r'; }
bool isMemoGet(const std::string& op) { return op[0] == 'h' || op[0] == 'j'; }
uint64_t memoIndex(const std::string& op) {
  uint64_t value = 0;
  for (size_t i = 1; i < op.size(); ++i)
    value |= static_cast<uint64_t>(static_cast<unsigned char>(op[i])) << (8 * (i - 1));
  return value;
}

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

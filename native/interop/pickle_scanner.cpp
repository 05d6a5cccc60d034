#include "interop/pickle_scanner.h"

#include <cstring>

#include "runtime/error_code.h"

namespace missingu::interop {

std::string Scanner::take(size_t n) {
  if (n > size_ - at_) fail("it ends inside an instruction");
  std::string out(data_ + at_, n);
  at_ += n;
  return out;
}

std::string Scanner::line() {
  const void* end = at_ < size_ ? std::memchr(data_ + at_, '\n', size_ - at_) : nullptr;
  if (end == nullptr) fail("a line argument has no end");
  return take(static_cast<size_t>(static_cast<const char*>(end) - (data_ + at_)) + 1);
}

uint64_t Scanner::little(size_t offset, size_t bytes) const {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(static_cast<unsigned char>(peek(offset + i))) << (8 * i);
  return value;
}

void Scanner::fail(const std::string& why) const {
  throw CodedError(ErrorCode::Format, what_ + ": its pickle cannot be read (" + why + ")");
}

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
    default: {
      const char* digits = "0123456789abcdef";
      const auto byte = static_cast<unsigned char>(op);
      in.fail(std::string("opcode 0x") + digits[byte >> 4] + digits[byte & 15] +
              " is not in pickle protocol 2, torch.save's default; save with the default pickle_protocol");
    }
  }
}

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

uint64_t littleEndian(const std::string& op, size_t from, size_t count) {
  uint64_t value = 0;
  for (size_t i = 0; i < count; ++i)
    value |= static_cast<uint64_t>(static_cast<unsigned char>(op[from + i])) << (8 * i);
  return value;
}

bool isMemoPut(const std::string& op) { return op[0] == 'q' || op[0] == 'r' || op[0] == 'p'; }
bool isMemoGet(const std::string& op) { return op[0] == 'h' || op[0] == 'j' || op[0] == 'g'; }

uint64_t memoIndex(const std::string& op) {
  uint64_t value = 0;
  if (op[0] == 'p' || op[0] == 'g') {
    // A decimal line; digits past 19 only wrap the index, which then names no memo entry.
    for (size_t i = 1; i + 1 < op.size(); ++i) value = value * 10 + static_cast<uint64_t>(op[i] - '0');
    return value;
  }
  return littleEndian(op, 1, op.size() - 1);
}

}  // namespace missingu::interop

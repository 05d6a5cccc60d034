#pragma once
// Reading a pickle one instruction at a time (protocols 0 to 2, what torch.save and torch.jit.save
// write), without running any of it: the shared ground of the pickle rewrite and the storage check.
#include <cstdint>
#include <string>

namespace missingu::interop {

class Scanner {
 public:
  // `what` names the file in every error; the scanner keeps a reference to it.
  Scanner(const char* data, size_t size, const std::string& what) : data_(data), size_(size), what_(what) {}

  bool done() const { return at_ >= size_; }
  char peek(size_t ahead = 0) const {
    if (at_ + ahead >= size_) fail("it ends inside an instruction");
    return data_[at_ + ahead];
  }
  // Bytes [at, at + n) as one instruction's span, moving past them.
  std::string take(size_t n);
  // Up to and including the next newline.
  std::string line();
  // The `bytes`-byte little-endian number `offset` bytes ahead.
  uint64_t little(size_t offset, size_t bytes) const;
  // CodedError(Format): "<what>: its pickle cannot be read (<why>)".
  [[noreturn]] void fail(const std::string& why) const;

 private:
  const char* data_;
  size_t size_;
  size_t at_ = 0;
  const std::string& what_;
};

// The whole instruction at the scanner (opcode and argument), for protocol 0-2 opcodes; an opcode
// outside protocol 2 fails.
std::string instruction(Scanner& in);

// How an instruction changes the unpickler's stack: items popped (or all down to the last MARK) and
// pushed. MARK, memo puts, PROTO, STOP, BUILD and DUP are left to the caller (no effect here).
struct Effect {
  int pops = 0;
  bool toMark = false;
  int pushes = 0;
};
Effect effectOf(char op);

// The `count`-byte little-endian number at op[from].
uint64_t littleEndian(const std::string& op, size_t from, size_t count);

bool isMemoPut(const std::string& op);
bool isMemoGet(const std::string& op);
// The memo index of a BINPUT/LONG_BINPUT/BINGET/LONG_BINGET (binary) or PUT/GET (decimal line).
uint64_t memoIndex(const std::string& op);

}  // namespace missingu::interop

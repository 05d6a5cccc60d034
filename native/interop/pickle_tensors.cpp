#include "interop/pickle_tensors.h"

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_map>

#include "interop/pickle_scanner.h"
#include "runtime/error_code.h"

namespace missingu::interop {
namespace {

// Storage types libtorch reads, by the name torch.<name>Storage, and their element sizes.
const std::map<std::string, int64_t>& itemSizes() {
  static const std::map<std::string, int64_t> sizes = {
      {"Double", 8},      {"Float", 4},        {"Half", 2},          {"BFloat16", 2}, {"Long", 8},
      {"Int", 4},         {"Short", 2},        {"Char", 1},          {"Byte", 1},     {"Bool", 1},
      {"ComplexHalf", 4}, {"ComplexFloat", 8}, {"ComplexDouble", 16}};
  return sizes;
}

// Quantization schemes: libtorch's unpickler turns these torch globals into numbers, never functions.
bool isQScheme(const std::string& name) {
  return name == "per_tensor_affine" || name == "per_channel_affine" || name == "per_tensor_symmetric" ||
         name == "per_channel_symmetric" || name == "per_channel_affine_float_qparams";
}

enum class Kind { Other, Str, Int, Global, Tuple, Storage };

struct Value {
  Kind kind = Kind::Other;
  std::string module, name;                   // Global
  std::string text;                           // Str
  int64_t number = 0;                         // Int; Storage: its index in the list of storages
  std::vector<std::shared_ptr<Value>> items;  // Tuple
  int depth = 1;                              // levels of nesting; a list's or dict's grows as items go in
  bool nested = false;                        // in another value: then its depth is final (see filled)
};
using Ptr = std::shared_ptr<Value>;

Ptr made(Kind kind) {
  auto out = std::make_shared<Value>();
  out->kind = kind;
  return out;
}

Ptr integer(int64_t number) {
  Ptr out = made(Kind::Int);
  out->number = number;
  return out;
}

std::string listText(const std::vector<int64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

// Runs a pickle's instructions on a model of libtorch's unpickler (torch/csrc/jit/serialization/
// unpickler.cpp): the same stack, MARKs and memo, with the values it needs to check tensors.
// libtorch differs from Python's pickle in two ways that matter: NEWOBJ only drops the argument
// tuple, and BUILD, like REDUCE, calls the global below its argument.
class Model {
 public:
  Model(const char* data, size_t size, const std::string& what) : in_(data, size, what), size_(size), what_(what) {}

  std::vector<StorageRef> run() {
    while (!in_.done()) {
      const std::string op = instruction(in_);
      if (op[0] == '.') {
        if (stack_.size() != 1) in_.fail("it stops with " + std::to_string(stack_.size()) + " values, not 1");
        return std::move(storages_);
      }
      step(op);
    }
    in_.fail("it ends without a STOP instruction");
  }

 private:
  [[noreturn]] void refuse(const std::string& why) const { throw CodedError(ErrorCode::Format, what_ + ": " + why); }

  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }

  Ptr pop() {
    if (stack_.size() <= floor()) in_.fail("an instruction pops more values than its stack holds above its MARK");
    Ptr out = std::move(stack_.back());
    stack_.pop_back();
    return out;
  }

  Ptr& top() {
    if (stack_.size() <= floor()) in_.fail("an instruction needs a value that is not on its stack above its MARK");
    return stack_.back();
  }

  std::vector<Ptr> popToMark() {
    if (marks_.empty()) in_.fail("an instruction needs a MARK that is not there");
    const size_t start = marks_.back();
    marks_.pop_back();
    std::vector<Ptr> out(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(start)),
                         std::make_move_iterator(stack_.end()));
    stack_.resize(start);
    return out;
  }

  void nest(Value& outer, Value& inner) {
    if (&outer == &inner) in_.fail("a list or dict contains itself");
    inner.nested = true;
    outer.depth = std::max(outer.depth, inner.depth + 1);
    if (outer.depth > kMaxPickleNesting) {
      in_.fail("its values nest deeper than " + std::to_string(kMaxPickleNesting) + " levels");
    }
  }

  // The list or dict on top of the stack, about to take items. Filling one that is already in another
  // value would deepen that value unseen, so pickles that do (PyTorch's never do) are refused.
  Value& filled() {
    Value& target = *top();
    if (target.nested) in_.fail("a list or dict takes items after it went into another value");
    return target;
  }

  Ptr container(const std::vector<Ptr>& items, Kind kind = Kind::Other) {
    Ptr out = made(kind);
    for (const Ptr& item : items) nest(*out, *item);
    if (kind == Kind::Tuple) out->items = items;
    return out;
  }

  void step(const std::string& op) {
    switch (op[0]) {
      case '(': marks_.push_back(stack_.size()); return;
      case 'X': {
        Ptr s = made(Kind::Str);
        s->text = op.substr(5);
        stack_.push_back(s);
        return;
      }
      case 'K': stack_.push_back(integer(static_cast<unsigned char>(op[1]))); return;
      case 'M': stack_.push_back(integer(static_cast<int64_t>(littleEndian(op, 1, 2)))); return;
      case 'J': stack_.push_back(integer(static_cast<int32_t>(littleEndian(op, 1, 4)))); return;
      case '\x8a': stack_.push_back(long1(op)); return;
      case 'c': stack_.push_back(global(op)); return;
      case 'q':
      case 'r':
      case 'p': {
        const uint64_t index = memoIndex(op);
        if (index >= size_) in_.fail("memo index " + std::to_string(index) + " is past the pickle's size");
        if (stack_.empty()) in_.fail("it memoises a value on an empty stack");
        memo_[index] = stack_.back();
        return;
      }
      case 'h':
      case 'j':
      case 'g': {
        const auto found = memo_.find(memoIndex(op));
        if (found == memo_.end()) in_.fail("it uses memo entry " + std::to_string(memoIndex(op)) + ", never set");
        stack_.push_back(found->second);
        return;
      }
      case 't': stack_.push_back(container(popToMark(), Kind::Tuple)); return;
      case ')': stack_.push_back(made(Kind::Tuple)); return;
      case '\x85':
      case '\x86':
      case '\x87': {
        std::vector<Ptr> items(static_cast<size_t>(op[0] - '\x84'));
        for (auto at = items.rbegin(); at != items.rend(); ++at) *at = pop();
        stack_.push_back(container(items, Kind::Tuple));
        return;
      }
      case 'l':
      case 'd': {
        const std::vector<Ptr> items = popToMark();
        if (op[0] == 'd' && items.size() % 2 != 0) in_.fail("DICT has an odd number of keys and values");
        stack_.push_back(container(items));
        return;
      }
      case 'a': {
        const Ptr item = pop();
        nest(filled(), *item);
        return;
      }
      case 's': {
        const Ptr value = pop();
        const Ptr key = pop();
        Value& target = filled();
        nest(target, *key);
        nest(target, *value);
        return;
      }
      case 'e':
      case 'u': {
        const std::vector<Ptr> items = popToMark();
        if (op[0] == 'u' && items.size() % 2 != 0) in_.fail("SETITEMS has an odd number of keys and values");
        Value& target = filled();
        for (const Ptr& item : items) nest(target, *item);
        return;
      }
      case 'R':
      case 'b': {
        const Ptr args = pop();
        const Ptr callable = pop();
        stack_.push_back(call(*callable, *args));
        return;
      }
      case '\x81':
        pop();
        top();  // the class, which BUILD calls
        return;
      case 'Q': stack_.push_back(storage(*pop())); return;
      case 'P': in_.fail("it has a text persistent id (PERSID), which PyTorch does not write");
      case '0': pop(); return;
      case '1': popToMark(); return;
      case '2': {
        const Ptr copy = top();
        stack_.push_back(copy);
        return;
      }
      case 'o':
      case 'i': stack_.push_back(container(popToMark())); return;
      default: {
        const Effect effect = effectOf(op[0]);
        for (int i = 0; i < effect.pops; ++i) pop();
        for (int i = 0; i < effect.pushes; ++i) stack_.push_back(made(Kind::Other));
      }
    }
  }

  // LONG1: a little-endian two's-complement number of up to 8 bytes (longer ones are no int64).
  static Ptr long1(const std::string& op) {
    const size_t bytes = static_cast<unsigned char>(op[1]);
    if (bytes > 8) return made(Kind::Other);
    uint64_t value = littleEndian(op, 2, bytes);
    if (bytes > 0 && bytes < 8 && (op[1 + bytes] & 0x80) != 0) value |= ~uint64_t{0} << (8 * bytes);
    return integer(static_cast<int64_t>(value));
  }

  Ptr global(const std::string& op) {
    const size_t split = op.find('\n');
    Ptr out = made(Kind::Global);
    out->module = op.substr(1, split - 1);
    out->name = op.substr(split + 1, op.size() - split - 2);
    const bool rebuild = out->module == "torch._utils" || out->module == "torch._tensor";
    if (rebuild && out->name != "_rebuild_tensor_v2" && out->name != "_rebuild_parameter") {
      refuse("it holds a tensor rebuilt by " + out->module + "." + out->name +
             "; missing-u reads dense tensors only (not sparse, quantized or subclassed ones)");
    }
    if (out->module == "torch.distributed.rpc") refuse("it holds a torch.distributed.rpc." + out->name);
    return out;
  }

  Ptr call(const Value& callable, Value& args) {
    if (callable.kind != Kind::Global ||
        (callable.module == "torch" && (callable.name.ends_with("Storage") || isQScheme(callable.name)))) {
      in_.fail("REDUCE or BUILD calls something that is not a function");
    }
    if (callable.module == "torch._utils" && callable.name == "_rebuild_tensor_v2") checkTensor(args);
    Ptr out = made(Kind::Other);
    nest(*out, args);
    return out;
  }

  Ptr storage(const Value& id) {
    const auto isStr = [](const Ptr& v) { return v->kind == Kind::Str; };
    if (id.kind != Kind::Tuple || id.items.size() != 5 || !isStr(id.items[0]) || id.items[0]->text != "storage" ||
        id.items[1]->kind != Kind::Global || !isStr(id.items[2]) || !isStr(id.items[3]) ||
        id.items[4]->kind != Kind::Int) {
      in_.fail("a persistent id is not a tensor storage ('storage', torch.<Dtype>Storage, key, location, numel)");
    }
    const Value& type = *id.items[1];
    const std::string& key = id.items[2]->text;
    const int64_t numel = id.items[4]->number;
    const auto found = type.module == "torch" && type.name.ends_with("Storage")
                           ? itemSizes().find(type.name.substr(0, type.name.size() - 7))
                           : itemSizes().end();
    if (found == itemSizes().end()) {
      refuse("tensor storage " + key + " has type " + type.module + "." + type.name +
             ", which missing-u does not read (it reads float, integer, bool and complex storages)");
    }
    int64_t bytes = 0;
    if (numel < 0 || __builtin_mul_overflow(numel, found->second, &bytes)) {
      refuse("tensor storage " + key + " claims " + std::to_string(numel) + " " + found->first +
             " elements: the file is corrupt");
    }
    storages_.push_back({key, found->first, numel, found->second});
    Ptr out = made(Kind::Storage);
    out->number = static_cast<int64_t>(storages_.size() - 1);
    return out;
  }

  std::vector<int64_t> integers(const Value& tuple) const {
    if (tuple.kind != Kind::Tuple) badTensor();
    std::vector<int64_t> out;
    for (const Ptr& item : tuple.items) {
      if (item->kind != Kind::Int) badTensor();
      out.push_back(item->number);
    }
    return out;
  }

  [[noreturn]] void badTensor() const {
    refuse("a tensor is rebuilt from something other than a storage, an offset, sizes and strides");
  }

  // torch._utils._rebuild_tensor_v2(storage, offset, sizes, strides, ...): every element it can reach
  // must lie in the storage, which libtorch does not check.
  void checkTensor(const Value& args) const {
    if (args.kind != Kind::Tuple || args.items.size() < 4 || args.items[0]->kind != Kind::Storage ||
        args.items[1]->kind != Kind::Int) {
      badTensor();
    }
    const StorageRef& storage = storages_[static_cast<size_t>(args.items[0]->number)];
    const int64_t offset = args.items[1]->number;
    const std::vector<int64_t> sizes = integers(*args.items[2]);
    const std::vector<int64_t> strides = integers(*args.items[3]);
    bool fits = sizes.size() == strides.size() && offset >= 0 && offset <= storage.numel;
    int64_t count = 1, last = offset;
    for (size_t d = 0; fits && d < sizes.size(); ++d) {
      int64_t reach = 0;
      fits = sizes[d] >= 0 && strides[d] >= 0 && !__builtin_mul_overflow(count, sizes[d], &count) &&
             (sizes[d] == 0 || (!__builtin_mul_overflow(strides[d], sizes[d] - 1, &reach) &&
                                !__builtin_add_overflow(last, reach, &last)));
    }
    if (!fits || (count > 0 && last >= storage.numel)) {
      refuse("a tensor with offset " + std::to_string(offset) + ", sizes " + listText(sizes) + " and strides " +
             listText(strides) + " does not fit in tensor storage " + storage.key + " (" +
             std::to_string(storage.numel) + " elements): the file is corrupt");
    }
  }

  Scanner in_;
  size_t size_;
  const std::string& what_;
  std::vector<Ptr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Ptr> memo_;
  std::vector<StorageRef> storages_;
};

}  // namespace

std::vector<StorageRef> pickleStorages(const char* data, size_t size, const std::string& what) {
  return Model(data, size, what).run();
}

}  // namespace missingu::interop

// pytorch_model.bin: the zip archive torch.save writes (>= 1.6), holding
//   <prefix>/data.pkl      a pickle of the state dict, tensors referring to storages through
//                          persistent ids ('storage', torch.FloatStorage, '<key>', 'cpu', numel)
//   <prefix>/data/<key>    each storage's raw little-endian bytes (stored, 64-byte aligned)
//   <prefix>/version, <prefix>/byteorder (optional, "little")
// The unpickler below is deliberately small: it implements the opcodes of pickle protocols 2-4
// that a state dict uses and resolves only the globals listed in kAllowedGlobals; anything else
// (os.system, builtins.eval, ...) is refused before it could mean anything.
#include <torch/torch.h>

#include <cstring>
#include <deque>
#include <unordered_map>

#include "nlp/io/checkpoint.h"
#include "nlp/io/mapped_file.h"
#include "nlp/io/zip.h"
#include "nlp/util/error.h"

namespace nlp::io {
namespace {

struct StorageType {
  const char* global;  // "torch.FloatStorage"
  at::ScalarType type;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", at::kFloat},   {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
    {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong}, {"torch.IntStorage", at::kInt},
    {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},     {"torch.ByteStorage", at::kByte},
    {"torch.BoolStorage", at::kBool},
};
constexpr const char* kOrderedDict = "collections.OrderedDict";
constexpr const char* kRebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr const char* kAllowedList =
    "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, "
    "torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage";

const StorageType* storage_type(const std::string& global) {
  for (const auto& s : kStorageTypes)
    if (global == s.global) return &s;
  return nullptr;
}

// ---- pickle values ----
enum class Kind { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

// Objects live in an arena owned by the unpickler and refer to each other by raw pointer, so
// shared and even cyclic references (possible through the memo) need no ownership tracking and
// nothing is destroyed recursively.
struct Obj {
  Kind kind = Kind::None;
  std::int64_t i = 0;  // Bool, Int
  double f = 0;        // Float
  std::string s;       // Str, Global ("module.name"), Storage (key)
  std::vector<Obj*> items;                      // Tuple, List
  std::vector<std::pair<Obj*, Obj*>> entries;  // Dict (insertion order)
  at::Tensor tensor;                            // Storage (1-D, all elements), Tensor
};

// Loads storage `key` of `numel` elements of `type` (the persistent-id callback).
using StorageLoader = std::function<at::Tensor(const std::string& key, at::ScalarType type, std::uint64_t numel)>;

class Unpickler {
 public:
  Unpickler(std::string where, const std::uint8_t* data, std::size_t size, StorageLoader load)
      : where_(std::move(where)), p_(data), size_(size), load_(std::move(load)) {}

  Obj* run();

 private:
  [[noreturn]] void error(const std::string& msg) const {
    fail(where_, msg + " (at byte " + std::to_string(op_pos_) + ")");
  }
  Obj* make(Kind k) {
    arena_.emplace_back();
    arena_.back().kind = k;
    return &arena_.back();
  }
  const std::uint8_t* take(std::size_t n) {
    if (size_ - pos_ < n) error("truncated pickle: needs " + std::to_string(n) + " more bytes");
    const std::uint8_t* r = p_ + pos_;
    pos_ += n;
    return r;
  }
  std::uint64_t le(std::size_t n) {
    const std::uint8_t* b = take(n);
    std::uint64_t v = 0;
    for (std::size_t k = n; k-- > 0;) v = (v << 8) | b[k];
    return v;
  }
  std::string str(std::uint64_t n) {
    if (n > size_ - pos_) error("truncated pickle: string of " + std::to_string(n) + " bytes runs past the end");
    const std::uint8_t* b = take(static_cast<std::size_t>(n));
    return std::string(reinterpret_cast<const char*>(b), static_cast<std::size_t>(n));
  }
  std::string line() {
    std::size_t start = pos_;
    while (pos_ < size_ && p_[pos_] != '\n') ++pos_;
    if (pos_ == size_) error("truncated pickle: unterminated GLOBAL name");
    return std::string(reinterpret_cast<const char*>(p_ + start), pos_++ - start);
  }
  Obj* pop() {
    if (stack_.size() <= floor()) error("malformed pickle: stack underflow");
    Obj* o = stack_.back();
    stack_.pop_back();
    return o;
  }
  Obj*& top() {
    if (stack_.size() <= floor()) error("malformed pickle: stack underflow");
    return stack_.back();
  }
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<Obj*> pop_mark() {
    if (marks_.empty()) error("malformed pickle: no MARK on the stack");
    std::size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Obj*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  Obj* int_obj(std::int64_t v) {
    Obj* o = make(Kind::Int);
    o->i = v;
    return o;
  }
  Obj* global(const std::string& module, const std::string& name);
  Obj* reduce(Obj* callable, Obj* args);
  Obj* persistent_load(Obj* pid);
  Obj* rebuild_tensor(const std::vector<Obj*>& a);
  std::vector<std::int64_t> int_tuple(Obj* o, const char* what);
  void set_items(Obj* dict, const std::vector<Obj*>& kv);

  std::string where_;
  const std::uint8_t* p_;
  std::size_t size_, pos_ = 0, op_pos_ = 0;
  StorageLoader load_;
  std::deque<Obj> arena_;
  std::vector<Obj*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Obj*> memo_;
  std::unordered_map<std::string, Obj*> storages_;  // by key: views of one storage share it
};

Obj* Unpickler::global(const std::string& module, const std::string& name) {
  const std::string full = module + "." + name;
  if (full != kOrderedDict && full != kRebuildTensorV2 && full != kRebuildParameter && !storage_type(full))
    error("refusing pickle global '" + full + "': a state dict only needs " + kAllowedList);
  Obj* o = make(Kind::Global);
  o->s = full;
  return o;
}

std::vector<std::int64_t> Unpickler::int_tuple(Obj* o, const char* what) {
  if (o->kind != Kind::Tuple && o->kind != Kind::List) error(std::string(what) + ": expected a tuple of integers");
  std::vector<std::int64_t> v;
  for (Obj* x : o->items) {
    if (x->kind != Kind::Int || x->i < 0) error(std::string(what) + ": expected non-negative integers");
    v.push_back(x->i);
  }
  return v;
}

Obj* Unpickler::rebuild_tensor(const std::vector<Obj*>& a) {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  if (a.size() != 6 && a.size() != 7) error("_rebuild_tensor_v2: expected 6 or 7 arguments, got " + std::to_string(a.size()));
  if (a[0]->kind != Kind::Storage) error("_rebuild_tensor_v2: first argument is a " + std::string(kind_name(a[0]->kind)) + ", not a storage");
  if (a[1]->kind != Kind::Int || a[1]->i < 0) error("_rebuild_tensor_v2: storage_offset must be a non-negative integer");
  std::vector<std::int64_t> size = int_tuple(a[2], "_rebuild_tensor_v2: size");
  std::vector<std::int64_t> stride = int_tuple(a[3], "_rebuild_tensor_v2: stride");
  if (size.size() != stride.size())
    error("_rebuild_tensor_v2: size has " + std::to_string(size.size()) + " dims but stride has " + std::to_string(stride.size()));
  if (size.size() > 64) error("_rebuild_tensor_v2: more than 64 dimensions");
  const at::Tensor& base = a[0]->tensor;
  const std::uint64_t numel = static_cast<std::uint64_t>(base.numel());
  const std::uint64_t offset = static_cast<std::uint64_t>(a[1]->i);
  // The view must stay inside the storage: offset + sum((size_i - 1) * stride_i) < numel.
  std::uint64_t view_numel = 1, last = offset;
  bool overflow = false;
  for (std::size_t d = 0; d < size.size(); ++d) {
    auto n = detail::checked_mul(view_numel, static_cast<std::uint64_t>(size[d]));
    overflow |= !n;
    view_numel = n.value_or(0);
    if (size[d] > 0) {
      auto span = detail::checked_mul(static_cast<std::uint64_t>(size[d] - 1), static_cast<std::uint64_t>(stride[d]));
      overflow |= !span || __builtin_add_overflow(last, *span, &last);
    }
  }
  if (overflow || (view_numel > 0 && last >= numel) || offset > numel)
    error("tensor view (storage_offset " + std::to_string(offset) + ", size " + c10::str(c10::IntArrayRef(size)) +
          ", stride " + c10::str(c10::IntArrayRef(stride)) + ") reaches past the end of storage '" + a[0]->s + "' of " +
          std::to_string(numel) + " elements");
  Obj* t = make(Kind::Tensor);
  t->tensor = base.as_strided(size, stride, static_cast<std::int64_t>(offset));
  return t;
}

Obj* Unpickler::reduce(Obj* callable, Obj* args) {
  if (callable->kind != Kind::Global) error("REDUCE on a " + std::string(kind_name(callable->kind)) + ", not a callable");
  if (args->kind != Kind::Tuple) error("REDUCE arguments for '" + callable->s + "' are not a tuple");
  const std::string& g = callable->s;
  if (g == kOrderedDict) {
    if (!args->items.empty()) error("collections.OrderedDict called with arguments (only OrderedDict() is supported)");
    return make(Kind::Dict);
  }
  if (g == kRebuildTensorV2) return rebuild_tensor(args->items);
  if (g == kRebuildParameter) {
    // _rebuild_parameter(data, requires_grad, backward_hooks): the parameter's tensor itself.
    if (args->items.size() != 3 || args->items[0]->kind != Kind::Tensor) error("_rebuild_parameter: expected (tensor, requires_grad, backward_hooks)");
    return args->items[0];
  }
  error("'" + g + "' cannot be called here");
}

Obj* Unpickler::persistent_load(Obj* pid) {
  // ('storage', torch.<Type>Storage, key, location, numel)
  const auto& t = pid->items;
  if (pid->kind != Kind::Tuple || t.size() != 5 || t[0]->kind != Kind::Str || t[0]->s != "storage")
    error("persistent id is not ('storage', type, key, location, numel)");
  if (t[1]->kind != Kind::Global || !storage_type(t[1]->s)) error("persistent id: storage type is not a torch.*Storage global");
  if (t[2]->kind != Kind::Str) error("persistent id: storage key is not a string");
  if (t[3]->kind != Kind::Str) error("persistent id: storage location is not a string");
  if (t[4]->kind != Kind::Int || t[4]->i < 0) error("persistent id: numel is not a non-negative integer");
  const at::ScalarType type = storage_type(t[1]->s)->type;
  auto it = storages_.find(t[2]->s);
  if (it != storages_.end()) {
    if (it->second->tensor.scalar_type() != type || it->second->tensor.numel() != t[4]->i)
      error("storage '" + t[2]->s + "' is referenced with two different types or sizes");
    return it->second;
  }
  Obj* s = make(Kind::Storage);
  s->s = t[2]->s;
  s->tensor = load_(t[2]->s, type, static_cast<std::uint64_t>(t[4]->i));
  storages_.emplace(s->s, s);
  return s;
}

void Unpickler::set_items(Obj* dict, const std::vector<Obj*>& kv) {
  if (dict->kind != Kind::Dict) error("SETITEM(S) on a " + std::string(kind_name(dict->kind)) + ", not a dict");
  if (kv.size() % 2) error("SETITEMS with an odd number of items");
  for (std::size_t k = 0; k < kv.size(); k += 2) dict->entries.emplace_back(kv[k], kv[k + 1]);
}

Obj* Unpickler::run() {
  while (true) {
    op_pos_ = pos_;
    const std::uint8_t op = *take(1);
    switch (op) {
      case 0x80:  // PROTO
        if (le(1) > 5) error("unsupported pickle protocol");
        break;
      case 0x95: le(8); break;  // FRAME (protocol 4): framing only, data follows inline
      case '.': {               // STOP
        Obj* result = pop();
        if (!stack_.empty() || !marks_.empty()) error("malformed pickle: values left on the stack at STOP");
        return result;
      }
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case 'N': stack_.push_back(make(Kind::None)); break;
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        Obj* o = make(Kind::Bool);
        o->i = op == 0x88;
        stack_.push_back(o);
        break;
      }
      case 'J': stack_.push_back(int_obj(static_cast<std::int32_t>(le(4)))); break;  // BININT
      case 'K': stack_.push_back(int_obj(static_cast<std::int64_t>(le(1)))); break;  // BININT1
      case 'M': stack_.push_back(int_obj(static_cast<std::int64_t>(le(2)))); break;  // BININT2
      case 0x8a: {  // LONG1: n-byte little-endian two's complement
        std::uint64_t n = le(1);
        if (n > 8) error("integer wider than 64 bits");
        std::uint64_t v = n ? le(static_cast<std::size_t>(n)) : 0;
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~std::uint64_t{0} << (8 * n);  // sign-extend
        stack_.push_back(int_obj(static_cast<std::int64_t>(v)));
        break;
      }
      case 'G': {  // BINFLOAT (big-endian double)
        const std::uint8_t* b = take(8);
        std::uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | b[k];
        Obj* o = make(Kind::Float);
        std::memcpy(&o->f, &bits, 8);
        stack_.push_back(o);
        break;
      }
      case 'X': case 0x8c: case 0x8d: case 'T': case 'U': {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, BINSTRING, SHORT_BINSTRING
        std::uint64_t n = le(op == 0x8c || op == 'U' ? 1 : op == 0x8d ? 8 : 4);
        Obj* o = make(Kind::Str);
        o->s = str(n);
        stack_.push_back(o);
        break;
      }
      case 'c': {  // GLOBAL "module\nname\n"
        std::string module = line();
        std::string name = line();
        stack_.push_back(global(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        Obj* name = pop();
        Obj* module = pop();
        if (module->kind != Kind::Str || name->kind != Kind::Str) error("STACK_GLOBAL needs two strings");
        stack_.push_back(global(module->s, name->s));
        break;
      }
      case ')': stack_.push_back(make(Kind::Tuple)); break;  // EMPTY_TUPLE
      case ']': stack_.push_back(make(Kind::List)); break;   // EMPTY_LIST
      case '}': stack_.push_back(make(Kind::Dict)); break;   // EMPTY_DICT
      case 't': case 'l': {                                  // TUPLE, LIST (from MARK)
        Obj* o = make(op == 't' ? Kind::Tuple : Kind::List);
        o->items = pop_mark();
        stack_.push_back(o);
        break;
      }
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        std::size_t n = op - 0x84u;
        Obj* o = make(Kind::Tuple);
        o->items.resize(n);
        for (std::size_t k = n; k-- > 0;) o->items[k] = pop();
        stack_.push_back(o);
        break;
      }
      case 'd': {  // DICT (from MARK)
        Obj* o = make(Kind::Dict);
        set_items(o, pop_mark());
        stack_.push_back(o);
        break;
      }
      case 'q': case 'r': case 0x94: {  // BINPUT, LONG_BINPUT, MEMOIZE
        std::uint64_t idx = op == 'q' ? le(1) : op == 'r' ? le(4) : memo_.size();
        memo_[idx] = top();
        break;
      }
      case 'h': case 'j': {  // BINGET, LONG_BINGET
        std::uint64_t idx = le(op == 'h' ? 1 : 4);
        auto it = memo_.find(idx);
        if (it == memo_.end()) error("memo entry " + std::to_string(idx) + " read before it was written");
        stack_.push_back(it->second);
        break;
      }
      case 's': {  // SETITEM
        Obj* v = pop();
        Obj* k = pop();
        set_items(top(), {k, v});
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<Obj*> kv = pop_mark();
        set_items(top(), kv);
        break;
      }
      case 'a': case 'e': {  // APPEND, APPENDS
        std::vector<Obj*> items = op == 'a' ? std::vector<Obj*>{pop()} : pop_mark();
        Obj* list = top();
        if (list->kind != Kind::List) error("APPEND on a " + std::string(kind_name(list->kind)) + ", not a list");
        list->items.insert(list->items.end(), items.begin(), items.end());
        break;
      }
      case 'R': {  // REDUCE
        Obj* args = pop();
        Obj* callable = pop();
        stack_.push_back(reduce(callable, args));
        break;
      }
      case 'b': {  // BUILD: state of an OrderedDict (its `_metadata`) or tensor; not needed
        Obj* state = pop();
        Obj* target = top();
        if (target->kind != Kind::Dict && target->kind != Kind::Tensor)
          error("BUILD on a " + std::string(kind_name(target->kind)));
        (void)state;
        break;
      }
      case 'Q': stack_.push_back(persistent_load(pop())); break;  // BINPERSID
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", op);
        error(std::string("unsupported pickle opcode ") + buf + " (not used by state dicts)");
      }
    }
  }
}

}  // namespace

StateDict load_pytorch_bin(const std::string& path) {
  auto file = detail::MappedFile::open(path);
  if (file->size() >= 2 && file->data()[0] == 0x80)
    fail(path, "legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with torch >= 1.6 "
               "or convert it to safetensors");
  detail::ZipArchive zip(file);

  // The archive's records share one top-level folder (the name torch.save was given).
  const detail::ZipEntry* pkl = nullptr;
  for (const auto& [name, e] : zip.entries()) {
    auto slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      if (pkl) fail(path, "archive holds two data.pkl records ('" + pkl->name + "' and '" + name + "')");
      pkl = &e;
    }
  }
  if (!pkl) fail(path, "archive has no '<name>/data.pkl' record (not a torch.save checkpoint)");
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - std::strlen("data.pkl"));
  if (const detail::ZipEntry* bo = zip.find(prefix + "byteorder")) {
    const std::uint8_t* b = zip.data(*bo);
    if (std::string(reinterpret_cast<const char*>(b), bo->size) != "little")
      fail(path, "record '" + bo->name + "': only little-endian checkpoints are supported");
  }

  auto load_storage = [&](const std::string& key, at::ScalarType type, std::uint64_t numel) {
    const std::string rec = prefix + "data/" + key;
    const detail::ZipEntry* e = zip.find(rec);
    if (!e) fail(path, "missing record '" + rec + "' (storage '" + key + "' referenced by data.pkl)");
    const std::uint64_t itemsize = c10::elementSize(type);
    auto bytes = detail::checked_mul(numel, itemsize);
    if (!bytes || *bytes != e->size)
      fail(path, "record '" + rec + "' holds " + std::to_string(e->size) + " bytes but its storage of " +
                     std::to_string(numel) + " " + c10::toString(type) + " elements needs " +
                     (bytes ? std::to_string(*bytes) : std::string("more than 2^64")) + " (numel * itemsize)");
    std::uint8_t* p = zip.data(*e);
    auto opts = at::TensorOptions().dtype(type).device(at::kCPU);
    const auto n = static_cast<std::int64_t>(numel);
    if (type == at::kBool)
      for (std::uint64_t k = 0; k < e->size; ++k)
        if (p[k] > 1) fail(path, "record '" + rec + "': bool storage holds byte value " + std::to_string(p[k]));
    if (reinterpret_cast<std::uintptr_t>(p) % itemsize == 0) return at::from_blob(p, {n}, [file](void*) {}, opts);
    at::Tensor t = at::empty({n}, opts);
    if (*bytes) std::memcpy(t.data_ptr(), p, *bytes);
    return t;
  };

  const std::uint8_t* pk = zip.data(*pkl);
  Unpickler up(path + ": " + pkl->name, pk, pkl->size, load_storage);
  Obj* root = up.run();
  if (root->kind != Kind::Dict)
    fail(path, pkl->name + ": top-level object is a " + std::string(kind_name(root->kind)) + ", not a state dict");
  StateDict out;
  for (const auto& [k, v] : root->entries) {
    if (k->kind != Kind::Str) fail(path, pkl->name + ": state dict key is a " + std::string(kind_name(k->kind)) + ", not a string");
    if (v->kind != Kind::Tensor)
      fail(path, pkl->name + ": state dict entry '" + k->s + "' is a " + kind_name(v->kind) + ", not a tensor");
    out[k->s] = v->tensor;  // a repeated key keeps the last value, as a Python dict does
  }
  return out;
}

}  // namespace nlp::io

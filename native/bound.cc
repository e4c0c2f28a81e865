// The int-sized options (int, unsigned, boolean) behind one get(fd, id) and one
// set(fd, id, value), the table of [level, optname, kind] fixed when the registry is
// resolved at load time.
#include "bound.h"

#include <cstring>
#include <vector>

#include "args.h"
#include "kinds.h"
#include "sys.h"

namespace sockopt {

namespace {

struct Bound {
  int level;
  int optname;
  int kind;
};


// The one get and set of an int-sized option.
napi_value GetOne(napi_env env, napi_value fdArg, const Bound& b) {
  int32_t fd;
  if (!ReadInt32Value(env, fdArg, "fd", &fd)) return nullptr;
  if (fd < 0) {
    ThrowRangeError(Napi::Env(env), "The \"fd\" argument must be >= 0");
    return nullptr;
  }
  int value = 0;
  uint32_t len = sizeof value;
  int err = SysGet(fd, b.level, b.optname, &value, &len);
  if (err != 0) {
    ThrowSystemError(Napi::Env(env), err, "getsockopt");
    return nullptr;
  }
  if (len == 1) value = *reinterpret_cast<unsigned char*>(&value);
  napi_value result;
  if (b.kind == kBool) napi_get_boolean(env, value != 0, &result);
  else if (b.kind == kUint) napi_create_uint32(env, static_cast<uint32_t>(value), &result);
  else napi_create_int32(env, value, &result);
  return result;
}

napi_value SetOne(napi_env env, napi_value fdArg, napi_value valueArg, const Bound& b) {
  int32_t fd, value;
  if (!ReadInt32Value(env, fdArg, "fd", &fd) || !ReadInt32Value(env, valueArg, "value", &value)) return nullptr;
  if (fd < 0) {
    ThrowRangeError(Napi::Env(env), "The \"fd\" argument must be >= 0");
    return nullptr;
  }
  int v = value;
  int err = SysSet(fd, b.level, b.optname, &v, sizeof v);
  if (err != 0) ThrowSystemError(Napi::Env(env), err, "setsockopt");
  return nullptr;
}

// Every int-sized option behind one get(fd, id) and one set(fd, id, value): a caller that
// reads many options calls the same native function each time, which V8 calls directly
// from optimized code; calling one bound function per option from one place is a
// megamorphic call, which goes through V8's slow generic path for API functions.
struct Table {
  std::vector<Bound> entries;
};

const Bound* Entry(napi_env env, napi_value idArg, const Table* t) {
  int32_t id;
  if (!ReadInt32Value(env, idArg, "id", &id)) return nullptr;
  if (id < 0 || static_cast<size_t>(id) >= t->entries.size()) {
    ThrowRangeError(Napi::Env(env), "The \"id\" argument is not an option of this table");
    return nullptr;
  }
  return &t->entries[static_cast<size_t>(id)];
}

napi_value TableGet(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[2];
  size_t argc = 2;
  void* data;
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data);
  const Bound* b = Entry(env, argv[1], static_cast<const Table*>(data));
  return b == nullptr ? nullptr : GetOne(env, argv[0], *b);
}

napi_value TableSet(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[3];
  size_t argc = 3;
  void* data;
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data);
  const Bound* b = Entry(env, argv[1], static_cast<const Table*>(data));
  return b == nullptr ? nullptr : SetOne(env, argv[0], argv[2], *b);
}

// [get, set]: two native functions, each owning its own copy of `data` (freed with that
// function, so either may be kept alone). Should a finalizer not attach, its copy is never
// freed: a leak, never a use after free.
template <typename Data>
Napi::Value FunctionPair(Napi::Env env, napi_callback get, napi_callback set, const Data& data) {
  napi_value fns[2];
  napi_callback cbs[2] = {get, set};
  const char* names[2] = {"get", "set"};
  for (int i = 0; i < 2; i++) {
    Data* d = new Data(data);
    if (napi_create_function(env, names[i], NAPI_AUTO_LENGTH, cbs[i], d, &fns[i]) != napi_ok) {
      delete d;
      ThrowTypeError(env, "could not create the option's native function");
      return Napi::Value();
    }
    napi_add_finalizer(env, fns[i], d, [](napi_env, void* p, void*) { delete static_cast<Data*>(p); }, nullptr, nullptr);
  }
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, Napi::Value(env, fns[0]));
  pair.Set(1u, Napi::Value(env, fns[1]));
  return pair;
}

// bindTable(Int32Array [level, optname, kind]*) → [get(fd, id), set(fd, id, value)],
// id being the entry's index. Each function owns a copy of the table.
Napi::Value BindTable(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  const uint8_t* bytes;
  size_t len;
  bool isInt32 = false;
  if (info[0].IsTypedArray()) isInt32 = info[0].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
  if (!isInt32 || !ReadBytes(env, info[0], "table", &bytes, &len)) {
    if (!info.Env().IsExceptionPending()) ThrowTypeError(info.Env(), "The \"table\" argument must be an Int32Array of [level, optname, kind] entries");
    return Napi::Value();
  }
  size_t count = len / (3 * sizeof(int32_t));
  Table table;
  table.entries.reserve(count);
  for (size_t i = 0; i < count; i++) {
    int32_t e[3];
    std::memcpy(e, bytes + i * sizeof e, sizeof e);  // the view may be unaligned or shared
    if (e[2] < kInt || e[2] > kBool) {
      ThrowRangeError(info.Env(), "The \"table\" entries' kind must be 0 (int), 1 (unsigned) or 2 (boolean)");
      return Napi::Value();
    }
    table.entries.push_back(Bound{e[0], e[1], e[2]});
  }
  return FunctionPair(info.Env(), TableGet, TableSet, table);
}

}  // namespace

void RegisterBound(Napi::Env env, Napi::Object exports) {
  exports.Set("bindTable", Napi::Function::New(env, BindTable, "bindTable"));
}

}  // namespace sockopt

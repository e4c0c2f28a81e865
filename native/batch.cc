// setMany: several options of one socket in one crossing, for per-connection tuning.
// Every entry is checked before the first syscall; then the options are set in order and
// the first refusal stops the batch. The options before it stay set (no rollback: undoing
// would take more syscalls that can fail too); the error says how many were set.
#include "batch.h"

#ifdef _WIN32
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

#include <cmath>
#include <cstring>

#include "args.h"
#include "codecs.h"
#include "kinds.h"
#include "sys.h"

namespace sockopt {

namespace {


struct Entry {
  int level;
  int optname;
  int32_t kind;
  double value;
};

// Reads and checks entry i; throws (coded TypeError/RangeError) and returns false if unusable.
bool CheckEntry(napi_env env, const int32_t* plan, const double* values, uint32_t i, napi_value strings, char* text,
                uint32_t* textLen, Entry* e) {
  e->level = plan[3 * i];
  e->optname = plan[3 * i + 1];
  e->kind = plan[3 * i + 2];
  e->value = values[i];
  double v = e->value;
  switch (e->kind) {
    case kBatchInt:
      if (!(v >= INT32_MIN && v <= INT32_MAX) || static_cast<double>(static_cast<int32_t>(v)) != v) break;
      return true;
    case kBatchTimeval:
      if (!std::isnan(v) && !(v >= 0 && v <= kMaxTimeoutMs)) break;
      return true;
    case kBatchLinger:
      if (!std::isnan(v) && !(v >= 0 && v <= INT32_MAX && std::trunc(v) == v)) break;
      return true;
    case kBatchString: {
      napi_value s;
      size_t n = 0;
      bool isArray = false;
      if (strings != nullptr) napi_is_array(env, strings, &isArray);
      napi_status got = napi_invalid_arg;
      if (isArray && v >= 0 && v < kMaxEntries && std::trunc(v) == v) {
        got = napi_get_element(env, strings, static_cast<uint32_t>(v), &s);  // may run a getter
        if (got == napi_pending_exception) return false;  // that getter threw: let its error through
        if (got == napi_ok) {
          napi_valuetype type;
          napi_typeof(env, s, &type);
          if (type == napi_string) {
            got = napi_get_value_string_utf8(env, s, text, kMaxString, &n);
          } else {
            // An interface name's own bytes (SO_BINDTODEVICE given a Buffer): copied as they are.
            const uint8_t* bytes;
            size_t len;
            if (!ReadBytes(env, s, "strings[i]", &bytes, &len)) return false;
            n = len < kMaxString ? len : kMaxString;
            if (n > 0) std::memcpy(text, bytes, n < kMaxString - 1 ? n : kMaxString - 1);
          }
        }
      }
      if (got != napi_ok) {
        ThrowTypeError(Napi::Env(env), "A string entry of the batch must index a string in \"strings\"");
        return false;
      }
      // A string that filled the buffer may have been cut: refuse rather than set a prefix.
      if (n + 1 >= kMaxString || std::memchr(text, 0, n) != nullptr) {
        ThrowRangeError(Napi::Env(env), "A string value must be shorter than 256 bytes and contain no NUL");
        return false;
      }
      *textLen = static_cast<uint32_t>(n);
      return true;
    }
    default:
      ThrowRangeError(Napi::Env(env), "A batch entry's kind must be 0 (int), 1 (timeval), 2 (linger) or 3 (string)");
      return false;
  }
  ThrowRangeError(Napi::Env(env), "A batch value is out of range for its kind");
  return false;
}

int Apply(int fd, const Entry& e, const char* text, uint32_t textLen) {
  switch (e.kind) {
    case kBatchInt: {
      int v = static_cast<int32_t>(e.value);
      return SysSet(fd, e.level, e.optname, &v, sizeof v);
    }
    case kBatchTimeval: {
      struct timeval tv = TimevalFromMs(std::isnan(e.value) ? 0 : e.value);
      return SysSet(fd, e.level, e.optname, &tv, sizeof tv);
    }
    case kBatchLinger: {
      struct linger l;
      std::memset(&l, 0, sizeof l);
      l.l_onoff = std::isnan(e.value) ? 0 : 1;
      l.l_linger = std::isnan(e.value) ? 0 : static_cast<decltype(l.l_linger)>(e.value);
      return SysSet(fd, e.level, e.optname, &l, sizeof l);
    }
    default:
      return SysSet(fd, e.level, e.optname, text, textLen);
  }
}

bool Int32ArrayOf(napi_env env, napi_value v, int32_t** data, size_t* count) {
  napi_typedarray_type type;
  void* ptr = nullptr;
  // napi_get_typedarray_info refuses anything but a TypedArray (napi_invalid_arg).
  if (napi_get_typedarray_info(env, v, &type, count, &ptr, nullptr, nullptr) != napi_ok || type != napi_int32_array) return false;
  *data = static_cast<int32_t*>(ptr);
  return true;
}

bool Float64ArrayOf(napi_env env, napi_value v, double** data, size_t* count) {
  napi_typedarray_type type;
  void* ptr = nullptr;
  if (napi_get_typedarray_info(env, v, &type, count, &ptr, nullptr, nullptr) != napi_ok || type != napi_float64_array) return false;
  *data = static_cast<double*>(ptr);
  return true;
}

// setMany(fd, count, plan: Int32Array [level, optname, kind]*, values: Float64Array, strings?: (string | Buffer)[])
napi_value SetMany(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[5];
  size_t argc = 5;
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  int32_t fd, count;
  if (!ReadInt32Value(env, argv[0], "fd", &fd) || !ReadInt32Value(env, argv[1], "count", &count)) return nullptr;
  if (fd < 0 || count < 0 || static_cast<uint32_t>(count) > kMaxEntries) {
    ThrowRangeError(Napi::Env(env), "The \"fd\" argument must be >= 0 and \"count\" between 0 and 64");
    return nullptr;
  }
  int32_t* plan;
  double* values;
  size_t planLen, valuesLen;
  // Lengths come from the views (a detached one reports 0), so nothing is read past an end.
  if (!Int32ArrayOf(env, argv[2], &plan, &planLen) || !Float64ArrayOf(env, argv[3], &values, &valuesLen)) {
    ThrowTypeError(Napi::Env(env), "The \"plan\" and \"values\" arguments must be an Int32Array and a Float64Array");
    return nullptr;
  }
  uint32_t n = static_cast<uint32_t>(count);
  if (planLen < 3 * static_cast<size_t>(n) || valuesLen < n) {
    ThrowRangeError(Napi::Env(env), "\"plan\" must hold 3 and \"values\" 1 element per entry");
    return nullptr;
  }
  napi_valuetype st = napi_undefined;
  napi_typeof(env, argv[4], &st);
  napi_value strings = st == napi_undefined ? nullptr : argv[4];
  // Copied out and checked first: what the kernel gets cannot change under it (a view
  // shared with another thread, a getter on the strings array), and a bad entry anywhere
  // refuses the batch before the first syscall. On the stack: a getter may re-enter.
  Entry entries[kMaxEntries];
  char texts[kMaxStrings][kMaxString];
  uint32_t textLens[kMaxStrings];
  uint32_t textIndex[kMaxEntries];
  uint32_t strCount = 0;
  for (uint32_t i = 0; i < n; i++) {
    textIndex[i] = 0;
    if (plan[3 * i + 2] == kBatchString) {
      if (strCount == kMaxStrings) {
        ThrowRangeError(Napi::Env(env), "A batch may hold at most 8 string values");
        return nullptr;
      }
      textIndex[i] = strCount++;
    }
    if (!CheckEntry(env, plan, values, i, strings, texts[textIndex[i]], &textLens[textIndex[i]], &entries[i])) return nullptr;
  }
  for (uint32_t i = 0; i < n; i++) {
    int err = Apply(fd, entries[i], texts[textIndex[i]], textLens[textIndex[i]]);
    if (err == 0) continue;
    ThrowSystemError(Napi::Env(env), err, "setsockopt");
    napi_value e, index;
    napi_get_and_clear_last_exception(env, &e);
    napi_create_uint32(env, i, &index);
    napi_set_named_property(env, e, "index", index);
    napi_throw(env, e);
    return nullptr;
  }
  return nullptr;
}

}  // namespace

void RegisterBatch(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "setMany", NAPI_AUTO_LENGTH, SetMany, nullptr, &fn);
  exports.Set("setMany", fn);
}

}  // namespace sockopt

#include "inspect.h"

#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#endif

#include <cerrno>
#include <cstring>

#include "args.h"
#include "codecs.h"
#include "slots.h"
#include "sys.h"

namespace sockopt {

namespace {

#ifdef SO_PEERCRED
// getPeerCred(fd) → { pid, uid, gid } of the process at the other end of a unix socket, or null.
Napi::Value GetPeerCred(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ReadFd(info, 0, &fd)) return Napi::Value();
  struct ucred cred;
  std::memset(&cred, 0, sizeof cred);
  uint32_t len = sizeof cred;
  int err = SysGet(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
  if (err != 0) {
    ThrowSystemError(info.Env(), err, "getsockopt");
    return Napi::Value();
  }
  // A socket with no peer process (TCP, UDP, an unconnected unix socket) has no
  // credentials; the kernel answers pid 0, uid and gid -1 (cred_to_ucred) rather than an
  // error. That is "no peer": null, not a uid of 4294967295.
  if (cred.pid == 0 && cred.uid == static_cast<uid_t>(-1) && cred.gid == static_cast<gid_t>(-1)) {
    return info.Env().Null();
  }
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("pid", Napi::Number::New(info.Env(), cred.pid));
  o.Set("uid", Napi::Number::New(info.Env(), cred.uid));
  o.Set("gid", Napi::Number::New(info.Env(), cred.gid));
  return o;
}
#endif

#ifndef _WIN32
// One address into out[0..2] = [family, port, errno] and its text (IP literal or unix
// path; "" when there is none). Numbers travel in the caller's Int32Array and the JS
// side builds the object: named properties set from C++ cost more than the syscall.
Napi::Value NameOf(Napi::Env env, int fd, bool peer, int32_t* out) {
  char text[kAddressCell];
  size_t n = AddressOf(fd, peer, out, text);
  return Napi::String::New(env, text, n);
}
#endif

// readOptions(fd, specs: Int32Array [level, optname, kind]*, nums: Float64Array,
//             errs: Int32Array, wide: BigUint64Array, names: Int32Array(6))
//   → [each string option's value in spec order…, local address text, peer address text]
// Everything snapshot() reads but TCP_INFO, in one crossing: per spec, errs[i] = errno (0 =
// read) and the value in nums[i] (kind 0 int, 1 timeval as ms, 2 linger as seconds or NaN
// when off), in wide[i] (4: uint64) or in the returned array (3: string). The addresses as
// NameOf gives them. The JS side turns the numbers into the option's type.
Napi::Value ReadOptions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  if (!ReadFd(info, 0, &fd)) return Napi::Value();
  auto typed = [&](size_t i, napi_typedarray_type want, size_t* count) -> void* {
    napi_typedarray_type type;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, info[i], &type, count, &data, nullptr, nullptr) != napi_ok || type != want) return nullptr;
    return data != nullptr ? data : reinterpret_cast<void*>(1);  // a zero-length view is still the right type
  };
  size_t nSpecs = 0, nNums = 0, nErrs = 0, nWide = 0, nNames = 0;
  auto* specs = static_cast<int32_t*>(typed(1, napi_int32_array, &nSpecs));
  auto* nums = static_cast<double*>(typed(2, napi_float64_array, &nNums));
  auto* errs = static_cast<int32_t*>(typed(3, napi_int32_array, &nErrs));
  auto* wide = static_cast<uint64_t*>(typed(4, napi_biguint64_array, &nWide));
  auto* names = static_cast<int32_t*>(typed(5, napi_int32_array, &nNames));
  if (!specs || !nums || !errs || !wide || !names) {
    ThrowTypeError(env, "readOptions takes (fd, Int32Array, Float64Array, Int32Array, BigUint64Array, Int32Array)");
    return Napi::Value();
  }
  size_t n = nSpecs / 3;
  if (nNums < n || nErrs < n || nWide < n || nNames < 6) {
    ThrowRangeError(env, "nums, errs and wide must hold one element per spec, names six");
    return Napi::Value();
  }
  Napi::Array texts = Napi::Array::New(env);
  uint32_t t = 0;
  for (size_t i = 0; i < n; i++) {
    int level = specs[3 * i], optname = specs[3 * i + 1], kind = specs[3 * i + 2];
    char buf[kStringCell];
    errs[i] = ReadSlot(fd, level, optname, kind == kSlotBytes ? -1 : kind, &nums[i], &wide[i], buf, sizeof buf);
    if (kind == kSlotString) {
      // The text array holds one entry per string slot, "" where the kernel refused it.
      size_t len = errs[i] == 0 ? static_cast<size_t>(nums[i]) : 0;
      texts.Set(t++, Napi::String::New(env, buf, len));
      nums[i] = 0;
    }
  }
#ifndef _WIN32
  texts.Set(t++, NameOf(env, fd, false, names));
  texts.Set(t++, NameOf(env, fd, true, names + 3));
#else
  for (int k = 0; k < 6; k++) names[k] = 0;
  names[2] = names[5] = ENOTSUP;
  texts.Set(t++, Napi::String::New(env, ""));
  texts.Set(t++, Napi::String::New(env, ""));
#endif
  return texts;
}

}  // namespace

void RegisterInspect(Napi::Env env, Napi::Object exports) {
  exports.Set("readOptions", Napi::Function::New(env, ReadOptions, "readOptions"));
#ifdef SO_PEERCRED
  exports.Set("getPeerCred", Napi::Function::New(env, GetPeerCred, "getPeerCred"));
#endif
}

}  // namespace sockopt

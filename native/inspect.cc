#include "inspect.h"

#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#endif

#include <cstring>

#include "args.h"
#include "sys.h"

namespace sockopt {

namespace {

// getIntBatch(fd, specs: Int32Array [level, optname]*, out: Int32Array [value, errno]*)
// One crossing for the many int-sized options a snapshot reads.
Napi::Value GetIntBatch(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ReadFd(info, 0, &fd)) return Napi::Value();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      !info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowTypeError(info.Env(), "specs and out must be Int32Arrays");
    return Napi::Value();
  }
  Napi::Int32Array specs = info[1].As<Napi::Int32Array>();
  Napi::Int32Array out = info[2].As<Napi::Int32Array>();
  size_t n = specs.ElementLength() / 2;
  if (out.ElementLength() < n * 2) {
    ThrowRangeError(info.Env(), "out must hold two Int32 per spec");
    return Napi::Value();
  }
  for (size_t i = 0; i < n; i++) {
    int value = 0;
    uint32_t len = sizeof value;
    int err = SysGet(fd, specs[2 * i], specs[2 * i + 1], &value, &len);
    if (err == 0 && len == 1) value = *reinterpret_cast<unsigned char*>(&value);
    out[2 * i] = err == 0 ? value : 0;
    out[2 * i + 1] = err;
  }
  return info.Env().Undefined();
}

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
  struct sockaddr_storage ss;
  std::memset(&ss, 0, sizeof ss);
  socklen_t len = sizeof ss;
  int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  out[0] = rc == 0 ? ss.ss_family : 0;
  out[1] = 0;
  out[2] = rc == 0 ? 0 : errno;
  if (rc != 0) return Napi::String::New(env, "");
  char text[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    out[1] = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    out[1] = ntohs(a->sin6_port);
  } else if (ss.ss_family == AF_UNIX) {
    // The kernel's length, not strlen: abstract names start with NUL and are not terminated.
    auto* a = reinterpret_cast<sockaddr_un*>(&ss);
    size_t max = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    if (max > sizeof a->sun_path) max = sizeof a->sun_path;
    size_t n = strnlen(a->sun_path, max);
    if (n == 0 && max > 0) {  // abstract: libuv binds with the NUL padding counted; Node shows '\0name'
      n = max;
      while (n > 1 && a->sun_path[n - 1] == '\0') n--;
    }
    return Napi::String::New(env, a->sun_path, n);
  }
  return Napi::String::New(env, text);
}

// sockNames(fd, out: Int32Array(6)) → [localText, peerText]; out = [family, port, errno] × 2
// (local, then peer). Both addresses in one crossing, for snapshot().
Napi::Value SockNames(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ReadFd(info, 0, &fd)) return Napi::Value();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::Int32Array>().ElementLength() < 6) {
    ThrowTypeError(info.Env(), "out must be an Int32Array of at least 6 elements");
    return Napi::Value();
  }
  int32_t* out = info[1].As<Napi::Int32Array>().Data();
  Napi::Env env = info.Env();
  Napi::Array texts = Napi::Array::New(env, 2);
  texts.Set(uint32_t{0}, NameOf(env, fd, false, out));
  texts.Set(uint32_t{1}, NameOf(env, fd, true, out + 3));
  return texts;
}
#endif

}  // namespace

void RegisterInspect(Napi::Env env, Napi::Object exports) {
  exports.Set("getIntBatch", Napi::Function::New(env, GetIntBatch, "getIntBatch"));
#ifdef SO_PEERCRED
  exports.Set("getPeerCred", Napi::Function::New(env, GetPeerCred, "getPeerCred"));
#endif
#ifndef _WIN32
  exports.Set("sockNames", Napi::Function::New(env, SockNames, "sockNames"));
#endif
}

}  // namespace sockopt

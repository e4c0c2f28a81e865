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
// getPeerCred(fd) → { pid, uid, gid } of the process at the other end of a unix socket.
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
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("pid", Napi::Number::New(info.Env(), cred.pid));
  o.Set("uid", Napi::Number::New(info.Env(), cred.uid));
  o.Set("gid", Napi::Number::New(info.Env(), cred.gid));
  return o;
}
#endif

#ifndef _WIN32
void SetInet(Napi::Object o, const char* name, int family, const void* addr, uint16_t netPort) {
  char text[INET6_ADDRSTRLEN] = {0};
  inet_ntop(family, addr, text, sizeof text);
  o.Set("family", name);
  o.Set("address", text);
  o.Set("port", ntohs(netPort));
}

// sockName(fd, peer) → { family, address, port } or { family: 'unix', path }, or null if unconnected.
Napi::Value SockName(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ReadFd(info, 0, &fd)) return Napi::Value();
  bool peer = info[1].ToBoolean();
  struct sockaddr_storage ss;
  std::memset(&ss, 0, sizeof ss);
  socklen_t len = sizeof ss;
  int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  Napi::Env env = info.Env();
  if (rc != 0) {
    if (errno == ENOTCONN) return env.Null();
    ThrowSystemError(env, errno, peer ? "getpeername" : "getsockname");
    return Napi::Value();
  }
  Napi::Object o = Napi::Object::New(env);
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    SetInet(o, "IPv4", AF_INET, &a->sin_addr, a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    SetInet(o, "IPv6", AF_INET6, &a->sin6_addr, a->sin6_port);
  } else if (ss.ss_family == AF_UNIX) {
    auto* a = reinterpret_cast<sockaddr_un*>(&ss);
    size_t max = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    o.Set("family", "unix");
    o.Set("path", std::string(a->sun_path, strnlen(a->sun_path, max)));
  } else {
    o.Set("family", Napi::Number::New(env, ss.ss_family));
  }
  return o;
}
#endif

}  // namespace

void RegisterInspect(Napi::Env env, Napi::Object exports) {
  exports.Set("getIntBatch", Napi::Function::New(env, GetIntBatch, "getIntBatch"));
#ifdef SO_PEERCRED
  exports.Set("getPeerCred", Napi::Function::New(env, GetPeerCred, "getPeerCred"));
#endif
#ifndef _WIN32
  exports.Set("sockName", Napi::Function::New(env, SockName, "sockName"));
#endif
}

}  // namespace sockopt

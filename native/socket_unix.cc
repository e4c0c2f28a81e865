#include "socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "args.h"
#include "env_data.h"
#include "sys.h"

namespace sockopt {

namespace {

// socket(family: 4 | 6, datagram: boolean) → fd, close-on-exec; libuv makes it non-blocking when it adopts it.
Napi::Value Socket(const Napi::CallbackInfo& info) {
  int32_t family;
  if (!ReadInt32(info, 0, "family", &family)) return Napi::Value();
  if (family != 4 && family != 6) {
    ThrowRangeError(info.Env(), "The \"family\" argument must be 4 or 6");
    return Napi::Value();
  }
  bool dgram = info[1].ToBoolean();
  int fd;
  int err = SysSocket(family == 4 ? AF_INET : AF_INET6, dgram ? SOCK_DGRAM : SOCK_STREAM, &fd);
  if (err != 0) {
    ThrowSystemError(info.Env(), err, "socket");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), fd);
}

// bind(fd, address: IP literal, port)
Napi::Value Bind(const Napi::CallbackInfo& info) {
  int32_t fd, port;
  if (!ReadInt32(info, 0, "fd", &fd) || !ReadInt32(info, 2, "port", &port)) return Napi::Value();
  if (fd < 0 || port < 0 || port > 65535) {
    ThrowRangeError(info.Env(), "fd must be >= 0 and port 0..65535");
    return Napi::Value();
  }
  if (!info[1].IsString()) {
    ThrowTypeError(info.Env(), "The \"address\" argument must be of type string");
    return Napi::Value();
  }
  std::string address = info[1].As<Napi::String>().Utf8Value();
  sockaddr_storage ss;
  std::memset(&ss, 0, sizeof ss);
  socklen_t len;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    ThrowRangeError(info.Env(), "The \"address\" argument must be an IPv4 or IPv6 literal");
    return Napi::Value();
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) ThrowSystemError(info.Env(), errno, "bind");
  return info.Env().Undefined();
}

// close(fd): only for fds this library created and Node never adopted. An owned one
// (env_data.h) is forgotten first: its number is free for reuse once closed.
Napi::Value Close(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ReadInt32(info, 0, "fd", &fd)) return Napi::Value();
  if (fd >= 0) DataOf(info.Env()).owned.Forget(fd);
  if (fd >= 0 && close(fd) != 0 && errno != EINTR) ThrowSystemError(info.Env(), errno, "close");
  return info.Env().Undefined();
}

}  // namespace

void RegisterSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("socket", Napi::Function::New(env, Socket, "socket"));
  exports.Set("bind", Napi::Function::New(env, Bind, "bind"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
}

}  // namespace sockopt

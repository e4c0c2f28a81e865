// socketNames(fd, out: Int32Array(12)) → undefined
//   out = [4 | 6 | 0 (not IP), local port, peer port, peer errno (0 = read),
//          local address bytes (4 slots), peer address bytes (4 slots)]
// The addresses travel as raw network-order bytes (IPv4 in the first slot of its four):
// the JS side formats and caches the text, so a close record allocates nothing here.
// The peer is read with SO_PEERNAME on Linux: the kernel answers it from the socket's
// stored destination even once the connection is reset or timed out (state CLOSE), where
// getpeername() gives ENOTCONN; a close record is read exactly then. Elsewhere getpeername().
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "args.h"
#include "names.h"

namespace sockopt {

namespace {

// The port of an AF_INET/AF_INET6 address, its bytes into slots[0..3].
int32_t Copy(const sockaddr_storage& ss, int32_t* slots) {
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    std::memcpy(slots, &a->sin_addr, sizeof a->sin_addr);
    return ntohs(a->sin_port);
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  std::memcpy(slots, &a->sin6_addr, sizeof a->sin6_addr);
  return ntohs(a->sin6_port);
}

Napi::Value SocketNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  if (!ReadFd(info, 0, &fd)) return Napi::Value();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::Int32Array>().ElementLength() < 12) {
    ThrowTypeError(env, "out must be an Int32Array of at least 12 elements");
    return Napi::Value();
  }
  int err = FillSocketNames(fd, info[1].As<Napi::Int32Array>().Data());
  if (err != 0) {
    ThrowSystemError(env, err, "getsockname");
    return Napi::Value();
  }
  return env.Undefined();
}

}  // namespace

int FillSocketNames(int fd, int32_t* out) {
  std::memset(out, 0, 12 * sizeof *out);
  sockaddr_storage local;
  std::memset(&local, 0, sizeof local);
  socklen_t len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return errno;
  if (local.ss_family != AF_INET && local.ss_family != AF_INET6) {
    out[3] = EAFNOSUPPORT;
    return 0;
  }
  out[0] = local.ss_family == AF_INET ? 4 : 6;
  out[1] = Copy(local, out + 4);
  sockaddr_storage peer;
  std::memset(&peer, 0, sizeof peer);
  // SO_PEERNAME refuses (EINVAL) a buffer longer than the address: ask for the local's size.
  socklen_t plen = local.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
#ifdef SO_PEERNAME
  int rc = getsockopt(fd, SOL_SOCKET, SO_PEERNAME, &peer, &plen);
#else
  int rc = getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen);
#endif
  if (rc != 0) out[3] = errno;
  else if (peer.ss_family != local.ss_family) out[3] = EAFNOSUPPORT;
  else out[2] = Copy(peer, out + 8);
  return 0;
}

void RegisterNames(Napi::Env env, Napi::Object exports) {
  exports.Set("socketNames", Napi::Function::New(env, SocketNames, "socketNames"));
}

}  // namespace sockopt

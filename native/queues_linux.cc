// Bytes queued on a socket, as ss shows them in Recv-Q/Send-Q: SIOCINQ (unread
// bytes; for UDP the size of the next datagram) and SIOCOUTQ (TCP: sent but not
// yet acknowledged plus not yet sent; UDP/unix: send-buffer memory in use).
// A listening TCP socket answers EINVAL: its queue is the accept queue (TCP_INFO).
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "args.h"
#include "diag.h"

namespace sockopt {

namespace {

// socketQueues(fd, out: Int32Array(4)) → out = [inq, errno, outq, errno].
// Numbers travel in the caller's array: a value and its errno per queue, no object built.
Napi::Value SocketQueues(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ReadFd(info, 0, &fd)) return Napi::Value();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::Int32Array>().ElementLength() < 4) {
    ThrowTypeError(info.Env(), "out must be an Int32Array of at least 4 elements");
    return Napi::Value();
  }
  int32_t* out = info[1].As<Napi::Int32Array>().Data();
  const unsigned long requests[2] = {SIOCINQ, SIOCOUTQ};
  for (int i = 0; i < 2; i++) {
    int value = 0;
    int rc = ioctl(fd, requests[i], &value);
    out[2 * i] = rc == 0 ? value : 0;
    out[2 * i + 1] = rc == 0 ? 0 : errno;
  }
  return info.Env().Undefined();
}

}  // namespace

void RegisterQueues(Napi::Env env, Napi::Object exports) {
  exports.Set("socketQueues", Napi::Function::New(env, SocketQueues, "socketQueues"));
}

}  // namespace sockopt

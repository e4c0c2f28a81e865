// inet records asked for socket by socket by their ids: what lets `sockopt inspect` hold
// only each connected TCP socket's index entry (diagDump flags 4) instead of its record for
// the whole run, and ask for a batch's records once the batch's own reads give their ids.
// Exact requests (no NLM_F_DUMP) are answered while sendto runs, one message each (the
// record, or an error: ENOENT for a socket gone from the hash, ESTALE for another socket
// with the same id), so the answers are taken without waiting.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "args.h"
#include "sockdiag.h"

namespace sockopt {

namespace {

// Requests per sendto, and so answers at most queued at once: 64, or fewer where the
// socket's receive buffer would not hold their answers (an answer takes ~1.3 kB of it,
// its skb's truesize, whatever the record's own length): an overflow loses answers.
constexpr size_t kPerSend = 64;
constexpr size_t kAnswerCharge = 2048;
// Offsets a call at most: what is allocated per offset (its id, its index entry) stays bounded.
constexpr size_t kMaxOffsets = 1 << 20;
// Room per answer: a record with TCP_INFO, skmem, congestion and BBR is ~600 bytes. An
// answer that does not fit (a socket with many MD5 keys, which the kernel adds for a
// privileged asker) is left out, as a socket not found is: its row is read again whole.
constexpr size_t kSlot = 1024;

struct ExactRequest {
  nlmsghdr h;
  inet_diag_req_v2 r;
};

// Fills `q` to ask for the socket whose message `m` is (its family, its id with its cookie).
void Ask(ExactRequest* q, const inet_diag_msg& m, int protocol, bool info, uint32_t seq) {
  std::memset(q, 0, sizeof *q);
  q->h.nlmsg_len = sizeof *q;
  q->h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  q->h.nlmsg_flags = NLM_F_REQUEST;
  q->h.nlmsg_seq = seq;
  q->r.sdiag_family = m.idiag_family;
  q->r.sdiag_protocol = static_cast<uint8_t>(protocol);
  q->r.idiag_ext = InetExtensions(info);
  q->r.idiag_states = ~0u;
  q->r.id = m.id;
}

}  // namespace

// diagExact(nlfd, protocol, bytes, offsets[, flags[, into]]) → { bytes, index } as diagDump
// flags 2 gives (with `into`: that buffer, and `used`, the bytes written): the current record
// of each inet message of `bytes` at `offsets` (a packed dump's, or written by the caller from
// a socket's own reads: its family, id with cookie, and inode), found by its id and cookie.
// Sockets not found (closed since, or their id now another socket's: the answer's inode is not
// the message's) are left out. protocol: IPPROTO_TCP or IPPROTO_UDP;
// flags 1: no TCP_INFO.
static Napi::Value DiagExact(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd, protocol, flags = 0;
  if (!ReadFd(info, 0, &fd) || !ReadInt32(info, 1, "protocol", &protocol)) return Napi::Value();
  if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) {
    ThrowRangeError(env, "The \"protocol\" argument must be IPPROTO_TCP or IPPROTO_UDP");
    return Napi::Value();
  }
  const uint8_t* bytes;
  size_t size;
  if (!ReadBytes(env, info[2], "bytes", &bytes, &size)) return Napi::Value();
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    ThrowTypeError(env, "The \"offsets\" argument must be a Uint32Array");
    return Napi::Value();
  }
  auto offsetsArg = info[3].As<Napi::Uint32Array>();
  if (info.Length() > 4 && !info[4].IsUndefined() && !ReadInt32(info, 4, "flags", &flags)) return Napi::Value();
  // into: where to write the records (a buffer used again and again: nothing allocated per
  // call); those that do not fit are left out, as sockets not found are.
  const bool hasInto = info.Length() > 5 && !info[5].IsUndefined();
  uint8_t* into = nullptr;
  size_t room = 0;
  if (hasInto) {
    if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      ThrowTypeError(env, "The \"into\" argument must be a Buffer");
      return Napi::Value();
    }
    auto b = info[5].As<Napi::Uint8Array>();
    into = b.Data();
    room = into == nullptr ? 0 : b.ByteLength();
  }
  // Only a sock_diag socket is written to: the requests sent to a connected stream socket
  // would go to its peer.
  int domain = 0, proto = 0, rcvbuf = 0;
  socklen_t dlen = sizeof domain, plen = sizeof proto, rlen = sizeof rcvbuf;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) != 0 || getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &plen) != 0 ||
      getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &rlen) != 0) {
    ThrowSystemError(env, errno, "getsockopt");
    return Napi::Value();
  }
  if (domain != AF_NETLINK || proto != NETLINK_SOCK_DIAG) {
    ThrowValueError(env, "The \"nlfd\" argument must be a NETLINK_SOCK_DIAG socket (diagSocket)");
    return Napi::Value();
  }
  const size_t perSend = std::max<size_t>(1, std::min(kPerSend, static_cast<size_t>(rcvbuf > 0 ? rcvbuf : 0) / kAnswerCharge));
  // The ids are copied out first: `bytes` may be shared memory another thread writes.
  const size_t count = offsetsArg.ElementLength();
  if (count > kMaxOffsets) {
    ThrowRangeError(env, "The \"offsets\" argument must hold at most 1048576 offsets");
    return Napi::Value();
  }
  const uint32_t* offsets = offsetsArg.Data();
  std::vector<inet_diag_msg> asked(count);
  for (size_t i = 0; i < count; i++) {
    const size_t at = offsets[i];
    if (at % 4 != 0 || at > size || size - at < NLMSG_LENGTH(sizeof(inet_diag_msg))) {
      ThrowRangeError(env, "The \"offsets\" argument must name whole sock_diag messages of \"bytes\"");
      return Napi::Value();
    }
    std::memcpy(&asked[i], bytes + at + NLMSG_HDRLEN, sizeof asked[i]);
  }
  // Answers land in slots of one scratch area (the same memory every round: no page made
  // present per call), and those kept are copied out together at the end.
  std::vector<uint8_t> scratch(std::min(count, perSend) * kSlot);
  std::vector<uint8_t> kept;
  size_t used = 0;  // bytes of records kept, in `kept` or `into`
  std::vector<uint32_t> index;
  index.reserve(3 * count);
  std::vector<ExactRequest> requests(std::min(count, perSend));
  std::vector<mmsghdr> msgs(requests.size());
  std::vector<iovec> iov(requests.size());
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (size_t from = 0; from < count; from += perSend) {
    const size_t n = std::min(perSend, count - from);
    for (size_t i = 0; i < n; i++) Ask(&requests[i], asked[from + i], protocol, (flags & 1) == 0, static_cast<uint32_t>(from + i + 1));
    ssize_t sent;
    do sent = sendto(fd, requests.data(), n * sizeof(ExactRequest), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      ThrowSystemError(env, errno, "sendto");
      return Napi::Value();
    }
    for (size_t i = 0; i < n; i++) {
      iov[i] = {scratch.data() + i * kSlot, kSlot};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    size_t got = 0;
    while (got < n) {
      int r = recvmmsg(fd, msgs.data() + got, static_cast<unsigned>(n - got), MSG_DONTWAIT, nullptr);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;  // every answer is taken
      if (r < 0 && errno == ENOBUFS) continue;  // answers lost to an overflow: left out, as sockets not found are
      if (r < 0) {
        ThrowSystemError(env, errno, "recvmmsg");
        return Napi::Value();
      }
      got += static_cast<size_t>(r);
    }
    for (size_t i = 0; i < got; i++) {
      const size_t len = msgs[i].msg_len;
      if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || len < NLMSG_LENGTH(sizeof(inet_diag_msg))) continue;
      const auto* h = reinterpret_cast<const nlmsghdr*>(scratch.data() + i * kSlot);
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len > len || h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) continue;
      // The answer to which request: its sequence number; kept only if it is that socket's.
      if (h->nlmsg_seq <= from || h->nlmsg_seq > from + n) continue;
      const inet_diag_msg& want = asked[h->nlmsg_seq - 1];
      const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      if (m->idiag_inode != want.idiag_inode || std::memcmp(m->id.idiag_cookie, want.id.idiag_cookie, sizeof want.id.idiag_cookie) != 0) continue;
      const auto* p = reinterpret_cast<const uint8_t*>(h);
      const size_t step = NLMSG_ALIGN(h->nlmsg_len);
      if (hasInto) {
        if (room - used < step) continue;
        std::memcpy(into + used, p, h->nlmsg_len);
      } else {
        kept.insert(kept.end(), p, p + h->nlmsg_len);
        kept.resize(used + step);
      }
      index.push_back(m->idiag_inode);
      index.push_back(static_cast<uint32_t>(used));
      index.push_back(m->idiag_state);
      used += step;
    }
  }
  if (!hasInto) return Packed(env, kept, index);
  Napi::Object o = Napi::Object::New(env);
  o.Set("bytes", info[5]);
  o.Set("index", SortedIndex(env, index));
  o.Set("used", Napi::Number::New(env, static_cast<double>(used)));
  return o;
}

void RegisterDiagExact(Napi::Env env, Napi::Object exports) {
  exports.Set("diagExact", Napi::Function::New(env, DiagExact, "diagExact"));
}

}  // namespace sockopt

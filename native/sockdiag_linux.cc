// Socket tables from the kernel's sock_diag netlink interface (NETLINK_SOCK_DIAG),
// as ss reads them: inet_diag for TCP/UDP/raw over IPv4/IPv6, unix_diag, netlink_diag
// and packet_diag. Binary records keyed by inode, bounds-checked attribute by attribute:
// nothing a socket's owner chooses (a unix path with a newline) can shift a field, as it
// can in the /proc/net/* text. References: the kernel's include/uapi/linux/inet_diag.h,
// unix_diag.h, netlink_diag.h, packet_diag.h and iproute2's misc/ss.c.
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "args.h"
#include "diag.h"
#include "env_data.h"
#include "grow_buffer_linux.h"
#include "sockdiag.h"

namespace sockopt {

namespace {

int OpenDiag() { return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG); }

// diagSocket(nsfd) → a NETLINK_SOCK_DIAG socket. nsfd -1: this process's network
// namespace; otherwise an open /proc/PID/ns/net: a helper thread enters that namespace
// (setns changes only the calling thread) and creates the socket there; a socket keeps
// the namespace it was made in. setns needs CAP_SYS_ADMIN over that namespace.
Napi::Value DiagSocket(const Napi::CallbackInfo& info) {
  int32_t nsfd;
  if (!ReadInt32(info, 0, "nsfd", &nsfd)) return Napi::Value();
  int fd = -1, err = 0;
  const char* call = "socket";
  if (nsfd < 0) {
    fd = OpenDiag();
    if (fd < 0) err = errno;
  } else {
    std::thread([&] {
      if (setns(nsfd, CLONE_NEWNET) != 0) {
        err = errno;
        call = "setns";
        return;
      }
      fd = OpenDiag();
      if (fd < 0) err = errno;
    }).join();
  }
  if (fd < 0) {
    ThrowSystemError(info.Env(), err, call);
    return Napi::Value();
  }
  DataOf(info.Env()).owned.Add(fd);
  return Napi::Number::New(info.Env(), fd);
}

// Inode of a record (the same offset in no two structs: read it per kind).
uint32_t InodeOf(int what, const uint8_t* p) {
  switch (what) {
    case kInet: return reinterpret_cast<const inet_diag_msg*>(p)->idiag_inode;
    case kUnix: return reinterpret_cast<const unix_diag_msg*>(p)->udiag_ino;
    case kNetlink: return reinterpret_cast<const netlink_diag_msg*>(p)->ndiag_ino;
    default: return reinterpret_cast<const packet_diag_msg*>(p)->pdiag_ino;
  }
}

// State of a record (TCP_* numbers; packet sockets have none: 0).
uint32_t StateOf(int what, const uint8_t* p) {
  switch (what) {
    case kInet: return reinterpret_cast<const inet_diag_msg*>(p)->idiag_state;
    case kUnix: return reinterpret_cast<const unix_diag_msg*>(p)->udiag_state;
    case kNetlink: return reinterpret_cast<const netlink_diag_msg*>(p)->ndiag_state;
    default: return 0;
  }
}

// sdiag_protocol is 8 bits: MPTCP (262) is asked for in an INET_DIAG_REQ_PROTOCOL
// attribute, as ss does. The field itself says 0, which no diag module serves: a kernel
// that ignores the attribute refuses (ENOENT) instead of dumping TCP (262 & 0xff).
size_t WiderProtocol(inet_diag_req_raw* r, int protocol) {
  r->sdiag_protocol = 0;
  auto* a = reinterpret_cast<nlattr*>(reinterpret_cast<uint8_t*>(r) + NLMSG_ALIGN(sizeof *r));
  a->nla_type = INET_DIAG_REQ_PROTOCOL;
  a->nla_len = NLA_HDRLEN + sizeof(uint32_t);
  const uint32_t value = static_cast<uint32_t>(protocol);
  std::memcpy(reinterpret_cast<uint8_t*>(a) + NLA_HDRLEN, &value, sizeof value);
  return NLMSG_ALIGN(sizeof *r) + NLA_ALIGN(a->nla_len);
}

}  // namespace

uint8_t InetExtensions(bool info) {
  // ss -tiepm's extensions: TCP_INFO, congestion control, skmem, tos/tclass (+class id), cc info (bbr).
  return static_cast<uint8_t>((info ? 1 << (INET_DIAG_INFO - 1) : 0) | (1 << (INET_DIAG_CONG - 1)) | (1 << (INET_DIAG_SKMEMINFO - 1)) |
                              (1 << (INET_DIAG_TOS - 1)) | (1 << (INET_DIAG_TCLASS - 1)) | (1 << (INET_DIAG_VEGASINFO - 1)));
}

namespace {

// Builds the request for `what`; inode > 0 on unix asks for that one socket only.
size_t Request(int what, int family, int protocol, uint32_t inode, bool info, uint8_t* buf) {
  auto* h = reinterpret_cast<nlmsghdr*>(buf);
  h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  h->nlmsg_seq = 1;
  void* body = NLMSG_DATA(h);
  size_t size;
  if (what == kInet) {
    auto* r = static_cast<inet_diag_req_raw*>(body);
    r->sdiag_family = static_cast<uint8_t>(family);
    r->sdiag_protocol = static_cast<uint8_t>(protocol);
    r->idiag_ext = InetExtensions(info);
    if (protocol == IPPROTO_RAW) r->sdiag_raw_protocol = IPPROTO_RAW;  // every raw socket, whatever its protocol
    r->idiag_states = ~0u;
    size = sizeof *r;
    if (protocol > UINT8_MAX) size = WiderProtocol(r, protocol);
  } else if (what == kUnix) {
    auto* r = static_cast<unix_diag_req*>(body);
    r->sdiag_family = AF_UNIX;
    r->udiag_states = ~0u;
    r->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN | UDIAG_SHOW_MEMINFO | UDIAG_SHOW_UID;
    if (inode > 0) {
      h->nlmsg_flags = NLM_F_REQUEST;  // one socket by inode (any cookie)
      r->udiag_ino = inode;
      r->udiag_cookie[0] = r->udiag_cookie[1] = INET_DIAG_NOCOOKIE;
    }
    size = sizeof *r;
  } else if (what == kNetlink) {
    auto* r = static_cast<netlink_diag_req*>(body);
    r->sdiag_family = AF_NETLINK;
    r->sdiag_protocol = NDIAG_PROTO_ALL;
    r->ndiag_show = NDIAG_SHOW_MEMINFO;
    size = sizeof *r;
  } else {
    auto* r = static_cast<packet_diag_req*>(body);
    r->sdiag_family = AF_PACKET;
    r->pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO;
    size = sizeof *r;
  }
  h->nlmsg_len = NLMSG_LENGTH(size);
  return h->nlmsg_len;
}

// { bytes: Buffer, index: Uint32Array [inode, offset, state]* }: the messages as the kernel
// sent them (each checked to hold its fixed header), for diagRecord to turn into a record
// when one is wanted; the state says what a row holds without building it. A few hundred bytes per socket outside the JS heap instead of an object
// graph per socket held for the whole run. The index is sorted by inode, so that the
// caller finds a socket's message by binary search, with no map of its own per socket.
// The bytes are handed over, not copied: a copy of a large process's dump doubled the
// command's peak memory for a moment.
struct IndexEntry {
  uint32_t inode, offset, state;
};
static_assert(sizeof(IndexEntry) == 3 * sizeof(uint32_t), "index entries are three packed u32s");

}  // namespace

Napi::Uint32Array SortedIndex(Napi::Env env, const std::vector<uint32_t>& index) {
  Napi::Uint32Array ix = Napi::Uint32Array::New(env, index.size());
  if (ix.IsEmpty() || (!index.empty() && ix.Data() == nullptr)) return ix;  // a worker being terminated: no array
  if (!index.empty()) {
    auto* e = reinterpret_cast<IndexEntry*>(ix.Data());
    std::memcpy(e, index.data(), index.size() * sizeof(uint32_t));
    std::stable_sort(e, e + index.size() / 3, [](const IndexEntry& a, const IndexEntry& b) { return a.inode < b.inode; });
  }
  return ix;
}

Napi::Value Packed(Napi::Env env, GrowBuffer* bytes, const std::vector<uint32_t>& index) {
  Napi::Object o = Napi::Object::New(env);
  if (bytes->size() == 0) {
    o.Set("bytes", Napi::Buffer<uint8_t>::New(env, 0));
  } else {
    const size_t size = bytes->size();
    auto* capacity = new size_t(bytes->capacity());
    uint8_t* data = bytes->Release();
    o.Set("bytes", Napi::Buffer<uint8_t>::New(env, data, size, [](Napi::Env, uint8_t* p, size_t* c) {
      munmap(p, *c);
      delete c;
    }, capacity));
  }
  o.Set("index", SortedIndex(env, index));
  return o;
}

Napi::Value Packed(Napi::Env env, const std::vector<uint8_t>& bytes, const std::vector<uint32_t>& index) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("bytes", Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size()));
  o.Set("index", SortedIndex(env, index));
  return o;
}

namespace {

// The state bit of an index entry whose message was not kept (diagDump flags 4).
constexpr uint32_t kById = 0x100;

// Whether a TCP message of `state` names its socket alone by the id its own reads give
// (both addresses, ports, cookie; the interface from the dump), so that an exact request
// finds it again: a socket in the kernel's established hash whose peer getpeername gives.
// Not a listener (SO_REUSEPORT shares its id), not a closed or unbound socket (in no hash),
// not SYN_SENT (getpeername: ENOTCONN), not a time-wait or request socket (inode 0: no fd
// holds one).
bool FoundById(uint32_t state) {
  switch (state) {
    case TCP_ESTABLISHED: case TCP_FIN_WAIT1: case TCP_FIN_WAIT2:
    case TCP_CLOSE_WAIT: case TCP_LAST_ACK: case TCP_CLOSING:
      return true;
    default:
      return false;
  }
}

// diagDump(nlfd, what, family, protocol, inode[, flags]) → records; flags 1: no TCP_INFO, 2: packed (see Packed),
// 4 (with 2, TCP): a message FoundById keeps nothing but its index entry, which is then
// [inode, its interface (idiag_if), state | 0x100]: its record is asked for by diagExact
// once its socket's own reads give the rest of its id, so that nothing more is held
// meanwhile. what: 0 inet (family AF_INET/AF_INET6, protocol IPPROTO_TCP/UDP/RAW/MPTCP), 1 unix, 2 netlink, 3 packet.
// inode > 0 keeps only that socket's record; a sorted Uint32Array keeps those inodes'. The kernel's refusal (ENOENT when its
// diag module for that kind is absent) throws with its errno.
Napi::Value DiagDump(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd, what, family, protocol;
  double inodeArg;
  if (!ReadFd(info, 0, &fd) || !ReadInt32(info, 1, "what", &what) || !ReadInt32(info, 2, "family", &family) ||
      !ReadInt32(info, 3, "protocol", &protocol)) {
    return Napi::Value();
  }
  if (what < kInet || what > kPacket) {
    ThrowRangeError(env, "The \"what\" argument must be 0 (inet), 1 (unix), 2 (netlink) or 3 (packet)");
    return Napi::Value();
  }
  // inode: one socket's inode (0: every socket), or a sorted Uint32Array of the inodes
  // wanted: records of other sockets are skipped before any JS object is made for them.
  const uint32_t* wanted = nullptr;
  size_t nWanted = 0;
  if (info[4].IsTypedArray() && info[4].As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array) {
    auto a = info[4].As<Napi::Uint32Array>();
    wanted = a.Data();
    nWanted = a.ElementLength();
    inodeArg = 0;
  } else if (!info[4].IsNumber() || (inodeArg = info[4].As<Napi::Number>().DoubleValue()) < 0 || inodeArg > 4294967295.0 ||
             inodeArg != static_cast<double>(static_cast<uint32_t>(inodeArg))) {
    ThrowRangeError(env, "The \"inode\" argument must be an integer in 0..2^32-1 or a sorted Uint32Array");
    return Napi::Value();
  }
  uint32_t inode = static_cast<uint32_t>(inodeArg);
  int32_t flags = 0;
  if (info.Length() > 5 && !ReadInt32(info, 5, "flags", &flags)) return Napi::Value();
  alignas(nlmsghdr) uint8_t req[256] = {0};
  size_t len = Request(what, family, protocol, what == kUnix ? inode : 0, (flags & 1) == 0, req);
  KeyScope keys(env);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, req, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    ThrowSystemError(env, errno, "sendto");
    return Napi::Value();
  }
  Napi::Array out = Napi::Array::New(env);
  uint32_t count = 0;
  // flags 2: the matching messages themselves, packed (see Packed), not one object each.
  const bool packed = (flags & 2) != 0;
  const bool idsLater = packed && (flags & 4) != 0 && what == kInet && protocol == IPPROTO_TCP;
  // Packed, the kernel's messages are received straight into `bytes` and the ones kept
  // moved down over the others (`kept`: the end of those kept so far).
  GrowBuffer bytes;
  size_t kept = 0;
  std::vector<uint32_t> index;  // [inode, offset, state] per message
  auto done = [&]() -> Napi::Value {
    bytes.Resize(kept);
    return packed ? Packed(env, &bytes, index) : Napi::Value(out);
  };
  constexpr size_t kRecv = 64 * 1024;
  std::vector<uint8_t> buf(packed ? 0 : kRecv);
  size_t fixed = FixedSize(what);
  for (;;) {
    bytes.Resize(kept);  // the next messages land after those kept
    uint8_t* at = packed ? bytes.Tail(kRecv) : buf.data();
    if (at == nullptr) {
      ThrowSystemError(env, ENOMEM, "mmap");
      return Napi::Value();
    }
    ssize_t n = recv(fd, at, kRecv, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError(env, errno, "recv");
      return Napi::Value();
    }
    if (n == 0) return done();
    // The next message is found before this one is looked at: packed, a kept message moves
    // down over those dropped, and may overwrite its own header in its new place.
    for (auto* next = reinterpret_cast<nlmsghdr*>(at); NLMSG_OK(next, static_cast<size_t>(n));) {
      nlmsghdr* h = next;
      const size_t step = std::min<size_t>(NLMSG_ALIGN(h->nlmsg_len), static_cast<size_t>(n));
      next = reinterpret_cast<nlmsghdr*>(reinterpret_cast<uint8_t*>(h) + step);
      n -= static_cast<ssize_t>(step);
      if (h->nlmsg_type == NLMSG_DONE) return done();
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = 0;
        if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))) err = -static_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
        if (err == 0) return done();  // an ACK
        ThrowSystemError(env, err, "sock_diag");
        return Napi::Value();
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(fixed)) continue;
      const uint8_t* p = static_cast<const uint8_t*>(NLMSG_DATA(h));
      if (inode > 0 && InodeOf(what, p) != inode) continue;
      if (wanted && !std::binary_search(wanted, wanted + nWanted, InodeOf(what, p))) continue;
      if (packed) {
        const bool byId = idsLater && FoundById(StateOf(what, p));
        index.push_back(InodeOf(what, p));
        index.push_back(byId ? reinterpret_cast<const inet_diag_msg*>(p)->id.idiag_if : static_cast<uint32_t>(kept));
        index.push_back(StateOf(what, p) | (byId ? kById : 0));
        if (byId) continue;
        uint8_t* m = reinterpret_cast<uint8_t*>(h);
        if (m != bytes.data() + kept) std::memmove(bytes.data() + kept, m, step);
        kept += step;
        if (what == kUnix && inode > 0) return done();
        continue;
      }
      Napi::Object rec;
      if (what == kInet) rec = InetRecord(env, h, *reinterpret_cast<const inet_diag_msg*>(p));
      else if (what == kUnix) rec = UnixRecord(env, h, *reinterpret_cast<const unix_diag_msg*>(p));
      else if (what == kNetlink) rec = NetlinkRecord(env, h, *reinterpret_cast<const netlink_diag_msg*>(p));
      else rec = PacketRecord(env, h, *reinterpret_cast<const packet_diag_msg*>(p));
      out.Set(count++, rec);
      if (what == kUnix && inode > 0) return out;  // an exact request has no NLMSG_DONE
    }
  }
}

// The inode `path` names now (stat follows a /proc/PID/fd/N link to its socket); 0 with
// errno set when it cannot be read.
uint64_t InodeAt(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

// sockProtoName(path, inode) → the protocol name the kernel gives a socket inode through
// the `system.sockprotoname` xattr ('TCP', 'TCPv6', 'UDP', 'UNIX-STREAM', 'NETLINK',
// 'PACKET', 'RAW', 'PING'…), read through a /proc/PID/fd/N link: the socket's kind without
// touching the socket and without any table a socket's owner can write into. null when the
// link does not name socket `inode` both before and after the read: the fd was closed and
// its number reused meanwhile, and the name would be another socket's. Throws the system
// error of stat or getxattr (ENOENT: no such fd; EOPNOTSUPP: not a socket).
Napi::Value SockProtoName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) {
    ThrowTypeError(env, "The \"path\" argument must be of type string");
    return Napi::Value();
  }
  if (!info[1].IsNumber()) {
    ThrowTypeError(env, "The \"inode\" argument must be of type number");
    return Napi::Value();
  }
  const double wanted = info[1].As<Napi::Number>().DoubleValue();
  if (!(wanted >= 1 && wanted <= 9007199254740991.0) || wanted != static_cast<double>(static_cast<uint64_t>(wanted))) {
    ThrowRangeError(env, "The \"inode\" argument must be an integer in 1..2^53-1");
    return Napi::Value();
  }
  const uint64_t inode = static_cast<uint64_t>(wanted);
  std::string path = info[0].As<Napi::String>().Utf8Value();
  const uint64_t before = InodeAt(path.c_str());
  if (before == 0) {
    ThrowSystemError(env, errno, "stat");
    return Napi::Value();
  }
  if (before != inode) return env.Null();
  char name[64] = {0};
  ssize_t n = getxattr(path.c_str(), "system.sockprotoname", name, sizeof name - 1);
  if (n < 0) {
    ThrowSystemError(env, errno, "getxattr");
    return Napi::Value();
  }
  // The name read may be of a socket that took the fd between the two looks.
  if (InodeAt(path.c_str()) != inode) return env.Null();
  return Napi::String::New(env, name, strnlen(name, static_cast<size_t>(n)));
}

}  // namespace

void RegisterSockDiag(Napi::Env env, Napi::Object exports) {
  exports.Set("diagSocket", Napi::Function::New(env, DiagSocket, "diagSocket"));
  exports.Set("diagDump", Napi::Function::New(env, DiagDump, "diagDump"));
  exports.Set("sockProtoName", Napi::Function::New(env, SockProtoName, "sockProtoName"));
  RegisterDiagRecord(env, exports);
  RegisterDiagExact(env, exports);
}

}  // namespace sockopt

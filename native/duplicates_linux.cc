// readDuplicates: many sockets of another process read in one crossing (Linux >= 5.6).
// For each fd of the list: pidfd_getfd(2) duplicates it, fstat checks it is still the
// inode the fd table listed, every option of the caller's table is read (the same slot
// reader as readOptions), then both addresses, TCP_INFO (TCP and MPTCP), SO_PEERCRED
// (unix) and, when asked, SIOCINQ/SIOCOUTQ; the duplicate is closed at once. Everything
// lands in the caller's typed arrays: no JS value is made per socket, so the list can be
// split across threads that touch nothing but syscalls and their own rows.
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "args.h"
#include "diag.h"
#include "duplicates.h"
#include "slots.h"
#include "tcp_info.h"
#include "uring_linux.h"

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace sockopt {

namespace {

bool IsInet(int domain) { return domain == AF_INET || domain == AF_INET6; }

// IP protocol numbers mean TCP in the inet families alone (a netlink socket's 6 is XFRM).
bool IsTcp(int domain, int protocol) {
  if (!IsInet(domain)) return false;
#ifdef IPPROTO_MPTCP
  if (protocol == IPPROTO_MPTCP) return true;
#endif
  return protocol == IPPROTO_TCP;
}

// A level the socket's family or protocol does not serve: the kernel refuses every option
// of it before looking at the option (its getsockopt dispatch), so one socket's answer
// holds for every socket of the same family and protocol.
bool Foreign(int level, int domain, int protocol) {
  if (level == SOL_SOCKET) return false;
  if (level == IPPROTO_IPV6) return domain != AF_INET6;
  if (level == IPPROTO_IP) return !IsInet(domain);
  if (level == IPPROTO_TCP) return !IsTcp(domain, protocol);
  if (level == IPPROTO_UDP) return !IsInet(domain) || protocol != IPPROTO_UDP;
  return false;
}

// The kernel's refusals of foreign-level slots, learnt from the first socket of each
// family and protocol a thread reads (only refusals are kept: an answer is read again).
class Refusals {
 public:
  explicit Refusals(size_t slots) : slots_(slots) {}
  // Whether a row of this kind was read before (its refusals, if any, learnt).
  bool Knows(int domain, int protocol) const {
    for (const auto& k : kinds_) {
      if (k.domain == domain && k.protocol == protocol) return true;
    }
    return false;
  }
  int32_t* For(int domain, int protocol) {
    for (auto& k : kinds_) {
      if (k.domain == domain && k.protocol == protocol) return k.errs.data();
    }
    if (kinds_.size() >= kMaxKinds) return nullptr;  // more kinds than that: read them all
    kinds_.push_back(Kind{domain, protocol, std::vector<int32_t>(slots_, 0)});
    return kinds_.back().errs.data();
  }

 private:
  static constexpr size_t kMaxKinds = 16;
  struct Kind {
    int domain, protocol;
    std::vector<int32_t> errs;
  };
  size_t slots_;
  std::vector<Kind> kinds_;
};

// Reads one slot of a row into nums/errs/wide and its text cell.
inline void ReadSlotOf(int dup, const Table& t, size_t i, double* nums, int32_t* errs, uint64_t* wide, char* text) {
  int level = t.specs[3 * i], optname = t.specs[3 * i + 1], kind = SlotKindOf(t.specs[3 * i + 2]);
  uint32_t room = SlotCell(kind);
  errs[i] = ReadSlot(dup, level, optname, kind, &nums[i], &wide[i], room ? text + t.cell[i] : nullptr, room);
}

// The SOL_SOCKET slots of a run of rows, read through the thread's ring in one crossing.
// The rows' duplicates stay open until Flush, which decodes every answer, reads again with
// the syscall whatever the ring did not answer with success, and then closes them.
// The ring is set up at the first read it takes, so a batch of no sockets makes none.
class Deferred {
 public:
  // `shared`: a ring of the calling thread's that outlives this (a pool thread's), used
  // instead of one of its own.
  Deferred(bool ring, GetRing* shared) : ring_(shared != nullptr ? *shared : own_), want_(ring) {}
  ~Deferred() { Flush(); }
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;

  // Whether rows go through here: false once the ring is refused or broken.
  bool Takes() const { return want_; }
  bool Holds() const { return open_ > 0; }
  // Room for one more row of up to `slots` entries and its duplicate (whose close takes an
  // entry at Flush).
  bool Fits(size_t slots) const { return ring_.Queued() + slots + open_ + 1 <= GetRing::kEntries && open_ < kMaxOpen; }

  void Queue(int fd, const Table& t, size_t i, double* num, int32_t* err, uint64_t* wide, char* text) {
    Entry& e = entries_[ring_.Queued()];
    e.optname = t.specs[3 * i + 1];
    e.kind = SlotKindOf(t.specs[3 * i + 2]);
    e.cell = SlotCell(e.kind);
    e.text = e.cell ? text + t.cell[i] : nullptr;
    if (!ring_.IsOpen() && !(want_ = ring_.Open())) {  // no ring here: this and every later read direct
      *err = ReadSlot(fd, SOL_SOCKET, e.optname, e.kind, num, wide, e.text, e.cell);
      return;
    }
    e.fd = fd;
    e.num = num;
    e.err = err;
    e.wide = wide;
    *num = 0;
    *wide = 0;
    *err = SlotTargetOf(e.kind, e.scratch, e.text, e.cell, &e.target);
    if (*err == 0) ring_.Queue(fd, e.optname, e.target.buf, e.target.len);
  }
  // The duplicate of the row just queued: closed by the next Flush.
  void Hold(int fd) { fds_[open_++] = fd; }

  void Flush() {
    const unsigned n = ring_.Queued();
    if (n > 0) {
      int32_t res[GetRing::kEntries];
      ring_.Drain(res);
      bool answered = false;
      for (unsigned i = 0; i < n; i++) {
        Entry& e = entries_[i];
        if (res[i] >= 0) {
          const uint32_t len = static_cast<uint32_t>(res[i]) < e.target.len ? static_cast<uint32_t>(res[i]) : e.target.len;
          SlotDecode(e.kind, e.target.buf, len, e.num, e.wide);
          *e.err = 0;
          answered = true;
        } else {
          *e.err = ReadSlot(e.fd, SOL_SOCKET, e.optname, e.kind, e.num, e.wide, e.text, e.cell);
        }
      }
      // A kernel without the socket command refuses every entry: read directly from now on.
      if (!proven_ && !answered) ring_.Close();
      proven_ = proven_ || answered;
      want_ = ring_.IsOpen();  // Drain closes a ring that broke
    }
    CloseHeld();
  }

 private:
  // Closes the held duplicates, through the ring where it is open: after the reads above
  // and their retries, which use them. Exactly once each: a close the kernel took is
  // done, whatever it answered; one it never took is made with the syscall.
  void CloseHeld() {
    unsigned taken = 0;
    if (open_ > 0 && ring_.IsOpen()) {
      for (unsigned i = 0; i < open_; i++) ring_.QueueClose(fds_[i]);
      int32_t res[GetRing::kEntries];
      taken = ring_.Drain(res);
      want_ = ring_.IsOpen();
    }
    for (unsigned i = taken; i < open_; i++) close(fds_[i]);
    open_ = 0;
  }

  struct Entry {
    alignas(8) unsigned char scratch[kSlotScratch];
    SlotTarget target;
    int fd, optname, kind;
    uint32_t cell;
    double* num;
    int32_t* err;
    uint64_t* wide;
    char* text;
  };
  static constexpr unsigned kMaxOpen = 64;
  GetRing own_;
  GetRing& ring_;
  Entry entries_[GetRing::kEntries];
  int fds_[kMaxOpen];
  unsigned open_ = 0;
  bool want_;
  bool proven_ = false;
};

// Reads one open duplicate into row k (no JS, no allocation but the refusals' first
// entry of a kind: safe on any thread). `flags` as duplicates.h says: whether to read the
// byte queues, and the groups of slots the caller has from sock_diag (with group 0, its
// addresses, family and protocol too).
void ReadOne(int dup, const Table& t, int32_t flags, Refusals* refusals, Deferred* later, double* nums, int32_t* errs,
             uint64_t* wide, int32_t* meta, char* text) {
  const bool queues = (flags & 1) != 0;
  const int given = (flags >> 1) & 0x7f;
  int domain = (given & 1) ? (flags >> 8) & 0xff : 0, protocol = (given & 1) ? (flags >> 16) & 0xff : 0;
  if (domain > 0 && protocol > 0) {
    for (int at : {t.domainSlot, t.protocolSlot}) {
      if (at < 0) continue;
      errs[at] = -1;  // not read: the caller's row has it
      nums[at] = 0;
    }
  } else {
    domain = protocol = -1;
    // Family and protocol first: they say which levels the socket serves.
    for (int at : {t.domainSlot, t.protocolSlot}) {
      if (at < 0) continue;
      ReadSlotOf(dup, t, static_cast<size_t>(at), nums, errs, wide, text);
      if (errs[at] == 0) (at == t.domainSlot ? domain : protocol) = static_cast<int>(nums[at]);
    }
  }
  int32_t* refused = domain >= 0 && protocol >= 0 ? refusals->For(domain, protocol) : nullptr;
  for (size_t i = 0; i < t.slots; i++) {
    if (static_cast<int>(i) == t.domainSlot || static_cast<int>(i) == t.protocolSlot) continue;
    const int32_t spec = t.specs[3 * i + 2];
    if ((spec & kSlotOmitted) != 0 || ((spec & kSlotOmittedOnTcp) != 0 && IsTcp(domain, protocol))) {
      errs[i] = kErrOmitted;  // not wanted: no syscall
      nums[i] = 0;
      wide[i] = 0;
      continue;
    }
    if ((SlotGroupsOf(spec) & given) != 0) {
      errs[i] = -1;  // not read: the caller's row has it
      nums[i] = 0;
      wide[i] = 0;
      continue;
    }
    bool foreign = refused != nullptr && Foreign(t.specs[3 * i], domain, protocol);
    if (foreign && refused[i] > 0) {
      errs[i] = refused[i];  // nums, wide and the text cell stay as a refusal leaves them
      nums[i] = 0;
      wide[i] = 0;
      continue;
    }
    if (later != nullptr && t.specs[3 * i] == SOL_SOCKET) {
      later->Queue(dup, t, i, nums + i, errs + i, wide + i, text);  // never foreign
      continue;
    }
    ReadSlotOf(dup, t, i, nums, errs, wide, text);
    if (foreign && errs[i] > 0) refused[i] = errs[i];
  }
  if ((given & 1) && (flags & kRowAddresses) == 0) {
    meta[kLocal + 2] = meta[kPeer + 2] = -1;  // not read: the caller's table has them
  } else {
    meta[kLocal + 3] = static_cast<int32_t>(AddressOf(dup, false, meta + kLocal, text + t.local, meta + kLocalId));
    meta[kPeer + 3] = static_cast<int32_t>(AddressOf(dup, true, meta + kPeer, text + t.peer, meta + kPeerId));
  }
  if (IsTcp(domain, protocol)) {
    uint32_t len = TcpInfoReadSize();
    meta[kTcpInfo] = SysGet(dup, IPPROTO_TCP, TCP_INFO, text + t.tcpInfo, &len);
    meta[kTcpInfo + 1] = meta[kTcpInfo] == 0 ? static_cast<int32_t>(len) : 0;
  }
  if (domain == AF_UNIX) {
    struct ucred cred;
    std::memset(&cred, 0, sizeof cred);
    uint32_t len = sizeof cred;
    meta[kCred] = SysGet(dup, SOL_SOCKET, SO_PEERCRED, &cred, &len);
    meta[kCred + 1] = cred.pid;
    meta[kCred + 2] = static_cast<int32_t>(cred.uid);
    meta[kCred + 3] = static_cast<int32_t>(cred.gid);
    // pid 0, uid and gid -1: the kernel's answer for "no peer process" (see getPeerCred).
    meta[kCred + 4] = cred.pid == 0 && cred.uid == static_cast<uid_t>(-1) && cred.gid == static_cast<gid_t>(-1);
  }
  if (queues) {
    const unsigned long requests[2] = {SIOCINQ, SIOCOUTQ};
    for (int q = 0; q < 2; q++) {
      int value = 0;
      int rc = ioctl(dup, requests[q], &value);
      meta[kQueues + 2 * q] = rc == 0 ? value : 0;
      meta[kQueues + 2 * q + 1] = rc == 0 ? 0 : errno;
    }
  }
}

// Rows [from, to): each fd duplicated, checked, read and closed exactly once.
void ReadRange(int pidfd, const int32_t* fds, const double* inodes, const int32_t* flags, const Table& t, const Out& o, size_t from, size_t to,
               bool ring, GetRing* shared) {
  Refusals refusals(t.slots);
  Deferred later(ring, shared);
  for (size_t k = from; k < to; k++) {
    int32_t* meta = o.meta + k * kMetaSize;
    for (int m = 0; m < kMetaSize; m++) meta[m] = 0;
    meta[kTcpInfo] = meta[kCred] = meta[kQueues + 1] = meta[kQueues + 3] = -1;
    double* nums = o.nums + k * t.slots;
    int32_t* errs = o.errs + k * t.slots;
    uint64_t* wide = o.wide + k * t.slots;
    for (size_t i = 0; i < t.slots; i++) {
      nums[i] = 0;
      errs[i] = EBADF;
      wide[i] = 0;
    }
    if (later.Takes() && !later.Fits(t.slots)) later.Flush();
    long dup = syscall(SYS_pidfd_getfd, pidfd, fds[k], 0);
    if (dup < 0 && errno == EMFILE && later.Holds()) {  // the held duplicates take the room: free it
      later.Flush();
      dup = syscall(SYS_pidfd_getfd, pidfd, fds[k], 0);
    }
    if (dup < 0) {
      meta[kGetfd] = errno;
      continue;
    }
    int fd = static_cast<int>(dup);
    struct stat st;
    bool held = false;
    // A row the caller has the sock_diag record of is checked by its SO_COOKIE instead,
    // read with the other options (through the ring: no syscall of its own) and compared
    // by the caller (kStat -1). Not the first row of its kind: it teaches the refusals,
    // which only a socket known to be of that kind may do.
    const int32_t f = flags[k];
    const bool byCookie = ((f >> 1) & 1) != 0 && refusals.Knows((f >> 8) & 0xff, (f >> 16) & 0xff);
    if (byCookie) {
      meta[kStat] = -1;
    } else if (fstat(fd, &st) != 0) {
      meta[kStat] = errno;
    } else if (static_cast<double>(st.st_ino) != inodes[k]) {
      meta[kStat] = ESTALE;
    }
    if (meta[kStat] <= 0) {
      Deferred* to = later.Takes() ? &later : nullptr;
      ReadOne(fd, t, flags[k], &refusals, to, nums, errs, wide, meta, reinterpret_cast<char*>(o.text + k * o.textStride));
      if (to != nullptr) to->Hold(fd);
      held = to != nullptr;
    }
    if (!held) close(fd);
  }
  later.Flush();
}

// readDuplicates(pidfd, fds: Int32Array(n), inodes: Float64Array(n), flags: Int32Array(n),
//                specs: Int32Array(3m), nums: Float64Array(n·m), errs: Int32Array(n·m),
//                wide: BigUint64Array(n·m), meta: Int32Array(n·meta.size),
//                text: Uint8Array(n·stride), threads: 1..16, ring?: boolean) → undefined
// Row k of each output belongs to fds[k]. flags as duplicates.h says: bit 0 read the byte
// queues too; bits 1..7 given groups, whose slots (and, for group 0, the addresses: meta
// errno -1) are left out (errs -1), the caller has them.
// Slot values as readOptions gives them; string and bytes slots hold their length in
// nums and their bytes in the row's text cell. errs is EBADF throughout a row whose fd
// could not be duplicated or checked (meta says why). `ring` (default false): read the
// SOL_SOCKET slots through an io_uring where the kernel has one (uring_linux.h); the
// values and errnos are the same either way.
Napi::Value ReadDuplicates(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  int32_t pidfd, threads;
  if (!ReadFd(info, 0, &pidfd)) return Napi::Value();
  size_t n = 0, nInodes = 0, nFlags = 0, nSpecs = 0, nNums = 0, nErrs = 0, nWide = 0, nMeta = 0, nText = 0;
  int32_t *fds, *flags, *specs, *errs, *meta;
  double *inodes, *nums;
  uint64_t* wide;
  uint8_t* text;
  if (!Typed(env, info[1], napi_int32_array, &fds, &n) || !Typed(env, info[2], napi_float64_array, &inodes, &nInodes) ||
      !Typed(env, info[3], napi_int32_array, &flags, &nFlags) || !Typed(env, info[4], napi_int32_array, &specs, &nSpecs) ||
      !Typed(env, info[5], napi_float64_array, &nums, &nNums) || !Typed(env, info[6], napi_int32_array, &errs, &nErrs) ||
      !Typed(env, info[7], napi_biguint64_array, &wide, &nWide) || !Typed(env, info[8], napi_int32_array, &meta, &nMeta) ||
      !Typed(env, info[9], napi_uint8_array, &text, &nText)) {
    ThrowTypeError(info.Env(),
                   "readDuplicates takes (pidfd, Int32Array, Float64Array, Int32Array, Int32Array, Float64Array, "
                   "Int32Array, BigUint64Array, Int32Array, Uint8Array, threads)");
    return Napi::Value();
  }
  if (!ReadInt32(info, 10, "threads", &threads)) return Napi::Value();
  if (threads < 1 || threads > kMaxThreads) {
    ThrowRangeError(info.Env(), "The \"threads\" argument must be from 1 to 16");
    return Napi::Value();
  }
  bool ring = false;
  if (!ReadRingChoice(info, 11, &ring)) return Napi::Value();
  size_t m = nSpecs / 3;
  Table t = Layout(specs, m);
  if (nSpecs % 3 != 0 || nInodes < n || nFlags < n || nNums < n * m || nErrs < n * m || nWide < n * m ||
      nMeta < n * kMetaSize || nText < n * t.stride) {
    ThrowRangeError(info.Env(), "inodes and flags need a row per fd; nums, errs, wide, meta and text theirs (readDuplicatesLayout)");
    return Napi::Value();
  }
  if (n == 0) return info.Env().Undefined();
  Out o{nums, errs, wide, meta, text, t.stride};
  ReadRows(pidfd, fds, inodes, flags, t, o, n, threads, ring);
  return info.Env().Undefined();
}

}  // namespace

bool ReadRingChoice(const Napi::CallbackInfo& info, size_t at, bool* ring) {
  *ring = false;
  if (info.Length() <= at || info[at].IsUndefined()) return true;
  if (!info[at].IsBoolean()) {
    ThrowTypeError(info.Env(), "The \"ring\" argument must be of type boolean");
    return false;
  }
  *ring = info[at].As<Napi::Boolean>().Value();
  return true;
}

Table Layout(const int32_t* specs, size_t slots) {
  Table t{specs, slots, std::vector<uint32_t>(slots, 0), 0, 0, 0, 0, -1, -1};
  uint32_t at = 0;
  for (size_t i = 0; i < slots; i++) {
    int kind = SlotKindOf(specs[3 * i + 2]);
    if (specs[3 * i] == SOL_SOCKET && kind == kSlotInt && specs[3 * i + 1] == SO_DOMAIN) t.domainSlot = static_cast<int>(i);
    if (specs[3 * i] == SOL_SOCKET && kind == kSlotInt && specs[3 * i + 1] == SO_PROTOCOL) t.protocolSlot = static_cast<int>(i);
    t.cell[i] = at;
    if (kind == kSlotString) at += kStringCell;
    if (kind == kSlotBytes) at += kBytesCell;
  }
  t.local = at;
  t.peer = at + kAddressCell;
  t.tcpInfo = at + 2 * kAddressCell;
  t.stride = t.tcpInfo + TcpInfoReadSize();
  return t;
}

void ReadRows(int pidfd, const int32_t* fds, const double* inodes, const int32_t* flags, const Table& t, const Out& o, size_t n, int threads,
              bool ring, GetRing* own) {
  if (n == 0) return;
  struct Part {
    int pidfd;
    const int32_t* fds;
    const double* inodes;
    const int32_t* flags;
    const Table* t;
    const Out* o;
    size_t from, to;
    bool ring;
    pthread_t id;
    bool running;
  };
  size_t count = static_cast<size_t>(threads) < n ? static_cast<size_t>(threads) : n;
  size_t per = (n + count - 1) / count;
  std::vector<Part> parts;
  for (size_t p = 0; p < count && p * per < n; p++) {
    parts.push_back(Part{pidfd, fds, inodes, flags, &t, &o, p * per, (p + 1) * per < n ? (p + 1) * per : n, ring, {}, false});
  }
  auto run = [](void* part) -> void* {
    auto* x = static_cast<Part*>(part);
    ReadRange(x->pidfd, x->fds, x->inodes, x->flags, *x->t, *x->o, x->from, x->to, x->ring, nullptr);
    return nullptr;
  };
  for (size_t p = 1; p < parts.size(); p++) parts[p].running = pthread_create(&parts[p].id, nullptr, run, &parts[p]) == 0;
  ReadRange(pidfd, fds, inodes, flags, t, o, parts[0].from, parts[0].to, ring, own);  // here: with the caller's ring
  // A part no thread could be had for (a process at its limit) is read here.
  for (size_t p = 1; p < parts.size(); p++) {
    if (parts[p].running) pthread_join(parts[p].id, nullptr);
    else run(&parts[p]);
  }
}

void RegisterDuplicates(Napi::Env env, Napi::Object exports) {
  exports.Set("readDuplicates", Napi::Function::New(env, ReadDuplicates, "readDuplicates"));
  Napi::Object layout = Napi::Object::New(env);
  Napi::Object meta = Napi::Object::New(env);
  meta.Set("getfd", static_cast<int32_t>(kGetfd));
  meta.Set("stat", static_cast<int32_t>(kStat));
  meta.Set("local", static_cast<int32_t>(kLocal));
  meta.Set("peer", static_cast<int32_t>(kPeer));
  meta.Set("tcpInfo", static_cast<int32_t>(kTcpInfo));
  meta.Set("cred", static_cast<int32_t>(kCred));
  meta.Set("queues", static_cast<int32_t>(kQueues));
  meta.Set("localId", static_cast<int32_t>(kLocalId));
  meta.Set("peerId", static_cast<int32_t>(kPeerId));
  meta.Set("size", static_cast<int32_t>(kMetaSize));
  layout.Set("meta", meta);
  Napi::Object cells = Napi::Object::New(env);
  cells.Set("string", kStringCell);
  cells.Set("bytes", kBytesCell);
  cells.Set("address", kAddressCell);
  cells.Set("tcpInfo", TcpInfoReadSize());
  layout.Set("cells", cells);
  layout.Set("maxThreads", kMaxThreads);
  layout.Set("givenShift", kSlotGivenShift);
  layout.Set("rowAddresses", kRowAddresses);
  Napi::Object omitted = Napi::Object::New(env);
  omitted.Set("always", kSlotOmitted);
  omitted.Set("onTcp", kSlotOmittedOnTcp);
  omitted.Set("errno", kErrOmitted);
  layout.Set("omitted", omitted);
  exports.Set("readDuplicatesLayout", layout);
  RegisterDuplicateJobs(env, exports);
}

}  // namespace sockopt

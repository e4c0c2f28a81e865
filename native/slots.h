// One option slot and one address read into plain memory, for the two readers of many
// options at once: readOptions (one socket, inspect.cc) and readDuplicates (many sockets
// of another process, duplicates_linux.cc). Inline: no call frame between the loop and
// the syscall (see sys.h), and no JS touched, so the second may run on its own threads.
#pragma once
#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#ifdef __linux__
#include <linux/netlink.h>
#endif
#endif

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "codecs.h"
#include "sys.h"

namespace sockopt {

// The value kinds of a slot: [level, optname, kind] per option in the callers' specs.
enum SlotKind {
  kSlotInt = 0,       // C int (a 1-byte answer widened): *num
  kSlotTimeval = 1,   // struct timeval: *num in ms, 0 = none
  kSlotLinger = 2,    // struct linger: *num in seconds, NaN = off
  kSlotString = 3,    // char[]: the bytes up to the first NUL into text, *num = their length
  kSlotU64 = 4,       // uint64_t: *wide
  kSlotBytes = 5,     // raw bytes (an interface name) into text, *num = the length the kernel gave
};

// The text room a slot of each kind takes (readDuplicates' cells; readOptions uses kMaxString too).
constexpr uint32_t kStringCell = kMaxString;
constexpr uint32_t kBytesCell = 64;  // IFNAMSIZ (16) with room to spare, as readIfname reads it
// The text room a slot of `kind` takes: 0 for kinds whose answer is a number.
inline uint32_t SlotCell(int kind) { return kind == kSlotString ? kStringCell : kind == kSlotBytes ? kBytesCell : 0; }

// Where one slot's answer is read to: `buf` holds `len` bytes, either the caller's
// 16-byte `scratch` (numbers and structs) or the slot's text cell (kinds 3 and 5).
// Split from the decoding so a read may go through a ring (uring_linux.h) as well as
// a syscall: both hand the same bytes to SlotDecode.
struct SlotTarget {
  void* buf;
  uint32_t len;
};
constexpr size_t kSlotScratch = 16;  // the largest fixed answer, struct timeval
static_assert(sizeof(struct timeval) <= kSlotScratch && sizeof(struct linger) <= kSlotScratch, "a slot's scratch holds its answer");

// The target of a slot of `kind`; 0 or the errno a read of it fails with before any syscall.
inline int SlotTargetOf(int kind, void* scratch, char* text, uint32_t cell, SlotTarget* t) {
  switch (kind) {
    case kSlotInt:
      std::memset(scratch, 0, sizeof(int));
      *t = {scratch, sizeof(int)};
      return 0;
    case kSlotTimeval:
      std::memset(scratch, 0, sizeof(struct timeval));
      *t = {scratch, sizeof(struct timeval)};
      return 0;
    case kSlotLinger:
      std::memset(scratch, 0, sizeof(struct linger));
      *t = {scratch, sizeof(struct linger)};
      return 0;
    case kSlotString:
      if (text == nullptr || cell < 2) return ENOBUFS;
      std::memset(text, 0, cell);
      *t = {text, cell - 1};  // always leaves a NUL behind the copy
      return 0;
    case kSlotU64:
      std::memset(scratch, 0, sizeof(uint64_t));
      *t = {scratch, sizeof(uint64_t)};
      return 0;
    case kSlotBytes:
      if (text == nullptr || cell == 0) return ENOBUFS;
      *t = {text, cell};
      return 0;
    default:
      return EINVAL;
  }
}

// The value of an answer of `len` bytes the kernel wrote to `buf` (SlotTargetOf's).
inline void SlotDecode(int kind, const void* buf, uint32_t len, double* num, uint64_t* wide) {
  switch (kind) {
    case kSlotInt: {
      int value;
      std::memcpy(&value, buf, sizeof value);
      if (len == 1) value = *static_cast<const unsigned char*>(buf);
      *num = value;
      return;
    }
    case kSlotTimeval: {
      struct timeval tv;
      std::memcpy(&tv, buf, sizeof tv);
      *num = MsFromTimeval(tv);
      return;
    }
    case kSlotLinger: {
      struct linger l;
      std::memcpy(&l, buf, sizeof l);
      *num = l.l_onoff ? static_cast<double>(l.l_linger) : __builtin_nan("");
      return;
    }
    case kSlotString:
      *num = static_cast<double>(strnlen(static_cast<const char*>(buf), len));
      return;
    case kSlotU64:
      std::memcpy(wide, buf, sizeof *wide);
      return;
    case kSlotBytes:
      *num = len;
      return;
  }
}

// Reads one slot; 0 or the errno. `text` holds `cell` bytes (kinds 3 and 5 only).
inline int ReadSlot(int fd, int level, int optname, int kind, double* num, uint64_t* wide, char* text, uint32_t cell) {
  *num = 0;
  *wide = 0;
  alignas(8) unsigned char scratch[kSlotScratch];
  SlotTarget t;
  int err = SlotTargetOf(kind, scratch, text, cell, &t);
  if (err == 0) err = SysGet(fd, level, optname, t.buf, &t.len);
  if (err == 0) SlotDecode(kind, t.buf, t.len, num, wide);
  return err;
}

#ifndef _WIN32
// The room an address's text takes: a unix path (sun_path) or an IP literal.
constexpr uint32_t kAddressCell = sizeof(sockaddr_un::sun_path) > INET6_ADDRSTRLEN ? sizeof(sockaddr_un::sun_path) : INET6_ADDRSTRLEN;

// One address: out[0..2] = [family, port, errno], its text (IP literal or unix path,
// abstract names with their leading NUL) into `text` (kAddressCell bytes); returns the
// text's length (0 when there is none). Netlink: the port id in place of the port, and
// the group mask (sockaddr_nl's nl_groups) as decimal text. `raw` (16 bytes), when given:
// an IP address's bytes as sock_diag's ids hold them (IPv4 in the first 4), so that the
// socket can be asked for by its id.
inline size_t AddressOf(int fd, bool peer, int32_t* out, char* text, int32_t* raw = nullptr) {
  struct sockaddr_storage ss;
  std::memset(&ss, 0, sizeof ss);
  socklen_t len = sizeof ss;
  int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  out[0] = rc == 0 ? ss.ss_family : 0;
  out[1] = 0;
  out[2] = rc == 0 ? 0 : errno;
  if (rc != 0) return 0;
  if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
    const bool v4 = ss.ss_family == AF_INET;
    auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    char ip[INET6_ADDRSTRLEN] = {0};
    inet_ntop(ss.ss_family, v4 ? static_cast<const void*>(&a4->sin_addr) : &a6->sin6_addr, ip, sizeof ip);
    out[1] = ntohs(v4 ? a4->sin_port : a6->sin6_port);
    if (raw != nullptr) {
      std::memset(raw, 0, 16);
      if (v4) std::memcpy(raw, &a4->sin_addr, sizeof a4->sin_addr);
      else std::memcpy(raw, &a6->sin6_addr, sizeof a6->sin6_addr);
    }
    size_t n = strnlen(ip, sizeof ip);
    std::memcpy(text, ip, n);
    return n;
  }
#ifdef __linux__
  if (ss.ss_family == AF_NETLINK) {
    // The port id in `port` (a u32: read unsigned), the group mask as decimal text.
    auto* a = reinterpret_cast<sockaddr_nl*>(&ss);
    out[1] = static_cast<int32_t>(a->nl_pid);
    int n = snprintf(text, kAddressCell, "%u", a->nl_groups);
    return n > 0 ? static_cast<size_t>(n) : 0;
  }
#endif
  if (ss.ss_family == AF_UNIX) {
    // The kernel's length, not strlen: abstract names start with NUL and are not terminated.
    auto* a = reinterpret_cast<sockaddr_un*>(&ss);
    size_t max = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    if (max > sizeof a->sun_path) max = sizeof a->sun_path;
    size_t n = strnlen(a->sun_path, max);
    if (n == 0 && max > 0) {  // abstract: libuv binds with the NUL padding counted; Node shows '\0name'
      n = max;
      while (n > 1 && a->sun_path[n - 1] == '\0') n--;
    }
    std::memcpy(text, a->sun_path, n);
    return n;
  }
  return 0;
}
#endif

}  // namespace sockopt

// The record builders of sockdiag_records_linux.cc, for sockdiag_linux.cc (Linux only).
#pragma once
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/unix_diag.h>
#include <napi.h>

#include <cstdint>
#include <vector>

#include "grow_buffer_linux.h"

namespace sockopt {

// What diagDump asks for (the `what` argument).
enum What { kInet = 0, kUnix = 1, kNetlink = 2, kPacket = 3 };

// The fixed part of each kind's answer.
inline size_t FixedSize(int what) {
  switch (what) {
    case kInet: return sizeof(inet_diag_msg);
    case kUnix: return sizeof(unix_diag_msg);
    case kNetlink: return sizeof(netlink_diag_msg);
    default: return sizeof(packet_diag_msg);
  }
}

struct KeyCache;

// While alive, records share their property-name strings (made once per dump, not once
// per record: 20k records × 25 names of string creation were most of a dump's cost).
class KeyScope {
 public:
  explicit KeyScope(napi_env env);
  ~KeyScope();
  KeyScope(const KeyScope&) = delete;
  KeyScope& operator=(const KeyScope&) = delete;

 private:
  KeyCache* cache_;
};

// One record of each kind from its message `h` (whose length the caller checked covers `m`).
Napi::Object InetRecord(Napi::Env env, const nlmsghdr* h, const inet_diag_msg& m);
Napi::Object UnixRecord(Napi::Env env, const nlmsghdr* h, const unix_diag_msg& m);
Napi::Object NetlinkRecord(Napi::Env env, const nlmsghdr* h, const netlink_diag_msg& m);
Napi::Object PacketRecord(Napi::Env env, const nlmsghdr* h, const packet_diag_msg& m);

// diagRecord(what, bytes, offset): the record of one message of a packed dump.
void RegisterDiagRecord(Napi::Env env, Napi::Object exports);

// diagExact(nlfd, protocol, bytes, offsets[, flags]): inet records asked for again by id.
void RegisterDiagExact(Napi::Env env, Napi::Object exports);

// The inet_diag extensions every inet request asks for (TCP_INFO with `info`).
uint8_t InetExtensions(bool info);

// { bytes, index }: the messages kept in `bytes` (a mapping handed over, not copied) and their
// [inode, offset, state] entries, sorted by inode.
Napi::Value Packed(Napi::Env env, GrowBuffer* bytes, const std::vector<uint32_t>& index);
// [inode, offset, state]* as a Uint32Array, sorted by inode.
Napi::Uint32Array SortedIndex(Napi::Env env, const std::vector<uint32_t>& index);
// The same for a few messages, copied.
Napi::Value Packed(Napi::Env env, const std::vector<uint8_t>& bytes, const std::vector<uint32_t>& index);

}  // namespace sockopt

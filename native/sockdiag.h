// The record builders of sockdiag_records_linux.cc, for sockdiag_linux.cc (Linux only).
#pragma once
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/unix_diag.h>
#include <napi.h>

namespace sockopt {

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

}  // namespace sockopt

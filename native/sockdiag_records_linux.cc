// sock_diag records as JS objects (sockdiag_linux.cc asks, this file reads): each
// kind's fixed header, then its attributes one by one, every length checked against
// the message before a byte is read. Unknown attributes are skipped.
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <utility>
#include <unordered_map>

#include "args.h"
#include "env_data.h"
#include "sockdiag.h"

namespace sockopt {

// The property names, made once per environment (the main thread's, a worker's) and
// kept in its EnvData: diagRecord builds one record per call, and making its ~25 names
// anew each time was most of what it cost. They live in one array held by a reference
// (Node-API 8 refers to objects only), at the index `slots` gives each name.
struct KeptKeys {
  Napi::ObjectReference array;
  std::unordered_map<const char*, uint32_t> slots;
};

namespace {

// The kept name `k`, made and kept on first use; null where nothing can be kept.
napi_value KeptKey(napi_env env, const char* k) {
  auto& kept = DataOf(Napi::Env(env)).keys;
  if (!kept) {
    napi_value array;
    if (napi_create_array(env, &array) != napi_ok) return nullptr;
    kept = std::make_shared<KeptKeys>();
    kept->array = Napi::Persistent(Napi::Object(env, array));
  }
  napi_value array = kept->array.Value(), v;
  if (array == nullptr) return nullptr;
  auto it = kept->slots.find(k);
  if (it != kept->slots.end()) return napi_get_element(env, array, it->second, &v) == napi_ok ? v : nullptr;
  uint32_t slot = static_cast<uint32_t>(kept->slots.size());
  if (napi_create_string_utf8(env, k, NAPI_AUTO_LENGTH, &v) != napi_ok || napi_set_element(env, array, slot, v) != napi_ok) return nullptr;
  kept->slots.emplace(k, slot);
  return v;
}

}  // namespace

// Property names made once per dump, not once per record: 20k records × 25 fields of
// string creation were most of a dump's cost. Keyed by the literal's address.
struct KeyCache {
  napi_env env;
  std::unordered_map<const char*, napi_value> keys;
  napi_value Get(const char* k) {
    auto it = keys.find(k);
    if (it != keys.end()) return it->second;
    napi_value v = KeptKey(env, k);
    if (v == nullptr) napi_create_string_utf8(env, k, NAPI_AUTO_LENGTH, &v);
    keys.emplace(k, v);
    return v;
  }
};
namespace {
thread_local KeyCache* tKeys = nullptr;
}  // namespace

KeyScope::KeyScope(napi_env env) : cache_(new KeyCache{env, {}}) { tKeys = cache_; }
KeyScope::~KeyScope() {
  tKeys = nullptr;
  delete cache_;
}

namespace {

void SetV(Napi::Object o, const char* k, napi_value v) {
  if (tKeys) napi_set_property(o.Env(), o, tKeys->Get(k), v);
  else o.Set(k, v);
}
void SetU(Napi::Object o, const char* k, double v) { SetV(o, k, Napi::Number::New(o.Env(), v)); }

Napi::Value Cookie(Napi::Env env, const uint32_t c[2]) {
  return Napi::BigInt::New(env, (static_cast<uint64_t>(c[1]) << 32) | c[0]);
}

Napi::Value Bytes(Napi::Env env, const void* p, size_t n) {
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(p), n);
}

// sk_meminfo as ss -m shows it: skmem:(r,rb,t,tb,f,w,o,bl,d).
Napi::Object Skmem(Napi::Env env, const uint8_t* p, size_t n) {
  static const char* const kNames[] = {"rmemAlloc", "rcvbuf", "wmemAlloc", "sndbuf", "fwdAlloc", "wmemQueued", "optmem", "backlog", "drops"};
  Napi::Object o = Napi::Object::New(env);
  for (size_t i = 0; i < SK_MEMINFO_VARS && (i + 1) * 4 <= n; i++) {
    uint32_t v;
    std::memcpy(&v, p + 4 * i, 4);
    SetU(o, kNames[i], v);
  }
  return o;
}

std::string AddrText(int family, const uint32_t* a) {
  char text[INET6_ADDRSTRLEN] = {0};
  inet_ntop(family, a, text, sizeof text);
  return text;
}

// Every attribute of a message after its fixed header: calls f(type, data, len).
template <typename F>
void EachAttr(const nlmsghdr* h, size_t fixed, F f) {
  size_t total = h->nlmsg_len;
  size_t off = NLMSG_LENGTH(fixed);
  off = NLMSG_ALIGN(off);
  const uint8_t* base = reinterpret_cast<const uint8_t*>(h);
  while (off + sizeof(rtattr) <= total) {
    rtattr a;
    std::memcpy(&a, base + off, sizeof a);
    if (a.rta_len < sizeof(rtattr) || off + a.rta_len > total) break;  // malformed: stop, never read past
    f(a.rta_type, base + off + RTA_LENGTH(0), static_cast<size_t>(a.rta_len - RTA_LENGTH(0)));
    off += RTA_ALIGN(a.rta_len);
  }
}

uint32_t U32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

Napi::Object InetRecord(Napi::Env env, const nlmsghdr* h, const inet_diag_msg& m) {
  Napi::Object o = Napi::Object::New(env);
  SetU(o, "family", m.idiag_family);
  SetU(o, "state", m.idiag_state);
  SetU(o, "timer", m.idiag_timer);
  SetU(o, "retrans", m.idiag_retrans);
  SetU(o, "expires", m.idiag_expires);
  SetU(o, "rqueue", m.idiag_rqueue);
  SetU(o, "wqueue", m.idiag_wqueue);
  SetU(o, "uid", m.idiag_uid);
  SetU(o, "inode", m.idiag_inode);
  SetU(o, "ifindex", m.id.idiag_if);
  SetV(o, "cookie", Cookie(env, m.id.idiag_cookie));
  SetV(o, "src", Napi::String::New(env, AddrText(m.idiag_family, m.id.idiag_src)));
  SetU(o, "sport", ntohs(m.id.idiag_sport));
  SetV(o, "dst", Napi::String::New(env, AddrText(m.idiag_family, m.id.idiag_dst)));
  SetU(o, "dport", ntohs(m.id.idiag_dport));
  EachAttr(h, sizeof m, [&](int type, const uint8_t* p, size_t n) {
    switch (type) {
      case INET_DIAG_INFO: SetV(o, "info", Bytes(env, p, n)); break;
      case INET_DIAG_SKMEMINFO: SetV(o, "skmem", Skmem(env, p, n)); break;
      case INET_DIAG_CONG: SetV(o, "cong", Napi::String::New(env, reinterpret_cast<const char*>(p), strnlen(reinterpret_cast<const char*>(p), n))); break;
      case INET_DIAG_SHUTDOWN: if (n >= 1) SetU(o, "shutdown", p[0]); break;
      case INET_DIAG_TOS: if (n >= 1) SetU(o, "tos", p[0]); break;
      case INET_DIAG_TCLASS: if (n >= 1) SetU(o, "tclass", p[0]); break;
      case INET_DIAG_SKV6ONLY: if (n >= 1) SetV(o, "v6only", Napi::Boolean::New(env, p[0] != 0)); break;
      case INET_DIAG_MARK: if (n >= 4) SetU(o, "mark", U32(p)); break;
      case INET_DIAG_CLASS_ID: if (n >= 4) SetU(o, "classId", U32(p)); break;
      case INET_DIAG_PROTOCOL: if (n >= 1) SetU(o, "protocol", p[0]); break;
      case INET_DIAG_SOCKOPT: if (n >= 2) SetU(o, "sockopt", p[0] | (p[1] << 8)); break;  // bit 8·i + k: byte i, bit k
      case INET_DIAG_CGROUP_ID:
        if (n >= 8) {
          uint64_t v;
          std::memcpy(&v, p, 8);
          SetV(o, "cgroupId", Napi::BigInt::New(env, v));
        }
        break;
      case INET_DIAG_BBRINFO:
        if (n >= sizeof(tcp_bbr_info)) {
          tcp_bbr_info b;
          std::memcpy(&b, p, sizeof b);
          Napi::Object bbr = Napi::Object::New(env);
          SetU(bbr, "bw", static_cast<double>((static_cast<uint64_t>(b.bbr_bw_hi) << 32) | b.bbr_bw_lo));
          SetU(bbr, "minRtt", b.bbr_min_rtt);
          SetU(bbr, "pacingGain", b.bbr_pacing_gain);
          SetU(bbr, "cwndGain", b.bbr_cwnd_gain);
          SetV(o, "bbr", bbr);
        }
        break;
      default: break;
    }
  });
  return o;
}

Napi::Object UnixRecord(Napi::Env env, const nlmsghdr* h, const unix_diag_msg& m) {
  Napi::Object o = Napi::Object::New(env);
  SetU(o, "type", m.udiag_type);
  SetU(o, "state", m.udiag_state);
  SetU(o, "inode", m.udiag_ino);
  SetV(o, "cookie", Cookie(env, m.udiag_cookie));
  EachAttr(h, sizeof m, [&](int type, const uint8_t* p, size_t n) {
    switch (type) {
      case UNIX_DIAG_NAME: SetV(o, "name", Bytes(env, p, n)); break;  // the exact bytes; abstract names start with NUL
      case UNIX_DIAG_PEER: if (n >= 4) SetU(o, "peer", U32(p)); break;
      case UNIX_DIAG_VFS:
        if (n >= sizeof(unix_diag_vfs)) {
          unix_diag_vfs v;
          std::memcpy(&v, p, sizeof v);
          SetU(o, "vfsInode", v.udiag_vfs_ino);
          SetU(o, "vfsDev", v.udiag_vfs_dev);
        }
        break;
      case UNIX_DIAG_RQLEN:
        if (n >= sizeof(unix_diag_rqlen)) {
          unix_diag_rqlen q;
          std::memcpy(&q, p, sizeof q);
          SetU(o, "rqueue", q.udiag_rqueue);
          SetU(o, "wqueue", q.udiag_wqueue);
        }
        break;
      case UNIX_DIAG_ICONS: SetU(o, "pending", static_cast<double>(n / 4)); break;
      case UNIX_DIAG_MEMINFO: SetV(o, "skmem", Skmem(env, p, n)); break;
      case UNIX_DIAG_SHUTDOWN: if (n >= 1) SetU(o, "shutdown", p[0]); break;
      case UNIX_DIAG_UID: if (n >= 4) SetU(o, "uid", U32(p)); break;
      default: break;
    }
  });
  return o;
}

Napi::Object NetlinkRecord(Napi::Env env, const nlmsghdr* h, const netlink_diag_msg& m) {
  Napi::Object o = Napi::Object::New(env);
  SetU(o, "type", m.ndiag_type);
  SetU(o, "protocol", m.ndiag_protocol);
  SetU(o, "state", m.ndiag_state);
  SetU(o, "portid", m.ndiag_portid);
  SetU(o, "dstPortid", m.ndiag_dst_portid);
  SetU(o, "dstGroup", m.ndiag_dst_group);
  SetU(o, "inode", m.ndiag_ino);
  SetV(o, "cookie", Cookie(env, m.ndiag_cookie));
  EachAttr(h, sizeof m, [&](int type, const uint8_t* p, size_t n) {
    if (type == NETLINK_DIAG_MEMINFO) SetV(o, "skmem", Skmem(env, p, n));
  });
  return o;
}

Napi::Object PacketRecord(Napi::Env env, const nlmsghdr* h, const packet_diag_msg& m) {
  Napi::Object o = Napi::Object::New(env);
  SetU(o, "type", m.pdiag_type);
  SetU(o, "protocol", m.pdiag_num);  // the kernel already wrote it in host order (ntohs(po->num))
  SetU(o, "inode", m.pdiag_ino);
  SetV(o, "cookie", Cookie(env, m.pdiag_cookie));
  EachAttr(h, sizeof m, [&](int type, const uint8_t* p, size_t n) {
    if (type == PACKET_DIAG_INFO && n >= sizeof(packet_diag_info)) {
      packet_diag_info pi;
      std::memcpy(&pi, p, sizeof pi);
      SetU(o, "ifindex", pi.pdi_index);
    } else if (type == PACKET_DIAG_UID && n >= 4) {
      SetU(o, "uid", U32(p));
    } else if (type == PACKET_DIAG_MEMINFO) {
      SetV(o, "skmem", Skmem(env, p, n));
    }
  });
  return o;
}

namespace {

// diagRecord(what, bytes, offset) → the record of the message at `offset` of a packed
// dump's bytes, as diagDump would have built it. Every length is checked against the
// buffer first: bytes from anywhere give a record or a coded error, never a read past.
Napi::Value DiagRecord(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t what, offset;
  if (!ReadInt32(info, 0, "what", &what) || !ReadInt32(info, 2, "offset", &offset)) return Napi::Value();
  if (what < kInet || what > kPacket || offset < 0) {
    ThrowRangeError(env, "diagRecord takes what 0..3 and an offset >= 0");
    return Napi::Value();
  }
  const uint8_t* data;
  size_t len;
  if (!ReadBytes(env, info[1], "bytes", &data, &len)) return Napi::Value();
  size_t at = static_cast<size_t>(offset);
  nlmsghdr h;
  if (at > len || len - at < sizeof h) {
    ThrowRangeError(env, "no sock_diag message at this offset");
    return Napi::Value();
  }
  std::memcpy(&h, data + at, sizeof h);
  if (h.nlmsg_len > len - at || h.nlmsg_len < NLMSG_LENGTH(FixedSize(what)) || (reinterpret_cast<uintptr_t>(data + at) % alignof(nlmsghdr)) != 0) {
    ThrowValueError(env, "The \"bytes\" argument holds no whole, aligned sock_diag message at this offset");
    return Napi::Value();
  }
  const auto* m = reinterpret_cast<const nlmsghdr*>(data + at);
  const uint8_t* p = static_cast<const uint8_t*>(NLMSG_DATA(m));
  KeyScope keys(env);
  switch (what) {
    case kInet: {
      inet_diag_msg msg;
      std::memcpy(&msg, p, sizeof msg);
      return InetRecord(env, m, msg);
    }
    case kUnix: {
      unix_diag_msg msg;
      std::memcpy(&msg, p, sizeof msg);
      return UnixRecord(env, m, msg);
    }
    case kNetlink: {
      netlink_diag_msg msg;
      std::memcpy(&msg, p, sizeof msg);
      return NetlinkRecord(env, m, msg);
    }
    default: {
      packet_diag_msg msg;
      std::memcpy(&msg, p, sizeof msg);
      return PacketRecord(env, m, msg);
    }
  }
}

}  // namespace

// diagInetLayout: where each field of an inet message sits (offsets from the start of its
// nlmsghdr) and the attribute numbers, as this system's headers define them, for the JS
// reader of packed dumps (src/kernel/inet-diag.ts): a record per socket built there costs
// a fraction of one built here through Node-API.
Napi::Object InetLayout(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  const size_t msg = NLMSG_LENGTH(0), id = msg + offsetof(inet_diag_msg, id);
  const std::pair<const char*, size_t> fields[] = {
      {"family", msg + offsetof(inet_diag_msg, idiag_family)},
      {"state", msg + offsetof(inet_diag_msg, idiag_state)},
      {"timer", msg + offsetof(inet_diag_msg, idiag_timer)},
      {"retrans", msg + offsetof(inet_diag_msg, idiag_retrans)},
      {"sport", id + offsetof(inet_diag_sockid, idiag_sport)},
      {"dport", id + offsetof(inet_diag_sockid, idiag_dport)},
      {"src", id + offsetof(inet_diag_sockid, idiag_src)},
      {"dst", id + offsetof(inet_diag_sockid, idiag_dst)},
      {"ifindex", id + offsetof(inet_diag_sockid, idiag_if)},
      {"cookie", id + offsetof(inet_diag_sockid, idiag_cookie)},
      {"expires", msg + offsetof(inet_diag_msg, idiag_expires)},
      {"rqueue", msg + offsetof(inet_diag_msg, idiag_rqueue)},
      {"wqueue", msg + offsetof(inet_diag_msg, idiag_wqueue)},
      {"uid", msg + offsetof(inet_diag_msg, idiag_uid)},
      {"inode", msg + offsetof(inet_diag_msg, idiag_inode)},
      {"attrs", NLMSG_ALIGN(NLMSG_LENGTH(sizeof(inet_diag_msg)))},
      {"rtaHeader", RTA_LENGTH(0)},
      {"skmemVars", SK_MEMINFO_VARS},
      {"bbrSize", sizeof(tcp_bbr_info)},
      {"bbrBwLo", offsetof(tcp_bbr_info, bbr_bw_lo)},
      {"bbrBwHi", offsetof(tcp_bbr_info, bbr_bw_hi)},
      {"bbrMinRtt", offsetof(tcp_bbr_info, bbr_min_rtt)},
      {"bbrPacingGain", offsetof(tcp_bbr_info, bbr_pacing_gain)},
      {"bbrCwndGain", offsetof(tcp_bbr_info, bbr_cwnd_gain)},
      {"INFO", INET_DIAG_INFO},
      {"SKMEMINFO", INET_DIAG_SKMEMINFO},
      {"CONG", INET_DIAG_CONG},
      {"SHUTDOWN", INET_DIAG_SHUTDOWN},
      {"TOS", INET_DIAG_TOS},
      {"TCLASS", INET_DIAG_TCLASS},
      {"SKV6ONLY", INET_DIAG_SKV6ONLY},
      {"MARK", INET_DIAG_MARK},
      {"CLASS_ID", INET_DIAG_CLASS_ID},
      {"PROTOCOL", INET_DIAG_PROTOCOL},
      {"CGROUP_ID", INET_DIAG_CGROUP_ID},
      {"BBRINFO", INET_DIAG_BBRINFO},
  };
  for (const auto& f : fields) o.Set(f.first, static_cast<double>(f.second));
  // INET_DIAG_SOCKOPT's flags are C bitfields: their bit numbers found by setting each.
  o.Set("SOCKOPT", static_cast<double>(INET_DIAG_SOCKOPT));
  o.Set("sockoptSize", static_cast<double>(sizeof(inet_diag_sockopt)));
  Napi::Object bits = Napi::Object::New(env);
  auto bitOf = [](void (*set)(inet_diag_sockopt&)) {
    inet_diag_sockopt f;
    std::memset(&f, 0, sizeof f);
    set(f);
    uint8_t b[sizeof f];
    std::memcpy(b, &f, sizeof f);
    for (size_t i = 0; i < sizeof f; i++) {
      for (int k = 0; k < 8; k++) {
        if (b[i] & (1u << k)) return static_cast<double>(8 * i + k);
      }
    }
    return -1.0;
  };
  bits.Set("recverr", bitOf([](inet_diag_sockopt& f) { f.recverr = 1; }));
  bits.Set("freebind", bitOf([](inet_diag_sockopt& f) { f.freebind = 1; }));
  bits.Set("mcLoop", bitOf([](inet_diag_sockopt& f) { f.mc_loop = 1; }));
  bits.Set("transparent", bitOf([](inet_diag_sockopt& f) { f.transparent = 1; }));
  bits.Set("bindAddressNoPort", bitOf([](inet_diag_sockopt& f) { f.bind_address_no_port = 1; }));
  o.Set("sockoptBits", bits);
  return o;
}

void RegisterDiagRecord(Napi::Env env, Napi::Object exports) {
  exports.Set("diagRecord", Napi::Function::New(env, DiagRecord, "diagRecord"));
  exports.Set("diagInetLayout", InetLayout(env));
}

}  // namespace sockopt

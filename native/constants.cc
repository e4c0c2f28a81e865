// Levels and option numbers exactly as this platform's headers define them.
// An option the headers lack is simply absent; TypeScript never hard-codes one.
#include "constants.h"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#endif
#ifdef __linux__
#include <linux/sockios.h>
#endif

namespace sockopt {

#define DEFINE_CONSTANT(obj, name) \
  (obj).DefineProperty(Napi::PropertyDescriptor::Value(#name, Napi::Number::New(env, name), napi_enumerable))

Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);

  // Levels, families, types.
  DEFINE_CONSTANT(c, SOL_SOCKET);
  DEFINE_CONSTANT(c, IPPROTO_IP);
  DEFINE_CONSTANT(c, IPPROTO_IPV6);
  DEFINE_CONSTANT(c, IPPROTO_TCP);
  DEFINE_CONSTANT(c, IPPROTO_UDP);
#ifdef IPPROTO_UDPLITE
  DEFINE_CONSTANT(c, IPPROTO_UDPLITE);  // UDP-Lite (a UDP socket with a partial checksum)
#endif
#ifdef IPPROTO_MPTCP
  DEFINE_CONSTANT(c, IPPROTO_MPTCP);  // Linux 5.6+: an MPTCP socket answers TCP_INFO too
#endif
  DEFINE_CONSTANT(c, AF_UNIX);
  DEFINE_CONSTANT(c, AF_INET);
  DEFINE_CONSTANT(c, AF_INET6);
  DEFINE_CONSTANT(c, SOCK_STREAM);
  DEFINE_CONSTANT(c, SOCK_DGRAM);
  DEFINE_CONSTANT(c, SOCK_RAW);
  DEFINE_CONSTANT(c, SOCK_SEQPACKET);
#ifdef SOCK_RDM
  DEFINE_CONSTANT(c, SOCK_RDM);
#endif
#ifdef IPPROTO_ICMP
  DEFINE_CONSTANT(c, IPPROTO_ICMP);
#endif
#ifdef IPPROTO_ICMPV6
  DEFINE_CONSTANT(c, IPPROTO_ICMPV6);
#endif
#ifdef IPPROTO_RAW
  DEFINE_CONSTANT(c, IPPROTO_RAW);
#endif
#ifdef AF_NETLINK
  DEFINE_CONSTANT(c, AF_NETLINK);  // Linux: routing, sock_diag, audit… sockets
#endif
#ifdef AF_PACKET
  DEFINE_CONSTANT(c, AF_PACKET);  // Linux: link-layer (packet) sockets
#endif

  // SOL_SOCKET
  DEFINE_CONSTANT(c, SO_REUSEADDR);
  DEFINE_CONSTANT(c, SO_KEEPALIVE);
  DEFINE_CONSTANT(c, SO_RCVBUF);
  DEFINE_CONSTANT(c, SO_SNDBUF);
  DEFINE_CONSTANT(c, SO_RCVLOWAT);
  DEFINE_CONSTANT(c, SO_SNDLOWAT);
  DEFINE_CONSTANT(c, SO_RCVTIMEO);
  DEFINE_CONSTANT(c, SO_SNDTIMEO);
  DEFINE_CONSTANT(c, SO_LINGER);
  DEFINE_CONSTANT(c, SO_ERROR);
  DEFINE_CONSTANT(c, SO_TYPE);
  DEFINE_CONSTANT(c, SO_BROADCAST);
  DEFINE_CONSTANT(c, SO_DONTROUTE);
  DEFINE_CONSTANT(c, SO_OOBINLINE);
#ifdef SO_REUSEPORT
  DEFINE_CONSTANT(c, SO_REUSEPORT);
#endif
#ifdef SO_ACCEPTCONN
  DEFINE_CONSTANT(c, SO_ACCEPTCONN);
#endif
#ifdef SO_LINGER_SEC
  DEFINE_CONSTANT(c, SO_LINGER_SEC);
#endif
#ifdef SO_DOMAIN
  DEFINE_CONSTANT(c, SO_DOMAIN);
#endif
#ifdef SO_PROTOCOL
  DEFINE_CONSTANT(c, SO_PROTOCOL);
#endif
#ifdef SO_PRIORITY
  DEFINE_CONSTANT(c, SO_PRIORITY);
#endif
#ifdef SO_MARK
  DEFINE_CONSTANT(c, SO_MARK);
#endif
#ifdef SO_BINDTODEVICE
  DEFINE_CONSTANT(c, SO_BINDTODEVICE);
#endif
#ifdef SO_INCOMING_CPU
  DEFINE_CONSTANT(c, SO_INCOMING_CPU);
#endif
#ifdef SO_BUSY_POLL
  DEFINE_CONSTANT(c, SO_BUSY_POLL);
#endif
#ifdef SO_NOSIGPIPE
  DEFINE_CONSTANT(c, SO_NOSIGPIPE);
#endif
#ifdef SO_COOKIE
  DEFINE_CONSTANT(c, SO_COOKIE);
#endif
#ifdef SO_PEERCRED
  DEFINE_CONSTANT(c, SO_PEERCRED);
#endif
#ifdef SO_RCVBUFFORCE
  DEFINE_CONSTANT(c, SO_RCVBUFFORCE);
#endif
#ifdef SO_SNDBUFFORCE
  DEFINE_CONSTANT(c, SO_SNDBUFFORCE);
#endif

  // IPPROTO_TCP
  DEFINE_CONSTANT(c, TCP_NODELAY);
#ifdef TCP_CONNECTIONTIMEOUT
  DEFINE_CONSTANT(c, TCP_CONNECTIONTIMEOUT);
#endif
#ifdef TCP_MAXSEG
  DEFINE_CONSTANT(c, TCP_MAXSEG);
#endif
#ifdef TCP_CORK
  DEFINE_CONSTANT(c, TCP_CORK);
#endif
#ifdef TCP_KEEPIDLE
  DEFINE_CONSTANT(c, TCP_KEEPIDLE);
#endif
#ifdef TCP_KEEPALIVE  // macOS spells TCP_KEEPIDLE this way
  DEFINE_CONSTANT(c, TCP_KEEPALIVE);
#endif
#ifdef TCP_KEEPINTVL
  DEFINE_CONSTANT(c, TCP_KEEPINTVL);
#endif
#ifdef TCP_KEEPCNT
  DEFINE_CONSTANT(c, TCP_KEEPCNT);
#endif
#ifdef TCP_SYNCNT
  DEFINE_CONSTANT(c, TCP_SYNCNT);
#endif
#ifdef TCP_LINGER2
  DEFINE_CONSTANT(c, TCP_LINGER2);
#endif
#ifdef TCP_DEFER_ACCEPT
  DEFINE_CONSTANT(c, TCP_DEFER_ACCEPT);
#endif
#ifdef TCP_WINDOW_CLAMP
  DEFINE_CONSTANT(c, TCP_WINDOW_CLAMP);
#endif
#ifdef TCP_INFO
  DEFINE_CONSTANT(c, TCP_INFO);
#endif
#ifdef TCP_CONNECTION_INFO  // macOS's TCP_INFO (struct tcp_connection_info)
  DEFINE_CONSTANT(c, TCP_CONNECTION_INFO);
#endif
#ifdef TCP_QUICKACK
  DEFINE_CONSTANT(c, TCP_QUICKACK);
#endif
#ifdef TCP_CONGESTION
  DEFINE_CONSTANT(c, TCP_CONGESTION);
#endif
#ifdef TCP_USER_TIMEOUT
  DEFINE_CONSTANT(c, TCP_USER_TIMEOUT);
#endif
#ifdef TCP_NOTSENT_LOWAT
  DEFINE_CONSTANT(c, TCP_NOTSENT_LOWAT);
#endif
#ifdef TCP_FASTOPEN
  DEFINE_CONSTANT(c, TCP_FASTOPEN);
#endif

  // IPPROTO_IP
  DEFINE_CONSTANT(c, IP_TOS);
  DEFINE_CONSTANT(c, IP_TTL);
  DEFINE_CONSTANT(c, IP_MULTICAST_TTL);
  DEFINE_CONSTANT(c, IP_MULTICAST_LOOP);
#ifdef IP_MTU_DISCOVER
  DEFINE_CONSTANT(c, IP_MTU_DISCOVER);
#endif
#ifdef IP_MTU
  DEFINE_CONSTANT(c, IP_MTU);
#endif
#ifdef IP_FREEBIND
  DEFINE_CONSTANT(c, IP_FREEBIND);
#endif
#ifdef IP_TRANSPARENT
  DEFINE_CONSTANT(c, IP_TRANSPARENT);
#endif
#ifdef IP_BIND_ADDRESS_NO_PORT
  DEFINE_CONSTANT(c, IP_BIND_ADDRESS_NO_PORT);
#endif
#ifdef IP_RECVERR
  DEFINE_CONSTANT(c, IP_RECVERR);
#endif
#ifdef IP_PMTUDISC_DONT
  DEFINE_CONSTANT(c, IP_PMTUDISC_DONT);
  DEFINE_CONSTANT(c, IP_PMTUDISC_WANT);
  DEFINE_CONSTANT(c, IP_PMTUDISC_DO);
  DEFINE_CONSTANT(c, IP_PMTUDISC_PROBE);
#endif

  // IPPROTO_IPV6
  DEFINE_CONSTANT(c, IPV6_V6ONLY);
  DEFINE_CONSTANT(c, IPV6_UNICAST_HOPS);
#ifdef IPV6_TCLASS
  DEFINE_CONSTANT(c, IPV6_TCLASS);
#endif
#ifdef IPV6_MTU
  DEFINE_CONSTANT(c, IPV6_MTU);
#endif
#ifdef IPV6_RECVERR
  DEFINE_CONSTANT(c, IPV6_RECVERR);
#endif

  c.Freeze();
  return c;
}

// Sizes of the structs the codecs use, for callers of the raw Buffer form.
Napi::Object Sizes(Napi::Env env) {
  Napi::Object s = Napi::Object::New(env);
  s.Set("int", Napi::Number::New(env, sizeof(int)));
  s.Set("timeval", Napi::Number::New(env, sizeof(struct timeval)));
  s.Set("linger", Napi::Number::New(env, sizeof(struct linger)));
  s.Freeze();
  return s;
}

}  // namespace sockopt

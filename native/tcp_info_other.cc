#include "tcp_info.h"

namespace sockopt {

// No struct tcp_info here: TCP_INFO stays unsupported, and the TypeScript layer says so.
void RegisterTcpInfo(Napi::Env, Napi::Object) {}

}  // namespace sockopt

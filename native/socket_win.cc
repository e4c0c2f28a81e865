#include "names.h"
#include "socket.h"

namespace sockopt {

// Node cannot adopt a SOCKET made by an addon on Windows: connect()/createServer()
// report ERR_SOCKOPT_UNSUPPORTED from TypeScript, so nothing is registered here.
void RegisterSocket(Napi::Env, Napi::Object) {}
// No TCP_INFO there, so no close records that would need the addresses.
void RegisterNames(Napi::Env, Napi::Object) {}

}  // namespace sockopt

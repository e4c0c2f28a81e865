// Per-environment state of the addon (the main thread's, and each worker's), in the one
// Node-API instance-data slot: the addon keeps nothing in globals or thread-locals that
// outlives a call. Each part is made on first use; Node deletes the whole, and each
// part's references with it, when the environment ends.
#pragma once
#include <napi.h>

#include <memory>

namespace sockopt {

struct TcpInfoOutput;  // tcp_info_linux.cc: the arrays TCP_INFO is decoded into
struct KeptKeys;       // sockdiag_records_linux.cc: the records' property names
class ReaderPool;      // reader_pool_linux.h: the background readers of readDuplicatesStart

struct EnvData {
  // shared_ptr: each part is made, and its deleter taken, where its type is complete.
  std::shared_ptr<TcpInfoOutput> tcpInfo;
  std::shared_ptr<KeptKeys> keys;
  std::shared_ptr<ReaderPool> readers;  // each job holds it too, until the job is done
};

inline EnvData& DataOf(Napi::Env env) {
  auto* data = env.GetInstanceData<EnvData>();
  if (data == nullptr) {
    data = new EnvData();
    env.SetInstanceData(data);
  }
  return *data;
}

}  // namespace sockopt

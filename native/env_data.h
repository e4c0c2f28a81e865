// Per-environment state of the addon (the main thread's, and each worker's), in the one
// Node-API instance-data slot: the addon keeps nothing in globals or thread-locals that
// outlives a call. Each part is made on first use; Node deletes the whole, and each
// part's references with it, when the environment ends.
#pragma once
#include <napi.h>

#include <algorithm>
#include <memory>
#include <vector>
#ifndef _WIN32
#include <unistd.h>
#endif

namespace sockopt {

// The fds the addon opens for JavaScript to close (pidfds, sock_diag sockets, duplicates
// of another process's fds): close() forgets each as it closes it, and those still open
// when the environment ends (a worker terminated between an open and the finally that
// closes it: JavaScript runs no more there) are closed then. Each is closed once. Never
// one Node may adopt: Node would close it itself, and its number could be reused.
class OwnedFds {
 public:
  OwnedFds() = default;
  OwnedFds(const OwnedFds&) = delete;
  OwnedFds& operator=(const OwnedFds&) = delete;
  ~OwnedFds() {
#ifndef _WIN32
    for (int fd : fds_) close(fd);
#endif
  }
  void Add(int fd) { fds_.push_back(fd); }
  void Forget(int fd) {
    auto it = std::find(fds_.begin(), fds_.end(), fd);
    if (it != fds_.end()) fds_.erase(it);
  }

 private:
  std::vector<int> fds_;
};

struct TcpInfoOutput;  // tcp_info_linux.cc: the arrays TCP_INFO is decoded into
struct KeptKeys;       // sockdiag_records_linux.cc: the records' property names
class ReaderPool;      // reader_pool_linux.h: the background readers of readDuplicatesStart

struct EnvData {
  // shared_ptr: each part is made, and its deleter taken, where its type is complete.
  std::shared_ptr<TcpInfoOutput> tcpInfo;
  std::shared_ptr<KeptKeys> keys;
  std::shared_ptr<ReaderPool> readers;  // each job holds it too, until the job is done
  OwnedFds owned;
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

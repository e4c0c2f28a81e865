// Another process's sockets (Linux >= 5.6): pidfd_open(2) pins the process,
// pidfd_getfd(2) duplicates one of its fds into this process, as dup(2) would
// across processes. Both are plain syscall() calls (glibc < 2.36 has no
// wrappers). pidfd_getfd needs ptrace-attach rights on the target (root or
// CAP_SYS_PTRACE, or the same user where Yama allows it); the target is not
// stopped or signalled, and its own fd is untouched.
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "args.h"
#include "diag.h"
#include "env_data.h"

// The numbers are the same on every Linux architecture (the unified table since 5.1).
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace sockopt {

namespace {

// pidfdOpen(pid) → a pidfd (close-on-exec, as the kernel always makes it).
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  int32_t pid;
  if (!ReadInt32(info, 0, "pid", &pid)) return Napi::Value();
  if (pid <= 0) {
    ThrowRangeError(info.Env(), "The \"pid\" argument must be > 0");
    return Napi::Value();
  }
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    ThrowSystemError(info.Env(), errno, "pidfd_open");
    return Napi::Value();
  }
  DataOf(info.Env()).owned.Add(static_cast<int>(fd));
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

// pidfdGetfd(pidfd, targetfd) → a new fd in this process for the target's open file
// (close-on-exec, as the kernel always makes it). The caller closes it.
Napi::Value PidfdGetfd(const Napi::CallbackInfo& info) {
  int32_t pidfd, target;
  if (!ReadFd(info, 0, &pidfd) || !ReadInt32(info, 1, "targetfd", &target)) return Napi::Value();
  if (target < 0) {
    ThrowRangeError(info.Env(), "The \"targetfd\" argument must be >= 0");
    return Napi::Value();
  }
  long fd = syscall(SYS_pidfd_getfd, pidfd, target, 0);
  if (fd < 0) {
    ThrowSystemError(info.Env(), errno, "pidfd_getfd");
    return Napi::Value();
  }
  DataOf(info.Env()).owned.Add(static_cast<int>(fd));
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

// "socket:[12345]" → 12345; 0 for any other link (a file, a pipe, an anon inode).
uint64_t SocketInode(const char* link, size_t n) {
  static const char kPrefix[] = "socket:[";
  const size_t p = sizeof kPrefix - 1;
  if (n <= p + 1 || std::memcmp(link, kPrefix, p) != 0 || link[n - 1] != ']') return 0;
  uint64_t v = 0;
  for (size_t i = p; i < n - 1; i++) {
    if (link[i] < '0' || link[i] > '9' || v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + static_cast<uint64_t>(link[i] - '0');
  }
  return v;
}

// Fds from which socketFds reads the links on two threads.
constexpr size_t kSplitAt = 2048;

using FdInodes = std::vector<std::pair<int32_t, double>>;

// The sockets of /proc/PID/fd in fd order, each with the inode its link names: the names
// first (getdents: a few calls for thousands), then one readlinkat each, split over two
// threads when there are many (those are most of the time). An fd closed between the
// listing and its link is left out; any other unreadable link (EACCES without
// ptrace-read rights) fails the listing, or it would pass for "not a socket". Returns
// the errno, with its call in *call ("scandir" or "readlink"); 0: listed. No JS:
// callable off the main thread.
int ListSocketFds(int32_t pid, FdInodes* out, const char** call) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/fd", pid);
  *call = "scandir";
  int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = dfd >= 0 ? fdopendir(dfd) : nullptr;
  if (dir == nullptr) {
    int err = errno;
    if (dfd >= 0) close(dfd);
    return err;
  }
  std::vector<int32_t> names;
  for (;;) {
    errno = 0;
    dirent* e = readdir(dir);
    if (e == nullptr) break;
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd < 0 || fd > INT32_MAX) continue;  // "." and ".."
    names.push_back(static_cast<int32_t>(fd));
  }
  int err = errno;
  if (err != 0) {
    closedir(dir);
    return err;
  }
  struct Part {
    int dfd;
    const int32_t* fds;
    size_t from, to;
    FdInodes found;
    pthread_t id;
    bool running;
    int err;  // the first readlinkat errno but ENOENT; the part stops there
  };
  auto run = [](void* arg) -> void* {
    auto* x = static_cast<Part*>(arg);
    for (size_t i = x->from; i < x->to; i++) {
      char name[16], link[64];
      std::snprintf(name, sizeof name, "%d", x->fds[i]);
      ssize_t n = readlinkat(x->dfd, name, link, sizeof link);
      if (n < 0 && errno != ENOENT) {
        x->err = errno;
        return nullptr;
      }
      if (n <= 0 || static_cast<size_t>(n) >= sizeof link) continue;
      uint64_t inode = SocketInode(link, static_cast<size_t>(n));
      if (inode != 0) x->found.emplace_back(x->fds[i], static_cast<double>(inode));
    }
    return nullptr;
  };
  const size_t half = names.size() >= kSplitAt ? names.size() / 2 : names.size();
  Part parts[2] = {{dirfd(dir), names.data(), 0, half, {}, {}, false, 0}, {dirfd(dir), names.data(), half, names.size(), {}, {}, false, 0}};
  if (half < names.size()) parts[1].running = pthread_create(&parts[1].id, nullptr, run, &parts[1]) == 0;
  run(&parts[0]);
  if (parts[1].running) pthread_join(parts[1].id, nullptr);
  else run(&parts[1]);  // no thread to be had (a process at its task limit), or few fds: here
  closedir(dir);  // closes dfd too
  if (int failed = parts[0].err != 0 ? parts[0].err : parts[1].err) {
    *call = "readlink";
    return failed;
  }
  *out = std::move(parts[0].found);
  out->insert(out->end(), parts[1].found.begin(), parts[1].found.end());
  std::sort(out->begin(), out->end());
  return 0;
}

// { fds: Int32Array, inodes: Float64Array } of a listing, or the error thrown with its call,
// as fs.readdirSync or fs.readlinkSync would ("scandir" ENOENT: no such process; EACCES
// on either: no ptrace-read rights).
Napi::Value Listed(Napi::Env env, int err, const char* call, const FdInodes& found) {
  if (err != 0) {
    ThrowSystemError(env, err, call);
    return Napi::Value();
  }
  Napi::Int32Array fds = Napi::Int32Array::New(env, found.size());
  Napi::Float64Array inodes = Napi::Float64Array::New(env, found.size());
  // A worker being terminated gets no arrays (Node-API refuses, and cannot throw there):
  // nothing may be written through their null data.
  if (fds.IsEmpty() || inodes.IsEmpty() || (found.size() > 0 && (fds.Data() == nullptr || inodes.Data() == nullptr))) return Napi::Value();
  for (size_t i = 0; i < found.size(); i++) {
    fds[i] = found[i].first;
    inodes[i] = found[i].second;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fds", fds);
  out.Set("inodes", inodes);
  return out;
}

bool ReadPid(const Napi::CallbackInfo& info, int32_t* pid) {
  if (!ReadInt32(info, 0, "pid", pid)) return false;
  if (*pid <= 0) {
    ThrowRangeError(info.Env(), "The \"pid\" argument must be > 0");
    return false;
  }
  return true;
}

// socketFds(pid) → { fds: Int32Array, inodes: Float64Array }: the sockets of
// /proc/PID/fd in fd order, each with the inode its link names. One crossing for the
// whole table (20k readlinks from JavaScript cost a string and a try each). Throws the
// system error of the directory ("scandir") or of a link ("readlink"; not ENOENT).
Napi::Value SocketFds(const Napi::CallbackInfo& info) {
  int32_t pid;
  if (!ReadPid(info, &pid)) return Napi::Value();
  FdInodes found;
  const char* call = nullptr;
  int err = ListSocketFds(pid, &found, &call);
  return Listed(info.Env(), err, call, found);
}

// A listing under way on a thread of its own (socketFdsStart): `sockopt inspect` starts it
// before loading the rest of its code, which then takes no time of its own.
struct Listing {
  int32_t pid = 0;
  int err = 0;
  const char* call = nullptr;
  FdInodes found;
  pthread_t thread{};
  bool running = false;
  bool taken = false;
  void Join() {
    if (running) pthread_join(thread, nullptr);
    running = false;
  }
  ~Listing() { Join(); }
};

constexpr napi_type_tag kListingTag = {0x736f636b6f707420ULL, 0x6664736c69737431ULL};

// socketFdsStart(pid) → listing: what socketFds(pid) gives, read on a thread; taken with
// socketFdsFinish. Without a thread to be had the listing is made here.
Napi::Value SocketFdsStart(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  int32_t pid;
  if (!ReadPid(info, &pid)) return Napi::Value();
  auto listing = std::make_unique<Listing>();
  listing->pid = pid;
  auto run = [](void* arg) -> void* {
    auto* l = static_cast<Listing*>(arg);
    l->err = ListSocketFds(l->pid, &l->found, &l->call);
    return nullptr;
  };
  listing->running = pthread_create(&listing->thread, nullptr, run, listing.get()) == 0;
  if (!listing->running) run(listing.get());
  // Where wrapping fails the listing, still ours, is joined and deleted here.
  napi_value holder = WrapTagged(env, &listing, &kListingTag);
  return holder == nullptr ? Napi::Value() : Napi::Value(env, holder);
}

// socketFdsFinish(listing) → { fds, inodes }: waits for the listing; throws as socketFds
// would. Each listing is taken once.
Napi::Value SocketFdsFinish(const Napi::CallbackInfo& info) {
  auto* listing = info.Length() < 1 ? nullptr : static_cast<Listing*>(UnwrapTagged(info.Env(), info[0], &kListingTag));
  if (listing == nullptr) {
    ThrowTypeError(info.Env(), "socketFdsFinish takes a listing from socketFdsStart");
    return Napi::Value();
  }
  if (listing->taken) {
    ThrowValueError(info.Env(), "this listing was taken already");
    return Napi::Value();
  }
  listing->Join();
  listing->taken = true;
  FdInodes found = std::move(listing->found);
  return Listed(info.Env(), listing->err, listing->call, found);
}

}  // namespace

void RegisterPidfd(Napi::Env env, Napi::Object exports) {
  exports.Set("socketFds", Napi::Function::New(env, SocketFds, "socketFds"));
  exports.Set("socketFdsStart", Napi::Function::New(env, SocketFdsStart, "socketFdsStart"));
  exports.Set("socketFdsFinish", Napi::Function::New(env, SocketFdsFinish, "socketFdsFinish"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdGetfd", Napi::Function::New(env, PidfdGetfd, "pidfdGetfd"));
}

}  // namespace sockopt

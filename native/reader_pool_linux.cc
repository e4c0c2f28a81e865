// ReaderPool (reader_pool_linux.h): a FIFO queue and up to two threads below the caller's
// priority.
#include "reader_pool_linux.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "uring_linux.h"

namespace sockopt {

namespace {

// Threads per pool: the JavaScript thread that writes the rows is the one to keep up
// with, and two readers outrun it (docs/inspect.md); fewer where there are fewer cores.
unsigned PoolSize() {
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores >= 2 ? 2 : 1;
}

// How much lower than the thread that made it a reader runs (nice steps). With more
// threads than cores, an equal share left the JavaScript thread, which writes every row
// the readers give it, at half a core while they waited for it (docs/inspect.md). A
// reader lower than the writer still takes any core left idle.
constexpr int kReaderNice = 10;

// Lowers the calling thread's priority (its own, not the process's: Linux's nice is per
// thread). Raising nice needs no privilege; where it fails, the thread runs as it was.
void YieldToCaller() {
  const id_t tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) return;
  setpriority(PRIO_PROCESS, tid, std::min(19, now + kReaderNice));
}

}  // namespace

ReaderPool::~ReaderPool() {
  std::vector<pthread_t> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    all = threads_;
    all.insert(all.end(), ended_.begin(), ended_.end());
  }
  work_.notify_all();
  for (pthread_t t : all) pthread_join(t, nullptr);
}

bool ReaderPool::Grow() {
  for (pthread_t t : ended_) pthread_join(t, nullptr);  // each has returned, or is about to
  ended_.clear();
  while (threads_.size() < PoolSize()) {
    pthread_t t;
    if (pthread_create(&t, nullptr, Main, this) != 0) break;  // a process at its task limit
    threads_.push_back(t);
  }
  return !threads_.empty();
}

bool ReaderPool::Submit(Task* task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!Grow()) return false;
    task->done = false;
    task->queued = true;
    queue_.push_back(task);
  }
  work_.notify_one();
  return true;
}

void ReaderPool::Wait(Task* task) {
  std::unique_lock<std::mutex> lock(mu_);
  finished_.wait(lock, [task] { return task->done; });
}

void ReaderPool::Withdraw(Task* task) {
  std::unique_lock<std::mutex> lock(mu_);
  if (task->queued) {
    queue_.erase(std::find(queue_.begin(), queue_.end(), task));
    task->queued = false;
    task->done = true;
    return;
  }
  finished_.wait(lock, [task] { return task->done; });
}

void* ReaderPool::Main(void* self) {
  auto* pool = static_cast<ReaderPool*>(self);
  YieldToCaller();  // helper threads a task makes start from this one's nice
  GetRing ring;     // set up at the first read through it, closed when the thread ends
  std::unique_lock<std::mutex> lock(pool->mu_);
  for (;;) {
    const bool woken = pool->work_.wait_for(lock, kIdle, [pool] { return pool->stop_ || !pool->queue_.empty(); });
    if (pool->stop_ && pool->queue_.empty()) return nullptr;  // the destructor joins it
    if (!woken) {  // idle: end, to be joined by the next Grow or the destructor
      auto& t = pool->threads_;
      t.erase(std::find_if(t.begin(), t.end(), [](pthread_t x) { return pthread_equal(x, pthread_self()); }));
      pool->ended_.push_back(pthread_self());
      return nullptr;
    }
    Task* task = pool->queue_.front();
    pool->queue_.pop_front();
    task->queued = false;
    lock.unlock();
    task->run(task, &ring);
    lock.lock();
    task->done = true;
    pool->finished_.notify_all();
  }
}

}  // namespace sockopt

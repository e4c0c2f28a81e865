// The threads that read another process's sockets in the background for
// readDuplicatesStart: two per environment at most, made on first use, each with an
// io_uring of its own for as long as it lives; a thread idle for kIdle ends (its ring
// closed), so a process that read once is left with no extra thread or fd. They take the
// jobs in the order they came, so the batch the JavaScript thread waits for next is read
// first.
// A thread made and ended per job, and a ring set up and torn down each time, cost more
// than a tenth of a 20k-socket inspect's CPU: stacks, mappings and their TLB flushes
// (docs/inspect.md).
#pragma once
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace sockopt {

class GetRing;

class ReaderPool {
 public:
  // A unit of work: `run` is called once on a pool thread with that thread's ring.
  struct Task {
    void (*run)(Task* self, GetRing* ring) = nullptr;
    bool queued = false;  // guarded by the pool's lock
    bool done = false;
  };

  ReaderPool() = default;
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;
  // Only once no task is queued or running (each job holds the pool until it is done).
  ~ReaderPool();

  // Queues the task; false when no thread could be had (the caller runs it itself).
  bool Submit(Task* task);
  // Waits until the task has run.
  void Wait(Task* task);
  // Takes a task that has not started back (then it never runs) or waits for it to end.
  void Withdraw(Task* task);

  static constexpr std::chrono::milliseconds kIdle{250};

 private:
  static void* Main(void* self);
  bool Grow();  // under mu_

  std::mutex mu_;
  std::condition_variable work_, finished_;
  std::deque<Task*> queue_;
  std::vector<pthread_t> threads_;  // running
  std::vector<pthread_t> ended_;    // ended when idle, not joined yet
  bool stop_ = false;
};

}  // namespace sockopt

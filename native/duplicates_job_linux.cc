// readDuplicates in the background: readDuplicatesStart hands a batch to the
// environment's reader threads (reader_pool_linux.h) and returns at once,
// readDuplicatesFinish waits for it and copies the rows into the caller's arrays. The
// JavaScript side formats one batch while the kernel reads the next.
// The job owns everything its thread touches (copies of the inputs, its own output rows,
// a duplicate of the pidfd): nothing the JavaScript side does meanwhile (closing the
// pidfd, detaching a buffer, dropping the job) can pull memory or an fd from under it.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "args.h"
#include "duplicates.h"
#include "env_data.h"
#include "reader_pool_linux.h"

namespace sockopt {

namespace {

struct Job : ReaderPool::Task {
  std::shared_ptr<ReaderPool> pool;  // null unless the job went to the pool
  int pidfd = -1;
  int threads = 1;
  bool ring = false;
  std::vector<int32_t> fds, flags, specs;
  std::vector<double> inodes;
  Table table{};
  // The rows, in one mapping of their own, not the malloc heap (per-batch vectors grew it
  // by 40 MB). Once copied out, the mapping may pass to the caller's next job (Start's
  // `reuse`): a fresh one costs a page fault per page as the thread writes it, and page
  // faults are dear in some virtual machines (docs/inspect.md).
  void* rows = MAP_FAILED;
  size_t rowsSize = 0;  // what this job's rows take of the mapping
  size_t mapSize = 0;   // the mapping's length
  bool taken = false;   // the rows were copied out
  size_t counts[5] = {0, 0, 0, 0, 0};  // elements of wide, nums, errs, meta, text

  uint64_t* Wide() const { return static_cast<uint64_t*>(rows); }
  double* Nums() const { return reinterpret_cast<double*>(Wide() + counts[0]); }
  int32_t* Errs() const { return reinterpret_cast<int32_t*>(Nums() + counts[1]); }
  int32_t* Meta() const { return Errs() + counts[2]; }
  uint8_t* Text() const { return reinterpret_cast<uint8_t*>(Meta() + counts[3]); }

  // Room for n rows of m slots: `old`'s mapping when it is large enough and its rows
  // are taken (zeroed, as a fresh one is), else a new one, its pages faulted in at once.
  bool Map(size_t n, size_t m, Job* old) {
    counts[0] = counts[1] = counts[2] = n * m;
    counts[3] = n * kMetaSize;
    counts[4] = n * table.stride;
    rowsSize = counts[0] * 8 + counts[1] * 8 + counts[2] * 4 + counts[3] * 4 + counts[4];
    if (rowsSize == 0) return true;
    if (old != nullptr && old != this && old->taken && old->rows != MAP_FAILED && old->mapSize >= rowsSize) {
      rows = old->rows;
      mapSize = old->mapSize;
      old->rows = MAP_FAILED;
      old->mapSize = 0;
      std::memset(rows, 0, rowsSize);
      return true;
    }
    rows = mmap(nullptr, rowsSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    mapSize = rows != MAP_FAILED ? rowsSize : 0;
    return rows != MAP_FAILED;
  }
  void Unmap() {
    if (rows != MAP_FAILED) munmap(rows, mapSize);
    rows = MAP_FAILED;
    mapSize = 0;
  }
  void Run(GetRing* own) {
    Out o{Nums(), Errs(), Wide(), Meta(), Text(), table.stride};
    ReadRows(pidfd, fds.data(), inodes.data(), flags.data(), table, o, fds.size(), threads, ring, own);
  }
  // Waits for the read (withdrawing it instead when it has not started and `withdraw`).
  void Join(bool withdraw) {
    if (pool) withdraw ? pool->Withdraw(this) : pool->Wait(this);
    pool.reset();
    if (pidfd >= 0) close(pidfd);
    pidfd = -1;
  }
  ~Job() {
    Join(true);  // dropped unfinished: whatever has not started never will
    Unmap();
  }
};

// Tells a job from any other object handed back by a caller.
constexpr napi_type_tag kJobTag = {0x736f636b6f707420ULL, 0x6475706a6f622031ULL};

// The job a holder from Start wraps; null for anything else.
Job* Unwrap(napi_env env, napi_value v) { return static_cast<Job*>(UnwrapTagged(env, v, &kJobTag)); }

template <typename T>
bool CopyIn(napi_env env, napi_value v, napi_typedarray_type type, std::vector<T>* out) {
  T* data = nullptr;
  size_t n = 0;
  if (!Typed(env, v, type, &data, &n)) return false;
  out->assign(data, data + n);
  return true;
}

// readDuplicatesStart(pidfd, fds: Int32Array(n), inodes: Float64Array(n), flags: Int32Array(n),
//                     specs: Int32Array(3m), threads: 1..16, ring?: boolean, reuse?: job) → job
// What readDuplicates reads, begun on a thread; the rows wait in the job. `reuse`: a job
// whose rows were taken, whose memory this one takes over when it is large enough.
Napi::Value Start(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  int32_t pidfd, threads;
  if (!ReadFd(info, 0, &pidfd)) return Napi::Value();
  auto job = std::make_unique<Job>();
  if (!CopyIn(env, info[1], napi_int32_array, &job->fds) || !CopyIn(env, info[2], napi_float64_array, &job->inodes) ||
      !CopyIn(env, info[3], napi_int32_array, &job->flags) || !CopyIn(env, info[4], napi_int32_array, &job->specs)) {
    ThrowTypeError(info.Env(), "readDuplicatesStart takes (pidfd, Int32Array, Float64Array, Int32Array, Int32Array, threads)");
    return Napi::Value();
  }
  if (!ReadInt32(info, 5, "threads", &threads)) return Napi::Value();
  if (threads < 1 || threads > kMaxThreads) {
    ThrowRangeError(info.Env(), "The \"threads\" argument must be from 1 to 16");
    return Napi::Value();
  }
  if (!ReadRingChoice(info, 6, &job->ring)) return Napi::Value();
  Job* old = nullptr;
  if (info.Length() > 7 && !info[7].IsUndefined() && !info[7].IsNull()) {
    old = Unwrap(env, info[7]);
    if (old == nullptr) {
      ThrowTypeError(info.Env(), "The \"reuse\" argument must be a job from readDuplicatesStart, null or undefined");
      return Napi::Value();
    }
  }
  size_t n = job->fds.size(), m = job->specs.size() / 3;
  if (job->specs.size() % 3 != 0 || job->inodes.size() < n || job->flags.size() < n) {
    ThrowRangeError(info.Env(), "inodes and flags need a row per fd, specs three numbers per slot");
    return Napi::Value();
  }
  job->pidfd = fcntl(pidfd, F_DUPFD_CLOEXEC, 0);
  if (job->pidfd < 0) {
    ThrowSystemError(info.Env(), errno, "fcntl");
    return Napi::Value();
  }
  job->threads = threads;
  job->table = Layout(job->specs.data(), m);
  if (!job->Map(n, m, old)) {
    ThrowSystemError(info.Env(), errno, "mmap");
    return Napi::Value();  // the job's destructor closes its pidfd
  }
  job->run = [](ReaderPool::Task* t, GetRing* own) { static_cast<Job*>(t)->Run(own); };
  std::shared_ptr<ReaderPool>& readers = DataOf(Napi::Env(env)).readers;
  if (!readers) readers = std::make_shared<ReaderPool>();
  job->pool = readers;
  // No thread to be had (a process at its limit): the batch is read here and now instead.
  if (!readers->Submit(job.get())) {
    job->pool.reset();
    job->Run(nullptr);
  }
  // Where wrapping fails the job, still ours, is deleted here: withdrawn or waited for first.
  napi_value holder = WrapTagged(env, &job, &kJobTag);
  return holder == nullptr ? Napi::Value() : Napi::Value(env, holder);
}

// readDuplicatesFinish(job, nums, errs, wide, meta, text) → undefined
// Waits for the job's read, then copies its rows into arrays laid out as readDuplicates'.
Napi::Value Finish(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  Job* job = info.Length() < 1 ? nullptr : Unwrap(env, info[0]);
  if (job == nullptr) {
    ThrowTypeError(info.Env(), "readDuplicatesFinish takes a job from readDuplicatesStart");
    return Napi::Value();
  }
  size_t nNums = 0, nErrs = 0, nWide = 0, nMeta = 0, nText = 0;
  double* nums;
  int32_t *errs, *meta;
  uint64_t* wide;
  uint8_t* text;
  if (!Typed(env, info[1], napi_float64_array, &nums, &nNums) || !Typed(env, info[2], napi_int32_array, &errs, &nErrs) ||
      !Typed(env, info[3], napi_biguint64_array, &wide, &nWide) || !Typed(env, info[4], napi_int32_array, &meta, &nMeta) ||
      !Typed(env, info[5], napi_uint8_array, &text, &nText)) {
    ThrowTypeError(info.Env(), "readDuplicatesFinish takes (job, Float64Array, Int32Array, BigUint64Array, Int32Array, Uint8Array)");
    return Napi::Value();
  }
  if (job->taken || (job->rows == MAP_FAILED && job->rowsSize != 0)) {
    ThrowValueError(info.Env(), "this job's rows were taken already");
    return Napi::Value();
  }
  const size_t* c = job->counts;
  if (nWide < c[0] || nNums < c[1] || nErrs < c[2] || nMeta < c[3] || nText < c[4]) {
    ThrowRangeError(info.Env(), "nums, errs, wide, meta and text need room for the job's rows (readDuplicatesLayout)");
    return Napi::Value();
  }
  job->Join(false);
  if (job->rowsSize == 0) {
    job->taken = true;
    return info.Env().Undefined();
  }
  std::memcpy(wide, job->Wide(), c[0] * sizeof(uint64_t));
  std::memcpy(nums, job->Nums(), c[1] * sizeof(double));
  std::memcpy(errs, job->Errs(), c[2] * sizeof(int32_t));
  std::memcpy(meta, job->Meta(), c[3] * sizeof(int32_t));
  std::memcpy(text, job->Text(), c[4]);
  job->taken = true;  // the mapping stays for a next job to reuse, or the finalizer
  return info.Env().Undefined();
}

}  // namespace

void RegisterDuplicateJobs(Napi::Env env, Napi::Object exports) {
  exports.Set("readDuplicatesStart", Napi::Function::New(env, Start, "readDuplicatesStart"));
  exports.Set("readDuplicatesFinish", Napi::Function::New(env, Finish, "readDuplicatesFinish"));
}

}  // namespace sockopt

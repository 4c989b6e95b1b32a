// parallel_for: the model's one work-sharing loop (not installed). f(i) for
// every i in [0, n), on up to `threads` threads (the caller's among them),
// items handed out one at a time in increasing order; every call has
// returned when it returns. The fast paths rely on the results not depending
// on which thread ran an item: each item writes only its own outputs.
//
// The helper threads are kept between calls (WorkerPool): a GEMM runs five
// or more parallel loops (packing, marking tiles, the kernel, the copy out),
// and starting fresh threads for each cost about a millisecond per call on
// a loaded machine (docs/bench.md, fp8sa.gemm at 256^3). The caller always
// runs items too and the pool only adds helpers, so a call finishes even if
// no helper wakes. One loop uses the pool at a time; a second one meanwhile
// (another thread's GEMM, or a loop inside an item) starts its own threads
// as before, and so does a forked child (the pool's threads are the
// parent's). The pool is never destroyed: its threads wait on a condition
// variable until the process exits, so static destruction order and a
// child's exit never join threads that are not there.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

namespace fp8sa::detail {

class WorkerPool {
 public:
  static WorkerPool& get() {
    static WorkerPool* const pool = new WorkerPool;  // never deleted (see above)
    return *pool;
  }

  // f(i) for i in [0, n) on the caller and up to helpers pool threads;
  // false (nothing run) when another loop holds the pool.
  template <class F>
  bool run(long n, int helpers, const F& f) {
    if (getpid() != pid_) return false;
    std::unique_lock<std::mutex> use(use_, std::try_to_lock);
    if (!use.owns_lock()) return false;
    Job job;
    job.n = n;
    job.ctx = &f;
    job.call = [](const void* c, long i) { (*static_cast<const F*>(c))(i); };
    {
      std::lock_guard<std::mutex> l(m_);
      while (static_cast<int>(workers_.size()) < helpers) workers_.emplace_back([this] { loop(); });
      job_ = &job;
      want_ = helpers;
      ++generation_;
    }
    cv_.notify_all();
    drain(&job);
    std::unique_lock<std::mutex> l(m_);
    want_ = 0;  // helpers that have not taken the job by now never will
    done_.wait(l, [this] { return running_ == 0; });
    job_ = nullptr;
    return true;
  }

 private:
  struct Job {
    long n = 0;
    std::atomic<long> next{0};
    const void* ctx = nullptr;
    void (*call)(const void*, long) = nullptr;
  };

  static void drain(Job* j) {
    for (long i; (i = j->next.fetch_add(1, std::memory_order_relaxed)) < j->n;) j->call(j->ctx, i);
  }

  [[noreturn]] void loop() {
    unsigned long seen = 0;
    std::unique_lock<std::mutex> l(m_);
    for (;;) {
      cv_.wait(l, [&] { return generation_ != seen && want_ > 0; });
      seen = generation_;
      --want_;
      ++running_;
      Job* j = job_;
      l.unlock();
      drain(j);
      l.lock();
      if (--running_ == 0) done_.notify_all();
    }
  }

  std::mutex use_;  // held by the loop using the pool
  std::mutex m_;    // the fields below
  std::condition_variable cv_, done_;
  std::vector<std::thread> workers_;
  Job* job_ = nullptr;
  unsigned long generation_ = 0;
  int want_ = 0;     // helpers still to take the current job
  int running_ = 0;  // helpers inside drain()
  const pid_t pid_ = getpid();  // the process whose threads these are
};

template <class F>
void parallel_for(long n, int threads, const F& f) {
  if (threads <= 1 || n <= 1) {
    for (long i = 0; i < n; ++i) f(i);
    return;
  }
  const long nt = std::min<long>(threads, n);
  if (WorkerPool::get().run(n, static_cast<int>(nt - 1), f)) return;
  std::atomic<long> next{0};
  auto work = [&] {
    for (long i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) f(i);
  };
  std::vector<std::thread> ts;
  for (long i = 1; i < nt; ++i) ts.emplace_back(work);
  work();
  for (std::thread& t : ts) t.join();
}

}  // namespace fp8sa::detail

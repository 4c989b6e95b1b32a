// parallel_for: the model's one work-sharing loop (not installed). f(i) for
// every i in [0, n), on up to `threads` threads (the caller's among them),
// items handed out one at a time in increasing order; every call has
// returned when it returns. The fast paths rely on the results not depending
// on which thread ran an item: each item writes only its own outputs.
#pragma once

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace fp8sa::detail {

template <class F>
void parallel_for(long n, int threads, const F& f) {
  if (threads <= 1 || n <= 1) {
    for (long i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<long> next{0};
  auto work = [&] {
    for (long i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) f(i);
  };
  std::vector<std::thread> ts;
  const long nt = std::min<long>(threads, n);
  for (long i = 1; i < nt; ++i) ts.emplace_back(work);
  work();
  for (std::thread& t : ts) t.join();
}

}  // namespace fp8sa::detail

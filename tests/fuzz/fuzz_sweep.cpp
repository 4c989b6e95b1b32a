// libFuzzer target: fp8sa explore's sweep-file parser and planner
// (explore/src/sweep.cpp) on arbitrary text, with small limits (1,000 points,
// 256 MiB of data sets, 2 threads). Allowed outcomes: points that satisfy
// the invariants below, or one SweepError of one line; never a crash,
// another exception, a huge allocation (the planner counts before it
// expands: "k = 1..65535" x "seed = 0..2^62" must be refused, not made).
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "fp8sa/explore/sweep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fp8sa;
  using namespace fp8sa::explore;
  const std::string text(reinterpret_cast<const char*>(data), size);
  SweepLimits lim;
  lim.max_points = 1000;
  lim.max_memory = uint64_t{256} << 20;
  lim.threads = 2;
  try {
    const std::vector<explore::Point> pts = plan_sweep(text, "fuzz.conf", lim);
    if (pts.empty() || pts.size() > lim.max_points) std::abort();
    std::set<std::string> keys;
    for (const explore::Point& p : pts) {
      p.acc.validate();  // throws (an unexpected exception: a finding) for a bad format
      if (p.k < 1 || p.k > 65535 || p.trials < 4 || p.trials > (1 << 20) || p.sr_bits < 2 || p.sr_bits > 24 ||
          p.promote < 0 || p.promote == 1 || p.promote > 65535)
        std::abort();
      if (!keys.insert(p.key()).second) std::abort();  // duplicates are removed
      if (point_bytes(p) > lim.max_memory) std::abort();
    }
  } catch (const SweepError& e) {
    const std::string m = e.what();
    if (m.empty() || m.size() > 600 || m.find('\n') != std::string::npos) std::abort();
  }
  return 0;
}

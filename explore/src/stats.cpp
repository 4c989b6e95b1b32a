// The error statistics: see fp8sa/explore/stats.hpp.
#include "fp8sa/explore/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fp8sa::explore {

Stats point_stats(const double* y, const double* exact, const double* abs_sum, size_t n) {
  Stats s;
  double sum_abs = 0, sum_sq = 0, sum = 0, sum_nsq = 0;
  int nn = 0;
  for (size_t i = 0; i < n; ++i) {
    const double x = exact[i];
    if (!std::isfinite(y[i])) {
      ++s.nonfinite;
      continue;
    }
    if (abs_sum[i] > 0) {
      const double e = std::fabs(y[i] - x) / abs_sum[i];
      sum_nsq += e * e;
      s.max_norm = std::max(s.max_norm, e);
      ++nn;
    }
    if (x == 0) {
      ++s.zero_exact;
      continue;
    }
    const double r = (y[i] - x) / std::fabs(x);
    ++s.trials;
    sum += r;
    sum_abs += std::fabs(r);
    sum_sq += r * r;
    s.max_rel = std::max(s.max_rel, std::fabs(r));
  }
  if (s.trials > 0) {
    s.mean_rel = sum_abs / s.trials;
    s.rms_rel = std::sqrt(sum_sq / s.trials);
    s.bias = sum / s.trials;
    const double var = std::max(0.0, sum_sq / s.trials - s.bias * s.bias);
    s.bias_se = s.trials > 1 ? std::sqrt(var / (s.trials - 1)) : 0.0;
  }
  if (nn > 0) s.rms_norm = std::sqrt(sum_nsq / nn);
  if (s.nonfinite > 0) {
    const double inf = std::numeric_limits<double>::infinity();
    s.mean_rel = s.rms_rel = s.max_rel = s.rms_norm = s.max_norm = inf;
    s.bias = s.bias_se = inf;
    s.trials += s.nonfinite;
  }
  return s;
}

void GemmErrorStats::add(double got, double ref) {
  if (!std::isfinite(got) || !std::isfinite(ref)) {
    ++nonfinite;
    return;
  }
  const double rel = ref != 0.0 ? std::fabs(got - ref) / std::fabs(ref) : std::fabs(got);
  max_rel = std::max(max_rel, rel);
  sum_sq += rel * rel;
  diff_sq += (got - ref) * (got - ref);
  ref_sq += ref * ref;
  ++counted;
}

double GemmErrorStats::rms_rel() const { return counted ? std::sqrt(sum_sq / static_cast<double>(counted)) : 0.0; }

double GemmErrorStats::normwise() const { return ref_sq > 0 ? std::sqrt(diff_sq / ref_sq) : std::sqrt(diff_sq); }

}  // namespace fp8sa::explore

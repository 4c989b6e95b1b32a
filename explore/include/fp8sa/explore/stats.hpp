// The error statistics: of a sweep point's outputs against their exact dot
// products (Stats, docs/exploration.md "Method"), and of a GEMM's outputs
// against its float64 reference (GemmErrorStats: fp8sa gemm and fp8sa board).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fp8sa::explore {

struct Stats {
  int trials = 0;            // outputs with a non-zero exact value (relative error defined)
  int zero_exact = 0;        // outputs whose exact value is 0 (left out of the relative error)
  int nonfinite = 0;         // outputs that were Inf or NaN (overflow): their error counts as +Inf
  double mean_rel = 0, rms_rel = 0, max_rel = 0;  // |y - x| / |x|
  double bias = 0, bias_se = 0;                   // mean of (y - x) / |x|, its standard error
  double rms_norm = 0, max_norm = 0;              // |y - x| / sum |a_i b_i| (normwise)
  uint64_t macs = 0;
  double seconds = 0;        // CPU time of the model run (one thread)
};

// The statistics of n outputs y against their exact values x and the sums
// of |a_i b_i| (macs and seconds are left 0: the runner fills them).
Stats point_stats(const double* y, const double* exact, const double* abs_sum, size_t n);

// A GEMM's outputs against a float64 reference: elementwise relative error
// (|got| where the reference is 0) and the normwise ||got - ref||_F / ||ref||_F;
// non-finite pairs are counted and left out.
struct GemmErrorStats {
  uint64_t counted = 0, nonfinite = 0;
  double max_rel = 0, sum_sq = 0;  // elementwise relative error
  double diff_sq = 0, ref_sq = 0;  // normwise
  void add(double got, double ref);
  double rms_rel() const;
  double normwise() const;
};

}  // namespace fp8sa::explore

// fp8sa explore's engine (explore/: reference, models, runner):
//   * the exact reference (a 128-bit fixed-point sum) against MPFR sums of
//     the exact products (fp8sa::ref), on every data kind and operand mix;
//   * the km-block comparison model on a hand-computed case;
//   * the hardware points' statistics against the same outputs computed
//     here from gemm_functional's words and the MPFR sums.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <cstdint>
#include <string>
#include <vector>

#include "fp8sa/explore/models.hpp"
#include "fp8sa/explore/reference.hpp"
#include "fp8sa/explore/runner.hpp"
#include "fp8sa/explore/sweep.hpp"
#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "ref.hpp"

namespace fp8sa::test {
namespace {

using explore::DataSet;
using explore::Point;

// The exact dot product of output (m, n) as MPFR sums it, rounded to double.
double mpfr_dot(const DataSet& d, int m, int n) {
  ref::Exact s(0.0);
  for (int k = 0; k < d.K; ++k) {
    const double a = ref::fp8_decode(d.A[static_cast<size_t>(m) * d.K + k], d.fa);
    const double b = ref::fp8_decode(d.B[static_cast<size_t>(k) * d.N + n], d.fb);
    ref::Exact t;
    ref::exact_add(t, s, ref::Exact(a * b));  // a * b is exact in binary64 (<= 8 significant bits)
    s = t;
  }
  return mpfr_get_d(s.get(), MPFR_RNDN);
}

TEST(Explore, ExactReferenceMatchesMpfr) {
  for (const char* data : {"normal", "uniform", "heavy"})
    for (const char* ops : {"e4m3", "e5m2", "e4m3xe5m2"}) {
      Point p;
      p.data = data;
      p.k = 700;
      p.trials = 16;
      explore::parse_operands(ops, &p.fa, &p.fb);
      const auto d = explore::make_data(p);
      ASSERT_EQ(d->M, 4);
      for (int m = 0; m < d->M; ++m)
        for (int n = 0; n < d->N; ++n)
          EXPECT_EQ(d->exact[static_cast<size_t>(m) * d->N + n], mpfr_dot(*d, m, n)) << data << " " << ops;
    }
}

TEST(Explore, KmBlockTruncatesBelowFourteenBits) {
  // A row: 1.0, then 63 products of 2^-14 (E5M2 0x04 is 2^-14; 0x3C is 1.0):
  // against the leading 2^0 every 2^-14 lies below the 14 kept bits, in both
  // blocks, so the model returns 1 where the exact sum is 1 + 63 * 2^-14.
  DataSet d;
  d.M = 1;
  d.K = 64;
  d.N = 4;
  d.fa = d.fb = Fp8Format::E5M2;
  d.A.assign(64, 0x04);
  d.A[0] = 0x3C;
  d.B.assign(64 * 4, 0x3C);
  const double x = 1.0 + 63.0 * std::ldexp(1.0, -14);
  d.exact.assign(4, x);
  d.abs_sum.assign(4, x);
  Point p;
  p.model = "km-block";
  p.k = 64;
  p.trials = 4;
  const explore::Stats s = explore::run_point(p, d);
  EXPECT_EQ(s.trials, 4);
  EXPECT_DOUBLE_EQ(s.bias, (1.0 - x) / x);
  EXPECT_DOUBLE_EQ(s.max_rel, (x - 1.0) / x);
  // 2^-13 is kept: 1 + 63 * 2^-13 exactly.
  d.A.assign(64, 0x08);  // E5M2 0x08 = 2^-13
  d.A[0] = 0x3C;
  const double x2 = 1.0 + 63.0 * std::ldexp(1.0, -13);
  d.exact.assign(4, x2);
  d.abs_sum.assign(4, x2);
  EXPECT_EQ(explore::run_point(p, d).max_rel, 0.0);
}

TEST(Explore, HardwarePointStatisticsFromTheModelsWords) {
  Point p;
  p.acc = AccFormat{8, 7};
  p.rnd = Round::SR;
  p.sr_bits = 6;
  p.k = 300;
  p.trials = 32;
  p.data = "uniform";
  const auto d = explore::make_data(p);
  const explore::Stats s = explore::run_point(p, *d);
  // The same outputs from gemm_functional directly (8 x 4 array, the
  // point's seed), their error against the MPFR sums.
  ArrayConfig cfg;
  cfg.rows = 8;
  cfg.cols = 4;
  cfg.acc = p.acc;
  cfg.sr_bits = p.sr_bits;
  cfg.seed = 1;
  GemmProblem g;
  g.M = d->M;
  g.K = d->K;
  g.N = d->N;
  g.A = d->A.data();
  g.B = d->B.data();
  g.rnd = p.rnd;
  GemmOutput out;
  gemm_functional(g, cfg, &out);
  const ref::FloatFormat f = ref::acc_format(8, 7);
  double sum = 0, mx = 0;
  for (int m = 0; m < d->M; ++m)
    for (int n = 0; n < d->N; ++n) {
      const double x = mpfr_dot(*d, m, n);
      const double y = ref::decode(out.out[static_cast<size_t>(m) * d->N + n], f);
      sum += (y - x) / std::fabs(x);
      mx = std::max(mx, std::fabs(y - x) / std::fabs(x));
    }
  EXPECT_EQ(s.trials, 32);
  EXPECT_NEAR(s.bias, sum / 32, 1e-15);
  EXPECT_DOUBLE_EQ(s.max_rel, mx);
}

// A comparison model is one registry entry: registered, it runs in a point,
// names itself in the key and the CSV, and the registry refuses its name twice.
TEST(Explore, RegisteredModelRunsAsAPointAndIsRefusedTwice) {
  explore::ModelEntry e;
  e.name = "test-half";
  e.description = "half the exact sum (a test model)";
  e.uses_acc = false;
  e.run = [](const Point&, const DataSet& d, double* y) {
    for (size_t i = 0; i < d.exact.size(); ++i) y[i] = d.exact[i] / 2;
  };
  explore::register_model(e);
  EXPECT_THROW(explore::register_model(e), std::invalid_argument);
  Point p;
  p.model = "test-half";
  p.k = 32;
  p.trials = 8;
  p.data = "uniform";
  const auto d = explore::make_data(p);
  const explore::Stats s = explore::run_point(p, *d);
  EXPECT_EQ(s.trials, 8);
  EXPECT_DOUBLE_EQ(s.bias, -0.5);
  EXPECT_NE(p.key().find("model=test-half acc=- round=-"), std::string::npos) << p.key();
  EXPECT_EQ(explore::csv_line(p, s, false).rfind("test-half,-,-,-,0,32,", 0), 0u) << explore::csv_line(p, s, false);
  try {
    explore::find_model("nosuch");
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& x) {
    EXPECT_NE(std::string(x.what()).find("sr-ideal or test-half"), std::string::npos) << x.what();
  }
}

// The float64 reference check (fp8sa gemm, fp8sa board): the result equal
// to the k-order float64 sums has no error, one output off by a known
// amount gives exactly that error; the sampled grid is every output when
// there are at most 64 rows and columns, so it agrees with the full check.
TEST(Explore, GemmReferenceCheckFullAndSampled) {
  const uint64_t m = 5, k = 7, n = 3;
  std::vector<double> a(m * k), b(k * n), want(m * n, 0.0);
  for (uint64_t i = 0; i < a.size(); ++i) a[i] = static_cast<double>(static_cast<int>(i % 11) - 5) / 4;
  for (uint64_t i = 0; i < b.size(); ++i) b[i] = static_cast<double>(static_cast<int>(i % 7) - 3) * 8;
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j) {
      double s = 1.5;  // C
      for (uint64_t kk = 0; kk < k; ++kk) s += a[i * k + kk] * b[kk * n + j];
      want[i * n + j] = s;
    }
  std::vector<double> got = want;
  explore::GemmCheck g;
  g.m = m;
  g.k = k;
  g.n = n;
  g.a = [&](uint64_t i) { return a[i]; };
  g.b = [&](uint64_t i) { return b[i]; };
  g.c = [](uint64_t, uint64_t) { return 1.5; };
  g.got = [&](uint64_t i, uint64_t j) { return got[i * n + j]; };
  uint64_t rows = 0, cols = 0;
  explore::GemmErrorStats st = explore::check_gemm(g, true, &rows, &cols);
  EXPECT_EQ(st.counted, m * n);
  EXPECT_EQ(st.max_rel, 0.0);
  uint64_t off = 0;
  while (want[off] == 0) ++off;
  got[off] = want[off] * 1.25;
  for (bool full : {true, false}) {
    st = explore::check_gemm(g, full, &rows, &cols);
    EXPECT_EQ(rows, m);
    EXPECT_EQ(cols, n);
    EXPECT_EQ(st.counted, m * n);
    EXPECT_DOUBLE_EQ(st.max_rel, 0.25);
    EXPECT_DOUBLE_EQ(st.rms_rel(), std::sqrt(0.0625 / static_cast<double>(m * n)));
  }
}

// The sweep keys of the array's fields come from the one field list: each
// is the field's list name ("dot-n") with '_' for '-', a sweep file takes
// it, and a section that gives it the list's default plans the same points
// as one that leaves it out (the sweep's default is the array's).
TEST(Explore, SweepKeyOfAnArrayFieldIsItsListName) {
  const std::vector<std::string>& keys = explore::sweep_keys();
  const std::vector<std::string>& members = explore::sweep_array_key_members();
  ASSERT_EQ(members.size(), 7u);  // acc, sr_bits, promote_n, pe_kind, dot_n, align_bits, sr_kind
  const explore::SweepLimits lim;
  const std::string base = "[sweep s]\nk = 16\ntrials = 4\n";
  const std::vector<explore::Point> plain = explore::plan_sweep(base, "t.conf", lim);
  for (const std::string& m : members) {
    const ArrayField* f = nullptr;
    for (const ArrayField& af : array_fields())
      if (m == af.member) f = &af;
    ASSERT_NE(f, nullptr) << m << " is not an ArrayConfig member";
    std::string want = f->name;
    std::replace(want.begin(), want.end(), '-', '_');
    EXPECT_EQ(std::count(keys.begin(), keys.end(), want), 1) << m << ": no sweep key '" << want << "'";
    const std::vector<explore::Point> given =
        explore::plan_sweep(base + want + " = " + f->dflt + "\n", "t.conf", lim);
    ASSERT_EQ(given.size(), plain.size()) << want;
    for (size_t i = 0; i < given.size(); ++i) EXPECT_EQ(given[i].key(), plain[i].key()) << want;
  }
  EXPECT_THROW(explore::plan_sweep(base + "promote_n = 0\n", "t.conf", lim), explore::SweepError)
      << "the sweep key is the list name, not the member";
}

}  // namespace
}  // namespace fp8sa::test

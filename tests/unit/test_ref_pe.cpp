// Self-checks of the references of the SR kinds (numerics.md section 5) and
// of the PE kinds (section 10) in fp8sa_ref (tests/ref/round.cpp,
// pe_ref.cpp). No model is linked.
//
//   * The worked examples of the spec, on the reference: the SR kinds table
//     of section 5 (SrKind.WorkedExamples) and the examples A-E of 10.4
//     (PeKinds.WorkedExampleA ... E).
//   * SR kinds against their defining formulas, exhaustively over u for
//     R = 2..10, on values whose discarded fraction is a known dyadic n / 2^m
//     (integer arithmetic in the test): trunc = "add R random bits
//     2^R - 1 - u, carry out" on floor(g); src = the same on RNE(g); mid =
//     the midpoint of the interval of width 2^-(R-1) holding f; the
//     hardware's bit formulas on D and st; the bias bounds of the table.
//   * The exact tile against sums formed another way: host binary32
//     conversion of an exact double sum (RNE and RZ, with the host's flags),
//     and 128-bit integer sums in units of 2^-32 for long tiles.
//   * The dot step against the fma chain (ref_mac) with DOT_N = 1 and a
//     48-bit window where nothing can be truncated, and against the exact
//     tile for one step of DOT_N products in such a window.
//   * The dot step's truncation against hand-worked cases, promotion, and
//     the parameter checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

using ref::PeRefConfig;
using ref::RefResult;
using ref::SrKind;

constexpr SrKind kKinds[] = {SrKind::Mid, SrKind::Trunc, SrKind::Src};
constexpr Round kRounds[] = {Round::RNE, Round::RZ, Round::SR};

std::string res_str(const RefResult& r, int digits = 8) { return hx(r.bits, digits) + " [" + ref::flags_str(r.flags) + "]"; }

PeRefConfig pe_cfg(int exp_bits, int man_bits, int dot_n, int align_bits, int sr_bits = 16,
                   SrKind kind = SrKind::Mid, int promote_n = 0) {
  PeRefConfig c;
  c.acc = ref::acc_format(exp_bits, man_bits);
  c.dot_n = dot_n;
  c.align_bits = align_bits;
  c.sr_bits = sr_bits;
  c.sr_kind = kind;
  c.promote_n = promote_n;
  return c;
}

// ---------------------------------------------------------------------------
// SR kinds
// ---------------------------------------------------------------------------

TEST(SrKind, WorkedExamples) {
  // numerics.md section 5: accumulator e8m2, R = 4, acc = 1.0 (0x1FC).
  const ref::FloatFormat e8m2 = ref::acc_format(8, 2);
  struct Row {
    uint8_t a;            // E4M3, times b = 0x38 (1.0)
    double x;             // the exact sum
    double f, g;
    uint64_t k[3];        // mid, trunc, src
    uint32_t u;
    uint32_t result[3];   // mid, trunc, src
  };
  const Row rows[] = {
      {0x1D, 1.1015625, 13.0 / 32, 6.5, {7, 6, 6}, 6, {0x1FD, 0x1FC, 0x1FC}},
      {0x1F, 1.1171875, 15.0 / 32, 7.5, {7, 7, 8}, 7, {0x1FC, 0x1FC, 0x1FD}},
  };
  for (const Row& row : rows) {
    ref::Exact x(row.x);
    EXPECT_EQ(ref::fp8_decode(row.a, Fp8Format::E4M3) + 1.0, row.x);
    for (int i = 0; i < 3; ++i) {
      const ref::SrSplit sp = ref::sr_split(x.get(), e8m2, 4, kKinds[i]);
      EXPECT_EQ(mpfr_get_d(sp.f.get(), MPFR_RNDN), row.f);
      EXPECT_EQ(std::ldexp(mpfr_get_d(sp.f.get(), MPFR_RNDN), 4), row.g);
      EXPECT_EQ(sp.y_dn, 1.0);
      EXPECT_EQ(sp.ulp, 0.25);
      EXPECT_EQ(sp.k, row.k[i]) << ref::sr_kind_str(kKinds[i]) << " x = " << row.x;
      const RefResult r = ref::ref_mac(0x1FC, row.a, Fp8Format::E4M3, 0x38, Fp8Format::E4M3, e8m2, Round::SR,
                                       row.u, 4, kKinds[i]);
      EXPECT_EQ(r, (RefResult{row.result[i], ref::kInexact}))
          << ref::sr_kind_str(kKinds[i]) << " x = " << row.x << ": " << res_str(r, 3);
    }
  }
}

// x = sign * (q + n / 2^m) * ulp with the grid of f at q * ulp: the discarded
// fraction is exactly n / 2^m.
struct Dyadic {
  double x;
  double y_dn, ulp;
  uint64_t n;
  int m;
};

// Exact integer forms of the three kinds' defining formulas for
// f = n / 2^m and R random bits: whether u rounds up.
struct KindRules {
  uint64_t gfl;   // floor(g), g = n * 2^R / 2^m
  int half;       // sign of (g - floor(g)) - 1/2
  bool exact_g;   // g is an integer
  KindRules(uint64_t n, int m, int R) {
    const unsigned __int128 num = static_cast<unsigned __int128>(n) << R;  // g = num / 2^m
    gfl = static_cast<uint64_t>(num >> m);
    const unsigned __int128 rem = num & ((static_cast<unsigned __int128>(1) << m) - 1u);
    const unsigned __int128 twice = rem << 1, one = static_cast<unsigned __int128>(1) << m;
    half = twice < one ? -1 : (twice > one ? 1 : 0);
    exact_g = rem == 0;
  }
  // trunc: add v = 2^R - 1 - u to floor(g) and keep the carry out of R bits.
  bool trunc_up(uint32_t u, int R) const { return gfl + ((uint64_t{1} << R) - 1u - u) >= (uint64_t{1} << R); }
  // src (Fitzgibbon & Felix): RNE(g), then the same comparison.
  uint64_t rne_g() const { return gfl + ((half > 0 || (half == 0 && (gfl & 1u))) ? 1u : 0u); }
  bool src_up(uint32_t u, int R) const { return rne_g() + ((uint64_t{1} << R) - 1u - u) >= (uint64_t{1} << R); }
};

// mid's threshold from its definition: f a multiple of 2^-(R-1): P(up) = f,
// so k = f * 2^R; otherwise k / 2^R is the midpoint (2j + 1) / 2^R of the
// interval [j, j + 1) * 2^-(R-1) that holds f.
uint64_t mid_k(uint64_t n, int m, int R) {
  // f * 2^(R-1) = n * 2^(R-1) / 2^m
  const unsigned __int128 num = static_cast<unsigned __int128>(n) << (R - 1);
  const uint64_t j = static_cast<uint64_t>(num >> m);
  const bool multiple = (num & ((static_cast<unsigned __int128>(1) << m) - 1u)) == 0;
  return multiple ? 2 * j : 2 * j + 1;
}

TEST(SrKind, ReferenceMatchesDefiningFormulasExhaustiveOverU) {
  const uint64_t seed = test_seed(0x5A0017ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("SrKind: ref round_to_acc vs the kinds' defining formulas, every u, R = 2..10 (roundings)");
  // e8m10 (normal grid at 1.0 .. 2.0, and in binade 2^-100) and e5m10's subnormal grid.
  const ref::FloatFormat e8m10 = ref::acc_format(8, 10), e5m10 = ref::acc_format(5, 10);
  int failures = 0;
  uint64_t values = 0, inexact_k0 = 0, ties = 0;
  for (int R = 2; R <= 10; ++R) {
    for (int rep_i = 0; rep_i < 400; ++rep_i) {
      const int m = static_cast<int>(rng() % static_cast<uint64_t>(R + 4));  // f = n / 2^m, m <= R + 3
      const uint64_t n = m == 0 ? 0 : rng() % (uint64_t{1} << m);
      const int grid = rep_i % 3;
      const ref::FloatFormat& f = grid == 2 ? e5m10 : e8m10;
      const double ulp = grid == 0 ? std::ldexp(1.0, -10) : (grid == 1 ? std::ldexp(1.0, -110) : f.min_subnormal());
      const uint64_t q = grid == 2 ? rng() % 1024 : 1024 + rng() % 1024;  // subnormal grid: q < 2^10
      const bool neg = (rng() & 1u) != 0;
      const double mag = (static_cast<double>(q) + std::ldexp(static_cast<double>(n), -m)) * ulp;
      if (mag == 0.0) continue;
      const double x = neg ? -mag : mag;
      ref::Exact ex(x);
      const KindRules kr(n, m, R);
      const uint64_t kdef[3] = {mid_k(n, m, R), kr.gfl, kr.rne_g()};
      ++values;
      ties += kr.half == 0 && !kr.exact_g;
      for (int ki = 0; ki < 3; ++ki) {
        const SrKind kind = kKinds[ki];
        const ref::SrSplit sp = ref::sr_split(ex.get(), f, R, kind);
        // The split itself: y_dn, ulp, f, and the hardware's bit formulas on
        // D = floor(f * 2^(R+1)) and st.
        const uint64_t D = sp.d, st = static_cast<uint64_t>(sp.st);
        const uint64_t bit_k = kind == SrKind::Mid
                                   ? (((D >> 2) << 1) | ((D >> 1) & 1u) | (D & 1u) | st)
                                   : (kind == SrKind::Trunc ? (D >> 1) : ((D >> 1) + ((D & 1u) & (st | ((D >> 1) & 1u)))));
        const bool ok_split = sp.y_dn == static_cast<double>(q) * ulp && sp.ulp == ulp &&
                              mpfr_cmp_d(sp.f.get(), std::ldexp(static_cast<double>(n), -m)) == 0 &&
                              sp.k == kdef[ki] && bit_k == sp.k;
        if (!ok_split && ++failures <= kMaxReported)
          ADD_FAILURE() << ref::sr_kind_str(kind) << " R=" << R << " x=" << x << " f=" << n << "/2^" << m
                        << ": ref k " << sp.k << ", defining formula " << kdef[ki] << ", bit formula " << bit_k
                        << " (D " << D << ", st " << st << "), y_dn " << sp.y_dn << " ulp " << sp.ulp;
        // The bias of the table: E[result] - x = (k / 2^R - f) ulp.
        const double bias = std::ldexp(static_cast<double>(sp.k), -R) - std::ldexp(static_cast<double>(n), -m);
        const double b = std::ldexp(1.0, -R);
        const bool bias_ok = kind == SrKind::Mid     ? std::fabs(bias) < b
                             : kind == SrKind::Trunc ? (bias <= 0 && bias > -b)
                                                     : std::fabs(bias) <= b / 2;
        if (!bias_ok && ++failures <= kMaxReported)
          ADD_FAILURE() << ref::sr_kind_str(kind) << " R=" << R << " f=" << n << "/2^" << m << ": bias " << bias;
        // Every u: the rounding, its flags.
        uint64_t ups = 0;
        for (uint32_t u = 0; u < (1u << R); ++u) {
          rep.add();
          const RefResult r = ref::round_to_acc(ex.get(), f, Round::SR, u | (0xABCu << R), R, kind);  // high bits ignored
          bool up;
          switch (kind) {
            case SrKind::Mid: up = u < kdef[0]; break;
            case SrKind::Trunc: up = kr.trunc_up(u, R); break;
            default: up = kr.src_up(u, R); break;
          }
          ups += up;
          const double want_mag = static_cast<double>(q + (up ? 1u : 0u)) * ulp;
          const uint32_t want_bits = ref::encode_exact(neg ? -want_mag : want_mag, f);
          // inexact iff f != 0 (even when k = 0); underflow on the
          // subnormal grid (tininess before rounding); nothing else here.
          const uint8_t want_flags =
              n == 0 ? uint8_t{0} : static_cast<uint8_t>(ref::kInexact | (grid == 2 ? ref::kUnderflow : 0));
          if ((r.bits != want_bits || r.flags != want_flags) && ++failures <= kMaxReported)
            ADD_FAILURE() << ref::sr_kind_str(kind) << " R=" << R << " x=" << x << " f=" << n << "/2^" << m
                          << " u=" << u << ": " << exp_got(want_bits, want_flags, r.bits, r.flags);
        }
        if (n != 0 && sp.k == 0) ++inexact_k0;
        // P(up) = k / 2^R over uniform u.
        if (ups != sp.k && ++failures <= kMaxReported)
          ADD_FAILURE() << ref::sr_kind_str(kind) << " R=" << R << ": " << ups << " of 2^R round up, k = " << sp.k;
      }
    }
  }
  std::printf("[   INFO   ] %llu values, %llu (kind, value) pairs inexact with k = 0, %llu ties of g\n",
              static_cast<unsigned long long>(values), static_cast<unsigned long long>(inexact_k0),
              static_cast<unsigned long long>(ties));
  EXPECT_GT(inexact_k0, 0u);
  EXPECT_GT(ties, 0u);
  EXPECT_EQ(failures, 0);
}

TEST(SrKind, MidIsTheDefaultAndKindsAgreeOnExactValuesAndOtherModes) {
  const ref::FloatFormat f = ref::acc_format(8, 10);
  // The default kind is mid (the existing results): one sum, every u.
  ref::Exact x(1.0 + std::ldexp(0.3, -10));
  for (uint32_t u = 0; u < 16; ++u)
    EXPECT_EQ(ref::round_to_acc(x.get(), f, Round::SR, u, 4), ref::round_to_acc(x.get(), f, Round::SR, u, 4, SrKind::Mid));
  // Exact values (f = 0): k = 0 in every kind, no flags; RNE and RZ ignore the kind.
  for (SrKind k : kKinds) {
    EXPECT_EQ(ref::round_to_acc(1.0 + std::ldexp(1.0, -10), f, Round::SR, 0, 4, k), (RefResult{0x1FC01, 0}));
    EXPECT_EQ(ref::sr_split(ref::Exact(1.0).get(), f, 4, k).k, 0u);
    EXPECT_EQ(ref::round_to_acc(x.get(), f, Round::RNE, 0, 4, k), ref::round_to_acc(x.get(), f, Round::RNE, 0, 4));
    EXPECT_EQ(ref::round_to_acc(x.get(), f, Round::RZ, 0, 4, k), ref::round_to_acc(x.get(), f, Round::RZ, 0, 4));
  }
  // src can reach k = 2^R: f = 1 - 2^-(R+2) rounds up for every u.
  ref::Exact y(1.0 + std::ldexp(1.0 - std::ldexp(1.0, -6), -10));
  EXPECT_EQ(ref::sr_split(y.get(), f, 4, SrKind::Src).k, 16u);
  EXPECT_EQ(ref::sr_split(y.get(), f, 4, SrKind::Trunc).k, 15u);
  EXPECT_EQ(ref::sr_split(y.get(), f, 4, SrKind::Mid).k, 15u);
  EXPECT_EQ(ref::round_to_acc(y.get(), f, Round::SR, 15, 4, SrKind::Src), (RefResult{0x1FC01, ref::kInexact}));
  EXPECT_EQ(ref::round_to_acc(y.get(), f, Round::SR, 15, 4, SrKind::Trunc), (RefResult{0x1FC00, ref::kInexact}));
  // A fraction below 2^-R ulp: trunc and src never round up (k = 0), mid does for u = 0.
  ref::Exact z(1.0 + std::ldexp(1.0, -16));
  EXPECT_EQ(ref::round_to_acc(z.get(), f, Round::SR, 0, 4, SrKind::Trunc), (RefResult{0x1FC00, ref::kInexact}));
  EXPECT_EQ(ref::round_to_acc(z.get(), f, Round::SR, 0, 4, SrKind::Src), (RefResult{0x1FC00, ref::kInexact}));
  EXPECT_EQ(ref::round_to_acc(z.get(), f, Round::SR, 0, 4, SrKind::Mid), (RefResult{0x1FC01, ref::kInexact}));
  // The quantizer and the adder take the kind: E4M3 output of 1 + 13/32 ulp (ulp 0.125 at 1).
  const uint32_t w = ref::f32_bits(static_cast<float>(1.0 + 13.0 / 32 * 0.125));
  EXPECT_EQ(ref::ref_quantize(w, ref::kBinary32, OutFormat::E4M3, Round::SR, false, 0, 6, 4, SrKind::Mid).bits, 0x39u);
  EXPECT_EQ(ref::ref_quantize(w, ref::kBinary32, OutFormat::E4M3, Round::SR, false, 0, 6, 4, SrKind::Trunc).bits, 0x38u);
  EXPECT_EQ(ref::ref_quantize(w, ref::kBinary32, OutFormat::E4M3, Round::SR, false, 0, 6, 4, SrKind::Src).bits, 0x38u);
  EXPECT_EQ(ref::ref_add(0x1FC00, 0x1FC00, f, Round::SR, 0, 4, SrKind::Trunc), (RefResult{0x20000, 0}));
  EXPECT_THROW(ref::round_to_acc(x.get(), f, Round::SR, 0, 4, static_cast<SrKind>(3)), std::invalid_argument);
  EXPECT_THROW(ref::ref_mac(0, 0, Fp8Format::E4M3, 0, Fp8Format::E4M3, f, Round::RNE, 0, 16, static_cast<SrKind>(3)),
               std::invalid_argument);
}

// ---------------------------------------------------------------------------
// PE kinds: the worked examples of numerics.md 10.4
// ---------------------------------------------------------------------------

RefResult dot_tile(const PeRefConfig& c, uint32_t init, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                   Fp8Format fa, Fp8Format fb, Round rnd, const uint32_t* u = nullptr) {
  return ref::ref_dot_tile(c, init, a.data(), 1, b.data(), 1, static_cast<int>(a.size()), fa, fb, rnd, u);
}

TEST(PeKinds, WorkedExampleA) {
  // dot, DOT_N 8, ALIGN_BITS 13, e8m13, RZ; c = +0.
  const PeRefConfig c = pe_cfg(8, 13, 8, 13);
  std::vector<uint8_t> a = {0x77, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21};
  std::vector<uint8_t> b = {0x40, 0x29, 0x29, 0x29, 0x29, 0x29, 0x29, 0x29};
  EXPECT_EQ(ref::fp8_decode(0x77, Fp8Format::E4M3) * ref::fp8_decode(0x40, Fp8Format::E4M3), 480.0);
  EXPECT_EQ(ref::fp8_decode(0x21, Fp8Format::E4M3) * ref::fp8_decode(0x29, Fp8Format::E4M3), 81 * std::ldexp(1.0, -11));
  EXPECT_EQ(ref::exponent_of(480.0, ref::kBinary32), 8);
  const RefResult r = dot_tile(c, 0u, a, b, Fp8Format::E4M3, Fp8Format::E4M3, Round::RZ);
  EXPECT_EQ(r, (RefResult{0x10FC07, ref::kInexact})) << res_str(r, 6);
  EXPECT_EQ(ref::decode(r.bits, c.acc), 480.21875);
  // The exact sum is 480.27685546875 (the exact tile, e8m23 RNE: exact).
  const RefResult ex = ref::ref_exact_tile(pe_cfg(8, 23, 8, 13), 0u, a.data(), 1, b.data(), 1, 8, Fp8Format::E4M3,
                                           Fp8Format::E4M3, Round::RNE, 0);
  EXPECT_EQ(ex, (RefResult{ref::f32_bits(480.27685546875f), 0}));
  EXPECT_EQ(ref::decode(ex.bits, ref::kBinary32), 480.27685546875);
  // The FMA chain in e8m13 RZ: 480.21875 in this order, 480.25 with the
  // large product last; the dot step does not depend on the order.
  const PeRefConfig fma = pe_cfg(8, 13, 1, 13);
  const RefResult f1 = ref::ref_fma_tile(fma, 0u, a.data(), 1, b.data(), 1, 8, Fp8Format::E4M3, Fp8Format::E4M3,
                                         Round::RZ, nullptr);
  EXPECT_EQ(ref::decode(f1.bits, fma.acc), 480.21875);
  std::rotate(a.begin(), a.begin() + 1, a.end());
  std::rotate(b.begin(), b.begin() + 1, b.end());
  const RefResult f2 = ref::ref_fma_tile(fma, 0u, a.data(), 1, b.data(), 1, 8, Fp8Format::E4M3, Fp8Format::E4M3,
                                         Round::RZ, nullptr);
  EXPECT_EQ(ref::decode(f2.bits, fma.acc), 480.25);
  EXPECT_EQ(dot_tile(c, 0u, a, b, Fp8Format::E4M3, Fp8Format::E4M3, Round::RZ), r);
}

TEST(PeKinds, WorkedExampleB) {
  // dot, DOT_N 2, ALIGN_BITS 4, e8m23, RNE; c = 1.0.
  const PeRefConfig c = pe_cfg(8, 23, 2, 4);
  const std::vector<uint8_t> a = {0x3F, 0xB4}, b = {0x39, 0x2C};
  EXPECT_EQ(ref::fp8_decode(0x3F, Fp8Format::E4M3) * ref::fp8_decode(0x39, Fp8Format::E4M3), 2.109375);
  EXPECT_EQ(ref::fp8_decode(0xB4, Fp8Format::E4M3) * ref::fp8_decode(0x2C, Fp8Format::E4M3), -0.28125);
  const RefResult r = dot_tile(c, 0x3F800000u, a, b, Fp8Format::E4M3, Fp8Format::E4M3, Round::RNE);
  EXPECT_EQ(r, (RefResult{0x40340000u, ref::kInexact})) << res_str(r);
  EXPECT_EQ(ref::decode(r.bits, c.acc), 2.8125);
}

TEST(PeKinds, WorkedExampleC) {
  // dot, DOT_N 2, ALIGN_BITS 20, e8m13, RNE; C_init = 1 + 2^-20.
  const PeRefConfig c = pe_cfg(8, 13, 2, 20);
  const std::vector<uint8_t> a = {0x38, 0x00}, b = {0x04, 0x00};  // E4M3 x E5M2
  EXPECT_EQ(ref::decode(0x3F800008u, ref::kBinary32), 1.0 + std::ldexp(1.0, -20));
  const RefResult r = dot_tile(c, 0x3F800008u, a, b, Fp8Format::E4M3, Fp8Format::E5M2, Round::RNE);
  EXPECT_EQ(r, (RefResult{0xFE001u, ref::kInexact})) << res_str(r, 6);
  EXPECT_EQ(ref::decode(r.bits, c.acc), 1.0 + std::ldexp(1.0, -13));
  // Had C_init been rounded into e8m13 first (1.0), the tie would go to even: 1.0.
  const RefResult t = ref::ref_dot_step(0xFE000u, c.acc, a.data(), b.data(), 2, Fp8Format::E4M3, Fp8Format::E5M2,
                                        c.acc, 20, Round::RNE);
  EXPECT_EQ(t, (RefResult{0xFE000u, ref::kInexact})) << res_str(t, 6);
}

TEST(PeKinds, WorkedExampleD) {
  // exact, e8m23, RNE, no init: 2^30 + 2^-32 - 2^30 = 2^-32, for any DOT_N.
  const std::vector<uint8_t> a = {0x78, 0x01, 0xF8}, b = {0x78, 0x01, 0x78};  // E5M2
  for (int n : {1, 2, 4, 8, 16, 32, 64}) {
    const RefResult r = ref::ref_exact_tile(pe_cfg(8, 23, n, 13), 0u, a.data(), 1, b.data(), 1, 3, Fp8Format::E5M2,
                                            Fp8Format::E5M2, Round::RNE, 0);
    EXPECT_EQ(r, (RefResult{0x2F800000u, 0})) << "DOT_N " << n << ": " << res_str(r);
  }
  // The FMA chain in e8m23: +0 with inexact.
  const RefResult f = ref::ref_fma_tile(pe_cfg(8, 23, 1, 13), 0u, a.data(), 1, b.data(), 1, 3, Fp8Format::E5M2,
                                        Fp8Format::E5M2, Round::RNE, nullptr);
  EXPECT_EQ(f, (RefResult{0u, ref::kInexact})) << res_str(f);
}

TEST(PeKinds, WorkedExampleE) {
  // dot, DOT_N 2, ALIGN_BITS 13, e8m23, RNE; E5M2 operands.
  const PeRefConfig c = pe_cfg(8, 23, 2, 13);
  const Fp8Format E5 = Fp8Format::E5M2;
  EXPECT_EQ(dot_tile(c, 0u, {0x7C, 0x00}, {0x3C, 0x7C}, E5, E5, Round::RNE), (RefResult{0x7FC00000u, ref::kInvalid}));
  EXPECT_EQ(dot_tile(c, 0u, {0x7C, 0xFC}, {0x3C, 0x3C}, E5, E5, Round::RNE), (RefResult{0x7FC00000u, ref::kInvalid}));
  EXPECT_EQ(dot_tile(c, 0x3F800000u, {0x7C, 0x3C}, {0x3C, 0x3C}, E5, E5, Round::RNE), (RefResult{0x7F800000u, 0}));
  EXPECT_EQ(dot_tile(c, 0x80000000u, {0x80, 0x00}, {0x3C, 0xBC}, E5, E5, Round::RNE), (RefResult{0x80000000u, 0}));
}

// ---------------------------------------------------------------------------
// PE kinds: the reference against other ways of computing the same thing
// ---------------------------------------------------------------------------

// A random E4M3 code with exponent field in [lo, hi] (normal), random sign and mantissa.
uint8_t e4m3_normal(std::mt19937_64& rng, int lo, int hi) {
  const int e = lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1));
  return static_cast<uint8_t>(((rng() & 1u) << 7) | (static_cast<unsigned>(e + 7) << 3) | (rng() & 7u));
}

// The host's binary32 rounding of an exact double, with its flags.
RefResult host_to_f32(double v, int fe_mode) {
  std::fesetround(fe_mode);
  std::feclearexcept(FE_ALL_EXCEPT);
  volatile double vd = v;
  volatile float r = static_cast<float>(vd);
  const uint8_t fl = host_flags(std::fetestexcept(FE_ALL_EXCEPT));
  std::fesetround(FE_TONEAREST);
  return {ref::f32_bits(r), fl};
}

TEST(PeRef, ExactTileMatchesHostRoundingOfAnExactDoubleSum) {
  // E4M3 x E4M3 products are multiples of 2^-18 below 2^18; init words with
  // exponent in [5, 20] are multiples of 2^-18 too; K <= 64 keeps the sum
  // below 2^25: every partial sum is exact in a double, and the host's
  // double -> float conversion is one correct rounding with IEEE flags.
  const uint64_t seed = test_seed(0xE7AC7ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("PeRef: exact tile vs host float(exact double sum), RNE/RZ, DOT_N 1..64 (tiles)");
  int failures = 0, inexact = 0;
  for (int t = 0; t < 20000; ++t) {
    const int K = 1 + static_cast<int>(rng() % 64);
    const int n = 1 << (rng() % 7);
    std::vector<uint8_t> a(static_cast<size_t>(K)), b(static_cast<size_t>(K));
    double sum = 0.0;
    uint32_t init = 0;
    if (rng() % 4 != 0) {
      const uint32_t e = 127 + 5 + static_cast<uint32_t>(rng() % 16);
      init = static_cast<uint32_t>((rng() & 1u) << 31) | (e << 23) | static_cast<uint32_t>(rng() & 0x7FFFFFu);
      sum = ref::decode(init, ref::kBinary32);
    }
    for (int i = 0; i < K; ++i) {
      a[static_cast<size_t>(i)] = static_cast<uint8_t>(rng());
      b[static_cast<size_t>(i)] = static_cast<uint8_t>(rng());
      if ((a[static_cast<size_t>(i)] & 0x7F) == 0x7F) a[static_cast<size_t>(i)] = 0x38;  // no NaN codes
      if ((b[static_cast<size_t>(i)] & 0x7F) == 0x7F) b[static_cast<size_t>(i)] = 0x38;
      sum += ref::fp8_decode(a[static_cast<size_t>(i)], Fp8Format::E4M3) *
             ref::fp8_decode(b[static_cast<size_t>(i)], Fp8Format::E4M3);
    }
    for (const Round rnd : {Round::RNE, Round::RZ}) {
      rep.add();
      const RefResult r = ref::ref_exact_tile(pe_cfg(8, 23, n, 13), init, a.data(), 1, b.data(), 1, K, Fp8Format::E4M3,
                                              Fp8Format::E4M3, rnd, 0);
      RefResult want = host_to_f32(sum, rnd == Round::RNE ? FE_TONEAREST : FE_TOWARDZERO);
      if (sum == 0.0) want.bits = 0;  // an exact zero sum is +0 here (init is never -0 above)
      inexact += (want.flags & ref::kInexact) != 0;
      if (r != want && ++failures <= kMaxReported)
        ADD_FAILURE() << "K=" << K << " DOT_N=" << n << " init " << hx(init) << " " << name(rnd) << ": sum " << sum
                      << ": " << exp_got(want.bits, want.flags, r.bits, r.flags);
    }
  }
  std::printf("[   INFO   ] %d inexact results\n", inexact);
  EXPECT_GT(inexact, 1000);
  EXPECT_EQ(failures, 0);
}

TEST(PeRef, ExactTileMatchesInt128SumOfLongTiles) {
  // Any finite codes of both formats: every product is an integer number of
  // 2^-32 below 2^64, so a tile of up to 65,535 sums in a signed 128-bit
  // integer; v = init + X * 2^-32 is then rounded by round_to_acc.
  const uint64_t seed = test_seed(0xE7AC8ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("PeRef: exact tile vs 128-bit integer sums, K up to 65535 (products)");
  const ref::FloatFormat fmts[] = {ref::acc_format(8, 23), ref::acc_format(8, 13), ref::acc_format(5, 10),
                                   ref::acc_format(4, 3)};
  int failures = 0;
  for (int t = 0; t < 60; ++t) {
    const int K = t < 4 ? 65535 : 1 + static_cast<int>(rng() % 3000);
    const Fp8Format fa = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    const Fp8Format fb = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    std::vector<uint8_t> a(static_cast<size_t>(K)), b(static_cast<size_t>(K));
    __int128 X = 0;
    const bool cancel = (t % 3) == 0;  // second half cancels the first but for a few products
    for (int i = 0; i < K; ++i) {
      uint8_t ca, cb;
      if (cancel && i >= K / 2 && i - K / 2 < K / 2 && (rng() % 50) != 0) {
        ca = static_cast<uint8_t>(a[static_cast<size_t>(i - K / 2)] ^ 0x80u);
        cb = b[static_cast<size_t>(i - K / 2)];
      } else {
        do ca = static_cast<uint8_t>(rng()); while (ref::fp8_is_nan(ca, fa) || ref::fp8_is_inf(ca, fa));
        do cb = static_cast<uint8_t>(rng()); while (ref::fp8_is_nan(cb, fb) || ref::fp8_is_inf(cb, fb));
      }
      a[static_cast<size_t>(i)] = ca;
      b[static_cast<size_t>(i)] = cb;
      const double p = ref::fp8_decode(ca, fa) * ref::fp8_decode(cb, fb);
      X += static_cast<__int128>(std::ldexp(p, 32));  // exact integer < 2^64 in magnitude
    }
    uint32_t init = (rng() % 3 == 0) ? 0u : (static_cast<uint32_t>(rng()) & 0xBFFFFFFFu);  // finite, |C| < 2
    if (init == 0x80000000u) init = 0;  // (the zero sign rule is checked elsewhere)
    const ref::FloatFormat& f = fmts[t % 4];
    const Round rnd = kRounds[t % 3];
    const SrKind kind = kKinds[(t / 3) % 3];
    const uint32_t u = static_cast<uint32_t>(rng());
    const int n = 1 << (rng() % 7);
    rep.add(static_cast<uint64_t>(K));
    PeRefConfig c = pe_cfg(f.exp_bits, f.man_bits, n, 13, 16, kind);
    const RefResult r = ref::ref_exact_tile(c, init, a.data(), 1, b.data(), 1, K, fa, fb, rnd, u);
    // v = init + hi * 2^32 + lo, in units of 2^-32.
    const bool neg = X < 0;
    const unsigned __int128 mag = neg ? static_cast<unsigned __int128>(-X) : static_cast<unsigned __int128>(X);
    ref::Exact xv, hi, lo, tmp, v;
    mpfr_set_ui(hi.get(), static_cast<unsigned long>(mag >> 64), MPFR_RNDN);
    mpfr_mul_2si(hi.get(), hi.get(), 64, MPFR_RNDN);
    mpfr_set_ui(lo.get(), static_cast<unsigned long>(mag & 0xFFFFFFFFFFFFFFFFull), MPFR_RNDN);
    ref::exact_add(tmp, hi, lo);
    mpfr_mul_2si(xv.get(), tmp.get(), -32, MPFR_RNDN);
    if (neg) mpfr_neg(xv.get(), xv.get(), MPFR_RNDN);
    ref::exact_add(v, ref::Exact(ref::decode(init, ref::kBinary32)), xv);
    RefResult want{0u, 0};
    if (!mpfr_zero_p(v.get())) want = ref::round_to_acc(v.get(), f, rnd, u, 16, kind);
    if (r != want && ++failures <= kMaxReported)
      ADD_FAILURE() << "tile " << t << " K=" << K << " " << f.name() << " " << name(rnd) << " "
                    << ref::sr_kind_str(kind) << ": v = " << v.str() << ": " << exp_got(want.bits, want.flags, r.bits, r.flags);
  }
  EXPECT_EQ(failures, 0);
}

TEST(PeRef, DotWithDotN1AndAWideWindowEqualsTheFmaChain) {
  // E4M3 operands with exponents in [-3, 4]: every product and every partial
  // sum is a multiple of 2^-12 and below 2^17 (K <= 64), so with ALIGN_BITS
  // 48 (a window reaching 2^(E - 48) <= 2^-31) no term is ever truncated and
  // a DOT_N = 1 step is round(c + p) once: section 4's MAC. NaN codes
  // included; every mode and SR kind; several accumulator formats (e4m3
  // overflows: Inf then stays).
  const uint64_t seed = test_seed(0xD071ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("PeRef: dot DOT_N 1 ALIGN 48 vs ref_mac chains (steps)");
  const int fmts[][2] = {{8, 23}, {8, 13}, {5, 10}, {6, 5}, {4, 3}};
  int failures = 0;
  for (int t = 0; t < 3000; ++t) {
    const int K = 1 + static_cast<int>(rng() % 64);
    std::vector<uint8_t> a(static_cast<size_t>(K)), b(static_cast<size_t>(K));
    for (auto& x : a) x = (rng() % 200 == 0) ? uint8_t{0x7F} : e4m3_normal(rng, -3, 4);
    for (auto& x : b) x = (rng() % 20 == 0) ? uint8_t{0x80} : e4m3_normal(rng, -3, 4);
    const int* fm = fmts[t % 5];
    const Round rnd = kRounds[(t / 5) % 3];
    const SrKind kind = kKinds[(t / 15) % 3];
    const int R = 2 + static_cast<int>(rng() % 23);
    PeRefConfig c = pe_cfg(fm[0], fm[1], 1, 48, R, kind);
    std::vector<uint32_t> u(static_cast<size_t>(K));
    for (auto& x : u) x = static_cast<uint32_t>(rng());
    // init: a value of the accumulator format (eXmY word for fma, its binary32 word for dot)
    uint32_t init = 0;
    if (rng() % 2) {
      const double v = ref::fp8_decode(e4m3_normal(rng, -3, 4), Fp8Format::E4M3);
      init = ref::encode_exact(v, c.acc);
    }
    const uint32_t init32 = ref::encode_exact(ref::decode(init, c.acc), ref::kBinary32);
    rep.add(static_cast<uint64_t>(K));
    const RefResult d = ref::ref_dot_tile(c, init32, a.data(), 1, b.data(), 1, K, Fp8Format::E4M3, Fp8Format::E4M3, rnd,
                                          u.data());
    const RefResult f = ref::ref_fma_tile(c, init, a.data(), 1, b.data(), 1, K, Fp8Format::E4M3,
                                          Fp8Format::E4M3, rnd, u.data());
    if (d != f && ++failures <= kMaxReported)
      ADD_FAILURE() << "tile " << t << " K=" << K << " " << c.acc.name() << " " << name(rnd) << " "
                    << ref::sr_kind_str(kind) << " R=" << R << ": fma chain " << res_str(f) << ", dot " << res_str(d);
  }
  EXPECT_EQ(failures, 0);
}

TEST(PeRef, OneDotStepInAWideWindowEqualsTheExactTile) {
  // One step of DOT_N products with the binary32 init word as c, ALIGN_BITS
  // 48: products (E4M3, exponents [-3, 4]: e(p) in [-6, 8], bits down to
  // e(p) - 6) and c (exponent in [-6, 8], 24 bits) all lie in the window
  // (E - 48 <= -30), so the step is one rounding of c + sum p: the exact
  // tile of the same K = DOT_N products, with the same random word. Also,
  // for e8m23 RNE, the host's rounding of the exact double sum.
  const uint64_t seed = test_seed(0xD072ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("PeRef: one dot step (ALIGN 48) vs exact tile and host float (steps)");
  const int fmts[][2] = {{8, 23}, {8, 13}, {5, 10}, {6, 5}, {4, 3}};
  int failures = 0;
  for (int t = 0; t < 6000; ++t) {
    const int n = 1 << (t % 7);
    std::vector<uint8_t> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
    double sum = 0.0;
    const uint32_t e = static_cast<uint32_t>(127 - 6 + static_cast<int>(rng() % 15));
    uint32_t init = static_cast<uint32_t>((rng() & 1u) << 31) | (e << 23) | static_cast<uint32_t>(rng() & 0x7FFFFFu);
    if (rng() % 5 == 0) init = (rng() & 1u) ? 0x80000000u : 0u;
    sum = ref::decode(init, ref::kBinary32);
    for (int i = 0; i < n; ++i) {
      a[static_cast<size_t>(i)] = (rng() % 10 == 0) ? uint8_t{0x80} : e4m3_normal(rng, -3, 4);
      b[static_cast<size_t>(i)] = e4m3_normal(rng, -3, 4);
      sum += ref::fp8_decode(a[static_cast<size_t>(i)], Fp8Format::E4M3) *
             ref::fp8_decode(b[static_cast<size_t>(i)], Fp8Format::E4M3);
    }
    const int* fm = fmts[(t / 7) % 5];
    const Round rnd = kRounds[(t / 35) % 3];
    const SrKind kind = kKinds[(t / 105) % 3];
    const int R = 2 + static_cast<int>(rng() % 23);
    const PeRefConfig c = pe_cfg(fm[0], fm[1], n, 48, R, kind);
    const uint32_t u = static_cast<uint32_t>(rng());
    rep.add();
    const RefResult d = ref::ref_dot_tile(c, init, a.data(), 1, b.data(), 1, n, Fp8Format::E4M3, Fp8Format::E4M3, rnd, &u);
    const RefResult x = ref::ref_exact_tile(c, init, a.data(), 1, b.data(), 1, n, Fp8Format::E4M3, Fp8Format::E4M3, rnd, u);
    if (d != x && ++failures <= kMaxReported)
      ADD_FAILURE() << "DOT_N " << n << " init " << hx(init) << " " << c.acc.name() << " " << name(rnd) << " "
                    << ref::sr_kind_str(kind) << ": exact tile " << res_str(x) << ", dot step " << res_str(d);
    if (fm[0] == 8 && fm[1] == 23 && rnd != Round::SR && sum != 0.0) {
      const RefResult h = host_to_f32(sum, rnd == Round::RNE ? FE_TONEAREST : FE_TOWARDZERO);
      if (d != h && ++failures <= kMaxReported)
        ADD_FAILURE() << "DOT_N " << n << " " << name(rnd) << " sum " << sum << ": host " << res_str(h) << ", dot "
                      << res_str(d);
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(PeRef, DotStepTruncatesToTheWindowHandWorked) {
  const ref::FloatFormat e8m23 = ref::kBinary32;
  const Fp8Format E4 = Fp8Format::E4M3;
  // c = 1.0 (e = 0), one product 2^-9 * 2^-9 = 2^-18 (E4M3 subnormals: e =
  // -6 + -6 = -12, significand product 1/64): with ALIGN_BITS 17 the unit is
  // 2^-17 and the product is lost entirely: S = 1.0, inexact.
  uint8_t a1[1] = {0x01}, b1[1] = {0x01};
  EXPECT_EQ(ref::ref_dot_step(0x3F800000u, e8m23, a1, b1, 1, E4, E4, e8m23, 17, Round::RNE),
            (RefResult{0x3F800000u, ref::kInexact}));
  // ALIGN_BITS 18 keeps it.
  EXPECT_EQ(ref::ref_dot_step(0x3F800000u, e8m23, a1, b1, 1, E4, E4, e8m23, 18, Round::RNE),
            (RefResult{ref::f32_bits(1.0f + std::ldexp(1.0f, -18)), 0}));
  // Truncation is of the magnitude (toward zero) for negative terms too:
  // c = 1.0, p = -(2^-18 + 2^-18 * 3/4)... with a subnormal product
  // -0x03 * 0x01 = -3 * 2^-18 and ALIGN_BITS 17: |p| = 1.5 units -> 1 unit.
  uint8_t a2[1] = {0x83}, b2[1] = {0x01};
  EXPECT_EQ(ref::ref_dot_step(0x3F800000u, e8m23, a2, b2, 1, E4, E4, e8m23, 17, Round::RNE),
            (RefResult{ref::f32_bits(1.0f - std::ldexp(1.0f, -17)), ref::kInexact}));
  // c = +0, products 2^-6 (e = -6) and -2^-18 (e = -12), ALIGN_BITS 1:
  // unit 2^-7, the small product is lost: S = 2^-6, inexact.
  uint8_t a3[2] = {0x08, 0x81}, b3[2] = {0x38, 0x01};
  EXPECT_EQ(ref::ref_dot_step(0u, e8m23, a3, b3, 2, E4, E4, e8m23, 1, Round::RNE),
            (RefResult{ref::f32_bits(std::ldexp(1.0f, -6)), ref::kInexact}));
  // Every term truncated to 0: S = 0 -> +0 (even from a -0 c), inexact.
  uint8_t a4[2] = {0x01, 0x81}, b4[2] = {0x01, 0x02};  // 2^-18 - 2^-17, E = -12, ALIGN 1: both -> 0
  EXPECT_EQ(ref::ref_dot_step(0x80000000u, e8m23, a4, b4, 2, E4, E4, e8m23, 1, Round::RZ), (RefResult{0u, ref::kInexact}));
  // Zero terms take no part in E: c = +0, a zero product 0 * 448 and p =
  // 2^-18 (e = -12, significand product 1/64): E = -12; ALIGN_BITS 6 keeps
  // p (one unit of 2^-18), ALIGN_BITS 5 loses it.
  uint8_t a5[2] = {0x00, 0x01}, b5[2] = {0x7E, 0x01};
  EXPECT_EQ(ref::ref_dot_step(0u, e8m23, a5, b5, 2, E4, E4, e8m23, 6, Round::RNE),
            (RefResult{ref::f32_bits(std::ldexp(1.0f, -18)), 0}));
  EXPECT_EQ(ref::ref_dot_step(0u, e8m23, a5, b5, 2, E4, E4, e8m23, 5, Round::RNE), (RefResult{0u, ref::kInexact}));
  // A subnormal init word has e = -126 (binary32 emin): c = 2^-149 alone
  // needs ALIGN_BITS 23 to be kept.
  uint8_t z[2] = {0, 0};
  EXPECT_EQ(ref::ref_dot_step(0x00000001u, e8m23, z, z, 2, E4, E4, e8m23, 23, Round::RNE), (RefResult{1u, 0}));
  EXPECT_EQ(ref::ref_dot_step(0x00000001u, e8m23, z, z, 2, E4, E4, e8m23, 22, Round::RNE), (RefResult{0u, ref::kInexact}));
  // e(c) for a subnormal eXmY word is that format's emin: e5m10 min
  // subnormal 2^-24 (e = -14) plus a product 2^-14 (e = -14): both kept with
  // ALIGN_BITS 10, the sum 2^-14 + 2^-24 is exact in e5m10.
  const ref::FloatFormat e5m10 = ref::acc_format(5, 10);
  uint8_t a6[1] = {0x04}, b6[1] = {0x3C};  // E5M2 2^-14 * 1.0
  EXPECT_EQ(ref::ref_dot_step(0x0001u, e5m10, a6, b6, 1, Fp8Format::E5M2, Fp8Format::E5M2, e5m10, 10, Round::RNE),
            (RefResult{0x0401u, 0}));
  // ... and with ALIGN_BITS 9 the subnormal c is lost.
  EXPECT_EQ(ref::ref_dot_step(0x0001u, e5m10, a6, b6, 1, Fp8Format::E5M2, Fp8Format::E5M2, e5m10, 9, Round::RNE),
            (RefResult{0x0400u, ref::kInexact}));
  // The significand product is not renormalized: 1.875 * 1.875 = 3.515625
  // has e = 0 (not 1), so ALIGN_BITS 4 keeps 3.5 (unit 2^-4 ... 3.515625 =
  // 56.25 units -> 56 = 3.5).
  uint8_t a7[1] = {0x3F}, b7[1] = {0x3F};
  EXPECT_EQ(ref::ref_dot_step(0u, e8m23, a7, b7, 1, E4, E4, e8m23, 4, Round::RNE),
            (RefResult{ref::f32_bits(3.5f), ref::kInexact}));
  // Overflow of the step's one rounding into e5m10 (max 65504): 448 * 448
  // = 200704, RZ -> max, RNE -> Inf; flags overflow, inexact.
  uint8_t a8[1] = {0x7E}, b8[1] = {0x7E};
  EXPECT_EQ(ref::ref_dot_step(0u, e5m10, a8, b8, 1, E4, E4, e5m10, 13, Round::RZ),
            (RefResult{0x7BFFu, ref::kOverflow | ref::kInexact}));
  EXPECT_EQ(ref::ref_dot_step(0u, e5m10, a8, b8, 1, E4, E4, e5m10, 13, Round::RNE),
            (RefResult{0x7C00u, ref::kOverflow | ref::kInexact}));
}

TEST(PeRef, DotSpecialValuesAndZeroSigns) {
  const ref::FloatFormat f = ref::kBinary32;
  const Fp8Format E5 = Fp8Format::E5M2;
  auto step = [&](uint32_t c, std::vector<uint8_t> a, std::vector<uint8_t> b) {
    return ref::ref_dot_step(c, f, a.data(), b.data(), static_cast<int>(a.size()), E5, E5, f, 13, Round::RNE);
  };
  // A NaN operand: NaN, no flag; with a quiet NaN c too.
  EXPECT_EQ(step(0u, {0x7E, 0x3C}, {0x3C, 0x3C}), (RefResult{0x7FC00000u, 0}));
  EXPECT_EQ(step(0x7FC00000u, {0x3C, 0x3C}, {0x3C, 0x3C}), (RefResult{0x7FC00000u, 0}));
  // A signalling NaN c (first step): invalid.
  EXPECT_EQ(step(0x7F800001u, {0x3C, 0x3C}, {0x3C, 0x3C}), (RefResult{0x7FC00000u, ref::kInvalid}));
  // 0 * Inf raises invalid even with a quiet NaN c (10.2: "invalid is raised
  // iff a product is 0 * Inf, or ..."; unlike section 4's MAC).
  EXPECT_EQ(step(0x7FC00000u, {0x00, 0x3C}, {0x7C, 0x3C}), (RefResult{0x7FC00000u, ref::kInvalid}));
  // +Inf c and a -Inf product: invalid; +Inf c and +Inf products: +Inf.
  EXPECT_EQ(step(0x7F800000u, {0xFC, 0x3C}, {0x3C, 0x3C}), (RefResult{0x7FC00000u, ref::kInvalid}));
  EXPECT_EQ(step(0x7F800000u, {0x7C, 0x7B}, {0x3C, 0x7B}), (RefResult{0x7F800000u, 0}));
  EXPECT_EQ(step(0xFF800000u, {0x3C, 0x3C}, {0x3C, 0x3C}), (RefResult{0xFF800000u, 0}));
  // Zeros: -0 only when c and every product are -0.
  EXPECT_EQ(step(0x80000000u, {0x80, 0x80}, {0x3C, 0x3C}), (RefResult{0x80000000u, 0}));
  EXPECT_EQ(step(0x00000000u, {0x80, 0x80}, {0x3C, 0x3C}), (RefResult{0u, 0}));
  EXPECT_EQ(step(0x80000000u, {0x80, 0x00}, {0x3C, 0x3C}), (RefResult{0u, 0}));
  // Exact cancellation: +0 in every mode.
  for (Round r : kRounds)
    EXPECT_EQ(ref::ref_dot_step(0xBF800000u, f, std::vector<uint8_t>{0x3C, 0x00}.data(),
                                std::vector<uint8_t>{0x3C, 0x00}.data(), 2, E5, E5, f, 13, r, 0x5),
              (RefResult{0u, 0}));
  // Padding of the last step: K = 1 on DOT_N 2 adds a +0 product, so a -0
  // product with a -0 init word gives +0 (the sum-of-zeros rule).
  const PeRefConfig c2 = pe_cfg(8, 23, 2, 13);
  const uint8_t na = 0x80, nb = 0x3C;
  EXPECT_EQ(ref::ref_dot_tile(c2, 0x80000000u, &na, 1, &nb, 1, 1, E5, E5, Round::RNE, nullptr), (RefResult{0u, 0}));
  EXPECT_EQ(ref::ref_dot_tile(pe_cfg(8, 23, 1, 13), 0x80000000u, &na, 1, &nb, 1, 1, E5, E5, Round::RNE, nullptr),
            (RefResult{0x80000000u, 0}));
}

TEST(PeRef, ExactTileSpecialValuesAndZeroSigns) {
  const PeRefConfig c = pe_cfg(8, 23, 4, 13);
  const Fp8Format E5 = Fp8Format::E5M2;
  auto tile = [&](uint32_t init, std::vector<uint8_t> a, std::vector<uint8_t> b, const PeRefConfig& cc) {
    return ref::ref_exact_tile(cc, init, a.data(), 1, b.data(), 1, static_cast<int>(a.size()), E5, E5, Round::RNE, 0);
  };
  EXPECT_EQ(tile(0u, {0x7C, 0x00, 0x3C}, {0x3C, 0x7C, 0x3C}, c), (RefResult{0x7FC00000u, ref::kInvalid}));
  EXPECT_EQ(tile(0xFF800000u, {0x7C, 0x3C}, {0x3C, 0x3C}, c), (RefResult{0x7FC00000u, ref::kInvalid}));
  EXPECT_EQ(tile(0x7FA00000u, {0x3C}, {0x3C}, c), (RefResult{0x7FC00000u, ref::kInvalid}));
  EXPECT_EQ(tile(0x7FC00001u, {0x3C}, {0x3C}, c), (RefResult{0x7FC00000u, 0}));
  EXPECT_EQ(tile(0u, {0x7D, 0x7C}, {0x3C, 0x3C}, c), (RefResult{0x7FC00000u, 0}));
  EXPECT_EQ(tile(0x7F800000u, {0x7C, 0x3C}, {0x3C, 0x3C}, c), (RefResult{0x7F800000u, 0}));
  EXPECT_EQ(tile(0u, {0xFC, 0x7B}, {0x3C, 0x7B}, c), (RefResult{0xFF800000u, 0}));
  // Overflow happens only at the one rounding: 57344^2 * 4 fits X but not e5m10.
  const PeRefConfig c5 = pe_cfg(5, 10, 4, 13);
  EXPECT_EQ(tile(0u, {0x7B, 0x7B, 0x7B, 0xFB}, {0x7B, 0x7B, 0x7B, 0x7B}, c5), (RefResult{0x7C00u, ref::kOverflow | ref::kInexact}));
  EXPECT_EQ(tile(0u, {0x7B, 0x7B, 0xFB, 0x3C}, {0x7B, 0x7B, 0x7B, 0x3C}, c5).bits, 0x7C00u);  // 57344^2 + 1 overflows
  EXPECT_EQ(tile(0u, {0x7B, 0xFB, 0x3C}, {0x7B, 0x7B, 0x3C}, c5), (RefResult{0x3C00u, 0}));      // = 1.0 exactly
  // Zeros: -0 iff C is -0 and every product -0 (padding products are +0).
  EXPECT_EQ(tile(0x80000000u, {0x80, 0x00, 0x80, 0x80}, {0x3C, 0xBC, 0x3C, 0x3C}, c), (RefResult{0x80000000u, 0}));
  EXPECT_EQ(tile(0x80000000u, {0x80, 0x80, 0x80}, {0x3C, 0x3C, 0x3C}, c), (RefResult{0u, 0}));  // padded with +0
  EXPECT_EQ(tile(0x80000000u, {0x80, 0x80, 0x80}, {0x3C, 0x3C, 0x3C}, pe_cfg(8, 23, 1, 13)), (RefResult{0x80000000u, 0}));
  EXPECT_EQ(tile(0x00000000u, {0x80}, {0x3C}, pe_cfg(8, 23, 1, 13)), (RefResult{0u, 0}));
  EXPECT_EQ(tile(0x80000000u, {0x3C, 0xBC}, {0x3C, 0x3C}, pe_cfg(8, 23, 2, 13)), (RefResult{0u, 0}));  // cancels: +0
  // Underflow at the one rounding (e5m10: tiny below 2^-14, subnormal grid
  // 2^-24): 2^-16 * 2^-16 * 3 = 3 * 2^-32 rounds to +0 (RNE), inexact,
  // underflow; SR (f = 3/256, R = 16: k = 768 in every kind) rounds up to
  // the smallest subnormal for u < 768, still with underflow (tininess
  // before rounding).
  const std::vector<uint8_t> a3 = {0x01, 0x01, 0x01, 0x00};
  EXPECT_EQ(ref::ref_exact_tile(c5, 0u, a3.data(), 1, a3.data(), 1, 4, E5, E5, Round::RNE, 0),
            (RefResult{0u, ref::kInexact | ref::kUnderflow}));
  for (SrKind k : kKinds) {
    PeRefConfig cs = c5;
    cs.sr_kind = k;
    for (uint32_t u : {0u, 767u, 768u}) {
      const RefResult r = ref::ref_exact_tile(cs, 0u, a3.data(), 1, a3.data(), 1, 4, E5, E5, Round::SR, u);
      EXPECT_EQ(r, (RefResult{u < 768 ? 1u : 0u, ref::kInexact | ref::kUnderflow})) << ref::sr_kind_str(k) << " u " << u;
    }
  }
}

TEST(PeRef, DotPromotionComposesGroupsOfSteps) {
  // With promote_n = DOT_N * g the narrow accumulator restarts every g
  // steps; the binary32 w collects the groups. Checked against the tile
  // written as separate narrow tiles (no init, so c = +0 each), widened and
  // added by ref_add (binary32 RNE) in group order.
  const uint64_t seed = test_seed(0xD073ull);
  std::mt19937_64 rng(seed);
  int failures = 0;
  for (int t = 0; t < 300; ++t) {
    const int n = 1 << (rng() % 4), g = (n == 1 ? 2 : 1) + static_cast<int>(rng() % 4);
    const int K = 1 + static_cast<int>(rng() % 60);
    const PeRefConfig c = pe_cfg(6, 5, n, 1 + static_cast<int>(rng() % 20), 8, kKinds[t % 3], n * g);
    std::vector<uint8_t> a(static_cast<size_t>(K)), b(static_cast<size_t>(K));
    for (auto& x : a) x = static_cast<uint8_t>(rng() & 0xF7u);  // no NaN code
    for (auto& x : b) x = static_cast<uint8_t>(rng() & 0xF7u);
    const int steps = (K + n - 1) / n;
    std::vector<uint32_t> u(static_cast<size_t>(steps));
    for (auto& x : u) x = static_cast<uint32_t>(rng());
    const uint32_t init = ref::f32_bits(static_cast<float>(static_cast<int>(rng() % 200) - 100) / 8.0f);
    const Round rnd = kRounds[(t / 3) % 3];
    const RefResult r = ref::ref_dot_tile(c, init, a.data(), 1, b.data(), 1, K, Fp8Format::E4M3, Fp8Format::E4M3, rnd, u.data());
    PeRefConfig narrow = c;
    narrow.promote_n = 0;
    uint32_t w = init;
    uint8_t fl = 0;
    for (int s0 = 0; s0 < steps; s0 += g) {
      const int k0 = s0 * n, kk = std::min(K - k0, g * n);
      const RefResult p = ref::ref_dot_tile(narrow, 0u, a.data() + k0, 1, b.data() + k0, 1, kk, Fp8Format::E4M3,
                                            Fp8Format::E4M3, rnd, u.data() + s0);
      const RefResult s = ref::ref_add(w, ref::encode_exact(ref::decode(p.bits, c.acc), ref::kBinary32), ref::kBinary32,
                                       Round::RNE);
      w = s.bits;
      fl = static_cast<uint8_t>(fl | p.flags | s.flags);
    }
    if (r != (RefResult{w, fl}) && ++failures <= kMaxReported)
      ADD_FAILURE() << "tile " << t << " DOT_N " << n << " groups of " << g << " K=" << K << ": " << exp_got(w, fl, r.bits, r.flags);
  }
  EXPECT_EQ(failures, 0);
}

TEST(PeRef, BadParametersThrow) {
  const uint8_t a[4] = {0x38, 0x38, 0x38, 0x38};
  auto dot = [&](PeRefConfig c, int k = 4) {
    return ref::ref_dot_tile(c, 0u, a, 1, a, 1, k, Fp8Format::E4M3, Fp8Format::E4M3, Round::RNE, nullptr);
  };
  auto ex = [&](PeRefConfig c, int k = 4) {
    return ref::ref_exact_tile(c, 0u, a, 1, a, 1, k, Fp8Format::E4M3, Fp8Format::E4M3, Round::RNE, 0);
  };
  EXPECT_THROW(dot(pe_cfg(8, 23, 3, 13)), std::invalid_argument);
  EXPECT_THROW(dot(pe_cfg(8, 23, 128, 13)), std::invalid_argument);
  EXPECT_THROW(dot(pe_cfg(8, 23, 0, 13)), std::invalid_argument);
  EXPECT_THROW(dot(pe_cfg(8, 23, 4, 0)), std::invalid_argument);
  EXPECT_THROW(dot(pe_cfg(8, 23, 4, 49)), std::invalid_argument);
  EXPECT_THROW(dot(pe_cfg(8, 23, 4, 13, 16, SrKind::Mid, 6)), std::invalid_argument);  // not a multiple of 4
  EXPECT_THROW(dot(pe_cfg(8, 23, 4, 13, 1)), std::invalid_argument);
  EXPECT_THROW(dot(pe_cfg(8, 23, 4, 13), 0), std::invalid_argument);
  EXPECT_THROW(dot(pe_cfg(8, 23, 4, 13), 65536), std::invalid_argument);
  EXPECT_THROW(ex(pe_cfg(8, 23, 4, 13, 16, SrKind::Mid, 4)), std::invalid_argument);  // exact: no promotion
  EXPECT_THROW(ex(pe_cfg(8, 23, 5, 13)), std::invalid_argument);
  EXPECT_THROW(ref::ref_fma_tile(pe_cfg(8, 23, 2, 13), 0u, a, 1, a, 1, 4, Fp8Format::E4M3, Fp8Format::E4M3, Round::RNE,
                                 nullptr),
               std::invalid_argument);
  EXPECT_NO_THROW(dot(pe_cfg(8, 23, 64, 48, 24, SrKind::Src, 128)));
  EXPECT_NO_THROW(dot(pe_cfg(4, 2, 1, 1, 2, SrKind::Trunc, 2)));
  EXPECT_NO_THROW(ex(pe_cfg(8, 23, 64, 1)));
}

}  // namespace
}  // namespace fp8sa::test

// Stochastic rounding (numerics.md section 5) in the model.
//
//   * Exhaustive over u: for small R, over all u in [0, 2^R) the model rounds
//     up exactly for u < k, with k = 2t + s from the exact discarded fraction
//     f (so P(up) = k / 2^R exactly), and |k / 2^R - f| < 2^-R (= 0 when f is
//     a multiple of 2^-(R-1)).
//   * Unbiased in the mean: the mean of N roundings of x with uniform u
//     equals x within  2^-R ulp (the spec's bias bound; 0 when s = 0)
//     + 6 sigma of the binomial, sigma <= 0.5 / sqrt(N) ulp (worst case
//     p = 1/2). A false failure has probability < 2e-9 per value.
//   * The same with the u words drawn from the PE's LFSR (MacPe).
//   * RNE and RZ never use the random word.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "fp8sa/mac_pe.hpp"
#include "fp8sa/numerics.hpp"
#include "gen.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

// An exact sum x = acc + a*b (or x + y) with everything the checks need.
struct SrCase {
  uint32_t acc;
  ProdRep p;
  double x;  // exact in double for the cases built below (checked)
};

// Random finite non-zero exact sums acc + p in format f whose discarded
// fraction is usually non-zero: acc in [2^lo, 2^hi), p a few ulps of acc or
// smaller.
// sub = true: acc is a subnormal of f instead.
SrCase make_case(std::mt19937_64& rng, const ref::FloatFormat& f, AccGen& g, int lo, int hi,
                 bool sub = false) {
  for (;;) {
    SrCase c;
    c.acc = sub ? (g.sign() | std::max(1u, g.man())) : g.around(lo, hi);
    const double av = ref::decode(c.acc, f);
    const int e = std::ilogb(av);
    const double ulp = std::ldexp(1.0, std::max(e, f.emin()) - f.man_bits);
    const double d = ulp * std::ldexp(1.0, -static_cast<int>(rng() % 12)) * (1.0 + static_cast<double>(rng() % 1000) / 1000.0);
    c.p = product_near((rng() & 1u) ? d : -d, rng, 5);
    c.x = av + c.p.v;
    ref::Exact ea(av), ep(c.p.v), s;
    ref::exact_add(s, ea, ep);
    if (mpfr_cmp_d(s.get(), c.x) != 0 || c.x == 0.0) continue;  // keep cases exact in double
    return c;
  }
}

TEST(StochasticRounding, RoundsUpExactlyForUBelowKOverAllU) {
  const uint64_t seed = test_seed(0x5200001ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("StochasticRounding: all u in [0, 2^R), R in 2..10, e8m23/e8m10/e5m10/e4m3, MACs");
  int failures = 0;
  uint64_t values = 0, with_sticky = 0;
  const ref::FloatFormat fmts[] = {ref::acc_format(8, 23), ref::acc_format(8, 10), ref::acc_format(5, 10),
                                   ref::acc_format(4, 3)};
  for (const ref::FloatFormat& f : fmts) {
    AccGen g(f, rng);
    for (int R = 2; R <= 10; ++R) {
      const AccAdder add(AccFormat{f.exp_bits, f.man_bits}, R);
      for (int n = 0; n < 200; ++n) {
        // Mostly normal values; some in the subnormal range of the narrow formats.
        const bool sub = (n % 4 == 0) && f.exp_bits <= 5;
        const SrCase c = make_case(rng, f, g, -6, 6, sub);
        ref::Exact x(c.x);
        const ref::SrSplit sp = ref::sr_split(x.get(), f, R);
        ++values;
        with_sticky += static_cast<uint64_t>(sp.s);
        // P(up) = k / 2^R is within 2^-R of f (exactly f when s == 0).
        const double fd = mpfr_get_d(sp.f.get(), MPFR_RNDN);
        const double pk = std::ldexp(static_cast<double>(sp.k), -R);
        if (sp.s == 0) {
          EXPECT_EQ(pk, fd) << "k/2^R != f with s = 0";
        } else {
          EXPECT_LT(std::fabs(pk - fd), std::ldexp(1.0, -R)) << "k/2^R not within 2^-R of f";
        }
        uint64_t ups = 0;
        for (uint32_t u = 0; u < (1u << R); ++u) {
          rep.add();
          const OpResult m = add.mac(c.acc, c.p.a, c.p.fa, c.p.b, c.p.fb, Round::SR, u);
          const double mv = std::fabs(ref::decode(m.bits, f));
          const bool up = mv > sp.y_dn;
          const bool want_up = u < sp.k;
          ups += up ? 1u : 0u;
          const bool on_grid = mv == sp.y_dn || mv == sp.y_dn + sp.ulp || std::isinf(mv);
          if ((up != want_up || !on_grid) && ++failures <= kMaxReported) {
            ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << " " << f.name() << " R=" << R
                          << ": mac(acc=" << hx(c.acc) << ", a=" << hx(c.p.a, 2) << " " << name(c.p.fa)
                          << ", b=" << hx(c.p.b, 2) << " " << name(c.p.fb) << ", SR, u=" << u
                          << "): x=" << x.str() << " y_dn=" << sp.y_dn << " ulp=" << sp.ulp
                          << " k=" << sp.k << ": got " << hx(m.bits) << " (" << ref::decode(m.bits, f)
                          << "), " << (want_up ? "expected up" : "expected down");
          }
        }
        EXPECT_EQ(ups, sp.k) << f.name() << " R=" << R << " x=" << x.str();
      }
    }
  }
  std::printf("[  CASES   ] %llu values, %llu with sticky s = 1\n", static_cast<unsigned long long>(values),
              static_cast<unsigned long long>(with_sticky));
  EXPECT_GT(with_sticky, values / 4) << "the generator should produce sticky cases";
  EXPECT_EQ(failures, 0);
}

// |mean(result) - x| in ulps, and the bound it must meet.
struct MeanCheck {
  double dev_ulp;
  double bound_ulp;
};

MeanCheck mean_bound(double sum_up, uint64_t n, const ref::SrSplit& sp, int R) {
  const double f = mpfr_get_d(sp.f.get(), MPFR_RNDN);
  const double mean_up = sum_up / static_cast<double>(n);
  const double bias = sp.s ? std::ldexp(1.0, -R) : 0.0;
  return {std::fabs(mean_up - f), bias + 6.0 * 0.5 / std::sqrt(static_cast<double>(n))};
}

TEST(StochasticRounding, MeanOfManyRoundingsEqualsExactValueWithin6Sigma) {
  const uint64_t seed = test_seed(0x5200002ull);
  std::mt19937_64 rng(seed);
  constexpr uint64_t kN = 1u << 18;
  CaseReport rep("StochasticRounding: mean of 2^18 SR roundings (uniform u) per value");
  struct Cfg {
    int e, m, R;
  };
  for (Cfg cfg : {Cfg{8, 23, 16}, Cfg{8, 10, 4}, Cfg{8, 10, 16}, Cfg{5, 10, 8}, Cfg{8, 7, 2}, Cfg{4, 3, 3}}) {
    const ref::FloatFormat f = ref::acc_format(cfg.e, cfg.m);
    const AccAdder add(AccFormat{cfg.e, cfg.m}, cfg.R);
    AccGen g(f, rng);
    for (int n = 0; n < 4; ++n) {
      const SrCase c = make_case(rng, f, g, -3, 3);
      ref::Exact x(c.x);
      const ref::SrSplit sp = ref::sr_split(x.get(), f, cfg.R);
      double ups = 0;
      for (uint64_t i = 0; i < kN; ++i) {
        rep.add();
        const OpResult m = add.mac(c.acc, c.p.a, c.p.fa, c.p.b, c.p.fb, Round::SR, static_cast<uint32_t>(rng()));
        ups += (std::fabs(ref::decode(m.bits, f)) - sp.y_dn) / sp.ulp;  // 0 or 1
      }
      const MeanCheck mc = mean_bound(ups, kN, sp, cfg.R);
      EXPECT_LE(mc.dev_ulp, mc.bound_ulp)
          << "seed 0x" << std::hex << seed << std::dec << " " << f.name() << " R=" << cfg.R << " x=" << x.str()
          << " f=" << mpfr_get_d(sp.f.get(), MPFR_RNDN) << " mean deviation " << mc.dev_ulp
          << " ulp > bound " << mc.bound_ulp << " ulp";
    }
  }
}

TEST(StochasticRounding, MeanWithLfsrDrawsFromMacPeEqualsExactValueWithin6Sigma) {
  const uint64_t seed = test_seed(0x5200003ull);
  std::mt19937_64 rng(seed);
  constexpr uint64_t kN = 1u << 17;
  CaseReport rep("StochasticRounding: mean of 2^17 MacPe SR cycles (LFSR words) per value");
  struct Cfg {
    int e, m, R, W;
  };
  for (Cfg cfg : {Cfg{8, 23, 16, 32}, Cfg{8, 10, 8, 16}, Cfg{5, 10, 5, 24}}) {
    const ref::FloatFormat f = ref::acc_format(cfg.e, cfg.m);
    AccGen g(f, rng);
    for (int n = 0; n < 3; ++n) {
      MacPeConfig pc;
      pc.acc = AccFormat{cfg.e, cfg.m};
      pc.sr_bits = cfg.R;
      pc.lfsr_w = cfg.W;
      pc.seed = static_cast<uint32_t>(rng() & ((uint64_t{1} << cfg.W) - 1)) | 1u;
      MacPe pe(pc);
      const SrCase c = make_case(rng, f, g, -3, 3);
      ref::Exact x(c.x);
      const ref::SrSplit sp = ref::sr_split(x.get(), f, cfg.R);
      MacPeInputs in;
      in.en = true;
      in.clr = true;  // acc_q = round(init + a*b) every cycle: independent roundings
      in.init = c.acc;
      in.a = c.p.a;
      in.fmt_a = c.p.fa;
      in.b = c.p.b;
      in.fmt_b = c.p.fb;
      in.rnd = Round::SR;
      double ups = 0;
      for (uint64_t i = 0; i < kN; ++i) {
        rep.add();
        pe.clock(in);
        ups += (std::fabs(ref::decode(pe.acc(), f)) - sp.y_dn) / sp.ulp;
      }
      const MeanCheck mc = mean_bound(ups, kN, sp, cfg.R);
      EXPECT_LE(mc.dev_ulp, mc.bound_ulp)
          << "seed 0x" << std::hex << seed << " LFSR seed 0x" << pc.seed << std::dec << " W=" << cfg.W << " "
          << f.name() << " R=" << cfg.R << " x=" << x.str() << " mean deviation " << mc.dev_ulp
          << " ulp > bound " << mc.bound_ulp << " ulp";
    }
  }
}

TEST(StochasticRounding, RneAndRzNeverUseTheRandomWord) {
  const uint64_t seed = test_seed(0x5200004ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("StochasticRounding: RNE/RZ results independent of u (mac, add, quantize)");
  int failures = 0;
  const uint32_t us[] = {0xFFFFFFFFu, 0x00000001u, 0x80000000u, 0x0000FFFFu};
  for (auto [e, m] : {std::pair{8, 23}, std::pair{8, 10}, std::pair{5, 10}, std::pair{4, 3}}) {
    const ref::FloatFormat f = ref::acc_format(e, m);
    AccGen g(f, rng);
    for (int R : {2, 16, 24}) {
      const AccAdder add(AccFormat{e, m}, R);
      const Quantizer q(AccFormat{e, m}, R);
      for (int i = 0; i < 4000; ++i) {
        const uint32_t acc = g.mixed(), y = g.mixed();
        const uint8_t a = static_cast<uint8_t>(rng()), b = static_cast<uint8_t>(rng());
        const Fp8Format fa = (rng() & 1u) ? Fp8Format::E5M2 : Fp8Format::E4M3;
        const Fp8Format fb = (rng() & 1u) ? Fp8Format::E5M2 : Fp8Format::E4M3;
        const OutFormat out = static_cast<OutFormat>(rng() % 4);
        const bool sat = (rng() & 1u) != 0;
        const int scale = static_cast<int>(rng() % 128) - 64;
        for (Round rnd : {Round::RNE, Round::RZ}) {
          const OpResult m0 = add.mac(acc, a, fa, b, fb, rnd, 0);
          const OpResult a0 = add.add(acc, y, rnd, 0);
          const OpResult q0 = q.quantize(acc, out, rnd, sat, scale, 0);
          for (uint32_t u : {us[0], us[1], us[2], us[3], static_cast<uint32_t>(rng())}) {
            rep.add(3);
            const OpResult m1 = add.mac(acc, a, fa, b, fb, rnd, u);
            const OpResult a1 = add.add(acc, y, rnd, u);
            const OpResult q1 = q.quantize(acc, out, rnd, sat, scale, u);
            const bool ok = m1.bits == m0.bits && m1.flags == m0.flags && a1.bits == a0.bits &&
                            a1.flags == a0.flags && q1.bits == q0.bits && q1.flags == q0.flags;
            if (!ok && ++failures <= kMaxReported) {
              ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << " " << f.name() << " "
                            << name(rnd) << " R=" << R << " acc=" << hx(acc) << " y=" << hx(y)
                            << " a=" << hx(a, 2) << " b=" << hx(b, 2) << " out=" << name(out)
                            << " scale=" << scale << ": u=0 vs u=" << hx(u) << " differ: mac "
                            << hx(m0.bits) << "/" << hx(m1.bits) << " add " << hx(a0.bits) << "/"
                            << hx(a1.bits) << " quantize " << hx(q0.bits, 4) << "/" << hx(q1.bits, 4);
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace fp8sa::test

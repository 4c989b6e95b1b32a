// Generic accumulator widths (numerics.md sections 3-5) vs the MPFR reference
// (fp8sa::ref::ref_mac / ref_add): all three rounding modes, random operands
// plus targeted boundary cases (overflow edges, tininess edges, subnormal
// results, cancellation), for MACs and for the plain two-operand adder.
#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fp8sa/numerics.hpp"
#include "gen.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

struct Width {
  int e, m;
};
// Readable parameter in test listings and failures ("e8m10", not raw bytes).
void PrintTo(const Width& w, std::ostream* os) { *os << "e" << w.e << "m" << w.m; }

std::string width_name(const testing::TestParamInfo<Width>& i) {
  return "e" + std::to_string(i.param.e) + "m" + std::to_string(i.param.m);
}

class AccGenericWidth : public testing::TestWithParam<Width> {};

// What both suites set up for one width: the seeded generator, the formats,
// the target values, the report and the coverage counters.
struct WidthRun {
  WidthRun(const Width& w, uint64_t salt, const std::string& what)
      : seed(test_seed(salt + static_cast<uint64_t>(w.e * 100 + w.m))), rng(seed), rf(ref::acc_format(w.e, w.m)),
        mf{w.e, w.m}, g(rf, rng), targets(g.targets()), rep("AccGenericWidth " + rf.name() + ": " + what) {}
  uint64_t seed;
  std::mt19937_64 rng;
  ref::FloatFormat rf;
  AccFormat mf;
  AccGen g;
  std::vector<double> targets;
  CaseReport rep;
  Coverage cov;
  int failures = 0;
};

constexpr int kSrBitsSet[] = {2, 3, 5, 8, 16, 24};
constexpr Round kModes[] = {Round::RNE, Round::RZ, Round::SR};

// A random SR word; half of the time right at the decision edge (u = k - 1 or
// u = k) for the exact sum x, when x is finite and non-zero.
uint32_t pick_u(std::mt19937_64& rng, const ref::Exact* x, const ref::FloatFormat& f, int sr_bits) {
  const uint32_t mask = (1u << sr_bits) - 1u;
  const uint32_t r = static_cast<uint32_t>(rng());
  if (x == nullptr || !mpfr_regular_p(x->get()) || (rng() & 1u)) return r;
  const uint64_t k = ref::sr_split(x->get(), f, sr_bits).k;
  uint64_t u = (rng() & 1u) ? k : (k == 0 ? 0 : k - 1);
  if (u > mask) u = mask;
  return static_cast<uint32_t>(u) | (r & ~mask);  // high bits must be ignored
}

TEST_P(AccGenericWidth, RandomAndBoundaryMacsAllModesMatchMpfrReference) {
  WidthRun run(GetParam(), 0xACC0000ull, "MACs, RNE/RZ/SR vs ref_mac (MPFR)");
  auto& [seed, rng, rf, mf, g, targets, rep, cov, failures] = run;
  constexpr int kPerMode = 200000;
  for (Round rnd : kModes) {
    for (int i = 0; i < kPerMode; ++i) {
      const int sr_bits = kSrBitsSet[static_cast<size_t>(i) % 6];
      uint32_t acc;
      uint8_t a, b;
      Fp8Format fa, fb;
      const uint32_t scenario = g.below(8);
      if (scenario <= 2) {  // random operands
        acc = g.mixed();
        fa = (rng() & 1u) ? Fp8Format::E5M2 : Fp8Format::E4M3;
        fb = (rng() & 1u) ? Fp8Format::E5M2 : Fp8Format::E4M3;
        a = static_cast<uint8_t>(rng());
        b = static_cast<uint8_t>(rng());
        if (g.below(8) == 0) a = static_cast<uint8_t>(a & 0x80u);  // zero operand
      } else {
        ProdRep p{};
        if (scenario <= 4) {  // cancellation: acc ~ -p, a few ulps off
          const std::vector<ProdRep>& t = all_products();
          p = t[rng() % t.size()];
          if (rng() & 1u) {
            p.a ^= 0x80u;
            p.v = -p.v;
          }
          acc = g.step(g.nearest(-p.v), static_cast<int>(g.below(7)) - 3);
        } else {  // boundary: acc + p near +-T
          const double T = targets[rng() % targets.size()] * ((rng() & 1u) ? -1.0 : 1.0);
          switch (g.below(4)) {
            case 0: acc = (rng() & 1u) ? 0u : rf.sign_bit(); break;
            case 1: acc = g.step(g.nearest(T), static_cast<int>(g.below(7)) - 3); break;
            case 2: acc = g.nearest(T / (2.0 + static_cast<double>(g.below(30)))); break;
            default: acc = g.mixed(); break;
          }
          const double av = ref::decode(acc, rf);
          p = product_near(std::isfinite(av) ? T - av : T, rng);
        }
        a = p.a;
        b = p.b;
        fa = p.fa;
        fb = p.fb;
      }
      // Exact sum (when finite) to aim SR words at the decision edge.
      uint32_t u = static_cast<uint32_t>(rng());
      if (rnd == Round::SR) {
        const double av = ref::decode(acc, rf);
        const double pv = ref::fp8_decode(a, fa) * ref::fp8_decode(b, fb);
        if (std::isfinite(av) && std::isfinite(pv)) {
          ref::Exact x(av), y(pv), s;
          ref::exact_add(s, x, y);
          u = pick_u(rng, &s, rf, sr_bits);
        }
      }
      rep.add();
      const ref::RefResult want = ref::ref_mac(acc, a, fa, b, fb, rf, rnd, u, sr_bits);
      cov.add(want.bits, want.flags, rf);
      const OpResult got = AccAdder(mf, sr_bits).mac(acc, a, fa, b, fb, rnd, u);
      if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported) {
        ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << " " << rf.name() << " "
                      << name(rnd) << " sr_bits=" << sr_bits << ": mac(acc=" << hx(acc) << " ("
                      << ref::decode(acc, rf) << "), a=" << hx(a, 2) << " " << name(fa)
                      << ", b=" << hx(b, 2) << " " << name(fb) << ", u=" << hx(u)
                      << "): " << exp_got(want.bits, want.flags, got.bits, got.flags);
      }
    }
  }
  cov.print(rf.name() + " MACs");
  EXPECT_EQ(failures, 0) << failures << " of " << rep.count() << " MACs differ, " << rf.name()
                         << ", seed 0x" << std::hex << seed;
}

TEST_P(AccGenericWidth, RandomAndBoundaryAddsAllModesMatchMpfrReference) {
  WidthRun run(GetParam(), 0xADD0000ull, "adds, RNE/RZ/SR vs ref_add (MPFR)");
  auto& [seed, rng, rf, mf, g, targets, rep, cov, failures] = run;
  constexpr int kPerMode = 100000;
  for (Round rnd : kModes) {
    for (int i = 0; i < kPerMode; ++i) {
      const int sr_bits = kSrBitsSet[static_cast<size_t>(i) % 6];
      uint32_t x, y;
      switch (g.below(6)) {
        case 0:
        case 1:  // random
          x = g.mixed(-200, 200);
          y = g.mixed(-200, 200);
          break;
        case 2:  // cancellation
          x = g.finite();
          y = g.step(x ^ rf.sign_bit(), static_cast<int>(g.below(9)) - 4);
          break;
        case 3:  // subnormal / tiny operands
          x = g.special();
          y = g.edges();
          break;
        default: {  // x + y near +-T
          const double T = targets[rng() % targets.size()] * ((rng() & 1u) ? -1.0 : 1.0);
          x = (rng() & 1u) ? g.step(g.nearest(T / 2), static_cast<int>(g.below(5)) - 2) : g.mixed(-200, 200);
          const double xv = ref::decode(x, rf);
          y = g.step(g.nearest(std::isfinite(xv) ? T - xv : T), static_cast<int>(g.below(5)) - 2);
          break;
        }
      }
      if (rng() & 1u) std::swap(x, y);
      uint32_t u = static_cast<uint32_t>(rng());
      if (rnd == Round::SR) {
        const double xv = ref::decode(x, rf), yv = ref::decode(y, rf);
        if (std::isfinite(xv) && std::isfinite(yv)) {
          ref::Exact ex(xv), ey(yv), s;
          ref::exact_add(s, ex, ey);
          u = pick_u(rng, &s, rf, sr_bits);
        }
      }
      rep.add();
      const ref::RefResult want = ref::ref_add(x, y, rf, rnd, u, sr_bits);
      cov.add(want.bits, want.flags, rf);
      const OpResult got = AccAdder(mf, sr_bits).add(x, y, rnd, u);
      if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported) {
        ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << " " << rf.name() << " "
                      << name(rnd) << " sr_bits=" << sr_bits << ": add(" << hx(x) << " ("
                      << ref::decode(x, rf) << "), " << hx(y) << " (" << ref::decode(y, rf)
                      << "), u=" << hx(u) << "): " << exp_got(want.bits, want.flags, got.bits, got.flags);
      }
    }
  }
  cov.print(rf.name() + " adds");
  EXPECT_EQ(failures, 0) << failures << " of " << rep.count() << " adds differ, " << rf.name()
                         << ", seed 0x" << std::hex << seed;
}

INSTANTIATE_TEST_SUITE_P(Widths, AccGenericWidth,
                         testing::Values(Width{8, 23}, Width{8, 15}, Width{8, 10}, Width{8, 7},
                                         Width{8, 2}, Width{7, 12}, Width{6, 9}, Width{5, 10},
                                         Width{5, 7}, Width{5, 2}, Width{4, 23}, Width{4, 3},
                                         Width{4, 2}),
                         width_name);

// A small format swept exhaustively: every e4m2 word (128, specials included)
// plus every distinct FP8 product value (both signs), in RNE and RZ.
TEST(AccGenericSmall, E4m2EveryAccWordPlusEveryProductValueRneRz) {
  const ref::FloatFormat rf = ref::acc_format(4, 2);
  const AccAdder add(AccFormat{4, 2}, 16);
  const std::vector<ProdRep>& prods = all_products();
  CaseReport rep("AccGenericSmall e4m2: 128 acc words x " + std::to_string(2 * prods.size()) +
                 " signed product values, RNE and RZ");
  int failures = 0;
  for (Round rnd : {Round::RNE, Round::RZ}) {
    for (uint32_t acc = 0; acc < 128; ++acc) {
      for (const ProdRep& p0 : prods) {
        for (uint8_t sa : {uint8_t{0}, uint8_t{0x80}}) {
          rep.add();
          const uint8_t a = static_cast<uint8_t>(p0.a | sa);
          const ref::RefResult want = ref::ref_mac(acc, a, p0.fa, p0.b, p0.fb, rf, rnd);
          const OpResult got = add.mac(acc, a, p0.fa, p0.b, p0.fb, rnd, 0);
          if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported) {
            ADD_FAILURE() << "e4m2 " << name(rnd) << ": mac(acc=" << hx(acc, 2) << ", a=" << hx(a, 2)
                          << " " << name(p0.fa) << ", b=" << hx(p0.b, 2) << " " << name(p0.fb)
                          << "): " << exp_got(want.bits, want.flags, got.bits, got.flags, 2);
          }
        }
      }
    }
  }
  EXPECT_EQ(failures, 0) << failures << " of " << rep.count() << " MACs differ";
}

}  // namespace
}  // namespace fp8sa::test

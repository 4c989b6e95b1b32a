// The Verilated fp8sa_mac against independent references: host binary32
// arithmetic (products, fmaf with its IEEE flags) and MPFR (generic widths,
// stochastic rounding).
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "fp8sa/numerics.hpp"
#include "ref.hpp"
#include "rtl_units.hpp"
#include "test_util.hpp"


namespace fp8sa {
namespace {

using test::exp_got;
using test::hx;

constexpr Fp8Format kFmts[2] = {Fp8Format::E4M3, Fp8Format::E5M2};

uint8_t flags_from_fenv(int ex) {
  uint8_t f = 0;
  if (ex & FE_INEXACT) f |= ref::kInexact;
  if (ex & FE_UNDERFLOW) f |= ref::kUnderflow;
  if (ex & FE_OVERFLOW) f |= ref::kOverflow;
  if (ex & FE_INVALID) f |= ref::kInvalid;
  return f;
}

// IEEE binary32 fmaf(a, b, c) on the host, with the exception flags it raised.
ref::RefResult host_fmaf(float a, float b, float c) {
  volatile float va = a, vb = b, vc = c;
  std::feclearexcept(FE_ALL_EXCEPT);
  volatile float r = std::fmaf(va, vb, vc);
  const int ex = std::fetestexcept(FE_ALL_EXCEPT);
  return {ref::f32_bits(r), flags_from_fenv(ex)};
}

bool same_result(uint32_t expect, uint32_t got, const ref::FloatFormat& f) {
  if (ref::is_nan(expect, f)) return got == f.canonical_nan();  // spec: canonical NaN out
  return expect == got;
}

TEST(RtlMac, EveryFp8ProductAllFormatPairsMatchesHostFloat) {
  auto mac = rtl::make_mac(kFp32, 16);
  test::CaseReport rep("4 format pairs x 65,536 products (acc = -0, RNE)");
  int failures = 0;
  for (Fp8Format fa : kFmts) {
    for (Fp8Format fb : kFmts) {
      for (unsigned a = 0; a < 256; ++a) {
        for (unsigned b = 0; b < 256; ++b) {
          const float va = static_cast<float>(ref::fp8_decode(static_cast<uint8_t>(a), fa));
          const float vb = static_cast<float>(ref::fp8_decode(static_cast<uint8_t>(b), fb));
          volatile float x = va, y = vb;
          std::feclearexcept(FE_ALL_EXCEPT);
          volatile float p = x * y;  // exact: at most 8 significant bits
          const uint8_t ef = flags_from_fenv(std::fetestexcept(FE_ALL_EXCEPT));
          // -0 + p == p for every p, including both zeros.
          const OpResult got = mac->mac(0x80000000u, static_cast<uint8_t>(a), fa,
                                        static_cast<uint8_t>(b), fb, Round::RNE);
          const uint32_t eb = ref::f32_bits(p);
          rep.add();
          if (!same_result(eb, got.bits, ref::kBinary32) || got.flags != ef) {
            if (++failures <= test::kMaxReported)
              ADD_FAILURE() << test::name(fa) << " " << hx(a, 2) << " x " << test::name(fb)
                            << " " << hx(b, 2) << ": " << exp_got(eb, ef, got.bits, got.flags);
          }
        }
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

// Accumulator values that exercise the adder: specials, subnormals, overflow
// edges, values near the product (cancellation), and random bit patterns.
uint32_t random_acc(std::mt19937_64& rng, float product) {
  static const uint32_t kSpecial[] = {
      0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00000u,
      0x7F800001u, 0x7FA00000u, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x00000001u, 0x80000001u,
      0x00800000u, 0x80800000u, 0x007FFFFFu, 0x807FFFFFu, 0x7F7FFFFEu, 0x4F800000u};
  const unsigned kind = static_cast<unsigned>(rng() % 16);
  switch (kind) {
    case 0: return kSpecial[rng() % (sizeof kSpecial / sizeof kSpecial[0])];
    case 1: return static_cast<uint32_t>(rng() & 0x807FFFFFu);  // subnormal or zero
    case 2: return static_cast<uint32_t>(0x7F000000u | (rng() & 0x807FFFFFu));  // near max
    case 3: case 4: case 5: {  // cancellation: -(product) plus a few ulps
      uint32_t pb = ref::f32_bits(-product);
      if (std::isnan(product) || std::isinf(product) || product == 0.0f) return pb;
      const int32_t d = static_cast<int32_t>(rng() % 9) - 4;
      return static_cast<uint32_t>(static_cast<int32_t>(pb) + d);
    }
    case 6: case 7: case 8: case 9: {  // same magnitude range as products
      const int e = static_cast<int>(rng() % 80) - 40;
      const float m = static_cast<float>(rng() % (1u << 24)) / static_cast<float>(1u << 23);
      const float v = std::ldexp(m, e) * ((rng() & 1) ? -1.0f : 1.0f);
      return ref::f32_bits(v);
    }
    default: return static_cast<uint32_t>(rng());
  }
}

// >= 10 million random MACs on the RTL against fmaf, both CI cores busy
// (each thread owns its own Verilated model; fenv flags are per thread).
TEST(RtlMac, TenMillionRandomMacsMatchFmafWithFlags) {
  const uint64_t seed = test::test_seed(0x5EED0001u);
  const uint64_t total = 10'000'000;
  const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
  test::CaseReport rep("random e8m23 RNE MACs vs fmaf (specials, subnormals, overflow)");
  std::vector<uint64_t> fails(threads, 0);
  std::vector<std::string> first(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto mac = rtl::make_mac(kFp32, 16);
      std::mt19937_64 rng(seed + t);
      const uint64_t n = total / threads + (t < total % threads ? 1 : 0);
      for (uint64_t i = 0; i < n; ++i) {
        const uint8_t a = static_cast<uint8_t>(rng()), b = static_cast<uint8_t>(rng());
        const Fp8Format fa = kFmts[rng() & 1], fb = kFmts[rng() & 1];
        const float va = static_cast<float>(ref::fp8_decode(a, fa));
        const float vb = static_cast<float>(ref::fp8_decode(b, fb));
        const uint32_t acc = random_acc(rng, va * vb);
        const ref::RefResult e = host_fmaf(va, vb, ref::f32_from_bits(acc));
        const OpResult g = mac->mac(acc, a, fa, b, fb, Round::RNE);
        if (!same_result(e.bits, g.bits, ref::kBinary32) || e.flags != g.flags) {
          if (fails[t]++ == 0)
            first[t] = "seed " + hx(static_cast<uint32_t>(seed + t)) + " case " + std::to_string(i) +
                       ": acc " + hx(acc) + " + " + test::name(fa) + " " + hx(a, 2) + " * " +
                       test::name(fb) + " " + hx(b, 2) + ": " + exp_got(e.bits, e.flags, g.bits, g.flags);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  rep.add(total);
  uint64_t nfail = 0;
  for (unsigned t = 0; t < threads; ++t) {
    nfail += fails[t];
    if (fails[t]) ADD_FAILURE() << "thread " << t << " first failure: " << first[t];
  }
  EXPECT_EQ(nfail, 0u) << "of " << total << " MACs";
}

// Boundary accumulators for a format: around max, min normal, subnormals,
// zeros, infinities and NaNs (RTL runs these in every mode).
std::vector<uint32_t> boundary_accs(const ref::FloatFormat& f) {
  const uint32_t s = f.sign_bit(), maxb = f.max_bits(), mn = 1u << f.man_bits;
  std::vector<uint32_t> v = {0u, maxb, maxb - 1, mn, mn - 1, mn + 1, 1u, 2u, f.inf_bits(),
                             f.canonical_nan(), f.exp_ones() | 1u, (mn >> 1)};
  const size_t n = v.size();
  for (size_t i = 0; i < n; ++i) v.push_back(v[i] | s);
  return v;
}

// Narrow and generic accumulators: every Verilated width, every mode,
// against the MPFR reference (exact sum, one rounding).
TEST(RtlMac, GenericWidthsMatchMpfrAllModes) {
  const uint64_t seed = test::test_seed(0x5EED0002u);
  int failures = 0;
  for (const auto& [eb, mb, sr] : std::vector<std::tuple<int, int, int>>{
           {8, 15, 16}, {8, 10, 16}, {8, 7, 16}, {6, 9, 16}, {5, 10, 16}, {8, 23, 16}, {8, 23, 4}}) {
    const AccFormat af{eb, mb};
    const ref::FloatFormat rf = ref::acc_format(eb, mb);
    auto mac = rtl::make_mac(af, sr);
    std::mt19937_64 rng(seed ^ static_cast<uint64_t>(eb * 100 + mb + sr * 10000));
    test::CaseReport rep("RTL " + af.name() + "/sr" + std::to_string(sr) + " vs MPFR, RNE+RZ+SR");
    const std::vector<uint32_t> bnd = boundary_accs(rf);
    const uint32_t umask = (1u << sr) - 1u;
    for (int i = 0; i < 60000; ++i) {
      const uint8_t a = static_cast<uint8_t>(rng()), b = static_cast<uint8_t>(rng());
      const Fp8Format fa = kFmts[rng() & 1], fb = kFmts[rng() & 1];
      uint32_t acc;
      const unsigned kind = static_cast<unsigned>(rng() % 4);
      if (kind == 0) {
        acc = bnd[rng() % bnd.size()];
      } else if (kind == 1) {  // near -(a*b) in this format: cancellation, tiny results
        const double p = ref::fp8_decode(a, fa) * ref::fp8_decode(b, fb);
        const ref::RefResult r = ref::round_to_acc(-p, rf, Round::RZ, 0, 16);
        // r.bits + d in [-3, 3], wrapping within the word (unsigned: no
        // signed overflow when r.bits is 0x80000000, found by make sanitize).
        const uint32_t d = static_cast<uint32_t>(rng() % 7) - 3u;
        acc = (r.bits + d) & rf.mask();
      } else {
        acc = static_cast<uint32_t>(rng()) & rf.mask();
      }
      for (Round rnd : {Round::RNE, Round::RZ, Round::SR}) {
        const uint32_t u = static_cast<uint32_t>(rng()) & umask;
        const ref::RefResult e = ref::ref_mac(acc, a, fa, b, fb, rf, rnd, u, sr);
        const OpResult g = mac->mac(acc, a, fa, b, fb, rnd, u);
        rep.add();
        if (e.bits != g.bits || e.flags != g.flags) {
          if (++failures <= test::kMaxReported)
            ADD_FAILURE() << af.name() << "/sr" << sr << " " << test::name(rnd) << " u=" << hx(u, 6)
                          << ": acc " << hx(acc) << " + " << test::name(fa) << " " << hx(a, 2)
                          << " * " << test::name(fb) << " " << hx(b, 2) << ": "
                          << exp_got(e.bits, e.flags, g.bits, g.flags);
        }
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

// SR on the RTL: for fixed operands, sweep every random word u in [0, 2^R):
// the number of round-ups must be exactly k (numerics.md section 5), which
// is within 2^-R ulp of the exact discarded fraction f.
TEST(RtlMac, StochasticRoundUpCountEqualsDiscardedFractionExhaustiveOverU) {
  const uint64_t seed = test::test_seed(0x5EED0003u);
  std::mt19937_64 rng(seed);
  int checked = 0;
  for (int sr : {4, 16}) {
    auto mac = rtl::make_mac(kFp32, sr);
    const uint32_t nu = 1u << sr;
    int cases = 0;
    while (cases < (sr == 4 ? 2000 : 24)) {
      const uint8_t a = static_cast<uint8_t>(rng()), b = static_cast<uint8_t>(rng());
      const double p = ref::fp8_decode(a, Fp8Format::E4M3) * ref::fp8_decode(b, Fp8Format::E5M2);
      if (!std::isfinite(p) || p == 0.0) continue;
      // An accumulator a few binades above the product: the product's bits fall
      // below the last kept bit, so the sum is inexact.
      const int shift = static_cast<int>(rng() % 30);
      const uint32_t acc = ref::f32_bits(static_cast<float>(std::ldexp(std::fabs(p), shift + 1) * 1.25));
      ref::Exact x(ref::f32_from_bits(acc));
      ref::Exact pe(p), sum;
      ref::exact_add(sum, x, pe);
      const ref::SrSplit sp = ref::sr_split(sum.get(), ref::kBinary32, sr);
      const ref::RefResult dn = ref::round_to_acc(sum.get(), ref::kBinary32, Round::RZ, 0, sr);
      uint64_t ups = 0;
      for (uint32_t u = 0; u < nu; ++u) {
        const OpResult g = mac->mac(acc, a, Fp8Format::E4M3, b, Fp8Format::E5M2, Round::SR, u);
        if (g.bits != dn.bits) ++ups;
        const bool expect_up = u < sp.k;
        if ((g.bits != dn.bits) != expect_up) {
          ADD_FAILURE() << "sr" << sr << " acc " << hx(acc) << " a " << hx(a, 2) << " b " << hx(b, 2)
                        << " u " << u << ": expected " << (expect_up ? "up" : "down");
          return;
        }
      }
      EXPECT_EQ(ups, sp.k);
      // |P(up) - f| < 2^-R (strictly, unless f is a multiple of 2^-(R-1): then 0).
      const double pu = static_cast<double>(ups) / nu;
      const double f = mpfr_get_d(sp.f.get(), MPFR_RNDN);
      EXPECT_LT(std::fabs(pu - f), std::ldexp(1.0, -sr) * 1.000001);
      ++cases;
      ++checked;
    }
  }
  std::printf("[  CASES   ] SR exhaustive-over-u sums checked: %d\n", checked);
}

TEST(RtlMac, ReservedRoundCodeBehavesAsRne) {
  auto mac = rtl::make_mac(kFp32, 16);
  std::mt19937_64 rng(7);
  // Few cases: the RTL's simulation-only check reports each use of code 3.
  for (int i = 0; i < 50; ++i) {
    const uint8_t a = static_cast<uint8_t>(rng()), b = static_cast<uint8_t>(rng());
    const uint32_t acc = static_cast<uint32_t>(rng());
    const OpResult r3 = mac->mac_code(acc, a, Fp8Format::E5M2, b, Fp8Format::E4M3, 3, 0);
    const OpResult r0 = mac->mac_code(acc, a, Fp8Format::E5M2, b, Fp8Format::E4M3, 0, 0);
    ASSERT_EQ(r3.bits, r0.bits);
    ASSERT_EQ(r3.flags, r0.flags);
  }
}

}  // namespace
}  // namespace fp8sa

// Promotion of partial sums (docs/numerics.md section 9) against an
// independent reference: the narrow MACs by fp8sa::ref::ref_mac (MPFR, one
// rounding into eXmY; SR words from ref::LfsrRef, the bit-serial LFSR of
// the spec, seeded by the seed rule of docs/array.md "Seeds" written out
// here), the promotion adds as host binary32 additions (RNE) with the
// host's <cfenv> flags, and the quantizer by ref::ref_quantize. Checked:
// the functional model (generic path, and with allow_fast, which must not
// take the e8m23 kernel), the cycle model through its ports, and the PE
// model (MacPe). K below, equal to and not a multiple of N, use_init with
// special binary32 words (sNaN, Inf), NaN/Inf operands, narrow overflow.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/backend.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/mac_pe.hpp"
#include "gemm_ref.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

struct PromoCfg {
  int R, C;
  int exp_bits, man_bits;
  Round rnd;
  int sr_bits, lfsr_w;
  uint32_t seed;
  int n;  // promote_n
};

// docs/array.md "Seeds": seed(i) = (SEED ^ (i * 0x9E3779B9)) mod 2^W, 1 if 0.
uint32_t spec_seed(uint32_t seed, uint32_t i, int w) {
  const uint32_t m = w >= 32 ? 0xFFFFFFFFu : ((1u << w) - 1u);
  const uint32_t v = (seed ^ (i * 0x9E3779B9u)) & m;
  return v == 0 ? 1u : v;
}

// One promoted dot product: K products of a[k * sa] * b[k * sb], the narrow
// accumulator from +0, the binary32 one from init. `l` is the PE's LFSR
// (one draw per MAC, used by SR). Flags ORed into *flags.
uint32_t ref_promoted_dot(const uint8_t* a, ptrdiff_t sa, Fp8Format fa, const uint8_t* b, ptrdiff_t sb, Fp8Format fb,
                          int K, uint32_t init, const PromoCfg& pc, ref::LfsrRef* l, uint8_t* flags) {
  const ref::FloatFormat nf = ref::acc_format(pc.exp_bits, pc.man_bits);
  uint32_t n = 0, w = init;
  for (int k = 0; k < K; ++k) {
    const uint32_t u = l != nullptr ? l->draw(pc.sr_bits) : 0u;
    const ref::RefResult m = ref::ref_mac(n, a[k * sa], fa, b[k * sb], fb, nf, pc.rnd, u, pc.sr_bits);
    n = m.bits;
    *flags = static_cast<uint8_t>(*flags | m.flags);
    if ((k + 1) % pc.n == 0 || k == K - 1) {
      const float nv = static_cast<float>(ref::decode(n, nf));  // exact: eXmY lies within binary32
      std::feclearexcept(FE_ALL_EXCEPT);
      volatile float x = ref::f32_from_bits(w);
      volatile float y = nv;
      volatile float s = x + y;
      *flags = static_cast<uint8_t>(*flags | host_flags(std::fetestexcept(FE_ALL_EXCEPT)));
      const float sv = s;
      w = std::isnan(sv) ? 0x7FC00000u : ref::f32_bits(sv);
      n = 0;
    }
  }
  return w;
}

// The array's bits for the problem (gemm.hpp tiling): every PE of every
// tile, padded ones included, LFSRs continuing from tile to tile; with
// `quantize` each PE's word then goes through the RNE E4M3 quantizer
// (saturating; no column draws), whose flags join the tile's.
Expected ref_promoted_gemm(const Problem& pr, const PromoCfg& pc, const std::vector<uint8_t>& zeros,
                           bool quantize = false) {
  const int R = pc.R, C = pc.C, tm = (pr.M + R - 1) / R, tn = (pr.N + C - 1) / C;
  std::vector<ref::LfsrRef> lfsr;
  for (int i = 0; i < R * C; ++i) lfsr.emplace_back(pc.lfsr_w, spec_seed(pc.seed, static_cast<uint32_t>(1 + i), pc.lfsr_w));
  Expected e;
  e.out.assign(static_cast<size_t>(pr.M) * static_cast<size_t>(pr.N), 0u);
  e.tile_flags.assign(static_cast<size_t>(tm) * static_cast<size_t>(tn), 0u);
  for (int ti = 0; ti < tm; ++ti) {
    for (int tj = 0; tj < tn; ++tj) {
      uint8_t f = 0;
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) {
          const int m = ti * R + r, n = tj * C + c;
          const bool row = m < pr.M, col = n < pr.N;
          const uint8_t* a = row ? pr.A.data() + static_cast<size_t>(m) * pr.K : zeros.data();
          const uint8_t* b = col ? pr.B.data() + n : zeros.data();
          const uint32_t init = (row && col && !pr.C.empty()) ? pr.C[static_cast<size_t>(m) * pr.N + n] : 0u;
          ref::LfsrRef* l = pc.rnd == Round::SR ? &lfsr[static_cast<size_t>(r * C + c)] : nullptr;
          uint32_t w = ref_promoted_dot(a, 1, pr.fa, b, col ? pr.N : 1, pr.fb, pr.K, init, pc, l, &f);
          if (quantize) {
            const ref::RefResult q = ref::ref_quantize(w, ref::kBinary32, OutFormat::E4M3, Round::RNE, true);
            w = q.bits;
            f = static_cast<uint8_t>(f | q.flags);
          }
          if (row && col) e.out[static_cast<size_t>(m) * pr.N + n] = w;
        }
      }
      e.tile_flags[static_cast<size_t>(ti) * tn + tj] = f;
    }
  }
  return e;
}

ArrayConfig array_config(const PromoCfg& pc) {
  ArrayConfig cfg;
  cfg.rows = pc.R;
  cfg.cols = pc.C;
  cfg.acc = AccFormat{pc.exp_bits, pc.man_bits};
  cfg.sr_bits = pc.sr_bits;
  cfg.q_sr_bits = pc.sr_bits;
  cfg.lfsr_w = pc.lfsr_w;
  cfg.seed = pc.seed;
  cfg.promote_n = pc.n;
  return cfg;
}

// Random binary32 init words, with the specials of Data::Specials when asked.
void promoted_c(std::mt19937_64& rng, Problem* pr, bool specials) {
  for (auto& c : pr->C) {
    // moderate magnitudes, so that the products are not always swamped
    c = (static_cast<uint32_t>(rng()) & 0x80FFFFFFu) | ((110u + static_cast<uint32_t>(rng() % 40)) << 23);
  }
  if (specials) {
    pr->C[rng() % pr->C.size()] = 0x7FA00000u;  // signalling NaN: the promotion add raises invalid
    pr->C[rng() % pr->C.size()] = 0xFF800000u;  // -Inf
    pr->C[rng() % pr->C.size()] = 0x00000001u;  // smallest subnormal
  }
}

size_t run_case(std::mt19937_64& rng, const PromoCfg& pc, int M, int K, int N, Data d, bool with_c, uint64_t seed,
                bool quantize = false) {
  const Fp8Format fa = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
  const Fp8Format fb = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
  Problem pr = make_problem(rng, M, K, N, fa, fb, d, with_c);
  if (with_c) promoted_c(rng, &pr, d == Data::Specials);
  const std::vector<uint8_t> zeros(static_cast<size_t>(K), 0u);
  const Expected e = ref_promoted_gemm(pr, pc, zeros, quantize);
  GemmProblem p = gemm_problem(pr);
  p.rnd = pc.rnd;
  if (quantize) {
    p.out_fmt = OutKind::E4M3;
    p.out_rnd = Round::RNE;
    p.sat = true;
  }
  const ArrayConfig cfg = array_config(pc);
  const std::string what = strf("e%dm%d %s N=%d %dx%dx%d on %dx%d %s%s%s, FP8SA_SEED=0x%llx", pc.exp_bits,
                                pc.man_bits, name(pc.rnd), pc.n, M, K, N, pc.R, pc.C, data_name(d),
                                with_c ? " +C" : "", quantize ? " ->e4m3" : "", static_cast<unsigned long long>(seed));
  size_t bad = 0;
  for (const bool fast : {false, true}) {
    GemmOutput fo;
    GemmOptions go;
    go.allow_fast = fast;
    go.threads = 1;
    gemm_functional(p, cfg, &fo, go);
    bad += expect_gemm_equal(e, fo.out, fo.tile_flags, N, what + (fast ? ", functional" : ", functional generic"));
  }
  const GemmRun cr = make_model_backend("cycle", cfg)->run(p);
  bad += expect_gemm_equal(e, cr.out.out, cr.out.tile_flags, N, what + ", cycle");
  return bad;
}

const PromoCfg kCfgs[] = {
    {4, 4, 6, 5, Round::RNE, 16, 32, 0x1u, 4},
    {4, 4, 6, 5, Round::SR, 8, 16, 0xBEEFu, 3},
    {2, 3, 8, 10, Round::RZ, 16, 32, 0x2B7E1516u, 8},
    {2, 3, 8, 10, Round::SR, 16, 32, 0x2B7E1516u, 2},
    {3, 2, 5, 10, Round::RNE, 16, 32, 0x1u, 5},
    {1, 1, 5, 10, Round::SR, 4, 8, 0x5u, 128},
    {2, 2, 4, 3, Round::RZ, 16, 32, 0x9u, 4},
    {2, 2, 8, 23, Round::SR, 16, 32, 0x77u, 6},
    {2, 2, 8, 23, Round::RNE, 16, 32, 0x77u, 2},
};

TEST(Promote, FunctionalAndCycleMatchMpfrNarrowPlusHostBinary32Adds) {
  const uint64_t seed = test_seed(0x9120u);
  std::mt19937_64 rng(seed);
  CaseReport rep("promotion: functional (generic, fast flag) + cycle vs MPFR narrow MACs + host binary32 adds (MACs)");
  for (const PromoCfg& pc : kCfgs) {
    // K below N, N, N + 1, not a multiple, and long enough for many promotions
    const int ks[] = {1, pc.n - 1 > 0 ? pc.n - 1 : 1, pc.n, pc.n + 1, 3 * pc.n + 2, 41};
    for (const int K : ks) {
      for (const bool with_c : {false, true}) {
        const int M = pc.R + 1, N = pc.C + 2;  // ragged: padded rows and columns
        ASSERT_EQ(run_case(rng, pc, M, K, N, Data::RandomFinite, with_c, seed), 0u);
        rep.add(static_cast<uint64_t>(M) * N * K * 3);
      }
    }
  }
}

TEST(Promote, SpecialOperandsAndInitWordsRaiseTheSpecFlags) {
  const uint64_t seed = test_seed(0x9121u);
  std::mt19937_64 rng(seed);
  for (const PromoCfg& pc : kCfgs) {
    for (const int K : {pc.n, 2 * pc.n + 1}) {
      ASSERT_EQ(run_case(rng, pc, pc.R * 2, K, pc.C * 2 - 1, Data::Specials, true, seed), 0u);
      ASSERT_EQ(run_case(rng, pc, pc.R * 2, K, pc.C * 2 - 1, Data::Specials, false, seed), 0u);
    }
  }
}

TEST(Promote, NarrowOverflowReachesTheBinary32Word) {
  // e4m3 and e5m10 accumulators overflow on large FP8 products (E5M2 up to
  // 57344^2): the narrow Inf is promoted, the overflow flag is the narrow
  // MAC's, and a later group may bring an opposite Inf (invalid).
  const uint64_t seed = test_seed(0x9122u);
  std::mt19937_64 rng(seed);
  int overflowed = 0;
  for (const PromoCfg& pc : {kCfgs[4], kCfgs[6]}) {
    for (int rep = 0; rep < 6; ++rep) {
      PromoCfg c = pc;
      const int M = 3, K = 3 * pc.n + 1, N = 3;
      Problem pr = make_problem(rng, M, K, N, Fp8Format::E5M2, Fp8Format::E5M2, Data::RandomFinite, false);
      const std::vector<uint8_t> zeros(static_cast<size_t>(K), 0u);
      const Expected e = ref_promoted_gemm(pr, c, zeros);
      for (uint8_t f : e.tile_flags) overflowed += (f & kFlagOverflow) != 0;
      GemmProblem p = gemm_problem(pr);
      p.rnd = c.rnd;
      const ArrayConfig cfg = array_config(c);
      GemmOutput fo;
      gemm_functional(p, cfg, &fo);
      const std::string what = strf("overflow e%dm%d N=%d, FP8SA_SEED=0x%llx", c.exp_bits, c.man_bits, c.n,
                                    static_cast<unsigned long long>(seed));
      ASSERT_EQ(expect_gemm_equal(e, fo.out, fo.tile_flags, N, what + ", functional"), 0u);
      const GemmRun cr = make_model_backend("cycle", cfg)->run(p);
      ASSERT_EQ(expect_gemm_equal(e, cr.out.out, cr.out.tile_flags, N, what + ", cycle"), 0u);
    }
  }
  EXPECT_GT(overflowed, 0) << "the overflow cases did not overflow";
}

TEST(Promote, QuantizerReadsTheBinary32Word) {
  const uint64_t seed = test_seed(0x9123u);
  std::mt19937_64 rng(seed);
  for (const PromoCfg& pc : {kCfgs[0], kCfgs[2], kCfgs[5]}) {
    ASSERT_EQ(run_case(rng, pc, pc.R + 1, 2 * pc.n + 3, pc.C + 1, Data::RandomFinite, true, seed, true), 0u);
  }
}

TEST(Promote, MacPeModelMatchesTheReferenceDot) {
  // The PE model driven as a tile: clr on the first MAC, last on the last.
  const uint64_t seed = test_seed(0x9124u);
  std::mt19937_64 rng(seed);
  for (const PromoCfg& pc : kCfgs) {
    MacPeConfig mc;
    mc.acc = AccFormat{pc.exp_bits, pc.man_bits};
    mc.sr_bits = pc.sr_bits;
    mc.lfsr_w = pc.lfsr_w;
    mc.seed = pc.seed;
    mc.promote_n = pc.n;
    MacPe pe(mc);
    ref::LfsrRef l(pc.lfsr_w, pc.seed);
    for (int tile = 0; tile < 6; ++tile) {
      const int K = 1 + static_cast<int>(rng() % static_cast<uint64_t>(3 * pc.n + 2));
      std::vector<uint8_t> a(static_cast<size_t>(K)), b(static_cast<size_t>(K));
      for (auto& x : a) x = random_finite(rng, Fp8Format::E4M3);
      for (auto& x : b) x = random_finite(rng, Fp8Format::E5M2);
      if (tile == 5) a[0] = 0x7F;  // NaN operand
      const uint32_t init = ref::f32_bits(static_cast<float>(static_cast<int>(rng() % 64) - 32));
      uint8_t f = 0;
      const uint32_t want =
          ref_promoted_dot(a.data(), 1, Fp8Format::E4M3, b.data(), 1, Fp8Format::E5M2, K, init, pc, &l, &f);
      for (int k = 0; k < K; ++k) {
        MacPeInputs in;
        in.en = true;
        in.clr = k == 0;
        in.last = k == K - 1;
        in.init = init;
        in.a = a[static_cast<size_t>(k)];
        in.fmt_a = Fp8Format::E4M3;
        in.b = b[static_cast<size_t>(k)];
        in.fmt_b = Fp8Format::E5M2;
        in.rnd = pc.rnd;
        pe.clock(in);
      }
      pe.clock(MacPeInputs{});  // an idle edge keeps the result
      ASSERT_EQ(pe.acc(), want) << strf("e%dm%d %s N=%d K=%d tile %d, FP8SA_SEED=0x%llx", pc.exp_bits, pc.man_bits,
                                        name(pc.rnd), pc.n, K, tile, static_cast<unsigned long long>(seed));
      ASSERT_EQ(pe.flags(), f) << "flags, tile " << tile;
    }
  }
}

TEST(Promote, OffIsTheUnpromotedArray) {
  // With K <= N the only promotion is the tile's last, w = RNE32(+0 +
  // widen(n)) = widen(n) (exact; these products never round to -0 in
  // e6m5): the promoted word is the unpromoted (promote_n = 0) narrow word
  // widened, with the same flags.
  const uint64_t seed = test_seed(0x9125u);
  std::mt19937_64 rng(seed);
  const int M = 5, K = 30, N = 5;
  Problem pr = make_problem(rng, M, K, N, Fp8Format::E4M3, Fp8Format::E4M3, Data::RandomFinite, false);
  GemmProblem p = gemm_problem(pr);
  p.rnd = Round::RZ;
  ArrayConfig off;
  off.acc = AccFormat{6, 5};
  ArrayConfig on = off;
  on.promote_n = 64;
  GemmOutput a, b;
  gemm_functional(p, off, &a);
  gemm_functional(p, on, &b);
  for (size_t i = 0; i < a.out.size(); ++i) ASSERT_EQ(off.acc.to_f32_bits(a.out[i]), b.out[i]) << i;
  EXPECT_EQ(a.tile_flags, b.tile_flags);
}

TEST(Promote, BadPromoteNThrowsNamingTheField) {
  for (const int bad : {1, -1, 65536, 1 << 30}) {
    ArrayConfig c;
    c.promote_n = bad;
    try {
      c.validate();
      ADD_FAILURE() << "array promote_n " << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("array: promote_n " + std::to_string(bad) + " out of range"),
                std::string::npos)
          << e.what();
    }
    EXPECT_THROW(ArrayCycleModel{c}, std::invalid_argument);
    MacPeConfig m;
    m.promote_n = bad;
    EXPECT_THROW(m.validate(), std::invalid_argument);
  }
  for (const int good : {0, 2, 128, 65535}) {
    ArrayConfig c;
    c.promote_n = good;
    EXPECT_NO_THROW(c.validate());
    EXPECT_EQ(c.result_format() == kFp32, true);  // e8m23 by default, and binary32 with promotion
  }
  ArrayConfig c;
  c.acc = AccFormat{5, 10};
  EXPECT_EQ(c.result_format().name(), "e5m10");
  c.promote_n = 2;
  EXPECT_EQ(c.result_format().name(), "e8m23");
}

}  // namespace
}  // namespace fp8sa::test

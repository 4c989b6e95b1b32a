// The PE seam across the model's engines (pe.hpp): for every PE kind (fma,
// dot, exact), DOT_N, window, accumulator, rounding, SR kind and promotion,
// the cycle-accurate model driven through its ports (with random stalls and
// back-pressure) and the PE model (MacPe, clocked step by step) give the
// bits of the functional model, words and tile flags, on random problems
// with special values and init words. This checks the engines against each
// other (the lazy row batches, the DOT_N lanes, the draws per step or per
// tile, the init words); the arithmetic itself is checked against the
// independent reference of tests/ref in test_pe_kinds.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/backend.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/lfsr.hpp"
#include "fp8sa/mac_pe.hpp"
#include "fp8sa/pe.hpp"

namespace fp8sa {
namespace {

std::string describe(const ArrayConfig& c, const GemmProblem& p) {
  return std::to_string(c.rows) + "x" + std::to_string(c.cols) + " " + pe_kind_name(c.pe_kind) + " dot_n " +
         std::to_string(c.dot_n) + " align " + std::to_string(c.align_bits) + " " + c.acc.name() + " promote " +
         std::to_string(c.promote_n) + " sr_kind " + sr_kind_name(c.sr_kind) + " sr_bits " +
         std::to_string(c.sr_bits) + " mul_stages " + std::to_string(c.mul_stages) + ", problem " +
         std::to_string(p.M) + "x" + std::to_string(p.K) + "x" + std::to_string(p.N) + " rnd " + round_name(p.rnd) +
         (p.C_init ? " with C" : "");
}

ArrayConfig random_config(std::mt19937_64& rng) {
  ArrayConfig c;
  c.rows = 1 + static_cast<int>(rng() % 4);
  c.cols = 1 + static_cast<int>(rng() % 4);
  c.pe_kind = static_cast<PeKind>(rng() % 3);
  c.dot_n = c.pe_kind == PeKind::Fma ? 1 : 1 << (rng() % 7);
  const int aligns[] = {1, 4, 13, 20, 31, 48};
  c.align_bits = aligns[rng() % 6];
  const AccFormat accs[] = {{8, 23}, {8, 13}, {8, 10}, {5, 10}, {6, 5}, {4, 2}};
  c.acc = accs[rng() % 6];
  c.sr_bits = 2 + static_cast<int>(rng() % 23);
  c.q_sr_bits = 2 + static_cast<int>(rng() % 23);
  c.lfsr_w = 32;
  c.seed = static_cast<uint32_t>(rng()) | 1u;
  c.sr_kind = static_cast<SrKind>(rng() % 3);
  c.mul_stages = static_cast<int>(rng() % 3);
  c.q_stages = static_cast<int>(rng() % 2);
  if (c.pe_kind != PeKind::Exact && rng() % 3 == 0) c.promote_n = c.dot_n * (1 + static_cast<int>(rng() % 4)) + (c.dot_n == 1 ? 1 : 0);
  return c;
}

uint8_t random_code(std::mt19937_64& rng, int special_pct) {
  const uint64_t r = rng() % 100;
  if (r < static_cast<uint64_t>(special_pct)) {
    const uint8_t sp[] = {0x7F, 0xFF, 0x7C, 0xFC, 0x7E, 0x00, 0x80, 0x01, 0x81};
    return sp[rng() % sizeof sp];
  }
  if (r < 15) return static_cast<uint8_t>(rng() % 8 | (rng() % 2 ? 0x80 : 0));  // zeros and subnormals
  return static_cast<uint8_t>(rng());
}

uint32_t random_init(std::mt19937_64& rng, const AccFormat& f) {
  const uint32_t special[] = {0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7FA00000u,
                              0x00000001u, 0x80400000u, 0x3F800000u, 0x7F7FFFFFu};
  if (rng() % 8 == 0 && f == kFp32) return special[rng() % 10];
  // A finite value of f near 1 (so that it meets the products), or any word.
  if (rng() % 2 == 0) return static_cast<uint32_t>(rng()) & f.mask();
  const uint32_t one = static_cast<uint32_t>(f.bias()) << f.man_bits;
  return (one + static_cast<uint32_t>(rng() % (8u << f.man_bits)) - (4u << f.man_bits)) |
         (rng() % 2 ? 1u << (f.exp_bits + f.man_bits) : 0u);
}

TEST(PeEngines, CycleModelAndFunctionalAgreeOnEveryKind) {
  std::mt19937_64 rng(20261206);
  int cases = 0;
  for (int it = 0; it < 1500; ++it) {
    const ArrayConfig cfg = random_config(rng);
    GemmProblem p;
    p.M = 1 + static_cast<int>(rng() % 9);
    p.N = 1 + static_cast<int>(rng() % 9);
    p.K = 1 + static_cast<int>(rng() % (it % 5 == 0 ? 300 : 70));
    p.fmt_a = static_cast<Fp8Format>(rng() % 2);
    p.fmt_b = static_cast<Fp8Format>(rng() % 2);
    p.rnd = static_cast<Round>(rng() % 3);
    p.out_fmt = static_cast<OutKind>(rng() % 5);
    p.out_rnd = static_cast<Round>(rng() % 3);
    p.sat = rng() % 2;
    p.scale = static_cast<int>(rng() % 9) - 4;
    const int special_pct = it % 4 == 0 ? 4 : 0;
    std::vector<uint8_t> A(static_cast<size_t>(p.M * p.K)), B(static_cast<size_t>(p.K * p.N));
    for (auto& a : A) a = random_code(rng, special_pct);
    for (auto& b : B) b = random_code(rng, special_pct);
    std::vector<uint32_t> Cw(static_cast<size_t>(p.M * p.N));
    const AccFormat initf = cfg.init_format();
    for (auto& w : Cw) w = random_init(rng, initf);
    p.A = A.data();
    p.B = B.data();
    if (rng() % 2) p.C_init = Cw.data();
    const std::string what = describe(cfg, p);

    GemmOutput fo, go;
    GemmOptions fast, generic;
    generic.allow_fast = false;
    gemm_functional(p, cfg, &fo, fast);
    gemm_functional(p, cfg, &go, generic);
    ASSERT_EQ(fo.out, go.out) << what << ": functional fast vs generic";
    ASSERT_EQ(fo.tile_flags, go.tile_flags) << what << ": functional fast vs generic flags";

    ArrayCycleModel model(cfg);
    GemmRunOptions ro;
    ro.stream.stall_seed = rng() | 1u;
    ro.stream.in_gap_pct = static_cast<int>(rng() % 30);
    ro.stream.out_stall_pct = static_cast<int>(rng() % 30);
    const GemmRun cr = run_on_ports(model, p, cfg, ro);
    ASSERT_EQ(cr.out.out, fo.out) << what << ": cycle model vs functional";
    ASSERT_EQ(cr.out.tile_flags, fo.tile_flags) << what << ": cycle model vs functional flags";
    EXPECT_EQ(cr.pe_macs, model.macs()) << what;
    ++cases;
  }
  EXPECT_EQ(cases, 1500);
}

// MacPe, clocked one step per edge with idle edges between, against
// Pe::tile for whole tiles, back to back, the LFSR running on.
TEST(PeEngines, PeModelClockedStepwiseEqualsTheTileLoop) {
  std::mt19937_64 rng(7);
  for (int it = 0; it < 3000; ++it) {
    const ArrayConfig ac = random_config(rng);
    MacPeConfig mc;
    mc.acc = ac.acc;
    mc.sr_bits = ac.sr_bits;
    mc.lfsr_w = 32;
    mc.seed = ac.seed;
    mc.promote_n = ac.promote_n;
    mc.kind = ac.pe_kind;
    mc.dot_n = ac.dot_n;
    mc.align_bits = ac.align_bits;
    mc.sr_kind = ac.sr_kind;
    MacPe pe(mc);
    const Pe arith(mc.pe());
    Lfsr ref_lfsr(32, mc.sr_bits, mc.seed);
    const int D = mc.dot_n;
    for (int tile = 0; tile < 3; ++tile) {
      const size_t K = 1 + rng() % 90;
      const Fp8Format fa = static_cast<Fp8Format>(rng() % 2), fb = static_cast<Fp8Format>(rng() % 2);
      const Round rnd = static_cast<Round>(rng() % 3);
      std::vector<uint8_t> a(K), b(K);
      for (auto& x : a) x = random_code(rng, it % 3 == 0 ? 5 : 0);
      for (auto& x : b) x = random_code(rng, it % 3 == 0 ? 5 : 0);
      const uint32_t init = random_init(rng, mc.pe().init_format());
      const OpResult want = arith.tile(init, a.data(), 1, b.data(), 1, K, fa, fb, rnd, &ref_lfsr);
      const size_t steps = (K + static_cast<size_t>(D) - 1) / static_cast<size_t>(D);
      std::vector<uint8_t> la(static_cast<size_t>(D)), lb(static_cast<size_t>(D));
      for (size_t j = 0; j < steps; ++j) {
        MacPeInputs in;
        for (int i = 0; i < D; ++i) {
          const size_t k = j * static_cast<size_t>(D) + static_cast<size_t>(i);
          la[static_cast<size_t>(i)] = k < K ? a[k] : 0;
          lb[static_cast<size_t>(i)] = k < K ? b[k] : 0;
        }
        in.en = true;
        in.clr = j == 0;
        in.last = j + 1 == steps;
        in.init = init;
        in.a = la[0];
        in.b = lb[0];
        if (D > 1) {
          in.a_lanes = la.data();
          in.b_lanes = lb.data();
        }
        in.fmt_a = fa;
        in.fmt_b = fb;
        in.rnd = rnd;
        pe.clock(in);
        if (rng() % 4 == 0) pe.clock(MacPeInputs{});  // an idle edge changes nothing
      }
      ASSERT_EQ(pe.acc(), want.bits) << "iteration " << it << " tile " << tile << " " << pe_kind_name(mc.kind)
                                     << " dot_n " << D << " " << mc.acc.name() << " K " << K;
      ASSERT_EQ(pe.flags(), want.flags) << "iteration " << it << " tile " << tile;
      ASSERT_EQ(pe.lfsr().state(), ref_lfsr.state()) << "iteration " << it << ": draws per tile";
    }
  }
}

TEST(PeEngines, ClrWithoutAStepIsRefusedOnDotAndExact) {
  for (PeKind k : {PeKind::Dot, PeKind::Exact}) {
    MacPeConfig mc;
    mc.kind = k;
    MacPe pe(mc);
    MacPeInputs in;
    in.clr = true;
    EXPECT_THROW(pe.clock(in), std::invalid_argument) << pe_kind_name(k);
  }
}

}  // namespace
}  // namespace fp8sa

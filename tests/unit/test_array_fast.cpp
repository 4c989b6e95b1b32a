// The cycle model's fast kernel (e8m23 RNE segments, a binary32 vector sum
// with an exact per-lane inexact test) against its reference path (every MAC
// through AccAdder, ArrayModelOptions::allow_fast = false): two models driven
// together by gemm_stream, every output port compared on every cycle, over
// random GEMMs with random array shapes (1x1 .. 40x40 and a few long thin
// ones), every operand-format pair, all three accumulator roundings, e8m23
// and narrower accumulators, every output format, saturation, scale, C_init
// with specials, sparse NaN/Inf/subnormal/zero codes (so that fast and
// generic segments mix within a tile and a row), K long enough to wrap the
// step history, random input gaps and output back-pressure. Each finished
// GEMM is also compared with gemm_functional.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/gemm_stream.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

// The fast and the reference model behind one set of ports.
struct TwoModels {
  ArrayCycleModel fast, generic;
  std::string diff;  // the first difference, if any
  TwoModels(const ArrayConfig& cfg) : fast(cfg), generic(cfg, ArrayModelOptions{false}) {}
  const ArrayOutputs& outputs() const { return fast.outputs(); }
  void clock(const ArrayInputs& in) {
    fast.clock(in);
    generic.clock(in);
    if (!diff.empty()) return;
    const ArrayOutputs& a = fast.outputs();
    const ArrayOutputs& b = generic.outputs();
    std::ostringstream d;
    if (a.cmd_ready_o != b.cmd_ready_o || a.in_ready_o != b.in_ready_o || a.init_ready_o != b.init_ready_o ||
        a.out_valid_o != b.out_valid_o || a.out_row_o != b.out_row_o || a.out_last_o != b.out_last_o ||
        a.out_flags_o != b.out_flags_o)
      d << "control/flags ports differ (out_flags fast " << int{a.out_flags_o} << ", generic " << int{b.out_flags_o}
        << ")";
    for (int c = 0; c < fast.config().cols && d.tellp() == 0; ++c)
      if (a.out_data_o[static_cast<size_t>(c)] != b.out_data_o[static_cast<size_t>(c)])
        d << "out_data_o column " << c << " row " << int{a.out_row_o} << ": fast " << hx(a.out_data_o[static_cast<size_t>(c)])
          << ", generic " << hx(b.out_data_o[static_cast<size_t>(c)]);
    if (d.tellp() != 0) diff = "cycle " + std::to_string(fast.cycle()) + ": " + d.str();
  }
};

// One code in `density` is NaN or Inf; some are zeros and subnormals.
uint8_t sparse_special_code(std::mt19937_64& rng, uint64_t density) {
  const uint64_t x = rng() % density;
  if (x == 0) return 0x7F;             // E4M3 NaN, E5M2 NaN
  if (x == 1) return 0xFC;             // E5M2 -Inf (E4M3: -256)
  if (x == 2) return 0x7C;             // E5M2 +Inf (E4M3: 256... a normal)
  if (x % 128 == 3) return static_cast<uint8_t>(rng() & 0x83);  // zeros and subnormals
  return static_cast<uint8_t>(rng() & 0xBF);               // moderate exponents
}

TEST(ArrayFastPath, EqualsReferencePathOnEveryPortEveryCycle) {
  const uint64_t seed = test_seed(0xFA57u);
  std::mt19937_64 rng(seed);
  CaseReport rep("cycle model fast kernel vs AccAdder path (GEMMs)");
  uint64_t fast_macs = 0, generic_in_fast = 0;
  const AccFormat accs[] = {kFp32, kFp32, AccFormat{8, 15}, AccFormat{5, 10}};
  for (int g = 0; g < 80; ++g) {
    ArrayConfig cfg;
    const int shape = static_cast<int>(rng() % 8);
    cfg.rows = shape == 0 ? 1 + static_cast<int>(rng() % 3) : 1 + static_cast<int>(rng() % 40);
    cfg.cols = shape == 1 ? 1 + static_cast<int>(rng() % 3) : 1 + static_cast<int>(rng() % 40);
    cfg.acc = accs[rng() % 4];
    cfg.seed = static_cast<uint32_t>(rng()) | 1u;
    GemmProblem p;
    p.M = 1 + static_cast<int>(rng() % static_cast<uint64_t>(3 * cfg.rows));
    p.N = 1 + static_cast<int>(rng() % static_cast<uint64_t>(3 * cfg.cols));
    p.K = 1 + static_cast<int>(rng() % (rng() % 3 == 0 ? 700 : 60));
    p.fmt_a = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    p.fmt_b = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    p.rnd = rng() % 2 ? Round::RNE : static_cast<Round>(rng() % 3);  // RNE half the time: the fast kernel's mode
    p.out_fmt = static_cast<OutKind>(rng() % 5);
    p.out_rnd = static_cast<Round>(rng() % 3);
    p.sat = rng() & 1;
    p.scale = rng() % 3 == 0 ? static_cast<int>(rng() % 17) - 8 : 0;
    std::vector<uint8_t> A(static_cast<size_t>(p.M) * p.K), B(static_cast<size_t>(p.K) * p.N);
    const uint64_t densities[] = {1u << 12, 1u << 16, 1ull << 40};  // none, in practice, for the last
    const uint64_t density = densities[rng() % 3];
    for (auto& a : A) a = sparse_special_code(rng, density);
    for (auto& b : B) b = sparse_special_code(rng, density);
    std::vector<uint32_t> Ci;
    if (rng() & 1) {
      Ci.resize(static_cast<size_t>(p.M) * p.N);
      const uint32_t mask = cfg.acc.mask();
      const uint32_t inf = ((1u << cfg.acc.exp_bits) - 1u) << cfg.acc.man_bits;
      for (auto& c : Ci) {
        const uint64_t x = rng() % 2000;
        c = x == 0 ? inf : x == 1 ? (inf | 1u) : x == 2 ? (inf | (1u << (cfg.acc.man_bits - 1))) :
            (static_cast<uint32_t>(rng()) & mask & ~(1u << (cfg.acc.width() - 2)));
      }
      p.C_init = Ci.data();
    }
    p.A = A.data();
    p.B = B.data();
    TwoModels two(cfg);
    GemmStreamOptions so;
    if (rng() & 1) {
      so.stall_seed = rng() | 1u;
      so.in_gap_pct = static_cast<int>(rng() % 30);
      so.out_stall_pct = static_cast<int>(rng() % 60);
    }
    GemmOutput o;
    gemm_stream(two, p, cfg, &o, so);
    std::ostringstream what;
    what << "GEMM " << g << ": " << p.M << "x" << p.K << "x" << p.N << " on " << cfg.rows << "x" << cfg.cols << " "
         << cfg.acc.name() << " rnd " << name(p.rnd) << " out_fmt " << static_cast<int>(p.out_fmt) << (p.C_init ? " +C" : "")
         << ", FP8SA_SEED=0x" << std::hex << seed;
    ASSERT_TRUE(two.diff.empty()) << what.str() << ": " << two.diff;
    GemmOutput fo;
    gemm_functional(p, cfg, &fo);
    ASSERT_EQ(fo.out, o.out) << what.str() << ": differs from gemm_functional";
    ASSERT_EQ(fo.tile_flags, o.tile_flags) << what.str() << ": tile flags differ from gemm_functional";
    EXPECT_EQ(two.generic.fast_macs(), 0u) << what.str();
    fast_macs += two.fast.fast_macs();
    generic_in_fast += two.fast.generic_macs();
    rep.add();
  }
  std::printf("[ COVERAGE ] fast model: %llu MACs on the fast kernel, %llu on AccAdder\n",
              static_cast<unsigned long long>(fast_macs), static_cast<unsigned long long>(generic_in_fast));
  EXPECT_GT(fast_macs, 0u);
  EXPECT_GT(generic_in_fast, 0u);
}

// Pipelined PEs (mul_stages 0..2) and the quantizer stage (q_stages 0..1)
// on the cycle model: random shapes, short
// tiles (K from 1, which exercises the tile spacing and the global stall),
// random gaps and back-pressure; every GEMM must drain (gemm_stream throws
// after 20,000 idle cycles: a deadlock) and equal gemm_functional. Without
// gaps and with K >= COLS + 1 and K >= ROWS a GEMM of T tiles takes exactly
// T*K + ROWS + COLS + 3 + mul_stages + q_stages edges (docs/array.md,
// "Pipelined PE" and "Output path").
TEST(ArrayPipeline, DrainsWithoutDeadlockMatchesFunctionalAndAddsStagesToLatency) {
  const uint64_t seed = test_seed(0x919Eu);
  std::mt19937_64 rng(seed);
  CaseReport rep("pipelined-PE cycle model GEMMs");
  int exact_checked = 0;
  for (int g = 0; g < 600; ++g) {
    ArrayConfig cfg;
    cfg.rows = 1 + static_cast<int>(rng() % 12);
    cfg.cols = 1 + static_cast<int>(rng() % 12);
    cfg.mul_stages = static_cast<int>(rng() % 3);
    cfg.q_stages = static_cast<int>(rng() % 2);
    cfg.seed = static_cast<uint32_t>(rng()) | 1u;
    const bool smooth = (rng() % 3) == 0;  // no gaps, long tiles: the latency formula
    GemmProblem p;
    p.M = cfg.rows * (1 + static_cast<int>(rng() % 4));
    p.N = cfg.cols * (1 + static_cast<int>(rng() % 3));
    p.K = smooth ? std::max(cfg.cols + 1, cfg.rows) + static_cast<int>(rng() % 5)
                 : 1 + static_cast<int>(rng() % static_cast<uint64_t>(2 * cfg.cols + 1));
    p.fmt_a = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    p.fmt_b = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    p.rnd = static_cast<Round>(rng() % 3);
    p.out_fmt = static_cast<OutKind>(rng() % 5);
    std::vector<uint8_t> A(static_cast<size_t>(p.M) * p.K), B(static_cast<size_t>(p.K) * p.N);
    for (auto& a : A) a = sparse_special_code(rng, 1u << 14);
    for (auto& b : B) b = sparse_special_code(rng, 1u << 14);
    std::vector<uint32_t> Ci;
    if (rng() & 1) {
      Ci.resize(static_cast<size_t>(p.M) * p.N);
      for (auto& c : Ci) c = static_cast<uint32_t>(rng()) & 0x3FFFFFFFu;
      p.C_init = Ci.data();
    }
    p.A = A.data();
    p.B = B.data();
    ArrayCycleModel model(cfg);
    GemmStreamOptions so;
    so.max_idle_cycles = 20000;
    if (!smooth) {
      so.stall_seed = rng() | 1u;
      so.in_gap_pct = static_cast<int>(rng() % 30);
      so.out_stall_pct = static_cast<int>(rng() % 60);
    }
    std::ostringstream what;
    what << "GEMM " << g << ": " << p.M << "x" << p.K << "x" << p.N << " on " << cfg.rows << "x" << cfg.cols
         << " mul_stages " << cfg.mul_stages << " q_stages " << cfg.q_stages << (smooth ? " (no gaps)" : "") << ", FP8SA_SEED=0x" << std::hex << seed;
    GemmOutput o;
    GemmStreamStats st;
    ASSERT_NO_THROW(st = gemm_stream(model, p, cfg, &o, so)) << what.str();
    GemmOutput fo;
    gemm_functional(p, cfg, &fo);
    ASSERT_EQ(fo.out, o.out) << what.str() << ": differs from gemm_functional";
    ASSERT_EQ(fo.tile_flags, o.tile_flags) << what.str() << ": tile flags differ from gemm_functional";
    if (smooth && !p.C_init) {
      const uint64_t tiles = static_cast<uint64_t>(p.M / cfg.rows) * static_cast<uint64_t>(p.N / cfg.cols);
      EXPECT_EQ(st.cycles, tiles * static_cast<uint64_t>(p.K) + static_cast<uint64_t>(cfg.rows + cfg.cols + 3 +
                                                                                   cfg.mul_stages + cfg.q_stages))
          << what.str();
      ++exact_checked;
    }
    rep.add();
  }
  EXPECT_GT(exact_checked, 50);
}

}  // namespace
}  // namespace fp8sa::test

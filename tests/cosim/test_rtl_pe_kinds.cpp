// The Verilated PE kinds (fp8sa_dot_pe, fp8sa_exact_pe, and fp8sa_mac_pe with
// an SR kind; rtl.md "The PE socket") cycle by cycle in lockstep with the
// model's PE (MacPe, through the PE seam of pe.hpp), whose arithmetic
// test_pe_kinds checks against the independent reference of tests/ref.
// Random tiles (a clr step, steps, a last step; idle edges between), random
// operands with special values, binary32 init words with specials, every
// rounding mode, seed loads, resets mid-tile, and for MUL_STAGES > 0 random
// advances: the model performs each step at the S-th advance after its
// issue, with that edge's init and seed inputs (the PEs' contract). acc_o
// and flags_o compared after every edge.
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>

#include "fp8sa/mac_pe.hpp"
#include "rtl_units.hpp"
#include "test_util.hpp"

namespace fp8sa {
namespace {

using test::hx;

uint8_t random_code(std::mt19937_64& rng) {
  const uint64_t r = rng() % 100;
  if (r < 3) {
    const uint8_t sp[] = {0x7F, 0xFF, 0x7C, 0xFC, 0x7E};  // E4M3 NaN, E5M2 Inf/NaN
    return sp[rng() % sizeof sp];
  }
  if (r < 15) return static_cast<uint8_t>((rng() % 8) | (rng() % 2 ? 0x80 : 0));  // zeros, subnormals
  if (r < 25) return static_cast<uint8_t>(0x30 + rng() % 24) | (rng() % 2 ? 0x80 : 0);  // near 1: cancellation
  return static_cast<uint8_t>(rng());
}

uint32_t random_init(std::mt19937_64& rng, const AccFormat& f) {
  const uint64_t r = rng() % 16;
  if (r == 0 && f == kFp32) {
    const uint32_t sp[] = {0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7FA00000u, 0x00000003u, 0x7F7FFFFFu};
    return sp[rng() % 7];
  }
  if (r < 4) return 0;
  if (r < 8) return static_cast<uint32_t>(rng()) & f.mask();
  const uint32_t one = static_cast<uint32_t>(f.bias()) << f.man_bits;  // near 1, either sign
  return ((one + static_cast<uint32_t>(rng() % (4u << f.man_bits))) - (2u << f.man_bits)) |
         (rng() % 2 ? 1u << (f.exp_bits + f.man_bits) : 0u);
}

struct Op {  // one issued step (or a bubble)
  bool en = false, clr = false, last = false;
  std::vector<uint8_t> a, b;
  Fp8Format fa = Fp8Format::E4M3, fb = Fp8Format::E4M3;
  unsigned rnd = 0;
};

void run_kind_pe(const std::string& name, uint64_t seed, int cycles) {
  auto hw = rtl::make_kind_pe(name);
  const rtl::KindPeParams& p = hw->params();
  MacPeConfig mc;
  mc.acc = p.acc;
  mc.sr_bits = p.sr_bits;
  mc.lfsr_w = p.lfsr_w;
  mc.seed = p.seed;
  mc.promote_n = p.promote_n;
  mc.kind = p.kind;
  mc.dot_n = p.dot_n;
  mc.align_bits = p.align_bits;
  mc.sr_kind = p.sr_kind;
  MacPe model(mc);
  const AccFormat initf = mc.pe().init_format();
  const int S = p.mul_stages, D = p.dot_n;
  std::mt19937_64 rng(seed);
  std::deque<Op> pipe(static_cast<size_t>(S));
  const uint32_t wmask = p.lfsr_w == 32 ? ~0u : ((1u << p.lfsr_w) - 1u);
  // The tile being issued: steps left (0: none open), its formats and rounding.
  int left = 0;
  Op tile;
  test::CaseReport rep("PE " + name + " cycles vs the model PE");
  uint64_t steps = 0, tiles = 0;
  for (int cyc = 0; cyc < cycles; ++cyc) {
    if (rng() % 5000 == 0) {  // reset, possibly in the middle of a tile
      hw->reset();
      model.reset();
      pipe.assign(static_cast<size_t>(S), Op{});
      left = 0;
    }
    rtl::KindPeInputs in;
    in.adv = S == 0 || rng() % 5 != 0;
    Op op;
    if (in.adv && rng() % 6 != 0) {
      if (left == 0) {  // open a tile: 1 .. 40 steps, its own formats and mode
        left = 1 + static_cast<int>(rng() % (rng() % 4 == 0 ? 40 : 6));
        tile.clr = true;
        tile.fa = static_cast<Fp8Format>(rng() % 2);
        tile.fb = static_cast<Fp8Format>(rng() % 2);
        tile.rnd = static_cast<unsigned>(rng() % 3);
        ++tiles;
      }
      op.en = true;
      op.clr = tile.clr;
      op.last = --left == 0;
      op.fa = tile.fa;
      op.fb = tile.fb;
      op.rnd = tile.rnd;
      op.a.resize(static_cast<size_t>(D));
      op.b.resize(static_cast<size_t>(D));
      for (auto& x : op.a) x = random_code(rng);
      for (auto& x : op.b) x = random_code(rng);
      tile.clr = false;
      ++steps;
    }
    in.en = op.en;
    in.clr = op.clr;
    in.last = op.last;
    in.a = op.a;
    in.b = op.b;
    in.fmt_a = op.fa;
    in.fmt_b = op.fb;
    in.rnd = op.rnd;
    in.init = random_init(rng, initf);
    in.seed_load = rng() % 3000 == 0;
    in.seed = static_cast<uint32_t>(rng()) & wmask;
    if (in.seed == 0) in.seed = 1;
    hw->clock(in);
    // What the model performs at this edge: the step issued S advances ago.
    Op done = op;
    if (S > 0) {
      done = Op{};
      if (in.adv) {
        done = pipe.front();
        pipe.pop_front();
        pipe.push_back(op);
      }
    }
    MacPeInputs mi;
    mi.en = done.en;
    mi.clr = done.clr;
    mi.last = done.last;
    mi.init = in.init;
    if (done.en) {
      mi.a = done.a[0];
      mi.b = done.b[0];
      if (D > 1) {
        mi.a_lanes = done.a.data();
        mi.b_lanes = done.b.data();
      }
    }
    mi.fmt_a = done.fa;
    mi.fmt_b = done.fb;
    mi.rnd = static_cast<Round>(done.rnd);
    mi.seed_load = in.seed_load;
    mi.seed = in.seed;
    model.clock(mi);
    rep.add();
    ASSERT_EQ(hw->acc(), model.acc()) << name << " seed " << hx(static_cast<uint32_t>(seed)) << " cycle " << cyc
                                      << ": RTL acc_o vs model (en " << done.en << " clr " << done.clr << " last "
                                      << done.last << " rnd " << done.rnd << " init " << hx(in.init) << ")";
    ASSERT_EQ(hw->flags(), model.flags()) << name << " seed " << hx(static_cast<uint32_t>(seed)) << " cycle " << cyc
                                          << ": RTL flags_o vs model";
  }
  // The run must have exercised tiles and steps, not idled.
  EXPECT_GT(tiles, static_cast<uint64_t>(cycles / 60)) << name;
  EXPECT_GT(steps, static_cast<uint64_t>(cycles / 3)) << name;
}

class RtlPeKinds : public ::testing::TestWithParam<std::string> {};

TEST_P(RtlPeKinds, CyclesMatchTheModelPe) { run_kind_pe(GetParam(), test::test_seed(0x5EED0601u), 60000); }

INSTANTIATE_TEST_SUITE_P(Configs, RtlPeKinds, ::testing::ValuesIn(rtl::kind_pe_configs()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace fp8sa

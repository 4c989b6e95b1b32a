// The Verilated fp8sa_lfsr and fp8sa_mac_pe, cycle by cycle, against a
// reference built from fp8sa::ref pieces (bit-serial LFSR, MPFR MAC) and in
// lockstep with the C++ model of the same units.
#include <deque>
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/mac_pe.hpp"
#include "ref.hpp"
#include "rtl_units.hpp"
#include "test_util.hpp"

namespace fp8sa {
namespace {

using test::hx;

TEST(RtlLfsr, DrawsMatchBitSerialReferenceAndModel) {
  const uint64_t seed = test::test_seed(0x5EED0201u);
  std::mt19937_64 rng(seed);
  for (auto [w, r] : {std::pair<int, int>{32, 16}, {12, 5}}) {
    auto hw = rtl::make_lfsr(w, r);
    const uint32_t s0 = hw->reset_seed();
    ref::LfsrRef rf(w, s0);
    Lfsr model(w, r, s0);
    test::CaseReport rep("LFSR w" + std::to_string(w) + " r" + std::to_string(r) + " draws");
    const uint32_t wmask = w == 32 ? ~0u : ((1u << w) - 1u);
    for (int i = 0; i < 100000; ++i) {
      if (rng() % 5000 == 0) {  // run-time seed load
        uint32_t s = static_cast<uint32_t>(rng()) & wmask;
        if (s == 0) s = 1;
        hw->clock(false, true, s);
        rf = ref::LfsrRef(w, s);
        model.seed(s);
        ASSERT_EQ(hw->state(), s);
        continue;
      }
      ASSERT_EQ(hw->state(), static_cast<uint32_t>(rf.state())) << "draw " << i;
      ref::LfsrRef next = rf;
      const uint32_t expect = next.draw(r);
      ASSERT_EQ(hw->rand(), expect) << "w" << w << " r" << r << " draw " << i;
      ASSERT_EQ(model.peek(), expect) << "model, w" << w << " r" << r << " draw " << i;
      const bool advance = (rng() % 8) != 0;  // an idle cycle must not advance
      hw->clock(advance);
      if (advance) {
        rf = next;
        model.draw();
      }
      rep.add();
    }
  }
}

TEST(RtlLfsr, W12DrawPeriodIsFullSequenceOver5) {
  // 5-step draws through a maximal 12-bit sequence: period (2^12-1)/gcd(5, 4095) = 819 draws.
  auto hw = rtl::make_lfsr(12, 5);
  std::set<uint32_t> seen;
  const uint32_t s0 = hw->state();
  int period = 0;
  do {
    seen.insert(hw->state());
    hw->clock(true);
    ++period;
    ASSERT_LE(period, 4095);
  } while (hw->state() != s0);
  EXPECT_EQ(period, 819);
  EXPECT_EQ(seen.size(), 819u);
}

// A MAC PE written from numerics.md section 8 with reference parts.
struct RefPe {
  ref::FloatFormat fmt;
  int sr_bits;
  int lfsr_w;
  uint32_t seed;
  uint32_t acc = 0;
  uint8_t flags = 0;
  ref::LfsrRef lfsr;
  RefPe(ref::FloatFormat f, int sr, int w, uint32_t s) : fmt(f), sr_bits(sr), lfsr_w(w), seed(s), lfsr(w, s) {}
  void reset() { acc = 0; flags = 0; lfsr = ref::LfsrRef(lfsr_w, seed); }
  void clock(const rtl::PeInputs& in) {
    if (in.en) {
      const uint32_t u = lfsr.draw(sr_bits);
      const uint32_t addend = in.clr ? in.init : acc;
      const ref::RefResult r = ref::ref_mac(addend, in.a, in.fmt_a, in.b, in.fmt_b, fmt,
                                            static_cast<Round>(in.rnd), u, sr_bits);
      acc = r.bits;
      flags = static_cast<uint8_t>((in.clr ? 0 : flags) | r.flags);
    } else if (in.clr) {
      acc = in.init;
      flags = 0;
    }
    if (in.seed_load) lfsr = ref::LfsrRef(lfsr_w, in.seed);
  }
};

// Random operands, formats, rounding code (0..2) and a rare seed load
// (a non-zero seed within wmask) of one PE cycle.
void random_operation(std::mt19937_64& rng, uint32_t wmask, rtl::PeInputs* in) {
  in->a = static_cast<uint8_t>(rng());
  in->b = static_cast<uint8_t>(rng());
  in->fmt_a = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
  in->fmt_b = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
  in->rnd = static_cast<unsigned>(rng() % 3);
  in->seed_load = (rng() % 2000) == 0;
  in->seed = static_cast<uint32_t>(rng()) & wmask;
  if (in->seed == 0) in->seed = 1;
}

// The model PE built like the Verilated one.
MacPeConfig model_config(const rtl::MacPe& hw, AccFormat af) {
  MacPeConfig cfg;
  cfg.acc = af;
  cfg.sr_bits = hw.sr_bits();
  cfg.lfsr_w = hw.lfsr_w();
  cfg.seed = hw.reset_seed();
  return cfg;
}

// The same inputs for the model PE.
MacPeInputs model_inputs(const rtl::PeInputs& in) {
  MacPeInputs mi;
  mi.en = in.en;
  mi.clr = in.clr;
  mi.init = in.init;
  mi.a = in.a;
  mi.fmt_a = in.fmt_a;
  mi.b = in.b;
  mi.fmt_b = in.fmt_b;
  mi.rnd = static_cast<Round>(in.rnd);
  mi.seed_load = in.seed_load;
  mi.seed = in.seed;
  return mi;
}

// The mode a PE built with RND_MODES = rnd_modes performs for a requested
// mode (fp8sa_mac_pe's header): modes not built round to nearest even.
Round built_mode(unsigned rnd, int rnd_modes) {
  if (rnd_modes == 1) return Round::RNE;
  if (rnd_modes == 2 && rnd == static_cast<unsigned>(Round::SR)) return Round::RNE;
  return static_cast<Round>(rnd);
}

void run_pe(AccFormat af, uint64_t seed, int cycles, int rnd_modes = 3) {
  auto hw = rtl::make_mac_pe(af, rnd_modes);
  const ref::FloatFormat rf = ref::acc_format(af);
  RefPe rp(rf, hw->sr_bits(), hw->lfsr_w(), hw->reset_seed());
  MacPe model(model_config(*hw, af));
  std::mt19937_64 rng(seed);
  test::CaseReport rep("PE " + af.name() + " cycles vs reference PE and model PE");
  const uint32_t wmask = hw->lfsr_w() == 32 ? ~0u : ((1u << hw->lfsr_w()) - 1u);
  for (int cyc = 0; cyc < cycles; ++cyc) {
    if (rng() % 3000 == 0) {  // reset in the middle of an accumulation
      hw->reset();
      rp.reset();
      model.reset();
    }
    rtl::PeInputs in;
    in.en = (rng() % 8) != 0;
    in.clr = (rng() % 40) == 0;
    in.init = (rng() % 4 == 0) ? 0u : static_cast<uint32_t>(rng()) & rf.mask();
    random_operation(rng, wmask, &in);
    hw->clock(in);
    rtl::PeInputs ref_in = in;
    ref_in.rnd = static_cast<unsigned>(built_mode(in.rnd, rnd_modes));
    if (rnd_modes < 3) ref_in.seed_load = false;  // no LFSR in the PE
    rp.clock(ref_in);
    model.clock(model_inputs(ref_in));
    rep.add();
    const std::string inputs = "en=" + std::to_string(in.en) + " clr=" + std::to_string(in.clr) +
                               " init=" + hx(in.init) + " a=" + hx(in.a, 2) + "/" + test::name(in.fmt_a) +
                               " b=" + hx(in.b, 2) + "/" + test::name(in.fmt_b) +
                               " rnd=" + std::to_string(in.rnd) + " seed_load=" + std::to_string(in.seed_load);
    SCOPED_TRACE(inputs);
    ASSERT_EQ(hw->acc(), rp.acc) << af.name() << " seed " << hx(static_cast<uint32_t>(seed)) << " cycle "
                                 << cyc << ": RTL acc vs reference PE";
    ASSERT_EQ(hw->flags(), rp.flags) << af.name() << " cycle " << cyc << ": RTL flags vs reference PE";
    ASSERT_EQ(model.acc(), hw->acc()) << af.name() << " cycle " << cyc << ": model acc vs RTL";
    ASSERT_EQ(model.flags(), hw->flags()) << af.name() << " cycle " << cyc << ": model flags vs RTL";
  }
}

// MUL_STAGES = S: random advances (adv_i), operations issued only on
// advances (the contract). The references perform each operation at the
// S-th advance after its issue, with that edge's init_i and seed inputs
// (fp8sa_mac_pe's header), and do nothing on other edges.
void run_pe_pipelined(int stages, uint64_t seed, int cycles) {
  auto hw = rtl::make_mac_pe(kFp32, 3, stages);
  const ref::FloatFormat rf = ref::acc_format(kFp32);
  RefPe rp(rf, hw->sr_bits(), hw->lfsr_w(), hw->reset_seed());
  MacPe model(model_config(*hw, kFp32));
  std::mt19937_64 rng(seed);
  std::deque<rtl::PeInputs> pipe(static_cast<size_t>(stages));  // bubbles: en = clr = 0
  for (int cyc = 0; cyc < cycles; ++cyc) {
    if (rng() % 3000 == 0) {
      hw->reset();
      rp.reset();
      model.reset();
      pipe.assign(static_cast<size_t>(stages), rtl::PeInputs{});
    }
    rtl::PeInputs in;
    in.adv = (rng() % 5) != 0;
    in.en = in.adv && (rng() % 8) != 0;
    in.clr = in.adv && (rng() % 40) == 0;
    in.init = (rng() % 4 == 0) ? 0u : static_cast<uint32_t>(rng());
    random_operation(rng, ~0u, &in);
    hw->clock(in);
    rtl::PeInputs done;  // what the references perform at this edge
    if (in.adv) {
      done = pipe.front();
      pipe.pop_front();
      pipe.push_back(in);
    }
    done.init = in.init;
    done.seed_load = in.seed_load;
    done.seed = in.seed;
    rp.clock(done);
    model.clock(model_inputs(done));
    ASSERT_EQ(hw->acc(), rp.acc) << "MUL_STAGES " << stages << " seed " << hx(static_cast<uint32_t>(seed))
                                 << " cycle " << cyc << ": RTL acc vs reference PE";
    ASSERT_EQ(hw->flags(), rp.flags) << "MUL_STAGES " << stages << " cycle " << cyc << ": RTL flags vs reference PE";
    ASSERT_EQ(model.acc(), hw->acc()) << "MUL_STAGES " << stages << " cycle " << cyc << ": model acc vs RTL";
    ASSERT_EQ(model.flags(), hw->flags()) << "MUL_STAGES " << stages << " cycle " << cyc << ": model flags vs RTL";
  }
}

TEST(RtlPe, PipelinedOneStageMatchesReferenceAndModel) {
  run_pe_pipelined(1, test::test_seed(0x5EED0206u), 100000);
}
TEST(RtlPe, PipelinedTwoStagesMatchesReferenceAndModel) {
  run_pe_pipelined(2, test::test_seed(0x5EED0207u), 100000);
}

TEST(RtlPe, E8m23CyclesMatchReferenceAndModel) { run_pe(kFp32, test::test_seed(0x5EED0202u), 200000); }
// RND_MODES 1 and 2: the PE's rnd_i is driven with every mode (0..2); the
// references perform the mode the PE is specified to build.
TEST(RtlPe, E8m23RneOnlyCyclesMatchReferenceAndModel) {
  run_pe(kFp32, test::test_seed(0x5EED0204u), 100000, 1);
}
TEST(RtlPe, E8m23RneRzCyclesMatchReferenceAndModel) {
  run_pe(kFp32, test::test_seed(0x5EED0205u), 100000, 2);
}
TEST(RtlPe, E8m15Sr8CyclesMatchReferenceAndModel) {
  run_pe(AccFormat{8, 15}, test::test_seed(0x5EED0203u), 200000);
}

// A promoting PE written from numerics.md section 9 with reference parts:
// the narrow MAC by ref::ref_mac (MPFR), the binary32 promotion add by
// ref::ref_add (MPFR, e8m23, RNE), widen by exact decoding. acc is w after
// the edge's promotion (what the RTL's acc_o shows).
struct RefPromotedPe {
  ref::FloatFormat fmt;
  int sr_bits, lfsr_w;
  uint32_t seed;
  int promote_n;
  uint32_t n = 0, w = 0;
  uint8_t flags = 0;
  int count = 0;  // MACs since the last promotion
  ref::LfsrRef lfsr;
  RefPromotedPe(ref::FloatFormat f, int sr, int lw, uint32_t s, int pn)
      : fmt(f), sr_bits(sr), lfsr_w(lw), seed(s), promote_n(pn), lfsr(lw, s) {}
  void reset() {
    n = w = 0;
    flags = 0;
    count = 0;
    lfsr = ref::LfsrRef(lfsr_w, seed);
  }
  uint32_t widen(uint32_t v) const {
    if (ref::is_nan(v, fmt)) return 0x7FC00000u;
    return ref::f32_bits(static_cast<float>(ref::decode(v, fmt)));  // exact
  }
  void clock(const rtl::PeInputs& in) {
    if (in.en) {
      const uint32_t u = lfsr.draw(sr_bits);
      const ref::RefResult r =
          ref::ref_mac(in.clr ? 0u : n, in.a, in.fmt_a, in.b, in.fmt_b, fmt, static_cast<Round>(in.rnd), u, sr_bits);
      if (in.clr) {
        w = in.init;
        flags = 0;
        count = 0;
      }
      n = r.bits;
      flags = static_cast<uint8_t>(flags | r.flags);
      if (++count == promote_n || in.last) {
        const ref::RefResult s = ref::ref_add(w, widen(n), ref::kBinary32, Round::RNE);
        w = s.bits;
        flags = static_cast<uint8_t>(flags | s.flags);
        n = 0;
        count = 0;
      }
    } else if (in.clr) {
      n = 0;
      w = in.init;
      flags = 0;
      count = 0;
    }
    if (in.seed_load) lfsr = ref::LfsrRef(lfsr_w, in.seed);
  }
};

// PROMOTE_N > 0 (optionally with MUL_STAGES): random en / clr / last,
// advances, stalls, seed loads and resets; the references perform each
// operation at the S-th advance after its issue (run_pe_pipelined), with
// that edge's init_i and seed inputs and the operation's own last_i.
void run_pe_promoted(AccFormat af, int promote_n, int stages, uint64_t seed, int cycles) {
  auto hw = rtl::make_mac_pe(af, 3, stages, promote_n);
  ASSERT_EQ(hw->promote_n(), promote_n);
  RefPromotedPe rp(ref::acc_format(af), hw->sr_bits(), hw->lfsr_w(), hw->reset_seed(), promote_n);
  MacPeConfig mc = model_config(*hw, af);
  mc.promote_n = promote_n;
  MacPe model(mc);
  std::mt19937_64 rng(seed);
  test::CaseReport rep("PE " + af.name() + " PROMOTE_N " + std::to_string(promote_n) + " MUL_STAGES " +
                       std::to_string(stages) + " cycles vs reference PE and model PE");
  const uint32_t wmask = hw->lfsr_w() == 32 ? ~0u : ((1u << hw->lfsr_w()) - 1u);
  static const uint32_t kInit[] = {0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u,
                                   0x7FC00000u, 0x7FA00000u, 0x7F7FFFFFu, 0x00000001u};
  std::deque<rtl::PeInputs> pipe(static_cast<size_t>(stages));
  int promotions = 0;
  for (int cyc = 0; cyc < cycles; ++cyc) {
    if (rng() % 5000 == 0) {
      hw->reset();
      rp.reset();
      model.reset();
      pipe.assign(static_cast<size_t>(stages), rtl::PeInputs{});
    }
    rtl::PeInputs in;
    in.adv = stages == 0 || (rng() % 5) != 0;
    in.en = in.adv && (rng() % 6) != 0;
    in.clr = in.adv && (rng() % 30) == 0;
    in.last = in.en && (rng() % 9) == 0;
    const uint64_t ik = rng() % 8;
    in.init = ik == 0 ? kInit[rng() % 8] : ik < 3 ? 0u : static_cast<uint32_t>(rng()) & 0xBFFFFFFFu;
    random_operation(rng, wmask, &in);
    hw->clock(in);
    rtl::PeInputs done;  // what the references perform at this edge
    if (stages == 0) {
      done = in;
    } else if (in.adv) {
      done = pipe.front();
      pipe.pop_front();
      pipe.push_back(in);
    }
    done.init = in.init;
    done.seed_load = in.seed_load;
    done.seed = in.seed;
    const int before = rp.count;
    rp.clock(done);
    promotions += done.en && rp.count == 0 && (before + 1 == promote_n || done.last);
    MacPeInputs mi = model_inputs(done);
    mi.last = done.last;
    model.clock(mi);
    rep.add();
    const std::string what = af.name() + " PROMOTE_N " + std::to_string(promote_n) + " MUL_STAGES " +
                             std::to_string(stages) + " seed " + hx(static_cast<uint32_t>(seed)) + " cycle " +
                             std::to_string(cyc);
    ASSERT_EQ(hw->acc(), rp.w) << what << ": RTL acc vs reference PE";
    ASSERT_EQ(hw->flags(), rp.flags) << what << ": RTL flags vs reference PE";
    ASSERT_EQ(model.acc(), hw->acc()) << what << ": model acc vs RTL";
    ASSERT_EQ(model.flags(), hw->flags()) << what << ": model flags vs RTL";
  }
  EXPECT_GT(promotions, cycles / 20) << "too few promotions exercised";
}

TEST(RtlPe, PromotedE6m5EveryFourMatchesReferenceAndModel) {
  run_pe_promoted(AccFormat{6, 5}, 4, 0, test::test_seed(0x5EED0208u), 100000);
}
TEST(RtlPe, PromotedE8m10EveryThreeTwoStagesMatchesReferenceAndModel) {
  run_pe_promoted(AccFormat{8, 10}, 3, 2, test::test_seed(0x5EED0209u), 100000);
}

}  // namespace
}  // namespace fp8sa

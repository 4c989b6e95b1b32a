// The MAC processing element (numerics.md section 8): clr/en table, sticky
// flags, reset, one LFSR draw per enabled cycle whatever the mode, SR using
// that draw. Checked cycle by cycle against a reference PE built from
// ref::ref_mac and ref::LfsrRef.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "fp8sa/mac_pe.hpp"
#include "gen.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

// Section 8, from the spec text.
class RefPe {
 public:
  RefPe(const ref::FloatFormat& f, int sr_bits, int w, uint32_t seed)
      : f_(f), r_(sr_bits), w_(w), seed_(seed), lfsr_(w, seed) {}
  void reset() {
    acc_ = 0;
    flags_ = 0;
    lfsr_ = ref::LfsrRef(w_, seed_);
  }
  void clock(const MacPeInputs& in) {
    if (in.en) {
      const uint32_t u = lfsr_.draw(r_);
      const ref::RefResult m =
          ref::ref_mac(in.clr ? in.init : acc_, in.a, in.fmt_a, in.b, in.fmt_b, f_, in.rnd, u, r_);
      acc_ = m.bits;
      flags_ = in.clr ? m.flags : static_cast<uint8_t>(flags_ | m.flags);
    } else if (in.clr) {
      acc_ = in.init & f_.mask();
      flags_ = 0;
    }
    if (in.seed_load && !in.en) lfsr_ = ref::LfsrRef(w_, in.seed);
  }
  uint32_t acc() const { return acc_; }
  uint8_t flags() const { return flags_; }
  uint64_t lfsr_state() const { return lfsr_.state(); }

 private:
  ref::FloatFormat f_;
  int r_, w_;
  uint32_t seed_;
  ref::LfsrRef lfsr_;
  uint32_t acc_ = 0;
  uint8_t flags_ = 0;
};

TEST(MacPe, ResetStateIsZeroAccZeroFlagsSeedLfsr) {
  MacPeConfig c;
  c.seed = 0xC0FFEE01u;
  MacPe pe(c);
  EXPECT_EQ(pe.acc(), 0u);
  EXPECT_EQ(pe.flags(), 0u);
  EXPECT_EQ(pe.lfsr().state(), 0xC0FFEE01u);
  MacPeInputs in;
  in.en = true;
  in.a = 0x38;  // 1.0 E4M3
  in.b = 0x38;
  pe.clock(in);
  EXPECT_EQ(pe.acc(), 0x3F800000u);
  pe.reset();
  EXPECT_EQ(pe.acc(), 0u);
  EXPECT_EQ(pe.flags(), 0u);
  EXPECT_EQ(pe.lfsr().state(), 0xC0FFEE01u);
}

TEST(MacPe, RandomCycleSequencesMatchSpecPe) {
  const uint64_t seed = test_seed(0x9E000001ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("MacPe: random clr/en/rnd/seed_load cycles vs reference PE");
  int failures = 0;
  struct Cfg {
    int e, m, r, w;
    uint32_t seed;
  };
  for (Cfg cfg : {Cfg{8, 23, 16, 32, 0xC0FFEE01u}, Cfg{8, 15, 8, 16, 0xBEEF}, Cfg{5, 10, 4, 12, 0xACE},
                  Cfg{4, 3, 2, 4, 0x9}}) {
    const ref::FloatFormat f = ref::acc_format(cfg.e, cfg.m);
    MacPeConfig pc;
    pc.acc = AccFormat{cfg.e, cfg.m};
    pc.sr_bits = cfg.r;
    pc.lfsr_w = cfg.w;
    pc.seed = cfg.seed;
    MacPe pe(pc);
    RefPe rp(f, cfg.r, cfg.w, cfg.seed);
    AccGen g(f, rng);
    for (int cyc = 0; cyc < 30000; ++cyc) {
      MacPeInputs in;
      const uint32_t k = g.below(16);
      in.en = k >= 3;
      in.clr = k <= 1 || k == 15;
      in.init = g.mixed(-10, 10);
      in.fmt_a = (rng() & 1u) ? Fp8Format::E5M2 : Fp8Format::E4M3;
      in.fmt_b = (rng() & 1u) ? Fp8Format::E5M2 : Fp8Format::E4M3;
      in.a = static_cast<uint8_t>(rng());
      in.b = static_cast<uint8_t>(rng());
      if (g.below(8) == 0) in.a = static_cast<uint8_t>(in.a & 0x87u);  // small / zero
      in.rnd = static_cast<Round>(rng() % 3);
      // A run-time seed load only in cycles without a MAC (numerics.md does
      // not define seed_load together with en).
      in.seed_load = !in.en && g.below(50) == 0;
      in.seed = static_cast<uint32_t>(rng() & ((uint64_t{1} << cfg.w) - 1u)) | 1u;
      if (g.below(200) == 0) {
        pe.reset();
        rp.reset();
      }
      pe.clock(in);
      rp.clock(in);
      rep.add();
      const bool ok = pe.acc() == rp.acc() && pe.flags() == rp.flags() && pe.lfsr().state() == rp.lfsr_state();
      if (!ok && ++failures <= kMaxReported) {
        ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << " " << f.name() << " R=" << cfg.r
                      << " W=" << cfg.w << " cycle " << cyc << ": en=" << in.en << " clr=" << in.clr
                      << " init=" << hx(in.init) << " a=" << hx(in.a, 2) << " " << name(in.fmt_a)
                      << " b=" << hx(in.b, 2) << " " << name(in.fmt_b) << " rnd=" << name(in.rnd)
                      << " seed_load=" << in.seed_load << ": expected acc " << hx(rp.acc()) << " flags ["
                      << ref::flags_str(rp.flags()) << "] lfsr " << hx(static_cast<uint32_t>(rp.lfsr_state()))
                      << ", got acc " << hx(pe.acc()) << " flags [" << ref::flags_str(pe.flags()) << "] lfsr "
                      << hx(pe.lfsr().state());
        // Resynchronise so one bug does not cascade.
        pe.reset();
        rp.reset();
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(MacPe, ZeroRunTimeSeedThrows) {
  MacPeConfig c;
  c.lfsr_w = 16;
  c.sr_bits = 8;
  c.seed = 0xBEEF;
  MacPe pe(c);
  MacPeInputs in;
  in.seed_load = true;
  in.seed = 0;
  EXPECT_THROW(pe.clock(in), std::invalid_argument);
  in.seed = 0x10000;  // zero in the low 16 bits
  EXPECT_THROW(pe.clock(in), std::invalid_argument);
}

}  // namespace
}  // namespace fp8sa::test

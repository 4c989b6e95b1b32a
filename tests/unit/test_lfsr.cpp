// The LFSR (numerics.md section 7): tap table, primitivity, full period,
// draws vs the bit-serial reference, bad parameters.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <vector>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/mac_pe.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

TEST(Lfsr, ModelTapTableEqualsSpecTable) {
  for (int w = 4; w <= 32; ++w) EXPECT_EQ(Lfsr::taps(w), ref::lfsr_taps(w)) << "W=" << w;
}

TEST(Lfsr, EveryTableWidthPolynomialIsPrimitive) {
  CaseReport rep("Lfsr: primitivity of the feedback polynomial, W = 4..32");
  for (int w = 4; w <= 32; ++w) {
    rep.add();
    const uint64_t p = ref::lfsr_polynomial(ref::lfsr_taps(w));
    EXPECT_TRUE(ref::is_primitive_gf2(p)) << "W=" << w << " polynomial 0x" << std::hex << p;
  }
}

TEST(Lfsr, FullPeriodWalkedForWidthsUpTo20) {
  CaseReport rep("Lfsr: full period 2^W - 1 walked, W = 4..20 (steps)");
  for (int w = 4; w <= 20; ++w) {
    const uint32_t seed = 1u;
    Lfsr l(w, 2, seed);
    const uint64_t period = (uint64_t{1} << w) - 1u;
    uint64_t first_return = 0;
    for (uint64_t i = 1; i <= period; ++i) {
      l.step();
      rep.add();
      ASSERT_NE(l.state(), 0u) << "W=" << w << " reached the zero state at step " << i;
      ASSERT_EQ(l.state() >> w, 0u) << "W=" << w << " state has bits above W: " << hx(l.state());
      if (l.state() == seed) {
        first_return = i;
        break;
      }
    }
    EXPECT_EQ(first_return, period) << "W=" << w << ": state returned to the seed after " << first_return
                                    << " steps (0 = never), expected 2^W - 1 = " << period;
  }
}

TEST(Lfsr, StepsAndDrawsMatchBitSerialReference) {
  const uint64_t seed = test_seed(0x1F5Bull);
  std::mt19937_64 rng(seed);
  CaseReport rep("Lfsr: model draws vs bit-serial reference (widths x draw sizes x seeds)");
  int failures = 0;
  struct Cfg {
    int w, r;
  };
  std::vector<Cfg> cfgs = {{4, 2}, {4, 4}, {5, 3}, {8, 8}, {12, 5}, {16, 8}, {16, 16}, {17, 13},
                           {20, 7}, {24, 16}, {24, 24}, {31, 11}, {32, 2}, {32, 16}, {32, 24}, {32, 32}};
  for (int w = 4; w <= 32; ++w) cfgs.push_back({w, 2 + static_cast<int>(rng() % static_cast<uint64_t>(w - 1))});
  for (const Cfg& c : cfgs) {
    for (int s = 0; s < 3; ++s) {
      uint64_t sd = rng() & ((uint64_t{1} << c.w) - 1u);
      if (s == 0) sd = 1;
      if (sd == 0) sd = 0x5A5A5A5Au & ((uint64_t{1} << c.w) - 1u);
      const uint64_t seed_word = sd | ((rng() << c.w) & ~((uint64_t{1} << c.w) - 1u));
      Lfsr m(c.w, c.r, seed_word);  // bits above W must be ignored
      ref::LfsrRef r(c.w, seed_word);
      ASSERT_EQ(m.state(), r.state()) << "W=" << c.w << " seed " << hx(static_cast<uint32_t>(seed_word));
      for (int i = 0; i < 4000; ++i) {
        rep.add();
        const uint32_t peek = m.peek();
        const uint32_t got = m.draw();
        const uint32_t want = r.draw(c.r);
        if ((got != want || peek != want || m.state() != r.state()) && ++failures <= kMaxReported) {
          ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << " W=" << c.w << " R=" << c.r
                        << " LFSR seed " << hx(static_cast<uint32_t>(sd)) << " draw " << i << ": expected "
                        << hx(want) << " state " << hx(static_cast<uint32_t>(r.state())) << ", got "
                        << hx(got) << " (peek " << hx(peek) << ") state " << hx(m.state());
        }
      }
      // Single steps too.
      for (int i = 0; i < 100; ++i) {
        m.step();
        r.step();
        rep.add();
        ASSERT_EQ(m.state(), r.state()) << "W=" << c.w << " after step " << i;
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(Lfsr, EveryWidthAndDrawSizeMatchesBitSerialReference) {
  CaseReport rep("Lfsr: every (W, R), W = 4..32, R = 2..W, 300 draws each vs bit-serial reference");
  int failures = 0;
  for (int w = 4; w <= 32; ++w) {
    for (int r = 2; r <= w; ++r) {
      const uint64_t sd = (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(w * 64 + r)) >> 17 | 1u;
      Lfsr m(w, r, sd);
      ref::LfsrRef rr(w, sd);
      for (int i = 0; i < 300; ++i) {
        rep.add();
        const uint32_t want = rr.draw(r);
        const uint32_t got = m.draw();
        if ((got != want || m.state() != rr.state()) && ++failures <= kMaxReported) {
          ADD_FAILURE() << "W=" << w << " R=" << r << " seed " << hx(static_cast<uint32_t>(sd)) << " draw " << i
                        << ": expected " << hx(want) << " state " << hx(static_cast<uint32_t>(rr.state()))
                        << ", got " << hx(got) << " state " << hx(m.state());
          break;
        }
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(Lfsr, ReseedRestartsTheSequence) {
  Lfsr m(16, 8, 0xBEEF);
  const uint32_t d0 = m.draw(), d1 = m.draw();
  m.seed(0xBEEF);
  EXPECT_EQ(m.state(), 0xBEEFu);
  EXPECT_EQ(m.draw(), d0);
  EXPECT_EQ(m.draw(), d1);
}

TEST(Lfsr, ZeroSeedAndBadWidthsThrowInvalidArgument) {
  EXPECT_THROW(Lfsr(32, 16, 0), std::invalid_argument);
  EXPECT_THROW(Lfsr(16, 8, 0x10000), std::invalid_argument);  // zero in the low 16 bits
  EXPECT_THROW(Lfsr(4, 2, 0xF0), std::invalid_argument);
  EXPECT_THROW(Lfsr(3, 2, 1), std::invalid_argument);
  EXPECT_THROW(Lfsr(33, 16, 1), std::invalid_argument);
  EXPECT_THROW(Lfsr(0, 2, 1), std::invalid_argument);
  EXPECT_THROW(Lfsr(-1, 2, 1), std::invalid_argument);
  EXPECT_THROW(Lfsr(16, 17, 1), std::invalid_argument);  // draw wider than the register
  EXPECT_THROW(Lfsr(16, 1, 1), std::invalid_argument);   // draw_bits < 2
  EXPECT_THROW(Lfsr(16, 0, 1), std::invalid_argument);
  EXPECT_THROW(Lfsr::taps(3), std::invalid_argument);
  EXPECT_THROW(Lfsr::taps(33), std::invalid_argument);
  Lfsr l(8, 4, 1);
  EXPECT_THROW(l.seed(0), std::invalid_argument);
  EXPECT_THROW(l.seed(0x100), std::invalid_argument);
  EXPECT_NO_THROW(Lfsr(32, 32, 0xFFFFFFFFu));
  EXPECT_NO_THROW(Lfsr(4, 2, 0x10001));  // low 4 bits non-zero
}

}  // namespace
}  // namespace fp8sa::test

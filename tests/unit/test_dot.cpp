// AccAdder::dot (the fast functional model's inner loop): n MACs in
// sequence, flags ORed, bit-identical to the loop of single MACs; with an
// Lfsr it advances one draw per MAC whatever the mode (as a PE does) and SR
// uses each draw. Checked against a loop of ref::ref_mac with ref::LfsrRef
// draws, for several formats, modes, lengths and strides.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <vector>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/numerics.hpp"
#include "gen.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

TEST(AccDot, EqualsSequenceOfReferenceMacsWithLfsrDraws) {
  const uint64_t seed = test_seed(0xD07000001ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("AccDot: dot() vs a loop of ref_mac (MACs)");
  int failures = 0;
  struct Cfg {
    int e, m, R, W;
  };
  for (Cfg cfg : {Cfg{8, 23, 16, 32}, Cfg{8, 10, 8, 16}, Cfg{5, 10, 4, 12}, Cfg{8, 7, 24, 32}, Cfg{4, 3, 2, 5}}) {
    const ref::FloatFormat f = ref::acc_format(cfg.e, cfg.m);
    const AccAdder add(AccFormat{cfg.e, cfg.m}, cfg.R);
    AccGen g(f, rng);
    for (int trial = 0; trial < 300; ++trial) {
      const size_t n = static_cast<size_t>(rng() % 200);
      const ptrdiff_t sa = 1 + static_cast<ptrdiff_t>(rng() % 3), sb = 1 + static_cast<ptrdiff_t>(rng() % 3);
      const Fp8Format fa = (rng() & 1u) ? Fp8Format::E5M2 : Fp8Format::E4M3;
      const Fp8Format fb = (rng() & 1u) ? Fp8Format::E5M2 : Fp8Format::E4M3;
      std::vector<uint8_t> a(n * static_cast<size_t>(sa) + 1), b(n * static_cast<size_t>(sb) + 1);
      for (uint8_t& x : a) x = static_cast<uint8_t>(rng());
      for (uint8_t& x : b) x = static_cast<uint8_t>(rng() % 16 == 0 ? rng() : (rng() & 0xBFu));  // mostly moderate
      const Round rnd = static_cast<Round>(rng() % 3);
      const uint32_t acc0 = g.mixed(-5, 5);
      const uint64_t lseed = (rng() & ((uint64_t{1} << cfg.W) - 1u)) | 1u;
      const bool with_lfsr = rnd == Round::SR || (rng() & 1u);
      Lfsr lfsr(cfg.W, cfg.R, lseed);
      ref::LfsrRef rl(cfg.W, lseed);
      uint32_t acc = acc0;
      uint8_t flags = 0;
      for (size_t i = 0; i < n; ++i) {
        const uint32_t u = with_lfsr ? rl.draw(cfg.R) : 0u;
        const ref::RefResult r = ref::ref_mac(acc, a[i * static_cast<size_t>(sa)], fa,
                                              b[i * static_cast<size_t>(sb)], fb, f, rnd, u, cfg.R);
        acc = r.bits;
        flags = static_cast<uint8_t>(flags | r.flags);
      }
      rep.add(n);
      const OpResult got = add.dot(acc0, a.data(), fa, b.data(), fb, n, rnd, with_lfsr ? &lfsr : nullptr, sa, sb);
      const bool ok = got.bits == acc && got.flags == flags && (!with_lfsr || lfsr.state() == rl.state());
      if (!ok && ++failures <= kMaxReported) {
        ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << " " << f.name() << " R=" << cfg.R
                      << " W=" << cfg.W << " trial " << trial << ": dot(acc=" << hx(acc0) << ", n=" << n
                      << ", " << name(fa) << " x " << name(fb) << ", strides " << sa << "/" << sb << ", "
                      << name(rnd) << ", lfsr " << (with_lfsr ? hx(static_cast<uint32_t>(lseed)) : "none")
                      << "): " << exp_got(acc, flags, got.bits, got.flags) << ", lfsr state expected "
                      << hx(static_cast<uint32_t>(rl.state())) << " got " << hx(lfsr.state());
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(AccDot, SrWithoutLfsrThrowsAndEmptyDotIsIdentity) {
  const AccAdder add(kFp32, 16);
  const uint8_t a[2] = {0x38, 0x38}, b[2] = {0x38, 0x38};
  EXPECT_THROW(add.dot(0, a, Fp8Format::E4M3, b, Fp8Format::E4M3, 2, Round::SR, nullptr), std::invalid_argument);
  EXPECT_THROW(add.dot(0, a, Fp8Format::E4M3, b, Fp8Format::E4M3, 2, static_cast<Round>(3), nullptr),
               std::invalid_argument);
  const OpResult r = add.dot(0x3F800000u, a, Fp8Format::E4M3, b, Fp8Format::E4M3, 0, Round::RNE, nullptr);
  EXPECT_EQ(r.bits, 0x3F800000u);
  EXPECT_EQ(r.flags, 0);
}

}  // namespace
}  // namespace fp8sa::test

// The quantizer (numerics.md section 6) beyond the exhaustive RNE sweep:
//   * every output format (E4M3, E5M2, FP16, BF16), RNE/RZ/SR, sat on/off,
//     scale in [-64, 63], several input (accumulator) formats, random and
//     boundary inputs, vs the MPFR reference ref::ref_quantize;
//   * random binary32 inputs with random scales, RNE and RZ, FP8 outputs, vs
//     the fast table reference (many more cases than MPFR allows).
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <random>
#include <string>

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
  return "from_e" + std::to_string(i.param.e) + "m" + std::to_string(i.param.m);
}

class QuantizerInput : public testing::TestWithParam<Width> {};

constexpr OutFormat kOuts[] = {OutFormat::E4M3, OutFormat::E5M2, OutFormat::FP16, OutFormat::BF16};
constexpr Round kModes[] = {Round::RNE, Round::RZ, Round::SR};
constexpr int kSrBitsSet[] = {2, 3, 5, 8, 16, 24};

TEST_P(QuantizerInput, AllOutFormatsModesSatScaleMatchMpfrReference) {
  const Width w = GetParam();
  const uint64_t seed = test_seed(0x0A4700ull + static_cast<uint64_t>(w.e * 100 + w.m));
  std::mt19937_64 rng(seed);
  const ref::FloatFormat inf = ref::acc_format(w.e, w.m);
  const AccFormat mf{w.e, w.m};
  AccGen g(inf, rng);
  CaseReport rep("QuantizerInput " + inf.name() + ": 4 out formats x RNE/RZ/SR x sat x scale vs ref_quantize");
  Coverage cov[4];
  int failures = 0;
  constexpr int kPerConfig = 20000;  // per (out format, mode, sat)
  for (OutFormat out : kOuts) {
    const ref::FloatFormat of = ref::out_format(out);
    AccGen og(of, rng);
    const std::vector<double> targets = og.targets();
    for (Round rnd : kModes) {
      for (bool sat : {false, true}) {
        for (int i = 0; i < kPerConfig; ++i) {
          const int sr_bits = kSrBitsSet[static_cast<size_t>(i) % 6];
          int scale = 0;
          uint32_t acc;
          switch (g.below(5)) {
            case 0:  // random, no scale
              acc = g.mixed(-30, 30);
              break;
            case 1:  // random, any scale
              acc = g.mixed(-150, 150);
              scale = static_cast<int>(g.below(128)) - 64;
              break;
            default: {  // acc * 2^scale near an output boundary
              const double T = targets[rng() % targets.size()] * ((rng() & 1u) ? -1.0 : 1.0);
              scale = static_cast<int>(g.below(128)) - 64;
              double v = std::ldexp(T, -scale);
              if (std::fabs(v) > inf.max_finite() || std::fabs(v) < inf.min_subnormal()) {
                scale = 0;  // not reachable with that scale in this input format
                v = T;
              }
              acc = g.step(g.nearest(v), static_cast<int>(g.below(5)) - 2);
              break;
            }
          }
          uint32_t u = static_cast<uint32_t>(rng());
          if (rnd == Round::SR && (rng() & 1u)) {  // aim at the SR decision edge
            const double v = ref::decode(acc, inf);
            if (std::isfinite(v) && v != 0.0) {
              ref::Exact x(std::ldexp(v, scale));
              const uint64_t k = ref::sr_split(x.get(), of, sr_bits).k;
              const uint32_t mask = (1u << sr_bits) - 1u;
              uint64_t uu = (rng() & 1u) ? k : (k == 0 ? 0 : k - 1);
              if (uu > mask) uu = mask;
              u = static_cast<uint32_t>(uu) | (u & ~mask);
            }
          }
          rep.add();
          const ref::RefResult want = ref::ref_quantize(acc, inf, out, rnd, sat, scale, u, sr_bits);
          cov[static_cast<int>(out)].add(want.bits, want.flags, of);
          const OpResult got = Quantizer(mf, sr_bits).quantize(acc, out, rnd, sat, scale, u);
          if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported) {
            ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << ": quantize(" << hx(acc)
                          << " (" << ref::decode(acc, inf) << "), " << inf.name() << " -> "
                          << name(out) << ", " << name(rnd) << ", sat=" << sat
                          << ", scale=" << scale << ", sr_bits=" << sr_bits << ", u=" << hx(u)
                          << "): " << exp_got(want.bits, want.flags, got.bits, got.flags, 4);
          }
        }
      }
    }
  }
  for (OutFormat out : kOuts) cov[static_cast<int>(out)].print(inf.name() + " -> " + name(out));
  EXPECT_EQ(failures, 0) << failures << " of " << rep.count() << " conversions differ, seed 0x"
                         << std::hex << seed;
}

INSTANTIATE_TEST_SUITE_P(Inputs, QuantizerInput,
                         testing::Values(Width{8, 23}, Width{8, 10}, Width{8, 7}, Width{6, 9},
                                         Width{5, 10}, Width{4, 3}),
                         width_name);

// Every FP16 and BF16 input word (as an e5m10 / e8m7 accumulator) to every
// FP8 output, RNE and RZ, sat on/off, scale 0, vs the fast table reference.
TEST(QuantizerFast, Every16BitInputE5m10AndE8m7ToFp8RneRzMatchesTable) {
  const ref::Fp8FastQuantizer r52(Fp8Format::E5M2), r43(Fp8Format::E4M3);
  CaseReport rep("QuantizerFast: all 2^16 e5m10 and e8m7 words x {E5M2,E4M3} x {RNE,RZ} x sat");
  int failures = 0;
  for (Width w : {Width{5, 10}, Width{8, 7}}) {
    const ref::FloatFormat inf = ref::acc_format(w.e, w.m);
    const Quantizer q(AccFormat{w.e, w.m}, 16);
    for (uint32_t x = 0; x < (1u << inf.width()); ++x) {
      const double v = ref::decode(x, inf);
      const bool snan = ref::is_snan(x, inf);
      for (Round rnd : {Round::RNE, Round::RZ}) {
        for (int o = 0; o < 2; ++o) {
          const ref::Fp8FastQuantizer& r = o == 0 ? r52 : r43;
          const OutFormat out = o == 0 ? OutFormat::E5M2 : OutFormat::E4M3;
          const ref::Fp8FastQuantizer::Pair e = r.quantize_both(v, rnd, snan);
          for (bool sat : {false, true}) {
            rep.add();
            const ref::RefResult want = sat ? e.sat : e.nosat;
            const OpResult got = q.quantize(x, out, rnd, sat, 0, 0);
            if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported) {
              ADD_FAILURE() << "quantize(" << hx(x, 4) << " (" << v << "), " << inf.name() << " -> "
                            << name(out) << ", " << name(rnd) << ", sat=" << sat
                            << "): " << exp_got(want.bits, want.flags, got.bits, got.flags, 4);
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(failures, 0) << failures << " of " << rep.count() << " conversions differ";
}

TEST(QuantizerFast, RandomBinary32WithScaleToFp8RneRzMatchesTable) {
  const uint64_t seed = test_seed(0x5CA1Eull);
  std::mt19937_64 rng(seed);
  const ref::Fp8FastQuantizer r52(Fp8Format::E5M2), r43(Fp8Format::E4M3);
  const Quantizer q(kFp32, 16);
  CaseReport rep("QuantizerFast: random binary32 x scale in [-64,63] -> {E5M2,E4M3} x {RNE,RZ} x sat");
  int failures = 0;
  constexpr int kInputs = 3'000'000;
  for (int i = 0; i < kInputs; ++i) {
    const int scale = static_cast<int>(rng() % 128) - 64;
    // Bias the exponent so that x * 2^scale lands near the FP8 range.
    uint32_t x = static_cast<uint32_t>(rng());
    if (rng() % 4 != 0) {
      const int e = std::clamp(127 - scale + static_cast<int>(rng() % 48) - 26, 0, 255);
      x = (x & 0x807FFFFFu) | (static_cast<uint32_t>(e) << 23);
    }
    const float xf = ref::f32_from_bits(x);
    const bool snan = std::isnan(xf) && (x & 0x00400000u) == 0;
    const double v = std::isfinite(xf) ? std::ldexp(static_cast<double>(xf), scale) : static_cast<double>(xf);
    for (Round rnd : {Round::RNE, Round::RZ}) {
      for (int o = 0; o < 2; ++o) {
        const ref::Fp8FastQuantizer::Pair e = (o == 0 ? r52 : r43).quantize_both(v, rnd, snan);
        const OutFormat out = o == 0 ? OutFormat::E5M2 : OutFormat::E4M3;
        for (bool sat : {false, true}) {
          rep.add();
          const ref::RefResult want = sat ? e.sat : e.nosat;
          const OpResult got = q.quantize(x, out, rnd, sat, scale, 0);
          if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported) {
            ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << ": quantize(" << hx(x)
                          << " (" << xf << "), e8m23 -> " << name(out) << ", " << name(rnd)
                          << ", sat=" << sat << ", scale=" << scale
                          << "): " << exp_got(want.bits, want.flags, got.bits, got.flags, 4);
          }
        }
      }
    }
  }
  EXPECT_EQ(failures, 0) << failures << " of " << rep.count() << " conversions differ, seed 0x"
                         << std::hex << seed;
}

}  // namespace
}  // namespace fp8sa::test

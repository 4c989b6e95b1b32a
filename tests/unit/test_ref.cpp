// Self-checks of the reference library fp8sa_ref (no model linked): the
// references are checked against hand-computed spec examples, against each
// other (fast table quantizer vs MPFR quantizer), against TestFloat, and the
// primitivity checker against brute-force period walks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gen.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

using ref::RefResult;

TEST(Ref, Fp8DecodeSpecValues) {
  EXPECT_EQ(ref::fp8_decode(0x7E, Fp8Format::E4M3), 448.0);
  EXPECT_EQ(ref::fp8_decode(0x78, Fp8Format::E4M3), 256.0);
  EXPECT_EQ(ref::fp8_decode(0x79, Fp8Format::E4M3), 288.0);
  EXPECT_TRUE(std::isnan(ref::fp8_decode(0x7F, Fp8Format::E4M3)));
  EXPECT_TRUE(std::isnan(ref::fp8_decode(0xFF, Fp8Format::E4M3)));
  EXPECT_EQ(ref::fp8_decode(0x08, Fp8Format::E4M3), std::ldexp(1.0, -6));
  EXPECT_EQ(ref::fp8_decode(0x01, Fp8Format::E4M3), std::ldexp(1.0, -9));
  EXPECT_EQ(ref::fp8_decode(0x38, Fp8Format::E4M3), 1.0);
  EXPECT_EQ(ref::fp8_decode(0xFE, Fp8Format::E4M3), -448.0);
  EXPECT_TRUE(std::signbit(ref::fp8_decode(0x80, Fp8Format::E4M3)));
  EXPECT_EQ(ref::fp8_decode(0x7B, Fp8Format::E5M2), 57344.0);
  EXPECT_EQ(ref::fp8_decode(0x7C, Fp8Format::E5M2), INFINITY);
  EXPECT_EQ(ref::fp8_decode(0xFC, Fp8Format::E5M2), -INFINITY);
  for (unsigned c : {0x7Du, 0x7Eu, 0x7Fu, 0xFDu, 0xFEu, 0xFFu})
    EXPECT_TRUE(std::isnan(ref::fp8_decode(static_cast<uint8_t>(c), Fp8Format::E5M2)));
  EXPECT_EQ(ref::fp8_decode(0x04, Fp8Format::E5M2), std::ldexp(1.0, -14));
  EXPECT_EQ(ref::fp8_decode(0x01, Fp8Format::E5M2), std::ldexp(1.0, -16));
  EXPECT_EQ(ref::fp8_decode(0x3C, Fp8Format::E5M2), 1.0);
  EXPECT_TRUE(std::signbit(ref::fp8_decode(0x80, Fp8Format::E5M2)));
}

TEST(Ref, Fp8DecodeEqualsGenericDecodeAndEncodeRoundTrips) {
  for (Fp8Format fm : {Fp8Format::E4M3, Fp8Format::E5M2}) {
    const ref::FloatFormat f = ref::fp8_format(fm);
    for (uint32_t c = 0; c < 256; ++c) {
      const double v = ref::fp8_decode(static_cast<uint8_t>(c), fm);
      const double w = ref::decode(c, f);
      if (std::isnan(v)) {
        EXPECT_TRUE(std::isnan(w)) << c;
        continue;
      }
      EXPECT_EQ(v, w) << hx(c, 2);
      EXPECT_EQ(std::signbit(v), std::signbit(w));
      EXPECT_EQ(ref::encode_exact(v, f), c) << hx(c, 2);
    }
  }
  // Every binary32 word decodes to the host float's value (1M random words).
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t b = static_cast<uint32_t>(rng());
    const float fl = ref::f32_from_bits(b);
    const double v = ref::decode(b, ref::kBinary32);
    if (std::isnan(fl)) {
      ASSERT_TRUE(std::isnan(v));
      continue;
    }
    ASSERT_EQ(v, static_cast<double>(fl)) << hx(b);
    ASSERT_EQ(ref::encode_exact(v, ref::kBinary32), b) << hx(b);
  }
}

TEST(Ref, AddMatchesTestFloatVectorsRneAndRtz) {
  for (auto [file, rnd] : {std::pair{"f32_add_rne_l1.tv", Round::RNE}, std::pair{"f32_add_rtz_l1.tv", Round::RZ}}) {
    const std::string path = ref::vectors_file(file);
    ASSERT_FALSE(path.empty()) << "TestFloat vectors not found in '" << ref::vectors_dir() << "'";
    CaseReport rep(std::string("Ref: ref_add vs ") + file);
    int failures = 0;
    for (const ref::TvCase& c : ref::read_tv(path)) {
      rep.add();
      const RefResult r = ref::ref_add(c.a, c.b, ref::kBinary32, rnd);
      const bool nan = ref::is_nan(c.result, ref::kBinary32);
      const uint32_t want = nan ? 0x7FC00000u : c.result;
      if ((r.bits != want || r.flags != ref::flags_from_testfloat(c.flags)) && ++failures <= kMaxReported)
        ADD_FAILURE() << path << ":" << c.line << ": " << exp_got(want, ref::flags_from_testfloat(c.flags), r.bits, r.flags);
    }
    EXPECT_EQ(failures, 0);
  }
}

TEST(Ref, RoundingSpecExamples) {
  const ref::FloatFormat e8m10 = ref::acc_format(8, 10);
  const double ulp = std::ldexp(1.0, -10);
  // RNE ties to even, RZ truncates.
  EXPECT_EQ(ref::round_to_acc(1.0 + ulp / 2, e8m10, Round::RNE, 0, 16), (RefResult{0x1FC00, ref::kInexact}) );
  EXPECT_EQ(ref::round_to_acc(1.0 + 1.5 * ulp, e8m10, Round::RNE, 0, 16), (RefResult{0x1FC02, ref::kInexact}));
  EXPECT_EQ(ref::round_to_acc(1.0 + 1.9 * ulp, e8m10, Round::RZ, 0, 16), (RefResult{0x1FC01, ref::kInexact}));
  // SR, R = 4: f = 0.25 -> t = 2, s = 0, k = 4: up iff u < 4.
  EXPECT_EQ(ref::round_to_acc(1.0 + ulp / 4, e8m10, Round::SR, 3, 4).bits, 0x1FC01u);
  EXPECT_EQ(ref::round_to_acc(1.0 + ulp / 4, e8m10, Round::SR, 4, 4).bits, 0x1FC00u);
  EXPECT_EQ(ref::round_to_acc(1.0 + ulp / 4, e8m10, Round::SR, 0xFFF4, 4).bits, 0x1FC00u);  // high bits ignored
  // SR, R = 4: f = 0.3 -> t = floor(2.4) = 2, s = 1, k = 5.
  ref::Exact x(1.0 + 0.3 * ulp);  // not exactly 0.3, but t = 2 and s = 1 all the same
  ref::SrSplit sp = ref::sr_split(x.get(), e8m10, 4);
  EXPECT_EQ(sp.t, 2u);
  EXPECT_EQ(sp.s, 1);
  EXPECT_EQ(sp.k, 5u);
  EXPECT_EQ(sp.y_dn, 1.0);
  EXPECT_EQ(sp.ulp, ulp);
  // Exact values never round: k = 0.
  EXPECT_EQ(ref::round_to_acc(1.0 + ulp, e8m10, Round::SR, 0, 4), (RefResult{0x1FC01, 0}));
  // Overflow: RNE/SR -> Inf, RZ -> max (binary32).
  const double maxf = ref::kBinary32.max_finite();
  const double ulpm = std::ldexp(1.0, 104);
  EXPECT_EQ(ref::round_to_acc(maxf + ulpm / 2, ref::kBinary32, Round::RNE, 0, 16),
            (RefResult{0x7F800000u, ref::kOverflow | ref::kInexact}));
  EXPECT_EQ(ref::round_to_acc(maxf + ulpm / 4, ref::kBinary32, Round::RNE, 0, 16), (RefResult{0x7F7FFFFFu, ref::kInexact}));
  EXPECT_EQ(ref::round_to_acc(-(maxf + ulpm), ref::kBinary32, Round::RZ, 0, 16),
            (RefResult{0xFF7FFFFFu, ref::kOverflow | ref::kInexact}));
  EXPECT_EQ(ref::round_to_acc(maxf + ulpm * 0.75, ref::kBinary32, Round::RZ, 0, 16), (RefResult{0x7F7FFFFFu, ref::kInexact}));
  // Tininess after rounding (RNE): e4m3 accumulator, emin = -6, Y = 3.
  const ref::FloatFormat e4m3 = ref::acc_format(4, 3);
  const double mn = std::ldexp(1.0, -6);
  // Just below 2^emin by less than 2^(emin-Y-2): rounds to 2^emin at full
  // precision -> not tiny, result min normal, inexact only.
  EXPECT_EQ(ref::round_to_acc(mn - std::ldexp(1.0, -12), e4m3, Round::RNE, 0, 16), (RefResult{0x08, ref::kInexact}));
  // Exactly at the threshold 2^emin - 2^(emin-Y-2): tie, rounds up to 2^emin: not tiny.
  EXPECT_EQ(ref::round_to_acc(mn - std::ldexp(1.0, -11), e4m3, Round::RNE, 0, 16), (RefResult{0x08, ref::kInexact}));
  // Slightly more below: tiny, and result rounds to 2^emin on the subnormal grid: underflow.
  EXPECT_EQ(ref::round_to_acc(mn - std::ldexp(1.0, -11) - std::ldexp(1.0, -14), e4m3, Round::RNE, 0, 16),
            (RefResult{0x08, ref::kInexact | ref::kUnderflow}));
  // RZ: anything below 2^emin is tiny.
  EXPECT_EQ(ref::round_to_acc(mn - std::ldexp(1.0, -12), e4m3, Round::RZ, 0, 16),
            (RefResult{0x07, ref::kInexact | ref::kUnderflow}));
  // SR: tininess before rounding: |x| < 2^emin even when it rounds up to 2^emin.
  EXPECT_EQ(ref::round_to_acc(mn - std::ldexp(1.0, -12), e4m3, Round::SR, 0, 16),
            (RefResult{0x08, ref::kInexact | ref::kUnderflow}));
  // Half the smallest subnormal: RNE ties to even zero, sign kept.
  EXPECT_EQ(ref::round_to_acc(-std::ldexp(1.0, -10), e4m3, Round::RNE, 0, 16),
            (RefResult{0x80, ref::kInexact | ref::kUnderflow}));
  EXPECT_EQ(ref::round_to_acc(std::ldexp(1.5, -10), e4m3, Round::RNE, 0, 16),
            (RefResult{0x01, ref::kInexact | ref::kUnderflow}));
}

TEST(Ref, MacAndAddSpecialCases) {
  const ref::FloatFormat f = ref::kBinary32;
  // 0 * Inf: invalid, canonical NaN; but not with a quiet NaN accumulator
  // (the x86 fmaf rule); a signalling NaN accumulator raises it anyway.
  EXPECT_EQ(ref::ref_mac(0x3F800000u, 0x00, Fp8Format::E4M3, 0x7C, Fp8Format::E5M2, f, Round::RNE),
            (RefResult{0x7FC00000u, ref::kInvalid}));
  EXPECT_EQ(ref::ref_mac(0x7F800000u, 0x00, Fp8Format::E4M3, 0xFC, Fp8Format::E5M2, f, Round::SR, 5),
            (RefResult{0x7FC00000u, ref::kInvalid}));
  EXPECT_EQ(ref::ref_mac(0xFFC12345u, 0x7C, Fp8Format::E5M2, 0x80, Fp8Format::E4M3, f, Round::RNE),
            (RefResult{0x7FC00000u, 0}));
  EXPECT_EQ(ref::ref_mac(0xFF812345u, 0x7C, Fp8Format::E5M2, 0x80, Fp8Format::E4M3, f, Round::RNE),
            (RefResult{0x7FC00000u, ref::kInvalid}));
  // FP8 NaN: no flag. sNaN accumulator: invalid.
  EXPECT_EQ(ref::ref_mac(0x3F800000u, 0x7F, Fp8Format::E4M3, 0x38, Fp8Format::E4M3, f, Round::RNE),
            (RefResult{0x7FC00000u, 0}));
  EXPECT_EQ(ref::ref_mac(0x7F800001u, 0x7F, Fp8Format::E4M3, 0x38, Fp8Format::E4M3, f, Round::RNE),
            (RefResult{0x7FC00000u, ref::kInvalid}));
  // Inf - Inf.
  EXPECT_EQ(ref::ref_mac(0xFF800000u, 0x7C, Fp8Format::E5M2, 0x38, Fp8Format::E4M3, f, Round::RZ),
            (RefResult{0x7FC00000u, ref::kInvalid}));
  EXPECT_EQ(ref::ref_mac(0x7F800000u, 0x7C, Fp8Format::E5M2, 0x38, Fp8Format::E4M3, f, Round::RZ),
            (RefResult{0x7F800000u, 0}));
  // Zero signs: x - x = +0 in every mode; -0 + -0 = -0; -0 + +0 = +0.
  for (Round r : {Round::RNE, Round::RZ, Round::SR}) {
    EXPECT_EQ(ref::ref_add(0x3F800000u, 0xBF800000u, f, r, 0x1234), (RefResult{0u, 0}));
    EXPECT_EQ(ref::ref_mac(0xBF800000u, 0x38, Fp8Format::E4M3, 0x38, Fp8Format::E4M3, f, r, 7), (RefResult{0u, 0}));
    EXPECT_EQ(ref::ref_add(0x80000000u, 0x80000000u, f, r), (RefResult{0x80000000u, 0}));
    EXPECT_EQ(ref::ref_add(0x80000000u, 0x00000000u, f, r), (RefResult{0u, 0}));
    EXPECT_EQ(ref::ref_mac(0x80000000u, 0x80, Fp8Format::E4M3, 0x38, Fp8Format::E4M3, f, r), (RefResult{0x80000000u, 0}));
  }
  // Bad parameters.
  EXPECT_THROW(ref::acc_format(3, 10), std::invalid_argument);
  EXPECT_THROW(ref::acc_format(8, 24), std::invalid_argument);
  EXPECT_THROW(ref::ref_add(0, 0, f, static_cast<Round>(3)), std::invalid_argument);
  EXPECT_THROW(ref::ref_add(0, 0, f, Round::RNE, 0, 25), std::invalid_argument);
  EXPECT_THROW(ref::ref_quantize(0, f, OutFormat::E4M3, Round::RNE, false, 64), std::invalid_argument);
  EXPECT_THROW(ref::ref_quantize(0, f, static_cast<OutFormat>(4), Round::RNE, false, 0), std::invalid_argument);
}

TEST(Ref, QuantizerSpecExamples) {
  const ref::FloatFormat f = ref::kBinary32;
  auto q = [&](float v, OutFormat o, Round r, bool sat) {
    return ref::ref_quantize(ref::f32_bits(v), f, o, r, sat, 0, 0, 16);
  };
  // E4M3 RNE: 464 is a tie between 448 (even) and the NaN slot 480: 448.
  EXPECT_EQ(q(464.0f, OutFormat::E4M3, Round::RNE, false), (RefResult{0x7E, ref::kInexact}));
  EXPECT_EQ(q(464.0001f, OutFormat::E4M3, Round::RNE, false),
            (RefResult{0x7F, ref::kOverflow | ref::kInexact | ref::kInvalid}));
  EXPECT_EQ(q(-500.0f, OutFormat::E4M3, Round::RNE, true), (RefResult{0xFE, ref::kOverflow | ref::kInexact}));
  EXPECT_EQ(q(479.0f, OutFormat::E4M3, Round::RZ, false), (RefResult{0x7E, ref::kInexact}));
  EXPECT_EQ(q(INFINITY, OutFormat::E4M3, Round::RNE, false), (RefResult{0x7F, ref::kInvalid}));
  EXPECT_EQ(q(-INFINITY, OutFormat::E4M3, Round::RNE, true), (RefResult{0xFE, ref::kInexact}));
  // E5M2: 61440 is a tie between 57344 (odd mantissa) and 65536 (even): overflow.
  EXPECT_EQ(q(61440.0f, OutFormat::E5M2, Round::RNE, false), (RefResult{0x7C, ref::kOverflow | ref::kInexact}));
  EXPECT_EQ(q(61439.0f, OutFormat::E5M2, Round::RNE, false), (RefResult{0x7B, ref::kInexact}));
  EXPECT_EQ(q(-INFINITY, OutFormat::E5M2, Round::RZ, false), (RefResult{0xFC, 0}));
  EXPECT_EQ(q(65504.0f, OutFormat::FP16, Round::RNE, false), (RefResult{0x7BFF, 0}));
  EXPECT_EQ(q(65520.0f, OutFormat::FP16, Round::RNE, false), (RefResult{0x7C00, ref::kOverflow | ref::kInexact}));
  EXPECT_EQ(q(1.0f, OutFormat::BF16, Round::RNE, false), (RefResult{0x3F80, 0}));
  // NaNs: canonical, invalid only for a signalling input.
  EXPECT_EQ(ref::ref_quantize(0x7FC00001u, f, OutFormat::FP16, Round::RNE, false), (RefResult{0x7E00, 0}));
  EXPECT_EQ(ref::ref_quantize(0xFF800001u, f, OutFormat::BF16, Round::RNE, true), (RefResult{0x7FC0, ref::kInvalid}));
  // Scale is exact: 3 * 2^-20 -> FP16 subnormal grid 2^-24: 48 * 2^-24.
  EXPECT_EQ(ref::ref_quantize(ref::f32_bits(3.0f), f, OutFormat::FP16, Round::RNE, false, -20), (RefResult{0x0030, 0}));
}

TEST(Ref, FastQuantizerMatchesMpfrQuantizer) {
  const uint64_t seed = test_seed(0x12EF0001ull);
  std::mt19937_64 rng(seed);
  const ref::Fp8FastQuantizer r52(Fp8Format::E5M2), r43(Fp8Format::E4M3);
  CaseReport rep("Ref: fast FP8 quantizer vs MPFR quantizer");
  int failures = 0;
  // Every FP8 value and midpoint neighbourhood, plus random binary32.
  std::vector<uint32_t> inputs;
  for (Fp8Format fm : {Fp8Format::E4M3, Fp8Format::E5M2}) {
    const ref::Fp8FastQuantizer& r = fm == Fp8Format::E4M3 ? r43 : r52;
    const std::vector<double>& t = r.table();
    for (size_t i = 0; i + 1 < t.size(); ++i) {
      for (double v : {t[i], 0.5 * (t[i] + t[i + 1]), t[i + 1]}) {
        const uint32_t b = ref::f32_bits(static_cast<float>(v));
        for (int d = -3; d <= 3; ++d) {
          inputs.push_back(b + static_cast<uint32_t>(d));
          inputs.push_back((b + static_cast<uint32_t>(d)) | 0x80000000u);
        }
      }
    }
  }
  for (uint32_t b : {0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7F800001u, 0x00000001u})
    inputs.push_back(b);
  for (int i = 0; i < 150000; ++i) {
    uint32_t b = static_cast<uint32_t>(rng());
    if (i % 2) b = (b & 0x807FFFFFu) | ((100u + static_cast<uint32_t>(rng() % 50)) << 23);
    inputs.push_back(b);
  }
  for (uint32_t b : inputs) {
    for (Round rnd : {Round::RNE, Round::RZ}) {
      for (int o = 0; o < 2; ++o) {
        const OutFormat out = o == 0 ? OutFormat::E5M2 : OutFormat::E4M3;
        const ref::Fp8FastQuantizer::Pair p = (o == 0 ? r52 : r43).quantize_f32(b, rnd);
        for (bool sat : {false, true}) {
          rep.add();
          const RefResult m = ref::ref_quantize(b, ref::kBinary32, out, rnd, sat);
          const RefResult fq = sat ? p.sat : p.nosat;
          if (m != fq && ++failures <= kMaxReported)
            ADD_FAILURE() << "seed 0x" << std::hex << seed << std::dec << " input " << hx(b) << " -> " << name(out)
                          << " " << name(rnd) << " sat=" << sat << ": mpfr " << hx(m.bits, 2) << " ["
                          << ref::flags_str(m.flags) << "] fast " << hx(fq.bits, 2) << " [" << ref::flags_str(fq.flags)
                          << "]";
        }
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

// The primitivity checker against brute force: for every polynomial of
// degree W <= 10 with a constant term, "primitive" must equal "the bit-serial
// LFSR with these taps has period 2^W - 1", and the counts must equal
// phi(2^W - 1) / W.
TEST(Ref, PrimitivityCheckerAgreesWithBruteForcePeriods) {
  const int expected_count[11] = {0, 0, 0, 0, 2, 6, 6, 18, 16, 48, 60};
  CaseReport rep("Ref: primitivity checker vs brute-force LFSR periods, W = 4..10");
  for (int w = 4; w <= 10; ++w) {
    int count = 0;
    for (uint64_t mid = 0; mid < (uint64_t{1} << (w - 1)); ++mid) {
      const uint64_t p = (uint64_t{1} << w) | (mid << 1) | 1u;
      rep.add();
      // Fibonacci register with taps t where bit t of p is set (t = 1..w).
      uint32_t tapmask = 0;
      for (int t = 1; t <= w; ++t)
        if ((p >> t) & 1u) tapmask |= 1u << (t - 1);
      uint32_t s = 1;
      uint64_t period = 0;
      const uint32_t wmask = (1u << w) - 1u;
      do {
        const uint32_t fb = static_cast<uint32_t>(__builtin_parity(s & tapmask));
        s = ((s << 1) | fb) & wmask;
        ++period;
      } while (s != 1 && period <= (uint64_t{1} << w));
      const bool brute = period == (uint64_t{1} << w) - 1;
      EXPECT_EQ(ref::is_primitive_gf2(p), brute) << "W=" << w << " p=0x" << std::hex << p;
      count += brute ? 1 : 0;
    }
    EXPECT_EQ(count, expected_count[w]) << "W=" << w;
  }
  EXPECT_FALSE(ref::is_primitive_gf2(0b10101));  // x^4 + x^2 + 1 = (x^2 + x + 1)^2
  EXPECT_FALSE(ref::is_primitive_gf2(0b11111));  // irreducible, order 5
  EXPECT_TRUE(ref::is_primitive_gf2(0b10011));   // x^4 + x + 1
  EXPECT_EQ(ref::prime_factors(0xFFFFFFFFull), (std::vector<uint64_t>{3, 5, 17, 257, 65537}));
  EXPECT_EQ(ref::prime_factors((1u << 31) - 1u), (std::vector<uint64_t>{2147483647ull}));
}

TEST(Ref, LfsrRefFollowsSpecStepByHand) {
  // W = 4, taps 4,3: fb = s[3] ^ s[2], s = {s[2:0], fb}; from 0001:
  const uint64_t want[] = {2, 4, 9, 3, 6, 13, 10, 5, 11, 7, 15, 14, 12, 8, 1};
  ref::LfsrRef l(4, 1);
  for (uint64_t w : want) {
    l.step();
    EXPECT_EQ(l.state(), w);
  }
  // A draw of R bits is R steps, then the low R bits.
  ref::LfsrRef d(4, 1);
  EXPECT_EQ(d.draw(3), 9u & 7u);   // state 1001 after 3 steps
  EXPECT_EQ(d.draw(3), 13u & 7u);  // state 1101 after 6 steps
  EXPECT_THROW(ref::LfsrRef(4, 0x10), std::invalid_argument);
  EXPECT_THROW(ref::LfsrRef(33, 1), std::invalid_argument);
}

TEST(Ref, TvReaderRejectsMalformedLinesWithLineNumbers) {
  auto parse = [](const std::string& text) {
    std::istringstream in(text);
    return ref::parse_tv(in, "t.tv");
  };
  const auto ok = parse("9EDE38F7 3E7F7F7F 3E7F7F7F 01\n\n  00000000 80000000 00000000 00\r\n");
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok[0].a, 0x9EDE38F7u);
  EXPECT_EQ(ok[0].flags, 0x01);
  EXPECT_EQ(ok[1].line, 3);
  EXPECT_EQ(ok[1].b, 0x80000000u);
  struct Bad {
    const char* text;
    const char* msg;
  };
  for (Bad b : {Bad{"00000000 00000000 00000000\n", "t.tv:1: expected 4 fields"},
                Bad{"\n00000000 00000000 00000000 00 00\n", "t.tv:2: expected 4 fields"},
                Bad{"0000000G 00000000 00000000 00\n", "t.tv:1: field 'a'"},
                Bad{"00000000 0000000 00000000 00\n", "t.tv:1: field 'b'"},
                Bad{"00000000 00000000 000000000 00\n", "t.tv:1: field 'result'"},
                Bad{"00000000 00000000 00000000 1\n", "t.tv:1: field 'flags'"},
                Bad{"00000000 00000000 00000000 20\n", "t.tv:1: flags 0x20"}}) {
    try {
      parse(b.text);
      ADD_FAILURE() << "no error for '" << b.text << "'";
    } catch (const ref::TvError& e) {
      EXPECT_NE(std::string(e.what()).find(b.msg), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(ref::read_tv("/nonexistent/x.tv"), ref::TvError);
  EXPECT_EQ(ref::flags_from_testfloat(0x10), ref::kInvalid);
  EXPECT_EQ(ref::flags_from_testfloat(0x17), 0x0F);
  EXPECT_EQ(ref::flags_from_testfloat(0x08), 0);
}

// ref.hpp documents the MPFR functions as thread-safe when MPFR keeps its
// exponent range per thread; check that, and that two threads rounding into
// different formats at once get the single-threaded answers.
TEST(Ref, MpfrFunctionsAreThreadSafe) {
  ASSERT_TRUE(mpfr_buildopt_tls_p()) << "MPFR built without thread-local storage: do not call the "
                                        "MPFR-based references from several threads";
  std::mt19937_64 rng(7);
  std::vector<uint32_t> xs(20000), ys(20000);
  for (size_t i = 0; i < xs.size(); ++i) {
    xs[i] = static_cast<uint32_t>(rng());
    ys[i] = static_cast<uint32_t>(rng());
  }
  const ref::FloatFormat fa = ref::acc_format(4, 3), fb = ref::kBinary32;
  std::vector<RefResult> want_a, want_b, got_a, got_b;
  for (size_t i = 0; i < xs.size(); ++i) {
    want_a.push_back(ref::ref_add(xs[i] & fa.mask(), ys[i] & fa.mask(), fa, Round::RNE));
    want_b.push_back(ref::ref_add(xs[i], ys[i], fb, Round::RZ));
  }
  std::thread ta([&] {
    for (size_t i = 0; i < xs.size(); ++i) got_a.push_back(ref::ref_add(xs[i] & fa.mask(), ys[i] & fa.mask(), fa, Round::RNE));
  });
  std::thread tb([&] {
    for (size_t i = 0; i < xs.size(); ++i) got_b.push_back(ref::ref_add(xs[i], ys[i], fb, Round::RZ));
  });
  ta.join();
  tb.join();
  EXPECT_TRUE(got_a == want_a);
  EXPECT_TRUE(got_b == want_b);
}

TEST(Ref, VectorsDirComesFromCMakeWithEnvOverride) {
  const char* saved = std::getenv("FP8SA_VECTORS");
  const std::string saved_s = saved ? saved : "";
  setenv("FP8SA_VECTORS", "/nonexistent/fp8sa", 1);
  EXPECT_EQ(ref::vectors_dir(), "/nonexistent/fp8sa");
  EXPECT_EQ(ref::vectors_file("f32_add_rne_l1.tv"), "");
  unsetenv("FP8SA_VECTORS");
  EXPECT_EQ(ref::vectors_dir(), std::string(FP8SA_VECTORS_DIR));
  if (saved) setenv("FP8SA_VECTORS", saved_s.c_str(), 1);
}

}  // namespace
}  // namespace fp8sa::test

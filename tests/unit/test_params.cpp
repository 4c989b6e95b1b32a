// Bad parameters throw std::invalid_argument (numerics.md sections 3-8,
// model headers): accumulator formats out of range, sr_bits, rounding code 3,
// quantizer scale and output codes, LFSR / PE configuration.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "fp8sa/mac_pe.hpp"
#include "fp8sa/numerics.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

// Expects std::invalid_argument whose message contains `word`.
template <typename F>
void expect_invalid(F&& f, const std::string& word, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(word), std::string::npos)
        << what << ": message '" << e.what() << "' does not mention '" << word << "'";
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw a different exception: " << e.what();
  }
}

TEST(Params, AccFormatOutOfRangeThrowsNamingTheField) {
  for (int e : {-1, 0, 3, 9, 16}) {
    expect_invalid([&] { AccFormat{e, 10}.validate(); }, "exp_bits", "AccFormat{" + std::to_string(e) + ",10}");
    expect_invalid([&] { AccAdder(AccFormat{e, 10}, 16); }, "exp_bits", "AccAdder e" + std::to_string(e));
    expect_invalid([&] { Quantizer(AccFormat{e, 10}, 16); }, "exp_bits", "Quantizer e" + std::to_string(e));
  }
  for (int m : {-1, 0, 1, 24, 32}) {
    expect_invalid([&] { AccFormat{8, m}.validate(); }, "man_bits", "AccFormat{8," + std::to_string(m) + "}");
    expect_invalid([&] { AccAdder(AccFormat{8, m}, 16); }, "man_bits", "AccAdder m" + std::to_string(m));
    expect_invalid([&] { Quantizer(AccFormat{8, m}, 16); }, "man_bits", "Quantizer m" + std::to_string(m));
  }
  for (int e = 4; e <= 8; ++e)
    for (int m = 2; m <= 23; ++m) EXPECT_NO_THROW(AccAdder(AccFormat{e, m}, 16)) << "e" << e << "m" << m;
}

TEST(Params, AccFormatParse) {
  EXPECT_EQ(AccFormat::parse("e8m23"), kFp32);
  EXPECT_EQ(AccFormat::parse("E5M10"), (AccFormat{5, 10}));
  EXPECT_EQ(AccFormat::parse("e8m10").name(), "e8m10");
  for (const char* bad : {"e9m23", "e8m24", "e3m10", "e8m1", "e8", "m23", "", "fp32", "e8m23x", "e-8m23"})
    EXPECT_THROW(AccFormat::parse(bad), std::invalid_argument) << "'" << bad << "'";
}

TEST(Params, SrBitsOutOfRangeThrows) {
  for (int r : {-1, 0, 1, 25, 32}) {
    EXPECT_THROW(validate_sr_bits(r), std::invalid_argument) << r;
    EXPECT_THROW(AccAdder(kFp32, r), std::invalid_argument) << r;
    EXPECT_THROW(Quantizer(kFp32, r), std::invalid_argument) << r;
  }
  for (int r : {2, 16, 24}) {
    EXPECT_NO_THROW(validate_sr_bits(r));
    EXPECT_NO_THROW(AccAdder(kFp32, r));
    EXPECT_NO_THROW(Quantizer(kFp32, r));
  }
}

TEST(Params, RoundCode3AndAboveThrows) {
  for (unsigned c : {3u, 4u, 255u}) EXPECT_THROW(round_from_code(c), std::invalid_argument) << c;
  EXPECT_EQ(round_from_code(0), Round::RNE);
  EXPECT_EQ(round_from_code(1), Round::RZ);
  EXPECT_EQ(round_from_code(2), Round::SR);
  const AccAdder add(kFp32, 16);
  const Quantizer q(kFp32, 16);
  const Round bad = static_cast<Round>(3);
  EXPECT_THROW(add.mac(0, 0x38, Fp8Format::E4M3, 0x38, Fp8Format::E4M3, bad, 0), std::invalid_argument);
  EXPECT_THROW(add.add(0x3F800000u, 0x3F800000u, bad, 0), std::invalid_argument);
  EXPECT_THROW(q.quantize(0x3F800000u, OutFormat::E4M3, bad, false, 0, 0), std::invalid_argument);
  EXPECT_THROW(parse_round("rn"), std::invalid_argument);
  EXPECT_THROW(parse_round(""), std::invalid_argument);
  EXPECT_EQ(parse_round("rne"), Round::RNE);
  EXPECT_EQ(parse_round("rz"), Round::RZ);
  EXPECT_EQ(parse_round("rtz"), Round::RZ);
  EXPECT_EQ(parse_round("sr"), Round::SR);
}

TEST(Params, QuantizerScaleAndOutFormatOutOfRangeThrow) {
  const Quantizer q(kFp32, 16);
  for (int s : {-65, 64, -1000, 1000})
    expect_invalid([&] { q.quantize(0x3F800000u, OutFormat::E5M2, Round::RNE, false, s, 0); }, "scale",
                   "scale " + std::to_string(s));
  EXPECT_NO_THROW(q.quantize(0x3F800000u, OutFormat::E5M2, Round::RNE, false, -64, 0));
  EXPECT_NO_THROW(q.quantize(0x3F800000u, OutFormat::E5M2, Round::RNE, false, 63, 0));
  for (unsigned c = 4; c < 8; ++c)
    EXPECT_THROW(q.quantize(0x3F800000u, static_cast<OutFormat>(c), Round::RNE, false, 0, 0),
                 std::invalid_argument)
        << "out_fmt " << c;
  EXPECT_THROW(format_info(static_cast<OutFormat>(4)), std::invalid_argument);
  EXPECT_THROW(parse_out_format("fp8"), std::invalid_argument);
  EXPECT_THROW(parse_out_format(""), std::invalid_argument);
  EXPECT_EQ(parse_out_format("bf16"), OutFormat::BF16);
  EXPECT_EQ(parse_out_format("e4m3"), OutFormat::E4M3);
  EXPECT_THROW(parse_fp8_format("e3m4"), std::invalid_argument);
  EXPECT_EQ(parse_fp8_format("e5m2"), Fp8Format::E5M2);
}

TEST(Params, OutFormatTableMatchesSpec) {
  struct Row {
    OutFormat f;
    int e, m;
    bool inf;
    uint16_t nan;
  };
  for (Row r : {Row{OutFormat::E4M3, 4, 3, false, 0x7F}, Row{OutFormat::E5M2, 5, 2, true, 0x7E},
                Row{OutFormat::FP16, 5, 10, true, 0x7E00}, Row{OutFormat::BF16, 8, 7, true, 0x7FC0}}) {
    const FormatInfo& i = format_info(r.f);
    EXPECT_EQ(i.exp_bits, r.e);
    EXPECT_EQ(i.man_bits, r.m);
    EXPECT_EQ(i.has_inf, r.inf);
    EXPECT_EQ(i.canonical_nan, r.nan);
  }
  EXPECT_EQ(kFp32.canonical_nan(), 0x7FC00000u);
  EXPECT_EQ((AccFormat{5, 10}).canonical_nan(), 0x7E00u);
  EXPECT_EQ((AccFormat{4, 2}).canonical_nan(), 0x3Eu);  // 0.1111.10
}

TEST(Params, MacPeConfigOutOfRangeThrows) {
  auto cfg = [](int w, int r, uint32_t seed) {
    MacPeConfig c;
    c.lfsr_w = w;
    c.sr_bits = r;
    c.seed = seed;
    return c;
  };
  EXPECT_THROW(cfg(3, 2, 1).validate(), std::invalid_argument);
  EXPECT_THROW(cfg(33, 16, 1).validate(), std::invalid_argument);
  EXPECT_THROW(cfg(16, 17, 1).validate(), std::invalid_argument);  // R > W
  EXPECT_THROW(cfg(32, 1, 1).validate(), std::invalid_argument);
  EXPECT_THROW(cfg(32, 25, 1).validate(), std::invalid_argument);
  EXPECT_THROW(cfg(32, 16, 0).validate(), std::invalid_argument);
  EXPECT_THROW(cfg(16, 8, 0x10000).validate(), std::invalid_argument);  // zero low W bits
  EXPECT_THROW(MacPe(cfg(32, 16, 0)), std::invalid_argument);
  MacPeConfig bad_acc;
  bad_acc.acc = AccFormat{9, 23};
  EXPECT_THROW(bad_acc.validate(), std::invalid_argument);
  EXPECT_THROW(MacPe{bad_acc}, std::invalid_argument);
  EXPECT_NO_THROW(MacPe(cfg(16, 8, 0xBEEF)));
  EXPECT_NO_THROW(MacPe(cfg(32, 24, 0xC0FFEE01u)));
}

}  // namespace
}  // namespace fp8sa::test

namespace fp8sa::test {
namespace {

// The format table's derived decoder (reports) against the reference's own
// format definitions: every word of every output format, and raw words.
TEST(FormatTable, OutputWordValueMatchesReferenceDecodeForEveryWord) {
  for (OutFormat f : {OutFormat::E4M3, OutFormat::E5M2, OutFormat::FP16, OutFormat::BF16}) {
    const ref::FloatFormat rf = ref::out_format(f);
    const uint32_t n = 1u << format_info(f).width();
    for (uint32_t w = 0; w < n; ++w) {
      const double got = output_word_value(w, static_cast<OutKind>(f), kFp32), want = ref::decode(w, rf);
      if (std::isnan(want)) {
        ASSERT_TRUE(std::isnan(got)) << format_info(f).name << " " << hx(w, 4);
      } else {
        ASSERT_EQ(got, want) << format_info(f).name << " " << hx(w, 4);
        ASSERT_EQ(std::signbit(got), std::signbit(want)) << format_info(f).name << " " << hx(w, 4);
      }
    }
    EXPECT_EQ(format_info(f).max_finite(), ref::decode(format_info(f).max_finite_bits(), rf)) << format_info(f).name;
  }
  const ref::FloatFormat e5m10 = ref::acc_format(5, 10);
  for (uint32_t w = 0; w < (1u << 16); ++w) {
    const double want = ref::decode(w, e5m10), got = output_word_value(w, OutKind::Raw, AccFormat{5, 10});
    if (std::isnan(want)) ASSERT_TRUE(std::isnan(got)) << hx(w, 4);
    else ASSERT_EQ(got, want) << hx(w, 4);
  }
  EXPECT_EQ(parse_out_kind("FP32"), OutKind::Raw);
  EXPECT_EQ(parse_out_kind("bf16"), OutKind::BF16);
  EXPECT_THROW(parse_out_kind("fp64"), std::invalid_argument);
  EXPECT_EQ(out_kind_bytes(OutKind::E4M3), 1);
  EXPECT_EQ(out_kind_bytes(OutKind::BF16), 2);
  EXPECT_EQ(out_kind_bytes(OutKind::Raw), 4);
}

}  // namespace
}  // namespace fp8sa::test

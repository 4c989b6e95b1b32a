// The Verilated fp8sa_quantizer against exact references: the table-based
// FP8 quantizer (binary search + exact midpoint comparison) for RNE/RZ, and
// the MPFR quantizer for FP16/BF16, SR, scale and a non-binary32 input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "fp8sa/numerics.hpp"
#include "ref.hpp"
#include "rtl_units.hpp"
#include "test_util.hpp"

namespace fp8sa {
namespace {

using test::exp_got;
using test::hx;

constexpr OutFormat kFp8Outs[2] = {OutFormat::E4M3, OutFormat::E5M2};

Fp8Format as_fp8(OutFormat o) { return o == OutFormat::E4M3 ? Fp8Format::E4M3 : Fp8Format::E5M2; }

// Every FP8 grid value, every midpoint, and their binary32 neighbours, both
// signs; plus the overflow edges, zeros, infinities and NaNs.
std::vector<uint32_t> fp8_boundary_inputs(const ref::Fp8FastQuantizer& q) {
  std::vector<uint32_t> v;
  const auto& t = q.table();
  auto add3 = [&](double x) {
    const float f = static_cast<float>(x);
    if (static_cast<double>(f) != x) return;  // every grid point/midpoint is exact in binary32
    for (float g : {std::nextafter(f, -INFINITY), f, std::nextafter(f, INFINITY)}) {
      v.push_back(ref::f32_bits(g));
      v.push_back(ref::f32_bits(-g));
    }
  };
  for (size_t i = 0; i < t.size(); ++i) {
    add3(t[i]);
    if (i + 1 < t.size()) add3((t[i] + t[i + 1]) / 2);
  }
  for (uint32_t s : {0x00000000u, 0x7F800000u, 0x7FC00000u, 0x7F800001u, 0x7F7FFFFFu, 0x00000001u})
    for (uint32_t sign : {0u, 0x80000000u}) v.push_back(s | sign);
  return v;
}

// Random binary32 inputs concentrated where FP8 rounding is interesting.
uint32_t random_input(std::mt19937_64& rng) {
  const unsigned kind = static_cast<unsigned>(rng() % 4);
  if (kind == 0) return static_cast<uint32_t>(rng());
  const uint32_t sign = (rng() & 1) ? 0x80000000u : 0u;
  const uint32_t exp = static_cast<uint32_t>(127 - 22 + static_cast<int>(rng() % 42));  // 2^-22 .. 2^19
  return sign | (exp << 23) | static_cast<uint32_t>(rng() & 0x7FFFFFu);
}

TEST(RtlQuantizer, Fp8RneRzMatchesExactReferenceMillionRandomPlusBoundaries) {
  const uint64_t seed = test::test_seed(0x5EED0101u);
  auto q = rtl::make_quantizer(kFp32);
  int failures = 0;
  for (OutFormat of : kFp8Outs) {
    const ref::Fp8FastQuantizer fq(as_fp8(of));
    std::vector<uint32_t> inputs = fp8_boundary_inputs(fq);
    const size_t nb = inputs.size();
    std::mt19937_64 rng(seed + static_cast<uint64_t>(of));
    for (int i = 0; i < 1'000'000; ++i) inputs.push_back(random_input(rng));
    test::CaseReport rep(std::string("RTL quantizer binary32 -> ") + test::name(of) + ": " +
                         std::to_string(nb) + " boundary + 1,000,000 random inputs x {RNE,RZ} x {sat,nosat}");
    for (uint32_t x : inputs) {
      for (Round rnd : {Round::RNE, Round::RZ}) {
        const ref::Fp8FastQuantizer::Pair e = fq.quantize_f32(x, rnd);
        for (bool sat : {false, true}) {
          const ref::RefResult& er = sat ? e.sat : e.nosat;
          const OpResult g = q->quantize(x, of, rnd, sat);
          rep.add();
          if (g.bits != er.bits || g.flags != er.flags) {
            if (++failures <= test::kMaxReported)
              ADD_FAILURE() << test::name(of) << " " << test::name(rnd) << (sat ? " sat" : " nosat")
                            << " input " << hx(x) << ": " << exp_got(er.bits, er.flags, g.bits, g.flags, 2);
          }
        }
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

void check_against_mpfr(AccFormat in, int n, uint64_t seed, int* failures) {
  auto q = rtl::make_quantizer(in);
  const ref::FloatFormat rf = ref::acc_format(in);
  std::mt19937_64 rng(seed);
  test::CaseReport rep("RTL quantizer " + in.name() + " -> all formats, RNE/RZ/SR, sat, scale vs MPFR");
  for (int i = 0; i < n; ++i) {
    uint32_t x = static_cast<uint32_t>(rng()) & rf.mask();
    if (in == kFp32 && (rng() & 1)) x = random_input(rng);
    const OutFormat of = static_cast<OutFormat>(rng() % 4);
    const Round rnd = static_cast<Round>(rng() % 3);
    const bool sat = rng() & 1;
    const int scale = (rng() % 4 == 0) ? 0 : static_cast<int>(rng() % 128) - 64;
    const uint32_t u = static_cast<uint32_t>(rng()) & 0xFFFFu;
    const ref::RefResult e = ref::ref_quantize(x, rf, of, rnd, sat, scale, u, 16);
    const OpResult g = q->quantize(x, of, rnd, sat, scale, u);
    rep.add();
    if (g.bits != e.bits || g.flags != e.flags) {
      if (++*failures <= test::kMaxReported)
        ADD_FAILURE() << in.name() << " -> " << test::name(of) << " " << test::name(rnd)
                      << (sat ? " sat" : " nosat") << " scale " << scale << " u " << hx(u, 4)
                      << " input " << hx(x) << ": " << exp_got(e.bits, e.flags, g.bits, g.flags, 4);
    }
  }
}

TEST(RtlQuantizer, AllFormatsModesScalesMatchMpfr) {
  const uint64_t seed = test::test_seed(0x5EED0102u);
  int failures = 0;
  check_against_mpfr(kFp32, 300000, seed, &failures);
  check_against_mpfr(AccFormat{5, 10}, 100000, seed + 1, &failures);
  EXPECT_EQ(failures, 0);
}

TEST(RtlQuantizer, ReservedOutputFormatGivesZero) {
  auto q = rtl::make_quantizer(kFp32);
  for (unsigned code = 4; code < 8; ++code) {
    const OpResult g = q->quantize_code(0x3F800000u, code, 0, false, 0, 0);
    EXPECT_EQ(g.bits, 0u) << "out_fmt " << code;
  }
}

}  // namespace
}  // namespace fp8sa

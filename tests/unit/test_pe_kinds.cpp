// The PE kinds (docs/numerics.md section 10) and the SR kinds (section 5) of
// the model against the independent references of tests/ref (pe_ref.cpp,
// round.cpp: exact integer sums in the dot window, MPFR exact sums, MPFR
// rounding with the kinds' k written from the spec; random words from the
// bit-serial ref::LfsrRef with the seed rule of docs/array.md "Seeds"
// written out here). Checked:
//
//   * the worked examples of sections 5 and 10.4 on the model
//     (SrKind.WorkedExamplesModel, PeKinds.WorkedExample*Model);
//   * AccAdder and Quantizer with every SR kind, R in [2, 24], every
//     accumulator width class, random words aimed at the decision edges;
//   * the PE seam (fp8sa::Pe::tile) on random tiles of every kind, DOT_N,
//     window, accumulator, rounding, SR kind and promotion, with special
//     operand codes and init words, and its LFSR advance per tile;
//   * the PE model (MacPe) clocked tile after tile (DOT_N lanes, draws per
//     step or per tile);
//   * gemm_functional (fast and generic paths) and the cycle back-end on
//     random GEMMs (ragged tiles, padded PEs' flags, C_init init words,
//     quantized outputs with the column LFSRs), against a GEMM written from
//     docs/array.md "GEMM tiling" over the reference tiles;
//   * bad PE parameters throw std::invalid_argument.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/backend.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/lfsr.hpp"
#include "fp8sa/mac_pe.hpp"
#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"
#include "gen.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

using ref::RefResult;

constexpr SrKind kKinds[] = {SrKind::Mid, SrKind::Trunc, SrKind::Src};
constexpr Round kRounds[] = {Round::RNE, Round::RZ, Round::SR};

template <class... T>
std::string strf(const char* fmt, T... v) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, v...);
  return buf;
}

const char* kind_name(PeKind k) {
  switch (k) {
    case PeKind::Fma: return "fma";
    case PeKind::Dot: return "dot";
    case PeKind::Exact: return "exact";
  }
  return "PeKind(?)";
}

std::string describe(const PeConfig& c) {
  return strf("%s dot_n %d align %d e%dm%d sr_bits %d sr_kind %s promote %d", kind_name(c.kind), c.dot_n,
              c.align_bits, c.acc.exp_bits, c.acc.man_bits, c.sr_bits, ref::sr_kind_str(c.sr_kind), c.promote_n);
}

std::string codes(const uint8_t* p, ptrdiff_t s, int k) {
  std::string r;
  for (int i = 0; i < k && i < 64; ++i) r += strf(i ? " %02X" : "%02X", p[i * s]);
  if (k > 64) r += " ...";
  return r;
}

// docs/array.md "Seeds": seed(i) = (SEED ^ (i * 0x9E3779B9)) mod 2^W, 1 if 0.
uint32_t spec_seed(uint32_t seed, uint32_t i, int w) {
  const uint32_t m = w >= 32 ? 0xFFFFFFFFu : ((1u << w) - 1u);
  const uint32_t v = (seed ^ (i * 0x9E3779B9u)) & m;
  return v == 0 ? 1u : v;
}

ref::PeRefConfig ref_config(const PeConfig& c) {
  ref::PeRefConfig r;
  r.acc = ref::acc_format(c.acc.exp_bits, c.acc.man_bits);
  r.dot_n = c.dot_n;
  r.align_bits = c.align_bits;
  r.sr_bits = c.sr_bits;
  r.sr_kind = c.sr_kind;
  r.promote_n = c.promote_n;
  return r;
}

// The reference tile of a PE of config c: u holds the tile's draws (one per
// step for fma and dot, one for exact).
RefResult ref_tile(const PeConfig& c, uint32_t init, const uint8_t* a, ptrdiff_t sa, const uint8_t* b, ptrdiff_t sb,
                   int k, Fp8Format fa, Fp8Format fb, Round rnd, const std::vector<uint32_t>& u) {
  const ref::PeRefConfig rc = ref_config(c);
  switch (c.kind) {
    case PeKind::Fma: return ref::ref_fma_tile(rc, init, a, sa, b, sb, k, fa, fb, rnd, u.data());
    case PeKind::Dot: return ref::ref_dot_tile(rc, init, a, sa, b, sb, k, fa, fb, rnd, u.data());
    case PeKind::Exact: return ref::ref_exact_tile(rc, init, a, sa, b, sb, k, fa, fb, rnd, u.at(0));
  }
  throw std::logic_error("bad kind");
}

// The format of the init word (section 10, "Words") and of the result word.
ref::FloatFormat init_fmt(const PeConfig& c) {
  if (c.kind == PeKind::Fma && c.promote_n == 0) return ref::acc_format(c.acc.exp_bits, c.acc.man_bits);
  return ref::kBinary32;
}
ref::FloatFormat result_fmt(const PeConfig& c) {
  if (c.promote_n > 0) return ref::kBinary32;
  return ref::acc_format(c.acc.exp_bits, c.acc.man_bits);
}

PeConfig pe_config(PeKind kind, int dot_n, int align_bits, int e, int m, int sr_bits = 16, SrKind sk = SrKind::Mid,
                   int promote_n = 0) {
  PeConfig c;
  c.kind = kind;
  c.dot_n = dot_n;
  c.align_bits = align_bits;
  c.acc = AccFormat{e, m};
  c.sr_bits = sr_bits;
  c.sr_kind = sk;
  c.promote_n = promote_n;
  return c;
}

OpResult model_tile(const PeConfig& c, uint32_t init, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                    Fp8Format fa, Fp8Format fb, Round rnd) {
  Lfsr l(32, c.sr_bits, 1);
  return Pe(c).tile(init, a.data(), 1, b.data(), 1, a.size(), fa, fb, rnd, &l);
}

std::string res_str(uint32_t bits, uint8_t flags) { return hx(bits) + " [" + ref::flags_str(flags) + "]"; }

// ---------------------------------------------------------------------------
// Worked examples on the model
// ---------------------------------------------------------------------------

TEST(SrKind, WorkedExamplesModel) {
  // numerics.md section 5: e8m2, R = 4, acc = 1.0 (0x1FC).
  struct Row {
    uint8_t a;
    uint32_t u;
    uint32_t result[3];  // mid, trunc, src
  };
  const Row rows[] = {{0x1D, 6, {0x1FD, 0x1FC, 0x1FC}}, {0x1F, 7, {0x1FC, 0x1FC, 0x1FD}}};
  for (const Row& r : rows) {
    for (int i = 0; i < 3; ++i) {
      const OpResult m = AccAdder(AccFormat{8, 2}, 4, kKinds[i]).mac(0x1FC, r.a, Fp8Format::E4M3, 0x38, Fp8Format::E4M3,
                                                                      Round::SR, r.u);
      EXPECT_EQ(m.bits, r.result[i]) << ref::sr_kind_str(kKinds[i]) << " a " << hx(r.a, 2);
      EXPECT_EQ(m.flags, kFlagInexact) << ref::sr_kind_str(kKinds[i]) << " a " << hx(r.a, 2);
      // The same MAC as a 1-product fma tile of the PE seam with that draw.
      const PeConfig c = pe_config(PeKind::Fma, 1, 13, 8, 2, 4, kKinds[i]);
      PeState s;
      PeStep st;
      const uint8_t b = 0x38;
      st.a = &r.a;
      st.b = &b;
      st.rnd = Round::SR;
      st.rand = r.u;
      st.first = true;
      st.last = true;
      st.init = 0x1FC;
      const Pe pe(c);
      pe.step(&s, st);
      const OpResult t = pe.result(s);
      EXPECT_EQ(t.bits, r.result[i]) << "Pe fma " << ref::sr_kind_str(kKinds[i]);
      EXPECT_EQ(t.flags, kFlagInexact);
    }
  }
}

TEST(PeKinds, WorkedExampleAModel) {
  std::vector<uint8_t> a = {0x77, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21};
  std::vector<uint8_t> b = {0x40, 0x29, 0x29, 0x29, 0x29, 0x29, 0x29, 0x29};
  const PeConfig c = pe_config(PeKind::Dot, 8, 13, 8, 13);
  const OpResult r = model_tile(c, 0u, a, b, Fp8Format::E4M3, Fp8Format::E4M3, Round::RZ);
  EXPECT_EQ(r.bits, 0x10FC07u) << res_str(r.bits, r.flags);
  EXPECT_EQ(r.flags, kFlagInexact);
  // The exact sum 480.27685546875 (exact PE, e8m23 RNE).
  const OpResult x = model_tile(pe_config(PeKind::Exact, 8, 13, 8, 23), 0u, a, b, Fp8Format::E4M3, Fp8Format::E4M3,
                                Round::RNE);
  EXPECT_EQ(x.bits, ref::f32_bits(480.27685546875f));
  EXPECT_EQ(x.flags, 0);
  // FMA chain e8m13 RZ: 480.21875 (= 0x10FC07) in this order, 480.25 with the large product last.
  const PeConfig fma = pe_config(PeKind::Fma, 1, 13, 8, 13);
  const ref::FloatFormat e8m13 = ref::acc_format(8, 13);
  EXPECT_EQ(ref::decode(model_tile(fma, 0u, a, b, Fp8Format::E4M3, Fp8Format::E4M3, Round::RZ).bits, e8m13), 480.21875);
  std::rotate(a.begin(), a.begin() + 1, a.end());
  std::rotate(b.begin(), b.begin() + 1, b.end());
  EXPECT_EQ(ref::decode(model_tile(fma, 0u, a, b, Fp8Format::E4M3, Fp8Format::E4M3, Round::RZ).bits, e8m13), 480.25);
  const OpResult r2 = model_tile(c, 0u, a, b, Fp8Format::E4M3, Fp8Format::E4M3, Round::RZ);
  EXPECT_EQ(r2.bits, 0x10FC07u) << "the dot step depends on the order: " << res_str(r2.bits, r2.flags);
  EXPECT_EQ(r2.flags, kFlagInexact);
}

TEST(PeKinds, WorkedExampleBModel) {
  const OpResult r = model_tile(pe_config(PeKind::Dot, 2, 4, 8, 23), 0x3F800000u, {0x3F, 0xB4}, {0x39, 0x2C},
                                Fp8Format::E4M3, Fp8Format::E4M3, Round::RNE);
  EXPECT_EQ(r.bits, 0x40340000u) << res_str(r.bits, r.flags);
  EXPECT_EQ(r.flags, kFlagInexact);
}

TEST(PeKinds, WorkedExampleCModel) {
  const PeConfig c = pe_config(PeKind::Dot, 2, 20, 8, 13);
  const OpResult r = model_tile(c, 0x3F800008u, {0x38, 0x00}, {0x04, 0x00}, Fp8Format::E4M3, Fp8Format::E5M2, Round::RNE);
  EXPECT_EQ(r.bits, 0xFE001u) << res_str(r.bits, r.flags);
  EXPECT_EQ(r.flags, kFlagInexact);
  // A second step from the accumulator word 1.0 (e8m13, 0xFE000) with the
  // same products: the tie goes to even, 1.0 (C_init rounded first).
  const uint8_t a[2] = {0x38, 0x00}, b[2] = {0x04, 0x00}, z[2] = {0x00, 0x00};
  const Pe pe(c);
  PeState s;
  PeStep st;
  st.fa = Fp8Format::E4M3;
  st.fb = Fp8Format::E5M2;
  st.rnd = Round::RNE;
  st.first = true;
  st.init = 0x3F800000u;  // 1.0: the first step makes acc = 1.0 in e8m13
  st.a = z;
  st.b = z;
  pe.step(&s, st);
  EXPECT_EQ(pe.result(s).bits, 0xFE000u);
  st.first = false;
  st.last = true;
  st.a = a;
  st.b = b;
  pe.step(&s, st);
  const OpResult t = pe.result(s);
  EXPECT_EQ(t.bits, 0xFE000u) << res_str(t.bits, t.flags);
  EXPECT_EQ(t.flags, kFlagInexact);
}

TEST(PeKinds, WorkedExampleDModel) {
  const std::vector<uint8_t> a = {0x78, 0x01, 0xF8}, b = {0x78, 0x01, 0x78};
  for (int n : {1, 2, 4, 8, 16, 32, 64}) {
    const OpResult r = model_tile(pe_config(PeKind::Exact, n, 13, 8, 23), 0u, a, b, Fp8Format::E5M2, Fp8Format::E5M2,
                                  Round::RNE);
    EXPECT_EQ(r.bits, 0x2F800000u) << "DOT_N " << n << ": " << res_str(r.bits, r.flags);
    EXPECT_EQ(r.flags, 0) << "DOT_N " << n;
  }
  const OpResult f = model_tile(pe_config(PeKind::Fma, 1, 13, 8, 23), 0u, a, b, Fp8Format::E5M2, Fp8Format::E5M2,
                                Round::RNE);
  EXPECT_EQ(f.bits, 0u);
  EXPECT_EQ(f.flags, kFlagInexact);
}

TEST(PeKinds, WorkedExampleEModel) {
  const PeConfig c = pe_config(PeKind::Dot, 2, 13, 8, 23);
  const Fp8Format E5 = Fp8Format::E5M2;
  struct Case {
    uint32_t init;
    std::vector<uint8_t> a, b;
    uint32_t bits;
    uint8_t flags;
  };
  const Case cases[] = {
      {0u, {0x7C, 0x00}, {0x3C, 0x7C}, 0x7FC00000u, kFlagInvalid},
      {0u, {0x7C, 0xFC}, {0x3C, 0x3C}, 0x7FC00000u, kFlagInvalid},
      {0x3F800000u, {0x7C, 0x3C}, {0x3C, 0x3C}, 0x7F800000u, 0},
      {0x80000000u, {0x80, 0x00}, {0x3C, 0xBC}, 0x80000000u, 0},
  };
  for (const Case& k : cases) {
    const OpResult r = model_tile(c, k.init, k.a, k.b, E5, E5, Round::RNE);
    EXPECT_EQ(r.bits, k.bits) << "a " << codes(k.a.data(), 1, 2) << " b " << codes(k.b.data(), 1, 2) << ": "
                              << res_str(r.bits, r.flags);
    EXPECT_EQ(r.flags, k.flags) << "a " << codes(k.a.data(), 1, 2);
  }
}

TEST(PeKinds, PaddingProductsArePlusZeroModel) {
  // Section 10: products past K are +0 (codes 0x00 x 0x00). With a -0 init
  // word and -0 products, a padded step sums zeros of both signs: +0 (dot:
  // "-0 iff c and every product are -0"; exact: "negz, every product was
  // -0"). Without padding the result is -0. The reference says the same
  // (PeRef.DotSpecialValuesAndZeroSigns, PeRef.ExactTileSpecialValuesAndZeroSigns).
  const Fp8Format E5 = Fp8Format::E5M2;
  for (PeKind k : {PeKind::Dot, PeKind::Exact}) {
    const OpResult padded = model_tile(pe_config(k, 4, 13, 8, 23), 0x80000000u, {0x80, 0x80, 0x80}, {0x3C, 0x3C, 0x3C},
                                       E5, E5, Round::RNE);
    EXPECT_EQ(padded.bits, 0u) << kind_name(k) << " DOT_N 4, K 3";
    EXPECT_EQ(padded.flags, 0) << kind_name(k);
    const OpResult full = model_tile(pe_config(k, 1, 13, 8, 23), 0x80000000u, {0x80, 0x80, 0x80}, {0x3C, 0x3C, 0x3C},
                                     E5, E5, Round::RNE);
    EXPECT_EQ(full.bits, 0x80000000u) << kind_name(k) << " DOT_N 1, K 3";
    EXPECT_EQ(full.flags, 0) << kind_name(k);
  }
}

// ---------------------------------------------------------------------------
// SR kinds in AccAdder and Quantizer
// ---------------------------------------------------------------------------

// A random word at the kind's decision edge (u = k - 1 or k) half of the time.
uint32_t edge_u(std::mt19937_64& rng, mpfr_srcptr x, const ref::FloatFormat& f, int R, SrKind kind) {
  const uint32_t mask = (1u << R) - 1u, r = static_cast<uint32_t>(rng());
  if (!mpfr_regular_p(x) || (rng() & 1u)) return r;
  const uint64_t k = ref::sr_split(x, f, R, kind).k;
  uint64_t u = (rng() & 1u) ? k : (k == 0 ? 0 : k - 1);
  if (u > mask) u = mask;
  return static_cast<uint32_t>(u) | (r & ~mask);  // high bits must be ignored
}

TEST(SrKind, AccAdderMacsAndAddsMatchReferenceEveryKind) {
  const uint64_t seed = test_seed(0x5CA17ull);
  std::mt19937_64 rng(seed);
  const int widths[][2] = {{8, 23}, {8, 13}, {8, 10}, {5, 10}, {6, 5}, {4, 3}, {4, 2}};
  CaseReport rep("SrKind: AccAdder SR mac/add, 3 kinds x 7 widths, R in [2, 24], vs ref_mac/ref_add");
  int failures = 0;
  uint64_t differ_from_mid = 0;
  for (const auto& w : widths) {
    const ref::FloatFormat rf = ref::acc_format(w[0], w[1]);
    AccGen g(rf, rng);
    for (SrKind kind : kKinds) {
      for (int i = 0; i < 30000; ++i) {
        const int R = 2 + static_cast<int>(rng() % 23);
        const AccAdder add(AccFormat{w[0], w[1]}, R, kind);
        const bool is_add = i % 3 == 2;
        uint32_t acc = g.mixed(), y = 0;
        uint8_t a = 0, b = 0;
        Fp8Format fa = Fp8Format::E4M3, fb = Fp8Format::E4M3;
        double xv;
        if (is_add) {
          y = (rng() & 1u) ? g.mixed() : g.step(acc ^ rf.sign_bit(), static_cast<int>(g.below(9)) - 4);
          xv = ref::decode(acc, rf) + ref::decode(y, rf);
        } else {
          const double av = ref::decode(acc, rf);
          const double ulp = std::isfinite(av) && av != 0 ? std::ldexp(1.0, std::max(std::ilogb(av), rf.emin()) - rf.man_bits) : 1.0;
          const ProdRep p = product_near(ulp * std::ldexp(1.0, -static_cast<int>(rng() % 20)) * ((rng() & 1) ? 1 : -1), rng, 4);
          a = p.a;
          b = p.b;
          fa = p.fa;
          fb = p.fb;
          if (rng() % 10 == 0) a = static_cast<uint8_t>(rng());  // anything, specials included
          xv = av + ref::fp8_decode(a, fa) * ref::fp8_decode(b, fb);
        }
        uint32_t u = static_cast<uint32_t>(rng());
        if (std::isfinite(xv) && xv != 0.0) {
          const double av = ref::decode(acc, rf);
          ref::Exact e1(av), e2(is_add ? ref::decode(y, rf) : ref::fp8_decode(a, fa) * ref::fp8_decode(b, fb)), s;
          ref::exact_add(s, e1, e2);
          u = edge_u(rng, s.get(), rf, R, kind);
        }
        rep.add();
        const RefResult want = is_add ? ref::ref_add(acc, y, rf, Round::SR, u, R, kind)
                                      : ref::ref_mac(acc, a, fa, b, fb, rf, Round::SR, u, R, kind);
        if (kind != SrKind::Mid) {
          const RefResult mid = is_add ? ref::ref_add(acc, y, rf, Round::SR, u, R)
                                       : ref::ref_mac(acc, a, fa, b, fb, rf, Round::SR, u, R);
          differ_from_mid += mid != want;
        }
        const OpResult got = is_add ? add.add(acc, y, Round::SR, u) : add.mac(acc, a, fa, b, fb, Round::SR, u);
        if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported)
          ADD_FAILURE() << rf.name() << " SR R=" << R << " " << ref::sr_kind_str(kind) << " "
                        << (is_add ? strf("add(%s, %s)", hx(acc).c_str(), hx(y).c_str())
                                   : strf("mac(acc %s, a %02X %s, b %02X %s)", hx(acc).c_str(), a, name(fa), b, name(fb)))
                        << " u=" << hx(u) << ": " << exp_got(want.bits, want.flags, got.bits, got.flags)
                        << ", FP8SA_SEED=" << hx(static_cast<uint32_t>(seed));
      }
    }
  }
  std::printf("[   INFO   ] %llu trunc/src results differ from mid\n", static_cast<unsigned long long>(differ_from_mid));
  EXPECT_GT(differ_from_mid, 1000u);
  EXPECT_EQ(failures, 0);
}

TEST(SrKind, QuantizerMatchesReferenceEveryKind) {
  const uint64_t seed = test_seed(0x5CA18ull);
  std::mt19937_64 rng(seed);
  const int ins[][2] = {{8, 23}, {8, 13}, {5, 10}, {6, 5}};
  const OutFormat outs[] = {OutFormat::E4M3, OutFormat::E5M2, OutFormat::FP16, OutFormat::BF16};
  CaseReport rep("SrKind: Quantizer SR, 3 kinds x 4 inputs x 4 outputs, sat, scale, R in [2, 24], vs ref_quantize");
  int failures = 0;
  for (const auto& w : ins) {
    const ref::FloatFormat rf = ref::acc_format(w[0], w[1]);
    AccGen g(rf, rng);
    for (SrKind kind : kKinds) {
      for (int i = 0; i < 40000; ++i) {
        const int R = 2 + static_cast<int>(rng() % 23);
        const OutFormat out = outs[rng() % 4];
        const bool sat = (rng() & 1u) != 0;
        const int scale = (rng() % 3 == 0) ? static_cast<int>(rng() % 128) - 64 : 0;
        const uint32_t acc = g.mixed(-30, 20);
        uint32_t u = static_cast<uint32_t>(rng());
        const double v = ref::decode(acc, rf);
        if (std::isfinite(v) && v != 0.0) {
          ref::Exact x(v);
          mpfr_mul_2si(x.get(), x.get(), scale, MPFR_RNDN);
          u = edge_u(rng, x.get(), ref::out_format(out), R, kind);
        }
        rep.add();
        const RefResult want = ref::ref_quantize(acc, rf, out, Round::SR, sat, scale, u, R, kind);
        const OpResult got = Quantizer(AccFormat{w[0], w[1]}, R, kind).quantize(acc, out, Round::SR, sat, scale, u);
        if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported)
          ADD_FAILURE() << rf.name() << " -> " << name(out) << " SR R=" << R << " " << ref::sr_kind_str(kind)
                        << " sat " << sat << " scale " << scale << " acc " << hx(acc) << " u " << hx(u) << ": "
                        << exp_got(want.bits, want.flags, got.bits, got.flags, 4);
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

// ---------------------------------------------------------------------------
// Random tiles
// ---------------------------------------------------------------------------

// Operand data kinds.
enum class Data { Codes, Finite, Specials, Cancel, Tiny, Wide };
constexpr Data kData[] = {Data::Codes, Data::Finite, Data::Specials, Data::Cancel, Data::Tiny, Data::Wide};
const char* data_name(Data d) {
  switch (d) {
    case Data::Codes: return "codes";
    case Data::Finite: return "finite";
    case Data::Specials: return "specials";
    case Data::Cancel: return "cancel";
    case Data::Tiny: return "tiny";
    case Data::Wide: return "wide";
  }
  return "?";
}

uint8_t finite_code(std::mt19937_64& rng, Fp8Format f) {
  for (;;) {
    const uint8_t c = static_cast<uint8_t>(rng());
    if (!ref::fp8_is_nan(c, f) && !ref::fp8_is_inf(c, f)) return c;
  }
}

uint8_t special_code(std::mt19937_64& rng, Fp8Format f) {
  const uint8_t e4[] = {0x7F, 0xFF, 0x00, 0x80, 0x7E, 0xFE, 0x01, 0x81};
  const uint8_t e5[] = {0x7C, 0xFC, 0x7D, 0xFE, 0x00, 0x80, 0x7B, 0xFB, 0x01, 0x81};
  return f == Fp8Format::E4M3 ? e4[rng() % 8] : e5[rng() % 10];
}

// k operands of each side; a[i] and b[i] for the i-th product.
void make_operands(std::mt19937_64& rng, Data d, int k, Fp8Format fa, Fp8Format fb, std::vector<uint8_t>* a,
                   std::vector<uint8_t>* b) {
  a->resize(static_cast<size_t>(k));
  b->resize(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) {
    uint8_t x = finite_code(rng, fa), y = finite_code(rng, fb);
    switch (d) {
      case Data::Codes:
        x = static_cast<uint8_t>(rng());
        y = static_cast<uint8_t>(rng());
        break;
      case Data::Finite: break;
      case Data::Specials:
        if (rng() % 8 == 0) x = special_code(rng, fa);
        if (rng() % 8 == 0) y = special_code(rng, fb);
        break;
      case Data::Cancel:  // every other product the negation of the one before
        if (i % 2 == 1 && rng() % 16 != 0) {
          x = static_cast<uint8_t>((*a)[static_cast<size_t>(i - 1)] ^ 0x80u);
          y = (*b)[static_cast<size_t>(i - 1)];
        }
        break;
      case Data::Tiny:  // small magnitudes: subnormal sums in narrow accumulators
        x = static_cast<uint8_t>((rng() & 0x80u) | (rng() % 0x20u));
        y = static_cast<uint8_t>((rng() & 0x80u) | (rng() % 0x30u));
        break;
      case Data::Wide:  // one large product per step and many small ones: truncation in the window
        if (rng() % 6 == 0) {
          x = static_cast<uint8_t>((rng() & 0x80u) | (0x60u + rng() % 0x10u));
          y = static_cast<uint8_t>(0x50u + rng() % 0x10u);
        } else {
          x = static_cast<uint8_t>((rng() & 0x80u) | (rng() % 0x30u));
        }
        if (ref::fp8_is_nan(x, fa) || ref::fp8_is_inf(x, fa)) x = 0x38;
        if (ref::fp8_is_nan(y, fb) || ref::fp8_is_inf(y, fb)) y = 0x38;
        break;
    }
    (*a)[static_cast<size_t>(i)] = x;
    (*b)[static_cast<size_t>(i)] = y;
  }
}

// An init word of format f (binary32 or eXmY), with specials sometimes.
uint32_t make_init(std::mt19937_64& rng, const ref::FloatFormat& f, bool specials) {
  AccGen g(f, rng);
  const uint64_t r = rng() % 16;
  if (r == 0) return 0u;
  if (r == 1) return f.sign_bit();
  if (specials && r == 2) return g.special();
  if (r == 3) return g.mixed();
  if (f.exp_bits == 8 && f.man_bits == 23) {
    // moderate magnitudes with a full 24-bit significand
    return static_cast<uint32_t>((rng() & 1u) << 31) | ((110u + static_cast<uint32_t>(rng() % 40)) << 23) |
           static_cast<uint32_t>(rng() & 0x7FFFFFu);
  }
  return g.around(-12, 12);
}

PeConfig random_pe_config(std::mt19937_64& rng) {
  PeConfig c;
  c.kind = static_cast<PeKind>(rng() % 3);
  c.dot_n = c.kind == PeKind::Fma ? 1 : 1 << (rng() % 7);
  const int aligns[] = {1, 2, 4, 8, 13, 20, 24, 31, 40, 48};
  c.align_bits = aligns[rng() % 10];
  const AccFormat accs[] = {{8, 23}, {8, 13}, {8, 10}, {8, 2}, {5, 10}, {6, 5}, {4, 3}, {4, 2}};
  c.acc = accs[rng() % 8];
  c.sr_bits = 2 + static_cast<int>(rng() % 23);
  c.sr_kind = kKinds[rng() % 3];
  if (c.kind != PeKind::Exact && rng() % 3 == 0) {
    c.promote_n = c.dot_n * (1 + static_cast<int>(rng() % 5));
    if (c.promote_n < 2) c.promote_n = 2 + static_cast<int>(rng() % 6);
  }
  return c;
}

int random_k(std::mt19937_64& rng, int dot_n) {
  switch (rng() % 6) {
    case 0: return 1;
    case 1: return std::max(1, dot_n - 1);
    case 2: return dot_n;
    case 3: return dot_n + 1;
    case 4: return 1 + static_cast<int>(rng() % 600);
    default: return 1 + static_cast<int>(rng() % 80);
  }
}

TEST(PeKinds, PeTileMatchesReference) {
  const uint64_t seed = test_seed(0x9E17ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("PeKinds: Pe::tile (fma, dot, exact) vs ref tiles (products)");
  int failures = 0;
  uint64_t tiles[3] = {0, 0, 0}, flag_count[4] = {0, 0, 0, 0};
  for (int t = 0; t < 30000; ++t) {
    const PeConfig c = random_pe_config(rng);
    const Round rnd = kRounds[rng() % 3];
    const Fp8Format fa = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    const Fp8Format fb = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    const Data d = kData[rng() % 6];
    const int K = random_k(rng, c.dot_n);
    std::vector<uint8_t> a, b;
    make_operands(rng, d, K, fa, fb, &a, &b);
    const uint32_t init = make_init(rng, init_fmt(c), d == Data::Specials || d == Data::Codes);
    const uint32_t lseed = static_cast<uint32_t>(rng()) | 1u;
    ref::LfsrRef rl(32, lseed);
    std::vector<uint32_t> u(static_cast<size_t>(c.draws_per_tile(static_cast<uint64_t>(K))));
    for (auto& x : u) x = rl.draw(c.sr_bits);
    rep.add(static_cast<uint64_t>(K));
    ++tiles[static_cast<int>(c.kind)];
    const RefResult want = ref_tile(c, init, a.data(), 1, b.data(), 1, K, fa, fb, rnd, u);
    for (int i = 0; i < 4; ++i) flag_count[i] += (want.flags >> i) & 1u;
    Lfsr ml(32, c.sr_bits, lseed);
    OpResult got{0, 0};
    std::string err;
    try {
      got = Pe(c).tile(init, a.data(), 1, b.data(), 1, static_cast<size_t>(K), fa, fb, rnd, &ml);
    } catch (const std::exception& e) {
      err = e.what();
    }
    const bool bad = !err.empty() || got.bits != want.bits || got.flags != want.flags ||
                     ml.state() != static_cast<uint32_t>(rl.state());
    if (bad && ++failures <= kMaxReported)
      ADD_FAILURE() << describe(c) << " " << name(rnd) << " K=" << K << " " << name(fa) << "x" << name(fb) << " data "
                    << data_name(d) << " init " << hx(init) << " lfsr seed " << hx(lseed) << "\n  a " << codes(a.data(), 1, K)
                    << "\n  b " << codes(b.data(), 1, K) << "\n  " << (err.empty() ? "" : "threw: " + err + "; ")
                    << exp_got(want.bits, want.flags, got.bits, got.flags) << "; lfsr state ref "
                    << hx(static_cast<uint32_t>(rl.state())) << " model " << hx(ml.state())
                    << ", FP8SA_SEED=" << hx(static_cast<uint32_t>(seed));
  }
  std::printf("[   INFO   ] tiles fma %llu, dot %llu, exact %llu; flags in the expected results: inexact %llu, "
              "underflow %llu, overflow %llu, invalid %llu\n",
              static_cast<unsigned long long>(tiles[0]), static_cast<unsigned long long>(tiles[1]),
              static_cast<unsigned long long>(tiles[2]), static_cast<unsigned long long>(flag_count[0]),
              static_cast<unsigned long long>(flag_count[1]), static_cast<unsigned long long>(flag_count[2]),
              static_cast<unsigned long long>(flag_count[3]));
  for (uint64_t n : flag_count) EXPECT_GT(n, 0u);
  EXPECT_EQ(failures, 0);
}

TEST(PeKinds, PresetsMatchReference) {
  // The presets' parameter sets (h100-fp8, ada-fp8, b200-fp8, exact) on
  // long tiles of random finite E4M3 and E5M2 codes, K up to 4096.
  const uint64_t seed = test_seed(0x9E18ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("PeKinds: presets h100/ada/b200/exact, Pe::tile vs ref (products)");
  const PeConfig presets[] = {pe_config(PeKind::Dot, 32, 13, 8, 13), pe_config(PeKind::Dot, 16, 13, 8, 13),
                              pe_config(PeKind::Dot, 32, 31, 8, 23), pe_config(PeKind::Exact, 1, 13, 8, 23)};
  const Round rnds[] = {Round::RZ, Round::RZ, Round::RNE, Round::RNE};
  int failures = 0;
  for (int t = 0; t < 160; ++t) {
    const int p = t % 4;
    const PeConfig& c = presets[p];
    const Fp8Format f = (t / 4) % 2 ? Fp8Format::E5M2 : Fp8Format::E4M3;
    const int K = t < 8 ? 4096 : 1 + static_cast<int>(rng() % 1024);
    std::vector<uint8_t> a, b;
    make_operands(rng, (t / 8) % 2 ? Data::Finite : Data::Wide, K, f, f, &a, &b);
    const uint32_t init = (t % 3 == 0) ? 0u : make_init(rng, ref::kBinary32, false);
    const std::vector<uint32_t> u(static_cast<size_t>(c.draws_per_tile(static_cast<uint64_t>(K))), 0u);
    const RefResult want = ref_tile(c, init, a.data(), 1, b.data(), 1, K, f, f, rnds[p], u);
    const OpResult got = Pe(c).tile(init, a.data(), 1, b.data(), 1, static_cast<size_t>(K), f, f, rnds[p], nullptr);
    rep.add(static_cast<uint64_t>(K));
    if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported)
      ADD_FAILURE() << describe(c) << " " << name(rnds[p]) << " " << name(f) << " K=" << K << " init " << hx(init)
                    << ": " << exp_got(want.bits, want.flags, got.bits, got.flags);
  }
  EXPECT_EQ(failures, 0);
}

TEST(PeKinds, ExtremeTilesMatchReference) {
  // The widest sums the spec bounds: the exact PE's 81-bit accumulator with
  // K = 65,535 of the largest products (57344^2, |X| just below 2^80 units
  // of 2^-32), with and without cancellation down to a 2^-32 product; the
  // dot step's integer sum with DOT_N 64, ALIGN_BITS 48, every product's
  // significand near 4 and c's near 2 (|S| near (4N + 2) * 2^48 units).
  const uint64_t seed = test_seed(0x9E1Bull);
  std::mt19937_64 rng(seed);
  const Fp8Format E5 = Fp8Format::E5M2, E4 = Fp8Format::E4M3;
  int failures = 0;
  auto check = [&](const PeConfig& c, uint32_t init, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                   Fp8Format fa, Fp8Format fb, Round rnd, const char* what) {
    const int K = static_cast<int>(a.size());
    std::vector<uint32_t> u(static_cast<size_t>(c.draws_per_tile(static_cast<uint64_t>(K))));
    ref::LfsrRef rl(32, 0x1234567u);
    for (auto& x : u) x = rl.draw(c.sr_bits);
    Lfsr ml(32, c.sr_bits, 0x1234567u);
    const RefResult want = ref_tile(c, init, a.data(), 1, b.data(), 1, K, fa, fb, rnd, u);
    const OpResult got = Pe(c).tile(init, a.data(), 1, b.data(), 1, static_cast<size_t>(K), fa, fb, rnd, &ml);
    if ((got.bits != want.bits || got.flags != want.flags) && ++failures <= kMaxReported)
      ADD_FAILURE() << what << ": " << describe(c) << " " << name(rnd) << " K=" << K << " init " << hx(init) << ": "
                    << exp_got(want.bits, want.flags, got.bits, got.flags);
  };
  const int K = 65535;
  for (const AccFormat acc : {AccFormat{8, 23}, AccFormat{8, 13}, AccFormat{5, 10}}) {
    for (const Round rnd : kRounds) {
      for (const SrKind sk : kKinds) {
        if (rnd != Round::SR && sk != SrKind::Mid) continue;
        const PeConfig c = pe_config(PeKind::Exact, 64, 13, acc.exp_bits, acc.man_bits, 2 + static_cast<int>(rng() % 23), sk);
        std::vector<uint8_t> a(K, 0x7B), b(K, 0x7B);
        check(c, 0u, a, b, E5, E5, rnd, "exact: 65535 x +57344^2");
        for (auto& x : a) x = 0xFB;
        a[0] = 0x01;  // one 2^-16 * 57344 product among the negatives
        check(c, 0x7F7FFFFFu, a, b, E5, E5, rnd, "exact: max binary32 init - 65534 x 57344^2");
        for (int i = 0; i < K; ++i) a[static_cast<size_t>(i)] = i % 2 ? 0xFB : 0x7B;
        a[K - 1] = 0x01;
        b[K - 1] = 0x01;  // +-57344^2 cancel in pairs, the last product is 2^-32
        check(c, 0u, a, b, E5, E5, rnd, "exact: cancelling pairs + 2^-32");
        check(c, 0x80000001u, a, b, E5, E5, rnd, "exact: cancelling pairs + 2^-32 - 2^-149");
      }
    }
  }
  for (const int align : {48, 47, 31, 13}) {
    for (const Round rnd : kRounds) {
      const PeConfig c = pe_config(PeKind::Dot, 64, align, 8, 23, 2 + static_cast<int>(rng() % 23), kKinds[rng() % 3]);
      for (int t = 0; t < 20; ++t) {
        const int k = 64 * (1 + static_cast<int>(rng() % 3));
        std::vector<uint8_t> a(static_cast<size_t>(k)), b(static_cast<size_t>(k));
        const bool e5 = t % 2 == 0;
        for (int i = 0; i < k; ++i) {
          // significands 1.75 * 1.75 (0x7E / 0x7B: the largest) or 1.75 * 1.5, same sign mostly
          a[static_cast<size_t>(i)] = static_cast<uint8_t>((e5 ? 0x7B : 0x7E) | (rng() % 16 == 0 ? 0x80 : 0));
          b[static_cast<size_t>(i)] = static_cast<uint8_t>((e5 ? 0x7A : 0x7D) + (rng() % 2));
          if (rng() % 8 == 0) a[static_cast<size_t>(i)] = static_cast<uint8_t>(rng() % 0x30);  // small products, truncated
        }
        // c with the products' exponent (e5: 30, e4: 16) and a full significand near 2
        const uint32_t e = e5 ? 127 + 30 : 127 + 16;
        const uint32_t init = (e << 23) | (0x7FFFFFu - static_cast<uint32_t>(rng() % 1024)) | (rng() % 4 == 0 ? 0x80000000u : 0);
        check(c, init, a, b, e5 ? E5 : E4, e5 ? E5 : E4, rnd, "dot: DOT_N 64, the largest significands");
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(PeKinds, MacPeTilesMatchReference) {
  // The PE model clocked step by step: clr with the first step, last with
  // the last, tiles back to back (the LFSR runs on), DOT_N lanes.
  const uint64_t seed = test_seed(0x9E19ull);
  std::mt19937_64 rng(seed);
  CaseReport rep("PeKinds: MacPe tiles vs ref tiles with LfsrRef draws (tiles)");
  int failures = 0;
  for (int cfg_i = 0; cfg_i < 400; ++cfg_i) {
    const PeConfig c = random_pe_config(rng);
    MacPeConfig mc;
    mc.acc = c.acc;
    mc.sr_bits = c.sr_bits;
    mc.lfsr_w = std::max(c.sr_bits, 4 + static_cast<int>(rng() % 29));
    mc.seed = spec_seed(static_cast<uint32_t>(rng()), 1, mc.lfsr_w);
    mc.promote_n = c.promote_n;
    mc.kind = c.kind;
    mc.dot_n = c.dot_n;
    mc.align_bits = c.align_bits;
    mc.sr_kind = c.sr_kind;
    MacPe pe(mc);
    ref::LfsrRef rl(mc.lfsr_w, mc.seed);
    const Fp8Format fa = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    const Fp8Format fb = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    for (int tile = 0; tile < 5; ++tile) {
      const Round rnd = kRounds[rng() % 3];
      const Data d = kData[rng() % 6];
      const int K = 1 + static_cast<int>(rng() % 150);
      std::vector<uint8_t> a, b;
      make_operands(rng, d, K, fa, fb, &a, &b);
      const uint32_t init = make_init(rng, init_fmt(c), true);
      const int steps = (K + c.dot_n - 1) / c.dot_n;
      std::vector<uint32_t> u(static_cast<size_t>(c.draws_per_tile(static_cast<uint64_t>(K))));
      for (auto& x : u) x = rl.draw(c.sr_bits);
      const RefResult want = ref_tile(c, init, a.data(), 1, b.data(), 1, K, fa, fb, rnd, u);
      std::vector<uint8_t> la(static_cast<size_t>(c.dot_n)), lb(static_cast<size_t>(c.dot_n));
      for (int j = 0; j < steps; ++j) {
        for (int i = 0; i < c.dot_n; ++i) {
          const int idx = j * c.dot_n + i;
          la[static_cast<size_t>(i)] = idx < K ? a[static_cast<size_t>(idx)] : uint8_t{0};
          lb[static_cast<size_t>(i)] = idx < K ? b[static_cast<size_t>(idx)] : uint8_t{0};
        }
        MacPeInputs in;
        in.en = true;
        in.clr = j == 0;
        in.last = j == steps - 1;
        in.init = init;
        in.fmt_a = fa;
        in.fmt_b = fb;
        in.rnd = rnd;
        if (c.dot_n == 1) {
          in.a = la[0];
          in.b = lb[0];
        } else {
          in.a_lanes = la.data();
          in.b_lanes = lb.data();
        }
        pe.clock(in);
      }
      if (rng() & 1) pe.clock(MacPeInputs{});  // an idle edge keeps the result
      rep.add();
      if ((pe.acc() != want.bits || pe.flags() != want.flags) && ++failures <= kMaxReported)
        ADD_FAILURE() << describe(c) << " lfsr_w " << mc.lfsr_w << " seed " << hx(mc.seed) << ", tile " << tile << " "
                      << name(rnd) << " K=" << K << " data " << data_name(d) << " init " << hx(init) << ": "
                      << exp_got(want.bits, want.flags, pe.acc(), pe.flags());
    }
  }
  EXPECT_EQ(failures, 0);
}

// ---------------------------------------------------------------------------
// GEMMs
// ---------------------------------------------------------------------------

struct GemmRef {
  std::vector<uint32_t> out;
  std::vector<uint8_t> tile_flags;
};

// docs/array.md "GEMM tiling" over the reference tiles: every PE of every
// tile (padded ones included), its LFSR (seed(1 + r*C + c)) running on from
// tile to tile, draws_per_tile draws per tile; each row of every tile
// through every column's quantizer (seed(1 + R*C + c), one draw per row
// load, whatever the output format), flags ORed into the tile's.
GemmRef ref_gemm(const GemmProblem& p, const ArrayConfig& cfg) {
  const PeConfig c = cfg.pe();
  const int R = cfg.rows, C = cfg.cols, tm = (p.M + R - 1) / R, tn = (p.N + C - 1) / C;
  std::vector<ref::LfsrRef> pl, ql;
  for (int i = 0; i < R * C; ++i) pl.emplace_back(cfg.lfsr_w, spec_seed(cfg.seed, static_cast<uint32_t>(1 + i), cfg.lfsr_w));
  for (int i = 0; i < C; ++i)
    ql.emplace_back(cfg.lfsr_w, spec_seed(cfg.seed, static_cast<uint32_t>(1 + R * C + i), cfg.lfsr_w));
  const std::vector<uint8_t> zeros(static_cast<size_t>(p.K), 0u);
  const ref::FloatFormat rf = result_fmt(c);
  const uint32_t init_mask = init_fmt(c).mask();
  GemmRef g;
  g.out.assign(static_cast<size_t>(p.M) * static_cast<size_t>(p.N), 0u);
  g.tile_flags.assign(static_cast<size_t>(tm) * static_cast<size_t>(tn), 0u);
  std::vector<uint32_t> words(static_cast<size_t>(R * C));
  for (int ti = 0; ti < tm; ++ti) {
    for (int tj = 0; tj < tn; ++tj) {
      uint8_t f = 0;
      for (int r = 0; r < R; ++r) {
        for (int cc = 0; cc < C; ++cc) {
          const int m = ti * R + r, n = tj * C + cc;
          const bool row = m < p.M, col = n < p.N;
          const uint8_t* a = row ? p.A + static_cast<size_t>(m) * p.K : zeros.data();
          const uint8_t* b = col ? p.B + n : zeros.data();
          const uint32_t init = (row && col && p.C_init) ? (p.C_init[static_cast<size_t>(m) * p.N + n] & init_mask) : 0u;
          std::vector<uint32_t> u(static_cast<size_t>(c.draws_per_tile(static_cast<uint64_t>(p.K))));
          for (auto& x : u) x = pl[static_cast<size_t>(r * C + cc)].draw(cfg.sr_bits);
          const RefResult res = ref_tile(c, init, a, 1, b, col ? p.N : 1, p.K, p.fmt_a, p.fmt_b, p.rnd, u);
          words[static_cast<size_t>(r * C + cc)] = res.bits;
          f = static_cast<uint8_t>(f | res.flags);
        }
      }
      for (int r = 0; r < R; ++r) {
        for (int cc = 0; cc < C; ++cc) {
          const uint32_t qu = ql[static_cast<size_t>(cc)].draw(cfg.q_sr_bits);
          uint32_t w = words[static_cast<size_t>(r * C + cc)];
          if (p.out_fmt != OutKind::Raw) {
            const RefResult q = ref::ref_quantize(w, rf, static_cast<OutFormat>(p.out_fmt), p.out_rnd, p.sat, p.scale, qu,
                                                  cfg.q_sr_bits, cfg.sr_kind);
            w = q.bits;
            f = static_cast<uint8_t>(f | q.flags);
          }
          const int m = ti * R + r, n = tj * C + cc;
          if (m < p.M && n < p.N) g.out[static_cast<size_t>(m) * p.N + n] = w;
        }
      }
      g.tile_flags[static_cast<size_t>(ti) * tn + tj] = f;
    }
  }
  return g;
}

ArrayConfig random_array_config(std::mt19937_64& rng) {
  ArrayConfig a;
  a.rows = 1 + static_cast<int>(rng() % 5);
  a.cols = 1 + static_cast<int>(rng() % 5);
  const PeConfig c = random_pe_config(rng);
  a.pe_kind = c.kind;
  a.dot_n = c.dot_n;
  a.align_bits = c.align_bits;
  a.acc = c.acc;
  a.sr_bits = c.sr_bits;
  a.sr_kind = c.sr_kind;
  a.promote_n = c.promote_n;
  a.q_sr_bits = 2 + static_cast<int>(rng() % 23);
  a.lfsr_w = std::max({a.sr_bits, a.q_sr_bits, 4}) + static_cast<int>(rng() % 9);
  if (a.lfsr_w > 32) a.lfsr_w = 32;
  a.seed = static_cast<uint32_t>(rng()) | 1u;
  return a;
}

std::string describe(const ArrayConfig& a) {
  return strf("%dx%d ", a.rows, a.cols) + describe(a.pe()) + strf(" q_sr_bits %d lfsr_w %d seed %s", a.q_sr_bits,
                                                                   a.lfsr_w, hx(a.seed).c_str());
}

TEST(PeKinds, GemmFunctionalAndCycleMatchReference) {
  const uint64_t seed = test_seed(0x9E1Aull);
  std::mt19937_64 rng(seed);
  CaseReport rep("PeKinds: gemm_functional (fast, generic) and cycle back-end vs the reference GEMM (PE MACs)");
  const OutKind outs[] = {OutKind::Raw, OutKind::Raw, OutKind::E4M3, OutKind::E5M2, OutKind::FP16, OutKind::BF16};
  int failures = 0, quantized = 0;
  for (int g = 0; g < 400; ++g) {
    const ArrayConfig cfg = random_array_config(rng);
    const Data d = kData[rng() % 6];
    const int M = 1 + static_cast<int>(rng() % 11), N = 1 + static_cast<int>(rng() % 11);
    const int K = (g % 10 == 0) ? 1 + static_cast<int>(rng() % 1000) : random_k(rng, cfg.dot_n) % 200 + 1;
    GemmProblem p;
    p.M = M;
    p.K = K;
    p.N = N;
    p.fmt_a = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    p.fmt_b = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
    p.rnd = kRounds[rng() % 3];
    p.out_fmt = outs[rng() % 6];
    p.out_rnd = kRounds[rng() % 3];
    p.sat = (rng() & 1) != 0;
    p.scale = (rng() % 3 == 0) ? static_cast<int>(rng() % 21) - 10 : 0;
    quantized += p.out_fmt != OutKind::Raw;
    // A (M rows of K codes) and B (K rows of N codes) from the data kind;
    // for Cancel, A's odd k negate the even k before them and B's odd rows
    // repeat the even rows, so that products cancel in pairs along k.
    std::vector<uint8_t> A, B, unused;
    make_operands(rng, d, M * K, p.fmt_a, p.fmt_b, &A, &unused);
    make_operands(rng, d == Data::Cancel ? Data::Finite : d, K * N, p.fmt_b, p.fmt_a, &B, &unused);
    if (d == Data::Cancel) {
      for (int m = 0; m < M; ++m)
        for (int k = 1; k < K; k += 2)
          if (rng() % 16 != 0) A[static_cast<size_t>(m) * K + k] = A[static_cast<size_t>(m) * K + k - 1] ^ 0x80u;
      for (int k = 1; k < K; k += 2)
        for (int n = 0; n < N; ++n) B[static_cast<size_t>(k) * N + n] = B[static_cast<size_t>(k - 1) * N + n];
    }
    std::vector<uint32_t> Cw;
    if (rng() & 1) {
      const ref::FloatFormat f = init_fmt(cfg.pe());
      Cw.resize(static_cast<size_t>(M) * N);
      for (auto& w : Cw) w = make_init(rng, f, d == Data::Specials || d == Data::Codes);
    }
    p.A = A.data();
    p.B = B.data();
    p.C_init = Cw.empty() ? nullptr : Cw.data();
    const GemmRef want = ref_gemm(p, cfg);
    const std::string what = describe(cfg) + strf(", %dx%dx%d %s x %s %s data %s%s out %s %s sat %d scale %d", M, K, N,
                                                  name(p.fmt_a), name(p.fmt_b), name(p.rnd), data_name(d),
                                                  Cw.empty() ? "" : " +C", out_kind_name(p.out_fmt), name(p.out_rnd),
                                                  p.sat ? 1 : 0, p.scale) +
                             ", FP8SA_SEED=" + hx(static_cast<uint32_t>(seed));
    auto check = [&](const std::vector<uint32_t>& out, const std::vector<uint8_t>& tf, const char* engine) {
      for (size_t i = 0; i < want.out.size(); ++i) {
        if (out[i] != want.out[i]) {
          if (++failures <= kMaxReported)
            ADD_FAILURE() << engine << ": " << what << ": C[" << i / N << "][" << i % N << "] expected "
                          << hx(want.out[i]) << " got " << hx(out[i]);
          return;
        }
      }
      for (size_t t = 0; t < want.tile_flags.size(); ++t) {
        if (tf[t] != want.tile_flags[t]) {
          if (++failures <= kMaxReported)
            ADD_FAILURE() << engine << ": " << what << ": tile " << t << " flags expected "
                          << ref::flags_str(want.tile_flags[t]) << " got " << ref::flags_str(tf[t]);
          return;
        }
      }
    };
    for (const bool fast : {true, false}) {
      GemmOutput o;
      GemmOptions go;
      go.allow_fast = fast;
      go.threads = 1;
      gemm_functional(p, cfg, &o, go);
      check(o.out, o.tile_flags, fast ? "functional" : "functional generic");
    }
    if (g % 3 == 0) {
      const GemmRun cr = make_model_backend("cycle", cfg)->run(p);
      check(cr.out.out, cr.out.tile_flags, "cycle");
    }
    rep.add(static_cast<uint64_t>(((M + cfg.rows - 1) / cfg.rows) * cfg.rows) *
            static_cast<uint64_t>(((N + cfg.cols - 1) / cfg.cols) * cfg.cols) * static_cast<uint64_t>(K));
  }
  EXPECT_GT(quantized, 20);
  EXPECT_EQ(failures, 0);
}

// ---------------------------------------------------------------------------
// Bad parameters
// ---------------------------------------------------------------------------

TEST(PeKinds, BadParametersThrowInvalidArgument) {
  struct Bad {
    const char* what;
    PeConfig c;
  };
  const Bad bads[] = {
      {"dot_n 3", pe_config(PeKind::Dot, 3, 13, 8, 23)},
      {"dot_n 0", pe_config(PeKind::Dot, 0, 13, 8, 23)},
      {"dot_n 128", pe_config(PeKind::Dot, 128, 13, 8, 23)},
      {"exact dot_n 6", pe_config(PeKind::Exact, 6, 13, 8, 23)},
      {"align_bits 0", pe_config(PeKind::Dot, 4, 0, 8, 23)},
      {"align_bits 49", pe_config(PeKind::Dot, 4, 49, 8, 23)},
      {"fma with dot_n 2", pe_config(PeKind::Fma, 2, 13, 8, 23)},
      {"exact with promote_n 4", pe_config(PeKind::Exact, 4, 13, 8, 23, 16, SrKind::Mid, 4)},
      {"promote_n 6 with dot_n 4", pe_config(PeKind::Dot, 4, 13, 8, 23, 16, SrKind::Mid, 6)},
      {"promote_n 1", pe_config(PeKind::Dot, 1, 13, 8, 23, 16, SrKind::Mid, 1)},
      {"sr_kind 3", pe_config(PeKind::Dot, 4, 13, 8, 23, 16, static_cast<SrKind>(3))},
      {"sr_bits 25", pe_config(PeKind::Dot, 4, 13, 8, 23, 25)},
      {"acc e8m24", pe_config(PeKind::Exact, 4, 13, 8, 24)},
  };
  for (const Bad& b : bads) {
    EXPECT_THROW(b.c.validate(), std::invalid_argument) << b.what;
    EXPECT_THROW(Pe{b.c}, std::invalid_argument) << b.what;
    ArrayConfig a;
    a.pe_kind = b.c.kind;
    a.dot_n = b.c.dot_n;
    a.align_bits = b.c.align_bits;
    a.acc = b.c.acc;
    a.sr_bits = b.c.sr_bits;
    a.sr_kind = b.c.sr_kind;
    a.promote_n = b.c.promote_n;
    EXPECT_THROW(a.validate(), std::invalid_argument) << "array: " << b.what;
    GemmProblem p;
    const uint8_t z[1] = {0};
    p.M = p.N = p.K = 1;
    p.A = p.B = z;
    GemmOutput o;
    EXPECT_THROW(gemm_functional(p, a, &o), std::invalid_argument) << "gemm_functional: " << b.what;
    MacPeConfig m;
    m.acc = b.c.acc;
    m.sr_bits = b.c.sr_bits;
    m.promote_n = b.c.promote_n;
    m.kind = b.c.kind;
    m.dot_n = b.c.dot_n;
    m.align_bits = b.c.align_bits;
    m.sr_kind = b.c.sr_kind;
    EXPECT_THROW(m.validate(), std::invalid_argument) << "MacPe: " << b.what;
    EXPECT_THROW(MacPe{m}, std::invalid_argument) << "MacPe: " << b.what;
  }
  EXPECT_THROW(AccAdder(kFp32, 16, static_cast<SrKind>(3)), std::invalid_argument);
  EXPECT_THROW(Quantizer(kFp32, 16, static_cast<SrKind>(3)), std::invalid_argument);
  // The legal edges.
  for (const PeConfig& c : {pe_config(PeKind::Dot, 64, 48, 8, 23, 24, SrKind::Src, 128),
                            pe_config(PeKind::Dot, 1, 1, 4, 2, 2, SrKind::Trunc, 2),
                            pe_config(PeKind::Exact, 64, 13, 4, 2), pe_config(PeKind::Fma, 1, 13, 8, 23, 16, SrKind::Mid, 65535),
                            pe_config(PeKind::Dot, 32, 13, 8, 13, 16, SrKind::Mid, 65504)}) {
    EXPECT_NO_THROW(c.validate()) << describe(c);
  }
}

}  // namespace
}  // namespace fp8sa::test

// The functional model's narrow fast path (cmodel/src/array/gemm_narrow.cpp):
//
//   * Differential: gemm_functional with allow_fast = true (the fast path)
//     against allow_fast = false (the generic AccAdder path, itself checked
//     against MPFR and the RTL) on many random problems: every accumulator
//     eXmY in range, RNE / RZ / SR with every R in [2, 24], ragged array
//     shapes, C_init, quantized outputs, and data that reaches the edges:
//     overflow to Inf (all-positive sums into e4/e5 formats), subnormal
//     results and underflow (tiny products), exact cancellation to zero and
//     its sign (+x then -x, signed zeros), ties (small integers into a few
//     mantissa bits), NaN/Inf codes (those tiles take the generic path).
//     Values and per-tile flags must be identical. The same with promotion
//     (promote_n 2 to 65535, binary32 C_init words with Inf, qNaN, sNaN):
//     the promoting kernel against the generic path's promotion groups.
//   * Independent reference: fp8sa::ref's MPFR MAC (ref_mac) in k order
//     with the SR draws from ref::LfsrRef (bit-serial LFSR from the spec)
//     seeded as docs/array.md "Seeds" says, flags ORed over each tile; and
//     with promote_n > 0 (docs/numerics.md "Promotion"), the narrow
//     accumulator from ref_mac plus host binary32 float adds (RNE, flags
//     from <cfenv>) for the promotion.
//
// Seeds: FP8SA_SEED overrides the defaults.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/numerics.hpp"
#include "gemm_narrow.hpp"
#include "gen.hpp"
#include "ref.hpp"
#include "test_problem.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

enum class Kind { Random, Positive, Tiny, Cancel, SmallInts, Specials };
const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Random: return "random";
    case Kind::Positive: return "positive";
    case Kind::Tiny: return "tiny";
    case Kind::Cancel: return "cancel";
    case Kind::SmallInts: return "small-ints";
    default: return "specials";
  }
}

bool finite_code(uint8_t c, Fp8Format f) { return !ref::fp8_is_nan(c, f) && !ref::fp8_is_inf(c, f); }

uint8_t rand_code(std::mt19937_64& rng, Fp8Format f, Kind k) {
  for (;;) {
    uint8_t c = static_cast<uint8_t>(rng());
    switch (k) {
      case Kind::Positive: c &= 0x7Fu; break;
      case Kind::Tiny: c = static_cast<uint8_t>((c & 0x80u) | (c & 0x0Fu)); break;  // subnormal / small codes
      case Kind::SmallInts: {
        const double v[] = {0, 1, -1, 2, 3, -3, 0.5, 1.5, -1.5};
        const double x = v[rng() % 9];
        for (int i = 0; i < 256; ++i)
          if (finite_code(static_cast<uint8_t>(i), f) && ref::fp8_decode(static_cast<uint8_t>(i), f) == x)
            return static_cast<uint8_t>(x == 0.0 && (rng() & 1) ? 0x80 : i);
        break;
      }
      default: break;
    }
    if (finite_code(c, f)) return c;
  }
}

Prob make(std::mt19937_64& rng, int M, int K, int N, Fp8Format fa, Fp8Format fb, Kind kind, bool with_c,
          const AccFormat& acc) {
  Prob p{M, K, N, fa, fb, {}, {}, {}};
  p.A.resize(static_cast<size_t>(M) * K);
  p.B.resize(static_cast<size_t>(K) * N);
  for (auto& a : p.A) a = rand_code(rng, fa, kind);
  for (auto& b : p.B) b = rand_code(rng, fb, kind == Kind::Cancel ? Kind::Random : kind);
  if (kind == Kind::Cancel) {
    mirror_for_cancellation(p.A, p.B, M, K, N);
  }
  if (kind == Kind::Specials) {
    p.A[rng() % p.A.size()] = fa == Fp8Format::E4M3 ? 0x7F : 0x7E;
    p.B[rng() % p.B.size()] = fb == Fp8Format::E5M2 ? 0xFC : 0xFF;
  }
  if (with_c) {
    p.C.resize(static_cast<size_t>(M) * N);
    const uint32_t mask = acc.mask();
    for (auto& c : p.C) {
      c = static_cast<uint32_t>(rng()) & mask;
      // mostly small values near the products' scale
      if ((rng() & 3) != 0) c &= ~(uint32_t{1} << (acc.width() - 2));
    }
    if (kind == Kind::Specials) p.C[rng() % p.C.size()] = ((1u << acc.exp_bits) - 1u) << acc.man_bits;  // +Inf
  }
  return p;
}

// gemm_functional on the fast path (threads as given) against the generic
// path (allow_fast = false): every value and tile flag; returns whether they
// differ, the first few differences reported with `what`.
bool fast_differs(const GemmProblem& p, const ArrayConfig& cfg, int threads, const std::string& what,
                  uint8_t* seen_flags) {
  GemmOutput fast, gen;
  GemmOptions fo, go;
  fo.threads = threads;
  go.allow_fast = false;
  gemm_functional(p, cfg, &fast, fo);
  gemm_functional(p, cfg, &gen, go);
  int bad = 0;
  for (size_t i = 0; i < gen.out.size() && bad < 3; ++i) {
    if (fast.out[i] != gen.out[i]) {
      ++bad;
      ADD_FAILURE() << what << ": C[" << i / static_cast<size_t>(p.N) << "][" << i % static_cast<size_t>(p.N)
                    << "] fast " << hx(fast.out[i]) << " generic " << hx(gen.out[i]);
    }
  }
  for (size_t t = 0; t < gen.tile_flags.size() && bad < 3; ++t) {
    *seen_flags = static_cast<uint8_t>(*seen_flags | gen.tile_flags[t]);
    if (fast.tile_flags[t] != gen.tile_flags[t]) {
      ++bad;
      ADD_FAILURE() << what << ": tile " << t << " flags fast " << ref::flags_str(fast.tile_flags[t]) << " generic "
                    << ref::flags_str(gen.tile_flags[t]);
    }
  }
  return bad != 0;
}

TEST(GemmNarrow, FastEqualsGenericRandom) {
  const uint64_t seed = test_seed(1101);
  std::mt19937_64 rng(seed);
  const Kind kinds[] = {Kind::Random, Kind::Positive, Kind::Tiny, Kind::Cancel, Kind::SmallInts, Kind::Specials};
  int cases = 0, fails = 0;
  uint8_t seen_flags = 0;
  for (int it = 0; it < 360; ++it) {
    const Kind kind = kinds[it % 6];
    AccFormat acc{4 + static_cast<int>(rng() % 5), 2 + static_cast<int>(rng() % 22)};
    if (it % 17 == 0) acc = kFp32;  // e8m23 RZ / SR also take the narrow path
    const Round rnd = static_cast<Round>(rng() % 3);
    ArrayConfig cfg;
    const int shapes[][2] = {{4, 4}, {8, 8}, {1, 1}, {3, 5}, {2, 8}, {6, 4}, {16, 16}, {5, 3}};
    cfg.rows = shapes[rng() % 8][0];
    cfg.cols = shapes[rng() % 8][1];
    cfg.acc = acc;
    cfg.sr_bits = 2 + static_cast<int>(rng() % 23);
    cfg.q_sr_bits = 16;
    cfg.lfsr_w = std::max(cfg.sr_bits, 16) + static_cast<int>(rng() % (33 - std::max(cfg.sr_bits, 16)));
    cfg.seed = static_cast<uint32_t>(rng()) | 1u;
    cfg.sr_kind = static_cast<SrKind>(it / 6 % 3);  // mid, trunc, src (AVX-512 path: all three)
    const int M = 1 + static_cast<int>(rng() % 20), N = 1 + static_cast<int>(rng() % 20);
    const int K = 1 + static_cast<int>(rng() % (it % 5 == 0 ? 700 : 90));
    const Fp8Format fa = static_cast<Fp8Format>(rng() & 1), fb = static_cast<Fp8Format>(rng() & 1);
    const Prob pr = make(rng, M, K, N, fa, fb, kind, (rng() % 3) == 0, acc);
    GemmProblem p = problem(pr, rnd);
    if (rng() % 4 == 0) {
      p.out_fmt = static_cast<OutKind>(rng() % 4);
      p.out_rnd = static_cast<Round>(rng() % 3);
      p.sat = (rng() & 1) != 0;
    }
    ++cases;
    const std::string what = "case " + std::to_string(it) + " (" + kind_name(kind) + ", " + acc.name() + " " +
                             name(rnd) + " R=" + std::to_string(cfg.sr_bits) + " " + sr_kind_name(cfg.sr_kind) + ", " + std::to_string(cfg.rows) + "x" +
                             std::to_string(cfg.cols) + ", " + std::to_string(M) + "x" + std::to_string(K) + "x" +
                             std::to_string(N) + ", seed " + std::to_string(seed) + ")";
    if (fast_differs(p, cfg, 1 + it % 2, what, &seen_flags)) ++fails;
  }
  // The cases reached every flag (so the edges were exercised).
  EXPECT_EQ(seen_flags & 0xF, 0xF) << "flags seen: " << ref::flags_str(seen_flags);
  std::printf("%d cases, %d failed, flags seen %s, seed %llu\n", cases, fails, ref::flags_str(seen_flags).c_str(),
              static_cast<unsigned long long>(seed));
}

// The same with promotion (promote_n > 0, docs/numerics.md "Promotion"):
// the fast path's promoting kernel against the generic path's promotion
// groups (AccAdder::dot per group, a binary32 AccAdder add each), bit for
// bit, flags included. C_init words are binary32 (the result format), with
// +-Inf, qNaN and sNaN words in the specials case; e8m23 accumulators take
// the narrow kernel too (never the fmaf one) when promoting.
TEST(GemmNarrow, FastEqualsGenericPromoted) {
  const uint64_t seed = test_seed(1104);
  std::mt19937_64 rng(seed);
  const Kind kinds[] = {Kind::Random, Kind::Positive, Kind::Tiny, Kind::Cancel, Kind::SmallInts, Kind::Specials};
  const int ns[] = {2, 3, 4, 7, 16, 32, 100, 128, 65535};
  int cases = 0, fails = 0;
  uint8_t seen_flags = 0;
  for (int it = 0; it < 180; ++it) {
    const Kind kind = kinds[it % 6];
    AccFormat acc{4 + static_cast<int>(rng() % 5), 2 + static_cast<int>(rng() % 22)};
    if (it % 11 == 0) acc = kFp32;
    if (it % 7 == 0) acc = AccFormat{8, 13};  // Hopper-like
    const Round rnd = static_cast<Round>(rng() % 3);
    ArrayConfig cfg;
    const int shapes[][2] = {{4, 4}, {8, 8}, {1, 1}, {3, 5}, {2, 8}, {6, 4}, {16, 16}, {5, 3}};
    cfg.rows = shapes[rng() % 8][0];
    cfg.cols = shapes[rng() % 8][1];
    cfg.acc = acc;
    cfg.sr_bits = 2 + static_cast<int>(rng() % 23);
    cfg.q_sr_bits = 16;
    cfg.lfsr_w = std::max(cfg.sr_bits, 16) + static_cast<int>(rng() % (33 - std::max(cfg.sr_bits, 16)));
    cfg.seed = static_cast<uint32_t>(rng()) | 1u;
    cfg.promote_n = ns[rng() % 9];
    cfg.sr_kind = static_cast<SrKind>(it / 6 % 3);
    const int M = 1 + static_cast<int>(rng() % 20), N = 1 + static_cast<int>(rng() % 20);
    const int K = 1 + static_cast<int>(rng() % (it % 5 == 0 ? 700 : 90));
    const Fp8Format fa = static_cast<Fp8Format>(rng() & 1), fb = static_cast<Fp8Format>(rng() & 1);
    Prob pr = make(rng, M, K, N, fa, fb, kind, (rng() % 2) == 0, acc);
    for (auto& c : pr.C) {
      do c = static_cast<uint32_t>(rng()); while ((c & 0x7F800000u) == 0x7F800000u);
      if ((rng() & 1) != 0) c &= 0xC7FFFFFFu;  // nearer the products' scale
    }
    if (kind == Kind::Specials && !pr.C.empty()) {
      const uint32_t sp[] = {0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7FA00000u, 0xFF800001u};
      pr.C[rng() % pr.C.size()] = sp[rng() % 5];
    }
    GemmProblem p = problem(pr, rnd);
    if (rng() % 4 == 0) {
      p.out_fmt = static_cast<OutKind>(rng() % 4);
      p.out_rnd = static_cast<Round>(rng() % 3);
      p.sat = (rng() & 1) != 0;
    }
    ++cases;
    const std::string what = "case " + std::to_string(it) + " (" + kind_name(kind) + ", " + acc.name() + " " +
                             name(rnd) + " R=" + std::to_string(cfg.sr_bits) + " " + sr_kind_name(cfg.sr_kind) + " promote " +
                             std::to_string(cfg.promote_n) + ", " + std::to_string(cfg.rows) + "x" +
                             std::to_string(cfg.cols) + ", " + std::to_string(M) + "x" + std::to_string(K) + "x" +
                             std::to_string(N) + ", seed " + std::to_string(seed) + ")";
    if (fast_differs(p, cfg, 1 + it % 2, what, &seen_flags)) ++fails;
  }
  EXPECT_EQ(seen_flags & 0xF, 0xF) << "flags seen: " << ref::flags_str(seen_flags);
  std::printf("%d promoted cases, %d failed, flags seen %s, seed %llu\n", cases, fails,
              ref::flags_str(seen_flags).c_str(), static_cast<unsigned long long>(seed));
}

// docs/array.md "Seeds", from the spec text (not the model's derive_seed).
uint32_t spec_seed(uint32_t seed, uint32_t index, int w) {
  const uint32_t m = w >= 32 ? 0xFFFFFFFFu : ((1u << w) - 1u);
  const uint32_t v = (seed ^ (index * 0x9E3779B9u)) & m;
  return v == 0 ? 1u : v;
}

// The reference tile by tile: ref_mac chains (and binary32 promotion) with
// LfsrRef draws; outputs raw words, flags ORed per tile.
void reference(const Prob& pr, const ArrayConfig& cfg, Round rnd, std::vector<uint32_t>* out,
               std::vector<uint8_t>* tflags) {
  const ref::FloatFormat f = ref::acc_format(cfg.acc.exp_bits, cfg.acc.man_bits);
  const int R = cfg.rows, C = cfg.cols, tm = (pr.M + R - 1) / R, tn = (pr.N + C - 1) / C;
  out->assign(static_cast<size_t>(pr.M) * pr.N, 0u);
  tflags->assign(static_cast<size_t>(tm) * tn, 0u);
  for (int ti = 0; ti < tm; ++ti)
    for (int tj = 0; tj < tn; ++tj) {
      const long t = static_cast<long>(ti) * tn + tj;
      uint8_t fl = 0;
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
          const int m = ti * R + r, n = tj * C + c;
          const bool in = m < pr.M && n < pr.N;
          ref::LfsrRef l(cfg.lfsr_w, spec_seed(cfg.seed, static_cast<uint32_t>(1 + r * C + c), cfg.lfsr_w));
          for (long d = 0; d < t * pr.K; ++d) l.draw(cfg.sr_bits);
          const uint32_t init = in && !pr.C.empty() ? pr.C[static_cast<size_t>(m) * pr.N + n] : 0u;
          uint32_t acc = cfg.promote_n == 0 ? (init & f.mask()) : 0u;
          float w = ref::f32_from_bits(init);
          for (int k = 0; k < pr.K; ++k) {
            const uint32_t u = l.draw(cfg.sr_bits);
            const uint8_t a = m < pr.M ? pr.A[static_cast<size_t>(m) * pr.K + k] : 0u;
            const uint8_t b = n < pr.N ? pr.B[static_cast<size_t>(k) * pr.N + n] : 0u;
            const ref::RefResult rr = ref::ref_mac(acc, a, pr.fa, b, pr.fb, f, rnd, u, cfg.sr_bits);
            acc = rr.bits;
            fl = static_cast<uint8_t>(fl | rr.flags);
            if (cfg.promote_n != 0 && ((k + 1) % cfg.promote_n == 0 || k == pr.K - 1)) {
              std::feclearexcept(FE_ALL_EXCEPT);
              volatile float x = w;
              volatile float y = static_cast<float>(ref::decode(acc, f));  // exact: f fits binary32
              volatile float s = x + y;
              w = s;
              fl = static_cast<uint8_t>(fl | host_flags(std::fetestexcept(FE_ALL_EXCEPT)));
              acc = 0;
            }
          }
          if (in) {
            (*out)[static_cast<size_t>(m) * pr.N + n] =
                cfg.promote_n == 0 ? acc : (std::isnan(w) ? 0x7FC00000u : ref::f32_bits(w));
          }
        }
      (*tflags)[static_cast<size_t>(t)] = fl;
    }
}

void expect_ref(const Prob& pr, const ArrayConfig& cfg, Round rnd, const std::string& what) {
  std::vector<uint32_t> eo;
  std::vector<uint8_t> ef;
  reference(pr, cfg, rnd, &eo, &ef);
  GemmOutput got;
  gemm_functional(problem(pr, rnd), cfg, &got);
  int bad = 0;
  for (size_t i = 0; i < eo.size() && bad < 3; ++i)
    if (got.out[i] != eo[i]) {
      ++bad;
      ADD_FAILURE() << what << ": C[" << i / static_cast<size_t>(pr.N) << "][" << i % static_cast<size_t>(pr.N)
                    << "] model " << hx(got.out[i]) << " reference " << hx(eo[i]);
    }
  for (size_t t = 0; t < ef.size() && bad < 3; ++t)
    if (got.tile_flags[t] != ef[t]) {
      ++bad;
      ADD_FAILURE() << what << ": tile " << t << " flags model " << ref::flags_str(got.tile_flags[t])
                    << " reference " << ref::flags_str(ef[t]);
    }
}

// The AVX-512 path (gemm_narrow512.cpp) on data like the workloads'
// (N(0,1) samples quantized to FP8, K up to 600, C_init or not, promotion or
// not): every tile of every accumulator with RNE, RZ and SR of each kind is
// computed by it, not declined (detail::narrow512_counts), where its
// conditions hold: formats whose subnormal grid lies below every product's
// last bit (all here), no overflow. And bit-identical to the generic path.
// On CPUs without AVX-512 (or with FP8SA_NO_AVX512 set: ctest runs this
// file again so), its lanes on AVX2 instead: binary32 for RZ and for RNE
// with W - 1 <= Y <= 11 (promotion or not), binary64 for RNE elsewhere on
// COLS a multiple of 8 without promotion; every tile of those and none of
// the others.
TEST(GemmNarrow, Avx512PathTakesRealisticTiles) {
  const bool avx512 = detail::narrow512_cpu();
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
    GTEST_SKIP() << "neither AVX-512 (F, DQ, VL, BW, VBMI2) nor AVX2 and FMA on this CPU";
  const uint64_t seed = test_seed(1107);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  auto quant = [&](Fp8Format f) {
    // nearest FP8 code to an N(0,1) sample (by search; finite codes only)
    const double x = nd(rng);
    int best = 0;
    double bd = 1e300;
    for (int c = 0; c < 256; ++c) {
      if (!finite_code(static_cast<uint8_t>(c), f)) continue;
      const double d = std::fabs(ref::fp8_decode(static_cast<uint8_t>(c), f) - x);
      if (d < bd) {
        bd = d;
        best = c;
      }
    }
    return static_cast<uint8_t>(best);
  };
  const char* accs[] = {"e8m10", "e5m10", "e6m5", "e8m13", "e7m4", "e8m23", "e6m9", "e8m2", "e5m7"};
  const int shapes[][2] = {{8, 8}, {16, 16}, {4, 16}, {3, 8}, {16, 24}, {4, 4}};
  int cases = 0, fails = 0, asserted = 0, asserted32 = 0;
  for (int it = 0; it < 90; ++it) {
    ArrayConfig cfg;
    cfg.rows = shapes[it % 6][0];
    cfg.cols = shapes[it % 6][1];
    cfg.acc = AccFormat::parse(accs[it % 9]);
    const Round rnd = static_cast<Round>(it % 3);
    if (cfg.acc == kFp32 && rnd == Round::RNE) continue;  // the FMA path's
    cfg.sr_kind = static_cast<SrKind>(it / 3 % 3);
    cfg.sr_bits = (it % 4 == 0) ? 13 : 16;
    cfg.lfsr_w = (it % 7 == 0) ? 24 : 32;
    cfg.seed = static_cast<uint32_t>(rng()) | 1u;
    cfg.promote_n = (it % 5 == 1) ? 32 : 0;
    const int M = 8 + static_cast<int>(rng() % 40), N = 8 + static_cast<int>(rng() % 40);
    const int K = 1 + static_cast<int>(rng() % 600);
    const Fp8Format fa = static_cast<Fp8Format>(it / 2 % 2), fb = static_cast<Fp8Format>(it / 4 % 2);
    Prob pr{M, K, N, fa, fb, {}, {}, {}};
    pr.A.resize(static_cast<size_t>(M) * K);
    pr.B.resize(static_cast<size_t>(K) * N);
    for (auto& a : pr.A) a = quant(fa);
    for (auto& b : pr.B) b = quant(fb);
    if (it % 3 == 2) {
      // init words: products' scale, in the result format
      const AccFormat rf = cfg.result_format();
      pr.C.resize(static_cast<size_t>(M) * N);
      for (auto& c : pr.C) {
        const float v = static_cast<float>(nd(rng) * 4.0);
        uint32_t b;
        std::memcpy(&b, &v, 4);
        // binary32 -> rf by truncation (exact in rf's range: |v| < 64)
        const int e = static_cast<int>((b >> 23) & 0xFF) - 127;
        if (v == 0.0f || e < 1 - rf.bias()) {
          c = 0;
          continue;
        }
        c = ((b >> 31) << (rf.exp_bits + rf.man_bits)) | (static_cast<uint32_t>(e + rf.bias()) << rf.man_bits) |
            ((b & 0x7FFFFFu) >> (23 - rf.man_bits));
      }
    }
    const GemmProblem p = problem(pr, rnd);
    long taken = 0, declined = 0;
    detail::narrow512_counts(&taken, &declined, true);
    ++cases;
    const std::string what = "case " + std::to_string(it) + " (" + cfg.acc.name() + " " + name(rnd) + " R=" +
                             std::to_string(cfg.sr_bits) + " " + sr_kind_name(cfg.sr_kind) + " promote " +
                             std::to_string(cfg.promote_n) + ", " + std::to_string(cfg.rows) + "x" +
                             std::to_string(cfg.cols) + ", " + std::to_string(M) + "x" + std::to_string(K) + "x" +
                             std::to_string(N) + (pr.C.empty() ? "" : ", C_init") + ", seed " + std::to_string(seed) + ")";
    uint8_t seen = 0;
    if (fast_differs(p, cfg, 1 + it % 2, what, &seen)) ++fails;
    long taken32 = 0;
    detail::narrow512_counts(&taken, &declined, true, &taken32);
    const long tiles = static_cast<long>((M + cfg.rows - 1) / cfg.rows) * ((N + cfg.cols - 1) / cfg.cols);
    // The path's condition over the whole problem: every product's and init
    // value's last set bit at or above the format's subnormal spacing
    // 2^(emin - Y) (E5M2 subnormal codes into e5 formats break it: those
    // tiles are declined, correctly).
    auto lsb = [](double v) {
      int e;
      const double m = std::frexp(std::fabs(v), &e);
      return e - 53 + __builtin_ctzll(static_cast<uint64_t>(std::ldexp(m, 53)));
    };
    int la = 1 << 20, lb = 1 << 20, lc = 1 << 20;
    for (uint8_t a : pr.A)
      if (ref::fp8_decode(a, fa) != 0.0) la = std::min(la, lsb(ref::fp8_decode(a, fa)));
    for (uint8_t b : pr.B)
      if (ref::fp8_decode(b, fb) != 0.0) lb = std::min(lb, lsb(ref::fp8_decode(b, fb)));
    if (cfg.promote_n == 0) {
      for (uint32_t c : pr.C) {
        const uint32_t f32 = cfg.acc.to_f32_bits(c);
        float v;
        std::memcpy(&v, &f32, 4);
        if (v != 0.0f) lc = std::min(lc, lsb(v));
      }
    }
    const int emin = 1 - cfg.acc.bias();
    if ((seen & kFlagOverflow) == 0 && std::min(la + lb, lc) >= emin - cfg.acc.man_bits) {
      // Binary32 lanes where they apply (COLS a multiple of 16, or 1, 2, 4, 8
      // with Y < 23; RZ, or RNE with W - 1 <= Y <= 11); the path: those, and
      // COLS a multiple of 8
      const int w = (fa == Fp8Format::E4M3 ? 4 : 3) + (fb == Fp8Format::E4M3 ? 4 : 3);
      const int y = cfg.acc.man_bits;
      // SR on binary32 lanes: COLS a multiple of 16 or 8, Y + R <= 23 (src 21)
      const bool b32 = ((cfg.cols % 16 == 0 || (16 % cfg.cols == 0 && y < 23)) &&
                        (rnd == Round::RZ || (rnd == Round::RNE && y >= w - 1 && y <= 11))) ||
                       (rnd == Round::SR && (cfg.cols % 16 == 0 || cfg.cols == 8) &&
                        y + cfg.sr_bits <= (cfg.sr_kind == SrKind::Src ? 21 : 23));
      if (!avx512) {
        // AVX2: binary32 lanes of RZ, RNE and SR, and binary64 lanes
        // elsewhere on COLS a multiple of 8 and binary64 super-tiles on
        // COLS 1, 2, 4 (promotion or not); nothing else
        const bool on32 = b32;
        const bool sup = cfg.cols < 8 && 16 % cfg.cols == 0;
        const bool on64 = !b32 && (cfg.cols % 8 == 0 || sup);
        asserted32 += on32 ? 1 : 0;
        asserted += on64 ? 1 : 0;
        EXPECT_EQ(taken, on32 || on64 ? tiles : 0) << what << ": " << declined << " tiles declined";
        EXPECT_EQ(taken32, on32 ? tiles : 0) << what;
        continue;
      }
      // (and binary64 super-tiles on COLS 1, 2, 4: every rounding and SR kind)
      if (b32 || cfg.cols % 8 == 0 || (cfg.cols < 8 && 16 % cfg.cols == 0)) {
        ++asserted;
        EXPECT_EQ(taken, tiles) << what << ": " << declined << " tiles declined";
      }
      if (b32) {
        ++asserted32;
        EXPECT_EQ(taken32, tiles) << what << ": " << tiles - taken32 << " tiles not on binary32 lanes";
      } else {
        EXPECT_EQ(taken32, 0) << what;
      }
    }
  }
  EXPECT_GE(asserted32, 8) << "too few cases on binary32 lanes";
  if (avx512) {
    EXPECT_GE(asserted, cases / 2) << "too few cases met the path's conditions";
  }
  if (avx512) {
    std::printf("%d realistic cases (%d where every tile must take the AVX-512 path, %d of them on binary32 lanes), %d failed, seed %llu\n",
                cases, asserted, asserted32, fails, static_cast<unsigned long long>(seed));
  } else {
    std::printf("%d realistic cases (where every tile must take the AVX2 lanes: %d binary32, %d binary64), %d failed, seed %llu\n",
                cases, asserted32, asserted, fails, static_cast<unsigned long long>(seed));
  }
}

// The argument of the binary32 RNE lanes (gemm_narrow512.cpp, "Binary32
// lanes"): for an accumulator value a with Y + 1 significant bits and a
// product p with at most W (FP8 products: 6, 7 or 8), RNE to Y + 1 bits of
// the binary32 RNE sum, RNE_{Y+1}(RNE_24(a + p)), is RNE_{Y+1}(a + p) for
// W - 1 <= Y <= 11; and not beyond (Y = W - 2 and Y = 12 have
// counterexamples, so the path's bounds are the tight ones). Exponents of a
// relative to p over a range wider than 24 bits either way (no exponent
// limits: the path's tiny-safe and overflow checks cover those); a's
// significands all for Y <= 8, else a stride through them. Also Veltkamp's
// split in binary32 (x * (2^s + 1), s = 23 - Y) is RNE to Y + 1 bits, ties
// to even, on every significand of one binade.
TEST(GemmNarrow, Binary32RneDoubleRoundingInnocuous) {
  using i128 = __int128;
  auto nb = [](unsigned __int128 v) {
    const uint64_t hi = static_cast<uint64_t>(v >> 64), lo = static_cast<uint64_t>(v);
    return hi != 0 ? 128 - __builtin_clzll(hi) : (lo != 0 ? 64 - __builtin_clzll(lo) : 0);
  };
  auto rne = [&](i128 v, int n) -> i128 {
    const bool neg = v < 0;
    unsigned __int128 a = static_cast<unsigned __int128>(neg ? -v : v);
    const int b = nb(a);
    if (b <= n) return v;
    const int sh = b - n;
    unsigned __int128 q = a >> sh;
    const unsigned __int128 r = a & ((static_cast<unsigned __int128>(1) << sh) - 1u);
    const unsigned __int128 h = static_cast<unsigned __int128>(1) << (sh - 1);
    if (r > h || (r == h && (q & 1u) != 0)) ++q;
    a = q << sh;
    return neg ? -static_cast<i128>(a) : static_cast<i128>(a);
  };
  // count of (a, p) pairs where the double rounding differs; a's
  // significands A: all for Y <= 8, else the 64 lowest, the 64 highest and
  // a stride through the rest
  auto bad_pairs = [&](int W, int Y) {
    long bad = 0;
    const long a0 = 1L << Y, a1 = 2L << Y;
    for (long A = a0; A < a1; A += (Y <= 8 || A < a0 + 64 || A >= a1 - 64) ? 1 : (1L << (Y - 7)) + 1)
      for (int e = -(Y + 28); e <= 28; ++e)
        for (int P = 1; P < (1 << W); P += 2)
          for (int sg = 0; sg < 2; ++sg) {
            const int base = Y + 30;
            const i128 acc = static_cast<i128>(A) << (e + base);
            // (times 2^base: a left shift of a negative value is undefined)
            const i128 p = (sg != 0 ? -static_cast<i128>(P) : static_cast<i128>(P)) * (static_cast<i128>(1) << base);
            const i128 x = acc + p;
            if (rne(rne(x, 24), Y + 1) != rne(x, Y + 1)) ++bad;
          }
    return bad;
  };
  for (int W = 6; W <= 8; ++W) {
    for (int Y = W - 1; Y <= 11; ++Y) EXPECT_EQ(bad_pairs(W, Y), 0) << "W " << W << " Y " << Y;
    EXPECT_GT(bad_pairs(W, W - 2), 0) << "W " << W << ": Y = W - 2 should have a counterexample";
  }
  EXPECT_GT(bad_pairs(6, 12), 0) << "Y = 12 should have a counterexample";
  // Veltkamp's split in binary32, every significand of [8, 16), Y as the
  // path uses it
  for (int Y = 5; Y <= 11; ++Y) {
    const int s = 23 - Y;
    volatile float sp = static_cast<float>(std::ldexp(1.0, s) + 1.0);
    long bad = 0;
    for (uint32_t m = 0; m < (1u << 23); ++m) {
      const uint32_t bits = (uint32_t{127 + 3} << 23) | m;
      float x;
      std::memcpy(&x, &bits, 4);
      volatile float xv = x;
      volatile float g = xv * sp;
      volatile float d = xv - g;
      const float hi = g + d;
      const uint32_t z = (bits + ((1u << (s - 1)) - 1u) + ((bits >> s) & 1u)) & ~((1u << s) - 1u);
      float r;
      std::memcpy(&r, &z, 4);
      if (hi != r) ++bad;
    }
    EXPECT_EQ(bad, 0) << "Veltkamp binary32, Y " << Y;
  }
}

// The binary32 lanes against the generic path on random problems built to
// reach their edges (the kinds of FastEqualsGenericRandom: tiny sums,
// cancellation, specials, overflow), COLS 16, 32, 48 (a tile per
// super-tile) and 1, 2, 4, 8 (super-tiles of 16 or 32 lanes), RZ and RNE with Y in
// and out of [W - 1, 11], promotion or not, C_init or not; and the lanes do
// take tiles (detail::narrow512_counts). Without AVX-512 (or with
// FP8SA_NO_AVX512 set), the lanes on AVX2.
TEST(GemmNarrow, Binary32LanesEqualGeneric) {
  if (!detail::narrow512_cpu() && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
    GTEST_SKIP() << "neither AVX-512 (F, DQ, VL, BW, VBMI2) nor AVX2 and FMA on this CPU";
  const uint64_t seed = test_seed(1109);
  std::mt19937_64 rng(seed);
  const Kind kinds[] = {Kind::Random, Kind::Positive, Kind::Tiny, Kind::Cancel, Kind::SmallInts, Kind::Specials};
  // COLS a multiple of 16 (one tile per super-tile) or 1, 2, 4, 8 (several)
  const int shapes[][2] = {{16, 16}, {4, 16}, {1, 16}, {5, 32}, {16, 32}, {8, 16}, {3, 48},
                           {4, 4},   {8, 8},  {1, 1},  {3, 4},  {16, 8},  {5, 2},  {2, 1}};
  const int ns[] = {0, 0, 3, 32, 128};
  int cases = 0, fails = 0;
  long on32 = 0;
  uint8_t seen_flags = 0;
  for (int it = 0; it < 240; ++it) {
    const Kind kind = kinds[it % 6];
    AccFormat acc{4 + static_cast<int>(rng() % 5), 2 + static_cast<int>(rng() % 22)};
    if (it % 3 == 0) acc.man_bits = 5 + static_cast<int>(rng() % 7);  // RNE's binary32 range
    const Round rnd = (it & 1) != 0 ? Round::RZ : Round::RNE;
    if (acc == kFp32 && rnd == Round::RNE) acc.man_bits = 22;
    ArrayConfig cfg;
    const int sh = static_cast<int>(rng() % 14);
    cfg.rows = shapes[sh][0];
    cfg.cols = shapes[sh][1];
    cfg.acc = acc;
    cfg.seed = static_cast<uint32_t>(rng()) | 1u;
    cfg.promote_n = ns[rng() % 5];
    const int M = 1 + static_cast<int>(rng() % 40), N = 1 + static_cast<int>(rng() % 70);
    const int K = 1 + static_cast<int>(rng() % (it % 5 == 0 ? 700 : 90));
    const Fp8Format fa = static_cast<Fp8Format>(rng() & 1), fb = static_cast<Fp8Format>(rng() & 1);
    Prob pr = make(rng, M, K, N, fa, fb, kind, (rng() % 3) == 0, acc);
    if (cfg.promote_n != 0) {
      for (auto& c : pr.C) {
        do c = static_cast<uint32_t>(rng()); while ((c & 0x7F800000u) == 0x7F800000u);
        if ((rng() & 1) != 0) c &= 0xC7FFFFFFu;
      }
    }
    GemmProblem p = problem(pr, rnd);
    long taken = 0, declined = 0, taken32 = 0;
    detail::narrow512_counts(&taken, &declined, true, &taken32);
    ++cases;
    const std::string what = "case " + std::to_string(it) + " (" + kind_name(kind) + ", " + acc.name() + " " +
                             name(rnd) + " promote " + std::to_string(cfg.promote_n) + ", " +
                             std::to_string(cfg.rows) + "x" + std::to_string(cfg.cols) + ", " + std::to_string(M) +
                             "x" + std::to_string(K) + "x" + std::to_string(N) + ", seed " + std::to_string(seed) + ")";
    if (fast_differs(p, cfg, 1 + it % 2, what, &seen_flags)) ++fails;
    detail::narrow512_counts(&taken, &declined, true, &taken32);
    on32 += taken32;
  }
  EXPECT_EQ(seen_flags & 0xF, 0xF) << "flags seen: " << ref::flags_str(seen_flags);
  EXPECT_GT(on32, cases) << "too few tiles on binary32 lanes";
  std::printf("%d cases, %d failed, %ld tiles on binary32 lanes, flags seen %s, seed %llu\n", cases, fails, on32,
              ref::flags_str(seen_flags).c_str(), static_cast<unsigned long long>(seed));
}

// Binary64 super-tiles (COLS 1, 2, 4 where binary32 lanes do not apply:
// SR of every kind, RNE with Y < W - 1 or Y >= 12, RZ with Y = 23): 16 / COLS
// tiles side by side, each lane's SR stream in its own tile's frame (jumped
// from lane 0, or continued from the worker's previous super-tile). Against
// the generic path on random problems: every SR kind and R, LFSR widths,
// K with K R a multiple of 64 or not, promotion, init words, and the edge
// kinds (NaN/Inf codes and words, tiny, overflow, cancellation), 1 and 2
// threads (runs that start inside a super-tile). Most cases use data near
// N(0,1) so that tiles are taken; the count of taken tiles is checked. On a
// CPU without AVX-512 (or FP8SA_NO_AVX512 set) the super-tiles run on AVX2.
TEST(GemmNarrow, Super64EqualsGeneric) {
  const bool avx512 = detail::narrow512_cpu();
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
    GTEST_SKIP() << "neither AVX-512 (F, DQ, VL, BW, VBMI2) nor AVX2 and FMA on this CPU";
  const uint64_t seed = test_seed(1110);
  std::mt19937_64 rng(seed);
  const Kind kinds[] = {Kind::Random, Kind::Positive, Kind::Tiny, Kind::Cancel, Kind::SmallInts, Kind::Specials};
  const int shapes[][2] = {{4, 4}, {2, 2}, {1, 1}, {3, 4}, {5, 2}, {2, 1}, {6, 4}, {1, 4}, {4, 2}, {8, 4}, {7, 1}, {4, 4}};
  const int ns[] = {0, 0, 0, 3, 32, 128};
  int cases = 0, fails = 0;
  long on64 = 0, sr64 = 0;
  uint8_t seen_flags = 0;
  for (int it = 0; it < 300; ++it) {
    const bool normal = it % 3 != 0;  // data near N(0,1): tiles taken
    const Kind kind = kinds[it % 6];
    const int sel = it % 5;  // 0..2: SR mid / trunc / src; 3: RNE outside binary32's range; 4: RZ, Y = 23
    AccFormat acc{4 + static_cast<int>(rng() % 5), 2 + static_cast<int>(rng() % 22)};
    Round rnd = Round::SR;
    ArrayConfig cfg;
    cfg.sr_kind = static_cast<SrKind>(sel < 3 ? sel : 0);
    if (sel == 3) {
      rnd = Round::RNE;
      acc.man_bits = (rng() & 1) != 0 ? 2 + static_cast<int>(rng() % 4) : 12 + static_cast<int>(rng() % 11);
    } else if (sel == 4) {
      rnd = Round::RZ;
      acc.man_bits = 23;
    }
    if (normal && acc.exp_bits < 6) acc.exp_bits = 6 + static_cast<int>(rng() % 3);
    const int sh = static_cast<int>(rng() % 12);
    cfg.rows = shapes[sh][0];
    cfg.cols = shapes[sh][1];
    cfg.acc = acc;
    cfg.sr_bits = 2 + static_cast<int>(rng() % 23);
    cfg.q_sr_bits = 4;  // (narrow LFSRs allowed)
    cfg.lfsr_w = std::max(cfg.sr_bits, 4) + static_cast<int>(rng() % (33 - std::max(cfg.sr_bits, 4)));
    cfg.seed = static_cast<uint32_t>(rng()) | 1u;
    cfg.promote_n = ns[rng() % 6];
    const int M = 1 + static_cast<int>(rng() % 24), N = 1 + static_cast<int>(rng() % 70);
    int K = 1 + static_cast<int>(rng() % (it % 4 == 0 ? 700 : 120));
    if (it % 7 == 0) K = 64 * (1 + static_cast<int>(rng() % 6));  // K R a multiple of 64
    const Fp8Format fa = static_cast<Fp8Format>(rng() & 1), fb = static_cast<Fp8Format>(rng() & 1);
    Prob pr = make(rng, M, K, N, fa, fb, normal ? Kind::Random : kind, (rng() % 3) == 0, acc);
    if (normal) {
      // codes of magnitude in [2^-4, 8] or zero
      auto near1 = [&](Fp8Format f) {
        for (;;) {
          const uint8_t c = static_cast<uint8_t>(rng());
          if (!finite_code(c, f)) continue;
          const double v = std::fabs(ref::fp8_decode(c, f));
          if (v == 0.0 || (v >= 0.0625 && v <= 8.0)) return c;
        }
      };
      for (auto& a : pr.A) a = near1(fa);
      for (auto& b : pr.B) b = near1(fb);
      for (auto& c : pr.C) c = 0;
    }
    if (cfg.promote_n != 0) {
      for (auto& c : pr.C) {
        do c = static_cast<uint32_t>(rng()); while ((c & 0x7F800000u) == 0x7F800000u);
        c &= 0xC3FFFFFFu;  // near the products' scale
      }
      if (kind == Kind::Specials && !pr.C.empty() && !normal) pr.C[rng() % pr.C.size()] = 0x7FC00000u;
    }
    GemmProblem p = problem(pr, rnd);
    if (rng() % 5 == 0) {
      p.out_fmt = static_cast<OutKind>(rng() % 4);
      p.out_rnd = static_cast<Round>(rng() % 3);
      p.sat = (rng() & 1) != 0;
    }
    long taken = 0, declined = 0, taken32 = 0, taken64 = 0;
    detail::narrow512_counts(&taken, &declined, true, &taken32, &taken64);
    ++cases;
    const std::string what = "case " + std::to_string(it) + " (" + (normal ? "near-1" : kind_name(kind)) + ", " +
                             acc.name() + " " + name(rnd) + " R=" + std::to_string(cfg.sr_bits) + " " +
                             sr_kind_name(cfg.sr_kind) + " lfsr_w " + std::to_string(cfg.lfsr_w) + " promote " +
                             std::to_string(cfg.promote_n) + ", " + std::to_string(cfg.rows) + "x" +
                             std::to_string(cfg.cols) + ", " + std::to_string(M) + "x" + std::to_string(K) + "x" +
                             std::to_string(N) + ", seed " + std::to_string(seed) + ")";
    if (fast_differs(p, cfg, 1 + it % 2, what, &seen_flags)) ++fails;
    detail::narrow512_counts(&taken, &declined, true, &taken32, &taken64);
    on64 += taken64;
    if (rnd == Round::SR) sr64 += taken64;
    if (normal && cfg.promote_n == 0) {
      // no NaN/Inf, every sum on the format's grid and far from overflow:
      // every tile on the super-tiles (or on binary32 lanes: RNE with
      // Y = W - 1 for E5M2 operands)
      const long tiles = static_cast<long>((M + cfg.rows - 1) / cfg.rows) * ((N + cfg.cols - 1) / cfg.cols);
      EXPECT_EQ(taken64 + taken32, tiles) << what << ": " << declined << " declined";
      EXPECT_EQ(taken, tiles) << what;
    }
  }
  EXPECT_EQ(seen_flags & 0xF, 0xF) << "flags seen: " << ref::flags_str(seen_flags);
  EXPECT_GT(sr64, 10L * cases) << "too few SR tiles on binary64 super-tiles";
  std::printf("%d cases, %d failed, %ld tiles on binary64 super-tiles (%ld SR), flags seen %s, seed %llu\n", cases,
              fails, on64, sr64, ref::flags_str(seen_flags).c_str(), static_cast<unsigned long long>(seed));
}

// SR on binary32 lanes (COLS a multiple of 16 or 8, Y + R <= 23 for mid and
// trunc, <= 21 for src; gemm_narrow512.cpp, "SR on binary32 lanes"): the
// exact sum rounded to odd at bit 0 from the RD and RU fmas, the window and
// the kind's residual in 32-bit lanes, the streams in 32-bit words. Against
// the generic path on random problems: every SR kind, R from 2 to 23 with Y
// at and below the bound (and beyond it: binary64 lanes), LFSR widths,
// promotion, init words, 1 and 2 threads, and data that reaches the edges:
// exact sums and draw ties (small integers, R = 2 to 4), sticky-only sums
// (large init words, products wholly below the binary32 sum's last bit),
// exponent changes and zeros (cancellation), the subnormal range (tiny),
// overflow to Inf (all-positive sums into e4/e5 formats), NaN/Inf codes and
// words. Near-N(0,1) cases without promotion must take every tile there.
TEST(GemmNarrow, Binary32SrEqualsGeneric) {
  // (on AVX-512 or on AVX2: kernel_sr32 and kernel_sr32_avx2)
  if (!detail::narrow512_cpu() && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
    GTEST_SKIP() << "neither AVX-512 (F, DQ, VL, BW, VBMI2) nor AVX2 and FMA on this CPU";
  const uint64_t seed = test_seed(1111);
  std::mt19937_64 rng(seed);
  const Kind kinds[] = {Kind::Random, Kind::Positive, Kind::Tiny, Kind::Cancel, Kind::SmallInts, Kind::Specials};
  const int shapes[][2] = {{16, 16}, {4, 16}, {1, 16}, {5, 32}, {16, 32}, {8, 16}, {3, 48}, {9, 16},
                           {8, 8},   {16, 8}, {3, 8},  {1, 8},  {9, 8}};
  const int ns[] = {0, 0, 0, 3, 32, 128};
  int cases = 0, fails = 0, full = 0;
  long on32 = 0;
  int kinds_on32[3] = {0, 0, 0};
  uint8_t seen_flags = 0;
  for (int it = 0; it < 360; ++it) {
    const int mode = it % 4;  // 0, 1: near-1 data; 2: edge kinds; 3: sticky-only
    const Kind kind = kinds[(it / 4) % 6];
    ArrayConfig cfg;
    cfg.sr_kind = static_cast<SrKind>(it % 3);
    cfg.sr_bits = 2 + static_cast<int>(rng() % 22);
    if (kind == Kind::SmallInts && mode == 2) cfg.sr_bits = 2 + static_cast<int>(rng() % 3);
    const int bound = cfg.sr_kind == SrKind::Src ? 21 : 23;
    if (cfg.sr_bits > bound - 2) cfg.sr_bits = bound - 2 - static_cast<int>(rng() % 4);
    AccFormat acc{4 + static_cast<int>(rng() % 5), 2};
    // Y at the bound (the window's LSB at bit 0, or src's sticky at bit 0),
    // below it, or (one case in 8) beyond it
    const int r8 = static_cast<int>(rng() % 8);
    acc.man_bits = r8 < 3 ? bound - cfg.sr_bits : (r8 < 7 ? 2 + static_cast<int>(rng() % (bound - cfg.sr_bits - 1))
                                                          : std::min(23, bound - cfg.sr_bits + 1 + static_cast<int>(rng() % 4)));
    acc.man_bits = std::max(2, acc.man_bits);
    if (mode != 2 && acc.exp_bits < 6) acc.exp_bits = 6 + static_cast<int>(rng() % 3);
    const int sh = static_cast<int>(rng() % 13);
    cfg.rows = shapes[sh][0];
    cfg.cols = shapes[sh][1];
    cfg.acc = acc;
    cfg.q_sr_bits = 4;
    cfg.lfsr_w = (rng() % 3 == 0) ? 32 : std::max(cfg.sr_bits, 4) + static_cast<int>(rng() % (33 - std::max(cfg.sr_bits, 4)));
    cfg.seed = static_cast<uint32_t>(rng()) | 1u;
    cfg.promote_n = mode == 3 ? 0 : ns[rng() % 6];
    const int M = 1 + static_cast<int>(rng() % 40), N = 1 + static_cast<int>(rng() % 70);
    const int K = 1 + static_cast<int>(rng() % (it % 5 == 0 ? 900 : 150));
    const Fp8Format fa = static_cast<Fp8Format>(rng() & 1), fb = static_cast<Fp8Format>(rng() & 1);
    Prob pr = make(rng, M, K, N, fa, fb, mode == 2 ? kind : Kind::Random, mode == 3 || (rng() % 3) == 0, acc);
    auto codes_in = [&](double lo, double hi) {
      auto pick = [&](Fp8Format f) {
        for (;;) {
          const uint8_t c = static_cast<uint8_t>(rng());
          if (!finite_code(c, f)) continue;
          const double v = std::fabs(ref::fp8_decode(c, f));
          if (v == 0.0 || (v >= lo && v <= hi)) return c;
        }
      };
      for (auto& a : pr.A) a = pick(fa);
      for (auto& b : pr.B) b = pick(fb);
    };
    if (mode < 2) {
      codes_in(0.0625, 8.0);
      for (auto& c : pr.C) c = 0;
    } else if (mode == 3) {
      // init words 2^e (e in [Y - 2, Y + 5]), random sign and significand;
      // products of at most 2^-4 magnitude, mostly far below their last bit
      codes_in(0.0, 0.25);
      const int bias = acc.bias();
      for (auto& c : pr.C) {
        const int e = std::min(bias, acc.man_bits - 2 + static_cast<int>(rng() % 8));
        c = (static_cast<uint32_t>(rng() & 1) << (acc.exp_bits + acc.man_bits)) |
            (static_cast<uint32_t>(e + bias) << acc.man_bits) | (static_cast<uint32_t>(rng()) & ((1u << acc.man_bits) - 1u));
      }
    }
    if (cfg.promote_n != 0) {
      for (auto& c : pr.C) {
        do c = static_cast<uint32_t>(rng()); while ((c & 0x7F800000u) == 0x7F800000u);
        c &= 0xC3FFFFFFu;
      }
      if (kind == Kind::Specials && mode == 2 && !pr.C.empty()) pr.C[rng() % pr.C.size()] = 0x7FC00000u;
    }
    GemmProblem p = problem(pr, Round::SR);
    if (rng() % 6 == 0) {
      p.out_fmt = static_cast<OutKind>(rng() % 4);
      p.out_rnd = static_cast<Round>(rng() % 3);
      p.sat = (rng() & 1) != 0;
    }
    long taken = 0, declined = 0, taken32 = 0;
    detail::narrow512_counts(&taken, &declined, true, &taken32);
    ++cases;
    const std::string what = "case " + std::to_string(it) + " (" + (mode < 2 ? "near-1" : mode == 3 ? "sticky" : kind_name(kind)) +
                             ", " + acc.name() + " SR R=" + std::to_string(cfg.sr_bits) + " " + sr_kind_name(cfg.sr_kind) +
                             " lfsr_w " + std::to_string(cfg.lfsr_w) + " promote " + std::to_string(cfg.promote_n) + ", " +
                             std::to_string(cfg.rows) + "x" + std::to_string(cfg.cols) + ", " + std::to_string(M) + "x" +
                             std::to_string(K) + "x" + std::to_string(N) + ", seed " + std::to_string(seed) + ")";
    if (fast_differs(p, cfg, 1 + it % 2, what, &seen_flags)) ++fails;
    detail::narrow512_counts(&taken, &declined, true, &taken32);
    on32 += taken32;
    const bool fits = acc.man_bits + cfg.sr_bits <= bound;
    if (taken32 > 0) kinds_on32[static_cast<int>(cfg.sr_kind)] += 1;
    if (!fits) {
      EXPECT_EQ(taken32, 0) << what << ": Y + R beyond binary32";
    }
    if (mode < 2 && cfg.promote_n == 0 && fits) {
      const long tiles = static_cast<long>((M + cfg.rows - 1) / cfg.rows) * ((N + cfg.cols - 1) / cfg.cols);
      EXPECT_EQ(taken32, tiles) << what << ": " << declined << " declined";
      ++full;
    }
  }
  EXPECT_EQ(seen_flags & 0xF, 0xF) << "flags seen: " << ref::flags_str(seen_flags);
  EXPECT_GT(on32, 5L * cases) << "too few SR tiles on binary32 lanes";
  for (int k = 0; k < 3; ++k) EXPECT_GE(kinds_on32[k], 20) << "SR kind " << k << ": too few cases on binary32 lanes";
  EXPECT_GE(full, 40);
  std::printf("%d cases, %d failed, %ld SR tiles on binary32 lanes (cases per kind %d %d %d), %d cases fully on them, flags seen %s, seed %llu\n",
              cases, fails, on32, kinds_on32[0], kinds_on32[1], kinds_on32[2], full, ref::flags_str(seen_flags).c_str(),
              static_cast<unsigned long long>(seed));
}

TEST(GemmNarrow, MatchesMpfrReference) {
  const uint64_t seed = test_seed(1102);
  std::mt19937_64 rng(seed);
  const Kind kinds[] = {Kind::Random, Kind::Positive, Kind::Tiny, Kind::Cancel, Kind::SmallInts};
  for (int it = 0; it < 40; ++it) {
    ArrayConfig cfg;
    cfg.rows = 1 + static_cast<int>(rng() % 4);
    cfg.cols = 1 + static_cast<int>(rng() % 6);
    cfg.acc = AccFormat{4 + static_cast<int>(rng() % 5), 2 + static_cast<int>(rng() % 22)};
    cfg.sr_bits = 2 + static_cast<int>(rng() % 23);
    cfg.lfsr_w = std::max(cfg.sr_bits, 16) + static_cast<int>(rng() % (33 - std::max(cfg.sr_bits, 16)));
    cfg.seed = static_cast<uint32_t>(rng()) | 1u;
    const Round rnd = static_cast<Round>(it % 3);
    const Kind kind = kinds[rng() % 5];
    const Prob pr = make(rng, 1 + static_cast<int>(rng() % 6), 1 + static_cast<int>(rng() % 60),
                         1 + static_cast<int>(rng() % 7), static_cast<Fp8Format>(rng() & 1),
                         static_cast<Fp8Format>(rng() & 1), kind, (rng() & 1) != 0, cfg.acc);
    expect_ref(pr, cfg, rnd,
               "case " + std::to_string(it) + " " + kind_name(kind) + " " + cfg.acc.name() + " " + name(rnd) +
                   " R=" + std::to_string(cfg.sr_bits) + " seed " + std::to_string(seed));
  }
}

TEST(GemmNarrow, PromotionMatchesReference) {
  const uint64_t seed = test_seed(1103);
  std::mt19937_64 rng(seed);
  const Kind kinds[] = {Kind::Random, Kind::Positive, Kind::Tiny, Kind::Cancel, Kind::SmallInts, Kind::Specials};
  const int ns[] = {2, 3, 7, 32, 64};
  for (int it = 0; it < 60; ++it) {
    ArrayConfig cfg;
    cfg.rows = 1 + static_cast<int>(rng() % 4);
    cfg.cols = 1 + static_cast<int>(rng() % 6);
    cfg.acc = AccFormat{4 + static_cast<int>(rng() % 5), 2 + static_cast<int>(rng() % 22)};
    if (it % 7 == 0) cfg.acc = AccFormat{8, 13};  // Hopper-like
    cfg.sr_bits = 2 + static_cast<int>(rng() % 15);
    cfg.promote_n = ns[rng() % 5];
    const Round rnd = static_cast<Round>(it % 3);
    const Kind kind = kinds[rng() % 6];
    Prob pr = make(rng, 1 + static_cast<int>(rng() % 6), 1 + static_cast<int>(rng() % 150),
                   1 + static_cast<int>(rng() % 7), static_cast<Fp8Format>(rng() & 1),
                   static_cast<Fp8Format>(rng() & 1), kind, (rng() & 1) != 0, cfg.acc);
    // C_init is a binary32 word with promotion: any finite one, Inf and NaN
    // in the specials case.
    for (auto& c : pr.C) {
      do c = static_cast<uint32_t>(rng()); while ((c & 0x7F800000u) == 0x7F800000u);
      if ((rng() & 1) != 0) c &= 0xC7FFFFFFu;  // nearer the products' scale
    }
    if (kind == Kind::Specials && !pr.C.empty()) pr.C[0] = (rng() & 1) ? 0xFF800000u : 0x7FA00000u;
    expect_ref(pr, cfg, rnd,
               "case " + std::to_string(it) + " " + kind_name(kind) + " " + cfg.acc.name() + " " + name(rnd) +
                   " promote " + std::to_string(cfg.promote_n) + " seed " + std::to_string(seed));
  }
}

TEST(GemmNarrow, PromoteNRange) {
  ArrayConfig cfg;
  for (int bad : {1, -1, 65536}) {
    cfg.promote_n = bad;
    EXPECT_THROW(cfg.validate(), std::invalid_argument) << bad;
  }
  for (int ok : {0, 2, 128, 65535}) {
    cfg.promote_n = ok;
    EXPECT_NO_THROW(cfg.validate()) << ok;
  }
}

}  // namespace
}  // namespace fp8sa::test

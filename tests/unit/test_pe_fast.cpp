// The functional model's fast path for the dot and exact PE kinds
// (cmodel/src/array/gemm_pe_fast.cpp):
//
//   * Differential: gemm_functional with allow_fast = true against
//     allow_fast = false (the generic path: Pe::tile per PE, the PE seam's
//     reference loop, itself checked against the exact references of
//     tests/ref) on random problems: array shapes 1x1 to 16x16 with ragged
//     tiles, K from 1 to a few thousand (also not a multiple of DOT_N), every
//     DOT_N, ALIGN_BITS small and large (1 .. 48, with 13, 25, 31, 48),
//     accumulators e8m23, e8m13, e8m10, e5m10, e6m5 and random eXmY, RNE / RZ
//     / SR with every SR kind and random R, data with zeros (both signs),
//     subnormals, the whole FP8 range, N(0,1), cancellation, overflow of
//     narrow formats, NaN/Inf codes, and binary32 init words that are
//     subnormal, huge, signed zeros, Inf, qNaN and sNaN; promotion with
//     dot (PROMOTE_N from DOT_N to 100 DOT_N); arrays up to 256x256. Words and tile flags
//     must be identical.
//   * The fast path was taken: through the test hook
//     detail::pe_fast_set_trace, every tile of a configuration that
//     detail::pe_fast_covers() must be either computed by the fast kernel or
//     declined for a reason the test checks from the data (a NaN/Inf code in
//     the tile's rows or columns; for dot a NaN/Inf init word, or an
//     overflow flag in the generic result with RNE or SR, whose Inf
//     accumulator the kernel does not carry). So a silent fallback fails.
//
// Seeds: FP8SA_SEED overrides the defaults.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"
#include "gemm_pe_fast.hpp"
#include "gen.hpp"
#include "ref.hpp"
#include "test_problem.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

enum class Data { Random, Normal, Positive, Tiny, Wide, Sparse, Cancel, SmallInts, Specials };
constexpr Data kAllData[] = {Data::Random, Data::Normal,  Data::Positive,  Data::Tiny,    Data::Wide,
                             Data::Sparse, Data::Cancel,  Data::SmallInts, Data::Specials};
const char* data_name(Data d) {
  switch (d) {
    case Data::Random: return "random";
    case Data::Normal: return "normal";
    case Data::Positive: return "positive";
    case Data::Tiny: return "tiny";
    case Data::Wide: return "wide";
    case Data::Sparse: return "sparse";
    case Data::Cancel: return "cancel";
    case Data::SmallInts: return "small-ints";
    default: return "specials";
  }
}

bool finite_code(uint8_t c, Fp8Format f) { return !ref::fp8_is_nan(c, f) && !ref::fp8_is_inf(c, f); }
bool special_code(uint8_t c, Fp8Format f) { return !finite_code(c, f); }

// The code nearest x (RNE, saturating), by search over the finite codes.
uint8_t nearest_code(double x, Fp8Format f) {
  uint8_t best = 0;
  double bd = INFINITY;
  for (int i = 0; i < 256; ++i) {
    const uint8_t c = static_cast<uint8_t>(i);
    if (!finite_code(c, f)) continue;
    const double d = std::fabs(ref::fp8_decode(c, f) - x);
    if (d < bd) {
      bd = d;
      best = c;
    }
  }
  return best;
}

struct Codes {
  std::vector<uint8_t> normal[2];  // N(0,1) quantized, a pool per format
  Codes() {
    std::mt19937_64 rng(77);
    std::normal_distribution<double> nd(0.0, 1.0);
    for (int f = 0; f < 2; ++f) {
      // nearest_code of a sample: precompute a grid of 4096 samples per format
      for (int i = 0; i < 4096; ++i) normal[f].push_back(nearest_code(nd(rng), static_cast<Fp8Format>(f)));
    }
  }
};
const Codes& codes() {
  static const Codes c;
  return c;
}

uint8_t rand_code(std::mt19937_64& rng, Fp8Format f, Data d) {
  for (;;) {
    uint8_t c = static_cast<uint8_t>(rng());
    switch (d) {
      case Data::Normal: return codes().normal[static_cast<int>(f)][rng() % 4096];
      case Data::Positive: c &= 0x7Fu; break;
      case Data::Tiny: c = static_cast<uint8_t>((c & 0x80u) | (c & 0x0Fu)); break;  // subnormals, smallest normals
      case Data::Wide: {
        // the extremes of the range: the largest and the smallest magnitudes
        const uint8_t mag = (rng() & 1) ? static_cast<uint8_t>(0x7F - (rng() % 12)) : static_cast<uint8_t>(rng() % 12);
        c = static_cast<uint8_t>((c & 0x80u) | mag);
        break;
      }
      case Data::Sparse:
        if (rng() % 3 != 0) return (rng() & 1) ? 0x80 : 0x00;
        break;
      case Data::SmallInts: {
        const double v[] = {0, 1, -1, 2, 3, -3, 0.5, 1.5, -1.5, 0.25};
        const double x = v[rng() % 10];
        if (x == 0.0) return (rng() & 1) ? 0x80 : 0x00;
        return nearest_code(x, f);
      }
      default: break;
    }
    if (finite_code(c, f)) return c;
  }
}

// A binary32 init word: mostly near the products' scale, with subnormals,
// huge values and signed zeros; NaN/Inf only in the specials case.
uint32_t rand_init(std::mt19937_64& rng, bool specials) {
  const unsigned pick = static_cast<unsigned>(rng() % 16);
  const uint32_t s = (rng() & 1) ? 0x80000000u : 0u;
  const uint32_t r = static_cast<uint32_t>(rng());
  if (specials && pick == 0) {
    const uint32_t sp[] = {0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7FA00000u, 0xFF800001u};
    return sp[rng() % 5];
  }
  switch (pick) {
    case 1: return s;                                  // +-0
    case 2: return s | (r & 0x007FFFFFu);              // subnormal (or 0)
    case 3: return s | (0x7F000000u + (r & 0x007FFFFFu));  // huge: 2^127..
    case 4: return s | (0x00800000u + (r & 0x00FFFFFFu));  // tiny normals
    default: {
      // |x| in about [2^-20, 2^20]
      const uint32_t e = 107u + static_cast<uint32_t>(rng() % 41);
      return s | (e << 23) | (r & 0x7FFFFFu);
    }
  }
}

Prob make(std::mt19937_64& rng, int M, int K, int N, Fp8Format fa, Fp8Format fb, Data d, bool with_c) {
  Prob p{M, K, N, fa, fb, {}, {}, {}};
  p.A.resize(static_cast<size_t>(M) * K);
  p.B.resize(static_cast<size_t>(K) * N);
  for (auto& a : p.A) a = rand_code(rng, fa, d);
  for (auto& b : p.B) b = rand_code(rng, fb, d == Data::Cancel ? Data::Random : d);
  if (d == Data::Cancel) {
    mirror_for_cancellation(p.A, p.B, M, K, N);
  }
  if (d == Data::Specials) {
    const int hits = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < hits; ++i) {
      p.A[rng() % p.A.size()] = fa == Fp8Format::E4M3 ? 0x7F : (rng() & 1 ? 0x7E : 0xFC);
      if (rng() & 1) p.B[rng() % p.B.size()] = fb == Fp8Format::E5M2 ? (rng() & 1 ? 0xFC : 0x7C) : 0xFF;
    }
  }
  if (with_c) {
    p.C.resize(static_cast<size_t>(M) * N);
    for (auto& c : p.C) c = rand_init(rng, d == Data::Specials);
  }
  return p;
}

std::string cfg_name(const ArrayConfig& c, Round rnd) {
  std::string s = std::string(pe_kind_name(c.pe_kind)) + " dot_n " + std::to_string(c.dot_n);
  if (c.pe_kind == PeKind::Dot) s += " align " + std::to_string(c.align_bits);
  s += " " + c.acc.name() + " " + round_name(rnd);
  if (rnd == Round::SR) s += std::string(" ") + sr_kind_name(c.sr_kind) + " R=" + std::to_string(c.sr_bits);
  if (c.promote_n != 0) s += " promote " + std::to_string(c.promote_n);
  s += " " + std::to_string(c.rows) + "x" + std::to_string(c.cols);
  return s;
}

struct Stats {
  long cases = 0, fails = 0, fast_tiles = 0, declined_tiles = 0, covered_cases = 0;
  uint8_t flags = 0;
};

// Why tile t may be declined: a NaN/Inf code in its rows / columns, a
// NaN/Inf init word (dot), or an overflow in its generic flags (dot, RNE
// or SR: the accumulator would be Inf).
bool decline_reason(const Prob& pr, const ArrayConfig& cfg, Round rnd, long t, int tn, uint8_t gen_flags) {
  const int ti = static_cast<int>(t / tn), tj = static_cast<int>(t % tn);
  for (int r = 0; r < cfg.rows; ++r) {
    const int m = ti * cfg.rows + r;
    if (m >= pr.M) break;
    for (int k = 0; k < pr.K; ++k)
      if (special_code(pr.A[static_cast<size_t>(m) * pr.K + k], pr.fa)) return true;
  }
  for (int c = 0; c < cfg.cols; ++c) {
    const int n = tj * cfg.cols + c;
    if (n >= pr.N) break;
    for (int k = 0; k < pr.K; ++k)
      if (special_code(pr.B[static_cast<size_t>(k) * pr.N + n], pr.fb)) return true;
  }
  if (cfg.pe_kind != PeKind::Dot) return false;
  if (!pr.C.empty()) {
    for (int r = 0; r < cfg.rows; ++r)
      for (int c = 0; c < cfg.cols; ++c) {
        const int m = ti * cfg.rows + r, n = tj * cfg.cols + c;
        if (m < pr.M && n < pr.N && (pr.C[static_cast<size_t>(m) * pr.N + n] & 0x7F800000u) == 0x7F800000u) return true;
      }
  }
  // The accumulator (narrow, or the binary32 one with promotion) would go
  // to Inf: an overflow in the tile's generic flags, RNE or SR (or any
  // rounding with promotion, whose binary32 add is RNE).
  return (rnd != Round::RZ || cfg.promote_n != 0) && (gen_flags & kFlagOverflow) != 0;
}

// Fast against generic, words and tile flags; the trace of the fast run.
void check(const Prob& pr, const ArrayConfig& cfg, Round rnd, int threads, const std::string& what, Stats* st) {
  const GemmProblem p = problem(pr, rnd);
  GemmOutput fast, gen;
  GemmOptions fo, go;
  fo.threads = threads;
  go.allow_fast = false;
  go.threads = 2;
  std::vector<uint8_t> trace;
  detail::pe_fast_set_trace(&trace);
  gemm_functional(p, cfg, &fast, fo);
  detail::pe_fast_set_trace(nullptr);
  gemm_functional(p, cfg, &gen, go);
  ++st->cases;
  int bad = 0;
  for (size_t i = 0; i < gen.out.size() && bad < 3; ++i) {
    if (fast.out[i] != gen.out[i]) {
      ++bad;
      ADD_FAILURE() << what << ": C[" << i / static_cast<size_t>(p.N) << "][" << i % static_cast<size_t>(p.N)
                    << "] fast " << hx(fast.out[i]) << " generic " << hx(gen.out[i]);
    }
  }
  for (size_t t = 0; t < gen.tile_flags.size() && bad < 3; ++t) {
    st->flags = static_cast<uint8_t>(st->flags | gen.tile_flags[t]);
    if (fast.tile_flags[t] != gen.tile_flags[t]) {
      ++bad;
      ADD_FAILURE() << what << ": tile " << t << " flags fast " << ref::flags_str(fast.tile_flags[t]) << " generic "
                    << ref::flags_str(gen.tile_flags[t]);
    }
  }
  if (detail::pe_fast_covers(cfg, rnd)) {
    ++st->covered_cases;
    if (trace.size() != gen.tile_flags.size()) {
      ++bad;
      ADD_FAILURE() << what << ": covered, but the fast path was not prepared (trace of " << trace.size() << " tiles)";
    } else {
      for (size_t t = 0; t < trace.size(); ++t) {
        if (trace[t] == detail::kPeFastTileFast) {
          ++st->fast_tiles;
        } else if (trace[t] == detail::kPeFastTileDeclined &&
                   decline_reason(pr, cfg, rnd, static_cast<long>(t), gen.tiles_n, gen.tile_flags[t])) {
          ++st->declined_tiles;
        } else {
          ++bad;
          ADD_FAILURE() << what << ": tile " << t << (trace[t] == 0 ? " never reached the fast path" : " declined")
                        << " without a reason";
          break;
        }
      }
    }
  } else {
    EXPECT_TRUE(trace.empty()) << what << ": not covered, but prepared";
  }
  if (bad != 0) ++st->fails;
}

void report(const char* name, const Stats& st, uint64_t seed) {
  std::printf("%s: %ld cases (%ld covered), %ld failed; tiles fast %ld, declined with a reason %ld; flags seen %s; "
              "seed %llu\n",
              name, st.cases, st.covered_cases, st.fails, st.fast_tiles, st.declined_tiles,
              ref::flags_str(st.flags).c_str(), static_cast<unsigned long long>(seed));
}

ArrayConfig random_array(std::mt19937_64& rng) {
  ArrayConfig cfg;
  const int shapes[][2] = {{4, 4}, {8, 8}, {1, 1}, {3, 5}, {2, 8}, {6, 4}, {16, 16}, {5, 3}, {8, 16}, {16, 1}, {1, 16}, {9, 7}};
  const auto& s = shapes[rng() % 12];
  cfg.rows = s[0];
  cfg.cols = s[1];
  cfg.sr_bits = 2 + static_cast<int>(rng() % 23);
  cfg.q_sr_bits = 16;
  cfg.lfsr_w = std::max(cfg.sr_bits, 16) + static_cast<int>(rng() % (33 - std::max(cfg.sr_bits, 16)));
  cfg.seed = static_cast<uint32_t>(rng()) | 1u;
  cfg.sr_kind = static_cast<SrKind>(rng() % 3);
  return cfg;
}

AccFormat random_acc(std::mt19937_64& rng) {
  const AccFormat named[] = {kFp32, AccFormat{8, 13}, AccFormat{8, 10}, AccFormat{5, 10}, AccFormat{6, 5}};
  if (rng() % 3 != 0) return named[rng() % 5];
  return AccFormat{4 + static_cast<int>(rng() % 5), 2 + static_cast<int>(rng() % 22)};
}

int random_k(std::mt19937_64& rng, int it) {
  if (it % 11 == 0) return 1000 + static_cast<int>(rng() % 2500);
  if (it % 3 == 0) return 1 + static_cast<int>(rng() % 300);
  return 1 + static_cast<int>(rng() % 70);
}

// Case `it` of a random suite: a rounding, an M x K x N problem (M, N up to
// max_mn, K from random_k) of data d with random operand formats and C, on
// cfg, checked fast path against generic path into st.
void check_random_case(std::mt19937_64& rng, int it, Data d, const ArrayConfig& cfg, int max_mn, uint64_t seed,
                       Stats* st) {
  const Round rnd = static_cast<Round>(rng() % 3);
  const int M = 1 + static_cast<int>(rng() % max_mn), N = 1 + static_cast<int>(rng() % max_mn);
  const int K = random_k(rng, it);
  const Fp8Format fa = static_cast<Fp8Format>(rng() & 1), fb = static_cast<Fp8Format>(rng() & 1);
  const Prob pr = make(rng, M, K, N, fa, fb, d, rng() % 3 != 0);
  check(pr, cfg, rnd, 1 + it % 2, "case " + std::to_string(it) + " (" + data_name(d) + ", " + cfg_name(cfg, rnd) +
                                      ", " + std::to_string(M) + "x" + std::to_string(K) + "x" + std::to_string(N) +
                                      ", seed " + std::to_string(seed) + ")",
        st);
}

TEST(PeFast, DotEqualsGeneric) {
  const uint64_t seed = test_seed(1701);
  std::mt19937_64 rng(seed);
  const int aligns[] = {1, 2, 5, 8, 13, 13, 16, 20, 23, 25, 31, 31, 40, 44, 48};
  Stats st;
  for (int it = 0; it < 540; ++it) {
    const Data d = kAllData[it % 9];
    ArrayConfig cfg = random_array(rng);
    cfg.pe_kind = PeKind::Dot;
    cfg.dot_n = 1 << (rng() % 7);
    cfg.align_bits = aligns[rng() % 15];
    cfg.acc = random_acc(rng);
    if (it % 13 == 0) {
      cfg.promote_n = cfg.dot_n * (1 + static_cast<int>(rng() % 4));
      if (cfg.promote_n < 2) cfg.promote_n = 2;
    }
    check_random_case(rng, it, d, cfg, 24, seed, &st);
  }
  report("dot", st, seed);
  EXPECT_EQ(st.fails, 0);
  EXPECT_EQ(st.flags & 0x7, 0x7) << "flags seen: " << ref::flags_str(st.flags);
  EXPECT_GT(st.fast_tiles, 1000);
  EXPECT_GT(st.declined_tiles, 10);
}

TEST(PeFast, ExactEqualsGeneric) {
  const uint64_t seed = test_seed(1702);
  std::mt19937_64 rng(seed);
  Stats st;
  for (int it = 0; it < 360; ++it) {
    const Data d = kAllData[it % 9];
    ArrayConfig cfg = random_array(rng);
    cfg.pe_kind = PeKind::Exact;
    cfg.dot_n = 1 << (rng() % 7);
    cfg.acc = random_acc(rng);
    check_random_case(rng, it, d, cfg, 24, seed, &st);
  }
  report("exact", st, seed);
  EXPECT_EQ(st.fails, 0);
  EXPECT_EQ(st.flags & 0xF, 0xF) << "flags seen: " << ref::flags_str(st.flags);
  EXPECT_GT(st.fast_tiles, 1000);
}

// Every DOT_N with windows on both sides of the binary32 / binary64 limits,
// the hardware presets' formats and every rounding.
TEST(PeFast, DotEveryDotNAndWindow) {
  const uint64_t seed = test_seed(1703);
  std::mt19937_64 rng(seed);
  Stats st;
  int it = 0;
  for (int dn = 1; dn <= 64; dn *= 2)
    for (int F : {1, 13, 14, 17, 20, 25, 31, 44, 48}) {
      ArrayConfig cfg = random_array(rng);
      cfg.pe_kind = PeKind::Dot;
      cfg.dot_n = dn;
      cfg.align_bits = F;
      const AccFormat accs[] = {kFp32, AccFormat{8, 13}, AccFormat{8, 10}, AccFormat{5, 10}, AccFormat{6, 5}};
      cfg.acc = accs[it % 5];
      const Round rnd = static_cast<Round>(it % 3);
      const Data d = (it % 4 == 0) ? Data::Wide : (it % 4 == 1 ? Data::Normal : (it % 4 == 2 ? Data::Tiny : Data::Random));
      const int K = 1 + static_cast<int>(rng() % (3 * dn + 40));
      const Prob pr = make(rng, 1 + static_cast<int>(rng() % 12), K, 1 + static_cast<int>(rng() % 12),
                           static_cast<Fp8Format>(rng() & 1), static_cast<Fp8Format>(rng() & 1), d, (it & 1) != 0);
      check(pr, cfg, rnd, 2, "dot_n " + std::to_string(dn) + " align " + std::to_string(F) + " (" + data_name(d) + ", " +
                                 cfg_name(cfg, rnd) + ", K " + std::to_string(K) + ")",
            &st);
      ++it;
    }
  report("dot_n x window", st, seed);
  EXPECT_EQ(st.fails, 0);
}

// The presets on N(0,1) data (the benchmark's), a 64 x 1000 x 64 GEMM on an
// 8x8 array, and the exact PE: every tile takes the fast path.
TEST(PeFast, PresetsAllTilesFast) {
  const uint64_t seed = test_seed(1704);
  std::mt19937_64 rng(seed);
  Stats st;
  for (const char* name : {"h100-fp8", "ada-fp8", "b200-fp8", "exact"}) {
    const PePreset& ps = find_pe_preset(name);
    ArrayConfig cfg;
    cfg.rows = cfg.cols = 8;
    cfg.pe_kind = ps.kind;
    if (ps.dot_n != 0) cfg.dot_n = ps.dot_n;
    if (ps.align_bits != 0) cfg.align_bits = ps.align_bits;
    if (ps.acc != nullptr) cfg.acc = AccFormat::parse(ps.acc);
    const Round rnd = ps.rnd >= 0 ? static_cast<Round>(ps.rnd) : Round::RNE;
    for (bool with_c : {false, true}) {
      const Prob pr = make(rng, 64, 1000, 64, Fp8Format::E4M3, Fp8Format::E5M2, Data::Normal, with_c);
      const long before = st.fast_tiles;
      check(pr, cfg, rnd, 2, std::string(name) + (with_c ? " with C_init" : ""), &st);
      EXPECT_EQ(st.fast_tiles - before, 64) << name;
    }
  }
  report("presets", st, seed);
  EXPECT_EQ(st.fails, 0);
}

// Promotion with dot (numerics.md sections 9 and 10): PROMOTE_N a multiple
// of DOT_N (one step per group up to whole tiles), binary32 init words with
// specials, every rounding; and h100-fp8 promoted every 128 products (the
// DeepSeek-V3 recipe) on N(0,1) data, every tile fast.
TEST(PeFast, DotPromotion) {
  const uint64_t seed = test_seed(1706);
  std::mt19937_64 rng(seed);
  const int aligns[] = {1, 8, 13, 20, 25, 31, 44};
  Stats st;
  for (int it = 0; it < 180; ++it) {
    const Data d = kAllData[it % 9];
    ArrayConfig cfg = random_array(rng);
    cfg.pe_kind = PeKind::Dot;
    cfg.dot_n = 1 << (rng() % 7);
    cfg.align_bits = aligns[rng() % 7];
    cfg.acc = random_acc(rng);
    const int mult[] = {1, 2, 3, 4, 8, 100};
    cfg.promote_n = std::max(2, cfg.dot_n * mult[rng() % 6]);
    check_random_case(rng, it, d, cfg, 20, seed, &st);
  }
  ArrayConfig h100;
  h100.rows = h100.cols = 8;
  h100.pe_kind = PeKind::Dot;
  h100.dot_n = 32;
  h100.align_bits = 13;
  h100.acc = AccFormat{8, 13};
  h100.promote_n = 128;
  for (bool with_c : {false, true}) {
    const Prob pr = make(rng, 40, 1000, 40, Fp8Format::E4M3, Fp8Format::E5M2, Data::Normal, with_c);
    const long before = st.fast_tiles;
    check(pr, h100, Round::RZ, 2, std::string("h100-fp8 promote 128") + (with_c ? " with C_init" : ""), &st);
    EXPECT_EQ(st.fast_tiles - before, 25);
  }
  report("dot promotion", st, seed);
  EXPECT_EQ(st.fails, 0);
  EXPECT_EQ(st.flags & 0x7, 0x7) << "flags seen: " << ref::flags_str(st.flags);
  EXPECT_GT(st.fast_tiles, 500);
}

// Arrays beyond the random test's 16x16: many lane vectors and row groups
// per tile, ragged at both ends, a tile larger than the problem.
TEST(PeFast, LargeArrays) {
  const uint64_t seed = test_seed(1705);
  std::mt19937_64 rng(seed);
  Stats st;
  const int shapes[][2] = {{32, 32}, {64, 40}, {24, 72}, {256, 256}};
  int it = 0;
  for (const auto& sh : shapes)
    for (PeKind kind : {PeKind::Dot, PeKind::Exact})
      for (int F : {13, 31}) {
        if (kind == PeKind::Exact && F == 31) continue;
        ArrayConfig cfg = random_array(rng);
        cfg.rows = sh[0];
        cfg.cols = sh[1];
        cfg.pe_kind = kind;
        cfg.dot_n = kind == PeKind::Dot ? (F == 13 ? 16 : 32) : 8;
        cfg.align_bits = F;
        cfg.acc = it % 2 ? AccFormat{8, 13} : kFp32;
        const Round rnd = static_cast<Round>(it % 3 == 2 && F == 13 ? 2 : it % 2);
        const Data d = it % 3 == 0 ? Data::Normal : (it % 3 == 1 ? Data::Wide : Data::Sparse);
        const Prob pr = make(rng, 70 + static_cast<int>(rng() % 30), 1 + static_cast<int>(rng() % 200),
                             50 + static_cast<int>(rng() % 40), static_cast<Fp8Format>(rng() & 1),
                             static_cast<Fp8Format>(rng() & 1), d, (it & 1) != 0);
        check(pr, cfg, rnd, 2, "large " + std::to_string(it) + " (" + data_name(d) + ", " + cfg_name(cfg, rnd) + ")",
              &st);
        ++it;
      }
  report("large arrays", st, seed);
  EXPECT_EQ(st.fails, 0);
  EXPECT_GT(st.fast_tiles, 10);
}

TEST(PeFast, Covers) {
  ArrayConfig c;
  c.pe_kind = PeKind::Fma;
  EXPECT_FALSE(detail::pe_fast_covers(c, Round::RNE));
  c.pe_kind = PeKind::Exact;
  for (Round r : {Round::RNE, Round::RZ, Round::SR}) EXPECT_TRUE(detail::pe_fast_covers(c, r));
  c.pe_kind = PeKind::Dot;
  c.dot_n = 32;
  c.align_bits = 13;
  c.acc = AccFormat{8, 13};
  for (Round r : {Round::RNE, Round::RZ, Round::SR}) EXPECT_TRUE(detail::pe_fast_covers(c, r));
  c.promote_n = 64;
  EXPECT_TRUE(detail::pe_fast_covers(c, Round::RZ));
  c.promote_n = 0;
  c.align_bits = 31;
  c.acc = kFp32;
  EXPECT_TRUE(detail::pe_fast_covers(c, Round::RNE));
  EXPECT_TRUE(detail::pe_fast_covers(c, Round::RZ));
  EXPECT_FALSE(detail::pe_fast_covers(c, Round::SR));
  c.acc = AccFormat{8, 22};
  EXPECT_FALSE(detail::pe_fast_covers(c, Round::RNE));
  EXPECT_TRUE(detail::pe_fast_covers(c, Round::RZ));
  c.align_bits = 48;
  c.dot_n = 64;
  EXPECT_FALSE(detail::pe_fast_covers(c, Round::RZ));
}

}  // namespace
}  // namespace fp8sa::test

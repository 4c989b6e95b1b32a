// The functional model's fast path for the dot and exact PE kinds
// (docs/numerics.md sections 10.2 and 10.3): per-tile kernels,
// bit-identical to the PE seam's reference loop (Pe::tile, which
// tile_compute_generic runs), words and tile flags. gemm_functional calls
// pe_fast_tile per tile when pe_fast_covers() the configuration; tiles the
// kernels decline take the generic path (the narrow path's pattern).
//
// Operands are unpacked once per GEMM (pe_fast_prepare, every thread, into
// pooled buffers): A by rows, B in panels of one tile's columns, k-major,
// padded with +0 to whole steps, to whole groups of 4 rows and to whole
// SIMD vectors of columns, with per-row and per-column NaN/Inf marks.
// Threads take square blocks of tiles whose operands fit in L2 together
// (pe_fast_block).
//
// dot (x86 AVX2; SIMD lanes = a tile's columns, 8 per ymm; each lane one
// PE's chain of steps, in step order; 4 rows at a time, which share the B
// loads). A step of numerics.md 10.2 for the accumulator c (binary32 bits:
// every eXmY value and the init word are binary32 values) and products
// p_i = a_i * b_i:
//
//   1. E = max(e(c), max_i e(a_i) + e(b_i)). The products' part (pass 1)
//      for 4 rows at once on bytes: e(a) of the 4 rows in a 32-bit word,
//      e(b) repeated 4 times in a lane, saturating adds and byte maxima (a
//      zero code's byte kSent8 keeps zero products out). Pass 1 does not
//      depend on the accumulators, so a chunk of steps is done first.
//   2. Each product scaled to units of 2^(E - F) (F = ALIGN_BITS) is
//      p_i * 2^(F - E) in binary32, exact: p_i has at most 8 significant
//      bits and lies in [2^-32, 2^32), and the scale's exponent is clamped to
//      [-60, 100], which changes nothing (F - E < -60 means every product is
//      below the unit and truncates to 0 either way; F - E > 100 means E <
//      -52 and no product is non-zero). Truncating toward zero
//      (_mm256_round_ps) is exact; lost = some truncated term != its
//      original.
//   3. c's term: c * 2^(F - E) truncated, exact, in binary32 (or on its
//      bits, in integer lanes, for the rare lanes where that scale is not a
//      binary32 normal).
//   4. S = the sum of the truncated terms. Each is an integer in units,
//      below 2^(F+2) (products, whose significand product is below 4) or
//      2^(F+1) (c), so every partial sum is exact in binary32 when
//      DOT_N * 2^(F+2) + 2^(F+1) <= 2^24 (h100-fp8, ada-fp8: F = 13) and
//      in binary64 up to 2^53 (b200-fp8: F = 31). On that binary64 path a
//      step where no product lies below the unit (nothing truncated; the
//      common case with a 31-bit window, tested per row and lane against a
//      precomputed bound on the step's lowest product LSB) sums its
//      products by an FMA chain in binary64 computed ahead of the step, like
//      pass 1; other steps truncate each product as above. Partial sums
//      start at -0 and the step adds +0 unless every term was zero, which
//      gives the sign rules of numerics.md (-0 only if c and every product
//      were -0; +0 for an exact cancellation).
//   5. S * 2^(E - F) rounded once into eXmY, in integer lanes on binary32
//      bits: the value is exact in binary32 on the binary32 path (at most
//      24 bits; its unit is at least 2^-149 since E >= -126 and F <= 20
//      there) and is made so on the binary64 path by a round-toward-zero
//      conversion with the lost bits jammed into the last bit (round to
//      odd, innocuous when the rounding reads only bits above it: RZ, RNE
//      with Y <= 21, SR with Y + R <= 21; with Y = 23 that conversion is
//      the rounding, RNE or RZ; the conversion rounds to nearest, and one
//      ulp less where it rounded up in magnitude is the truncation). Above 2^emin of the format the
//      rounding drops 23 - Y bits: RZ masks them, RNE adds half - 1 plus the
//      kept LSB first (the carry moves into the exponent), SR compares the
//      step's draw with the threshold k of numerics.md section 5 (every SR
//      kind). A result above the format's largest finite value overflows:
//      RZ takes that value (flags overflow, inexact; never with X = 8);
//      RNE and SR would make the accumulator Inf, and the tile is declined.
//      Tiny results (below 2^emin, so subnormal or underflowing) are rare
//      and rounded by detail::round_value per lane, the reference's own
//      rounding.
//
//   Flags: inexact (lost, or a rounding dropped bits) is tracked per
//   product only until the tile is known inexact (as the FMA path does),
//   overflow and underflow on every step. Padded PEs and lanes hold +0 and
//   raise nothing (all their products are zero).
//
//   SR: every PE's LFSR state at each tile's start is precomputed once per
//   GEMM (the jump by one tile's draws as a byte-sliced table), and each
//   step draws from it with the draw map's table (Lfsr::draw_table).
//
// exact (x86 AVX2 + FMA): the tile's sums are a DGEMM. Every product is a
// multiple of 2^(lsb(a) + lsb(b)) below 2^(top(a) + top(b)) (lsb: the
// exponent of the code's significand LSB, top: floor(log2 |x|) + 1), so
// with the tile's smallest lsb and largest top over its rows and columns
// (kept per row and column), each partial sum of a binary64 FMA chain in k
// order is an integer multiple of 2^lsb below K * 2^top, exact when
// top + ceil(log2(K + 1)) - lsb <= 53 (E4M3 x E4M3 always; N(0,1) data in
// E4M3 x E5M2 nearly always). Otherwise two chains: products of magnitude
// >= 2^T (multiples of 2^(T-7): a significand product is below 2^8) and
// the others, T = top + lg - 46, exact for every FP8 pair (top - lsb <= 64).
// The chains start at -0, so a zero sum is -0 iff every product was -0
// (IEEE's RNE sign rules), which is the PE's negz (cleared by the +0
// products that pad K to whole steps). The one rounding per PE (numerics.md
// 10.3) is scalar: when C_init + hi + lo is exact in binary64 (TwoSum) and
// non-zero, detail::round_value on it; otherwise (exact zero, NaN/Inf init
// words, an inexact binary64 sum) Pe::result on the 81-bit integer X
// rebuilt from the chains. The tile's one SR draw per PE comes from the
// precomputed tile-start states.
//
// Promotion (dot, PROMOTE_N a multiple of DOT_N): the narrow accumulator
// starts every group at +0 (never from the init word) and after a group's
// last step, or the tile's, w = RNE_binary32(w + widen(n)) in binary64 with
// TwoSum (dot_promote; w starts from the init word, and is the result).
//
// Not covered (generic path, whole GEMM): dot whose
// DOT_N * 2^(F+2) + 2^(F+1) exceeds 2^53 (ALIGN_BITS 45 and up for some
// DOT_N); the binary64 dot path (ALIGN_BITS above about 20) with RNE and
// Y = 22, or SR with Y = 23 or Y + R > 21 (SR_BITS R); CPUs without AVX2 and
// FMA. Per tile: NaN/Inf codes (both kinds), and for dot NaN/Inf init
// words and an accumulator that overflows to Inf (a step with RNE or SR,
// a promotion add).
#include "gemm_pe_fast.hpp"
#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/pe.hpp"
#include "internal.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FP8SA_PEF_X86 1
#define FP8SA_AVX2 __attribute__((target("avx2,fma")))
#define FP8SA_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) inline
#define FP8SA_LAMBDA_AVX2 __attribute__((target("avx2,fma"), always_inline))
#else
#define FP8SA_PEF_X86 0
#endif

namespace fp8sa {
namespace detail {

namespace {

std::vector<uint8_t>* g_trace = nullptr;

// Packed operands live in buffers taken from a small pool and given back
// when the GEMM ends: a 1024^3 GEMM packs tens of MiB, and fresh pages
// (faults, zeroing) would cost a sizeable part of its time. Contents are
// never assumed: the packing writes every element it reads.
class BufferPool {
 public:
  static void* take(size_t bytes, size_t* cap) {
    {
      std::lock_guard<std::mutex> lock(mu());
      std::vector<Kept>& v = kept();
      size_t best = v.size();
      for (size_t i = 0; i < v.size(); ++i)
        if (v[i].bytes >= bytes && (best == v.size() || v[i].bytes < v[best].bytes)) best = i;
      if (best != v.size()) {
        void* p = v[best].p;
        *cap = v[best].bytes;
        v.erase(v.begin() + static_cast<ptrdiff_t>(best));
        return p;
      }
    }
    *cap = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, *cap);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  static void give(void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu());
    std::vector<Kept>& v = kept();
    size_t total = bytes;
    for (const Kept& k : v) total += k.bytes;
    if (v.size() < kKeep && total <= kKeepBytes) {
      v.push_back({p, bytes});
    } else {
      std::free(p);
    }
  }

 private:
  struct Kept {
    void* p;
    size_t bytes;
  };
  static constexpr size_t kKeep = 12;
  static constexpr size_t kKeepBytes = size_t{96} << 20;
  struct Store {
    std::vector<Kept> v;
    ~Store() {
      for (Kept& k : v) std::free(k.p);
    }
  };
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static std::vector<Kept>& kept() {
    static Store s;
    return s.v;
  }
};

// A pooled array of trivially copyable T (uninitialized).
template <class T>
class Buf {
 public:
  Buf() = default;
  ~Buf() { release(); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  void resize(size_t n) {
    release();
    if (n != 0) p_ = static_cast<T*>(BufferPool::take(n * sizeof(T), &cap_));
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }

 private:
  void release() {
    if (p_ != nullptr) BufferPool::give(p_, cap_);
    p_ = nullptr;
    cap_ = 0;
  }
  T* p_ = nullptr;
  size_t cap_ = 0;
};

#if FP8SA_PEF_X86

constexpr int kSent = -4096;     // e() of a zero code: two of them plus any e stay below kAllZero
constexpr int8_t kSent8 = -100;  // the same in pass 1's bytes (dot_pass1)
constexpr int kAllZero = -1000;  // a step's E below this: every term was zero
constexpr int kNoLsb = 1000;     // lsb of a row / column without non-zero codes
constexpr int kNoTop = -1000;    // its top

uint32_t f32_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float f32_of(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// What the kernels need of each FP8 code.
struct CodeInfo {
  float v = 0;     // exact value
  int e = kSent;   // numerics.md 10.1 e(x); kSent for zeros
  int lsb = kNoLsb;  // exponent of the significand's LSB (non-zero codes)
  int top = kNoTop;  // floor(log2 |x|) + 1 (non-zero codes)
  bool special = false;
};

// The same as flat per-code arrays for the packing loops.
struct FlatCodes {
  float v[256];
  uint8_t e8[256];   // e() as a pass-1 byte (kSent8 for zeros)
  int32_t lsb[256];  // kNoLsb for zeros
  uint8_t sp[256];   // NaN / Inf
};

struct CodeTables {
  CodeInfo t[2][256];
  FlatCodes flat[2];
  CodeTables() {
    for (int f = 0; f < 2; ++f)
      for (int c = 0; c < 256; ++c) {
        const Fp8Dec& d = kFp8Dec.t[f][c];
        CodeInfo& ci = t[f][c];
        ci.special = (d.cls & (kClsNan | kClsInf)) != 0;
        if (d.cls == kClsZero) ci.v = d.sign != 0 ? -0.0f : 0.0f;  // the sign rules read a zero product's sign
        if (d.cls != kClsFinite) continue;
        ci.v = f32_of(fp8_to_f32_bits(static_cast<uint8_t>(c), static_cast<Fp8Format>(f)));
        ci.e = d.exp + kFormatTable[f].man_bits;
        ci.lsb = d.exp;
        ci.top = d.exp + bitlen64(d.sig);
      }
    for (int f = 0; f < 2; ++f)
      for (int c = 0; c < 256; ++c) {
        const CodeInfo& ci = t[f][c];
        flat[f].v[c] = ci.v;
        flat[f].e8[c] = static_cast<uint8_t>(ci.e == kSent ? kSent8 : ci.e);
        flat[f].lsb[c] = ci.lsb;
        flat[f].sp[c] = ci.special ? 1u : 0u;
      }
  }
};
const CodeTables& code_tables() {
  static const CodeTables t;
  return t;
}

// Byte-sliced table of a linear map of LFSR states (width w) given the
// images of the unit states.
void byte_table(const uint32_t* col, int w, uint32_t* t) {
  for (int k = 0; k < 4; ++k)
    for (int v = 0; v < 256; ++v) {
      uint32_t x = 0;
      for (int j = 0; j < 8; ++j) {
        const int bit = 8 * k + j;
        if (((v >> j) & 1) != 0 && bit < w) x ^= col[bit];
      }
      t[k * 256 + v] = x;
    }
}

inline uint32_t apply_table(const uint32_t* t, uint32_t s) {
  return t[s & 0xFFu] ^ t[256 + ((s >> 8) & 0xFFu)] ^ t[512 + ((s >> 16) & 0xFFu)] ^ t[768 + (s >> 24)];
}

#endif  // FP8SA_PEF_X86

}  // namespace

class PeFast {
 public:
  PeFast(const GemmProblem& pp, const ArrayConfig& cc, int threads);

  const GemmProblem& p;
  ArrayConfig cfg;
  PeConfig pc;
  Pe pe;
  AccFormat fmt;
  int R, C, tm, tn, K;
  long T;
  bool dot;
  std::vector<uint8_t> row_sp, col_sp;  // a NaN/Inf code in row m of A / column n of B
  // dot: rows of A (M x Kp values, binary32; on the binary64 path also
  // binary64 in ad), pass-1 bytes per group of G rows of each tile row
  // (agp: tm * GR groups x Kp words), B panels (per tile column, per k: Cp
  // values then Cp pass-1 words, 2*Cp words; binary64 path: Kp x Cp
  // binary64 values in bd), a zero row for padded rows (zf, zd).
  int n = 1, F = 13, steps = 0, Kp = 0, Cp = 8, GR = 1;
  bool dbl = false;
  Buf<float> af, bpf;  // binary32 path: A rows, B panels (binary64 path: ad, bd)
  std::vector<float> zf;
  Buf<uint32_t> agp;
  Buf<uint8_t> bpe;    // B panels' e() bytes
  // binary64 path: the lowest LSB of the non-zero codes of row m in step j
  // (mla[m * steps + j]) and of tile column tj's lane c
  // (mlb[(tj * steps + j) * Cp + c]), kNoLsb where there are none.
  Buf<int32_t> mla, mlb;
  // exact: rows of A (M x K) and B panels (K x Cq per tile column) in
  // binary64, lsb/top per row and column.
  int Cq = 4;
  Buf<double> ad, bd;
  std::vector<double> zd;
  std::vector<int16_t> lsb_a, top_a, lsb_b, top_b;
  // SR: PE (r, c)'s LFSR state at tile t's start, [(r*C + c) * T + t].
  Buf<uint32_t> tile_state;
  const uint32_t* dtab = nullptr;
  uint32_t umask = 0;
};

void PeFastDeleter::operator()(PeFast* f) const { delete f; }

void pe_fast_set_trace(std::vector<uint8_t>* trace) { g_trace = trace; }

bool pe_fast_covers(const ArrayConfig& cfg, Round rnd) {
#if FP8SA_PEF_X86
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return false;
  if (cfg.pe_kind == PeKind::Exact) return true;
  if (cfg.pe_kind != PeKind::Dot) return false;
  const int F = cfg.align_bits, Y = cfg.acc.man_bits;
  const double bound = cfg.dot_n * std::ldexp(1.0, F + 2) + std::ldexp(1.0, F + 1);
  if (bound <= std::ldexp(1.0, 24)) return true;  // binary32 sums: every format and rounding
  if (bound > std::ldexp(1.0, 53)) return false;
  // binary64 sums, rounded through a round-to-odd binary32 (file comment).
  if (Y == 23) return rnd != Round::SR;  // the conversion to binary32 rounds (MXCSR's RNE or RZ)
  switch (rnd) {
    case Round::RZ: return true;
    case Round::RNE: return Y <= 21;
    default: return Y + cfg.sr_bits <= 21;
  }
#else
  (void)cfg;
  (void)rnd;
  return false;
#endif
}

#if FP8SA_PEF_X86

PeFast::PeFast(const GemmProblem& pp, const ArrayConfig& cc, int threads)
    : p(pp), cfg(cc), pc(cc.pe()), pe(pc), fmt(cc.acc), R(cc.rows), C(cc.cols), tm((pp.M + cc.rows - 1) / cc.rows),
      tn((pp.N + cc.cols - 1) / cc.cols), K(pp.K), T(static_cast<long>(tm) * tn), dot(cc.pe_kind == PeKind::Dot),
      row_sp(static_cast<size_t>(pp.M), 0u), col_sp(static_cast<size_t>(pp.N), 0u) {
  const CodeTables& ct = code_tables();
  const CodeInfo* cta = ct.t[static_cast<int>(p.fmt_a) & 1];
  const CodeInfo* ctb = ct.t[static_cast<int>(p.fmt_b) & 1];
  const FlatCodes& ta = ct.flat[static_cast<int>(p.fmt_a) & 1];
  const FlatCodes& tb = ct.flat[static_cast<int>(p.fmt_b) & 1];
  const size_t M = static_cast<size_t>(p.M), N = static_cast<size_t>(p.N), Ks = static_cast<size_t>(K);
  if (dot) {
    n = cfg.dot_n;
    F = cfg.align_bits;
    steps = (K + n - 1) / n;
    Kp = steps * n;
    Cp = (C + 7) / 8 * 8;
    dbl = n * std::ldexp(1.0, F + 2) + std::ldexp(1.0, F + 1) > std::ldexp(1.0, 24);
    // Pass-1 bytes (dot_pass1): e() of 4 rows per word for A, a B word
    // repeats its lane's e() 4 times. Zero codes and padding are kSent8.
    GR = (R + 3) / 4;
    const size_t Kps = static_cast<size_t>(Kp), Cps = static_cast<size_t>(Cp), S = static_cast<size_t>(steps);
    const size_t Nn = static_cast<size_t>(n);
    agp.resize(static_cast<size_t>(tm) * static_cast<size_t>(GR) * Kps);
    if (dbl) {
      ad.resize(M * Kps);
      zd.assign(Kps, 0.0);
      mla.resize(M * S);
    } else {
      af.resize(M * Kps);
      zf.assign(Kps, 0.0f);
    }
    parallel_for(tm, threads, [&](long ti) {
      for (int g = 0; g < GR; ++g) {
        uint8_t* w = reinterpret_cast<uint8_t*>(agp.data() +
                                                (static_cast<size_t>(ti) * static_cast<size_t>(GR) + static_cast<size_t>(g)) * Kps);
        for (int sl = 0; sl < 4; ++sl) {
          const int r = g * 4 + sl;
          const size_t m = static_cast<size_t>(ti) * static_cast<size_t>(R) + static_cast<size_t>(r);
          if (r >= R || m >= M) {
            for (size_t k = 0; k < Kps; ++k) w[4 * k + static_cast<size_t>(sl)] = static_cast<uint8_t>(kSent8);
            continue;
          }
          const uint8_t* a = p.A + m * Ks;
          uint8_t sp = 0;
          for (size_t k = 0; k < Ks; ++k) {
            w[4 * k + static_cast<size_t>(sl)] = ta.e8[a[k]];
            sp |= ta.sp[a[k]];
          }
          for (size_t k = Ks; k < Kps; ++k) w[4 * k + static_cast<size_t>(sl)] = static_cast<uint8_t>(kSent8);
          row_sp[m] = sp;
          if (dbl) {
            double* vd = ad.data() + m * Kps;
            for (size_t k = 0; k < Ks; ++k) vd[k] = ta.v[a[k]];
            for (size_t k = Ks; k < Kps; ++k) vd[k] = 0.0;
            for (size_t j = 0; j < S; ++j) {
              int lo = kNoLsb;
              for (size_t k = j * Nn; k < std::min(Ks, j * Nn + Nn); ++k) lo = std::min<int>(lo, ta.lsb[a[k]]);
              mla[m * S + j] = lo;
            }
          } else {
            float* vf = af.data() + m * Kps;
            for (size_t k = 0; k < Ks; ++k) vf[k] = ta.v[a[k]];
            for (size_t k = Ks; k < Kps; ++k) vf[k] = 0.0f;
          }
        }
      }
    });
    bpe.resize(static_cast<size_t>(tn) * Kps * Cps);
    if (dbl) {
      bd.resize(static_cast<size_t>(tn) * Kps * Cps);
      mlb.resize(static_cast<size_t>(tn) * S * Cps);
    } else {
      bpf.resize(static_cast<size_t>(tn) * Kps * Cps);
    }
    parallel_for(tn, threads, [&](long tj) {
      const size_t c0 = static_cast<size_t>(tj) * static_cast<size_t>(C);
      const size_t cols = std::min(static_cast<size_t>(C), N - c0);  // real lanes
      for (size_t k = 0; k < Kps; ++k) {
        const size_t at = (static_cast<size_t>(tj) * Kps + k) * Cps;
        uint8_t* e = bpe.data() + at;
        const size_t real = k < Ks ? cols : 0;
        const uint8_t* b = p.B + k * N + c0;
        for (size_t c = 0; c < real; ++c) {
          e[c] = tb.e8[b[c]];
          if (tb.sp[b[c]] != 0) col_sp[c0 + c] = 1u;
        }
        for (size_t c = real; c < Cps; ++c) e[c] = static_cast<uint8_t>(kSent8);
        if (dbl) {
          double* d = bd.data() + at;
          for (size_t c = 0; c < real; ++c) d[c] = tb.v[b[c]];
          for (size_t c = real; c < Cps; ++c) d[c] = 0.0;
        } else {
          float* d = bpf.data() + at;
          for (size_t c = 0; c < real; ++c) d[c] = tb.v[b[c]];
          for (size_t c = real; c < Cps; ++c) d[c] = 0.0f;
        }
      }
      if (dbl) {
        for (size_t j = 0; j < S; ++j) {
          int32_t* lo = mlb.data() + (static_cast<size_t>(tj) * S + j) * Cps;
          for (size_t c = 0; c < Cps; ++c) lo[c] = kNoLsb;
          for (size_t k = j * Nn; k < std::min(Ks, j * Nn + Nn); ++k)
            for (size_t c = 0; c < cols; ++c) lo[c] = std::min<int32_t>(lo[c], tb.lsb[p.B[k * N + c0 + c]]);
        }
      }
    });
  } else {
    Cq = (C + 3) / 4 * 4;
    const size_t Cqs = static_cast<size_t>(Cq);
    ad.resize(M * Ks);
    zd.assign(Ks, 0.0);
    lsb_a.resize(M);
    top_a.resize(M);
    lsb_b.assign(N, static_cast<int16_t>(kNoLsb));
    top_b.assign(N, static_cast<int16_t>(kNoTop));
    parallel_for((p.M + 15) / 16, threads, [&](long blk) {
      for (size_t m = static_cast<size_t>(blk) * 16; m < std::min(M, static_cast<size_t>(blk) * 16 + 16); ++m) {
        const uint8_t* a = p.A + m * Ks;
        double* v = ad.data() + m * Ks;
        int lsb = kNoLsb, top = kNoTop;
        bool sp = false;
        for (size_t k = 0; k < Ks; ++k) {
          const CodeInfo& ci = cta[a[k]];
          v[k] = ci.v;
          lsb = std::min(lsb, ci.lsb);
          top = std::max(top, ci.top);
          sp |= ci.special;
        }
        lsb_a[m] = static_cast<int16_t>(lsb);
        top_a[m] = static_cast<int16_t>(top);
        row_sp[m] = sp ? 1u : 0u;
      }
    });
    bd.resize(static_cast<size_t>(tn) * Ks * Cqs);
    parallel_for(tn, threads, [&](long tj) {
      double* panel = bd.data() + static_cast<size_t>(tj) * Ks * Cqs;
      for (size_t k = 0; k < Ks; ++k) {
        for (size_t c = 0; c < Cqs; ++c) {
          const size_t col = static_cast<size_t>(tj) * static_cast<size_t>(C) + c;
          double v = 0.0;
          if (c < static_cast<size_t>(C) && col < N) {
            const CodeInfo& ci = ctb[p.B[k * N + col]];
            v = ci.v;
            lsb_b[col] = static_cast<int16_t>(std::min<int>(lsb_b[col], ci.lsb));
            top_b[col] = static_cast<int16_t>(std::max<int>(top_b[col], ci.top));
            if (ci.special) col_sp[col] = 1u;
          }
          panel[k * Cqs + c] = v;
        }
      }
    });
  }
  if (p.rnd == Round::SR) {
    // PE (r, c) enters tile t with its LFSR t * draws_per_tile draws past its
    // seed (docs/array.md "GEMM tiling"): walk each PE's tile starts with the
    // jump by one tile's draws, a linear map, as a byte-sliced table.
    const int w = cfg.lfsr_w;
    const uint64_t dpt = pc.draws_per_tile(static_cast<uint64_t>(K));
    uint32_t col[32] = {};
    for (int i = 0; i < w; ++i) {
      Lfsr l(w, cfg.sr_bits, uint64_t{1} << i);
      l.skip(dpt);
      col[i] = l.state();
    }
    std::vector<uint32_t> jt(4 * 256);
    byte_table(col, w, jt.data());
    {
      const Lfsr l(w, cfg.sr_bits, 1);
      dtab = l.draw_table();
    }
    umask = static_cast<uint32_t>(low_mask64(cfg.sr_bits));
    tile_state.resize(static_cast<size_t>(R) * static_cast<size_t>(C) * static_cast<size_t>(T));
    parallel_for(static_cast<long>(R) * C, threads, [&](long pe_i) {
      uint32_t s = derive_seed(cfg.seed, static_cast<uint32_t>(1 + pe_i), w);
      uint32_t* out = tile_state.data() + static_cast<size_t>(pe_i) * static_cast<size_t>(T);
      for (long t = 0; t < T; ++t) {
        out[t] = s;
        s = apply_table(jt.data(), s);
      }
    });
  }
}

namespace {

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

// The eXmY word of a binary32 value that format f represents exactly.
uint32_t word_of_f32(uint32_t b, const AccFormat& f) {
  const int X = f.exp_bits, Y = f.man_bits;
  const uint32_t sign = (b >> 31) << (X + Y);
  const uint32_t mag = b & 0x7FFFFFFFu;
  if (X == 8) return sign | (mag >> (23 - Y));  // same exponent field; the dropped bits are zero
  if (mag == 0) return sign;
  const int e = static_cast<int>(mag >> 23) - 127;  // a normal binary32 (eXmY with X < 8 is far above 2^-126)
  const int emin = 2 - (1 << (X - 1));
  const uint32_t sig = (mag & 0x7FFFFFu) | 0x800000u;
  if (e >= emin) {
    return sign | (static_cast<uint32_t>(e + f.bias()) << Y) | ((mag & 0x7FFFFFu) >> (23 - Y));
  }
  return sign | (sig >> (23 - (e - (emin - Y))));  // subnormal: sig * 2^(e - 23) / 2^(emin - Y)
}

// A finite non-zero M * 2^E rounded into f (Pe's round_pack): the word and flags.
OpResult round_pack_word(uint32_t s, uint64_t M, int E, const AccFormat& f, Round rnd, uint32_t u, int R,
                         SrKind kind) {
  const Rounded r = round_value(M, E, acc_round_fmt(f), rnd, u, R, kind);
  const uint32_t sign_shift = static_cast<uint32_t>(f.exp_bits + f.man_bits);
  if (r.overflow) {
    const uint32_t inf = ((1u << f.exp_bits) - 1u) << f.man_bits;
    return OpResult{(s << sign_shift) | (rnd == Round::RZ ? inf - 1u : inf), r.flags};
  }
  return OpResult{pack_rounded(r, s, f.exp_bits, f.man_bits, f.bias()), r.flags};
}

// ---------------------------------------------------------------------------
// dot
// ---------------------------------------------------------------------------

struct DotK {
  __m256i F, sent, sent8, m64, rep4, emin_f, emin_first, tiny_thr, allz_thr, lo_cl, hi_cl;
  __m256i lowmask, halfm1, rne_one, lsbbit, maxbits, minnorm;
  __m256i absmask, signmask, one, zero, c23, c127, c150, m23, hidden;
  __m128i dcount;                 // 23 - Y, for the shifts by it
  __m128i sr_rsh, sr_lsh;         // SR: D = (rem >> sr_rsh) << sr_lsh
  __m256i sr_stmask;              // SR: st = rem & sr_stmask != 0
  int Y;
  bool rz_no_ovf;  // e8mY with RZ: no result exceeds the largest finite value (binary32's range)
  SrKind kind;
};

struct DotFlags {
  __m256i inex, ovf, bail;
  uint8_t scalar;  // flags from the per-lane roundings of tiny results
};

// Rare-case rounding context (tiny results): round_value per lane.
struct TinyCtx {
  RoundFmt rf;
  Round rnd;
  int R;
  SrKind kind;
};

// Lanes of `mask` hold tiny non-zero results S * 2^unit (S an exact
// integer): rounds each with round_value (the reference's rounding) into
// res (binary32 bits of the eXmY value), ORing its flags.
__attribute__((noinline, cold)) void fix_tiny(unsigned mask, const double* S, const int32_t* unit, const uint32_t* u,
                                              uint32_t* res, uint8_t* fl, const TinyCtx& tc) {
  for (int l = 0; l < 8; ++l) {
    if (((mask >> l) & 1u) == 0) continue;
    // S * 2^unit as M * 2^E (S a normal binary64: |S * 2^unit| >= 2^-174).
    uint64_t b;
    std::memcpy(&b, &S[l], 8);
    const uint64_t M = (b & ((uint64_t{1} << 52) - 1u)) | (uint64_t{1} << 52);
    const int E = static_cast<int>((b >> 52) & 0x7FFu) - 1075 + unit[l];
    const Rounded r = round_value(M, E, tc.rf, tc.rnd, u[l], tc.R, tc.kind);
    // Tiny: no overflow; sig * 2^q is a binary32 value (q >= -149).
    const float v = static_cast<float>(std::ldexp(static_cast<double>(r.sig), r.q));
    res[l] = f32_bits(v) | (std::signbit(S[l]) ? 0x80000000u : 0u);
    *fl = static_cast<uint8_t>(*fl | r.flags);
  }
}

FP8SA_AVX2_INLINE DotK make_dot_k(const PeFast& f) {
  DotK k;
  const int Y = f.fmt.man_bits, X = f.fmt.exp_bits, d = 23 - Y;
  const int emin = 2 - (1 << (X - 1)), emax = (1 << (X - 1)) - 1;
  k.Y = Y;
  k.rz_no_ovf = X == 8;
  k.kind = f.cfg.sr_kind;
  k.F = _mm256_set1_epi32(f.F);
  k.sent = _mm256_set1_epi32(kSent);
  k.sent8 = _mm256_set1_epi8(kSent8);
  // byte j of each 32-bit lane l of a 128-bit half <- byte l (lanes 0-3) or 4 + l (4-7)
  k.rep4 = _mm256_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
  k.m64 = _mm256_set1_epi32(-64);
  k.emin_f = _mm256_set1_epi32(emin);
  k.emin_first = _mm256_set1_epi32(-126);  // the init word is binary32
  k.tiny_thr = _mm256_set1_epi32(emin + 127);
  k.allz_thr = _mm256_set1_epi32(kAllZero);
  k.lo_cl = _mm256_set1_epi32(-60);
  k.hi_cl = _mm256_set1_epi32(100);
  k.lowmask = _mm256_set1_epi32(static_cast<int>((1u << d) - 1u));
  k.halfm1 = _mm256_set1_epi32(d > 0 ? static_cast<int>((1u << (d - 1)) - 1u) : 0);
  k.rne_one = _mm256_set1_epi32(d > 0 ? 1 : 0);
  k.lsbbit = _mm256_set1_epi32(static_cast<int>(1u << d));
  k.maxbits = _mm256_set1_epi32(static_cast<int>((static_cast<uint32_t>(emax + 127) << 23) | (0x7FFFFFu & ~((1u << d) - 1u))));
  k.minnorm = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(emin + 127) << 23));
  k.absmask = _mm256_set1_epi32(0x7FFFFFFF);
  k.signmask = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  k.one = _mm256_set1_epi32(1);
  k.zero = _mm256_setzero_si256();
  k.c23 = _mm256_set1_epi32(23);
  k.c127 = _mm256_set1_epi32(127);
  k.c150 = _mm256_set1_epi32(150);
  k.m23 = _mm256_set1_epi32(0x7FFFFF);
  k.hidden = _mm256_set1_epi32(0x800000);
  k.dcount = _mm_cvtsi32_si128(d);
  // SR (numerics.md section 5): D = the R + 1 bits below the kept LSB, st =
  // any bit below them, from the d dropped bits.
  const int r1 = f.cfg.sr_bits + 1;
  k.sr_rsh = _mm_cvtsi32_si128(d >= r1 ? d - r1 : 0);
  k.sr_lsh = _mm_cvtsi32_si128(d >= r1 ? 0 : r1 - d);
  k.sr_stmask = _mm256_set1_epi32(d > r1 ? static_cast<int>((1u << (d - r1)) - 1u) : 0);
  return k;
}

// Packs two 4 x 64-bit lane masks into one 8 x 32-bit mask.
FP8SA_AVX2_INLINE __m256i pack_mask(__m256d lo, __m256d hi) {
  const __m256 s = _mm256_shuffle_ps(_mm256_castpd_ps(lo), _mm256_castpd_ps(hi), _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_si256(_mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0)));
}

// 2^e for 8 int32 exponents in [-1022, 1023], as two binary64 halves.
FP8SA_AVX2_INLINE void pow2_pd(__m256i e, __m256d* lo, __m256d* hi) {
  const __m256i b = _mm256_set1_epi64x(1023);
  *lo = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(e)), b), 52));
  *hi = _mm256_castsi256_pd(
      _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(e, 1)), b), 52));
}

// Rounds magnitudes `mag` (binary32 bits of values at or above 2^emin of
// the format; 0 allowed) into eXmY: the kept bits, inexact / overflow lanes.
template <int RND>
FP8SA_AVX2_INLINE __m256i round_mag(__m256i mag, __m256i u, const DotK& k, DotFlags* fl, bool track) {
  const __m256i rem = _mm256_and_si256(mag, k.lowmask);
  __m256i mr;
  if constexpr (RND == 1) {
    mr = _mm256_andnot_si256(k.lowmask, mag);
  } else if constexpr (RND == 0) {
    const __m256i kept_lsb = _mm256_and_si256(_mm256_srl_epi32(mag, k.dcount), k.rne_one);
    mr = _mm256_andnot_si256(k.lowmask, _mm256_add_epi32(mag, _mm256_add_epi32(k.halfm1, kept_lsb)));
  } else {
    const __m256i D = _mm256_sll_epi32(_mm256_srl_epi32(rem, k.sr_rsh), k.sr_lsh);
    const __m256i st = _mm256_andnot_si256(_mm256_cmpeq_epi32(_mm256_and_si256(rem, k.sr_stmask), k.zero),
                                           _mm256_set1_epi32(-1));
    __m256i kk;
    if (k.kind == SrKind::Trunc) {
      kk = _mm256_srli_epi32(D, 1);
    } else if (k.kind == SrKind::Src) {
      const __m256i d0 = _mm256_and_si256(D, k.one);
      const __m256i d1 = _mm256_and_si256(_mm256_srli_epi32(D, 1), k.one);
      kk = _mm256_add_epi32(_mm256_srli_epi32(D, 1),
                            _mm256_and_si256(d0, _mm256_or_si256(d1, _mm256_and_si256(st, k.one))));
    } else {
      const __m256i low = _mm256_or_si256(_mm256_andnot_si256(_mm256_cmpeq_epi32(_mm256_and_si256(D, _mm256_set1_epi32(3)), k.zero),
                                                              _mm256_set1_epi32(-1)),
                                          st);
      kk = _mm256_or_si256(_mm256_slli_epi32(_mm256_srli_epi32(D, 2), 1), _mm256_and_si256(low, k.one));
    }
    const __m256i up = _mm256_cmpgt_epi32(kk, u);
    mr = _mm256_add_epi32(_mm256_andnot_si256(k.lowmask, mag), _mm256_and_si256(up, k.lsbbit));
  }
  if (RND == 1 && k.rz_no_ovf) {
    // RZ never rounds up, and an e8mY value at or below binary32's largest
    // truncates to at most e8mY's largest.
    if (track) fl->inex = _mm256_or_si256(fl->inex, rem);
    return mr;
  }
  const __m256i ovf = _mm256_cmpgt_epi32(mr, k.maxbits);
  if constexpr (RND == 1) {
    mr = _mm256_min_epi32(mr, k.maxbits);
    fl->ovf = _mm256_or_si256(fl->ovf, ovf);
  } else {
    fl->bail = _mm256_or_si256(fl->bail, ovf);
  }
  if (track) fl->inex = _mm256_or_si256(fl->inex, _mm256_or_si256(rem, ovf));
  return mr;
}

// Product value a times the lanes' b, truncated in units: a * b * 2^(F - E)
// toward zero (exact, file comment); lost lanes ORed into *lost when
// tracking.
template <bool TRACK>
FP8SA_AVX2_INLINE __m256 dot_term(float a, __m256 b, __m256 scale, __m256* lost) {
  const __m256 t = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(a), b), scale);
  const __m256 tr = _mm256_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  if constexpr (TRACK) *lost = _mm256_or_ps(*lost, _mm256_cmp_ps(t, tr, _CMP_NEQ_UQ));
  return tr;
}

// Pass 1 of a step for a group of 4 rows: the bytes of ag[i] (e(a) of
// each row) plus the lanes' e(b) bytes be[i * bs .. + 7], each repeated
// in its 32-bit lane (one shuffle), saturating, maxed over the step's
// products. A zero code's byte is kSent8: a sum with one is at most -84, so
// the max over a step is below -64 only when every product is zero (a
// saturated -128 included).
FP8SA_AVX2_INLINE __m256i dot_pass1(const uint32_t* ag, const uint8_t* be, size_t bs, int n, const DotK& k) {
  __m256i p0 = k.sent8, p1 = k.sent8;
  auto lanes = [&](int i) FP8SA_LAMBDA_AVX2 {
    int64_t q;
    std::memcpy(&q, be + static_cast<size_t>(i) * bs, 8);
    return _mm256_adds_epi8(_mm256_set1_epi32(static_cast<int>(ag[i])), _mm256_shuffle_epi8(_mm256_set1_epi64x(q), k.rep4));
  };
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    p0 = _mm256_max_epi8(p0, lanes(i));
    p1 = _mm256_max_epi8(p1, lanes(i + 1));
  }
  if (i < n) p0 = _mm256_max_epi8(p0, lanes(i));
  return _mm256_max_epi8(p0, p1);
}

// Byte B of every 32-bit lane, sign-extended.
template <int B>
FP8SA_AVX2_INLINE __m256i byte_i32(__m256i P) {
  return _mm256_srai_epi32(_mm256_slli_epi32(P, 24 - 8 * B), 24);
}

// The state of one row's step once its E is known.
struct RowE {
  __m256i cb;    // c, binary32 bits
  __m256i ef;    // c's exponent field
  __m256i E, unit, allz;
  __m256 scale;   // products: 2^(F - E), exponent clamped to [-60, 100] (file comment)
  __m256 scale_c; // c: 2^(F - E) with the exponent at most 127 (see dot_tail_f)
};

// E = max(e(c), the products' max e(a) + e(b) from pass 1's byte e8). Once
// the tile is known inexact (!TRACK) the products take c's scale: below
// 2^-60 it can underflow products to 0, which truncate to 0 all the same;
// only the lost bits would go unseen, and they are no longer needed.
template <bool TRACK>
FP8SA_AVX2_INLINE RowE dot_row_e(__m256i cb, __m256i e8, __m256i emin_c, const DotK& k) {
  RowE re;
  re.cb = cb;
  re.ef = _mm256_srli_epi32(_mm256_slli_epi32(cb, 1), 24);
  const __m256i eprod = _mm256_blendv_epi8(e8, k.sent, _mm256_cmpgt_epi32(k.m64, e8));
  const __m256i cnz = _mm256_cmpgt_epi32(_mm256_and_si256(cb, k.absmask), k.zero);
  const __m256i ec = _mm256_blendv_epi8(k.sent, _mm256_max_epi32(_mm256_sub_epi32(re.ef, k.c127), emin_c), cnz);
  re.E = _mm256_max_epi32(eprod, ec);
  re.unit = _mm256_sub_epi32(re.E, k.F);
  const __m256i fe = _mm256_sub_epi32(k.F, re.E);
  re.scale_c = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_min_epi32(fe, k.c127), k.c127), 23));
  if constexpr (TRACK) {
    const __m256i se = _mm256_min_epi32(_mm256_max_epi32(fe, k.lo_cl), k.hi_cl);
    re.scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(se, k.c127), 23));
  } else {
    re.scale = re.scale_c;
  }
  re.allz = _mm256_cmpgt_epi32(k.allz_thr, re.E);
  return re;
}

// Rounds the tiny lanes (mask tm) of a step per lane (fix_tiny).
FP8SA_AVX2_INLINE __m256i dot_fix_tiny(unsigned tm, __m256i res, const double* Sd, __m256i unit, __m256i u,
                                       DotFlags* fl, const TinyCtx& tc) {
  alignas(32) int32_t un[8];
  alignas(32) uint32_t uu[8], rr[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(un), unit);
  _mm256_store_si256(reinterpret_cast<__m256i*>(uu), u);
  _mm256_store_si256(reinterpret_cast<__m256i*>(rr), res);
  fix_tiny(tm, Sd, un, uu, rr, &fl->scalar, tc);
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(rr));
}

// The rest of a step on the binary32 path (steps 3 to 5 of the file
// comment), from the products' sum sp: the new accumulator bits.
template <int RND, bool TRACK>
FP8SA_AVX2_INLINE __m256i dot_tail_f(const RowE& re, __m256 sp, __m256i u, const DotK& k, DotFlags* fl,
                                     const TinyCtx& tc) {
  // 3. c's term: c * 2^(F - E) truncated, in binary32: exact (a power of two
  //    scaling) unless it underflows, and then below 1, so truncated to
  //    0 all the same (lost: c != 0). The scale is a binary32 normal unless
  //    F - E > 127, which needs E < F - 127 < -32 and so every product zero
  //    and c tiny: those lanes (rare) take c's term in integer lanes.
  const __m256i cb = re.cb;
  const __m256 csc = _mm256_mul_ps(_mm256_castsi256_ps(cb), re.scale_c);
  __m256 cf = _mm256_round_ps(csc, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  if constexpr (TRACK) {
    const __m256 lostc = _mm256_or_ps(_mm256_cmp_ps(csc, cf, _CMP_NEQ_UQ),
                                      _mm256_andnot_ps(_mm256_cmp_ps(_mm256_castsi256_ps(cb), _mm256_setzero_ps(), _CMP_EQ_OQ),
                                                       _mm256_cmp_ps(csc, _mm256_setzero_ps(), _CMP_EQ_OQ)));
    fl->inex = _mm256_or_si256(fl->inex, _mm256_castps_si256(lostc));
  }
  // F - E > 127; all-zero lanes (c = +-0) scale fine
  const __m256i rare = _mm256_andnot_si256(re.allz, _mm256_cmpgt_epi32(_mm256_sub_epi32(k.F, re.E), k.c127));
  if (!_mm256_testz_si256(rare, rare)) {
    // sig * 2^lc, lc its LSB exponent, in units (sh = unit - lc bits
    // dropped, or -sh bits added; below 2^(F+1) <= 2^21).
    const __m256i hid = _mm256_and_si256(_mm256_cmpgt_epi32(re.ef, k.zero), k.hidden);
    const __m256i sig = _mm256_or_si256(_mm256_and_si256(cb, k.m23), hid);
    const __m256i lc = _mm256_sub_epi32(_mm256_max_epi32(re.ef, k.one), k.c150);
    const __m256i sh = _mm256_sub_epi32(re.unit, lc);
    const __m256i cq = _mm256_or_si256(_mm256_sllv_epi32(sig, _mm256_sub_epi32(k.zero, sh)), _mm256_srlv_epi32(sig, sh));
    if constexpr (TRACK) {
      const __m256i dropped = _mm256_and_si256(sig, _mm256_sub_epi32(_mm256_sllv_epi32(k.one, sh), k.one));
      fl->inex = _mm256_or_si256(fl->inex, _mm256_and_si256(rare, _mm256_andnot_si256(_mm256_cmpeq_epi32(dropped, k.zero),
                                                                                        _mm256_cmpgt_epi32(sh, k.zero))));
    }
    const __m256 ci = _mm256_or_ps(_mm256_cvtepi32_ps(cq), _mm256_castsi256_ps(_mm256_and_si256(cb, k.signmask)));
    cf = _mm256_blendv_ps(cf, ci, _mm256_castsi256_ps(rare));
  }
  // 4. S, exact; +0 unless every term was zero.
  __m256 S = _mm256_add_ps(sp, cf);
  S = _mm256_add_ps(S, _mm256_castsi256_ps(_mm256_and_si256(re.allz, k.signmask)));
  // 5. v = S * 2^unit (binary32 bits: exponent + unit) and its rounding.
  const __m256i Sb = _mm256_castps_si256(S);
  const __m256i Sm = _mm256_and_si256(Sb, k.absmask);
  const __m256i Snz = _mm256_cmpgt_epi32(Sm, k.zero);
  const __m256i Lp = _mm256_add_epi32(_mm256_srli_epi32(Sm, 23), re.unit);
  const __m256i tiny = _mm256_and_si256(Snz, _mm256_cmpgt_epi32(k.tiny_thr, Lp));
  const __m256i mag =
      _mm256_and_si256(_mm256_add_epi32(Sm, _mm256_slli_epi32(re.unit, 23)), _mm256_andnot_si256(tiny, Snz));
  __m256i res = _mm256_or_si256(round_mag<RND>(mag, u, k, fl, TRACK), _mm256_and_si256(Sb, k.signmask));
  const unsigned tm = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(tiny)));
  if (tm != 0) {
    alignas(32) double Sd[8];
    _mm256_store_pd(Sd, _mm256_cvtps_pd(_mm256_castps256_ps128(S)));
    _mm256_store_pd(Sd + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(S, 1)));
    res = dot_fix_tiny(tm, res, Sd, re.unit, u, fl, tc);
  }
  return res;
}

// Where one row group's step reads its operands (product i of a lane set
// at [i * bs]).
struct GroupIn {
  uint32_t* acc[4];      // the rows' accumulators (8 lanes each)
  const float* af[4];    // binary32 path: the rows' values at the step's first k
  const double* ad[4];   // binary64 path: the same in binary64
  const uint32_t* ag;    // the group's pass-1 bytes (e(a) of 4 rows) at the step's first k
  const float* bf;       // binary32 path: the lanes' values
  const double* bd;      // binary64 path: the lanes' values in binary64
  const uint8_t* be;     // the lanes' e(b) bytes
  size_t bs;
  int32_t mla[4];        // binary64 path: the rows' lowest LSB in the step (kNoLsb: no non-zero code)
  const int32_t* mlb;    // binary64 path: the lanes' lowest LSB in the step
  __m256i u[4];          // the rows' SR draws
};

// One step of 4 rows on 8 lanes, binary32 path, from the step's pass 1
// (P: byte r = the products' max e of row r): the products' truncated terms
// with each B load shared by the 4 rows, then the rows' tails.
template <int RND, bool TRACK>
FP8SA_AVX2_INLINE void dot_group_f(const GroupIn& g, __m256i P, int n, __m256i emin_c, const DotK& k, DotFlags* fl,
                                   const TinyCtx& tc) {
  const __m256i* a = reinterpret_cast<const __m256i*>(g.acc[0]);
  const RowE r0 = dot_row_e<TRACK>(_mm256_loadu_si256(a), byte_i32<0>(P), emin_c, k);
  const RowE r1 = dot_row_e<TRACK>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.acc[1])), byte_i32<1>(P), emin_c, k);
  const RowE r2 = dot_row_e<TRACK>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.acc[2])), byte_i32<2>(P), emin_c, k);
  const RowE r3 = dot_row_e<TRACK>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.acc[3])), byte_i32<3>(P), emin_c, k);
  const __m256 negz = _mm256_castsi256_ps(k.signmask);
  __m256 s0 = negz, s1 = negz, s2 = negz, s3 = negz, lost = _mm256_setzero_ps();
  const float *a0 = g.af[0], *a1 = g.af[1], *a2 = g.af[2], *a3 = g.af[3];
  for (int i = 0; i < n; ++i) {
    const __m256 b = _mm256_loadu_ps(g.bf + static_cast<size_t>(i) * g.bs);
    s0 = _mm256_add_ps(s0, dot_term<TRACK>(a0[i], b, r0.scale, &lost));
    s1 = _mm256_add_ps(s1, dot_term<TRACK>(a1[i], b, r1.scale, &lost));
    s2 = _mm256_add_ps(s2, dot_term<TRACK>(a2[i], b, r2.scale, &lost));
    s3 = _mm256_add_ps(s3, dot_term<TRACK>(a3[i], b, r3.scale, &lost));
  }
  if constexpr (TRACK) fl->inex = _mm256_or_si256(fl->inex, _mm256_castps_si256(lost));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(g.acc[0]), dot_tail_f<RND, TRACK>(r0, s0, g.u[0], k, fl, tc));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(g.acc[1]), dot_tail_f<RND, TRACK>(r1, s1, g.u[1], k, fl, tc));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(g.acc[2]), dot_tail_f<RND, TRACK>(r2, s2, g.u[2], k, fl, tc));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(g.acc[3]), dot_tail_f<RND, TRACK>(r3, s3, g.u[3], k, fl, tc));
}

// The rest of a step on the binary64 path (steps 3 to 5 of the file
// comment), from the products' sum as a value (not in units) in two binary64
// halves (lanes 0-3, 4-7), exact, below 2^(E+8) and a multiple of 2^unit.
template <int RND, bool TRACK>
FP8SA_AVX2_INLINE __m256i dot_tail_d(const RowE& re, __m256d vp_lo, __m256d vp_hi, __m256i u, const DotK& k,
                                     DotFlags* fl, const TinyCtx& tc) {
  // 3. c truncated to a multiple of 2^unit on its binary32 bits: the sh =
  //    unit - lc lowest significand bits cleared (lc its LSB exponent), all
  //    of it (+0) when sh > 23 (then 2^unit lies above c).
  const __m256i cb = re.cb;
  const __m256i sh = _mm256_sub_epi32(re.unit, _mm256_sub_epi32(_mm256_max_epi32(re.ef, k.one), k.c150));
  const __m256i mask = _mm256_or_si256(_mm256_sub_epi32(_mm256_sllv_epi32(k.one, _mm256_max_epi32(sh, k.zero)), k.one),
                                       _mm256_cmpgt_epi32(sh, k.c23));
  const __m256i ct = _mm256_andnot_si256(mask, cb);
  if constexpr (TRACK) {
    const __m256i dropped = _mm256_and_si256(_mm256_and_si256(cb, mask), k.absmask);
    fl->inex = _mm256_or_si256(fl->inex, _mm256_andnot_si256(_mm256_cmpeq_epi32(dropped, k.zero), _mm256_set1_epi32(-1)));
  }
  // 4. v = the products' sum + c's term, exact (all multiples of 2^unit,
  //    below 2^(E+8), F + 8 <= 53 bits). A zero v is -0 only if every term
  //    was -0 (IEEE's sum of zeros; a truncated non-zero c is +0).
  const __m256 ctf = _mm256_castsi256_ps(ct);
  const __m256d v_lo = _mm256_add_pd(vp_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(ctf)));
  const __m256d v_hi = _mm256_add_pd(vp_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(ctf, 1)));
  // 5. To binary32, rounded to nearest (MXCSR's RNE); where that rounded
  //    up in magnitude, one binary32 ulp less is v truncated (RZ): the
  //    rounding itself for Y = 23 with RZ, and for Y < 23 the value whose
  //    last bit takes the lost bits (jammed) before the rounding on its bits.
  const __m128 f_lo = _mm256_cvtpd_ps(v_lo), f_hi = _mm256_cvtpd_ps(v_hi);
  __m256i fb = _mm256_castps_si256(_mm256_set_m128(f_hi, f_lo));
  const bool rne23 = RND == 0 && k.Y == 23;
  // The conversion back (exact), where it is read: the RZ correction, the
  // jam, the inexact flag while tracking.
  __m256d b_lo = _mm256_setzero_pd(), b_hi = b_lo;
  if (TRACK || !rne23) {
    b_lo = _mm256_cvtps_pd(f_lo);
    b_hi = _mm256_cvtps_pd(f_hi);
  }
  if (!rne23) {
    const __m256d am = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
    const __m256i up = pack_mask(_mm256_cmp_pd(_mm256_and_pd(b_lo, am), _mm256_and_pd(v_lo, am), _CMP_GT_OQ),
                                 _mm256_cmp_pd(_mm256_and_pd(b_hi, am), _mm256_and_pd(v_hi, am), _CMP_GT_OQ));
    fb = _mm256_add_epi32(fb, up);  // magnitude - 1 where rounded up (it is then non-zero)
  }
  const __m256i fm = _mm256_and_si256(fb, k.absmask);
  const __m256i tiny = _mm256_and_si256(_mm256_cmpgt_epi32(fm, k.zero), _mm256_cmpgt_epi32(k.minnorm, fm));
  __m256i res;
  if (k.Y == 23) {
    // The conversion is the rounding (RNE, or RZ as above, exact): only the
    // format's range is left. Above its largest finite value: RZ takes
    // that value (overflow, inexact), RNE declines (Inf); e8m23 never gets
    // there (|v| <= max(|c|, 2^39)).
    const __m256i fmn = _mm256_andnot_si256(tiny, fm);
    const __m256i ovf = _mm256_cmpgt_epi32(fmn, k.maxbits);
    __m256i mr = fmn;
    if constexpr (RND == 1) {
      mr = _mm256_min_epi32(mr, k.maxbits);
      fl->ovf = _mm256_or_si256(fl->ovf, ovf);
    } else {
      fl->bail = _mm256_or_si256(fl->bail, ovf);
    }
    if constexpr (TRACK) {
      const __m256i inx = pack_mask(_mm256_cmp_pd(b_lo, v_lo, _CMP_NEQ_UQ), _mm256_cmp_pd(b_hi, v_hi, _CMP_NEQ_UQ));
      fl->inex = _mm256_or_si256(fl->inex, _mm256_or_si256(_mm256_andnot_si256(tiny, inx), ovf));
    }
    res = _mm256_or_si256(mr, _mm256_and_si256(fb, k.signmask));
  } else {
    const __m256i inx = pack_mask(_mm256_cmp_pd(b_lo, v_lo, _CMP_NEQ_UQ), _mm256_cmp_pd(b_hi, v_hi, _CMP_NEQ_UQ));
    const __m256i mag = _mm256_andnot_si256(tiny, _mm256_or_si256(fm, _mm256_and_si256(inx, k.one)));
    res = _mm256_or_si256(round_mag<RND>(mag, u, k, fl, TRACK), _mm256_and_si256(fb, k.signmask));
  }
  const unsigned tm = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(tiny)));
  if (tm != 0) {
    alignas(32) double vd[8];
    _mm256_store_pd(vd, v_lo);
    _mm256_store_pd(vd + 4, v_hi);
    res = dot_fix_tiny(tm, res, vd, k.zero, u, fl, tc);
  }
  return res;
}

// The products' truncated terms of one row in binary64, as a value (a
// step with products below the unit): summed in units (exact below 2^53),
// +0 added unless every term was zero (a truncated negative product is a
// -0 term, but the sum is +0 then), times 2^unit (exact).
template <bool TRACK>
FP8SA_AVX2_INLINE void dot_sum_trunc_d(const double* ad, const GroupIn& g, int n, const RowE& re, const DotK& k,
                                       __m256d* lo, __m256d* hi, __m256* lost) {
  __m256d d0 = _mm256_set1_pd(-0.0), d1 = d0;
  for (int i = 0; i < n; ++i) {
    // binary32 copies of the operands (exact: FP8 values)
    const double* b = g.bd + static_cast<size_t>(i) * g.bs;
    const __m256 bv = _mm256_set_m128(_mm256_cvtpd_ps(_mm256_loadu_pd(b + 4)), _mm256_cvtpd_ps(_mm256_loadu_pd(b)));
    const __m256 t = dot_term<TRACK>(static_cast<float>(ad[i]), bv, re.scale, lost);
    d0 = _mm256_add_pd(d0, _mm256_cvtps_pd(_mm256_castps256_ps128(t)));
    d1 = _mm256_add_pd(d1, _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)));
  }
  const __m256d d2 = _mm256_set1_pd(-0.0), d3 = d2;
  const __m256i zs = _mm256_and_si256(re.allz, k.signmask);
  const __m256d z_lo = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_cvtepu32_epi64(_mm256_castsi256_si128(zs)), 32));
  const __m256d z_hi =
      _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_cvtepu32_epi64(_mm256_extracti128_si256(zs, 1)), 32));
  __m256d un_lo, un_hi;
  pow2_pd(_mm256_min_epi32(_mm256_max_epi32(re.unit, _mm256_set1_epi32(-1000)), _mm256_set1_epi32(1000)), &un_lo,
          &un_hi);
  *lo = _mm256_mul_pd(_mm256_add_pd(_mm256_add_pd(d0, d2), z_lo), un_lo);
  *hi = _mm256_mul_pd(_mm256_add_pd(_mm256_add_pd(d1, d3), z_hi), un_hi);
}

// The products' sums of one step of 4 rows on 8 lanes in binary64, as an
// FMA chain per row and half (lo: lanes 0-3, hi: 4-7), not truncated. Exact
// when no product lies below its row's unit: each partial sum is then a
// multiple of the lowest product LSB (>= the unit) below DOT_N * 2^(E+2),
// fewer than F + 2 + log2(DOT_N) <= 53 bits. These sums do not depend on
// the accumulators, so a chunk of steps is summed ahead of the steps
// (dot_tile), which keeps both FMA pipes busy.
struct RawSums {
  __m256d lo[4], hi[4];
};

FP8SA_AVX2_INLINE void dot_raw_sums(const double* const* ad, const double* bd, size_t bs, int n, RawSums* out) {
  const __m256d nz = _mm256_set1_pd(-0.0);
  __m256d a0l = nz, a0h = nz, a1l = nz, a1h = nz, a2l = nz, a2h = nz, a3l = nz, a3h = nz;
  const double *x0 = ad[0], *x1 = ad[1], *x2 = ad[2], *x3 = ad[3];
  for (int i = 0; i < n; ++i) {
    const double* b = bd + static_cast<size_t>(i) * bs;
    const __m256d bl = _mm256_loadu_pd(b), bh = _mm256_loadu_pd(b + 4);
    __m256d x = _mm256_broadcast_sd(x0 + i);
    a0l = _mm256_fmadd_pd(x, bl, a0l);
    a0h = _mm256_fmadd_pd(x, bh, a0h);
    x = _mm256_broadcast_sd(x1 + i);
    a1l = _mm256_fmadd_pd(x, bl, a1l);
    a1h = _mm256_fmadd_pd(x, bh, a1h);
    x = _mm256_broadcast_sd(x2 + i);
    a2l = _mm256_fmadd_pd(x, bl, a2l);
    a2h = _mm256_fmadd_pd(x, bh, a2h);
    x = _mm256_broadcast_sd(x3 + i);
    a3l = _mm256_fmadd_pd(x, bl, a3l);
    a3h = _mm256_fmadd_pd(x, bh, a3h);
  }
  out->lo[0] = a0l, out->hi[0] = a0h, out->lo[1] = a1l, out->hi[1] = a1h;
  out->lo[2] = a2l, out->hi[2] = a2h, out->lo[3] = a3l, out->hi[3] = a3h;
}

// One step of 4 rows on 8 lanes, binary64 path, from the step's pass 1 (P)
// and untruncated sums (raw). Those are the products' sums when no product
// of the group lies below its row's unit (nothing truncated; for
// b200-fp8's 31-bit window nearly always). The test is conservative, per
// row and lane: the lowest LSB of the row's codes in the step plus that of
// the lane's (precomputed, mla / mlb) against the unit. Otherwise each
// product is truncated (dot_term) and summed in binary64 (dot_sum_trunc_d).
template <int RND, bool TRACK>
FP8SA_AVX2_INLINE void dot_group_d(const GroupIn& g, __m256i P, const RawSums& raw, int n, __m256i emin_c,
                                   const DotK& k, DotFlags* fl, const TinyCtx& tc) {
  RowE re[4];
  re[0] = dot_row_e<TRACK>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.acc[0])), byte_i32<0>(P), emin_c, k);
  re[1] = dot_row_e<TRACK>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.acc[1])), byte_i32<1>(P), emin_c, k);
  re[2] = dot_row_e<TRACK>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.acc[2])), byte_i32<2>(P), emin_c, k);
  re[3] = dot_row_e<TRACK>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.acc[3])), byte_i32<3>(P), emin_c, k);
  const __m256i mlb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.mlb));
  __m256i below = k.zero;
  for (int r = 0; r < 4; ++r) {
    const __m256i bound = _mm256_add_epi32(_mm256_set1_epi32(g.mla[r]), mlb);
    below = _mm256_or_si256(below, _mm256_cmpgt_epi32(re[r].unit, bound));
  }
  if (_mm256_testz_si256(below, below)) {
    for (int r = 0; r < 4; ++r) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(g.acc[r]),
                          dot_tail_d<RND, TRACK>(re[r], raw.lo[r], raw.hi[r], g.u[r], k, fl, tc));
    }
    return;
  }
  __m256d lo[4], hi[4];
  __m256 lost = _mm256_setzero_ps();
  for (int r = 0; r < 4; ++r) dot_sum_trunc_d<TRACK>(g.ad[r], g, n, re[r], k, &lo[r], &hi[r], &lost);
  if constexpr (TRACK) fl->inex = _mm256_or_si256(fl->inex, _mm256_castps_si256(lost));
  for (int r = 0; r < 4; ++r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(g.acc[r]),
                        dot_tail_d<RND, TRACK>(re[r], lo[r], hi[r], g.u[r], k, fl, tc));
  }
}

// Promotion (numerics.md section 9 with section 10's dot) on 8 lanes:
// w = RNE_binary32(w + widen(n)), n = +0. The sum of two binary32 values in
// binary64, with TwoSum's error, then to binary32 (MXCSR's RNE): the
// binary32 RNE sum (53 >= 2 * 24 + 2, so the double rounding is
// innocuous), inexact when the error or the conversion is non-zero. A
// binary32 sum is never tiny and inexact; an overflow (Inf) declines the
// tile. Zeros follow IEEE's sum of zeros, as section 4's adder.
FP8SA_AVX2_INLINE void dot_promote(uint32_t* w, uint32_t* n, const DotK& k, DotFlags* fl) {
  const __m256 wf = _mm256_loadu_ps(reinterpret_cast<const float*>(w));
  const __m256 nf = _mm256_loadu_ps(reinterpret_cast<const float*>(n));
  __m128 r[2];
  __m256d bad[2];
  for (int h = 0; h < 2; ++h) {
    const __m256d a = _mm256_cvtps_pd(h == 0 ? _mm256_castps256_ps128(wf) : _mm256_extractf128_ps(wf, 1));
    const __m256d b = _mm256_cvtps_pd(h == 0 ? _mm256_castps256_ps128(nf) : _mm256_extractf128_ps(nf, 1));
    const __m256d sum = _mm256_add_pd(a, b);
    const __m256d bb = _mm256_sub_pd(sum, a);
    const __m256d err = _mm256_add_pd(_mm256_sub_pd(a, _mm256_sub_pd(sum, bb)), _mm256_sub_pd(b, bb));
    r[h] = _mm256_cvtpd_ps(sum);
    bad[h] = _mm256_or_pd(_mm256_cmp_pd(err, _mm256_setzero_pd(), _CMP_NEQ_UQ),
                          _mm256_cmp_pd(_mm256_cvtps_pd(r[h]), sum, _CMP_NEQ_UQ));
  }
  const __m256i rb = _mm256_castps_si256(_mm256_set_m128(r[1], r[0]));
  fl->inex = _mm256_or_si256(fl->inex, pack_mask(bad[0], bad[1]));
  fl->bail = _mm256_or_si256(fl->bail, _mm256_cmpeq_epi32(_mm256_and_si256(rb, k.absmask), _mm256_set1_epi32(0x7F800000)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w), rb);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(n), k.zero);
}

template <bool DBL, int RND>
FP8SA_AVX2 bool dot_tile(const PeFast& f, long t, uint32_t* vals, uint8_t* flags) {
  constexpr int G = 4;  // rows per group
  const GemmProblem& p = f.p;
  const int ti = static_cast<int>(t / f.tn), tj = static_cast<int>(t % f.tn);
  const int Rr = std::min(f.R, p.M - ti * f.R), Cr = std::min(f.C, p.N - tj * f.C);
  const size_t Cp = static_cast<size_t>(f.Cp), Kp = static_cast<size_t>(f.Kp), N = static_cast<size_t>(p.N);
  const int CV = f.Cp / 8;
  const int groups = (Rr + G - 1) / G;
  // Numerics' MXCSR: RNE (the binary64 path's conversion, the promotion
  // add, a zero sum's sign), no FTZ/DAZ (subnormal init words and results).
  // Every other operation of the kernel is exact.
  struct Csr {
    unsigned saved = _mm_getcsr();
    explicit Csr(unsigned v) { _mm_setcsr(v); }
    ~Csr() { _mm_setcsr(saved); }
  } csr(0x1F80u);
  // Rows past Rr in the last group compute +0 from zero operands (no flags).
  // With promotion (pn steps per group) the init word starts the binary32
  // accumulator w, and the narrow one (acc) starts every group at +0.
  const int pn = f.cfg.promote_n / f.n;
  thread_local std::vector<uint32_t> acc_buf, w_buf, st_buf;
  acc_buf.assign(static_cast<size_t>(groups * G) * Cp, 0u);
  uint32_t* acc = acc_buf.data();
  uint32_t* wacc = nullptr;
  if (pn > 0) {
    w_buf.assign(static_cast<size_t>(groups * G) * Cp, 0u);
    wacc = w_buf.data();
  }
  if (p.C_init != nullptr) {
    for (int r = 0; r < Rr; ++r)
      for (int c = 0; c < Cr; ++c) {
        const uint32_t w = p.C_init[static_cast<size_t>(ti * f.R + r) * N + static_cast<size_t>(tj * f.C + c)];
        if ((w & 0x7F800000u) == 0x7F800000u) return false;  // NaN/Inf init word
        (pn > 0 ? wacc : acc)[static_cast<size_t>(r) * Cp + static_cast<size_t>(c)] = w;
      }
  }
  uint32_t* st = nullptr;
  if constexpr (RND == 2) {
    st_buf.assign(static_cast<size_t>(Rr) * Cp, 0u);
    st = st_buf.data();
    for (int r = 0; r < Rr; ++r)
      for (int c = 0; c < Cr; ++c)
        st[static_cast<size_t>(r) * Cp + static_cast<size_t>(c)] =
            f.tile_state[static_cast<size_t>(r * f.C + c) * static_cast<size_t>(f.T) + static_cast<size_t>(t)];
  }
  const DotK k = make_dot_k(f);
  const TinyCtx tc{acc_round_fmt(f.fmt), static_cast<Round>(RND), f.cfg.sr_bits, f.cfg.sr_kind};
  DotFlags fl{k.zero, k.zero, k.zero, 0};
  bool known = false;  // the tile is known inexact: no more per-product tracking
  const int n = f.n;
  const size_t panel = static_cast<size_t>(tj) * Kp * Cp;  // tile column tj's panel, Kp x Cp
  const uint32_t* ag_tile = f.agp.data() + static_cast<size_t>(ti) * static_cast<size_t>(f.GR) * Kp;
  GroupIn g;
  g.bs = Cp;
  // Each (row group, lane vector) runs its chain of steps to the end, in
  // chunks of kChunk steps whose pass 1 (and, binary64 path, untruncated
  // sums) are computed first: they do not depend on the accumulators.
  constexpr int kChunk = 16;
  alignas(32) __m256i pbuf[kChunk];
  alignas(32) RawSums rbuf[DBL ? kChunk : 1];
  for (int gi = 0; gi < groups; ++gi) {
    const uint32_t* ag = ag_tile + static_cast<size_t>(gi) * Kp;
    const float* arow_f[4] = {};
    const double* arow_d[4] = {};
    const int32_t* arow_l[4] = {};
    for (int s = 0; s < G; ++s) {
      const int r = gi * G + s;
      const size_t m = static_cast<size_t>(ti * f.R + r);
      if constexpr (DBL) {
        arow_d[s] = r < Rr ? f.ad.data() + m * Kp : f.zd.data();
        arow_l[s] = r < Rr ? f.mla.data() + m * static_cast<size_t>(f.steps) : nullptr;
      } else {
        arow_f[s] = r < Rr ? f.af.data() + m * Kp : f.zf.data();
      }
    }
    for (int v = 0; v < CV; ++v) {
      const size_t lane0 = panel + 8 * static_cast<size_t>(v);  // panel offset of the lanes at k = 0
      for (int s = 0; s < G; ++s) g.acc[s] = acc + static_cast<size_t>(gi * G + s) * Cp + 8 * static_cast<size_t>(v);
      for (int j0 = 0; j0 < f.steps; j0 += kChunk) {
        const int jn = std::min(kChunk, f.steps - j0);
        for (int jj = 0; jj < jn; ++jj) {
          const size_t k0 = static_cast<size_t>(j0 + jj) * static_cast<size_t>(n);
          pbuf[jj] = dot_pass1(ag + k0, f.bpe.data() + lane0 + k0 * Cp, Cp, n, k);
          if constexpr (DBL) {
            const double* ad4[4] = {arow_d[0] + k0, arow_d[1] + k0, arow_d[2] + k0, arow_d[3] + k0};
            dot_raw_sums(ad4, f.bd.data() + lane0 + k0 * Cp, Cp, n, &rbuf[jj]);
          }
        }
        for (int jj = 0; jj < jn; ++jj) {
          const int j = j0 + jj;
          const size_t k0 = static_cast<size_t>(j) * static_cast<size_t>(n);
          const __m256i emin_c = j == 0 && pn == 0 ? k.emin_first : k.emin_f;  // c is the init word, or an eXmY value
          g.be = f.bpe.data() + lane0 + k0 * Cp;
          if constexpr (DBL) {
            g.bd = f.bd.data() + lane0 + k0 * Cp;
            g.mlb = f.mlb.data() + (static_cast<size_t>(tj) * static_cast<size_t>(f.steps) + static_cast<size_t>(j)) * Cp +
                    8 * static_cast<size_t>(v);
            for (int s = 0; s < G; ++s) {
              g.ad[s] = arow_d[s] + k0;
              g.mla[s] = arow_l[s] != nullptr ? arow_l[s][j] : kNoLsb;
            }
          } else {
            g.bf = f.bpf.data() + lane0 + k0 * Cp;
            for (int s = 0; s < G; ++s) g.af[s] = arow_f[s] + k0;
          }
          for (int s = 0; s < G; ++s) {
            g.u[s] = k.zero;
            if constexpr (RND == 2) {
              const int r = gi * G + s;
              if (r < Rr) {
                alignas(32) uint32_t uw[8] = {};
                uint32_t* sp = st + static_cast<size_t>(r) * Cp + 8 * static_cast<size_t>(v);
                const int lanes = std::min(8, Cr - 8 * v);
                for (int l = 0; l < lanes; ++l) {
                  sp[l] = apply_table(f.dtab, sp[l]);
                  uw[l] = sp[l] & f.umask;
                }
                g.u[s] = _mm256_load_si256(reinterpret_cast<const __m256i*>(uw));
              }
            }
          }
          if constexpr (DBL) {
            known ? dot_group_d<RND, false>(g, pbuf[jj], rbuf[jj], n, emin_c, k, &fl, tc)
                  : dot_group_d<RND, true>(g, pbuf[jj], rbuf[jj], n, emin_c, k, &fl, tc);
          } else {
            known ? dot_group_f<RND, false>(g, pbuf[jj], n, emin_c, k, &fl, tc)
                  : dot_group_f<RND, true>(g, pbuf[jj], n, emin_c, k, &fl, tc);
          }
          if (pn > 0 && ((j + 1) % pn == 0 || j + 1 == f.steps)) {
            for (int s = 0; s < G; ++s) {
              dot_promote(wacc + static_cast<size_t>(gi * G + s) * Cp + 8 * static_cast<size_t>(v), g.acc[s], k, &fl);
            }
          }
          if (!known && (!_mm256_testz_si256(fl.inex, fl.inex) || (fl.scalar & kFlagInexact) != 0)) known = true;
        }
        if (!_mm256_testz_si256(fl.bail, fl.bail)) return false;  // an accumulator went to Inf
      }
    }
  }
  uint8_t fo = fl.scalar;
  if (known) fo |= kFlagInexact;
  if (!_mm256_testz_si256(fl.ovf, fl.ovf)) fo |= kFlagOverflow | kFlagInexact;
  for (int r = 0; r < f.R; ++r)
    for (int c = 0; c < f.C; ++c) {
      const size_t i = static_cast<size_t>(r) * Cp + static_cast<size_t>(c);
      vals[r * f.C + c] = (r >= Rr || c >= Cr) ? 0u : pn > 0 ? wacc[i] : word_of_f32(acc[i], f.fmt);
    }
  *flags = fo;
  return true;
}

// ---------------------------------------------------------------------------
// exact
// ---------------------------------------------------------------------------

// X in units of 2^-32 of a binary64 multiple of 2^-32 below 2^80 units.
inline unsigned __int128 units_of(double d) {
  if (d == 0.0) return 0;
  uint64_t b;
  std::memcpy(&b, &d, 8);
  const int e = static_cast<int>((b >> 52) & 0x7FFu) - 1075 + 32;
  const uint64_t sig = (b & ((uint64_t{1} << 52) - 1u)) | (uint64_t{1} << 52);
  const unsigned __int128 mag = e >= 0 ? static_cast<unsigned __int128>(sig) << e : static_cast<unsigned __int128>(sig >> -e);
  return (b >> 63) != 0 ? -mag : mag;
}

// The exact PE's result (numerics.md 10.3) from its chains hi, lo (hi = -0
// when unused) and init word.
OpResult exact_result(const PeFast& f, double hi, double lo, uint32_t init, uint32_t u) {
  const Round rnd = f.p.rnd;
  if ((init & 0x7F800000u) != 0x7F800000u) {
    const double c = static_cast<double>(f32_of(init));
    const double s1 = hi + lo;
    const double b1 = s1 - hi;
    const double e1 = (hi - (s1 - b1)) + (lo - b1);
    const double s = s1 + c;
    const double b2 = s - s1;
    const double e2 = (s1 - (s - b2)) + (c - b2);
    if (e1 == 0.0 && e2 == 0.0 && s != 0.0) {
      uint64_t b;
      std::memcpy(&b, &s, 8);
      const uint64_t M = (b & ((uint64_t{1} << 52) - 1u)) | (uint64_t{1} << 52);  // normal: |s| >= 2^-149
      const int E = static_cast<int>((b >> 52) & 0x7FFu) - 1075;
      return round_pack_word(static_cast<uint32_t>(b >> 63), M, E, f.fmt, rnd, u, f.cfg.sr_bits, f.cfg.sr_kind);
    }
  }
  PeState s;
  const unsigned __int128 X = units_of(hi) + units_of(lo);
  s.x_lo = static_cast<uint64_t>(X);
  s.x_hi = static_cast<uint64_t>(X >> 64);
  const bool negz = hi == 0.0 && lo == 0.0 && std::signbit(hi) && std::signbit(lo);
  s.special = negz ? kPeNegZero : 0;
  s.init = init;
  s.rnd = static_cast<uint8_t>(rnd);
  return f.pe.result(s, u);
}

// The 4 rows' x NV vectors' single chains over k: acc[i][v] += A_i[k] *
// B[k][v]. With one vector (4 lanes, arrays of 4 columns or fewer) each
// chain is split into even and odd k, so that 8 chains hide the FMA
// latency: the two partial sums are exact (sums of an exact sum's terms, so
// within its bounds) and so is their sum, and -0 + -0 = -0 keeps negz.
template <int NV>
FP8SA_AVX2 void exact_block(const double* const* a, const double* b, size_t ldb, int K, double* out, size_t ldo) {
  const __m256d nz = _mm256_set1_pd(-0.0);
  constexpr int P = NV == 1 ? 2 : 1;  // partial chains per lane
  __m256d c[4][NV * P];
  for (int i = 0; i < 4; ++i)
    for (int v = 0; v < NV * P; ++v) c[i][v] = nz;
  int k = 0;
  if constexpr (P == 2) {
    for (; k + 2 <= K; k += 2) {
      const __m256d b0 = _mm256_loadu_pd(b + static_cast<size_t>(k) * ldb);
      const __m256d b1 = _mm256_loadu_pd(b + static_cast<size_t>(k + 1) * ldb);
      for (int i = 0; i < 4; ++i) {
        c[i][0] = _mm256_fmadd_pd(_mm256_broadcast_sd(a[i] + k), b0, c[i][0]);
        c[i][1] = _mm256_fmadd_pd(_mm256_broadcast_sd(a[i] + k + 1), b1, c[i][1]);
      }
    }
  }
  for (; k < K; ++k) {
    __m256d bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_pd(b + static_cast<size_t>(k) * ldb + 4 * v);
    for (int i = 0; i < 4; ++i) {
      const __m256d av = _mm256_broadcast_sd(a[i] + k);
      for (int v = 0; v < NV; ++v) c[i][v] = _mm256_fmadd_pd(av, bv[v], c[i][v]);
    }
  }
  for (int i = 0; i < 4; ++i) {
    if constexpr (P == 2) c[i][0] = _mm256_add_pd(c[i][0], c[i][1]);
    for (int v = 0; v < NV; ++v) _mm256_storeu_pd(out + static_cast<size_t>(i) * ldo + 4 * v, c[i][v]);
  }
}

// Two chains per lane: products of magnitude >= 2^T into hi, the others
// into lo (file comment). -0 is the neutral element that keeps negz.
FP8SA_AVX2 void exact_block_split(const double* const* a, const double* b, size_t ldb, int K, double thr,
                                  double* hi_out, double* lo_out, size_t ldo) {
  const __m256d nz = _mm256_set1_pd(-0.0);
  const __m256d absm = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
  const __m256d th = _mm256_set1_pd(thr);
  __m256d h[4], l[4];
  for (int i = 0; i < 4; ++i) h[i] = l[i] = nz;
  for (int k = 0; k < K; ++k) {
    const __m256d bv = _mm256_loadu_pd(b + static_cast<size_t>(k) * ldb);
    for (int i = 0; i < 4; ++i) {
      const __m256d pr = _mm256_mul_pd(_mm256_broadcast_sd(a[i] + k), bv);
      const __m256d big = _mm256_cmp_pd(_mm256_and_pd(pr, absm), th, _CMP_GE_OQ);
      h[i] = _mm256_add_pd(h[i], _mm256_blendv_pd(nz, pr, big));
      l[i] = _mm256_add_pd(l[i], _mm256_blendv_pd(pr, nz, big));
    }
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_pd(hi_out + static_cast<size_t>(i) * ldo, h[i]);
    _mm256_storeu_pd(lo_out + static_cast<size_t>(i) * ldo, l[i]);
  }
}

FP8SA_AVX2 bool exact_tile(const PeFast& f, long t, uint32_t* vals, uint8_t* flags) {
  const GemmProblem& p = f.p;
  const int ti = static_cast<int>(t / f.tn), tj = static_cast<int>(t % f.tn);
  const int Rr = std::min(f.R, p.M - ti * f.R), Cr = std::min(f.C, p.N - tj * f.C);
  const size_t Cq = static_cast<size_t>(f.Cq), Ks = static_cast<size_t>(f.K), N = static_cast<size_t>(p.N);
  int lsb = kNoLsb, top_a = kNoTop, top_b = kNoTop, lsb_a = kNoLsb, lsb_b = kNoLsb;
  for (int r = 0; r < Rr; ++r) {
    const size_t m = static_cast<size_t>(ti * f.R + r);
    lsb_a = std::min<int>(lsb_a, f.lsb_a[m]);
    top_a = std::max<int>(top_a, f.top_a[m]);
  }
  for (int c = 0; c < Cr; ++c) {
    const size_t col = static_cast<size_t>(tj * f.C + c);
    lsb_b = std::min<int>(lsb_b, f.lsb_b[col]);
    top_b = std::max<int>(top_b, f.top_b[col]);
  }
  const bool all_zero = top_a == kNoTop || top_b == kNoTop;
  lsb = lsb_a + lsb_b;
  const int top = top_a + top_b;
  const int lg = bitlen64(static_cast<uint64_t>(f.K));  // K < 2^lg
  const bool single = all_zero || top + lg - lsb <= 53;
  const int T = top + lg - 46;
  if (!single && T + lg - lsb > 53) return false;  // cannot happen for FP8 operands (file comment)
  // The chains need RNE (exact sums; a zero sum's sign) and no DAZ.
  struct Csr {
    unsigned saved = _mm_getcsr();
    Csr() { _mm_setcsr(0x1F80u); }
    ~Csr() { _mm_setcsr(saved); }
  } csr;
  thread_local std::vector<double> hi_buf, lo_buf;
  const size_t rows4 = static_cast<size_t>((Rr + 3) / 4 * 4);
  lo_buf.resize(rows4 * Cq);
  if (!single) hi_buf.resize(rows4 * Cq);
  const double* panel = f.bd.data() + static_cast<size_t>(tj) * Ks * Cq;
  const int CV = f.Cq / 4;
  for (int r0 = 0; r0 < Rr; r0 += 4) {
    const double* a[4];
    for (int i = 0; i < 4; ++i) {
      a[i] = r0 + i < Rr ? f.ad.data() + static_cast<size_t>(ti * f.R + r0 + i) * Ks : f.zd.data();
    }
    double* lo = lo_buf.data() + static_cast<size_t>(r0) * Cq;
    if (single) {
      int v = 0;
      for (; v + 2 <= CV; v += 2) exact_block<2>(a, panel + 4 * v, Cq, f.K, lo + 4 * v, Cq);
      if (v < CV) exact_block<1>(a, panel + 4 * v, Cq, f.K, lo + 4 * v, Cq);
    } else {
      double* hi = hi_buf.data() + static_cast<size_t>(r0) * Cq;
      for (int v = 0; v < CV; ++v)
        exact_block_split(a, panel + 4 * v, Cq, f.K, std::ldexp(1.0, T), hi + 4 * v, lo + 4 * v, Cq);
    }
  }
  const bool pad_zero = f.K % f.cfg.dot_n != 0;
  uint8_t fo = 0;
  for (int r = 0; r < f.R; ++r)
    for (int c = 0; c < f.C; ++c) {
      if (r >= Rr || c >= Cr) {
        vals[r * f.C + c] = 0u;  // padded PE: +0, no flags (zero products, init +0)
        continue;
      }
      const size_t m = static_cast<size_t>(ti * f.R + r), col = static_cast<size_t>(tj * f.C + c);
      const size_t i = static_cast<size_t>(r) * Cq + static_cast<size_t>(c);
      const uint32_t init = p.C_init != nullptr ? p.C_init[m * N + col] : 0u;
      uint32_t u = 0;
      if (p.rnd == Round::SR) {
        const uint32_t s0 = f.tile_state[static_cast<size_t>(r * f.C + c) * static_cast<size_t>(f.T) + static_cast<size_t>(t)];
        u = apply_table(f.dtab, s0) & f.umask;  // the tile's one draw
      }
      // A K that is not a multiple of DOT_N is padded with +0 products
      // (codes 0x00 x 0x00): adding +0 keeps every value and clears negz.
      const double lo = pad_zero ? lo_buf[i] + 0.0 : lo_buf[i];
      const OpResult res = exact_result(f, single ? -0.0 : hi_buf[i], lo, init, u);
      vals[r * f.C + c] = res.bits;
      fo = static_cast<uint8_t>(fo | res.flags);
    }
  *flags = fo;
  return true;
}

}  // namespace

PeFastPtr pe_fast_prepare(const GemmProblem& p, const ArrayConfig& cfg, int threads) {
  if (!pe_fast_covers(cfg, p.rnd)) return nullptr;
  PeFastPtr f(new PeFast(p, cfg, threads));
  if (g_trace != nullptr) g_trace->assign(static_cast<size_t>(f->T), 0u);
  return f;
}

int pe_fast_block(const PeFast& f) {
  // Bytes of packed operands per tile row (R rows of A) and per tile column
  // (a B panel); blocks within about 768 KiB (L2 is 1 MiB per core on the
  // machine this was tuned on; a smaller one only costs speed).
  const double per_k = f.dot ? (f.dbl ? 8.0 + 1.0 / 4 : 4.0 + 1.0 / 4) : 8.0;
  const double a_bytes = per_k * f.R * f.K;
  const double b_bytes = (f.dot ? (f.dbl ? 9.0 : 5.0) * f.Cp : 8.0 * f.Cq) * f.K;
  int b = 1;
  while (b < 16 && (2.0 * b) * (a_bytes + b_bytes) <= 768.0 * 1024) b *= 2;
  return b;
}

bool pe_fast_tile(const PeFast& f, long t, uint32_t* vals, uint8_t* flags) {
  const GemmProblem& p = f.p;
  const int ti = static_cast<int>(t / f.tn), tj = static_cast<int>(t % f.tn);
  bool ok = true;
  for (int r = 0; r < f.R && ok; ++r) {
    const int m = ti * f.R + r;
    if (m < p.M && f.row_sp[static_cast<size_t>(m)] != 0) ok = false;
  }
  for (int c = 0; c < f.C && ok; ++c) {
    const int col = tj * f.C + c;
    if (col < p.N && f.col_sp[static_cast<size_t>(col)] != 0) ok = false;
  }
  if (ok) {
    if (!f.dot) {
      ok = exact_tile(f, t, vals, flags);
    } else if (!f.dbl) {
      ok = p.rnd == Round::RNE ? dot_tile<false, 0>(f, t, vals, flags)
           : p.rnd == Round::RZ ? dot_tile<false, 1>(f, t, vals, flags)
                                : dot_tile<false, 2>(f, t, vals, flags);
    } else {
      ok = p.rnd == Round::RNE ? dot_tile<true, 0>(f, t, vals, flags)
           : p.rnd == Round::RZ ? dot_tile<true, 1>(f, t, vals, flags)
                                : dot_tile<true, 2>(f, t, vals, flags);
    }
  }
  if (g_trace != nullptr && static_cast<size_t>(t) < g_trace->size()) {
    (*g_trace)[static_cast<size_t>(t)] = ok ? kPeFastTileFast : kPeFastTileDeclined;
  }
  return ok;
}

#else  // !FP8SA_PEF_X86

PeFastPtr pe_fast_prepare(const GemmProblem&, const ArrayConfig&, int) { return nullptr; }
int pe_fast_block(const PeFast&) { return 1; }
bool pe_fast_tile(const PeFast&, long, uint32_t*, uint8_t*) { return false; }

#endif

}  // namespace detail
}  // namespace fp8sa

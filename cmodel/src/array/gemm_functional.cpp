// Functional GEMM model (docs/array.md "GEMM tiling"): the bits the array
// produces, without cycles.
//
// Generic path (any accumulator format, rounding and promotion): per tile,
// every PE's K MACs with AccAdder::dot (per promotion group, each added into
// binary32), its LFSR jumped to t*K draws from its seed; then
// the quantizer per row with the column LFSRs jumped to t*R draws. Threads
// take whole tiles.
//
// Narrow fast path (every format, rounding and promote_n but e8m23 RNE
// without promotion, x86 with AVX2 and FMA): detail::narrow_tile
// (gemm_narrow.cpp) computes a tile's words and flags, bit-identical to the
// generic path, in place of tile_compute_generic; tiles it declines (NaN/Inf
// codes or init words, CPUs without AVX2) take the generic path.
//
// PE kinds dot and exact (numerics.md section 10): detail::pe_fast_tile
// (gemm_pe_fast.cpp) computes a tile's words and flags, bit-identical to the
// generic path, for the configurations detail::pe_fast_covers() (all of
// exact; dot with a window whose step sums are exact in binary64, promotion
// or not); tiles it declines (NaN/Inf codes, NaN/Inf init words, an
// accumulator overflowing to Inf) take the generic path. Threads take
// blocks of tiles that share the packed operands in L2.
//
// Fast path (e8m23 with RNE, x86 with AVX2, FMA and F16C): numerics.md
// section 4 makes each MAC exactly binary32 fmaf(a, b, acc) (the FP8 product
// is exact in binary32), so every output is one FMA chain in k order. That is
// a plain SGEMM without any re-association: FP8 codes are unpacked to floats
// once (A in MR-row groups, B in NR-column panels, k-major), and a BLIS-style
// loop nest (k blocks of 256, A blocks of about 96 rows in L2, B micro-panels
// in L1) runs an MR x NR kernel (8 to 12 ymm accumulators, one chain per
// lane) that keeps each block of C in registers through a k block and in
// binary32 memory between k blocks, which changes no bit.
//
// Flags on the fast path. Without NaN or Inf codes in a tile's A rows, B
// columns and C_init words no MAC can be invalid or overflow (an FP8 product
// is below 2^32, half an ulp of the largest binary32) or underflow (a tiny
// sum of two binary32 numbers is exact), so the tile's flags are inexact
// alone, and padded PEs (+0 products) raise nothing. Tiles with such codes
// are recomputed on the generic path. Inexact per tile comes from MXCSR's
// sticky inexact flag, cleared before a run of the kernel and read after:
//
//   * tile-aligned blocks (the array's COLS a multiple of 8 and ROWS of a
//     kernel height: 8x8, 16x16, 12x8, ...): every block lies in one tile, so
//     the flag over a block's k block is the tile's, at the kernel's full
//     speed. Once a tile is known inexact its blocks run unflagged. With
//     AVX-512F the blocks are zmm: 16 x 16 (ROWS a multiple of 16, COLS of
//     16) or 8 x 16; with 8-column tiles (8x8) a 16-column block holds two
//     tiles, run as one unflagged zmm block once both are known inexact
//     (until then in chunks of k with flags per tile: block_pair).
//   * otherwise (4x4, 8x4, 1x1, 2x3, ...) 4 x 16 or 6 x 16 blocks that
//     cover several tiles: a flagged chunk of k says some lane of the block
//     was inexact. Lanes of tiles already known inexact may have raised it,
//     so the chunk is re-run from its start on the lanes of still-pending
//     tiles alone (the other lanes multiply by +0, which is exact). When the
//     block lies in one row of tiles (4 or 6 divides ROWS) any set of its
//     tiles is a rows x columns product, and the re-runs halve the set
//     (group testing: about log2(n) re-runs per tile found). Otherwise all
//     pending tiles at once when they form a product, then tile by tile,
//     and with more than kMaskedTiles pending tiles a per-lane test instead
//     (s = c + p is exact iff s - c == p and s - p == c, p = a*b exact; for
//     round-to-nearest one of the two differences is exact, Fast2Sum).
//
// This tracking is most of the cost on real data: sums of FP8 products stay
// exact for hundreds of k (docs/bench.md). MXCSR is set to its default (RNE,
// no FTZ/DAZ) in every worker.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fp8sa/gemm.hpp"
#include "fp8sa/lfsr.hpp"
#include "fp8sa/pe.hpp"
#include "gemm_narrow.hpp"
#include "gemm_pe_fast.hpp"
#include "parallel.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FP8SA_HAVE_X86_FAST 1
#define FP8SA_AVX2 __attribute__((target("avx2,fma,f16c")))
#define FP8SA_AVX512 __attribute__((target("avx2,fma,f16c,avx512f")))
#define FP8SA_AVX2_INLINE __attribute__((target("avx2,fma,f16c"), always_inline)) inline
#define FP8SA_AVX512_INLINE __attribute__((target("avx2,fma,f16c,avx512f"), always_inline)) inline
#else
#define FP8SA_HAVE_X86_FAST 0
#endif

namespace fp8sa {

void GemmProblem::validate() const {
  auto bad = [](const std::string& m) { throw std::invalid_argument("gemm: " + m); };
  if (M < 1) bad("M " + std::to_string(M) + " out of range [1, 2^31)");
  if (N < 1) bad("N " + std::to_string(N) + " out of range [1, 2^31)");
  if (K < 1 || K > 65535) {
    bad("K " + std::to_string(K) + " out of range [1, 65535] (one command per tile, cmd_k_i is 16 bits)");
  }
  if (A == nullptr) bad("A is null");
  if (B == nullptr) bad("B is null");
  if (static_cast<unsigned>(rnd) > 2u) round_from_code(static_cast<unsigned>(rnd));
  if (static_cast<unsigned>(out_fmt) > static_cast<unsigned>(OutKind::Raw)) {
    bad("out_fmt " + std::to_string(static_cast<unsigned>(out_fmt)) +
        " out of range (0 E4M3, 1 E5M2, 2 FP16, 3 BF16, 4 raw)");
  }
  if (static_cast<unsigned>(out_rnd) > 2u) round_from_code(static_cast<unsigned>(out_rnd));
  if (scale < -64 || scale > 63) bad("scale " + std::to_string(scale) + " out of range [-64, 63]");
  if (static_cast<unsigned>(fmt_a) > 1u || static_cast<unsigned>(fmt_b) > 1u) bad("bad FP8 format code");
}

uint8_t GemmOutput::flags() const {
  uint8_t f = 0;
  for (uint8_t t : tile_flags) f = static_cast<uint8_t>(f | t);
  return f;
}

namespace {

using detail::parallel_for;

bool fp8_special(uint8_t code, Fp8Format f) { return fp8_is_special(code, f); }

struct Ctx {
  const GemmProblem& p;
  const ArrayConfig& cfg;
  GemmOutput* out;
  int R, C, tm, tn;
  long T;
  uint32_t mask;        // the init word's bits (init_format())
  Pe pe;                // the PE's arithmetic (generic path)
  Quantizer quant;
  bool col_sr;                                  // the quantizer uses SR draws
  std::vector<Lfsr> col_lfsr;                   // SR: column c's LFSR at its seed (copied, then skipped, per tile)
  std::vector<uint8_t> zeros;                   // K zero codes for padded rows / columns
  std::vector<uint8_t> tile_generic;            // 1: compute the tile on the generic path
  std::unique_ptr<std::atomic<uint8_t>[]> tile_inexact;  // fast path: a MAC of the tile was inexact
  bool narrow = false;                          // tiles on the generic path try the narrow fast path first (gemm_narrow.cpp)
  const detail::PeFast* pe_fast = nullptr;      // dot / exact: tiles try the PE kinds' fast path first (gemm_pe_fast.cpp)
  const detail::NarrowPlan* narrow512 = nullptr;  // fma: tiles try the AVX-512 narrow path first (gemm_narrow512.cpp)

  Ctx(const GemmProblem& pp, const ArrayConfig& cc, GemmOutput* o)
      : p(pp), cfg(cc), out(o), R(cc.rows), C(cc.cols), tm((pp.M + cc.rows - 1) / cc.rows),
        tn((pp.N + cc.cols - 1) / cc.cols), T(static_cast<long>(tm) * tn), mask(cc.init_format().mask()),
        pe(cc.pe()), quant(cc.result_format(), cc.q_sr_bits, cc.sr_kind),
        col_sr(is_quantized(pp.out_fmt) && pp.out_rnd == Round::SR), zeros(static_cast<size_t>(pp.K), 0u),
        tile_generic(static_cast<size_t>(T), 1u), tile_inexact(new std::atomic<uint8_t>[static_cast<size_t>(T)]) {
    for (long t = 0; t < T; ++t) tile_inexact[static_cast<size_t>(t)].store(0, std::memory_order_relaxed);
    if (col_sr)
      for (int c = 0; c < C; ++c)
        col_lfsr.emplace_back(cc.lfsr_w, cc.q_sr_bits, derive_seed(cc.seed, static_cast<uint32_t>(1 + R * C + c), cc.lfsr_w));
  }
};

// All R x C PEs of tile t (padded ones included, for their flags) on the
// generic path, through the PE seam (pe.hpp): result words into
// vals[r*C + c], flags ORed.
uint8_t tile_compute_generic(const Ctx& x, long t, uint32_t* vals) {
  const GemmProblem& p = x.p;
  const int ti = static_cast<int>(t / x.tn), tj = static_cast<int>(t % x.tn);
  const size_t K = static_cast<size_t>(p.K), N = static_cast<size_t>(p.N);
  const uint64_t draws = x.pe.config().draws_per_tile(K);
  uint8_t f = 0;
  for (int r = 0; r < x.R; ++r) {
    const int m = ti * x.R + r;
    const uint8_t* a = m < p.M ? p.A + static_cast<size_t>(m) * K : x.zeros.data();
    for (int c = 0; c < x.C; ++c) {
      const int n = tj * x.C + c;
      const bool col = n < p.N;
      const uint8_t* b = col ? p.B + n : x.zeros.data();
      const ptrdiff_t sb = col ? static_cast<ptrdiff_t>(N) : 1;
      const uint32_t init =
          (p.C_init != nullptr && m < p.M && col) ? (p.C_init[static_cast<size_t>(m) * N + static_cast<size_t>(n)] & x.mask)
                                                  : 0u;
      std::optional<Lfsr> l;
      if (p.rnd == Round::SR) {
        const uint32_t seed0 = derive_seed(x.cfg.seed, static_cast<uint32_t>(1 + r * x.C + c), x.cfg.lfsr_w);
        l.emplace(x.cfg.lfsr_w, x.cfg.sr_bits, seed0);
        l->skip(static_cast<uint64_t>(t) * draws);
      }
      const OpResult res = x.pe.tile(init, a, 1, b, sb, K, p.fmt_a, p.fmt_b, p.rnd, l ? &*l : nullptr);
      vals[r * x.C + c] = res.bits;
      f = static_cast<uint8_t>(f | res.flags);
    }
  }
  return f;
}

// Values of tile t (generic path, or the fast path's raw words already in
// out), then the output unit: quantizer rows with the column LFSRs, flags.
void finish_tile(const Ctx& x, long t, detail::NarrowWorker* nw = nullptr) {
  const GemmProblem& p = x.p;
  const int ti = static_cast<int>(t / x.tn), tj = static_cast<int>(t % x.tn);
  const size_t N = static_cast<size_t>(p.N);
  uint32_t* out = x.out->out.data();
  thread_local std::vector<uint32_t> vals_buf;  // R x C words, grown once per thread
  vals_buf.resize(static_cast<size_t>(x.R) * static_cast<size_t>(x.C));
  uint32_t* vals = vals_buf.data();
  const bool raw = !is_quantized(p.out_fmt);
  const bool generic = x.tile_generic[static_cast<size_t>(t)] != 0;
  uint8_t f;
  if (generic) {
    const bool fast = x.pe_fast != nullptr ? detail::pe_fast_tile(*x.pe_fast, t, vals, &f)
                                           : (nw != nullptr && detail::narrow512_tile(*x.narrow512, *nw, t, vals, &f)) ||
                                                 (x.narrow && detail::narrow_tile(p, x.cfg, t, x.tn, vals, &f));
    if (!fast) f = tile_compute_generic(x, t, vals);
  } else {
    // Fast path: padded PEs hold +0 (no flags there, see the file comment).
    f = x.tile_inexact[static_cast<size_t>(t)].load(std::memory_order_relaxed) != 0 ? kFlagInexact : 0;
    if (raw) {  // the raw words are already in out
      x.out->tile_flags[static_cast<size_t>(t)] = f;
      return;
    }
    for (int r = 0; r < x.R; ++r) {
      const int m = ti * x.R + r;
      for (int c = 0; c < x.C; ++c) {
        const int n = tj * x.C + c;
        vals[r * x.C + c] = (m < p.M && n < p.N) ? out[static_cast<size_t>(m) * N + static_cast<size_t>(n)] : 0u;
      }
    }
  }
  for (int c = 0; c < x.C; ++c) {
    const int n = tj * x.C + c;
    // column c's LFSR, t*R draws past its seed (SR only: built only then)
    std::optional<Lfsr> col;
    if (!raw && x.col_sr) {
      col.emplace(x.col_lfsr[static_cast<size_t>(c)]);  // as Lfsr(lfsr_w, q_sr_bits, derive_seed(...)), built once
      col->skip(static_cast<uint64_t>(t) * static_cast<uint64_t>(x.R));
    }
    for (int r = 0; r < x.R; ++r) {
      const int m = ti * x.R + r;
      uint32_t w = vals[r * x.C + c];
      if (!raw) {
        const uint32_t u = col ? col->draw() : 0u;
        const OpResult q = x.quant.quantize(w, out_format(p.out_fmt), p.out_rnd, p.sat, p.scale, u);
        w = q.bits;
        f = static_cast<uint8_t>(f | q.flags);
      }
      if (m < p.M && n < p.N) out[static_cast<size_t>(m) * N + static_cast<size_t>(n)] = w;
    }
  }
  x.out->tile_flags[static_cast<size_t>(t)] = f;
}

#if FP8SA_HAVE_X86_FAST

constexpr int kMr = 6;    // kernel rows
constexpr int kNr = 16;   // kernel columns (2 ymm)
constexpr int kChunk = 32;       // k per MXCSR-checked chunk (first size)
constexpr int kMaxChunk = 1024;  // largest chunk
constexpr int kFirstProbe = 8;  // k of per-lane testing tried first
constexpr int kMaskedTiles = 3;  // pending tiles up to which an inexact chunk is resolved by masked re-runs
constexpr int kKc = 256;        // k per block: B micro-panel 16 KiB (L1)
constexpr int kMcRows = 96;     // rows per A block: 96 x kKc floats, 96 KiB (L2)
constexpr int kNcCols = 256;    // columns of B per work item

constexpr uint32_t kMxcsrDefault = 0x1F80u;  // all exceptions masked, RNE, no FTZ/DAZ, flags clear
constexpr uint32_t kMxcsrInexact = 0x20u;

// 64-byte aligned float buffers for the packed operands and C. Freed
// buffers are kept (up to kKeptBuffers) and handed out again: a 1024^3 GEMM
// needs 12 MiB, and fresh pages cost about a tenth of its kernel time in
// page faults. A buffer's contents are never assumed.
class AlignedFloats {
 public:
  explicit AlignedFloats(size_t n) : bytes_(((n * sizeof(float) + 63) / 64) * 64) {
    {
      std::lock_guard<std::mutex> lock(pool_mutex());
      std::vector<Kept>& pool = kept();
      for (size_t i = 0; i < pool.size(); ++i) {
        if (pool[i].bytes >= bytes_) {
          p = pool[i].p;
          bytes_ = pool[i].bytes;
          pool.erase(pool.begin() + static_cast<ptrdiff_t>(i));
          return;
        }
      }
    }
    p = static_cast<float*>(std::aligned_alloc(64, bytes_));
    if (p == nullptr) throw std::bad_alloc();
  }
  ~AlignedFloats() {
    std::lock_guard<std::mutex> lock(pool_mutex());
    std::vector<Kept>& pool = kept();
    if (pool.size() < kKeptBuffers) {
      pool.push_back({p, bytes_});
      return;
    }
    // Full: drop the smallest of the kept ones and this one.
    auto smallest = std::min_element(pool.begin(), pool.end(),
                                     [](const Kept& a, const Kept& b) { return a.bytes < b.bytes; });
    if (smallest->bytes < bytes_) {
      std::swap(smallest->p, p);
      std::swap(smallest->bytes, bytes_);
    }
    std::free(p);
  }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  float* p = nullptr;

 private:
  struct Kept {
    float* p;
    size_t bytes;
  };
  static constexpr size_t kKeptBuffers = 3;
  struct Pool {
    std::vector<Kept> v;
    ~Pool() {
      for (Kept& k : v) std::free(k.p);
    }
  };
  static std::mutex& pool_mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<Kept>& kept() {
    static Pool pool;
    return pool.v;
  }
  size_t bytes_;
};

// 8 FP8 codes to binary32, exactly (F16C): an E5M2 code is the top byte of
// the binary16 with the same value; an E4M3 code shifted into binary16's
// fields (exponent bias 15, not 7) is its value times 2^-8, which binary16
// holds exactly (subnormals included), and the product by 2^8 is exact; the
// E4M3 NaN codes become a binary16 NaN. Returns the codes that are NaN or
// Inf as 0xFF bytes (low 8 bytes).
FP8SA_AVX2 inline __m128i fp8x8_to_f32(const uint8_t* src, Fp8Format fmt, float* dst) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src));
  const __m128i w = _mm_cvtepu8_epi16(b);
  __m128i h, special;
  if (fmt == Fp8Format::E5M2) {
    h = _mm_slli_epi16(w, 8);
    const __m128i m = _mm_set1_epi8(0x7C);
    special = _mm_cmpeq_epi8(_mm_and_si128(b, m), m);
  } else {
    const __m128i mag = _mm_and_si128(w, _mm_set1_epi16(0x7F));
    const __m128i sign = _mm_slli_epi16(_mm_and_si128(w, _mm_set1_epi16(0x80)), 8);
    const __m128i nan = _mm_cmpeq_epi16(mag, _mm_set1_epi16(0x7F));
    h = _mm_blendv_epi8(_mm_or_si128(sign, _mm_slli_epi16(mag, 7)), _mm_set1_epi16(0x7E00), nan);
    const __m128i m = _mm_set1_epi8(0x7F);
    special = _mm_cmpeq_epi8(_mm_and_si128(b, m), m);
  }
  __m256 v = _mm256_cvtph_ps(h);
  if (fmt == Fp8Format::E4M3) v = _mm256_mul_ps(v, _mm256_set1_ps(256.0f));
  _mm256_store_ps(dst, v);
  return special;
}

// B[k][0..NR) (row stride n) for every k into an NR-wide panel (NR a
// multiple of 8); s[j] != 0 where column j holds a NaN or Inf code.
template <int NR>
FP8SA_AVX2 void pack_b_panel(const uint8_t* b, size_t n, size_t K, Fp8Format fmt, float* dst, uint8_t s[NR]) {
  static_assert(NR % 8 == 0 && NR <= 16, "panel width");
  __m128i sv[NR / 8] = {};
  for (size_t k = 0; k < K; ++k) {
    for (int h = 0; h < NR / 8; ++h) {
      sv[h] = _mm_or_si128(sv[h], fp8x8_to_f32(b + k * n + 8 * h, fmt, dst + k * NR + 8 * h));
    }
  }
  for (int h = 0; h < NR / 8; ++h) _mm_storel_epi64(reinterpret_cast<__m128i*>(s + 8 * h), sv[h]);
}

// Per FP8 code of the problem's operands: A's binary32 value, and whether
// an A or a B code is NaN or Inf (the packers' tables).
struct CodeLuts {
  float a[256];
  uint8_t sp_a[256], sp_b[256];
  explicit CodeLuts(const GemmProblem& p) {
    for (int i = 0; i < 256; ++i) {
      const uint32_t ba = fp8_to_f32_bits(static_cast<uint8_t>(i), p.fmt_a);
      std::memcpy(&a[i], &ba, 4);
      sp_a[i] = fp8_special(static_cast<uint8_t>(i), p.fmt_a) ? 1 : 0;
      sp_b[i] = fp8_special(static_cast<uint8_t>(i), p.fmt_b) ? 1 : 0;
    }
  }
};

// B columns [n0, n0 + NR) (row stride N) as one panel: every k's row NR
// floats on in dst, columns at or past N zero; col_sp[n] = 1 for each column
// n < N of the panel that holds a NaN or Inf code (sp_b: the codes that
// are). Both FP32 paths pack B with it; full panels take the vector packer.
template <int NR>
void pack_b_cols(const GemmProblem& p, int n0, const uint8_t* sp_b, float* dst, uint8_t* col_sp) {
  const size_t N = static_cast<size_t>(p.N), Ks = static_cast<size_t>(p.K);
  const int w = std::min(NR, p.N - n0);
  uint8_t s[NR] = {};
  if (w == NR) {
    pack_b_panel<NR>(p.B + n0, N, Ks, p.fmt_b, dst, s);
  } else {
    for (size_t k = 0; k < Ks; ++k) {
      const uint8_t* b = p.B + k * N + static_cast<size_t>(n0);
      float* d = dst + k * NR;
      for (int jj = 0; jj < w; ++jj) {
        const uint32_t bits = fp8_to_f32_bits(b[jj], p.fmt_b);
        std::memcpy(&d[jj], &bits, 4);
        s[jj] |= sp_b[b[jj]];
      }
      for (int jj = w; jj < NR; ++jj) d[jj] = 0.0f;
    }
  }
  for (int jj = 0; jj < w; ++jj) col_sp[static_cast<size_t>(n0 + jj)] = s[jj] != 0 ? 1 : 0;
}

// The vector operations of the block kernel (gemm_k_tile.inc) per width,
// inlined with the kernel's target: each kernel compiles to the instructions
// it had with the intrinsics written in place.
struct Ymm {
  using V = __m256;
  static constexpr int kLanes = 8;
  FP8SA_AVX2_INLINE static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  FP8SA_AVX2_INLINE static V load(const float* p) { return _mm256_load_ps(p); }
  FP8SA_AVX2_INLINE static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
  FP8SA_AVX2_INLINE static V bcast(const float* p) { return _mm256_broadcast_ss(p); }
  FP8SA_AVX2_INLINE static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};
struct Zmm {
  using V = __m512;
  static constexpr int kLanes = 16;
  FP8SA_AVX512_INLINE static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  FP8SA_AVX512_INLINE static V load(const float* p) { return _mm512_load_ps(p); }
  FP8SA_AVX512_INLINE static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  FP8SA_AVX512_INLINE static V bcast(const float* p) { return _mm512_set1_ps(*p); }
  FP8SA_AVX512_INLINE static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
};

// k_tile: the AVX2 kernel, MR x (8 NV) blocks of ymm accumulators.
#define FP8SA_KT_NAME k_tile
#define FP8SA_KT_ATTR FP8SA_AVX2
#define FP8SA_KT_VEC Ymm
#include "gemm_k_tile.inc"

// k_tile512: the AVX-512F kernel, MR x (16 NV) blocks of zmm accumulators;
// MR = 16 gives 16 independent chains (twice the AVX2 kernel's) and one
// broadcast per 16 columns instead of per 8, which is what the 4 x 16 and
// 8 x 8 AVX2 kernels ran short of.
#define FP8SA_KT_NAME k_tile512
#define FP8SA_KT_ATTR FP8SA_AVX512
#define FP8SA_KT_VEC Zmm
#include "gemm_k_tile.inc"

// Whether any MAC of the lanes in the block rows x columns given as bit
// masks was inexact over [k0, k1), from accumulators acc (left changed,
// values not wanted). The other lanes multiply by +0: c + 0 is exact and
// raises nothing, so MXCSR's inexact flag speaks for those lanes alone.
template <int MR>
FP8SA_AVX2 bool k_masked_flagged(const float* ap, const float* bp, int k0, int k1, float* acc, unsigned rows,
                                 unsigned cols) {
  alignas(32) uint32_t colm[kNr];
  alignas(32) uint32_t rowm[MR][8];
  for (int j = 0; j < kNr; ++j) colm[j] = ((cols >> j) & 1u) != 0 ? 0xFFFFFFFFu : 0u;
  for (int i = 0; i < MR; ++i) {
    for (int l = 0; l < 8; ++l) rowm[i][l] = ((rows >> i) & 1u) != 0 ? 0xFFFFFFFFu : 0u;
  }
  const __m256 m0 = _mm256_load_ps(reinterpret_cast<const float*>(colm));
  const __m256 m1 = _mm256_load_ps(reinterpret_cast<const float*>(colm + 8));
  __m256 c[2 * MR];
#pragma GCC unroll 12
  for (int v = 0; v < 2 * MR; ++v) c[v] = _mm256_load_ps(acc + 8 * v);
  uint32_t csr = kMxcsrDefault;
  asm volatile("ldmxcsr %0" : : "m"(csr));
#pragma GCC unroll 12
  for (int v = 0; v < 2 * MR; ++v) asm volatile("" : "+x"(c[v]));
  for (int k = k0; k < k1; ++k) {
    const __m256 b0 = _mm256_and_ps(_mm256_load_ps(bp + 16 * k), m0);
    const __m256 b1 = _mm256_and_ps(_mm256_load_ps(bp + 16 * k + 8), m1);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_and_ps(_mm256_broadcast_ss(ap + MR * k + i),
                                     _mm256_load_ps(reinterpret_cast<const float*>(rowm[i])));
      c[2 * i] = _mm256_fmadd_ps(a, b0, c[2 * i]);
      c[2 * i + 1] = _mm256_fmadd_ps(a, b1, c[2 * i + 1]);
    }
  }
#pragma GCC unroll 12
  for (int v = 0; v < 2 * MR; ++v) asm volatile("" : "+x"(c[v]));
  uint32_t after = 0;
  asm volatile("stmxcsr %0" : "=m"(after));
  return (after & kMxcsrInexact) != 0;
}

// Same values with a per-lane exactness test: s = fl(c + p), p = a*b exact
// (so fl(c + p) == fmaf(a, b, c)); the MAC is exact iff s - c == p and
// s - p == c. Stops after the first group of 4 k in which a lane of `stop`
// (a 96-bit lane mask, bit 16*i + j) was inexact; returns the k reached and
// ORs the inexact lanes into found.
template <int MR>
FP8SA_AVX2 int k_detect(const float* ap, const float* bp, int k0, int k1, float* acc, const uint64_t stop[2],
                        uint64_t found[2]) {
  __m256 c[2 * MR], st[2 * MR];
#pragma GCC unroll 12
  for (int v = 0; v < 2 * MR; ++v) {
    c[v] = _mm256_load_ps(acc + 8 * v);
    st[v] = _mm256_setzero_ps();
  }
  int k = k0;
  while (k < k1) {
    const int kend = std::min(k1, k + 4);
    for (; k < kend; ++k) {
      const __m256 b0 = _mm256_load_ps(bp + 16 * k);
      const __m256 b1 = _mm256_load_ps(bp + 16 * k + 8);
#pragma GCC unroll 6
      for (int i = 0; i < MR; ++i) {
        const __m256 a = _mm256_broadcast_ss(ap + MR * k + i);
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
          const int v = 2 * i + h;
          const __m256 pr = _mm256_mul_ps(a, h == 0 ? b0 : b1);
          const __m256 s = _mm256_add_ps(c[v], pr);
          const __m256 e1 = _mm256_cmp_ps(_mm256_sub_ps(s, c[v]), pr, _CMP_NEQ_UQ);
          const __m256 e2 = _mm256_cmp_ps(_mm256_sub_ps(s, pr), c[v], _CMP_NEQ_UQ);
          st[v] = _mm256_or_ps(st[v], _mm256_or_ps(e1, e2));
          c[v] = s;
        }
      }
    }
    uint64_t lo = 0, hi = 0;
#pragma GCC unroll 12
    for (int v = 0; v < 2 * MR; ++v) {
      const uint64_t mm = static_cast<uint32_t>(_mm256_movemask_ps(st[v]));
      if (v < 8) {
        lo |= mm << (8 * v);
      } else {
        hi |= mm << (8 * (v - 8));
      }
    }
    if ((lo & stop[0]) != 0 || (hi & stop[1]) != 0 || k >= k1) {
      found[0] |= lo;
      found[1] |= hi;
      break;
    }
  }
#pragma GCC unroll 12
  for (int v = 0; v < 2 * MR; ++v) _mm256_store_ps(acc + 8 * v, c[v]);
  return k;
}

struct BlockTiles {
  int n = 0;
  long t[kMr * kNr];
  uint64_t lo[kMr * kNr], hi[kMr * kNr];       // the tile's lanes in the block (bit 16*i + j, rows 4 and 5 in hi)
  int8_t i0[kMr * kNr], i1[kMr * kNr], j0[kMr * kNr], j1[kMr * kNr];  // the same as block rows / columns
};

// Tiles with a NaN/Inf operand (row_sp[m], col_sp[n]: row m of A, column n
// of B holds one) or init word go to the generic path, never pending.
void mark_generic_tiles(Ctx& x, const std::vector<uint8_t>& row_sp, const std::vector<uint8_t>& col_sp, int threads) {
  const GemmProblem& p = x.p;
  const int M = p.M, N = p.N;
  const uint32_t expmask = 0x7F800000u;
  parallel_for(x.T, threads, [&](long t) {
    const int ti = static_cast<int>(t / x.tn), tj = static_cast<int>(t % x.tn);
    uint8_t s = 0;
    for (int r = 0; r < x.R; ++r) {
      const int m = ti * x.R + r;
      if (m < M) s |= row_sp[static_cast<size_t>(m)];
    }
    for (int c = 0; c < x.C; ++c) {
      const int n = tj * x.C + c;
      if (n < N) s |= col_sp[static_cast<size_t>(n)];
    }
    if (p.C_init != nullptr) {
      for (int r = 0; r < x.R && s == 0; ++r) {
        const int m = ti * x.R + r;
        if (m >= M) break;
        for (int c = 0; c < x.C; ++c) {
          const int n = tj * x.C + c;
          if (n >= N) break;
          if ((p.C_init[static_cast<size_t>(m) * static_cast<size_t>(N) + static_cast<size_t>(n)] & expmask) ==
              expmask) {
            s = 1;
            break;
          }
        }
      }
    }
    x.tile_generic[static_cast<size_t>(t)] = s;
    if (s != 0) x.tile_inexact[static_cast<size_t>(t)].store(1, std::memory_order_relaxed);  // never pending
  });
}

// The fast path is a BLIS-style blocked SGEMM (Goto's loop order) whose only
// freedom is where partial sums live between k blocks: an MR x NR block of C
// is loaded, carried through k in [k0, k0 + kKc) in registers and stored as
// binary32, so every output is still one fmaf chain in k order (storing and
// reloading a binary32 value changes no bit). The k block keeps the kernel's
// B micro-panel (kKc x NR floats, at most 16 KiB) in L1 while it sweeps the A
// block (about kMcRows x kKc floats, 96 KiB, L2); a work item is one A block
// by kNcCols columns of B, so threads share nothing but the tile_inexact
// bytes. kTileAligned: MR divides ROWS and NR divides COLS (block_aligned);
// otherwise MR x NR is 6 x 16 with the tracking of block(). kWide (AVX-512F
// CPUs, tile-aligned only): 0 the AVX2 ymm kernel; 1 the zmm kernel
// (16 * NV columns); 2 pairs of 8-column tiles (COLS a multiple of 8, NV 1:
// block_pair).
template <int MR, int NV, bool kTileAligned, int kWide = 0>
class FastGemm {
 public:
  static constexpr int NR = (kWide != 0 ? 16 : 8) * NV;
  static_assert(kWide == 0 || kTileAligned, "zmm kernels only on the tile-aligned path");
  static_assert(kWide != 2 || NV == 1, "pairs of 8-column tiles: 16-column panels");
  static_assert(kTileAligned || (MR <= kMr && NR == kNr), "the flag-tracking path is written for 16-wide blocks of <= 6 rows");
  FastGemm(Ctx& x, int threads) : x_(x), threads_(threads) {}

  void run() {
    const GemmProblem& p = x_.p;
    const int M = p.M, N = p.N, K = p.K;
    groups_ = (M + MR - 1) / MR;
    panels_ = (N + NR - 1) / NR;
    ldc_ = static_cast<size_t>(panels_) * NR;
    const size_t Ks = static_cast<size_t>(K);
    AlignedFloats ap(static_cast<size_t>(groups_) * Ks * MR);
    AlignedFloats bp(static_cast<size_t>(panels_) * Ks * NR);
    AlignedFloats cb(static_cast<size_t>(groups_) * MR * ldc_);
    ap_ = ap.p;
    bp_ = bp.p;
    cb_ = cb.p;
    if (!kTileAligned) block_done_.assign(static_cast<size_t>(groups_) * static_cast<size_t>(panels_), 0u);
    const CodeLuts lut(p);
    std::vector<uint8_t> row_sp(static_cast<size_t>(M), 0), col_sp(static_cast<size_t>(N), 0);
    // Pack A into 6-row panels (k-major), with the rows' C words (C_init or
    // +0) in the C buffer, and B into 16-column panels.
    parallel_for(groups_, threads_, [&](long g) {
      float* dst = ap_ + static_cast<size_t>(g) * Ks * MR;
      for (int i = 0; i < MR; ++i) {
        const int m = static_cast<int>(g) * MR + i;
        float* crow = cb_ + static_cast<size_t>(g * MR + i) * ldc_;
        std::memset(crow, 0, ldc_ * sizeof(float));
        if (m >= M) {
          for (size_t k = 0; k < Ks; ++k) dst[k * MR + static_cast<size_t>(i)] = 0.0f;
          continue;
        }
        if (p.C_init != nullptr) {
          std::memcpy(crow, p.C_init + static_cast<size_t>(m) * static_cast<size_t>(N), static_cast<size_t>(N) * 4u);
        }
        const uint8_t* a = p.A + static_cast<size_t>(m) * Ks;
        uint8_t s = 0;
        for (size_t k = 0; k < Ks; ++k) {
          dst[k * MR + static_cast<size_t>(i)] = lut.a[a[k]];
          s |= lut.sp_a[a[k]];
        }
        row_sp[static_cast<size_t>(m)] = s;
      }
    });
    parallel_for(panels_, threads_, [&](long j) {
      pack_b_cols<NR>(p, static_cast<int>(j) * NR, lut.sp_b, bp_ + static_cast<size_t>(j) * Ks * NR, col_sp.data());
    });
    mark_generic_tiles(x_, row_sp, col_sp, threads_);
    // Kernel: work items are (A block, run of B panels); each runs k blocks
    // in order, so each output's k order holds whatever the schedule.
    const int mc = std::max(1, kMcRows / MR), nc = std::max(1, kNcCols / NR);  // groups, panels per item
    const int mblocks = (groups_ + mc - 1) / mc;
    const int nblocks = (panels_ + nc - 1) / nc;
    parallel_for(static_cast<long>(mblocks) * nblocks, threads_, [&](long w) {
      const uint32_t saved = _mm_getcsr();
      _mm_setcsr(kMxcsrDefault);
      const int g0 = static_cast<int>(w / nblocks) * mc, g1 = std::min(groups_, g0 + mc);
      const int j0 = static_cast<int>(w % nblocks) * nc, j1 = std::min(panels_, j0 + nc);
      for (int k0 = 0; k0 < K; k0 += kKc) {
        const int k1 = std::min(K, k0 + kKc);
        for (int j = j0; j < j1; ++j) {
          for (int g = g0; g < g1; ++g) {
            if constexpr (kWide == 2) {
              block_pair(g, j, k0, k1);
            } else if constexpr (kTileAligned) {
              block_aligned(g, j, k0, k1);
            } else {
              block(g, j, k0, k1);
            }
          }
        }
      }
      _mm_setcsr(saved);
    });
    // Raw words out. No NaN to make canonical: a NaN needs a NaN or Inf
    // operand or init word, or an overflow, and those tiles are the generic
    // path's (finish_tile overwrites them).
    parallel_for(M, threads_, [&](long m) {
      std::memcpy(x_.out->out.data() + static_cast<size_t>(m) * static_cast<size_t>(N),
                  cb_ + static_cast<size_t>(m) * ldc_, static_cast<size_t>(N) * sizeof(float));
    });
  }

 private:
  void tiles_of_block(int m0, int n0, int rows, int cols, BlockTiles* bt) const {
    bt->n = 0;
    const int rb0 = m0 / x_.R, rb1 = (m0 + rows - 1) / x_.R;
    const int cb0 = n0 / x_.C, cb1 = (n0 + cols - 1) / x_.C;
    for (int rb = rb0; rb <= rb1; ++rb) {
      // block rows [i0, i1) and columns [j0, j1) of this tile
      const int i0 = std::max(0, rb * x_.R - m0), i1 = std::min(rows, (rb + 1) * x_.R - m0);
      for (int cb = cb0; cb <= cb1; ++cb) {
        const long t = static_cast<long>(rb) * x_.tn + cb;
        if (x_.tile_inexact[static_cast<size_t>(t)].load(std::memory_order_relaxed) != 0) continue;
        const int j0 = std::max(0, cb * x_.C - n0), j1 = std::min(cols, (cb + 1) * x_.C - n0);
        const uint64_t colmask = ((uint64_t{1} << j1) - 1u) & ~((uint64_t{1} << j0) - 1u);
        uint64_t lo = 0, hi = 0;
        for (int i = i0; i < i1; ++i) {
          if (i < 4) {
            lo |= colmask << (16 * i);
          } else {
            hi |= colmask << (16 * (i - 4));
          }
        }
        bt->t[bt->n] = t;
        bt->lo[bt->n] = lo;
        bt->hi[bt->n] = hi;
        bt->i0[bt->n] = static_cast<int8_t>(i0);
        bt->i1[bt->n] = static_cast<int8_t>(i1);
        bt->j0[bt->n] = static_cast<int8_t>(j0);
        bt->j1[bt->n] = static_cast<int8_t>(j1);
        ++bt->n;
      }
    }
  }

  // Drops the tiles that found[] or another block proved inexact; returns
  // the lane mask of the tiles still pending.
  void settle(BlockTiles* bt, const uint64_t found[2], uint64_t stop[2]) const {
    stop[0] = stop[1] = 0;
    int w = 0;
    for (int i = 0; i < bt->n; ++i) {
      std::atomic<uint8_t>& ti = x_.tile_inexact[static_cast<size_t>(bt->t[i])];
      if ((bt->lo[i] & found[0]) != 0 || (bt->hi[i] & found[1]) != 0) {
        ti.store(1, std::memory_order_relaxed);
        continue;
      }
      if (ti.load(std::memory_order_relaxed) != 0) continue;
      bt->t[w] = bt->t[i];
      bt->lo[w] = bt->lo[i];
      bt->hi[w] = bt->hi[i];
      bt->i0[w] = bt->i0[i];
      bt->i1[w] = bt->i1[i];
      bt->j0[w] = bt->j0[i];
      bt->j1[w] = bt->j1[i];
      stop[0] |= bt->lo[i];
      stop[1] |= bt->hi[i];
      ++w;
    }
    bt->n = w;
  }

  // Lane masks of bt's tiles [lo, hi): rows (bits of block rows) and columns.
  static void lanes_of(const BlockTiles& bt, int lo, int hi, unsigned* rows, unsigned* cols) {
    *rows = *cols = 0;
    for (int i = lo; i < hi; ++i) {
      *rows |= ((1u << bt.i1[i]) - 1u) & ~((1u << bt.i0[i]) - 1u);
      *cols |= ((1u << bt.j1[i]) - 1u) & ~((1u << bt.j0[i]) - 1u);
    }
  }

  // Group testing on a flagged chunk [k, kend) when every tile of the block
  // has the block's rows (rows_aligned_), so any run of them is a product of
  // rows and columns: which of tiles [lo, hi) had an inexact MAC, re-running
  // the chunk from save on their lanes alone. known: at least one of them
  // did. About log2(n) re-runs per inexact tile found.
  void find_inexact(const BlockTiles& bt, int lo, int hi, bool known, const float* ap, const float* bp, int k,
                    int kend, const float* save, uint64_t found[2]) const {
    auto query = [&](int l, int h) {
      unsigned qr, qc;
      lanes_of(bt, l, h, &qr, &qc);
      alignas(64) float scratch[MR * kNr];
      std::memcpy(scratch, save, sizeof scratch);
      return k_masked_flagged<MR>(ap, bp, k, kend, scratch, qr, qc);
    };
    if (!known && !query(lo, hi)) return;
    if (hi - lo == 1) {
      found[0] |= bt.lo[lo];
      found[1] |= bt.hi[lo];
      return;
    }
    const int mid = (lo + hi) / 2;
    const bool first = query(lo, mid);
    if (first) find_inexact(bt, lo, mid, true, ap, bp, k, kend, save, found);
    find_inexact(bt, mid, hi, !first, ap, bp, k, kend, save, found);
  }

  // The MR x 16 block (g, j) of C through k in [k0, k1). Once every tile the
  // block touches is known inexact (block_done_), that is the plain kernel;
  // until then, the flag tracking of the file comment.
  void block(int g, int j, int k0, int k1) {
    const size_t Ks = static_cast<size_t>(x_.p.K);
    const float* ap = ap_ + static_cast<size_t>(g) * Ks * MR;
    const float* bp = bp_ + static_cast<size_t>(j) * Ks * kNr;
    float* c = cb_ + static_cast<size_t>(g) * MR * ldc_ + static_cast<size_t>(j) * kNr;
    uint8_t& done = block_done_[static_cast<size_t>(g) * static_cast<size_t>(panels_) + static_cast<size_t>(j)];
    if (done != 0) {
      k_tile<MR, 2, false>(ap, bp, k0, k1, c, ldc_);
      return;
    }
    const int m0 = g * MR, n0 = j * kNr;
    const int rows = std::min(MR, x_.p.M - m0), cols = std::min(kNr, x_.p.N - n0);
    BlockTiles bt;
    tiles_of_block(m0, n0, rows, cols, &bt);
    uint64_t found[2] = {0, 0}, stop[2] = {0, 0};
    settle(&bt, found, stop);
    if (bt.n == 0) {
      done = 1;
      k_tile<MR, 2, false>(ap, bp, k0, k1, c, ldc_);
      return;
    }
    const bool rows_aligned = x_.R % MR == 0;  // every tile of the block has all its rows
    uint64_t valid[2] = {0, 0};  // the block's lanes inside the matrix (padded lanes multiply +0: never inexact)
    for (int i = 0; i < rows; ++i) valid[i / 4] |= ((uint64_t{1} << cols) - 1u) << (16 * (i % 4));
    constexpr size_t kAccBytes = sizeof(float) * MR * kNr;
    alignas(64) float acc[MR * kNr];
    for (int i = 0; i < MR; ++i) std::memcpy(&acc[kNr * i], c + static_cast<size_t>(i) * ldc_, kNr * sizeof(float));
    int k = k0;
    // A short per-lane probe first: with wide-range data every tile shows an
    // inexact MAC within a few k.
    while (bt.n > 0 && k < std::min(k1, kFirstProbe)) {
      k = k_detect<MR>(ap, bp, k, std::min(k1, kFirstProbe), acc, stop, found);
      settle(&bt, found, stop);
    }
    int chunk = kChunk;  // doubles while chunks are exact (MXCSR access is slow), back to kChunk after one is not
    while (k < k1) {
      if (bt.n == 0) {
        k_tile<MR, 2, false>(ap, bp, k, k1, acc, kNr);
        break;
      }
      const int kend = std::min(k1, k + chunk);
      alignas(64) float save[MR * kNr];
      std::memcpy(save, acc, kAccBytes);
      if (!k_tile<MR, 2, true>(ap, bp, k, kend, acc, kNr)) {
        k = kend;
        chunk = std::min(2 * chunk, kMaxChunk);
        continue;
      }
      chunk = kChunk;
      // acc holds the chunk's values; which pending tiles had an inexact
      // MAC in it? Lanes of tiles already known inexact may have raised the
      // flag ("others"); re-runs on the pending lanes alone (the rest
      // multiply by +0, exact) tell.
      const bool others = (valid[0] & ~stop[0]) != 0 || (valid[1] & ~stop[1]) != 0;
      if (rows_aligned) {
        find_inexact(bt, 0, bt.n, !others, ap, bp, k, kend, save, found);
        settle(&bt, found, stop);
        k = kend;
        continue;
      }
      if (bt.n <= kMaskedTiles) {
        // Tiles on different rows: all pending lanes at once when they are a
        // product of rows and columns, then tile by tile.
        bool known = !others;
        if (!known && bt.n > 1) {
          unsigned urows, ucols;
          lanes_of(bt, 0, bt.n, &urows, &ucols);
          uint64_t prod[2] = {0, 0};
          for (int i = 0; i < MR; ++i) {
            if (((urows >> i) & 1u) != 0) prod[i / 4] |= static_cast<uint64_t>(ucols) << (16 * (i % 4));
          }
          if (prod[0] == stop[0] && prod[1] == stop[1]) {
            alignas(64) float scratch[MR * kNr];
            std::memcpy(scratch, save, kAccBytes);
            if (!k_masked_flagged<MR>(ap, bp, k, kend, scratch, urows, ucols)) {
              k = kend;
              continue;
            }
            known = true;
          }
        }
        bool any = false;
        for (int i = 0; i < bt.n; ++i) {
          bool hit = i == bt.n - 1 && known && !any;  // the last one must be it
          if (!hit) {
            unsigned trows, tcols;
            lanes_of(bt, i, i + 1, &trows, &tcols);
            alignas(64) float scratch[MR * kNr];
            std::memcpy(scratch, save, kAccBytes);
            hit = k_masked_flagged<MR>(ap, bp, k, kend, scratch, trows, tcols);
          }
          if (hit) {
            found[0] |= bt.lo[i];
            found[1] |= bt.hi[i];
            any = true;
          }
        }
        settle(&bt, found, stop);
        k = kend;
        continue;
      }
      // Many small tiles: the per-lane test, from the chunk's start.
      std::memcpy(acc, save, kAccBytes);
      while (k < kend && bt.n > 0) {
        k = k_detect<MR>(ap, bp, k, kend, acc, stop, found);
        settle(&bt, found, stop);
      }
      if (k < kend) k_tile<MR, 2, false>(ap, bp, k, kend, acc, kNr);
      k = kend;
    }
    if (bt.n == 0) done = 1;
    for (int i = 0; i < MR; ++i) std::memcpy(c + static_cast<size_t>(i) * ldc_, &acc[kNr * i], kNr * sizeof(float));
  }

  // Tile-aligned blocks (MR divides ROWS, NR divides COLS): the block lies in
  // one tile, so MXCSR's inexact flag over the block is the tile's.
  void block_aligned(int g, int j, int k0, int k1) {
    const size_t Ks = static_cast<size_t>(x_.p.K);
    const float* ap = ap_ + static_cast<size_t>(g) * Ks * MR;
    const float* bp = bp_ + static_cast<size_t>(j) * Ks * NR;
    float* c = cb_ + static_cast<size_t>(g) * MR * ldc_ + static_cast<size_t>(j) * NR;
    const long t = static_cast<long>(g * MR / x_.R) * x_.tn + (j * NR / x_.C);
    std::atomic<uint8_t>& inexact = x_.tile_inexact[static_cast<size_t>(t)];
    if constexpr (kWide == 1) {
      if (inexact.load(std::memory_order_relaxed) != 0) {
        k_tile512<MR, NV, false>(ap, bp, k0, k1, c, ldc_);
      } else if (k_tile512<MR, NV, true>(ap, bp, k0, k1, c, ldc_)) {
        inexact.store(1, std::memory_order_relaxed);
      }
    } else if (inexact.load(std::memory_order_relaxed) != 0) {
      k_tile<MR, NV, false>(ap, bp, k0, k1, c, ldc_);
    } else if (k_tile<MR, NV, true>(ap, bp, k0, k1, c, ldc_)) {
      inexact.store(1, std::memory_order_relaxed);
    }
  }

  // Pairs of 8-column tiles (8x8, 16x8, 8x24, ...: MR divides ROWS, 8
  // divides COLS, not 16): the 16-column block holds two tiles side by side,
  // columns 0-7 in one and 8-15 in the next. One ymm chain per 8 lanes of a
  // tile gives only MR chains and a broadcast per 8 FMAs. Once both tiles are
  // known inexact, no flag is needed and the block runs as one zmm block
  // (MR zmm chains, a broadcast per 16 columns): after their exact prefix,
  // which is most of the MACs of a large GEMM. Until then the k block goes
  // in chunks (kChunk k, doubling while nothing turns inexact), so the zmm
  // kernel takes over at the chunk after both tiles turned, not at the next
  // k block: while both are pending, a chunk runs the zmm kernel flagged,
  // and a raised flag is resolved by re-running the chunk on one half (ymm,
  // flagged) from the values saved at its start (if that half was exact, the
  // other was the inexact one); with one tile pending, each half runs the ymm
  // kernel on its own, flagged for the pending one. A half past N (padding,
  // +0 products) has no tile and counts as known inexact.
  void block_pair(int g, int j, int k0, int k1) {
    const size_t Ks = static_cast<size_t>(x_.p.K);
    const float* ap = ap_ + static_cast<size_t>(g) * Ks * MR;
    const float* bp = bp_ + static_cast<size_t>(j) * Ks * NR;
    float* c = cb_ + static_cast<size_t>(g) * MR * ldc_ + static_cast<size_t>(j) * NR;
    const long row = static_cast<long>(g * MR / x_.R) * x_.tn;
    std::atomic<uint8_t>* half[2] = {nullptr, nullptr};
    bool pending[2] = {false, false};
    for (int h = 0; h < 2; ++h) {
      const int n0 = j * NR + 8 * h;
      if (n0 >= x_.p.N) continue;
      half[h] = &x_.tile_inexact[static_cast<size_t>(row + n0 / x_.C)];
      pending[h] = half[h]->load(std::memory_order_relaxed) == 0;
    }
    int k = k0, chunk = kChunk;
    while (k < k1) {
      if (!pending[0] && !pending[1]) {
        k_tile512<MR, 1, false>(ap, bp, k, k1, c, ldc_);
        return;
      }
      const int kend = std::min(k1, k + chunk);
      bool turned = false;
      if (pending[0] && pending[1]) {
        alignas(64) float save[MR * 16];  // the block's values at the chunk's start
        for (int i = 0; i < MR; ++i) std::memcpy(&save[16 * i], c + static_cast<size_t>(i) * ldc_, 16 * sizeof(float));
        if (k_tile512<MR, 1, true>(ap, bp, k, kend, c, ldc_)) {
          turned = true;
          const bool first = k_tile<MR, 1, true, 16>(ap, bp, k, kend, save, 16);
          const bool second = !first || k_tile<MR, 1, true, 16>(ap, bp + 8, k, kend, save + 8, 16);
          if (first) half[0]->store(1, std::memory_order_relaxed);
          if (second) half[1]->store(1, std::memory_order_relaxed);
        }
      } else {
        for (int h = 0; h < 2; ++h) {
          if (!pending[h]) {
            k_tile<MR, 1, false, 16>(ap, bp + 8 * h, k, kend, c + 8 * h, ldc_);
          } else if (k_tile<MR, 1, true, 16>(ap, bp + 8 * h, k, kend, c + 8 * h, ldc_)) {
            half[h]->store(1, std::memory_order_relaxed);
            turned = true;
          }
        }
      }
      chunk = turned ? kChunk : std::min(2 * chunk, kMaxChunk);
      k = kend;
      for (int h = 0; h < 2; ++h) pending[h] = half[h] != nullptr && half[h]->load(std::memory_order_relaxed) == 0;
    }
  }

  Ctx& x_;
  int threads_;
  int groups_ = 0, panels_ = 0;
  size_t ldc_ = 0;  // floats per row of the C buffer (panels_ * 16)
  float* ap_ = nullptr;
  float* bp_ = nullptr;
  float* cb_ = nullptr;              // C: groups_ * 6 rows of ldc_ floats
  std::vector<uint8_t> block_done_;  // (g, j): every tile of the block known inexact (block() only)
};

#include "gemm_fp32_sub4.hpp"

bool cpu_has_fast() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

#endif  // FP8SA_HAVE_X86_FAST

}  // namespace

void gemm_functional(const GemmProblem& p, const ArrayConfig& cfg, GemmOutput* out, const GemmOptions& opt) {
  p.validate();
  cfg.validate();
  if (out == nullptr) throw std::invalid_argument("gemm_functional: out is null");
  if (opt.threads < 0) throw std::invalid_argument("gemm_functional: threads " + std::to_string(opt.threads) + " < 0");
  int threads = opt.threads;
  if (threads == 0) threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  Ctx x(p, cfg, out);
  out->M = p.M;
  out->N = p.N;
  out->tiles_m = x.tm;
  out->tiles_n = x.tn;
  out->out.assign(static_cast<size_t>(p.M) * static_cast<size_t>(p.N), 0u);
  out->tile_flags.assign(static_cast<size_t>(x.T), 0u);
  // Every format, rounding and promotion but e8m23 RNE without promotion:
  // the narrow fast path per tile (gemm_narrow.cpp), bit-identical to the
  // generic one.
  // The fma kind's fast kernels (the narrow one: mid SR only); the dot and
  // exact kinds' per-tile kernels (gemm_pe_fast.cpp) where they cover the
  // configuration; everything else runs the PE seam's generic path.
  const bool fma = cfg.pe_kind == PeKind::Fma;
  x.narrow = opt.allow_fast && fma && cfg.sr_kind == SrKind::Mid &&
             !(cfg.acc == kFp32 && p.rnd == Round::RNE && cfg.promote_n == 0);
  detail::PeFastPtr pe_fast;
  if (opt.allow_fast && !fma) pe_fast = detail::pe_fast_prepare(p, cfg, threads);
  x.pe_fast = pe_fast.get();
  // Every SR kind on the AVX-512 narrow path (its declined tiles: the AVX2
  // kernel for mid, else the generic path).
  detail::NarrowPlanPtr narrow512;
  if (opt.allow_fast && fma && !(cfg.acc == kFp32 && p.rnd == Round::RNE && cfg.promote_n == 0)) {
    narrow512 = detail::narrow512_prepare(p, cfg, threads, [](long n, int th, void* ctx, void (*f)(void*, long)) {
      parallel_for(n, th, [&](long i) { f(ctx, i); });
    });
  }
  x.narrow512 = narrow512.get();
#if FP8SA_HAVE_X86_FAST
  if (opt.allow_fast && fma && cfg.acc == kFp32 && cfg.promote_n == 0 && p.rnd == Round::RNE && cpu_has_fast()) {
    // Tile-aligned blocks where the array's shape allows a kernel with
    // enough accumulators (8 or more ymm) to keep both FMA pipes busy.
    const int R = cfg.rows, C = cfg.cols;
    const bool avx512 = cpu_has_avx512();
    if (C % 16 == 0 && R % 16 == 0 && avx512) {
      FastGemm<16, 1, true, 1>(x, threads).run();  // 16x16, 32x32, ...: 16 zmm chains per tile block
    } else if (C % 16 == 0 && R % 8 == 0 && avx512) {
      FastGemm<8, 1, true, 1>(x, threads).run();
    } else if (C % 8 == 0 && R % 8 == 0 && avx512) {
      FastGemm<8, 1, true, 2>(x, threads).run();  // 8x8, 8x24, ...: pairs of tiles
    } else if (C % 16 == 0 && R % 6 == 0) {
      FastGemm<6, 2, true>(x, threads).run();
    } else if (C % 16 == 0 && R % 4 == 0) {
      FastGemm<4, 2, true>(x, threads).run();
    } else if (C % 8 == 0 && R % 12 == 0) {
      FastGemm<12, 1, true>(x, threads).run();
    } else if (C % 8 == 0 && R % 8 == 0) {
      FastGemm<8, 1, true>(x, threads).run();
    } else if (R % 4 == 0 && C % 4 == 0 && avx512) {
      FastGemmSub4(x, threads).run();  // one flag domain per register (gemm_fp32_sub4.hpp)
    } else if (R % 4 == 0 && R % 6 != 0) {
      FastGemm<4, 2, false>(x, threads).run();  // 4 x 16 blocks in one row of tiles
    } else {
      FastGemm<6, 2, false>(x, threads).run();
    }
  }
#endif
  if (x.pe_fast != nullptr) {
    // Threads take square blocks of tiles that share their packed operands in L2.
    const long b = detail::pe_fast_block(*x.pe_fast);
    const long bm = (x.tm + b - 1) / b, bn = (x.tn + b - 1) / b;
    parallel_for(bm * bn, threads, [&](long blk) {
      const long ti0 = blk / bn * b, tj0 = blk % bn * b;
      for (long ti = ti0; ti < std::min<long>(x.tm, ti0 + b); ++ti)
        for (long tj = tj0; tj < std::min<long>(x.tn, tj0 + b); ++tj) finish_tile(x, ti * x.tn + tj);
    });
  } else if (x.narrow512 != nullptr) {
    // Runs of consecutive tiles per worker: the SR word streams continue
    // from one tile to the next (gemm_narrow512.cpp).
    const long runs = std::min<long>(x.T, 2L * threads);
    parallel_for(runs, threads, [&](long run) {
      detail::NarrowWorkerPtr w = detail::narrow512_worker();
      for (long t = x.T * run / runs; t < x.T * (run + 1) / runs; ++t) finish_tile(x, t, w.get());
    });
  } else {
    parallel_for(x.T, threads, [&](long t) { finish_tile(x, t); });
  }
}

}  // namespace fp8sa

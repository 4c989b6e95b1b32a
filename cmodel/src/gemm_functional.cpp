// Functional GEMM model (docs/array.md "GEMM tiling"): the bits the array
// produces, without cycles.
//
// Generic path (any accumulator format and rounding): per tile, every PE's
// K MACs with AccAdder::dot, its LFSR jumped to t*K draws from its seed; then
// the quantizer per row with the column LFSRs jumped to t*R draws. Threads
// take whole tiles.
//
// Fast path (e8m23 with RNE, x86 with AVX2 + FMA): numerics.md section 4
// makes each MAC exactly binary32 fmaf(a, b, acc) (the FP8 product is exact
// in binary32), so every output is one FMA chain in k order. The kernel
// computes 6 rows x 16 columns of outputs at once (12 ymm accumulators, one
// chain per lane, k in order), which is a plain SGEMM micro-kernel without
// any re-association. NaN results are rewritten to the canonical NaN.
//
// Flags on the fast path. Without NaN or Inf codes in a tile's A rows, B
// columns and C_init words no MAC can be invalid or overflow (an FP8 product
// is below 2^32, half an ulp of the largest binary32) or underflow (a tiny
// sum of two binary32 numbers is exact), so the tile's flags are inexact
// alone, and padded PEs (+0 products) raise nothing. Tiles with such codes
// are recomputed on the generic path. Inexact per tile: the kernel runs k in
// chunks with MXCSR's sticky flags cleared before and read after; a chunk
// with no inexact MAC clears all its lanes. When a chunk was inexact and the
// block still has tiles not known to be inexact, the chunk is re-run with a
// per-lane test (s = c + p exact iff s - c == p and s - p == c, p = a*b
// exact; for round-to-nearest one of the two differences is computed
// exactly, Fast2Sum) until every tile of the block is known inexact. MXCSR is
// set to its default (RNE, no FTZ/DAZ) in every worker.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fp8sa/gemm.hpp"
#include "fp8sa/lfsr.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FP8SA_HAVE_X86_FAST 1
#define FP8SA_AVX2 __attribute__((target("avx2,fma")))
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
  if (out_fmt > kOutFmtRaw) {
    bad("out_fmt " + std::to_string(out_fmt) + " out of range (0 E4M3, 1 E5M2, 2 FP16, 3 BF16, 4 raw)");
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

template <class F>
void parallel_for(long n, int threads, const F& f) {
  if (threads <= 1 || n <= 1) {
    for (long i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<long> next{0};
  auto work = [&] {
    for (long i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) f(i);
  };
  std::vector<std::thread> ts;
  const long nt = std::min<long>(threads, n);
  for (long i = 1; i < nt; ++i) ts.emplace_back(work);
  work();
  for (std::thread& t : ts) t.join();
}

// Jump-ahead for an LFSR's draws: a draw is linear over GF(2), so n draws are
// the matrix D^n, applied from precomputed D^(2^j).
class LfsrJump {
 public:
  LfsrJump(int width, int draw_bits) : w_(width), draw_mask_((1u << draw_bits) - 1u) {
    for (int i = 0; i < w_; ++i) {
      Lfsr l(width, draw_bits, uint64_t{1} << i);
      l.draw();
      pow_[0][i] = l.state();
    }
    for (int j = 1; j < 64; ++j) {
      for (int i = 0; i < w_; ++i) pow_[j][i] = apply(pow_[j - 1], pow_[j - 1][i]);
    }
  }
  uint32_t draw(uint32_t s) const { return apply(pow_[0], s); }  // the state after one draw
  uint32_t draw_mask() const { return draw_mask_; }               // u = state & draw_mask()
  uint32_t jump(uint32_t s, uint64_t draws) const {
    for (int j = 0; draws != 0; ++j, draws >>= 1) {
      if (draws & 1u) s = apply(pow_[j], s);
    }
    return s;
  }

 private:
  static uint32_t apply(const uint32_t* m, uint32_t x) {
    uint32_t r = 0;
    while (x != 0) {
      r ^= m[__builtin_ctz(x)];
      x &= x - 1;
    }
    return r;
  }
  int w_;
  uint32_t draw_mask_;
  uint32_t pow_[64][32] = {};
};

bool fp8_special(uint8_t code, Fp8Format f) {
  return f == Fp8Format::E4M3 ? (code & 0x7Fu) == 0x7Fu : (code & 0x7Cu) == 0x7Cu;
}

struct Ctx {
  const GemmProblem& p;
  const ArrayConfig& cfg;
  GemmOutput* out;
  int R, C, tm, tn;
  long T;
  uint32_t mask;
  AccAdder adder;
  Quantizer quant;
  std::unique_ptr<LfsrJump> pe_jump, col_jump;  // only when SR needs them
  std::vector<uint8_t> zeros;                   // K zero codes for padded rows / columns
  std::vector<uint8_t> tile_generic;            // 1: compute the tile on the generic path
  std::unique_ptr<std::atomic<uint8_t>[]> tile_inexact;  // fast path: a MAC of the tile was inexact

  Ctx(const GemmProblem& pp, const ArrayConfig& cc, GemmOutput* o)
      : p(pp), cfg(cc), out(o), R(cc.rows), C(cc.cols), tm((pp.M + cc.rows - 1) / cc.rows),
        tn((pp.N + cc.cols - 1) / cc.cols), T(static_cast<long>(tm) * tn), mask(cc.acc.mask()),
        adder(cc.acc, cc.sr_bits), quant(cc.acc, cc.q_sr_bits), zeros(static_cast<size_t>(pp.K), 0u),
        tile_generic(static_cast<size_t>(T), 1u), tile_inexact(new std::atomic<uint8_t>[static_cast<size_t>(T)]) {
    if (p.rnd == Round::SR) pe_jump.reset(new LfsrJump(cfg.lfsr_w, cfg.sr_bits));
    if (p.out_fmt != kOutFmtRaw && p.out_rnd == Round::SR) col_jump.reset(new LfsrJump(cfg.lfsr_w, cfg.q_sr_bits));
    for (long t = 0; t < T; ++t) tile_inexact[static_cast<size_t>(t)].store(0, std::memory_order_relaxed);
  }
};

// All R x C PEs of tile t (padded ones included, for their flags) on the
// generic path: raw accumulator words into vals[r*C + c], flags ORed.
uint8_t tile_compute_generic(const Ctx& x, long t, uint32_t* vals) {
  const GemmProblem& p = x.p;
  const int ti = static_cast<int>(t / x.tn), tj = static_cast<int>(t % x.tn);
  const size_t K = static_cast<size_t>(p.K), N = static_cast<size_t>(p.N);
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
      OpResult res;
      if (p.rnd == Round::SR) {
        const uint32_t seed0 = derive_seed(x.cfg.seed, static_cast<uint32_t>(1 + r * x.C + c), x.cfg.lfsr_w);
        Lfsr l(x.cfg.lfsr_w, x.cfg.sr_bits, x.pe_jump->jump(seed0, static_cast<uint64_t>(t) * K));
        res = x.adder.dot(init, a, p.fmt_a, b, p.fmt_b, K, p.rnd, &l, 1, sb);
      } else {
        res = x.adder.dot(init, a, p.fmt_a, b, p.fmt_b, K, p.rnd, nullptr, 1, sb);
      }
      vals[r * x.C + c] = res.bits;
      f = static_cast<uint8_t>(f | res.flags);
    }
  }
  return f;
}

// Values of tile t (generic path, or the fast path's raw words already in
// out), then the output unit: quantizer rows with the column LFSRs, flags.
void finish_tile(const Ctx& x, long t) {
  const GemmProblem& p = x.p;
  const int ti = static_cast<int>(t / x.tn), tj = static_cast<int>(t % x.tn);
  const size_t N = static_cast<size_t>(p.N);
  uint32_t* out = x.out->out.data();
  uint32_t vals[kArrayMaxDim * kArrayMaxDim];
  uint8_t f;
  if (x.tile_generic[static_cast<size_t>(t)] != 0) {
    f = tile_compute_generic(x, t, vals);
  } else {
    // Fast path: padded PEs hold +0 (no flags there, see the file comment).
    f = x.tile_inexact[static_cast<size_t>(t)].load(std::memory_order_relaxed) != 0 ? kFlagInexact : 0;
    for (int r = 0; r < x.R; ++r) {
      const int m = ti * x.R + r;
      for (int c = 0; c < x.C; ++c) {
        const int n = tj * x.C + c;
        vals[r * x.C + c] = (m < p.M && n < p.N) ? out[static_cast<size_t>(m) * N + static_cast<size_t>(n)] : 0u;
      }
    }
  }
  const bool raw = p.out_fmt == kOutFmtRaw;
  const bool generic = x.tile_generic[static_cast<size_t>(t)] != 0;
  if (!raw || generic) {
    for (int c = 0; c < x.C; ++c) {
      const int n = tj * x.C + c;
      uint32_t ls = 0;  // column c's LFSR state, for SR only
      if (!raw && x.col_jump) {
        const uint32_t seed0 = derive_seed(x.cfg.seed, static_cast<uint32_t>(1 + x.R * x.C + c), x.cfg.lfsr_w);
        ls = x.col_jump->jump(seed0, static_cast<uint64_t>(t) * static_cast<uint64_t>(x.R));
      }
      for (int r = 0; r < x.R; ++r) {
        const int m = ti * x.R + r;
        uint32_t w = vals[r * x.C + c];
        if (!raw) {
          uint32_t u = 0;
          if (x.col_jump) {
            ls = x.col_jump->draw(ls);
            u = ls & x.col_jump->draw_mask();
          }
          const OpResult q = x.quant.quantize(w, static_cast<OutFormat>(p.out_fmt), p.out_rnd, p.sat, p.scale, u);
          w = q.bits;
          f = static_cast<uint8_t>(f | q.flags);
        }
        if (m < p.M && n < p.N) out[static_cast<size_t>(m) * N + static_cast<size_t>(n)] = w;
      }
    }
  }
  x.out->tile_flags[static_cast<size_t>(t)] = f;
}

#if FP8SA_HAVE_X86_FAST

constexpr int kMr = 6;    // kernel rows
constexpr int kNr = 16;   // kernel columns (2 ymm)
constexpr int kVec = 12;  // accumulator vectors: row i, half h at index 2*i + h
constexpr int kChunk = 64;       // k per MXCSR-checked chunk (first size)
constexpr int kMaxChunk = 1024;  // largest chunk
constexpr int kFirstProbe = 8;  // k of per-lane testing tried first

constexpr uint32_t kMxcsrDefault = 0x1F80u;  // all exceptions masked, RNE, no FTZ/DAZ, flags clear
constexpr uint32_t kMxcsrInexact = 0x20u;

struct AlignedFloats {
  float* p = nullptr;
  explicit AlignedFloats(size_t n) {
    p = static_cast<float*>(std::aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64));
    if (p == nullptr) throw std::bad_alloc();
  }
  ~AlignedFloats() { std::free(p); }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
};

// acc[96] += A panel (k x 6) * B panel (k x 16), k in [k0, k1), one FMA
// chain per lane in k order.
FP8SA_AVX2 void k_plain(const float* ap, const float* bp, int k0, int k1, float* acc) {
  __m256 c[kVec];
#pragma GCC unroll 12
  for (int v = 0; v < kVec; ++v) c[v] = _mm256_load_ps(acc + 8 * v);
  for (int k = k0; k < k1; ++k) {
    const __m256 b0 = _mm256_load_ps(bp + 16 * k);
    const __m256 b1 = _mm256_load_ps(bp + 16 * k + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      const __m256 a = _mm256_broadcast_ss(ap + kMr * k + i);
      c[2 * i] = _mm256_fmadd_ps(a, b0, c[2 * i]);
      c[2 * i + 1] = _mm256_fmadd_ps(a, b1, c[2 * i + 1]);
    }
  }
#pragma GCC unroll 12
  for (int v = 0; v < kVec; ++v) _mm256_store_ps(acc + 8 * v, c[v]);
}

#define FP8SA_ACC_OPERANDS                                                                                       \
  "+x"(c[0]), "+x"(c[1]), "+x"(c[2]), "+x"(c[3]), "+x"(c[4]), "+x"(c[5]), "+x"(c[6]), "+x"(c[7]), "+x"(c[8]), \
      "+x"(c[9]), "+x"(c[10]), "+x"(c[11])

// k_plain between a clear and a read of MXCSR's flags; returns whether any
// FMA of the chunk was inexact. The accumulators are operands of both asm
// statements, so no FMA of the chunk can move across them.
FP8SA_AVX2 bool k_plain_flagged(const float* ap, const float* bp, int k0, int k1, float* acc) {
  __m256 c[kVec];
#pragma GCC unroll 12
  for (int v = 0; v < kVec; ++v) c[v] = _mm256_load_ps(acc + 8 * v);
  uint32_t csr = kMxcsrDefault;
  asm volatile("ldmxcsr %12" : FP8SA_ACC_OPERANDS : "m"(csr));
  for (int k = k0; k < k1; ++k) {
    const __m256 b0 = _mm256_load_ps(bp + 16 * k);
    const __m256 b1 = _mm256_load_ps(bp + 16 * k + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      const __m256 a = _mm256_broadcast_ss(ap + kMr * k + i);
      c[2 * i] = _mm256_fmadd_ps(a, b0, c[2 * i]);
      c[2 * i + 1] = _mm256_fmadd_ps(a, b1, c[2 * i + 1]);
    }
  }
  uint32_t after = 0;
  asm volatile("stmxcsr %0" : "=m"(after), FP8SA_ACC_OPERANDS);
#pragma GCC unroll 12
  for (int v = 0; v < kVec; ++v) _mm256_store_ps(acc + 8 * v, c[v]);
  return (after & kMxcsrInexact) != 0;
}
#undef FP8SA_ACC_OPERANDS

// Same values with a per-lane exactness test: s = fl(c + p), p = a*b exact
// (so fl(c + p) == fmaf(a, b, c)); the MAC is exact iff s - c == p and
// s - p == c. Stops after the first group of 4 k in which a lane of `stop`
// (a 96-bit lane mask, bit 16*i + j) was inexact; returns the k reached and
// ORs the inexact lanes into found.
FP8SA_AVX2 int k_detect(const float* ap, const float* bp, int k0, int k1, float* acc, const uint64_t stop[2],
                        uint64_t found[2]) {
  __m256 c[kVec], st[kVec];
#pragma GCC unroll 12
  for (int v = 0; v < kVec; ++v) {
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
      for (int i = 0; i < kMr; ++i) {
        const __m256 a = _mm256_broadcast_ss(ap + kMr * k + i);
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
    for (int v = 0; v < kVec; ++v) {
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
  for (int v = 0; v < kVec; ++v) _mm256_store_ps(acc + 8 * v, c[v]);
  return k;
}

struct BlockTiles {
  int n = 0;
  long t[kMr * kNr];
  uint64_t lo[kMr * kNr], hi[kMr * kNr];
};

class FastGemm {
 public:
  FastGemm(Ctx& x, int threads) : x_(x), threads_(threads) {}

  void run() {
    const GemmProblem& p = x_.p;
    const int M = p.M, N = p.N, K = p.K;
    groups_ = (M + kMr - 1) / kMr;
    panels_ = (N + kNr - 1) / kNr;
    const size_t Ks = static_cast<size_t>(K);
    AlignedFloats ap(static_cast<size_t>(groups_) * Ks * kMr);
    AlignedFloats bp(static_cast<size_t>(panels_) * Ks * kNr);
    ap_ = ap.p;
    bp_ = bp.p;
    float lut_a[256], lut_b[256];
    uint8_t sp_a[256], sp_b[256];
    for (int i = 0; i < 256; ++i) {
      const uint32_t ba = fp8_to_f32_bits(static_cast<uint8_t>(i), p.fmt_a);
      const uint32_t bb = fp8_to_f32_bits(static_cast<uint8_t>(i), p.fmt_b);
      std::memcpy(&lut_a[i], &ba, 4);
      std::memcpy(&lut_b[i], &bb, 4);
      sp_a[i] = fp8_special(static_cast<uint8_t>(i), p.fmt_a) ? 1 : 0;
      sp_b[i] = fp8_special(static_cast<uint8_t>(i), p.fmt_b) ? 1 : 0;
    }
    std::vector<uint8_t> row_sp(static_cast<size_t>(M), 0), col_sp(static_cast<size_t>(N), 0);
    // Pack A into 6-row panels (k-major) and B into 16-column panels.
    parallel_for(groups_, threads_, [&](long g) {
      float* dst = ap_ + static_cast<size_t>(g) * Ks * kMr;
      for (int i = 0; i < kMr; ++i) {
        const int m = static_cast<int>(g) * kMr + i;
        if (m >= M) {
          for (size_t k = 0; k < Ks; ++k) dst[k * kMr + static_cast<size_t>(i)] = 0.0f;
          continue;
        }
        const uint8_t* a = p.A + static_cast<size_t>(m) * Ks;
        uint8_t s = 0;
        for (size_t k = 0; k < Ks; ++k) {
          dst[k * kMr + static_cast<size_t>(i)] = lut_a[a[k]];
          s |= sp_a[a[k]];
        }
        row_sp[static_cast<size_t>(m)] = s;
      }
    });
    parallel_for(panels_, threads_, [&](long j) {
      float* dst = bp_ + static_cast<size_t>(j) * Ks * kNr;
      const int n0 = static_cast<int>(j) * kNr;
      const int w = std::min(kNr, N - n0);
      uint8_t s[kNr] = {};
      for (size_t k = 0; k < Ks; ++k) {
        const uint8_t* b = p.B + k * static_cast<size_t>(N) + static_cast<size_t>(n0);
        float* d = dst + k * kNr;
        for (int jj = 0; jj < w; ++jj) {
          d[jj] = lut_b[b[jj]];
          s[jj] |= sp_b[b[jj]];
        }
        for (int jj = w; jj < kNr; ++jj) d[jj] = 0.0f;
      }
      for (int jj = 0; jj < w; ++jj) col_sp[static_cast<size_t>(n0 + jj)] = s[jj];
    });
    // Tiles with a NaN/Inf operand or init word go to the generic path.
    const uint32_t expmask = 0x7F800000u;
    parallel_for(x_.T, threads_, [&](long t) {
      const int ti = static_cast<int>(t / x_.tn), tj = static_cast<int>(t % x_.tn);
      uint8_t s = 0;
      for (int r = 0; r < x_.R; ++r) {
        const int m = ti * x_.R + r;
        if (m < M) s |= row_sp[static_cast<size_t>(m)];
      }
      for (int c = 0; c < x_.C; ++c) {
        const int n = tj * x_.C + c;
        if (n < N) s |= col_sp[static_cast<size_t>(n)];
      }
      if (p.C_init != nullptr) {
        for (int r = 0; r < x_.R && s == 0; ++r) {
          const int m = ti * x_.R + r;
          if (m >= M) break;
          for (int c = 0; c < x_.C; ++c) {
            const int n = tj * x_.C + c;
            if (n >= N) break;
            if ((p.C_init[static_cast<size_t>(m) * static_cast<size_t>(N) + static_cast<size_t>(n)] & expmask) ==
                expmask) {
              s = 1;
              break;
            }
          }
        }
      }
      x_.tile_generic[static_cast<size_t>(t)] = s;
      if (s != 0) x_.tile_inexact[static_cast<size_t>(t)].store(1, std::memory_order_relaxed);  // never pending
    });
    // Kernel: one 16-column panel per work item (it stays in L2), all row groups.
    parallel_for(panels_, threads_, [&](long j) {
      const uint32_t saved = _mm_getcsr();
      _mm_setcsr(kMxcsrDefault);
      for (int g = 0; g < groups_; ++g) block(g, static_cast<int>(j));
      _mm_setcsr(saved);
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
      stop[0] |= bt->lo[i];
      stop[1] |= bt->hi[i];
      ++w;
    }
    bt->n = w;
  }

  void block(int g, int j) {
    const GemmProblem& p = x_.p;
    const int K = p.K, M = p.M, N = p.N;
    const int m0 = g * kMr, n0 = j * kNr;
    const int rows = std::min(kMr, M - m0), cols = std::min(kNr, N - n0);
    const float* ap = ap_ + static_cast<size_t>(g) * static_cast<size_t>(K) * kMr;
    const float* bp = bp_ + static_cast<size_t>(j) * static_cast<size_t>(K) * kNr;
    alignas(64) float acc[kMr * kNr];
    const size_t Ns = static_cast<size_t>(N);
    std::memset(acc, 0, sizeof acc);
    if (p.C_init != nullptr) {
      for (int i = 0; i < rows; ++i) {
        std::memcpy(&acc[kNr * i], p.C_init + static_cast<size_t>(m0 + i) * Ns + static_cast<size_t>(n0),
                    static_cast<size_t>(cols) * 4u);
      }
    }
    BlockTiles bt;
    tiles_of_block(m0, n0, rows, cols, &bt);
    uint64_t found[2] = {0, 0}, stop[2] = {0, 0};
    settle(&bt, found, stop);
    int k = 0;
    // A short per-lane probe first: most data shows an inexact MAC in every
    // tile within a few k.
    while (bt.n > 0 && k < std::min(K, kFirstProbe)) {
      k = k_detect(ap, bp, k, std::min(K, kFirstProbe), acc, stop, found);
      settle(&bt, found, stop);
    }
    int chunk = kChunk;  // doubles while chunks are exact (MXCSR access is slow), back to kChunk after one is not
    while (k < K) {
      if (bt.n == 0) {
        k_plain(ap, bp, k, K, acc);
        break;
      }
      const int kend = std::min(K, k + chunk);
      alignas(64) float save[kMr * kNr];
      std::memcpy(save, acc, sizeof acc);
      if (!k_plain_flagged(ap, bp, k, kend, acc)) {
        k = kend;
        chunk = std::min(2 * chunk, kMaxChunk);
        continue;
      }
      chunk = kChunk;
      std::memcpy(acc, save, sizeof acc);
      while (k < kend && bt.n > 0) {
        k = k_detect(ap, bp, k, kend, acc, stop, found);
        settle(&bt, found, stop);
      }
      if (k < kend) k_plain(ap, bp, k, kend, acc);
      k = kend;
    }
    for (int i = 0; i < rows; ++i) {
      uint32_t w[kNr];
      std::memcpy(w, &acc[kNr * i], sizeof w);
      for (int jj = 0; jj < kNr; ++jj) {
        // canonical NaN (|w| > Inf as an integer is a NaN)
        w[jj] = (w[jj] & 0x7FFFFFFFu) > 0x7F800000u ? 0x7FC00000u : w[jj];
      }
      std::memcpy(x_.out->out.data() + static_cast<size_t>(m0 + i) * Ns + static_cast<size_t>(n0), w,
                  static_cast<size_t>(cols) * 4u);
    }
  }

  Ctx& x_;
  int threads_;
  int groups_ = 0, panels_ = 0;
  float* ap_ = nullptr;
  float* bp_ = nullptr;
};

bool cpu_has_fast() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
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
#if FP8SA_HAVE_X86_FAST
  if (opt.allow_fast && cfg.acc == kFp32 && p.rnd == Round::RNE && cpu_has_fast()) {
    FastGemm f(x, threads);
    f.run();
  }
#endif
  parallel_for(x.T, threads, [&](long t) { finish_tile(x, t); });
}

}  // namespace fp8sa

// The e8m23 RNE fast path for arrays whose ROWS and COLS are multiples of 8
// but not both of 16 (8x8, 8x24, 16x8, 24x8, ...) on CPUs with AVX-512F:
// one flag domain per register, as gemm_fp32_sub4.hpp does for 4 x 4
// sub-blocks. Included by gemm_functional.cpp inside its anonymous
// namespace, after gemm_fp32_sub4.hpp (it uses Ctx, AlignedFloats,
// parallel_for, pack_b_cols, clear_inexact and the MXCSR constants).
//
// Why: the 16-column zmm blocks of FastGemm's pair path (block_pair) hold
// two 8-column tiles in every register, so once one of them is known
// inexact the other, still pending, had to run on the half-width ymm
// kernel, flagged, beside an unflagged ymm run of the first, and a chunk
// that raised the flag with both pending was re-run twice more.
//
// Here a kernel block is 16 rows x 16 columns in 16 zmm accumulators; slot
// s = 2u + h holds rows 2u and 2u + 1 by columns 8h .. 8h + 7 of the block,
// lane 2c + r for row 2u + r and column 8h + c. With ROWS and COLS
// multiples of 8 every slot lies in one tile, and the slots of one 8 x 8
// quadrant q = 2 (u / 4) + h all lie in the same one. Per k: two 16-float
// loads of B (packed with each column twice: b0 b0 b1 b1 ...), eight 64-bit
// broadcasts of A's row pairs (a0 a1 a0 a1 ...), 16 FMAs. Slots of
// quadrants whose tile is known inexact (or that are all padding) use the
// FMA with {rn-sae}: the same RNE bits, no flag. A raised flag over a chunk
// of k therefore names a quadrant still pending at the chunk's start; with
// one pending that is the tile, with more k_sub8_inexact (rounded-down and
// rounded-up chains) says which. The SAE pattern (4 bits) is a template
// argument: 16 instantiations.
//
// Values are unchanged from the other paths: every output is one binary32
// FMA chain in k order, partial sums stored as binary32 between k blocks.

constexpr int kS8Rows = 16;     // rows per kernel block
constexpr int kS8Cols = 16;     // columns per kernel block
constexpr int kS8Slots = 16;    // accumulators (2 x 8 sub-blocks) per kernel block
constexpr int kS8Block = 256;   // floats per kernel block of C
constexpr int kS8B = 32;        // floats of packed B per k (every column twice)
constexpr int kS8Kc = 128;     // k per block: the B micro-panel is 16 KiB (L1)

// Quadrant (8 x 8 part of the kernel block) of slot s = 2u + h.
constexpr unsigned s8_quad(int s) { return static_cast<unsigned>(2 * ((s / 2) / 4) + s % 2); }

// Rows 2u, 2u + 1 of packed A at k (16 floats) as a0 a1 a0 a1 ... (one
// 64-bit broadcast from memory).
FP8SA_AVX512_INLINE __m512 s8_pair(const float* a) {
  double d;
  std::memcpy(&d, a, sizeof d);
  return _mm512_castpd_ps(_mm512_set1_pd(d));
}

// The kernel block's accumulators from in (kS8Block floats) through k in
// [k0, k1), stored to acc (in may be acc). Slots of quadrants q with
// (kSae >> q) & 1 use FMA with SAE. kFlag: MXCSR read after (the empty asm
// statements pin the FMAs before it); returns whether its inexact flag is
// set. As in k_sub4 the caller keeps the flag clear between chunks.
template <unsigned kSae, bool kFlag>
FP8SA_AVX512 bool k_sub8(const float* ap, const float* bp, int k0, int k1, const float* in, float* acc) {
  __m512 c[kS8Slots];
#pragma GCC unroll 16
  for (int s = 0; s < kS8Slots; ++s) c[s] = _mm512_load_ps(in + 16 * s);
  if (kFlag) {
#pragma GCC unroll 16
    for (int s = 0; s < kS8Slots; ++s) asm volatile("" : "+v"(c[s]));
  }
  const float* a = ap + kS8Rows * k0;
  const float* b = bp + kS8B * k0;
  for (int k = k0; k < k1; ++k, a += kS8Rows, b += kS8B) {
    const __m512 bv[2] = {_mm512_load_ps(b), _mm512_load_ps(b + 16)};
#pragma GCC unroll 8
    for (int u = 0; u < 8; ++u) {
      const __m512 av = s8_pair(a + 2 * u);
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        const int s = 2 * u + h;
        if (((kSae >> s8_quad(s)) & 1u) != 0) {
          c[s] = _mm512_fmadd_round_ps(av, bv[h], c[s], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        } else {
          c[s] = _mm512_fmadd_ps(av, bv[h], c[s]);
        }
      }
    }
  }
  uint32_t after = 0;
  if (kFlag) {
#pragma GCC unroll 16
    for (int s = 0; s < kS8Slots; ++s) asm volatile("" : "+v"(c[s]));
    asm volatile("stmxcsr %0" : "=m"(after));
  }
#pragma GCC unroll 16
  for (int s = 0; s < kS8Slots; ++s) _mm512_store_ps(acc + 16 * s, c[s]);
  return (after & kMxcsrInexact) != 0;
}

// Which quadrants of kLive had an inexact MAC over [k0, k1), from the
// accumulators acc (not changed): the rounded-down and rounded-up chains of
// k_sub4_inexact (equal at k1 iff every MAC in between was exact), one
// half of the block (quadrants 0, 1 or 2, 3) at a time so that both
// chains of its 8 slots stay in registers. Returns a quadrant mask.
template <unsigned kLive>
FP8SA_AVX512 unsigned k_sub8_inexact(const float* ap, const float* bp, int k0, int k1, const float* acc) {
  unsigned r = 0;
#pragma GCC unroll 2
  for (int half = 0; half < 2; ++half) {
    if (((kLive >> (2 * half)) & 3u) == 0) continue;
    __m512 lo[8], hi[8];
#pragma GCC unroll 8
    for (int v = 0; v < 8; ++v) lo[v] = hi[v] = _mm512_load_ps(acc + 16 * (8 * half + v));
    const float* a = ap + kS8Rows * k0 + 8 * half;
    const float* b = bp + kS8B * k0;
    for (int k = k0; k < k1; ++k, a += kS8Rows, b += kS8B) {
      const __m512 bv[2] = {_mm512_load_ps(b), _mm512_load_ps(b + 16)};
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) {
        const __m512 av = s8_pair(a + 2 * u);
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
          if (((kLive >> (2 * half + h)) & 1u) == 0) continue;
          const int v = 2 * u + h;
          lo[v] = _mm512_fmadd_round_ps(av, bv[h], lo[v], _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
          hi[v] = _mm512_fmadd_round_ps(av, bv[h], hi[v], _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
        }
      }
    }
#pragma GCC unroll 8
    for (int v = 0; v < 8; ++v) {
      const unsigned q = static_cast<unsigned>(2 * half + v % 2);
      if (((kLive >> q) & 1u) != 0 && _mm512_cmp_ps_mask(lo[v], hi[v], _CMP_NEQ_UQ) != 0) r |= 1u << q;
    }
  }
  return r;
}

using Sub8Exact = unsigned (*)(const float*, const float*, int, int, const float*);
template <size_t... I>
constexpr std::array<Sub8Exact, sizeof...(I)> sub8_exact_table(std::index_sequence<I...>) {
  return {{&k_sub8_inexact<static_cast<unsigned>(I)>...}};
}
// kSub8Inexact[live]: the inexact quadrants among those of live.
const std::array<Sub8Exact, 16> kSub8Inexact = sub8_exact_table(std::make_index_sequence<16>{});

template <size_t... I>
constexpr std::array<SubKernel, sizeof...(I)> sub8_table(std::index_sequence<I...>) {
  return {{&k_sub8<static_cast<unsigned>(I), true>...}};
}
// kSub8Flagged[sae]: the flagged kernel with SAE on the quadrants of sae.
const std::array<SubKernel, 16> kSub8Flagged = sub8_table(std::make_index_sequence<16>{});

// The loop nest of FastGemmSub4 with 16 x 16 kernel blocks of 2 x 8 slots.
class FastGemmSub8 {
 public:
  FastGemmSub8(Ctx& x, int threads) : x_(x), threads_(threads) {}

  void run() {
    const GemmProblem& p = x_.p;
    const int M = p.M, N = p.N, K = p.K;
    groups_ = (M + kS8Rows - 1) / kS8Rows;
    panels_ = (N + kS8Cols - 1) / kS8Cols;
    const size_t Ks = static_cast<size_t>(K);
    AlignedFloats ap(static_cast<size_t>(groups_) * Ks * kS8Rows);
    AlignedFloats bp(static_cast<size_t>(panels_) * Ks * kS8B);
    AlignedFloats cb(static_cast<size_t>(groups_) * static_cast<size_t>(panels_) * kS8Block);
    ap_ = ap.p;
    bp_ = bp.p;
    cb_ = cb.p;
    const CodeLuts lut(p);
    std::vector<uint8_t> row_sp(static_cast<size_t>(M), 0), col_sp(static_cast<size_t>(N), 0);
    // A in 16-row groups (k-major); C blocks from C_init or +0.
    parallel_for(groups_, threads_, [&](long g) {
      float* dst = ap_ + static_cast<size_t>(g) * Ks * kS8Rows;
      for (int i = 0; i < kS8Rows; ++i) {
        const int m = static_cast<int>(g) * kS8Rows + i;
        if (m >= M) {
          for (size_t k = 0; k < Ks; ++k) dst[k * kS8Rows + static_cast<size_t>(i)] = 0.0f;
          continue;
        }
        const uint8_t* a = p.A + static_cast<size_t>(m) * Ks;
        uint8_t s = 0;
        for (size_t k = 0; k < Ks; ++k) {
          dst[k * kS8Rows + static_cast<size_t>(i)] = lut.a[a[k]];
          s |= lut.sp_a[a[k]];
        }
        row_sp[static_cast<size_t>(m)] = s;
      }
      for (int j = 0; j < panels_; ++j) {
        float* blk = block_c(static_cast<int>(g), j);
        std::memset(blk, 0, kS8Block * sizeof(float));
        if (p.C_init == nullptr) continue;
        for (int i = 0; i < kS8Rows; ++i) {
          const int m = static_cast<int>(g) * kS8Rows + i;
          if (m >= M) break;
          for (int jj = 0; jj < kS8Cols; ++jj) {
            const int n = j * kS8Cols + jj;
            if (n >= N) break;
            std::memcpy(blk + lane_of(i, jj), p.C_init + static_cast<size_t>(m) * static_cast<size_t>(N) + n, 4);
          }
        }
      }
    });
    // B in 16-column panels, each column twice (the pair broadcasts of A
    // meet b0 b0 b1 b1 ...).
    parallel_for(panels_, threads_, [&](long j) { pack_b_twice(static_cast<int>(j), lut.sp_b, col_sp.data()); });
    mark_generic_tiles(x_, row_sp, col_sp, threads_);
    const int mc = std::max(1, kMcRows / kS8Rows), nc = std::max(1, kNcCols / kS8Cols);
    const int mblocks = (groups_ + mc - 1) / mc;
    const int nblocks = (panels_ + nc - 1) / nc;
    parallel_for(static_cast<long>(mblocks) * nblocks, threads_, [&](long w) {
      const uint32_t saved = _mm_getcsr();
      _mm_setcsr(kMxcsrDefault);
      const int g0 = static_cast<int>(w / nblocks) * mc, g1 = std::min(groups_, g0 + mc);
      const int j0 = static_cast<int>(w % nblocks) * nc, j1 = std::min(panels_, j0 + nc);
      for (int k0 = 0; k0 < K; k0 += kS8Kc) {
        const int k1 = std::min(K, k0 + kS8Kc);
        for (int j = j0; j < j1; ++j) {
          for (int g = g0; g < g1; ++g) block(g, j, k0, k1);
        }
      }
      _mm_setcsr(saved);
    });
    // Raw words out, row pairs from the kernel's layout (no NaN to make
    // canonical: see FastGemm::run).
    parallel_for((M + 1) / 2, threads_, [&](long pr) { write_pair(static_cast<int>(pr)); });
  }

 private:
  // Float index, in a kernel block, of block row i and column jj.
  static int lane_of(int i, int jj) { return 16 * (2 * (i / 2) + jj / 8) + 2 * (jj % 8) + i % 2; }
  float* block_c(int g, int j) const {
    return cb_ + (static_cast<size_t>(g) * static_cast<size_t>(panels_) + static_cast<size_t>(j)) * kS8Block;
  }

  FP8SA_AVX512 void pack_b_twice(int j, const uint8_t* sp_b, uint8_t* col_sp) {
    const size_t Ks = static_cast<size_t>(x_.p.K);
    thread_local std::vector<float> tmp;
    tmp.resize(Ks * kS8Cols + 16);
    // pack_b_panel stores aligned: round the scratch up to 64 bytes
    float* t = tmp.data() + ((64u - reinterpret_cast<uintptr_t>(tmp.data()) % 64u) % 64u) / sizeof(float);
    pack_b_cols<kS8Cols>(x_.p, j * kS8Cols, sp_b, t, col_sp);
    float* dst = bp_ + static_cast<size_t>(j) * Ks * kS8B;
    const __m512i lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    for (size_t k = 0; k < Ks; ++k) {
      const __m512 v = _mm512_loadu_ps(t + k * kS8Cols);
      _mm512_store_ps(dst + k * kS8B, _mm512_maskz_permutexvar_ps(0xFFFF, lo, v));
      _mm512_store_ps(dst + k * kS8B + 16, _mm512_maskz_permutexvar_ps(0xFFFF, hi, v));
    }
  }

  // Rows 2 pr and 2 pr + 1 of C into out: each slot's even lanes are the
  // first row's 8 columns, its odd lanes the second's.
  FP8SA_AVX512 void write_pair(int pr) {
    const int M = x_.p.M, N = x_.p.N;
    const int m = 2 * pr, g = m / kS8Rows, u = (m % kS8Rows) / 2;
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    uint32_t* o0 = x_.out->out.data() + static_cast<size_t>(m) * static_cast<size_t>(N);
    uint32_t* o1 = o0 + N;
    for (int j = 0; j < panels_; ++j) {
      const float* blk = block_c(g, j);
      for (int h = 0; h < 2; ++h) {
        const int n0 = j * kS8Cols + 8 * h;
        if (n0 >= N) break;
        const int w = std::min(8, N - n0);
        const __m512 v = _mm512_maskz_permutexvar_ps(0xFFFF, idx, _mm512_load_ps(blk + 16 * (2 * u + h)));
        alignas(64) float tmp[16];
        _mm512_store_ps(tmp, v);
        std::memcpy(o0 + n0, tmp, static_cast<size_t>(w) * 4u);
        if (m + 1 < M) std::memcpy(o1 + n0, tmp + 8, static_cast<size_t>(w) * 4u);
      }
    }
  }

  // The kernel block (g, j) through k in [k0, k1): chunks of k with MXCSR
  // read around each, the quadrants of tiles not pending under SAE.
  void block(int g, int j, int k0, int k1) {
    const size_t Ks = static_cast<size_t>(x_.p.K);
    const float* ap = ap_ + static_cast<size_t>(g) * Ks * kS8Rows;
    const float* bp = bp_ + static_cast<size_t>(j) * Ks * kS8B;
    float* acc = block_c(g, j);
    // The distinct tiles of the block still pending and their quadrants.
    long tile[4];
    unsigned quads[4];
    int n = 0;
    for (unsigned q = 0; q < 4; ++q) {
      const int m = g * kS8Rows + 8 * static_cast<int>(q / 2), c = j * kS8Cols + 8 * static_cast<int>(q % 2);
      if (m >= x_.p.M || c >= x_.p.N) continue;  // padding: +0 products, SAE
      const long t = static_cast<long>(m / x_.R) * x_.tn + c / x_.C;
      if (x_.tile_inexact[static_cast<size_t>(t)].load(std::memory_order_relaxed) != 0) continue;
      int i = 0;
      while (i < n && tile[i] != t) ++i;
      if (i == n) {
        tile[n] = t;
        quads[n++] = 0;
      }
      quads[i] |= 1u << q;
    }
    // Tiles larger than the block's quadrants are shared with other blocks
    // (other workers), which may find them inexact meanwhile.
    const bool shared = x_.R != 8 || x_.C != 8;
    alignas(64) float spare[kS8Block];
    float* cur = acc;
    float* nxt = spare;
    int k = k0;
    int chunk = k0 == 0 ? kChunk / 4 : kChunk;
    while (k < k1) {
      int w = 0;
      if (shared) {
        for (int i = 0; i < n; ++i) {
          if (x_.tile_inexact[static_cast<size_t>(tile[i])].load(std::memory_order_relaxed) != 0) continue;
          tile[w] = tile[i];
          quads[w++] = quads[i];
        }
        n = w;
      }
      if (n == 0) {
        k_sub8<0xFu, false>(ap, bp, k, k1, cur, acc);
        return;
      }
      const int kend = std::min(k1, k + chunk);
      unsigned live = 0;
      for (int i = 0; i < n; ++i) live |= quads[i];
      const bool raised = kSub8Flagged[~live & 0xFu](ap, bp, k, kend, cur, nxt);
      std::swap(cur, nxt);  // cur: the values at kend; nxt: at k
      if (!raised) {
        k = kend;
        chunk = std::min(2 * chunk, kMaxChunk);
        continue;
      }
      chunk = kChunk;
      clear_inexact();
      // Some pending tile had an inexact MAC in [k, kend): with one pending,
      // that one; otherwise the directed-rounding chains say which.
      const unsigned bad = n == 1 ? live : kSub8Inexact[live](ap, bp, k, kend, nxt);
      w = 0;
      for (int i = 0; i < n; ++i) {
        if ((quads[i] & bad) != 0) {
          x_.tile_inexact[static_cast<size_t>(tile[i])].store(1, std::memory_order_relaxed);
          continue;
        }
        tile[w] = tile[i];
        quads[w++] = quads[i];
      }
      n = w;
      k = kend;
    }
    if (cur != acc) std::memcpy(acc, cur, sizeof spare);
  }

  Ctx& x_;
  int threads_;
  int groups_ = 0, panels_ = 0;
  float* ap_ = nullptr;
  float* bp_ = nullptr;
  float* cb_ = nullptr;  // C: groups_ x panels_ kernel blocks of kS8Block floats
};

// The e8m23 RNE fast path for arrays whose ROWS and COLS are multiples of 4
// (4x4, 4x8, 8x8, 12x4, ...) on CPUs with AVX-512F: one flag domain per
// register instead of per kernel block. Included by gemm_functional.cpp
// inside its anonymous namespace (it uses Ctx, AlignedFloats, parallel_for,
// pack_b_panel and the MXCSR constants defined there).
//
// Why: MXCSR's sticky inexact flag is one bit for every FMA between two
// reads, so a kernel block that holds several tiles (a 4 x 16 block holds
// four 4x4 tiles) cannot tell whose lane was inexact; once one of its tiles
// is known inexact its lanes keep raising the flag and every chunk of k
// needs re-runs (gemm_functional.cpp's block()). On 4x4 arrays half of the
// MACs of an N(0, 1) GEMM fall in a tile's exact prefix, so that cost about
// doubled the time.
//
// Here each zmm accumulator holds one 4 x 4 sub-block of C (lane 4*r + c),
// so it lies inside one tile (4 divides ROWS and COLS). A kernel block is
// 8 rows x 16 columns: 8 accumulators, sub-block s = 4*u + h covering rows
// 4u..4u+3 and columns 4h..4h+3 of the block. Per k: one 8-float load of A,
// two permutes to [a0 a0 a0 a0 a1 ...], four 4-float broadcasts of B, 8 FMAs.
// Accumulators of tiles already known inexact (or of no tile: padding) use
// the FMA with embedded rounding {rn-sae}: the same RNE result, bit for
// bit, but with exceptions suppressed, so MXCSR's flag never hears from
// them. A raised flag over a chunk of k therefore names a tile that was
// still exact at the chunk's start; group testing (re-runs of the chunk on
// a subset of those tiles, the rest under SAE) finds which, once per tile in
// the whole GEMM instead of once per chunk. The SAE pattern (8 bits) is a
// template argument: 256 instantiations of the kernel, one table.
//
// Values are unchanged from the other paths: every output is one binary32
// FMA chain in k order, partial sums stored as binary32 between k blocks.

constexpr int kSubRows = 8;     // rows per kernel block (two 4-row sub-blocks)
constexpr int kSubCols = 16;    // columns per kernel block (four 4-column sub-blocks)
constexpr int kSubSlots = 8;    // accumulators (4 x 4 sub-blocks) per kernel block
constexpr int kSubBlock = 128;  // floats per kernel block of C
constexpr int kSubA = 32;       // floats of packed A per k: rows 0..7 each 4 times (a0 a0 a0 a0 a1 ...)

// The kernel block's accumulators from in (kSubBlock floats) through k in
// [k0, k1), stored to acc (in may be acc). Sub-blocks s with (sae >> s) & 1
// use FMA with SAE.
// kFlag: MXCSR read after (the empty asm statements pin the FMAs before
// it, as in k_tile); returns whether MXCSR's inexact flag is set. The
// caller keeps the flag clear between chunks (clear_inexact() after a
// chunk that raised it): every other FP instruction of a worker (the SAE
// FMAs, the unflagged kernel, k_sub4_inexact) raises nothing, so a write of
// MXCSR, which waits for the FP pipeline, is needed only after a raised flag.
template <unsigned kSae, bool kFlag>
FP8SA_AVX512 bool k_sub4(const float* ap, const float* bp, int k0, int k1, const float* in, float* acc) {
  __m512 c[kSubSlots];
#pragma GCC unroll 8
  for (int s = 0; s < kSubSlots; ++s) c[s] = _mm512_load_ps(in + 16 * s);
  if (kFlag) {
#pragma GCC unroll 8
    for (int s = 0; s < kSubSlots; ++s) asm volatile("" : "+v"(c[s]));
  }
  const float* a = ap + kSubA * k0;
  const float* b = bp + kSubCols * k0;
#pragma GCC unroll 2
  for (int k = k0; k < k1; ++k, a += kSubA, b += kSubCols) {
    const __m512 au[2] = {_mm512_load_ps(a), _mm512_load_ps(a + 16)};
#pragma GCC unroll 4
    for (int h = 0; h < 4; ++h) {
      const __m512 bv = _mm512_maskz_broadcast_f32x4(0xFFFF, _mm_load_ps(b + 4 * h));
#pragma GCC unroll 2
      for (int u = 0; u < 2; ++u) {
        const int s = 4 * u + h;
        if (((kSae >> s) & 1u) != 0) {
          c[s] = _mm512_fmadd_round_ps(au[u], bv, c[s], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        } else {
          c[s] = _mm512_fmadd_ps(au[u], bv, c[s]);
        }
      }
    }
  }
  uint32_t after = 0;
  if (kFlag) {
#pragma GCC unroll 8
    for (int s = 0; s < kSubSlots; ++s) asm volatile("" : "+v"(c[s]));
    asm volatile("stmxcsr %0" : "=m"(after));
  }
#pragma GCC unroll 8
  for (int s = 0; s < kSubSlots; ++s) _mm512_store_ps(acc + 16 * s, c[s]);
  return (after & kMxcsrInexact) != 0;
}

using SubKernel = bool (*)(const float*, const float*, int, int, const float*, float*);

// Which sub-blocks of kLive had an inexact MAC over [k0, k1), from the
// accumulators acc (not changed): each runs two chains, rounded down and
// rounded up (embedded rounding, exceptions suppressed). Both equal the
// exact sum while every MAC is exact; after an inexact MAC the downward
// chain stays strictly below the exact sum (RD(x) <= x) and the upward one
// strictly above, so they differ at k1 iff a MAC in between was inexact.
// Returns the inexact sub-blocks as a bit mask.
template <unsigned kLive>
FP8SA_AVX512 unsigned k_sub4_inexact(const float* ap, const float* bp, int k0, int k1, const float* acc) {
  __m512 lo[kSubSlots], hi[kSubSlots];
#pragma GCC unroll 8
  for (int s = 0; s < kSubSlots; ++s) {
    if (((kLive >> s) & 1u) != 0) lo[s] = hi[s] = _mm512_load_ps(acc + 16 * s);
  }
  const float* a = ap + kSubA * k0;
  const float* b = bp + kSubCols * k0;
  for (int k = k0; k < k1; ++k, a += kSubA, b += kSubCols) {
#pragma GCC unroll 2
    for (int u = 0; u < 2; ++u) {
      if (((kLive >> (4 * u)) & 0xFu) == 0) continue;
      const __m512 av = _mm512_load_ps(a + 16 * u);
#pragma GCC unroll 4
      for (int h = 0; h < 4; ++h) {
        const int s = 4 * u + h;
        if (((kLive >> s) & 1u) == 0) continue;
        const __m512 bv = _mm512_maskz_broadcast_f32x4(0xFFFF, _mm_load_ps(b + 4 * h));
        lo[s] = _mm512_fmadd_round_ps(av, bv, lo[s], _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        hi[s] = _mm512_fmadd_round_ps(av, bv, hi[s], _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
      }
    }
  }
  unsigned r = 0;
#pragma GCC unroll 8
  for (int s = 0; s < kSubSlots; ++s) {
    if (((kLive >> s) & 1u) != 0 && _mm512_cmp_ps_mask(lo[s], hi[s], _CMP_NEQ_UQ) != 0) r |= 1u << s;
  }
  return r;
}
using SubExact = unsigned (*)(const float*, const float*, int, int, const float*);
template <size_t... I>
constexpr std::array<SubExact, sizeof...(I)> sub4_exact_table(std::index_sequence<I...>) {
  return {{&k_sub4_inexact<static_cast<unsigned>(I)>...}};
}
// kSub4Inexact[live]: the inexact sub-blocks among those of live.
const std::array<SubExact, 256> kSub4Inexact = sub4_exact_table(std::make_index_sequence<256>{});

template <size_t... I>
constexpr std::array<SubKernel, sizeof...(I)> sub4_table(std::index_sequence<I...>) {
  return {{&k_sub4<static_cast<unsigned>(I), true>...}};
}
// kSub4Flagged[sae]: the flagged kernel with SAE on the sub-blocks of sae.
const std::array<SubKernel, 256> kSub4Flagged = sub4_table(std::make_index_sequence<256>{});

inline void clear_inexact() {
  uint32_t csr = kMxcsrDefault;
  asm volatile("ldmxcsr %0" : : "m"(csr) : "memory");
}

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

// The loop nest of FastGemm (k blocks of kKc, A blocks of about kMcRows rows
// in L2, B micro-panels in L1, work items of kNcCols columns), with C kept
// in the kernel's layout (kSubBlock floats per kernel block, sub-block by
// sub-block) until the end.
class FastGemmSub4 {
 public:
  FastGemmSub4(Ctx& x, int threads) : x_(x), threads_(threads) {}

  void run() {
    const GemmProblem& p = x_.p;
    const int M = p.M, N = p.N, K = p.K;
    groups_ = (M + kSubRows - 1) / kSubRows;
    panels_ = (N + kSubCols - 1) / kSubCols;
    const size_t Ks = static_cast<size_t>(K);
    AlignedFloats ap(static_cast<size_t>(groups_) * Ks * kSubA);
    AlignedFloats bp(static_cast<size_t>(panels_) * Ks * kSubCols);
    AlignedFloats cb(static_cast<size_t>(groups_) * static_cast<size_t>(panels_) * kSubBlock);
    ap_ = ap.p;
    bp_ = bp.p;
    cb_ = cb.p;
    const CodeLuts lut(p);
    std::vector<uint8_t> row_sp(static_cast<size_t>(M), 0), col_sp(static_cast<size_t>(N), 0);
    // A in 8-row groups (k-major); C blocks from C_init or +0.
    parallel_for(groups_, threads_, [&](long g) {
      float* dst = ap_ + static_cast<size_t>(g) * Ks * kSubA;
      for (int i = 0; i < kSubRows; ++i) {
        const int m = static_cast<int>(g) * kSubRows + i;
        float* d = dst + 4 * i;
        if (m >= M) {
          for (size_t k = 0; k < Ks; ++k) std::memset(d + k * kSubA, 0, 16);
          continue;
        }
        const uint8_t* a = p.A + static_cast<size_t>(m) * Ks;
        uint8_t s = 0;
        for (size_t k = 0; k < Ks; ++k) {
          _mm_store_ps(d + k * kSubA, _mm_set1_ps(lut.a[a[k]]));
          s |= lut.sp_a[a[k]];
        }
        row_sp[static_cast<size_t>(m)] = s;
      }
      for (int j = 0; j < panels_; ++j) {
        float* blk = block_c(static_cast<int>(g), j);
        std::memset(blk, 0, kSubBlock * sizeof(float));
        if (p.C_init == nullptr) continue;
        for (int i = 0; i < kSubRows; ++i) {
          const int m = static_cast<int>(g) * kSubRows + i;
          if (m >= M) break;
          for (int jj = 0; jj < kSubCols; ++jj) {
            const int n = j * kSubCols + jj;
            if (n >= N) break;
            std::memcpy(blk + lane_of(i, jj), p.C_init + static_cast<size_t>(m) * static_cast<size_t>(N) + n, 4);
          }
        }
      }
    });
    parallel_for(panels_, threads_, [&](long j) {
      pack_b_cols<kSubCols>(p, static_cast<int>(j) * kSubCols, lut.sp_b, bp_ + static_cast<size_t>(j) * Ks * kSubCols,
                            col_sp.data());
    });
    mark_generic_tiles(x_, row_sp, col_sp, threads_);
    const int mc = std::max(1, kMcRows / kSubRows), nc = std::max(1, kNcCols / kSubCols);
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
          for (int g = g0; g < g1; ++g) block(g, j, k0, k1);
        }
      }
      _mm_setcsr(saved);
    });
    // Raw words out, from the kernel's layout to row-major (no NaN to make
    // canonical: see FastGemm::run).
    parallel_for(M, threads_, [&](long m) {
      const int g = static_cast<int>(m) / kSubRows, i = static_cast<int>(m) % kSubRows;
      uint32_t* o = x_.out->out.data() + static_cast<size_t>(m) * static_cast<size_t>(N);
      for (int j = 0; j < panels_; ++j) {
        const float* blk = block_c(g, j);
        const int n0 = j * kSubCols;
        const int w = std::min(kSubCols, N - n0);
        for (int h = 0; h < 4 && 4 * h < w; ++h) {
          std::memcpy(o + n0 + 4 * h, blk + lane_of(i, 4 * h), static_cast<size_t>(std::min(4, w - 4 * h)) * 4u);
        }
      }
    });
  }

 private:
  // Float index, in a kernel block, of block row i and column jj.
  static int lane_of(int i, int jj) { return 16 * (4 * (i / 4) + jj / 4) + 4 * (i % 4) + jj % 4; }
  float* block_c(int g, int j) const {
    return cb_ + (static_cast<size_t>(g) * static_cast<size_t>(panels_) + static_cast<size_t>(j)) * kSubBlock;
  }

  // The kernel block (g, j) through k in [k0, k1): chunks of k with MXCSR
  // read around each, the sub-blocks of tiles not known exact under SAE.
  void block(int g, int j, int k0, int k1) {
    const size_t Ks = static_cast<size_t>(x_.p.K);
    const float* ap = ap_ + static_cast<size_t>(g) * Ks * kSubA;
    const float* bp = bp_ + static_cast<size_t>(j) * Ks * kSubCols;
    float* acc = block_c(g, j);
    // The distinct tiles of the block still pending (not known inexact) and
    // their sub-blocks.
    long tile[kSubSlots];
    unsigned slots[kSubSlots];
    int n = 0;
    for (int s = 0; s < kSubSlots; ++s) {
      const int m = g * kSubRows + 4 * (s / 4), c = j * kSubCols + 4 * (s % 4);
      if (m >= x_.p.M || c >= x_.p.N) continue;  // padding: +0 products, SAE
      const long t = static_cast<long>(m / x_.R) * x_.tn + c / x_.C;
      if (x_.tile_inexact[static_cast<size_t>(t)].load(std::memory_order_relaxed) != 0) continue;
      int i = 0;
      while (i < n && tile[i] != t) ++i;
      if (i == n) {
        tile[n] = t;
        slots[n++] = 0;
      }
      slots[i] |= 1u << s;
    }
    auto sae_of = [&]() {
      unsigned live = 0;
      for (int i = 0; i < n; ++i) live |= slots[i];
      return ~live & 0xFFu;
    };
    // Tiles of the array wider or taller than a kernel block are shared with
    // other blocks, which may find them inexact meanwhile.
    const bool shared = kSubRows % x_.R != 0 || kSubCols % x_.C != 0;
    // Two buffers in turn: a chunk runs from cur into nxt, so the chunk's
    // start values stay for the re-run without a copy.
    alignas(64) float spare[kSubBlock];
    float* cur = acc;
    float* nxt = spare;
    int k = k0;
    int chunk = k0 == 0 ? kChunk / 4 : kChunk;  // a short first chunk: wide-range data turns inexact at once
    while (k < k1) {
      int w = 0;
      if (shared) {
        for (int i = 0; i < n; ++i) {
          if (x_.tile_inexact[static_cast<size_t>(tile[i])].load(std::memory_order_relaxed) != 0) continue;
          tile[w] = tile[i];
          slots[w++] = slots[i];
        }
        n = w;
      }
      if (n == 0) {
        k_sub4<0xFFu, false>(ap, bp, k, k1, cur, acc);
        return;
      }
      const int kend = std::min(k1, k + chunk);
      const unsigned sae = sae_of();
      const bool raised = kSub4Flagged[sae](ap, bp, k, kend, cur, nxt);
      std::swap(cur, nxt);  // cur: the values at kend; nxt: at k
      if (!raised) {
        k = kend;
        chunk = std::min(2 * chunk, kMaxChunk);
        continue;
      }
      chunk = kChunk;
      clear_inexact();
      // Some pending tile had an inexact MAC in [k, kend): which ones.
      const unsigned bad = kSub4Inexact[~sae & 0xFFu](ap, bp, k, kend, nxt);
      w = 0;
      for (int i = 0; i < n; ++i) {
        if ((slots[i] & bad) != 0) {
          x_.tile_inexact[static_cast<size_t>(tile[i])].store(1, std::memory_order_relaxed);
          continue;
        }
        tile[w] = tile[i];
        slots[w++] = slots[i];
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
  float* cb_ = nullptr;  // C: groups_ x panels_ kernel blocks of kSubBlock floats
};

// The functional model's fast path for narrow accumulators (fma PE, every
// accumulator eXmY but e8m23 RNE without promotion, RNE / RZ / SR with every
// SR kind, promotion or not) on x86 CPUs with AVX-512 (F, DQ, VBMI2): a tile's
// words and flags bit-identical to the generic path (AccAdder per MAC) at a
// MAC rate near the e8m23 FMA path's. gemm_narrow.cpp's AVX2 kernel (and then
// the generic path) takes the tiles this one declines. On x86 CPUs without
// AVX-512 (or with FP8SA_NO_AVX512 set) its binary32 lanes run on AVX2 (8
// lanes a ymm: "Binary32 lanes" and "SR on binary32 lanes" below; RZ, RNE
// and SR, promotion or not), and without promotion its binary64 lanes on
// COLS a multiple of 8 and its binary64 super-tiles on COLS 1, 2, 4 (RNE, RZ
// and SR).
//
// One SIMD lane per PE: 8 binary64 lanes per zmm, a block of MR rows x NV
// vectors of 8 PEs of the tile runs its k-sequential MACs side by side.
// Arrays with COLS 1, 2 or 4 put 16 / COLS consecutive tiles of a tile row
// side by side ("super-tiles", 16 virtual columns; binary32 lanes below do
// the same), so that every rounding and SR kind has a fast path on them.
//
// The scaled domain. Every narrow value v is held as the binary64 v * 2^S.
// A MAC is x = fma(a', b', acc) (a' = a 2^Sa, b' = b 2^Sb, Sa + Sb = S), and
// the rounding to eXmY is done on x's bits:
//
//   * RZ: acc = x & ~(2^s - 1), s = 52 - Y (the Y + 1 significant bits kept),
//     with MXCSR set to round toward zero, so x = RZ_53(x_exact) and
//     truncations compose: acc = RZ_Y(x_exact) whether or not the fma was
//     exact. S = 1023 - emax: a narrow overflow (|x| >= 2^(emax+1)) is a
//     binary64 overflow of the fma (MXCSR overflow flag).
//   * SR: the draw u (R bits) as v = 2^R - 1 - u placed in bits [s-1, s-R]
//     (r), acc = (z + r) & ~(2^s - 1): a carry out of the R bits below the
//     kept LSB happens iff u < k (numerics.md section 5, "add R random bits
//     and truncate"), with z the kind's residual: trunc z = x (k = D[R:1]),
//     src z = x rounded to nearest even at the window's LSB (k = RNE(g)),
//     mid (k = 2t + s: t the window's top R - 1 bits, s the sticky of its
//     LSB and below) z = x and r with 2^(s-R) - 1 ORed in when v's LSB v0
//     is set: k + v carries out of the window iff t + v1 + (s & v0) carries
//     out of its top R - 1 bits (v = 2 v1 + v0), and x's low bits plus
//     2^(s-R+1) - 1 carry exactly s into t's LSB. MXCSR rounds toward zero and an inexact fma sends the
//     tile back (the sticky would be lost); S = 1023 - emax: an overflow
//     carries into the Inf encoding.
//   * RNE: Veltkamp's split, g = x * (2^s + 1), y = g + (x - g): x rounded
//     to nearest even to 53 - s = Y + 1 bits (ties included: checked on every
//     Y against a direct rounding), in MXCSR's RNE. MXCSR's inexact flag is
//     then exactly the tile's inexact flag (x * (2^s + 1) is exact iff x has
//     at most Y + 1 bits). The tile's fma sums are exact (below);
//     S = 1023 - emax - 64 keeps x * 2^s finite.
//
// What a tile must satisfy (checked before it runs, from per-row and
// per-column statistics of A and B and the tile's init words; otherwise the
// tile is declined):
//
//   * no NaN/Inf codes or init words, no -0 init word (RNE would lose its
//     sign);
//   * "tiny-safe": every sum x is a multiple of 2^g (g: the lowest set bit of
//     any product or init value), and g >= emin - Y, so a value below 2^emin
//     lies on the subnormal grid: it never rounds, and no MAC underflows
//     (underflow is inexact and tiny), and rounding on x's own exponent grid
//     is rounding on the format's;
//   * RNE: every |x| below 2^(g + 53) (every fma exact in binary64) and
//     below the largest finite value (no overflow): proved beforehand by the
//     bound |x| <= (max|init| + sum_k max|a| max|b|) (1 + 2^-(Y+1))^K, or
//     else checked after the run on max |x|, which the kernel then tracks
//     (vrangepd; an inexact fma would have given |x| >= 2^(g + 53)).
//
// After the kernel a tile is also declined (values recomputed by the AVX2
// kernel or the generic path) on: an MXCSR overflow, underflow or invalid
// flag; SR with an inexact fma; an Inf accumulator (SR overflow); a promotion
// that would overflow binary32 or meet Inf. So the fast tile's flags are
// inexact alone: MXCSR's (RNE, RZ) or the OR of x's bits below the kept LSB
// (RZ, SR; tracked chunk by chunk only until the tile is known inexact),
// and the promotions'.
//
// Binary64 super-tiles (COLS 1, 2, 4 where binary32 lanes do not apply):
// the inexact flag per lane from x's bits below the kept LSB (RNE too: x is
// exact there), tracked until every tile of the super-tile is known
// inexact; with RZ an inexact fma raises MXCSR's flag, which names no tile:
// a tile without a tracked bit is then declined (recomputed alone); SR
// declines the super-tile on it.
//
// Binary32 lanes (COLS a multiple of 16; RZ with every Y, RNE with
// W - 1 <= Y <= 11, W the products' significand width: 8 for E4M3 x E4M3,
// 7 mixed, 6 for E5M2 x E5M2): 16 PEs per zmm, so twice the MACs per
// instruction (Zen 4 runs a 512-bit op in one 256-bit pipe pair either way).
// The same scaled domain in binary32, the sums no longer exact:
//
//   * RZ: MXCSR rounds toward zero and truncations compose, as above;
//     S = 127 - emax (a narrow overflow is a binary32 overflow; the narrow
//     subnormal grid 2^(emin - Y + S) >= 2^-149 is representable). The
//     inexact flag: MXCSR's, or the OR of the dropped bits, tracked only
//     until the tile is known inexact (chunk by chunk).
//   * RNE: x = RNE_24(acc + p) by the fma, then Veltkamp's split in
//     binary32 (ties to even: checked on every significand of a binade for
//     each Y used). RNE_{Y+1}(RNE_24(x)) = RNE_{Y+1}(x) for an acc on the
//     (Y+1)-bit grid and a product p of at most W bits: if the binary32 sum
//     is inexact, x has a bit below 2^(E - 23), so one term lies wholly far
//     below the other. p far below acc: p's W bits sit below 2^(E - 23 + W),
//     far from the half-ulp 2^(E - Y - 1), so neither rounding reaches the
//     midpoint; acc far below p: p (W <= Y + 1 bits) is on the grid and the
//     sum lies strictly between grid point and midpoint unless acc's own
//     Y + 1 bits reach below 2^(E - 23), i.e. 2Y + 2 > 24. Both bounds are
//     tight (counterexamples at Y = W - 2 and Y = 12), and the test
//     GemmNarrow.Binary32RneDoubleRoundingInnocuous checks the identity over
//     every W, Y, product and relative exponent. For Y <= 11, x * (2^s + 1)
//     (s = 23 - Y) is exact iff x has at most Y + 1 bits, so MXCSR's inexact
//     flag is the tile's, as in binary64. S = 126 - emax - s keeps x * 2^s
//     finite below the narrow overflow; e8 formats (S < 0) also need every
//     nonzero scaled sum normal, 2^(g + S) >= 2^-126, checked per tile.
//     Overflow: the a priori bound, or the tracked max |x|.
//
// SR on binary32 lanes (sr32: COLS a multiple of 16 or COLS 8, Y + R <= 23
// for mid and trunc, Y + R <= 21 for src; so e8m10 and e6m5 with R = 13, the
// training recipes'): 16 PEs per zmm, one tile at a time (COLS 8: PE rows
// 2i and 2i + 1 share a vector, lane 2c + h, with B's row duplicated and
// A's two values broadcast as one 64-bit pair), the scaled domain of RZ
// above (S = 127 - emax). What each kind reads of the exact sum
// x = acc + p (numerics.md section 5: D, the R + 1 bits below the kept LSB,
// and st, the OR of all bits below D), with s = 23 - Y the dropped bits of a
// binary32 significand and the window the R bits [s-1, s-R] below the kept
// LSB (Y + 1 significant bits):
//
//   * trunc: k = D[R:1], the window. RZ_24(x) is x's first 24 significant
//     bits in x's own binade (RZ never leaves the binade: 2^E is
//     representable), and Y + 1 + R <= 24 of them are all trunc reads. So
//     one fma with MXCSR toward zero, then the window as for binary64. The
//     tile is inexact iff a MAC's x has a bit below the kept LSB: RZ_24(x)'s
//     dropped bits or an inexact fma (MXCSR's inexact flag names the tile:
//     one tile per run).
//   * mid: k = {D[R:2], D[1] | D[0] | st}: the window's top R - 1 bits and
//     the sticky of its LSB and everything below. Let J be x rounded to odd
//     at binary32's last bit: RZ_24(x) with bit 0 ORed with "the fma was
//     inexact". J's first 23 bits are x's (Y + R <= 23 of them: the kept
//     bits and the window's top R - 1 bits, the window's LSB at bit s - R >=
//     0) and the OR of J's bits [s-R, 0] is the OR of x's bits from the
//     window's LSB down: the window's LSB and below, if inside J, are x's,
//     and J's bit 0 adds exactly the bits beyond binary32. So mid of J is
//     mid of x, and the binary64 construction (x + v, v's LSB replicated
//     below the window) runs on J unchanged; where Y + R = 23 the window's
//     LSB is bit 0 itself, J's window is k, and mid is trunc of J.
//   * src: k = D[R:1] + (D[0] & (st | D[1])): the window, one more bit and
//     the sticky below it: Y + R + 2 <= 23 bits of x and a sticky, J again
//     (Y + R <= 21): the rounding of J's bits below the window (half - 1 +
//     the window's LSB, then carry) compares them with the even half
//     2^(s-R-1) >= 2, and rounding to odd preserves "above / equal to /
//     below" an even integer, so J rounds as x.
//
// J from two fmas: d = RD_24(x) (MXCSR round-down, whose flags the tile
// reads) and u = RU_24(x) (embedded rounding). If x is exact, d = u = x; if
// not, d and u are neighbours whose encodings (same sign) differ by one, so
// exactly one is odd, and that one is RZ_24(x) | 1 (positive x: d = RZ; if
// d is even, u = d + 1 = d | 1; negative x: u = RZ, the same with the
// magnitudes). J = d if d is odd, else u. An exact zero x: d = -0, u = +0
// (even), J = u, the zero the spec's sum gives (+0 unless both terms are
// -0, and RU's zero sum is exactly that). The accumulators are normal
// binary32 values or zero: a tile is declined unless every nonzero sum is
// a multiple of 2^g with g >= emin - Y ("tiny-safe", as above) and
// 2^(g+S) >= 2^-126; a sum below 2^emin is then on the format's grid and
// exact, and never rounds. Overflow: a narrow overflow is |y| >= 2^(emax+1),
// 2^128 scaled: the SR carry runs into binary32's Inf encoding (the final
// AND keeps Inf; the tile is declined on an Inf word), and an fma beyond
// binary32's range raises MXCSR's overflow flag (RD's, and trunc's RZ),
// which declines the tile. Inexact flag: the OR of J's bits below the kept
// LSB (the exact sum's, by the argument above; tracked until the tile is
// known inexact), and the promotions'. The draws: the same m-sequences in
// 32-bit words (P(x)^32 = P(x^32): the word recurrence holds for 32-bit
// words too), a draw at bit o of word m taken by one 32-bit funnel shift of
// words (m, m + 1) (or rotate of word m) into bits [s-1, s-R]; each row
// block of 8 rows runs the whole of K with its own ring (its lfsr_w rows of
// history stay in L1). GemmNarrow.Binary32SrEqualsGeneric checks it
// against the generic path (sticky-only sums, exact zeros, every kind and R).
//
// Promotion (numerics.md section 9): w (binary32 values in binary64 lanes)
// += n * 2^-S every N MACs and after the last: the binary64 sum (TwoSum error
// for inexactness) rounded to binary32 with RNE (53 >= 2*24 + 2: double
// rounding is innocuous), all with embedded rounding and suppressed
// exceptions, so MXCSR sees only the MACs.
// (Binary32 lanes: the binary32 sum w + n * 2^-S itself, TwoSum's error for
// inexactness.)
//
// SR draws. PE (r, c)'s draws are R-bit windows of one m-sequence: draw d
// is sequence bits [dR, dR + R), oldest first (numerics.md section 7). Its
// characteristic polynomial P satisfies P(x)^64 = P(x^64) over GF(2), so the
// sequence in 64-bit words (MSB first) obeys the LFSR's own recurrence on
// whole words: W_m = XOR over taps t of W_(m-t). A worker generates the words
// of all PEs of a tile side by side (two vpternlogq per 8 PEs per 64 bits),
// continuing from tile to tile (tile t starts at draw t*K, where tile t - 1
// ended), and starts a stream (the first LFSR-width words from the seed,
// jumped with Lfsr::skip) only at the first tile of its run. The kernel takes
// draw k from the word pair holding it with one funnel shift (vpshldvq) that
// puts it in bits [s-1, s-R]; where R divides 64 no draw straddles two words
// and one rotate (vprolvq) of one word does it. The words live in one ring
// per row block (its rows a cache line apart), so that the taps' rows stay
// in L1.
//
// SR on binary64 super-tiles: lane (r, q, c) runs tile t0 + q of the
// super-tile with PE (r, c)'s draws from (t0 + q) K on. Its words are PE
// (r, c)'s sequence in the frame shifted by q K R bits (row m: bits
// [64 m + q K R, +64)), which obeys the same word recurrence (any 64
// consecutive bits do), so one row offset and shift per k still serve every
// lane. At a super-tile's start, continuing from the worker's previous one
// (tiles up to t0 - 1), lane 0 takes over the previous last lane group's
// rows (its frame is lane 0's new one: a relabelling plus a funnel shift),
// and lanes q >= 1 jump from lane 0 by q K R bits: the sequence bit J ahead
// is a fixed XOR of the lfsr_w bits before (found once per plan by running
// the recurrence on lfsr_w-bit masks), i.e. per row an XOR of lane 0's words
// shifted right by i bits, i in that set (vpshrdvq, masked XORs). Where
// K R is a multiple of 64 every lane instead continues in its own frame:
// after a super-tile of n + 1 tiles the frames' rows move on by n K R / 64
// whole rows, so each new row is an XOR of old rows, the same for every lane
// (P.wset). A worker's first super-tile starts every lane from its seed.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/numerics.hpp"
#include "gemm_narrow.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12 warns inside avx512fintrin.h (its _mm512_undefined_* operands of
// the masked forms, as maybe or plainly uninitialized) and about the ABI of
// zmm values between functions of this file, which all carry the same
// target attribute.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"
#include <immintrin.h>
#define FP8SA_N512 1
#define FP8SA_T512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx512vbmi2,fma")))
#define FP8SA_T256 __attribute__((target("avx2,fma")))
#else
#define FP8SA_N512 0
#endif

namespace fp8sa {
namespace detail {

namespace {

constexpr int kNoLsb = 1 << 20;  // lsb exponent of an all-zero row / column

// Statistics of one row of A or column of B (over its K codes).
struct Line {
  uint8_t special = 0;  // a NaN/Inf code
  int lsb = kNoLsb;     // lowest set bit (exponent) of any non-zero value
  double maxabs = 0, sumabs = 0;
};

struct CodeInfo {
  double v[2][256];
  int lsb[2][256];
  uint8_t sp[2][256];
  CodeInfo() {
    for (int f = 0; f < 2; ++f)
      for (int c = 0; c < 256; ++c) {
        const Fp8Format ff = static_cast<Fp8Format>(f);
        sp[f][c] = fp8_is_special(static_cast<uint8_t>(c), ff) ? 1 : 0;
        const double d = sp[f][c] != 0 ? 0.0 : fp8_to_double(static_cast<uint8_t>(c), ff);
        v[f][c] = d;
        int l = kNoLsb;
        if (d != 0.0) {
          int e;
          const double m = std::frexp(std::fabs(d), &e);  // m in [0.5, 1): d = m 2^e
          uint64_t mi = static_cast<uint64_t>(std::ldexp(m, 53));
          l = e - 53 + __builtin_ctzll(mi);
        }
        lsb[f][c] = l;
      }
  }
};

const CodeInfo& code_info() {
  static const CodeInfo ci;
  return ci;
}

int lsb_of(double d) {
  if (d == 0.0) return kNoLsb;
  int e;
  const double m = std::frexp(std::fabs(d), &e);
  const uint64_t mi = static_cast<uint64_t>(std::ldexp(m, 53));
  return e - 53 + __builtin_ctzll(mi);
}

}  // namespace

#if FP8SA_N512

namespace {

enum Mode { kRne = 0, kRz = 1, kSr = 2 };

// Constants of the kernel.
struct KConst {
  uint64_t mask, low, semask, cm, maskr, l1, halfm1, wlsb;
  double split;     // RNE: 2^s + 1
  int s, sr_shift;  // s = 52 - Y; SR: the window's LSB s - R
};

// The same in registers.
struct KVec {
  __m512i mask, low, semask, cm, maskr, l1, halfm1, wlsb;
};

// One block: MR rows x NV vectors of the tile, k in [k0, k1).
struct KArgs {
  const double* ap;  // rows of the tile: Rp x K, scaled by 2^Sa
  const double* bp;  // the tile's B panel: K x C, scaled by 2^Sb
  int K, C;
  double* acc;  // Rp x C, scaled
  double* w;    // promotion: Rp x C, binary32 values
  double unscale;  // 2^-S
  int promote;     // promote_n (0: off)
  // SR
  const uint64_t* words;   // the row block's word ring (Ring): kRing rows of its lanes
  size_t lp;               // lanes per word row
  const size_t* hi_off;    // per k of the chunk: offset of the row holding the draw's first bit
  const size_t* lo_off;    // per k: that row's or the next row's offset
  const int64_t* cnt;      // per k: the funnel shift
};

struct KState {
  __m512i inex[2];
  __m512d mx;
  bool rare = false;     // promotion met Inf/NaN or overflowed binary32
  __mmask8 pinex[2] = {0, 0};  // lanes whose promotion was inexact, per vector v of a block
};

FP8SA_T512 inline void promote8(double* wp, __m512d* n, double unscale, KState* st, int v) {
  const __m512d w = _mm512_loadu_pd(wp);
  const __m512d nv = _mm512_mul_round_pd(*n, _mm512_set1_pd(unscale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  constexpr int kR = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const __m512d s = _mm512_add_round_pd(w, nv, kR);
  const __m512d bb = _mm512_sub_round_pd(s, w, kR);
  const __m512d aa = _mm512_sub_round_pd(s, bb, kR);
  const __m512d err = _mm512_add_round_pd(_mm512_sub_round_pd(w, aa, kR), _mm512_sub_round_pd(nv, bb, kR), kR);
  const __m256 r = _mm512_cvt_roundpd_ps(s, kR);
  const __m512d rd = _mm512_cvt_roundps_pd(r, _MM_FROUND_NO_EXC);
  const __mmask8 inex = _mm512_cmp_pd_mask(err, _mm512_setzero_pd(), _CMP_NEQ_UQ) |
                        _mm512_cmp_pd_mask(rd, s, _CMP_NEQ_UQ);
  const __m512d absr = _mm512_abs_pd(rd);
  const __mmask8 bad = _mm512_cmp_pd_mask(absr, _mm512_set1_pd(HUGE_VAL), _CMP_NLT_UQ);
  st->pinex[v & 1] = static_cast<__mmask8>(st->pinex[v & 1] | inex);
  if (bad != 0) st->rare = true;
  _mm512_storeu_pd(wp, rd);
  *n = _mm512_setzero_pd();
}

// RINEX (RNE only, super-tiles): x's bits below the kept LSB ORed into
// st->inex per lane (x is the exact sum there, so they are the lane's
// inexactness), as TRACK does for RZ and SR. inex[j & 1]: with NV == 2 that
// is vector v of the block, i.e. a lane is one virtual column.
// ONE (SR with R dividing 64): no draw straddles two words, so the draw is
// its word rotated into place (one load instead of a pair: the kernel is
// bound by loads about as much as by vector operations).
template <int MODE, int KIND, bool TRACK, bool PROMO, int MR, int NV, bool RINEX = false, bool ONE = false>
FP8SA_T512 void kernel(const KConst& kq, const KArgs& g, int r0, int v0, int k0, int k1, KState* st) {
  constexpr int NA = MR * NV;
#define FP8SA_Q(u) _mm512_set1_epi64(static_cast<int64_t>(u))
  const KVec kc{FP8SA_Q(kq.mask), FP8SA_Q(kq.low), FP8SA_Q(kq.semask), FP8SA_Q(kq.cm), FP8SA_Q(kq.maskr),
                FP8SA_Q(kq.l1), FP8SA_Q(kq.halfm1), FP8SA_Q(kq.wlsb)};
#undef FP8SA_Q
  const __m512d vsplit = _mm512_set1_pd(kq.split);
  const int C = g.C, K = g.K;
  __m512d a[NA];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) a[i * NV + v] = _mm512_loadu_pd(g.acc + static_cast<size_t>((r0 + i) * C + 8 * (v0 + v)));
  __m512i inex0 = st->inex[0], inex1 = st->inex[1];
  __m512d mx = st->mx;
  const double* arow = g.ap + static_cast<size_t>(r0) * static_cast<size_t>(K);
  int next_p = 0;
  if constexpr (PROMO) next_p = std::min(K - 1, (k0 / g.promote + 1) * g.promote - 1);
  for (int k = k0; k < k1; ++k) {
    const double* brow = g.bp + static_cast<size_t>(k) * static_cast<size_t>(C) + 8 * v0;
    __m512d b[NV];
    for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_pd(brow + 8 * v);
    const uint64_t* whi = nullptr;
    const uint64_t* wlo = nullptr;
    __m512i cnt = _mm512_setzero_si512();
    if constexpr (MODE == kSr) {
      const int kk = k - k0;
      whi = g.words + g.hi_off[kk];
      wlo = g.words + g.lo_off[kk];
      cnt = _mm512_set1_epi64(g.cnt[kk]);
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512d av = _mm512_set1_pd(arow[static_cast<size_t>(i) * static_cast<size_t>(K) + static_cast<size_t>(k)]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        const int j = i * NV + v;
        const __m512d x = _mm512_fmadd_pd(av, b[v], a[j]);
        if constexpr (MODE == kRne) {
          // Veltkamp's split: hi = RNE of x to 53 - s = Y + 1 bits
          // (the _round forms: GCC would contract x - x * split into an fma)
          const __m512d gm = _mm512_mul_round_pd(x, vsplit, _MM_FROUND_CUR_DIRECTION);
          a[j] = _mm512_add_round_pd(gm, _mm512_sub_round_pd(x, gm, _MM_FROUND_CUR_DIRECTION), _MM_FROUND_CUR_DIRECTION);
          if constexpr (TRACK) mx = _mm512_range_pd(mx, x, 0x0B);
          if constexpr (RINEX) {
            const __m512i xi = _mm512_castpd_si512(x);
            if (j & 1) {
              inex1 = _mm512_ternarylogic_epi64(inex1, xi, kc.low, 0xF8);
            } else {
              inex0 = _mm512_ternarylogic_epi64(inex0, xi, kc.low, 0xF8);
            }
          }
        } else if constexpr (MODE == kRz) {
          const __m512i xi = _mm512_castpd_si512(x);
          if constexpr (TRACK) {
            if (j & 1) {
              inex1 = _mm512_ternarylogic_epi64(inex1, xi, kc.low, 0xF8);
            } else {
              inex0 = _mm512_ternarylogic_epi64(inex0, xi, kc.low, 0xF8);
            }
          }
          a[j] = _mm512_castsi512_pd(_mm512_and_si512(xi, kc.mask));
        } else {
          const __m512i xi = _mm512_castpd_si512(x);
          const size_t lane = static_cast<size_t>(i * C + 8 * (v0 + v));  // g.words: the row block's ring
          const __m512i hi = _mm512_loadu_si512(whi + lane);
          __m512i tw;  // u in bits [s-1, s-R]
          if constexpr (ONE) {
            tw = _mm512_rolv_epi64(hi, cnt);  // cnt = (s + o) mod 64, o + R <= 64
          } else {
            tw = _mm512_shldv_epi64(hi, _mm512_loadu_si512(wlo + lane), cnt);
          }
          __m512i rr = _mm512_andnot_si512(tw, kc.maskr);         // v = 2^R - 1 - u there
          __m512i z;
          if constexpr (KIND == 0) {
            // mid: k = 2t + s (t: the window's top R - 1 bits, s: the sticky
            // of its LSB and below); k + v carries out of the window iff
            // t + v1 + (s & v0) does out of its top R - 1 bits (v = 2 v1 + v0),
            // and x + (v0 ? 2^(s-R) - 1 : 0) carries s & v0 into t's LSB.
            const __mmask8 vlsb = _mm512_testn_epi64_mask(tw, kc.wlsb);
            rr = _mm512_mask_or_epi64(rr, vlsb, rr, kc.l1);
            z = xi;
          } else if constexpr (KIND == 1) {  // trunc
            z = xi;
          } else {  // src: RNE at the window's LSB: x + (half - 1) + its LSB
            // v and half - 1 hold disjoint bits: one ternary op gives their
            // sum; the LSB is a masked add of 1
            rr = _mm512_ternarylogic_epi64(tw, kc.maskr, kc.halfm1, 0xAE);  // (~tw & maskr) | halfm1
            const __mmask8 lsb = _mm512_test_epi64_mask(xi, kc.wlsb);
            z = _mm512_mask_add_epi64(xi, lsb, xi, _mm512_set1_epi64(1));
          }
          if constexpr (TRACK) {
            if (j & 1) {
              inex1 = _mm512_ternarylogic_epi64(inex1, xi, kc.low, 0xF8);
            } else {
              inex0 = _mm512_ternarylogic_epi64(inex0, xi, kc.low, 0xF8);
            }
          }
          a[j] = _mm512_castsi512_pd(_mm512_and_si512(_mm512_add_epi64(z, rr), kc.mask));
        }
      }
    }
    if constexpr (PROMO) {
      if (k == next_p) {
        for (int i = 0; i < MR; ++i)
          for (int v = 0; v < NV; ++v)
            promote8(g.w + static_cast<size_t>((r0 + i) * C + 8 * (v0 + v)), &a[i * NV + v], g.unscale, st, v);
        next_p = std::min(K - 1, next_p + g.promote);
      }
    }
  }
  // Every MAC is done before the caller reads MXCSR.
  for (int j = 0; j < NA; ++j) asm volatile("" : "+v"(a[j]));
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) _mm512_storeu_pd(g.acc + static_cast<size_t>((r0 + i) * C + 8 * (v0 + v)), a[i * NV + v]);
  asm volatile("" : "+v"(inex0), "+v"(inex1), "+v"(mx));
  st->inex[0] = inex0;
  st->inex[1] = inex1;
  st->mx = mx;
}

using KernelFn = void (*)(const KConst&, const KArgs&, int, int, int, int, KState*);

template <int MODE, int KIND, bool TRACK, bool PROMO, bool ONE>
KernelFn pick_shape(int nv) {
  return nv == 2 ? &kernel<MODE, KIND, TRACK, PROMO, 4, 2, false, ONE> : &kernel<MODE, KIND, TRACK, PROMO, 8, 1, false, ONE>;
}

template <int MODE, int KIND, bool TRACK, bool ONE = false>
KernelFn pick_promo(bool promo, int nv) {
  return promo ? pick_shape<MODE, KIND, TRACK, true, ONE>(nv) : pick_shape<MODE, KIND, TRACK, false, ONE>(nv);
}

template <int KIND, bool TRACK>
KernelFn pick_sr(bool one, bool promo, int nv) {
  return one ? pick_promo<kSr, KIND, TRACK, true>(promo, nv) : pick_promo<kSr, KIND, TRACK, false>(promo, nv);
}

// one: SR draws never straddle two words (R divides 64)
KernelFn pick_kernel(Round rnd, SrKind kind, bool track, bool promo, int nv, bool one) {
  switch (rnd) {
    case Round::RNE:
      return track ? pick_promo<kRne, 0, true>(promo, nv) : pick_promo<kRne, 0, false>(promo, nv);
    case Round::RZ:
      return track ? pick_promo<kRz, 0, true>(promo, nv) : pick_promo<kRz, 0, false>(promo, nv);
    default:
      switch (kind) {
        case SrKind::Trunc:
          return track ? pick_sr<1, true>(one, promo, nv) : pick_sr<1, false>(one, promo, nv);
        case SrKind::Src:
          return track ? pick_sr<2, true>(one, promo, nv) : pick_sr<2, false>(one, promo, nv);
        default:
          return track ? pick_sr<0, true>(one, promo, nv) : pick_sr<0, false>(one, promo, nv);
      }
  }
}

// Super-tiles on binary64 lanes (COLS 1, 2 or 4): blocks of 4 rows x 2
// vectors (16 virtual columns). fs[track][inex]: RNE: track = max |x|,
// inex = the per-lane dropped bits (RINEX); RZ, SR: inex = the per-lane
// dropped bits (TRACK), track unused.
template <bool PROMO, bool ONE>
void pick_super(Round rnd, SrKind kind, KernelFn fs[2][2]) {
  if (rnd == Round::RNE) {
    fs[0][0] = &kernel<kRne, 0, false, PROMO, 4, 2, false>;
    fs[0][1] = &kernel<kRne, 0, false, PROMO, 4, 2, true>;
    fs[1][0] = &kernel<kRne, 0, true, PROMO, 4, 2, false>;
    fs[1][1] = &kernel<kRne, 0, true, PROMO, 4, 2, true>;
    return;
  }
  KernelFn f0 = &kernel<kRz, 0, false, PROMO, 4, 2>, f1 = &kernel<kRz, 0, true, PROMO, 4, 2>;
  if (rnd == Round::SR) {
    switch (kind) {
      case SrKind::Trunc:
        f0 = &kernel<kSr, 1, false, PROMO, 4, 2, false, ONE>;
        f1 = &kernel<kSr, 1, true, PROMO, 4, 2, false, ONE>;
        break;
      case SrKind::Src:
        f0 = &kernel<kSr, 2, false, PROMO, 4, 2, false, ONE>;
        f1 = &kernel<kSr, 2, true, PROMO, 4, 2, false, ONE>;
        break;
      default:
        f0 = &kernel<kSr, 0, false, PROMO, 4, 2, false, ONE>;
        f1 = &kernel<kSr, 0, true, PROMO, 4, 2, false, ONE>;
        break;
    }
  }
  fs[0][0] = fs[1][0] = f0;
  fs[0][1] = fs[1][1] = f1;
}

FP8SA_T512 bool any_bits(__m512i x) { return _mm512_test_epi64_mask(x, x) != 0; }

// ---- binary32 lanes (16 PEs per zmm): RZ (every Y) and RNE (Y in [W - 1, 11],
// W the products' significand width); the file comment, "Binary32 lanes".

struct KArgs32 {
  const float* ap;  // rows of the tile: Rp x K, scaled by 2^Sa
  const float* bp;  // the tile's B panel: K x C, scaled by 2^Sb
  int K, C;
  float* acc;     // Rp x C, scaled
  float* w;       // promotion: Rp x C, binary32 values
  float unscale;  // 2^-S
  int promote;
  uint32_t mask, low;
  float split;  // RNE: 2^s + 1
};

// inex, pinex: per vector of a block (lane = virtual column; TPS == 1: ORed)
struct KState32 {
  __m512i inex[2];
  __m512 mx;
  bool rare = false;
  __mmask16 pinex[2] = {0, 0};
};

FP8SA_T512 inline void promote16(float* wp, __m512* n, float unscale, KState32* st, int v) {
  constexpr int kR = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const __m512 w = _mm512_loadu_ps(wp);
  const __m512 nv = _mm512_mul_round_ps(*n, _mm512_set1_ps(unscale), kR);  // exact
  const __m512 s = _mm512_add_round_ps(w, nv, kR);
  const __m512 bb = _mm512_sub_round_ps(s, w, kR);
  const __m512 aa = _mm512_sub_round_ps(s, bb, kR);
  const __m512 err = _mm512_add_round_ps(_mm512_sub_round_ps(w, aa, kR), _mm512_sub_round_ps(nv, bb, kR), kR);
  const __mmask16 inex = _mm512_cmp_ps_mask(err, _mm512_setzero_ps(), _CMP_NEQ_UQ);
  const __mmask16 bad = _mm512_cmp_ps_mask(_mm512_abs_ps(s), _mm512_set1_ps(HUGE_VALF), _CMP_NLT_UQ);
  st->pinex[v] = static_cast<__mmask16>(st->pinex[v] | inex);
  if (bad != 0) st->rare = true;
  _mm512_storeu_ps(wp, s);
  *n = _mm512_setzero_ps();
}

// MODE kRne: Veltkamp's split in binary32 (TRACK: max |x| kept); kRz: the
// mask. INEX: x's bits below the kept LSB ORed into st->inex[v], until every
// tile of the block is known inexact.
template <int MODE, bool TRACK, bool INEX, bool PROMO, int MR, int NV>
FP8SA_T512 void kernel32(const KArgs32& g, int r0, int v0, int k0, int k1, KState32* st) {
  constexpr int NA = MR * NV;
  const __m512i vmask = _mm512_set1_epi32(static_cast<int>(g.mask));
  const __m512i vlow = _mm512_set1_epi32(static_cast<int>(g.low));
  const __m512 vsplit = _mm512_set1_ps(g.split);
  const int C = g.C, K = g.K;
  __m512 a[NA];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) a[i * NV + v] = _mm512_loadu_ps(g.acc + static_cast<size_t>((r0 + i) * C + 16 * (v0 + v)));
  __m512i inex[NV];
  for (int v = 0; v < NV; ++v) inex[v] = st->inex[v];
  __m512 mx = st->mx;
  const float* arow = g.ap + static_cast<size_t>(r0) * static_cast<size_t>(K);
  int next_p = 0;
  if constexpr (PROMO) next_p = std::min(K - 1, (k0 / g.promote + 1) * g.promote - 1);
  for (int k = k0; k < k1; ++k) {
    const float* brow = g.bp + static_cast<size_t>(k) * static_cast<size_t>(C) + 16 * v0;
    __m512 b[NV];
    for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_ps(brow + 16 * v);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 av = _mm512_set1_ps(arow[static_cast<size_t>(i) * static_cast<size_t>(K) + static_cast<size_t>(k)]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        const int j = i * NV + v;
        const __m512 x = _mm512_fmadd_ps(av, b[v], a[j]);
        if constexpr (INEX) inex[v] = _mm512_ternarylogic_epi32(inex[v], _mm512_castps_si512(x), vlow, 0xF8);
        if constexpr (MODE == kRne) {
          const __m512 gm = _mm512_mul_round_ps(x, vsplit, _MM_FROUND_CUR_DIRECTION);
          a[j] = _mm512_add_round_ps(gm, _mm512_sub_round_ps(x, gm, _MM_FROUND_CUR_DIRECTION), _MM_FROUND_CUR_DIRECTION);
          if constexpr (TRACK) mx = _mm512_range_ps(mx, x, 0x0B);
        } else {
          a[j] = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), vmask));
        }
      }
    }
    if constexpr (PROMO) {
      if (k == next_p) {
        for (int i = 0; i < MR; ++i)
          for (int v = 0; v < NV; ++v)
            promote16(g.w + static_cast<size_t>((r0 + i) * C + 16 * (v0 + v)), &a[i * NV + v], g.unscale, st, v);
        next_p = std::min(K - 1, next_p + g.promote);
      }
    }
  }
  for (int j = 0; j < NA; ++j) asm volatile("" : "+v"(a[j]));
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(g.acc + static_cast<size_t>((r0 + i) * C + 16 * (v0 + v)), a[i * NV + v]);
  for (int v = 0; v < NV; ++v) {
    asm volatile("" : "+v"(inex[v]));
    st->inex[v] = inex[v];
  }
  asm volatile("" : "+v"(mx));
  st->mx = mx;
}

using Kernel32Fn = void (*)(const KArgs32&, int, int, int, int, KState32*);

// Shapes (MR rows x NV vectors): NV 1 with MR 8 or 4; NV 2 with MR 8 or 4
// (16 rows x 1 vector measured about 30% slower than 8 x 1 on Zen 4).
template <int MODE, bool TRACK, bool INEX, bool PROMO>
Kernel32Fn pick32_shape(int mr, int nv) {
  if (nv == 2) return mr == 8 ? &kernel32<MODE, TRACK, INEX, PROMO, 8, 2> : &kernel32<MODE, TRACK, INEX, PROMO, 4, 2>;
  return mr == 8 ? &kernel32<MODE, TRACK, INEX, PROMO, 8, 1> : &kernel32<MODE, TRACK, INEX, PROMO, 4, 1>;
}

// fn[track][inex] for the plan's rounding and promotion.
template <bool PROMO>
void pick32(Round rnd, int mr, int nv, Kernel32Fn fn[2][2]) {
  if (rnd == Round::RNE) {
    fn[0][0] = pick32_shape<kRne, false, false, PROMO>(mr, nv);
    fn[0][1] = pick32_shape<kRne, false, true, PROMO>(mr, nv);
    fn[1][0] = pick32_shape<kRne, true, false, PROMO>(mr, nv);
    fn[1][1] = pick32_shape<kRne, true, true, PROMO>(mr, nv);
  } else {
    fn[0][0] = fn[1][0] = pick32_shape<kRz, false, false, PROMO>(mr, nv);
    fn[0][1] = fn[1][1] = pick32_shape<kRz, false, true, PROMO>(mr, nv);
  }
}

// ---- binary32 lanes on AVX2 (8 PEs per ymm), for CPUs without AVX-512:
// RZ and RNE as kernel32 above (the same arithmetic on the same scaled
// binary32 values, the same flags: MXCSR's, and the bits below the kept LSB
// per lane), promotion included: AVX2 has no per-instruction rounding, so
// promote8 switches MXCSR to RNE around the promotion and back, restoring
// the kernel's flags (the promotion's inexactness is tracked per lane, as
// promote16 does with its flags suppressed).

struct KState256 {
  __m256i inex[4];  // lane l of vector v: virtual column 8 v + l (CV <= 32; wider: ORed, TPS 1)
  __m256 mx;
  bool rare = false;            // promotion met Inf/NaN or overflowed binary32
  uint8_t pinex[4] = {0, 0, 0, 0};  // lanes whose promotion was inexact, per vector (as inex)
};

// promote16 on 8 lanes, with MXCSR in RNE (the caller's promote_block).
FP8SA_T256 inline void promote8(float* wp, __m256* n, float unscale, KState256* st, int vec) {
  const __m256 w = _mm256_loadu_ps(wp);
  const __m256 nv = _mm256_mul_ps(*n, _mm256_set1_ps(unscale));  // exact
  const __m256 s = _mm256_add_ps(w, nv);
  const __m256 bb = _mm256_sub_ps(s, w);
  const __m256 aa = _mm256_sub_ps(s, bb);
  const __m256 err = _mm256_add_ps(_mm256_sub_ps(w, aa), _mm256_sub_ps(nv, bb));
  const int inex = _mm256_movemask_ps(_mm256_cmp_ps(err, _mm256_setzero_ps(), _CMP_NEQ_UQ));
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const int bad = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_and_ps(s, absmask), _mm256_set1_ps(HUGE_VALF), _CMP_NLT_UQ));
  st->pinex[vec & 3] = static_cast<uint8_t>(st->pinex[vec & 3] | inex);
  if (bad != 0) st->rare = true;
  _mm256_storeu_ps(wp, s);
  *n = _mm256_setzero_ps();
}

template <int MODE, bool TRACK, bool INEX, bool PROMO, int MR, int NV>
FP8SA_T256 void kernel32_avx2(const KArgs32& g, int r0, int v0, int k0, int k1, KState256* st) {
  constexpr int NA = MR * NV;
  const __m256i vmask = _mm256_set1_epi32(static_cast<int>(g.mask));
  const __m256i vlow = _mm256_set1_epi32(static_cast<int>(g.low));
  const __m256 vsplit = _mm256_set1_ps(g.split);
  const __m256 vabs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const int C = g.C, K = g.K;
  __m256 a[NA];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) a[i * NV + v] = _mm256_loadu_ps(g.acc + static_cast<size_t>((r0 + i) * C + 8 * (v0 + v)));
  __m256i inex[NV];
  for (int v = 0; v < NV; ++v) inex[v] = st->inex[(v0 + v) & 3];
  __m256 mx = st->mx;
  const float* arow = g.ap + static_cast<size_t>(r0) * static_cast<size_t>(K);
  int next_p = 0;
  if constexpr (PROMO) next_p = std::min(K - 1, (k0 / g.promote + 1) * g.promote - 1);
  for (int k = k0; k < k1; ++k) {
    const float* brow = g.bp + static_cast<size_t>(k) * static_cast<size_t>(C) + 8 * v0;
    __m256 b[NV];
    for (int v = 0; v < NV; ++v) b[v] = _mm256_loadu_ps(brow + 8 * v);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m256 av = _mm256_broadcast_ss(arow + static_cast<size_t>(i) * static_cast<size_t>(K) + static_cast<size_t>(k));
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        const int j = i * NV + v;
        const __m256 x = _mm256_fmadd_ps(av, b[v], a[j]);
        if constexpr (INEX) inex[v] = _mm256_or_si256(inex[v], _mm256_and_si256(_mm256_castps_si256(x), vlow));
        if constexpr (MODE == kRne) {
          __m256 gm = _mm256_mul_ps(x, vsplit);
          // (AVX2's mul and add are plain vector operators in GCC's headers,
          // which it would contract into an fma, rounding once instead of
          // twice: the empty asm keeps gm a rounded product.)
          asm("" : "+x"(gm));
          a[j] = _mm256_add_ps(gm, _mm256_sub_ps(x, gm));
          if constexpr (TRACK) mx = _mm256_max_ps(mx, _mm256_and_ps(x, vabs));
        } else {
          a[j] = _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(x), vmask));
        }
      }
    }
    if constexpr (PROMO) {
      if (k == next_p) {
        // GCC does not order FP operations against MXCSR writes: the
        // accumulators pass through volatile asm statements (ordered with
        // the ldmxcsr) on their way in and out of the RNE section.
        for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
        const unsigned csr = _mm_getcsr();
        _mm_setcsr(0x1F80u);  // RNE, flags clear
        for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
        for (int i = 0; i < MR; ++i)
          for (int v = 0; v < NV; ++v)
            promote8(g.w + static_cast<size_t>((r0 + i) * C + 8 * (v0 + v)), &a[i * NV + v], g.unscale, st, v0 + v);
        for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
        _mm_setcsr(csr);  // the kernel's rounding and flags (the promotion's are tracked in st)
        for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
        next_p = std::min(K - 1, next_p + g.promote);
      }
    }
  }
  for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(g.acc + static_cast<size_t>((r0 + i) * C + 8 * (v0 + v)), a[i * NV + v]);
  for (int v = 0; v < NV; ++v) {
    asm volatile("" : "+x"(inex[v]));
    st->inex[(v0 + v) & 3] = inex[v];
  }
  asm volatile("" : "+x"(mx));
  st->mx = mx;
}

using Kernel256Fn = void (*)(const KArgs32&, int, int, int, int, KState256*);

// fn[track][inex], blocks of 4 rows x 2 vectors (8 accumulators of the 16 ymm).
template <bool PROMO>
void pick32_avx2(Round rnd, Kernel256Fn fn[2][2]) {
  if (rnd == Round::RNE) {
    fn[0][0] = &kernel32_avx2<kRne, false, false, PROMO, 4, 2>;
    fn[0][1] = &kernel32_avx2<kRne, false, true, PROMO, 4, 2>;
    fn[1][0] = &kernel32_avx2<kRne, true, false, PROMO, 4, 2>;
    fn[1][1] = &kernel32_avx2<kRne, true, true, PROMO, 4, 2>;
  } else {
    fn[0][0] = fn[1][0] = &kernel32_avx2<kRz, false, false, PROMO, 4, 2>;
    fn[0][1] = fn[1][1] = &kernel32_avx2<kRz, false, true, PROMO, 4, 2>;
  }
}

// RNE and RZ on binary64 lanes on AVX2 (4 PEs per ymm; P.avx2 without
// use32: RNE with Y outside binary32's [W - 1, 11], RZ with Y = 23 on COLS
// not a multiple of 16, and both on binary64 super-tiles; promotion or
// not): kernel's kRne and kRz arithmetic, blocks of 4 rows x 2 vectors (8
// lanes). TRACK (RNE): max |x| as there. INEX: x's bits below the kept LSB
// ORed into st->inex[(q0 + q) % 4], vector q0 + q's lanes (on a super-tile
// of 16 virtual columns, lane 4 v + l of st->inex is virtual column 4 v + l;
// RNE: x is exact there, so they are the lane's inexactness, kernel's
// RINEX). PROMO: promote4d every promote_n MACs and after the last.
struct KState256d {
  __m256d mx;
  __m256i inex[4];
  bool rare = false;                // promotion met Inf/NaN or overflowed binary32
  uint8_t pinex[4] = {0, 0, 0, 0};  // lanes whose promotion was inexact, per vector (as inex)
};

// promote8 (the AVX-512 kernel's) on 4 binary64 lanes with MXCSR in RNE
// (promote_block64 sets it): w += n 2^-S (exact scaling) in binary64, its
// TwoSum error and the rounding to binary32 for inexactness, Inf / NaN /
// binary32 overflow as rare. The results pass through volatile asm
// statements so that GCC keeps them before the MXCSR write that follows.
FP8SA_T256 inline void promote4d(double* wp, __m256d* n, double unscale, KState256d* st, int vec) {
  const __m256d w = _mm256_loadu_pd(wp);
  __m256d nv = _mm256_mul_pd(*n, _mm256_set1_pd(unscale));  // exact
  asm("" : "+x"(nv));  // (not contracted into the sum's fma: err reads nv)
  const __m256d s = _mm256_add_pd(w, nv);
  const __m256d bb = _mm256_sub_pd(s, w);
  const __m256d aa = _mm256_sub_pd(s, bb);
  __m256d err = _mm256_add_pd(_mm256_sub_pd(w, aa), _mm256_sub_pd(nv, bb));
  __m256d rd = _mm256_cvtps_pd(_mm256_cvtpd_ps(s));
  asm volatile("" : "+x"(err), "+x"(rd));
  const __m256d inexv = _mm256_or_pd(_mm256_cmp_pd(err, _mm256_setzero_pd(), _CMP_NEQ_UQ), _mm256_cmp_pd(rd, s, _CMP_NEQ_UQ));
  const __m256d absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFll));
  const int bad = _mm256_movemask_pd(_mm256_cmp_pd(_mm256_and_pd(rd, absmask), _mm256_set1_pd(HUGE_VAL), _CMP_NLT_UQ));
  st->pinex[vec & 3] = static_cast<uint8_t>(st->pinex[vec & 3] | _mm256_movemask_pd(inexv));
  if (bad != 0) st->rare = true;
  _mm256_storeu_pd(wp, rd);
  *n = _mm256_setzero_pd();
}

// The promotion of a block's 4 rows x 2 vectors (at row r0, vector q0),
// MXCSR switched to RNE with its flags cleared and back to the kernel's
// rounding and flags (AVX2 has no per-instruction rounding; the
// promotion's inexactness is tracked in st), as kernel32_avx2 does.
FP8SA_T256 inline void promote_block64(const KArgs& g, int r0, int q0, __m256d* a, KState256d* st) {
  constexpr int NA = 8;
  for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(0x1F80u);  // RNE, flags clear
  for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
  for (int i = 0; i < 4; ++i)
    for (int q = 0; q < 2; ++q)
      promote4d(g.w + static_cast<size_t>((r0 + i) * g.C + 4 * (q0 + q)), &a[i * 2 + q], g.unscale, st, q0 + q);
  for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
  _mm_setcsr(csr);
  for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
}

template <int MODE, bool TRACK, bool INEX, bool PROMO>
FP8SA_T256 void kernel64_avx2(const KConst& kq, const KArgs& g, int r0, int q0, int k0, int k1, KState256d* st) {
  constexpr int MR = 4, NQ = 2, NA = MR * NQ;
  const __m256d vsplit = _mm256_set1_pd(kq.split);
  const __m256i vmask = _mm256_set1_epi64x(static_cast<int64_t>(kq.mask));
  const __m256i vlow = _mm256_set1_epi64x(static_cast<int64_t>(kq.low));
  __m256i inex[2] = {st->inex[q0 & 3], st->inex[(q0 + 1) & 3]};
  const __m256d vabs = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFll));
  const int C = g.C, K = g.K;
  __m256d a[NA];
  for (int i = 0; i < MR; ++i)
    for (int q = 0; q < NQ; ++q) a[i * NQ + q] = _mm256_loadu_pd(g.acc + static_cast<size_t>((r0 + i) * C + 4 * (q0 + q)));
  __m256d mx = st->mx;
  const double* arow = g.ap + static_cast<size_t>(r0) * static_cast<size_t>(K);
  int next_p = 0;
  if constexpr (PROMO) next_p = std::min(K - 1, (k0 / g.promote + 1) * g.promote - 1);
  for (int k = k0; k < k1; ++k) {
    const double* brow = g.bp + static_cast<size_t>(k) * static_cast<size_t>(C) + 4 * q0;
    __m256d b[NQ];
    for (int q = 0; q < NQ; ++q) b[q] = _mm256_loadu_pd(brow + 4 * q);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256d av = _mm256_broadcast_sd(arow + static_cast<size_t>(i) * static_cast<size_t>(K) + static_cast<size_t>(k));
#pragma GCC unroll 2
      for (int q = 0; q < NQ; ++q) {
        const int j = i * NQ + q;
        const __m256d x = _mm256_fmadd_pd(av, b[q], a[j]);
        if constexpr (INEX) inex[q] = _mm256_or_si256(inex[q], _mm256_and_si256(_mm256_castpd_si256(x), vlow));
        if constexpr (MODE == kRz) {
          a[j] = _mm256_castsi256_pd(_mm256_and_si256(_mm256_castpd_si256(x), vmask));
        } else {
          __m256d gm = _mm256_mul_pd(x, vsplit);
          asm("" : "+x"(gm));  // a rounded product, not contracted into an fma (kernel32_avx2)
          a[j] = _mm256_add_pd(gm, _mm256_sub_pd(x, gm));
          if constexpr (TRACK) mx = _mm256_max_pd(mx, _mm256_and_pd(x, vabs));
        }
      }
    }
    if constexpr (PROMO) {
      if (k == next_p) {
        promote_block64(g, r0, q0, a, st);
        next_p = std::min(K - 1, next_p + g.promote);
      }
    }
  }
  for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
  for (int i = 0; i < MR; ++i)
    for (int q = 0; q < NQ; ++q) _mm256_storeu_pd(g.acc + static_cast<size_t>((r0 + i) * C + 4 * (q0 + q)), a[i * NQ + q]);
  asm volatile("" : "+x"(mx), "+x"(inex[0]), "+x"(inex[1]));
  st->mx = mx;
  st->inex[q0 & 3] = inex[0];
  st->inex[(q0 + 1) & 3] = inex[1];
}

using Kernel256dFn = void (*)(const KConst&, const KArgs&, int, int, int, int, KState256d*);

// SR on binary64 lanes on AVX2 (P.avx2 without use32: Y + R beyond
// binary32's lanes, COLS a multiple of 8, and binary64 super-tiles;
// promotion or not): kernel's kSr arithmetic on 4 PEs per ymm, blocks of 4
// rows x 2 vectors; g.words is the ring at row r0 (Ring::at(0, r0)). The
// funnel shift (or, ONE, the rotate) as two variable shifts (a count of 64
// shifts in zeros), masks as compares. TRACK: x's bits below the kept LSB
// ORed into st->inex[(q0 + q) % 4], as kernel64_avx2's INEX (per lane on a
// super-tile's 16 virtual columns). PROMO: as kernel64_avx2.
template <int KIND, bool TRACK, bool ONE, bool PROMO>
FP8SA_T256 void kernel64_sr_avx2(const KConst& kq, const KArgs& g, int r0, int q0, int k0, int k1, KState256d* st) {
  constexpr int MR = 4, NQ = 2, NA = MR * NQ;
  const __m256i vmask = _mm256_set1_epi64x(static_cast<int64_t>(kq.mask));
  const __m256i vlow = _mm256_set1_epi64x(static_cast<int64_t>(kq.low));
  const __m256i vmaskr = _mm256_set1_epi64x(static_cast<int64_t>(kq.maskr));
  const __m256i vl1 = _mm256_set1_epi64x(static_cast<int64_t>(kq.l1));
  const __m256i vhalfm1 = _mm256_set1_epi64x(static_cast<int64_t>(kq.halfm1));
  const __m256i vwlsb = _mm256_set1_epi64x(static_cast<int64_t>(kq.wlsb));
  const __m256i one = _mm256_set1_epi64x(1);
  const __m256i zero = _mm256_setzero_si256();
  const int C = g.C, K = g.K;
  __m256d a[NA];
  for (int i = 0; i < MR; ++i)
    for (int q = 0; q < NQ; ++q) a[i * NQ + q] = _mm256_loadu_pd(g.acc + static_cast<size_t>((r0 + i) * C + 4 * (q0 + q)));
  __m256i inex[2] = {st->inex[q0 & 3], st->inex[(q0 + 1) & 3]};
  const double* arow = g.ap + static_cast<size_t>(r0) * static_cast<size_t>(K);
  int next_p = 0;
  if constexpr (PROMO) next_p = std::min(K - 1, (k0 / g.promote + 1) * g.promote - 1);
  for (int k = k0; k < k1; ++k) {
    const double* brow = g.bp + static_cast<size_t>(k) * static_cast<size_t>(C) + 4 * q0;
    __m256d b[NQ];
    for (int q = 0; q < NQ; ++q) b[q] = _mm256_loadu_pd(brow + 4 * q);
    const int kk = k - k0;
    const uint64_t* whi = g.words + g.hi_off[kk];
    const uint64_t* wlo = g.words + g.lo_off[kk];
    const __m256i cl = _mm256_set1_epi64x(g.cnt[kk]);
    const __m256i cr = _mm256_set1_epi64x(64 - g.cnt[kk]);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256d av = _mm256_broadcast_sd(arow + static_cast<size_t>(i) * static_cast<size_t>(K) + static_cast<size_t>(k));
#pragma GCC unroll 2
      for (int q = 0; q < NQ; ++q) {
        const int j = i * NQ + q;
        const __m256i xi = _mm256_castpd_si256(_mm256_fmadd_pd(av, b[q], a[j]));  // MXCSR: toward zero
        const size_t lane = static_cast<size_t>(i * C + 4 * (q0 + q));
        const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(whi + lane));
        const __m256i lo = ONE ? hi : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wlo + lane));
        const __m256i tw = _mm256_or_si256(_mm256_sllv_epi64(hi, cl), _mm256_srlv_epi64(lo, cr));  // u in [s-1, s-R]
        __m256i rr = _mm256_andnot_si256(tw, vmaskr);  // v = 2^R - 1 - u
        __m256i z = xi;
        if constexpr (KIND == 0) {
          rr = _mm256_or_si256(rr, _mm256_and_si256(_mm256_cmpeq_epi64(_mm256_and_si256(tw, vwlsb), zero), vl1));
        } else if constexpr (KIND == 2) {
          rr = _mm256_or_si256(rr, vhalfm1);
          z = _mm256_add_epi64(_mm256_add_epi64(xi, one), _mm256_cmpeq_epi64(_mm256_and_si256(xi, vwlsb), zero));
        }
        if constexpr (TRACK) inex[q] = _mm256_or_si256(inex[q], _mm256_and_si256(xi, vlow));
        a[j] = _mm256_castsi256_pd(_mm256_and_si256(_mm256_add_epi64(z, rr), vmask));
      }
    }
    if constexpr (PROMO) {
      if (k == next_p) {
        promote_block64(g, r0, q0, a, st);
        next_p = std::min(K - 1, next_p + g.promote);
      }
    }
  }
  for (int j = 0; j < NA; ++j) asm volatile("" : "+x"(a[j]));
  for (int i = 0; i < MR; ++i)
    for (int q = 0; q < NQ; ++q) _mm256_storeu_pd(g.acc + static_cast<size_t>((r0 + i) * C + 4 * (q0 + q)), a[i * NQ + q]);
  asm volatile("" : "+x"(inex[0]), "+x"(inex[1]));
  st->inex[q0 & 3] = inex[0];
  st->inex[(q0 + 1) & 3] = inex[1];
}

using KernelSr256dFn = Kernel256dFn;

template <int KIND, bool PROMO>
void pick_sr64_avx2_kind(bool one, KernelSr256dFn fn[2]) {
  fn[0] = one ? &kernel64_sr_avx2<KIND, false, true, PROMO> : &kernel64_sr_avx2<KIND, false, false, PROMO>;
  fn[1] = one ? &kernel64_sr_avx2<KIND, true, true, PROMO> : &kernel64_sr_avx2<KIND, true, false, PROMO>;
}

// fn[track] for the SR kind
template <bool PROMO>
void pick_sr64_avx2(SrKind kind, bool one, KernelSr256dFn fn[2]) {
  switch (kind) {
    case SrKind::Trunc: pick_sr64_avx2_kind<1, PROMO>(one, fn); break;
    case SrKind::Src: pick_sr64_avx2_kind<2, PROMO>(one, fn); break;
    default: pick_sr64_avx2_kind<0, PROMO>(one, fn); break;
  }
}

// fn64[track] for plain tiles (RZ: the dropped bits tracked throughout) and
// fs64[track][inex] for super-tiles, RNE or RZ.
template <bool PROMO>
void pick64_avx2(Round rnd, Kernel256dFn fn64[2], Kernel256dFn fs64[2][2]) {
  if (rnd == Round::RZ) {
    fn64[0] = fn64[1] = &kernel64_avx2<kRz, false, true, PROMO>;
    fs64[0][0] = fs64[1][0] = &kernel64_avx2<kRz, false, false, PROMO>;
    fs64[0][1] = fs64[1][1] = &kernel64_avx2<kRz, false, true, PROMO>;
  } else {
    fn64[0] = &kernel64_avx2<kRne, false, false, PROMO>;
    fn64[1] = &kernel64_avx2<kRne, true, false, PROMO>;
    fs64[0][0] = &kernel64_avx2<kRne, false, false, PROMO>;
    fs64[0][1] = &kernel64_avx2<kRne, false, true, PROMO>;
    fs64[1][0] = &kernel64_avx2<kRne, true, false, PROMO>;
    fs64[1][1] = &kernel64_avx2<kRne, true, true, PROMO>;
  }
}

// ---- SR on binary32 lanes (P.sr32: COLS a multiple of 16 or 8, Y + R <= 23 for
// mid and trunc, Y + R <= 21 for src); the file comment, "SR on binary32
// lanes".

struct KArgsSr32 {
  const float* ap;  // the tile's A rows, scaled by 2^Sa, per row block of MR rows: [k][MR]
  const float* bp;  // the tile's B panel: K x C, scaled by 2^Sb
  int K, C;
  float* acc;     // Rp x C, scaled
  float* w;       // promotion: Rp x C, binary32 values
  float unscale;  // 2^-S
  int promote;
  uint32_t mask, low, maskr, l1, halfm1, wlsb;
  const uint32_t* words;  // the row block's word ring (32-bit words; a row: [vector][MR rows][16 lanes])
  const size_t* hi_off;   // per k of the chunk: the row holding the draw's first bit
  const size_t* lo_off;   // per k: that row or the next
  const int64_t* cnt;     // per k: the funnel shift
};

// KIND: 0 mid, 1 trunc, 2 src, 3 mid with Y + R = 23 (the window's LSB is
// bit 0, the jammed sticky itself: mid is trunc of the jammed sum). INEX: the
// jammed sum's bits below the kept LSB ORed into st->inex[0] (mid, src: the
// tile's inexactness exactly; trunc: with MXCSR's inexact flag).
// PAIR (COLS 8): a vector holds PE rows 2i and 2i + 1 (lane 2c + h), A's
// two values broadcast as one 64-bit pair.
template <int KIND, bool INEX, bool PROMO, int MR, bool PAIR>
FP8SA_T512 void kernel_sr32(const KArgsSr32& g, int r0, int v0, int k0, int k1, KState32* st) {
  const __m512i vmask = _mm512_set1_epi32(static_cast<int>(g.mask));
  const __m512i vlow = _mm512_set1_epi32(static_cast<int>(g.low));
  const __m512i vmaskr = _mm512_set1_epi32(static_cast<int>(g.maskr));
  const __m512i vl1 = _mm512_set1_epi32(static_cast<int>(g.l1));
  const __m512i vhalfm1 = _mm512_set1_epi32(static_cast<int>(g.halfm1));
  const __m512i vwlsb = _mm512_set1_epi32(static_cast<int>(g.wlsb));
  const __m512i one = _mm512_set1_epi32(1);
  const int C = g.C, K = g.K;
  __m512 a[MR];
  for (int i = 0; i < MR; ++i) a[i] = _mm512_loadu_ps(g.acc + static_cast<size_t>((r0 + i) * C + 16 * v0));
  __m512i inex = st->inex[0];
  // (A packed [k][MR] and the ring's lanes [vector][row][16]: constant
  // offsets from one pointer each, where per-row pointers ran out of
  // registers)
  constexpr int G = PAIR ? 2 : 1;
  const float* ablk = g.ap + static_cast<size_t>(r0) * G * static_cast<size_t>(K);
  const size_t voff = static_cast<size_t>(v0) * MR * 16;
  int next_p = 0;
  if constexpr (PROMO) next_p = std::min(K - 1, (k0 / g.promote + 1) * g.promote - 1);
  for (int k = k0; k < k1; ++k) {
    const __m512 b = _mm512_loadu_ps(g.bp + static_cast<size_t>(k) * static_cast<size_t>(C) + 16 * v0);
    const int kk = k - k0;
    const uint32_t* whi = g.words + g.hi_off[kk] + voff;
    const uint32_t* wlo = g.words + g.lo_off[kk] + voff;
    const float* ak = ablk + static_cast<size_t>(k) * MR * G;
    const __m512i cnt = _mm512_set1_epi32(static_cast<int>(g.cnt[kk]));
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      __m512 av;
      if constexpr (PAIR) {
        double ab;
        std::memcpy(&ab, ak + 2 * i, 8);
        av = _mm512_castpd_ps(_mm512_set1_pd(ab));
      } else {
        av = _mm512_set1_ps(ak[i]);
      }
      // MXCSR: round down (mid, src) or toward zero (trunc)
      const __m512 xd = _mm512_fmadd_ps(av, b, a[i]);
      __m512i z;
      if constexpr (KIND == 1) {
        z = _mm512_castps_si512(xd);
      } else {
        // the exact sum rounded to odd at bit 0: RZ with bit 0 ORed with
        // "inexact", which is whichever of RD and RU is odd (RU if neither:
        // exact, or an exact zero, whose sign RU gives as the spec does)
        const __m512 xu = _mm512_fmadd_round_ps(av, b, a[i], _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
        const __mmask16 odd = _mm512_test_epi32_mask(_mm512_castps_si512(xd), one);
        z = _mm512_mask_blend_epi32(odd, _mm512_castps_si512(xu), _mm512_castps_si512(xd));
      }
      // (before src's rounding of the window, which moves the low bits)
      if constexpr (INEX) inex = _mm512_ternarylogic_epi32(inex, z, vlow, 0xF8);
      const size_t lane = static_cast<size_t>(i) * 16;
      const __m512i tw = _mm512_shldv_epi32(_mm512_loadu_si512(whi + lane), _mm512_loadu_si512(wlo + lane), cnt);
      __m512i rr;
      if constexpr (KIND == 2) {
        rr = _mm512_ternarylogic_epi32(tw, vmaskr, vhalfm1, 0xAE);  // v | (half - 1)
        const __mmask16 lsb = _mm512_test_epi32_mask(z, vwlsb);
        z = _mm512_mask_add_epi32(z, lsb, z, one);
      } else {
        rr = _mm512_andnot_si512(tw, vmaskr);  // v = 2^R - 1 - u
        if constexpr (KIND == 0) {
          const __mmask16 vlsb = _mm512_testn_epi32_mask(tw, vwlsb);
          rr = _mm512_mask_or_epi32(rr, vlsb, rr, vl1);
        }
      }
      a[i] = _mm512_castsi512_ps(_mm512_and_si512(_mm512_add_epi32(z, rr), vmask));
    }
    if constexpr (PROMO) {
      if (k == next_p) {
        for (int i = 0; i < MR; ++i) promote16(g.w + static_cast<size_t>((r0 + i) * C + 16 * v0), &a[i], g.unscale, st, 0);
        next_p = std::min(K - 1, next_p + g.promote);
      }
    }
  }
  for (int i = 0; i < MR; ++i) asm volatile("" : "+v"(a[i]));
  for (int i = 0; i < MR; ++i) _mm512_storeu_ps(g.acc + static_cast<size_t>((r0 + i) * C + 16 * v0), a[i]);
  asm volatile("" : "+v"(inex));
  st->inex[0] = inex;
}

using KernelSr32Fn = void (*)(const KArgsSr32&, int, int, int, int, KState32*);

template <int KIND, bool PROMO>
void pick_sr32_kind(bool pair, KernelSr32Fn fn[2]) {
  fn[0] = pair ? &kernel_sr32<KIND, false, PROMO, 4, true> : &kernel_sr32<KIND, false, PROMO, 8, false>;
  fn[1] = pair ? &kernel_sr32<KIND, true, PROMO, 4, true> : &kernel_sr32<KIND, true, PROMO, 8, false>;
}

// fn[inex] for the plan's SR kind (kind: 0 mid, 1 trunc, 2 src, 3 mid with
// Y + R = 23) and promotion.
void pick_sr32(int kind, bool promo, bool pair, KernelSr32Fn fn[2]) {
  switch (kind) {
    case 1: promo ? pick_sr32_kind<1, true>(pair, fn) : pick_sr32_kind<1, false>(pair, fn); break;
    case 2: promo ? pick_sr32_kind<2, true>(pair, fn) : pick_sr32_kind<2, false>(pair, fn); break;
    case 3: promo ? pick_sr32_kind<3, true>(pair, fn) : pick_sr32_kind<3, false>(pair, fn); break;
    default: promo ? pick_sr32_kind<0, true>(pair, fn) : pick_sr32_kind<0, false>(pair, fn); break;
  }
}

// kernel_sr32 on AVX2 (a CPU without AVX-512): half h of each 16-lane
// vector of the ring's layout (lanes 8h .. 8h + 7), MR accumulators of 8
// lanes. The same arithmetic on the same lanes; what AVX-512 does in one
// instruction, in two or three: RU_24(x) as -RD_24(-x) (fnmsub in MXCSR's
// round-down; the negation stays outside the fma: the empty asm), the
// funnel shift as two variable shifts (a count of 32 shifts in zeros), and
// masks as compares. PROMO switches MXCSR to RNE around the promotion, as
// kernel32_avx2 does.
template <int KIND, bool INEX, bool PROMO, int MR, bool PAIR>
FP8SA_T256 void kernel_sr32_avx2(const KArgsSr32& g, int r0, int v0, int h, int k0, int k1, KState256* st) {
  const __m256i vmask = _mm256_set1_epi32(static_cast<int>(g.mask));
  const __m256i vlow = _mm256_set1_epi32(static_cast<int>(g.low));
  const __m256i vmaskr = _mm256_set1_epi32(static_cast<int>(g.maskr));
  const __m256i vl1 = _mm256_set1_epi32(static_cast<int>(g.l1));
  const __m256i vhalfm1 = _mm256_set1_epi32(static_cast<int>(g.halfm1));
  const __m256i vwlsb = _mm256_set1_epi32(static_cast<int>(g.wlsb));
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i zero = _mm256_setzero_si256();
  const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(0x80000000u)));
  const int C = g.C, K = g.K;
  const size_t col = static_cast<size_t>(16 * v0 + 8 * h);
  __m256 a[MR];
  for (int i = 0; i < MR; ++i) a[i] = _mm256_loadu_ps(g.acc + static_cast<size_t>(r0 + i) * static_cast<size_t>(C) + col);
  __m256i inex = st->inex[h];
  constexpr int G = PAIR ? 2 : 1;
  const float* ablk = g.ap + static_cast<size_t>(r0) * G * static_cast<size_t>(K);
  const size_t voff = static_cast<size_t>(v0) * MR * 16 + static_cast<size_t>(8 * h);
  int next_p = 0;
  if constexpr (PROMO) next_p = std::min(K - 1, (k0 / g.promote + 1) * g.promote - 1);
  for (int k = k0; k < k1; ++k) {
    const __m256 b = _mm256_loadu_ps(g.bp + static_cast<size_t>(k) * static_cast<size_t>(C) + col);
    const int kk = k - k0;
    const uint32_t* whi = g.words + g.hi_off[kk] + voff;
    const uint32_t* wlo = g.words + g.lo_off[kk] + voff;
    const float* ak = ablk + static_cast<size_t>(k) * MR * G;
    const __m256i cl = _mm256_set1_epi32(static_cast<int>(g.cnt[kk]));
    const __m256i cr = _mm256_set1_epi32(static_cast<int>(32 - g.cnt[kk]));
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      __m256 av;
      if constexpr (PAIR) {
        double ab;
        std::memcpy(&ab, ak + 2 * i, 8);
        av = _mm256_castpd_ps(_mm256_set1_pd(ab));
      } else {
        av = _mm256_broadcast_ss(ak + i);
      }
      // MXCSR: round down (mid, src) or toward zero (trunc)
      const __m256 xd = _mm256_fmadd_ps(av, b, a[i]);
      __m256i z;
      if constexpr (KIND == 1) {
        z = _mm256_castps_si256(xd);
      } else {
        // RU_24(x) = -RD_24(-x), exact zeros included (RD's zero of
        // opposite terms is -0, negated +0: RU's)
        __m256 nu = _mm256_fnmsub_ps(av, b, a[i]);
        asm("" : "+x"(nu));
        const __m256 xu = _mm256_xor_ps(nu, sign);
        // whichever of RD and RU is odd (RU if neither)
        const __m256 odd = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(xd), 31));
        z = _mm256_castps_si256(_mm256_blendv_ps(xu, xd, odd));
      }
      if constexpr (INEX) inex = _mm256_or_si256(inex, _mm256_and_si256(z, vlow));
      const size_t lane = static_cast<size_t>(i) * 16;
      const __m256i tw =
          _mm256_or_si256(_mm256_sllv_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(whi + lane)), cl),
                          _mm256_srlv_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(wlo + lane)), cr));
      __m256i rr = _mm256_andnot_si256(tw, vmaskr);  // v = 2^R - 1 - u
      if constexpr (KIND == 2) {
        rr = _mm256_or_si256(rr, vhalfm1);
        // z + 1 where the window's LSB is set
        z = _mm256_add_epi32(_mm256_add_epi32(z, one), _mm256_cmpeq_epi32(_mm256_and_si256(z, vwlsb), zero));
      } else if constexpr (KIND == 0) {
        rr = _mm256_or_si256(rr, _mm256_and_si256(_mm256_cmpeq_epi32(_mm256_and_si256(tw, vwlsb), zero), vl1));
      }
      a[i] = _mm256_castsi256_ps(_mm256_and_si256(_mm256_add_epi32(z, rr), vmask));
    }
    if constexpr (PROMO) {
      if (k == next_p) {
        for (int i = 0; i < MR; ++i) asm volatile("" : "+x"(a[i]));
        const unsigned csr = _mm_getcsr();
        _mm_setcsr(0x1F80u);  // RNE, flags clear
        for (int i = 0; i < MR; ++i) asm volatile("" : "+x"(a[i]));
        for (int i = 0; i < MR; ++i)
          promote8(g.w + static_cast<size_t>(r0 + i) * static_cast<size_t>(C) + col, &a[i], g.unscale, st, h);
        for (int i = 0; i < MR; ++i) asm volatile("" : "+x"(a[i]));
        _mm_setcsr(csr);
        for (int i = 0; i < MR; ++i) asm volatile("" : "+x"(a[i]));
        next_p = std::min(K - 1, next_p + g.promote);
      }
    }
  }
  for (int i = 0; i < MR; ++i) asm volatile("" : "+x"(a[i]));
  for (int i = 0; i < MR; ++i) _mm256_storeu_ps(g.acc + static_cast<size_t>(r0 + i) * static_cast<size_t>(C) + col, a[i]);
  asm volatile("" : "+x"(inex));
  st->inex[h] = inex;
}

using KernelSr256Fn = void (*)(const KArgsSr32&, int, int, int, int, int, KState256*);

template <int KIND, bool PROMO>
void pick_sr32_avx2_kind(bool pair, KernelSr256Fn fn[2]) {
  fn[0] = pair ? &kernel_sr32_avx2<KIND, false, PROMO, 4, true> : &kernel_sr32_avx2<KIND, false, PROMO, 8, false>;
  fn[1] = pair ? &kernel_sr32_avx2<KIND, true, PROMO, 4, true> : &kernel_sr32_avx2<KIND, true, PROMO, 8, false>;
}

void pick_sr32_avx2(int kind, bool promo, bool pair, KernelSr256Fn fn[2]) {
  switch (kind) {
    case 1: promo ? pick_sr32_avx2_kind<1, true>(pair, fn) : pick_sr32_avx2_kind<1, false>(pair, fn); break;
    case 2: promo ? pick_sr32_avx2_kind<2, true>(pair, fn) : pick_sr32_avx2_kind<2, false>(pair, fn); break;
    case 3: promo ? pick_sr32_avx2_kind<3, true>(pair, fn) : pick_sr32_avx2_kind<3, false>(pair, fn); break;
    default: promo ? pick_sr32_avx2_kind<0, true>(pair, fn) : pick_sr32_avx2_kind<0, false>(pair, fn); break;
  }
}

constexpr long kRing = 128;  // word rows kept per worker (a power of 2 above lfsr_w + a chunk's rows + 2)
// The word ring's layout: one ring per row block of the kernel (mr rows x
// cw columns of lanes), kRing rows each, a row's stride its lanes and one
// cache line more. Per block, so that the rows gen_words reads (up to
// lfsr_w rows back) stay in L1 (one ring of 16 x 16 lanes had 2 KiB rows:
// 64 KiB back, from L2); the extra line spreads the rows over L1's sets.
struct Ring {
  int mr, cw;
  size_t bls, blk;  // row stride, block size (words)
  size_t size(int rp) const { return static_cast<size_t>(rp / mr) * blk; }
  // row m of PE row r's block, at r's first lane
  size_t at(long m, int r) const {
    return static_cast<size_t>(r / mr) * blk + static_cast<size_t>(m & (kRing - 1)) * bls +
           static_cast<size_t>((r % mr) * cw);
  }
};
inline Ring make_ring(int mr, int cw) {
  const size_t bls = static_cast<size_t>(mr * cw) + 8;
  return Ring{mr, cw, bls, static_cast<size_t>(kRing) * bls};
}

// Word rows [from, to) of lanes [l0, l1) in the ring: row m = XOR over taps
// t of row m - t.
FP8SA_T512 void gen_words(uint64_t* ring, size_t lp, long from, long to, size_t l0, size_t l1,
                          const std::vector<int>& taps) {
  auto row = [&](long m) { return ring + static_cast<size_t>(m & (kRing - 1)) * lp; };
  for (long m = from; m < to; ++m) {
    uint64_t* dst = row(m);
    const uint64_t* s0 = row(m - taps[0]);
    const uint64_t* s1 = row(m - taps[1]);
    if (taps.size() == 2) {
      for (size_t l = l0; l < l1; l += 8) {
        _mm512_storeu_si512(dst + l, _mm512_xor_si512(_mm512_loadu_si512(s0 + l), _mm512_loadu_si512(s1 + l)));
      }
    } else {
      const uint64_t* s2 = row(m - taps[2]);
      const uint64_t* s3 = row(m - taps[3]);
      for (size_t l = l0; l < l1; l += 8) {
        const __m512i x = _mm512_ternarylogic_epi64(_mm512_loadu_si512(s0 + l), _mm512_loadu_si512(s1 + l),
                                                   _mm512_loadu_si512(s2 + l), 0x96);
        _mm512_storeu_si512(dst + l, _mm512_xor_si512(x, _mm512_loadu_si512(s3 + l)));
      }
    }
  }
}

// gen_words and gen_words_r12 on AVX2 (4 words a ymm; r12 keeps rows m - 1
// and m - 2 of 4 vectors in registers, of AVX2's 16).
FP8SA_T256 inline __m256i ld256(const uint64_t* q) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)); }
FP8SA_T256 void gen_words_avx2(uint64_t* ring, size_t lp, long from, long to, size_t l0, size_t l1,
                               const std::vector<int>& taps) {
  auto row = [&](long m) { return ring + static_cast<size_t>(m & (kRing - 1)) * lp; };
  for (long m = from; m < to; ++m) {
    uint64_t* dst = row(m);
    const uint64_t* s0 = row(m - taps[0]);
    const uint64_t* s1 = row(m - taps[1]);
    if (taps.size() == 2) {
      for (size_t l = l0; l < l1; l += 4) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + l), _mm256_xor_si256(ld256(s0 + l), ld256(s1 + l)));
      }
    } else {
      const uint64_t* s2 = row(m - taps[2]);
      const uint64_t* s3 = row(m - taps[3]);
      for (size_t l = l0; l < l1; l += 4) {
        const __m256i x = _mm256_xor_si256(_mm256_xor_si256(ld256(s0 + l), ld256(s1 + l)), _mm256_xor_si256(ld256(s2 + l), ld256(s3 + l)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + l), x);
      }
    }
  }
}

FP8SA_T256 void gen_words_r12_avx2(uint64_t* ring, size_t lp, long from, long to, size_t l0, size_t l1,
                                   const std::vector<int>& taps) {
  if (from >= to) return;
  auto row = [&](long m) { return ring + static_cast<size_t>(m & (kRing - 1)) * lp; };
  const long t0 = taps[0], t1 = taps[1];
  constexpr int NL = 4;
  for (size_t lb = l0; lb < l1; lb += 4 * NL) {
    const int nl = static_cast<int>(std::min<size_t>(NL, (l1 - lb) / 4));
    __m256i r1[NL], r2[NL];
    for (int v = 0; v < NL; ++v) {
      if (v < nl) {
        r1[v] = ld256(row(from - 1) + lb + 4 * v);
        r2[v] = ld256(row(from - 2) + lb + 4 * v);
      } else {
        r1[v] = r2[v] = _mm256_setzero_si256();
      }
    }
    for (long m = from; m < to; ++m) {
      const uint64_t* sa = row(m - t0) + lb;
      const uint64_t* sb = row(m - t1) + lb;
      uint64_t* d = row(m) + lb;
      for (int v = 0; v < nl; ++v) {
        const __m256i x = _mm256_xor_si256(_mm256_xor_si256(ld256(sa + 4 * v), ld256(sb + 4 * v)), r2[v]);
        r2[v] = r1[v];
        r1[v] = _mm256_xor_si256(x, r1[v]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 4 * v), r1[v]);
      }
    }
  }
}

}  // namespace

struct NarrowPlan {
  const GemmProblem& p;
  const ArrayConfig& cfg;
  int R, C, Rp, tn, nv;
  int Y, emin, emax, s, S, Sa, Sb;
  double maxfin;  // largest finite narrow value
  double growth;  // RNE: (1 + 2^-(Y+1))^K
  uint32_t mxcsr;
  std::vector<Line> rows, cols;
  std::vector<double> bpack;  // [tj][k][C], scaled by 2^Sb
  KConst kc;
  KernelFn fn_plain = nullptr, fn_track = nullptr;
  std::vector<int> taps;  // LFSR taps (words)
  // Binary32 lanes (use32): RZ, and RNE with Y in [W - 1, 11].
  bool use32 = false;
  int S32 = 0, Sa32 = 0, Sb32 = 0, mr32 = 16, nv32 = 1, Rp32 = 16;
  // Super-tiles: TPS consecutive tiles of a tile row side by side, CV = TPS
  // * C virtual columns (COLS a multiple of 16: TPS 1; COLS 1, 2, 4, 8: CV
  // 16 or 32), so that narrow arrays fill the vectors.
  int CV = 16, tps = 1;
  std::vector<float> bpack32;  // [tj][k][C], scaled by 2^Sb32
  Kernel32Fn fn32[2][2] = {{nullptr, nullptr}, {nullptr, nullptr}};  // [track][inex]
  // The same lanes on AVX2 (a CPU without AVX-512: RZ and RNE without
  // promotion, 8 lanes a vector, blocks of mr32 = 4 rows x nv32 = 2 vectors).
  bool avx2 = false;
  Kernel256Fn fn32a[2][2] = {{nullptr, nullptr}, {nullptr, nullptr}};  // [track][inex]
  Kernel256dFn fn64a[2] = {nullptr, nullptr};  // [track]: RNE or RZ on binary64 lanes (avx2 without use32)
  KernelSr256dFn fsr64a[2] = {nullptr, nullptr};  // [track]: SR on binary64 lanes (avx2 without use32)
  Kernel256dFn fs64a[2][2] = {{nullptr, nullptr}, {nullptr, nullptr}};  // [track][inex]: sup64 on avx2
  // Super-tiles on binary64 lanes (sup64: COLS 1, 2 or 4 where binary32
  // lanes do not apply): TPS = 16 / C tiles side by side in CV = 16 virtual
  // columns (bpack: [sj][k][16]), blocks of 4 rows x 2 vectors.
  bool sup64 = false;
  KernelFn fs64[2][2] = {{nullptr, nullptr}, {nullptr, nullptr}};  // [track][inex]
  // SR on super-tiles: lane (r, q, c) (virtual column q C + c) reads PE
  // (r, c)'s stream in the frame shifted by q K R bits (row m: bits
  // [64 m + q K R, +64)), so that one row offset and shift per k serve
  // every lane. jm[z][i]: the lanes of zmm z of a 16-lane row segment whose
  // jump from lane (r, 0, c) by q K R bits takes the stream shifted right by
  // i bits (file comment, "SR draws").
  __mmask8 jm[2][32] = {};
  __mmask8 jq[2] = {0, 0};  // lanes with q >= 1
  std::vector<uint64_t> jm64;  // the same on AVX2: [i][lane], all ones where jm has the lane
  // K R a multiple of 64 (wjump): every lane's frame moves on by whole rows
  // from one super-tile to the next, n K R / 64 rows after a super-tile of
  // n + 1 tiles; row m is then the XOR of rows m - n K R / 64 - i, i in
  // wset[n] (the same jump on rows: any frame's rows obey the recurrence).
  bool wjump = false;
  std::vector<int> wset[16];
  // SR on binary32 lanes (sr32; also use32, with CV = C, TPS 1, mr32 8):
  // kernel_sr32 [inex] and its constants.
  bool sr32 = false;
  int sr32_kind = 0;
  // rows per vector: 1, or 2 on COLS 8 (PE (r, c) in virtual row r / 2,
  // lane 2c + r % 2; CV = 16 virtual columns, Rp32 virtual rows)
  int sr_g = 1;
  KernelSr32Fn fsr32[2] = {nullptr, nullptr};
  KernelSr256Fn fsr32a[2] = {nullptr, nullptr};  // the same on AVX2 (avx2), per half vector
  uint32_t sr_maskr = 0, sr_l1 = 0, sr_halfm1 = 0, sr_wlsb = 0;
  NarrowPlan(const GemmProblem& pp, const ArrayConfig& cc) : p(pp), cfg(cc) {}
};

struct NarrowWorker {
  std::vector<double> ap, acc, w;
  std::vector<float> ap32, acc32, w32;
  // the last super-tile (binary32 lanes): its tiles' words, flags, taken
  int s_ti = -1, s_sj = -1;
  std::vector<uint32_t> s_vals;
  std::vector<uint8_t> s_flags, s_ok;
  long ati = -1;
  // SR word streams: a ring of kRing rows of Lp lanes; rows [gen - kRing, gen)
  // generated (gen_to: the chunk's target, row-block by row-block)
  std::vector<uint64_t> words;
  long gen = 0, gen_to = 0;
  bool valid = false;
  std::vector<size_t> hi_off, lo_off;
  std::vector<int64_t> cnt;
  // SR super-tiles: the tile after the last super-tile's, and that
  // super-tile's last lane group q (its frame continues into lane 0's)
  long s_next = -1;
  int s_qlast = 0;
  long s_row_lo = 0;  // the lowest ring row every lane holds
  // SR on binary32 lanes: the streams in 32-bit words, as words / gen /
  // gen_to / valid above
  std::vector<uint32_t> words32;
  std::vector<float> ap32t;  // ap32 per row block as [k][mr32]
  long apt_ti = -1;
  long gen32 = 0, gen32_to = 0;
  bool valid32 = false;
};

void NarrowPlanDeleter::operator()(NarrowPlan* p) const { delete p; }
void NarrowWorkerDeleter::operator()(NarrowWorker* w) const { delete w; }

// FP8SA_NO_AVX512 set (to anything) in the environment: as on a CPU
// without AVX-512 (the AVX2 lanes below and the older kernels), so that the
// tests check those paths on any machine.
bool narrow512_cpu() {
  static const bool ok = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("fma") &&
           std::getenv("FP8SA_NO_AVX512") == nullptr;
  }();
  return ok;
}

namespace {
bool narrow256_cpu() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
}  // namespace

NarrowPlanPtr narrow512_prepare(const GemmProblem& p, const ArrayConfig& cfg, int threads,
                                void (*par)(long, int, void*, void (*)(void*, long))) {
  const int wprod = (p.fmt_a == Fp8Format::E4M3 ? 4 : 3) + (p.fmt_b == Fp8Format::E4M3 ? 4 : 3);
  const int Yacc = cfg.acc.man_bits;
  // (Super-tiles name each tile's inexact flag by the bits below the kept
  // LSB: none with Y = 23, so e8m23 RZ takes them only on COLS % 16 == 0.)
  const bool can32 = (cfg.cols % 16 == 0 || (16 % cfg.cols == 0 && Yacc < 23)) &&
                     (p.rnd == Round::RZ || (p.rnd == Round::RNE && Yacc >= wprod - 1 && Yacc <= 11));
  // SR on binary32 lanes: the window (R bits) and a sticky below it inside
  // binary32's 24 bits (src: the R + 1 bits and a sticky; file comment).
  const bool sr32 = p.rnd == Round::SR && (cfg.cols % 16 == 0 || cfg.cols == 8) &&
                    Yacc + cfg.sr_bits <= (cfg.sr_kind == SrKind::Src ? 21 : 23);
  // Binary64 super-tiles: COLS 1, 2 or 4 elsewhere (SR: while the lanes'
  // stream jumps, (TPS - 1) K R bits, stay cheap to derive).
  bool sup64 = !can32 && cfg.cols < 8 && 16 % cfg.cols == 0;
  if (sup64 && p.rnd == Round::SR &&
      static_cast<uint64_t>(16 / cfg.cols - 1) * static_cast<uint64_t>(p.K) * static_cast<uint64_t>(cfg.sr_bits) >
          (uint64_t{1} << 25)) {
    sup64 = false;
  }
  // Without AVX-512, on AVX2: binary32 lanes (RZ, and RNE with W - 1 <= Y
  // <= 11, and SR where sr32), and binary64 lanes elsewhere on COLS a
  // multiple of 8 and binary64 super-tiles (RNE, RZ and SR; promotion or
  // not).
  const bool avx512 = narrow512_cpu();
  const bool avx2 = !avx512 && narrow256_cpu() &&
                    (can32 || sr32 || cfg.cols % 8 == 0 || sup64);
  if (cfg.pe_kind != PeKind::Fma || (cfg.cols % 8 != 0 && !can32 && !sup64) || (!avx512 && !avx2)) return nullptr;
  if (cfg.acc == kFp32 && p.rnd == Round::RNE && cfg.promote_n == 0) return nullptr;
  NarrowPlanPtr pl(new NarrowPlan(p, cfg));
  NarrowPlan& P = *pl;
  P.R = cfg.rows;
  P.C = cfg.cols;
  P.sup64 = sup64;
  if (sup64) {
    P.CV = 16;
    P.tps = 16 / P.C;
  }
  P.nv = sup64 ? 2 : ((P.C / 8) % 2 == 0 ? 2 : 1);
  const int mr = P.nv == 2 ? 4 : 8;
  P.Rp = (P.R + mr - 1) / mr * mr;
  P.tn = (p.N + P.C - 1) / P.C;
  const AccFormat& f = cfg.acc;
  P.Y = f.man_bits;
  const int bias = f.bias();
  P.emin = 1 - bias;
  P.emax = bias;
  P.s = 52 - P.Y;
  P.S = p.rnd == Round::RNE ? 1023 - P.emax - 64 : 1023 - P.emax;
  P.Sa = P.S / 2;
  P.Sb = P.S - P.Sa;
  P.maxfin = std::ldexp(2.0 - std::ldexp(1.0, -P.Y), P.emax);
  P.growth = std::exp(static_cast<double>(p.K) * std::log1p(std::ldexp(1.0, -(P.Y + 1))));
  P.mxcsr = p.rnd == Round::RNE ? 0x1F80u : 0x7F80u;
  const int R = cfg.sr_bits;
  KConst& k = P.kc;
  k.s = P.s;
  k.sr_shift = P.s - R;
  k.mask = ~((uint64_t{1} << P.s) - 1u);
  k.low = (uint64_t{1} << P.s) - 1u;
  k.semask = 0xFFF0000000000000ull;
  k.cm = (static_cast<uint64_t>(P.s) << 52) | (uint64_t{1} << 51);
  k.maskr = ((uint64_t{1} << R) - 1u) << (P.s - R);
  k.l1 = (uint64_t{1} << (P.s - R)) - 1u;
  k.halfm1 = (uint64_t{1} << (P.s - R - 1)) - 1u;
  k.wlsb = uint64_t{1} << (P.s - R);
  k.split = std::ldexp(1.0, P.s) + 1.0;
  const bool promo = cfg.promote_n != 0;
  const bool one = 64 % R == 0;
  P.fn_plain = pick_kernel(p.rnd, cfg.sr_kind, false, promo, P.nv, one);
  P.fn_track = pick_kernel(p.rnd, cfg.sr_kind, true, promo, P.nv, one);
  if (avx2 && !can32 && !sr32) {
    // RNE, RZ or SR on binary64 lanes: blocks of 4 rows (Rp a multiple of 4 already)
    P.avx2 = true;
    if (p.rnd == Round::SR) {
      promo ? pick_sr64_avx2<true>(cfg.sr_kind, one, P.fsr64a) : pick_sr64_avx2<false>(cfg.sr_kind, one, P.fsr64a);
    } else {
      promo ? pick64_avx2<true>(p.rnd, P.fn64a, P.fs64a) : pick64_avx2<false>(p.rnd, P.fn64a, P.fs64a);
    }
  }
  if (p.rnd == Round::SR) {
    for (int t : Lfsr::taps(cfg.lfsr_w)) P.taps.push_back(t);
  }
  if (sup64) {
    if (promo) {
      one ? pick_super<true, true>(p.rnd, cfg.sr_kind, P.fs64) : pick_super<true, false>(p.rnd, cfg.sr_kind, P.fs64);
    } else {
      one ? pick_super<false, true>(p.rnd, cfg.sr_kind, P.fs64) : pick_super<false, false>(p.rnd, cfg.sr_kind, P.fs64);
    }
  }
  if (sup64 && p.rnd == Round::SR) {
    // The jumps by q K R bits (q = 1 .. TPS - 1): the sequence bit J past
    // position n as the XOR of bits n - i, i in [0, lw), found by running
    // the recurrence s_n = XOR over taps t of s_(n - t) on lw-bit masks
    // (mask bit j: bit n - (lw - 1 - j)).
    const int lw = cfg.lfsr_w;
    const uint64_t KR = static_cast<uint64_t>(p.K) * static_cast<uint64_t>(R);
    uint32_t v[64];
    for (int n = 0; n < lw; ++n) v[n] = 1u << n;
    uint32_t V[16] = {};
    uint64_t n = static_cast<uint64_t>(lw);
    for (int q = 1; q < P.tps; ++q) {
      const uint64_t target = static_cast<uint64_t>(lw - 1) + static_cast<uint64_t>(q) * KR;
      for (; n <= target; ++n) {
        uint32_t x = 0;
        for (int t : P.taps) x ^= v[(n - static_cast<uint64_t>(t)) & 63u];
        v[n & 63u] = x;
      }
      V[q] = v[target & 63u];
    }
    if (KR % 64u == 0) {
      P.wjump = true;
      for (int x = 0; x < lw; ++x) v[x] = 1u << x;
      const uint64_t J = KR / 64u;
      uint64_t n2 = static_cast<uint64_t>(lw);
      for (int q = 1; q < P.tps; ++q) {
        const uint64_t target = static_cast<uint64_t>(lw - 1) + static_cast<uint64_t>(q) * J;
        for (; n2 <= target; ++n2) {
          uint32_t x = 0;
          for (int t : P.taps) x ^= v[(n2 - static_cast<uint64_t>(t)) & 63u];
          v[n2 & 63u] = x;
        }
        for (int i = 0; i < lw; ++i)
          if (((v[target & 63u] >> (lw - 1 - i)) & 1u) != 0) P.wset[q].push_back(i);
      }
    }
    for (int z = 0; z < 2; ++z)
      for (int l = 0; l < 8; ++l) {
        const int q = (8 * z + l) / P.C;
        if (q == 0) continue;
        P.jq[z] = static_cast<__mmask8>(P.jq[z] | (1u << l));
        for (int i = 0; i < lw; ++i)
          if (((V[q] >> (lw - 1 - i)) & 1u) != 0) P.jm[z][i] = static_cast<__mmask8>(P.jm[z][i] | (1u << l));
      }
    P.jm64.assign(32 * 16, 0u);
    for (int i = 0; i < lw; ++i)
      for (int l = 0; l < 16; ++l)
        if (((P.jm[l / 8][i] >> (l % 8)) & 1u) != 0) P.jm64[static_cast<size_t>(i * 16 + l)] = ~uint64_t{0};
  }
  // Binary32 lanes: RZ for every Y; RNE where rounding the binary32 fma's
  // RNE sum again to Y + 1 bits is RNE of the exact sum (the file comment):
  // W - 1 <= Y <= 11, W the products' significand width (8 for E4M3 x E4M3).
  if (can32) {
    P.use32 = true;
    P.CV = P.C % 16 == 0 ? P.C : (P.R >= 8 ? 16 : 32);
    P.tps = P.CV / P.C;
    P.S32 = p.rnd == Round::RZ ? 127 - P.emax : 126 - P.emax - (23 - P.Y);
    P.Sa32 = P.S32 / 2;
    P.Sb32 = P.S32 - P.Sa32;
    P.nv32 = (P.CV / 16) % 2 == 0 ? 2 : 1;
    // (promotion: at most 8 accumulators, so that its temporaries stay in
    // registers)
    P.mr32 = P.nv32 == 2 ? (P.R > 4 && !promo ? 8 : 4) : (P.R > 4 ? 8 : 4);
    if (avx2) {
      // CV / 8 vectors of 8 lanes, an even number (CV is a multiple of 16)
      P.avx2 = true;
      P.nv32 = 2;
      P.mr32 = 4;
    }
    P.Rp32 = (P.R + P.mr32 - 1) / P.mr32 * P.mr32;
    if (avx2) {
      promo ? pick32_avx2<true>(p.rnd, P.fn32a) : pick32_avx2<false>(p.rnd, P.fn32a);
    } else if (promo) {
      pick32<true>(p.rnd, P.mr32, P.nv32, P.fn32);
    } else {
      pick32<false>(p.rnd, P.mr32, P.nv32, P.fn32);
    }
  }
  if (sr32) {
    P.use32 = true;
    P.sr32 = true;
    P.sr_g = P.C == 8 ? 2 : 1;
    P.CV = P.C * P.sr_g;
    P.tps = 1;
    P.S32 = 127 - P.emax;  // as RZ: a narrow overflow carries into binary32's Inf
    P.Sa32 = P.S32 / 2;
    P.Sb32 = P.S32 - P.Sa32;
    P.nv32 = 1;
    P.mr32 = P.sr_g == 2 ? 4 : 8;  // virtual rows per block (8 PE rows either way)
    const int rv = (P.R + P.sr_g - 1) / P.sr_g;
    P.Rp32 = (rv + P.mr32 - 1) / P.mr32 * P.mr32;
    const int s32 = 23 - P.Y;
    P.sr_maskr = ((1u << R) - 1u) << (s32 - R);
    P.sr_l1 = (1u << (s32 - R)) - 1u;
    P.sr_halfm1 = cfg.sr_kind == SrKind::Src ? (1u << (s32 - R - 1)) - 1u : 0u;
    P.sr_wlsb = 1u << (s32 - R);
    P.sr32_kind = cfg.sr_kind == SrKind::Trunc ? 1 : cfg.sr_kind == SrKind::Src ? 2 : (P.Y + R == 23 ? 3 : 0);
    if (avx2) {
      P.avx2 = true;
      pick_sr32_avx2(P.sr32_kind, promo, P.sr_g == 2, P.fsr32a);
    } else {
      pick_sr32(P.sr32_kind, promo, P.sr_g == 2, P.fsr32);
    }
  }
  // Row and column statistics; B packed per tile column, scaled.
  const CodeInfo& ci = code_info();
  const int fa = static_cast<int>(p.fmt_a), fb = static_cast<int>(p.fmt_b);
  P.rows.assign(static_cast<size_t>(p.M), Line{});
  P.cols.assign(static_cast<size_t>(p.N), Line{});
  const size_t bsize = sup64 ? static_cast<size_t>((p.N + P.CV - 1) / P.CV) * static_cast<size_t>(p.K) * static_cast<size_t>(P.CV)
                             : static_cast<size_t>(P.tn) * static_cast<size_t>(p.K) * static_cast<size_t>(P.C);
  if (P.use32) {
    const size_t tnv = P.sr32 ? static_cast<size_t>(P.tn) : static_cast<size_t>((p.N + P.CV - 1) / P.CV);
    P.bpack32.assign(tnv * static_cast<size_t>(p.K) * static_cast<size_t>(P.CV), 0.0f);
  } else {
    P.bpack.assign(bsize, 0.0);
  }
  struct Job {
    NarrowPlan* P;
    const CodeInfo* ci;
    int fa, fb;
  } job{&P, &ci, fa, fb};
  const long nrows = p.M, ntn = P.tn;
  par(nrows + ntn, threads, &job, [](void* vj, long i) {
    Job& j = *static_cast<Job*>(vj);
    NarrowPlan& Q = *j.P;
    const GemmProblem& pr = Q.p;
    const size_t K = static_cast<size_t>(pr.K);
    if (i < pr.M) {
      Line& L = Q.rows[static_cast<size_t>(i)];
      const uint8_t* a = pr.A + static_cast<size_t>(i) * K;
      double mx = 0, sum = 0;
      int lsb = kNoLsb;
      uint8_t sp = 0;
      for (size_t kk = 0; kk < K; ++kk) {
        const uint8_t c = a[kk];
        const double v = std::fabs(j.ci->v[j.fa][c]);
        mx = std::max(mx, v);
        sum += v;
        lsb = std::min(lsb, j.ci->lsb[j.fa][c]);
        sp |= j.ci->sp[j.fa][c];
      }
      L.maxabs = mx;
      L.sumabs = sum;
      L.lsb = lsb;
      L.special = sp;
      return;
    }
    const long tj = i - pr.M;
    const int C = Q.C;
    const size_t off = static_cast<size_t>(tj) * K * static_cast<size_t>(C);
    // binary64 super-tiles: super-column tj / TPS, CV doubles per k
    const size_t bstride = Q.sup64 ? static_cast<size_t>(Q.CV) : static_cast<size_t>(C);
    double* dst = Q.use32 ? nullptr
                          : (Q.sup64 ? Q.bpack.data() + static_cast<size_t>(tj / Q.tps) * K * bstride +
                                           static_cast<size_t>(tj % Q.tps) * static_cast<size_t>(C)
                                     : Q.bpack.data() + off);
    // binary32: super-column sj = tj / TPS, CV floats per k, this tile at
    // column offset (tj % TPS) * C
    const size_t cv = static_cast<size_t>(Q.CV);
    float* dst32 = Q.use32 ? Q.bpack32.data() + static_cast<size_t>(tj / Q.tps) * K * cv +
                                 static_cast<size_t>(tj % Q.tps) * static_cast<size_t>(C)
                           : nullptr;
    const double sc = std::ldexp(1.0, Q.use32 ? Q.Sb32 : Q.Sb);
    const int n0 = static_cast<int>(tj) * C, w = std::min(C, pr.N - n0);
    double mx[64] = {}, sum[64] = {};
    int lsb[64];
    uint8_t sp[64] = {};
    for (int c = 0; c < 64; ++c) lsb[c] = kNoLsb;
    for (size_t kk = 0; kk < K; ++kk) {
      const uint8_t* b = pr.B + kk * static_cast<size_t>(pr.N) + static_cast<size_t>(n0);
      for (int c = 0; c < w; ++c) {
        const uint8_t code = b[c];
        const double v = j.ci->v[j.fb][code];
        if (dst32 != nullptr && Q.sr_g == 2) {
          // SR pairs (COLS 8): lanes 2c and 2c + 1 (rows 2i, 2i + 1) both read column c
          dst32[kk * cv + static_cast<size_t>(2 * c)] = dst32[kk * cv + static_cast<size_t>(2 * c + 1)] =
              static_cast<float>(v * sc);  // exact
        } else if (dst32 != nullptr) {
          dst32[kk * cv + static_cast<size_t>(c)] = static_cast<float>(v * sc);  // exact
        } else {
          dst[kk * bstride + static_cast<size_t>(c)] = v * sc;
        }
        const int cc = c & 63;
        mx[cc] = std::max(mx[cc], std::fabs(v));
        sum[cc] += std::fabs(v);
        lsb[cc] = std::min(lsb[cc], j.ci->lsb[j.fb][code]);
        sp[cc] |= j.ci->sp[j.fb][code];
      }
    }
    // (C > 64: statistics of columns c and c + 64 are merged, which only
    // makes them more conservative.)
    for (int c = 0; c < w; ++c) {
      Line& L = Q.cols[static_cast<size_t>(n0 + c)];
      L.maxabs = mx[c & 63];
      L.sumabs = sum[c & 63];
      L.lsb = lsb[c & 63];
      L.special = sp[c & 63];
    }
  });
  return pl;
}

NarrowWorkerPtr narrow512_worker() { return NarrowWorkerPtr(new NarrowWorker()); }

namespace {

// The per-k word offsets and shifts of n draws from draw d0 on (bit d0 R of
// the lanes' frame; rows of lp words in a ring of kRing): W.hi_off and
// W.lo_off, the rows holding the draw's high and low bits (the same row
// unless the draw straddles two), W.cnt the funnel shift. Inlined: called
// out of line it cost small SR tiles (4 x 4, e6m9) about 6% on one thread.
inline __attribute__((always_inline)) void word_offsets(const NarrowPlan& P, NarrowWorker& W, uint64_t d0, int n, size_t lp) {
  const int R = P.cfg.sr_bits, s = P.s;
  W.hi_off.resize(static_cast<size_t>(n));
  W.lo_off.resize(static_cast<size_t>(n));
  W.cnt.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const uint64_t bit = (d0 + static_cast<uint64_t>(i)) * static_cast<uint64_t>(R);
    const long m = static_cast<long>(bit >> 6);
    const int o = static_cast<int>(bit & 63u);
    const bool pair = o >= 64 - s;
    W.hi_off[static_cast<size_t>(i)] = static_cast<size_t>(m & (kRing - 1)) * lp;
    W.lo_off[static_cast<size_t>(i)] = static_cast<size_t>((m + (pair ? 1 : 0)) & (kRing - 1)) * lp;
    W.cnt[static_cast<size_t>(i)] = pair ? s - 64 + o : s + o;
  }
}

// SR: the streams' rows for draws [k0, k1) of tile t (W.gen_to; rows in
// [W.gen, W.gen_to) still to be generated, per row-block), starting the
// streams where needed, and the per-k word offsets and shifts. Lanes: Rp x C
// (rows >= R: zero words).
void plan_words(const NarrowPlan& P, NarrowWorker& W, long t, int k0, int k1) {
  const int R = P.cfg.sr_bits, lw = P.cfg.lfsr_w;
  const Ring rg = make_ring(P.nv == 2 ? 4 : 8, P.C);
  const size_t lp = rg.bls;
  const uint64_t K = static_cast<uint64_t>(P.p.K);
  const uint64_t d0 = static_cast<uint64_t>(t) * K + static_cast<uint64_t>(k0);
  const uint64_t d1 = static_cast<uint64_t>(t) * K + static_cast<uint64_t>(k1);  // exclusive
  const long m_lo = static_cast<long>((d0 * static_cast<uint64_t>(R)) >> 6);
  const long m_hi = static_cast<long>(((d1 * static_cast<uint64_t>(R) - 1u) >> 6) + 1u);  // the last pair's second row
  if (!W.valid || m_lo < W.gen - kRing + 2 || m_lo > W.gen + 64 * lw) {
    // Start the streams: rows [h0, h0 + lw) from the seeds.
    const long h0 = std::max(0L, m_lo - lw);
    W.words.assign(rg.size(P.Rp), 0u);
    const int db = lw >= 16 ? 16 : (lw >= 8 ? 8 : 4);
    for (int r = 0; r < P.R; ++r)
      for (int c = 0; c < P.C; ++c) {
        Lfsr l(lw, db, derive_seed(P.cfg.seed, static_cast<uint32_t>(1 + r * P.C + c), lw));
        l.skip(static_cast<uint64_t>(h0) * 64u / static_cast<uint64_t>(db));
        for (long m = h0; m < h0 + lw; ++m) {
          uint64_t word = 0;
          for (int q = 0; q < 64 / db; ++q) word = (word << db) | l.draw();
          W.words[rg.at(m, r) + static_cast<size_t>(c)] = word;
        }
      }
    W.gen = h0 + lw;
    W.valid = true;
  }
  W.gen_to = std::max(W.gen, m_hi + 1);
  word_offsets(P, W, d0, k1 - k0, lp);
}

// The accumulator word of a finite or infinite binary64 value exactly
// representable in format f.
uint32_t narrow_bits(double v, const AccFormat& f) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  const uint32_t X = static_cast<uint32_t>(f.exp_bits), Y = static_cast<uint32_t>(f.man_bits);
  const uint32_t sign = static_cast<uint32_t>(b >> 63) << (X + Y);
  const int E = static_cast<int>((b >> 52) & 0x7FFu);
  if (E == 0) return sign;
  if (E == 0x7FF) return sign | (((1u << X) - 1u) << Y);
  const uint64_t Sg = (b & ((uint64_t{1} << 52) - 1u)) | (uint64_t{1} << 52);
  const int L = E - 1023, bias = f.bias(), emin = 1 - bias;
  if (L >= emin) {
    return sign | (static_cast<uint32_t>(L + bias) << Y) | static_cast<uint32_t>((Sg >> (52 - Y)) & ((1u << Y) - 1u));
  }
  return sign | static_cast<uint32_t>(Sg >> (52 - static_cast<int>(Y) + emin - L));
}

// ---- What a tile and a super-tile share, on binary32 (T float) or binary64
// (T double) lanes.

// ap: the A rows of tile row ti, times 2^Sa, row r at r K (rows outside the
// matrix and rows [R, Rp): zero). Kept while W.ati is ti and the size fits
// (ap32 and ap share W.ati). Each 2^Sa-scaled code is exact in T.
template <class T>
void load_a_rows(const NarrowPlan& P, int Rp, int Sa, int ti, long& ati, std::vector<T>& ap) {
  const GemmProblem& p = P.p;
  const int R = P.R, K = p.K;
  if (ati == ti && ap.size() == static_cast<size_t>(Rp) * static_cast<size_t>(K)) return;
  ap.assign(static_cast<size_t>(Rp) * static_cast<size_t>(K), T(0));
  const double* lut = code_info().v[static_cast<int>(p.fmt_a)];
  const double sc = std::ldexp(1.0, Sa);
  T lut_t[256];
  for (int c = 0; c < 256; ++c) lut_t[c] = static_cast<T>(lut[c] * sc);  // exact
  for (int r = 0; r < R; ++r) {
    const int m = ti * R + r;
    if (m >= p.M) break;
    const uint8_t* a = p.A + static_cast<size_t>(m) * static_cast<size_t>(K);
    T* d = ap.data() + static_cast<size_t>(r) * static_cast<size_t>(K);
    for (int k = 0; k < K; ++k) d[k] = lut_t[a[k]];
  }
  ati = ti;
}

// C_init's words of rows ti R + r (r < R) and columns n0 + c (c < width)
// into lane r width + c: the value itself into w with promotion, else times
// scale (exact) into acc. Lanes outside C are left as they are.
template <class T>
void load_c_init(const NarrowPlan& P, int ti, int n0, int width, double scale, T* acc, T* w) {
  const GemmProblem& p = P.p;
  if (p.C_init == nullptr) return;
  const int R = P.R;
  const bool promo = P.cfg.promote_n != 0;
  const AccFormat rf = P.cfg.result_format();
  for (int r = 0; r < R; ++r) {
    const int m = ti * R + r;
    if (m >= p.M) break;
    for (int c = 0; c < width; ++c) {
      const int n = n0 + c;
      if (n >= p.N) break;
      const uint32_t word = p.C_init[static_cast<size_t>(m) * static_cast<size_t>(p.N) + static_cast<size_t>(n)] & rf.mask();
      const uint32_t fb = rf.to_f32_bits(word);
      float fv;
      std::memcpy(&fv, &fb, 4);
      const size_t i = static_cast<size_t>(r * width + c);
      if (promo) {
        w[i] = static_cast<T>(fv);
      } else {
        acc[i] = static_cast<T>(static_cast<double>(fv) * scale);  // exact
      }
    }
  }
}

// The start of super-tile (ti, sj) on T lanes: its tiles' words, flags and
// "taken" cleared, the A rows loaded (load_a_rows with Rp rows, times 2^Sa),
// the Rp x CV accumulators (and with promotion the words) zeroed and C_init
// loaded into them. Returns 2^S, the accumulators' scale.
template <class T>
double start_super(const NarrowPlan& P, NarrowWorker& W, int ti, int sj, int Rp, int Sa, int S, std::vector<T>& ap,
                   std::vector<T>& acc, std::vector<T>& w) {
  const int R = P.R, C = P.C, CV = P.CV, TPS = P.tps;
  W.s_vals.assign(static_cast<size_t>(TPS) * static_cast<size_t>(R * C), 0u);
  W.s_flags.assign(static_cast<size_t>(TPS), 0);
  W.s_ok.assign(static_cast<size_t>(TPS), 0);
  load_a_rows(P, Rp, Sa, ti, W.ati, ap);
  const size_t lanes = static_cast<size_t>(Rp) * static_cast<size_t>(CV);
  acc.assign(lanes, T(0));
  if (P.cfg.promote_n != 0) w.assign(lanes, T(0));
  const double scale = std::ldexp(1.0, S);
  load_c_init(P, ti, sj * CV, CV, scale, acc.data(), w.data());
  return scale;
}

// known[q] set for each tile q < ntiles of a super-tile with a nonzero
// tracked-bits lane (lane q C + c of bits); whether every tile is known.
template <class B>
bool mark_known(const B* bits, int ntiles, int C, bool* known) {
  bool all = true;
  for (int q = 0; q < ntiles; ++q) {
    for (int c = 0; c < C && !known[q]; ++c) known[q] = bits[q * C + c] != 0;
    all = all && known[q];
  }
  return all;
}

// The words, flags and "taken" of a super-tile's tiles q < ntiles into
// W.s_vals, W.s_flags, W.s_ok, from lane (r, q C + c) (row stride CV) of w
// (promotion: binary32 values) or acc (2^scale times the value). A tile is
// inexact when known or its promotion bit of pin is set; an exact-looking
// tile is declined when decline_unnamed (MXCSR's inexact flag set but
// naming no tile), and so is one with a lane overflowed (the generic path's
// flags).
template <class T>
void take_super_tiles(const NarrowPlan& P, NarrowWorker& W, int ntiles, const bool* known, uint32_t pin,
                      bool decline_unnamed, double scale, const T* acc, const T* w) {
  const int R = P.R, C = P.C, CV = P.CV;
  const bool promo = P.cfg.promote_n != 0;
  const AccFormat& af = P.cfg.acc;
  for (int q = 0; q < ntiles; ++q) {
    bool pinq = false;
    // (pin has 32 lanes: with TPS 1 and CV > 32 its bits are ORed over the
    // columns, and any of them is the one tile's)
    for (int c = 0; c < C; ++c) pinq = pinq || (q * C + c < 32 && ((pin >> (q * C + c)) & 1u) != 0);
    const bool inexact = known[q] || pinq;
    if (!inexact && decline_unnamed) continue;  // this tile alone
    bool ok = true;
    uint32_t* vals = W.s_vals.data() + static_cast<size_t>(q) * static_cast<size_t>(R * C);
    for (int r = 0; r < R && ok; ++r)
      for (int c = 0; c < C; ++c) {
        const size_t i = static_cast<size_t>(r * CV + q * C + c);
        if (promo) {
          const float wf = static_cast<float>(w[i]);
          uint32_t b;
          std::memcpy(&b, &wf, 4);
          vals[r * C + c] = b;
        } else {
          const double v = static_cast<double>(acc[i]);
          if (!std::isfinite(v)) {
            ok = false;
            break;
          }
          vals[r * C + c] = narrow_bits(v * (1.0 / scale), af);
        }
      }
    if (!ok) continue;
    W.s_flags[static_cast<size_t>(q)] = inexact ? kFlagInexact : 0;
    W.s_ok[static_cast<size_t>(q)] = 1;
  }
}

// Super-tile (ti, sj) on binary32 lanes (P.use32): the words, flags and
// "taken" of its tiles into W.s_vals, W.s_flags, W.s_ok. Inexact flags: RNE
// with one tile per super-tile (TPS 1), MXCSR's; otherwise x's bits below
// the kept LSB per lane (tracked until every tile is known inexact) and,
// with TPS 1, MXCSR's. With TPS > 1 MXCSR's inexact flag names no tile: a
// tile without tracked bits when it is set is declined (recomputed alone).
FP8SA_T512 void run_super32(const NarrowPlan& P, NarrowWorker& W, int ti, int sj, bool track, double limit) {
  const GemmProblem& p = P.p;
  const int C = P.C, CV = P.CV, TPS = P.tps, Rp = P.Rp32, K = p.K;
  const double scale = start_super(P, W, ti, sj, Rp, P.Sa32, P.S32, W.ap32, W.acc32, W.w32);
  const int s = 23 - P.Y;
  KArgs32 g{W.ap32.data(), P.bpack32.data() + static_cast<size_t>(sj) * static_cast<size_t>(K) * static_cast<size_t>(CV),
            K, CV, W.acc32.data(), W.w32.data(), static_cast<float>(std::ldexp(1.0, -P.S32)), P.cfg.promote_n,
            ~((1u << s) - 1u), (1u << s) - 1u, static_cast<float>(std::ldexp(1.0, s) + 1.0)};
  KState32 st;
  st.inex[0] = st.inex[1] = _mm512_setzero_si512();
  st.mx = _mm512_setzero_ps();
  const bool rne = p.rnd == Round::RNE;
  // tiles of the super-tile that exist, and those known inexact
  const int ntiles = std::min(TPS, P.tn - sj * TPS);
  bool known[64] = {};
  bool all_known = false, pe = false;
  // TPS 1 and RNE: MXCSR's flag is the tile's, nothing to track
  const bool mx_exact = TPS == 1;
  const int nvec = CV / 16;
  const unsigned saved = _mm_getcsr();
  const unsigned mxcsr = rne ? 0x1F80u : 0x7F80u;
  constexpr int kc = 256;  // k chunk: its B rows stay in L1 across the row blocks
  for (int k0 = 0; k0 < K; k0 += kc) {
    const int k1 = std::min(K, k0 + kc);
    const bool need = !all_known && !(rne && mx_exact);
    const Kernel32Fn fn = P.fn32[track ? 1 : 0][need ? 1 : 0];
    _mm_setcsr(mxcsr);
    for (int r0 = 0; r0 < Rp; r0 += P.mr32)
      for (int v0 = 0; v0 < nvec; v0 += P.nv32) fn(g, r0, v0, k0, k1, &st);
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(saved);
    // MXCSR flags: 0x01 invalid, 0x04 divide, 0x08 overflow, 0x10 underflow, 0x20 inexact
    if ((csr & 0x1Du) != 0) return;
    if ((csr & 0x20u) != 0) pe = true;
    if (mx_exact) {
      if (pe || any_bits(_mm512_or_si512(st.inex[0], st.inex[1]))) all_known = known[0] = true;
    } else {
      // lanes: virtual column 16 v + l (NV vectors of the blocks: v < 2)
      alignas(64) uint32_t bits[32];
      _mm512_store_si512(bits, st.inex[0]);
      _mm512_store_si512(bits + 16, st.inex[1]);
      all_known = mark_known(bits, ntiles, C, known);
    }
  }
  if (st.rare) return;
  if (track) {
    alignas(64) float m16[16];
    _mm512_store_ps(m16, st.mx);
    for (float v : m16)
      if (!(static_cast<double>(v) < limit * scale)) return;
  }
  const uint32_t pin = static_cast<uint32_t>(st.pinex[0]) | (static_cast<uint32_t>(st.pinex[1]) << 16);
  take_super_tiles(P, W, ntiles, known, pin, pe && !mx_exact, scale, W.acc32.data(), W.w32.data());
}

// run_super32 on AVX2 (P.avx2): the same super-tile, flags and declines,
// with kernel32_avx2 (8 lanes a vector).
FP8SA_T256 void run_super32_avx2(const NarrowPlan& P, NarrowWorker& W, int ti, int sj, bool track, double limit) {
  const GemmProblem& p = P.p;
  const int C = P.C, CV = P.CV, TPS = P.tps, Rp = P.Rp32, K = p.K;
  const double scale = start_super(P, W, ti, sj, Rp, P.Sa32, P.S32, W.ap32, W.acc32, W.w32);
  const int s = 23 - P.Y;
  KArgs32 g{W.ap32.data(), P.bpack32.data() + static_cast<size_t>(sj) * static_cast<size_t>(K) * static_cast<size_t>(CV),
            K, CV, W.acc32.data(), W.w32.data(), static_cast<float>(std::ldexp(1.0, -P.S32)), P.cfg.promote_n,
            ~((1u << s) - 1u), (1u << s) - 1u, static_cast<float>(std::ldexp(1.0, s) + 1.0)};
  KState256 st;
  for (__m256i& v : st.inex) v = _mm256_setzero_si256();
  st.mx = _mm256_setzero_ps();
  const bool rne = p.rnd == Round::RNE;
  const int ntiles = std::min(TPS, P.tn - sj * TPS);
  bool known[64] = {};
  bool all_known = false, pe = false;
  const bool mx_exact = TPS == 1;
  const int nvec = CV / 8;
  const unsigned saved = _mm_getcsr();
  const unsigned mxcsr = rne ? 0x1F80u : 0x7F80u;
  constexpr int kc = 256;
  for (int k0 = 0; k0 < K; k0 += kc) {
    const int k1 = std::min(K, k0 + kc);
    const bool need = !all_known && !(rne && mx_exact);
    const Kernel256Fn fn = P.fn32a[track ? 1 : 0][need ? 1 : 0];
    _mm_setcsr(mxcsr);
    for (int r0 = 0; r0 < Rp; r0 += P.mr32)
      for (int v0 = 0; v0 < nvec; v0 += P.nv32) fn(g, r0, v0, k0, k1, &st);
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(saved);
    if ((csr & 0x1Du) != 0) return;  // invalid, divide, overflow, underflow: declined
    if ((csr & 0x20u) != 0) pe = true;
    alignas(32) uint32_t bits[32];
    for (int v = 0; v < 4; ++v) _mm256_store_si256(reinterpret_cast<__m256i*>(bits + 8 * v), st.inex[v]);
    if (mx_exact) {
      bool any = pe;
      for (uint32_t b : bits) any = any || b != 0;
      if (any) all_known = known[0] = true;
    } else {
      all_known = mark_known(bits, ntiles, C, known);  // CV <= 32 here: lane = virtual column
    }
  }
  if (st.rare) return;
  if (track) {
    alignas(32) float m8[8];
    _mm256_store_ps(m8, st.mx);
    for (float v : m8)
      if (!(static_cast<double>(v) < limit * scale)) return;
  }
  // lanes = virtual columns (CV <= 32 with TPS > 1; with TPS 1 any bit is the tile's)
  uint32_t pin = 0;
  for (int v = 0; v < 4; ++v) pin |= static_cast<uint32_t>(st.pinex[v]) << (8 * v);
  take_super_tiles(P, W, ntiles, known, pin, pe && !mx_exact, scale, W.acc32.data(), W.w32.data());
}

// ---- SR streams of binary64 super-tiles (P.sup64): lane (r, q, c) reads PE
// (r, c)'s stream in the frame shifted by q K R bits, so that draw k of tile
// t0 + q sits, for every lane, at the bit (t0 K + k) R of its frame: one row
// offset and funnel shift per k, as on plain tiles. Every lane's frame
// obeys the word recurrence (any 64 consecutive bits do).

// Rows [h0, h0 + n) of PE (r, c)'s stream in the frame shifted by off bits,
// from its seed (the LFSR jumped to bit 64 h0 + off).
void seed_rows(const NarrowPlan& P, const Ring& rg, int r, int c, int col, uint64_t off, long h0, int n, uint64_t* ring) {
  const int lw = P.cfg.lfsr_w;
  const uint64_t B = 64u * static_cast<uint64_t>(h0) + off;
  int db = 2;
  for (int d : {16, 8, 4})
    if (d <= lw && B % static_cast<uint64_t>(d) == 0) {
      db = d;
      break;
    }
  Lfsr l(lw, db, derive_seed(P.cfg.seed, static_cast<uint32_t>(1 + r * P.C + c), lw));
  l.skip(B / static_cast<uint64_t>(db));
  if (B % static_cast<uint64_t>(db) != 0) l.step();  // db = 2, B odd
  for (long m = h0; m < h0 + n; ++m) {
    uint64_t word = 0;
    for (int q = 0; q < 64 / db; ++q) word = (word << db) | l.draw();
    ring[rg.at(m, r) + static_cast<size_t>(col)] = word;
  }
}

// The instruction-set parts of start_super_streams: AVX-512 (SupIsa<false>)
// or AVX2 (SupIsa<true>).
template <bool AVX2>
struct SupIsa;

template <>
struct SupIsa<false> {
  static void gen(uint64_t* ring, size_t lp, long from, long to, size_t l1, const std::vector<int>& taps) {
    gen_words(ring, lp, from, to, 0, l1, taps);
  }
  // tmp[mm][64 lanes] = XOR over i in set of base's row m0 + mm - i (the
  // rows of a block of 4 PE rows x 16 lanes)
  FP8SA_T512 static void xor_rows(const uint64_t* base, size_t bls, long m0, int lw, const std::vector<int>& set,
                                  uint64_t* tmp) {
    for (int mm = 0; mm < lw; ++mm) {
      __m512i acc[8];
      for (int z = 0; z < 8; ++z) acc[z] = _mm512_setzero_si512();
      for (int i : set) {
        const uint64_t* src = base + static_cast<size_t>((m0 + mm - i) & (kRing - 1)) * bls;
        for (int z = 0; z < 8; ++z) acc[z] = _mm512_xor_si512(acc[z], _mm512_loadu_si512(src + 8 * z));
      }
      for (int z = 0; z < 8; ++z) _mm512_store_si512(tmp + mm * 64 + 8 * z, acc[z]);
    }
  }
  // The 16 lanes of PE row r's row m (dst; prev: its row m - 1): lanes
  // q >= 1 set to lane (r, 0, c) jumped by q K R bits, bit b of row m the
  // XOR over the jump's i of lane (r, 0, c)'s bit b - i.
  FP8SA_T512 static void jump_lanes(const NarrowPlan& P, uint64_t* dst, const uint64_t* prev) {
    alignas(64) int64_t idx[8];
    for (int l = 0; l < 8; ++l) idx[l] = l % P.C;
    const __m512i vidx = _mm512_load_si512(idx);
    const __m512i s1 = _mm512_permutexvar_epi64(vidx, _mm512_loadu_si512(dst));
    const __m512i s0 = _mm512_permutexvar_epi64(vidx, _mm512_loadu_si512(prev));
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    for (int i = 0; i < P.cfg.lfsr_w; ++i) {
      const __m512i t = _mm512_shrdv_epi64(s1, s0, _mm512_set1_epi64(i));  // (s1 >> i) | (s0 << (64 - i))
      acc0 = _mm512_mask_xor_epi64(acc0, P.jm[0][i], acc0, t);
      acc1 = _mm512_mask_xor_epi64(acc1, P.jm[1][i], acc1, t);
    }
    _mm512_mask_storeu_epi64(dst, P.jq[0], acc0);
    _mm512_mask_storeu_epi64(dst + 8, P.jq[1], acc1);
  }
};

template <>
struct SupIsa<true> {
  static void gen(uint64_t* ring, size_t lp, long from, long to, size_t l1, const std::vector<int>& taps) {
    gen_words_avx2(ring, lp, from, to, 0, l1, taps);
  }
  FP8SA_T256 static void xor_rows(const uint64_t* base, size_t bls, long m0, int lw, const std::vector<int>& set,
                                  uint64_t* tmp) {
    for (int mm = 0; mm < lw; ++mm) {
      __m256i acc[16];
      for (int z = 0; z < 16; ++z) acc[z] = _mm256_setzero_si256();
      for (int i : set) {
        const uint64_t* src = base + static_cast<size_t>((m0 + mm - i) & (kRing - 1)) * bls;
        for (int z = 0; z < 16; ++z)
          acc[z] = _mm256_xor_si256(acc[z], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 4 * z)));
      }
      for (int z = 0; z < 16; ++z) _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + mm * 64 + 4 * z), acc[z]);
    }
  }
  // As SupIsa<false>: the funnel shift as two variable shifts (a count of
  // 64 shifts in zeros), the lanes' masks P.jm64 as vectors. Lanes 0..3
  // read lane l % C: one vector serves all four.
  FP8SA_T256 static void jump_lanes(const NarrowPlan& P, uint64_t* dst, const uint64_t* prev) {
    const int C = P.C;
    const __m256i s1 = _mm256_set_epi64x(static_cast<int64_t>(dst[3 % C]), static_cast<int64_t>(dst[2 % C]),
                                         static_cast<int64_t>(dst[1 % C]), static_cast<int64_t>(dst[0]));
    const __m256i s0 = _mm256_set_epi64x(static_cast<int64_t>(prev[3 % C]), static_cast<int64_t>(prev[2 % C]),
                                         static_cast<int64_t>(prev[1 % C]), static_cast<int64_t>(prev[0]));
    __m256i acc[4];
    for (int z = 0; z < 4; ++z) acc[z] = _mm256_setzero_si256();
    for (int i = 0; i < P.cfg.lfsr_w; ++i) {
      const __m256i t = _mm256_or_si256(_mm256_srlv_epi64(s1, _mm256_set1_epi64x(i)),
                                        _mm256_sllv_epi64(s0, _mm256_set1_epi64x(64 - i)));
      const uint64_t* m = P.jm64.data() + static_cast<size_t>(i) * 16;
      for (int z = 0; z < 4; ++z)
        acc[z] = _mm256_xor_si256(acc[z], _mm256_and_si256(t, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + 4 * z))));
    }
    alignas(32) uint64_t out[16];
    for (int z = 0; z < 4; ++z) _mm256_store_si256(reinterpret_cast<__m256i*>(out + 4 * z), acc[z]);
    for (int l = C; l < 16; ++l) dst[l] = out[l];  // lanes q >= 1
  }
};

// Every lane's rows [m_lo - lw, m_lo) in its frame at super-tile t0's first
// draw (m_lo = t0 K R / 64), W.gen set past them. Continuing from the
// worker's previous super-tile (tiles ending at t0 - 1): lane 0 takes the
// previous last lane group's rows (its frame, (q_last K R) bits further on,
// is lane 0's new one), lanes q >= 1 jump from lane 0 by q K R bits (P.jm).
// Otherwise every lane from its seed.
template <bool AVX2>
void start_super_streams(const NarrowPlan& P, NarrowWorker& W, long t0, long* row_lo) {
  using Isa = SupIsa<AVX2>;
  const int R = P.cfg.sr_bits, lw = P.cfg.lfsr_w, C = P.C, CV = P.CV, TPS = P.tps, NR = P.R;
  const Ring rg = make_ring(4, CV);
  const uint64_t KR = static_cast<uint64_t>(P.p.K) * static_cast<uint64_t>(R);
  const long m_lo = static_cast<long>((static_cast<uint64_t>(t0) * KR) >> 6);
  if (W.words.size() != rg.size(P.Rp)) {
    W.words.assign(rg.size(P.Rp), 0u);
    W.valid = false;
  }
  uint64_t* ring = W.words.data();
  auto row = [&](long m, int r) { return ring + rg.at(m, r); };
  bool cont = W.valid && W.s_next == t0 && m_lo >= lw + 1;
  if (cont && P.wjump) {
    // Every lane moves on in its own frame by J = n K R / 64 rows (n + 1
    // tiles in the previous super-tile): rows [m_lo - lw, m_lo) from rows
    // [m_lo - J - 2 lw + 1, m_lo - J), through a buffer (the ring positions
    // may coincide).
    const int n = W.s_qlast;
    const long J = static_cast<long>(n) * static_cast<long>(KR >> 6);
    const long need_hi = m_lo - J - 1, need_lo = m_lo - J - 2 * lw + 1;
    if (W.gen <= need_hi) {
      for (int r0 = 0; r0 < P.Rp; r0 += 4) Isa::gen(ring + rg.at(0, r0), rg.bls, W.gen, need_hi + 1, 4 * static_cast<size_t>(CV), P.taps);
      W.gen = need_hi + 1;
    }
    if (need_lo >= std::max(*row_lo, W.gen - kRing)) {
      if (n > 0) {
        alignas(64) uint64_t tmp[32 * 64];  // lw rows x a block's 64 lanes
        for (int r0 = 0; r0 < P.Rp; r0 += 4) {
          uint64_t* base = ring + rg.at(0, r0);
          Isa::xor_rows(base, rg.bls, m_lo - lw - J, lw, P.wset[n], tmp);
          for (int mm = 0; mm < lw; ++mm) {
            uint64_t* dst = base + static_cast<size_t>((m_lo - lw + mm) & (kRing - 1)) * rg.bls;
            std::memcpy(dst, tmp + mm * 64, 64 * sizeof(uint64_t));
          }
        }
      }
      W.gen = m_lo;
      *row_lo = m_lo - lw;
      W.valid = true;
      return;
    }
    cont = false;
  }
  if (cont) {
    const uint64_t d = static_cast<uint64_t>(W.s_qlast) * KR;
    const long j = static_cast<long>(d >> 6);
    const int rem = static_cast<int>(d & 63u);
    // lane 0's row m: the last lane group's bits from 64 (m - j) - rem, i.e.
    // the last rem bits of its row m - j - 1, then row m - j
    const long need_hi = m_lo - 1 - j, need_lo = m_lo - lw - 2 - j;
    if (W.gen <= need_hi) {
      for (int r0 = 0; r0 < P.Rp; r0 += 4) Isa::gen(ring + rg.at(0, r0), rg.bls, W.gen, need_hi + 1, 4 * static_cast<size_t>(CV), P.taps);
      W.gen = need_hi + 1;
    }
    cont = need_lo >= std::max(*row_lo, W.gen - kRing);
    if (cont) {
      const size_t qo = static_cast<size_t>(W.s_qlast) * static_cast<size_t>(C);
      for (int r = 0; r < NR; ++r)
        for (int c = 0; c < C; ++c) {
          const size_t l0 = static_cast<size_t>(c);
          for (long m = m_lo - lw - 1; m < m_lo; ++m) {
            const uint64_t a = row(m - j - 1, r)[l0 + qo], b = row(m - j, r)[l0 + qo];
            row(m, r)[l0] = rem == 0 ? b : (a << (64 - rem)) | (b >> rem);
          }
        }
      // lanes q >= 1: jumped from lane (r, 0, c) (rows m - 1 and m)
      for (int r = 0; r < NR; ++r)
        for (long m = m_lo - lw; m < m_lo; ++m) Isa::jump_lanes(P, row(m, r), row(m - 1, r));
      W.gen = m_lo;
      *row_lo = m_lo - lw;
    }
  }
  if (!cont) {
    const long h0 = std::max(0L, m_lo - lw - 1);
    for (int r = 0; r < NR; ++r)
      for (int q = 0; q < TPS; ++q)
        for (int c = 0; c < C; ++c)
          seed_rows(P, rg, r, c, q * C + c, static_cast<uint64_t>(q) * KR, h0, lw + 1, ring);
    W.gen = h0 + lw + 1;
    *row_lo = h0;
  }
  W.valid = true;
}

// The rows for draws [k0, k1) of super-tile t0 (lane 0's frame: tile t0),
// streams started at k0 = 0; the per-k offsets and shifts as plan_words.
template <bool AVX2>
void plan_words_super(const NarrowPlan& P, NarrowWorker& W, long t0, int ntiles, int k0, int k1) {
  const int R = P.cfg.sr_bits;
  const size_t lp = make_ring(4, P.CV).bls;
  const uint64_t K = static_cast<uint64_t>(P.p.K);
  if (k0 == 0) {
    start_super_streams<AVX2>(P, W, t0, &W.s_row_lo);
    W.s_next = t0 + ntiles;
    W.s_qlast = ntiles - 1;
  }
  const uint64_t d0 = static_cast<uint64_t>(t0) * K + static_cast<uint64_t>(k0);
  const uint64_t d1 = static_cast<uint64_t>(t0) * K + static_cast<uint64_t>(k1);
  const long m_hi = static_cast<long>(((d1 * static_cast<uint64_t>(R) - 1u) >> 6) + 1u);
  W.gen_to = std::max(W.gen, m_hi + 1);
  word_offsets(P, W, d0, k1 - k0, lp);
}

// Super-tile (ti, sj) on binary64 lanes (P.sup64): its tiles' words, flags
// and "taken" into W.s_vals, W.s_flags, W.s_ok, as run_super32. Inexact
// flags: per lane, x's bits below the kept LSB (RNE: x is exact; RZ, SR: as
// on plain tiles), tracked until every tile is known inexact, and the
// promotions'. MXCSR's inexact flag (RZ: an fma rounded) names no tile: a
// tile with no tracked bit is then declined (recomputed alone); SR declines
// the super-tile on it (a sticky lost).
FP8SA_T512 void run_super64(const NarrowPlan& P, NarrowWorker& W, int ti, int sj, bool track, double limit) {
  const GemmProblem& p = P.p;
  const int C = P.C, CV = P.CV, TPS = P.tps, Rp = P.Rp, K = p.K;
  const double scale = start_super(P, W, ti, sj, Rp, P.Sa, P.S, W.ap, W.acc, W.w);
  const size_t lanes = static_cast<size_t>(Rp) * static_cast<size_t>(CV);
  KArgs g{W.ap.data(), P.bpack.data() + static_cast<size_t>(sj) * static_cast<size_t>(K) * static_cast<size_t>(CV),
          K, CV, W.acc.data(), W.w.data(), std::ldexp(1.0, -P.S), P.cfg.promote_n, nullptr, lanes, nullptr, nullptr,
          nullptr};
  KState st;
  st.inex[0] = st.inex[1] = _mm512_setzero_si512();
  st.mx = _mm512_setzero_pd();
  const bool rne = p.rnd == Round::RNE, sr = p.rnd == Round::SR;
  const Ring rg = make_ring(4, CV);
  const int ntiles = std::min(TPS, P.tn - sj * TPS);
  const long t0 = static_cast<long>(ti) * P.tn + static_cast<long>(sj) * TPS;
  bool known[16] = {};
  bool all_known = false, pe = false;
  const int kc = sr ? 64 : 256;
  const unsigned saved = _mm_getcsr();
  for (int k0 = 0; k0 < K; k0 += kc) {
    const int k1 = std::min(K, k0 + kc);
    if (sr) {
      plan_words_super<false>(P, W, t0, ntiles, k0, k1);
      g.words = W.words.data();
      g.hi_off = W.hi_off.data();
      g.lo_off = W.lo_off.data();
      g.cnt = W.cnt.data();
    }
    const KernelFn fn = P.fs64[track ? 1 : 0][all_known ? 0 : 1];
    _mm_setcsr(P.mxcsr);
    for (int r0 = 0; r0 < Rp; r0 += 4) {
      if (sr) {
        uint64_t* base = W.words.data() + rg.at(0, r0);
        gen_words(base, rg.bls, W.gen, W.gen_to, 0, 4 * static_cast<size_t>(CV), P.taps);
        g.words = base;
      }
      fn(P.kc, g, r0, 0, k0, k1, &st);
    }
    if (sr) W.gen = W.gen_to;
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(saved);
    // MXCSR flags: 0x01 invalid, 0x04 divide, 0x08 overflow, 0x10 underflow, 0x20 inexact
    if ((csr & 0x1Du) != 0) return;
    if ((csr & 0x20u) != 0) {
      if (sr) return;
      pe = true;
    }
    // lanes: virtual column 8 v + l
    alignas(64) uint64_t bits[16];
    _mm512_store_si512(bits, st.inex[0]);
    _mm512_store_si512(bits + 8, st.inex[1]);
    all_known = mark_known(bits, ntiles, C, known);
  }
  if (st.rare) return;
  if (track) {
    alignas(64) double m8[8];
    _mm512_store_pd(m8, st.mx);
    for (double v : m8)
      if (!(v < limit * scale)) return;
  }
  const uint32_t pin = static_cast<uint32_t>(st.pinex[0]) | (static_cast<uint32_t>(st.pinex[1]) << 8);
  take_super_tiles(P, W, ntiles, known, pin, pe && !rne, scale, W.acc.data(), W.w.data());
}

// run_super64 on AVX2 (P.avx2 with sup64: RNE, RZ and SR, promotion or not):
// the same super-tile, streams, flags and declines, 4 lanes a ymm
// (kernel64_avx2 and kernel64_sr_avx2 on the 16 virtual columns, the
// dropped bits per lane).
FP8SA_T256 void run_super64_avx2(const NarrowPlan& P, NarrowWorker& W, int ti, int sj, bool track, double limit) {
  const GemmProblem& p = P.p;
  const int C = P.C, CV = P.CV, TPS = P.tps, Rp = P.Rp, K = p.K;
  const double scale = start_super(P, W, ti, sj, Rp, P.Sa, P.S, W.ap, W.acc, W.w);
  const size_t lanes = static_cast<size_t>(Rp) * static_cast<size_t>(CV);
  KArgs g{W.ap.data(), P.bpack.data() + static_cast<size_t>(sj) * static_cast<size_t>(K) * static_cast<size_t>(CV),
          K, CV, W.acc.data(), W.w.data(), std::ldexp(1.0, -P.S), P.cfg.promote_n, nullptr, lanes, nullptr, nullptr,
          nullptr};
  KState256d st;
  st.mx = _mm256_setzero_pd();
  for (__m256i& v : st.inex) v = _mm256_setzero_si256();
  const bool rne = p.rnd == Round::RNE, sr = p.rnd == Round::SR;
  const Ring rg = make_ring(4, CV);
  const int ntiles = std::min(TPS, P.tn - sj * TPS);
  const long t0 = static_cast<long>(ti) * P.tn + static_cast<long>(sj) * TPS;
  bool known[16] = {};
  bool all_known = false, pe = false;
  const int kc = sr ? 64 : 256;
  const unsigned saved = _mm_getcsr();
  for (int k0 = 0; k0 < K; k0 += kc) {
    const int k1 = std::min(K, k0 + kc);
    if (sr) {
      plan_words_super<true>(P, W, t0, ntiles, k0, k1);
      g.hi_off = W.hi_off.data();
      g.lo_off = W.lo_off.data();
      g.cnt = W.cnt.data();
    }
    const Kernel256dFn fn = P.fs64a[track ? 1 : 0][all_known ? 0 : 1];
    const KernelSr256dFn fsr = P.fsr64a[all_known ? 0 : 1];
    _mm_setcsr(P.mxcsr);
    for (int r0 = 0; r0 < Rp; r0 += 4) {
      if (sr) {
        uint64_t* base = W.words.data() + rg.at(0, r0);
        gen_words_avx2(base, rg.bls, W.gen, W.gen_to, 0, 4 * static_cast<size_t>(CV), P.taps);
        g.words = base;
        for (int q0 = 0; q0 < CV / 4; q0 += 2) fsr(P.kc, g, r0, q0, k0, k1, &st);
      } else {
        for (int q0 = 0; q0 < CV / 4; q0 += 2) fn(P.kc, g, r0, q0, k0, k1, &st);
      }
    }
    if (sr) W.gen = W.gen_to;
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(saved);
    if ((csr & 0x1Du) != 0) return;  // invalid, divide, overflow, underflow
    if ((csr & 0x20u) != 0) {
      if (sr) return;  // an inexact fma: a sticky lost
      pe = true;
    }
    alignas(32) uint64_t bits[16];  // lane 4 v + l: virtual column 4 v + l
    for (int v = 0; v < 4; ++v) _mm256_store_si256(reinterpret_cast<__m256i*>(bits + 4 * v), st.inex[v]);
    all_known = mark_known(bits, ntiles, C, known);
  }
  if (st.rare) return;
  if (track) {
    alignas(32) double m4[4];
    _mm256_store_pd(m4, st.mx);
    for (double v : m4)
      if (!(v < limit * scale)) return;
  }
  uint32_t pin = 0;  // lane 4 v + l
  for (int v = 0; v < 4; ++v) pin |= static_cast<uint32_t>(st.pinex[v]) << (4 * v);
  take_super_tiles(P, W, ntiles, known, pin, pe && !rne, scale, W.acc.data(), W.w.data());
}

// Whether any lane of st has a dropped bit.
FP8SA_T256 inline bool any_inex(const KState256d& st) {
  const __m256i any = _mm256_or_si256(_mm256_or_si256(st.inex[0], st.inex[1]), _mm256_or_si256(st.inex[2], st.inex[3]));
  return _mm256_testz_si256(any, any) == 0;
}

// run_tile on AVX2 (P.avx2 without use32): binary64 lanes, RNE, RZ or SR,
// promotion or not, with run_tile's flags and declines (RNE: x exact below
// the tracked or proved limit, so MXCSR's inexact flag, Veltkamp's split
// rounding away bits, is the tile's).
FP8SA_T256 bool run_tile_avx2(const NarrowPlan& P, NarrowWorker& W, long t, bool track, double limit, uint32_t* vals,
                              uint8_t* flags) {
  const GemmProblem& p = P.p;
  const int R = P.R, C = P.C, Rp = P.Rp, K = p.K;
  const int ti = static_cast<int>(t / P.tn), tj = static_cast<int>(t % P.tn);
  const bool promo = P.cfg.promote_n != 0;
  load_a_rows(P, Rp, P.Sa, ti, W.ati, W.ap);
  const size_t lanes = static_cast<size_t>(Rp) * static_cast<size_t>(C);
  W.acc.assign(lanes, 0.0);
  if (promo) W.w.assign(lanes, 0.0);
  const double scale = std::ldexp(1.0, P.S);
  load_c_init(P, ti, tj * C, C, scale, W.acc.data(), W.w.data());
  KArgs g{W.ap.data(), P.bpack.data() + static_cast<size_t>(tj) * static_cast<size_t>(K) * static_cast<size_t>(C),
          K, C, W.acc.data(), W.w.data(), std::ldexp(1.0, -P.S), P.cfg.promote_n, nullptr, lanes, nullptr, nullptr,
          nullptr};
  const AccFormat& af = P.cfg.acc;
  const int nq = C / 4;
  KState256d st;
  st.mx = _mm256_setzero_pd();
  for (__m256i& v : st.inex) v = _mm256_setzero_si256();
  bool inexact = false;
  const unsigned saved = _mm_getcsr();
  if (p.rnd == Round::SR) {
    // run_tile's SR: chunks of 64 draws, each row block's words generated
    // before its kernels; declined on an inexact fma (MXCSR toward zero)
    // or an overflow to Inf
    const int mr = P.nv == 2 ? 4 : 8;
    const Ring rg = make_ring(mr, C);
    constexpr int kcs = 64;
    for (int k0 = 0; k0 < K; k0 += kcs) {
      const int k1 = std::min(K, k0 + kcs);
      plan_words(P, W, t, k0, k1);
      g.hi_off = W.hi_off.data();
      g.lo_off = W.lo_off.data();
      g.cnt = W.cnt.data();
      const KernelSr256dFn fn = P.fsr64a[inexact ? 0 : 1];
      _mm_setcsr(P.mxcsr);
      for (int r0 = 0; r0 < Rp; r0 += mr) {
        gen_words_avx2(W.words.data() + rg.at(0, r0), rg.bls, W.gen, W.gen_to, 0, static_cast<size_t>(mr * C), P.taps);
        for (int rs = r0; rs < r0 + mr; rs += 4) {
          g.words = W.words.data() + rg.at(0, rs);
          for (int q0 = 0; q0 < nq; q0 += 2) fn(P.kc, g, rs, q0, k0, k1, &st);
        }
      }
      W.gen = W.gen_to;
      const unsigned csr = _mm_getcsr();
      _mm_setcsr(saved);
      if ((csr & 0x3Du) != 0) return false;  // invalid, divide, overflow, underflow, or an inexact fma
      if (any_inex(st)) inexact = true;
    }
  } else {
    // RNE: MXCSR's inexact flag is the tile's (x exact); RZ: an inexact fma
    // or a dropped bit (tracked throughout)
    const Kernel256dFn fn = P.fn64a[track ? 1 : 0];
    _mm_setcsr(P.mxcsr);
    constexpr int kc = 256;
    for (int k0 = 0; k0 < K; k0 += kc) {
      const int k1 = std::min(K, k0 + kc);
      for (int r0 = 0; r0 < Rp; r0 += 4)
        for (int q0 = 0; q0 < nq; q0 += 2) fn(P.kc, g, r0, q0, k0, k1, &st);
    }
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(saved);
    if ((csr & 0x1Du) != 0) return false;
    inexact = (csr & 0x20u) != 0 || (p.rnd == Round::RZ && any_inex(st));
    if (track) {
      alignas(32) double m4[4];
      _mm256_store_pd(m4, st.mx);
      for (double v : m4)
        if (!(v < limit * scale)) return false;
    }
  }
  if (st.rare) return false;
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      const size_t i = static_cast<size_t>(r * C + c);
      if (promo) {
        const float wf = static_cast<float>(W.w[i]);
        uint32_t b;
        std::memcpy(&b, &wf, 4);
        vals[r * C + c] = b;
      } else {
        const double v = W.acc[i];
        if (std::isinf(v)) return false;  // an overflow (SR): the generic path's flags
        vals[r * C + c] = narrow_bits(v * (1.0 / scale), af);
      }
    }
  const bool pinexact = (st.pinex[0] | st.pinex[1] | st.pinex[2] | st.pinex[3]) != 0;
  *flags = (inexact || pinexact) ? kFlagInexact : 0;
  return true;
}

FP8SA_T512 bool run_tile(const NarrowPlan& P, NarrowWorker& W, long t, bool track, double limit, uint32_t* vals,
                         uint8_t* flags) {
  const GemmProblem& p = P.p;
  const int R = P.R, C = P.C, Rp = P.Rp, K = p.K;
  const int ti = static_cast<int>(t / P.tn), tj = static_cast<int>(t % P.tn);
  const bool promo = P.cfg.promote_n != 0;
  // A rows of the tile row, scaled (rows outside the matrix and >= R: zero).
  load_a_rows(P, Rp, P.Sa, ti, W.ati, W.ap);
  const size_t lanes = static_cast<size_t>(Rp) * static_cast<size_t>(C);
  W.acc.assign(lanes, 0.0);
  if (promo) W.w.assign(lanes, 0.0);
  const double scale = std::ldexp(1.0, P.S);
  load_c_init(P, ti, tj * C, C, scale, W.acc.data(), W.w.data());
  KArgs g{W.ap.data(), P.bpack.data() + static_cast<size_t>(tj) * static_cast<size_t>(K) * static_cast<size_t>(C),
          K, C, W.acc.data(), W.w.data(), std::ldexp(1.0, -P.S), P.cfg.promote_n, nullptr, lanes, nullptr, nullptr,
          nullptr};
  KState st;
  st.inex[0] = st.inex[1] = _mm512_setzero_si512();
  st.mx = _mm512_setzero_pd();
  // RNE: track max |x| where asked; RZ, SR: the dropped bits until the tile
  // is known inexact.
  const bool rne = p.rnd == Round::RNE;
  bool inexact = false;
  const int mr = P.nv == 2 ? 4 : 8;
  const int nvec = C / 8;
  const bool sr = p.rnd == Round::SR;
  const Ring rg = make_ring(mr, C);
  // k in chunks whose B rows (and SR words of a row block) stay in L1
  // across the row blocks.
  const int kc = sr ? 64 : 256;
  const unsigned saved = _mm_getcsr();
  for (int k0 = 0; k0 < K; k0 += kc) {
    const int k1 = std::min(K, k0 + kc);
    if (sr) {
      plan_words(P, W, t, k0, k1);
      g.words = W.words.data();
      g.hi_off = W.hi_off.data();
      g.lo_off = W.lo_off.data();
      g.cnt = W.cnt.data();
    }
    const KernelFn fn = (rne ? track : !inexact) ? P.fn_track : P.fn_plain;
    _mm_setcsr(P.mxcsr);
    for (int r0 = 0; r0 < Rp; r0 += mr) {
      if (sr) {
        uint64_t* base = W.words.data() + rg.at(0, r0);
        gen_words(base, rg.bls, W.gen, W.gen_to, 0, static_cast<size_t>(mr * C), P.taps);
        g.words = base;
      }
      for (int v0 = 0; v0 < nvec; v0 += P.nv) fn(P.kc, g, r0, v0, k0, k1, &st);
    }
    if (sr) W.gen = W.gen_to;
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(saved);
    // MXCSR flags: 0x01 invalid, 0x04 divide, 0x08 overflow, 0x10 underflow, 0x20 inexact
    if ((csr & 0x1Du) != 0) return false;
    if (sr && (csr & 0x20u) != 0) return false;
    if (!sr && (csr & 0x20u) != 0) st.inex[0] = _mm512_set1_epi64(1);
    if (any_bits(_mm512_or_si512(st.inex[0], st.inex[1]))) inexact = true;
  }
  if (st.rare) return false;
  if (track) {
    alignas(64) double m8[8];
    _mm512_store_pd(m8, st.mx);
    for (double v : m8)
      if (!(v < limit * scale)) return false;
  }
  const AccFormat& af = P.cfg.acc;
  uint8_t f = 0;
  if (any_bits(_mm512_or_si512(st.inex[0], st.inex[1])) || (st.pinex[0] | st.pinex[1]) != 0) f |= kFlagInexact;
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      const size_t i = static_cast<size_t>(r * C + c);
      if (promo) {
        const float wf = static_cast<float>(W.w[i]);
        uint32_t b;
        std::memcpy(&b, &wf, 4);
        vals[r * C + c] = b;
      } else {
        const double v = W.acc[i];
        if (std::isinf(v)) return false;  // an overflow (SR): the generic path's flags
        vals[r * C + c] = narrow_bits(v * (1.0 / scale), af);
      }
    }
  *flags = f;
  return true;
}

// ---- SR on binary32 lanes (P.sr32): the streams in 32-bit words, which obey
// the same word recurrence (P(x)^32 = P(x^32) over GF(2)), in one ring per
// row block of mr32 rows x C lanes (a row's stride its lanes and one cache
// line more, as Ring); generated through a 64-bit view (XOR is bitwise).
struct Ring32 {
  int mr, cw;
  size_t bls, blk;  // row stride, block size (words)
  size_t size(int rp) const { return static_cast<size_t>(rp / mr) * blk; }
  // word (r, c) of row m, in virtual row r and lane c
  size_t at(long m, int r, int c) const {
    return static_cast<size_t>(r / mr) * blk + static_cast<size_t>(m & (kRing - 1)) * bls +
           static_cast<size_t>(((c / 16) * mr + r % mr) * 16 + c % 16);
  }
  // PE (r, c) with g rows per vector
  size_t at_pe(long m, int r, int c, int g) const { return at(m, r / g, g * c + r % g); }
  size_t block(int r0) const { return static_cast<size_t>(r0 / mr) * blk; }
};
inline Ring32 make_ring32(int mr, int cw) {
  const size_t bls = static_cast<size_t>(mr * cw) + 16;
  return Ring32{mr, cw, bls, static_cast<size_t>(kRing) * bls};
}

// The per-k word offsets and shifts of draws [d0, d0 + n) on 32-bit words:
// the draw's first bit is bit o (from the MSB) of word m; the funnel shift
// of words (m, m + 1) by s - 32 + o puts it at bit s - 1 where the draw
// straddles them (o > 32 - s), else the rotate of word m by s + o (the draw,
// R <= s bits, then lies inside word m).
inline __attribute__((always_inline)) void word_offsets32(const NarrowPlan& P, NarrowWorker& W, uint64_t d0, int n, size_t lp) {
  const int R = P.cfg.sr_bits, s = 23 - P.Y;
  W.hi_off.resize(static_cast<size_t>(n));
  W.lo_off.resize(static_cast<size_t>(n));
  W.cnt.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const uint64_t bit = (d0 + static_cast<uint64_t>(i)) * static_cast<uint64_t>(R);
    const long m = static_cast<long>(bit >> 5);
    const int o = static_cast<int>(bit & 31u);
    const bool pair = o >= 32 - s;
    W.hi_off[static_cast<size_t>(i)] = static_cast<size_t>(m & (kRing - 1)) * lp;
    W.lo_off[static_cast<size_t>(i)] = static_cast<size_t>((m + (pair ? 1 : 0)) & (kRing - 1)) * lp;
    W.cnt[static_cast<size_t>(i)] = pair ? s - 32 + o : s + o;
  }
}

// gen_words for taps {t0, t1, 2, 1} (lfsr_w 19, 26, 27, 32: the default):
// rows m - 1 and m - 2 of up to 8 lane vectors kept in registers, so that a
// row costs two loads per vector instead of four, and one row's address
// arithmetic serves 8 vectors (the generation is bound by loads, stores and
// that arithmetic, not by its XORs).
FP8SA_T512 void gen_words_r12(uint64_t* ring, size_t lp, long from, long to, size_t l0, size_t l1,
                              const std::vector<int>& taps) {
  if (from >= to) return;
  auto row = [&](long m) { return ring + static_cast<size_t>(m & (kRing - 1)) * lp; };
  const long t0 = taps[0], t1 = taps[1];
  constexpr int NL = 8;
  for (size_t lb = l0; lb < l1; lb += 8 * NL) {
    const int nl = static_cast<int>(std::min<size_t>(NL, (l1 - lb) / 8));
    __m512i r1[NL], r2[NL];
    for (int v = 0; v < NL; ++v) {
      if (v < nl) {
        r1[v] = _mm512_loadu_si512(row(from - 1) + lb + 8 * v);
        r2[v] = _mm512_loadu_si512(row(from - 2) + lb + 8 * v);
      } else {
        r1[v] = r2[v] = _mm512_setzero_si512();
      }
    }
    for (long m = from; m < to; ++m) {
      const uint64_t* sa = row(m - t0) + lb;
      const uint64_t* sb = row(m - t1) + lb;
      uint64_t* d = row(m) + lb;
      if (nl == NL) {
#pragma GCC unroll 8
        for (int v = 0; v < NL; ++v) {
          const __m512i x = _mm512_ternarylogic_epi64(_mm512_loadu_si512(sa + 8 * v), _mm512_loadu_si512(sb + 8 * v), r2[v], 0x96);
          r2[v] = r1[v];
          r1[v] = _mm512_xor_si512(x, r1[v]);
          _mm512_storeu_si512(d + 8 * v, r1[v]);
        }
      } else {
        for (int v = 0; v < nl; ++v) {
          const __m512i x = _mm512_ternarylogic_epi64(_mm512_loadu_si512(sa + 8 * v), _mm512_loadu_si512(sb + 8 * v), r2[v], 0x96);
          r2[v] = r1[v];
          r1[v] = _mm512_xor_si512(x, r1[v]);
          _mm512_storeu_si512(d + 8 * v, r1[v]);
        }
      }
    }
  }
}

// plan_words on 32-bit words: the rows for draws [k0, k1) of tile t.
void plan_words32(const NarrowPlan& P, NarrowWorker& W, long t, int k0, int k1) {
  const int R = P.cfg.sr_bits, lw = P.cfg.lfsr_w;
  const Ring32 rg = make_ring32(P.mr32, P.CV);
  const uint64_t K = static_cast<uint64_t>(P.p.K);
  const uint64_t d0 = static_cast<uint64_t>(t) * K + static_cast<uint64_t>(k0);
  const uint64_t d1 = static_cast<uint64_t>(t) * K + static_cast<uint64_t>(k1);  // exclusive
  const long m_lo = static_cast<long>((d0 * static_cast<uint64_t>(R)) >> 5);
  const long m_hi = static_cast<long>(((d1 * static_cast<uint64_t>(R) - 1u) >> 5) + 1u);  // the last pair's second row
  if (!W.valid32 || m_lo < W.gen32 - kRing + 2 || m_lo > W.gen32 + 64 * lw) {
    const long h0 = std::max(0L, m_lo - lw);
    W.words32.assign(rg.size(P.Rp32), 0u);
    const int db = lw >= 16 ? 16 : (lw >= 8 ? 8 : 4);
    for (int r = 0; r < P.R; ++r)
      for (int c = 0; c < P.C; ++c) {
        Lfsr l(lw, db, derive_seed(P.cfg.seed, static_cast<uint32_t>(1 + r * P.C + c), lw));
        l.skip(static_cast<uint64_t>(h0) * 32u / static_cast<uint64_t>(db));
        for (long m = h0; m < h0 + lw; ++m) {
          uint32_t word = 0;
          for (int q = 0; q < 32 / db; ++q) word = (word << db) | static_cast<uint32_t>(l.draw());
          W.words32[rg.at_pe(m, r, c, P.sr_g)] = word;
        }
      }
    W.gen32 = h0 + lw;
    W.valid32 = true;
  }
  W.gen32_to = std::max(W.gen32, m_hi + 1);
  word_offsets32(P, W, d0, k1 - k0, rg.bls);
}

// What run_sr32 does per instruction set (AVX2: P.avx2): the kernels'
// state, the word generation, a row block's chunk of k.
FP8SA_T512 void sr_init512(KState32* st) {
  st->inex[0] = st->inex[1] = _mm512_setzero_si512();
  st->mx = _mm512_setzero_ps();
}
FP8SA_T512 bool sr_inex512(const KState32* st) { return any_bits(st->inex[0]); }
FP8SA_T256 void sr_init256(KState256* st) {
  for (__m256i& v : st->inex) v = _mm256_setzero_si256();
  st->mx = _mm256_setzero_ps();
}
FP8SA_T256 bool sr_inex256(const KState256* st) {
  const __m256i x = _mm256_or_si256(st->inex[0], st->inex[1]);
  return _mm256_testz_si256(x, x) == 0;
}

template <bool AVX2>
struct SrIsa;
template <>
struct SrIsa<false> {
  using State = KState32;
  static void init(State* st) { sr_init512(st); }
  static bool inex(const State* st) { return sr_inex512(st); }
  static bool pinex(const State* st) { return (st->pinex[0] | st->pinex[1]) != 0; }
  static void gen(bool r12, uint64_t* ring, size_t lp, long from, long to, size_t l1, const std::vector<int>& taps) {
    r12 ? gen_words_r12(ring, lp, from, to, 0, l1, taps) : gen_words(ring, lp, from, to, 0, l1, taps);
  }
  static void chunk(const NarrowPlan& P, const KArgsSr32& g, bool inexact, int r0, int nvec, int k0, int k1, State* st);
};
template <>
struct SrIsa<true> {
  using State = KState256;
  static void init(State* st) { sr_init256(st); }
  static bool inex(const State* st) { return sr_inex256(st); }
  static bool pinex(const State* st) { return (st->pinex[0] | st->pinex[1]) != 0; }
  static void gen(bool r12, uint64_t* ring, size_t lp, long from, long to, size_t l1, const std::vector<int>& taps) {
    r12 ? gen_words_r12_avx2(ring, lp, from, to, 0, l1, taps) : gen_words_avx2(ring, lp, from, to, 0, l1, taps);
  }
  static void chunk(const NarrowPlan& P, const KArgsSr32& g, bool inexact, int r0, int nvec, int k0, int k1, State* st);
};
void SrIsa<false>::chunk(const NarrowPlan& P, const KArgsSr32& g, bool inexact, int r0, int nvec, int k0, int k1, State* st) {
  const KernelSr32Fn fn = P.fsr32[inexact ? 0 : 1];
  for (int v0 = 0; v0 < nvec; ++v0) fn(g, r0, v0, k0, k1, st);
}
void SrIsa<true>::chunk(const NarrowPlan& P, const KArgsSr32& g, bool inexact, int r0, int nvec, int k0, int k1, State* st) {
  const KernelSr256Fn fn = P.fsr32a[inexact ? 0 : 1];
  for (int v0 = 0; v0 < nvec; ++v0)
    for (int h = 0; h < 2; ++h) fn(g, r0, v0, h, k0, k1, st);
}

// Tile t on binary32 lanes with SR (P.sr32): its words and flags, or false
// where declined (MXCSR overflow, underflow or invalid; an accumulator
// overflowed to Inf; a promotion that overflowed or met Inf).
template <bool AVX2>
bool run_sr32(const NarrowPlan& P, NarrowWorker& W, long t, uint32_t* vals, uint8_t* flags) {
  using Isa = SrIsa<AVX2>;
  const GemmProblem& p = P.p;
  // (virtual rows and lanes: Rp virtual rows of CV lanes; PE (r, c) at
  // virtual row r / G, lane G c + r % G)
  const int R = P.R, C = P.C, CV = P.CV, G = P.sr_g, Rp = P.Rp32, K = p.K, mr = P.mr32;
  const int ti = static_cast<int>(t / P.tn), tj = static_cast<int>(t % P.tn);
  const bool promo = P.cfg.promote_n != 0;
  auto lane_of = [&](int r, int c) { return static_cast<size_t>((r / G) * CV + G * c + r % G); };
  if (W.apt_ti != ti || W.ati != ti) {
    const int rr = Rp * G, mrr = mr * G;  // PE rows
    load_a_rows(P, rr, P.Sa32, ti, W.ati, W.ap32);
    // per row block: [k][its PE rows]
    W.ap32t.resize(static_cast<size_t>(rr) * static_cast<size_t>(K));
    for (int r0 = 0; r0 < rr; r0 += mrr) {
      float* d = W.ap32t.data() + static_cast<size_t>(r0) * static_cast<size_t>(K);
      for (int i = 0; i < mrr; ++i) {
        const float* a = W.ap32.data() + static_cast<size_t>(r0 + i) * static_cast<size_t>(K);
        for (int k = 0; k < K; ++k) d[static_cast<size_t>(k) * static_cast<size_t>(mrr) + static_cast<size_t>(i)] = a[k];
      }
    }
    W.apt_ti = ti;
  }
  const size_t lanes = static_cast<size_t>(Rp) * static_cast<size_t>(CV);
  W.acc32.assign(lanes, 0.0f);
  if (promo) W.w32.assign(lanes, 0.0f);
  const double scale = std::ldexp(1.0, P.S32);
  if (G == 1) {
    load_c_init(P, ti, tj * C, C, scale, W.acc32.data(), W.w32.data());
  } else if (p.C_init != nullptr) {
    std::vector<float> ta(static_cast<size_t>(R * C), 0.0f), tw(static_cast<size_t>(R * C), 0.0f);
    load_c_init(P, ti, tj * C, C, scale, ta.data(), tw.data());
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) {
        W.acc32[lane_of(r, c)] = ta[static_cast<size_t>(r * C + c)];
        if (promo) W.w32[lane_of(r, c)] = tw[static_cast<size_t>(r * C + c)];
      }
  }
  const int s = 23 - P.Y;
  KArgsSr32 g{W.ap32t.data(), P.bpack32.data() + static_cast<size_t>(tj) * static_cast<size_t>(K) * static_cast<size_t>(CV),
              K, CV, W.acc32.data(), W.w32.data(), static_cast<float>(std::ldexp(1.0, -P.S32)), P.cfg.promote_n,
              ~((1u << s) - 1u), (1u << s) - 1u, P.sr_maskr, P.sr_l1, P.sr_halfm1, P.sr_wlsb,
              nullptr, nullptr, nullptr, nullptr};
  typename Isa::State st;
  Isa::init(&st);
  const bool trunc = P.sr32_kind == 1;
  bool inexact = false;
  const int nvec = CV / 16;
  const Ring32 rg = make_ring32(mr, CV);
  constexpr int kc = 128;  // a chunk's draws: at most 93 rows of words, with lfsr_w back inside the ring
  const unsigned saved = _mm_getcsr();
  // round down (the jam's RD sum, its flags MXCSR's) or, trunc, toward zero
  const unsigned mxcsr = trunc ? 0x7F80u : 0x3F80u;
  const bool r12 = P.taps.size() == 4 && P.taps[2] == 2 && P.taps[3] == 1;
  // Row block by row block through the whole of K, each block's words
  // generated in its own ring from the tile's first row: a block's
  // recurrence history (lfsr_w rows of its lanes) then stays in L1, where
  // interleaving the blocks chunk by chunk had it in L2.
  plan_words32(P, W, t, 0, std::min(K, kc));
  const long gen_start = W.gen32;
  long gen = gen_start;
  _mm_setcsr(mxcsr);
  for (int r0 = 0; r0 < Rp; r0 += mr) {
    uint32_t* base = W.words32.data() + rg.block(r0);
    gen = gen_start;
    for (int k0 = 0; k0 < K; k0 += kc) {
      const int k1 = std::min(K, k0 + kc);
      const uint64_t d0 = static_cast<uint64_t>(t) * static_cast<uint64_t>(K) + static_cast<uint64_t>(k0);
      const uint64_t d1 = d0 + static_cast<uint64_t>(k1 - k0);
      const long m_hi = static_cast<long>(((d1 * static_cast<uint64_t>(P.cfg.sr_bits) - 1u) >> 5) + 1u);
      const long gen_to = std::max(gen, m_hi + 1);
      Isa::gen(r12, reinterpret_cast<uint64_t*>(base), rg.bls / 2, gen, gen_to, static_cast<size_t>(mr * CV) / 2, P.taps);
      gen = gen_to;
      word_offsets32(P, W, d0, k1 - k0, rg.bls);
      g.hi_off = W.hi_off.data();
      g.lo_off = W.lo_off.data();
      g.cnt = W.cnt.data();
      g.words = base;
      if (!inexact && Isa::inex(&st)) inexact = true;
      Isa::chunk(P, g, inexact, r0, nvec, k0, k1, &st);
    }
  }
  W.gen32 = gen;
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(saved);
  // MXCSR flags: 0x01 invalid, 0x04 divide, 0x08 overflow, 0x10 underflow, 0x20 inexact
  if ((csr & 0x1Du) != 0) return false;
  if (trunc && (csr & 0x20u) != 0) inexact = true;
  if (Isa::inex(&st)) inexact = true;
  if (st.rare) return false;
  const AccFormat& af = P.cfg.acc;
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      const size_t i = lane_of(r, c);
      if (promo) {
        uint32_t b;
        std::memcpy(&b, &W.w32[i], 4);
        vals[r * C + c] = b;
      } else {
        const double v = static_cast<double>(W.acc32[i]);
        if (!std::isfinite(v)) return false;  // an overflow: the generic path's flags
        vals[r * C + c] = narrow_bits(v * (1.0 / scale), af);
      }
    }
  *flags = (inexact || Isa::pinex(&st)) ? kFlagInexact : 0;
  return true;
}

}  // namespace

namespace {
std::atomic<long> g_taken{0}, g_declined{0}, g_taken32{0}, g_taken64s{0};
bool tile_(const NarrowPlan& P, NarrowWorker& W, long t, uint32_t* vals, uint8_t* flags);
}  // namespace

bool narrow512_tile(const NarrowPlan& P, NarrowWorker& W, long t, uint32_t* vals, uint8_t* flags) {
  const bool r = tile_(P, W, t, vals, flags);
  (r ? g_taken : g_declined).fetch_add(1, std::memory_order_relaxed);
  return r;
}

void narrow512_counts(long* taken, long* declined, bool reset, long* taken32, long* taken64s) {
  *taken = reset ? g_taken.exchange(0) : g_taken.load();
  *declined = reset ? g_declined.exchange(0) : g_declined.load();
  const long t32 = reset ? g_taken32.exchange(0) : g_taken32.load();
  if (taken32 != nullptr) *taken32 = t32;
  const long t64 = reset ? g_taken64s.exchange(0) : g_taken64s.load();
  if (taken64s != nullptr) *taken64s = t64;
}

namespace {
// The a priori conditions (file comment) of tile row ti and columns
// [n0, n0 + ncols): false where declined; *track: RNE needs the tracked
// max |x| (else the bound proved it); *limit: the bound |x| must stay below.
bool conditions(const NarrowPlan& P, int ti, int n0, int ncols, bool b32, bool* track, double* limit) {
  const GemmProblem& p = P.p;
  const int R = P.R;
  double rmax = 0, rsum = 0, cmax = 0, csum = 0;
  int rl = kNoLsb, cl = kNoLsb;
  for (int r = 0; r < R; ++r) {
    const int m = ti * R + r;
    if (m >= p.M) break;
    const Line& L = P.rows[static_cast<size_t>(m)];
    if (L.special != 0) return false;
    rmax = std::max(rmax, L.maxabs);
    rsum = std::max(rsum, L.sumabs);
    rl = std::min(rl, L.lsb);
  }
  for (int c = 0; c < ncols; ++c) {
    const int n = n0 + c;
    if (n >= p.N) break;
    const Line& L = P.cols[static_cast<size_t>(n)];
    if (L.special != 0) return false;
    cmax = std::max(cmax, L.maxabs);
    csum = std::max(csum, L.sumabs);
    cl = std::min(cl, L.lsb);
  }
  int g = (rl == kNoLsb || cl == kNoLsb) ? kNoLsb : rl + cl;
  double imax = 0;
  const bool promo = P.cfg.promote_n != 0;
  if (p.C_init != nullptr) {
    const AccFormat rf = P.cfg.result_format();
    const uint32_t emask = ((1u << rf.exp_bits) - 1u) << rf.man_bits;
    const uint32_t sbit = 1u << (rf.exp_bits + rf.man_bits);
    for (int r = 0; r < R; ++r) {
      const int m = ti * R + r;
      if (m >= p.M) break;
      for (int c = 0; c < ncols; ++c) {
        const int n = n0 + c;
        if (n >= p.N) break;
        const uint32_t word = p.C_init[static_cast<size_t>(m) * static_cast<size_t>(p.N) + static_cast<size_t>(n)] & rf.mask();
        if ((word & emask) == emask) return false;  // NaN / Inf
        if (word == sbit && !promo) return false;    // -0
        if (promo) continue;                          // w, not the narrow sum
        const uint32_t fb = rf.to_f32_bits(word);
        float fv;
        std::memcpy(&fv, &fb, 4);
        imax = std::max(imax, std::fabs(static_cast<double>(fv)));
        g = std::min(g, lsb_of(static_cast<double>(fv)));
      }
    }
  }
  if (g != kNoLsb && g < P.emin - P.Y) return false;  // not tiny-safe
  *track = false;
  *limit = P.maxfin;
  if (b32) {
    // Every nonzero scaled sum a normal binary32 (e8 RNE: S32 < 0) and, for
    // RNE, no overflow: proved by the bound or checked on the tracked max |x|.
    if (g != kNoLsb && g + P.S32 < -126) return false;
    if (p.rnd == Round::RNE) {
      const double bound = (imax + std::min(rsum * cmax, rmax * csum)) * P.growth;
      *track = !(bound < P.maxfin);
    }
    return true;
  }
  if (p.rnd == Round::RNE) {
    // Every |x| below 2^(g + 53): every fma exact; below the largest finite
    // value: no overflow. Proved beforehand by the bound, or checked after
    // the run on the tracked max |x| (a rounded x would be at least 2^(g+53)).
    const double bound = (imax + std::min(rsum * cmax, rmax * csum)) * P.growth;
    if (g != kNoLsb) *limit = std::min(*limit, std::ldexp(1.0, std::min(g + 53, 1000)));
    *track = !(bound < *limit);
  }
  return true;
}

bool tile_(const NarrowPlan& P, NarrowWorker& W, long t, uint32_t* vals, uint8_t* flags) {
  const int R = P.R, C = P.C;
  const int ti = static_cast<int>(t / P.tn), tj = static_cast<int>(t % P.tn);
  if (P.sr32) {
    bool track = false;
    double limit = 0;
    if (!conditions(P, ti, tj * C, C, true, &track, &limit)) return false;
    if (!(P.avx2 ? run_sr32<true>(P, W, t, vals, flags) : run_sr32<false>(P, W, t, vals, flags))) return false;
    g_taken32.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  if (P.use32 || P.sup64) {
    // The super-tile holding t (tiles tj0 .. tj0 + TPS - 1 of tile row ti),
    // computed once per worker and kept until the next one.
    const int sj = tj / P.tps, q = tj % P.tps;
    if (W.s_ti != ti || W.s_sj != sj) {
      W.s_ti = ti;
      W.s_sj = sj;
      W.s_ok.assign(static_cast<size_t>(P.tps), 0);
      bool track = false;
      double limit = 0;
      if (conditions(P, ti, sj * P.CV, P.CV, P.use32, &track, &limit)) {
        if (P.avx2 && P.use32) {
          run_super32_avx2(P, W, ti, sj, track, limit);
        } else if (P.avx2) {
          run_super64_avx2(P, W, ti, sj, track, limit);
        } else if (P.use32) {
          run_super32(P, W, ti, sj, track, limit);
        } else {
          run_super64(P, W, ti, sj, track, limit);
        }
      }
    }
    if (W.s_ok[static_cast<size_t>(q)] == 0) return false;
    std::memcpy(vals, W.s_vals.data() + static_cast<size_t>(q) * static_cast<size_t>(R * C), sizeof(uint32_t) * static_cast<size_t>(R * C));
    *flags = W.s_flags[static_cast<size_t>(q)];
    (P.use32 ? g_taken32 : g_taken64s).fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  bool track = false;
  double limit = 0;
  if (!conditions(P, ti, tj * C, C, false, &track, &limit)) return false;
  if (P.avx2) return run_tile_avx2(P, W, t, track, limit, vals, flags);
  return run_tile(P, W, t, track, limit, vals, flags);
}

}  // namespace

#else  // !FP8SA_N512

struct NarrowPlan {};
struct NarrowWorker {};
void NarrowPlanDeleter::operator()(NarrowPlan* p) const { delete p; }
void NarrowWorkerDeleter::operator()(NarrowWorker* w) const { delete w; }
bool narrow512_cpu() { return false; }
NarrowPlanPtr narrow512_prepare(const GemmProblem&, const ArrayConfig&, int, void (*)(long, int, void*, void (*)(void*, long))) {
  return nullptr;
}
NarrowWorkerPtr narrow512_worker() { return NarrowWorkerPtr(new NarrowWorker()); }
bool narrow512_tile(const NarrowPlan&, NarrowWorker&, long, uint32_t*, uint8_t*) { return false; }
void narrow512_counts(long* taken, long* declined, bool, long* taken32, long* taken64s) {
  *taken = *declined = 0;
  if (taken32 != nullptr) *taken32 = 0;
  if (taken64s != nullptr) *taken64s = 0;
}

#endif

}  // namespace detail
}  // namespace fp8sa

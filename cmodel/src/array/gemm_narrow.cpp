// The functional model's fast path for every accumulator eXmY, rounding
// (RNE, RZ, SR with R bits) and promotion interval (docs/numerics.md
// "Promotion"): bit-identical to the generic path (AccAdder, per MAC), with
// the same per-tile flags, at about ten times its speed. gemm_functional
// calls it per tile for everything but e8m23 RNE without promotion (which
// has its own SGEMM-like kernel there).
//
// How a MAC is computed (x86 AVX2, 4 accumulators per ymm, one per PE):
//
//   1. The narrow accumulator's value a (at most 24 significant bits,
//      exponent within binary32's) and the exact FP8 product p (at most 8
//      bits) are binary64 numbers. s = a + p in binary64 (RNE), and
//      TwoSum gives the exact error e = (a + p) - s, |e| <= ulp(s)/2.
//   2. The exact |x| = |s + e| is taken as the integer M = 2*S + sgn(e) at
//      scale 2^(E - 1076) (S the 53-bit significand of s, E its biased
//      exponent, e's sign taken relative to s's): bit 0 of M is a sticky ("jammed") bit. When e != 0, x lies
//      strictly between 2S-1 and 2S+1 and is not a multiple of 2 there, so
//      every rounding that reads only bits 1 and up of M (plus "anything
//      below") decides the same for x and for M. The narrow rounding reads
//      bits down to q - (R - 1), q >= L - 23 the destination LSB, L the
//      exponent of x's leading bit, R <= 24: at least 6 bits above M's bit
//      0 (q - R + 1 >= L - 46, and bit 0 of M sits at L - 53). One case
//      moves L: s = 2^L exactly with e < 0 puts x just below 2^L, so L is
//      taken one lower there (corr).
//   3. q = max(L - man, qmin); sh = q - (E - 1076) bits of M are dropped:
//      RNE adds half - 1 plus the kept LSB, RZ truncates, SR compares the
//      R-bit draw u with k = 2t + s (t the top R-1 dropped bits, s any
//      further one; numerics.md section 5) exactly as detail::round_value.
//      The rounded significand sig (carry included) times 2^q is the new
//      accumulator, exact in binary64; >= 2^(emax+1) is an overflow (Inf,
//      RZ the largest finite), and the flags are round_value's (inexact,
//      underflow with its tininess rule, overflow), ORed over the tile.
//   4. s = 0 (cancellation, or zero + zero: binary64's RNE sign rules are
//      numerics.md's) and an Inf accumulator (after an overflow; products
//      are finite here) keep s and raise nothing.
//
// Tiles with an FP8 NaN/Inf code or a NaN/Inf init word (binary32 with
// promotion), and CPUs without AVX2 and FMA, take the generic path (with
// or without promotion: tile_compute_generic implements numerics.md section
// 9 as well); such tiles are rare, and their value is NaN/Inf anyway. With
// promotion (promote_n = N > 0) a wide binary32 accumulator w
// per PE takes w = RNE_binary32(w + widen(n)) every N MACs and after the
// last, n restarting from +0: binary64's sum of two binary32-exact values
// rounded to binary32 is the RNE binary32 sum (53 >= 2*24 + 2: double
// rounding is innocuous), inexact when TwoSum's error or the binary32
// rounding is non-zero, overflow when it gives Inf; lanes with an Inf or NaN
// w or n take AccAdder's binary32 add instead.
//
// SR's draws: PE (r, c) of tile t draws from its LFSR jumped t*K draws from
// its seed (gemm.hpp), one draw per MAC, each made (Lfsr::draw_table, the
// draw map's byte-sliced table) next to the MAC that uses it.
#include "gemm_narrow.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/numerics.hpp"
#include "internal.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FP8SA_NARROW_X86 1
#define FP8SA_AVX2 __attribute__((target("avx2,fma")))
#else
#define FP8SA_NARROW_X86 0
#endif

namespace fp8sa {
namespace detail {

namespace {

#if FP8SA_NARROW_X86

bool fp8_special(uint8_t code, Fp8Format f) { return fp8_is_special(code, f); }

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

// The tile's geometry and operand rows / columns (+0 outside the matrix).
struct TileView {
  const GemmProblem& p;
  const ArrayConfig& cfg;
  long t;
  int ti, tj, R, C;
  const uint8_t* a_row(int r) const {
    const int m = ti * R + r;
    return m < p.M ? p.A + static_cast<size_t>(m) * static_cast<size_t>(p.K) : nullptr;
  }
  bool col_in(int c) const { return tj * C + c < p.N; }
  uint8_t b(int k, int c) const {
    const int n = tj * C + c;
    return n < p.N ? p.B[static_cast<size_t>(k) * static_cast<size_t>(p.N) + static_cast<size_t>(n)] : 0u;
  }
  uint32_t init(int r, int c) const {
    const int m = ti * R + r, n = tj * C + c;
    if (p.C_init == nullptr || m >= p.M || n >= p.N) return 0u;
    return p.C_init[static_cast<size_t>(m) * static_cast<size_t>(p.N) + static_cast<size_t>(n)];
  }
  Lfsr pe_lfsr(int r, int c) const {
    Lfsr l(cfg.lfsr_w, cfg.sr_bits, derive_seed(cfg.seed, static_cast<uint32_t>(1 + r * C + c), cfg.lfsr_w));
    l.skip(static_cast<uint64_t>(t) * static_cast<uint64_t>(p.K));
    return l;
  }
};

bool operands_special(const TileView& v) {
  const GemmProblem& p = v.p;
  for (int r = 0; r < v.R; ++r) {
    const uint8_t* a = v.a_row(r);
    if (a == nullptr) continue;
    for (int k = 0; k < p.K; ++k)
      if (fp8_special(a[k], p.fmt_a)) return true;
  }
  for (int k = 0; k < p.K; ++k)
    for (int c = 0; c < v.C; ++c)
      if (v.col_in(c) && fp8_special(v.b(k, c), p.fmt_b)) return true;
  return false;
}

// widen(n) of docs/numerics.md "Promotion": exact, NaN -> the canonical NaN.
uint32_t widen(uint32_t n, const AccFormat& f) {
  const uint32_t b = f.to_f32_bits(n);
  return ((b & 0x7F800000u) == 0x7F800000u && (b & 0x7FFFFFu) != 0) ? 0x7FC00000u : b;
}

// The accumulator word of a finite or infinite binary64 value that is
// exactly representable in format f.
uint32_t narrow_word(double v, const AccFormat& f) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  const uint32_t X = static_cast<uint32_t>(f.exp_bits), Y = static_cast<uint32_t>(f.man_bits);
  const uint32_t sign = static_cast<uint32_t>(b >> 63) << (X + Y);
  const int E = static_cast<int>((b >> 52) & 0x7FFu);
  if (E == 0) return sign;                                        // +-0
  if (E == 0x7FF) return sign | (((1u << X) - 1u) << Y);          // +-Inf
  const uint64_t S = (b & ((uint64_t{1} << 52) - 1u)) | (uint64_t{1} << 52);
  const int L = E - 1023, bias = f.bias(), emin = 1 - bias;
  if (L >= emin) {
    return sign | (static_cast<uint32_t>(L + bias) << Y) | static_cast<uint32_t>((S >> (52 - Y)) & ((1u << Y) - 1u));
  }
  return sign | static_cast<uint32_t>(S >> (52 - static_cast<int>(Y) + emin - L));
}

// Per-format constants of the kernel (see the file comment for the names).
struct KConst {
  __m256i c1, c2, r1, emin_e, emin_e1, c2m2, k0, fmask, hidden, one, e2047, e1076, e1023, magic_i, sign;
  __m256d ovf_thr, ovf_val, magic_d, zero;
};

FP8SA_AVX2 KConst make_const(const AccFormat& f, Round rnd, int R) {
  const int man = f.man_bits, bias = f.bias(), emin = 1 - bias, emax = bias, qmin = emin - man;
  KConst k;
  k.c1 = _mm256_set1_epi64x(53 - man);
  k.c2 = _mm256_set1_epi64x(qmin + 1076);
  k.r1 = _mm256_set1_epi64x(R - 1);
  k.emin_e = _mm256_set1_epi64x(emin + 1023);
  k.emin_e1 = _mm256_set1_epi64x(emin + 1022);
  k.c2m2 = _mm256_set1_epi64x(qmin + 1074);
  k.k0 = _mm256_set1_epi64x((int64_t{1} << (man + 2)) - 1);
  k.fmask = _mm256_set1_epi64x((int64_t{1} << 52) - 1);
  k.hidden = _mm256_set1_epi64x(int64_t{1} << 52);
  k.one = _mm256_set1_epi64x(1);
  k.e2047 = _mm256_set1_epi64x(2047);
  k.e1076 = _mm256_set1_epi64x(1076);
  k.e1023 = _mm256_set1_epi64x(1023);
  k.magic_i = _mm256_set1_epi64x(0x4330000000000000LL);
  k.sign = _mm256_set1_epi64x(static_cast<int64_t>(uint64_t{1} << 63));
  k.ovf_thr = _mm256_set1_pd(std::ldexp(1.0, emax + 1));
  const double maxv = std::ldexp(static_cast<double>((uint64_t{1} << (man + 1)) - 1u), emax - man);
  k.ovf_val = _mm256_set1_pd(rnd == Round::RZ ? maxv : HUGE_VAL);
  k.magic_d = _mm256_set1_pd(4503599627370496.0);  // 2^52
  k.zero = _mm256_setzero_pd();
  return k;
}

// Flag accumulators of a tile (any set bit in a lane: the flag).
struct KFlags {
  __m256i inex, ufl, ovf;
};

FP8SA_AVX2 inline bool any_bit(__m256i x) { return _mm256_testz_si256(x, x) == 0; }

// One MAC on 4 lanes: acc = round(acc + p) (file comment, steps 1-4).
template <int RND>
FP8SA_AVX2 inline __m256d mac4(__m256d acc, __m256d p, __m256i u, const KConst& k, KFlags* fl) {
  const __m256d s = _mm256_add_pd(acc, p);
  const __m256d bb = _mm256_sub_pd(s, acc);
  const __m256d aa = _mm256_sub_pd(s, bb);
  const __m256d err = _mm256_add_pd(_mm256_sub_pd(acc, aa), _mm256_sub_pd(p, bb));
  const __m256i sb = _mm256_castpd_si256(s);
  const __m256i E = _mm256_srli_epi64(_mm256_slli_epi64(sb, 1), 53);
  const __m256i F = _mm256_and_si256(sb, k.fmask);
  // The error's sign relative to |s| (M is a magnitude).
  const __m256i ssign = _mm256_and_si256(sb, k.sign);
  const __m256d errm = _mm256_xor_pd(err, _mm256_castsi256_pd(ssign));
  const __m256i epos = _mm256_castpd_si256(_mm256_cmp_pd(errm, k.zero, _CMP_GT_OQ));
  const __m256i eneg = _mm256_castpd_si256(_mm256_cmp_pd(errm, k.zero, _CMP_LT_OQ));
  const __m256i M =
      _mm256_add_epi64(_mm256_sub_epi64(_mm256_slli_epi64(_mm256_or_si256(F, k.hidden), 1), epos), eneg);
  const __m256i corr = _mm256_and_si256(_mm256_cmpeq_epi64(F, _mm256_setzero_si256()), eneg);  // -1: L one lower
  // sh = max(53 - man + corr, qmin + 1076 - E): small signed values, so the
  // 32-bit max on sign-extended 64-bit lanes is the 64-bit max.
  const __m256i sh = _mm256_max_epi32(_mm256_add_epi64(k.c1, corr), _mm256_sub_epi64(k.c2, E));
  const __m256i kept0 = _mm256_srlv_epi64(M, sh);
  const __m256i lowm = _mm256_sub_epi64(_mm256_sllv_epi64(k.one, sh), k.one);  // all ones for sh >= 64
  const __m256i rem = _mm256_and_si256(M, lowm);
  __m256i kept;
  if constexpr (RND == 0) {  // RNE: add half - 1 plus the kept LSB
    kept = _mm256_srlv_epi64(
        _mm256_add_epi64(_mm256_add_epi64(M, _mm256_srli_epi64(lowm, 1)), _mm256_and_si256(kept0, k.one)), sh);
  } else if constexpr (RND == 1) {
    kept = kept0;
  } else {  // SR: up iff u < 2t + s
    const __m256i shift = _mm256_min_epi32(_mm256_sub_epi64(sh, k.r1), _mm256_set1_epi64x(63));
    const __m256i mask2 = _mm256_sub_epi64(_mm256_sllv_epi64(k.one, shift), k.one);
    const __m256i t = _mm256_srlv_epi64(rem, shift);
    const __m256i ts = _mm256_srlv_epi64(_mm256_add_epi64(rem, mask2), shift);  // t + s
    const __m256i up = _mm256_cmpgt_epi64(_mm256_add_epi64(t, ts), u);
    kept = _mm256_sub_epi64(kept0, up);
  }
  const __m256i q = _mm256_add_epi64(sh, _mm256_sub_epi64(E, k.e1076));
  const __m256d dsig = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(kept, k.magic_i)), k.magic_d);
  const __m256d pq = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(q, k.e1023), 52));
  __m256d val = _mm256_mul_pd(dsig, pq);
  const __m256d ovf = _mm256_cmp_pd(val, k.ovf_thr, _CMP_GE_OQ);
  val = _mm256_blendv_pd(val, k.ovf_val, ovf);
  val = _mm256_or_pd(val, _mm256_castsi256_pd(ssign));
  const __m256i special =
      _mm256_or_si256(_mm256_cmpeq_epi64(E, k.e2047), _mm256_castpd_si256(_mm256_cmp_pd(s, k.zero, _CMP_EQ_OQ)));
  val = _mm256_blendv_pd(val, s, _mm256_castsi256_pd(special));
  // flags
  const __m256i ovfi = _mm256_castpd_si256(ovf);
  fl->inex = _mm256_or_si256(fl->inex, _mm256_andnot_si256(special, _mm256_or_si256(rem, ovfi)));
  fl->ovf = _mm256_or_si256(fl->ovf, _mm256_andnot_si256(special, ovfi));
  const __m256i Ee = _mm256_add_epi64(E, corr);
  __m256i tiny = _mm256_andnot_si256(_mm256_cmpeq_epi64(rem, _mm256_setzero_si256()), _mm256_cmpgt_epi64(k.emin_e, Ee));
  if constexpr (RND == 0) {
    // Tininess after rounding: x in [2^emin - 2^(qmin-2), 2^emin) rounds to
    // 2^emin with an unbounded exponent, so it is not tiny.
    const __m256i thr = _mm256_sub_epi64(_mm256_sllv_epi64(k.k0, _mm256_sub_epi64(k.c2m2, E)), k.one);
    const __m256i exc = _mm256_and_si256(_mm256_cmpeq_epi64(Ee, k.emin_e1), _mm256_cmpgt_epi64(M, thr));
    tiny = _mm256_andnot_si256(exc, tiny);
  }
  fl->ufl = _mm256_or_si256(fl->ufl, _mm256_andnot_si256(special, tiny));
  return val;
}

// Promotion on 4 lanes: w = RNE_binary32(w + n), n = +0. Lanes with an Inf
// or NaN w or n: AccAdder's binary32 add.
FP8SA_AVX2 inline void promote4(double* wv, double* nv, const AccFormat& af, const AccAdder& wide, uint8_t* f) {
  const __m256d w = _mm256_loadu_pd(wv), n = _mm256_loadu_pd(nv);
  const __m256d absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
  const __m256d inf = _mm256_set1_pd(HUGE_VAL);
  const __m256d bad = _mm256_or_pd(_mm256_cmp_pd(_mm256_and_pd(w, absmask), inf, _CMP_NLT_UQ),
                                   _mm256_cmp_pd(_mm256_and_pd(n, absmask), inf, _CMP_NLT_UQ));
  if (_mm256_movemask_pd(bad) != 0) {
    for (int j = 0; j < 4; ++j) {
      const float wf = static_cast<float>(wv[j]);
      const OpResult s =
          wide.add(f32_bits(wf), widen(narrow_word(nv[j], af), af), Round::RNE);
      *f = static_cast<uint8_t>(*f | s.flags);
      wv[j] = static_cast<double>(f32_of(s.bits));
      nv[j] = 0.0;
    }
    return;
  }
  const __m256d s = _mm256_add_pd(w, n);
  const __m256d bb = _mm256_sub_pd(s, w);
  const __m256d aa = _mm256_sub_pd(s, bb);
  const __m256d err = _mm256_add_pd(_mm256_sub_pd(w, aa), _mm256_sub_pd(n, bb));
  const __m256d r = _mm256_cvtps_pd(_mm256_cvtpd_ps(s));
  const __m256d inexact = _mm256_or_pd(_mm256_cmp_pd(err, _mm256_setzero_pd(), _CMP_NEQ_UQ),
                                       _mm256_cmp_pd(r, s, _CMP_NEQ_UQ));
  const __m256d ovf = _mm256_cmp_pd(_mm256_and_pd(r, absmask), inf, _CMP_EQ_OQ);
  if (_mm256_movemask_pd(inexact) != 0) *f = static_cast<uint8_t>(*f | kFlagInexact);
  if (_mm256_movemask_pd(ovf) != 0) *f = static_cast<uint8_t>(*f | kFlagOverflow | kFlagInexact);
  _mm256_storeu_pd(wv, r);
  _mm256_storeu_pd(nv, _mm256_setzero_pd());
}

struct Scratch {
  std::vector<double> ad, bd, acc, w;
  std::vector<uint32_t> u;  // SR: the PEs' LFSR states
};

template <int RND, bool PROMOTE>
FP8SA_AVX2 void tile_kernel(const TileView& v, const double* lut_a, const double* lut_b, uint32_t* vals,
                            uint8_t* flags) {
  const GemmProblem& p = v.p;
  const int R = v.R, C = v.C, K = p.K;
  // TwoSum and the binary32 promotion need RNE without FTZ/DAZ, whatever
  // the caller's MXCSR.
  struct Csr {
    unsigned saved = _mm_getcsr();
    Csr() { _mm_setcsr(0x1F80u); }
    ~Csr() { _mm_setcsr(saved); }
  } csr;
  const int CV = (C + 3) / 4, Cp = 4 * CV;  // vectors per row, padded columns
  thread_local Scratch sc;
  sc.ad.assign(static_cast<size_t>(R) * static_cast<size_t>(K), 0.0);
  sc.bd.resize(static_cast<size_t>(K) * static_cast<size_t>(Cp));
  sc.acc.assign(static_cast<size_t>(R) * static_cast<size_t>(Cp), 0.0);
  for (int r = 0; r < R; ++r) {
    const uint8_t* a = v.a_row(r);
    if (a == nullptr) continue;
    double* d = sc.ad.data() + static_cast<size_t>(r) * static_cast<size_t>(K);
    for (int k = 0; k < K; ++k) d[k] = lut_a[a[k]];
  }
  for (int k = 0; k < K; ++k) {
    double* d = sc.bd.data() + static_cast<size_t>(k) * static_cast<size_t>(Cp);
    for (int c = 0; c < Cp; ++c) d[c] = c < C ? lut_b[v.b(k, c)] : 0.0;
  }
  const AccFormat& af = v.cfg.acc;
  if constexpr (PROMOTE) {
    sc.w.assign(static_cast<size_t>(R) * static_cast<size_t>(Cp), 0.0);
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) sc.w[static_cast<size_t>(r * Cp + c)] = static_cast<double>(f32_of(v.init(r, c)));
  } else {
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) {
        sc.acc[static_cast<size_t>(r * Cp + c)] =
            static_cast<double>(f32_of(af.to_f32_bits(v.init(r, c) & af.mask())));
      }
  }
  const KConst kc = make_const(af, p.rnd, v.cfg.sr_bits);
  KFlags fl{_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
  uint8_t pflags = 0;
  const AccAdder wide(kFp32, v.cfg.sr_bits);
  const int PN = v.cfg.promote_n;
  // SR: every PE's LFSR state, lanes as acc (padded lanes stay at the zero
  // state, whose draws are 0); the draws are made next to the MACs that use
  // them, so the scalar table look-ups overlap the vector work.
  const uint32_t* dt = nullptr;
  uint32_t dmask = 0;
  if constexpr (RND == 2) {
    sc.u.assign(static_cast<size_t>(R) * static_cast<size_t>(Cp), 0u);
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) {
        const Lfsr l = v.pe_lfsr(r, c);
        sc.u[static_cast<size_t>(r * Cp + c)] = l.state();
        dt = l.draw_table();
      }
    dmask = (1u << v.cfg.sr_bits) - 1u;
  }
  uint32_t* st = sc.u.data();
  double* acc = sc.acc.data();
  const double* ad = sc.ad.data();
  int until_promote = PN;
  for (int k = 0; k < K; ++k) {
    const double* brow = sc.bd.data() + static_cast<size_t>(k) * static_cast<size_t>(Cp);
    for (int r = 0; r < R; ++r) {
      const __m256d a = _mm256_broadcast_sd(ad + static_cast<size_t>(r) * static_cast<size_t>(K) + k);
      for (int j = 0; j < CV; ++j) {
        double* pa = acc + r * Cp + 4 * j;
        __m256i u = _mm256_setzero_si256();
        if constexpr (RND == 2) {
          alignas(16) uint32_t uw[4];
          uint32_t* s4 = st + r * Cp + 4 * j;
          for (int l = 0; l < 4; ++l) {
            const uint32_t s0 = s4[l];
            const uint32_t s1 = dt[s0 & 0xFFu] ^ dt[256 + ((s0 >> 8) & 0xFFu)] ^ dt[512 + ((s0 >> 16) & 0xFFu)] ^
                                dt[768 + (s0 >> 24)];
            s4[l] = s1;
            uw[l] = s1 & dmask;
          }
          u = _mm256_cvtepu32_epi64(_mm_load_si128(reinterpret_cast<const __m128i*>(uw)));
        }
        const __m256d pr = _mm256_mul_pd(a, _mm256_loadu_pd(brow + 4 * j));
        _mm256_storeu_pd(pa, mac4<RND>(_mm256_loadu_pd(pa), pr, u, kc, &fl));
      }
    }
    if constexpr (PROMOTE) {
      if (--until_promote == 0 || k == K - 1) {
        until_promote = PN;
        for (int i = 0; i < R * Cp; i += 4) promote4(sc.w.data() + i, acc + i, af, wide, &pflags);
      }
    }
  }
  uint8_t f = pflags;
  if (any_bit(fl.inex)) f |= kFlagInexact;
  if (any_bit(fl.ufl)) f |= kFlagUnderflow;
  if (any_bit(fl.ovf)) f |= kFlagOverflow;
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      const size_t i = static_cast<size_t>(r * Cp + c);
      vals[r * C + c] = PROMOTE ? f32_bits(static_cast<float>(sc.w[i])) : narrow_word(acc[i], af);
    }
  *flags = f;
}

struct Luts {
  double t[2][256];
  Luts() {
    for (int f = 0; f < 2; ++f)
      for (int c = 0; c < 256; ++c) t[f][c] = fp8_to_double(static_cast<uint8_t>(c), static_cast<Fp8Format>(f));
  }
};

#endif  // FP8SA_NARROW_X86

}  // namespace

bool narrow_fast_cpu() {
#if FP8SA_NARROW_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool narrow_tile(const GemmProblem& p, const ArrayConfig& cfg, long t, int tiles_n, uint32_t* vals, uint8_t* flags) {
#if FP8SA_NARROW_X86
  if (!narrow_fast_cpu()) return false;
  const TileView v{p, cfg, t, static_cast<int>(t / tiles_n), static_cast<int>(t % tiles_n), cfg.rows, cfg.cols};
  if (operands_special(v)) return false;
  if (p.C_init != nullptr) {
    // A NaN/Inf init word, in the result format: binary32 with promotion (a
    // NaN's bits do not survive binary64), else the accumulator format.
    const AccFormat rf = cfg.result_format();
    const uint32_t emask = ((1u << rf.exp_bits) - 1u) << rf.man_bits;
    for (int r = 0; r < v.R; ++r)
      for (int c = 0; c < v.C; ++c)
        if ((v.init(r, c) & emask) == emask) return false;
  }
  static const Luts luts;
  const double* la = luts.t[static_cast<int>(p.fmt_a)];
  const double* lb = luts.t[static_cast<int>(p.fmt_b)];
  const bool pr = cfg.promote_n != 0;
  switch (p.rnd) {
    case Round::RNE:
      pr ? tile_kernel<0, true>(v, la, lb, vals, flags) : tile_kernel<0, false>(v, la, lb, vals, flags);
      break;
    case Round::RZ:
      pr ? tile_kernel<1, true>(v, la, lb, vals, flags) : tile_kernel<1, false>(v, la, lb, vals, flags);
      break;
    default:
      pr ? tile_kernel<2, true>(v, la, lb, vals, flags) : tile_kernel<2, false>(v, la, lb, vals, flags);
      break;
  }
  return true;
#else
  (void)p;
  (void)cfg;
  (void)t;
  (void)tiles_n;
  (void)vals;
  (void)flags;
  return false;
#endif
}

}  // namespace detail
}  // namespace fp8sa

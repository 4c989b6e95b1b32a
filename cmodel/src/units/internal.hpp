// fp8sa model internals shared by the model units (cmodel/src/units/) and
// the array model's fast paths (cmodel/src/array/) (not installed, not part
// of the API). Everything here is integer bit manipulation; the
// comments refer to docs/numerics.md.
#pragma once

#include <cstdint>
#include <string>

#include "fp8sa/numerics.hpp"

namespace fp8sa {
namespace detail {

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

// Number of significant bits of a non-zero x.
inline int bitlen64(uint64_t x) { return 64 - __builtin_clzll(x); }

// x >> n, 0 for n >= 64 (no undefined shift).
inline uint64_t shr64(uint64_t x, int n) { return n >= 64 ? 0 : (x >> n); }

// The low n bits set (n in [0, 64]).
inline uint64_t low_mask64(int n) { return n >= 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1u); }

std::string hex32(uint64_t v);  // "0x1F" style, for error messages

// ---------------------------------------------------------------------------
// FP8 decode (section 1): value = (-1)^sign * sig * 2^exp for finite codes.
// ---------------------------------------------------------------------------

// Operand classes; bit flags so that "any special" is one OR.
enum : uint8_t { kClsFinite = 0, kClsZero = 1, kClsInf = 2, kClsNan = 4 };

struct Fp8Dec {
  uint8_t sig;  // integer significand, 0..15 (finite non-zero only)
  int8_t exp;   // exponent of the significand's LSB
  uint8_t cls;  // kCls*
  uint8_t sign;
};

struct Fp8DecTable {
  Fp8Dec t[2][256];
};

constexpr Fp8DecTable make_fp8_dec_table() {
  Fp8DecTable r{};
  for (int f = 0; f < 2; ++f) {
    for (int c = 0; c < 256; ++c) {
      Fp8Dec d{0, 0, kClsZero, static_cast<uint8_t>(c >> 7)};
      const FormatInfo& fi = kFormatTable[f];  // Fp8Format code f
      const int mbits = fi.man_bits;
      const int ebits = fi.exp_bits;
      const int bias = fi.bias;
      const int e = (c >> mbits) & ((1 << ebits) - 1);
      const int m = c & ((1 << mbits) - 1);
      const int all_e = (1 << ebits) - 1, all_m = (1 << mbits) - 1;
      if (!fi.has_inf && e == all_e && m == all_m) {
        d.cls = kClsNan;  // OCP E4M3 rule: S.1..1.1..1 is the only NaN, no Inf
      } else if (fi.has_inf && e == all_e) {
        d.cls = m == 0 ? kClsInf : kClsNan;
      } else if (e == 0) {
        if (m != 0) {
          d.cls = kClsFinite;
          d.sig = static_cast<uint8_t>(m);
          d.exp = static_cast<int8_t>(1 - bias - mbits);
        }
      } else {
        d.cls = kClsFinite;
        d.sig = static_cast<uint8_t>((1 << mbits) + m);
        d.exp = static_cast<int8_t>(e - bias - mbits);
      }
      r.t[f][c] = d;
    }
  }
  return r;
}

inline constexpr Fp8DecTable kFp8Dec = make_fp8_dec_table();

// ---------------------------------------------------------------------------
// Unpacked operand: value = (-1)^sign * sig * 2^exp when cls == kClsFinite.
// ---------------------------------------------------------------------------

struct Unpacked {
  uint64_t sig;
  int exp;
  uint8_t cls;
  uint8_t sign;
  bool snan;  // NaN with mantissa MSB 0 (accumulator-format inputs only)
};

// Destination grid for rounding: man stored mantissa bits (precision man+1),
// emin/emax the normal exponent range, and the largest finite value is
// max_sig * 2^(emax - man) (max_sig = 2^(man+1) - 1 for IEEE-like formats,
// 0b1110 for E4M3 whose top code is NaN).
struct RoundFmt {
  int man;
  int emin;
  int emax;
  uint64_t max_sig;
};

inline RoundFmt acc_round_fmt(const AccFormat& f) {
  const int emax = (1 << (f.exp_bits - 1)) - 1;
  return RoundFmt{f.man_bits, 1 - emax, emax, (uint64_t{1} << (f.man_bits + 1)) - 1u};
}

// Result of rounding a non-zero finite value: sig * 2^q, either normal
// (sig in [2^man, 2^(man+1)), q >= emin - man) or subnormal/zero
// (sig < 2^man, q == emin - man). When overflow is set sig/q are meaningless.
struct Rounded {
  uint64_t sig;
  int q;
  bool overflow;
  uint8_t flags;  // inexact, underflow, overflow
};

// SR threshold k (numerics.md section 5, "SR kinds") of the discarded part
// rem of sh >= 1 bits (f = rem / 2^sh), for R random bits: mid 2t + s,
// trunc floor(g), src RNE(g), g = f * 2^R. k <= 2^R.
inline uint64_t sr_threshold(uint64_t rem, int sh, int R, SrKind kind) {
  // D = the R + 1 bits below the kept LSB, st = any bit below them.
  const int r1 = R + 1;
  uint64_t D;
  bool st;
  if (sh >= r1) {
    D = shr64(rem, sh - r1);
    st = (rem & low_mask64(sh - r1)) != 0;
  } else {
    D = rem << (r1 - sh);
    st = false;
  }
  switch (kind) {
    case SrKind::Trunc:
      return D >> 1;
    case SrKind::Src:
      return (D >> 1) + ((D & 1u) != 0 && (st || (D & 2u) != 0) ? 1u : 0u);
    case SrKind::Mid:
    default:
      return ((D >> 2) << 1) | ((D & 3u) != 0 || st ? 1u : 0u);
  }
}

// Rounds x = M * 2^E (M != 0) into `f` with mode `rnd` (section 4), SR with
// the R-bit word u and the construction `kind` (section 5). M may carry a
// "jammed" sticky bit in bit 0 (the caller guarantees every bit that the
// rounding decision reads, R + 1 bits below the kept LSB for SR, is at
// position >= 1 of M in that case). Handles any E (no undefined shifts).
inline Rounded round_value(uint64_t M, int E, const RoundFmt& f, Round rnd, uint32_t u, int R,
                           SrKind kind = SrKind::Mid) {
  const int lead = bitlen64(M) - 1;
  const int L = lead + E;  // |x| in [2^L, 2^(L+1))
  int q = L - f.man;
  const int qmin = f.emin - f.man;
  if (q < qmin) q = qmin;
  const int sh = q - E;  // bits of M below the destination LSB
  uint64_t sig;
  bool inexact = false;
  if (sh <= 0) {
    sig = M << (-sh);  // exact; at most man+1 bits
  } else {
    const uint64_t kept = shr64(M, sh);
    const uint64_t rem = M & low_mask64(sh);  // discarded part, f = rem / 2^sh
    inexact = rem != 0;
    bool up = false;
    if (rnd == Round::RNE) {
      const bool half = (shr64(M, sh - 1) & 1u) != 0;
      const bool below = (M & low_mask64(sh - 1)) != 0;
      up = half && (below || (kept & 1u) != 0);
    } else if (rnd == Round::SR) {
      const uint64_t k = sr_threshold(rem, sh, R, kind);
      const uint64_t uu = u & static_cast<uint32_t>(low_mask64(R));
      up = uu < k;
    }
    sig = kept + (up ? 1u : 0u);
  }
  if ((sig >> (f.man + 1)) != 0) {  // carry out: sig == 2^(man+1)
    sig >>= 1;
    ++q;
  }
  Rounded r{sig, q, false, 0};
  // Overflow (|y| > max finite, y with unbounded exponent above).
  if (sig >> f.man) {
    const int e = q + f.man;
    if (e > f.emax || (e == f.emax && sig > f.max_sig)) {
      r.overflow = true;
      r.flags = kFlagOverflow | kFlagInexact;
      return r;
    }
  }
  if (inexact) {
    r.flags = kFlagInexact;
    if (L < f.emin) {
      bool tiny = true;
      if (rnd == Round::RNE && L == f.emin - 1) {
        // Tininess after rounding: round to man+1 bits, unbounded exponent;
        // not tiny iff that carries up to 2^emin.
        const int sh2 = lead - f.man;
        if (sh2 > 0) {
          const uint64_t kept2 = M >> sh2;
          const bool half2 = ((M >> (sh2 - 1)) & 1u) != 0;
          const bool below2 = (M & low_mask64(sh2 - 1)) != 0;
          const bool up2 = half2 && (below2 || (kept2 & 1u) != 0);
          if (up2 && kept2 == (uint64_t{1} << (f.man + 1)) - 1u) tiny = false;
        }
      }
      // RZ: the truncation stays below 2^emin; SR: tininess before rounding.
      if (tiny) r.flags |= kFlagUnderflow;
    }
  }
  return r;
}

// Packs a finite Rounded (not overflowed) into an IEEE-like word
// {sign, exp_bits, man} with the given bias.
inline uint32_t pack_rounded(const Rounded& r, uint32_t sign, int exp_bits, int man, int bias) {
  uint32_t word = sign << (exp_bits + man);
  if (r.sig >> man) {
    const uint32_t be = static_cast<uint32_t>(r.q + man + bias);
    word |= (be << man) | static_cast<uint32_t>(r.sig & low_mask64(man));
  } else {
    word |= static_cast<uint32_t>(r.sig);
  }
  return word;
}

// Unpacks an accumulator-format word (low width() bits used).
inline Unpacked unpack_acc(uint32_t w, const AccFormat& f) {
  const int X = f.exp_bits;
  const int Y = f.man_bits;
  const uint32_t emask = (1u << X) - 1u;
  const uint32_t e = (w >> Y) & emask;
  const uint32_t m = w & ((1u << Y) - 1u);
  Unpacked u{0, 0, kClsFinite, static_cast<uint8_t>((w >> (X + Y)) & 1u), false};
  const int bias = (1 << (X - 1)) - 1;
  if (e == emask) {
    if (m == 0) {
      u.cls = kClsInf;
    } else {
      u.cls = kClsNan;
      u.snan = ((m >> (Y - 1)) & 1u) == 0;
    }
  } else if (e == 0) {
    if (m == 0) {
      u.cls = kClsZero;
    } else {
      u.sig = m;
      u.exp = 1 - bias - Y;
    }
  } else {
    u.sig = m | (1u << Y);
    u.exp = static_cast<int>(e) - bias - Y;
  }
  return u;
}

// Places an integer significand at bit offset `sh` of a 64-bit window: a left
// shift, or for sh < 0 a right shift whose lost bits are ORed ("jammed")
// into bit 0 as a sticky bit.
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
inline uint64_t place64(uint64_t sig, int sh) {
  if (sh >= 0) return sig << sh;
  const int r = -sh;
  if (r >= 64) return 1u;  // sig != 0: all of it is sticky
  return (sig >> r) | ((sig & low_mask64(r)) != 0 ? 1u : 0u);
}

// Exact sum (or difference) of two finite non-zero operands as M * 2^E with
// a jammed sticky bit (see round_value). Returns false for an exact zero.
// Both significands have at most 24 bits. The operand with the higher top
// bit has its MSB at bit 61, so the signed sum fits an int64 and needs no
// branch on the signs. A bit is only jammed when the other operand lies
// entirely below bit 24 of the window, so the sum's MSB is then at bit 60 or
// 61 and every bit that a rounding to <= 24 bits plus R + 1 <= 25 SR bits
// reads (numerics.md section 5) sits at bit 12 or above: the sticky in bit 0
// only feeds the sticky.
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
inline bool exact_sum(uint32_t sa, uint64_t siga, int ea, uint32_t sb, uint64_t sigb, int eb,
                      uint32_t* sign, uint64_t* M, int* E) {
  const int ta = ea + bitlen64(siga);
  const int tb = eb + bitlen64(sigb);
  const int e0 = (ta > tb ? ta : tb) - 62;
  const uint64_t A = place64(siga, ea - e0);
  const uint64_t B = place64(sigb, eb - e0);
  const uint64_t na = 0u - static_cast<uint64_t>(sa);  // all ones when negative
  const uint64_t nb = 0u - static_cast<uint64_t>(sb);
  const uint64_t S = ((A ^ na) - na) + ((B ^ nb) - nb);  // two's complement, |S| < 2^63
  const uint64_t ns = 0u - (S >> 63);
  *M = (S ^ ns) - ns;
  *sign = static_cast<uint32_t>(S >> 63);
  *E = e0;
  return S != 0;
}

}  // namespace detail
}  // namespace fp8sa

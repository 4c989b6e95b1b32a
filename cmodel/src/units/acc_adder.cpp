// The accumulator adder and the MAC (docs/numerics.md sections 2, 4, 5).
//
// Generic path: any eXmY in range, RNE/RZ/SR, via detail::round_value.
// Fast path: e8m23 with RNE, finite operands, written out with constants;
// bit-identical to the generic path. Building with -DFP8SA_NO_FAST_PATH
// routes everything through the generic path (for differential testing).
#include <stdexcept>
#include <string>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/numerics.hpp"
#include "internal.hpp"

namespace fp8sa {

using detail::kClsFinite;
using detail::kClsInf;
using detail::kClsNan;
using detail::kClsZero;
using detail::Unpacked;

#if defined(__GNUC__)
#define FP8SA_LIKELY(x) __builtin_expect(!!(x), 1)
#define FP8SA_INLINE inline __attribute__((always_inline))
#else
#define FP8SA_LIKELY(x) (x)
#define FP8SA_INLINE inline
#endif

namespace {

[[noreturn]] void bad_round(Round rnd) {
  throw std::invalid_argument("rounding mode code " + std::to_string(static_cast<unsigned>(rnd)) +
                              " is reserved (legal: 0 RNE, 1 RZ, 2 SR)");
}

inline bool round_ok(Round rnd) { return static_cast<unsigned>(rnd) <= 2u; }

// Rounds the exact sum of two binary32 values (both finite, non-zero) to
// binary32 with RNE. Never underflows: a tiny sum of two binary32 numbers is
// a multiple of 2^-149 and so exact. The caller guarantees no overflow: one
// operand is an FP8 product, |p| < 2^32, far below half an ulp of the
// largest binary32 number, so the sum can never round past it.
FP8SA_INLINE OpResult f32_rne_sum(uint32_t sa, uint64_t siga, int ea, uint32_t sb, uint64_t sigb, int eb) {
  uint32_t sign;
  uint64_t M;
  int E;
  const int d = ea - eb;
  if (FP8SA_LIKELY(static_cast<unsigned>(d + 38) <= 76u)) {
    // Common case, |d| <= 38: both fit exactly in 63 bits aligned to the
    // lower LSB (siga, sigb < 2^24, one of them shifted by |d|).
    E = eb + (d & (d >> 31));  // min(ea, eb) without a branch
    const uint64_t A = siga << (ea - E);
    const uint64_t B = sigb << (eb - E);
    const uint64_t na = 0u - static_cast<uint64_t>(sa);
    const uint64_t nb = 0u - static_cast<uint64_t>(sb);
    const uint64_t S = ((A ^ na) - na) + ((B ^ nb) - nb);
    const uint64_t ns = 0u - (S >> 63);
    M = (S ^ ns) - ns;
    sign = static_cast<uint32_t>(S >> 63);
    if (M == 0) return OpResult{0u, 0u};  // exact cancellation: +0
  } else if (!detail::exact_sum(sa, siga, ea, sb, sigb, eb, &sign, &M, &E)) {
    return OpResult{0u, 0u};
  }
  const int lead = detail::bitlen64(M) - 1;
  int q = lead + E - 23;
  if (q < -149) q = -149;
  // Bits below the destination LSB: sh = q - E, at most 62 here. For sh <= 0
  // the value is exact and is shifted up instead; both without a branch.
  const int sh = q - E;
  const int up = (-sh) & ~((-sh) >> 31);  // max(-sh, 0)
  const int dn = sh & ~(sh >> 31);     // max(sh, 0)
  const uint64_t Mu = M << up;
  const uint64_t low = (uint64_t{1} << dn) - 1u;
  // RNE: add half - 1, plus the kept LSB when something is discarded.
  const uint64_t odd = (Mu >> dn) & (dn != 0 ? 1u : 0u);
  const uint64_t kept = (Mu + (low >> 1) + odd) >> dn;
  // Exponent and significand added: a carry out of the significand, or a
  // subnormal that rounds up to 2^-126, bumps the exponent field itself.
  const uint32_t bits = (static_cast<uint32_t>(q + 149) << 23) + static_cast<uint32_t>(kept);
  return OpResult{(sign << 31) | bits, static_cast<uint8_t>((M & low) != 0 ? kFlagInexact : 0)};
}

// binary32 bits of an exact non-zero product (always a normal binary32).
inline uint32_t f32_from_product(uint32_t sign, uint32_t psig, int pexp) {
  const int lead = detail::bitlen64(psig) - 1;
  const uint32_t be = static_cast<uint32_t>(pexp + lead + 127);
  return (sign << 31) | (be << 23) | ((psig << (23 - lead)) & 0x7FFFFFu);
}

// e8m23 RNE MAC; returns false when an operand is special in a way the fast
// path does not handle (Inf/NaN anywhere), leaving the work to the generic path.
FP8SA_INLINE bool mac_f32_rne_fast(uint32_t acc, uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb, OpResult* out) {
  const detail::Fp8Dec& da = detail::kFp8Dec.t[static_cast<int>(fa)][a];
  const detail::Fp8Dec& db = detail::kFp8Dec.t[static_cast<int>(fb)][b];
  const uint32_t ae = (acc >> 23) & 0xFFu;
  const uint8_t pcls = static_cast<uint8_t>(da.cls | db.cls);
  if (ae == 0xFFu || (pcls & ~kClsZero) != 0) return false;
  const uint32_t psign = static_cast<uint32_t>(da.sign ^ db.sign);
  const uint32_t asign = acc >> 31;
  const uint32_t amag = acc & 0x7FFFFFFFu;
  if (FP8SA_LIKELY(pcls == kClsFinite)) {
    const uint32_t psig = static_cast<uint32_t>(da.sig) * db.sig;
    const int pexp = da.exp + db.exp;
    if (FP8SA_LIKELY(amag != 0)) {
      const uint32_t normal = ae != 0 ? 1u : 0u;
      const uint64_t asig = (amag & 0x7FFFFFu) | (normal << 23);
      const int aexp = static_cast<int>(ae | (normal ^ 1u)) - 150;  // subnormal: field 1
      *out = f32_rne_sum(asign, asig, aexp, psign, psig, pexp);
    } else {
      *out = OpResult{f32_from_product(psign, psig, pexp), 0u};
    }
  } else {  // product is a zero
    if (amag != 0) {
      *out = OpResult{acc, 0u};
    } else {
      *out = OpResult{(asign & psign) << 31, 0u};
    }
  }
  return true;
}

struct AccParams {
  int X, Y, bias;
  uint32_t mask, nan, inf, max;
  detail::RoundFmt rf;
};

inline AccParams acc_params(const AccFormat& f) {
  AccParams p;
  p.X = f.exp_bits;
  p.Y = f.man_bits;
  p.bias = f.bias();
  p.mask = f.mask();
  p.nan = f.canonical_nan();
  p.inf = ((1u << p.X) - 1u) << p.Y;
  p.max = p.inf - 1u;
  p.rf = detail::acc_round_fmt(f);
  return p;
}

// round(x + y) for unpacked operands (sections 4, 5). `invalid_in` is the
// product's 0 * Inf; it raises invalid unless the accumulator x is a quiet
// NaN (section 4, the x86 fmaf rule for 0 * Inf + qNaN).
OpResult add_generic(const Unpacked& x, const Unpacked& y, bool invalid_in, const AccParams& p, Round rnd,
                     uint32_t rand, int R, SrKind kind) {
  const bool x_qnan = x.cls == kClsNan && !x.snan;
  uint8_t flags = (invalid_in && !x_qnan) ? kFlagInvalid : 0;
  if (x.snan || y.snan) flags |= kFlagInvalid;
  const uint32_t sign_shift = static_cast<uint32_t>(p.X + p.Y);
  if (((x.cls | y.cls) & kClsNan) != 0) return OpResult{p.nan, flags};
  if (x.cls == kClsInf && y.cls == kClsInf) {
    if (x.sign != y.sign) return OpResult{p.nan, static_cast<uint8_t>(flags | kFlagInvalid)};
    return OpResult{(static_cast<uint32_t>(x.sign) << sign_shift) | p.inf, flags};
  }
  if (x.cls == kClsInf) return OpResult{(static_cast<uint32_t>(x.sign) << sign_shift) | p.inf, flags};
  if (y.cls == kClsInf) return OpResult{(static_cast<uint32_t>(y.sign) << sign_shift) | p.inf, flags};
  if (x.cls == kClsZero && y.cls == kClsZero) {
    return OpResult{static_cast<uint32_t>(x.sign & y.sign) << sign_shift, flags};
  }
  uint32_t sign;
  uint64_t M;
  int E;
  if (x.cls == kClsZero) {
    sign = y.sign;
    M = y.sig;
    E = y.exp;
  } else if (y.cls == kClsZero) {
    sign = x.sign;
    M = x.sig;
    E = x.exp;
  } else if (!detail::exact_sum(x.sign, x.sig, x.exp, y.sign, y.sig, y.exp, &sign, &M, &E)) {
    return OpResult{0u, flags};  // exact cancellation: +0 in every mode
  }
  const detail::Rounded r = detail::round_value(M, E, p.rf, rnd, rand, R, kind);
  if (r.overflow) {
    const uint32_t mag = rnd == Round::RZ ? p.max : p.inf;
    return OpResult{(sign << sign_shift) | mag, static_cast<uint8_t>(flags | r.flags)};
  }
  return OpResult{detail::pack_rounded(r, sign, p.X, p.Y, p.bias), static_cast<uint8_t>(flags | r.flags)};
}

inline Unpacked product(uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb, bool* invalid) {
  const detail::Fp8Dec& da = detail::kFp8Dec.t[static_cast<int>(fa)][a];
  const detail::Fp8Dec& db = detail::kFp8Dec.t[static_cast<int>(fb)][b];
  Unpacked p{0, 0, kClsFinite, static_cast<uint8_t>(da.sign ^ db.sign), false};
  *invalid = false;
  const uint8_t c = static_cast<uint8_t>(da.cls | db.cls);
  if (c & kClsNan) {
    p.cls = kClsNan;
  } else if ((c & kClsInf) && (c & kClsZero)) {
    p.cls = kClsNan;
    *invalid = true;
  } else if (c & kClsInf) {
    p.cls = kClsInf;
  } else if (c & kClsZero) {
    p.cls = kClsZero;
  } else {
    p.sig = static_cast<uint64_t>(da.sig) * db.sig;
    p.exp = da.exp + db.exp;
  }
  return p;
}

// FP8SA_NO_FAST_PATH (scratch self-check builds only) forces the generic path.
#ifdef FP8SA_NO_FAST_PATH
inline bool is_f32(const AccFormat&) { return false; }
#else
inline bool is_f32(const AccFormat& f) { return f.exp_bits == 8 && f.man_bits == 23; }
#endif

}  // namespace

AccAdder::AccAdder(AccFormat fmt, int sr_bits, SrKind sr_kind) : fmt_(fmt), sr_bits_(sr_bits), sr_kind_(sr_kind) {
  fmt_.validate();
  validate_sr_bits(sr_bits_);
  sr_kind_from_code(static_cast<unsigned>(sr_kind_));  // throws for a bad code
}

namespace {

#if defined(__GNUC__)
#define FP8SA_NOINLINE __attribute__((noinline))
#else
#define FP8SA_NOINLINE
#endif

// The generic MAC, kept out of line so that the fast path stays small.
FP8SA_NOINLINE OpResult mac_generic(const AccFormat& fmt, int sr_bits, SrKind kind, uint32_t acc, uint8_t a, Fp8Format fa,
                                    uint8_t b, Fp8Format fb, Round rnd, uint32_t rand) {
  if (!round_ok(rnd)) bad_round(rnd);
  const AccParams p = acc_params(fmt);
  bool invalid;
  const Unpacked prod = product(a, fa, b, fb, &invalid);
  const Unpacked x = detail::unpack_acc(acc & p.mask, fmt);
  return add_generic(x, prod, invalid, p, rnd, rand, sr_bits, kind);
}

}  // namespace

OpResult AccAdder::mac(uint32_t acc, uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb, Round rnd,
                       uint32_t rand) const {
  if (rnd == Round::RNE && is_f32(fmt_)) {
    OpResult r;
    if (FP8SA_LIKELY(mac_f32_rne_fast(acc, a, fa, b, fb, &r))) return r;
  }
  return mac_generic(fmt_, sr_bits_, sr_kind_, acc, a, fa, b, fb, rnd, rand);
}

OpResult AccAdder::add(uint32_t x, uint32_t y, Round rnd, uint32_t rand) const {
  if (!round_ok(rnd)) bad_round(rnd);
  const AccParams p = acc_params(fmt_);
  const Unpacked ux = detail::unpack_acc(x & p.mask, fmt_);
  const Unpacked uy = detail::unpack_acc(y & p.mask, fmt_);
  return add_generic(ux, uy, false, p, rnd, rand, sr_bits_, sr_kind_);
}

OpResult AccAdder::dot(uint32_t acc, const uint8_t* a, Fp8Format fa, const uint8_t* b, Fp8Format fb, size_t n,
                       Round rnd, Lfsr* lfsr, ptrdiff_t stride_a, ptrdiff_t stride_b) const {
  if (!round_ok(rnd)) bad_round(rnd);
  if (rnd == Round::SR && lfsr == nullptr) {
    throw std::invalid_argument("AccAdder::dot: SR needs an Lfsr for the random words (lfsr is null)");
  }
  uint8_t flags = 0;
  if (rnd == Round::RNE && is_f32(fmt_)) {
    if (lfsr != nullptr) {
      for (size_t i = 0; i < n; ++i) lfsr->draw();  // RNE does not use the draws
    }
    for (size_t i = 0; i < n; ++i, a += stride_a, b += stride_b) {
      OpResult r;
      if (!FP8SA_LIKELY(mac_f32_rne_fast(acc, *a, fa, *b, fb, &r))) {
        r = mac_generic(fmt_, sr_bits_, sr_kind_, acc, *a, fa, *b, fb, rnd, 0u);
      }
      acc = r.bits;
      flags = static_cast<uint8_t>(flags | r.flags);
    }
    return OpResult{acc, flags};
  }
  const AccParams p = acc_params(fmt_);
  acc &= p.mask;
  for (size_t i = 0; i < n; ++i, a += stride_a, b += stride_b) {
    const uint32_t u = lfsr != nullptr ? lfsr->draw() : 0u;
    bool invalid;
    const Unpacked prod = product(*a, fa, *b, fb, &invalid);
    const Unpacked x = detail::unpack_acc(acc, fmt_);
    const OpResult r = add_generic(x, prod, invalid, p, rnd, u, sr_bits_, sr_kind_);
    acc = r.bits;
    flags = static_cast<uint8_t>(flags | r.flags);
  }
  return OpResult{acc, flags};
}

}  // namespace fp8sa

// fp8sa::ref PE kinds (numerics.md section 10): the `dot` step and tile
// (10.2, with promotion per section 9 and 10), the `exact` tile (10.3) and
// the `fma` tile (sections 4, 8, 9), written from the spec text.
//
// The dot step sums in 64-bit integers: every non-zero term, truncated to a
// multiple of 2^(E - ALIGN_BITS), is an integer number of those units below
// 4 * 2^ALIGN_BITS <= 2^50 (a product's significand is below 4, the
// accumulator's below 2), so a step of at most 64 products and c is below
// 2^57 units in magnitude. The scaling of a term by 2^(ALIGN_BITS - E) is an
// exponent change of an exact double (FP8 products have at most 8
// significant bits, accumulator and init words at most 24) and floor() of
// it is exact. The sum is then rounded once by round_to_acc (MPFR).
//
// The exact tile sums init + products in MPFR at Exact::kPrec = 384 bits
// (exact_add throws if a sum were not exact: the values span at most 2^-149
// .. 2^129, 278 bits), then rounds once.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "ref.hpp"

namespace fp8sa::ref {

namespace {

constexpr int kMaxK = 65535;

void check_dot_n(int dot_n) {
  if (dot_n < 1 || dot_n > 64 || (dot_n & (dot_n - 1)) != 0)
    throw std::invalid_argument("ref: dot_n " + std::to_string(dot_n) + " is not a power of two in [1, 64]");
}

void check_align_bits(int align_bits) {
  if (align_bits < 1 || align_bits > 48)
    throw std::invalid_argument("ref: align_bits " + std::to_string(align_bits) + " out of range [1, 48]");
}

void check_k(int k) {
  if (k < 1 || k > kMaxK) throw std::invalid_argument("ref: K " + std::to_string(k) + " out of range [1, 65535]");
}

void check_promote(const PeRefConfig& cfg) {
  if (cfg.promote_n == 0) return;
  if (cfg.promote_n < 2 || cfg.promote_n > kMaxK)
    throw std::invalid_argument("ref: promote_n " + std::to_string(cfg.promote_n) + " out of range");
  if (cfg.promote_n % cfg.dot_n != 0)
    throw std::invalid_argument("ref: promote_n " + std::to_string(cfg.promote_n) + " is not a multiple of dot_n " +
                                std::to_string(cfg.dot_n));
}

void check_common(const PeRefConfig& cfg, int k) {
  acc_format(cfg.acc.exp_bits, cfg.acc.man_bits);  // validates the accumulator format
  if (!cfg.acc.has_inf) throw std::invalid_argument("ref: the accumulator format must be IEEE-like");
  check_dot_n(cfg.dot_n);
  check_sr_bits(cfg.sr_bits);
  check_sr_kind(cfg.sr_kind);
  check_k(k);
}

// A term of a step (section 10.2) or of a tile (10.3): a product classified
// as section 2 does, or the accumulator / init word.
struct Term {
  bool nan = false;   // NaN (a NaN operand, 0 * Inf, a NaN word)
  bool inv = false;   // raises invalid by itself: 0 * Inf, or a signalling NaN word
  bool inf = false;
  bool zero = false;
  bool neg = false;
  double v = 0.0;     // exact signed value when finite
  int e = 0;          // e(t) of 10.1 when finite and non-zero
};

// numerics.md section 2, and e(p) = e(a) + e(b) of 10.1.
Term product_term(uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb) {
  const double av = fp8_decode(a, fa), bv = fp8_decode(b, fb);
  Term t;
  t.neg = ((a ^ b) & 0x80) != 0;
  if (std::isnan(av) || std::isnan(bv)) {
    t.nan = true;
  } else if ((std::isinf(av) && bv == 0.0) || (std::isinf(bv) && av == 0.0)) {
    t.nan = true;
    t.inv = true;
  } else if (std::isinf(av) || std::isinf(bv)) {
    t.inf = true;
  } else if (av == 0.0 || bv == 0.0) {
    t.zero = true;
  } else {
    t.v = av * bv;  // <= 8 significant bits: exact
    t.e = exponent_of(av, fp8_format(fa)) + exponent_of(bv, fp8_format(fb));
  }
  return t;
}

// An accumulator or init word of IEEE-like format f.
Term word_term(uint32_t bits, const FloatFormat& f) {
  Term t;
  bits &= f.mask();
  t.neg = (bits & f.sign_bit()) != 0;
  if (is_nan(bits, f)) {
    t.nan = true;
    t.inv = is_snan(bits, f);
    return t;
  }
  t.v = decode(bits, f);
  t.inf = std::isinf(t.v);
  t.zero = t.v == 0.0;
  if (!t.inf && !t.zero) t.e = exponent_of(t.v, f);
  return t;
}

uint32_t signed_inf(bool neg, const FloatFormat& f) { return (neg ? f.sign_bit() : 0u) | f.inf_bits(); }

// widen (section 9): the exact binary32 word of an eXmY value; a NaN
// becomes the canonical NaN.
uint32_t widen(uint32_t bits, const FloatFormat& f) {
  if (is_nan(bits, f)) return kBinary32.canonical_nan();
  return encode_exact(decode(bits, f), kBinary32);
}

}  // namespace

int exponent_of(double v, const FloatFormat& f) {
  if (!std::isfinite(v) || v == 0.0) throw std::logic_error("ref::exponent_of: v must be finite and non-zero");
  const int e = std::ilogb(std::fabs(v));  // floor(log2 |v|), exact for a double
  return e < f.emin() ? f.emin() : e;
}

RefResult ref_dot_step(uint32_t c_bits, const FloatFormat& c_fmt, const uint8_t* a, const uint8_t* b, int n,
                       Fp8Format fa, Fp8Format fb, const FloatFormat& acc, int align_bits, Round rnd, uint32_t u,
                       int sr_bits, SrKind kind) {
  check_round(rnd);
  check_sr_bits(sr_bits);
  check_sr_kind(kind);
  check_dot_n(n);
  check_align_bits(align_bits);
  std::vector<Term> terms;
  terms.reserve(static_cast<size_t>(n) + 1);
  terms.push_back(word_term(c_bits, c_fmt));  // terms[0] is c
  for (int i = 0; i < n; ++i) terms.push_back(product_term(a[i], fa, b[i], fb));

  // Special values: invalid iff a product is 0 * Inf, c is a signalling NaN,
  // or the terms include both +Inf and -Inf; NaN if a term is NaN or
  // invalid; else an infinite term gives that infinity, no other flag.
  bool nan = false, inv = false, pinf = false, ninf = false;
  for (const Term& t : terms) {
    nan = nan || t.nan;
    inv = inv || t.inv;
    if (t.inf) (t.neg ? ninf : pinf) = true;
  }
  inv = inv || (pinf && ninf);
  if (nan || inv) return {acc.canonical_nan(), inv ? kInvalid : uint8_t{0}};
  if (pinf || ninf) return {signed_inf(ninf, acc), 0};

  // Finite terms. Every term zero: -0 iff c and every product are -0.
  bool all_zero = true, all_negz = true;
  int E = 0;
  for (const Term& t : terms) {
    if (t.zero) {
      all_negz = all_negz && t.neg;
      continue;
    }
    E = all_zero ? t.e : std::max(E, t.e);  // 1. E = max e(t) over the non-zero terms
    all_zero = false;
  }
  if (all_zero) return {all_negz ? acc.sign_bit() : 0u, 0};

  // 2. truncate each non-zero magnitude to a multiple of 2^(E - ALIGN_BITS);
  // 3. sum exactly (in those units).
  const int unit = E - align_bits;
  int64_t s = 0;
  bool lost = false;
  for (const Term& t : terms) {
    if (t.zero) continue;
    const double m = std::ldexp(std::fabs(t.v), -unit);  // < 2^50: exact
    const double tm = std::floor(m);
    lost = lost || tm != m;
    const int64_t ti = static_cast<int64_t>(tm);
    s += t.neg ? -ti : ti;
  }
  // 4. S = 0: +0 in every mode, inexact iff lost. Else one rounding.
  if (s == 0) return {0u, lost ? kInexact : uint8_t{0}};
  Exact sum;
  mpfr_set_si(sum.get(), static_cast<long>(s), MPFR_RNDN);  // |s| < 2^57: exact
  mpfr_mul_2si(sum.get(), sum.get(), unit, MPFR_RNDN);      // exact
  RefResult r = round_to_acc(sum.get(), acc, rnd, u, sr_bits, kind);
  if (lost) r.flags = static_cast<uint8_t>(r.flags | kInexact);
  return r;
}

RefResult ref_dot_tile(const PeRefConfig& cfg, uint32_t init, const uint8_t* a, ptrdiff_t sa, const uint8_t* b,
                       ptrdiff_t sb, int k, Fp8Format fa, Fp8Format fb, Round rnd, const uint32_t* u) {
  check_common(cfg, k);
  check_align_bits(cfg.align_bits);
  check_promote(cfg);
  const int n = cfg.dot_n;
  const int steps = (k + n - 1) / n;
  std::vector<uint8_t> la(static_cast<size_t>(n)), lb(static_cast<size_t>(n));
  auto lanes = [&](int j) {  // step j's products, padded with +0 (codes 0x00, 0x00)
    for (int i = 0; i < n; ++i) {
      const int idx = j * n + i;
      la[static_cast<size_t>(i)] = idx < k ? a[idx * sa] : uint8_t{0};
      lb[static_cast<size_t>(i)] = idx < k ? b[idx * sb] : uint8_t{0};
    }
  };
  uint8_t flags = 0;
  if (cfg.promote_n == 0) {
    // c: the init word as binary32 in the first step, then the eXmY accumulator.
    uint32_t c = init;
    const FloatFormat* cf = &kBinary32;
    for (int j = 0; j < steps; ++j) {
      lanes(j);
      const RefResult r = ref_dot_step(c, *cf, la.data(), lb.data(), n, fa, fb, cfg.acc, cfg.align_bits, rnd,
                                       u != nullptr ? u[j] : 0u, cfg.sr_bits, cfg.sr_kind);
      c = r.bits;
      cf = &cfg.acc;
      flags = static_cast<uint8_t>(flags | r.flags);
    }
    return {c, flags};
  }
  // Promotion: groups of promote_n / dot_n steps of the narrow accumulator,
  // which starts every group at +0; w = init, w = RNE32(w + widen(n)).
  const int group = cfg.promote_n / n;
  uint32_t w = init, nar = 0;
  int count = 0;
  for (int j = 0; j < steps; ++j) {
    lanes(j);
    const RefResult r = ref_dot_step(nar, cfg.acc, la.data(), lb.data(), n, fa, fb, cfg.acc, cfg.align_bits, rnd,
                                     u != nullptr ? u[j] : 0u, cfg.sr_bits, cfg.sr_kind);
    nar = r.bits;
    flags = static_cast<uint8_t>(flags | r.flags);
    if (++count == group || j == steps - 1) {
      const RefResult p = ref_add(w, widen(nar, cfg.acc), kBinary32, Round::RNE);
      w = p.bits;
      flags = static_cast<uint8_t>(flags | p.flags);
      nar = 0;
      count = 0;
    }
  }
  return {w, flags};
}

RefResult ref_fma_tile(const PeRefConfig& cfg, uint32_t init, const uint8_t* a, ptrdiff_t sa, const uint8_t* b,
                       ptrdiff_t sb, int k, Fp8Format fa, Fp8Format fb, Round rnd, const uint32_t* u) {
  check_common(cfg, k);
  if (cfg.dot_n != 1) throw std::invalid_argument("ref: fma has dot_n 1 only");
  check_promote(cfg);
  uint8_t flags = 0;
  if (cfg.promote_n == 0) {
    uint32_t acc = init;
    for (int i = 0; i < k; ++i) {
      const RefResult r =
          ref_mac(acc, a[i * sa], fa, b[i * sb], fb, cfg.acc, rnd, u != nullptr ? u[i] : 0u, cfg.sr_bits, cfg.sr_kind);
      acc = r.bits;
      flags = static_cast<uint8_t>(flags | r.flags);
    }
    return {acc, flags};
  }
  uint32_t w = init, nar = 0;
  for (int i = 0; i < k; ++i) {
    const RefResult r =
        ref_mac(nar, a[i * sa], fa, b[i * sb], fb, cfg.acc, rnd, u != nullptr ? u[i] : 0u, cfg.sr_bits, cfg.sr_kind);
    nar = r.bits;
    flags = static_cast<uint8_t>(flags | r.flags);
    if ((i + 1) % cfg.promote_n == 0 || i == k - 1) {
      const RefResult p = ref_add(w, widen(nar, cfg.acc), kBinary32, Round::RNE);
      w = p.bits;
      flags = static_cast<uint8_t>(flags | p.flags);
      nar = 0;
    }
  }
  return {w, flags};
}

RefResult ref_exact_tile(const PeRefConfig& cfg, uint32_t init, const uint8_t* a, ptrdiff_t sa, const uint8_t* b,
                         ptrdiff_t sb, int k, Fp8Format fa, Fp8Format fb, Round rnd, uint32_t u) {
  check_common(cfg, k);
  check_round(rnd);
  if (cfg.promote_n != 0) throw std::invalid_argument("ref: exact has no promotion (promote_n must be 0)");
  const int n = cfg.dot_n;
  const int padded = (k + n - 1) / n * n;  // the last step's products past K are +0
  const Term c = word_term(init, kBinary32);
  bool nan = c.nan, inv = c.inv, pinf = c.inf && !c.neg, ninf = c.inf && c.neg;
  bool negz = true;  // every product was -0
  Exact x;           // the sum of the finite products, exactly
  for (int i = 0; i < padded; ++i) {
    const Term p = i < k ? product_term(a[i * sa], fa, b[i * sb], fb) : product_term(0, fa, 0, fb);
    nan = nan || p.nan;
    inv = inv || p.inv;
    if (p.inf) (p.neg ? ninf : pinf) = true;
    negz = negz && p.zero && p.neg;
    if (!p.nan && !p.inf && !p.zero) {
      Exact pv(p.v), sum;  // p.v is signed
      exact_add(sum, x, pv);
      x = sum;
    }
  }
  const FloatFormat& f = cfg.acc;
  // invalid iff inv, C a signalling NaN (in c.inv), or +Inf and -Inf among
  // the infinite products and C; NaN iff a NaN product or C, or invalid;
  // otherwise +-Inf iff an infinite product or C.
  inv = inv || (pinf && ninf);
  if (nan || inv) return {f.canonical_nan(), inv ? kInvalid : uint8_t{0}};
  if (pinf || ninf) return {signed_inf(ninf, f), 0};
  Exact v;
  exact_add(v, Exact(c.zero ? 0.0 : c.v), x);
  if (mpfr_zero_p(v.get())) return {(c.zero && c.neg && negz) ? f.sign_bit() : 0u, 0};
  return round_to_acc(v.get(), f, rnd, u, cfg.sr_bits, cfg.sr_kind);
}

}  // namespace fp8sa::ref

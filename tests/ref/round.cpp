// fp8sa::ref rounding (MPFR) and the MAC / adder / quantizer references
// (numerics.md sections 2, 4, 5 with its SR kinds, 6).
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "ref.hpp"

namespace fp8sa::ref {

// --- Exact ---------------------------------------------------------------------

Exact::Exact() {
  mpfr_init2(v_, kPrec);
  mpfr_set_zero(v_, 1);
}

Exact::Exact(double v) {
  mpfr_init2(v_, kPrec);
  mpfr_set_d(v_, v, MPFR_RNDN);  // exact: kPrec >= 53
}

Exact::Exact(const Exact& o) {
  mpfr_init2(v_, kPrec);
  mpfr_set(v_, o.v_, MPFR_RNDN);
}

Exact& Exact::operator=(const Exact& o) {
  if (this != &o) mpfr_set(v_, o.v_, MPFR_RNDN);
  return *this;
}

Exact::~Exact() { mpfr_clear(v_); }

std::string Exact::str() const {
  char* s = nullptr;
  if (mpfr_asprintf(&s, "%Ra", v_) < 0 || s == nullptr) return "?";
  std::string r(s);
  mpfr_free_str(s);
  return r;
}

void exact_add(Exact& r, const Exact& x, const Exact& y) {
  if (mpfr_add(r.get(), x.get(), y.get(), MPFR_RNDN) != 0)
    throw std::logic_error("ref::exact_add: sum " + x.str() + " + " + y.str() + " is not exact");
}

namespace {

// Saves MPFR's exponent range and restores it on scope exit.
struct ExpRangeGuard {
  mpfr_exp_t emin = mpfr_get_emin();
  mpfr_exp_t emax = mpfr_get_emax();
  ~ExpRangeGuard() {
    mpfr_set_emin(emin);
    mpfr_set_emax(emax);
  }
};

struct Mpfr {
  mpfr_t v;
  explicit Mpfr(mpfr_prec_t p) { mpfr_init2(v, p); }
  ~Mpfr() { mpfr_clear(v); }
  Mpfr(const Mpfr&) = delete;
  Mpfr& operator=(const Mpfr&) = delete;
};

RefResult overflow_result(bool neg, const FloatFormat& f, Round rnd, OnOverflow ovf) {
  const uint32_t sign = neg ? f.sign_bit() : 0u;
  const uint8_t fl = kOverflow | kInexact;
  switch (ovf) {
    case OnOverflow::kAccumulator:
      if (rnd == Round::RZ) return {sign | f.max_bits(), fl};
      return {sign | f.inf_bits(), fl};
    case OnOverflow::kSaturate:
      return {sign | f.max_bits(), fl};
    case OnOverflow::kInfinity:
      if (f.has_inf) return {sign | f.inf_bits(), fl};
      return {f.canonical_nan(), static_cast<uint8_t>(fl | kInvalid)};
  }
  throw std::logic_error("ref: bad OnOverflow");
}

}  // namespace

SrSplit sr_split(mpfr_srcptr x, const FloatFormat& f, int sr_bits, SrKind kind) {
  check_sr_bits(sr_bits);
  check_sr_kind(kind);
  if (!mpfr_regular_p(x)) throw std::logic_error("ref::sr_split: x must be finite and non-zero");
  const int Y = f.man_bits;
  const int R = sr_bits;
  Exact ax;
  mpfr_abs(ax.get(), x, MPFR_RNDN);
  const long E = static_cast<long>(mpfr_get_exp(ax.get())) - 1;  // |x| in [2^E, 2^(E+1))
  const long Eg = E < f.emin() ? f.emin() : E;                    // grid exponent: ulp = 2^(Eg - Y)
  SrSplit r;
  // q = |y_dn| / ulp = floor(|x| / ulp); f = |x| / ulp - q. Exponent changes
  // and floor on kPrec bits: exact.
  Exact sc;
  mpfr_mul_2si(sc.get(), ax.get(), -(Eg - Y), MPFR_RNDN);
  Exact fl;
  mpfr_floor(fl.get(), sc.get());
  const unsigned long q = mpfr_get_ui(fl.get(), MPFR_RNDZ);  // < 2^(Y + 1) <= 2^24
  mpfr_sub(r.f.get(), sc.get(), fl.get(), MPFR_RNDN);
  r.ulp = std::ldexp(1.0, static_cast<int>(Eg - Y));
  r.y_dn = static_cast<double>(q) * r.ulp;
  // The table of section 5, row by row, from g = f * 2^R.
  Exact g, gf;
  mpfr_mul_2si(g.get(), r.f.get(), R, MPFR_RNDN);
  mpfr_floor(gf.get(), g.get());
  r.g_floor = mpfr_get_ui(gf.get(), MPFR_RNDZ);  // < 2^R
  mpfr_sub(gf.get(), g.get(), gf.get(), MPFR_RNDN);  // g - floor(g) in [0, 1)
  const int c = mpfr_cmp_d(gf.get(), 0.5);
  r.g_half = c < 0 ? -1 : (c > 0 ? 1 : 0);
  Exact g2, tf;
  mpfr_div_2si(g2.get(), g.get(), 1, MPFR_RNDN);  // g / 2
  mpfr_floor(tf.get(), g2.get());
  r.t = mpfr_get_ui(tf.get(), MPFR_RNDZ);
  r.s = mpfr_equal_p(g2.get(), tf.get()) ? 0 : 1;
  switch (kind) {
    case SrKind::Mid: r.k = 2 * r.t + static_cast<uint64_t>(r.s); break;  // 2t + s
    case SrKind::Trunc: r.k = r.g_floor; break;                          // floor(g)
    case SrKind::Src:                                                    // RNE(g), ties to even
      r.k = r.g_floor + ((r.g_half > 0 || (r.g_half == 0 && (r.g_floor & 1u) != 0)) ? 1u : 0u);
      break;
  }
  // D and st: the R + 1 bits below the kept LSB and the sticky below them.
  Exact d2, df;
  mpfr_mul_2si(d2.get(), r.f.get(), R + 1, MPFR_RNDN);
  mpfr_floor(df.get(), d2.get());
  r.d = mpfr_get_ui(df.get(), MPFR_RNDZ);
  r.st = mpfr_equal_p(d2.get(), df.get()) ? 0 : 1;
  return r;
}

RefResult round_to_format(mpfr_srcptr x, const FloatFormat& f, Round rnd, uint32_t u, int sr_bits,
                          OnOverflow ovf, SrKind kind) {
  check_round(rnd);
  check_sr_kind(kind);
  if (rnd == Round::SR) check_sr_bits(sr_bits);
  const bool neg = mpfr_signbit(x) != 0;
  const uint32_t sign = neg ? f.sign_bit() : 0u;
  if (mpfr_nan_p(x)) return {f.canonical_nan(), 0};
  if (mpfr_inf_p(x)) {
    if (ovf == OnOverflow::kSaturate) return {sign | f.max_bits(), kInexact};
    if (f.has_inf) return {sign | f.inf_bits(), 0};
    return {f.canonical_nan(), kInvalid};
  }
  if (mpfr_zero_p(x)) return {sign, 0};

  const int Y = f.man_bits;
  double y;       // the rounded value, unbounded exponent above (exact in a double)
  bool inexact;
  bool tiny;
  if (rnd == Round::SR) {
    const SrSplit sp = sr_split(x, f, sr_bits, kind);
    const uint32_t uu = sr_bits >= 32 ? u : (u & ((1u << sr_bits) - 1u));
    const bool up = uu < sp.k;
    const double mag = sp.y_dn + (up ? sp.ulp : 0.0);
    y = neg ? -mag : mag;
    inexact = !mpfr_zero_p(sp.f.get());  // f != 0 (trunc and src can have k = 0 then)
    // Tininess before rounding: |x| < 2^emin.
    tiny = mpfr_get_exp(x) <= f.emin();
  } else {
    const mpfr_rnd_t mr = rnd == Round::RNE ? MPFR_RNDN : MPFR_RNDZ;
    Mpfr yr(Y + 1);
    // 1. Round to Y+1 bits, unbounded exponent range (MPFR's default range is
    //    far wider than any format here).
    int t = mpfr_set(yr.v, x, mr);
    // Tininess after rounding: |x rounded to Y+1 bits, unbounded| < 2^emin.
    // (MPFR exponent e means |y| in [2^(e-1), 2^e).)
    tiny = mpfr_get_exp(yr.v) <= f.emin();
    {
      // 2. Emulate the format's subnormals: the smallest subnormal
      //    2^(emin - Y) has MPFR exponent emin - Y + 1. No upper limit here:
      //    overflow is decided below against max finite (E4M3's max is not the
      //    top of its binade).
      ExpRangeGuard guard;
      mpfr_set_emin(f.emin() - Y + 1);
      mpfr_set_emax(1 << 20);
      t = mpfr_check_range(yr.v, t, mr);   // underflow below the smallest subnormal, using t
      t = mpfr_subnormalize(yr.v, t, mr);  // round to the subnormal grid, no double rounding
      y = mpfr_get_d(yr.v, MPFR_RNDN);     // exact: <= 24 bits, small exponent
    }
    inexact = t != 0;
  }
  if (std::fabs(y) > f.max_finite()) return overflow_result(neg, f, rnd, ovf);
  uint8_t flags = 0;
  if (inexact) flags = static_cast<uint8_t>(kInexact | (tiny ? kUnderflow : 0));
  // A value rounded to zero keeps the sign of x.
  if (y == 0.0) return {sign, flags};
  return {encode_exact(y, f), flags};
}

RefResult round_to_acc(mpfr_srcptr x, const FloatFormat& f, Round rnd, uint32_t u, int sr_bits,
                       SrKind kind) {
  return round_to_format(x, f, rnd, u, sr_bits, OnOverflow::kAccumulator, kind);
}

RefResult round_to_acc(double x_exact, const FloatFormat& f, Round rnd, uint32_t u, int sr_bits,
                       SrKind kind) {
  Exact x(x_exact);
  return round_to_acc(x.get(), f, rnd, u, sr_bits, kind);
}

// --- MAC and adder -------------------------------------------------------------

namespace {

// Operand class for the adder.
struct Operand {
  bool nan = false;
  bool invalid = false;  // raises invalid (sNaN operand, or 0 * Inf product)
  bool inf = false;
  bool zero = false;
  bool neg = false;
  double v = 0.0;  // exact value when finite
};

Operand acc_operand(uint32_t bits, const FloatFormat& f) {
  Operand o;
  bits &= f.mask();
  o.neg = (bits & f.sign_bit()) != 0;
  if (is_nan(bits, f)) {
    o.nan = true;
    o.invalid = is_snan(bits, f);
    return o;
  }
  o.v = decode(bits, f);
  o.inf = std::isinf(o.v);
  o.zero = o.v == 0.0;
  return o;
}

// numerics.md section 2: the exact product and its special cases.
Operand product(uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb) {
  const double av = fp8_decode(a, fa), bv = fp8_decode(b, fb);
  Operand o;
  o.neg = ((a ^ b) & 0x80) != 0;
  if (std::isnan(av) || std::isnan(bv)) {
    o.nan = true;
    return o;
  }
  if ((std::isinf(av) && bv == 0.0) || (std::isinf(bv) && av == 0.0)) {
    o.nan = true;
    o.invalid = true;
    return o;
  }
  if (std::isinf(av) || std::isinf(bv)) {
    o.inf = true;
    return o;
  }
  if (av == 0.0 || bv == 0.0) {
    o.zero = true;
    return o;
  }
  o.v = av * bv;  // <= 8 significant bits, exponent in [-32, 32]: exact in double
  return o;
}

RefResult add_operands(const Operand& x, const Operand& y, const FloatFormat& f, Round rnd,
                       uint32_t u, int sr_bits, SrKind kind) {
  if (x.nan || y.nan) return {f.canonical_nan(), (x.invalid || y.invalid) ? kInvalid : uint8_t{0}};
  if (x.inf && y.inf && x.neg != y.neg) return {f.canonical_nan(), kInvalid};
  if (x.inf || y.inf) {
    const bool neg = x.inf ? x.neg : y.neg;
    return {(neg ? f.sign_bit() : 0u) | f.inf_bits(), 0};
  }
  if (x.zero && y.zero) return {(x.neg && y.neg) ? f.sign_bit() : 0u, 0};
  Exact ex(x.zero ? 0.0 : x.v), ey(y.zero ? 0.0 : y.v), sum;
  exact_add(sum, ex, ey);
  if (mpfr_zero_p(sum.get())) return {0u, 0};  // x = -y non-zero: +0 in every mode
  return round_to_acc(sum.get(), f, rnd, u, sr_bits, kind);
}

}  // namespace

RefResult ref_mac(uint32_t acc, uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb,
                  const FloatFormat& f, Round rnd, uint32_t u, int sr_bits, SrKind kind) {
  check_round(rnd);
  check_sr_bits(sr_bits);
  check_sr_kind(kind);
  const Operand x = acc_operand(acc, f);
  Operand p = product(a, fa, b, fb);
  // Section 4: 0 * Inf raises invalid unless the accumulator is a quiet NaN
  // (the x86 fmaf rule; IEEE 754-2008 7.2 leaves that case open).
  if (x.nan && !x.invalid) p.invalid = false;
  return add_operands(x, p, f, rnd, u, sr_bits, kind);
}

RefResult ref_add(uint32_t x, uint32_t y, const FloatFormat& f, Round rnd, uint32_t u,
                  int sr_bits, SrKind kind) {
  check_round(rnd);
  check_sr_bits(sr_bits);
  check_sr_kind(kind);
  return add_operands(acc_operand(x, f), acc_operand(y, f), f, rnd, u, sr_bits, kind);
}

// --- Quantizer -------------------------------------------------------------------

RefResult ref_quantize(uint32_t acc, const FloatFormat& in_fmt, OutFormat out, Round rnd, bool sat,
                       int scale, uint32_t u, int sr_bits, SrKind kind) {
  check_round(rnd);
  check_sr_bits(sr_bits);
  check_sr_kind(kind);
  check_scale(scale);
  const FloatFormat of = out_format(out);
  const Operand x = acc_operand(acc, in_fmt);
  if (x.nan) return {of.canonical_nan(), x.invalid ? kInvalid : uint8_t{0}};
  const OnOverflow ovf = sat ? OnOverflow::kSaturate : OnOverflow::kInfinity;
  Exact v(x.v);  // +-Inf, +-0 or the finite value
  if (mpfr_regular_p(v.get())) mpfr_mul_2si(v.get(), v.get(), scale, MPFR_RNDN);  // exact
  return round_to_format(v.get(), of, rnd, u, sr_bits, ovf, kind);
}

}  // namespace fp8sa::ref

// fp8sa::ref formats, exact decoding and encoding (numerics.md sections 1, 3, 6).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "ref.hpp"

namespace fp8sa::ref {

std::string flags_str(uint8_t flags) {
  if (flags == 0) return "-";
  std::string s;
  auto add = [&](uint8_t bit, const char* name) {
    if (flags & bit) {
      if (!s.empty()) s += '|';
      s += name;
    }
  };
  add(kInexact, "inexact");
  add(kUnderflow, "underflow");
  add(kOverflow, "overflow");
  add(kInvalid, "invalid");
  if (flags & 0xF0) s += "|?0x" + hex(flags & 0xF0u, 2);
  return s;
}

std::string hex(uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*X", digits, v);
  return buf;
}

uint32_t FloatFormat::canonical_nan() const {
  if (!has_inf) return (1u << (exp_bits + man_bits)) - 1u;  // S=0, all ones
  return exp_ones() | (1u << (man_bits - 1));
}

uint32_t FloatFormat::inf_bits() const {
  if (!has_inf) throw std::logic_error("format " + name() + " has no infinity");
  return exp_ones();
}

uint32_t FloatFormat::max_bits() const {
  if (has_inf) return exp_ones() - 1u;           // exp ones-1, mantissa ones
  return exp_ones() | ((1u << man_bits) - 2u);   // exp ones, mantissa ones-1
}

double FloatFormat::max_finite() const {
  // IEEE-like: (2 - 2^-Y) * 2^emax. E4M3-like: (2 - 2^(1-Y)) * 2^emax.
  const double frac = has_inf ? std::ldexp(1.0, -man_bits) : std::ldexp(1.0, 1 - man_bits);
  return std::ldexp(2.0 - frac, emax());
}

double FloatFormat::min_normal() const { return std::ldexp(1.0, emin()); }
double FloatFormat::min_subnormal() const { return std::ldexp(1.0, emin() - man_bits); }

std::string FloatFormat::name() const {
  return "e" + std::to_string(exp_bits) + "m" + std::to_string(man_bits) + (has_inf ? "" : "fn");
}

FloatFormat acc_format(int exp_bits, int man_bits) {
  if (exp_bits < 4 || exp_bits > 8)
    throw std::invalid_argument("ref: accumulator exp_bits " + std::to_string(exp_bits) +
                                " out of range [4, 8]");
  if (man_bits < 2 || man_bits > 23)
    throw std::invalid_argument("ref: accumulator man_bits " + std::to_string(man_bits) +
                                " out of range [2, 23]");
  return FloatFormat{exp_bits, man_bits, true};
}

FloatFormat out_format(OutFormat f) {
  switch (static_cast<unsigned>(f)) {
    case 0: return FloatFormat{4, 3, false};
    case 1: return FloatFormat{5, 2, true};
    case 2: return FloatFormat{5, 10, true};
    case 3: return FloatFormat{8, 7, true};
    default:
      throw std::invalid_argument("ref: output format code " +
                                  std::to_string(static_cast<unsigned>(f)) + " is reserved");
  }
}

FloatFormat fp8_format(Fp8Format f) {
  switch (static_cast<unsigned>(f)) {
    case 0: return FloatFormat{4, 3, false};
    case 1: return FloatFormat{5, 2, true};
    default:
      throw std::invalid_argument("ref: FP8 format code " + std::to_string(static_cast<unsigned>(f)));
  }
}

void check_round(Round rnd) {
  const unsigned c = static_cast<unsigned>(rnd);
  if (c > 2) throw std::invalid_argument("ref: rounding mode code " + std::to_string(c) + " is reserved");
}

void check_sr_bits(int sr_bits) {
  if (sr_bits < 2 || sr_bits > 24)
    throw std::invalid_argument("ref: sr_bits " + std::to_string(sr_bits) + " out of range [2, 24]");
}

void check_sr_kind(SrKind kind) {
  const unsigned c = static_cast<unsigned>(kind);
  if (c > 2) throw std::invalid_argument("ref: SR kind code " + std::to_string(c) + " out of range [0, 2]");
}

const char* sr_kind_str(SrKind kind) {
  switch (kind) {
    case SrKind::Mid: return "mid";
    case SrKind::Trunc: return "trunc";
    case SrKind::Src: return "src";
  }
  return "SrKind(?)";
}

void check_scale(int scale) {
  if (scale < -64 || scale > 63)
    throw std::invalid_argument("ref: scale " + std::to_string(scale) + " out of range [-64, 63]");
}

// --- FP8, straight from the table of numerics.md section 1 -------------------

double fp8_decode(uint8_t code, Fp8Format fmt) {
  const double sign = (code & 0x80) ? -1.0 : 1.0;
  if (fmt == Fp8Format::E4M3) {
    const int e = (code >> 3) & 0xF;
    const int m = code & 0x7;
    if (e == 15 && m == 7) return std::numeric_limits<double>::quiet_NaN();
    if (e == 0) return sign * std::ldexp(m, 1 - 7 - 3);
    return sign * std::ldexp(8 + m, e - 7 - 3);
  }
  if (fmt == Fp8Format::E5M2) {
    const int e = (code >> 2) & 0x1F;
    const int m = code & 0x3;
    if (e == 31) return m == 0 ? sign * std::numeric_limits<double>::infinity()
                               : std::numeric_limits<double>::quiet_NaN();
    if (e == 0) return sign * std::ldexp(m, 1 - 15 - 2);
    return sign * std::ldexp(4 + m, e - 15 - 2);
  }
  throw std::invalid_argument("ref: FP8 format code " + std::to_string(static_cast<unsigned>(fmt)));
}

bool fp8_is_nan(uint8_t code, Fp8Format fmt) { return std::isnan(fp8_decode(code, fmt)); }
bool fp8_is_inf(uint8_t code, Fp8Format fmt) { return std::isinf(fp8_decode(code, fmt)); }

// --- generic formats ----------------------------------------------------------

namespace {
struct Fields {
  bool neg;
  uint32_t e;
  uint32_t m;
};
Fields fields(uint32_t bits, const FloatFormat& f) {
  bits &= f.mask();
  return {(bits & f.sign_bit()) != 0, (bits >> f.man_bits) & ((1u << f.exp_bits) - 1u),
          bits & ((1u << f.man_bits) - 1u)};
}
}  // namespace

bool is_nan(uint32_t bits, const FloatFormat& f) {
  const Fields x = fields(bits, f);
  const uint32_t eones = (1u << f.exp_bits) - 1u, mones = (1u << f.man_bits) - 1u;
  if (f.has_inf) return x.e == eones && x.m != 0;
  return x.e == eones && x.m == mones;
}

bool is_snan(uint32_t bits, const FloatFormat& f) {
  if (!f.has_inf || !is_nan(bits, f)) return false;
  return (fields(bits, f).m >> (f.man_bits - 1)) == 0;
}

bool is_inf(uint32_t bits, const FloatFormat& f) {
  const Fields x = fields(bits, f);
  return f.has_inf && x.e == (1u << f.exp_bits) - 1u && x.m == 0;
}

bool is_zero(uint32_t bits, const FloatFormat& f) {
  const Fields x = fields(bits, f);
  return x.e == 0 && x.m == 0;
}

double decode(uint32_t bits, const FloatFormat& f) {
  if (is_nan(bits, f)) return std::numeric_limits<double>::quiet_NaN();
  const Fields x = fields(bits, f);
  const double sign = x.neg ? -1.0 : 1.0;
  if (is_inf(bits, f)) return sign * std::numeric_limits<double>::infinity();
  if (x.e == 0) return sign * std::ldexp(static_cast<double>(x.m), f.emin() - f.man_bits);
  return sign * std::ldexp(static_cast<double>((1u << f.man_bits) + x.m),
                           static_cast<int>(x.e) - f.bias() - f.man_bits);
}

uint32_t encode_exact(double v, const FloatFormat& f) {
  if (std::isnan(v)) return f.canonical_nan();
  const uint32_t sign = std::signbit(v) ? f.sign_bit() : 0u;
  if (std::isinf(v)) return sign | f.inf_bits();
  const double av = std::fabs(v);
  if (av == 0.0) return sign;
  auto fail = [&](const char* why) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%a", v);
    return std::logic_error(std::string("ref::encode_exact: ") + buf + " " + why + " in " + f.name());
  };
  if (av > f.max_finite()) throw fail("is above max finite");
  const int e = std::ilogb(av);
  if (e < f.emin()) {
    const double m = std::ldexp(av, f.man_bits - f.emin());
    if (m != std::floor(m)) throw fail("is not on the subnormal grid");
    return sign | static_cast<uint32_t>(m);
  }
  const double m = std::ldexp(av, f.man_bits - e);  // in [2^Y, 2^(Y+1))
  if (m != std::floor(m)) throw fail("has too many significant bits");
  const uint32_t mi = static_cast<uint32_t>(m) - (1u << f.man_bits);
  return sign | (static_cast<uint32_t>(e + f.bias()) << f.man_bits) | mi;
}

uint32_t f32_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

float f32_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace fp8sa::ref

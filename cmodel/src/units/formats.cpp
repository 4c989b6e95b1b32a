// Format descriptors, FP8 decode, parameter validation and parsers
// (docs/numerics.md sections 1, 3, 4, 5, 6).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "fp8sa/numerics.hpp"
#include "internal.hpp"

namespace fp8sa {

namespace detail {

std::string hex32(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace detail

namespace {

std::string lower(const std::string& s) {
  std::string r = s;
  for (char& c : r) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------
// AccFormat
// ---------------------------------------------------------------------------

uint32_t AccFormat::canonical_nan() const {
  return (((1u << exp_bits) - 1u) << man_bits) | (1u << (man_bits - 1));
}

void AccFormat::validate() const {
  if (exp_bits < 4 || exp_bits > 8) {
    throw std::invalid_argument("acc format " + name() + ": exp_bits " + std::to_string(exp_bits) +
                                " out of range [4, 8]");
  }
  if (man_bits < 2 || man_bits > 23) {
    throw std::invalid_argument("acc format " + name() + ": man_bits " + std::to_string(man_bits) +
                                " out of range [2, 23]");
  }
}

AccFormat AccFormat::parse(const std::string& s) {
  const std::string t = lower(s);
  // e<digits>m<digits>, at most 3 digits each (so nothing can overflow).
  size_t i = 0;
  auto digits = [&](int* out) {
    const size_t start = i;
    int v = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9' && i - start < 3) {
      v = v * 10 + (t[i] - '0');
      ++i;
    }
    *out = v;
    return i > start && !(i < t.size() && t[i] >= '0' && t[i] <= '9');
  };
  AccFormat f{0, 0};
  bool ok = i < t.size() && t[i] == 'e';
  if (ok) {
    ++i;
    ok = digits(&f.exp_bits);
  }
  ok = ok && i < t.size() && t[i] == 'm';
  if (ok) {
    ++i;
    ok = digits(&f.man_bits);
  }
  ok = ok && i == t.size();
  if (!ok) {
    throw std::invalid_argument("bad accumulator format '" + s +
                                "': expected eXmY with X in [4, 8] and Y in [2, 23], e.g. e8m23");
  }
  f.validate();
  return f;
}

std::string AccFormat::name() const { return "e" + std::to_string(exp_bits) + "m" + std::to_string(man_bits); }

uint32_t AccFormat::to_f32_bits(uint32_t bits) const {
  const detail::Unpacked u = detail::unpack_acc(bits & mask(), *this);
  const uint32_t sign = static_cast<uint32_t>(u.sign) << 31;
  switch (u.cls) {
    case detail::kClsZero:
      return sign;
    case detail::kClsInf:
      return sign | 0x7F800000u;
    case detail::kClsNan:  // payload kept, mantissa MSB (quiet bit) in place
      return sign | 0x7F800000u | ((bits & ((1u << man_bits) - 1u)) << (23 - man_bits));
    default:
      break;
  }
  const int lead = detail::bitlen64(u.sig) - 1;
  const int e = u.exp + lead;  // unbiased exponent of the leading bit
  if (e >= -126) {
    return sign | (static_cast<uint32_t>(e + 127) << 23) | static_cast<uint32_t>((u.sig << (23 - lead)) & 0x7FFFFFu);
  }
  return sign | static_cast<uint32_t>(u.sig << (u.exp + 149));  // binary32 subnormal (exp >= -149)
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

void validate_sr_bits(int sr_bits) {
  if (sr_bits < 2 || sr_bits > 24) {
    throw std::invalid_argument("sr_bits " + std::to_string(sr_bits) + " out of range [2, 24]");
  }
}

SrKind sr_kind_from_code(unsigned code) {
  if (code > 2u) {
    throw std::invalid_argument("SR kind code " + std::to_string(code) + " out of range (legal: 0 mid, 1 trunc, 2 src)");
  }
  return static_cast<SrKind>(code);
}

Round round_from_code(unsigned code) {
  if (code > 2u) {
    throw std::invalid_argument("rounding mode code " + std::to_string(code) +
                                (code == 3u ? " is reserved" : " out of range") + " (legal: 0 RNE, 1 RZ, 2 SR)");
  }
  return static_cast<Round>(code);
}

// ---------------------------------------------------------------------------
// FP8
// ---------------------------------------------------------------------------

double fp8_to_double(uint8_t code, Fp8Format fmt) {
  const detail::Fp8Dec& d = detail::kFp8Dec.t[static_cast<int>(fmt) & 1][code];
  const double sgn = d.sign ? -1.0 : 1.0;
  switch (d.cls) {
    case detail::kClsNan:
      return std::numeric_limits<double>::quiet_NaN();
    case detail::kClsInf:
      return sgn * std::numeric_limits<double>::infinity();
    case detail::kClsZero:
      return sgn * 0.0;
    default:
      return sgn * std::ldexp(static_cast<double>(d.sig), d.exp);
  }
}

uint32_t fp8_to_f32_bits(uint8_t code, Fp8Format fmt) {
  const detail::Fp8Dec& d = detail::kFp8Dec.t[static_cast<int>(fmt) & 1][code];
  const uint32_t sign = static_cast<uint32_t>(d.sign) << 31;
  switch (d.cls) {
    case detail::kClsNan:
      return sign | 0x7FC00000u;  // quiet NaN, sign kept
    case detail::kClsInf:
      return sign | 0x7F800000u;
    case detail::kClsZero:
      return sign;
    default: {
      const int lead = detail::bitlen64(d.sig) - 1;
      const uint32_t be = static_cast<uint32_t>(d.exp + lead + 127);
      return sign | (be << 23) | ((static_cast<uint32_t>(d.sig) << (23 - lead)) & 0x7FFFFFu);
    }
  }
}

// ---------------------------------------------------------------------------
// Output formats and parsers
// ---------------------------------------------------------------------------

double FormatInfo::max_finite() const {
  const double sig = static_cast<double>((1u << man_bits) | (max_finite_bits() & man_mask()));
  return std::ldexp(sig, emax() - man_bits);
}

const FormatInfo& format_info(OutFormat f) {
  const unsigned code = static_cast<unsigned>(f);
  if (code > 3u) {
    throw std::invalid_argument("output format code " + std::to_string(code) +
                                " is reserved (legal: 0 e4m3, 1 e5m2, 2 fp16, 3 bf16)");
  }
  return kFormatTable[code];
}

OutFormat out_format(OutKind k) {
  if (k == OutKind::Raw) throw std::invalid_argument("the raw accumulator word is not a quantizer format");
  return static_cast<OutFormat>(k);
}

int out_kind_bytes(OutKind k) {
  if (k == OutKind::Raw) return 4;
  return (format_info(out_format(k)).width() + 7) / 8;
}

double output_word_value(uint32_t word, OutKind k, const AccFormat& acc) {
  if (k == OutKind::Raw) {
    const uint32_t b = acc.to_f32_bits(word & acc.mask());
    float f;
    std::memcpy(&f, &b, 4);
    return static_cast<double>(f);
  }
  const FormatInfo& fi = format_info(out_format(k));
  const uint32_t w = word & ((1u << fi.width()) - 1u);
  const uint32_t e = (w >> fi.man_bits) & ((1u << fi.exp_bits) - 1u), m = w & fi.man_mask();
  const double s = (w >> (fi.width() - 1)) ? -1.0 : 1.0;
  const uint32_t all_e = (1u << fi.exp_bits) - 1u;
  if (fi.has_inf && e == all_e) return m ? std::numeric_limits<double>::quiet_NaN() : s * HUGE_VAL;
  if (!fi.has_inf && e == all_e && m == fi.man_mask()) return std::numeric_limits<double>::quiet_NaN();
  if (e == 0) return s * std::ldexp(static_cast<double>(m), fi.emin() - fi.man_bits);
  return s * std::ldexp(static_cast<double>((1u << fi.man_bits) | m), static_cast<int>(e) - fi.bias - fi.man_bits);
}

const char* out_kind_name(OutKind k) { return k == OutKind::Raw ? "fp32" : format_info(out_format(k)).name; }
const char* format_name(Fp8Format f) { return format_info(f).name; }
const char* round_name(Round r) {
  switch (r) {
    case Round::RNE: return "rne";
    case Round::RZ: return "rz";
    case Round::SR: return "sr";
  }
  throw std::invalid_argument("rounding mode code " + std::to_string(static_cast<unsigned>(r)) + " is reserved");
}

const char* sr_kind_name(SrKind k) {
  switch (k) {
    case SrKind::Mid: return "mid";
    case SrKind::Trunc: return "trunc";
    case SrKind::Src: return "src";
  }
  throw std::invalid_argument("SR kind code " + std::to_string(static_cast<unsigned>(k)) + " out of range");
}

SrKind parse_sr_kind(const std::string& s) {
  const std::string t = lower(s);
  for (SrKind k : {SrKind::Mid, SrKind::Trunc, SrKind::Src})
    if (t == sr_kind_name(k)) return k;
  throw std::invalid_argument("bad SR kind '" + s + "': expected mid, trunc or src");
}

OutFormat parse_out_format(const std::string& s) {
  const std::string t = lower(s);
  for (unsigned c = 0; c < 4; ++c)
    if (t == kFormatTable[c].name) return static_cast<OutFormat>(c);
  throw std::invalid_argument("bad output format '" + s + "': expected e4m3, e5m2, fp16 or bf16");
}

OutKind parse_out_kind(const std::string& s) {
  if (lower(s) == "fp32") return OutKind::Raw;
  try {
    return static_cast<OutKind>(parse_out_format(s));
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("bad output format '" + s + "': expected fp32 (the raw word), e4m3, e5m2, fp16 or bf16");
  }
}

Fp8Format parse_fp8_format(const std::string& s) {
  const std::string t = lower(s);
  for (Fp8Format f : {Fp8Format::E4M3, Fp8Format::E5M2})
    if (t == format_info(f).name) return f;
  throw std::invalid_argument("bad FP8 format '" + s + "': expected e4m3 or e5m2");
}

Round parse_round(const std::string& s) {
  const std::string t = lower(s);
  if (t == "rne") return Round::RNE;
  if (t == "rz" || t == "rtz") return Round::RZ;
  if (t == "sr") return Round::SR;
  throw std::invalid_argument("bad rounding mode '" + s + "': expected rne, rz (or rtz) or sr");
}

}  // namespace fp8sa

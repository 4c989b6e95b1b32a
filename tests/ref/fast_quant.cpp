// fp8sa::ref fast exact FP8 quantizer reference (numerics.md section 6, RNE/RZ).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "ref.hpp"

namespace fp8sa::ref {

Fp8FastQuantizer::Fp8FastQuantizer(Fp8Format fmt) : fmt_(fmt) {
  const FloatFormat f = fp8_format(fmt);
  if (fmt == Fp8Format::E4M3) {
    max_code_ = 0x7E;  // 448
    inf_code_ = 0;     // none
    nan_code_ = 0x7F;
  } else {
    max_code_ = 0x7B;  // 57344
    inf_code_ = 0x7C;
    nan_code_ = 0x7E;
  }
  for (int c = 0; c <= max_code_; ++c) mag_.push_back(fp8_decode(static_cast<uint8_t>(c), fmt));
  // The grid continues above max with max's spacing (unbounded exponent):
  // 480 for E4M3, 65536 for E5M2.
  mag_.push_back(mag_[max_code_] + (mag_[max_code_] - mag_[max_code_ - 1]));
  for (size_t i = 1; i < mag_.size(); ++i)
    if (!(mag_[i] > mag_[i - 1])) throw std::logic_error("Fp8FastQuantizer: table not increasing");
  // Tiny after rounding (RNE): |x| rounded to Y+1 bits with an unbounded
  // exponent range is below 2^emin, i.e. |x| is below the midpoint between
  // 2^emin and its predecessor at full precision, (2 - 2^-Y) * 2^(emin-1).
  // Midpoint: 2^emin - 2^(emin - Y - 2); a tie rounds to 2^emin (even).
  // Brackets per binade [2^e, 2^(e+1)), e in [-kEOff, kEOff): the entries
  // from the last one <= 2^e to the first one >= 2^(e+1).
  for (int e = -kEOff; e < kEOff; ++e) {
    const double b0 = std::ldexp(1.0, e), b1 = std::ldexp(1.0, e + 1);
    const auto lo = std::upper_bound(mag_.begin(), mag_.end(), b0) - mag_.begin() - 1;  // >= 0: mag_[0] = 0
    auto hi = std::lower_bound(mag_.begin(), mag_.end(), b1) - mag_.begin();
    if (hi >= static_cast<long>(mag_.size())) hi = static_cast<long>(mag_.size()) - 1;
    lo_.push_back(static_cast<uint16_t>(lo));
    hi_.push_back(static_cast<uint16_t>(hi));
  }
  min_normal_ = std::ldexp(1.0, f.emin());
  tiny_rne_ = min_normal_ - std::ldexp(1.0, f.emin() - f.man_bits - 2);
}

Fp8FastQuantizer::Pair Fp8FastQuantizer::quantize_both(double x, Round rnd, bool input_snan) const {
  if (rnd != Round::RNE && rnd != Round::RZ)
    throw std::invalid_argument("Fp8FastQuantizer: only RNE and RZ");
  if (std::isnan(x)) {
    const RefResult r{nan_code_, input_snan ? kInvalid : uint8_t{0}};
    return {r, r};
  }
  const uint32_t sign = std::signbit(x) ? 0x80u : 0u;
  const RefResult sat_ovf{sign | max_code_, static_cast<uint8_t>(kOverflow | kInexact)};
  const RefResult inf_ovf = inf_code_ != 0
                                ? RefResult{sign | inf_code_, static_cast<uint8_t>(kOverflow | kInexact)}
                                : RefResult{nan_code_, static_cast<uint8_t>(kOverflow | kInexact | kInvalid)};
  if (std::isinf(x)) {
    const RefResult nosat = inf_code_ != 0 ? RefResult{sign | inf_code_, 0} : RefResult{nan_code_, kInvalid};
    return {nosat, RefResult{sign | max_code_, kInexact}};
  }
  const double ax = std::fabs(x);
  if (ax == 0.0) return {RefResult{sign, 0}, RefResult{sign, 0}};
  const size_t top = mag_.size() - 1;  // index of the virtual code above max
  if (ax >= mag_[top]) return {inf_ovf, sat_ovf};
  // mag_[idx] <= ax < mag_[idx + 1]: binary search in the bracket of ax's
  // binade (the whole table when ax is outside the bracketed exponents).
  auto first = mag_.begin(), last = mag_.end();
  if (ax < mag_[1]) {
    last = first + 1;  // below the smallest subnormal: idx = 0
  } else {
    uint64_t xb;
    std::memcpy(&xb, &ax, sizeof xb);
    const int e = static_cast<int>((xb >> 52) & 0x7FFu) - 1023;  // floor(log2 ax), ax normal
    if (e >= -kEOff && e < kEOff) {
      first = mag_.begin() + lo_[static_cast<size_t>(e + kEOff)];
      last = mag_.begin() + hi_[static_cast<size_t>(e + kEOff)] + 1;
    }
  }
  // Branch-free binary search for the last entry <= ax (mag_[first] <= ax).
  const double* base = &*first;
  for (size_t n = static_cast<size_t>(last - first); n > 1;) {
    const size_t half = n / 2;
    base = base[half] <= ax ? base + half : base;
    n -= half;
  }
  const size_t idx = static_cast<size_t>(base - mag_.data());
  if (mag_[idx] == ax) {
    const RefResult r{sign | static_cast<uint32_t>(idx), 0};
    return {r, r};
  }
  size_t code = idx;
  if (rnd == Round::RNE) {
    const double mid = 0.5 * (mag_[idx] + mag_[idx + 1]);  // exact: few significant bits
    if (ax > mid || (ax == mid && (idx & 1u) != 0)) code = idx + 1;  // tie: even code
  }
  if (code == top) return {inf_ovf, sat_ovf};
  const bool tiny = rnd == Round::RNE ? ax < tiny_rne_ : ax < min_normal_;
  const RefResult r{sign | static_cast<uint32_t>(code),
                    static_cast<uint8_t>(kInexact | (tiny ? kUnderflow : 0))};
  return {r, r};
}

Fp8FastQuantizer::Pair Fp8FastQuantizer::quantize_f32(uint32_t bits, Round rnd) const {
  const float v = f32_from_bits(bits);
  const bool snan = std::isnan(v) && (bits & 0x00400000u) == 0;
  return quantize_both(static_cast<double>(v), rnd, snan);
}

}  // namespace fp8sa::ref

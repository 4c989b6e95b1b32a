// The quantizer / output unit (docs/numerics.md section 6).
#include <stdexcept>
#include <string>

#include "fp8sa/numerics.hpp"
#include "internal.hpp"

namespace fp8sa {

namespace {

struct OutParams {
  int exp_bits, man, bias;
  bool has_inf;
  uint32_t nan, inf, max;
  detail::RoundFmt rf;
};

// The quantizer's view of a row of the format table.
constexpr OutParams out_params(const FormatInfo& f) {
  const uint32_t max = f.max_finite_bits();
  return OutParams{f.exp_bits, f.man_bits, f.bias, f.has_inf, f.canonical_nan, f.inf_bits(), max,
                   detail::RoundFmt{f.man_bits, f.emin(), f.emax(), (1u << f.man_bits) | (max & f.man_mask())}};
}

// Indexed by OutFormat code (E4M3: emax 8 with max significand 1.110, as
// S.1111.111 is NaN; no Inf).
constexpr OutParams kOut[4] = {out_params(kFormatTable[0]), out_params(kFormatTable[1]),
                               out_params(kFormatTable[2]), out_params(kFormatTable[3])};
static_assert(kOut[0].max == 0x7Eu && kOut[0].rf.max_sig == 0xEu && kOut[0].rf.emax == 8, "E4M3 row");
static_assert(kOut[1].max == 0x7Bu && kOut[1].inf == 0x7Cu && kOut[1].rf.emin == -14, "E5M2 row");
static_assert(kOut[2].max == 0x7BFFu && kOut[2].rf.max_sig == 0x7FFu, "FP16 row");
static_assert(kOut[3].max == 0x7F7Fu && kOut[3].rf.emin == -126 && kOut[3].rf.emax == 127, "BF16 row");

}  // namespace

Quantizer::Quantizer(AccFormat in_fmt, int sr_bits, SrKind sr_kind) : fmt_(in_fmt), sr_bits_(sr_bits), sr_kind_(sr_kind) {
  fmt_.validate();
  validate_sr_bits(sr_bits_);
  sr_kind_from_code(static_cast<unsigned>(sr_kind_));  // throws for a bad code
}

OpResult Quantizer::quantize(uint32_t acc, OutFormat out, Round rnd, bool sat, int scale, uint32_t rand) const {
  const unsigned oc = static_cast<unsigned>(out);
  if (oc > 3u) format_info(out);  // throws with the message
  if (static_cast<unsigned>(rnd) > 2u) round_from_code(static_cast<unsigned>(rnd));  // throws
  if (scale < -64 || scale > 63) {
    throw std::invalid_argument("quantizer scale " + std::to_string(scale) + " out of range [-64, 63]");
  }
  const OutParams& o = kOut[oc];
  const detail::Unpacked u = detail::unpack_acc(acc & fmt_.mask(), fmt_);
  const uint32_t sign = static_cast<uint32_t>(u.sign) << (o.exp_bits + o.man);
  switch (u.cls) {
    case detail::kClsNan:
      return OpResult{o.nan, static_cast<uint8_t>(u.snan ? kFlagInvalid : 0)};
    case detail::kClsInf:
      if (sat) return OpResult{sign | o.max, kFlagInexact};
      if (o.has_inf) return OpResult{sign | o.inf, 0u};
      return OpResult{o.nan, kFlagInvalid};
    case detail::kClsZero:
      return OpResult{sign, 0u};
    default:
      break;
  }
  const detail::Rounded r = detail::round_value(u.sig, u.exp + scale, o.rf, rnd, rand, sr_bits_, sr_kind_);
  if (r.overflow) {
    // Section 6: sat gives +-max, otherwise +-Inf (NaN for E4M3), in every
    // rounding mode.
    if (sat) return OpResult{sign | o.max, r.flags};
    if (o.has_inf) return OpResult{sign | o.inf, r.flags};
    return OpResult{o.nan, static_cast<uint8_t>(r.flags | kFlagInvalid)};
  }
  return OpResult{detail::pack_rounded(r, u.sign, o.exp_bits, o.man, o.bias), r.flags};
}

}  // namespace fp8sa

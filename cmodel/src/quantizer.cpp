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

// Indexed by OutFormat code.
const OutParams kOut[4] = {
    // E4M3: emax 8 with max significand 1.110 (S.1111.111 is NaN), no Inf.
    {4, 3, 7, false, 0x7Fu, 0u, 0x7Eu, {3, -6, 8, 0xEu}},
    {5, 2, 15, true, 0x7Eu, 0x7Cu, 0x7Bu, {2, -14, 15, 0x7u}},
    {5, 10, 15, true, 0x7E00u, 0x7C00u, 0x7BFFu, {10, -14, 15, 0x7FFu}},
    {8, 7, 127, true, 0x7FC0u, 0x7F80u, 0x7F7Fu, {7, -126, 127, 0xFFu}},
};

}  // namespace

Quantizer::Quantizer(AccFormat in_fmt, int sr_bits) : fmt_(in_fmt), sr_bits_(sr_bits) {
  fmt_.validate();
  validate_sr_bits(sr_bits_);
}

OpResult Quantizer::quantize(uint32_t acc, OutFormat out, Round rnd, bool sat, int scale, uint32_t rand) const {
  const unsigned oc = static_cast<unsigned>(out);
  if (oc > 3u) out_format_info(out);  // throws with the message
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
  const detail::Rounded r = detail::round_value(u.sig, u.exp + scale, o.rf, rnd, rand, sr_bits_);
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

// Cycle-accurate MAC processing element (docs/numerics.md section 8).
#include "fp8sa/mac_pe.hpp"

#include <stdexcept>
#include <string>

#include "internal.hpp"

namespace fp8sa {

void MacPeConfig::validate() const {
  acc.validate();
  validate_sr_bits(sr_bits);
  if (lfsr_w < 4 || lfsr_w > 32) {
    throw std::invalid_argument("mac pe: lfsr_w " + std::to_string(lfsr_w) + " out of range [4, 32]");
  }
  if (sr_bits > lfsr_w) {
    throw std::invalid_argument("mac pe: sr_bits " + std::to_string(sr_bits) + " out of range [2, lfsr_w = " +
                                std::to_string(lfsr_w) + "] (a draw takes sr_bits bits of the LFSR state)");
  }
  if (promote_n != 0 && (promote_n < 2 || promote_n > 65535)) {
    throw std::invalid_argument("mac pe: promote_n " + std::to_string(promote_n) +
                                " out of range (0 = off, or [2, 65535])");
  }
  const uint32_t m = lfsr_w >= 32 ? 0xFFFFFFFFu : ((1u << lfsr_w) - 1u);
  if ((seed & m) == 0) {
    throw std::invalid_argument("mac pe: seed " + detail::hex32(seed) + " is zero in its low " +
                                std::to_string(lfsr_w) + " bits (lfsr_w)");
  }
}

namespace {

const MacPeConfig& validated(const MacPeConfig& c) {
  c.validate();
  return c;
}

}  // namespace

MacPe::MacPe(const MacPeConfig& cfg)
    : cfg_(validated(cfg)), adder_(cfg.acc, cfg.sr_bits), wide_adder_(kFp32, 2), lfsr_(cfg.lfsr_w, cfg.sr_bits, cfg.seed) {}

void MacPe::reset() {
  acc_q_ = 0;
  wide_q_ = 0;
  count_ = 0;
  flags_q_ = 0;
  lfsr_.seed(cfg_.seed);
}

void MacPe::clock(const MacPeInputs& in) {
  // Everything that can throw (a zero seed load, a reserved rounding mode)
  // does so before any state changes.
  if (in.seed_load) {
    const uint32_t wmask = cfg_.lfsr_w >= 32 ? 0xFFFFFFFFu : ((1u << cfg_.lfsr_w) - 1u);
    if ((in.seed & wmask) == 0) {
      throw std::invalid_argument("mac pe: seed_load of " + detail::hex32(in.seed) + ", zero in its low " +
                                  std::to_string(cfg_.lfsr_w) + " bits (lfsr_w)");
    }
  }
  const uint32_t mask = cfg_.acc.mask();
  if (cfg_.promote_n > 0) {
    // The RTL adds a promoted narrow value into w at the next edge and
    // shows that sum on acc_o at once; here the add is made at the MAC's
    // edge, which gives the same ports on every cycle.
    if (in.en) {
      const OpResult r = adder_.mac(in.clr ? 0u : acc_q_, in.a, in.fmt_a, in.b, in.fmt_b, in.rnd, lfsr_.peek());
      uint8_t f = r.flags;
      if (in.clr) {
        wide_q_ = in.init;
        count_ = 0;
      } else {
        f = static_cast<uint8_t>(f | flags_q_);
      }
      acc_q_ = r.bits;
      if (in.last || ++count_ == cfg_.promote_n) {
        const OpResult w = wide_adder_.add(wide_q_, cfg_.acc.to_f32_bits(acc_q_), Round::RNE);
        wide_q_ = w.bits;
        f = static_cast<uint8_t>(f | w.flags);
        acc_q_ = 0;
        count_ = 0;
      }
      flags_q_ = f;
    } else if (in.clr) {
      acc_q_ = 0;
      wide_q_ = in.init;
      flags_q_ = 0;
      count_ = 0;
    }
  } else if (in.en) {
    const uint32_t base = in.clr ? (in.init & mask) : acc_q_;
    const OpResult r = adder_.mac(base, in.a, in.fmt_a, in.b, in.fmt_b, in.rnd, lfsr_.peek());
    acc_q_ = r.bits;
    flags_q_ = in.clr ? r.flags : static_cast<uint8_t>(flags_q_ | r.flags);
  } else if (in.clr) {
    acc_q_ = in.init & mask;
    flags_q_ = 0;
  }
  if (in.seed_load) {
    lfsr_.seed(in.seed);  // wins over the advance
  } else if (in.en) {
    lfsr_.draw();
  }
}

}  // namespace fp8sa

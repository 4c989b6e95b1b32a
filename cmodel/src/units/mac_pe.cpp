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
  pe().validate("mac pe");
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
    : cfg_(validated(cfg)), pe_(cfg.pe()), lfsr_(cfg.lfsr_w, cfg.sr_bits, cfg.seed),
      sr_mask_(cfg.sr_bits >= 32 ? 0xFFFFFFFFu : ((1u << cfg.sr_bits) - 1u)) {}

void MacPe::reset() {
  st_ = PeState{};
  lfsr_.seed(cfg_.seed);
}

uint32_t MacPe::acc() const { return pe_.result(st_, lfsr_.state() & sr_mask_).bits; }

uint8_t MacPe::flags() const { return pe_.result(st_, lfsr_.state() & sr_mask_).flags; }

void MacPe::clock(const MacPeInputs& in) {
  // Everything that can throw (a zero seed load, a reserved rounding mode, a
  // clr alone on dot / exact) does so before any state changes.
  if (in.seed_load) {
    const uint32_t wmask = cfg_.lfsr_w >= 32 ? 0xFFFFFFFFu : ((1u << cfg_.lfsr_w) - 1u);
    if ((in.seed & wmask) == 0) {
      throw std::invalid_argument("mac pe: seed_load of " + detail::hex32(in.seed) + ", zero in its low " +
                                  std::to_string(cfg_.lfsr_w) + " bits (lfsr_w)");
    }
  }
  if (in.en && static_cast<unsigned>(in.rnd) > 2u) round_from_code(static_cast<unsigned>(in.rnd));
  const bool exact = cfg_.kind == PeKind::Exact;
  if (in.clr && !in.en && cfg_.kind != PeKind::Fma) {
    throw std::invalid_argument(std::string("mac pe: clr without en on a ") + pe_kind_name(cfg_.kind) +
                                " PE (a tile starts with its first step)");
  }
  if (cfg_.dot_n > 1 && in.en && (in.a_lanes == nullptr || in.b_lanes == nullptr)) {
    throw std::invalid_argument("mac pe: dot_n > 1 needs a_lanes and b_lanes");
  }
  if (in.en) {
    PeStep s;
    s.a = in.a_lanes != nullptr ? in.a_lanes : &in.a;
    s.b = in.b_lanes != nullptr ? in.b_lanes : &in.b;
    s.fa = in.fmt_a;
    s.fb = in.fmt_b;
    s.rnd = in.rnd;
    s.rand = lfsr_.peek();  // the draw of this edge (fma, dot)
    s.first = in.clr;
    s.last = in.last;
    s.init = in.init;
    pe_.step(&st_, s);
  } else if (in.clr) {
    // fma: the accumulator takes the init word, the flags clear (section 8).
    st_.flags = 0;
    st_.count = 0;
    if (cfg_.promote_n > 0) {
      st_.acc = 0;
      st_.wide = in.init;
    } else {
      st_.acc = in.init & cfg_.acc.mask();
    }
  }
  if (in.seed_load) {
    lfsr_.seed(in.seed);  // wins over the advance
  } else if (in.en && (!exact || in.last)) {
    lfsr_.draw();  // fma, dot: every step; exact: the tile's last
  }
}

}  // namespace fp8sa

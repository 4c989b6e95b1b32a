// Cycle-accurate model of one MAC processing element (docs/numerics.md
// section 8, docs/rtl.md fp8sa_mac_pe). Call eval() with the inputs of a
// cycle, then clock() for the rising edge. Independent of the RTL.
// promote_n > 0 (numerics.md "Promotion", fp8sa_mac_pe PROMOTE_N): a narrow
// accumulator (acc format) and a binary32 one; acc() is the binary32 word
// (with the promotion of the edge's MAC applied, as the RTL's acc_o shows
// it), init is a binary32 word, and `last` marks the tile's last MAC.
#pragma once

#include <cstdint>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/numerics.hpp"

namespace fp8sa {

struct MacPeConfig {
  AccFormat acc = kFp32;
  int sr_bits = 16;
  int lfsr_w = 32;
  uint32_t seed = 1;
  int promote_n = 0;  // 0 (off) or [2, 65535]
  void validate() const;  // throws std::invalid_argument
};

struct MacPeInputs {
  bool en = false;
  bool clr = false;
  bool last = false;  // promotion: this MAC is the tile's last (promotes)
  uint32_t init = 0;
  uint8_t a = 0;
  Fp8Format fmt_a = Fp8Format::E4M3;
  uint8_t b = 0;
  Fp8Format fmt_b = Fp8Format::E4M3;
  Round rnd = Round::RNE;
  bool seed_load = false;
  uint32_t seed = 1;
};

class MacPe {
 public:
  explicit MacPe(const MacPeConfig& cfg = {});
  void reset();                            // asynchronous reset
  void clock(const MacPeInputs& in);       // one rising edge with these inputs
  uint32_t acc() const { return cfg_.promote_n > 0 ? wide_q_ : acc_q_; }  // acc_o
  uint32_t narrow() const { return acc_q_; }  // the narrow accumulator (promotion; not a port)
  uint8_t flags() const { return flags_q_; }
  const Lfsr& lfsr() const { return lfsr_; }

 private:
  MacPeConfig cfg_;
  AccAdder adder_;
  AccAdder wide_adder_;
  Lfsr lfsr_;
  uint32_t acc_q_ = 0;
  uint32_t wide_q_ = 0;  // promotion: binary32 accumulator
  int count_ = 0;        // promotion: MACs since the last promotion
  uint8_t flags_q_ = 0;
};

}  // namespace fp8sa

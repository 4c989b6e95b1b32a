// Cycle-accurate model of one MAC processing element (docs/numerics.md
// section 8, docs/rtl.md fp8sa_mac_pe). Call eval() with the inputs of a
// cycle, then clock() for the rising edge. Independent of the RTL.
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
  void validate() const;  // throws std::invalid_argument
};

struct MacPeInputs {
  bool en = false;
  bool clr = false;
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
  uint32_t acc() const { return acc_q_; }  // acc_o
  uint8_t flags() const { return flags_q_; }
  const Lfsr& lfsr() const { return lfsr_; }

 private:
  MacPeConfig cfg_;
  AccAdder adder_;
  Lfsr lfsr_;
  uint32_t acc_q_ = 0;
  uint8_t flags_q_ = 0;
};

}  // namespace fp8sa

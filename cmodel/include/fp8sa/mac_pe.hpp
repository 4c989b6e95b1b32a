// Cycle-accurate model of one processing element of any kind (docs/numerics.md
// sections 8 and 10, docs/rtl.md fp8sa_mac_pe / fp8sa_dot_pe /
// fp8sa_exact_pe): the PE seam's arithmetic (pe.hpp) with the PE's
// registers, LFSR and clr/en protocol. Call clock() with the inputs of a
// cycle for the rising edge that closes it. Independent of the RTL.
// dot and exact: clr only together with en (the array's only use; a clr
// alone throws std::invalid_argument); exact's LFSR advances one draw on a
// step with last, and acc() rounds init + X with the LFSR state's low
// sr_bits bits (that draw, after the tile's last step).
// promote_n > 0 (numerics.md "Promotion", fp8sa_mac_pe PROMOTE_N): a narrow
// accumulator (acc format) and a binary32 one; acc() is the binary32 word
// (with the promotion of the edge's MAC applied, as the RTL's acc_o shows
// it), init is a binary32 word, and `last` marks the tile's last MAC.
#pragma once

#include <cstdint>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"

namespace fp8sa {

struct MacPeConfig {
  AccFormat acc = kFp32;
  int sr_bits = 16;
  int lfsr_w = 32;
  uint32_t seed = 1;
  int promote_n = 0;  // 0 (off) or [2, 65535], a multiple of dot_n
  PeKind kind = PeKind::Fma;
  int dot_n = 1;
  int align_bits = 13;
  SrKind sr_kind = SrKind::Mid;
  void validate() const;  // throws std::invalid_argument
  PeConfig pe() const { return PeConfig{kind, dot_n, align_bits, acc, sr_bits, sr_kind, promote_n}; }
};

struct MacPeInputs {
  bool en = false;
  bool clr = false;
  bool last = false;  // promotion: this MAC is the tile's last (promotes)
  uint32_t init = 0;   // the init word (PeConfig::init_format())
  uint8_t a = 0;       // dot_n = 1: the operands
  Fp8Format fmt_a = Fp8Format::E4M3;
  uint8_t b = 0;
  const uint8_t* a_lanes = nullptr;  // dot_n > 1: dot_n codes each (a/b above are then not read)
  const uint8_t* b_lanes = nullptr;
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
  uint32_t acc() const;                    // acc_o (the result word)
  uint32_t narrow() const { return st_.acc; }  // the (narrow) accumulator register (not a port)
  uint8_t flags() const;                   // flags_o
  const Lfsr& lfsr() const { return lfsr_; }

 private:
  MacPeConfig cfg_;
  Pe pe_;
  Lfsr lfsr_;
  PeState st_;
  uint32_t sr_mask_;
};

}  // namespace fp8sa

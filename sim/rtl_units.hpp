// C++ glue around the Verilated numerics units (sim/CMakeLists.txt lists the
// configurations that are built). One small class per unit, with the same
// call shape as the model in cmodel/, so tests and the CLI can swap them.
// Each object owns its own VerilatedContext.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"

namespace fp8sa::rtl {

// Combinational fp8sa_mac: acc' = round(acc + a*b).
class Mac {
 public:
  virtual ~Mac() = default;
  virtual OpResult mac(uint32_t acc, uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb,
                       Round rnd, uint32_t rand = 0) = 0;
  // Raw rounding-mode code (lets tests drive the reserved code 3).
  virtual OpResult mac_code(uint32_t acc, uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb,
                            unsigned rnd_code, uint32_t rand) = 0;
  virtual AccFormat format() const = 0;
  virtual int sr_bits() const = 0;
};
// Throws std::invalid_argument naming the built configurations when
// (fmt, sr_bits) was not Verilated.
std::unique_ptr<Mac> make_mac(AccFormat fmt, int sr_bits = 16);
std::vector<std::string> mac_configs();

// Combinational fp8sa_fadd: round(x + y) in the accumulator format.
class Fadd {
 public:
  virtual ~Fadd() = default;
  virtual OpResult add(uint32_t x, uint32_t y, Round rnd, uint32_t rand = 0) = 0;
  virtual AccFormat format() const = 0;
};
std::unique_ptr<Fadd> make_fadd(AccFormat fmt);
std::vector<std::string> fadd_configs();

// Combinational fp8sa_quantizer.
class Quantizer {
 public:
  virtual ~Quantizer() = default;
  virtual OpResult quantize(uint32_t acc, OutFormat out, Round rnd, bool sat, int scale = 0,
                            uint32_t rand = 0) = 0;
  // Raw codes, for reserved-code tests.
  virtual OpResult quantize_code(uint32_t acc, unsigned out_code, unsigned rnd_code, bool sat,
                                 int scale, uint32_t rand) = 0;
  virtual AccFormat format() const = 0;
};
std::unique_ptr<Quantizer> make_quantizer(AccFormat in_fmt);

// Sequential fp8sa_lfsr. Construct in reset; reset() pulses rst_ni.
class Lfsr {
 public:
  virtual ~Lfsr() = default;
  virtual void reset() = 0;
  virtual uint32_t rand() = 0;                 // rand_o now (combinational)
  virtual uint32_t state() = 0;                // state_o
  virtual void clock(bool advance, bool seed_load = false, uint32_t seed = 0) = 0;
  virtual int width() const = 0;
  virtual int draw_bits() const = 0;
  virtual uint32_t reset_seed() const = 0;     // the SEED parameter
};
// Built configurations: (32, 16, seed 1) and (12, 5, seed 0xACE).
std::unique_ptr<Lfsr> make_lfsr(int width, int draw_bits);

// Sequential fp8sa_mac_pe.
struct PeInputs {
  bool en = false;
  bool clr = false;
  uint32_t init = 0;
  uint8_t a = 0;
  Fp8Format fmt_a = Fp8Format::E4M3;
  uint8_t b = 0;
  Fp8Format fmt_b = Fp8Format::E4M3;
  unsigned rnd = 0;  // raw code
  bool seed_load = false;
  uint32_t seed = 1;
  bool adv = true;   // pipeline advance (PEs built with MUL_STAGES > 0)
  bool last = false; // last_i: the tile's last MAC (PEs built with PROMOTE_N > 0)
};
class MacPe {
 public:
  virtual ~MacPe() = default;
  virtual void reset() = 0;
  virtual void clock(const PeInputs& in) = 0;  // apply inputs, one rising edge
  virtual uint32_t acc() = 0;
  virtual uint8_t flags() = 0;
  virtual AccFormat format() const = 0;
  virtual int sr_bits() const = 0;
  virtual int lfsr_w() const = 0;
  virtual uint32_t reset_seed() const = 0;
  virtual int promote_n() const { return 0; }  // PROMOTE_N (acc/init are binary32 when > 0)
};
// Built configurations: e8m23 (SR 16, LFSR 32, seed 0xC0FFEE01) and
// e8m15 (SR 8, LFSR 16, seed 0xBEEF); with promotion e6m5 PROMOTE_N 4 (SR 8,
// LFSR 16, seed 0xBEEF) and e8m10 PROMOTE_N 3 MUL_STAGES 2 (SR 16, LFSR 32,
// seed 0xC0FFEE01).
// rnd_modes: fp8sa_mac_pe's RND_MODES (1 RNE, 2 RNE+RZ, 3 RNE+RZ+SR);
// mul_stages: its MUL_STAGES; promote_n: its PROMOTE_N.
std::unique_ptr<MacPe> make_mac_pe(AccFormat fmt, int rnd_modes = 3, int mul_stages = 0, int promote_n = 0);

// A PE of any kind behind the PE socket's port list (rtl.md "The PE socket":
// fp8sa_mac_pe, fp8sa_dot_pe, fp8sa_exact_pe): dot_n codes per operand.
struct KindPeInputs {
  bool en = false, clr = false, last = false;
  uint32_t init = 0;           // INIT_W bits (binary32 for dot, exact, promotion)
  std::vector<uint8_t> a, b;   // dot_n codes each (missing lanes drive 0)
  Fp8Format fmt_a = Fp8Format::E4M3, fmt_b = Fp8Format::E4M3;
  unsigned rnd = 0;            // raw code
  bool seed_load = false;
  uint32_t seed = 1;
  bool adv = true;             // pipeline advance (MUL_STAGES > 0)
};
// The PE's parameters as the model's MacPeConfig fields, and MUL_STAGES.
struct KindPeParams {
  PeKind kind = PeKind::Fma;
  int dot_n = 1, align_bits = 13;
  AccFormat acc = kFp32;
  int sr_bits = 16, lfsr_w = 32;
  uint32_t seed = 1;
  int promote_n = 0;
  SrKind sr_kind = SrKind::Mid;
  int mul_stages = 0;
};
class KindPe {
 public:
  virtual ~KindPe() = default;
  virtual void reset() = 0;
  virtual void clock(const KindPeInputs& in) = 0;  // apply inputs, one rising edge
  virtual uint32_t acc() = 0;
  virtual uint8_t flags() = 0;
  virtual const KindPeParams& params() const = 0;
};
// The Verilated PE-kind units (sim/CMakeLists.txt, kpe_*), by name.
std::vector<std::string> kind_pe_configs();
std::unique_ptr<KindPe> make_kind_pe(const std::string& name);

}  // namespace fp8sa::rtl

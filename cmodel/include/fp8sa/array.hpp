// Cycle-accurate model of the fp8sa systolic array (docs/array.md): ROWS x
// COLS MAC PEs (output-stationary, A right along rows, B down columns, the
// array skews the operands itself), a shadow accumulator per PE, one
// quantizer and one LFSR per output column, a 4-deep command queue, the init
// bank and one output register. Independent of the RTL.
//
// Latency: with no stalls, PE (r, c) performs step k of a tile injected at
// edge t at edge t + r + c + 1; row i of a tile is in the output register
// COLS + 2 + i edges after the edge that injected the tile's last step.
// Handshakes: cmd, in (steps), init (init-bank rows) and out (result rows),
// all valid/ready; every output is a function of state only (Moore), so
// outputs() may be read before clock() and is what the RTL drives during the
// cycle that ends with that clock().
//
// Use: fill an ArrayInputs with the values the inputs hold during a cycle,
// read outputs() (the ready signals for that cycle), then clock(inputs) for
// the rising edge that ends it. Nothing allocates after construction.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "fp8sa/lfsr.hpp"
#include "fp8sa/mac_pe.hpp"
#include "fp8sa/numerics.hpp"

namespace fp8sa {

constexpr int kArrayMaxDim = 16;  // ROWS, COLS <= 16
constexpr int kCmdQueueDepth = 4;
constexpr uint8_t kOutFmtRaw = static_cast<uint8_t>(OutKind::Raw);  // cmd_out_fmt_i code for the raw accumulator word

// The array's parameters (docs/array.md "Parameters"); names as the RTL's
// ROWS, COLS, ACC_EXP_W/ACC_MAN_W, SR_BITS, Q_SR_BITS, LFSR_W, SEED.
struct ArrayConfig {
  int rows = 4;         // [1, 16]
  int cols = 4;         // [1, 16]
  AccFormat acc = kFp32;
  int sr_bits = 16;     // [2, 24]
  int q_sr_bits = 16;   // [2, 24]
  int lfsr_w = 32;      // [max(4, sr_bits, q_sr_bits), 32]
  uint32_t seed = 1;    // non-zero
  // Throws std::invalid_argument naming the field, e.g. "array: rows 0 out of range [1, 16]".
  void validate() const;
  // TILE_GAP = max(COLS, ceil((ROWS + COLS - 1) / 2)), docs/array.md "Tile spacing".
  int tile_gap() const;
};

// seed(i) of docs/array.md "Seeds": (seed ^ (index * 0x9E3779B9)) mod
// 2^lfsr_w (32-bit wrapping multiply), 1 when that is zero. PE (r, c) uses
// index 1 + r*cols + c, column quantizer c uses 1 + rows*cols + c.
uint32_t derive_seed(uint32_t seed, uint32_t index, int lfsr_w);

// The value every *_i port holds during one cycle (clk_i is the clock() call).
// Only the first `rows` entries of in_a_i and the first `cols` of in_b_i and
// init_data_i are used. Multi-bit control fields are the RTL port codes.
struct ArrayInputs {
  bool rst_ni = true;  // 0: asynchronous reset held over this edge (see clock())
  // tile command
  bool cmd_valid_i = false;
  uint16_t cmd_k_i = 1;         // steps in the tile; 0 runs as 1
  bool cmd_fmt_a_i = false;     // 0 E4M3, 1 E5M2
  bool cmd_fmt_b_i = false;
  uint8_t cmd_rnd_i = 0;        // 0 RNE, 1 RZ, 2 SR (3 reserved: throws)
  bool cmd_use_init_i = false;  // start from the init bank instead of +0
  uint8_t cmd_out_fmt_i = kOutFmtRaw;  // 0 E4M3, 1 E5M2, 2 FP16, 3 BF16, 4 raw (5..7 reserved: throws)
  uint8_t cmd_out_rnd_i = 0;    // quantizer rounding, 0 RNE, 1 RZ, 2 SR (3 reserved: throws)
  bool cmd_sat_i = false;
  int8_t cmd_scale_i = 0;       // [-64, 63] (the 7-bit two's-complement port's value)
  // step
  bool in_valid_i = false;
  std::array<uint8_t, kArrayMaxDim> in_a_i{};  // column k of A: row r in [r]
  std::array<uint8_t, kArrayMaxDim> in_b_i{};  // row k of B: column c in [c]
  // init-bank row (the low ACC_W bits of each word are used, as the port is ACC_W bits)
  bool init_valid_i = false;
  std::array<uint32_t, kArrayMaxDim> init_data_i{};
  // result
  bool out_ready_i = false;
};

// Every *_o port (out_data_o column c in [c], zero-extended to 32 bits).
struct ArrayOutputs {
  bool cmd_ready_o = false;
  bool in_ready_o = false;
  bool init_ready_o = false;
  bool out_valid_o = false;
  std::array<uint32_t, kArrayMaxDim> out_data_o{};
  uint8_t out_row_o = 0;
  bool out_last_o = false;
  uint8_t out_flags_o = 0;
};

class ArrayCycleModel {
 public:
  explicit ArrayCycleModel(const ArrayConfig& cfg);  // validates; starts in reset state

  const ArrayConfig& config() const { return cfg_; }
  void reset();  // rst_ni asserted: everything empty, LFSRs at their seeds, cycle() = 0
  const ArrayOutputs& outputs() const { return out_; }
  // One rising edge closing a cycle in which the inputs held `in`. With
  // in.rst_ni == 0 this is reset(). Throws std::invalid_argument (before
  // changing any state) for a command handshake with a reserved code or a
  // scale out of [-64, 63].
  void clock(const ArrayInputs& in);
  uint64_t cycle() const { return cycle_; }  // clock() calls since the last reset

  // Observability for tests and traces (not ports).
  bool stall() const { return stall_; }                      // this cycle is not an advance
  uint64_t advances() const { return advances_; }             // advance edges since reset
  uint64_t macs() const { return macs_; }                     // PE MACs since reset
  uint32_t pe_acc(int r, int c) const { return pes_[idx(r, c)].acc(); }
  uint8_t pe_flags(int r, int c) const { return pes_[idx(r, c)].flags(); }
  const Lfsr& pe_lfsr(int r, int c) const { return pes_[idx(r, c)].lfsr(); }
  const Lfsr& col_lfsr(int c) const { return col_lfsr_[static_cast<size_t>(c)]; }
  int cmd_entries() const { return q_count_; }

 private:
  struct Step {  // one step as it travels through the skew / operand registers
    bool valid = false, first = false, last = false, fmt_a = false, fmt_b = false, use_init = false;
    uint8_t rnd = 0;
    std::array<uint8_t, kArrayMaxDim> a{}, b{};
  };
  struct Cmd {
    uint32_t k = 1;
    bool fmt_a = false, fmt_b = false, use_init = false, sat = false;
    uint8_t rnd = 0, out_fmt = kOutFmtRaw, out_rnd = 0;
    int scale = 0;
  };
  static constexpr int kRing = 32;  // > ROWS + COLS - 2, a power of two

  size_t idx(int r, int c) const { return static_cast<size_t>(r * cfg_.cols + c); }
  const Step& slot(int d) const { return ring_[static_cast<size_t>((head_ - d) & (kRing - 1))]; }
  void check_cmd(const ArrayInputs& in) const;
  void update_outputs();

  ArrayConfig cfg_;
  int gap_max_;
  uint32_t acc_mask_;
  Quantizer quant_;
  std::vector<MacPe> pes_;
  std::vector<Lfsr> col_lfsr_;

  // skew + operand registers: ring_[head_ - d] is the step injected d advances ago
  std::array<Step, kRing> ring_{};
  int head_ = 0;
  // per PE
  std::array<bool, kArrayMaxDim * kArrayMaxDim> done_{}, shadow_valid_{};
  std::array<uint32_t, kArrayMaxDim * kArrayMaxDim> shadow_{};
  std::array<uint8_t, kArrayMaxDim * kArrayMaxDim> shadow_flags_{};
  // command queue: q_[(q_head_ + i) % 4], i < q_count_; the first q_injected_
  // entries are fully injected; q_step_ steps of the next one are injected
  std::array<Cmd, kCmdQueueDepth> q_{};
  int q_head_ = 0, q_count_ = 0, q_injected_ = 0;
  uint32_t q_step_ = 0;
  // init bank
  std::array<uint32_t, kArrayMaxDim * kArrayMaxDim> bank_{};
  int bank_rows_ = 0;
  bool bank_claimed_ = false;
  // drain
  int drain_row_ = 0;
  uint8_t tile_flags_ = 0;
  int gap_ = 0;
  bool stall_ = false;
  ArrayOutputs out_{};
  uint64_t cycle_ = 0, advances_ = 0, macs_ = 0;
};

}  // namespace fp8sa

// SystemC face of the fp8sa array's cycle-accurate model (ArrayCycleModel,
// docs/array.md). Same port names and widths as the RTL top `fp8sa_array`
// for ROWS x COLS and ACC_W = 1 + ACC_EXP_W + ACC_MAN_W, so it drops in where
// the Verilated RTL's SystemC module would: 1-bit ports are sc_in/sc_out<bool>,
// every wider port is sc_bv<W> (Verilator's --pins-bv 2 convention), with
// the bit layout of docs/array.md (in_a_i row r in [8r+7:8r], and so on).
//
// Timing: inputs are sampled at the rising edge of clk_i, as the RTL's
// registers do; every output is a function of state only (Moore) and is
// written right after the edge (or reset) that changes it, and at time 0.
// rst_ni is asynchronous, active low: its falling edge resets at once, and
// the model stays in reset while it is low.
//
// tests/systemc/sc_array_tb.cpp runs this module side by side with the
// Verilated RTL's SystemC module (verilator --sc --pins-bv 2), binding both
// to the same signals by these port names, and compares every output on
// every clock edge.
//
// Errors: the model's std::invalid_argument (a command with a reserved code)
// becomes SC_REPORT_ERROR; a config that does not match the template's port
// widths throws std::invalid_argument from the constructor.
#pragma once

#include <stdexcept>
#include <string>

#include <systemc>

#include "fp8sa/array.hpp"

namespace fp8sa {

template <int ROWS = 4, int COLS = 4, int ACC_W = 32>
class Fp8saArraySc : public sc_core::sc_module {
  static_assert(ROWS >= 1 && ROWS <= kArrayMaxDim, "ROWS out of range [1, kArrayMaxDim = 256]");
  static_assert(COLS >= 1 && COLS <= kArrayMaxDim, "COLS out of range [1, kArrayMaxDim = 256]");
  static_assert(ACC_W >= 7 && ACC_W <= 32, "ACC_W = 1 + ACC_EXP_W + ACC_MAN_W out of range [7, 32]");

 public:
  template <int W>
  using bv_in = sc_core::sc_in<sc_dt::sc_bv<W>>;
  template <int W>
  using bv_out = sc_core::sc_out<sc_dt::sc_bv<W>>;

  sc_core::sc_in<bool> clk_i{"clk_i"};
  sc_core::sc_in<bool> rst_ni{"rst_ni"};
  // tile command
  sc_core::sc_in<bool> cmd_valid_i{"cmd_valid_i"};
  sc_core::sc_out<bool> cmd_ready_o{"cmd_ready_o"};
  bv_in<16> cmd_k_i{"cmd_k_i"};
  sc_core::sc_in<bool> cmd_fmt_a_i{"cmd_fmt_a_i"};
  sc_core::sc_in<bool> cmd_fmt_b_i{"cmd_fmt_b_i"};
  bv_in<2> cmd_rnd_i{"cmd_rnd_i"};
  sc_core::sc_in<bool> cmd_use_init_i{"cmd_use_init_i"};
  bv_in<3> cmd_out_fmt_i{"cmd_out_fmt_i"};
  bv_in<2> cmd_out_rnd_i{"cmd_out_rnd_i"};
  sc_core::sc_in<bool> cmd_sat_i{"cmd_sat_i"};
  bv_in<7> cmd_scale_i{"cmd_scale_i"};
  // steps
  sc_core::sc_in<bool> in_valid_i{"in_valid_i"};
  sc_core::sc_out<bool> in_ready_o{"in_ready_o"};
  bv_in<ROWS * 8> in_a_i{"in_a_i"};
  bv_in<COLS * 8> in_b_i{"in_b_i"};
  // init bank rows
  sc_core::sc_in<bool> init_valid_i{"init_valid_i"};
  sc_core::sc_out<bool> init_ready_o{"init_ready_o"};
  bv_in<COLS * ACC_W> init_data_i{"init_data_i"};
  // result rows
  sc_core::sc_out<bool> out_valid_o{"out_valid_o"};
  sc_core::sc_in<bool> out_ready_i{"out_ready_i"};
  bv_out<COLS * 32> out_data_o{"out_data_o"};
  bv_out<8> out_row_o{"out_row_o"};
  sc_core::sc_out<bool> out_last_o{"out_last_o"};
  bv_out<4> out_flags_o{"out_flags_o"};

  SC_HAS_PROCESS(Fp8saArraySc);

  // cfg.rows, cfg.cols and cfg.acc.width() must equal ROWS, COLS, ACC_W.
  Fp8saArraySc(sc_core::sc_module_name name, const ArrayConfig& cfg)
      : sc_core::sc_module(name), model_(checked(cfg)) {
    // One process writes every output (sc_signal allows one writer); its
    // initialization run at time 0 only writes the reset outputs.
    SC_METHOD(on_edge);
    sensitive << clk_i.pos() << rst_ni.neg();
  }

  const ArrayCycleModel& model() const { return model_; }

 private:
  static const ArrayConfig& checked(const ArrayConfig& cfg) {
    cfg.validate();
    if (cfg.rows != ROWS || cfg.cols != COLS || cfg.acc.width() != ACC_W) {
      throw std::invalid_argument("Fp8saArraySc<" + std::to_string(ROWS) + ", " + std::to_string(COLS) + ", " +
                                  std::to_string(ACC_W) + ">: config is " + std::to_string(cfg.rows) + " x " +
                                  std::to_string(cfg.cols) + " with " + cfg.acc.name() + " (ACC_W " +
                                  std::to_string(cfg.acc.width()) + ")");
    }
    return cfg;
  }

  template <int W>
  static uint32_t field(const sc_dt::sc_bv<W>& v, int lsb, int width) {
    return static_cast<uint32_t>(v.range(lsb + width - 1, lsb).to_uint());
  }

  void on_edge() {
    if (!started_) {
      started_ = true;
      write_outputs();
      return;
    }
    if (!rst_ni.read()) {
      model_.reset();
      write_outputs();
      return;
    }
    // A rising clock edge with rst_ni high: sample every input.
    ArrayInputs in(model_.config());
    in.rst_ni = true;
    in.cmd_valid_i = cmd_valid_i.read();
    in.cmd_k_i = static_cast<uint16_t>(cmd_k_i.read().to_uint());
    in.cmd_fmt_a_i = cmd_fmt_a_i.read();
    in.cmd_fmt_b_i = cmd_fmt_b_i.read();
    in.cmd_rnd_i = static_cast<uint8_t>(cmd_rnd_i.read().to_uint());
    in.cmd_use_init_i = cmd_use_init_i.read();
    in.cmd_out_fmt_i = static_cast<uint8_t>(cmd_out_fmt_i.read().to_uint());
    in.cmd_out_rnd_i = static_cast<uint8_t>(cmd_out_rnd_i.read().to_uint());
    in.cmd_sat_i = cmd_sat_i.read();
    const int scale = static_cast<int>(cmd_scale_i.read().to_uint());
    in.cmd_scale_i = static_cast<int8_t>(scale >= 64 ? scale - 128 : scale);  // 7-bit two's complement
    in.in_valid_i = in_valid_i.read();
    const sc_dt::sc_bv<ROWS * 8> a = in_a_i.read();
    for (int r = 0; r < ROWS; ++r) in.in_a_i[static_cast<size_t>(r)] = static_cast<uint8_t>(field(a, 8 * r, 8));
    const sc_dt::sc_bv<COLS * 8> b = in_b_i.read();
    for (int c = 0; c < COLS; ++c) in.in_b_i[static_cast<size_t>(c)] = static_cast<uint8_t>(field(b, 8 * c, 8));
    in.init_valid_i = init_valid_i.read();
    const sc_dt::sc_bv<COLS * ACC_W> d = init_data_i.read();
    for (int c = 0; c < COLS; ++c) in.init_data_i[static_cast<size_t>(c)] = field(d, ACC_W * c, ACC_W);
    in.out_ready_i = out_ready_i.read();
    try {
      model_.clock(in);
    } catch (const std::invalid_argument& e) {
      SC_REPORT_ERROR(name(), e.what());
    }
    write_outputs();
  }

  void write_outputs() {
    const ArrayOutputs& o = model_.outputs();
    cmd_ready_o.write(o.cmd_ready_o);
    in_ready_o.write(o.in_ready_o);
    init_ready_o.write(o.init_ready_o);
    out_valid_o.write(o.out_valid_o);
    sc_dt::sc_bv<COLS * 32> data;
    for (int c = 0; c < COLS; ++c) data.range(32 * c + 31, 32 * c) = o.out_data_o[static_cast<size_t>(c)];
    out_data_o.write(data);
    out_row_o.write(sc_dt::sc_bv<8>(o.out_row_o));
    out_last_o.write(o.out_last_o);
    out_flags_o.write(sc_dt::sc_bv<4>(o.out_flags_o));
  }

  ArrayCycleModel model_;
  bool started_ = false;
};

}  // namespace fp8sa

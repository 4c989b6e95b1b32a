// Template adapter from a Verilated fp8sa_array (class V) to rtl::ArrayRtl.
// Included by the registry that CMake generates from sim/array_configs.txt.
#pragma once

#include <type_traits>

#include "array_rtl.hpp"
#include "verilated.h"
#include "verilated_vcd_c.h"

namespace fp8sa::rtl {

// Writes `width` bits of `v` at bit offset `lsb` of a Verilator port
// (CData/SData/IData/QData or VlWide).
template <class P>
void put_bits(P& port, int lsb, int width, uint64_t v) {
  for (int i = 0; i < width; ++i) {
    const uint64_t bit = (v >> i) & 1u;
    const int b = lsb + i;
    if constexpr (std::is_integral_v<P>) {
      const P mask = static_cast<P>(P{1} << b);
      port = static_cast<P>(bit ? (port | mask) : (port & static_cast<P>(~mask)));
    } else {
      const EData mask = EData{1} << (b % 32);
      port[static_cast<size_t>(b / 32)] = bit ? (port[static_cast<size_t>(b / 32)] | mask)
                                              : (port[static_cast<size_t>(b / 32)] & ~mask);
    }
  }
}

template <class P>
uint64_t get_bits(const P& port, int lsb, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) {
    const int b = lsb + i;
    uint64_t bit;
    if constexpr (std::is_integral_v<P>) bit = (static_cast<uint64_t>(port) >> b) & 1u;
    else bit = (port[static_cast<size_t>(b / 32)] >> (b % 32)) & 1u;
    v |= bit << i;
  }
  return v;
}

template <class V>
class ArrayRtlImpl final : public ArrayRtl {
 public:
  explicit ArrayRtlImpl(const NamedArrayConfig& nc)
      : nc_(nc), ctx_(std::make_unique<VerilatedContext>()), out_(nc.cfg) {
    ctx_->fatalOnError(false);
    ctx_->traceEverOn(true);
    top_ = std::make_unique<V>(ctx_.get(), "fp8sa_array");
    reset();
  }
  ~ArrayRtlImpl() override {
    // Verilator 5.006 erases scopes through the thread's current context.
    Verilated::threadContextp(ctx_.get());
    if (tfp_) tfp_->close();
    tfp_.reset();
    top_->final();
    top_.reset();
  }
  const ArrayConfig& config() const override { return nc_.cfg; }
  const std::string& name() const override { return nc_.name; }
  uint64_t cycle() const override { return cycle_; }

  void reset() override {
    drive(ArrayInputs{});
    top_->clk_i = 0;
    top_->rst_ni = 1;
    eval();
    top_->rst_ni = 0;
    eval();
    top_->rst_ni = 1;
    eval();
    cycle_ = 0;
    sample();
  }

  const ArrayOutputs& outputs() const override { return out_; }

  void clock(const ArrayInputs& in) override {
    if (!in.rst_ni) {
      reset();
      return;
    }
    drive(in);
    top_->clk_i = 0;
    eval();
    top_->clk_i = 1;
    eval();
    ++cycle_;
    top_->clk_i = 0;
    eval();
    sample();
  }

  void trace_to(const std::string& path) override {
    if (tfp_) {
      tfp_->close();
      tfp_.reset();
    }
    if (path.empty()) return;
    tfp_ = std::make_unique<VerilatedVcdC>();
    top_->trace(tfp_.get(), 99);
    tfp_->open(path.c_str());
  }

 private:
  void eval() {
    top_->eval();
    if (tfp_) tfp_->dump(static_cast<uint64_t>(++tick_));
  }

  void drive(const ArrayInputs& in) {
    V& t = *top_;
    const ArrayConfig& c = nc_.cfg;
    const int init_w = c.init_format().width();  // INIT_W: init_data_i lanes
    const int D = c.dot_n;                         // lanes per row / column: [8*(r*D + i) +: 8]
    t.cmd_valid_i = in.cmd_valid_i;
    t.cmd_k_i = in.cmd_k_i;
    t.cmd_fmt_a_i = in.cmd_fmt_a_i;
    t.cmd_fmt_b_i = in.cmd_fmt_b_i;
    t.cmd_rnd_i = static_cast<uint8_t>(in.cmd_rnd_i & 3u);
    t.cmd_use_init_i = in.cmd_use_init_i;
    t.cmd_out_fmt_i = static_cast<uint8_t>(in.cmd_out_fmt_i & 7u);
    t.cmd_out_rnd_i = static_cast<uint8_t>(in.cmd_out_rnd_i & 3u);
    t.cmd_sat_i = in.cmd_sat_i;
    t.cmd_scale_i = static_cast<uint8_t>(static_cast<unsigned>(in.cmd_scale_i) & 0x7Fu);
    t.in_valid_i = in.in_valid_i;
    for (int r = 0; r < c.rows * D; ++r) put_bits(t.in_a_i, 8 * r, 8, in.in_a_i[static_cast<size_t>(r)]);
    for (int k = 0; k < c.cols * D; ++k) put_bits(t.in_b_i, 8 * k, 8, in.in_b_i[static_cast<size_t>(k)]);
    t.init_valid_i = in.init_valid_i;
    for (int k = 0; k < c.cols; ++k)
      put_bits(t.init_data_i, init_w * k, init_w, in.init_data_i[static_cast<size_t>(k)] & c.init_format().mask());
    t.out_ready_i = in.out_ready_i;
  }

  void sample() {
    const V& t = *top_;
    out_.cmd_ready_o = t.cmd_ready_o;
    out_.in_ready_o = t.in_ready_o;
    out_.init_ready_o = t.init_ready_o;
    out_.out_valid_o = t.out_valid_o;
    for (int k = 0; k < nc_.cfg.cols; ++k)
      out_.out_data_o[static_cast<size_t>(k)] = static_cast<uint32_t>(get_bits(t.out_data_o, 32 * k, 32));
    out_.out_row_o = t.out_row_o;
    out_.out_last_o = t.out_last_o;
    out_.out_flags_o = t.out_flags_o;
  }

  NamedArrayConfig nc_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
  std::unique_ptr<VerilatedVcdC> tfp_;
  ArrayOutputs out_;  // out_data_o sized to COLS
  uint64_t cycle_ = 0;
  uint64_t tick_ = 0;
};

}  // namespace fp8sa::rtl

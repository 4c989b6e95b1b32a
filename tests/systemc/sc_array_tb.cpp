// SystemC side-by-side test of the array: the cycle model's SystemC module
// (fp8sa::Fp8saArraySc, sim/systemc/fp8sa_array_sc.hpp) and the Verilated
// RTL's SystemC module (verilator --sc --pins-bv 2, tests/systemc/
// CMakeLists.txt) of the same named configuration, bound to the same input
// signals and to one output signal set each.
//
// * A stimulus thread streams random GEMMs as docs/array.md "GEMM tiling"
//   defines (random shapes with ragged edges, operand formats, accumulator
//   rounding incl. SR, output formats, saturation, scale, optional C input,
//   special values), with random gaps on cmd/in/init valid and random
//   out_ready back-pressure. Inputs change at the falling edge of clk_i.
//   Every GEMM starts from reset (its LFSR draws are those of the tiling);
//   some are interrupted by an asynchronous reset asserted in the middle of
//   a clock phase, then run again from the start.
// * A checker compares every output port of the two modules twice per
//   cycle: at the falling edge (the values the rising edge and any reset
//   produced) and at the rising edge (the values that edge samples, after
//   the inputs driven at the falling edge have propagated). It stops the
//   simulation at the first difference: cycle (the count of rising edges
//   of clk_i, the first at time 0), port, both values in hex.
// * Each completed GEMM's result rows (collected from the ports) must equal
//   fp8sa::gemm_functional's, values and tile flags, bit for bit.
//
// Usage: sc_array_tb [--seed N] [--gemms N] [--vcd FILE] [--fault-cycle N]
// (FP8SA_SEED in the environment sets the seed too; --vcd writes every
// signal of both modules; --fault-cycle makes the checker see a difference
// at that rising edge, to test the checker). Exit status 0 when everything
// matched, 1 otherwise; the last line says "N passed, M failed".
#include <systemc>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "verilated.h"
#include FP8SA_SC_RTL_HEADER

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa_array_sc.hpp"
#include "random_gemm.hpp"

namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_dt::sc_bv;

constexpr int kRows = FP8SA_SC_ROWS;
constexpr int kCols = FP8SA_SC_COLS;
constexpr int kAccW = 1 + FP8SA_SC_ACC_EXP_W + FP8SA_SC_ACC_MAN_W;
constexpr double kPeriodNs = 10.0;

using RtlArray = FP8SA_SC_RTL_CLASS;
using ModelArray = fp8sa::Fp8saArraySc<kRows, kCols, kAccW>;

fp8sa::ArrayConfig make_config() {
  fp8sa::ArrayConfig c;
  c.rows = kRows;
  c.cols = kCols;
  c.acc = fp8sa::AccFormat{FP8SA_SC_ACC_EXP_W, FP8SA_SC_ACC_MAN_W};
  c.sr_bits = FP8SA_SC_SR_BITS;
  c.q_sr_bits = FP8SA_SC_Q_SR_BITS;
  c.lfsr_w = FP8SA_SC_LFSR_W;
  c.seed = FP8SA_SC_SEED;
  c.validate();
  return c;
}

std::string hex32(uint32_t v, int digits = 8) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%0*X", digits, v);
  return b;
}

// An sc_bv of any width in hex, most significant digit first.
std::string hex(const sc_dt::sc_bv_base& v) {
  const int len = v.length();
  const int digits = (len + 3) / 4;
  std::string s = "0x";
  for (int d = digits - 1; d >= 0; --d) {
    const int lo = 4 * d, hi = lo + 3 < len ? lo + 3 : len - 1;
    const unsigned nib = static_cast<unsigned>(v.range(hi, lo).to_uint());
    s += "0123456789ABCDEF"[nib & 15u];
  }
  return s;
}

std::string name_of(const std::string& prefix, const char* port) { return prefix + port; }

// One set of the array's output signals (one per implementation).
struct OutSignals {
  explicit OutSignals(const std::string& p)
      : cmd_ready_o(name_of(p, "cmd_ready_o").c_str()),
        in_ready_o(name_of(p, "in_ready_o").c_str()),
        init_ready_o(name_of(p, "init_ready_o").c_str()),
        out_valid_o(name_of(p, "out_valid_o").c_str()),
        out_data_o(name_of(p, "out_data_o").c_str()),
        out_row_o(name_of(p, "out_row_o").c_str()),
        out_last_o(name_of(p, "out_last_o").c_str()),
        out_flags_o(name_of(p, "out_flags_o").c_str()) {}
  sc_core::sc_signal<bool> cmd_ready_o, in_ready_o, init_ready_o, out_valid_o;
  sc_core::sc_signal<sc_bv<kCols * 32>> out_data_o;
  sc_core::sc_signal<sc_bv<8>> out_row_o;
  sc_core::sc_signal<bool> out_last_o;
  sc_core::sc_signal<sc_bv<4>> out_flags_o;
};

using fp8sa::tb::describe;
using fp8sa::tb::RandomGemm;


class Testbench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Testbench);

  Testbench(sc_core::sc_module_name name, const fp8sa::ArrayConfig& cfg, uint64_t seed, int gemms,
            uint64_t fault_cycle)
      : sc_core::sc_module(name),
        cfg_(cfg),
        seed_(seed),
        gemms_(gemms),
        fault_cycle_(fault_cycle),
        model_out_("model_"),
        rtl_out_("rtl_"),
        model_("model", cfg),
        rtl_("rtl") {
    bind(model_, model_out_);
    bind(rtl_, rtl_out_);
    SC_THREAD(stimulus);
    SC_METHOD(check);
    sensitive << clk.posedge_event() << clk.negedge_event();
    dont_initialize();
  }

  // Every input and output signal of both modules into one VCD.
  void trace(sc_core::sc_trace_file* tf) {
    sc_core::sc_trace(tf, clk, "clk_i");
    sc_core::sc_trace(tf, rst_n, "rst_ni");
    sc_core::sc_trace(tf, cmd_valid, "cmd_valid_i");
    sc_core::sc_trace(tf, cmd_k, "cmd_k_i");
    sc_core::sc_trace(tf, cmd_use_init, "cmd_use_init_i");
    sc_core::sc_trace(tf, cmd_out_fmt, "cmd_out_fmt_i");
    sc_core::sc_trace(tf, in_valid, "in_valid_i");
    sc_core::sc_trace(tf, in_a, "in_a_i");
    sc_core::sc_trace(tf, in_b, "in_b_i");
    sc_core::sc_trace(tf, init_valid, "init_valid_i");
    sc_core::sc_trace(tf, init_data, "init_data_i");
    sc_core::sc_trace(tf, out_ready, "out_ready_i");
    for (OutSignals* o : {&model_out_, &rtl_out_}) {
      const std::string p = o == &model_out_ ? "model." : "rtl.";
      sc_core::sc_trace(tf, o->cmd_ready_o, p + "cmd_ready_o");
      sc_core::sc_trace(tf, o->in_ready_o, p + "in_ready_o");
      sc_core::sc_trace(tf, o->init_ready_o, p + "init_ready_o");
      sc_core::sc_trace(tf, o->out_valid_o, p + "out_valid_o");
      sc_core::sc_trace(tf, o->out_data_o, p + "out_data_o");
      sc_core::sc_trace(tf, o->out_row_o, p + "out_row_o");
      sc_core::sc_trace(tf, o->out_last_o, p + "out_last_o");
      sc_core::sc_trace(tf, o->out_flags_o, p + "out_flags_o");
    }
  }

  void final() { rtl_.final(); }

  bool mismatch() const { return mismatch_; }
  bool done() const { return done_; }
  uint64_t cycles() const { return cycles_; }
  uint64_t comparisons() const { return comparisons_; }
  int passed() const { return passed_; }
  int failed() const { return failed_; }
  int interrupted() const { return interrupted_; }
  uint64_t pe_macs() const { return pe_macs_; }

  // shared clock and inputs
  sc_core::sc_clock clk{"clk", sc_time(kPeriodNs, SC_NS)};  // rising edge at 0, 10, ... ns
  sc_core::sc_signal<bool> rst_n{"rst_n", false};
  sc_core::sc_signal<bool> cmd_valid{"cmd_valid"};
  sc_core::sc_signal<sc_bv<16>> cmd_k{"cmd_k"};
  sc_core::sc_signal<bool> cmd_fmt_a{"cmd_fmt_a"}, cmd_fmt_b{"cmd_fmt_b"};
  sc_core::sc_signal<sc_bv<2>> cmd_rnd{"cmd_rnd"};
  sc_core::sc_signal<bool> cmd_use_init{"cmd_use_init"};
  sc_core::sc_signal<sc_bv<3>> cmd_out_fmt{"cmd_out_fmt"};
  sc_core::sc_signal<sc_bv<2>> cmd_out_rnd{"cmd_out_rnd"};
  sc_core::sc_signal<bool> cmd_sat{"cmd_sat"};
  sc_core::sc_signal<sc_bv<7>> cmd_scale{"cmd_scale"};
  sc_core::sc_signal<bool> in_valid{"in_valid"};
  sc_core::sc_signal<sc_bv<kRows * 8>> in_a{"in_a"};
  sc_core::sc_signal<sc_bv<kCols * 8>> in_b{"in_b"};
  sc_core::sc_signal<bool> init_valid{"init_valid"};
  sc_core::sc_signal<sc_bv<kCols * kAccW>> init_data{"init_data"};
  sc_core::sc_signal<bool> out_ready{"out_ready"};

 private:
  // The same binding for both: the port names are the RTL's.
  template <class Dut>
  void bind(Dut& d, OutSignals& o) {
    d.clk_i(clk);
    d.rst_ni(rst_n);
    d.cmd_valid_i(cmd_valid);
    d.cmd_ready_o(o.cmd_ready_o);
    d.cmd_k_i(cmd_k);
    d.cmd_fmt_a_i(cmd_fmt_a);
    d.cmd_fmt_b_i(cmd_fmt_b);
    d.cmd_rnd_i(cmd_rnd);
    d.cmd_use_init_i(cmd_use_init);
    d.cmd_out_fmt_i(cmd_out_fmt);
    d.cmd_out_rnd_i(cmd_out_rnd);
    d.cmd_sat_i(cmd_sat);
    d.cmd_scale_i(cmd_scale);
    d.in_valid_i(in_valid);
    d.in_ready_o(o.in_ready_o);
    d.in_a_i(in_a);
    d.in_b_i(in_b);
    d.init_valid_i(init_valid);
    d.init_ready_o(o.init_ready_o);
    d.init_data_i(init_data);
    d.out_valid_o(o.out_valid_o);
    d.out_ready_i(out_ready);
    d.out_data_o(o.out_data_o);
    d.out_row_o(o.out_row_o);
    d.out_last_o(o.out_last_o);
    d.out_flags_o(o.out_flags_o);
  }

  // ---- checker ----------------------------------------------------------

  void check() {
    const bool rising = clk.read();
    if (rising) ++cycles_;
    // The RTL's outputs are defined from the first reset on: rst_n is low
    // from time 0 and the rising edge at 0 resets both; compare from the
    // falling edge after it.
    if (!rising) armed_ = true;
    if (mismatch_ || done_ || !armed_) return;
    ++comparisons_;
    std::string what;
    auto bit = [&](const char* port, const sc_core::sc_signal<bool>& m, const sc_core::sc_signal<bool>& r) {
      if (what.empty() && m.read() != r.read())
        what = std::string("port ") + port + ": model 0x" + (m.read() ? "1" : "0") + ", rtl 0x" + (r.read() ? "1" : "0");
    };
    auto vec = [&](const char* port, const sc_dt::sc_bv_base& m, const sc_dt::sc_bv_base& r) {
      if (what.empty() && m != r) what = std::string("port ") + port + ": model " + hex(m) + ", rtl " + hex(r);
    };
    const OutSignals &m = model_out_, &r = rtl_out_;
    if (rising && cycles_ == fault_cycle_) {
      // --fault-cycle: the checker's own test, as if the RTL's cmd_ready_o were inverted here.
      what = std::string("port cmd_ready_o: model 0x") + (m.cmd_ready_o.read() ? "1" : "0") + ", rtl 0x" +
             (r.cmd_ready_o.read() ? "0" : "1") + " (injected with --fault-cycle)";
    }
    bit("cmd_ready_o", m.cmd_ready_o, r.cmd_ready_o);
    bit("in_ready_o", m.in_ready_o, r.in_ready_o);
    bit("init_ready_o", m.init_ready_o, r.init_ready_o);
    bit("out_valid_o", m.out_valid_o, r.out_valid_o);
    vec("out_row_o", m.out_row_o.read(), r.out_row_o.read());
    bit("out_last_o", m.out_last_o, r.out_last_o);
    vec("out_flags_o", m.out_flags_o.read(), r.out_flags_o.read());
    const sc_bv<kCols * 32> md = m.out_data_o.read(), rd = r.out_data_o.read();
    if (what.empty() && md != rd) {
      what = "port out_data_o: model " + hex(md) + ", rtl " + hex(rd);
      for (int c = 0; c < kCols; ++c) {
        const uint32_t a = static_cast<uint32_t>(md.range(32 * c + 31, 32 * c).to_uint());
        const uint32_t b = static_cast<uint32_t>(rd.range(32 * c + 31, 32 * c).to_uint());
        if (a != b) what += " (column " + std::to_string(c) + ": model " + hex32(a) + ", rtl " + hex32(b) + ")";
      }
    }
    if (!what.empty()) {
      mismatch_ = true;
      std::printf("MISMATCH at cycle %llu (%s edge of clk_i, %s): %s\n  during %s\n",
                  static_cast<unsigned long long>(cycles_), rising ? "rising" : "falling",
                  sc_core::sc_time_stamp().to_string().c_str(), what.c_str(), current_.c_str());
      std::fflush(stdout);
      sc_core::sc_stop();
    }
  }

  // ---- stimulus ---------------------------------------------------------

  void wait_fall() { wait(clk.negedge_event()); }

  void drive_idle() {
    cmd_valid.write(false);
    in_valid.write(false);
    init_valid.write(false);
    out_ready.write(false);
  }

  // At a falling edge: assert reset, hold it over `cycles` rising edges,
  // release it at a falling edge.
  void reset_for(int cycles) {
    drive_idle();
    rst_n.write(false);
    for (int i = 0; i < cycles; ++i) wait_fall();
    rst_n.write(true);
  }

  enum class Run { kDone, kStopped, kFailed };

  // Streams one GEMM from the current falling edge (the array just out of
  // reset). kDone: its last result row was taken at the rising edge before
  // the falling edge it returns at. kStopped (stop_after > 0): it returns
  // after driving the inputs of its cycle stop_after - 1, before the rising
  // edge that ends it. kFailed: a mismatch or a protocol failure (reported).
  Run run_gemm(const fp8sa::GemmProblem& p, std::mt19937_64& rng, int in_gap_pct, int out_stall_pct,
               uint64_t stop_after, fp8sa::GemmOutput* out) {
    const int R = cfg_.rows, C = cfg_.cols, M = p.M, N = p.N, K = p.K;
    const int tn = (N + C - 1) / C;
    const long T = static_cast<long>((M + R - 1) / R) * tn;
    out->M = M;
    out->N = N;
    out->tiles_m = (M + R - 1) / R;
    out->tiles_n = tn;
    out->out.assign(static_cast<size_t>(M) * static_cast<size_t>(N), 0u);
    out->tile_flags.assign(static_cast<size_t>(T), 0u);
    const bool use_init = p.C_init != nullptr;
    const size_t nn = static_cast<size_t>(N), kk = static_cast<size_t>(K);
    auto pct = [&](int x) { return x > 0 && static_cast<int>(rng() % 100u) < x; };

    cmd_k.write(sc_bv<16>(static_cast<unsigned>(K)));
    cmd_fmt_a.write(p.fmt_a == fp8sa::Fp8Format::E5M2);
    cmd_fmt_b.write(p.fmt_b == fp8sa::Fp8Format::E5M2);
    cmd_rnd.write(sc_bv<2>(static_cast<unsigned>(p.rnd)));
    cmd_use_init.write(use_init);
    cmd_out_fmt.write(sc_bv<3>(static_cast<unsigned>(p.out_fmt)));
    cmd_out_rnd.write(sc_bv<2>(static_cast<unsigned>(p.out_rnd)));
    cmd_sat.write(p.sat);
    cmd_scale.write(sc_bv<7>(static_cast<unsigned>(p.scale) & 0x7Fu));

    long cmd_t = 0, step_t = 0, init_t = use_init ? 0 : T, out_t = 0;
    int step_k = 0, init_r = 0, out_r = 0;
    uint64_t n = 0, idle = 0;
    for (;; wait_fall(), ++n) {
      if (mismatch_) return Run::kFailed;
      if (out_t == T) break;
      // This cycle's (Moore) outputs, settled since the rising edge.
      const bool cmd_ready = model_out_.cmd_ready_o.read(), in_ready = model_out_.in_ready_o.read();
      const bool init_ready = model_out_.init_ready_o.read(), out_valid = model_out_.out_valid_o.read();

      const bool cv = cmd_t < T && !pct(in_gap_pct);
      const bool iv = step_t < cmd_t && !pct(in_gap_pct);
      sc_bv<kRows * 8> a;  // zeros unless a step is offered
      sc_bv<kCols * 8> b;
      if (iv) {
        const int ti = static_cast<int>(step_t / tn), tj = static_cast<int>(step_t % tn);
        for (int r = 0; r < R; ++r) {
          const int row = ti * R + r;
          a.range(8 * r + 7, 8 * r) = row < M ? p.A[static_cast<size_t>(row) * kk + static_cast<size_t>(step_k)] : 0u;
        }
        for (int c = 0; c < C; ++c) {
          const int col = tj * C + c;
          b.range(8 * c + 7, 8 * c) = col < N ? p.B[static_cast<size_t>(step_k) * nn + static_cast<size_t>(col)] : 0u;
        }
      } else {
        // No handshake: arbitrary data, which neither implementation may use.
        for (int r = 0; r < R; ++r) a.range(8 * r + 7, 8 * r) = static_cast<unsigned>(rng() & 0xFFu);
        for (int c = 0; c < C; ++c) b.range(8 * c + 7, 8 * c) = static_cast<unsigned>(rng() & 0xFFu);
      }
      const bool nv = init_t < T && !pct(in_gap_pct);
      sc_bv<kCols * kAccW> d;
      for (int c = 0; c < C; ++c) {
        uint32_t w = static_cast<uint32_t>(rng()) & cfg_.acc.mask();
        if (nv) {
          const int ti = static_cast<int>(init_t / tn), tj = static_cast<int>(init_t % tn);
          const int row = ti * R + init_r, col = tj * C + c;
          w = (row < M && col < N) ? p.C_init[static_cast<size_t>(row) * nn + static_cast<size_t>(col)] & cfg_.acc.mask()
                                   : 0u;
        }
        d.range(kAccW * c + kAccW - 1, kAccW * c) = w;
      }
      const bool orv = !pct(out_stall_pct);
      cmd_valid.write(cv);
      in_valid.write(iv);
      in_a.write(a);
      in_b.write(b);
      init_valid.write(nv);
      init_data.write(d);
      out_ready.write(orv);

      // The handshakes the coming rising edge takes.
      bool progress = false;
      if (out_valid && orv) {
        const int row_o = static_cast<int>(model_out_.out_row_o.read().to_uint());
        const bool last_o = model_out_.out_last_o.read();
        if (row_o != out_r || last_o != (out_r == R - 1)) {
          std::printf("FAIL: result row %d (last %d) where row %d of tile %ld was expected, cycle %llu\n", row_o,
                      last_o ? 1 : 0, out_r, out_t, static_cast<unsigned long long>(cycles_));
          return Run::kFailed;
        }
        const int ti = static_cast<int>(out_t / tn), tj = static_cast<int>(out_t % tn);
        const int row = ti * R + out_r;
        const sc_bv<kCols * 32> data = model_out_.out_data_o.read();
        for (int c = 0; c < C && row < M; ++c) {
          const int col = tj * C + c;
          if (col < N)
            out->out[static_cast<size_t>(row) * nn + static_cast<size_t>(col)] =
                static_cast<uint32_t>(data.range(32 * c + 31, 32 * c).to_uint());
        }
        if (last_o) out->tile_flags[static_cast<size_t>(out_t)] = static_cast<uint8_t>(model_out_.out_flags_o.read().to_uint());
        if (++out_r == R) {
          out_r = 0;
          ++out_t;
        }
        progress = true;
      }
      if (cv && cmd_ready) {
        ++cmd_t;
        progress = true;
      }
      if (iv && in_ready) {
        if (++step_k == K) {
          step_k = 0;
          ++step_t;
        }
        progress = true;
      }
      if (nv && init_ready) {
        if (++init_r == R) {
          init_r = 0;
          ++init_t;
        }
        progress = true;
      }
      idle = progress ? 0 : idle + 1;
      if (idle > 5000) {
        std::printf("FAIL: no handshake for %llu cycles at cycle %llu (tile %ld row %d awaited)\n",
                    static_cast<unsigned long long>(idle), static_cast<unsigned long long>(cycles_), out_t, out_r);
        return Run::kFailed;
      }
      if (stop_after != 0 && n + 1 >= stop_after) return Run::kStopped;
    }
    pe_macs_ += static_cast<uint64_t>(T) * static_cast<uint64_t>(K) * static_cast<uint64_t>(R * C);
    return Run::kDone;
  }

  bool same_as_functional(const fp8sa::GemmProblem& p, const fp8sa::GemmOutput& got) {
    fp8sa::GemmOutput want;
    fp8sa::gemm_functional(p, cfg_, &want);
    for (size_t i = 0; i < want.out.size(); ++i) {
      if (want.out[i] != got.out[i]) {
        std::printf("FAIL: %s: output (%zu, %zu): gemm_functional %s, array ports %s\n", current_.c_str(),
                    i / static_cast<size_t>(p.N), i % static_cast<size_t>(p.N), hex32(want.out[i]).c_str(),
                    hex32(got.out[i]).c_str());
        return false;
      }
    }
    for (size_t t = 0; t < want.tile_flags.size(); ++t) {
      if (want.tile_flags[t] != got.tile_flags[t]) {
        std::printf("FAIL: %s: tile %zu flags: gemm_functional %s, array ports %s\n", current_.c_str(), t,
                    hex32(want.tile_flags[t], 1).c_str(), hex32(got.tile_flags[t], 1).c_str());
        return false;
      }
    }
    return true;
  }

  void stimulus() {
    std::mt19937_64 rng(seed_);
    drive_idle();
    wait_fall();  // rst_n low since time 0; the rising edge at 0 reset both
    reset_for(2);
    // g and got are members, not locals: when the monitor stops the
    // simulation on a mismatch this thread never resumes, and locals on its
    // coroutine stack would never be destroyed (make sanitize's leak check).
    RandomGemm& g = gemm_;
    for (int gi = 0; gi < gemms_ && !mismatch_; ++gi) {
      fp8sa::tb::random_gemm(rng, cfg_, fp8sa::tb::RandomGemmShape{3, 24}, &g);
      // GEMM 1 is always interrupted by a reset, the others 1 in 6.
      const bool interrupt = gi == 1 || rng() % 6 == 0;
      // Half of the GEMMs run with no gaps nor back-pressure at all.
      const bool busy = (rng() & 1) != 0;
      const int in_gap = busy ? static_cast<int>(rng() % 40) : 0;
      const int out_stall = busy ? static_cast<int>(rng() % 60) : 0;
      current_ = "GEMM " + std::to_string(gi) + " (" + describe(g.p) + ", in gaps " + std::to_string(in_gap) +
                 "%, out stalls " + std::to_string(out_stall) + "%)";
      fp8sa::GemmOutput& got = got_;
      Run run = Run::kStopped;
      if (interrupt) {
        const uint64_t stop = 2 + rng() % 60;
        run = run_gemm(g.p, rng, in_gap, out_stall, stop, &got);
        if (run == Run::kStopped) {
          // Mid-stream: the rising edge takes this cycle's handshakes, then
          // rst_ni falls 1..4 ns into the high phase (asynchronously, on no
          // edge), is held over 1 or 2 rising edges, and the GEMM runs again
          // from the start.
          wait(clk.posedge_event());
          wait(sc_time(1.0 + static_cast<double>(rng() % 4), SC_NS));
          current_ += ", after a reset at its cycle " + std::to_string(stop);
          rst_n.write(false);
          wait_fall();
          ++interrupted_;
          reset_for(1 + static_cast<int>(rng() % 2));
        }
      }
      if (run == Run::kStopped) run = run_gemm(g.p, rng, in_gap, out_stall, 0, &got);
      if (run != Run::kDone) {
        if (!mismatch_) ++failed_;
        break;
      }
      if (same_as_functional(g.p, got)) {
        ++passed_;
      } else {
        ++failed_;
      }
      reset_for(1 + static_cast<int>(rng() % 3));  // the next GEMM starts from reset
    }
    wait_fall();
    wait_fall();  // a few compared cycles after the last reset
    done_ = true;
    sc_core::sc_stop();
  }

  fp8sa::ArrayConfig cfg_;
  RandomGemm gemm_;       // the GEMM in flight (see stimulus())
  fp8sa::GemmOutput got_;
  uint64_t seed_;
  int gemms_;
  uint64_t fault_cycle_;  // 0: none
  OutSignals model_out_, rtl_out_;
  ModelArray model_;
  RtlArray rtl_;
  bool mismatch_ = false, done_ = false, armed_ = false;
  uint64_t cycles_ = 0, comparisons_ = 0, pe_macs_ = 0;
  int passed_ = 0, failed_ = 0, interrupted_ = 0;
  std::string current_ = "reset";
};

}  // namespace

int sc_main(int argc, char* argv[]) {
  Verilated::commandArgs(argc, argv);
  uint64_t seed = 0x5C0A11u;
  bool seed_from_env = false;
  if (const char* env = std::getenv("FP8SA_SEED"); env != nullptr && env[0] != '\0') {
    seed = std::strtoull(env, nullptr, 0);
    seed_from_env = true;
  }
  int gemms = 1000;
  uint64_t fault_cycle = 0;
  std::string vcd;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 0);
      seed_from_env = false;
    } else if (a == "--gemms" && i + 1 < argc) {
      gemms = std::atoi(argv[++i]);
    } else if (a == "--fault-cycle" && i + 1 < argc) {
      fault_cycle = std::strtoull(argv[++i], nullptr, 0);
    } else if (a == "--vcd" && i + 1 < argc) {
      vcd = argv[++i];
    } else if (a.rfind("+verilator+", 0) == 0) {
      // Verilator's runtime options, handled by commandArgs
    } else {
      std::fprintf(stderr, "usage: %s [--seed N] [--gemms N] [--vcd FILE] [--fault-cycle N]\n", argv[0]);
      return 2;
    }
  }
  if (gemms < 1) {
    std::fprintf(stderr, "%s: --gemms must be >= 1\n", argv[0]);
    return 2;
  }
  const fp8sa::ArrayConfig cfg = make_config();
  std::printf("sc_array_tb: config %s (%d x %d, %s, SEED 0x%08X), seed 0x%llx%s, %d GEMMs\n", FP8SA_SC_CONFIG_NAME,
              cfg.rows, cfg.cols, cfg.acc.name().c_str(), cfg.seed, static_cast<unsigned long long>(seed),
              seed_from_env ? " (FP8SA_SEED)" : "", gemms);
  std::fflush(stdout);

  int rc = 0;
  try {
    // quiet the kernel's "Simulation stopped by user." info
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    Testbench tb("tb", cfg, seed, gemms, fault_cycle);
    sc_core::sc_trace_file* tf = nullptr;
    if (!vcd.empty()) {
      std::string base = vcd;
      if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0) base.resize(base.size() - 4);
      tf = sc_core::sc_create_vcd_trace_file(base.c_str());
      tf->set_time_unit(1.0, SC_NS);
      tb.trace(tf);
    }
    sc_core::sc_start();
    tb.final();
    if (tf != nullptr) sc_core::sc_close_vcd_trace_file(tf);
    const bool ok = !tb.mismatch() && tb.done() && tb.failed() == 0;
    std::printf("sc_array_tb: %llu cycles, every output port of model and RTL compared %llu times (falling and rising "
                "edges): %s; %d GEMMs (+%d interrupted by a mid-stream reset and run again, %llu PE MACs) checked "
                "against gemm_functional\n",
                static_cast<unsigned long long>(tb.cycles()), static_cast<unsigned long long>(tb.comparisons()),
                tb.mismatch() ? "MISMATCH" : "no difference", tb.passed() + tb.failed(), tb.interrupted(),
                static_cast<unsigned long long>(tb.pe_macs()));
    const int failed = tb.failed() + (tb.mismatch() || !tb.done() ? 1 : 0);
    std::printf("%d passed, %d failed\n", tb.passed(), failed);
    if (!ok) {
      std::printf("reproduce: %s --seed 0x%llx --gemms %d%s --vcd sc_array_tb.vcd\n", argv[0],
                  static_cast<unsigned long long>(seed), gemms,
                  fault_cycle != 0 ? (" --fault-cycle " + std::to_string(fault_cycle)).c_str() : "");
      rc = 1;
    }
  } catch (const std::exception& e) {
    std::printf("sc_array_tb: error: %s\n0 passed, 1 failed\n", e.what());
    rc = 1;
  }
  std::fflush(stdout);
  return rc;
}

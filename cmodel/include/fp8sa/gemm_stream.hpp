// The GEMM stream driver: tiles a GemmProblem onto the array as
// docs/array.md "GEMM tiling" defines and drives any object with the array's
// ports, cycle by cycle:
//
//   const ArrayOutputs& outputs() const;   // Moore outputs of this cycle
//   void clock(const ArrayInputs& in);     // the rising edge closing it
//
// (ArrayCycleModel, the Verilated RTL in sim/array_rtl.hpp, or the lockstep
// pair in tb/). Commands, init rows and steps are offered as early as the
// ready signals allow, with optional random gaps and output back-pressure.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/gemm_tiling.hpp"

namespace fp8sa {

struct GemmStreamOptions {
  uint64_t stall_seed = 0;            // non-zero: random gaps / back-pressure from this seed
  int in_gap_pct = 0;                 // % of cycles each of cmd/in/init valid is withheld
  int out_stall_pct = 0;              // % of cycles out_ready_i is low
  uint64_t max_idle_cycles = 100000;  // std::runtime_error after this many cycles with no handshake
  uint64_t stop_after_cycles = 0;     // non-zero: return after this many cycles (mid-GEMM reset tests)
  // Called every 2^16 cycles with (cycles, tiles drained, tiles): progress lines.
  std::function<void(uint64_t, long, long)> progress;
};

struct GemmStreamStats {
  uint64_t cycles = 0;     // clock edges driven
  uint64_t pe_macs = 0;    // MACs the PEs perform: tiles * steps * DOT_N * ROWS * COLS (padding included)
  uint64_t useful_macs = 0;  // M * N * K
  bool finished = false;   // false when stopped by stop_after_cycles
};

namespace detail {
struct StreamRng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  bool pct(int p) { return p > 0 && static_cast<int>(next() % 100u) < p; }
};
}  // namespace detail

template <class Ports>
GemmStreamStats gemm_stream(Ports& ports, const GemmProblem& p, const ArrayConfig& cfg, GemmOutput* out,
                            const GemmStreamOptions& opt = {}) {
  p.validate();
  cfg.validate();
  if (out == nullptr) throw std::invalid_argument("gemm_stream: out is null");
  if (opt.in_gap_pct < 0 || opt.in_gap_pct > 99 || opt.out_stall_pct < 0 || opt.out_stall_pct > 99)
    throw std::invalid_argument("gemm_stream: in_gap_pct and out_stall_pct must be in [0, 99]");
  const GemmTiling tiling(p, cfg.rows, cfg.cols, cfg.dot_n);  // docs/array.md "GEMM tiling"
  const int R = cfg.rows, C = cfg.cols, M = p.M, N = p.N, K = p.K, D = cfg.dot_n;
  const int steps = tiling.steps;  // cmd_k_i: ceil(K / DOT_N)
  const long T = tiling.tiles;
  tiling.start_output(out);
  const bool use_init = p.C_init != nullptr;

  detail::StreamRng rng{opt.stall_seed != 0 ? opt.stall_seed : 1u};
  const bool random = opt.stall_seed != 0;
  ArrayInputs in(cfg);
  in.cmd_k_i = static_cast<uint16_t>(steps);
  in.cmd_fmt_a_i = p.fmt_a == Fp8Format::E5M2;
  in.cmd_fmt_b_i = p.fmt_b == Fp8Format::E5M2;
  in.cmd_rnd_i = static_cast<uint8_t>(p.rnd);
  in.cmd_use_init_i = use_init;
  in.cmd_out_fmt_i = static_cast<uint8_t>(p.out_fmt);
  in.cmd_out_rnd_i = static_cast<uint8_t>(p.out_rnd);
  in.cmd_sat_i = p.sat;
  in.cmd_scale_i = static_cast<int8_t>(p.scale);

  long cmd_t = 0, step_t = 0, init_t = use_init ? 0 : T, out_t = 0;
  int step_k = 0, init_r = 0, out_r = 0;
  uint64_t idle = 0;
  GemmStreamStats st;
  st.pe_macs = static_cast<uint64_t>(T) * static_cast<uint64_t>(steps) * static_cast<uint64_t>(D) *
               static_cast<uint64_t>(R * C);
  st.useful_macs = static_cast<uint64_t>(M) * static_cast<uint64_t>(N) * static_cast<uint64_t>(K);
  while (out_t < T) {
    if (opt.stop_after_cycles != 0 && st.cycles >= opt.stop_after_cycles) return st;
    const ArrayOutputs& o = ports.outputs();
    in.cmd_valid_i = cmd_t < T && !(random && rng.pct(opt.in_gap_pct));
    in.in_valid_i = step_t < cmd_t && !(random && rng.pct(opt.in_gap_pct));
    if (in.in_valid_i) {
      const int ti = tiling.tile_row(step_t), tj = tiling.tile_col(step_t);
      // Step step_k: products k = step_k * D + i in lane i; +0 past K.
      for (int r = 0; r < R; ++r)
        for (int i = 0; i < D; ++i) in.in_a_i[static_cast<size_t>(r * D + i)] = tiling.a(ti, r, step_k * D + i);
      for (int c = 0; c < C; ++c)
        for (int i = 0; i < D; ++i) in.in_b_i[static_cast<size_t>(c * D + i)] = tiling.b(tj, c, step_k * D + i);
    }
    in.init_valid_i = init_t < T && !(random && rng.pct(opt.in_gap_pct));
    if (in.init_valid_i) {
      const int ti = tiling.tile_row(init_t), tj = tiling.tile_col(init_t);
      for (int c = 0; c < C; ++c) in.init_data_i[static_cast<size_t>(c)] = tiling.init(ti, tj, init_r, c);
    }
    in.out_ready_i = !(random && rng.pct(opt.out_stall_pct));

    bool progress = false;
    if (o.out_valid_o && in.out_ready_i) {
      if (o.out_row_o != out_r || o.out_last_o != (out_r == R - 1)) {
        throw std::logic_error("gemm_stream: result row " + std::to_string(o.out_row_o) + " (last " +
                               std::to_string(o.out_last_o) + ") where row " + std::to_string(out_r) +
                               " of tile " + std::to_string(out_t) + " was expected, cycle " +
                               std::to_string(st.cycles));
      }
      tiling.put_row(out, tiling.tile_row(out_t), tiling.tile_col(out_t), out_r, o.out_data_o);
      if (o.out_last_o) out->tile_flags[static_cast<size_t>(out_t)] = o.out_flags_o;
      if (++out_r == R) {
        out_r = 0;
        ++out_t;
      }
      progress = true;
    }
    if (in.cmd_valid_i && o.cmd_ready_o) {
      ++cmd_t;
      progress = true;
    }
    if (in.in_valid_i && o.in_ready_o) {
      if (++step_k == steps) {
        step_k = 0;
        ++step_t;
      }
      progress = true;
    }
    if (in.init_valid_i && o.init_ready_o) {
      if (++init_r == R) {
        init_r = 0;
        ++init_t;
      }
      progress = true;
    }
    ports.clock(in);
    ++st.cycles;
    if (opt.progress && (st.cycles & 0xFFFFu) == 0) opt.progress(st.cycles, out_t, T);
    idle = progress ? 0 : idle + 1;
    if (idle > opt.max_idle_cycles)
      throw std::runtime_error("gemm_stream: no handshake for " + std::to_string(idle) + " cycles at cycle " +
                               std::to_string(st.cycles) + " (tile " + std::to_string(out_t) + " row " +
                               std::to_string(out_r) + " awaited)");
  }
  st.finished = true;
  return st;
}

}  // namespace fp8sa

// Lockstep co-simulation of the cycle-accurate model and the Verilated RTL
// of the array: the same inputs every cycle, every output port compared after
// every edge, stop at the first difference with a report (seed,
// configuration, cycle, port, both values in hex and decoded), a one-line
// command that reproduces it, and a VCD of the last cycles before it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "array_rtl.hpp"
#include "fp8sa/array.hpp"

namespace fp8sa::tb {

struct LockstepMismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
  uint64_t cycle = 0;
};

// Both implementations behind the port interface gemm_stream() drives.
class LockstepPorts {
 public:
  LockstepPorts(ArrayCycleModel& model, rtl::ArrayRtl& rtl);
  const ArrayOutputs& outputs() const { return model_.outputs(); }
  void clock(const ArrayInputs& in);  // throws LockstepMismatch
  void reset();
  uint64_t cycle() const { return cycle_; }
  uint8_t out_fmt = 4;  // output format of the GEMM in flight, for decoding values
  uint64_t fault_cycle = 0;  // tests of the checker: pretend the RTL's in_ready_o differs at this cycle

 private:
  ArrayCycleModel& model_;
  rtl::ArrayRtl& rtl_;
  uint64_t cycle_ = 0;
};

struct LockstepOptions {
  std::string config = "a4x4";   // a name from sim/array_configs.txt
  uint64_t seed = 1;
  int gemms = 20;                // random GEMMs per run
  int max_dim_tiles = 3;         // M, N up to this many tiles (ragged)
  int max_k = 40;
  int in_gap_pct = 20, out_stall_pct = 25;
  int reset_pct = 10;            // % of GEMMs interrupted by a reset mid-stream
  std::string vcd_path;          // waveform of the last cycles on a mismatch ("" = none)
  int vcd_cycles = 300;
  bool progress = false;         // a line per GEMM on stderr
  uint64_t fault_cycle = 0;      // checker self-test: inject a mismatch at this cycle (0 = none)
};

struct LockstepResult {
  bool ok = true;
  uint64_t cycles = 0;       // lockstep cycles compared
  uint64_t pe_macs = 0;      // PE MACs done in lockstep (padding included)
  uint64_t gemms = 0;        // GEMMs completed (also checked against gemm_functional)
  std::string report;        // on failure: what, where, how to reproduce
};

// Runs opt.gemms random GEMMs (shapes, formats, rounding incl. SR, output
// formats, saturation, scale, C input, special values) with random stalls
// on every handshake and resets in mid-stream. Each completed GEMM's result
// must also equal gemm_functional's, bit for bit.
LockstepResult run_lockstep(const LockstepOptions& opt);

}  // namespace fp8sa::tb

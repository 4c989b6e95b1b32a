// One back-end interface for GEMMs on the array (the pattern of Ibex's
// Cosim class): every back-end computes the bits the array produces for a
// problem (docs/array.md "GEMM tiling"), on the array configuration it was
// made for, and says what it knows about cycles. Implementations:
//
//   "functional"  gemm_functional: the bits without cycles (fast kernels)
//   "cycle"       ArrayCycleModel driven cycle by cycle by gemm_stream
//   "rtl:NAME"    the Verilated array NAME (sim/array_configs.txt), same driver
//
// make_model_backend() (this library) makes the first two; make_backend()
// in sim/backends.hpp (the fp8sa_rtl library) makes all of them by name, so
// a model-only user needs neither Verilator nor the RTL.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/gemm_stream.hpp"

namespace fp8sa {

struct GemmRunOptions {
  GemmOptions functional;     // threads, fast path (functional back-end)
  GemmStreamOptions stream;   // stalls, gaps, progress (cycle back-ends)
};

struct GemmRun {
  GemmOutput out;             // values and per-tile flags
  bool has_cycles = false;    // cycle back-ends only:
  uint64_t cycles = 0;        //   clock edges from reset to the last result row
  uint64_t pe_macs = 0;       //   MACs the PEs performed (padding included)
  double utilisation() const;  // pe_macs / (cycles * rows * cols * dot_n); 0 without cycles
  int rows = 0, cols = 0, dot_n = 1;
};

class GemmBackend {
 public:
  virtual ~GemmBackend() = default;
  virtual std::string name() const = 0;            // "functional", "cycle", "rtl:a8x8"
  virtual const ArrayConfig& config() const = 0;   // the array it computes for
  // Runs one GEMM from reset. Throws std::invalid_argument for a bad problem.
  virtual GemmRun run(const GemmProblem& p, const GemmRunOptions& opt = {}) = 0;
};

// "functional" or "cycle" for cfg (validated); throws std::invalid_argument
// naming the accepted names otherwise.
std::unique_ptr<GemmBackend> make_model_backend(const std::string& name, const ArrayConfig& cfg);

// Drives any object with the array's ports (ArrayCycleModel, rtl::ArrayRtl)
// through gemm_stream and packages the result: what "cycle" and "rtl:*" share.
template <class Ports>
GemmRun run_on_ports(Ports& ports, const GemmProblem& p, const ArrayConfig& cfg, const GemmRunOptions& opt) {
  GemmRun r;
  const GemmStreamStats st = gemm_stream(ports, p, cfg, &r.out, opt.stream);
  r.has_cycles = true;
  r.cycles = st.cycles;
  r.pe_macs = st.pe_macs;
  r.rows = cfg.rows;
  r.cols = cfg.cols;
  r.dot_n = cfg.dot_n;
  return r;
}

}  // namespace fp8sa

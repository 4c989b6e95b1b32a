// GEMM through the cycle-accurate array model: the stream driver of
// gemm_stream.hpp (docs/array.md "GEMM tiling") on ArrayCycleModel's ports.
#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/gemm_stream.hpp"

namespace fp8sa {

GemmCycleStats gemm_cycle(const GemmProblem& p, const ArrayConfig& cfg, GemmOutput* out,
                          const GemmCycleOptions& opt) {
  cfg.validate();
  ArrayCycleModel m(cfg);
  GemmStreamOptions so;
  so.stall_seed = opt.stall_seed;
  so.in_gap_pct = opt.in_gap_pct;
  so.out_stall_pct = opt.out_stall_pct;
  so.max_idle_cycles = opt.max_idle_cycles;
  gemm_stream(m, p, cfg, out, so);
  GemmCycleStats st;
  st.cycles = m.cycle();
  st.advances = m.advances();
  st.macs = m.macs();
  return st;
}

}  // namespace fp8sa

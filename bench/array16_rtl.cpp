// The 16x16 Verilated fp8sa_array of `make bench` (bench/CMakeLists.txt
// Verilates it only with -DFP8SA_BENCH=ON, so that the default build and
// sim/array_configs.txt stay small) behind the rtl::ArrayRtl interface.
#include "array16_rtl.hpp"

#include "Varray_bench16x16.h"
#include "array_rtl_impl.hpp"

namespace fp8sa::bench {

rtl::NamedArrayConfig array16_config() {
  rtl::NamedArrayConfig nc;
  nc.name = "bench16x16";
  nc.cfg.rows = FP8SA_BENCH16_ROWS;
  nc.cfg.cols = FP8SA_BENCH16_COLS;
  nc.cfg.acc = kFp32;
  nc.cfg.sr_bits = 16;
  nc.cfg.q_sr_bits = 16;
  nc.cfg.lfsr_w = 32;
  nc.cfg.seed = FP8SA_BENCH16_SEED;
  nc.cfg.validate();
  return nc;
}

std::unique_ptr<rtl::ArrayRtl> make_array16() {
  return std::make_unique<rtl::ArrayRtlImpl<Varray_bench16x16>>(array16_config());
}

}  // namespace fp8sa::bench

// The bench-only Verilated arrays (bench_arrays.hpp). Their parameters are
// the -G values bench/CMakeLists.txt Verilates them with (the FP8SA_BENCH*_
// definitions), e8m23 accumulator, 16 SR bits, 32-bit LFSR.
#include "bench_arrays.hpp"

#include "Varray_bench16x16.h"
#include "array_rtl_impl.hpp"
#ifdef FP8SA_BENCH32
#include "Varray_bench32x32.h"
#endif

namespace fp8sa::bench {
namespace {

rtl::NamedArrayConfig config(const char* name, int rows, int cols, uint32_t seed) {
  rtl::NamedArrayConfig nc;
  nc.name = name;
  nc.cfg.rows = rows;
  nc.cfg.cols = cols;
  nc.cfg.acc = kFp32;
  nc.cfg.sr_bits = 16;
  nc.cfg.q_sr_bits = 16;
  nc.cfg.lfsr_w = 32;
  nc.cfg.seed = seed;
  nc.cfg.validate();
  return nc;
}

template <class V>
void add(const rtl::NamedArrayConfig& nc) {
  rtl::register_array(nc, [](const rtl::NamedArrayConfig& c) { return std::make_unique<rtl::ArrayRtlImpl<V>>(c); });
}

}  // namespace

void register_bench_arrays() {
  add<Varray_bench16x16>(config("bench16x16", FP8SA_BENCH16_ROWS, FP8SA_BENCH16_COLS, FP8SA_BENCH16_SEED));
#ifdef FP8SA_BENCH32
  add<Varray_bench32x32>(config("bench32x32", FP8SA_BENCH32_ROWS, FP8SA_BENCH32_COLS, FP8SA_BENCH32_SEED));
#endif
}

std::string bench_array_name(int size) {
  if (size == FP8SA_BENCH16_ROWS) return "bench16x16";
#ifdef FP8SA_BENCH32
  if (size == FP8SA_BENCH32_ROWS) return "bench32x32";
#endif
  return "";
}

}  // namespace fp8sa::bench

// The bench-only Verilated arrays (bench/CMakeLists.txt Verilates them only
// with -DFP8SA_BENCH=ON, so that the default build and sim/array_configs.txt
// stay small): bench16x16 always, bench32x32 with -DFP8SA_BENCH32=ON
// (make bench BENCH32=1, make regress), behind the rtl::ArrayRtl interface.
#pragma once

#include <string>

#include "array_rtl.hpp"

namespace fp8sa::bench {

// Adds every bench array built into the one registry (rtl::register_array);
// after this rtl::make_array("bench16x16") works like any sim/ array.
void register_bench_arrays();

// "bench16x16" / "bench32x32" when that size is built, else "".
std::string bench_array_name(int size);

}  // namespace fp8sa::bench

// The model's speed as docs/exploration.md reports it: gemm_functional's
// MAC rate on the generic AccAdder path and the default (fast) path, for
// the accumulators and roundings a sweep uses most (fp8sa explore
// --run-info measures it; the report script prints it).
#pragma once

#include <string>
#include <vector>

#include "fp8sa/numerics.hpp"

namespace fp8sa::explore {

struct Speed {
  std::string acc;
  Round rnd = Round::RNE;
  double generic = 0, fast = 0;          // MAC/s, wall clock
  double generic_cpu = 0, fast_cpu = 0;  // MAC per CPU-second (all threads' CPU time)
};

// 128 x 2048 x 128, E4M3 operands (N(0, 1) quantized), 8x8 array, best of 2
// runs each; e8m10, e6m9, e5m10 x RNE, RZ, SR.
std::vector<Speed> measure_speed(int threads);

}  // namespace fp8sa::explore

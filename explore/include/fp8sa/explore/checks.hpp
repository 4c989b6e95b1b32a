// The sanity checks of fp8sa explore --quick (kQuickSweep): the facts any
// correct run must show (FP32 nearly exact, the swamping cliff, SR
// unbiased, promotion cutting truncation's bias, km-block's bias in range).
#pragma once

#include <string>
#include <vector>

#include "fp8sa/explore/runner.hpp"

namespace fp8sa::explore {

// The failures, one line each (empty: all passed).
std::vector<std::string> sanity(const std::vector<Result>& rs);

}  // namespace fp8sa::explore

// The bench-only 16x16 Verilated array (array16_rtl.cpp).
#pragma once

#include <memory>

#include "array_rtl.hpp"

namespace fp8sa::bench {

// Its parameters (the -G values bench/CMakeLists.txt Verilates it with).
rtl::NamedArrayConfig array16_config();
std::unique_ptr<rtl::ArrayRtl> make_array16();

}  // namespace fp8sa::bench

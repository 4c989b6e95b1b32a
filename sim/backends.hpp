// Every GEMM back-end by name (cmodel/include/fp8sa/backend.hpp): the
// model's "functional" and "cycle", and "rtl:NAME" for each Verilated array
// of the registry (sim/array_rtl.hpp). The CLI, the bench and the tests make
// their back-ends here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "array_rtl.hpp"
#include "fp8sa/backend.hpp"

namespace fp8sa {

// name: "functional" or "cycle" (for cfg), "rtl:NAME" (the Verilated array
// NAME, whose configuration must equal cfg), or "rtl" (the Verilated array
// whose configuration equals cfg). Throws std::invalid_argument saying what
// is built when nothing fits.
std::unique_ptr<GemmBackend> make_backend(const std::string& name, const ArrayConfig& cfg);

// The name of the Verilated array with exactly cfg's parameters, or "".
std::string rtl_config_name(const ArrayConfig& cfg);

// "a4x4 (4x4 e8m23 seed 0x1), ..." for messages.
std::string describe_rtl_configs();

}  // namespace fp8sa

// fp8sa gemm's array: the options of the one field list
// (cmodel/include/fp8sa/array_fields.hpp; the option table entries are
// tools/commands.cpp array_options()) parsed into an ArrayConfig, and the
// rule by which a Verilated configuration runs such a request.
#pragma once

#include <vector>

#include "args.hpp"
#include "fp8sa/array.hpp"
#include "fp8sa/pe.hpp"

namespace fp8sa::cli {

struct ArrayOptions {
  ArrayConfig cfg;          // gemm's defaults, then the preset's values, then the options given
  std::vector<bool> given;  // per field of array_fields(): given on the command line
  std::vector<bool> set;    // per field: given, or set by the preset
};

// Every array option: the value's own check (kind and the list's range,
// "option --dot-n: ..."), an option that contradicts the preset, and the
// CLI's rules between options (--dot-n with the fma PE, --align-bits
// without the dot PE). Throws UsageError. Does not validate() the whole.
ArrayOptions parse_array_options(const Args& args, const PePreset* preset);

// A Verilated configuration `built` runs the request: every Key field
// equal. Its Built fields (seed, SR widths, pipeline) are then taken from
// it, except those the request gives: the model back-ends run those, and
// an RTL back-end must have been built with them (fp8sa gemm checks).
bool array_request_matches(const ArrayConfig& built, const ArrayOptions& o);

}  // namespace fp8sa::cli

// The option tables of the fp8sa commands (defined in commands.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "args.hpp"

namespace fp8sa::cli {

// fp8sa gemm's array options: one per field of the one list
// (cmodel/include/fp8sa/array_fields.hpp), named, defaulted and documented
// there, except that gemm defaults to an 8 x 8 array (kGemmArrayDefaults).
std::vector<OptSpec> array_options();
extern const std::vector<std::pair<std::string, std::string>> kGemmArrayDefaults;  // {{"rows", "8"}, {"cols", "8"}}
// The default gemm uses for an array option: kGemmArrayDefaults, else the list's.
std::string gemm_array_default(const std::string& name, const std::string& list_default);

extern const CmdSpec kGemmSpec, kRandnSpec, kLockstepSpec, kVectorsSpec, kDemoSpec, kExploreSpec, kBoardSpec;

// Every command's table, in the order `fp8sa help` lists them (new commands
// last: the option fuzzer's corpus picks a table by index).
inline const CmdSpec* const kAllSpecs[] = {&kGemmSpec, &kRandnSpec, &kLockstepSpec, &kVectorsSpec, &kDemoSpec,
                                              &kExploreSpec, &kBoardSpec};

}  // namespace fp8sa::cli

// The option tables of the fp8sa commands (defined in commands.cpp).
#pragma once

#include "args.hpp"

namespace fp8sa::cli {

extern const CmdSpec kGemmSpec, kRandnSpec, kLockstepSpec, kVectorsSpec, kDemoSpec, kExploreSpec, kBoardSpec;

// Every command's table, in the order `fp8sa help` lists them (new commands
// last: the option fuzzer's corpus picks a table by index).
inline const CmdSpec* const kAllSpecs[] = {&kGemmSpec, &kRandnSpec, &kLockstepSpec, &kVectorsSpec, &kDemoSpec,
                                              &kExploreSpec, &kBoardSpec};

}  // namespace fp8sa::cli

// Why a build without Verilator (sim/none/) has no RTL, and how to get it:
// the one wording of every such error line.
#pragma once

#define FP8SA_RTL_NONE_WHY \
  "this fp8sa is built without Verilator (FP8SA_WITH_RTL=OFF); configure with -DFP8SA_WITH_RTL=ON for the Verilated RTL"

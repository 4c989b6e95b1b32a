// The fp8sa command-line tool: one table (CmdSpec) and one function per
// subcommand. fp8sa_main.cpp parses the options against the table (so
// `fp8sa help CMD` and `fp8sa CMD --help` print exactly what is accepted)
// and maps errors to exit statuses: 0 success, 1 a check failed (a
// mismatch, a failing vector), 2 bad command line or bad input (one line).
#pragma once

#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "fp8sa/numerics.hpp"
#ifdef FP8SA_CLI_NO_RTL
#include "none/rtl_none.hpp"
#endif

namespace fp8sa::cli {

int cmd_vectors(const Args& args);
int cmd_demo(const Args& args);
int cmd_gemm(const Args& args);
int cmd_board(const Args& args);
int cmd_randn(const Args& args);
int cmd_lockstep(const Args& args);
int cmd_explore(const Args& args);

// A CLI built without Verilator (FP8SA_WITH_RTL=OFF, tools/CMakeLists.txt
// defines FP8SA_CLI_NO_RTL): no RTL back-end, no simulated board; a real
// board over --port works. kNoRtlHint says how to get the rest.
#ifdef FP8SA_CLI_NO_RTL
constexpr bool kCliHasRtl = false;
constexpr const char* kNoRtlHint = FP8SA_RTL_NONE_WHY;
#else
constexpr bool kCliHasRtl = true;
constexpr const char* kNoRtlHint = "";
#endif

// An accumulator format name, parsed and range-checked (UsageError).
inline AccFormat parse_acc_format(const std::string& s) {
  if (s.size() > 16 || shown(s) != s)
    throw UsageError("bad accumulator format '" + shown(s) + "': expected eXmY, e.g. e8m23");
  try {
    const AccFormat f = AccFormat::parse(s);
    f.validate();
    return f;
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

}  // namespace fp8sa::cli

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

namespace fp8sa::cli {

int cmd_vectors(const Args& args);
int cmd_demo(const Args& args);
int cmd_gemm(const Args& args);
int cmd_board(const Args& args);
int cmd_randn(const Args& args);
int cmd_lockstep(const Args& args);
int cmd_explore(const Args& args);

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

// fp8sa: command-line front end. Subcommands are in cmd_*.cpp, each with
// its option table; this file finds the command, parses its options, prints
// help, and turns errors into exit statuses:
//   0 success, 1 a check failed (mismatch), 2 bad command line or input,
//   3 an internal error (a bug: please report it).
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "cli.hpp"

namespace {

using fp8sa::cli::Args;
using fp8sa::cli::CmdSpec;

struct Command {
  const CmdSpec* spec;
  int (*run)(const Args&);
};

const Command kCommands[] = {
    {&fp8sa::cli::kGemmSpec, fp8sa::cli::cmd_gemm},
    {&fp8sa::cli::kBoardSpec, fp8sa::cli::cmd_board},
    {&fp8sa::cli::kRandnSpec, fp8sa::cli::cmd_randn},
    {&fp8sa::cli::kLockstepSpec, fp8sa::cli::cmd_lockstep},
    {&fp8sa::cli::kVectorsSpec, fp8sa::cli::cmd_vectors},
    {&fp8sa::cli::kDemoSpec, fp8sa::cli::cmd_demo},
    {&fp8sa::cli::kExploreSpec, fp8sa::cli::cmd_explore},
};

const Command* find_command(const std::string& name) {
  for (const Command& c : kCommands)
    if (c.spec->name == name) return &c;
  return nullptr;
}

void usage(FILE* f) {
  std::fputs("usage: fp8sa <command> [options]      (fp8sa help <command>, or fp8sa <command> --help)\n\ncommands:\n", f);
  for (const Command& c : kCommands) {
    std::string summary = c.spec->summary.substr(0, c.spec->summary.find('\n'));
    std::fprintf(f, "  %-9s %s\n", c.spec->name.c_str(), summary.c_str());
  }
  std::fputs("  help      this text, or a command's options with their defaults\n"
             "\nexit status: 0 success, 1 a check failed, 2 bad command line or input, 3 internal error\n",
             f);
}

}  // namespace

int main(int argc, char** argv) {
  using fp8sa::cli::UsageError;
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      if (argc == 2) {
        usage(stdout);
        return 0;
      }
      const Command* c = find_command(argv[2]);
      if (!c) throw UsageError("unknown command '" + std::string(argv[2]) + "' (try 'fp8sa help')");
      if (argc > 3) throw UsageError("unexpected argument '" + std::string(argv[3]) + "'");
      std::fputs(fp8sa::cli::help_text(*c->spec).c_str(), stdout);
      return 0;
    }
    const Command* c = find_command(cmd);
    if (!c) throw UsageError("unknown command '" + cmd + "' (try 'fp8sa help')");
    const Args args(*c->spec, argc, argv, 2);
    if (args.help()) {
      std::fputs(fp8sa::cli::help_text(*c->spec).c_str(), stdout);
      return 0;
    }
    const int rc = c->run(args);
    if (std::fflush(stdout) != 0) {
      std::fprintf(stderr, "fp8sa %s: error: cannot write the report to standard output\n", cmd.c_str());
      return 2;
    }
    return rc;
  } catch (const UsageError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "fp8sa %s: error: %s\n", cmd.c_str(), e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "fp8sa %s: error: %s\n", cmd.c_str(), e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    std::fprintf(stderr, "fp8sa %s: error: out of memory\n", cmd.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "fp8sa %s: internal error: %s\n", cmd.c_str(), e.what());
    return 3;
  }
}

// fp8sa: command-line front end. Subcommands are in cmd_*.cpp.
// Exit status: 0 success, 1 a check failed (mismatch), 2 bad command line or input.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli.hpp"

namespace fp8sa::cli {

Args::Args(int argc, char** argv, int first, std::vector<std::string> valued,
           std::vector<std::string> flags) {
  auto in = [](const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v) if (x == s) return true;
    return false;
  };
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2), value;
      const auto eq = name.find('=');
      bool has_value = false;
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      if (in(flags, name)) {
        if (has_value) throw UsageError("option --" + name + " takes no value");
        values_.emplace_back(name, "1");
      } else if (in(valued, name)) {
        if (!has_value) {
          if (i + 1 >= argc) throw UsageError("option --" + name + " needs a value");
          value = argv[++i];
        }
        values_.emplace_back(name, value);
      } else {
        throw UsageError("unknown option --" + name);
      }
    } else {
      positional_.push_back(a);
    }
  }
}

bool Args::has(const std::string& name) const {
  for (const auto& kv : values_) if (kv.first == name) return true;
  return false;
}

std::string Args::get(const std::string& name, const std::string& def) const {
  std::string v = def;
  for (const auto& kv : values_) if (kv.first == name) v = kv.second;  // last one wins
  return v;
}

std::string Args::require(const std::string& name) const {
  if (!has(name)) throw UsageError("missing required option --" + name);
  return get(name, "");
}

long long Args::get_int(const std::string& name, long long def, long long lo, long long hi) const {
  if (!has(name)) return def;
  const std::string s = get(name, "");
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size())
    throw UsageError("option --" + name + ": '" + s + "' is not an integer");
  if (v < lo || v > hi)
    throw UsageError("option --" + name + ": " + s + " is out of range [" + std::to_string(lo) +
                     ", " + std::to_string(hi) + "]");
  return v;
}

}  // namespace fp8sa::cli

namespace {

void usage(FILE* f) {
  std::fputs(
      "usage: fp8sa <command> [options]\n"
      "commands:\n"
      "  vectors  --op add --acc eXmY --round rne|rtz --backend model|rtl FILE\n"
      "           run a TestFloat 'a b result flags' file on the accumulator adder\n"
      "  demo     [--k N] [--seed N]\n"
      "           unit-level demo: an FP8 dot product on the model and the RTL PE\n"
      "  gemm     --rows R --cols C --a A.npy --b B.npy [--c C.npy] --fmt-a e4m3|e5m2 --fmt-b e4m3|e5m2\n"
      "           --acc eXmY --round rne|rtz|sr [--out-fmt fp32|e5m2|e4m3|fp16|bf16 --out-round rne|sr\n"
      "           --sat --scale S --seed N] --backend functional|cycle|rtl|all [--out OUT.npy]\n"
      "           a GEMM on the array's back-ends (all: must agree bit for bit), with a report\n"
      "  randn    --rows R --cols C [--seed N --sigma S] --out X.npy   float32 normal samples\n"
      "  lockstep [--config NAME --seed N --gemms G --vcd FILE --progress]\n"
      "           cycle model vs Verilated array, every port every cycle, random GEMMs and stalls\n"
      "  help     this text\n",
      f);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fp8sa::cli;
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "vectors") return cmd_vectors(argc, argv);
    if (cmd == "demo") return cmd_demo(argc, argv);
    if (cmd == "gemm") return cmd_gemm(argc, argv);
    if (cmd == "randn") return cmd_randn(argc, argv);
    if (cmd == "lockstep") return cmd_lockstep(argc, argv);
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      usage(stdout);
      return 0;
    }
    throw UsageError("unknown command '" + cmd + "' (try 'fp8sa help')");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "fp8sa %s: error: %s\n", cmd.c_str(), e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "fp8sa %s: error: %s\n", cmd.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fp8sa %s: internal error: %s\n", cmd.c_str(), e.what());
    return 3;
  }
}

// libFuzzer target: the option parser (tools/args.cpp) with the real option
// table of every fp8sa command (tools/commands.cpp). The input is split at
// NUL bytes into argv words; the first byte picks the command. Every option
// present is then read as the commands read them (integer, real, choice).
// Allowed outcomes: parsed options, or a UsageError; never a crash, another
// exception, or an error message longer than a line.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"

namespace {

void check_message(const fp8sa::cli::UsageError& e) {
  // One line of bounded length, whatever the input.
  const std::string m = e.what();
  if (m.size() > 400 || m.find('\n') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fp8sa::cli;
  if (size == 0) return 0;
  const CmdSpec& spec = *kAllSpecs[data[0] % (sizeof kAllSpecs / sizeof kAllSpecs[0])];
  std::vector<std::string> words = {"fp8sa", spec.name};
  std::string cur;
  for (size_t i = 1; i < size && words.size() < 66; ++i) {
    if (data[i] == 0) {
      words.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  if (!cur.empty()) words.push_back(cur);
  std::vector<const char*> argv;
  for (const std::string& w : words) argv.push_back(w.c_str());
  try {
    const Args args(spec, static_cast<int>(argv.size()), argv.data(), 2);
    if (args.help()) {
      if (help_text(spec).empty()) std::abort();
      return 0;
    }
    for (const OptSpec& o : spec.opts) {
      if (!args.has(o.name) || o.value.empty()) continue;
      try {
        args.get_int(o.name, 0, INT64_MIN, INT64_MAX);
      } catch (const UsageError& e) {
        check_message(e);
      }
      try {
        args.get_double(o.name, 0, -1e308, 1e308);
      } catch (const UsageError& e) {
        check_message(e);
      }
      try {
        args.get_choice(o.name, "", {"rne", "rz", "sr"});
      } catch (const UsageError& e) {
        check_message(e);
      }
    }
  } catch (const UsageError& e) {
    check_message(e);
  }
  return 0;
}

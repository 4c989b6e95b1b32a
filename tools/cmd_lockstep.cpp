// fp8sa lockstep: the lockstep checker (tests and make regress use it).
#include <cinttypes>
#include <cstdio>

#include "array_rtl.hpp"
#include "cli.hpp"
#include "lockstep.hpp"

namespace fp8sa::cli {

int cmd_lockstep(const Args& args) {
  tb::LockstepOptions opt;
  opt.config = to_lower(args.get("config", "a4x4"));  // named values are case-insensitive
  bool built = false;
  std::string names;
  for (const auto& nc : rtl::array_configs()) {
    built = built || nc.name == opt.config;
    names += (names.empty() ? "" : ", ") + nc.name;
  }
  if (!kCliHasRtl) throw UsageError(std::string("the lockstep checker runs the Verilated array: ") + kNoRtlHint);
  if (!built) throw UsageError("array configuration '" + shown(opt.config) + "' is not built (built: " + names + ")");
  opt.seed = static_cast<uint64_t>(args.get_int("seed", 1, 0, INT64_MAX));
  opt.gemms = static_cast<int>(args.get_int("gemms", 20, 1, 1 << 20));
  opt.max_k = static_cast<int>(args.get_int("max-k", 40, 1, 65535));
  opt.vcd_path = args.get("vcd", "lockstep_" + opt.config + "_" + std::to_string(opt.seed) + ".vcd");
  opt.progress = args.has("progress");
  const tb::LockstepResult r = tb::run_lockstep(opt);
  if (!r.ok) {
    std::printf("FAIL %s\n", r.report.c_str());
    return 1;
  }
  std::printf("lockstep %s seed %" PRIu64 ": %" PRIu64 " GEMMs, %" PRIu64 " cycles, %" PRIu64
              " PE MACs, 0 mismatches\n",
              opt.config.c_str(), opt.seed, r.gemms, r.cycles, r.pe_macs);
  return 0;
}

}  // namespace fp8sa::cli

// fp8sa lockstep: the lockstep checker (tests and make regress use it).
#include <cinttypes>
#include <cstdio>

#include "array_rtl.hpp"
#include "cli.hpp"
#include "lockstep.hpp"

namespace fp8sa::cli {

const CmdSpec kLockstepSpec{
    "lockstep",
    "Cycle model vs Verilated array in lockstep, every port every cycle.\n"
    "Random GEMMs (shapes, formats, rounding, output formats, special values, C input), random\n"
    "stalls on every handshake and resets in mid-stream.",
    {
        {"config", "NAME", "a4x4", "Verilated array configuration (sim/array_configs.txt)"},
        {"seed", "N", "1", "random seed, [0, 2^63 - 1]"},
        {"gemms", "G", "20", "random GEMMs to run, [1, 1048576]"},
        {"max-k", "K", "40", "largest K of a random GEMM, [1, 65535]"},
        {"vcd", "FILE", "lockstep_CONFIG_SEED.vcd", "waveform of the RTL's last 300 cycles, written on a mismatch"},
        {"progress", "", "", "print a progress line per GEMM on stderr"},
    },
    "", 0, 0,
    "On the first difference: the configuration, seed, cycle, port, both values, a reproduce\n"
    "command and the VCD; exit status 1."};

int cmd_lockstep(const Args& args) {
  tb::LockstepOptions opt;
  opt.config = args.get("config", "a4x4");
  rtl::array_config(opt.config);  // validates the name
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

// fp8sa board: a GEMM on an fp8sa FPGA board over its UART link (a real
// board on a serial port, or the simulated one: the Verilated board core),
// bit-compared with the functional model; the problem options, the run and
// the report are fp8sa gemm's (gemm_command.hpp).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "board_sim.hpp"
#include "cli.hpp"
#include "fp8sa/host/board_backend.hpp"
#include "gemm_command.hpp"

namespace fp8sa::cli {

using namespace gemm_cmd;

int cmd_board(const Args& args) {
  const auto t_start = std::chrono::steady_clock::now();
  Request r;
  const bool sim = args.has("sim");
  const std::string port = args.get("port", "");
  if (sim && !port.empty()) throw UsageError("give --port DEVICE (a real board) or --sim (the simulated board), not both");
  if (!sim && port.empty()) throw UsageError("give --port DEVICE (a real board) or --sim (the simulated board)");
  if (!sim && (args.has("board") || args.has("vcd"))) throw UsageError("--board and --vcd apply to --sim only");
  if (sim && args.has("baud")) throw UsageError("--baud applies to --port only (the simulated board's rate is built in)");
  const double timeout = args.get_double("timeout", 2.0, 0.001, 3600.0);
  // Parse the whole command line and read the operands before the board is
  // opened: a bad file fails at once, not after the board answered (or did not).
  parse_problem(args, r);
  const Operands ops = load_operands(r);
  std::unique_ptr<board::ByteChannel> ch;
  try {
    if (sim) {
      ch = board::open_sim_board(to_lower(args.get("board", "icebreaker")), args.get("vcd", ""));
    } else {
      ch = board::open_serial(port, static_cast<int>(args.get_int("baud", 115200, 1, 4000000)));
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  try {
    r.board = std::make_shared<board::BoardBackend>(std::move(ch), timeout);
  } catch (const board::BoardError& e) {
    std::fprintf(stderr, "fp8sa board: error: %s (%s)\n", e.what(), port.empty() ? "simulated board" : port.c_str());
    return 2;
  }
  r.cfg = r.board->config();
  r.backends = {"board", "functional"};
  // What the board's array was built without (INFO), before any work.
  const board::BoardInfo& bi = r.board->info();
  if (static_cast<int>(r.rnd) >= bi.rnd_modes)
    throw UsageError("--round " + r.round_name + ": the board's PEs were built without it (RND_MODES " +
                     std::to_string(bi.rnd_modes) + ")");
  if (is_quantized(r.out_fmt) && !bi.out_quant)
    throw UsageError("--out-fmt " + r.out_fmt_name + ": the board's array has no quantizer bank (use --out-fmt fp32)");
  try {
    return run_gemm(r, ops, "board", t_start);
  } catch (const board::BoardError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "fp8sa board: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace fp8sa::cli

// fp8sa board: a GEMM on an fp8sa FPGA board over its UART link (a real
// board on a serial port, or the simulated one: the Verilated board core),
// bit-compared with the functional model; the problem options, the run and
// the report are fp8sa gemm's (gemm_command.hpp).
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include "board_sim.hpp"
#include "cli.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/host/board_backend.hpp"
#include "gemm_command.hpp"

namespace fp8sa::cli {

using namespace gemm_cmd;

namespace {

const uint32_t kAnyInit = 0;  // GemmProblem::C_init's "given" for protocol_bytes (only its presence counts)

// The board's throughput (docs/fpga.md "Throughput"): what the run measured
// in board time, the array's peak, and the bound the real link's baud rate
// sets through the protocol's bytes per MAC, for the tile order run() uses
// (A kept on chip across a tile row) and for B kept across a tile column.
void print_board_throughput(board::BoardBackend& b, const GemmProblem& p, double wall_s) {
  const board::BoardRunStats& st = b.last_run();
  board::ByteChannel& ch = b.link().channel();
  const board::BoardInfo& info = b.info();
  const double macs = static_cast<double>(st.macs);
  const uint64_t bytes = st.bytes_sent + st.bytes_received;
  std::printf("board link: %" PRIu64 " bytes sent, %" PRIu64 " received; %.3g MAC/s including the link (%.3f s wall)\n",
              st.bytes_sent, st.bytes_received, wall_s > 0 ? macs / wall_s : 0.0, wall_s);
  // The array's clock: the simulated board's SYS_HZ (fpga/boards.txt). A
  // real board's INFO gives only its UART's clocks per bit, and the UART
  // runs on the board's oscillator, not on the array's clock
  // (fp8sa_board_core), so a real board's run is not counted in cycles.
  const int baud = ch.board_baud();
  const double hz = ch.board_clock_hz();
  const double peak = static_cast<double>(info.cfg.rows) * info.cfg.cols * info.cfg.dot_n * hz;
  if (hz > 0 && st.board_s > 0 && st.start_s > 0) {
    std::printf("board time: %.0f cycles at %.4g MHz (%.4g s, the link at %.4g Mbaud), %.3g MAC/s\n",
                st.board_s * hz, hz / 1e6, st.board_s, ch.byte_time_s() > 0 ? 10.0 / ch.byte_time_s() / 1e6 : baud / 1e6,
                macs / st.board_s);
    std::printf("array at work (START to its reply, %ld tiles): %.0f cycles, %.3g MAC/s = %.1f %% of the peak "
                "%d x %d x %d x %.4g MHz = %.3g MAC/s\n",
                st.tiles, st.start_s * hz, macs / st.start_s, 100.0 * macs / st.start_s / peak, info.cfg.rows,
                info.cfg.cols, info.cfg.dot_n, hz / 1e6, peak);
  }
  // The real link: 10 bits a byte (8N1) at the board's baud rate.
  const uint64_t frames = bytes - st.operand_bytes - st.init_bytes - st.result_bytes;
  const double line_s = static_cast<double>(bytes) * 10.0 / baud;
  std::printf("link bytes per MAC: %.4g (%" PRIu64 " operand, %" PRIu64 " C init, %" PRIu64 " result, %" PRIu64
              " frame bytes); at %d baud at most %.3g MAC/s\n",
              static_cast<double>(bytes) / macs, st.operand_bytes, st.init_bytes, st.result_bytes, frames, baud,
              macs / line_s);
  std::printf("a real board at %d baud, link and array in turn: about %.3g MAC/s (%.4g s line time + %.4g s array)\n",
              baud, macs / (line_s + st.start_s), line_s, st.start_s);
  const int wbytes = p.out_fmt == OutKind::Raw ? 4 : (p.out_fmt == OutKind::FP16 || p.out_fmt == OutKind::BF16) ? 2 : 1;
  const uint64_t keep_b = board::protocol_bytes(p.M, p.K, p.N, info.cfg.rows, info.cfg.cols, wbytes,
                                                p.C_init != nullptr, board::TileOrder::KeepB);
  std::printf("with B kept on chip across A tiles (computed): %.4g bytes per MAC, at %d baud at most %.3g MAC/s "
              "(A kept, as run: %.4g, %.3g)\n",
              static_cast<double>(keep_b) / macs, baud, macs / (static_cast<double>(keep_b) * 10.0 / baud),
              static_cast<double>(bytes) / macs, macs / line_s);
}

}  // namespace

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
      ch = board::open_serial(port, static_cast<int>(args.get_int("baud", 500000, 1, 4000000)));
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
  r.after_runs = [&r, &ops](double wall_s) {
    GemmProblem p;  // the shape and output the throughput lines need
    p.M = static_cast<int>(ops.A.rows);
    p.K = static_cast<int>(ops.A.cols);
    p.N = static_cast<int>(ops.B.cols);
    p.out_fmt = r.out_fmt;
    p.C_init = r.c_path.empty() ? nullptr : &kAnyInit;
    print_board_throughput(*r.board, p, wall_s);
  };
  try {
    return run_gemm(r, ops, "board", t_start);
  } catch (const board::BoardError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "fp8sa board: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace fp8sa::cli

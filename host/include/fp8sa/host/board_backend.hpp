// The board as a GEMM back-end ("board", cmodel's GemmBackend): asks the
// board for its array (INFO), then puts each problem on it tile by tile
// through the model's one tiler (fp8sa/gemm_tiling.hpp, the tiling of
// docs/array.md that the cycle model and the Verilated array are fed by):
// ARRAY_RESET first, so its LFSRs start from their seeds; one CONFIG; per
// tile LOAD_A when the tile row changes, LOAD_B, LOAD_C with C_init, START,
// READ. So its bits equal the other back-ends' for config(). K must not
// exceed the board's K_MAX.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fp8sa/backend.hpp"
#include "fp8sa/host/board_link.hpp"

namespace fp8sa::board {

// What one run() moved over the link and how long it took in board time
// (the channel's clock: simulated cycles / SYS_HZ on the simulated board,
// wall time on a serial port): fp8sa board's throughput report.
struct BoardRunStats {
  uint64_t macs = 0;              // M x K x N
  long tiles = 0, a_loads = 0;    // START count; LOAD_A count (one per tile row)
  uint64_t bytes_sent = 0, bytes_received = 0;  // frames included
  uint64_t operand_bytes = 0;     // LOAD_A and LOAD_B payloads
  uint64_t init_bytes = 0;        // LOAD_C payloads
  uint64_t result_bytes = 0;      // READ payloads (outputs and the flags byte)
  double board_s = 0;             // the whole run: ARRAY_RESET to the last READ's reply
  double start_s = 0;             // summed START turnarounds: the array at work (BoardLink::last_turnaround_s)
};

// The order of the tiles on the link. KeepA is run()'s (and every other
// back-end's): row-major, A loaded once per tile row and kept on chip
// across the row's B tiles. KeepB (column-major, B loaded once per tile
// column and kept across the column's A tiles) is computed here only, for
// the report: it changes the tiles' order, and with it the PEs' LFSR draws
// under SR, so it is not bit-exact with the other back-ends.
enum class TileOrder { KeepA, KeepB };

// Bytes both ways (every frame, request and reply, with its sync, header and
// CRC) of a GEMM on a rows x cols board by run()'s sequence: ARRAY_RESET,
// CONFIG, then per tile the loads its order needs, LOAD_C (c_init), START,
// READ (out_bytes per output word). An independent count of what run()
// sends and receives (tests/cosim/test_board_sim.cpp compares the two).
uint64_t protocol_bytes(int M, int K, int N, int rows, int cols, int out_bytes, bool c_init, TileOrder order);

class BoardBackend : public GemmBackend {
 public:
  // Sends INFO; throws BoardError when the board does not answer it.
  explicit BoardBackend(std::unique_ptr<ByteChannel> ch, double reply_timeout_s = 2.0);
  std::string name() const override { return "board"; }
  const ArrayConfig& config() const override { return info_.cfg; }
  GemmRun run(const GemmProblem& p, const GemmRunOptions& opt = {}) override;

  const BoardInfo& info() const { return info_; }
  BoardLink& link() { return link_; }
  // The last run()'s link traffic and board time.
  const BoardRunStats& last_run() const { return stats_; }

 private:
  std::unique_ptr<ByteChannel> ch_;
  BoardLink link_;
  BoardInfo info_;
  BoardRunStats stats_;
};

}  // namespace fp8sa::board

// The board as a GEMM back-end ("board", cmodel's GemmBackend): asks the
// board for its array (INFO), then puts each problem on it tile by tile
// through the model's one tiler (fp8sa/gemm_tiling.hpp, the tiling of
// docs/array.md that the cycle model and the Verilated array are fed by):
// ARRAY_RESET first, so its LFSRs start from their seeds; one CONFIG; per
// tile LOAD_A when the tile row changes, LOAD_B, LOAD_C with C_init, START,
// READ. So its bits equal the other back-ends' for config(). K must not
// exceed the board's K_MAX.
#pragma once

#include <memory>
#include <string>

#include "fp8sa/backend.hpp"
#include "fp8sa/host/board_link.hpp"

namespace fp8sa::board {

class BoardBackend : public GemmBackend {
 public:
  // Sends INFO; throws BoardError when the board does not answer it.
  explicit BoardBackend(std::unique_ptr<ByteChannel> ch, double reply_timeout_s = 2.0);
  std::string name() const override { return "board"; }
  const ArrayConfig& config() const override { return info_.cfg; }
  GemmRun run(const GemmProblem& p, const GemmRunOptions& opt = {}) override;

  const BoardInfo& info() const { return info_; }
  BoardLink& link() { return link_; }

 private:
  std::unique_ptr<ByteChannel> ch_;
  BoardLink link_;
  BoardInfo info_;
};

}  // namespace fp8sa::board

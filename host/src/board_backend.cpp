// The board as a GEMM back-end (board_backend.hpp): the model's tiler
// (gemm_tiling.hpp) decides what each tile carries; this file only turns
// tiles into LOAD/START/READ frames.
#include "fp8sa/host/board_backend.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "fp8sa/gemm_tiling.hpp"

namespace fp8sa::board {

uint64_t protocol_bytes(int M, int K, int N, int rows, int cols, int out_bytes, bool c_init, TileOrder order) {
  // Frame overhead: a request is sync, CMD, LEN (2), payload, CRC (2); a
  // reply sync, STATUS, CMD, LEN (2), payload, CRC (2) (docs/fpga.md "Frames").
  constexpr uint64_t kReq = 6, kRep = 7;
  const auto u = [](long v) { return static_cast<uint64_t>(v); };
  const uint64_t tm = u((M + rows - 1) / rows), tn = u((N + cols - 1) / cols), tiles = tm * tn;
  const uint64_t a_loads = order == TileOrder::KeepA ? tm : tiles;
  const uint64_t b_loads = order == TileOrder::KeepA ? tiles : tn;
  const uint64_t rc = u(rows) * u(cols);
  uint64_t bytes = (kReq + kRep) + (kReq + protocol::ProtoCfgLen + kRep);  // ARRAY_RESET, CONFIG
  bytes += a_loads * (kReq + u(K) * u(rows) + kRep);                     // LOAD_A
  bytes += b_loads * (kReq + u(K) * u(cols) + kRep);                     // LOAD_B
  if (c_init) bytes += tiles * (kReq + 4 * rc + kRep);                   // LOAD_C
  bytes += tiles * (kReq + 1 + kRep + 1);                                // START (use_init; flags)
  bytes += tiles * (kReq + kRep + rc * u(out_bytes) + 1);                // READ (outputs, flags)
  return bytes;
}

BoardBackend::BoardBackend(std::unique_ptr<ByteChannel> ch, double reply_timeout_s)
    : ch_(std::move(ch)), link_(*ch_, reply_timeout_s), info_(link_.info()) {}

GemmRun BoardBackend::run(const GemmProblem& p, const GemmRunOptions& /*opt*/) {
  p.validate();
  const ArrayConfig& cfg = info_.cfg;
  if (p.K > info_.k_max)
    throw std::invalid_argument("K = " + std::to_string(p.K) + " is over the board's K_MAX of " +
                                std::to_string(info_.k_max));
  if (static_cast<int>(p.rnd) >= info_.rnd_modes)
    throw std::invalid_argument(std::string("the board's PEs have no ") + (p.rnd == Round::SR ? "SR" : "RZ") +
                                " hardware (RND_MODES " + std::to_string(info_.rnd_modes) + ")");
  if (is_quantized(p.out_fmt) && !info_.out_quant)
    throw std::invalid_argument("the board's array has no quantizer bank: use --out-fmt fp32");
  // K products per tile whatever the PE: the board streams them DOT_N per
  // step itself (+0 past K, as the tiler pads), so the tiles are the FMA's.
  const GemmTiling tiling(p, cfg.rows, cfg.cols, 1);
  const int R = tiling.R, C = tiling.C, K = p.K;
  const int wbytes = p.out_fmt == OutKind::Raw ? 4 : (p.out_fmt == OutKind::FP16 || p.out_fmt == OutKind::BF16) ? 2 : 1;

  GemmRun run;
  run.rows = R;
  run.cols = C;
  GemmOutput& o = run.out;
  tiling.start_output(&o);

  stats_ = BoardRunStats{};
  stats_.macs = static_cast<uint64_t>(p.M) * static_cast<uint64_t>(p.K) * static_cast<uint64_t>(p.N);
  const uint64_t sent0 = link_.bytes_sent(), received0 = link_.bytes_received();
  const double t0 = ch_->now();
  link_.array_reset();
  link_.config(TileConfig{p.K, p.fmt_a, p.fmt_b, p.rnd, p.out_fmt, p.out_rnd, p.sat, p.scale});

  // LOAD_A and LOAD_B are step-major (docs/fpga.md): byte k*ROWS + r, k*COLS + c.
  std::vector<uint8_t> a(static_cast<size_t>(K) * static_cast<size_t>(R));
  std::vector<uint8_t> b(static_cast<size_t>(K) * static_cast<size_t>(C));
  std::vector<uint32_t> c(static_cast<size_t>(R) * static_cast<size_t>(C));
  for (long t = 0; t < tiling.tiles; ++t) {
    const int ti = tiling.tile_row(t), tj = tiling.tile_col(t);
    if (tj == 0) {  // a new tile row: its A rows
      for (int k = 0; k < K; ++k)
        for (int r = 0; r < R; ++r) a[static_cast<size_t>(k * R + r)] = tiling.a(ti, r, k);
      link_.load_a(a);
      ++stats_.a_loads;
      stats_.operand_bytes += a.size();
    }
    for (int k = 0; k < K; ++k)
      for (int cc = 0; cc < C; ++cc) b[static_cast<size_t>(k * C + cc)] = tiling.b(tj, cc, k);
    link_.load_b(b);
    stats_.operand_bytes += b.size();
    if (p.C_init) {
      for (int r = 0; r < R; ++r)
        for (int cc = 0; cc < C; ++cc) c[static_cast<size_t>(r * C + cc)] = tiling.init(ti, tj, r, cc);
      link_.load_c(c);
      stats_.init_bytes += 4 * c.size();
    }
    link_.start(p.C_init != nullptr);
    stats_.start_s += link_.last_turnaround_s();
    uint8_t flags = 0;
    const std::vector<uint32_t> w = link_.read(R * C, wbytes, &flags);
    for (int r = 0; r < R; ++r) tiling.put_row(&o, ti, tj, r, &w[static_cast<size_t>(r * C)]);
    o.tile_flags[static_cast<size_t>(t)] = flags;
    stats_.result_bytes += w.size() * static_cast<size_t>(wbytes) + 1;
    ++stats_.tiles;
  }
  stats_.board_s = ch_->now() - t0;
  stats_.bytes_sent = link_.bytes_sent() - sent0;
  stats_.bytes_received = link_.bytes_received() - received0;
  return run;
}

}  // namespace fp8sa::board

// The board link's transactions (docs/fpga.md "Host link"): one request,
// one reply, strictly in turn, over any ByteChannel; and what INFO and
// CONFIG carry. board_backend.hpp puts a GEMM on top.
#pragma once

#include <cstdint>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/host/channel.hpp"
#include "fp8sa/host/protocol.hpp"
#include "fp8sa/numerics.hpp"

namespace fp8sa::board {

// What INFO reports: the board's array and link parameters and state.
struct BoardInfo {
  int version_major = 0, version_minor = 0;
  ArrayConfig cfg;                 // the array the board carries (mul/q stages included)
  int k_max = 0;
  int clks_per_bit = 0;
  int rnd_modes = 3;               // the PEs' rounding hardware: 1 RNE, 2 +RZ, 3 +SR
  bool out_quant = true;           // false: no quantizer bank (raw fp32/accumulator output only)
  uint8_t state = 0;               // bit 0 configured, 1 A, 2 B, 3 C loaded, 4 a result
  int tiles = 0;                   // tiles since the last array reset, mod 256
  uint8_t errors[7] = {};          // bad CRC, unknown, wrong state, bad length, bad value, timeout, UART framing
};

// The tile controls CONFIG writes, in its payload order (docs/fpga.md).
struct TileConfig {
  int k = 1;
  Fp8Format fmt_a = Fp8Format::E4M3, fmt_b = Fp8Format::E4M3;
  Round rnd = Round::RNE;
  OutKind out_fmt = OutKind::Raw;
  Round out_rnd = Round::RNE;
  bool sat = false;
  int scale = 0;
};

class BoardLink {
 public:
  // reply_timeout_s bounds each whole reply, from the request to its last
  // byte (a tile's START reply comes when the tile is done): bytes that are
  // not a reply's sync byte (line noise, a wrong baud rate, the wrong
  // device) do not extend it. A reply's announced payload adds its own line
  // time at the board's baud rate (10 bits a byte) to the bound.
  explicit BoardLink(ByteChannel& ch, double reply_timeout_s = 2.0) : ch_(ch), timeout_s_(reply_timeout_s) {}

  // Sends a frame and returns the reply; throws BoardError when none comes
  // or it is malformed (bad sync, CRC, or it answers another command).
  Reply transact(uint8_t cmd, const std::vector<uint8_t>& payload);
  // Sends raw bytes (tests: malformed and truncated frames) and reads one reply.
  void send_raw(const std::vector<uint8_t>& bytes);
  Reply read_reply();
  // transact() that throws BoardError unless the status is Ok.
  Reply expect_ok(uint8_t cmd, const std::vector<uint8_t>& payload, const char* what);

  BoardInfo info();
  void array_reset();
  void config(const TileConfig& c);
  void load_a(const std::vector<uint8_t>& step_major);  // ROWS x K: byte k*ROWS + r = A[r][k]
  void load_b(const std::vector<uint8_t>& step_major);  // K x COLS: byte k*COLS + c = B[k][c]
  void load_c(const std::vector<uint32_t>& words);       // ROWS x COLS, row-major
  uint8_t start(bool use_init);                          // the tile's flags
  // The last tile's outputs (ROWS x COLS, row-major; bytes per word from the
  // output format) and its flags.
  std::vector<uint32_t> read(int outputs, int bytes_per_word, uint8_t* flags);

  ByteChannel& channel() { return ch_; }
  uint64_t bytes_sent() const { return sent_; }
  uint64_t bytes_received() const { return received_; }
  // Board time (the channel's clock) from the end of the last request that
  // transact() sent to the start of its reply (the sync byte's arrival less
  // its byte time on the line): for START, the tile's run on the array and
  // the board's few cycles of turnaround.
  double last_turnaround_s() const { return turnaround_s_; }

 private:
  ByteChannel& ch_;
  double timeout_s_;
  uint64_t sent_ = 0, received_ = 0;
  double sync_at_s_ = 0;      // board time the last reply's sync byte arrived
  double turnaround_s_ = 0;
};

}  // namespace fp8sa::board

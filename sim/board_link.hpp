// The host side of the fp8sa board's framed UART protocol (docs/fpga.md
// "Host link"; the board side is rtl/board/fp8sa_host_link.v): frames and their
// CRC, one request/reply transaction at a time over a byte channel, and the
// board as a GEMM back-end that tiles any M x K x N onto the board's array.
//
// The channel is the only thing that differs between a real board (a serial
// port, open_serial) and the simulated one (the Verilated board core behind
// a bit-level UART model, open_sim_board in board_sim.hpp): the protocol
// code and the tiling above it are the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/backend.hpp"

namespace fp8sa::board {

// Any failure of the link: no reply, a malformed reply, an error status
// where none was expected. The message names what happened (without a
// "board:" prefix: the command's error line says where it comes from).
class BoardError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A byte pipe to a board. read() returns after n bytes or when timeout_s
// passes since the call (board time: wall time for a serial port, simulated
// time for the simulated board), with the bytes it got; now() is that clock.
class ByteChannel {
 public:
  virtual ~ByteChannel() = default;
  virtual void write(const uint8_t* data, size_t n) = 0;
  virtual size_t read(uint8_t* data, size_t n, double timeout_s) = 0;
  virtual double now() const;                 // board time in seconds (default: the steady wall clock)
  virtual void idle(double seconds) = 0;     // let board time pass with the line idle
  virtual bool reset_board() { return false; } // pulse the board's reset, where the channel can
  virtual std::string describe() const = 0;   // "/dev/ttyUSB1 at 115200 baud", "simulated icebreaker"
  virtual int board_baud() const = 0;         // the real link's rate (the simulated board's real counterpart's)
};

// A serial port in raw 8N1 mode. Throws std::invalid_argument naming the
// port and the reason when it cannot be opened or set up.
std::unique_ptr<ByteChannel> open_serial(const std::string& port, int baud);

// ---------------------------------------------------------------------------
// Protocol constants (docs/fpga.md)
// ---------------------------------------------------------------------------
constexpr uint8_t kSyncRequest = 0xA5, kSyncReply = 0x5A;
enum Cmd : uint8_t {
  kCmdInfo = 0x01, kCmdConfig = 0x02, kCmdArrayReset = 0x03,
  kCmdLoadA = 0x10, kCmdLoadB = 0x11, kCmdLoadC = 0x12,
  kCmdStart = 0x20, kCmdRead = 0x21,
};
enum class Status : uint8_t { Ok = 0, BadCrc = 1, UnknownCmd = 2, WrongState = 3, BadLength = 4, BadValue = 5, Timeout = 6 };
const char* status_name(Status s);

// CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, MSB first, no
// final XOR) over data, continuing from crc.
uint16_t crc16(const uint8_t* data, size_t n, uint16_t crc = 0xFFFF);
// A complete request frame: 0xA5, cmd, LEN (LE), payload, CRC (LE).
std::vector<uint8_t> make_frame(uint8_t cmd, const std::vector<uint8_t>& payload);

struct Reply {
  Status status = Status::Ok;
  uint8_t cmd = 0;                 // the command the reply answers
  std::vector<uint8_t> payload;
};

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

// The tile controls CONFIG writes.
struct TileConfig {
  int k = 1;
  Fp8Format fmt_a = Fp8Format::E4M3, fmt_b = Fp8Format::E4M3;
  Round rnd = Round::RNE;
  OutKind out_fmt = OutKind::Raw;
  Round out_rnd = Round::RNE;
  bool sat = false;
  int scale = 0;
};

// One request, one reply, strictly in turn.
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

 private:
  ByteChannel& ch_;
  double timeout_s_;
  uint64_t sent_ = 0, received_ = 0;
};

// The board as a GEMM back-end ("board"): asks the board for its array
// (INFO), then tiles each problem onto it exactly as docs/array.md "GEMM
// tiling" does (ARRAY_RESET first, so its LFSRs start from their seeds;
// one CONFIG; per tile LOAD_A when the tile row changes, LOAD_B, LOAD_C with
// C_init, START, READ), so its bits equal the other back-ends' for
// config(). K must not exceed the board's K_MAX.
class BoardBackend : public GemmBackend {
 public:
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

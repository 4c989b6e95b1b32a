// A byte pipe to a board (docs/fpga.md "Host link"): the only thing that
// differs between a real board (a serial port, open_serial here) and the
// simulated one (the Verilated board core behind a bit-level UART model,
// open_sim_board in sim/board_sim.hpp, RTL builds only): the protocol code
// and the tiling above it (board_link.hpp) are the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace fp8sa::board {

// read() returns after n bytes or when timeout_s passes since the call
// (board time: wall time for a serial port, simulated time for the
// simulated board), with the bytes it got; now() is that clock.
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
  // The board's array clock where the channel knows it (the simulated
  // board: its SYS_HZ in fpga/boards.txt); 0 where it does not (a serial
  // port: INFO's CLKS_PER_BIT counts the UART's own clock, not the array's).
  virtual double board_clock_hz() const { return 0; }
  // Board time one byte takes on this channel's line (10 bits, 8N1): the
  // port's baud rate, or the simulated board's simulation rate.
  virtual double byte_time_s() const { return board_baud() > 0 ? 10.0 / board_baud() : 0.0; }
};

// A serial port (or a pseudo-terminal) in raw 8N1 mode. Throws
// std::invalid_argument naming the port and the reason when it cannot be
// opened or set up; write and read errors later are BoardError.
std::unique_ptr<ByteChannel> open_serial(const std::string& port, int baud);

}  // namespace fp8sa::board

// The simulated board: the Verilated fp8sa_board_core of each board in
// fpga/boards.txt (the board's array, K_MAX and link; a fast simulation baud
// rate, sim_clks_per_bit(), and a short frame timeout, sim_timeout_cycles()),
// behind a bit-level UART model on the host side, as a board::ByteChannel
// (host/include/fp8sa/host/channel.hpp). The host code that drives a real
// board over a serial port (host/, fp8sa_host) runs unchanged against it
// (fp8sa board --sim NAME).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fp8sa/host/channel.hpp"

namespace fp8sa::board {

// The simulated boards' link parameters (set in sim/CMakeLists.txt, where
// the board cores are Verilated with them).
int sim_clks_per_bit();     // UART clock cycles per UART bit
int sim_timeout_cycles();   // cycles without a byte that end a frame

struct SimBoardInfo {
  std::string name;        // "icebreaker", "ulx3s"
  std::string part;        // the FPGA the real board carries
  double clock_hz = 0;     // the real board's array clock: simulated time runs at this rate
  int baud = 0;            // the real board's UART rate
  double uart_hz = 0;      // the real board's UART clock (its oscillator: fp8sa_board_core's uart_clk_i)
};

// The simulated boards built into this binary.
const std::vector<SimBoardInfo>& sim_boards();

// A new simulated board NAME, out of reset. Throws std::invalid_argument
// naming the built boards for an unknown NAME. vcd_path: a waveform of the
// whole simulation ("" for none).
std::unique_ptr<ByteChannel> open_sim_board(const std::string& name, const std::string& vcd_path = "");

}  // namespace fp8sa::board

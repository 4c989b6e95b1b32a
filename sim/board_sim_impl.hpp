// Template adapter from a Verilated fp8sa_board_core (class V) to a
// board::ByteChannel with a bit-level UART on the host side, clocked at the
// real board's two frequencies (the array's and the UART's). Included by the
// registry CMake generates from fpga/boards.txt.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>

#include "board_sim.hpp"
#include "verilated.h"
#include "verilated_vcd_c.h"

namespace fp8sa::board {

// The VCD's file, for Verilated's VCD writer: a failed write is recorded
// (and the writer told it succeeded) instead of reaching Verilated's fatal
// path, which flushes the trace again under a mutex its thread already
// holds (a deadlock). SimBoard checks failed() after every dump and turns
// it into one error line.
class CheckedVcdFile final : public VerilatedVcdFile {
 public:
  bool open(const std::string& name) override {
    struct stat st {};
    if (::stat(name.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      error_ = "it is a directory";
      return false;
    }
    fd_ = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0666);
    if (fd_ < 0) {
      error_ = std::strerror(errno);
      return false;
    }
    const int fl = ::fcntl(fd_, F_GETFL);
    if (fl >= 0) ::fcntl(fd_, F_SETFL, fl & ~O_NONBLOCK);
    return true;
  }
  void close() override {
    if (fd_ >= 0 && ::close(fd_) != 0 && error_.empty()) error_ = std::strerror(errno);
    fd_ = -1;
  }
  ssize_t write(const char* bufp, ssize_t len) override {
    if (fd_ < 0 || !error_.empty()) return len;  // after an error: dropped, already reported
    ssize_t done = 0;
    while (done < len) {
      const ssize_t w = ::write(fd_, bufp + done, static_cast<size_t>(len - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error_ = w < 0 ? std::strerror(errno) : "short write";
        return len;
      }
      done += w;
    }
    return len;
  }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  ~CheckedVcdFile() override { close(); }

 private:
  int fd_ = -1;
  std::string error_;
};

template <class V>
class SimBoard final : public ByteChannel {
 public:
  SimBoard(const SimBoardInfo& info, const std::string& vcd_path)
      : info_(info), ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->fatalOnError(false);
    if (!vcd_path.empty()) ctx_->traceEverOn(true);
    top_ = std::make_unique<V>(ctx_.get(), "fp8sa_board_core");
    if (!vcd_path.empty()) {
      // The path is checked before the simulation starts: created (a
      // directory or a missing folder is an error), and the header flushed
      // to it (a full disk or /dev/full fails here).
      vcd_path_ = vcd_path;
      tfp_ = std::make_unique<VerilatedVcdC>(&vcd_file_);
      top_->trace(tfp_.get(), 99);
      tfp_->open(vcd_path.c_str());
      if (!tfp_->isOpen()) {
        tfp_.reset();
        throw std::invalid_argument("--vcd " + vcd_path + ": cannot create: " + vcd_file_.error());
      }
      tfp_->flush();
      check_vcd();
    }
    top_->uart_rx_i = 1;
    top_->clk_i = 0;
    top_->uart_clk_i = 0;
    // The two clocks' half periods in picoseconds (the VCD's time unit). The
    // array's clock starts a third of a UART period late, so that its edges
    // never coincide with the UART clock's even when one divides the other,
    // as on the real boards (the iCEBreaker's divider and the ULX3S's PLL
    // add their own delay): the crossings see both clocks' phases.
    sys_half_ps_ = 0.5e12 / info_.clock_hz;
    uart_half_ps_ = 0.5e12 / info_.uart_hz;
    next_uart_ps_ = uart_half_ps_;
    next_sys_ps_ = sys_half_ps_ + 2.0 * uart_half_ps_ / 3.0;
    reset_board();
  }
  ~SimBoard() override {
    Verilated::threadContextp(ctx_.get());
    if (tfp_) tfp_->close();  // a write error here was reported already, or is dropped (no throw from a destructor)
    tfp_.reset();
    top_->final();
    top_.reset();
  }

  void write(const uint8_t* data, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      // 8N1, LSB first: start bit, eight data bits, stop bit.
      const unsigned frame = (1u << 9) | (static_cast<unsigned>(data[i]) << 1);
      for (int bit = 0; bit < 10; ++bit) {
        top_->uart_rx_i = (frame >> bit) & 1u;
        for (int c = 0; c < sim_clks_per_bit(); ++c) uart_cycle();
      }
    }
    top_->uart_rx_i = 1;
  }

  // timeout_s bounds the whole call (board time), as on a serial port.
  size_t read(uint8_t* data, size_t n, double timeout_s) override {
    const uint64_t limit = cycles_for(timeout_s);
    size_t got = 0;
    uint64_t waited = 0;
    while (got < n) {
      if (!rx_bytes_.empty()) {
        data[got++] = rx_bytes_.front();
        rx_bytes_.pop_front();
        continue;
      }
      if (waited++ >= limit) break;
      uart_cycle();
    }
    return got;
  }

  double now() const override { return now_ps_ * 1e-12; }

  void idle(double seconds) override {
    for (uint64_t c = cycles_for(seconds); c > 0; --c) uart_cycle();
  }

  // Reset held for four cycles of each clock, then four more of each for
  // the core's reset synchronizers.
  bool reset_board() override {
    top_->rst_ni = 0;
    both_clocks(4);
    top_->rst_ni = 1;
    both_clocks(4);
    rx_state_ = 0;
    return true;
  }

  int board_baud() const override { return info_.baud; }
  double board_clock_hz() const override { return info_.clock_hz; }
  double byte_time_s() const override { return 10.0 * sim_clks_per_bit() / info_.uart_hz; }

  std::string describe() const override {
    return "simulated " + info_.name + " (" + info_.part + ", Verilated fp8sa_board_core, " +
           std::to_string(sim_clks_per_bit()) + " UART clocks per bit)";
  }

 private:
  // UART clock cycles in SECONDS.
  uint64_t cycles_for(double seconds) const {
    const double c = seconds * info_.uart_hz;
    return c <= 0 ? 0 : static_cast<uint64_t>(c);
  }

  void check_vcd() const {
    if (vcd_file_.failed())
      throw std::invalid_argument("--vcd " + vcd_path_ + ": write error: " + vcd_file_.error());
  }

  // The next clock edge (either clock, or both when they coincide).
  void edge() {
    const double t = std::min(next_uart_ps_, next_sys_ps_);
    bool uart_rise = false;
    if (next_uart_ps_ <= t) {
      top_->uart_clk_i = !top_->uart_clk_i;
      uart_rise = top_->uart_clk_i;
      next_uart_ps_ += uart_half_ps_;
    }
    if (next_sys_ps_ <= t) {
      top_->clk_i = !top_->clk_i;
      if (top_->clk_i) ++sys_cycles_;
      next_sys_ps_ += sys_half_ps_;
    }
    now_ps_ = t;
    top_->eval();
    if (tfp_) {
      tfp_->dump(static_cast<uint64_t>(t));
      check_vcd();
    }
    if (uart_rise) {
      ++uart_cycles_;
      sample_tx(top_->uart_tx_o & 1u);  // the host's receiver samples the board's TX line
    }
  }

  // One UART clock cycle (and the array clock's edges within it).
  void uart_cycle() {
    const uint64_t end = uart_cycles_ + 1;
    while (uart_cycles_ < end) edge();
  }

  // At least N cycles of each clock.
  void both_clocks(uint64_t n) {
    const uint64_t u = uart_cycles_ + n, s = sys_cycles_ + n;
    while (uart_cycles_ < u || sys_cycles_ < s) edge();
  }

  // Host UART receiver: a falling edge starts a byte; bits are sampled in
  // their middles; a byte whose stop bit is 0 is dropped (framing error).
  void sample_tx(unsigned line) {
    switch (rx_state_) {
      case 0:
        if (!line) {
          rx_state_ = 1;
          rx_count_ = sim_clks_per_bit() / 2;
          rx_bit_ = 0;
          rx_shift_ = 0;
        }
        break;
      default:
        if (--rx_count_ > 0) break;
        rx_count_ = sim_clks_per_bit();
        if (rx_bit_ == 0) {
          if (line) rx_state_ = 0;  // glitch
        } else if (rx_bit_ <= 8) {
          rx_shift_ |= line << (rx_bit_ - 1);
        } else {
          if (line) rx_bytes_.push_back(static_cast<uint8_t>(rx_shift_));
          rx_state_ = 0;
        }
        ++rx_bit_;
        break;
    }
  }

  SimBoardInfo info_;
  CheckedVcdFile vcd_file_;  // outlives tfp_, which writes through it
  std::string vcd_path_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
  std::unique_ptr<VerilatedVcdC> tfp_;
  double sys_half_ps_ = 0, uart_half_ps_ = 0;  // the clocks' half periods
  double next_sys_ps_ = 0, next_uart_ps_ = 0;  // their next edges
  double now_ps_ = 0;
  uint64_t sys_cycles_ = 0, uart_cycles_ = 0;  // rising edges so far
  std::deque<uint8_t> rx_bytes_;
  int rx_state_ = 0, rx_count_ = 0, rx_bit_ = 0;
  unsigned rx_shift_ = 0;
};

}  // namespace fp8sa::board

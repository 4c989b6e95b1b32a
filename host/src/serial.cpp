// The serial port behind a ByteChannel (channel.hpp): POSIX termios, raw 8N1.
#include "fp8sa/host/channel.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "fp8sa/host/protocol.hpp"

namespace fp8sa::board {

double ByteChannel::now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------
// Serial port (POSIX termios, raw 8N1)
// ---------------------------------------------------------------------------
namespace {

speed_t baud_constant(int baud) {
  switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 2000000: return B2000000;
    case 3000000: return B3000000;
    default: return 0;
  }
}

class SerialChannel : public ByteChannel {
 public:
  SerialChannel(const std::string& port, int baud) : port_(port), baud_(baud) {
    const speed_t sp = baud_constant(baud);
    if (sp == 0)
      throw std::invalid_argument("--baud " + std::to_string(baud) +
                                  ": not a supported rate (9600 ... 115200, 230400, 460800, 500000, 921600, 1000000, "
                                  "2000000, 3000000)");
    // O_NONBLOCK: open(2) waits neither for a modem's carrier nor for a
    // FIFO's other end; the port is made blocking again below (reads poll).
    fd_ = ::open(port.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ < 0) throw std::invalid_argument(port + ": " + std::strerror(errno));
    termios t{};
    if (tcgetattr(fd_, &t) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      throw std::invalid_argument(port + ": not a serial port (" + why + ")");
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~static_cast<tcflag_t>(CSTOPB | PARENB | CRTSCTS);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, sp);
    cfsetospeed(&t, sp);
    if (tcsetattr(fd_, TCSANOW, &t) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      throw std::invalid_argument(port + ": cannot set " + std::to_string(baud) + " baud 8N1 (" + why + ")");
    }
    tcflush(fd_, TCIOFLUSH);
    const int fl = ::fcntl(fd_, F_GETFL);
    if (fl >= 0) ::fcntl(fd_, F_SETFL, fl & ~O_NONBLOCK);
  }
  ~SerialChannel() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(const uint8_t* data, size_t n) override {
    while (n > 0) {
      const ssize_t w = ::write(fd_, data, n);
      if (w < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        throw BoardError(port_ + ": write: " + std::strerror(errno));
      }
      data += w;
      n -= static_cast<size_t>(w);
    }
  }
  size_t read(uint8_t* data, size_t n, double timeout_s) override {
    size_t got = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (got < n) {
      const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) break;
      pollfd pfd{fd_, POLLIN, 0};
      const int pr = ::poll(&pfd, 1, static_cast<int>(left * 1000) + 1);
      if (pr < 0 && errno != EINTR) throw BoardError(port_ + ": poll: " + std::strerror(errno));
      if (pr <= 0) continue;
      const ssize_t r = ::read(fd_, data + got, n - got);
      if (r < 0 && errno != EINTR && errno != EAGAIN) throw BoardError(port_ + ": read: " + std::strerror(errno));
      if (r > 0) got += static_cast<size_t>(r);
    }
    return got;
  }
  void idle(double seconds) override { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }
  std::string describe() const override { return port_ + " at " + std::to_string(baud_) + " baud"; }
  int board_baud() const override { return baud_; }

 private:
  std::string port_;
  int baud_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<ByteChannel> open_serial(const std::string& port, int baud) {
  return std::make_unique<SerialChannel>(port, baud);
}

}  // namespace fp8sa::board

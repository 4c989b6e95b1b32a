// Host side of the board protocol (board_link.hpp, docs/fpga.md).
#include "board_link.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <thread>

namespace fp8sa::board {

const char* status_name(Status s) {
  switch (s) {
    case Status::Ok: return "OK";
    case Status::BadCrc: return "BAD_CRC";
    case Status::UnknownCmd: return "UNKNOWN_CMD";
    case Status::WrongState: return "WRONG_STATE";
    case Status::BadLength: return "BAD_LENGTH";
    case Status::BadValue: return "BAD_VALUE";
    case Status::Timeout: return "TIMEOUT";
  }
  return "status?";
}

uint16_t crc16(const uint8_t* data, size_t n, uint16_t crc) {
  for (size_t i = 0; i < n; ++i) {
    crc = static_cast<uint16_t>(crc ^ (data[i] << 8));
    for (int b = 0; b < 8; ++b)
      crc = static_cast<uint16_t>((crc & 0x8000) ? ((crc << 1) ^ 0x1021) : (crc << 1));
  }
  return crc;
}

std::vector<uint8_t> make_frame(uint8_t cmd, const std::vector<uint8_t>& payload) {
  if (payload.size() > 0xFFFF) throw std::invalid_argument("frame payload over 65535 bytes");
  std::vector<uint8_t> f;
  f.reserve(payload.size() + 6);
  f.push_back(kSyncRequest);
  f.push_back(cmd);
  f.push_back(static_cast<uint8_t>(payload.size() & 0xFF));
  f.push_back(static_cast<uint8_t>(payload.size() >> 8));
  f.insert(f.end(), payload.begin(), payload.end());
  const uint16_t crc = crc16(f.data() + 1, f.size() - 1);
  f.push_back(static_cast<uint8_t>(crc & 0xFF));
  f.push_back(static_cast<uint8_t>(crc >> 8));
  return f;
}

// ---------------------------------------------------------------------------
// BoardLink
// ---------------------------------------------------------------------------

void BoardLink::send_raw(const std::vector<uint8_t>& bytes) {
  ch_.write(bytes.data(), bytes.size());
  sent_ += bytes.size();
}

double ByteChannel::now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {

// Seconds as a person writes them: "2 s", "0.5 s" (not "2.000000 s").
std::string secs(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%g s", s);
  return b;
}

}  // namespace

Reply BoardLink::read_reply() {
  // One deadline for the whole reply: noise before the sync byte and a
  // trickle of bytes cannot keep the wait going (board time, the channel's clock).
  double deadline = ch_.now() + timeout_s_;
  auto left = [&] { return std::max(0.0, deadline - ch_.now()); };
  uint8_t b = 0;
  uint64_t skipped = 0;
  // Skip to the reply's sync byte (a board that was reset mid-reply may have
  // left a partial one behind), then the header.
  for (;;) {
    if (ch_.read(&b, 1, left()) != 1)
      throw BoardError("no reply within " + secs(timeout_s_) +
                       (skipped ? " (" + std::to_string(skipped) + " bytes of noise, no reply's sync byte 0x5A: "
                                  "wrong device or baud rate?)"
                                : ""));
    ++received_;
    if (b == kSyncReply) break;
    ++skipped;
  }
  uint8_t hdr[4];
  if (ch_.read(hdr, 4, left()) != 4) throw BoardError("reply truncated in its header (no more bytes within " + secs(timeout_s_) + ")");
  received_ += 4;
  const size_t len = static_cast<size_t>(hdr[2]) | (static_cast<size_t>(hdr[3]) << 8);
  const int baud = ch_.board_baud();
  if (baud > 0) deadline += static_cast<double>(len + 2) * 10.0 / baud;  // the payload's line time
  std::vector<uint8_t> rest(len + 2);
  if (ch_.read(rest.data(), rest.size(), left()) != rest.size())
    throw BoardError("reply truncated (" + std::to_string(len) + " payload bytes announced)");
  received_ += rest.size();
  uint16_t crc = crc16(hdr, 4);
  crc = crc16(rest.data(), len, crc);
  const uint16_t got = static_cast<uint16_t>(rest[len] | (rest[len + 1] << 8));
  if (crc != got) throw BoardError("reply CRC mismatch");
  if (hdr[0] > static_cast<uint8_t>(Status::Timeout))
    throw BoardError("reply with unknown status " + std::to_string(hdr[0]));
  Reply r;
  r.status = static_cast<Status>(hdr[0]);
  r.cmd = hdr[1];
  r.payload.assign(rest.begin(), rest.begin() + static_cast<long>(len));
  return r;
}

Reply BoardLink::transact(uint8_t cmd, const std::vector<uint8_t>& payload) {
  send_raw(make_frame(cmd, payload));
  Reply r = read_reply();
  if (r.cmd != cmd && r.status == Status::Ok)
    throw BoardError("reply answers command " + std::to_string(r.cmd) + ", sent " + std::to_string(cmd));
  return r;
}

Reply BoardLink::expect_ok(uint8_t cmd, const std::vector<uint8_t>& payload, const char* what) {
  Reply r = transact(cmd, payload);
  if (r.status != Status::Ok) throw BoardError(std::string(what) + ": the board answered " + status_name(r.status));
  return r;
}

BoardInfo BoardLink::info() {
  const Reply r = expect_ok(kCmdInfo, {}, "INFO");
  const auto& p = r.payload;
  if (p.size() != 32 || p[0] != 'F' || p[1] != '8') throw BoardError("INFO reply is not an fp8sa board's");
  BoardInfo i;
  i.version_major = p[2];
  i.version_minor = p[3];
  i.cfg.rows = p[4];
  i.cfg.cols = p[5];
  i.cfg.acc.exp_bits = p[6];
  i.cfg.acc.man_bits = p[7];
  i.cfg.sr_bits = p[8];
  i.cfg.q_sr_bits = p[9];
  i.cfg.lfsr_w = p[10];
  i.cfg.mul_stages = p[11];
  i.cfg.q_stages = p[12];
  i.state = p[13];
  i.k_max = p[14] | (p[15] << 8);
  i.cfg.seed = static_cast<uint32_t>(p[16]) | (static_cast<uint32_t>(p[17]) << 8) |
               (static_cast<uint32_t>(p[18]) << 16) | (static_cast<uint32_t>(p[19]) << 24);
  i.clks_per_bit = p[20] | (p[21] << 8);
  i.tiles = p[22];
  i.rnd_modes = p[23] & 3;
  i.out_quant = (p[23] >> 2) & 1;
  for (int e = 0; e < 7; ++e) i.errors[e] = p[static_cast<size_t>(24 + e)];
  try {
    i.cfg.validate();
  } catch (const std::invalid_argument& e) {
    throw BoardError(std::string("INFO reports an invalid array: ") + e.what());
  }
  return i;
}

void BoardLink::array_reset() { expect_ok(kCmdArrayReset, {}, "ARRAY_RESET"); }

void BoardLink::config(const TileConfig& c) {
  const std::vector<uint8_t> p = {
      static_cast<uint8_t>(c.k & 0xFF), static_cast<uint8_t>((c.k >> 8) & 0xFF),
      static_cast<uint8_t>(c.fmt_a), static_cast<uint8_t>(c.fmt_b), static_cast<uint8_t>(c.rnd),
      static_cast<uint8_t>(c.out_fmt), static_cast<uint8_t>(c.out_rnd), static_cast<uint8_t>(c.sat ? 1 : 0),
      static_cast<uint8_t>(static_cast<int8_t>(c.scale))};
  expect_ok(kCmdConfig, p, "CONFIG");
}

void BoardLink::load_a(const std::vector<uint8_t>& v) { expect_ok(kCmdLoadA, v, "LOAD_A"); }
void BoardLink::load_b(const std::vector<uint8_t>& v) { expect_ok(kCmdLoadB, v, "LOAD_B"); }

void BoardLink::load_c(const std::vector<uint32_t>& words) {
  std::vector<uint8_t> p;
  p.reserve(words.size() * 4);
  for (uint32_t w : words)
    for (int b = 0; b < 4; ++b) p.push_back(static_cast<uint8_t>(w >> (8 * b)));
  expect_ok(kCmdLoadC, p, "LOAD_C");
}

uint8_t BoardLink::start(bool use_init) {
  const Reply r = expect_ok(kCmdStart, {static_cast<uint8_t>(use_init ? 1 : 0)}, "START");
  if (r.payload.size() != 1) throw BoardError("START reply without the flags byte");
  return r.payload[0];
}

std::vector<uint32_t> BoardLink::read(int outputs, int bytes_per_word, uint8_t* flags) {
  const Reply r = expect_ok(kCmdRead, {}, "READ");
  const size_t want = static_cast<size_t>(outputs) * static_cast<size_t>(bytes_per_word) + 1;
  if (r.payload.size() != want)
    throw BoardError("READ reply has " + std::to_string(r.payload.size()) + " bytes, expected " +
                     std::to_string(want));
  std::vector<uint32_t> out(static_cast<size_t>(outputs));
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t w = 0;
    for (int b = 0; b < bytes_per_word; ++b)
      w |= static_cast<uint32_t>(r.payload[i * static_cast<size_t>(bytes_per_word) + static_cast<size_t>(b)]) << (8 * b);
    out[i] = w;
  }
  *flags = r.payload.back();
  return out;
}

// ---------------------------------------------------------------------------
// BoardBackend
// ---------------------------------------------------------------------------

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
  const int R = cfg.rows, C = cfg.cols;
  const int tm = (p.M + R - 1) / R, tn = (p.N + C - 1) / C;
  const int wbytes = p.out_fmt == OutKind::Raw ? 4 : (p.out_fmt == OutKind::FP16 || p.out_fmt == OutKind::BF16) ? 2 : 1;

  GemmRun run;
  run.rows = R;
  run.cols = C;
  GemmOutput& o = run.out;
  o.M = p.M;
  o.N = p.N;
  o.tiles_m = tm;
  o.tiles_n = tn;
  o.out.assign(static_cast<size_t>(p.M) * static_cast<size_t>(p.N), 0);
  o.tile_flags.assign(static_cast<size_t>(tm) * static_cast<size_t>(tn), 0);

  link_.array_reset();
  TileConfig tc;
  tc.k = p.K;
  tc.fmt_a = p.fmt_a;
  tc.fmt_b = p.fmt_b;
  tc.rnd = p.rnd;
  tc.out_fmt = p.out_fmt;
  tc.out_rnd = p.out_rnd;
  tc.sat = p.sat;
  tc.scale = p.scale;
  link_.config(tc);

  const size_t K = static_cast<size_t>(p.K);
  const size_t N = static_cast<size_t>(p.N);
  std::vector<uint8_t> a(K * static_cast<size_t>(R)), b(K * static_cast<size_t>(C));
  std::vector<uint32_t> c(static_cast<size_t>(R) * static_cast<size_t>(C));
  for (int ti = 0; ti < tm; ++ti) {
    for (int r = 0; r < R; ++r) {
      const int row = ti * R + r;
      for (size_t k = 0; k < K; ++k)
        a[k * static_cast<size_t>(R) + static_cast<size_t>(r)] =
            row < p.M ? p.A[static_cast<size_t>(row) * K + k] : 0;
    }
    link_.load_a(a);
    for (int tj = 0; tj < tn; ++tj) {
      for (size_t k = 0; k < K; ++k)
        for (int cc = 0; cc < C; ++cc) {
          const int col = tj * C + cc;
          b[k * static_cast<size_t>(C) + static_cast<size_t>(cc)] = col < p.N ? p.B[k * N + static_cast<size_t>(col)] : 0;
        }
      link_.load_b(b);
      if (p.C_init) {
        for (int r = 0; r < R; ++r)
          for (int cc = 0; cc < C; ++cc) {
            const int row = ti * R + r, col = tj * C + cc;
            c[static_cast<size_t>(r * C + cc)] =
                (row < p.M && col < p.N) ? p.C_init[static_cast<size_t>(row) * N + static_cast<size_t>(col)] : 0;
          }
        link_.load_c(c);
      }
      link_.start(p.C_init != nullptr);
      uint8_t flags = 0;
      const std::vector<uint32_t> w = link_.read(R * C, wbytes, &flags);
      for (int r = 0; r < R; ++r)
        for (int cc = 0; cc < C; ++cc) {
          const int row = ti * R + r, col = tj * C + cc;
          if (row < p.M && col < p.N)
            o.out[static_cast<size_t>(row) * N + static_cast<size_t>(col)] = w[static_cast<size_t>(r * C + cc)];
        }
      o.tile_flags[static_cast<size_t>(ti * tn + tj)] = flags;
    }
  }
  return run;
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

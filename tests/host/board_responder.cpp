// A model board on a pseudo-terminal: the board's side of the host protocol
// (docs/fpga.md "Host link") answered by the C++ cycle model, for testing
// `fp8sa board --port` where no FPGA and no Verilator are (nortl_board_port.sh).
//
// usage: board_responder ROWS COLS ACC SEED PATH_FILE
// Opens a pty, writes the name of its terminal end (what --port takes) to
// PATH_FILE, and answers frames until the host side closes, or 60 s of
// silence. One persistent ArrayCycleModel plays the board's array: ARRAY_RESET
// resets it and every START runs one tile on it (a one-tile problem through
// gemm_stream), so the LFSRs advance from tile to tile as on the board.
//
// Written from docs/fpga.md, not from host/: the frames, the CRC and the
// replies are its own, so the host library is checked against the spec.
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/gemm_stream.hpp"
#include "fp8sa/numerics.hpp"

namespace {

using namespace fp8sa;

uint16_t crc_ccitt(const std::vector<uint8_t>& d, size_t from) {  // CRC-16/CCITT-FALSE
  uint16_t crc = 0xFFFF;
  for (size_t i = from; i < d.size(); ++i) {
    crc ^= static_cast<uint16_t>(d[i] << 8);
    for (int b = 0; b < 8; ++b) crc = static_cast<uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

class Pty {
 public:
  explicit Pty(double idle_s) : idle_ms_(static_cast<int>(idle_s * 1000)) {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) throw std::runtime_error("no pty");
    name_ = ptsname(master_);
    // Hold the terminal end open (raw, no echo) so that the master never
    // reads EIO between the host's open and close.
    slave_ = ::open(name_.c_str(), O_RDWR | O_NOCTTY);
    termios t{};
    tcgetattr(slave_, &t);
    cfmakeraw(&t);
    tcsetattr(slave_, TCSANOW, &t);
  }
  const std::string& name() const { return name_; }
  // One byte, or -1 after idle_ms of silence.
  int get() {
    pollfd p{master_, POLLIN, 0};
    if (::poll(&p, 1, idle_ms_) <= 0) return -1;
    uint8_t b;
    return ::read(master_, &b, 1) == 1 ? b : -1;
  }
  void put(const std::vector<uint8_t>& d) {
    size_t off = 0;
    while (off < d.size()) {
      const ssize_t w = ::write(master_, d.data() + off, d.size() - off);
      if (w <= 0) throw std::runtime_error("pty write");
      off += static_cast<size_t>(w);
    }
  }

 private:
  int master_ = -1, slave_ = -1, idle_ms_;
  std::string name_;
};

class ModelBoard {
 public:
  ModelBoard(const ArrayConfig& cfg) : cfg_(cfg), array_(std::make_unique<ArrayCycleModel>(cfg)) {}

  // The reply to one well-formed request.
  std::vector<uint8_t> answer(uint8_t cmd, const std::vector<uint8_t>& p) {
    const size_t R = static_cast<size_t>(cfg_.rows), C = static_cast<size_t>(cfg_.cols);
    switch (cmd) {
      case 0x01: {  // INFO
        std::vector<uint8_t> i(32, 0);
        const uint8_t v[] = {'F', '8', 1, 0, static_cast<uint8_t>(R), static_cast<uint8_t>(C),
                             static_cast<uint8_t>(cfg_.acc.exp_bits), static_cast<uint8_t>(cfg_.acc.man_bits),
                             static_cast<uint8_t>(cfg_.sr_bits), static_cast<uint8_t>(cfg_.q_sr_bits),
                             static_cast<uint8_t>(cfg_.lfsr_w), static_cast<uint8_t>(cfg_.mul_stages),
                             static_cast<uint8_t>(cfg_.q_stages), state_};
        std::memcpy(i.data(), v, sizeof v);
        i[14] = kKMax & 0xFF;
        i[15] = kKMax >> 8;
        for (int b = 0; b < 4; ++b) i[static_cast<size_t>(16 + b)] = static_cast<uint8_t>(cfg_.seed >> (8 * b));
        i[20] = 4;  // CLKS_PER_BIT: nothing here depends on it
        i[22] = static_cast<uint8_t>(tiles_);
        i[23] = 3 | 4;  // RND_MODES 3 (RNE, RZ, SR), OUT_QUANT
        return reply(0, cmd, i);
      }
      case 0x02: {  // CONFIG
        if (p.size() != 9) return reply(4, cmd, {});
        k_ = p[0] | (p[1] << 8);
        if (k_ < 1 || k_ > kKMax || p[2] > 1 || p[3] > 1 || p[4] > 2 || p[5] > 4 || p[6] > 2 || p[7] > 1)
          return reply(5, cmd, {});
        cmd_ = p;
        state_ = 1;
        return reply(0, cmd, {});
      }
      case 0x03:  // ARRAY_RESET
        array_ = std::make_unique<ArrayCycleModel>(cfg_);
        tiles_ = 0;
        state_ &= 1;
        return reply(0, cmd, {});
      case 0x10:
      case 0x11:
      case 0x12: {  // LOAD_A, LOAD_B, LOAD_C
        if (!(state_ & 1)) return reply(3, cmd, {});
        const size_t want = cmd == 0x10 ? k_ * R : cmd == 0x11 ? k_ * C : R * C * 4;
        const int bit = cmd == 0x10 ? 2 : cmd == 0x11 ? 4 : 8;
        state_ = static_cast<uint8_t>(state_ & ~bit);
        if (p.size() != want) return reply(4, cmd, {});
        (cmd == 0x10 ? a_ : cmd == 0x11 ? b_ : c_) = p;
        state_ = static_cast<uint8_t>(state_ | bit);
        return reply(0, cmd, {});
      }
      case 0x20: {  // START: one tile on the persistent array
        if (p.size() != 1) return reply(4, cmd, {});
        if (p[0] > 1) return reply(5, cmd, {});
        if ((state_ & 7) != 7 || (p[0] && !(state_ & 8))) return reply(3, cmd, {});
        run_tile(p[0] != 0);
        state_ |= 16;
        ++tiles_;
        return reply(0, cmd, {flags_});
      }
      case 0x21: {  // READ
        if (!(state_ & 16)) return reply(3, cmd, {});
        const int of = cmd_[5];
        const size_t bytes = of == 4 ? 4 : of >= 2 ? 2 : 1;
        std::vector<uint8_t> d;
        for (uint32_t w : out_)
          for (size_t b = 0; b < bytes; ++b) d.push_back(static_cast<uint8_t>(w >> (8 * b)));
        d.push_back(flags_);
        return reply(0, cmd, d);
      }
      default:
        return reply(2, cmd, {});
    }
  }

  static std::vector<uint8_t> reply(uint8_t status, uint8_t cmd, const std::vector<uint8_t>& p) {
    std::vector<uint8_t> f;
    f.reserve(p.size() + 7);
    for (uint8_t b : {uint8_t{0x5A}, status, cmd, static_cast<uint8_t>(p.size() & 0xFF), static_cast<uint8_t>(p.size() >> 8)})
      f.push_back(b);
    for (uint8_t b : p) f.push_back(b);
    const uint16_t crc = crc_ccitt(f, 1);
    f.push_back(static_cast<uint8_t>(crc & 0xFF));
    f.push_back(static_cast<uint8_t>(crc >> 8));
    return f;
  }

 private:
  static constexpr int kKMax = 1024;

  void run_tile(bool use_init) {
    const size_t R = static_cast<size_t>(cfg_.rows), C = static_cast<size_t>(cfg_.cols), K = static_cast<size_t>(k_);
    std::vector<uint8_t> A(R * K), B(K * C);
    for (size_t k = 0; k < K; ++k) {
      for (size_t r = 0; r < R; ++r) A[r * K + k] = a_[k * R + r];  // step-major on the wire
      for (size_t c = 0; c < C; ++c) B[k * C + c] = b_[k * C + c];
    }
    std::vector<uint32_t> init(R * C);
    for (size_t i = 0; use_init && i < init.size(); ++i)
      for (size_t b = 0; b < 4; ++b) init[i] |= static_cast<uint32_t>(c_[i * 4 + b]) << (8 * b);
    GemmProblem p;
    p.M = cfg_.rows;
    p.N = cfg_.cols;
    p.K = k_;
    p.A = A.data();
    p.B = B.data();
    p.C_init = use_init ? init.data() : nullptr;
    p.fmt_a = cmd_[2] ? Fp8Format::E5M2 : Fp8Format::E4M3;
    p.fmt_b = cmd_[3] ? Fp8Format::E5M2 : Fp8Format::E4M3;
    p.rnd = static_cast<Round>(cmd_[4]);
    p.out_fmt = static_cast<OutKind>(cmd_[5]);
    p.out_rnd = static_cast<Round>(cmd_[6]);
    p.sat = cmd_[7] != 0;
    p.scale = static_cast<int8_t>(cmd_[8]);
    GemmOutput o;
    gemm_stream(*array_, p, cfg_, &o);
    out_ = o.out;
    flags_ = o.tile_flags.at(0);
  }

  ArrayConfig cfg_;
  std::unique_ptr<ArrayCycleModel> array_;
  uint8_t state_ = 0, flags_ = 0;
  int k_ = 0, tiles_ = 0;
  std::vector<uint8_t> cmd_, a_, b_, c_;
  std::vector<uint32_t> out_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: board_responder ROWS COLS ACC SEED PATH_FILE\n");
    return 2;
  }
  try {
    ArrayConfig cfg;
    cfg.rows = std::atoi(argv[1]);
    cfg.cols = std::atoi(argv[2]);
    cfg.acc = AccFormat::parse(argv[3]);
    cfg.seed = static_cast<uint32_t>(std::strtoul(argv[4], nullptr, 0));
    cfg.validate();
    Pty pty(60.0);
    ModelBoard board(cfg);
    {
      FILE* f = std::fopen(argv[5], "w");
      if (!f) throw std::runtime_error(std::string(argv[5]) + ": cannot write");
      std::fprintf(f, "%s\n", pty.name().c_str());
      std::fclose(f);
    }
    unsigned frames = 0;
    for (;;) {
      int b = pty.get();
      if (b < 0) break;
      if (b != 0xA5) continue;  // outside a frame: skipped until the next sync byte
      std::vector<uint8_t> f = {0xA5};
      for (int i = 0; i < 3 && (b = pty.get()) >= 0; ++i) f.push_back(static_cast<uint8_t>(b));
      if (f.size() != 4) break;
      const size_t len = f[2] | (f[3] << 8);
      while (f.size() < 4 + len + 2 && (b = pty.get()) >= 0) f.push_back(static_cast<uint8_t>(b));
      if (f.size() != 4 + len + 2) break;
      const uint16_t got = static_cast<uint16_t>(f[4 + len] | (f[5 + len] << 8));
      f.resize(4 + len);
      if (crc_ccitt(f, 1) != got) {
        pty.put(ModelBoard::reply(1, f[1], {}));
        continue;
      }
      pty.put(board.answer(f[1], std::vector<uint8_t>(f.begin() + 4, f.end())));
      ++frames;
    }
    std::fprintf(stderr, "board_responder: %u frames answered\n", frames);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "board_responder: %s\n", e.what());
    return 1;
  }
}

// libFuzzer target: the host side of the board link (host/, fp8sa_host)
// with arbitrary bytes in place of the board: the reply decoder (sync byte
// search, header, payload, CRC, status), INFO's decoding and validation,
// and a small GEMM tiled onto whatever array INFO claims, every request
// answered from the input. A board that never answers is time passing on a
// virtual clock (the reply timeout). Allowed outcomes: a finished GEMM, a
// BoardError or std::invalid_argument of one line; never a crash, another
// exception, a hang or an allocation beyond one frame (64 KiB).
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp8sa/host/board_backend.hpp"

namespace {

using namespace fp8sa;
using namespace fp8sa::board;

// The board's side of the line: the fuzz input, byte by byte; an empty
// line makes a read wait out its timeout.
class FuzzChannel final : public ByteChannel {
 public:
  FuzzChannel(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  void write(const uint8_t*, size_t n) override { written_ += n; }
  size_t read(uint8_t* data, size_t n, double timeout_s) override {
    size_t got = 0;
    while (got < n && pos_ < n_) {
      data[got++] = d_[pos_++];
      t_ += 1e-4;  // a byte's line time
    }
    if (got < n) t_ += timeout_s;  // waited for the rest, in vain
    return got;
  }
  double now() const override { return t_; }
  void idle(double s) override { t_ += s; }
  std::string describe() const override { return "fuzz"; }
  int board_baud() const override { return 115200; }

 private:
  const uint8_t* d_;
  size_t n_, pos_ = 0;
  uint64_t written_ = 0;
  double t_ = 0;
};

void check_message(const std::exception& e) {
  const std::string m = e.what();
  if (m.empty() || m.size() > 400 || m.find('\n') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the problem's shape and options; the rest is the line.
  if (size == 0) return 0;
  const uint8_t sel = data[0];
  try {
    BoardBackend b(std::make_unique<FuzzChannel>(data + 1, size - 1), 0.5);
    const ArrayConfig& cfg = b.config();
    cfg.validate();  // INFO's array was validated: must not throw here
    const int M = 1 + (sel & 3), N = 1 + ((sel >> 2) & 3), K = 1 + ((sel >> 4) & 3);
    std::vector<uint8_t> A(static_cast<size_t>(M * K), 0x38), B(static_cast<size_t>(K * N), 0x38);
    std::vector<uint32_t> C(static_cast<size_t>(M * N), 0);
    GemmProblem p;
    p.M = M;
    p.K = K;
    p.N = N;
    p.A = A.data();
    p.B = B.data();
    p.C_init = (sel & 0x40) ? C.data() : nullptr;
    p.out_fmt = (sel & 0x80) ? OutKind::E4M3 : OutKind::Raw;
    const GemmRun r = b.run(p);
    if (r.out.out.size() != static_cast<size_t>(M * N)) std::abort();
  } catch (const BoardError& e) {
    check_message(e);
  } catch (const std::invalid_argument& e) {
    check_message(e);
  }
  return 0;
}

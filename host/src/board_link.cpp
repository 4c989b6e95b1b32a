// The board link's transactions (board_link.hpp, docs/fpga.md "Host link").
#include "fp8sa/host/board_link.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace fp8sa::board {

// ---------------------------------------------------------------------------
// BoardLink
// ---------------------------------------------------------------------------

void BoardLink::send_raw(const std::vector<uint8_t>& bytes) {
  ch_.write(bytes.data(), bytes.size());
  sent_ += bytes.size();
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
    if (b == kSyncReply) {
      sync_at_s_ = ch_.now();
      break;
    }
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
  if (!is_status(hdr[0]))
    throw BoardError("reply with unknown status " + std::to_string(hdr[0]));
  Reply r;
  r.status = static_cast<Status>(hdr[0]);
  r.cmd = hdr[1];
  r.payload.assign(rest.begin(), rest.begin() + static_cast<long>(len));
  return r;
}

Reply BoardLink::transact(uint8_t cmd, const std::vector<uint8_t>& payload) {
  send_raw(make_frame(cmd, payload));
  const double sent_at = ch_.now();
  Reply r = read_reply();
  turnaround_s_ = std::max(0.0, sync_at_s_ - sent_at - ch_.byte_time_s());
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
  if (p.size() != static_cast<size_t>(protocol::ProtoInfoLen) || p[0] != 'F' || p[1] != '8') throw BoardError("INFO reply is not an fp8sa board's");
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
  // Protocol 1.1: the PE (byte 23 bits 3-4 kind, 5-7 log2 DOT_N; byte 31
  // ALIGN_BITS and SR_KIND). A 1.0 board sends zeros there: the FMA.
  i.cfg.pe_kind = static_cast<PeKind>((p[23] >> 3) & 3);
  i.cfg.dot_n = 1 << ((p[23] >> 5) & 7);
  if ((p[31] & 63) != 0) i.cfg.align_bits = p[31] & 63;
  i.cfg.sr_kind = static_cast<SrKind>(p[31] >> 6);
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
  static_assert(protocol::ProtoCfgLen == 9, "CONFIG's payload above is 9 bytes (docs/fpga.md)");
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

}  // namespace fp8sa::board

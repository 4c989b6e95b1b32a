// Frames, CRC and status names of the board protocol (protocol.hpp).
#include "fp8sa/host/protocol.hpp"

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
  return nullptr;
}

bool is_status(uint8_t code) { return status_name(static_cast<Status>(code)) != nullptr; }

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

}  // namespace fp8sa::board

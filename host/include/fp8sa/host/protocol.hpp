// The fp8sa board's framed UART protocol (docs/fpga.md "Host link"), host
// side: the command and status codes (from the one table both sides read,
// rtl/board/fp8sa_host_protocol.vh, through the generated protocol_codes.hpp),
// the CRC and the request frame. No I/O here: channel.hpp moves the bytes,
// board_link.hpp holds the transactions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "fp8sa/host/protocol_codes.hpp"

namespace fp8sa::board {

// Any failure of the link: no reply, a malformed reply, an error status
// where none was expected. The message names what happened (without a
// "board:" prefix: the command's error line says where it comes from).
class BoardError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr uint8_t kSyncRequest = protocol::SyncReq, kSyncReply = protocol::SyncRep;
enum Cmd : uint8_t {
  kCmdInfo = protocol::CmdInfo,
  kCmdConfig = protocol::CmdConfig,
  kCmdArrayReset = protocol::CmdArrayReset,
  kCmdLoadA = protocol::CmdLoadA,
  kCmdLoadB = protocol::CmdLoadB,
  kCmdLoadC = protocol::CmdLoadC,
  kCmdStart = protocol::CmdStart,
  kCmdRead = protocol::CmdRead,
};
enum class Status : uint8_t {
  Ok = protocol::StOk,
  BadCrc = protocol::StBadCrc,
  UnknownCmd = protocol::StUnknown,
  WrongState = protocol::StWrongState,
  BadLength = protocol::StBadLength,
  BadValue = protocol::StBadValue,
  Timeout = protocol::StTimeout,
};
// "OK", "BAD_CRC", ... (docs/fpga.md's names); nullptr for a code that is none of them.
const char* status_name(Status s);
// True for a status byte the protocol defines.
bool is_status(uint8_t code);

// CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, MSB first, no
// final XOR) over data, continuing from crc.
uint16_t crc16(const uint8_t* data, size_t n, uint16_t crc = 0xFFFF);
// A complete request frame: sync, cmd, LEN (LE), payload, CRC (LE).
std::vector<uint8_t> make_frame(uint8_t cmd, const std::vector<uint8_t>& payload);

struct Reply {
  Status status = Status::Ok;
  uint8_t cmd = 0;                 // the command the reply answers
  std::vector<uint8_t> payload;
};

}  // namespace fp8sa::board

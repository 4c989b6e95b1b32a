// The host protocol codes in one table: the codes host/ generates from
// rtl/board/fp8sa_host_protocol.vh (protocol_codes.hpp) equal docs/fpga.md's
// frame lines, command table and status table, both ways (no code missing
// from the docs, no docs row without a code), so neither the docs nor the
// host can drift from the RTL's table. Also the CRC against the docs' check
// value, and the host's frames against the docs' layout.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "fp8sa/host/protocol.hpp"
#include "fp8sa/host/protocol_codes.hpp"

namespace {

using namespace fp8sa::board;

std::string read_docs() {
  const std::string path = std::string(FP8SA_DOCS_DIR) + "/fpga.md";
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << path;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The body rows of the markdown table that follows `heading` (a line
// starting with it): first cell -> second cell.
std::map<std::string, std::string> table_after(const std::string& docs, const std::string& heading) {
  std::map<std::string, std::string> rows;
  std::istringstream in(docs);
  std::string line;
  bool seen = false, in_table = false;
  const std::regex row(R"(^\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|.*)");
  while (std::getline(in, line)) {
    if (!seen) {
      seen = line.rfind(heading, 0) == 0;
      continue;
    }
    if (line.rfind("|", 0) == 0) {
      const bool header = !in_table;  // the column names
      in_table = true;
      std::smatch m;
      if (!header && std::regex_match(line, m, row) && m[1].str().find("---") == std::string::npos) rows[m[1]] = m[2];
    } else if (in_table) {
      break;
    }
  }
  EXPECT_TRUE(seen) << "docs/fpga.md has no '" << heading << "'";
  return rows;
}

// "CmdArrayReset" -> "ARRAY_RESET", "CmdLoadA" -> "LOAD_A".
std::string upper_snake(const std::string& camel) {
  std::string s;
  for (size_t i = 0; i < camel.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(camel[i]))) s += '_';
    s += static_cast<char>(std::toupper(static_cast<unsigned char>(camel[i])));
  }
  return s;
}

std::string hex2(int v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%02X", v);
  return b;
}

TEST(HostProtocol, CommandCodesEqualTheDocsTable) {
  const auto rows = table_after(read_docs(), "**Commands.**");
  int n = 0;
  for (const protocol::Code& c : protocol::kCodes) {
    const std::string name = c.name;
    if (name.rfind("Cmd", 0) != 0) continue;
    ++n;
    const auto it = rows.find(hex2(c.value));
    ASSERT_NE(it, rows.end()) << name << " = " << hex2(c.value) << " has no row in docs/fpga.md's command table";
    EXPECT_EQ(it->second, upper_snake(name.substr(3))) << "command " << hex2(c.value);
  }
  EXPECT_EQ(static_cast<size_t>(n), rows.size()) << "docs/fpga.md's command table has rows the .vh has no code for";
  EXPECT_EQ(n, 8);
}

TEST(HostProtocol, StatusCodesEqualTheDocsTable) {
  const auto rows = table_after(read_docs(), "**Status codes**");
  int n = 0;
  for (const protocol::Code& c : protocol::kCodes) {
    const std::string name = c.name;
    if (name.rfind("St", 0) != 0) continue;
    ++n;
    const auto it = rows.find(std::to_string(c.value));
    ASSERT_NE(it, rows.end()) << name << " = " << c.value << " has no row in docs/fpga.md's status table";
    // The host's names (its error messages) are the docs' names.
    const char* host = status_name(static_cast<Status>(c.value));
    ASSERT_NE(host, nullptr) << name;
    EXPECT_EQ(it->second, host) << "status " << c.value;
    EXPECT_TRUE(is_status(static_cast<uint8_t>(c.value)));
  }
  EXPECT_EQ(static_cast<size_t>(n), rows.size()) << "docs/fpga.md's status table has rows the .vh has no code for";
  EXPECT_FALSE(is_status(static_cast<uint8_t>(n)));  // the codes are 0 .. n-1
}

TEST(HostProtocol, SyncBytesLengthsVersionAndCrcEqualTheDocs) {
  const std::string docs = read_docs();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(docs, m, std::regex(R"(request:\s+0x([0-9A-F]{2})\s+CMD)")));
  EXPECT_EQ(std::stoi(m[1], nullptr, 16), protocol::SyncReq);
  ASSERT_TRUE(std::regex_search(docs, m, std::regex(R"(reply:\s+0x([0-9A-F]{2})\s+STATUS)")));
  EXPECT_EQ(std::stoi(m[1], nullptr, 16), protocol::SyncRep);
  ASSERT_TRUE(std::regex_search(docs, m, std::regex(R"(\| 0x01 \| INFO \| none \| (\d+) bytes:.*protocol version (\d+)\.(\d+))")));
  EXPECT_EQ(std::stoi(m[1]), protocol::ProtoInfoLen);
  EXPECT_EQ(std::stoi(m[2]), protocol::ProtoVersionMajor);
  EXPECT_EQ(std::stoi(m[3]), protocol::ProtoVersionMinor);
  ASSERT_TRUE(std::regex_search(docs, m, std::regex(R"(\| 0x02 \| CONFIG \| (\d+) bytes:)")));
  EXPECT_EQ(std::stoi(m[1]), protocol::ProtoCfgLen);
  ASSERT_TRUE(std::regex_search(docs, m, std::regex(R"(check value 0x([0-9A-F]{4}) for \"123456789\")")));
  const std::string check = "123456789";
  EXPECT_EQ(crc16(reinterpret_cast<const uint8_t*>(check.data()), check.size()), std::stoi(m[1], nullptr, 16));
  // A request frame as the docs lay it out: sync, CMD, LEN (LE), payload, CRC (LE) over all after sync.
  const std::vector<uint8_t> f = make_frame(kCmdStart, {1});
  ASSERT_EQ(f.size(), 7u);
  EXPECT_EQ(f[0], protocol::SyncReq);
  EXPECT_EQ(f[1], protocol::CmdStart);
  EXPECT_EQ(f[2], 1);
  EXPECT_EQ(f[3], 0);
  EXPECT_EQ(f[4], 1);
  const uint16_t crc = crc16(f.data() + 1, 4);
  EXPECT_EQ(f[5], crc & 0xFF);
  EXPECT_EQ(f[6], crc >> 8);
}

}  // namespace

#include "testfloat_file.hpp"

#include <fstream>
#include <sstream>

#include "cli.hpp"

namespace fp8sa::cli {
namespace {

bool parse_hex(const std::string& tok, size_t max_digits, uint32_t& out) {
  if (tok.empty() || tok.size() > max_digits) return false;
  uint32_t v = 0;
  for (char c : tok) {
    uint32_t d;
    if (c >= '0' && c <= '9') d = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<uint32_t>(c - 'A' + 10);
    else return false;
    v = (v << 4) | d;
  }
  out = v;
  return true;
}

}  // namespace

std::vector<TestFloatCase> read_testfloat_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(path + ": cannot open file");
  std::vector<TestFloatCase> cases;
  std::string line;
  int n = 0;
  static const char* const kField[] = {"operand a", "operand b", "result", "flags"};
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
    std::istringstream ss(line);
    std::string tok[5];
    int count = 0;
    while (count < 5 && ss >> tok[count]) ++count;
    const std::string where = path + ":" + std::to_string(n) + ": ";
    if (count != 4)
      throw UsageError(where + "expected 4 fields 'a b result flags', found " +
                       (count == 5 ? std::string("more") : std::to_string(count)));
    uint32_t v[4];
    for (int i = 0; i < 4; ++i) {
      const size_t max_digits = i == 3 ? 2 : 8;
      if (!parse_hex(tok[i], max_digits, v[i]))
        throw UsageError(where + kField[i] + " '" + tok[i] + "' is not a hex number of at most " +
                         std::to_string(max_digits) + " digits");
    }
    if (v[3] & ~0x1Fu)
      throw UsageError(where + "flags '" + tok[3] + "' has bits outside the five IEEE flags (0x1F)");
    cases.push_back({v[0], v[1], v[2], static_cast<uint8_t>(v[3]), n});
  }
  if (in.bad()) throw UsageError(path + ": read error");
  return cases;
}

}  // namespace fp8sa::cli

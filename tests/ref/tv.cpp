// fp8sa::ref TestFloat `.tv` reader and vectors-folder locator.
#include <cstdlib>
#include <fstream>
#include <istream>
#include <sstream>
#include <string>
#include <sys/stat.h>

#include "ref.hpp"

namespace fp8sa::ref {

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

uint32_t parse_hex_field(const std::string& tok, size_t digits, const char* field,
                         const std::string& where) {
  bool ok = tok.size() == digits;
  for (char c : tok) ok = ok && is_hex(c);
  if (!ok)
    throw TvError(where + ": field '" + field + "' must be " + std::to_string(digits) +
                  " hex digits, got '" + tok + "'");
  return static_cast<uint32_t>(std::stoul(tok, nullptr, 16));
}

}  // namespace

std::vector<TvCase> parse_tv(std::istream& in, const std::string& name) {
  std::vector<TvCase> cases;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream ss(line);
    std::vector<std::string> tok;
    for (std::string t; ss >> t;) tok.push_back(t);
    if (tok.empty()) continue;  // blank line
    const std::string where = name + ":" + std::to_string(lineno);
    if (tok.size() != 4)
      throw TvError(where + ": expected 4 fields 'a b result flags', got " +
                    std::to_string(tok.size()) + " in '" + line + "'");
    TvCase c;
    c.a = parse_hex_field(tok[0], 8, "a", where);
    c.b = parse_hex_field(tok[1], 8, "b", where);
    c.result = parse_hex_field(tok[2], 8, "result", where);
    const uint32_t fl = parse_hex_field(tok[3], 2, "flags", where);
    if (fl & ~0x1Fu)
      throw TvError(where + ": flags " + hex(fl, 2) + " has bits outside TestFloat's five flags (0x1F)");
    c.flags = static_cast<uint8_t>(fl);
    c.line = lineno;
    cases.push_back(c);
  }
  if (in.bad()) throw TvError(name + ": read error after line " + std::to_string(lineno));
  return cases;
}

std::vector<TvCase> read_tv(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw TvError(path + ": cannot open TestFloat vector file");
  return parse_tv(f, path);
}

uint8_t flags_from_testfloat(uint8_t tf) {
  return static_cast<uint8_t>((tf & 0x07u) | ((tf & 0x10u) ? kInvalid : 0u));
}

std::string vectors_dir() {
  const char* env = std::getenv("FP8SA_VECTORS");
  if (env != nullptr && env[0] != '\0') return env;
#ifdef FP8SA_VECTORS_DIR
  return FP8SA_VECTORS_DIR;
#else
  return "";
#endif
}

std::string vectors_file(const std::string& file_name) {
  const std::string dir = vectors_dir();
  if (dir.empty()) return "";
  const std::string path = dir + "/" + file_name;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  return path;
}

}  // namespace fp8sa::ref

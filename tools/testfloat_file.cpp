#include "testfloat_file.hpp"

#include <cerrno>
#include <cstring>

#include "args.hpp"
#include "input_file.hpp"

namespace fp8sa::cli {
namespace {

bool parse_hex(const char* p, size_t n, size_t max_digits, uint32_t* out) {
  if (n == 0 || n > max_digits) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    uint32_t d;
    if (c >= '0' && c <= '9') d = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<uint32_t>(c - 'A' + 10);
    else return false;
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

// A token as shown in a message: printable, at most 16 characters.
std::string shown(const char* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n && i < 16; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    s.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  if (n > 16) s += "...";
  return s;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

bool parse_testfloat_line(const char* text, size_t len, const std::string& where, TestFloatCase* out) {
  static const char* const kField[] = {"operand a", "operand b", "result", "flags"};
  const char* tok[5];
  size_t tlen[5];
  int count = 0;
  size_t i = 0;
  while (i < len) {
    while (i < len && is_space(text[i])) ++i;
    if (i >= len) break;
    const size_t start = i;
    while (i < len && !is_space(text[i])) ++i;
    if (count == 5) break;
    tok[count] = text + start;
    tlen[count] = i - start;
    ++count;
  }
  if (count == 0) return false;
  if (count != 4)
    throw UsageError(where + "expected 4 fields 'a b result flags', found " +
                     (count == 5 ? std::string("more") : std::to_string(count)));
  uint32_t v[4];
  for (int f = 0; f < 4; ++f) {
    const size_t max_digits = f == 3 ? 2 : 8;
    if (!parse_hex(tok[f], tlen[f], max_digits, &v[f]))
      throw UsageError(where + kField[f] + " '" + shown(tok[f], tlen[f]) + "' is not a hex number of at most " +
                       std::to_string(max_digits) + " digits");
  }
  if (v[3] & ~0x1Fu)
    throw UsageError(where + "flags '" + shown(tok[3], tlen[3]) + "' has bits outside the five IEEE flags (0x1F)");
  *out = {v[0], v[1], v[2], static_cast<uint8_t>(v[3]), 0};
  return true;
}

TestFloatReader::TestFloatReader(const std::string& path) : path_(path) {
  InputFile in(path);  // a FIFO without a writer: an error after a bounded wait, not a hang
  f_ = in.to_stdio();
}

TestFloatReader::TestFloatReader(std::FILE* f, const std::string& name) : path_(name), f_(f) {}

TestFloatReader::~TestFloatReader() {
  if (f_) std::fclose(f_);
}

bool TestFloatReader::next(TestFloatCase* c) {
  char buf[kTestFloatMaxLine + 1];
  for (;;) {
    size_t n = 0;
    int ch;
    bool any = false;
    while ((ch = std::getc(f_)) != EOF) {
      any = true;
      if (ch == '\n') break;
      if (n == kTestFloatMaxLine)
        throw UsageError(path_ + ":" + std::to_string(line_ + 1) + ": line longer than " +
                         std::to_string(kTestFloatMaxLine) + " characters (not a TestFloat file?)");
      buf[n++] = static_cast<char>(ch);
    }
    if (std::ferror(f_)) throw UsageError(path_ + ": read error after line " + std::to_string(line_));
    if (!any) {
      if (cases_ == 0)
        throw UsageError(path_ + ": no test cases (the file is empty or blank; expected lines 'a b result flags')");
      return false;
    }
    ++line_;
    if (parse_testfloat_line(buf, n, path_ + ":" + std::to_string(line_) + ": ", c)) {
      c->line = line_;
      ++cases_;
      return true;
    }
  }
}

}  // namespace fp8sa::cli

// Reader for Berkeley TestFloat two-operand vector files: `a b result flags`,
// hex, one case per line (blank lines allowed). It streams: one line at a
// time through a fixed buffer, so an endless or huge input needs no more
// memory than one line. Errors name the file, the line and the problem, and
// never echo more than a few characters of the input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace fp8sa::cli {

struct TestFloatCase {
  uint32_t a, b, result;
  uint8_t flags;  // TestFloat encoding: 0x01 inexact, 0x02 underflow, 0x04 overflow,
                  // 0x08 divide by zero, 0x10 invalid
  long line;
};

// Longest line accepted (a well-formed line is 29 characters).
constexpr size_t kTestFloatMaxLine = 256;

// Parses one line (without its newline). Returns false for a blank line;
// throws UsageError("<where>...") for a malformed one.
bool parse_testfloat_line(const char* text, size_t len, const std::string& where, TestFloatCase* out);

class TestFloatReader {
 public:
  explicit TestFloatReader(const std::string& path);  // throws UsageError: cannot open
  TestFloatReader(std::FILE* f, const std::string& name);  // takes ownership of f (the fuzz target)
  ~TestFloatReader();
  TestFloatReader(const TestFloatReader&) = delete;
  TestFloatReader& operator=(const TestFloatReader&) = delete;
  // The next case; false at the end of the file. Throws UsageError on a
  // malformed or over-long line, a read error, or a file with no case at all.
  bool next(TestFloatCase* c);
  long cases() const { return cases_; }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  long line_ = 0, cases_ = 0;
};

// fp8sa flag bits (numerics.md section 4) to TestFloat's encoding.
inline uint8_t to_testfloat_flags(uint8_t f) {
  return static_cast<uint8_t>((f & 0x7u) | ((f & 0x8u) ? 0x10u : 0u));
}

}  // namespace fp8sa::cli

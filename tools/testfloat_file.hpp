// Reader for Berkeley TestFloat two-operand vector files: `a b result flags`,
// hex, one case per line. Errors name the file, the line and the problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fp8sa::cli {

struct TestFloatCase {
  uint32_t a, b, result;
  uint8_t flags;  // TestFloat encoding: 0x01 inexact, 0x02 underflow, 0x04 overflow,
                  // 0x08 divide by zero, 0x10 invalid
  int line;
};

// Throws UsageError (cli.hpp) on a missing file or a malformed line.
std::vector<TestFloatCase> read_testfloat_file(const std::string& path);

// fp8sa flag bits (numerics.md section 4) to TestFloat's encoding.
inline uint8_t to_testfloat_flags(uint8_t f) {
  return static_cast<uint8_t>((f & 0x7u) | ((f & 0x8u) ? 0x10u : 0u));
}

}  // namespace fp8sa::cli

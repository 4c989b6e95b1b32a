// Helpers every fp8sa benchmark program shares: the operand data, the
// clocks, the median and the report that is printed and appended to
// bench.txt (docs/bench.md). Benchmarks only: nothing here is checked
// against a reference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fp8sa/numerics.hpp"

namespace fp8sa::bench {

// N(0, 1) samples quantized (RNE, saturating) to FP8 codes of fmt: all
// finite; the same seed gives the same codes.
std::vector<uint8_t> randn_fp8(size_t n, Fp8Format fmt, uint64_t seed);

// The process's CPU time in seconds (all its threads).
double cpu_seconds();

// The median (the mean of the middle two for an even count); v not empty.
double median(std::vector<double> v);

// A report built line by line: each line is printed at once (progress on
// long runs) and kept in text for the --out file.
struct Report {
  std::string text;
  void line(const char* f, ...) __attribute__((format(printf, 2, 3)));
};

// A bench program's command line: a usage error prints "PROG: message"
// and the usage text to stderr and exits 2 (bad input: one line, status 2).
struct Usage {
  const char* prog;
  const char* text;
  [[noreturn]] void error(const std::string& m) const;
  // s as a decimal integer in [lo, hi], else error() naming what.
  int parse_int(const std::string& s, const char* what, int lo, int hi) const;
};

// s cut at each sep, empty fields dropped ("a,,b," gives a, b).
std::vector<std::string> split(const std::string& s, char sep);

}  // namespace fp8sa::bench

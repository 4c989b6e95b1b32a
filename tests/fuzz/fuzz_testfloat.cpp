// libFuzzer target: the TestFloat vector reader (tools/testfloat_file.cpp),
// the whole streaming reader over an in-memory file (line cap, blank lines,
// end of file) and the line parser on every line. Allowed outcomes: cases
// whose line numbers increase, or a UsageError.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "testfloat_file.hpp"
#include "args.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fp8sa::cli;
  if (size == 0) return 0;  // fmemopen needs a non-empty buffer; the empty file is a unit test
  std::FILE* f = fmemopen(const_cast<uint8_t*>(data), size, "rb");
  if (!f) return 0;
  try {
    TestFloatReader r(f, "fuzz.tv");
    TestFloatCase c{};
    long last = 0;
    while (r.next(&c)) {
      if (c.line <= last || c.flags > 0x1F) std::abort();
      last = c.line;
    }
  } catch (const UsageError&) {
  }
  // The line parser alone, on the whole input as one line (any length).
  try {
    TestFloatCase c{};
    parse_testfloat_line(reinterpret_cast<const char*>(data), size, "fuzz:1: ", &c);
  } catch (const UsageError&) {
  }
  return 0;
}

// libFuzzer target: the .npy reader (tools/npy.cpp) on arbitrary bytes.
// Allowed outcomes: a parsed array that satisfies the invariants below, or a
// UsageError. Anything else (a crash, a sanitizer report, another exception,
// a broken invariant) is a finding.
#include <cstdint>
#include <cstdlib>

#include "npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fp8sa::cli;
  try {
    const NpyArray a = parse_npy(data, size, "fuzz.npy");
    // The data is exactly what the shape says, and every element is readable.
    uint64_t count = 1;
    for (uint64_t d : a.shape) count *= d;
    if (a.elem_size() == 0 || a.data.size() != count * a.elem_size() || a.count() != count) std::abort();
    uint32_t x = 0;
    for (size_t i = 0; i < a.count(); ++i) x ^= a.bits(i);
    (void)x;
  } catch (const UsageError&) {
  }
  return 0;
}

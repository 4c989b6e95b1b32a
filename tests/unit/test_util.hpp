// Shared helpers for the fp8sa model unit tests: seeds, timing, printing.
#pragma once

#include <gtest/gtest.h>

#include <cfenv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

#include "fp8sa/numerics.hpp"
#include "ref.hpp"

namespace fp8sa::test {

// The kFlag* bits of <cfenv> exceptions (as fetestexcept returns them).
inline uint8_t host_flags(int ex) {
  uint8_t f = 0;
  if (ex & FE_INEXACT) f |= kFlagInexact;
  if (ex & FE_UNDERFLOW) f |= kFlagUnderflow;
  if (ex & FE_OVERFLOW) f |= kFlagOverflow;
  if (ex & FE_INVALID) f |= kFlagInvalid;
  return f;
}

// The seed of a randomized test: $FP8SA_SEED (decimal or 0x-hex) if set,
// else the test's fixed default. Printed so that a failure can be replayed.
inline uint64_t test_seed(uint64_t default_seed) {
  uint64_t s = default_seed;
  const char* env = std::getenv("FP8SA_SEED");
  if (env != nullptr && env[0] != '\0') s = std::strtoull(env, nullptr, 0);
  std::printf("[   SEED   ] FP8SA_SEED=0x%llx%s\n", static_cast<unsigned long long>(s),
              s == default_seed ? " (default)" : " (from environment)");
  std::fflush(stdout);
  return s;
}

// Prints "[  CASES   ] <what>: <n> cases in <t> s".
class CaseReport {
 public:
  explicit CaseReport(std::string what) : what_(std::move(what)), t0_(std::chrono::steady_clock::now()) {}
  ~CaseReport() {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::printf("[  CASES   ] %s: %llu cases in %.2f s\n", what_.c_str(),
                static_cast<unsigned long long>(n_), s);
    std::fflush(stdout);
  }
  void add(uint64_t n = 1) { n_ += n; }
  uint64_t count() const { return n_; }

 private:
  std::string what_;
  std::chrono::steady_clock::time_point t0_;
  uint64_t n_ = 0;
};

// Tallies what the expected results covered (printed as "[ COVERAGE ]").
class Coverage {
 public:
  void add(uint32_t bits, uint8_t flags, const ref::FloatFormat& f) {
    ++n_;
    for (int i = 0; i < 4; ++i) flag_[i] += (flags >> i) & 1u;
    if (ref::is_nan(bits, f)) ++nan_;
    else if (ref::is_inf(bits, f)) ++inf_;
    else if (ref::is_zero(bits, f)) ++zero_;
    else if (((bits >> f.man_bits) & ((1u << f.exp_bits) - 1u)) == 0) ++sub_;
  }
  void print(const std::string& what) const {
    std::printf("[ COVERAGE ] %s: inexact %llu, underflow %llu, overflow %llu, invalid %llu; results: "
                "NaN %llu, Inf %llu, zero %llu, subnormal %llu (of %llu)\n",
                what.c_str(), u(flag_[0]), u(flag_[1]), u(flag_[2]), u(flag_[3]), u(nan_), u(inf_), u(zero_),
                u(sub_), u(n_));
    std::fflush(stdout);
  }

 private:
  static unsigned long long u(uint64_t v) { return static_cast<unsigned long long>(v); }
  uint64_t n_ = 0, flag_[4] = {0, 0, 0, 0}, nan_ = 0, inf_ = 0, zero_ = 0, sub_ = 0;
};

inline const char* name(Round r) {
  switch (r) {
    case Round::RNE: return "RNE";
    case Round::RZ: return "RZ";
    case Round::SR: return "SR";
  }
  return "Round(?)";
}
inline const char* name(Fp8Format f) { return f == Fp8Format::E4M3 ? "E4M3" : "E5M2"; }
inline const char* name(OutFormat f) {
  switch (f) {
    case OutFormat::E4M3: return "E4M3";
    case OutFormat::E5M2: return "E5M2";
    case OutFormat::FP16: return "FP16";
    case OutFormat::BF16: return "BF16";
  }
  return "OutFormat(?)";
}

inline std::string hx(uint32_t v, int digits = 8) { return ref::hex(v, digits); }

// "expected 0x... [flags] got 0x... [flags]"
inline std::string exp_got(uint32_t eb, uint8_t ef, uint32_t gb, uint8_t gf, int digits = 8) {
  std::ostringstream s;
  s << "expected " << hx(eb, digits) << " [" << ref::flags_str(ef) << "]  got " << hx(gb, digits)
    << " [" << ref::flags_str(gf) << "]";
  return s.str();
}

// Stops a test after this many reported failures (the count still goes on).
constexpr int kMaxReported = 20;

}  // namespace fp8sa::test

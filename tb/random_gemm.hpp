// Random GEMM problems for the checkers (lockstep, the SystemC test bench):
// ragged shapes, both FP8 formats per operand, every accumulator rounding,
// every output kind and quantizer rounding, saturation, scales over the
// whole [-64, 63] range, special FP8 codes (NaN, Inf, zeros, max,
// subnormals) in about one code in ten, and half of the problems with a C
// input that includes binary32 specials. Header-only: depends on the model's
// types alone.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"

namespace fp8sa::tb {

struct RandomGemm {
  GemmProblem p;  // A, B and C_init point into the vectors below
  std::vector<uint8_t> A, B;
  std::vector<uint32_t> C;
};

struct RandomGemmShape {
  int max_dim_tiles = 3;  // M, N up to this many tiles (ragged)
  int max_k = 40;
};

inline uint8_t random_fp8_code(std::mt19937_64& rng) {
  const uint8_t c = static_cast<uint8_t>(rng());
  if (rng() % 10 == 0) return c;  // anything: NaN, Inf, zeros, max, subnormals
  // otherwise clear of the all-ones exponent, so most dot products stay finite
  return static_cast<uint8_t>(c & 0xBF);
}

inline void random_gemm(std::mt19937_64& rng, const ArrayConfig& cfg, const RandomGemmShape& shape, RandomGemm* g) {
  GemmProblem& p = g->p;
  p = GemmProblem{};
  p.M = 1 + static_cast<int>(rng() % static_cast<uint64_t>(shape.max_dim_tiles * cfg.rows));
  p.N = 1 + static_cast<int>(rng() % static_cast<uint64_t>(shape.max_dim_tiles * cfg.cols));
  // K in products: up to max_k steps of DOT_N products (the last step padded).
  p.K = 1 + static_cast<int>(rng() % static_cast<uint64_t>(std::min(65535, shape.max_k * cfg.dot_n)));
  p.fmt_a = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
  p.fmt_b = (rng() & 1) ? Fp8Format::E5M2 : Fp8Format::E4M3;
  p.rnd = static_cast<Round>(rng() % 3);
  p.out_fmt = static_cast<OutKind>(rng() % 5);
  p.out_rnd = static_cast<Round>(rng() % 3);
  p.sat = (rng() & 1) != 0;
  const uint64_t sc = rng() % 4;
  p.scale = sc == 0 ? static_cast<int>(rng() % 128) - 64 : sc == 1 ? static_cast<int>(rng() % 17) - 8 : 0;
  g->A.resize(static_cast<size_t>(p.M) * static_cast<size_t>(p.K));
  g->B.resize(static_cast<size_t>(p.K) * static_cast<size_t>(p.N));
  for (auto& a : g->A) a = random_fp8_code(rng);
  for (auto& b : g->B) b = random_fp8_code(rng);
  g->C.clear();
  if (rng() & 1) {
    static const uint32_t kSpecial[] = {0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u,
                                        0x7FC00000u, 0x7F7FFFFFu, 0x00000001u, 0x80800000u};
    // C_init words are init words (binary32 for dot, exact and promotion)
    const AccFormat rf = cfg.init_format();
    const uint32_t mask = rf.mask();
    g->C.resize(static_cast<size_t>(p.M) * static_cast<size_t>(p.N));
    for (auto& c : g->C) {
      if (rng() % 8 == 0) {
        // a binary32 special; a random word where the result word is not binary32
        c = rf == kFp32 ? kSpecial[rng() % 8] : static_cast<uint32_t>(rng()) & mask;
      } else {
        c = static_cast<uint32_t>(rng()) & mask;
        if (rng() & 1) c &= ~(1u << (rf.width() - 2));  // moderate exponents half of the time
      }
    }
    p.C_init = g->C.data();
  }
  p.A = g->A.data();
  p.B = g->B.data();
}

// "MxKxN e4m3*e5m2 acc-rne out e4m3/sr sat scale -3 +C", for reports.
inline std::string describe(const GemmProblem& p) {
  return std::to_string(p.M) + "x" + std::to_string(p.K) + "x" + std::to_string(p.N) + " " + format_name(p.fmt_a) +
         "*" + format_name(p.fmt_b) + " acc-" + round_name(p.rnd) + " out " +
         (is_quantized(p.out_fmt) ? out_kind_name(p.out_fmt) : "raw") + "/" + round_name(p.out_rnd) +
         (p.sat ? " sat" : "") + " scale " + std::to_string(p.scale) + (p.C_init != nullptr ? " +C" : "");
}

}  // namespace fp8sa::tb

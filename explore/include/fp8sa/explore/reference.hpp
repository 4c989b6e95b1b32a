// The references results are checked against: exact dot products of FP8
// operands (a 128-bit fixed-point sum, fp8sa explore), and the float64 GEMM
// C + A*B with its error check over all outputs or a fixed grid of sampled
// rows and columns (fp8sa gemm, fp8sa board). Links the model only.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "fp8sa/numerics.hpp"
#include "fp8sa/explore/stats.hpp"

namespace fp8sa::explore {

// exact[m*N + n] = sum_k A[m*K + k] * B[k*N + n] and abs_sum the sum of the
// products' magnitudes, each the double nearest the exact value: value *
// 2^16 of every FP8 operand is an integer below 2^32, so the products are
// integers at 2^-32 (the LSB of the smallest FP8 x FP8 product) below 2^64,
// summed in 128 bits: exact for every K <= 65535.
void exact_dots(const uint8_t* A, Fp8Format fa, const uint8_t* B, Fp8Format fb, int M, int K, int N,
                std::vector<double>* exact, std::vector<double>* abs_sum);

// value * 2^16 of an FP8 code: an integer for every finite code.
int64_t fixed16(uint8_t code, Fp8Format f);

// ref = C + A*B in binary64 (a: m x k, b: k x n, row-major; c_value(i, j)
// the addend), every output summed in k order, rows split over the cores.
// Every FP8 value and every float32 is exact in binary64, and so is every
// product of two of them, so the only roundings are the k additions.
void reference_gemm(const double* a, const double* b, uint64_t m, uint64_t k, uint64_t n,
                    const std::function<double(uint64_t, uint64_t)>& c_value, double* ref);

// A GEMM to check: the operands' values by index (A row-major m x k, B
// k x n), the addend, and the result's values, scaled by `scale` on the
// reference side (2^scale of a quantized output).
struct GemmCheck {
  uint64_t m = 0, k = 0, n = 0;
  std::function<double(uint64_t)> a, b;              // element i of A, of B
  std::function<double(uint64_t, uint64_t)> c;       // C(i, j); return 0 for none
  std::function<double(uint64_t, uint64_t)> got;     // the result (i, j)
  double scale = 1.0;
};

// Rows and columns of the sampled check: all of them up to this many.
inline constexpr uint64_t kSampleGrid = 64;

// The error of got against C + A*B: over every output (full, with
// reference_gemm) or over a fixed-seed grid of kSampleGrid distinct rows and
// columns (each dot product in k order): the same outputs on every run.
GemmErrorStats check_gemm(const GemmCheck& g, bool full, uint64_t* checked_rows, uint64_t* checked_cols);

}  // namespace fp8sa::explore

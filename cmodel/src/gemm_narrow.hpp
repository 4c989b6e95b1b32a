// The functional model's fast path for every accumulator format and rounding
// (gemm_narrow.cpp): not installed, not part of the API.
#pragma once

#include <cstdint>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"

namespace fp8sa {
namespace detail {

// The CPU runs the fast path's kernel (x86 AVX2).
bool narrow_fast_cpu();

// Tile t (tiles_n tiles per tile row) of problem p on array cfg, on the fast
// path: the tile's R x C accumulator words (promote_n > 0: the binary32
// words) into vals[r * C + c] (+0 for padded PEs, which raise no flag) and
// the OR of its MAC (and promotion) flags into *flags, bit-identical to the
// generic path. Returns false, writing nothing, when the tile is the generic
// path's: an FP8 NaN/Inf code in its rows of A or columns of B, a NaN/Inf
// init word (in ArrayConfig::result_format()), or a CPU without AVX2 and
// FMA. Thread-safe.
bool narrow_tile(const GemmProblem& p, const ArrayConfig& cfg, long t, int tiles_n, uint32_t* vals, uint8_t* flags);

}  // namespace detail
}  // namespace fp8sa

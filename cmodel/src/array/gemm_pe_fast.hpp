// The functional model's fast path for the dot and exact PE kinds
// (gemm_pe_fast.cpp): not installed, not part of the API.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"

namespace fp8sa {
namespace detail {

// One GEMM's prepared operands (packed per kind), per-row and per-column
// NaN/Inf marks and SR draw streams. Built once per gemm_functional call,
// read by every thread.
class PeFast;
struct PeFastDeleter {
  void operator()(PeFast* f) const;
};
using PeFastPtr = std::unique_ptr<PeFast, PeFastDeleter>;

// Whether the fast kernels cover this configuration and rounding at all
// (dot: a window and step whose sums are exact in binary32 or binary64,
// with a rounding the kernel implements, promotion or not; exact:
// everything) on
// this CPU (x86 AVX2 + FMA). Tiles can still be declined one by one.
bool pe_fast_covers(const ArrayConfig& cfg, Round rnd);

// Prepares problem p on array cfg (threads for the packing), or returns
// null when pe_fast_covers() is false. p's arrays must outlive the result.
PeFastPtr pe_fast_prepare(const GemmProblem& p, const ArrayConfig& cfg, int threads);

// Tile t on the fast path: the R x C result words into vals[r * C + c]
// (+0 for padded PEs, which raise no flag on such tiles) and the tile's
// flags, bit-identical to tile_compute_generic (Pe::tile per PE). Returns
// false, with vals unspecified, when the tile is the generic path's: an
// FP8 NaN/Inf code in its rows of A or columns of B; for dot also a NaN/Inf
// init word, or an accumulator that overflows to Inf (a step with RNE or
// SR, a promotion add). Thread-safe.
bool pe_fast_tile(const PeFast& f, long t, uint32_t* vals, uint8_t* flags);

// The side b of the square blocks of b x b tiles (tile rows x tile
// columns) whose packed operands fit in a core's L2 together: a thread that
// runs a block's tiles one after the other reuses them (the order of tiles
// changes no bit).
int pe_fast_block(const PeFast& f);

// Test hook: while set, pe_fast_prepare sizes *trace to the GEMM's tiles
// (0 each) and pe_fast_tile marks each tile it is asked for
// kPeFastTileFast or kPeFastTileDeclined, so that tests can tell a tile the
// fast kernel computed from one that fell back to the generic path. Not
// thread-safe across concurrent GEMMs; null (the default) turns it off.
enum : uint8_t { kPeFastTileFast = 1, kPeFastTileDeclined = 2 };
void pe_fast_set_trace(std::vector<uint8_t>* trace);

}  // namespace detail
}  // namespace fp8sa

// The functional model's fast path for every accumulator format and rounding
// (gemm_narrow.cpp): not installed, not part of the API.
#pragma once

#include <cstdint>
#include <memory>

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

// The AVX-512 narrow path (gemm_narrow512.cpp): fma PE, COLS a multiple of 8
// (or 1, 2, 4: super-tiles),
// every accumulator, rounding, SR kind and promote_n but e8m23 RNE without
// promotion. A plan per gemm call (row / column statistics, B packed), a
// worker per thread (A rows, the SR word streams, which continue from tile
// t to tile t + 1: give a worker its tiles in increasing order).
struct NarrowPlan;
struct NarrowWorker;
struct NarrowPlanDeleter {
  void operator()(NarrowPlan* p) const;
};
struct NarrowWorkerDeleter {
  void operator()(NarrowWorker* w) const;
};
using NarrowPlanPtr = std::unique_ptr<NarrowPlan, NarrowPlanDeleter>;
using NarrowWorkerPtr = std::unique_ptr<NarrowWorker, NarrowWorkerDeleter>;

// The CPU runs the AVX-512 kernel (F, DQ, VL, BW, VBMI2), and
// FP8SA_NO_AVX512 is not set. Without it, narrow512_prepare plans the
// binary32 lanes of RZ and RNE (no promotion) on AVX2 where the CPU has AVX2
// and FMA, and nothing else.
bool narrow512_cpu();
// nullptr where the configuration or CPU is not covered. par(n, threads,
// ctx, f) runs f(ctx, i) for i in [0, n) on up to `threads` threads.
NarrowPlanPtr narrow512_prepare(const GemmProblem& p, const ArrayConfig& cfg, int threads,
                                void (*par)(long, int, void*, void (*)(void*, long)));
NarrowWorkerPtr narrow512_worker();
// Tile t's words and flags as narrow_tile gives them, or false (nothing
// written) where the tile is declined (rare cases: NaN/Inf codes or init
// words, -0 init words, the subnormal range of the format reached by an
// inexact sum, overflow, an fma sum not exact where it has to be).
bool narrow512_tile(const NarrowPlan& plan, NarrowWorker& w, long t, uint32_t* vals, uint8_t* flags);
// Test hook: tiles narrow512_tile computed and declined since the last reset
// (process-wide, relaxed counters); taken32: of the computed, those on
// binary32 lanes; taken64s: those on binary64 super-tiles (COLS 1, 2, 4).
void narrow512_counts(long* taken, long* declined, bool reset, long* taken32 = nullptr, long* taken64s = nullptr);

}  // namespace detail
}  // namespace fp8sa

// GEMM on the fp8sa array: C = A * B (+ C_init), FP8 operands, accumulator
// words out (raw or quantized), tiled onto an R x C array as docs/array.md
// "GEMM tiling" defines:
//
//   * output tiles of R x C, in row-major tile order (tile t = ti * tiles_n
//     + tj covers rows ti*R .. ti*R+R-1 and columns tj*C .. tj*C+C-1); each
//     tile is one command with cmd_k_i = ceil(K / DOT_N) steps (the whole
//     problem K, in [1, 65535]) and the problem's formats, rounding and
//     output controls;
//   * step j of tile t carries A[ti*R + r][j*DOT_N + i] in lane i of row r
//     and B[j*DOT_N + i][tj*C + c] in lane i of column c; rows >= M, columns
//     >= N (ragged edges) and k >= K (the last step's padding) carry the FP8
//     +0 code 0x00; with C_init every tile has use_init = 1 and its init rows
//     carry C_init, +0 (word 0) outside the matrix;
//   * padded rows and columns are computed like any other (they advance
//     their PE's LFSR, their flags count in the tile's flags, their rows
//     advance the column LFSRs) and their outputs are discarded.
//
// So PE (r, c) takes ArrayConfig::pe().draws_per_tile(K) LFSR draws per tile
// (K for fma, the steps for dot, one for exact) and tile t starts from its
// LFSR seed advanced t times that; column c's quantizer uses draw t*R + i
// for row i of tile t.
//
// Three back-ends give the same bits (backend.hpp): gemm_functional (fast,
// no cycles), the cycle model (ArrayCycleModel driven through its ports by
// gemm_stream) and the Verilated RTL (sim/); a board (host/) is a fourth.
// GemmTiling (gemm_tiling.hpp) is this tiling written once for everything
// that feeds an array tile by tile (gemm_stream, the board back-end).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/numerics.hpp"

namespace fp8sa {

struct GemmProblem {
  int M = 0, K = 0, N = 0;            // M, N >= 1; K in [1, 65535]
  const uint8_t* A = nullptr;         // M x K FP8 codes, row-major
  const uint8_t* B = nullptr;         // K x N FP8 codes, row-major
  const uint32_t* C_init = nullptr;   // M x N init words (low INIT_W bits used: ArrayConfig::init_format(), binary32 for dot, exact and promotion), or nullptr: start from +0
  Fp8Format fmt_a = Fp8Format::E4M3;  // cmd_fmt_a_i
  Fp8Format fmt_b = Fp8Format::E4M3;  // cmd_fmt_b_i
  Round rnd = Round::RNE;             // accumulator rounding, cmd_rnd_i
  OutKind out_fmt = OutKind::Raw;     // cmd_out_fmt_i: a quantized format, or the raw accumulator word
  Round out_rnd = Round::RNE;         // cmd_out_rnd_i (ignored for raw output)
  bool sat = false;                   // cmd_sat_i
  int scale = 0;                      // cmd_scale_i, [-64, 63]
  void validate() const;              // throws std::invalid_argument naming the field
};

struct GemmOutput {
  int M = 0, N = 0;
  int tiles_m = 0, tiles_n = 0;    // ceil(M / R), ceil(N / C)
  std::vector<uint32_t> out;       // M x N row-major: out_data_o words (quantized value in the low 8/16 bits, or the raw accumulator word)
  std::vector<uint8_t> tile_flags; // tiles_m x tiles_n row-major (command order): out_flags_o of each tile's last row
  uint8_t flags() const;           // OR of all tile flags
};

struct GemmOptions {
  int threads = 0;          // worker threads; 0: std::thread::hardware_concurrency()
  bool allow_fast = true;   // false: the generic (AccAdder) path everywhere, for differential tests
};

// Functional model: the bits the array produces for this problem (values and
// per-tile flags), without cycles. e8m23 with RNE without promotion runs a
// blocked, vectorised kernel (AVX2 + FMA + F16C, used when the CPU has them)
// whose every output is one fmaf chain in k order, bit-identical to
// AccAdder::mac, with each tile's inexact flag tracked through MXCSR; every
// other format, mode and promotion interval runs the AVX-512 narrow kernel
// (gemm_narrow512.cpp: binary32 lanes, 16 PEs per register, for RZ and for
// RNE with W - 1 <= Y <= 11 (W: the products' significand width), COLS a
// multiple of 16 or 1, 2, 4, 8 (several tiles side by side; Y < 23); elsewhere COLS
// a multiple of 8 and one binary64 lane per PE; the rounding on the fma
// sum's bits; tiles whose conditions it cannot prove are declined)
// or the AVX2 narrow kernel (gemm_narrow.cpp: binary64 sums with TwoSum and
// an exact rounding in integer lanes; mid SR only), also bit-identical, per
// tile. Tiles with NaN/Inf codes or
// init words, and CPUs without AVX2, use AccAdder::dot per output (per
// promotion group with promote_n > 0); threads take whole tiles. The dot
// and exact PE kinds (ArrayConfig::pe_kind) run per-tile AVX2 kernels
// (gemm_pe_fast.cpp: dot with ALIGN_BITS whose step sums are exact in
// binary64, with or without promotion; every exact), also bit-identical, falling
// back per tile to the PE seam's reference loop (Pe::tile).
// allow_fast = false runs AccAdder (fma) or Pe::tile (dot, exact)
// everywhere. Thread-safe: concurrent calls share nothing but small pools
// of reusable buffers.
void gemm_functional(const GemmProblem& p, const ArrayConfig& cfg, GemmOutput* out, const GemmOptions& opt = {});

// The cycle-accurate back-end and the Verilated RTL run the same tiling
// through gemm_stream (gemm_stream.hpp); backend.hpp puts all three behind
// one interface (GemmBackend).

}  // namespace fp8sa

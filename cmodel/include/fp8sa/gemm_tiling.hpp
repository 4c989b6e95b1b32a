// The tiling of docs/array.md "GEMM tiling" (gemm.hpp's header comment), in
// one place: which tile, row, column and step carries which element of A, B
// and C_init (+0 outside the matrices and past K), and where a tile's result
// rows go (padding dropped). gemm_stream (the cycle model and the Verilated
// array, cycle by cycle) and the board back-end (host/, a tile per command
// over the serial link) both feed the array through it, so the two cannot
// tile differently.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fp8sa/gemm.hpp"

namespace fp8sa {

class GemmTiling {
 public:
  // p must be valid (GemmProblem::validate); rows, cols, dot_n are the array's.
  GemmTiling(const GemmProblem& p, int rows, int cols, int dot_n = 1)
      : R(rows), C(cols), D(dot_n), tiles_m((p.M + rows - 1) / rows), tiles_n((p.N + cols - 1) / cols),
        tiles(static_cast<long>(tiles_m) * tiles_n), steps((p.K + dot_n - 1) / dot_n), p_(p) {}

  const int R, C, D;             // the array: rows, columns, products per PE per step
  const int tiles_m, tiles_n;    // ceil(M / R), ceil(N / C)
  const long tiles;              // tiles_m * tiles_n, in row-major (command) order
  const int steps;               // cmd_k_i: ceil(K / DOT_N)

  int tile_row(long t) const { return static_cast<int>(t / tiles_n); }
  int tile_col(long t) const { return static_cast<int>(t % tiles_n); }

  // Product k of row r of tile row ti: A[ti*R + r][k], +0 (code 0x00) outside.
  uint8_t a(int ti, int r, int k) const {
    const int row = ti * R + r;
    return (row < p_.M && k < p_.K) ? p_.A[static_cast<size_t>(row) * static_cast<size_t>(p_.K) + static_cast<size_t>(k)]
                                    : uint8_t{0};
  }
  // Product k of column c of tile column tj: B[k][tj*C + c], +0 outside.
  uint8_t b(int tj, int c, int k) const {
    const int col = tj * C + c;
    return (col < p_.N && k < p_.K) ? p_.B[static_cast<size_t>(k) * static_cast<size_t>(p_.N) + static_cast<size_t>(col)]
                                    : uint8_t{0};
  }
  // Init word (r, c) of tile (ti, tj): C_init there, word 0 outside (p.C_init set).
  uint32_t init(int ti, int tj, int r, int c) const {
    const int row = ti * R + r, col = tj * C + c;
    return (row < p_.M && col < p_.N) ? p_.C_init[static_cast<size_t>(row) * static_cast<size_t>(p_.N) + static_cast<size_t>(col)]
                                      : 0u;
  }

  // out sized and zeroed for the problem: values M x N, one flags byte per tile.
  void start_output(GemmOutput* out) const {
    out->M = p_.M;
    out->N = p_.N;
    out->tiles_m = tiles_m;
    out->tiles_n = tiles_n;
    out->out.assign(static_cast<size_t>(p_.M) * static_cast<size_t>(p_.N), 0u);
    out->tile_flags.assign(static_cast<size_t>(tiles), 0u);
  }
  // Result row r of tile (ti, tj): words[c] for column c (anything indexable),
  // the padding rows and columns dropped.
  template <class Words>
  void put_row(GemmOutput* out, int ti, int tj, int r, const Words& words) const {
    const int row = ti * R + r;
    if (row >= p_.M) return;
    for (int c = 0; c < C; ++c) {
      const int col = tj * C + c;
      if (col < p_.N)
        out->out[static_cast<size_t>(row) * static_cast<size_t>(p_.N) + static_cast<size_t>(col)] =
            words[static_cast<size_t>(c)];
    }
  }

 private:
  const GemmProblem& p_;
};

}  // namespace fp8sa

// The GEMM reference of the model tests, reference-side only (host IEEE
// binary32 and fp8sa::ref, never the model): a problem generator and the
// array's bits computed as host fmaf chains in k order, tile by tile, with
// each tile's flags the host's sticky <cfenv> flags over all R x C PEs of
// the tile, padded ones included (FP8 +0 operands, +0 init), exactly as
// gemm.hpp defines the tiling; NaN outputs are the canonical 0x7FC00000.
//
// A test that includes this must be compiled with -frounding-math
// -fsignaling-nans (tests/unit/CMakeLists.txt): the reference reads its
// operands from volatile objects between feclearexcept and fetestexcept.
#pragma once

#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "fp8sa/gemm.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {

template <class... T>
std::string strf(const char* fmt, T... v) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, v...);
  return buf;
}

struct Problem {
  int M, K, N;
  Fp8Format fa, fb;
  std::vector<uint8_t> A, B;
  std::vector<uint32_t> C;  // empty: no C_init
};

struct Expected {
  std::vector<uint32_t> out;
  std::vector<uint8_t> tile_flags;
};

// The reference: host fmaf chains, tile by tile, flags sticky over the tile.
inline Expected host_gemm(const Problem& pr, int R, int C) {
  const int tm = (pr.M + R - 1) / R, tn = (pr.N + C - 1) / C;
  std::vector<float> af(pr.A.size()), bf(pr.B.size());
  for (size_t i = 0; i < af.size(); ++i) af[i] = static_cast<float>(ref::fp8_decode(pr.A[i], pr.fa));
  for (size_t i = 0; i < bf.size(); ++i) bf[i] = static_cast<float>(ref::fp8_decode(pr.B[i], pr.fb));
  Expected e;
  e.out.assign(static_cast<size_t>(pr.M) * static_cast<size_t>(pr.N), 0u);
  e.tile_flags.assign(static_cast<size_t>(tm) * static_cast<size_t>(tn), 0u);
  for (int ti = 0; ti < tm; ++ti) {
    for (int tj = 0; tj < tn; ++tj) {
      std::feclearexcept(FE_ALL_EXCEPT);
      for (int r = 0; r < R; ++r) {
        const int m = ti * R + r;
        for (int c = 0; c < C; ++c) {
          const int n = tj * C + c;
          const bool in = m < pr.M && n < pr.N;
          volatile float acc = 0.0f;
          if (in && !pr.C.empty()) acc = ref::f32_from_bits(pr.C[static_cast<size_t>(m) * pr.N + n]);
          for (int k = 0; k < pr.K; ++k) {
            volatile float a = m < pr.M ? af[static_cast<size_t>(m) * pr.K + k] : 0.0f;
            volatile float b = n < pr.N ? bf[static_cast<size_t>(k) * pr.N + n] : 0.0f;
            acc = std::fmaf(a, b, acc);
          }
          if (in) {
            const uint32_t w = ref::f32_bits(acc);
            e.out[static_cast<size_t>(m) * pr.N + n] = std::isnan(acc) ? 0x7FC00000u : w;
          }
        }
      }
      e.tile_flags[static_cast<size_t>(ti) * tn + tj] = host_flags(std::fetestexcept(FE_ALL_EXCEPT));
    }
  }
  return e;
}

// FP8 code of an exactly representable value.
inline uint8_t code_of(double v, Fp8Format f) {
  for (int c = 0; c < 256; ++c) {
    if (!ref::fp8_is_nan(static_cast<uint8_t>(c), f) && ref::fp8_decode(static_cast<uint8_t>(c), f) == v &&
        !(v == 0.0 && c != 0)) {
      return static_cast<uint8_t>(c);
    }
  }
  ADD_FAILURE() << "no FP8 code for " << v;
  return 0;
}

inline uint8_t random_finite(std::mt19937_64& rng, Fp8Format f) {
  for (;;) {
    const uint8_t c = static_cast<uint8_t>(rng());
    if (!ref::fp8_is_nan(c, f) && !ref::fp8_is_inf(c, f)) return c;
  }
}

enum class Data { RandomFinite, LateInexact, Specials };

inline Problem make_problem(std::mt19937_64& rng, int M, int K, int N, Fp8Format fa, Fp8Format fb, Data d, bool with_c) {
  Problem pr{M, K, N, fa, fb, {}, {}, {}};
  pr.A.resize(static_cast<size_t>(M) * K);
  pr.B.resize(static_cast<size_t>(K) * N);
  if (d == Data::LateInexact) {
    // Mostly +0 and small integers (sums stay exact: |sum| < 2^24), then a
    // few operands with low bits at random k >= K/3.
    const double ints[] = {0, 0, 0, 1, -1, 2, -2, 3, -4};
    for (auto& a : pr.A) a = code_of(ints[rng() % 9], fa);
    for (auto& b : pr.B) b = code_of(ints[rng() % 9], fb);
    const uint8_t fine_a = 0x01, fine_b = 0x01;  // the smallest subnormals: 2^-9 (E4M3), 2^-16 (E5M2)
    for (int i = 0; i < 6; ++i) {
      const int k = K / 3 + static_cast<int>(rng() % static_cast<uint64_t>(K - K / 3));
      pr.A[static_cast<size_t>(rng() % M) * K + k] = fine_a;
      pr.B[static_cast<size_t>(k) * N + rng() % N] = fine_b;
    }
  } else {
    for (auto& a : pr.A) a = random_finite(rng, fa);
    for (auto& b : pr.B) b = random_finite(rng, fb);
  }
  if (with_c) {
    pr.C.resize(static_cast<size_t>(M) * N);
    for (auto& c : pr.C) {
      // small-integer C keeps LateInexact tiles exact; otherwise any finite binary32
      if (d == Data::LateInexact) {
        c = ref::f32_bits(static_cast<float>(static_cast<int>(rng() % 17) - 8));
      } else {
        do c = static_cast<uint32_t>(rng()); while ((c & 0x7F800000u) == 0x7F800000u);
      }
    }
  }
  if (d == Data::Specials) {
    const uint8_t nan_a = fa == Fp8Format::E4M3 ? 0x7F : 0x7E, inf_b = 0x7C;  // E4M3 has no Inf
    const uint8_t inf_a = fa == Fp8Format::E4M3 ? 0x7F : 0xFC;
    pr.A[rng() % pr.A.size()] = nan_a;
    pr.A[rng() % pr.A.size()] = inf_a;
    pr.B[rng() % pr.B.size()] = fb == Fp8Format::E5M2 ? inf_b : 0xFF;  // E4M3: -NaN
    if (!pr.C.empty()) {
      pr.C[rng() % pr.C.size()] = 0xFF800000u;  // -Inf
      pr.C[rng() % pr.C.size()] = 0x7F7FFFFFu;  // largest finite
      pr.C[rng() % pr.C.size()] = 0x7FA00000u;  // signaling NaN
    }
  }
  return pr;
}

inline const char* data_name(Data d) {
  return d == Data::RandomFinite ? "random" : d == Data::LateInexact ? "late-inexact" : "specials";
}

// The problem as the back-ends take it (e8m23 RNE raw output: the defaults).
inline GemmProblem gemm_problem(const Problem& pr) {
  GemmProblem p;
  p.M = pr.M;
  p.K = pr.K;
  p.N = pr.N;
  p.A = pr.A.data();
  p.B = pr.B.data();
  p.C_init = pr.C.empty() ? nullptr : pr.C.data();
  p.fmt_a = pr.fa;
  p.fmt_b = pr.fb;
  return p;
}

// Compares a back-end's M x N words and per-tile flags with the reference:
// ADD_FAILURE for each of the first 5 differences; returns their count.
inline size_t expect_gemm_equal(const Expected& e, const std::vector<uint32_t>& out,
                                const std::vector<uint8_t>& tile_flags, int N, const std::string& ctx) {
  size_t bad = 0;
  if (out.size() != e.out.size() || tile_flags.size() != e.tile_flags.size()) {
    ADD_FAILURE() << ctx << ": " << out.size() << " outputs and " << tile_flags.size() << " tile flags, expected "
                  << e.out.size() << " and " << e.tile_flags.size();
    return 1;
  }
  const size_t n = static_cast<size_t>(N);
  for (size_t i = 0; i < e.out.size() && bad < 5; ++i) {
    if (out[i] != e.out[i]) {
      ++bad;
      ADD_FAILURE() << ctx << ": C[" << i / n << "][" << i % n << "] model " << ref::hex(out[i])
                    << " host fmaf chain " << ref::hex(e.out[i]);
    }
  }
  for (size_t t = 0; t < e.tile_flags.size() && bad < 5; ++t) {
    if (tile_flags[t] != e.tile_flags[t]) {
      ++bad;
      ADD_FAILURE() << ctx << ": tile " << t << " flags model " << ref::flags_str(tile_flags[t]) << " host "
                    << ref::flags_str(e.tile_flags[t]);
    }
  }
  return bad;
}

}  // namespace fp8sa::test

// The exact and float64 references: see fp8sa/explore/reference.hpp.
#include "fp8sa/explore/reference.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

namespace fp8sa::explore {

int64_t fixed16(uint8_t code, Fp8Format f) { return static_cast<int64_t>(std::ldexp(fp8_to_double(code, f), 16)); }

void exact_dots(const uint8_t* A, Fp8Format fa, const uint8_t* B, Fp8Format fb, int M_, int K_, int N_,
                std::vector<double>* exact, std::vector<double>* abs_sum) {
  const size_t M = static_cast<size_t>(M_), K = static_cast<size_t>(K_), N = static_cast<size_t>(N_);
  std::vector<int64_t> ia(M * K), ib(K * N);
  for (size_t i = 0; i < ia.size(); ++i) ia[i] = fixed16(A[i], fa);
  for (size_t i = 0; i < ib.size(); ++i) ib[i] = fixed16(B[i], fb);
  exact->assign(M * N, 0.0);
  abs_sum->assign(M * N, 0.0);
  for (size_t m = 0; m < M; ++m)
    for (size_t n = 0; n < N; ++n) {
      __int128 s = 0, sa = 0;
      for (size_t k = 0; k < K; ++k) {
        const __int128 pr = static_cast<__int128>(ia[m * K + k]) * ib[k * N + n];
        s += pr;
        sa += pr < 0 ? -pr : pr;
      }
      (*exact)[m * N + n] = std::ldexp(static_cast<double>(s), -32);
      (*abs_sum)[m * N + n] = std::ldexp(static_cast<double>(sa), -32);
    }
}

// Blocked over columns so that a block of B stays in cache; the inner loop
// runs over columns, so it vectorises without reordering any sum (a
// contracted multiply-add changes nothing: every product here is exact in
// binary64).
void reference_gemm(const double* a, const double* b, uint64_t m, uint64_t k, uint64_t n,
                    const std::function<double(uint64_t, uint64_t)>& c_value, double* ref) {
  constexpr uint64_t kColBlock = 256;
  auto rows = [&](uint64_t i0, uint64_t i1) {
    for (uint64_t j0 = 0; j0 < n; j0 += kColBlock) {
      const uint64_t j1 = std::min(n, j0 + kColBlock);
      // Four rows at a time share each load of B.
      for (uint64_t i = i0; i < i1; i += 4) {
        const uint64_t h = std::min<uint64_t>(4, i1 - i);
        double* out[4];
        const double* arow[4];
        for (uint64_t q = 0; q < 4; ++q) {
          const uint64_t r = i + std::min(q, h - 1);  // a short block repeats its last row
          out[q] = ref + r * n;
          arow[q] = a + r * k;
        }
        for (uint64_t q = 0; q < h; ++q)
          for (uint64_t j = j0; j < j1; ++j) out[q][j] = c_value(i + q, j);
        if (h < 4) {
          for (uint64_t q = 0; q < h; ++q)
            for (uint64_t kk = 0; kk < k; ++kk)
              for (uint64_t j = j0; j < j1; ++j) out[q][j] += arow[q][kk] * b[kk * n + j];
          continue;
        }
        for (uint64_t kk = 0; kk < k; ++kk) {
          const double x0 = arow[0][kk], x1 = arow[1][kk], x2 = arow[2][kk], x3 = arow[3][kk];
          const double* brow = b + kk * n;
          double *o0 = out[0], *o1 = out[1], *o2 = out[2], *o3 = out[3];
          for (uint64_t j = j0; j < j1; ++j) {
            const double y = brow[j];
            o0[j] += x0 * y;
            o1[j] += x1 * y;
            o2[j] += x2 * y;
            o3[j] += x3 * y;
          }
        }
      }
    }
  };
  const uint64_t threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 64u));
  std::vector<std::thread> pool;
  for (uint64_t t = 1; t < threads; ++t) pool.emplace_back(rows, m * t / threads, m * (t + 1) / threads);
  rows(0, m / threads);
  for (auto& th : pool) th.join();
}

GemmErrorStats check_gemm(const GemmCheck& g, bool full, uint64_t* checked_rows, uint64_t* checked_cols) {
  const uint64_t m = g.m, k = g.k, n = g.n;
  GemmErrorStats st;
  if (full) {
    *checked_rows = m;
    *checked_cols = n;
    std::vector<double> ad(m * k), bd(k * n), ref(m * n);
    for (size_t i = 0; i < ad.size(); ++i) ad[i] = g.a(i);
    for (size_t i = 0; i < bd.size(); ++i) bd[i] = g.b(i);
    reference_gemm(ad.data(), bd.data(), m, k, n, g.c, ref.data());
    for (uint64_t i = 0; i < m; ++i)
      for (uint64_t j = 0; j < n; ++j) st.add(g.got(i, j), ref[i * n + j] * g.scale);
    return st;
  }
  // A fixed-seed grid of distinct rows and columns (all of them when there
  // are at most kSampleGrid): the same outputs on every run.
  std::mt19937_64 rng(0x5EED);
  auto pick = [&](uint64_t total) {
    std::vector<uint64_t> v;
    if (total <= kSampleGrid) {
      for (uint64_t i = 0; i < total; ++i) v.push_back(i);
      return v;
    }
    while (v.size() < kSampleGrid) {
      const uint64_t x = rng() % total;
      if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
    }
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<uint64_t> rows_i = pick(m), cols_j = pick(n);
  *checked_rows = rows_i.size();
  *checked_cols = cols_j.size();
  // Sampled rows and columns, gathered once; four columns at a time so that
  // four independent k-order sums run in parallel (each output's order is
  // still k = 0, 1, ...).
  const size_t nr = rows_i.size(), nc = cols_j.size();
  std::vector<double> rows(nr * k), cols(nc * k);
  for (size_t ri = 0; ri < nr; ++ri)
    for (uint64_t kk = 0; kk < k; ++kk) rows[ri * k + kk] = g.a(rows_i[ri] * k + kk);
  for (uint64_t kk = 0; kk < k; ++kk)
    for (size_t ci = 0; ci < nc; ++ci) cols[ci * k + kk] = g.b(kk * n + cols_j[ci]);
  for (size_t ri = 0; ri < nr; ++ri) {
    const uint64_t i = rows_i[ri];
    const double* row = &rows[ri * k];
    for (size_t c0 = 0; c0 < nc; c0 += 4) {
      const size_t w = std::min<size_t>(4, nc - c0);
      double s[4] = {0, 0, 0, 0};
      for (size_t q = 0; q < w; ++q) s[q] = g.c(i, cols_j[c0 + q]);
      const double* col[4];
      for (size_t q = 0; q < 4; ++q) col[q] = &cols[(c0 + std::min(q, w - 1)) * k];
      for (uint64_t kk = 0; kk < k; ++kk) {
        const double x = row[kk];
        s[0] += x * col[0][kk];
        s[1] += x * col[1][kk];
        s[2] += x * col[2][kk];
        s[3] += x * col[3][kk];
      }
      for (size_t q = 0; q < w; ++q) st.add(g.got(i, cols_j[c0 + q]), s[q] * g.scale);
    }
  }
  return st;
}

}  // namespace fp8sa::explore

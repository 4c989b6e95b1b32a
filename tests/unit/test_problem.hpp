// A GEMM test problem that owns its operands, and its GemmProblem view:
// shared by the fast-path tests (test_gemm_narrow, test_pe_fast), which
// draw the operands each their own way.
#pragma once

#include <cstdint>
#include <vector>

#include "fp8sa/gemm.hpp"
#include "fp8sa/numerics.hpp"

namespace fp8sa::test {

struct Prob {
  int M, K, N;
  Fp8Format fa, fb;
  std::vector<uint8_t> A, B;
  std::vector<uint32_t> C;  // init words, M x N; empty: no init (+0)
};

// The GemmProblem over pr's operands (pr must outlive it), rounding rnd.
inline GemmProblem problem(const Prob& pr, Round rnd) {
  GemmProblem p;
  p.M = pr.M;
  p.K = pr.K;
  p.N = pr.N;
  p.A = pr.A.data();
  p.B = pr.B.data();
  p.C_init = pr.C.empty() ? nullptr : pr.C.data();
  p.fmt_a = pr.fa;
  p.fmt_b = pr.fb;
  p.rnd = rnd;
  return p;
}

}  // namespace fp8sa::test

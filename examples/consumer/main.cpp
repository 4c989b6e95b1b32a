// Uses the installed fp8sa model: a 13x40x11 E4M3 x E5M2 GEMM on a 4x4
// array through the functional and the cycle-accurate back-ends, compared
// with each other and with host fmaf chains (e8m23, RNE: bit-identical).
#include <fp8sa/backend.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

int main() {
  const int M = 13, K = 40, N = 11;
  std::mt19937 rng(1);
  std::vector<uint8_t> a(M * K), b(K * N);
  for (auto& c : a) do c = static_cast<uint8_t>(rng()); while ((c & 0x7F) == 0x7F);  // finite E4M3
  for (auto& c : b) do c = static_cast<uint8_t>(rng()); while ((c & 0x7C) == 0x7C);  // finite E5M2
  fp8sa::GemmProblem p;
  p.M = M;
  p.K = K;
  p.N = N;
  p.A = a.data();
  p.B = b.data();
  p.fmt_a = fp8sa::Fp8Format::E4M3;
  p.fmt_b = fp8sa::Fp8Format::E5M2;
  fp8sa::ArrayConfig cfg;  // 4x4, e8m23
  int runs = 0;
  std::vector<uint32_t> first;
  for (const char* name : {"functional", "cycle", "functional"}) {
    const fp8sa::GemmRun r = fp8sa::make_model_backend(name, cfg)->run(p);
    if (runs++ == 0) first = r.out.out;
    if (r.out.out != first) {
      std::printf("consumer: FAIL: %s differs\n", name);
      return 1;
    }
  }
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float acc = 0.0f;
      for (int k = 0; k < K; ++k)
        acc = std::fmaf(static_cast<float>(fp8sa::fp8_to_double(a[i * K + k], fp8sa::Fp8Format::E4M3)),
                        static_cast<float>(fp8sa::fp8_to_double(b[k * N + j], fp8sa::Fp8Format::E5M2)), acc);
      uint32_t bits;
      std::memcpy(&bits, &acc, 4);
      if (bits != first[i * N + j]) {
        std::printf("consumer: FAIL at (%d, %d): %08X vs fmaf %08X\n", i, j, first[i * N + j], bits);
        return 1;
      }
    }
  std::printf("consumer: %d back-end runs agree, fmaf chains match (%dx%dx%d on a 4x4 array)\n", runs, M, K, N);
  return 0;
}

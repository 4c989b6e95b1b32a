// The e8m23 RNE path of gemm_functional against OpenBLAS sgemm on 16x16, 8x8
// and 4x4 arrays (issue 20 section 1b), without the Verilated and Icarus
// parts of fp8sa_bench, so it builds in seconds: the data, the shapes and
// the interleaving of fp8sa_bench's section 1, plus --cpu-time (process CPU
// time instead of wall time: steadier on a shared, loaded machine; use it
// with --threads 1) and --check (each shape's values and tile flags equal
// the generic path's, allow_fast = false).
//
//   fp8sa_bench_fp32 [--n N] [--reps R] [--threads T] [--cpu-time] [--check]
//
// Exit status 0, 1 when a check failed, 2 for a bad command line.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "fp8sa/gemm.hpp"
#include "fp8sa/numerics.hpp"
#include "bench_util.hpp"

namespace {

using fp8sa::Fp8Format;

using fp8sa::bench::randn_fp8;

bool g_cpu = false;
double now() {
  if (g_cpu) {
    return fp8sa::bench::cpu_seconds();
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int usage() {
  std::fprintf(stderr, "usage: fp8sa_bench_fp32 [--n N] [--reps R] [--threads T] [--cpu-time] [--check]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 1024, reps = 9, threads = 2;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto num = [&](int lo) {
      if (i + 1 >= argc) return -1;
      const int v = std::atoi(argv[++i]);
      return v >= lo ? v : -1;
    };
    if (a == "--n") {
      if ((n = num(1)) < 0) return usage();
    } else if (a == "--reps") {
      if ((reps = num(1)) < 0) return usage();
    } else if (a == "--threads") {
      if ((threads = num(1)) < 0) return usage();
    } else if (a == "--cpu-time") {
      g_cpu = true;
    } else if (a == "--check") {
      check = true;
    } else {
      return usage();
    }
  }
  // As fp8sa_bench: OpenBLAS reads OPENBLAS_THREAD_TIMEOUT when it loads, so
  // re-execute with 4 (idle workers sleep at once instead of spinning on the
  // cores gemm_functional's threads need) unless it is set.
  if (std::getenv("OPENBLAS_THREAD_TIMEOUT") == nullptr) {
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
    execv("/proc/self/exe", argv);
  }
  const size_t nn = static_cast<size_t>(n);
  const auto A = randn_fp8(nn * nn, Fp8Format::E4M3, 11), B = randn_fp8(nn * nn, Fp8Format::E5M2, 12);
  std::vector<float> Af(nn * nn), Bf(nn * nn), Cf(nn * nn);
  for (size_t i = 0; i < nn * nn; ++i) {
    const uint32_t a = fp8sa::fp8_to_f32_bits(A[i], Fp8Format::E4M3), b = fp8sa::fp8_to_f32_bits(B[i], Fp8Format::E5M2);
    std::memcpy(&Af[i], &a, 4);
    std::memcpy(&Bf[i], &b, 4);
  }
  fp8sa::GemmProblem p;
  p.M = p.N = p.K = n;
  p.A = A.data();
  p.B = B.data();
  p.fmt_a = Fp8Format::E4M3;
  p.fmt_b = Fp8Format::E5M2;
  const int sizes[3] = {16, 8, 4};
  fp8sa::ArrayConfig cfg[3];
  fp8sa::GemmOutput out[3];
  for (int c = 0; c < 3; ++c) cfg[c].rows = cfg[c].cols = sizes[c];
  fp8sa::GemmOptions o;
  o.threads = threads;
  openblas_set_num_threads(threads);
  std::vector<double> t[4];
  for (int r = -1; r < reps; ++r) {  // r = -1: warm-up
    for (int j = 0; j < 4; ++j) {
      const int b = (j + r + 4) % 4;
      const double t0 = now();
      if (b == 3) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, Af.data(), n, Bf.data(), n, 0.0f,
                    Cf.data(), n);
      } else {
        fp8sa::gemm_functional(p, cfg[b], &out[b], o);
      }
      if (r >= 0) t[b].push_back(now() - t0);
    }
  }
  double med[4];
  for (int b = 0; b < 4; ++b) {
    std::sort(t[b].begin(), t[b].end());
    med[b] = t[b][t[b].size() / 2];
  }
  std::printf("GEMM %dx%dx%d, A E4M3, B E5M2 (N(0,1) quantized), e8m23 RNE, %d thread(s), median of %d, %s\n", n, n, n,
              threads, reps, g_cpu ? "process CPU time" : "wall time");
  int failed = 0;
  for (int b = 0; b < 3; ++b) {
    long inexact = 0;
    for (uint8_t f : out[b].tile_flags) inexact += f != 0;
    std::printf("  functional %2dx%-2d %9.2f ms   sgemm / this %6.3f   tiles inexact %ld of %zu\n", sizes[b], sizes[b],
                med[b] * 1e3, med[3] / med[b], inexact, out[b].tile_flags.size());
  }
  std::printf("  OpenBLAS sgemm    %9.2f ms\n", med[3] * 1e3);
  const bool same = out[0].out == out[1].out && out[1].out == out[2].out;
  std::printf("  check: shapes' values equal: %s\n", same ? "ok" : "FAILED");
  failed += same ? 0 : 1;
  if (check) {
    fp8sa::GemmOptions g = o;
    g.allow_fast = false;
    for (int b = 0; b < 3; ++b) {
      fp8sa::GemmOutput ref;
      fp8sa::gemm_functional(p, cfg[b], &ref, g);
      const bool ok = ref.out == out[b].out && ref.tile_flags == out[b].tile_flags;
      std::printf("  check: %2dx%-2d values and tile flags = generic path: %s\n", sizes[b], sizes[b], ok ? "ok" : "FAILED");
      failed += ok ? 0 : 1;
    }
  }
  return failed != 0 ? 1 : 0;
}

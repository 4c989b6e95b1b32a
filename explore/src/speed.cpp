// The model's speed: see fp8sa/explore/speed.hpp.
#include "fp8sa/explore/speed.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <random>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"

namespace fp8sa::explore {

namespace {

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

std::vector<Speed> measure_speed(int threads) {
  const int M = 128, K = 2048, N = 128;
  std::vector<uint8_t> A(static_cast<size_t>(M) * K), B(static_cast<size_t>(K) * N);
  // N(0, 1) samples quantized to E4M3 (RNE, saturating), as make bench section 6.
  std::mt19937_64 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const Quantizer qz(kFp32);
  auto code = [&] {
    const float x = nd(rng);
    uint32_t b;
    std::memcpy(&b, &x, 4);
    return static_cast<uint8_t>(qz.quantize(b, OutFormat::E4M3, Round::RNE, true).bits);
  };
  for (auto& a : A) a = code();
  for (auto& b : B) b = code();
  std::vector<Speed> out;
  for (const char* acc : {"e8m10", "e6m9", "e5m10"})
    for (Round r : {Round::RNE, Round::RZ, Round::SR}) {
      ArrayConfig cfg;
      cfg.rows = cfg.cols = 8;
      cfg.acc = AccFormat::parse(acc);
      GemmProblem p;
      p.M = M;
      p.K = K;
      p.N = N;
      p.A = A.data();
      p.B = B.data();
      p.rnd = r;
      Speed s{acc, r};
      for (int fast = 0; fast < 2; ++fast) {
        GemmOptions o;
        o.threads = threads;
        o.allow_fast = fast == 1;
        GemmOutput g;
        double best = 1e30, best_cpu = 1e30;
        for (int rep = 0; rep < 2; ++rep) {
          const auto t0 = std::chrono::steady_clock::now();
          const double c0 = process_cpu_seconds();
          gemm_functional(p, cfg, &g, o);
          best_cpu = std::min(best_cpu, process_cpu_seconds() - c0);
          best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        const double macs = static_cast<double>(M) * K * N;
        (fast ? s.fast : s.generic) = macs / best;
        (fast ? s.fast_cpu : s.generic_cpu) = macs / best_cpu;
      }
      out.push_back(s);
    }
  return out;
}

}  // namespace fp8sa::explore

// fp8sa_bench_acc: `make bench` section 6 (docs/bench.md "6. Narrow
// accumulators"): the functional model's MAC rate for accumulators other
// than e8m23 RNE, the formats issue 11's exploration sweeps.
//
// For each accumulator (default e8m10, e6m9, e5m10) and rounding (RNE, RZ,
// SR with 16 random bits), one whole gemm_functional call on an M x K x N
// GEMM (default 256 x 4096 x 256, A E4M3, B E5M2, N(0, 1) samples quantized
// to FP8, raw output, an 8x8 array, every core) on the path gemm_functional
// picks (allow_fast = true) and, with --generic, on the generic AccAdder path
// (allow_fast = false), the "before". Rate = M*N*K / median time. Every
// timed fast run is checked against the generic path on sampled tiles
// (values and flags), so no rate comes from a run that computed something
// else. Only links the model: builds in seconds.
//
// Exit status 0, 1 when a check failed, 2 for a bad command line.
#include <algorithm>
#include <cstdarg>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <ctime>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/numerics.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int M = 256, K = 4096, N = 256;
  int reps = 3;
  bool generic = false;  // also time the generic path
  int promote = 0;       // promote_n of the timed runs
  std::string out;
  std::vector<std::string> accs = {"e8m10", "e6m9", "e5m10"};
};

[[noreturn]] void usage_error(const std::string& m) {
  std::fprintf(stderr, "fp8sa_bench_acc: %s\n", m.c_str());
  std::fprintf(stderr,
               "usage: fp8sa_bench_acc [--m M] [--k K] [--n N] [--reps N] [--generic] [--promote N]\n"
               "                       [--accs e8m10,e6m9,e5m10] [--quick] [--out FILE]\n");
  std::exit(2);
}

int parse_int(const std::string& s, const char* what, int lo, int hi) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < lo || v > hi) {
    usage_error(std::string(what) + ": '" + s + "' is not an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  }
  return static_cast<int>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--m") {
      o.M = parse_int(val(), "--m", 1, 1 << 16);
    } else if (a == "--k") {
      o.K = parse_int(val(), "--k", 1, 65535);
    } else if (a == "--n") {
      o.N = parse_int(val(), "--n", 1, 1 << 16);
    } else if (a == "--reps") {
      o.reps = parse_int(val(), "--reps", 1, 100);
    } else if (a == "--promote") {
      o.promote = parse_int(val(), "--promote", 0, 65535);
      if (o.promote == 1) usage_error("--promote: 1 out of range (0 = off, or [2, 65535])");
    } else if (a == "--generic") {
      o.generic = true;
    } else if (a == "--quick") {
      o.M = 64;
      o.N = 64;
      o.K = 1024;
      o.reps = 1;
    } else if (a == "--out") {
      o.out = val();
    } else if (a == "--accs") {
      o.accs.clear();
      std::string s = val(), cur;
      for (char c : s + ",") {
        if (c == ',') {
          if (!cur.empty()) o.accs.push_back(cur);
          cur.clear();
        } else {
          cur += c;
        }
      }
      for (const auto& f : o.accs) {
        try {
          fp8sa::AccFormat::parse(f);
        } catch (const std::exception& e) {
          usage_error(std::string("--accs: ") + e.what());
        }
      }
    } else {
      usage_error("unknown option '" + a + "'");
    }
  }
  return o;
}

std::vector<uint8_t> randn_fp8(size_t n, fp8sa::Fp8Format fmt, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const fp8sa::Quantizer q(fp8sa::kFp32);
  const fp8sa::OutFormat of = fmt == fp8sa::Fp8Format::E4M3 ? fp8sa::OutFormat::E4M3 : fp8sa::OutFormat::E5M2;
  std::vector<uint8_t> v(n);
  for (auto& c : v) {
    const float x = nd(rng);
    uint32_t b;
    std::memcpy(&b, &x, 4);
    c = static_cast<uint8_t>(q.quantize(b, of, fp8sa::Round::RNE, true).bits);
  }
  return v;
}

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Report {
  std::string text;
  void line(const char* f, ...) __attribute__((format(printf, 2, 3)));
};

void Report::line(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  text += std::string(buf) + "\n";
  std::printf("%s\n", buf);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto A = randn_fp8(static_cast<size_t>(o.M) * o.K, fp8sa::Fp8Format::E4M3, 21);
  const auto B = randn_fp8(static_cast<size_t>(o.K) * o.N, fp8sa::Fp8Format::E5M2, 22);
  const double macs = static_cast<double>(o.M) * o.N * o.K;
  Report rep;
  rep.line("[6] narrow accumulators: functional model (fp8sa::gemm_functional) MAC rate, %dx%dx%d GEMM,", o.M, o.K,
           o.N);
  rep.line("    A E4M3, B E5M2 (N(0,1) quantized), 8x8 array, raw output, SR with 16 bits, promote_n %d,", o.promote);
  rep.line("    %d threads, median of %d; MAC/s = M*N*K / time; fast runs checked against the generic path", hw, o.reps);
  rep.line("    (sampled tiles, values and flags)");
  rep.line("    (the machine is shared: MAC per CPU-second, from the process CPU time, is the rate with every");
  rep.line("    core to itself; wall-clock MAC/s is what this run got)");
  rep.line("%s", "");
  rep.line("    acc     rnd   path       median ms  MAC/s wall  MAC/CPU-s   CPU-ns/MAC");
  int failures = 0;
  std::mt19937_64 rng(5);
  for (const auto& accname : o.accs) {
    for (fp8sa::Round rnd : {fp8sa::Round::RNE, fp8sa::Round::RZ, fp8sa::Round::SR}) {
      fp8sa::ArrayConfig cfg;
      cfg.rows = cfg.cols = 8;
      cfg.acc = fp8sa::AccFormat::parse(accname);
      cfg.promote_n = o.promote;
      fp8sa::GemmProblem p;
      p.M = o.M;
      p.K = o.K;
      p.N = o.N;
      p.A = A.data();
      p.B = B.data();
      p.fmt_a = fp8sa::Fp8Format::E4M3;
      p.fmt_b = fp8sa::Fp8Format::E5M2;
      p.rnd = rnd;
      for (int pass = 0; pass < (o.generic ? 2 : 1); ++pass) {
        fp8sa::GemmOptions go;
        go.allow_fast = pass == 0;
        fp8sa::GemmOutput out;
        std::vector<double> t, tc;
        for (int r = 0; r < o.reps; ++r) {
          const auto t0 = Clock::now();
          const double c0 = cpu_seconds();
          fp8sa::gemm_functional(p, cfg, &out, go);
          tc.push_back(cpu_seconds() - c0);
          t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        }
        const double m = median(t), mc = median(tc);
        rep.line("    %-6s  %-4s  %-8s  %10.1f   %9.3g   %9.3g       %6.2f", accname.c_str(), fp8sa::round_name(rnd),
                 pass == 0 ? "default" : "generic", m * 1e3, macs / m, macs / mc, mc * 1e9 / macs);
        if (pass == 0) {
          // Check: sampled 8x8 tiles, values and flags, on the generic path
          // alone (a sub-problem of the tile's rows and columns with the
          // same tile index is not possible, so recompute whole rows).
          fp8sa::GemmProblem q = p;
          const int tm = (o.M + 7) / 8;
          const int ti = static_cast<int>(rng() % static_cast<uint64_t>(tm));
          q.M = std::min(8, o.M - ti * 8);
          q.A = A.data() + static_cast<size_t>(ti) * 8 * o.K;
          // The same tiles need the same tile index for SR: only tile row 0
          // keeps its indices when the rows are cut, so check that row.
          if (rnd == fp8sa::Round::SR) {
            q.A = A.data();
            q.M = std::min(8, o.M);
          }
          fp8sa::GemmOutput g;
          fp8sa::GemmOptions gg;
          gg.allow_fast = false;
          fp8sa::gemm_functional(q, cfg, &g, gg);
          const int r0 = rnd == fp8sa::Round::SR ? 0 : ti * 8;
          int bad = 0;
          for (int i = 0; i < q.M; ++i)
            for (int j = 0; j < o.N; ++j)
              if (g.out[static_cast<size_t>(i) * o.N + j] != out.out[static_cast<size_t>(r0 + i) * o.N + j]) ++bad;
          for (int j = 0; j < g.tiles_n; ++j)
            if (g.tile_flags[static_cast<size_t>(j)] !=
                out.tile_flags[static_cast<size_t>(r0 / 8) * out.tiles_n + j])
              ++bad;
          if (bad != 0) {
            rep.line("    CHECK FAILED: %d mismatches against the generic path (%s %s)", bad, accname.c_str(),
                     fp8sa::round_name(rnd));
            ++failures;
          }
        }
      }
    }
  }
  rep.line("    %d check(s) failed", failures);
  if (!o.out.empty()) {
    std::ofstream f(o.out, std::ios::app);
    f << "\n" << rep.text;
    if (!f) {
      std::fprintf(stderr, "fp8sa_bench_acc: cannot write %s\n", o.out.c_str());
      return 2;
    }
  }
  return failures == 0 ? 0 : 1;
}

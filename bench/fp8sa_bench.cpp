// fp8sa_bench: `make bench` (docs/bench.md). Measures, in one process and
// one run (the machine is shared and noisy, so only ratios measured side by
// side mean anything):
//
//   [1] the functional model (gemm_functional, e8m23, RNE, raw output) on a
//       1024 x 1024 x 1024 GEMM against OpenBLAS cblas_sgemm on float copies
//       of the same FP8 values, repetitions interleaved: GFLOP/s-equivalent
//       (2*M*N*K / time) and the ratio;
//   [2] the cycle-accurate model (ArrayCycleModel) against the Verilated RTL
//       (rtl::ArrayRtl), both driven by gemm_stream on M = 4*ROWS, N =
//       4*COLS, K = 256, for 4x4, 8x8 and 16x16 arrays (--sizes: any size with a
//       Verilated square configuration): PE-cycles per second
//       (clock edges * ROWS * COLS / time) and the ratio;
//   [3] the same RTL under Icarus Verilog (bench/fp8sa_array_bench_tb.v,
//       iverilog -g2005 + vvp) streaming that GEMM for a fixed number of
//       cycles: PE-cycles per second from the vvp wall time less its startup
//       (a 0-cycle run), and the ratio Verilated / Icarus;
//   [4] the array's utilisation (counted on the cycle model, not timed) for
//       40 tiles of K = max(COLS + 1, ROWS), COLS, 4*COLS and COLS/4 at
//       sizes up to 256x256 (--util-sizes; docs/array.md "Utilisation"),
//       with a rough one-run cycle-model rate;
//   [5] whole processes, as a user runs them: `fp8sa gemm --backend
//       functional --out C.npy` on a 2048^3 E4M3 x E5M2 GEMM read from uint8
//       .npy files (its report and error check included) against
//       bench/sgemm_npy.c, a small C program that reads the same files,
//       decodes the codes to float, runs cblas_sgemm and writes float32 .npy;
//       runs interleaved, wall time from spawn to exit, the ratio of medians.
//
// Every measured run is also checked (bit-exact results), so no number comes
// from a run that computed something else. Prints one table, optionally
// also written to --out FILE. Exit status 0, 1 when a check failed, 2 for a
// bad command line or a tool that could not run.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cfenv>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_arrays.hpp"
#include "bench_util.hpp"
#include "lockstep.hpp"
#include "array_rtl.hpp"
#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/gemm_stream.hpp"
#include "fp8sa/numerics.hpp"

namespace {

using fp8sa::ArrayConfig;
using fp8sa::ArrayCycleModel;
using fp8sa::Fp8Format;
using fp8sa::bench::randn_fp8;
using fp8sa::bench::split;
using fp8sa::GemmOutput;
using fp8sa::GemmProblem;
using Clock = std::chrono::steady_clock;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string strf(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string strf(const char* f, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

// The report: printed as it grows (progress on a slow machine) and written
// to --out at the end.
struct Report {
  std::string text;
  void line(const std::string& s) {
    text += s + "\n";
    std::printf("%s\n", s.c_str());
    std::fflush(stdout);
  }
};

// Progress notes go to stderr, not into the table.
void note(const std::string& s) {
  std::fprintf(stderr, "fp8sa_bench: %s\n", s.c_str());
  std::fflush(stderr);
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string l;
  while (std::getline(f, l)) {
    if (l.rfind("model name", 0) == 0) {
      const auto p = l.find(':');
      if (p != std::string::npos) {
        std::string s = l.substr(p + 1);
        s.erase(0, s.find_first_not_of(" \t"));
        return s;
      }
    }
  }
  return "unknown CPU";
}

std::vector<float> to_float(const std::vector<uint8_t>& codes, Fp8Format fmt) {
  std::vector<float> v(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    const uint32_t b = fp8sa::fp8_to_f32_bits(codes[i], fmt);
    std::memcpy(&v[i], &b, 4);
  }
  return v;
}

float f32(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

struct Options {
  std::string out;
  std::string workdir = ".";
  int gemm_n = 1024;
  int reps = 9;                 // [1] repetitions of each back-end
  int array_reps = 5;           // [2] repetitions of each back-end
  double array_min_s = 0.4;     // [2] at least this long per measurement
  std::vector<int> sizes = {4, 8, 16};             // [2]: square arrays with a Verilated configuration
  std::vector<int> util_sizes = {4, 8, 16, 32, 64, 128, 256};  // [4]: cycle model only, any size
  std::vector<std::pair<int, long>> icarus = {{4, 8192}, {8, 640}};  // size, cycles
  int process_n = 2048;         // [5] M = K = N of the whole-process GEMM
  int process_reps = 7;         // [5] runs of each process
  bool sizes_given = false;
  // --lockstep CONFIG:SEED:GEMMS (repeatable): only these lockstep runs of
  // the cycle model against a Verilated array (make regress uses it for
  // bench32x32, which the fp8sa CLI does not link).
  struct Lockstep {
    std::string config;
    uint64_t seed = 1;
    int gemms = 1;
  };
  std::vector<Lockstep> lockstep;
};

// The Verilated square array of a size: bench16x16 / bench32x32
// (bench/CMakeLists.txt) when built, else the aNxN line of
// sim/array_configs.txt when one is built.
std::string rtl_name(int size) {
  const std::string bench = fp8sa::bench::bench_array_name(size);
  if (!bench.empty()) return bench;
  const std::string name = "a" + std::to_string(size) + "x" + std::to_string(size);
  for (const auto& nc : fp8sa::rtl::array_configs())
    if (nc.name == name && nc.cfg.rows == size && nc.cfg.cols == size) return name;
  return "";
}

std::string rtl_sizes() {
  std::string v;
  for (int n = 1; n <= fp8sa::kArrayMaxDim; ++n)
    if (!rtl_name(n).empty()) v += (v.empty() ? "" : ", ") + std::to_string(n);
  return v;
}

long parse_long(const std::string& s, const char* what, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v < lo || v > hi)
    throw UsageError(strf("%s: '%s' is not an integer in [%ld, %ld]", what, s.c_str(), lo, hi));
  return v;
}

void usage() {
  std::fprintf(stderr,
               "usage: fp8sa_bench [--out FILE] [--workdir DIR] [--quick] [--gemm-n N] [--reps N]\n"
               "                   [--array-reps N] [--array-min-s S] [--sizes 4,8,16]\n"
               "                   [--util-sizes 4,8,16,32,64,128,256]\n"
               "                   [--icarus SIZE:CYCLES,...|none] [--process-n N]\n"
               "       fp8sa_bench --lockstep CONFIG:SEED:GEMMS [--lockstep ...]   (lockstep runs only)\n");
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError("option " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--out") o.out = val();
    else if (a == "--workdir") o.workdir = val();
    else if (a == "--gemm-n") o.gemm_n = static_cast<int>(parse_long(val(), "--gemm-n", 16, 8192));
    else if (a == "--reps") o.reps = static_cast<int>(parse_long(val(), "--reps", 1, 1000));
    else if (a == "--array-reps") o.array_reps = static_cast<int>(parse_long(val(), "--array-reps", 1, 1000));
    else if (a == "--array-min-s") {
      const std::string v = val();
      char* end = nullptr;
      o.array_min_s = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(o.array_min_s >= 0.0 && o.array_min_s <= 60.0))
        throw UsageError("--array-min-s: '" + v + "' is not a number of seconds in [0, 60]");
    } else if (a == "--sizes") {
      o.sizes.clear();
      o.sizes_given = true;
      for (const auto& s : split(val(), ',')) {
        const int n = static_cast<int>(parse_long(s, "--sizes", 1, fp8sa::kArrayMaxDim));
        if (rtl_name(n).empty())
          throw UsageError("--sizes: no Verilated " + s + "x" + s + " array in this build (built: " + rtl_sizes() + ")");
        o.sizes.push_back(n);
      }
    } else if (a == "--util-sizes") {
      o.util_sizes.clear();
      for (const auto& s : split(val(), ','))
        o.util_sizes.push_back(static_cast<int>(parse_long(s, "--util-sizes", 1, fp8sa::kArrayMaxDim)));
    } else if (a == "--icarus") {
      o.icarus.clear();
      const std::string v = val();
      if (v != "none") {
        for (const auto& s : split(v, ',')) {
          const auto c = s.find(':');
          if (c == std::string::npos) throw UsageError("--icarus: '" + s + "' is not SIZE:CYCLES");
          const int n = static_cast<int>(parse_long(s.substr(0, c), "--icarus size", 1, fp8sa::kArrayMaxDim));
          if (rtl_name(n).empty())
            throw UsageError("--icarus: no Verilated array of size " + s.substr(0, c) + " (built: " + rtl_sizes() + ")");
          o.icarus.emplace_back(n, parse_long(s.substr(c + 1), "--icarus cycles", 1, 100000000));
        }
      }
    } else if (a == "--quick") {
      o.gemm_n = 256;
      o.reps = 2;
      o.array_reps = 1;
      o.array_min_s = 0.0;
      o.icarus = {{4, 600}};
      o.util_sizes = {4, 8, 16, 32};
      o.process_n = 512;
      o.process_reps = 3;
    } else if (a == "--lockstep") {
      const auto f = split(val(), ':');
      if (f.size() != 3) throw UsageError("--lockstep: expected CONFIG:SEED:GEMMS");
      Options::Lockstep l;
      l.config = f[0];
      l.seed = static_cast<uint64_t>(parse_long(f[1], "--lockstep seed", 0, 2147483647L));
      l.gemms = static_cast<int>(parse_long(f[2], "--lockstep gemms", 1, 1000000));
      o.lockstep.push_back(l);
    } else if (a == "--process-n") {
      o.process_n = static_cast<int>(parse_long(val(), "--process-n", 16, 8192));
    } else if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    } else {
      throw UsageError("unknown argument '" + a + "'");
    }
  }
  // The 32x32 joins section [2] by default when it is built.
  if (!o.sizes_given && !fp8sa::bench::bench_array_name(32).empty()) o.sizes.push_back(32);
  return o;
}

int g_failures = 0;
void check(bool ok, Report& rep, const std::string& what) {
  if (!ok) {
    ++g_failures;
    rep.line("    CHECK FAILED: " + what);
  }
}

// ---------------------------------------------------------------------------
// [1] functional model vs OpenBLAS sgemm
// ---------------------------------------------------------------------------

struct Sec1 {
  double ratio8_all = 0.0;  // functional 8x8 / sgemm with every core
  double ratio_all[3] = {};  // 16x16, 8x8, 4x4 with every core
  int threads_all = 1;
};

Sec1 bench_functional(const Options& opt, Report& rep) {
  const int n = opt.gemm_n;
  const size_t nn = static_cast<size_t>(n);
  const double flop = 2.0 * n * static_cast<double>(n) * n;
  const auto A = randn_fp8(nn * nn, Fp8Format::E4M3, 11);
  const auto B = randn_fp8(nn * nn, Fp8Format::E5M2, 12);
  const auto Af = to_float(A, Fp8Format::E4M3);
  const auto Bf = to_float(B, Fp8Format::E5M2);
  std::vector<float> Cf(nn * nn);

  GemmProblem p;
  p.M = n;
  p.K = n;
  p.N = n;
  p.A = A.data();
  p.B = B.data();
  p.fmt_a = Fp8Format::E4M3;
  p.fmt_b = Fp8Format::E5M2;
  p.rnd = fp8sa::Round::RNE;
  p.out_fmt = fp8sa::OutKind::Raw;
  // The array shape changes only the flags' granularity (one set per R x C
  // output tile), not a value; it picks the fast path's kernel (docs/bench.md).
  const int sizes[] = {16, 8, 4};
  constexpr int kConfigs = 3;
  ArrayConfig cfg[kConfigs];
  GemmOutput out[kConfigs];
  for (int c = 0; c < kConfigs; ++c) cfg[c].rows = cfg[c].cols = sizes[c];

  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> thread_counts = {hw};
  if (hw > 1) thread_counts.push_back(1);

  rep.line(strf("[1] GEMM %dx%dx%d: functional model (fp8sa::gemm_functional) vs OpenBLAS cblas_sgemm", n, n, n));
  rep.line("    A E4M3, B E5M2 (N(0,1) quantized, RNE, saturating), e8m23 accumulator, RNE, raw output and");
  rep.line("    per-tile flags; sgemm on float copies of the same values (row-major, alpha 1, beta 0).");
  rep.line(strf("    median of %d repetitions per back-end, interleaved; GFLOP/s-eq = 2*M*N*K / time", opt.reps));
  const char* timeout = std::getenv("OPENBLAS_THREAD_TIMEOUT");
  rep.line(strf("    OPENBLAS_THREAD_TIMEOUT=%s (the bench sets 4 unless given: idle OpenBLAS workers then sleep at once",
                timeout != nullptr ? timeout : "unset"));
  rep.line("    instead of spinning on the cores the functional model's threads need; docs/bench.md)");
  rep.line("");
  rep.line("    back-end                         threads   median ms   GFLOP/s-eq   / sgemm");

  Sec1 res;
  res.threads_all = hw;
  bool checked = false;
  for (int th : thread_counts) {
    openblas_set_num_threads(th);
    fp8sa::GemmOptions go;
    go.threads = th;
    auto run = [&](int which) {
      if (which < kConfigs) {
        fp8sa::gemm_functional(p, cfg[which], &out[which], go);
      } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, Af.data(), n, Bf.data(), n, 0.0f,
                    Cf.data(), n);
      }
    };
    // warm-up (pages, thread pools), not timed
    for (int w = 0; w <= kConfigs; ++w) run(w);
    std::vector<double> t[kConfigs + 1];
    for (int r = 0; r < opt.reps; ++r) {
      // rotate the order so no back-end always runs right after another
      for (int j = 0; j <= kConfigs; ++j) {
        const int which = (j + r) % (kConfigs + 1);
        const auto t0 = Clock::now();
        run(which);
        t[which].push_back(seconds_since(t0));
      }
    }
    const double mb = median(t[kConfigs]);
    for (int c = 0; c < kConfigs; ++c) {
      const double m = median(t[c]);
      rep.line(strf("    functional model, %2dx%-2d array   %7d   %9.1f   %10.2f   %7.3f", sizes[c], sizes[c], th, m * 1e3,
                    flop / m / 1e9, mb / m));
      if (th == hw && sizes[c] == 8) res.ratio8_all = mb / m;
      if (th == hw) res.ratio_all[c] = mb / m;
    }
    rep.line(strf("    OpenBLAS cblas_sgemm            %7d   %9.1f   %10.2f   %7.3f", th, mb * 1e3, flop / mb / 1e9, 1.0));

    if (!checked) {
      checked = true;
      // The timed runs computed the GEMM: sampled outputs are one fmaf chain
      // in k order (numerics.md: e8m23 RNE MAC == fmaf), sampled tiles'
      // flags are the host's over the tile's fmaf chains, every shape gives
      // the same values, and they are close to sgemm.
      std::mt19937_64 rng(99);
      int bad = 0;
      const int samples = 256;
      for (int s = 0; s < samples; ++s) {
        const size_t i = rng() % nn, j = rng() % nn;
        float acc = 0.0f;
        for (size_t k = 0; k < nn; ++k) acc = std::fmaf(Af[i * nn + k], Bf[k * nn + j], acc);
        uint32_t want;
        std::memcpy(&want, &acc, 4);
        if (out[0].out[i * nn + j] != want) ++bad;
      }
      check(bad == 0, rep, strf("%d of %d sampled functional outputs differ from the fmaf chain", bad, samples));
      bool same = true;
      for (int c = 1; c < kConfigs; ++c) same = same && out[c].out == out[0].out;
      check(same, rep, "functional outputs of the array shapes differ");
      int flag_bad = 0, flag_samples = 0;
      std::string inexact_counts;
      for (int c = 0; c < kConfigs; ++c) {
        const int R = sizes[c];
        size_t inexact = 0;
        for (uint8_t f : out[c].tile_flags) inexact += (f & fp8sa::kFlagInexact) != 0 ? 1u : 0u;
        inexact_counts += strf("%s%dx%d %zu of %zu", c ? ", " : "", R, R, inexact, out[c].tile_flags.size());
        for (int s = 0; s < 4; ++s, ++flag_samples) {
          const size_t tile = rng() % out[c].tile_flags.size();
          const size_t ti = tile / static_cast<size_t>(out[c].tiles_n), tj = tile % static_cast<size_t>(out[c].tiles_n);
          std::feclearexcept(FE_ALL_EXCEPT);
          for (size_t i = ti * R; i < ti * R + R; ++i) {
            for (size_t j = tj * R; j < tj * R + R; ++j) {
              volatile float acc = 0.0f;
              for (size_t k = 0; k < nn; ++k) acc = std::fmaf(Af[i * nn + k], Bf[k * nn + j], acc);
            }
          }
          const int ex = std::fetestexcept(FE_ALL_EXCEPT);
          const uint8_t want = static_cast<uint8_t>(((ex & FE_INEXACT) ? fp8sa::kFlagInexact : 0) |
                                                    ((ex & FE_UNDERFLOW) ? fp8sa::kFlagUnderflow : 0) |
                                                    ((ex & FE_OVERFLOW) ? fp8sa::kFlagOverflow : 0) |
                                                    ((ex & FE_INVALID) ? fp8sa::kFlagInvalid : 0));
          if (out[c].tile_flags[tile] != want) ++flag_bad;
        }
      }
      check(flag_bad == 0, rep, strf("%d of %d sampled tiles' flags differ from the host's", flag_bad, flag_samples));
      double maxd = 0.0, maxc = 0.0;
      for (size_t i = 0; i < nn * nn; ++i) {
        maxd = std::max(maxd, std::fabs(static_cast<double>(f32(out[0].out[i])) - Cf[i]));
        maxc = std::max(maxc, std::fabs(static_cast<double>(Cf[i])));
      }
      const double rel = maxc > 0 ? maxd / maxc : 0.0;
      check(rel < 1e-4, rep, strf("functional vs sgemm: max |diff| / max |C| = %.3g", rel));
      rep.line(strf("    checks: %d sampled outputs = fmaf chain (bit-exact) %s; all shapes equal %s;", samples,
                    bad == 0 ? "ok" : "FAILED", same ? "ok" : "FAILED"));
      rep.line(strf("            %d sampled tiles' flags = host fenv over the tile's fmaf chains %s;", flag_samples,
                    flag_bad == 0 ? "ok" : "FAILED"));
      rep.line(strf("            tiles inexact: %s", inexact_counts.c_str()));
      rep.line(strf("            max |functional - sgemm| / max |sgemm| = %.2g (sgemm may sum in another order)", rel));
    }
  }
  openblas_set_num_threads(hw);
  rep.line(strf("    target (issue): functional / sgemm >= 0.5 with %d threads: %.3f, %s", hw, res.ratio8_all,
                res.ratio8_all >= 0.5 ? "met" : "NOT met"));
  rep.line("");
  return res;
}

// ---------------------------------------------------------------------------
// [2] cycle model vs Verilated RTL, [3] Icarus
// ---------------------------------------------------------------------------

constexpr int kArrayK = 256;

struct ArrayGemm {
  int R = 0, C = 0, M = 0, N = 0, K = kArrayK;
  std::vector<uint8_t> A, B;
  GemmProblem p;
  ArrayConfig cfg;
  GemmOutput ref;  // gemm_functional
  long tiles() const { return static_cast<long>(M / R) * (N / C); }
};

ArrayGemm make_array_gemm(const ArrayConfig& cfg) {
  ArrayGemm g;
  g.cfg = cfg;
  g.R = cfg.rows;
  g.C = cfg.cols;
  g.M = 4 * g.R;
  g.N = 4 * g.C;
  g.A = randn_fp8(static_cast<size_t>(g.M) * g.K, Fp8Format::E4M3, 1000u + static_cast<unsigned>(g.R));
  g.B = randn_fp8(static_cast<size_t>(g.K) * g.N, Fp8Format::E5M2, 2000u + static_cast<unsigned>(g.C));
  g.p.M = g.M;
  g.p.K = g.K;
  g.p.N = g.N;
  g.p.A = g.A.data();
  g.p.B = g.B.data();
  g.p.fmt_a = Fp8Format::E4M3;
  g.p.fmt_b = Fp8Format::E5M2;
  g.p.rnd = fp8sa::Round::RNE;
  g.p.out_fmt = fp8sa::OutKind::Raw;
  fp8sa::gemm_functional(g.p, cfg, &g.ref);
  return g;
}

// n GEMMs from reset through `ports`; returns seconds, adds clock edges.
template <class Ports>
double run_stream(Ports& ports, const ArrayGemm& g, int n, GemmOutput* out, uint64_t* cycles, uint64_t* macs) {
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    ports.reset();
    const fp8sa::GemmStreamStats st = fp8sa::gemm_stream(ports, g.p, g.cfg, out);
    *cycles += st.cycles;
    *macs += st.pe_macs;
  }
  return seconds_since(t0);
}

struct ArrayResult {
  int size = 0;
  double model_pcs = 0.0, rtl_pcs = 0.0;  // PE-cycles per second (medians)
};

// The Verilated SIZE x SIZE array (rtl_name), from the one registry (the
// bench's 16x16 is registered into it in main).
std::unique_ptr<fp8sa::rtl::ArrayRtl> make_rtl(int size, std::string* name) {
  *name = rtl_name(size);
  if (name->empty()) throw std::runtime_error(strf("no Verilated %dx%d array is built", size, size));
  return fp8sa::rtl::make_array(*name);
}

std::vector<ArrayResult> bench_arrays(const Options& opt, Report& rep) {
  rep.line("[2] Cycle-accurate model (ArrayCycleModel) vs Verilated RTL (rtl::ArrayRtl), both through gemm_stream");
  rep.line(strf("    GEMM M = 4*ROWS, N = 4*COLS, K = %d (16 tiles), A E4M3 x B E5M2, e8m23 RNE, raw output,", kArrayK));
  rep.line("    no gaps, out_ready high; PE-cycles/s = clock edges * ROWS*COLS / time, each measurement");
  rep.line(strf("    >= %.2g s (whole GEMMs from reset), median of %d, interleaved; util = PE MACs / PE-cycles",
                opt.array_min_s, opt.array_reps));
  rep.line("");
  rep.line("    array  Verilated     edges/GEMM  util   cycle model PE-cyc/s  Verilated PE-cyc/s  model / Verilated");
  std::vector<ArrayResult> res;
  const int failures_before = g_failures;
  for (int size : opt.sizes) {
    std::string name;
    std::unique_ptr<fp8sa::rtl::ArrayRtl> rtl = make_rtl(size, &name);
    const ArrayGemm g = make_array_gemm(rtl->config());
    ArrayCycleModel model(g.cfg);

    // First runs: check both against the functional model, and size the
    // measurements.
    GemmOutput om, orl;
    uint64_t cyc_m = 0, cyc_r = 0, macs_m = 0, macs_r = 0;
    const double s_m = run_stream(model, g, 1, &om, &cyc_m, &macs_m);
    const double s_r = run_stream(*rtl, g, 1, &orl, &cyc_r, &macs_r);
    const bool ok_m = om.out == g.ref.out && om.tile_flags == g.ref.tile_flags;
    const bool ok_r = orl.out == g.ref.out && orl.tile_flags == g.ref.tile_flags;
    check(ok_m, rep, strf("%dx%d cycle model output differs from gemm_functional", size, size));
    check(ok_r, rep, strf("%dx%d Verilated output differs from gemm_functional", size, size));
    check(cyc_m == cyc_r, rep, strf("%dx%d: cycle model took %" PRIu64 " edges, Verilated %" PRIu64, size, size,
                                    cyc_m, cyc_r));
    const uint64_t edges = cyc_m;
    const double util = static_cast<double>(macs_m) / (static_cast<double>(edges) * size * size);
    const int n_m = std::max(1, static_cast<int>(std::ceil(opt.array_min_s / std::max(s_m, 1e-6))));
    const int n_r = std::max(1, static_cast<int>(std::ceil(opt.array_min_s / std::max(s_r, 1e-6))));

    std::vector<double> pm, pr;
    for (int r = 0; r < opt.array_reps; ++r) {
      for (int j = 0; j < 2; ++j) {
        const bool do_model = ((j + r) % 2) == 0;
        uint64_t cyc = 0, macs = 0;
        if (do_model) {
          const double s = run_stream(model, g, n_m, &om, &cyc, &macs);
          pm.push_back(static_cast<double>(cyc) * size * size / s);
        } else {
          const double s = run_stream(*rtl, g, n_r, &orl, &cyc, &macs);
          pr.push_back(static_cast<double>(cyc) * size * size / s);
        }
      }
    }
    ArrayResult ar;
    ar.size = size;
    ar.model_pcs = median(pm);
    ar.rtl_pcs = median(pr);
    rep.line(strf("    %2dx%-2d  %-12s  %10" PRIu64 "  %4.1f%%  %20.3g  %18.3g  %17.1f", size, size, name.c_str(), edges,
                  100.0 * util, ar.model_pcs, ar.rtl_pcs, ar.model_pcs / ar.rtl_pcs));
    res.push_back(ar);
  }
  rep.line("    checks: every back-end's first GEMM bit-equal to gemm_functional (values and tile flags),");
  rep.line(strf("            same number of edges on both%s", g_failures == failures_before ? ": ok" : ": FAILED"));
  rep.line("");
  return res;
}

// docs/array.md "Utilisation": 40 tiles (8 x 5) of K = max(COLS + 1, ROWS),
// of K = COLS, of K = 4 * COLS and of K = max(1, COLS / 4), streamed with no gaps on the cycle model
// (counted, deterministic), fill and drain included; at sizes up to 256, with
// the cycle model's time for the first (PE-cycles/s, not interleaved with
// anything: a rough figure).
void bench_utilisation(const Options& opt, Report& rep) {
  rep.line("[4] Utilisation of the array (cycle model, counted): 40 tiles (M = 8*ROWS, N = 5*COLS), no gaps,");
  rep.line("    out_ready high, fill and drain included; util = PE MACs / (clock edges * ROWS*COLS);");
  rep.line("    TILE_GAP = max(COLS, ceil((ROWS+COLS-1)/2)); PE-cyc/s: cycle model, first column's GEMM, one run");
  rep.line("");
  rep.line("    array    gap        K = max(COLS+1, ROWS)    edges    util   K = COLS    edges    util   K=4*COLS"
           "    edges    util   K=COLS/4    edges    util   PE-cyc/s");
  for (int size : opt.util_sizes) {
    ArrayConfig cfg;
    cfg.rows = cfg.cols = size;
    std::string cells = strf("    %-7s %4d", strf("%dx%d", size, size).c_str(), cfg.tile_gap());
    double pcs = 0.0;
    for (int k : {size + 1, size, 4 * size, std::max(1, size / 4)}) {
      GemmProblem p;
      p.M = 8 * size;
      p.N = 5 * size;
      p.K = k;
      const auto A = randn_fp8(static_cast<size_t>(p.M) * static_cast<size_t>(k), Fp8Format::E4M3, 5);
      const auto B = randn_fp8(static_cast<size_t>(k) * static_cast<size_t>(p.N), Fp8Format::E5M2, 6);
      p.A = A.data();
      p.B = B.data();
      p.fmt_b = Fp8Format::E5M2;
      ArrayCycleModel m(cfg);
      GemmOutput o;
      const auto t0 = Clock::now();
      const fp8sa::GemmStreamStats st = fp8sa::gemm_stream(m, p, cfg, &o);
      const double sec = seconds_since(t0);
      const double pe_cycles = static_cast<double>(st.cycles) * size * size;
      const double util = static_cast<double>(st.pe_macs) / pe_cycles;
      if (k == size + 1) pcs = pe_cycles / std::max(sec, 1e-9);
      cells += strf(k == size + 1 ? "   %20d   %6" PRIu64 "   %5.1f%%" : "   %8d   %6" PRIu64 "   %5.1f%%", k,
                    st.cycles, 100.0 * util);
    }
    rep.line(cells + strf("   %8.3g", pcs));
  }
  rep.line("");
}

// Runs a shell command; returns its exit status (-1 when it could not run).
int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  if (rc == -1) return -1;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + (WIFSIGNALED(rc) ? WTERMSIG(rc) : 0);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string q(const std::string& s) {  // single-quoted for /bin/sh
  std::string r = "'";
  for (char c : s) {
    if (c == '\'') r += "'\\''";
    else r += c;
  }
  return r + "'";
}

struct TbResult {
  long cycles = -1, steps = -1, rows = -1, bad_rows = -1;
  int sim_errors = 0;  // "fp8sa ERROR" lines (the RTL's simulation checks)
};

TbResult parse_tb_log(const std::string& log) {
  TbResult t;
  std::istringstream is(log);
  std::string l;
  while (std::getline(is, l)) {
    if (l.rfind("BENCH ", 0) == 0)
      std::sscanf(l.c_str(), "BENCH cycles=%ld steps=%ld rows=%ld bad_rows=%ld", &t.cycles, &t.steps, &t.rows,
                  &t.bad_rows);
    if (l.find("fp8sa ERROR") != std::string::npos) ++t.sim_errors;
  }
  return t;
}

// The testbench's stimulus on the cycle model: cmd, in and out_ready high
// from the first edge, the steps of the GEMM's tiles over and over; the
// result rows of `cycles` edges, each row COLS words.
std::vector<std::vector<uint32_t>> model_tb_rows(const ArrayGemm& g, long cycles) {
  ArrayCycleModel m(g.cfg);
  fp8sa::ArrayInputs in(g.cfg);
  in.cmd_valid_i = true;
  in.cmd_k_i = static_cast<uint16_t>(g.K);
  in.cmd_fmt_a_i = false;
  in.cmd_fmt_b_i = true;
  in.cmd_out_fmt_i = fp8sa::kOutFmtRaw;
  in.in_valid_i = true;
  in.out_ready_i = true;
  const int tn = g.N / g.C;
  const long nsteps = g.tiles() * g.K;
  long s = 0;
  std::vector<std::vector<uint32_t>> rows;
  for (long e = 0; e < cycles; ++e) {
    const long t = s / g.K;
    const int k = static_cast<int>(s % g.K);
    const int ti = static_cast<int>(t / tn), tj = static_cast<int>(t % tn);
    for (int r = 0; r < g.R; ++r) in.in_a_i[static_cast<size_t>(r)] = g.A[static_cast<size_t>(ti * g.R + r) * g.K + k];
    for (int c = 0; c < g.C; ++c) in.in_b_i[static_cast<size_t>(c)] = g.B[static_cast<size_t>(k) * g.N + tj * g.C + c];
    const fp8sa::ArrayOutputs& o = m.outputs();
    if (o.out_valid_o) rows.emplace_back(o.out_data_o.begin(), o.out_data_o.begin() + g.C);
    if (o.in_ready_o) s = (s + 1) % nsteps;
    m.clock(in);
  }
  return rows;
}

void write_steps(const ArrayGemm& g, const std::string& path) {
  std::ofstream f(path);
  if (!f) throw std::runtime_error("cannot write " + path);
  const int tn = g.N / g.C;
  for (long t = 0; t < g.tiles(); ++t) {
    const int ti = static_cast<int>(t / tn), tj = static_cast<int>(t % tn);
    for (int k = 0; k < g.K; ++k) {
      std::string l;
      for (int c = g.C - 1; c >= 0; --c) l += strf("%02x", g.B[static_cast<size_t>(k) * g.N + tj * g.C + c]);
      for (int r = g.R - 1; r >= 0; --r) l += strf("%02x", g.A[static_cast<size_t>(ti * g.R + r) * g.K + k]);
      f << l << '\n';
    }
  }
  if (!f) throw std::runtime_error("cannot write " + path);
}

struct IcarusResult {
  int size = 0;
  double icarus_pcs = 0.0, ratio = 0.0;  // ratio: Verilated / Icarus (0: no Verilated figure)
};

std::vector<IcarusResult> bench_icarus(const Options& opt, const std::vector<ArrayResult>& arrays, Report& rep) {
  std::vector<IcarusResult> res;
  if (opt.icarus.empty()) return res;
  rep.line("[3] Verilated RTL vs Icarus Verilog (event-driven), same RTL, same GEMM, same stimulus timing");
  rep.line("    bench/fp8sa_array_bench_tb.v (iverilog -g2005, vvp -n): cmd/in valid and out_ready high, the GEMM's");
  rep.line("    steps over and over for a fixed number of edges; Icarus s = vvp wall time - a 0-cycle vvp run");
  rep.line("    (startup, step file read; best of 2); PE-cyc/s = edges * ROWS*COLS / Icarus s; one timed run each;");
  rep.line("    Verilated PE-cyc/s from [2] (the C++ driver included, so the ratio is conservative)");
  rep.line("");
  rep.line("    array  edges    Icarus s  Icarus PE-cyc/s  Verilated PE-cyc/s  Verilated / Icarus  rows checked");
  const std::string dir = opt.workdir + "/icarus";
  if (sh("mkdir -p " + q(dir)) != 0) throw std::runtime_error("cannot create " + dir);
  for (const auto& ic : opt.icarus) {
    const int size = ic.first;
    const long cycles = ic.second;
    std::string name;
    std::unique_ptr<fp8sa::rtl::ArrayRtl> rtl = make_rtl(size, &name);
    const ArrayGemm g = make_array_gemm(rtl->config());
    rtl.reset();
    const std::string tag = strf("%dx%d", size, size);
    const std::string vvp = dir + "/tb_" + tag + ".vvp", steps = dir + "/steps_" + tag + ".hex",
                      outf = dir + "/rows_" + tag + ".hex", log = dir + "/vvp_" + tag + ".log",
                      clog = dir + "/iverilog_" + tag + ".log";
    write_steps(g, steps);
    const std::string tbp = "fp8sa_array_bench_tb.";
    const std::string compile =
        strf("%s -g2005 -Wall -I%s -I%s -s fp8sa_array_bench_tb ", FP8SA_IVERILOG, q(FP8SA_RTL_DIR).c_str(),
             q(std::string(FP8SA_RTL_DIR) + "/board").c_str()) +
        strf("-P%sROWS=%d -P%sCOLS=%d -P%sK=%d -P%sTILES=%ld ", tbp.c_str(), g.R, tbp.c_str(), g.C, tbp.c_str(), g.K,
             tbp.c_str(), g.tiles()) +
        "-o " + q(vvp) + " " + q(FP8SA_BENCH_TB) + " " + q(FP8SA_RTL_DIR) + "/units/*.v " + q(FP8SA_RTL_DIR) + "/array/*.v " +
        q(FP8SA_RTL_DIR) + "/board/*.v > " + q(clog) + " 2>&1";
    note("icarus " + tag + ": compiling");
    if (sh(compile) != 0) {
      rep.line("    " + tag + ": iverilog failed: " + slurp(clog));
      ++g_failures;
      continue;
    }
    const std::string warn = slurp(clog);
    if (!warn.empty()) note("iverilog " + tag + " said: " + warn);
    const std::string base = std::string(FP8SA_VVP) + " -n " + q(vvp) + " +steps=" + q(steps);
    double t0 = 1e30;
    for (int i = 0; i < 2; ++i) {
      const auto c0 = Clock::now();
      const int rc = sh(base + " +cycles=0 > " + q(log) + " 2>&1");
      t0 = std::min(t0, seconds_since(c0));
      if (rc != 0) throw std::runtime_error("vvp (0 cycles) failed: " + slurp(log));
    }
    note(strf("icarus %s: %ld cycles (startup %.3f s)", tag.c_str(), cycles, t0));
    const auto c1 = Clock::now();
    const int rc = sh(base + strf(" +cycles=%ld", cycles) + " +out=" + q(outf) + " > " + q(log) + " 2>&1");
    const double t1 = seconds_since(c1);
    if (rc != 0) throw std::runtime_error("vvp failed: " + slurp(log));
    const TbResult tr = parse_tb_log(slurp(log));
    const double net = t1 - t0;
    const double pcs = static_cast<double>(cycles) * size * size / net;

    // Checks: the edges and row sequence the testbench saw, and every row's
    // bits, equal those of the cycle model under the same stimulus, and the
    // rows are the GEMM's (gemm_functional).
    const auto want = model_tb_rows(g, cycles);
    std::vector<std::vector<uint32_t>> got;
    {
      std::istringstream is(slurp(outf));
      std::string l;
      while (std::getline(is, l)) {
        std::vector<uint32_t> row;
        const size_t w = static_cast<size_t>(g.C) * 8;
        if (l.size() == w && l.find_first_not_of("0123456789abcdef") == std::string::npos) {
          for (int c = 0; c < g.C; ++c)
            row.push_back(static_cast<uint32_t>(std::stoul(l.substr(w - 8 * static_cast<size_t>(c + 1), 8), nullptr, 16)));
        }
        got.push_back(row);
      }
    }
    bool func_ok = true;
    const int tn = g.N / g.C;
    for (size_t i = 0; i < want.size(); ++i) {
      const long t = static_cast<long>(i / static_cast<size_t>(g.R)) % g.tiles();
      const int r = static_cast<int>(i % static_cast<size_t>(g.R));
      const int ti = static_cast<int>(t / tn), tj = static_cast<int>(t % tn);
      for (int c = 0; c < g.C; ++c)
        if (want[i][static_cast<size_t>(c)] != g.ref.out[static_cast<size_t>(ti * g.R + r) * g.N + tj * g.C + c])
          func_ok = false;
    }
    const bool rows_ok = tr.cycles == cycles && tr.bad_rows == 0 && tr.rows == static_cast<long>(want.size()) &&
                         got == want && !want.empty();
    check(rows_ok, rep, strf("Icarus %s: %ld edges, %ld rows (%ld out of sequence), want %zu rows equal to the cycle "
                             "model's", tag.c_str(), tr.cycles, tr.rows, tr.bad_rows, want.size()));
    check(func_ok, rep, "cycle model rows under the testbench stimulus differ from gemm_functional");
    double vl = 0.0;
    for (const auto& a : arrays)
      if (a.size == size) vl = a.rtl_pcs;
    const std::string vls = vl > 0 ? strf("%18.3g  %18.0f", vl, vl / pcs) : strf("%18s  %18s", "(not run)", "-");
    rep.line(strf("    %2dx%-2d  %-7ld  %8.2f  %15.3g  %s  %5ld %s", size, size, cycles, net, pcs, vls.c_str(), tr.rows,
                  rows_ok && func_ok ? "ok" : "FAILED"));
    if (tr.sim_errors != 0)
      rep.line(strf("           note: the RTL's simulation checks printed %d 'fp8sa ERROR' lines under Icarus (%s)",
                    tr.sim_errors, log.c_str()));
    res.push_back({size, pcs, vl > 0 ? vl / pcs : 0.0});
  }
  rep.line("    checks: the rows received (count, order, every bit) equal the cycle model's under the same");
  rep.line("            stimulus, and those equal gemm_functional's result tiles");
  rep.line("");
  return res;
}

}  // namespace

// ---------------------------------------------------------------------------
// [5] whole processes: fp8sa gemm against a C program with cblas_sgemm
// ---------------------------------------------------------------------------

extern "C" char** environ;

// Runs argv[0] with argv (no shell), stdout and stderr to log; returns the
// wall seconds from spawn to exit, or throws when it cannot run or fails.
double run_process(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The child sees the user's environment: not the bench's own
  // OPENBLAS_THREAD_TIMEOUT (see main).
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "OPENBLAS_THREAD_TIMEOUT=", 24) != 0) envp.push_back(*e);
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid;
  const auto t0 = Clock::now();
  const int err = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) throw std::runtime_error("cannot run " + args[0] + ": " + std::strerror(err));
  int status = 0;
  waitpid(pid, &status, 0);
  const double s = seconds_since(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(args[0] + " failed (status " + std::to_string(status) + "); see " + log);
  return s;
}

// A 2-D uint8 .npy as numpy.save writes it (version 1.0).
void save_u8(const std::string& path, const std::vector<uint8_t>& v, int rows, int cols) {
  std::string h = strf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols);
  h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
  h.push_back('\n');
  std::ofstream f(path, std::ios::binary);
  const char pre[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<char>(h.size() & 0xFF),
                        static_cast<char>(h.size() >> 8)};
  f.write(pre, 10);
  f.write(h.data(), static_cast<std::streamsize>(h.size()));
  f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

// The float32 data of a 2-D .npy written by either program (header skipped).
std::vector<float> load_f32(const std::string& path, size_t count) {
  const std::string b = slurp(path);
  if (b.size() < 10 + count * 4) throw std::runtime_error(path + ": too short");
  const size_t hlen = static_cast<unsigned char>(b[8]) | (static_cast<size_t>(static_cast<unsigned char>(b[9])) << 8);
  if (b.size() != 10 + hlen + count * 4) throw std::runtime_error(path + ": unexpected size");
  std::vector<float> v(count);
  std::memcpy(v.data(), b.data() + 10 + hlen, count * 4);
  return v;
}

double bench_process(const Options& opt, Report& rep) {
  const int n = opt.process_n;
  rep.line(strf("[5] whole process: fp8sa gemm --backend functional vs a C program with cblas_sgemm, %dx%dx%d", n, n, n));
  rep.line("    (both read uint8 E4M3 A and E5M2 B .npy files and write float32 C.npy; wall time spawn to exit,");
  rep.line(strf("    %d runs each, interleaved; fp8sa on its default 8x8 array with its default sampled error check)",
                opt.process_reps));
  const std::string a = opt.workdir + "/proc_A.npy", b = opt.workdir + "/proc_B.npy";
  save_u8(a, randn_fp8(static_cast<size_t>(n) * n, Fp8Format::E4M3, 51), n, n);
  save_u8(b, randn_fp8(static_cast<size_t>(n) * n, Fp8Format::E5M2, 52), n, n);
  const std::string c_fp8sa = opt.workdir + "/proc_C_fp8sa.npy", c_sgemm = opt.workdir + "/proc_C_sgemm.npy";
  const std::vector<std::string> fp8sa_cmd = {FP8SA_CLI, "gemm", "--a", a, "--b", b, "--fmt-a", "e4m3", "--fmt-b",
                                              "e5m2", "--backend", "functional", "--out", c_fp8sa, "--quiet"};
  const std::vector<std::string> sgemm_cmd = {FP8SA_SGEMM_NPY, a, "e4m3", b, "e5m2", c_sgemm};
  const std::string log_f = opt.workdir + "/proc_fp8sa.log", log_s = opt.workdir + "/proc_sgemm.log";
  run_process(fp8sa_cmd, log_f);  // warm-up: page cache, CPU frequency
  run_process(sgemm_cmd, log_s);
  std::vector<double> tf, ts;
  for (int r = 0; r < opt.process_reps; ++r) {
    tf.push_back(run_process(fp8sa_cmd, log_f));
    ts.push_back(run_process(sgemm_cmd, log_s));
  }
  const double mf = median(tf), ms = median(ts), ratio = ms / mf;
  rep.line(strf("    %-44s %10s %10s %10s %10s", "process", "min s", "median s", "max s", "sgemm/this"));
  rep.line(strf("    %-44s %10.3f %10.3f %10.3f %10.3f", "fp8sa gemm --backend functional --out C.npy",
                *std::min_element(tf.begin(), tf.end()), mf, *std::max_element(tf.begin(), tf.end()), ratio));
  rep.line(strf("    %-44s %10.3f %10.3f %10.3f %10.3f", "sgemm_npy (read, decode, cblas_sgemm, write)",
                *std::min_element(ts.begin(), ts.end()), ms, *std::max_element(ts.begin(), ts.end()), 1.0));
  // Checks: fp8sa's own report passed, and both wrote the same GEMM (not the
  // same bits: sgemm sums in another order; normwise difference tiny).
  const std::string report = slurp(log_f);
  check(report.find("error vs float64 of the FP8 operands") != std::string::npos, rep, "fp8sa gemm report");
  const size_t count = static_cast<size_t>(n) * n;
  const std::vector<float> cf = load_f32(c_fp8sa, count), cs = load_f32(c_sgemm, count);
  double d2 = 0, r2 = 0;
  for (size_t i = 0; i < count; ++i) {
    d2 += (static_cast<double>(cf[i]) - cs[i]) * (static_cast<double>(cf[i]) - cs[i]);
    r2 += static_cast<double>(cs[i]) * cs[i];
  }
  const double nd = std::sqrt(d2 / r2);
  rep.line(strf("    checks: both exit 0; ||C_fp8sa - C_sgemm|| / ||C_sgemm|| = %.2e (< 1e-5: %s)", nd,
                nd < 1e-5 ? "ok" : "FAILED"));
  check(nd < 1e-5, rep, "fp8sa and sgemm results agree normwise");
  for (const auto& p : {a, b, c_fp8sa, c_sgemm}) std::remove(p.c_str());
  rep.line("");
  return ratio;
}

// --lockstep: each run prints the lockstep checker's summary line (the
// format scripts/regress.sh reads) or its mismatch report.
int run_lockstep_only(const Options& opt) {
  int fails = 0;
  for (const auto& l : opt.lockstep) {
    fp8sa::tb::LockstepOptions lo;
    lo.config = l.config;
    lo.seed = l.seed;
    lo.gemms = l.gemms;
    lo.progress = true;
    try {
      const auto t0 = Clock::now();
      const fp8sa::tb::LockstepResult r = fp8sa::tb::run_lockstep(lo);
      if (r.ok) {
        std::printf("lockstep %s seed %" PRIu64 ": %" PRIu64 " GEMMs, %" PRIu64 " cycles, %" PRIu64
                    " PE MACs, 0 mismatches (%.1f s)\n",
                    l.config.c_str(), l.seed, r.gemms, r.cycles, r.pe_macs, seconds_since(t0));
      } else {
        ++fails;
        std::printf("FAIL %s\n", r.report.c_str());
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fp8sa_bench: --lockstep %s: %s\n", l.config.c_str(), e.what());
      return 2;
    }
  }
  return fails == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  // OpenBLAS's worker threads spin for a while after each call (2^28 cycles
  // by default), holding cores the functional model's threads then wait
  // for. The variable is read when OpenBLAS loads, so set it and start again.
  if (std::getenv("OPENBLAS_THREAD_TIMEOUT") == nullptr) {
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
    execv("/proc/self/exe", argv);
    std::fprintf(stderr, "fp8sa_bench: warning: re-exec with OPENBLAS_THREAD_TIMEOUT=4 failed (%s); going on\n",
                 std::strerror(errno));
  }
  Options opt;
  try {
    opt = parse_args(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "fp8sa_bench: %s\n", e.what());
    usage();
    return 2;
  }
  // One registry of Verilated arrays: the bench's 16x16 joins those of sim/.
  fp8sa::bench::register_bench_arrays();
  if (!opt.lockstep.empty()) return run_lockstep_only(opt);
  Report rep;
  try {
    char when[64];
    const std::time_t now = std::time(nullptr);
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    rep.line(strf("fp8sa bench, %s, CPU \"%s\", %u hardware threads; %s", when, cpu_model().c_str(),
                  std::thread::hardware_concurrency(), openblas_get_config()));
    rep.line("");
    const auto t0 = Clock::now();
    const Sec1 s1 = bench_functional(opt, rep);
    const std::vector<ArrayResult> arrays = bench_arrays(opt, rep);
    const std::vector<IcarusResult> icarus = bench_icarus(opt, arrays, rep);
    bench_utilisation(opt, rep);
    const double proc_ratio = bench_process(opt, rep);

    rep.line("summary (ratios of rates measured in this run)");
    rep.line(strf("    functional / sgemm, 8x8, %d threads:   %8.3f   (issue target >= 0.5: %s)", s1.threads_all,
                  s1.ratio8_all, s1.ratio8_all >= 0.5 ? "met" : "NOT met"));
    rep.line(strf("    functional / sgemm, 16x16, 4x4:       %6.3f, %.3f", s1.ratio_all[0], s1.ratio_all[2]));
    rep.line(strf("    whole process sgemm_npy / fp8sa gemm: %8.3f   (%d^3; issue target >= 0.5: %s)", proc_ratio,
                  opt.process_n, proc_ratio >= 0.5 ? "met" : "NOT met"));
    for (const auto& a : arrays)
      rep.line(strf("    cycle model / Verilated, %-5s:       %8.1f   (issue target >= 20: %s)",
                    strf("%dx%d", a.size, a.size).c_str(), a.model_pcs / a.rtl_pcs,
                    a.model_pcs / a.rtl_pcs >= 20.0 ? "met" : "NOT met"));
    for (const auto& ic : icarus)
      if (ic.ratio > 0)
        rep.line(strf("    Verilated / Icarus, %-5s:            %8.0f", strf("%dx%d", ic.size, ic.size).c_str(), ic.ratio));
    rep.line(strf("    %d check(s) failed; bench time %.0f s", g_failures, seconds_since(t0)));
  } catch (const std::exception& e) {
    rep.line(std::string("fp8sa_bench: error: ") + e.what());
    g_failures = g_failures == 0 ? -1 : g_failures;
  }
  if (!opt.out.empty()) {
    std::ofstream f(opt.out);
    f << rep.text;
    if (!f) {
      std::fprintf(stderr, "fp8sa_bench: cannot write %s\n", opt.out.c_str());
      return 2;
    }
  }
  if (g_failures < 0) return 2;
  return g_failures == 0 ? 0 : 1;
}

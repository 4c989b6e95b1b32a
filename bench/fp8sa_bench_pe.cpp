// fp8sa_bench_pe: `make bench` section 7 (docs/bench.md "7. PE kinds"): the
// functional model's MAC rate for the dot and exact PE kinds (issue 17,
// "Speed": at least 0.25x the e8m23 FMA path's MAC rate at 1024^3), each as
// a ratio to the e8m23 FMA path (RNE, the reference) measured in the same
// run, on the same array and data.
//
// Per array (default 8x8; --arrays 4,8,16 for more), whole gemm_functional
// calls on an M x K x N GEMM (default 1024^3, A E4M3, B E5M2, N(0,1) samples
// quantized to FP8, raw output, every core) for: fma e8m23 RNE, the presets
// h100-fp8 (also promoted every 128 products), ada-fp8, b200-fp8, and exact
// with DOT_N 1 and 32 (its bits do not depend on DOT_N). Repetitions are interleaved (one call of each
// configuration per round, --reps rounds) so that load from other processes
// hits every configuration alike; rate = M*N*K / median time. Every timed
// run of a PE kind is checked against the generic path (allow_fast =
// false) on sampled tiles, values and flags: none of these configurations
// uses SR, so a tile's bits do not depend on its index and a sampled tile is
// re-run as its own small GEMM. With --generic the generic path's rate (the
// "before") is also timed, on a 64 x K x 64 slice. Only links the model.
//
// Exit status 0, 1 when a check failed, 2 for a bad command line.
#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/numerics.hpp"
#include "bench_util.hpp"
#include "fp8sa/pe.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using fp8sa::bench::cpu_seconds;
using fp8sa::bench::median;
using fp8sa::bench::randn_fp8;
using fp8sa::bench::Report;

struct Options {
  int M = 1024, K = 1024, N = 1024;
  int reps = 5;
  int samples = 4;  // sampled tiles checked per timed run
  bool generic = false;
  std::vector<int> arrays = {8};
  std::string out;
};

const fp8sa::bench::Usage kUsage{
    "fp8sa_bench_pe",
    "usage: fp8sa_bench_pe [--m M] [--k K] [--n N] [--reps N] [--samples N] [--arrays 4,8,16]\n"
    "                      [--generic] [--quick] [--out FILE]\n"};

[[noreturn]] void usage_error(const std::string& m) { kUsage.error(m); }

int parse_int(const std::string& s, const char* what, int lo, int hi) { return kUsage.parse_int(s, what, lo, hi); }

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
    } else if (a == "--samples") {
      o.samples = parse_int(val(), "--samples", 0, 1000);
    } else if (a == "--generic") {
      o.generic = true;
    } else if (a == "--quick") {
      o.M = o.K = o.N = 256;
      o.reps = 3;
    } else if (a == "--out") {
      o.out = val();
    } else if (a == "--arrays") {
      o.arrays.clear();
      std::string s = val(), cur;
      for (char c : s + ",") {
        if (c == ',') {
          if (!cur.empty()) o.arrays.push_back(parse_int(cur, "--arrays", 1, 256));
          cur.clear();
        } else {
          cur += c;
        }
      }
      if (o.arrays.empty()) usage_error("--arrays: empty list");
    } else {
      usage_error("unknown option '" + a + "'");
    }
  }
  return o;
}

struct Config {
  std::string name;
  fp8sa::ArrayConfig cfg;
  fp8sa::Round rnd;
};

// The configurations of one array size: the fma reference first.
std::vector<Config> configs(int size) {
  std::vector<Config> v;
  fp8sa::ArrayConfig base;
  base.rows = base.cols = size;
  v.push_back({"fma e8m23 rne", base, fp8sa::Round::RNE});
  for (const char* name : {"h100-fp8", "ada-fp8", "b200-fp8"}) {
    const fp8sa::PePreset& ps = fp8sa::find_pe_preset(name);
    fp8sa::ArrayConfig c = base;
    c.pe_kind = ps.kind;
    c.dot_n = ps.dot_n;
    c.align_bits = ps.align_bits;
    c.acc = fp8sa::AccFormat::parse(ps.acc);
    v.push_back({name, c, static_cast<fp8sa::Round>(ps.rnd)});
    if (std::string(name) == "h100-fp8") {
      c.promote_n = 128;  // DeepSeek-V3's recipe: into binary32 every 128 products
      v.push_back({"h100-fp8 promote 128", c, static_cast<fp8sa::Round>(ps.rnd)});
    }
  }
  for (int dn : {1, 32}) {
    fp8sa::ArrayConfig c = base;
    c.pe_kind = fp8sa::PeKind::Exact;
    c.dot_n = dn;
    v.push_back({"exact dot_n " + std::to_string(dn) + " e8m23 rne", c, fp8sa::Round::RNE});
  }
  return v;
}

std::string describe(const Config& c) {
  char buf[160];
  if (c.cfg.pe_kind == fp8sa::PeKind::Dot) {
    const std::string pr = c.cfg.promote_n != 0 ? ", PROMOTE_N " + std::to_string(c.cfg.promote_n) : "";
    std::snprintf(buf, sizeof buf, "dot, DOT_N %d, ALIGN_BITS %d, %s %s%s", c.cfg.dot_n, c.cfg.align_bits,
                  c.cfg.acc.name().c_str(), fp8sa::round_name(c.rnd), pr.c_str());
    return buf;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto A = randn_fp8(static_cast<size_t>(o.M) * o.K, fp8sa::Fp8Format::E4M3, 31);
  const auto B = randn_fp8(static_cast<size_t>(o.K) * o.N, fp8sa::Fp8Format::E5M2, 32);
  const double macs = static_cast<double>(o.M) * o.N * o.K;
  fp8sa::GemmProblem p;
  p.M = o.M;
  p.K = o.K;
  p.N = o.N;
  p.A = A.data();
  p.B = B.data();
  p.fmt_a = fp8sa::Fp8Format::E4M3;
  p.fmt_b = fp8sa::Fp8Format::E5M2;
  Report rep;
  rep.line("[7] PE kinds: functional model (fp8sa::gemm_functional) MAC rate of the dot and exact PEs, %dx%dx%d GEMM,",
           o.M, o.K, o.N);
  rep.line("    A E4M3, B E5M2 (N(0,1) quantized), raw output, %d threads; rounds of one call per configuration,", hw);
  rep.line("    interleaved, median of %d; MAC/s = M*N*K / time; ratio = MAC/s / the fma e8m23 RNE MAC/s of the same", o.reps);
  rep.line("    array in this run (issue 17 target: >= 0.25 at 1024^3); every timed dot/exact run checked against the");
  rep.line("    generic path on %d sampled tiles (values and flags)", o.samples);
  rep.line("    (the machine is shared: MAC per CPU-second, from the process CPU time, is the rate with every core");
  rep.line("    to itself; the ratio is given for both)");
  rep.line("%s", "");
  rep.line("    array  configuration               median ms  MAC/s wall  MAC/CPU-s   ratio wall  ratio CPU");
  int failures = 0;
  std::mt19937_64 rng(7);
  for (int size : o.arrays) {
    const std::vector<Config> cs = configs(size);
    std::vector<std::vector<double>> t(cs.size()), tc(cs.size());
    for (int r = 0; r < o.reps; ++r) {
      for (size_t i = 0; i < cs.size(); ++i) {
        const Config& c = cs[i];
        p.rnd = c.rnd;
        fp8sa::GemmOutput out;
        const auto t0 = Clock::now();
        const double c0 = cpu_seconds();
        fp8sa::gemm_functional(p, c.cfg, &out);
        tc[i].push_back(cpu_seconds() - c0);
        t[i].push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        if (c.cfg.pe_kind == fp8sa::PeKind::Fma) continue;
        // Check sampled tiles: the tile's rows of A and columns of B as a
        // GEMM of one tile on the generic path (no SR: the bits do not
        // depend on the tile's index).
        const int R = c.cfg.rows, C = c.cfg.cols;
        for (int s = 0; s < o.samples; ++s) {
          const int ti = static_cast<int>(rng() % static_cast<uint64_t>(out.tiles_m));
          const int tj = static_cast<int>(rng() % static_cast<uint64_t>(out.tiles_n));
          const int rows = std::min(R, o.M - ti * R), cols = std::min(C, o.N - tj * C);
          std::vector<uint8_t> bs(static_cast<size_t>(o.K) * cols);
          for (int k = 0; k < o.K; ++k)
            for (int j = 0; j < cols; ++j)
              bs[static_cast<size_t>(k) * cols + j] = B[static_cast<size_t>(k) * o.N + tj * C + j];
          fp8sa::GemmProblem q = p;
          q.M = rows;
          q.N = cols;
          q.A = A.data() + static_cast<size_t>(ti) * R * o.K;
          q.B = bs.data();
          fp8sa::GemmOutput g;
          fp8sa::GemmOptions go;
          go.allow_fast = false;
          fp8sa::gemm_functional(q, c.cfg, &g, go);
          int bad = g.tile_flags[0] != out.tile_flags[static_cast<size_t>(ti) * out.tiles_n + tj] ? 1 : 0;
          for (int i2 = 0; i2 < rows; ++i2)
            for (int j = 0; j < cols; ++j)
              if (g.out[static_cast<size_t>(i2) * cols + j] !=
                  out.out[static_cast<size_t>(ti * R + i2) * o.N + tj * C + j])
                ++bad;
          if (bad != 0) {
            rep.line("    CHECK FAILED: %s %dx%d tile (%d, %d): %d mismatches against the generic path", c.name.c_str(),
                     size, size, ti, tj, bad);
            ++failures;
          }
        }
      }
    }
    const double ref_wall = macs / median(t[0]), ref_cpu = macs / median(tc[0]);
    for (size_t i = 0; i < cs.size(); ++i) {
      const double m = median(t[i]), mc = median(tc[i]);
      rep.line("    %2dx%-2d  %-24s  %10.1f   %9.3g   %9.3g      %7.3f    %7.3f", size, size, cs[i].name.c_str(), m * 1e3,
               macs / m, macs / mc, (macs / m) / ref_wall, (macs / mc) / ref_cpu);
    }
    if (o.generic) {
      // The generic path (the "before"), on a 64 x K x 64 slice.
      for (size_t i = 1; i < cs.size(); ++i) {
        fp8sa::GemmProblem q = p;
        q.M = std::min(64, o.M);
        q.N = std::min(64, o.N);
        std::vector<uint8_t> bs(static_cast<size_t>(o.K) * q.N);
        for (int k = 0; k < o.K; ++k)
          for (int j = 0; j < q.N; ++j) bs[static_cast<size_t>(k) * q.N + j] = B[static_cast<size_t>(k) * o.N + j];
        q.B = bs.data();
        q.rnd = cs[i].rnd;
        fp8sa::GemmOutput g;
        fp8sa::GemmOptions go;
        go.allow_fast = false;
        const auto t0 = Clock::now();
        const double c0 = cpu_seconds();
        fp8sa::gemm_functional(q, cs[i].cfg, &g, go);
        const double mc = cpu_seconds() - c0;
        const double m = std::chrono::duration<double>(Clock::now() - t0).count();
        const double qm = static_cast<double>(q.M) * q.N * q.K;
        rep.line("    %2dx%-2d  %-24s  %10.1f   %9.3g   %9.3g      %7.3f    %7.3f   generic path, %dx%dx%d, one run",
                 size, size, cs[i].name.c_str(), m * 1e3, qm / m, qm / mc, (qm / m) / ref_wall, (qm / mc) / ref_cpu,
                 q.M, q.K, q.N);
      }
    }
  }
  for (const Config& c : configs(8)) {
    const std::string d = describe(c);
    if (!d.empty()) rep.line("    %-20s = %s", c.name.c_str(), d.c_str());
  }
  rep.line("    %d check(s) failed", failures);
  if (!o.out.empty()) {
    std::ofstream f(o.out, std::ios::app);
    f << "\n" << rep.text;
    if (!f) {
      std::fprintf(stderr, "fp8sa_bench_pe: cannot write %s\n", o.out.c_str());
      return 2;
    }
  }
  return failures == 0 ? 0 : 1;
}

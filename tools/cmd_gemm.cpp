// fp8sa gemm: one GEMM on the functional model, the cycle-accurate model,
// the Verilated RTL, or all three (which must agree bit for bit), with a
// report: cycles, utilisation, flags, error against a float64 reference.
// fp8sa randn: a float32 .npy of normal random numbers (inputs for gemm).
// fp8sa lockstep: the lockstep checker (tests and make regress use it).
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "array_rtl.hpp"
#include "cli.hpp"
#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/gemm_stream.hpp"
#include "fp8sa/numerics.hpp"
#include "lockstep.hpp"
#include "npy.hpp"

namespace fp8sa::cli {
namespace {

float f32(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
uint32_t bits32(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// FP8 operand matrix from a .npy: uint8 codes as they are, float32
// quantized with RNE (saturating) to the operand format.
std::vector<uint8_t> load_fp8(const std::string& path, const char* what, Fp8Format fmt, size_t rows_expect,
                              bool check_rows, size_t* rows, size_t* cols, bool* quantized) {
  NpyArray a = read_npy(path);
  if (a.shape.size() != 2)
    throw UsageError(path + ": " + what + " must be 2-D, has " + std::to_string(a.shape.size()) + " dimensions");
  *rows = a.shape[0];
  *cols = a.shape[1];
  if (check_rows && *rows != rows_expect)
    throw UsageError(path + ": shape mismatch: " + what + " has " + std::to_string(*rows) + " rows, expected " +
                     std::to_string(rows_expect) + " (the K of A)");
  std::vector<uint8_t> out(a.count());
  *quantized = false;
  if (a.descr == "|u1" || a.descr == "<u1") {
    for (size_t i = 0; i < out.size(); ++i) out[i] = a.data[i];
  } else if (a.descr == "<f4") {
    const Quantizer q(kFp32);
    const OutFormat of = fmt == Fp8Format::E4M3 ? OutFormat::E4M3 : OutFormat::E5M2;
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(q.quantize(a.bits(i), of, Round::RNE, true).bits);
    *quantized = true;
  } else {
    throw UsageError(path + ": " + what + " dtype '" + a.descr + "' not supported: use uint8 FP8 codes or float32");
  }
  return out;
}

struct Backends {
  bool functional = false, cycle = false, rtl = false;
};

}  // namespace

int cmd_gemm(int argc, char** argv) {
  Args args(argc, argv, 2,
            {"rows", "cols", "a", "b", "c", "fmt-a", "fmt-b", "acc", "round", "out-fmt", "out-round", "seed",
             "backend", "out", "scale", "config"},
            {"sat", "quiet"});
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  const int rows = static_cast<int>(args.get_int("rows", 8, 1, 16));
  const int cols = static_cast<int>(args.get_int("cols", 8, 1, 16));
  const Fp8Format fa = parse_fp8_format(args.get("fmt-a", "e4m3"));
  const Fp8Format fb = parse_fp8_format(args.get("fmt-b", "e4m3"));
  const AccFormat acc = AccFormat::parse(args.get("acc", "e8m23"));
  acc.validate();
  const Round rnd = parse_round(args.get("round", "rne"));
  const std::string out_fmt_s = args.get("out-fmt", "fp32");
  uint8_t out_fmt;
  if (out_fmt_s == "fp32") out_fmt = kOutFmtRaw;
  else out_fmt = static_cast<uint8_t>(parse_out_format(out_fmt_s));
  const Round out_rnd = parse_round(args.get("out-round", "rne"));
  if (out_rnd == Round::RZ) throw UsageError("--out-round: the quantizer takes rne or sr");
  const std::string backend = args.get("backend", "all");
  Backends be;
  if (backend == "functional") be.functional = true;
  else if (backend == "cycle") be.cycle = true;
  else if (backend == "rtl") be.rtl = true;
  else if (backend == "all") be = {true, true, true};
  else throw UsageError("--backend " + backend + " is not one of: functional, cycle, rtl, all");
  const bool quiet = args.has("quiet");

  // Array parameters: those of the named RTL configuration with these
  // rows/cols/acc (so every back-end computes the same bits), else defaults.
  ArrayConfig cfg;
  cfg.rows = rows;
  cfg.cols = cols;
  cfg.acc = acc;
  std::string rtl_name;
  for (const auto& nc : rtl::array_configs()) {
    if (nc.cfg.rows == rows && nc.cfg.cols == cols && nc.cfg.acc == acc) {
      cfg = nc.cfg;
      rtl_name = nc.name;
      break;
    }
  }
  if (args.has("seed")) cfg.seed = static_cast<uint32_t>(args.get_int("seed", 1, 1, 0xFFFFFFFFLL));
  cfg.validate();
  if (be.rtl) {
    if (rtl_name.empty()) {
      std::string names;
      for (const auto& nc : rtl::array_configs())
        names += (names.empty() ? "" : ", ") + nc.name + " (" + std::to_string(nc.cfg.rows) + "x" +
                 std::to_string(nc.cfg.cols) + " " + nc.cfg.acc.name() + ")";
      throw UsageError("no Verilated array is " + std::to_string(rows) + "x" + std::to_string(cols) + " " +
                       acc.name() + " (built: " + names + "); use --backend functional|cycle or add it to sim/array_configs.txt");
    }
    if (cfg.seed != rtl::array_config(rtl_name).cfg.seed)
      throw UsageError("--seed: the Verilated " + rtl_name + " is built with SEED " +
                       std::to_string(rtl::array_config(rtl_name).cfg.seed) + "; drop --seed or use another back-end");
  }

  size_t m = 0, k = 0, k2 = 0, n = 0;
  bool qa = false, qb = false;
  const std::vector<uint8_t> A = load_fp8(args.require("a"), "A", fa, 0, false, &m, &k, &qa);
  const std::vector<uint8_t> B = load_fp8(args.require("b"), "B", fb, k, true, &k2, &n, &qb);
  if (k < 1 || k > 65535) throw UsageError("K = " + std::to_string(k) + " is out of range [1, 65535]");
  if (m < 1 || n < 1) throw UsageError("empty matrix: M = " + std::to_string(m) + ", N = " + std::to_string(n));
  std::vector<uint32_t> Cw;
  if (args.has("c")) {
    const std::string cp = args.get("c", "");
    NpyArray c = read_npy(cp);
    if (c.shape.size() != 2 || c.shape[0] != m || c.shape[1] != n)
      throw UsageError(cp + ": shape mismatch: C must be " + std::to_string(m) + " x " + std::to_string(n));
    Cw.resize(c.count());
    if (c.descr == "<u4") {
      for (size_t i = 0; i < Cw.size(); ++i) {
        Cw[i] = c.bits(i);
        if (Cw[i] & ~acc.mask())
          throw UsageError(cp + ": element " + std::to_string(i) + " has bits above the " + acc.name() + " word");
      }
    } else if (c.descr == "<f4") {
      if (!(acc == kFp32))
        throw UsageError(cp + ": float32 C needs the e8m23 accumulator; for " + acc.name() +
                         " give uint32 accumulator words");
      for (size_t i = 0; i < Cw.size(); ++i) Cw[i] = c.bits(i);
    } else {
      throw UsageError(cp + ": C dtype '" + c.descr + "' not supported: use float32 or uint32 accumulator words");
    }
  }

  GemmProblem p;
  p.M = static_cast<int>(m);
  p.K = static_cast<int>(k);
  p.N = static_cast<int>(n);
  p.A = A.data();
  p.B = B.data();
  p.C_init = Cw.empty() ? nullptr : Cw.data();
  p.fmt_a = fa;
  p.fmt_b = fb;
  p.rnd = rnd;
  p.out_fmt = out_fmt;
  p.out_rnd = out_rnd;
  p.sat = args.has("sat");
  p.scale = static_cast<int>(args.get_int("scale", 0, -64, 63));
  p.validate();

  std::printf("fp8sa gemm: %zux%zux%zu on a %dx%d array (%s%s), A %s%s, B %s%s, acc %s %s, out %s%s%s\n", m, k, n,
              rows, cols, rtl_name.empty() ? "no RTL config" : "config ", rtl_name.c_str(),
              fa == Fp8Format::E4M3 ? "e4m3" : "e5m2", qa ? " (float32 quantized RNE, saturating)" : "",
              fb == Fp8Format::E4M3 ? "e4m3" : "e5m2", qb ? " (float32 quantized RNE, saturating)" : "",
              acc.name().c_str(), args.get("round", "rne").c_str(), out_fmt_s.c_str(),
              out_fmt == kOutFmtRaw ? "" : (out_rnd == Round::SR ? "/sr" : "/rne"), p.sat ? " sat" : "");

  GemmOutput result;
  bool have = false;
  int mismatches = 0;
  auto compare = [&](const GemmOutput& o, const char* name) {
    if (!have) {
      result = o;
      have = true;
      return;
    }
    size_t diff = 0, first = 0;
    for (size_t i = 0; i < o.out.size(); ++i)
      if (o.out[i] != result.out[i] && diff++ == 0) first = i;
    for (size_t t = 0; t < o.tile_flags.size(); ++t)
      if (o.tile_flags[t] != result.tile_flags[t]) ++diff;
    if (diff) {
      ++mismatches;
      std::printf("MISMATCH %s: %zu outputs/flags differ; first at (%zu, %zu): %08X vs %08X\n", name, diff,
                  first / n, first % n, o.out[first], result.out[first]);
    }
  };
  auto clock_now = [] { return std::chrono::steady_clock::now(); };
  auto secs = [](auto t0, auto t1) { return std::chrono::duration<double>(t1 - t0).count(); };
  GemmStreamOptions so;
  so.progress = [&](uint64_t cyc, long done, long tiles) {
    if (!quiet) std::fprintf(stderr, "  ... %" PRIu64 " cycles, %ld/%ld tiles drained\n", cyc, done, tiles);
  };
  std::printf("%-10s %12s %12s %10s %10s\n", "backend", "cycles", "utilisation", "seconds", "bits");
  if (be.functional) {
    GemmOutput o;
    const auto t0 = clock_now();
    gemm_functional(p, cfg, &o);
    const double s = secs(t0, clock_now());
    compare(o, "functional");
    std::printf("%-10s %12s %12s %10.3f %10s\n", "functional", "-", "-", s, "reference");
  }
  if (be.cycle) {
    GemmOutput o;
    ArrayCycleModel model(cfg);
    const auto t0 = clock_now();
    const GemmStreamStats st = gemm_stream(model, p, cfg, &o, so);
    const double s = secs(t0, clock_now());
    const int before = mismatches;
    compare(o, "cycle");
    std::printf("%-10s %12" PRIu64 " %11.1f%% %10.3f %10s\n", "cycle", st.cycles,
                100.0 * static_cast<double>(st.pe_macs) / (static_cast<double>(st.cycles) * rows * cols), s,
                mismatches == before ? (be.functional ? "same" : "reference") : "DIFFER");
  }
  if (be.rtl) {
    GemmOutput o;
    auto hw = rtl::make_array(rtl_name);
    const auto t0 = clock_now();
    const GemmStreamStats st = gemm_stream(*hw, p, cfg, &o, so);
    const double s = secs(t0, clock_now());
    const int before = mismatches;
    compare(o, "rtl");
    std::printf("%-10s %12" PRIu64 " %11.1f%% %10.3f %10s\n", "rtl", st.cycles,
                100.0 * static_cast<double>(st.pe_macs) / (static_cast<double>(st.cycles) * rows * cols), s,
                mismatches == before ? (have ? "same" : "reference") : "DIFFER");
  }

  // Error against float64: sum of the decoded FP8 products (+ C) in k order.
  double max_rel = 0, sum_sq = 0;
  size_t counted = 0, nonfinite = 0;
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double ref = Cw.empty() ? 0.0 : static_cast<double>(f32(acc.to_f32_bits(Cw[i * n + j])));
      for (size_t kk = 0; kk < k; ++kk) ref += fp8_to_double(A[i * k + kk], fa) * fp8_to_double(B[kk * n + j], fb);
      const uint32_t w = result.out[i * n + j];
      double got;
      if (out_fmt == kOutFmtRaw) got = f32(acc.to_f32_bits(w));
      else if (out_fmt <= 1) got = fp8_to_double(static_cast<uint8_t>(w), out_fmt == 0 ? Fp8Format::E4M3 : Fp8Format::E5M2);
      else if (out_fmt == 3) got = f32(w << 16);
      else {
        const int e = static_cast<int>((w >> 10) & 31u);
        const double mm = static_cast<double>(w & 1023u), sg = (w & 0x8000u) ? -1.0 : 1.0;
        got = e == 31 ? (mm != 0 ? NAN : sg * INFINITY) : e == 0 ? sg * std::ldexp(mm, -24) : sg * std::ldexp(1024.0 + mm, e - 25);
      }
      p.scale != 0 ? (void)(ref = std::ldexp(ref, p.scale)) : (void)0;
      if (!std::isfinite(got) || !std::isfinite(ref)) {
        ++nonfinite;
        continue;
      }
      const double rel = ref != 0.0 ? std::fabs(got - ref) / std::fabs(ref) : std::fabs(got);
      max_rel = std::max(max_rel, rel);
      sum_sq += rel * rel;
      ++counted;
    }
  }
  uint8_t flags = result.flags();
  std::printf("flags (OR of all tiles): %s%s%s%s%s\n", flags == 0 ? "none" : "", (flags & kFlagInvalid) ? "invalid " : "",
              (flags & kFlagOverflow) ? "overflow " : "", (flags & kFlagUnderflow) ? "underflow " : "",
              (flags & kFlagInexact) ? "inexact" : "");
  std::printf("error vs float64 reference over %zu outputs: max relative %.3e, RMS relative %.3e%s\n", counted, max_rel,
              counted ? std::sqrt(sum_sq / static_cast<double>(counted)) : 0.0,
              nonfinite ? (" (" + std::to_string(nonfinite) + " non-finite skipped)").c_str() : "");

  if (args.has("out")) {
    const std::string op = args.get("out", "");
    std::vector<uint8_t> bytes;
    std::string descr;
    if (out_fmt <= 1) {
      descr = "|u1";
      for (uint32_t w : result.out) bytes.push_back(static_cast<uint8_t>(w));
    } else if (out_fmt <= 3) {
      descr = out_fmt == 2 ? "<f2" : "<u2";
      for (uint32_t w : result.out) {
        bytes.push_back(static_cast<uint8_t>(w));
        bytes.push_back(static_cast<uint8_t>(w >> 8));
      }
    } else {
      descr = "<f4";
      for (uint32_t w : result.out) {
        const uint32_t b = acc.to_f32_bits(w);
        for (int s = 0; s < 32; s += 8) bytes.push_back(static_cast<uint8_t>(b >> s));
      }
    }
    write_npy(op, descr, m, n, bytes);
    std::printf("wrote %s (%s, %zu x %zu)\n", op.c_str(), descr.c_str(), m, n);
  }
  if (mismatches) {
    std::printf("FAIL: back-ends differ\n");
    return 1;
  }
  if (be.functional + be.cycle + be.rtl > 1) std::printf("PASS: all back-ends bit-identical\n");
  return 0;
}

int cmd_randn(int argc, char** argv) {
  Args args(argc, argv, 2, {"rows", "cols", "seed", "sigma", "out"}, {});
  const size_t r = static_cast<size_t>(args.get_int("rows", 0, 1, 1 << 16));
  const size_t c = static_cast<size_t>(args.get_int("cols", 0, 1, 1 << 16));
  if (!args.has("rows") || !args.has("cols")) throw UsageError("--rows and --cols are required");
  const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 1, 0, INT64_MAX));
  const double sigma = std::stod(args.get("sigma", "1"));
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, static_cast<float>(sigma));
  std::vector<uint8_t> bytes;
  bytes.reserve(r * c * 4);
  for (size_t i = 0; i < r * c; ++i) {
    const uint32_t b = bits32(nd(rng));
    for (int s = 0; s < 32; s += 8) bytes.push_back(static_cast<uint8_t>(b >> s));
  }
  write_npy(args.require("out"), "<f4", r, c, bytes);
  return 0;
}

int cmd_lockstep(int argc, char** argv) {
  Args args(argc, argv, 2, {"config", "seed", "gemms", "vcd", "max-k"}, {"progress"});
  tb::LockstepOptions opt;
  opt.config = args.get("config", "a4x4");
  rtl::array_config(opt.config);  // validates the name
  opt.seed = static_cast<uint64_t>(args.get_int("seed", 1, 0, INT64_MAX));
  opt.gemms = static_cast<int>(args.get_int("gemms", 20, 1, 1 << 20));
  opt.max_k = static_cast<int>(args.get_int("max-k", 40, 1, 65535));
  opt.vcd_path = args.get("vcd", "lockstep_" + opt.config + "_" + std::to_string(opt.seed) + ".vcd");
  opt.progress = args.has("progress");
  const tb::LockstepResult r = tb::run_lockstep(opt);
  if (!r.ok) {
    std::printf("FAIL %s\n", r.report.c_str());
    return 1;
  }
  std::printf("lockstep %s seed %" PRIu64 ": %" PRIu64 " GEMMs, %" PRIu64 " cycles, %" PRIu64
              " PE MACs, 0 mismatches\n",
              opt.config.c_str(), opt.seed, r.gemms, r.cycles, r.pe_macs);
  return 0;
}

}  // namespace fp8sa::cli

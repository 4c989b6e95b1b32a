// fp8sa gemm: one GEMM on the functional model, the cycle-accurate model,
// the Verilated RTL, or all three (which must agree bit for bit), with a
// report: cycles, utilisation, flags, error against a float64 reference.
//
// The command is five steps, each a function below: parse the options
// (everything is checked and the output file is created before any work),
// load the operands, run the back-ends and compare them, check the result
// against float64, write the output.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <thread>

#include "array_options.hpp"
#include "array_rtl.hpp"
#include "backends.hpp"
#include "cli.hpp"
#include "gemm_command.hpp"
#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/backend.hpp"
#include "fp8sa/host/board_backend.hpp"
#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"
#include "fp8sa/explore/reference.hpp"
#include "npy.hpp"

namespace fp8sa::cli {

namespace gemm_cmd {

float f32(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

constexpr uint64_t kMaxOutputs = uint64_t{1} << 28;  // M x N: 1 GiB of accumulator words

std::string config_names() {
  std::string names;
  for (const auto& nc : rtl::array_configs())
    names += (names.empty() ? "" : ", ") + nc.name + " (" + describe_array(nc.cfg) + ")";
  return names;
}

// The --backend list: names as make_backend takes them ("all" =
// functional, cycle, rtl), duplicates dropped, order kept.
std::vector<std::string> parse_backends(const std::string& list) {
  std::vector<std::string> out;
  auto add = [&](const std::string& b) {
    if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
  };
  for (size_t pos = 0; pos <= list.size();) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    const std::string b = list.substr(pos, comma - pos);
    if (b == "all") {
      for (const char* x : {"functional", "cycle", "rtl"})
        if (kCliHasRtl || std::string(x) != "rtl") add(x);  // all: the back-ends this build has
    } else if (!kCliHasRtl && (b == "rtl" || b.rfind("rtl:", 0) == 0)) {
      throw UsageError("--backend " + shown(b) + ": " + kNoRtlHint);
    } else if (b == "functional" || b == "cycle" || b == "rtl" || (b.rfind("rtl:", 0) == 0 && b.size() > 4)) {
      add(b);
    } else {
      throw UsageError("--backend: '" + shown(b) + "' is not one of: functional, cycle, rtl, rtl:NAME, all");
    }
    pos = comma + 1;
  }
  return out;
}

const rtl::NamedArrayConfig& named_config(const std::string& name, const char* option) {
  for (const auto& c : rtl::array_configs())
    if (c.name == name) return c;
  throw UsageError(std::string(option) + ": no configuration '" + shown(name) + "' (built: " + config_names() + ")");
}

Request parse(const Args& args) {
  Request r;
  r.backends = parse_backends(to_lower(args.get("backend", "all")));
  // The array: a named configuration (--config, or the NAME of rtl:NAME), or
  // rows/cols/acc (taking the named configuration's other parameters when one
  // matches, so that every back-end computes the same bits).
  std::string config = to_lower(args.get("config", ""));  // named values are case-insensitive
  for (const std::string& b : r.backends) {
    if (b.rfind("rtl:", 0) != 0) continue;
    const std::string n = b.substr(4);
    named_config(n, "--backend");
    if (!config.empty() && config != n)
      throw UsageError("--backend " + b + " contradicts " +
                       (args.has("config") ? "--config " + config : "--backend rtl:" + config) +
                       "; one array configuration per run");
    config = n;
  }
  // The PE (docs/numerics.md section 10): --preset sets what it names; an
  // option that contradicts it is refused.
  const PePreset* preset = nullptr;
  if (args.has("preset")) {
    try {
      preset = &find_pe_preset(args.get("preset", ""));
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--preset: ") + e.what());
    }
  }
  if (preset != nullptr) {
    r.preset = preset->name;
    r.preset_rnd = preset->rnd;
  }
  // The array options, one per field of the list (array_options.hpp).
  const ArrayOptions want = parse_array_options(args, preset);
  const std::vector<ArrayField>& fields = array_fields();
  if (!config.empty()) {
    const rtl::NamedArrayConfig& nc = named_config(config, "--config");
    for (size_t i = 0; i < fields.size(); ++i) {
      const ArrayField& f = fields[i];
      // (Built fields given are applied below, as without --config.)
      if (!want.set[i] || f.role == ArrayFieldRole::Built || array_field_equal(want.cfg, nc.cfg, f)) continue;
      const bool by_preset = !want.given[i];
      throw UsageError(std::string("--") + (by_preset ? "preset" : f.name) + " " +
                       (by_preset ? r.preset : array_field_text(want.cfg, f)) + " contradicts --config " + config +
                       " (" + f.name + " " + array_field_text(nc.cfg, f) + "); give one of them");
    }
    r.cfg = nc.cfg;
    r.rtl_name = nc.name;
  } else {
    r.cfg = want.cfg;
    for (const auto& nc : rtl::array_configs())
      if (array_request_matches(nc.cfg, want)) {
        r.cfg = nc.cfg;
        r.rtl_name = nc.name;
        break;
      }
    // An RTL back-end without --rows and --cols takes the size of the first
    // Verilated configuration with these PE parameters (e.g. --preset
    // h100-fp8 --backend all runs on h100_2x2): the size is not what the
    // user asked about, and every back-end then runs that same array.
    const bool wants_rtl = std::any_of(r.backends.begin(), r.backends.end(),
                                       [](const std::string& b) { return b.rfind("rtl", 0) == 0; });
    if (r.rtl_name.empty() && wants_rtl && !args.has("rows") && !args.has("cols")) {
      for (const auto& nc : rtl::array_configs()) {
        ArrayOptions sized = want;
        sized.cfg.rows = nc.cfg.rows;
        sized.cfg.cols = nc.cfg.cols;
        if (array_request_matches(nc.cfg, sized)) {
          r.cfg = nc.cfg;
          r.rtl_name = nc.name;
          break;
        }
      }
    }
  }
  // Built fields given (--seed, --sr-bits, ..): the model back-ends run
  // them; an RTL back-end must have been built with them.
  ArrayConfig built = r.cfg;
  for (size_t i = 0; i < fields.size(); ++i) {
    const ArrayField& f = fields[i];
    if (f.role != ArrayFieldRole::Built || !want.given[i]) continue;
    array_field_parse(r.cfg, f, array_field_text(want.cfg, f));
  }
  try {
    r.cfg.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  // "rtl" is the Verilated array of this configuration; every RTL back-end
  // must have exactly its parameters.
  bool any_rtl = false;
  std::vector<std::string> names;
  for (const std::string& b : r.backends) {
    std::string n = b;
    if (b == "rtl" || b.rfind("rtl:", 0) == 0) {
      any_rtl = true;
      if (r.rtl_name.empty())
        throw UsageError("no Verilated array is " + describe_array(r.cfg) + " (built: " + config_names() +
                         "); use --backend functional,cycle or add it to sim/array_configs.txt");
      n = "rtl:" + r.rtl_name;
    }
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  r.backends = names;
  if (any_rtl) {
    for (const ArrayField& f : fields)
      if (!array_field_equal(r.cfg, built, f))
        throw UsageError(std::string("--") + f.name + ": the Verilated " + r.rtl_name + " is built with " + f.column +
                         " " + array_field_text(built, f) + "; drop --" + f.name + " or use --backend functional,cycle");
  }
  parse_problem(args, r);
  return r;
}

void parse_problem(const Args& args, Request& r) {
  // Names from the format table (numerics.hpp).
  const std::vector<std::string> operand_names = {format_name(Fp8Format::E4M3), format_name(Fp8Format::E5M2)};
  std::vector<std::string> out_names = {out_kind_name(OutKind::Raw)};
  for (unsigned c = 0; c < sizeof kFormatTable / sizeof kFormatTable[0]; ++c) out_names.push_back(kFormatTable[c].name);
  r.fmt_a = parse_fp8_format(args.get_choice("fmt-a", "e4m3", operand_names));
  r.fmt_b = parse_fp8_format(args.get_choice("fmt-b", "e4m3", operand_names));
  const std::string round_def = r.preset_rnd >= 0 ? round_name(static_cast<Round>(r.preset_rnd)) : "rne";
  r.round_name = args.get_choice("round", round_def, {"rne", "rz", "rtz", "sr"});
  r.rnd = parse_round(r.round_name);
  if (r.preset_rnd >= 0 && static_cast<int>(r.rnd) != r.preset_rnd)
    throw UsageError("--round " + r.round_name + " contradicts --preset " + r.preset + " (" + round_def +
                     "); give one of them");
  r.out_fmt_name = args.get_choice("out-fmt", "fp32", out_names);
  r.out_fmt = parse_out_kind(r.out_fmt_name);
  if (!is_quantized(r.out_fmt)) {
    // The raw accumulator word bypasses the quantizer: these would be ignored.
    for (const char* o : {"out-round", "sat", "scale"})
      if (args.has(o))
        throw UsageError(std::string("--") + o +
                         " applies to quantized outputs only (--out-fmt e4m3|e5m2|fp16|bf16); "
                         "--out-fmt fp32 is the raw accumulator word");
  }
  r.out_round_name = args.get_choice("out-round", "rne", {"rne", "rz", "rtz", "sr"});
  r.out_rnd = parse_round(r.out_round_name);
  r.sat = args.has("sat");
  r.scale = static_cast<int>(args.get_int("scale", 0, -64, 63));
  const std::string check = args.get_choice("check", "sample", {"sample", "full", "none"});
  r.check = check == "full" ? Check::Full : check == "none" ? Check::None : Check::Sample;
  r.quiet = args.has("quiet");
  r.a_path = args.get("a", "");
  r.b_path = args.get("b", "");
  r.c_path = args.get("c", "");
  r.out_path = args.get("out", "");
}

Operand load_operand(const std::string& path, const char* what, Fp8Format fmt) {
  NpyArray a = read_npy(path);
  if (a.shape.size() != 2)
    throw UsageError(path + ": " + what + " must be 2-D, has " + std::to_string(a.shape.size()) + " dimensions");
  Operand op;
  op.rows = a.shape[0];
  op.cols = a.shape[1];
  if (a.descr == "|u1" || a.descr == "<u1" || a.descr == "u1") {
    op.codes = std::move(a.data);
    return op;
  }
  if (a.descr != "<f4")
    throw UsageError(path + ": " + what + " dtype '" + a.descr + "' not supported: use uint8 FP8 codes or float32");
  const size_t n = a.count();
  op.codes.resize(n);
  op.f32.resize(n);
  std::memcpy(op.f32.data(), a.data.data(), n * 4);
  const Quantizer q(kFp32);
  const OutFormat of = fmt == Fp8Format::E4M3 ? OutFormat::E4M3 : OutFormat::E5M2;
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;  // (not a.bits(i): it looks the dtype up again per element)
    std::memcpy(&bits, &op.f32[i], 4);
    const OpResult res = q.quantize(bits, of, Round::RNE, true);
    op.codes[i] = static_cast<uint8_t>(res.bits);
    const float x = op.f32[i];
    if (std::isnan(x)) ++op.nan_kept;
    else if (std::isinf(x)) ++op.inf_mapped;
    else if (res.flags & kFlagOverflow) ++op.saturated;
    else if (res.flags & kFlagInexact) ++op.rounded;
  }
  return op;
}

std::vector<uint32_t> load_c(const std::string& path, uint64_t m, uint64_t n, AccFormat acc) {
  NpyArray c = read_npy(path);
  if (c.shape.size() != 2 || c.shape[0] != m || c.shape[1] != n)
    throw UsageError(path + ": shape mismatch: C must be " + std::to_string(m) + " x " + std::to_string(n));
  std::vector<uint32_t> w(c.count());
  if (c.descr == "<u4") {
    std::memcpy(w.data(), c.data.data(), w.size() * 4);  // little-endian words
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] & ~acc.mask())
        throw UsageError(path + ": element " + std::to_string(i) + " has bits above the " + acc.name() + " word");
    }
  } else if (c.descr == "<f4") {
    if (!(acc == kFp32))
      throw UsageError(path + ": float32 C needs binary32 init words (e8m23, --promote, --pe dot or exact); for " +
                       acc.name() + " give uint32 accumulator words");
    std::memcpy(w.data(), c.data.data(), w.size() * 4);
  } else {
    throw UsageError(path + ": C dtype '" + c.descr + "' not supported: use float32 or uint32 accumulator words");
  }
  return w;
}

// ---------------------------------------------------------------------------
// Running the back-ends

struct Run {
  std::string name;
  GemmRun run;
  double seconds = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<Run> run_backends(const Request& r, const GemmProblem& p) {
  GemmRunOptions opt;
  opt.stream.progress = [&](uint64_t cyc, long done, long tiles) {
    if (!r.quiet) std::fprintf(stderr, "  ... %" PRIu64 " cycles, %ld/%ld tiles drained\n", cyc, done, tiles);
  };
  std::vector<Run> runs;
  for (const std::string& name : r.backends) {
    std::shared_ptr<GemmBackend> be;
    if (name == "board") {
      be = r.board;
    } else {
      try {
        be = make_backend(name, r.cfg);
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--backend: ") + e.what());
      }
    }
    Run run;
    run.name = be->name();
    const auto t0 = std::chrono::steady_clock::now();
    run.run = be->run(p, opt);
    run.seconds = seconds_since(t0);
    runs.push_back(std::move(run));
  }
  return runs;
}

// Prints the back-end table; returns how many back-ends differ from the first.
int compare_and_print(const std::vector<Run>& runs, uint64_t n) {
  std::printf("%-14s %12s %12s %10s %10s\n", "backend", "cycles", "utilisation", "seconds", "bits");
  int differ = 0;
  const GemmOutput& ref = runs.front().run.out;
  for (const Run& run : runs) {
    const GemmOutput& o = run.run.out;
    size_t diff = 0, first = 0;
    for (size_t i = 0; i < o.out.size(); ++i)
      if (o.out[i] != ref.out[i] && diff++ == 0) first = i;
    size_t flag_diff = 0;
    for (size_t t = 0; t < o.tile_flags.size(); ++t) flag_diff += o.tile_flags[t] != ref.tile_flags[t];
    const char* verdict = &run == &runs.front() ? "reference" : (diff || flag_diff) ? "DIFFER" : "same";
    if (run.run.has_cycles)
      std::printf("%-14s %12" PRIu64 " %11.1f%% %10.3f %10s\n", run.name.c_str(), run.run.cycles,
                  100.0 * run.run.utilisation(), run.seconds, verdict);
    else
      std::printf("%-14s %12s %12s %10.3f %10s\n", run.name.c_str(), "-", "-", run.seconds, verdict);
    if (diff || flag_diff) {
      ++differ;
      if (diff)
        std::printf("MISMATCH %s vs %s: %zu outputs differ; first at (%" PRIu64 ", %" PRIu64 "): %08X vs %08X\n",
                    run.name.c_str(), runs.front().name.c_str(), diff, first / n, first % n, o.out[first],
                    ref.out[first]);
      if (flag_diff)
        std::printf("MISMATCH %s vs %s: %zu tile flags differ\n", run.name.c_str(), runs.front().name.c_str(),
                    flag_diff);
    }
  }
  return differ;
}

// ---------------------------------------------------------------------------
// The error check

using explore::GemmErrorStats;

// Error of the result against C + A*B in float64 (A, B as FP8 values, or as
// the original float32 values when use_f32: every FP8 value and float32 is
// exact in binary64), scaled by 2^scale for quantized outputs, over all
// outputs or a grid of sampled rows and columns (explore/ reference.hpp).
GemmErrorStats check_error(const Request& r, const Operand& A, const Operand& B, const std::vector<uint32_t>& Cw,
                           const GemmOutput& res, bool use_f32, uint64_t* checked_rows, uint64_t* checked_cols) {
  double lut_a[256], lut_b[256];
  for (int c = 0; c < 256; ++c) {
    lut_a[c] = fp8_to_double(static_cast<uint8_t>(c), r.fmt_a);
    lut_b[c] = fp8_to_double(static_cast<uint8_t>(c), r.fmt_b);
  }
  const bool fa = use_f32 && !A.f32.empty(), fb = use_f32 && !B.f32.empty();
  explore::GemmCheck g;
  g.m = A.rows;
  g.k = A.cols;
  g.n = B.cols;
  g.a = [&](uint64_t i) { return fa ? static_cast<double>(A.f32[i]) : lut_a[A.codes[i]]; };
  g.b = [&](uint64_t i) { return fb ? static_cast<double>(B.f32[i]) : lut_b[B.codes[i]]; };
  g.c = [&](uint64_t i, uint64_t j) {
    return Cw.empty() ? 0.0 : static_cast<double>(f32(r.cfg.init_format().to_f32_bits(Cw[i * g.n + j])));
  };
  g.got = [&](uint64_t i, uint64_t j) {
    return output_word_value(res.out[i * g.n + j], r.out_fmt, r.cfg.result_format());
  };
  g.scale = is_quantized(r.out_fmt) ? std::ldexp(1.0, r.scale) : 1.0;
  return explore::check_gemm(g, r.check == Check::Full, checked_rows, checked_cols);
}

void print_error(const char* against, const GemmErrorStats& st, uint64_t rows, uint64_t cols, uint64_t total) {
  const uint64_t checked = rows * cols;
  std::string over;
  if (checked == total) over = "all " + std::to_string(total) + " outputs";
  else
    over = std::to_string(checked) + " of " + std::to_string(total) + " outputs (" + std::to_string(rows) + " rows x " +
           std::to_string(cols) + " columns sampled; --check full for all)";
  if (st.counted == 0) {
    std::printf("error vs %s over %s: no finite output to compare (%" PRIu64 " non-finite)\n", against,
                over.c_str(), st.nonfinite);
    return;
  }
  std::printf("error vs %s over %s: max relative %.3e, RMS relative %.3e, normwise %.3e", against, over.c_str(),
              st.max_rel, st.rms_rel(), st.normwise());
  if (st.nonfinite) std::printf(" (%" PRIu64 " non-finite skipped)", st.nonfinite);
  std::printf("\n");
}

void print_quantization(const char* what, const Operand& op, Fp8Format fmt) {
  if (op.f32.empty()) return;
  std::printf("%s: %" PRIu64 " float32 values quantized to %s (RNE, saturating): %" PRIu64 " rounded, %" PRIu64
              " saturated to +-max, %" PRIu64 " Inf mapped to +-max, %" PRIu64 " NaN kept\n",
              what, static_cast<uint64_t>(op.f32.size()), fmt == Fp8Format::E4M3 ? "e4m3" : "e5m2", op.rounded,
              op.saturated, op.inf_mapped, op.nan_kept);
}

// ---------------------------------------------------------------------------
// The output file

void write_output(NpyWriter& w, const GemmOutput& res, OutKind out_fmt, AccFormat acc, uint64_t m, uint64_t n) {
  std::vector<uint8_t> bytes;
  std::string descr;
  const size_t count = res.out.size();
  const uint8_t* data = bytes.data();
  size_t size = 0;
  const int width = out_kind_bytes(out_fmt);
  if (width == 1) {  // FP8 codes
    descr = "|u1";
    bytes.resize(count);
    for (size_t i = 0; i < count; ++i) bytes[i] = static_cast<uint8_t>(res.out[i]);
  } else if (width == 2) {  // FP16 as float16, BF16 as its bits (numpy has no bfloat16)
    descr = out_fmt == OutKind::FP16 ? "<f2" : "<u2";
    bytes.resize(count * 2);
    for (size_t i = 0; i < count; ++i) {
      bytes[2 * i] = static_cast<uint8_t>(res.out[i]);
      bytes[2 * i + 1] = static_cast<uint8_t>(res.out[i] >> 8);
    }
  } else if (acc == kFp32) {
    // The words are the float32 bits already (x86-64 is little-endian).
    descr = "<f4";
    data = reinterpret_cast<const uint8_t*>(res.out.data());
    size = count * 4;
  } else {
    descr = "<f4";
    bytes.resize(count * 4);
    for (size_t i = 0; i < count; ++i) {
      const uint32_t b = acc.to_f32_bits(res.out[i]);
      std::memcpy(&bytes[4 * i], &b, 4);
    }
  }
  if (!bytes.empty()) {
    data = bytes.data();
    size = bytes.size();
  }
  w.write(descr, m, n, data, size);
  std::printf("wrote %s (%s, %" PRIu64 " x %" PRIu64 ")\n", w.path().c_str(), descr.c_str(), m, n);
}


Operands load_operands(const Request& r) {
  Operands o{load_operand(r.a_path, "A", r.fmt_a), load_operand(r.b_path, "B", r.fmt_b)};
  const uint64_t m = o.A.rows, k = o.A.cols, n = o.B.cols;
  if (o.B.rows != k)
    throw UsageError(r.b_path + ": shape mismatch: B has " + std::to_string(o.B.rows) + " rows, expected " +
                     std::to_string(k) + " (the K of A)");
  if (k < 1 || k > 65535) throw UsageError("K = " + std::to_string(k) + " is out of range [1, 65535]");
  if (m < 1 || n < 1) throw UsageError("empty matrix: M = " + std::to_string(m) + ", N = " + std::to_string(n));
  if (m > INT32_MAX || n > INT32_MAX || m * n > kMaxOutputs)
    throw UsageError("M x N = " + std::to_string(m) + " x " + std::to_string(n) + " outputs is over the limit of " +
                     std::to_string(kMaxOutputs) + " (1 GiB of accumulator words); split the problem");
  return o;
}

// The GEMM of `fp8sa gemm` and `fp8sa board`: run the back-ends and
// compare them, check, write, report. Returns the exit status.
int run_gemm(const Request& r, const Operands& ops, const char* cmd, std::chrono::steady_clock::time_point t_start) {
  const Operand& A = ops.A;
  const Operand& B = ops.B;
  const uint64_t m = A.rows, k = A.cols, n = B.cols;
  const std::vector<uint32_t> Cw = r.c_path.empty() ? std::vector<uint32_t>{} : load_c(r.c_path, m, n, r.cfg.init_format());
  // The output file is created now, before the long part: a bad path fails
  // at once (after the inputs were read, so --out may name an input).
  std::unique_ptr<NpyWriter> out;
  if (!r.out_path.empty()) out = std::make_unique<NpyWriter>(r.out_path);
  const double t_load = seconds_since(t_start);

  GemmProblem p;
  p.M = static_cast<int>(m);
  p.K = static_cast<int>(k);
  p.N = static_cast<int>(n);
  p.A = A.codes.data();
  p.B = B.codes.data();
  p.C_init = Cw.empty() ? nullptr : Cw.data();
  p.fmt_a = r.fmt_a;
  p.fmt_b = r.fmt_b;
  p.rnd = r.rnd;
  p.out_fmt = r.out_fmt;
  p.out_rnd = r.out_rnd;
  p.sat = r.sat;
  p.scale = r.scale;
  p.validate();

  const char* fa = r.fmt_a == Fp8Format::E4M3 ? "e4m3" : "e5m2";
  const char* fb = r.fmt_b == Fp8Format::E4M3 ? "e4m3" : "e5m2";
  std::printf("fp8sa %s: %" PRIu64 "x%" PRIu64 "x%" PRIu64 " on a %dx%d array (%s%s), A %s%s, B %s%s, acc %s %s, out %s",
              cmd, m, k, n, r.cfg.rows, r.cfg.cols,
              r.board ? "board " : r.rtl_name.empty() ? "no RTL config" : "config ",
              r.board ? r.board->link().channel().describe().c_str() : r.rtl_name.c_str(),
              fa, A.f32.empty() ? "" : " (from float32)", fb, B.f32.empty() ? "" : " (from float32)",
              (r.cfg.acc.name() + (r.cfg.promote_n ? " promote " + std::to_string(r.cfg.promote_n) : "") +
               (r.cfg.pe_kind != PeKind::Fma
                    ? std::string(", PE ") + pe_kind_name(r.cfg.pe_kind) + " " + std::to_string(r.cfg.dot_n) +
                          (r.cfg.pe_kind == PeKind::Dot ? " align " + std::to_string(r.cfg.align_bits) : "")
                    : "") +
               (r.cfg.sr_kind != SrKind::Mid ? std::string(" sr-kind ") + sr_kind_name(r.cfg.sr_kind) : "") +
               (r.preset.empty() ? "" : ", preset " + r.preset))
                  .c_str(),
              r.round_name.c_str(), r.out_fmt_name.c_str());
  if (is_quantized(r.out_fmt))
    std::printf("/%s%s%s", r.out_round_name.c_str(), r.sat ? " sat" : "",
                r.scale ? (" scale 2^" + std::to_string(r.scale)).c_str() : "");
  std::printf("%s\n", Cw.empty() ? "" : ", C given");
  print_quantization("A", A, r.fmt_a);
  print_quantization("B", B, r.fmt_b);

  const std::vector<Run> runs = run_backends(r, p);
  const int differ = compare_and_print(runs, n);
  if (r.after_runs) r.after_runs(runs.front().seconds);
  const GemmOutput& res = runs.front().run.out;

  const uint8_t flags = res.flags();
  std::printf("flags (OR of all tiles): %s%s%s%s%s\n", flags == 0 ? "none" : "", (flags & kFlagInvalid) ? "invalid " : "",
              (flags & kFlagOverflow) ? "overflow " : "", (flags & kFlagUnderflow) ? "underflow " : "",
              (flags & kFlagInexact) ? "inexact" : "");

  double t_check = 0;
  if (r.check != Check::None) {
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t rows = 0, cols = 0;
    const GemmErrorStats fp8 = check_error(r, A, B, Cw, res, false, &rows, &cols);
    print_error("float64 of the FP8 operands", fp8, rows, cols, m * n);
    if (!A.f32.empty() || !B.f32.empty()) {
      const GemmErrorStats in = check_error(r, A, B, Cw, res, true, &rows, &cols);
      print_error("float64 of the float32 inputs (quantization included)", in, rows, cols, m * n);
    }
    t_check = seconds_since(t0);
  } else {
    std::printf("error check: none (--check none)\n");
  }

  double t_write = 0;
  if (out) {
    const auto t0 = std::chrono::steady_clock::now();
    write_output(*out, res, r.out_fmt, r.cfg.result_format(), m, n);
    t_write = seconds_since(t0);
  }
  double t_run = 0;
  for (const Run& run : runs) t_run += run.seconds;
  std::printf("time: %.3f s (load %.3f, back-ends %.3f, check %.3f, write %.3f)\n", seconds_since(t_start), t_load,
              t_run, t_check, t_write);
  if (differ) {
    std::printf("FAIL: back-ends differ\n");
    return 1;
  }
  if (runs.size() > 1) std::printf("PASS: all back-ends bit-identical\n");
  return 0;
}

}  // namespace gemm_cmd

using namespace gemm_cmd;

int cmd_gemm(const Args& args) {
  const auto t_start = std::chrono::steady_clock::now();
  const Request r = parse(args);
  const Operands ops = load_operands(r);
  return run_gemm(r, ops, "gemm", t_start);
}

}  // namespace fp8sa::cli

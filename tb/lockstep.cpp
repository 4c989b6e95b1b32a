#include "lockstep.hpp"
#include "random_gemm.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <vector>

#include "fp8sa/gemm.hpp"
#include "fp8sa/gemm_stream.hpp"

namespace fp8sa::tb {
namespace {

std::string hex(uint32_t v, int digits = 8) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%0*X", digits, v);
  return b;
}

// An out_data_o word as a number, for the report.
std::string decode(uint32_t w, uint8_t out_fmt, const AccFormat& acc) {
  const double v = output_word_value(w, static_cast<OutKind>(out_fmt), acc);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

LockstepPorts::LockstepPorts(ArrayCycleModel& model, rtl::ArrayRtl& rtl) : model_(model), rtl_(rtl) {}

void LockstepPorts::reset() {
  model_.reset();
  rtl_.reset();
}

void LockstepPorts::clock(const ArrayInputs& in) {
  model_.clock(in);
  rtl_.clock(in);
  ++cycle_;
  const ArrayOutputs& m = model_.outputs();
  const ArrayOutputs& r = rtl_.outputs();  // compared in place: no per-cycle copy of the lanes
  const bool r_in_ready = (fault_cycle != 0 && cycle_ == fault_cycle) ? !r.in_ready_o : r.in_ready_o;
  std::ostringstream d;
  auto bit = [&](const char* port, bool a, bool b) {
    if (a != b && d.tellp() == 0) d << "port " << port << ": model " << a << ", rtl " << b;
  };
  bit("cmd_ready_o", m.cmd_ready_o, r.cmd_ready_o);
  bit("in_ready_o", m.in_ready_o, r_in_ready);
  bit("init_ready_o", m.init_ready_o, r.init_ready_o);
  bit("out_valid_o", m.out_valid_o, r.out_valid_o);
  bit("out_last_o", m.out_last_o, r.out_last_o);
  if (d.tellp() == 0 && m.out_row_o != r.out_row_o)
    d << "port out_row_o: model " << int{m.out_row_o} << ", rtl " << int{r.out_row_o};
  if (d.tellp() == 0 && m.out_flags_o != r.out_flags_o)
    d << "port out_flags_o: model " << hex(m.out_flags_o, 1) << ", rtl " << hex(r.out_flags_o, 1);
  const ArrayConfig& cfg = model_.config();
  for (int c = 0; c < cfg.cols && d.tellp() == 0; ++c) {
    const uint32_t a = m.out_data_o[static_cast<size_t>(c)], b = r.out_data_o[static_cast<size_t>(c)];
    if (a != b)
      d << "port out_data_o column " << c << " (PE row " << int{m.out_row_o} << ", col " << c << "): model "
        << hex(a) << " = " << decode(a, out_fmt, cfg.result_format()) << ", rtl " << hex(b) << " = "
        << decode(b, out_fmt, cfg.result_format());
  }
  if (d.tellp() != 0) {
    LockstepMismatch e("cycle " + std::to_string(cycle_) + ": " + d.str());
    e.cycle = cycle_;
    throw e;
  }
}

namespace {

// One deterministic run; trace_from: start the RTL's VCD at this lockstep cycle (0: none).
LockstepResult run_once(const LockstepOptions& opt, uint64_t trace_from, const std::string& vcd) {
  const rtl::NamedArrayConfig& nc = rtl::array_config(opt.config);
  const ArrayConfig& cfg = nc.cfg;
  ArrayCycleModel model(cfg);
  std::unique_ptr<rtl::ArrayRtl> hw = rtl::make_array(opt.config);
  LockstepPorts ports(model, *hw);
  ports.fault_cycle = opt.fault_cycle;
  std::mt19937_64 rng(opt.seed);
  LockstepResult res;
  bool tracing = false;
  // Wraps the ports to start the VCD at the right cycle.
  struct Traced {
    LockstepPorts& p;
    rtl::ArrayRtl& hw;
    uint64_t from;
    const std::string& path;
    bool& on;
    const ArrayOutputs& outputs() const { return p.outputs(); }
    void clock(const ArrayInputs& in) {
      if (from != 0 && !on && p.cycle() + 1 >= from) {
        hw.trace_to(path);
        on = true;
      }
      p.clock(in);
    }
  } traced{ports, *hw, trace_from, vcd, tracing};

  std::string what;
  for (int g = 0; g < opt.gemms; ++g) {
    RandomGemm rg;
    random_gemm(rng, cfg, RandomGemmShape{opt.max_dim_tiles, opt.max_k}, &rg);
    ports.out_fmt = static_cast<uint8_t>(rg.p.out_fmt);
    GemmStreamOptions so;
    so.stall_seed = rng() | 1u;
    so.in_gap_pct = opt.in_gap_pct;
    so.out_stall_pct = opt.out_stall_pct;
    const bool interrupt = static_cast<int>(rng() % 100) < opt.reset_pct;
    if (interrupt) so.stop_after_cycles = 1 + rng() % 200;
    what = "GEMM " + std::to_string(g) + " (" + describe(rg.p) + (interrupt ? ", reset mid-stream" : "") + ")";
    GemmOutput lock_out;
    try {
      const GemmStreamStats st = gemm_stream(traced, rg.p, cfg, &lock_out, so);
      res.pe_macs += st.finished ? st.pe_macs : 0;
    } catch (const LockstepMismatch& e) {
      res.ok = false;
      res.cycles = ports.cycle();
      res.report = "lockstep mismatch, config " + opt.config + ", seed " + std::to_string(opt.seed) + ", " +
                   what + ", " + e.what();
      return res;
    }
    if (!interrupt) {
      GemmOutput fout;
      gemm_functional(rg.p, cfg, &fout);
      for (size_t i = 0; i < fout.out.size(); ++i) {
        if (fout.out[i] != lock_out.out[i]) {
          res.ok = false;
          res.report = "functional model differs from the cycle model and RTL, config " + opt.config +
                       ", seed " + std::to_string(opt.seed) + ", " + what + ", output (" +
                       std::to_string(i / static_cast<size_t>(rg.p.N)) + ", " +
                       std::to_string(i % static_cast<size_t>(rg.p.N)) + "): functional " + hex(fout.out[i]) +
                       ", array " + hex(lock_out.out[i]);
          return res;
        }
      }
      for (size_t t = 0; t < fout.tile_flags.size(); ++t) {
        if (fout.tile_flags[t] != lock_out.tile_flags[t]) {
          res.ok = false;
          res.report = "functional model tile flags differ, config " + opt.config + ", seed " +
                       std::to_string(opt.seed) + ", " + what + ", tile " + std::to_string(t) + ": functional " +
                       hex(fout.tile_flags[t], 1) + ", array " + hex(lock_out.tile_flags[t], 1);
          return res;
        }
      }
      ++res.gemms;
    }
    // Every GEMM starts from reset (so its LFSR draws are those of
    // docs/array.md "GEMM tiling"); an interrupted one is reset mid-stream.
    ports.reset();
    if (opt.progress)
      std::fprintf(stderr, "[lockstep %s seed %llu] %d/%d %s: ok, %llu cycles so far\n", opt.config.c_str(),
                   static_cast<unsigned long long>(opt.seed), g + 1, opt.gemms, what.c_str(),
                   static_cast<unsigned long long>(ports.cycle()));
  }
  res.cycles = ports.cycle();
  return res;
}

}  // namespace

LockstepResult run_lockstep(const LockstepOptions& opt) {
  LockstepResult r = run_once(opt, 0, "");
  if (r.ok) return r;
  std::ostringstream rep;
  rep << r.report << "\n  reproduce: build/bin/fp8sa lockstep --config " << opt.config << " --seed " << opt.seed
      << " --gemms " << opt.gemms;
  if (!opt.vcd_path.empty() && r.cycles > 0) {
    // Replay the same run with the RTL's waveform on for the last cycles.
    const uint64_t from = r.cycles > static_cast<uint64_t>(opt.vcd_cycles) ? r.cycles - opt.vcd_cycles : 1;
    run_once(opt, from, opt.vcd_path);
    rep << "\n  waveform (RTL, cycles " << from << ".." << r.cycles << "): " << opt.vcd_path;
  }
  r.report = rep.str();
  return r;
}

}  // namespace fp8sa::tb

// Glue between the Verilated numerics units and the rtl_units.hpp classes.
#include "rtl_units.hpp"

#include <stdexcept>
#include <type_traits>

#include "verilated.h"

#include "Vfadd_e8m23.h"
#include "Vlfsr_w12_r5.h"
#include "Vlfsr_w32_r16.h"
#include "Vmac_e5m10.h"
#include "Vmac_e6m9.h"
#include "Vmac_e8m10.h"
#include "Vmac_e8m15.h"
#include "Vmac_e8m23.h"
#include "Vmac_e8m23_sr4.h"
#include "Vmac_e8m7.h"
#include "Vpe_e8m15.h"
#include "Vpe_e8m23.h"
#include "Vpe_e8m23_rne.h"
#include "Vpe_e8m23_rnerz.h"
#include "Vpe_e8m23_m1.h"
#include "Vpe_e8m23_m2.h"
#include "Vpe_e6m5_p4.h"
#include "Vpe_e8m10_p3_m2.h"
#include "Vkpe_dot_n2_e8m23_src.h"
#include "Vkpe_dot_n32_e8m13.h"
#include "Vkpe_dot_n4_e8m13.h"
#include "Vkpe_dot_n8_e5m10_p16.h"
#include "Vkpe_exact_n1_e8m23.h"
#include "Vkpe_exact_n8_e6m9_src.h"
#include "Vkpe_fma_e8m10_trunc.h"
#include "Vquant_e5m10.h"
#include "Vquant_e8m23.h"

namespace fp8sa::rtl {
namespace {

// Drives an input port (CData/SData/IData) from a wider integer; the caller
// has already masked the value to the port's width.
template <class Port, class Value>
void set(Port& port, Value v) {
  port = static_cast<Port>(v);
}

// An asynchronous active-low reset needs a falling edge that the simulator
// sees: rst_ni may start at 0, so raise it first.
template <class V>
void pulse_reset(V& t) {
  t.rst_ni = 1;
  t.eval();
  t.rst_ni = 0;
  t.eval();
  t.rst_ni = 1;
  t.eval();
}

// One rising clock edge: the inputs set by drive() while the clock is low,
// then the edge, then the clock low again (what the PEs' clock() does).
template <class V, class Drive>
void clock_edge(V& t, Drive&& drive) {
  set(t.clk_i, 0);
  drive();
  t.eval();
  set(t.clk_i, 1);
  t.eval();
  set(t.clk_i, 0);
  t.eval();
}

// Owns a context and a model; finalizes the model on destruction.
template <class V>
struct Holder {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<V> top;
  Holder() : ctx(std::make_unique<VerilatedContext>()) {
    ctx->fatalOnError(false);  // a simulation-only check must not abort the test binary
    top = std::make_unique<V>(ctx.get(), "top");
  }
  ~Holder() {
    // Verilator 5.006 erases the model's scopes through the *thread's* current
    // context (Verilated::threadContextp()), which is whichever model ran
    // last and may already be destroyed: point it at our own context first.
    Verilated::threadContextp(ctx.get());
    top->final();
    top.reset();
  }
};

template <class V>
class MacImpl final : public Mac {
 public:
  MacImpl(AccFormat fmt, int sr_bits) : fmt_(fmt), sr_bits_(sr_bits) {}
  OpResult mac(uint32_t acc, uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb, Round rnd,
               uint32_t rand) override {
    return mac_code(acc, a, fa, b, fb, static_cast<unsigned>(rnd), rand);
  }
  OpResult mac_code(uint32_t acc, uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb,
                    unsigned rnd_code, uint32_t rand) override {
    V& t = *h_.top;
    set(t.acc_i, acc);
    set(t.a_i, a);
    set(t.fmt_a_i, static_cast<uint8_t>(fa));
    set(t.b_i, b);
    set(t.fmt_b_i, static_cast<uint8_t>(fb));
    set(t.rnd_i, static_cast<uint8_t>(rnd_code & 3u));
    set(t.rand_i, rand & sr_mask());
    t.eval();
    return {static_cast<uint32_t>(t.acc_o), static_cast<uint8_t>(t.flags_o)};
  }
  AccFormat format() const override { return fmt_; }
  int sr_bits() const override { return sr_bits_; }

 private:
  uint32_t sr_mask() const { return sr_bits_ >= 32 ? ~0u : ((1u << sr_bits_) - 1u); }
  Holder<V> h_;
  AccFormat fmt_;
  int sr_bits_;
};

template <class V>
class FaddImpl final : public Fadd {
 public:
  explicit FaddImpl(AccFormat fmt) : fmt_(fmt) {}
  OpResult add(uint32_t x, uint32_t y, Round rnd, uint32_t rand) override {
    V& t = *h_.top;
    set(t.a_i, x);
    set(t.b_i, y);
    set(t.rnd_i, static_cast<uint8_t>(rnd));
    set(t.rand_i, rand & 0xFFFFu);
    t.eval();
    return {static_cast<uint32_t>(t.sum_o), static_cast<uint8_t>(t.flags_o)};
  }
  AccFormat format() const override { return fmt_; }

 private:
  Holder<V> h_;
  AccFormat fmt_;
};

template <class V>
class QuantImpl final : public Quantizer {
 public:
  explicit QuantImpl(AccFormat fmt) : fmt_(fmt) {}
  OpResult quantize(uint32_t acc, OutFormat out, Round rnd, bool sat, int scale,
                    uint32_t rand) override {
    return quantize_code(acc, static_cast<unsigned>(out), static_cast<unsigned>(rnd), sat, scale,
                         rand);
  }
  OpResult quantize_code(uint32_t acc, unsigned out_code, unsigned rnd_code, bool sat, int scale,
                         uint32_t rand) override {
    if (scale < -64 || scale > 63) throw std::invalid_argument("rtl quantizer: scale out of [-64, 63]");
    V& t = *h_.top;
    set(t.acc_i, acc);
    set(t.out_fmt_i, static_cast<uint8_t>(out_code & 7u));
    set(t.rnd_i, static_cast<uint8_t>(rnd_code & 3u));
    set(t.sat_i, sat ? 1 : 0);
    set(t.scale_i, static_cast<uint8_t>(static_cast<unsigned>(scale) & 0x7Fu));
    set(t.rand_i, rand & 0xFFFFu);
    t.eval();
    return {static_cast<uint32_t>(t.q_o), static_cast<uint8_t>(t.flags_o)};
  }
  AccFormat format() const override { return fmt_; }

 private:
  Holder<V> h_;
  AccFormat fmt_;
};

template <class V>
class LfsrImpl final : public Lfsr {
 public:
  LfsrImpl(int width, int draw_bits, uint32_t seed) : w_(width), r_(draw_bits), seed_(seed) {
    reset();
  }
  void reset() override {
    V& t = *h_.top;
    set(t.clk_i, 0);
    set(t.advance_i, 0);
    set(t.seed_load_i, 0);
    set(t.seed_i, 0);
    pulse_reset(t);
  }
  uint32_t rand() override { h_.top->eval(); return static_cast<uint32_t>(h_.top->rand_o); }
  uint32_t state() override { h_.top->eval(); return static_cast<uint32_t>(h_.top->state_o); }
  void clock(bool advance, bool seed_load, uint32_t seed) override {
    V& t = *h_.top;
    set(t.advance_i, advance ? 1 : 0);
    set(t.seed_load_i, seed_load ? 1 : 0);
    set(t.seed_i, seed);
    set(t.clk_i, 0);
    t.eval();
    set(t.clk_i, 1);
    t.eval();
    set(t.clk_i, 0);
    set(t.advance_i, 0);
    set(t.seed_load_i, 0);
    t.eval();
  }
  int width() const override { return w_; }
  int draw_bits() const override { return r_; }
  uint32_t reset_seed() const override { return seed_; }

 private:
  Holder<V> h_;
  int w_, r_;
  uint32_t seed_;
};

template <class V>
class MacPeImpl final : public MacPe {
 public:
  MacPeImpl(AccFormat fmt, int sr_bits, int lfsr_w, uint32_t seed, int promote_n = 0)
      : fmt_(fmt), sr_bits_(sr_bits), lfsr_w_(lfsr_w), seed_(seed), promote_n_(promote_n) {
    reset();
  }
  void reset() override {
    drive(PeInputs{});
    set(h_.top->clk_i, 0);
    pulse_reset(*h_.top);
  }
  void clock(const PeInputs& in) override { clock_edge(*h_.top, [&] { drive(in); }); }
  uint32_t acc() override { return static_cast<uint32_t>(h_.top->acc_o); }
  uint8_t flags() override { return static_cast<uint8_t>(h_.top->flags_o); }
  AccFormat format() const override { return fmt_; }
  int sr_bits() const override { return sr_bits_; }
  int lfsr_w() const override { return lfsr_w_; }
  uint32_t reset_seed() const override { return seed_; }
  int promote_n() const override { return promote_n_; }

 private:
  void drive(const PeInputs& in) {
    V& t = *h_.top;
    set(t.en_i, in.en);
    set(t.last_i, in.last);
    set(t.clr_i, in.clr);
    set(t.init_i, in.init);
    set(t.a_i, in.a);
    set(t.fmt_a_i, static_cast<uint8_t>(in.fmt_a));
    set(t.b_i, in.b);
    set(t.fmt_b_i, static_cast<uint8_t>(in.fmt_b));
    set(t.rnd_i, static_cast<uint8_t>(in.rnd & 3u));
    set(t.seed_load_i, in.seed_load);
    set(t.seed_i, in.seed);
    set(t.adv_i, in.adv);
    set(t.tag_i, 0);
  }
  Holder<V> h_;
  AccFormat fmt_;
  int sr_bits_, lfsr_w_;
  uint32_t seed_;
  int promote_n_;
};

// Writes 8-bit lanes into a port of any width (an integer or a VlWide).
template <class P>
void put_lanes(P& port, const std::vector<uint8_t>& v, int n) {
  for (int i = 0; i < n; ++i) {
    const uint32_t x = i < static_cast<int>(v.size()) ? v[static_cast<size_t>(i)] : 0u;
    if constexpr (std::is_integral_v<P>) {
      const P mask = static_cast<P>(P{0xFF} << (8 * i));
      port = static_cast<P>((port & static_cast<P>(~mask)) | static_cast<P>(static_cast<P>(x) << (8 * i)));
    } else {
      const int w = (8 * i) / 32, b = (8 * i) % 32;
      port[static_cast<size_t>(w)] = (port[static_cast<size_t>(w)] & ~(0xFFu << b)) | (x << b);
    }
  }
}

template <class V>
class KindPeImpl final : public KindPe {
 public:
  explicit KindPeImpl(const KindPeParams& p) : p_(p) { reset(); }
  void reset() override {
    drive(KindPeInputs{});
    set(h_.top->clk_i, 0);
    pulse_reset(*h_.top);
  }
  void clock(const KindPeInputs& in) override { clock_edge(*h_.top, [&] { drive(in); }); }
  uint32_t acc() override { return static_cast<uint32_t>(h_.top->acc_o); }
  uint8_t flags() override { return static_cast<uint8_t>(h_.top->flags_o); }
  const KindPeParams& params() const override { return p_; }

 private:
  void drive(const KindPeInputs& in) {
    V& t = *h_.top;
    set(t.en_i, in.en);
    set(t.last_i, in.last);
    set(t.clr_i, in.clr);
    set(t.init_i, in.init);
    put_lanes(t.a_i, in.a, p_.dot_n);
    set(t.fmt_a_i, static_cast<uint8_t>(in.fmt_a));
    put_lanes(t.b_i, in.b, p_.dot_n);
    set(t.fmt_b_i, static_cast<uint8_t>(in.fmt_b));
    set(t.rnd_i, static_cast<uint8_t>(in.rnd & 3u));
    set(t.seed_load_i, in.seed_load);
    set(t.seed_i, in.seed);
    set(t.adv_i, in.adv);
    set(t.tag_i, 0);
  }
  Holder<V> h_;
  KindPeParams p_;
};

std::string cfg_name(AccFormat f, int sr) { return f.name() + "/sr" + std::to_string(sr); }

[[noreturn]] void not_built(const std::string& unit, const std::string& want,
                            const std::vector<std::string>& have) {
  std::string list;
  for (const auto& h : have) list += (list.empty() ? "" : ", ") + h;
  throw std::invalid_argument("rtl " + unit + ": configuration " + want +
                              " is not Verilated (built: " + list +
                              "; add it in sim/CMakeLists.txt)");
}

}  // namespace

std::vector<std::string> mac_configs() {
  return {"e8m23/sr16", "e8m15/sr16", "e8m10/sr16", "e8m7/sr16",
          "e6m9/sr16",  "e5m10/sr16", "e8m23/sr4"};
}

std::unique_ptr<Mac> make_mac(AccFormat f, int sr) {
  const std::string n = cfg_name(f, sr);
  if (n == "e8m23/sr16") return std::make_unique<MacImpl<Vmac_e8m23>>(f, sr);
  if (n == "e8m15/sr16") return std::make_unique<MacImpl<Vmac_e8m15>>(f, sr);
  if (n == "e8m10/sr16") return std::make_unique<MacImpl<Vmac_e8m10>>(f, sr);
  if (n == "e8m7/sr16") return std::make_unique<MacImpl<Vmac_e8m7>>(f, sr);
  if (n == "e6m9/sr16") return std::make_unique<MacImpl<Vmac_e6m9>>(f, sr);
  if (n == "e5m10/sr16") return std::make_unique<MacImpl<Vmac_e5m10>>(f, sr);
  if (n == "e8m23/sr4") return std::make_unique<MacImpl<Vmac_e8m23_sr4>>(f, sr);
  not_built("mac", n, mac_configs());
}

std::vector<std::string> fadd_configs() { return {"e8m23"}; }

std::unique_ptr<Fadd> make_fadd(AccFormat f) {
  if (f == kFp32) return std::make_unique<FaddImpl<Vfadd_e8m23>>(f);
  not_built("fadd", f.name(), fadd_configs());
}

std::unique_ptr<Quantizer> make_quantizer(AccFormat f) {
  if (f == kFp32) return std::make_unique<QuantImpl<Vquant_e8m23>>(f);
  if (f == AccFormat{5, 10}) return std::make_unique<QuantImpl<Vquant_e5m10>>(f);
  not_built("quantizer", f.name(), {"e8m23", "e5m10"});
}

std::unique_ptr<Lfsr> make_lfsr(int width, int draw_bits) {
  if (width == 32 && draw_bits == 16) return std::make_unique<LfsrImpl<Vlfsr_w32_r16>>(32, 16, 1u);
  if (width == 12 && draw_bits == 5) return std::make_unique<LfsrImpl<Vlfsr_w12_r5>>(12, 5, 0xACEu);
  not_built("lfsr", "w" + std::to_string(width) + "/r" + std::to_string(draw_bits),
            {"w32/r16", "w12/r5"});
}

std::unique_ptr<MacPe> make_mac_pe(AccFormat f, int rnd_modes, int mul_stages, int promote_n) {
  if (promote_n != 0) {
    if (f == AccFormat{6, 5} && rnd_modes == 3 && mul_stages == 0 && promote_n == 4)
      return std::make_unique<MacPeImpl<Vpe_e6m5_p4>>(f, 8, 16, 0xBEEFu, 4);
    if (f == AccFormat{8, 10} && rnd_modes == 3 && mul_stages == 2 && promote_n == 3)
      return std::make_unique<MacPeImpl<Vpe_e8m10_p3_m2>>(f, 16, 32, 0xC0FFEE01u, 3);
    not_built("mac_pe", f.name() + " promote_n " + std::to_string(promote_n) + " mul_stages " +
                            std::to_string(mul_stages),
              {"e6m5 promote_n 4", "e8m10 promote_n 3 mul_stages 2"});
  }
  if (f == kFp32 && rnd_modes == 3 && mul_stages == 1)
    return std::make_unique<MacPeImpl<Vpe_e8m23_m1>>(f, 16, 32, 0xC0FFEE01u);
  if (f == kFp32 && rnd_modes == 3 && mul_stages == 2)
    return std::make_unique<MacPeImpl<Vpe_e8m23_m2>>(f, 16, 32, 0xC0FFEE01u);
  if (mul_stages != 0)
    not_built("mac_pe", f.name() + " mul_stages " + std::to_string(mul_stages), {"e8m23 mul_stages 1/2"});
  if (f == kFp32 && rnd_modes == 3) return std::make_unique<MacPeImpl<Vpe_e8m23>>(f, 16, 32, 0xC0FFEE01u);
  if (f == kFp32 && rnd_modes == 1) return std::make_unique<MacPeImpl<Vpe_e8m23_rne>>(f, 16, 32, 0xC0FFEE01u);
  if (f == kFp32 && rnd_modes == 2) return std::make_unique<MacPeImpl<Vpe_e8m23_rnerz>>(f, 16, 32, 0xC0FFEE01u);
  if (f == AccFormat{8, 15} && rnd_modes == 3) return std::make_unique<MacPeImpl<Vpe_e8m15>>(f, 8, 16, 0xBEEFu);
  not_built("mac_pe", f.name() + " rnd_modes " + std::to_string(rnd_modes),
            {"e8m23 rnd_modes 1/2/3", "e8m15 rnd_modes 3"});
}

std::vector<std::string> kind_pe_configs() {
  return {"dot_n4_e8m13", "dot_n32_e8m13", "dot_n8_e5m10_p16", "dot_n2_e8m23_src",
          "exact_n1_e8m23", "exact_n8_e6m9_src", "fma_e8m10_trunc"};
}

// Each entry's parameters are those of its fp8sa_verilate line in sim/CMakeLists.txt.
std::unique_ptr<KindPe> make_kind_pe(const std::string& name) {
  KindPeParams p;
  p.seed = 0xC0FFEE01u;
  if (name == "dot_n4_e8m13") {
    p.kind = PeKind::Dot, p.dot_n = 4, p.acc = AccFormat{8, 13};
    return std::make_unique<KindPeImpl<Vkpe_dot_n4_e8m13>>(p);
  }
  if (name == "dot_n32_e8m13") {
    p.kind = PeKind::Dot, p.dot_n = 32, p.acc = AccFormat{8, 13};
    return std::make_unique<KindPeImpl<Vkpe_dot_n32_e8m13>>(p);
  }
  if (name == "dot_n8_e5m10_p16") {
    p.kind = PeKind::Dot, p.dot_n = 8, p.align_bits = 20, p.acc = AccFormat{5, 10}, p.sr_bits = 8, p.lfsr_w = 16;
    p.seed = 0xBEEFu, p.promote_n = 16, p.mul_stages = 1, p.sr_kind = SrKind::Trunc;
    return std::make_unique<KindPeImpl<Vkpe_dot_n8_e5m10_p16>>(p);
  }
  if (name == "dot_n2_e8m23_src") {
    p.kind = PeKind::Dot, p.dot_n = 2, p.align_bits = 31, p.sr_bits = 8, p.lfsr_w = 16, p.seed = 0xBEEFu;
    p.mul_stages = 2, p.sr_kind = SrKind::Src;
    return std::make_unique<KindPeImpl<Vkpe_dot_n2_e8m23_src>>(p);
  }
  if (name == "exact_n1_e8m23") {
    p.kind = PeKind::Exact;
    return std::make_unique<KindPeImpl<Vkpe_exact_n1_e8m23>>(p);
  }
  if (name == "exact_n8_e6m9_src") {
    p.kind = PeKind::Exact, p.dot_n = 8, p.acc = AccFormat{6, 9}, p.sr_bits = 8, p.lfsr_w = 16, p.seed = 0xBEEFu;
    p.mul_stages = 1, p.sr_kind = SrKind::Src;
    return std::make_unique<KindPeImpl<Vkpe_exact_n8_e6m9_src>>(p);
  }
  if (name == "fma_e8m10_trunc") {
    p.acc = AccFormat{8, 10}, p.sr_bits = 6, p.lfsr_w = 16, p.seed = 0xBEEFu, p.sr_kind = SrKind::Trunc;
    return std::make_unique<KindPeImpl<Vkpe_fma_e8m10_trunc>>(p);
  }
  not_built("kind_pe", name, kind_pe_configs());
}

}  // namespace fp8sa::rtl

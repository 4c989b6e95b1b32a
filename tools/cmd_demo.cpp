// fp8sa demo: the unit-level demonstration. An FP8 dot product (E4M3 x E5M2)
// is accumulated by the C++ model of the MAC PE and by the Verilated RTL PE,
// cycle by cycle, for several accumulator formats and rounding modes; the
// final accumulators are quantized to E4M3 by the model and RTL quantizers.
// Every cycle's accumulator and flags are compared; the report gives the
// error of each against a float64 reference.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "cli.hpp"
#include "fp8sa/mac_pe.hpp"
#include "fp8sa/numerics.hpp"
#include "rtl_units.hpp"

namespace fp8sa::cli {
namespace {

double f32_value(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return static_cast<double>(f);
}

// A random finite FP8 code (no NaN, no Inf).
uint8_t random_finite(std::mt19937_64& rng, Fp8Format fmt) {
  for (;;) {
    const uint8_t c = static_cast<uint8_t>(rng());
    const double v = fp8_to_double(c, fmt);
    if (std::isfinite(v)) return c;
  }
}

}  // namespace

int cmd_demo(const Args& args) {
  if (!kCliHasRtl) throw UsageError(std::string("the demo compares the model with the Verilated PE: ") + kNoRtlHint);
  const int k = static_cast<int>(args.get_int("k", 4096, 1, 1 << 24));
  const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 1, 0, INT64_MAX));

  std::mt19937_64 rng(seed);
  std::vector<uint8_t> a(static_cast<size_t>(k)), b(static_cast<size_t>(k));
  double ref = 0.0;  // float64 reference dot product
  for (int i = 0; i < k; ++i) {
    a[static_cast<size_t>(i)] = random_finite(rng, Fp8Format::E4M3);
    b[static_cast<size_t>(i)] = random_finite(rng, Fp8Format::E5M2);
    ref += fp8_to_double(a[static_cast<size_t>(i)], Fp8Format::E4M3) *
           fp8_to_double(b[static_cast<size_t>(i)], Fp8Format::E5M2);
  }
  std::printf("fp8sa demo: dot product of %d E4M3 x E5M2 pairs (seed %" PRIu64 "), "
              "model PE vs Verilated RTL PE, every cycle compared\n", k, seed);
  std::printf("float64 reference: %.9g\n\n", ref);
  std::printf("%-7s %-5s %16s %12s %10s %6s %11s  %s\n", "acc", "round", "result", "rel.error",
              "flags", "cycles", "mismatches", "E4M3 (RNE | SR) model=rtl");

  Quantizer qmodel(kFp32, 16);
  auto qrtl = rtl::make_quantizer(kFp32);
  int total_mismatch = 0;
  for (AccFormat fmt : {kFp32, AccFormat{8, 15}}) {
    auto rtl_pe = rtl::make_mac_pe(fmt);
    MacPeConfig cfg;
    cfg.acc = fmt;
    cfg.sr_bits = rtl_pe->sr_bits();
    cfg.lfsr_w = rtl_pe->lfsr_w();
    cfg.seed = rtl_pe->reset_seed();
    for (Round rnd : {Round::RNE, Round::RZ, Round::SR}) {
      MacPe model(cfg);
      rtl_pe->reset();
      int mismatches = 0;
      for (int i = 0; i < k; ++i) {
        MacPeInputs in;
        in.en = true;
        in.clr = (i == 0);
        in.a = a[static_cast<size_t>(i)];
        in.fmt_a = Fp8Format::E4M3;
        in.b = b[static_cast<size_t>(i)];
        in.fmt_b = Fp8Format::E5M2;
        in.rnd = rnd;
        model.clock(in);
        rtl::PeInputs rin;
        rin.en = in.en;
        rin.clr = in.clr;
        rin.a = in.a;
        rin.fmt_a = in.fmt_a;
        rin.b = in.b;
        rin.fmt_b = in.fmt_b;
        rin.rnd = static_cast<unsigned>(rnd);
        rtl_pe->clock(rin);
        if (model.acc() != rtl_pe->acc() || model.flags() != rtl_pe->flags()) {
          if (mismatches == 0)
            std::printf("MISMATCH %s %s cycle %d: model acc %08X flags %X, rtl acc %08X flags %X\n",
                        fmt.name().c_str(), round_name(rnd), i, model.acc(), model.flags(),
                        rtl_pe->acc(), rtl_pe->flags());
          ++mismatches;
        }
      }
      total_mismatch += mismatches;
      const uint32_t f32 = fmt.to_f32_bits(model.acc());
      const double got = f32_value(f32);
      const double rel = ref != 0.0 ? std::fabs(got - ref) / std::fabs(ref) : std::fabs(got);
      char qtxt[96] = "-";
      if (fmt == kFp32) {
        const uint32_t u = 0x5A5Au;
        const OpResult qm_rne = qmodel.quantize(model.acc(), OutFormat::E4M3, Round::RNE, true);
        const OpResult qr_rne = qrtl->quantize(model.acc(), OutFormat::E4M3, Round::RNE, true);
        const OpResult qm_sr = qmodel.quantize(model.acc(), OutFormat::E4M3, Round::SR, true, 0, u);
        const OpResult qr_sr = qrtl->quantize(model.acc(), OutFormat::E4M3, Round::SR, true, 0, u);
        const bool same = qm_rne.bits == qr_rne.bits && qm_rne.flags == qr_rne.flags &&
                          qm_sr.bits == qr_sr.bits && qm_sr.flags == qr_sr.flags;
        if (!same) ++total_mismatch;
        std::snprintf(qtxt, sizeof qtxt, "0x%02X=%g | 0x%02X=%g %s", qm_rne.bits,
                      fp8_to_double(static_cast<uint8_t>(qm_rne.bits), Fp8Format::E4M3), qm_sr.bits,
                      fp8_to_double(static_cast<uint8_t>(qm_sr.bits), Fp8Format::E4M3),
                      same ? "same" : "DIFFER");
      }
      std::printf("%-7s %-5s %16.9g %12.3e %10X %6d %11d  %s\n", fmt.name().c_str(), round_name(rnd),
                  got, rel, model.flags(), k, mismatches, qtxt);
    }
  }
  std::printf("\n%s: %d mismatching cycles/outputs between model and RTL\n",
              total_mismatch == 0 ? "PASS" : "FAIL", total_mismatch);
  return total_mismatch == 0 ? 0 : 1;
}

}  // namespace fp8sa::cli

// The RTL rounding cell (rtl/units/fp8sa_round.v) alone, Verilated with
// SR_BITS = 4 and a 6-bit magnitude, for each SR kind (SR_KIND 0 mid,
// 1 trunc, 2 src), over every input its contract allows: every mode (incl.
// reserved 3), magnitude, discarded-bits word D (R + 1 bits) and sticky st
// (guard = D[R], sticky = |D[R-1:0] | st), random word u, the tininess and
// overflow inputs, and 8 max-finite values: about 10^7 cases per kind.
// The expected outputs are written here from docs/numerics.md sections 4
// and 5 (RNE: round up iff guard and (sticky or LSB); RZ: never; SR: iff
// u < k, k = {D[R:2], D[1] | D[0] | st} (mid), D[R:1] (trunc),
// D[R:1] + (D[0] & (st | D[1])) (src); overflow beyond max finite or before
// rounding; inexact = lost bits or overflow; tininess after rounding for
// RNE, before for RZ and SR; underflow = tiny and inexact and not overflow).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "Vround_sr4_m6.h"
#include "Vround_sr4_m6_src.h"
#include "Vround_sr4_m6_trunc.h"
#include "verilated.h"

namespace {

constexpr unsigned kR = 4, kMagW = 6, kMagMask = (1u << kMagW) - 1u;

// k of numerics.md section 5 from D (R + 1 bits) and st.
unsigned SrK(unsigned kind, unsigned d, bool st) {
  const unsigned d1 = (d >> 1) & 1u, d0 = d & 1u;
  if (kind == 1) return d >> 1;
  if (kind == 2) return (d >> 1) + (d0 & ((st ? 1u : 0u) | d1));
  return ((d >> 2) << 1) | (d1 | d0 | (st ? 1u : 0u));
}

template <typename Cell>
void CheckEveryContractInput(unsigned kind) {
  auto ctx = std::make_unique<VerilatedContext>();
  auto cell = std::make_unique<Cell>(ctx.get());
  const unsigned maxes[] = {1, 7, 30, 31, 32, 47, 62, 63};
  uint64_t cases = 0, failures = 0;
  for (unsigned rnd = 0; rnd < 4; ++rnd)
    for (unsigned mx : maxes)
      for (unsigned abs = 0; abs <= kMagMask; ++abs)
        for (unsigned d = 0; d < (2u << kR); ++d)
          for (unsigned st_bit = 0; st_bit < 2; ++st_bit)
            for (unsigned flags = 0; flags < 8; ++flags) {
              const bool ovf_pre = flags & 1, tiny_pre = flags & 2, rne_emin = flags & 4;
              // The contract: +1 does not wrap without ovf_pre; a tiny value
              // is below max and not overflowing.
              if (!ovf_pre && abs == kMagMask) continue;
              if (tiny_pre && (ovf_pre || abs >= mx)) continue;
              const bool st = st_bit != 0;
              const bool guard = (d >> kR) & 1u, sticky = (d & ((1u << kR) - 1u)) != 0 || st;
              const unsigned k = SrK(kind, d, st);
              for (unsigned u = 0; u < (1u << kR); ++u) {
                cell->rnd_i = static_cast<uint8_t>(rnd);
                cell->abs_i = static_cast<uint8_t>(abs);
                cell->guard_i = guard;
                cell->sticky_i = sticky;
                cell->sr_d_i = static_cast<uint8_t>(d);
                cell->sr_st_i = st;
                cell->rand_i = static_cast<uint8_t>(u);
                cell->max_i = static_cast<uint8_t>(mx);
                cell->ovf_pre_i = ovf_pre;
                cell->tiny_pre_i = tiny_pre;
                cell->rne_emin_i = rne_emin;
                cell->eval();
                const bool lost = guard || sticky;
                const bool up = rnd == 1 ? false : rnd == 2 ? u < k : (guard && (sticky || (abs & 1u)));
                const unsigned out = (abs + (up ? 1u : 0u)) & kMagMask;
                const bool ovf = ovf_pre || out > mx;
                const bool tiny = (rnd == 0 || rnd == 3) ? (tiny_pre && !rne_emin) : tiny_pre;
                const bool uf = tiny && lost && !ovf;
                ++cases;
                const bool ok = cell->up_o == up && cell->abs_o == out && cell->ovf_o == ovf &&
                                cell->inexact_o == (lost || ovf) && cell->tiny_o == tiny && cell->uf_o == uf;
                if (!ok && ++failures <= 20)
                  ADD_FAILURE() << "SR_KIND " << kind << " rnd " << rnd << " abs " << abs << " D " << d << " st "
                                << st << " k " << k << " u " << u << " max " << mx << " ovf_pre " << ovf_pre
                                << " tiny_pre " << tiny_pre << " rne_emin " << rne_emin << ": got up "
                                << int{cell->up_o} << " abs " << int{cell->abs_o} << " ovf " << int{cell->ovf_o}
                                << " inexact " << int{cell->inexact_o} << " tiny " << int{cell->tiny_o} << " uf "
                                << int{cell->uf_o} << "; expected up " << up << " abs " << out << " ovf " << ovf
                                << " inexact " << (lost || ovf) << " tiny " << tiny << " uf " << uf;
              }
            }
  std::printf("[  CASES   ] RtlRound: %llu cell evaluations (SR_BITS 4, 6-bit magnitude, SR_KIND %u)\n",
              static_cast<unsigned long long>(cases), kind);
  EXPECT_EQ(failures, 0u);
  EXPECT_GT(cases, 1000000u);
}

TEST(RtlRound, EveryContractInputMatchesTheSpecRules) { CheckEveryContractInput<Vround_sr4_m6>(0); }
TEST(RtlRound, EveryContractInputMatchesTheSpecRulesTrunc) { CheckEveryContractInput<Vround_sr4_m6_trunc>(1); }
TEST(RtlRound, EveryContractInputMatchesTheSpecRulesSrc) { CheckEveryContractInput<Vround_sr4_m6_src>(2); }

}  // namespace

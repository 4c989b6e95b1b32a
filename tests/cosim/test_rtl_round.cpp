// The RTL rounding cell (rtl/fp8sa_round.v) alone, Verilated with
// SR_BITS = 4 and a 6-bit magnitude, over every input its contract allows:
// every mode (incl. reserved 3), magnitude, discarded-bits word k (guard =
// k[R-1], sticky = |k[R-2:0]), random word u, the tininess and overflow
// inputs, and 8 max-finite values: 2 x 10^6 cases. The expected outputs are
// written here from docs/numerics.md sections 4 and 5 (RNE: round up iff
// guard and (sticky or LSB); RZ: never; SR: iff u < k; overflow beyond max
// finite or before rounding; inexact = lost bits or overflow; tininess after
// rounding for RNE, before for RZ and SR; underflow = tiny and inexact and
// not overflow).
#include <gtest/gtest.h>

#include <memory>

#include "Vround_sr4_m6.h"
#include "verilated.h"

namespace {

TEST(RtlRound, EveryContractInputMatchesTheSpecRules) {
  constexpr unsigned kR = 4, kMagW = 6, kMagMask = (1u << kMagW) - 1u;
  auto ctx = std::make_unique<VerilatedContext>();
  auto cell = std::make_unique<Vround_sr4_m6>(ctx.get());
  const unsigned maxes[] = {1, 7, 30, 31, 32, 47, 62, 63};
  uint64_t cases = 0, failures = 0;
  for (unsigned rnd = 0; rnd < 4; ++rnd)
    for (unsigned mx : maxes)
      for (unsigned abs = 0; abs <= kMagMask; ++abs)
        for (unsigned k = 0; k < (1u << kR); ++k)
          for (unsigned flags = 0; flags < 8; ++flags) {
            const bool ovf_pre = flags & 1, tiny_pre = flags & 2, rne_emin = flags & 4;
            // The contract: +1 does not wrap without ovf_pre; a tiny value
            // is below max and not overflowing.
            if (!ovf_pre && abs == kMagMask) continue;
            if (tiny_pre && (ovf_pre || abs >= mx)) continue;
            const bool guard = (k >> (kR - 1)) & 1u, sticky = (k & ((1u << (kR - 1)) - 1u)) != 0;
            for (unsigned u = 0; u < (1u << kR); ++u) {
              cell->rnd_i = static_cast<uint8_t>(rnd);
              cell->abs_i = static_cast<uint8_t>(abs);
              cell->guard_i = guard;
              cell->sticky_i = sticky;
              cell->sr_k_i = static_cast<uint8_t>(k);
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
                ADD_FAILURE() << "rnd " << rnd << " abs " << abs << " guard " << guard << " sticky " << sticky
                              << " k " << k << " u " << u << " max " << mx << " ovf_pre " << ovf_pre << " tiny_pre "
                              << tiny_pre << " rne_emin " << rne_emin << ": got up " << int{cell->up_o} << " abs "
                              << int{cell->abs_o} << " ovf " << int{cell->ovf_o} << " inexact "
                              << int{cell->inexact_o} << " tiny " << int{cell->tiny_o} << " uf " << int{cell->uf_o}
                              << "; expected up " << up << " abs " << out << " ovf " << ovf << " inexact "
                              << (lost || ovf) << " tiny " << tiny << " uf " << uf;
            }
          }
  std::printf("[  CASES   ] RtlRound: %llu cell evaluations (SR_BITS 4, 6-bit magnitude)\n",
              static_cast<unsigned long long>(cases));
  EXPECT_EQ(failures, 0u);
  EXPECT_GT(cases, 1000000u);
}

}  // namespace

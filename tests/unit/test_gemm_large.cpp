// Arrays beyond the RTL's sizes (64x64, 128x32, 256x256) on the functional
// and the cycle back-end against the independent reference of gemm_ref.hpp
// (host fmaf chains in k order, each tile's flags from <cfenv> over its R x C
// PEs). Ragged problems of several tiles, long enough for the cycle model's
// step history to wrap (its forced catch-ups), random finite codes with
// C_init, and (x86 hosts, see test_gemm_functional.cpp) NaN/Inf codes and
// C_init specials that send some rows to the generic path. The 256x256 runs
// keep K small so that the test takes seconds; `make regress` runs the
// heavier GEMMs through `fp8sa gemm`.
#include <gtest/gtest.h>

#include <string>

#include "fp8sa/backend.hpp"
#include "fp8sa/gemm.hpp"
#include "gemm_ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

struct LargeShape {
  int M, K, N, R, C;
};

void run_large(Data d, uint64_t default_seed) {
  const uint64_t seed = test_seed(default_seed);
  std::mt19937_64 rng(seed);
  CaseReport rep(std::string("large arrays, functional + cycle vs host fmaf chains, ") + data_name(d) +
                 " data (MACs x back-ends)");
  const LargeShape shapes[] = {{150, 300, 130, 64, 64}, {300, 200, 70, 128, 32}, {300, 24, 256, 256, 256}};
  for (const LargeShape& s : shapes) {
    const Problem pr = make_problem(rng, s.M, s.K, s.N, Fp8Format::E4M3, Fp8Format::E5M2, d, true);
    const Expected e = host_gemm(pr, s.R, s.C);
    const GemmProblem p = gemm_problem(pr);
    ArrayConfig cfg;
    cfg.rows = s.R;
    cfg.cols = s.C;
    const std::string what = strf("%s %dx%dx%d on %dx%d, FP8SA_SEED=0x%llx", data_name(d), s.M, s.K, s.N, s.R, s.C,
                                  static_cast<unsigned long long>(seed));
    const GemmRun fr = make_model_backend("functional", cfg)->run(p);
    ASSERT_EQ(expect_gemm_equal(e, fr.out.out, fr.out.tile_flags, pr.N, what + ", functional"), 0u);
    const GemmRun cr = make_model_backend("cycle", cfg)->run(p);
    ASSERT_EQ(expect_gemm_equal(e, cr.out.out, cr.out.tile_flags, pr.N, what + ", cycle"), 0u);
    const uint64_t tiles = cr.out.tile_flags.size();
    EXPECT_EQ(cr.pe_macs, tiles * static_cast<uint64_t>(s.K) * static_cast<uint64_t>(s.R * s.C)) << what;
    rep.add(2 * static_cast<uint64_t>(s.M) * s.N * s.K);
  }
}

TEST(GemmLarge, RandomFiniteOn64x64And128x32And256x256MatchesHostFmafChains) {
  run_large(Data::RandomFinite, 0x1A46Eu);
}

TEST(GemmLarge, SpecialValuesOnLargeArraysMatchHostFlags) {
#if defined(__x86_64__) || defined(__i386__)
  run_large(Data::Specials, 0x1A46Fu);
#else
  GTEST_SKIP() << "fma(0, Inf, qNaN) raises invalid on this host; numerics.md follows x86 (no invalid)";
#endif
}

}  // namespace
}  // namespace fp8sa::test

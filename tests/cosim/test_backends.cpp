// The GEMM back-end registry (sim/backends.hpp, backend.hpp): every back-end
// made by name computes the same bits, and the e8m23 RNE raw results equal
// host fmaf chains in k order (the independent reference; for the dot and
// exact configurations the tests/ref tiles of numerics.md section 10); bad names and
// mismatched configurations are refused with a message naming what is built.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "backends.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa {
namespace {

struct Problem {
  std::vector<uint8_t> a, b;
  GemmProblem p;
};

Problem random_problem(std::mt19937_64& rng, int m, int k, int n) {
  Problem pr;
  pr.a.resize(static_cast<size_t>(m) * k);
  pr.b.resize(static_cast<size_t>(k) * n);
  // Finite codes only (E4M3 NaN is S.1111.111, E5M2 Inf/NaN have exponent 31).
  for (auto& c : pr.a) do c = static_cast<uint8_t>(rng()); while ((c & 0x7F) == 0x7F);
  for (auto& c : pr.b) do c = static_cast<uint8_t>(rng()); while ((c & 0x7C) == 0x7C);
  pr.p.M = m;
  pr.p.K = k;
  pr.p.N = n;
  pr.p.A = pr.a.data();
  pr.p.B = pr.b.data();
  pr.p.fmt_a = Fp8Format::E4M3;
  pr.p.fmt_b = Fp8Format::E5M2;
  return pr;
}

TEST(Backends, EveryBackendByNameGivesTheSameBitsAndMatchesFmafChains) {
  std::mt19937_64 rng(test::test_seed(0xBAC0E7D5));
  for (const auto& nc : rtl::array_configs()) {
    const Problem pr = random_problem(rng, 2 * nc.cfg.rows + 1, 37, 2 * nc.cfg.cols + 1);
    std::vector<GemmRun> runs;
    for (const char* name : {"functional", "cycle", "rtl"}) {
      const std::unique_ptr<GemmBackend> be = make_backend(name, nc.cfg);
      EXPECT_EQ(be->name(), std::string(name) == "rtl" ? "rtl:" + nc.name : std::string(name));
      runs.push_back(be->run(pr.p));
    }
    EXPECT_FALSE(runs[0].has_cycles);
    ASSERT_TRUE(runs[1].has_cycles && runs[2].has_cycles);
    EXPECT_EQ(runs[1].cycles, runs[2].cycles) << nc.name;
    EXPECT_GT(runs[1].utilisation(), 0.0);
    for (size_t i = 1; i < runs.size(); ++i) {
      EXPECT_EQ(runs[i].out.out, runs[0].out.out) << nc.name << " back-end " << i;
      EXPECT_EQ(runs[i].out.tile_flags, runs[0].out.tile_flags) << nc.name << " back-end " << i;
    }
    if (nc.cfg.pe_kind != PeKind::Fma) {
      // dot and exact (RNE, raw output, no C): each output is the reference
      // tile of tests/ref (numerics.md section 10) over its row and column.
      ref::PeRefConfig rc;
      rc.acc = ref::acc_format(nc.cfg.acc);
      rc.dot_n = nc.cfg.dot_n;
      rc.align_bits = nc.cfg.align_bits;
      rc.sr_bits = nc.cfg.sr_bits;
      rc.sr_kind = nc.cfg.sr_kind;
      rc.promote_n = nc.cfg.promote_n;
      const std::vector<uint32_t> u(static_cast<size_t>(pr.p.K), 0u);  // RNE reads no random word
      for (int i = 0; i < pr.p.M; ++i)
        for (int j = 0; j < pr.p.N; ++j) {
          const uint8_t* a = pr.a.data() + static_cast<size_t>(i * pr.p.K);
          const uint8_t* b = pr.b.data() + j;
          const ref::RefResult want =
              nc.cfg.pe_kind == PeKind::Dot
                  ? ref::ref_dot_tile(rc, 0u, a, 1, b, pr.p.N, pr.p.K, Fp8Format::E4M3, Fp8Format::E5M2, Round::RNE, u.data())
                  : ref::ref_exact_tile(rc, 0u, a, 1, b, pr.p.N, pr.p.K, Fp8Format::E4M3, Fp8Format::E5M2, Round::RNE, 0u);
          ASSERT_EQ(runs[0].out.out[static_cast<size_t>(i * pr.p.N + j)], want.bits)
              << nc.name << " (" << i << ", " << j << ") vs the tests/ref tile";
        }
      continue;
    }
    if (!(nc.cfg.acc == kFp32)) continue;
    // e8m23, RNE, raw output: each output is fmaf(a, b, acc) in k order.
    for (int i = 0; i < pr.p.M; ++i)
      for (int j = 0; j < pr.p.N; ++j) {
        float acc = 0.0f;
        for (int kk = 0; kk < pr.p.K; ++kk)
          acc = std::fmaf(static_cast<float>(ref::fp8_decode(pr.a[static_cast<size_t>(i * pr.p.K + kk)], Fp8Format::E4M3)),
                          static_cast<float>(ref::fp8_decode(pr.b[static_cast<size_t>(kk * pr.p.N + j)], Fp8Format::E5M2)),
                          acc);
        uint32_t bits;
        std::memcpy(&bits, &acc, 4);
        ASSERT_EQ(runs[0].out.out[static_cast<size_t>(i * pr.p.N + j)], bits) << nc.name << " (" << i << ", " << j << ")";
      }
  }
}

TEST(Backends, BadNamesAndMismatchedConfigurationsAreRefused) {
  ArrayConfig cfg;  // 4x4 e8m23 seed 1: a4x4
  cfg.rows = 3;
  cfg.cols = 3;
  auto msg = [](const std::string& name, const ArrayConfig& c) -> std::string {
    try {
      make_backend(name, c);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(msg("gpu", cfg).find("unknown back-end 'gpu'"), std::string::npos);
  EXPECT_NE(msg("rtl", cfg).find("no Verilated array is 3x3"), std::string::npos);
  EXPECT_NE(msg("rtl", cfg).find("a4x4"), std::string::npos);  // lists what is built
  EXPECT_NE(msg("rtl:a4x4", cfg).find("is 4x4"), std::string::npos);
  EXPECT_NE(msg("rtl:zz", cfg).find("'zz' is not built"), std::string::npos);
  EXPECT_EQ(msg("functional", cfg), "");
  EXPECT_EQ(msg("cycle", cfg), "");
  cfg.rows = 4;
  cfg.cols = 4;
  EXPECT_EQ(rtl_config_name(cfg), "a4x4");
  EXPECT_EQ(msg("rtl:a4x4", cfg), "");
  cfg.seed = 2;
  EXPECT_EQ(rtl_config_name(cfg), "");
}

TEST(Backends, RegisteredArraysJoinTheRegistry) {
  const rtl::NamedArrayConfig a44 = rtl::array_config("a4x4");
  rtl::NamedArrayConfig alias = a44;
  alias.name = "a4x4_alias";
  rtl::register_array(alias, [](const rtl::NamedArrayConfig&) { return rtl::make_array("a4x4"); });
  EXPECT_EQ(rtl::array_config("a4x4_alias").cfg.rows, 4);
  EXPECT_THROW(rtl::register_array(alias, nullptr), std::invalid_argument);
  std::mt19937_64 rng(7);
  const Problem pr = random_problem(rng, 5, 9, 6);
  const GemmRun x = make_backend("rtl:a4x4_alias", a44.cfg)->run(pr.p);
  const GemmRun y = make_backend("functional", a44.cfg)->run(pr.p);
  EXPECT_EQ(x.out.out, y.out.out);
}

}  // namespace
}  // namespace fp8sa

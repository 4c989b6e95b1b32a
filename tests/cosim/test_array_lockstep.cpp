// Lockstep co-simulation of the array: the cycle-accurate model and the
// Verilated RTL, every output port compared on every cycle, for every named
// configuration of sim/array_configs.txt, with random GEMM shapes (ragged
// edges), formats, rounding (incl. SR), output formats, saturation, scale,
// C input, special values, random stalls on every handshake and resets in
// mid-stream. Each completed GEMM is also checked against gemm_functional.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "array_rtl.hpp"
#include "lockstep.hpp"
#include "test_util.hpp"

namespace fp8sa {
namespace {

class ArrayLockstep : public ::testing::TestWithParam<std::string> {};

TEST_P(ArrayLockstep, RandomGemmsWithStallsAndResetsMatchEveryCycle) {
  tb::LockstepOptions opt;
  opt.config = GetParam();
  opt.seed = test::test_seed(0x10C5u);
  opt.gemms = 60;
  opt.vcd_path = "lockstep_" + opt.config + ".vcd";
  const tb::LockstepResult r = tb::run_lockstep(opt);
  std::printf("[  CASES   ] lockstep %s: %llu GEMMs (+ interrupted), %llu cycles, %llu PE MACs compared\n",
              opt.config.c_str(), static_cast<unsigned long long>(r.gemms),
              static_cast<unsigned long long>(r.cycles), static_cast<unsigned long long>(r.pe_macs));
  EXPECT_TRUE(r.ok) << r.report;
}

// Promotion every 128 MACs (a4x4_e8m10_p128): tiles up to 400 steps, so
// that count promotions happen several times per tile besides the last
// (the 60 GEMMs above have K <= 40); and a4x4_e6m5_p4 with long tiles too.
TEST(ArrayLockstepPromote, LongTilesPromoteSeveralTimesAndMatchEveryCycle) {
  for (const char* name : {"a4x4_e8m10_p128", "a4x4_e6m5_p4"}) {
    tb::LockstepOptions opt;
    opt.config = name;
    opt.seed = test::test_seed(0x10C6u);
    opt.gemms = 6;
    opt.max_k = 400;
    opt.vcd_path = std::string("lockstep_promote_") + name + ".vcd";
    const tb::LockstepResult r = tb::run_lockstep(opt);
    std::printf("[  CASES   ] lockstep %s, K <= 400: %llu GEMMs, %llu cycles, %llu PE MACs compared\n", name,
                static_cast<unsigned long long>(r.gemms), static_cast<unsigned long long>(r.cycles),
                static_cast<unsigned long long>(r.pe_macs));
    EXPECT_TRUE(r.ok) << r.report;
  }
}

// The checker itself: a mismatch (injected at cycle 500) must stop the run
// there with the seed, configuration, cycle, port, values, a reproduce
// command and a VCD of the cycles before it.
TEST(ArrayLockstepChecker, ReportsFirstMismatchWithReproLineAndWaveform) {
  tb::LockstepOptions opt;
  opt.config = "a2x3";
  opt.seed = 7;
  opt.gemms = 40;
  opt.fault_cycle = 500;
  opt.vcd_path = "lockstep_checker_selftest.vcd";
  std::remove(opt.vcd_path.c_str());
  const tb::LockstepResult r = tb::run_lockstep(opt);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.cycles, 500u);
  EXPECT_NE(r.report.find("config a2x3, seed 7"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("cycle 500: port in_ready_o"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("reproduce: build/bin/fp8sa lockstep --config a2x3 --seed 7"), std::string::npos)
      << r.report;
  FILE* f = std::fopen(opt.vcd_path.c_str(), "r");
  ASSERT_NE(f, nullptr) << "no waveform written";
  std::fseek(f, 0, SEEK_END);
  EXPECT_GT(std::ftell(f), 1000L);
  std::fclose(f);
  std::printf("%s\n", r.report.c_str());
}

// Bad parameters are rejected by the model with a message naming them (the
// RTL's elaboration checks are RtlParams.BadParametersFailElaborationInAllTools).
TEST(ArrayConfigCheck, BadParametersThrowNamingTheField) {
  auto msg = [](ArrayConfig c) {
    try {
      c.validate();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  ArrayConfig c;
  c.rows = 0;
  EXPECT_NE(msg(c).find("rows 0"), std::string::npos) << msg(c);
  c = ArrayConfig{};
  c.cols = kArrayMaxDim + 1;
  EXPECT_NE(msg(c).find("cols 257 out of range [1, 256]"), std::string::npos) << msg(c);
  c = ArrayConfig{};
  c.acc = AccFormat{9, 23};
  EXPECT_NE(msg(c).find("9"), std::string::npos) << msg(c);
  c = ArrayConfig{};
  c.lfsr_w = 8;
  EXPECT_NE(msg(c).find("lfsr"), std::string::npos) << msg(c);
  c = ArrayConfig{};
  c.seed = 0;
  EXPECT_NE(msg(c).find("seed"), std::string::npos) << msg(c);
  EXPECT_THROW(ArrayCycleModel{c}, std::invalid_argument);
}

std::vector<std::string> config_names() {
  std::vector<std::string> v;
  for (const auto& nc : rtl::array_configs()) v.push_back(nc.name);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Configs, ArrayLockstep, ::testing::ValuesIn(config_names()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace fp8sa

// Lockstep co-simulation of the array: the cycle-accurate model and the
// Verilated RTL, every output port compared on every cycle, for every named
// configuration of sim/array_configs.txt, with random GEMM shapes (ragged
// edges), formats, rounding (incl. SR), output formats, saturation, scale,
// C input, special values, random stalls on every handshake and resets in
// mid-stream. Each completed GEMM is also checked against gemm_functional.
#include <gtest/gtest.h>

#include <cstdio>

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
  opt.gemms = 12;
  opt.vcd_path = "lockstep_" + opt.config + ".vcd";
  const tb::LockstepResult r = tb::run_lockstep(opt);
  std::printf("[  CASES   ] lockstep %s: %llu GEMMs (+ interrupted), %llu cycles, %llu PE MACs compared\n",
              opt.config.c_str(), static_cast<unsigned long long>(r.gemms),
              static_cast<unsigned long long>(r.cycles), static_cast<unsigned long long>(r.pe_macs));
  EXPECT_TRUE(r.ok) << r.report;
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

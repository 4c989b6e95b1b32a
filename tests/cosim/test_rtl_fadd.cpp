// The Verilated fp8sa_fadd (accumulator adder as a plain binary32 adder)
// against Berkeley TestFloat's level-1 binary32 addition vectors, every
// result and every flag (NaN results compared as "is NaN": fp8sa returns the
// canonical NaN, TestFloat's files hold x86 NaN propagation).
#include <gtest/gtest.h>

#include "fp8sa/numerics.hpp"
#include "ref.hpp"
#include "rtl_units.hpp"
#include "test_util.hpp"

namespace fp8sa {
namespace {

void run_file(const char* file, Round rnd) {
  const std::string path = ref::vectors_file(file);
  if (path.empty())
    FAIL() << file << " not found in " << ref::vectors_dir()
           << " (they ship in tests/vectors/; FP8SA_VECTORS overrides the folder)";
  const auto cases = ref::read_tv(path);
  ASSERT_GT(cases.size(), 40000u) << path;
  auto fadd = rtl::make_fadd(kFp32);
  test::CaseReport rep(std::string("RTL fadd vs ") + file);
  int failures = 0;
  for (const auto& c : cases) {
    const OpResult g = fadd->add(c.a, c.b, rnd);
    const uint8_t ef = ref::flags_from_testfloat(c.flags);
    const bool ok_bits = ref::is_nan(c.result, ref::kBinary32)
                             ? g.bits == ref::kBinary32.canonical_nan()
                             : g.bits == c.result;
    rep.add();
    if (!ok_bits || g.flags != ef) {
      if (++failures <= test::kMaxReported)
        ADD_FAILURE() << file << ":" << c.line << ": " << test::hx(c.a) << " + " << test::hx(c.b)
                      << ": " << test::exp_got(c.result, ef, g.bits, g.flags);
    }
  }
  EXPECT_EQ(failures, 0) << "of " << cases.size();
}

TEST(RtlFadd, MatchesTestFloatRneLevel1) { run_file("f32_add_rne_l1.tv", Round::RNE); }
TEST(RtlFadd, MatchesTestFloatRtzLevel1) { run_file("f32_add_rtz_l1.tv", Round::RZ); }

}  // namespace
}  // namespace fp8sa

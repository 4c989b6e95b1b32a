// The e8m23 accumulator adder vs Berkeley TestFloat binary32 addition vectors
// (../shared/vectors, README there): every result and every flag, NaN results
// compared as "is a NaN" (the vectors follow x86 NaN rules; the model must
// return the canonical NaN 0x7FC00000 for every NaN result). Zero failures.
#include <gtest/gtest.h>

#include <string>

#include "fp8sa/numerics.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

bool f32_is_nan(uint32_t b) { return (b & 0x7F800000u) == 0x7F800000u && (b & 0x007FFFFFu) != 0; }

void run_vectors(const std::string& file, Round rnd) {
  const std::string path = ref::vectors_file(file);
  if (path.empty())
    FAIL() << "TestFloat vectors '" << file << "' not found in '" << ref::vectors_dir()
           << "' (they ship in tests/vectors/; FP8SA_VECTORS overrides the folder)";
  const std::vector<ref::TvCase> cases = ref::read_tv(path);
  ASSERT_GT(cases.size(), 40000u) << path << " looks truncated";
  const AccAdder add(kFp32, 16);
  CaseReport rep(std::string("AccAdd e8m23 ") + name(rnd) + " vs " + file);
  int failures = 0;
  for (const ref::TvCase& c : cases) {
    rep.add();
    const uint8_t want_flags = ref::flags_from_testfloat(c.flags);
    const bool nan = f32_is_nan(c.result);
    const uint32_t want = nan ? 0x7FC00000u : c.result;
    const OpResult m = add.add(c.a, c.b, rnd, 0);
    if ((m.bits != want || m.flags != want_flags) && ++failures <= kMaxReported) {
      ADD_FAILURE() << path << ":" << c.line << ": add(" << hx(c.a) << ", " << hx(c.b)
                    << ", e8m23, " << name(rnd) << "): " << exp_got(want, want_flags, m.bits, m.flags)
                    << (nan ? " (vector NaN " + hx(c.result) + ", canonical expected)" : "");
    }
  }
  EXPECT_EQ(failures, 0) << failures << " of " << rep.count() << " vectors of " << path << " fail";
}

TEST(AccAdd, MatchesTestFloatRneLevel1) { run_vectors("f32_add_rne_l1.tv", Round::RNE); }
TEST(AccAdd, MatchesTestFloatRtzLevel1) { run_vectors("f32_add_rtz_l1.tv", Round::RZ); }

}  // namespace
}  // namespace fp8sa::test

// The one list of the array's parameters (cmodel/include/fp8sa/array_fields.hpp)
// reaches every place that takes them: for every field of the list (so a
// field added there is tested here with no edit), validate() rejects its
// out-of-range values naming it, operator== and describe() tell it apart,
// the table reader (array_config_from, what sim/array_configs.txt rows go
// through) reads its column, `fp8sa gemm` has its option and parses it into
// the field, and the Verilated-configuration matchers (sim/backends.cpp
// rtl_config_name, the CLI's array_request_matches) compare it.
// The Python keywords: python/tests/test_array_fields.py.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "array_options.hpp"
#include "array_rtl.hpp"
#include "backends.hpp"
#include "commands.hpp"
#include "fp8sa/array.hpp"

using namespace fp8sa;

namespace {

// The base of the tests: the dot PE, the kind under which every field
// applies (dot_n, align_bits and promote_n all mean something there).
ArrayConfig base() {
  ArrayConfig c;
  c.pe_kind = PeKind::Dot;
  return c;
}

// base() with field f at its example value (pe_kind's example is another kind).
ArrayConfig with_example(const ArrayField& f) {
  ArrayConfig c = base();
  array_field_parse(c, f, f.example);
  return c;
}

std::string what_of(const ArrayConfig& c) {
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ArrayFields, ListMatchesTheStructAndItsDefaults) {
  ASSERT_FALSE(array_fields().empty());
  const ArrayConfig d;
  for (const ArrayField& f : array_fields()) {
    SCOPED_TRACE(f.member);
    ArrayConfig p = with_example(f);  // not the default
    array_field_parse(p, f, f.dflt);
    EXPECT_TRUE(array_field_equal(p, d, f)) << "the text default '" << f.dflt << "' is not the C++ default "
                                            << array_field_text(d, f);
    EXPECT_EQ(find_array_field(f.name), &f);
    EXPECT_EQ(find_array_field(f.column), &f);
    EXPECT_EQ(find_array_field(f.python_name()), &f);
    EXPECT_EQ(array_field_text(with_example(f), f), array_field_text([&] {
                ArrayConfig c;
                array_field_parse(c, f, array_field_text(with_example(f), f));
                return c;
              }(), f)) << "text does not read back";
  }
}

TEST(ArrayFields, ExampleIsLegalAndDiffersFromTheDefault) {
  EXPECT_EQ(what_of(base()), "");
  for (const ArrayField& f : array_fields()) {
    SCOPED_TRACE(f.member);
    const ArrayConfig e = with_example(f);
    EXPECT_EQ(what_of(e), "") << "example " << f.example;
    EXPECT_FALSE(array_field_equal(e, base(), f)) << "example " << f.example << " is the base value";
  }
}

TEST(ArrayFields, ValidateRejectsOutOfRangeNamingTheField) {
  for (const ArrayField& f : array_fields()) {
    SCOPED_TRACE(f.member);
    std::vector<long long> bad;
    switch (f.kind) {
      case ArrayFieldKind::Int:
        bad = {f.lo - 1, f.hi + 1};
        break;
      case ArrayFieldKind::Hex:
        bad = {f.lo - 1};  // (hi is the type's top)
        if (f.lo == 0) bad.clear();
        if (f.hi < 0xFFFFFFFFLL) bad.push_back(f.hi + 1);
        break;
      case ArrayFieldKind::Enum:
        bad = {f.hi + 1};
        break;
      case ArrayFieldKind::Format:
        bad = {3 * 100 + 23, 9 * 100 + 23, 8 * 100 + 1, 8 * 100 + 24};  // e3m23, e9m23, e8m1, e8m24
        break;
    }
    ASSERT_FALSE(bad.empty());
    for (long long v : bad) {
      ArrayConfig c = base();
      array_field_set_value(c, f, v);
      const std::string w = what_of(c);
      EXPECT_NE(w.find(f.member), std::string::npos) << v << ": '" << w << "'";
    }
  }
}

TEST(ArrayFields, EqualityAndDescribeTellEveryFieldApart) {
  for (const ArrayField& f : array_fields()) {
    SCOPED_TRACE(f.member);
    const ArrayConfig e = with_example(f);
    EXPECT_TRUE(base() == base());
    EXPECT_FALSE(e == base());
    EXPECT_TRUE(e != base());
    EXPECT_NE(describe_array(e), describe_array(base()));
    EXPECT_NE(describe_array(e).find(array_field_text(e, f)), std::string::npos) << describe_array(e);
  }
}

TEST(ArrayFields, TableReaderReadsEveryColumn) {
  for (const ArrayField& f : array_fields()) {
    SCOPED_TRACE(f.member);
    std::vector<std::pair<std::string, std::string>> row;
    if (std::string(f.member) != "pe_kind") row.push_back({"PE_KIND", "dot"});
    row.push_back({f.column, f.example});
    EXPECT_TRUE(array_config_from(row, "test") == with_example(f));
  }
  EXPECT_THROW(array_config_from({{"NO_SUCH", "1"}}, "t"), std::invalid_argument);
  EXPECT_THROW(array_config_from({{"ROWS", "2"}, {"rows", "3"}}, "t"), std::invalid_argument);
  EXPECT_THROW(array_config_from({{"ROWS", "0"}}, "t"), std::invalid_argument);
}

TEST(ArrayFields, GemmHasEveryOptionAndParsesItIntoTheField) {
  using namespace fp8sa::cli;
  ArrayConfig gemm_default = base();
  gemm_default.pe_kind = PeKind::Fma;
  for (const ArrayField& f : array_fields())
    array_field_parse(gemm_default, f, gemm_array_default(f.name, f.dflt));
  for (const ArrayField& f : array_fields()) {
    SCOPED_TRACE(f.member);
    bool listed = false;
    for (const OptSpec& o : kGemmSpec.opts) listed = listed || o.name == f.name;
    EXPECT_TRUE(listed) << "--" << f.name << " is not an option of fp8sa gemm";
    // The options that take want to its values: those not at gemm's default.
    ArrayConfig want = with_example(f);
    if (std::string(f.name) == "rows" || std::string(f.name) == "cols") {
    } else {
      want.rows = gemm_default.rows;
      want.cols = gemm_default.cols;
    }
    std::vector<std::string> argv = {"fp8sa", "gemm", "--a", "A.npy", "--b", "B.npy"};
    for (const ArrayField& g : array_fields())
      if (!array_field_equal(want, gemm_default, g)) {
        argv.push_back(std::string("--") + g.name);
        argv.push_back(array_field_text(want, g));
      }
    std::vector<const char*> av;
    for (const std::string& s : argv) av.push_back(s.c_str());
    const Args args(kGemmSpec, static_cast<int>(av.size()), av.data(), 2);
    const ArrayOptions o = parse_array_options(args, nullptr);
    EXPECT_TRUE(o.cfg == want) << describe_array(o.cfg) << " != " << describe_array(want);
    size_t i = static_cast<size_t>(&f - array_fields().data());
    EXPECT_TRUE(o.given[i]);
    // A value out of the list's range is refused naming the option.
    if (f.kind == ArrayFieldKind::Int) {
      const std::string v = std::to_string(f.hi + 1);
      std::vector<const char*> bad = {"fp8sa", "gemm", "--a", "A", "--b", "B", "--pe", "dot"};
      const std::string opt = std::string("--") + f.name;
      if (std::string(f.name) != "pe") {
        bad.push_back(opt.c_str());
        bad.push_back(v.c_str());
      }
      const Args b(kGemmSpec, static_cast<int>(bad.size()), bad.data(), 2);
      try {
        parse_array_options(b, nullptr);
        ADD_FAILURE() << opt << " " << v << " accepted";
      } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find(f.name), std::string::npos) << e.what();
      }
    }
  }
}

// The CLI's matcher: a Key field that differs is not matched; a Built
// field is taken from the configuration (a Built option given is checked
// against an RTL back-end by fp8sa gemm: tests/cosim/cli_pe.sh).
TEST(ArrayFields, CliMatcherComparesKeyFields) {
  using namespace fp8sa::cli;
  const std::vector<ArrayField>& fields = array_fields();
  ArrayOptions o;
  o.cfg = base();
  o.given.assign(fields.size(), false);
  o.set.assign(fields.size(), false);
  EXPECT_TRUE(array_request_matches(base(), o));
  for (size_t i = 0; i < fields.size(); ++i) {
    const ArrayField& f = fields[i];
    SCOPED_TRACE(f.member);
    const ArrayConfig built = with_example(f);  // a configuration differing only in f
    EXPECT_EQ(array_request_matches(built, o), f.role == ArrayFieldRole::Built);
  }
}

TEST(ArrayFields, VerilatedMatcherComparesEveryField) {
  ASSERT_FALSE(rtl::array_configs().empty());
  for (const auto& nc : rtl::array_configs()) {
    EXPECT_FALSE(rtl_config_name(nc.cfg).empty()) << nc.name;
    for (const ArrayField& f : array_fields()) {
      SCOPED_TRACE(nc.name + " " + f.member);
      ArrayConfig c = nc.cfg;
      array_field_parse(c, f, f.example);
      if (array_field_equal(c, nc.cfg, f)) array_field_parse(c, f, f.dflt);
      ASSERT_FALSE(array_field_equal(c, nc.cfg, f));
      EXPECT_NE(rtl_config_name(c), nc.name) << "a configuration differing only in " << f.member << " matched";
    }
  }
}

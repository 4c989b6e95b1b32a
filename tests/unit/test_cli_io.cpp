// The CLI's parsers (tools/: .npy, TestFloat lines, options) on well-formed
// and hostile input. The reference for well-formed .npy files is the format
// itself (NEP 1, numpy's format.py): the headers below are what numpy.save
// writes, byte for byte. Every hostile case is one that once crashed, wrapped,
// over-allocated or was silently accepted (issue "Harden the core"), or one
// of the same class.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "args.hpp"
#include "npy.hpp"
#include "testfloat_file.hpp"

namespace fp8sa::cli {
namespace {

// A .npy image: magic, version, length field, dict (padded as numpy pads it
// unless pad is false), data.
std::vector<uint8_t> npy(const std::string& dict, const std::vector<uint8_t>& data, int major = 1, int minor = 0,
                         bool pad = true) {
  std::string h = dict;
  const size_t fixed = major == 1 ? 10 : 12;
  if (pad) {
    h.append((64 - (fixed + h.size() + 1) % 64) % 64, ' ');
    h.push_back('\n');
  }
  std::vector<uint8_t> v = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), static_cast<uint8_t>(minor)};
  const size_t n = h.size();
  v.push_back(static_cast<uint8_t>(n));
  v.push_back(static_cast<uint8_t>(n >> 8));
  if (major != 1) {
    v.push_back(static_cast<uint8_t>(n >> 16));
    v.push_back(static_cast<uint8_t>(n >> 24));
  }
  v.insert(v.end(), h.begin(), h.end());
  v.insert(v.end(), data.begin(), data.end());
  return v;
}

std::string dict(const std::string& shape, const std::string& descr = "|u1") {
  return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
}

// The error message of parse_npy, or "" if it parsed.
std::string npy_error(const std::vector<uint8_t>& img) {
  try {
    parse_npy(img.data(), img.size(), "x.npy");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

std::string tmp_file(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = ::testing::TempDir() + "fp8sa_cli_io_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(Npy, ReadsWhatNumpyWrites) {
  // numpy.save(np.arange(6, dtype=np.uint8).reshape(2, 3)): version 1.0.
  const NpyArray a = parse_npy(npy(dict("(2, 3)"), {0, 1, 2, 3, 4, 5}).data(),
                               npy(dict("(2, 3)"), {0, 1, 2, 3, 4, 5}).size(), "a.npy");
  EXPECT_EQ(a.descr, "|u1");
  ASSERT_EQ(a.shape, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(a.count(), 6u);
  EXPECT_EQ(a.bits(5), 5u);
  // float32 little-endian, 1-D shape "(3,)", a scalar "()".
  const auto f = npy(dict("(1,)", "<f4"), {0x00, 0x00, 0x80, 0x3F});
  EXPECT_EQ(parse_npy(f.data(), f.size(), "f").bits(0), 0x3F800000u);
  const auto s = npy(dict("()"), {7});
  EXPECT_EQ(parse_npy(s.data(), s.size(), "s").count(), 1u);
}

TEST(Npy, AcceptsTheFormatsVariations) {
  // Versions 2.0 and 3.0 (4-byte length), double quotes, any key order, no
  // trailing comma, no padding, empty arrays.
  for (int major : {2, 3}) EXPECT_EQ(npy_error(npy(dict("(2, 2)"), {1, 2, 3, 4}, major)), "") << major;
  EXPECT_EQ(npy_error(npy("{\"shape\": (2,2), \"fortran_order\": False, \"descr\": \"|u1\"}", {1, 2, 3, 4})), "");
  EXPECT_EQ(npy_error(npy("{'descr':'|u1','fortran_order':False,'shape':(4,)}", {1, 2, 3, 4}, 1, 0, false)), "");
  EXPECT_EQ(npy_error(npy(dict("(0, 5)"), {})), "");
}

TEST(Npy, ShapeWhoseElementCountWrapsIsRejected) {
  // (2^63 + 1) x 2 once wrapped to 2 elements and the reader ran past its buffer (SIGSEGV).
  EXPECT_NE(npy_error(npy(dict("(9223372036854775809, 2)"), {1, 2})).find("larger than 2^63 - 1"),
            std::string::npos);
  // Entries that fit in int64 but whose product wraps 2^64.
  EXPECT_NE(npy_error(npy(dict("(4611686018427387905, 4)"), {1, 2, 3, 4})).find("2^64 or more elements"),
            std::string::npos);
  EXPECT_NE(npy_error(npy(dict("(4294967296, 4294967296)"), {1})).find("2^64 or more elements"), std::string::npos);
  // The byte count wraps for 4-byte elements even where the count does not.
  EXPECT_NE(npy_error(npy(dict("(4611686018427387905,)", "<f4"), {1})).find("2^64 or more bytes"),
            std::string::npos);
}

TEST(Npy, LargeClaimsAreComparedWithTheFileBeforeAllocating) {
  // 500 million and 10^16 elements claimed by a 144-byte file: "truncated",
  // without allocating (the file path: read_npy sizes the file with fstat).
  for (const char* shape : {"(500000000,)", "(10000000000000000,)", "(9223372036854775807,)"}) {
    const std::string path = tmp_file("big.npy", npy(dict(shape), std::vector<uint8_t>(16)));
    try {
      read_npy(path);
      ADD_FAILURE() << shape << " accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
    std::remove(path.c_str());
  }
}

TEST(Npy, MalformedShapesAreRejected) {
  const char* bad[] = {"(2, -3)", "", "(2.9, 2)", "(2 2, 2)", "(3)", "[2, 3]", "(2,, 3)", "(, )", "(02, 3)",
                       "(2, 3", "(2e3,)", "(0x10,)", "(True, 2)", "(2, 3) junk", "(1_000,)", "(+2,)"};
  for (const char* s : bad) {
    const std::string e = npy_error(npy(dict(s), {}));
    EXPECT_NE(e.find("x.npy: "), std::string::npos) << "shape '" << s << "' accepted";
  }
}

TEST(Npy, MalformedHeadersAreRejected) {
  // version 1.7 (was accepted), 0.0, 4.0
  EXPECT_NE(npy_error(npy(dict("(2,)"), {1, 2}, 1, 7)).find("version 1.7"), std::string::npos);
  EXPECT_NE(npy_error(npy(dict("(2,)"), {1, 2}, 0, 0)).find("version 0.0"), std::string::npos);
  EXPECT_NE(npy_error(npy(dict("(2,)"), {1, 2}, 4, 0)).find("version 4.0"), std::string::npos);
  // a repeated key (the first value was kept), a missing key, an extra key
  EXPECT_NE(npy_error(npy("{'descr': '|u1', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", {1, 2}))
                .find("more than once"),
            std::string::npos);
  EXPECT_NE(npy_error(npy("{'descr': '|u1', 'shape': (2,)}", {1, 2})).find("no 'fortran_order'"), std::string::npos);
  EXPECT_NE(npy_error(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), 'x': 1}", {1, 2}))
                .find("unexpected key"),
            std::string::npos);
  // not a dict, unterminated, bad boolean, bytes after the dict, bad dtypes
  for (const char* h : {"['descr']", "{'descr': '|u1", "{'descr': '|u1', 'fortran_order': false, 'shape': (2,)}",
                        "{'descr': '|u1', 'fortran_order': False, 'shape': (2,)} x", "{'descr': |u1}",
                        "{'descr': '<i2', 'fortran_order': False, 'shape': (2,)}",
                        "{'descr': '>f4', 'fortran_order': False, 'shape': (2,)}",
                        "{'descr': '|i1', 'fortran_order': False, 'shape': (2,)}",
                        "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}",
                        "{'descr': '|u1', 'fortran_order': True, 'shape': (2,)}"})
    EXPECT_NE(npy_error(npy(h, {1, 2})).find("x.npy: "), std::string::npos) << h;
  // bad magic, truncated fixed part, a header length beyond the file, a huge one
  EXPECT_NE(npy_error({'N', 'U', 'M'}).find("bad magic"), std::string::npos);
  EXPECT_NE(npy_error({0x93, 'N', 'U', 'M', 'P', 'Y', 1}).find("truncated .npy header"), std::string::npos);
  std::vector<uint8_t> img = npy(dict("(2,)"), {1, 2});
  img[8] = 0xFF;
  img[9] = 0x7F;
  EXPECT_NE(npy_error(img).find("truncated .npy header"), std::string::npos);
  std::vector<uint8_t> huge = npy(dict("(2,)"), {1, 2}, 2);
  huge[11] = 0xFF;
  EXPECT_NE(npy_error(huge).find("over the limit"), std::string::npos);
}

TEST(Npy, DataSizeMustMatchExactly) {
  EXPECT_NE(npy_error(npy(dict("(2, 2)"), {1, 2, 3})).find("truncated"), std::string::npos);
  EXPECT_NE(npy_error(npy(dict("(2, 2)"), {1, 2, 3, 4, 5})).find("longer than shape"), std::string::npos);
  const std::string path = tmp_file("trail.npy", npy(dict("(2, 2)"), {1, 2, 3, 4, 5}));
  EXPECT_THROW(read_npy(path), UsageError);
  std::remove(path.c_str());
}

TEST(Npy, ReadsPipesWithoutTrustingTheHeader) {
  // A FIFO has no size: the buffer grows only as data arrives.
  const std::string path = ::testing::TempDir() + "fp8sa_cli_io_fifo_" + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const std::vector<uint8_t> img = npy(dict("(10000000000000000,)"), {1, 2, 3});
  const pid_t child = ::fork();
  if (child == 0) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(img.data(), 1, img.size(), f);
    std::fclose(f);
    _exit(0);
  }
  try {
    read_npy(path);
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  std::remove(path.c_str());
}

TEST(Npy, WriteErrorsAreReported) {
  // /dev/full accepts the open and fails the write (was reported as success).
  NpyWriter w("/dev/full");
  const std::vector<uint8_t> data(64, 0);
  EXPECT_THROW(w.write("<f4", 4, 4, data.data(), data.size()), UsageError);
  EXPECT_THROW(NpyWriter("/nonexistent-dir/x.npy"), UsageError);
  EXPECT_THROW(NpyWriter(::testing::TempDir()), UsageError);  // a directory
}

TEST(Npy, WriteThenReadRoundTrips) {
  const std::string path = ::testing::TempDir() + "fp8sa_cli_io_rt_" + std::to_string(::getpid()) + ".npy";
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  write_npy(path, "<u2", 2, 3, data);
  const NpyArray a = read_npy(path);
  EXPECT_EQ(a.descr, "<u2");
  EXPECT_EQ(a.shape, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(a.data, data);
  std::remove(path.c_str());
}

TEST(TestFloat, ParsesLinesAndRejectsMalformedOnes) {
  TestFloatCase c{};
  const std::string ok = "9EDE38F7 3E7F7F7F 3E7F7F7F 01";
  ASSERT_TRUE(parse_testfloat_line(ok.data(), ok.size(), "f:1: ", &c));
  EXPECT_EQ(c.a, 0x9EDE38F7u);
  EXPECT_EQ(c.result, 0x3E7F7F7Fu);
  EXPECT_EQ(c.flags, 1);
  EXPECT_FALSE(parse_testfloat_line(" \t\r", 3, "f:1: ", &c));  // blank
  for (const std::string bad : {"1 2 3", "1 2 3 4 5", "1 2 3 FF", "123456789 2 3 4", "zz 2 3 4"}) {
    EXPECT_THROW(parse_testfloat_line(bad.data(), bad.size(), "f:1: ", &c), UsageError) << bad;
  }
  // A long token is not echoed whole.
  const std::string longtok(200, 'Z');
  const std::string line = longtok + " 2 3 4";
  try {
    parse_testfloat_line(line.data(), line.size(), "f:1: ", &c);
    ADD_FAILURE();
  } catch (const UsageError& e) {
    EXPECT_LT(std::string(e.what()).size(), 120u) << e.what();
  }
}

TEST(TestFloat, ReaderCapsLinesAndRejectsEmptyFiles) {
  const std::string empty = tmp_file("empty.tv", {});
  const std::string blank = tmp_file("blank.tv", {'\n', ' ', '\n'});
  const std::string longline = tmp_file("long.tv", std::vector<uint8_t>(5000000, 'A'));
  for (const std::string& p : {empty, blank}) {
    TestFloatReader r(p);
    TestFloatCase c{};
    try {
      r.next(&c);
      ADD_FAILURE() << p;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("no test cases"), std::string::npos) << e.what();
    }
  }
  {
    TestFloatReader r(longline);
    TestFloatCase c{};
    try {
      r.next(&c);
      ADD_FAILURE();
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("longer than 256"), std::string::npos);
      EXPECT_LT(std::string(e.what()).size(), 200u);
    }
  }
  // /dev/zero is endless: the cap ends it at once.
  TestFloatReader z("/dev/zero");
  TestFloatCase c{};
  EXPECT_THROW(z.next(&c), UsageError);
  for (const std::string& p : {empty, blank, longline}) std::remove(p.c_str());
}

const CmdSpec kSpec{"t",
                    "test",
                    {{"n", "N", "1", "an integer"},
                     {"x", "X", "1", "a real"},
                     {"flag", "", "", "a flag"},
                     {"req", "R", "", "required", true}},
                    "",
                    0,
                    0,
                    ""};

Args parse(std::vector<const char*> argv) {
  argv.insert(argv.begin(), {"fp8sa", "t"});
  return Args(kSpec, static_cast<int>(argv.size()), argv.data(), 2);
}

TEST(Args, IntegersAreDecimalOrHexNeverOctal) {
  EXPECT_EQ(parse({"--req", "1", "--n", "010"}).get_int("n", 0, 0, 100), 10);  // was octal 8
  EXPECT_EQ(parse({"--req", "1", "--n", "08"}).get_int("n", 0, 0, 100), 8);    // was "not an integer"
  EXPECT_EQ(parse({"--req", "1", "--n=0x1F"}).get_int("n", 0, 0, 100), 31);
  EXPECT_EQ(parse({"--req", "1", "--n", "-5"}).get_int("n", 0, -10, 100), -5);
  for (const char* bad : {"", "1.5", "1e3", "0x", "12abc", " 1", "+1", "99999999999999999999999"})
    EXPECT_THROW(parse({"--req", "1", "--n", bad}).get_int("n", 0, -100, 100), UsageError) << bad;
  EXPECT_THROW(parse({"--req", "1", "--n", "101"}).get_int("n", 0, 0, 100), UsageError);
  EXPECT_EQ(parse_int("-9223372036854775808", INT64_MIN, 0, "v"), INT64_MIN);
}

TEST(Args, RealsAreFiniteAndInRange) {
  EXPECT_DOUBLE_EQ(parse({"--req", "1", "--x", "2.5e-3"}).get_double("x", 0, 0, 1), 2.5e-3);
  for (const char* bad : {"1e999", "abc", "inf", "nan", "0x1p3", "", "1.0.0", "2"})
    EXPECT_THROW(parse({"--req", "1", "--x", bad}).get_double("x", 0, 0, 1), UsageError) << bad;
}

TEST(Args, StrayWordsRepeatsUnknownsAndMissingValuesAreErrors) {
  EXPECT_THROW(parse({"--req", "1", "stray"}), UsageError);
  EXPECT_THROW(parse({"--req", "1", "--n", "1", "--n", "2"}), UsageError);
  EXPECT_THROW(parse({"--req", "1", "--bogus"}), UsageError);
  EXPECT_THROW(parse({"--req", "1", "-n", "1"}), UsageError);
  EXPECT_THROW(parse({"--req"}), UsageError);
  EXPECT_THROW(parse({"--req", "1", "--flag=1"}), UsageError);
  EXPECT_THROW(parse({"--n", "1"}), UsageError);  // missing --req
  EXPECT_TRUE(parse({"--bogus", "--help"}).help());
  EXPECT_TRUE(parse({"--req", "1", "--flag"}).has("flag"));
}

TEST(Args, ChoicesAreCaseInsensitive) {
  EXPECT_EQ(parse({"--req", "FP32"}).get_choice("req", "", {"fp32", "e4m3"}), "fp32");
  EXPECT_THROW(parse({"--req", "fp64"}).get_choice("req", "", {"fp32", "e4m3"}), UsageError);
}

TEST(Args, HelpListsEveryOptionWithItsDefault) {
  const std::string h = help_text(kSpec);
  for (const char* s : {"--n N", "[default: 1]", "--flag", "--req R", "required:", "options:", "--help"})
    EXPECT_NE(h.find(s), std::string::npos) << s << "\n" << h;
}

}  // namespace
}  // namespace fp8sa::cli

// fp8sa vectors: apply a TestFloat binary addition file to the accumulator
// adder of the model or of the Verilated RTL.
#include <cmath>
#include <cstdio>
#include <memory>

#include "cli.hpp"
#include "fp8sa/numerics.hpp"
#include "rtl_units.hpp"
#include "testfloat_file.hpp"

namespace fp8sa::cli {
namespace {

// One back-end interface, two implementations (model and Verilated RTL).
class AddBackend {
 public:
  virtual ~AddBackend() = default;
  virtual OpResult add(uint32_t x, uint32_t y, Round rnd) = 0;
};

class ModelAdd final : public AddBackend {
 public:
  explicit ModelAdd(AccFormat f) : adder_(f) {}
  OpResult add(uint32_t x, uint32_t y, Round rnd) override { return adder_.add(x, y, rnd); }

 private:
  AccAdder adder_;
};

class RtlAdd final : public AddBackend {
 public:
  explicit RtlAdd(AccFormat f) : fadd_(rtl::make_fadd(f)) {}
  OpResult add(uint32_t x, uint32_t y, Round rnd) override { return fadd_->add(x, y, rnd); }

 private:
  std::unique_ptr<rtl::Fadd> fadd_;
};

bool is_nan(AccFormat f, uint32_t bits) {
  const uint32_t exp_mask = ((1u << f.exp_bits) - 1u) << f.man_bits;
  const uint32_t man_mask = (1u << f.man_bits) - 1u;
  return (bits & exp_mask) == exp_mask && (bits & man_mask) != 0;
}

}  // namespace

int cmd_vectors(const Args& args) {
  const std::string op = args.get_choice("op", "add", {"add"});
  (void)op;
  const AccFormat fmt = parse_acc_format(args.get("acc", "e8m23"));
  const std::string round_name = args.get_choice("round", "", {"rne", "rz", "rtz", "sr"});
  const Round rnd = parse_round(round_name);
  if (rnd == Round::SR)
    throw UsageError("--round sr: TestFloat files hold deterministic results; use rne or rz");
  const std::string backend = args.get_choice("backend", "model", {"model", "rtl"});
  const long long max_print = args.get_int("max-print", 50, 0, 1LL << 40);
  const bool quiet = args.has("quiet");

  std::unique_ptr<AddBackend> be;
  if (backend == "model") be = std::make_unique<ModelAdd>(fmt);
  else be = std::make_unique<RtlAdd>(fmt);

  const std::string path = args.positional()[0];
  TestFloatReader reader(path);
  const uint32_t mask = fmt.mask();
  long long passed = 0, failed = 0;
  TestFloatCase c;
  while (reader.next(&c)) {
    if ((c.a & ~mask) || (c.b & ~mask) || (c.result & ~mask))
      throw UsageError(path + ":" + std::to_string(c.line) + ": a value has bits above the " +
                       std::to_string(fmt.width()) + "-bit " + fmt.name() + " format");
    const OpResult r = be->add(c.a, c.b, rnd);
    const uint8_t got_flags = to_testfloat_flags(r.flags);
    const bool result_ok = is_nan(fmt, c.result) ? is_nan(fmt, r.bits) : r.bits == c.result;
    if (result_ok && got_flags == c.flags) {
      ++passed;
      continue;
    }
    ++failed;
    if (!quiet && failed <= max_print)
      std::printf("FAIL %s:%ld: %08X + %08X (%s, %s): expected %08X flags %02X, got %08X flags %02X\n",
                  path.c_str(), c.line, c.a, c.b, round_name.c_str(), backend.c_str(), c.result,
                  c.flags, r.bits, got_flags);
  }
  if (!quiet && failed > max_print)
    std::printf("(%lld more failures not printed)\n", failed - max_print);
  std::printf("%lld passed, %lld failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace fp8sa::cli

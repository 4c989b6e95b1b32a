// fp8sa randn: a float32 .npy of normal random numbers (inputs for gemm).
#include <cstring>
#include <random>

#include "cli.hpp"
#include "npy.hpp"

namespace fp8sa::cli {

int cmd_randn(const Args& args) {
  const uint64_t r = static_cast<uint64_t>(args.get_int("rows", 0, 1, 1 << 16));
  const uint64_t c = static_cast<uint64_t>(args.get_int("cols", 0, 1, 1 << 16));
  const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 1, 0, INT64_MAX));
  const double sigma = args.get_double("sigma", 1.0, 0.0, 3.4e38);
  if (!(sigma > 0.0)) throw UsageError("option --sigma: must be greater than 0");
  NpyWriter out(args.get("out", ""));  // a bad path fails before the work
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, static_cast<float>(sigma));
  std::vector<uint8_t> bytes(r * c * 4);
  for (uint64_t i = 0; i < r * c; ++i) {
    const float x = nd(rng);
    std::memcpy(&bytes[4 * i], &x, 4);
  }
  out.write("<f4", r, c, bytes.data(), bytes.size());
  return 0;
}

}  // namespace fp8sa::cli

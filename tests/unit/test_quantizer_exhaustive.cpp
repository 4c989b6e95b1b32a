// The quantizer (numerics.md section 6) over ALL 2^32 binary32 inputs, RNE,
// to E5M2 and E4M3, saturating and not (4 configurations in one pass over the
// inputs), against the fast exact table reference ref::Fp8FastQuantizer.
// Multi-threaded: std::thread::hardware_concurrency() workers take blocks of
// 2^20 inputs from a shared counter.
//
// FP8SA_QUANT_EXHAUSTIVE_BLOCKS=<n> limits the sweep to the first n of the
// 4096 blocks (for quick local runs); FP8SA_QUANT_EXHAUSTIVE_STRIDE=<s> (odd)
// visits blocks 0, s, 2s, ... mod 4096, about 4096/s of them spread over
// every sign and exponent (make sanitize uses 15: the code under the
// sanitizers is the same, a tenth of the time). The default is the full sweep.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fp8sa/numerics.hpp"
#include "ref.hpp"
#include "test_util.hpp"

namespace fp8sa::test {
namespace {

TEST(QuantizerExhaustive, AllBinary32InputsToE5m2AndE4m3RneSatAndNoSat) {
  constexpr uint64_t kBlockBits = 20;
  constexpr uint64_t kBlocks = uint64_t{1} << (32 - kBlockBits);
  uint64_t blocks = kBlocks;
  if (const char* e = std::getenv("FP8SA_QUANT_EXHAUSTIVE_BLOCKS"); e != nullptr && e[0] != '\0')
    blocks = std::min<uint64_t>(kBlocks, std::strtoull(e, nullptr, 0));
  uint64_t stride = 1;
  if (const char* e = std::getenv("FP8SA_QUANT_EXHAUSTIVE_STRIDE"); e != nullptr && e[0] != '\0') {
    stride = std::strtoull(e, nullptr, 0) | 1;  // odd: the visited blocks are distinct
    blocks = std::min(blocks, (kBlocks + stride - 1) / stride);
  }
  const unsigned nthreads = std::max(1u, std::thread::hardware_concurrency());

  const Quantizer q(kFp32, 16);
  const ref::Fp8FastQuantizer r52(Fp8Format::E5M2), r43(Fp8Format::E4M3);
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> done{0};
  std::mutex mu;
  std::vector<std::string> reports;

  auto worker = [&]() {
    for (;;) {
      const uint64_t blk = next.fetch_add(1);
      if (blk >= blocks) return;
      const uint32_t first = static_cast<uint32_t>(((blk * stride) % kBlocks) << kBlockBits);
      uint64_t local_fail = 0;
      for (uint32_t i = 0; i < (1u << kBlockBits); ++i) {
        const uint32_t x = first + i;
        const ref::Fp8FastQuantizer::Pair e52 = r52.quantize_f32(x, Round::RNE);
        const ref::Fp8FastQuantizer::Pair e43 = r43.quantize_f32(x, Round::RNE);
        const OpResult m[4] = {q.quantize(x, OutFormat::E5M2, Round::RNE, false, 0, 0),
                               q.quantize(x, OutFormat::E5M2, Round::RNE, true, 0, 0),
                               q.quantize(x, OutFormat::E4M3, Round::RNE, false, 0, 0),
                               q.quantize(x, OutFormat::E4M3, Round::RNE, true, 0, 0)};
        const ref::RefResult w[4] = {e52.nosat, e52.sat, e43.nosat, e43.sat};
        for (int c = 0; c < 4; ++c) {
          if (m[c].bits != w[c].bits || m[c].flags != w[c].flags) {
            ++local_fail;
            std::lock_guard<std::mutex> lock(mu);
            if (reports.size() < static_cast<size_t>(kMaxReported)) {
              std::ostringstream s;
              s << "quantize(" << hx(x) << " (" << ref::f32_from_bits(x) << "), e8m23 -> "
                << (c < 2 ? "E5M2" : "E4M3") << ", RNE, sat=" << (c & 1) << ", scale=0): "
                << exp_got(w[c].bits, w[c].flags, m[c].bits, m[c].flags, 4);
              reports.push_back(s.str());
            }
          }
        }
      }
      failures += local_fail;
      done += uint64_t{1} << kBlockBits;
    }
  };

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < nthreads; ++t) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[  CASES   ] QuantizerExhaustive: %llu binary32 inputs x 4 configs = %llu cases, "
              "%u threads, %.1f s\n",
              static_cast<unsigned long long>(done.load()),
              static_cast<unsigned long long>(4 * done.load()), nthreads, secs);
  if (blocks != kBlocks)
    std::printf("[   NOTE   ] partial sweep: %llu of %llu blocks, stride %llu (FP8SA_QUANT_EXHAUSTIVE_BLOCKS/_STRIDE)\n",
                static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(kBlocks),
                static_cast<unsigned long long>(stride));
  for (const std::string& r : reports) ADD_FAILURE() << r;
  EXPECT_EQ(failures.load(), 0u) << failures.load() << " of " << 4 * done.load() << " conversions differ";
}

}  // namespace
}  // namespace fp8sa::test

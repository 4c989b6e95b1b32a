// fp8sa explore's points and their operands (docs/exploration.md "Method"):
// what one point of a sweep is, its canonical key (its identity in the
// cache and the CSV), the operands it runs on with their exact dot products,
// and the CSV line of a point and its statistics. Links the model only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"
#include "fp8sa/explore/stats.hpp"

namespace fp8sa::explore {

// Bump when anything that changes a point's numbers changes (the model's
// numerics, the data generators, the statistics): cached points of another
// version are recomputed.
inline constexpr const char* kVersion = "explore-2";

struct Point {
  std::string model = "fp8sa";  // a name in the model registry (models.hpp)
  AccFormat acc = kFp32;
  Round rnd = Round::RNE;
  int sr_bits = 16;     // SR only (0 in the key otherwise)
  int promote = 0;      // promote_n
  PeKind pe = PeKind::Fma;      // fp8sa model: the PE kind (docs/numerics.md section 10)
  int dot_n = 1;                // dot, exact: products per step
  int align_bits = 13;          // dot: the window
  SrKind sr_kind = SrKind::Mid;  // SR: the construction
  int k = 4096;         // [1, 65535]
  Fp8Format fa = Fp8Format::E4M3, fb = Fp8Format::E4M3;
  std::string data = "normal";  // normal | uniform | heavy | npy:A[:B]
  int trials = 256;     // dot products (rounded up to a multiple of 4)
  uint64_t seed = 1;
  // The canonical text of the point ("model=fp8sa acc=e8m13 ..."), its
  // identity in the cache and in the CSV: fields a model ignores are "-".
  // Throws std::invalid_argument for a model that is not registered.
  std::string key() const;
  // The operands' identity (data, formats, k, trials, seed): points that
  // share it share operands and exact reference.
  std::string data_key() const;
};

// 64-bit FNV-1a of s: the seed of a point's generated operands (of its
// data_key) and the name of its cache file.
uint64_t fnv1a(const std::string& s);

std::string operands_name(Fp8Format fa, Fp8Format fb);  // "e4m3", "e5m2", "e4m3xe5m2", "e5m2xe4m3"
// "e4m3" | "e5m2" | "e4m3xe5m2" | "e5m2xe4m3"; throws std::invalid_argument.
void parse_operands(const std::string& s, Fp8Format* fa, Fp8Format* fb);

// The operands of a point and their exact dot products: M x K codes of A,
// K x N of B (N = 4), and per output the exact sum and the sum of |a*b|.
struct DataSet {
  int M = 0, K = 0, N = 4;
  Fp8Format fa = Fp8Format::E4M3, fb = Fp8Format::E4M3;
  std::vector<uint8_t> A, B;
  std::vector<double> exact, abs_sum;  // M x N, row-major (each the double nearest the exact value)
  std::string note;                    // e.g. the scaling applied to a .npy tensor
};

// The float32 values of a tensor file (data = npy:FILE). The library reads
// no file format itself (docs/architecture.md: it uses the model only): the
// program sets the reader (fp8sa explore and fp8sa.explore: the CLI's .npy
// reader, tools/npy.hpp). It throws naming the file. Unset: npy: data is
// refused with one line.
using TensorReader = std::function<std::vector<float>(const std::string& path)>;
void set_tensor_reader(TensorReader reader);

// Builds the operands (throws std::invalid_argument for a bad tensor,
// naming it) and their exact sums (reference.hpp's exact_dots).
std::shared_ptr<const DataSet> make_data(const Point& p);

// One CSV line for a point and its statistics, and the header (its column
// names, comma-separated).
std::string csv_header();
// with_time false: the seconds column is "-" (fp8sa explore --reproducible).
std::string csv_line(const Point& p, const Stats& s, bool with_time = true);

}  // namespace fp8sa::explore

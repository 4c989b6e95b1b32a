// fp8sa explore's engine (docs/exploration.md "Method"): sweep points, their
// operands, the exact reference, the models that are measured, the error
// statistics and the per-point cache. The command (cmd_explore.cpp) parses
// the sweep file, runs the points on all cores and writes the CSV and the
// report. Links the model only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"

namespace fp8sa::explore {

// Bump when anything that changes a point's numbers changes (the model's
// numerics, the data generators, the statistics): cached points of another
// version are recomputed.
inline constexpr const char* kVersion = "explore-2";

// What computes a point's dot products.
enum class Model {
  Hw,        // "fp8sa": the array's own bits, gemm_functional (the functional back-end)
  KmBlock,   // "km-block": Khattak & Mikaitis (2025) H100 FP8 block model (not hardware)
  Sr1Step,   // "sr-1step": the fp8sa MAC with SR draws one LFSR step apart (not hardware)
  SrIdeal,   // "sr-ideal": the fp8sa MAC with SR draws from mt19937 (not hardware)
};

struct Point {
  Model model = Model::Hw;
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
  std::string key() const;
  // The operands' identity (data, formats, k, trials, seed): points that
  // share it share operands and exact reference.
  std::string data_key() const;
};

const char* model_name(Model m);
Model parse_model(const std::string& s);   // throws std::invalid_argument
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

// Builds the operands (throws std::invalid_argument for a bad .npy, naming
// it). The exact sums use a 128-bit fixed-point accumulator at 2^-32, the
// LSB of the smallest FP8 x FP8 product: exact for every K <= 65535.
std::shared_ptr<const DataSet> make_data(const Point& p);

struct Stats {
  int trials = 0;            // outputs with a non-zero exact value (relative error defined)
  int zero_exact = 0;        // outputs whose exact value is 0 (left out of the relative error)
  int nonfinite = 0;         // outputs that were Inf or NaN (overflow): their error counts as +Inf
  double mean_rel = 0, rms_rel = 0, max_rel = 0;  // |y - x| / |x|
  double bias = 0, bias_se = 0;                   // mean of (y - x) / |x|, its standard error
  double rms_norm = 0, max_norm = 0;              // |y - x| / sum |a_i b_i| (normwise)
  uint64_t macs = 0;
  double seconds = 0;        // CPU time of the model run (one thread)
};

// Runs one point on its data set (the model on one thread).
Stats run_point(const Point& p, const DataSet& d);

// The cache: one small text file per point in dir, named by a hash of
// key() and kVersion, holding both (a hit needs both to match).
bool cache_load(const std::string& dir, const Point& p, Stats* s);
void cache_store(const std::string& dir, const Point& p, const Stats& s);  // best effort

// One CSV line for a point and its statistics, and the header.
std::string csv_header();
// with_time false: the seconds column is "-" (fp8sa explore --reproducible).
std::string csv_line(const Point& p, const Stats& s, bool with_time = true);

}  // namespace fp8sa::explore

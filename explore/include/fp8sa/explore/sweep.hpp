// fp8sa explore's sweep files (docs/exploration.md, `fp8sa help explore`):
// the parser and the planner that turns a file into points, with its limits.
//
// A sweep file is "key = value, value, ..." lines, '#' comments and
// sections "[sweep NAME]"; keys before the first section are defaults for
// every section; each section is the cartesian product of its lists. Every
// error is one SweepError naming FILE:LINE of the line at fault. Before any
// point or data set is made, the planner counts the points (saturating, from
// the list sizes) and estimates the memory of the largest data sets the
// workers hold at once; past --max-points or --max-memory it refuses with
// one line that names the limit and the option that raises it. Errors are
// SweepError (a std::invalid_argument of one line). Memory is
// bounded by the file's size (the file itself is capped by the reader).
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp8sa/explore/point.hpp"

namespace fp8sa::explore {

// A bad sweep: one line naming FILE:LINE and the problem (the CLI prints it
// and exits 2; Python raises ValueError).
struct SweepError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Largest sweep file read (bytes).
constexpr size_t kSweepMaxBytes = size_t{1} << 20;

struct SweepSection {
  std::string name;
  int line = 0;  // of the "[sweep NAME]" header
  struct Value {
    int line = 0;
    std::vector<std::string> items;  // the comma list, trimmed
  };
  std::map<std::string, Value> v;  // key -> its line and list (defaults merged in)
};

// Parses the text (name: how errors call it, e.g. the path). Throws SweepError.
// Spaces, tabs and CR trimmed at both ends; a comma list, items trimmed,
// empty items dropped (the sweep file's and explore's option syntax).
std::string trim(const std::string& s);
std::vector<std::string> split_list(const std::string& s);

std::vector<SweepSection> parse_sweep(const std::string& text, const std::string& name);

// The keys a sweep file knows, in the order its messages list them. The
// keys that sweep a field of the array's one list (FP8SA_ARRAY_FIELDS:
// acc, sr_bits, promote, pe, dot_n, align_bits, sr_kind) are that field's
// name taken from the list with '_' for '-' (its Python keyword), so a field
// renamed there is renamed here; sweep_array_key_members() gives their
// ArrayConfig members, in the same order as they stand in sweep_keys().
// The others (model, round, k, operands, data, trials, seed) are the
// sweep's own: seed is the data's seed, not the array's LFSR seed.
const std::vector<std::string>& sweep_keys();
const std::vector<std::string>& sweep_array_key_members();

struct SweepLimits {
  uint64_t max_points = 100000;            // --max-points
  uint64_t max_memory = uint64_t{4} << 30;  // --max-memory, bytes
  int threads = 1;                          // workers: data sets held at once
};

// Bytes a point's data set and its run hold at their peak (operands, the
// exact sums, the fixed-point copies; npy tensors by their files' sizes).
uint64_t point_bytes(const Point& p);

// The points of every section (validated, duplicates removed, in file
// order), or a SweepError: a bad value (FILE:LINE of its key), more points
// than limits.max_points, or more memory than limits.max_memory.
std::vector<Point> plan_sweep(const std::string& text, const std::string& name, const SweepLimits& limits);

// The built-in --quick sweep (a few seconds; its sanity checks, checks.hpp,
// run in make test).
extern const char* const kQuickSweep;

}  // namespace fp8sa::explore

// The registry of the models a sweep point can run: the array's own bits
// ("fp8sa") and the comparison models (not hardware). Each entry is a name,
// a one-line description, which point fields it reads (so that keys, CSV
// lines and the sweep planner leave the others out) and a run function.
// The four built-in models are registered on first use; register_model adds
// one (a new comparison model is one entry, nothing else changes).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace fp8sa::explore {

struct Point;
struct DataSet;

struct ModelEntry {
  std::string name;         // the sweep file's `model = NAME`, the CSV's model column
  std::string description;  // one line, for help and the report
  // Which fields of a point the model reads; the others are "-" in its key
  // and CSV line, and the planner emits them once.
  bool hardware = false;  // the array's bits: rounding, promotion, PE kind
  bool uses_acc = true;   // accumulator format and R (km-block: neither)
  bool sr_only = false;   // always stochastic rounding (its R and SR kind)
  int cost = 8;           // work per MAC against the fp8sa model's fast path (shards balance by it)
  // y[m * d.N + n]: the point's output (m, n) as a double.
  std::function<void(const Point& p, const DataSet& d, double* y)> run;
};

// Adds a model; throws std::invalid_argument for an empty or taken name or
// no run function.
void register_model(ModelEntry m);
// The entry named s; throws std::invalid_argument listing the names.
const ModelEntry& find_model(const std::string& s);
// Every entry, in registration order (the built-in ones first).
std::vector<const ModelEntry*> models();

}  // namespace fp8sa::explore

// The Verilated fp8sa_array behind the same port structs as the cycle model
// (fp8sa::ArrayInputs / ArrayOutputs), so one driver and one lockstep checker
// serve both. Configurations are the named ones of sim/array_configs.txt.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fp8sa/array.hpp"

namespace fp8sa::rtl {

class ArrayRtl {
 public:
  virtual ~ArrayRtl() = default;
  virtual const ArrayConfig& config() const = 0;
  virtual const std::string& name() const = 0;
  virtual void reset() = 0;                          // rst_ni low over one edge
  virtual const ArrayOutputs& outputs() const = 0;   // ports during the current cycle
  virtual void clock(const ArrayInputs& in) = 0;     // drive inputs, one rising edge
  virtual uint64_t cycle() const = 0;
  // VCD waveform of every following cycle into `path` (empty: stop).
  virtual void trace_to(const std::string& path) = 0;
};

struct NamedArrayConfig {
  std::string name;
  ArrayConfig cfg;
};
using ArrayFactory = std::function<std::unique_ptr<ArrayRtl>(const NamedArrayConfig&)>;
// The configurations Verilated by this build (sim/array_configs.txt), then
// any registered at run time (the bench's 16x16).
const std::vector<NamedArrayConfig>& array_configs();
// Adds a Verilated array built elsewhere (e.g. bench/) to the registry, so
// that make_array() and make_backend("rtl:NAME") know it. Call at start-up,
// before any other thread uses the registry; a name registered twice throws.
void register_array(const NamedArrayConfig& nc, ArrayFactory make);
// Throws std::invalid_argument listing the built names for an unknown name.
const NamedArrayConfig& array_config(const std::string& name);
std::unique_ptr<ArrayRtl> make_array(const std::string& name);

}  // namespace fp8sa::rtl

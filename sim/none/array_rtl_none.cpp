// array_rtl.hpp without Verilator (sim/none/CMakeLists.txt): no array is
// built, so every name is unknown, and the message says how to get them.
#include <stdexcept>

#include "none/rtl_none.hpp"

#include "array_rtl.hpp"

namespace fp8sa::rtl {

const std::vector<NamedArrayConfig>& array_configs() {
  static const std::vector<NamedArrayConfig> none;
  return none;
}

void register_array(const NamedArrayConfig& nc, ArrayFactory) {
  throw std::invalid_argument("register_array " + nc.name + ": " FP8SA_RTL_NONE_WHY);
}

const NamedArrayConfig& array_config(const std::string& name) {
  throw std::invalid_argument("array configuration '" + name + "' is not built: " FP8SA_RTL_NONE_WHY);
}

std::unique_ptr<ArrayRtl> make_array(const std::string& name) {
  array_config(name);  // throws
  return nullptr;
}

}  // namespace fp8sa::rtl

// rtl_units.hpp without the Verilated numerics units: the build of `make run`
// (CMake option FP8SA_RUN_ONLY, sim/CMakeLists.txt) Verilates only the arrays
// the main job runs, and a build without Verilator (sim/none/) none. Every
// factory names what is missing and how to get it; the *_configs() lists are
// empty.
#include "rtl_units.hpp"

#include <stdexcept>

namespace fp8sa::rtl {
namespace {

// Why they are missing: make run's build, or a build without Verilator (sim/none/).
#ifdef FP8SA_RTL_NONE_NO_VERILATOR
#include "none/rtl_none.hpp"
#else
#define FP8SA_RTL_NONE_WHY "configured with FP8SA_RUN_ONLY=ON by make run; `make` builds them"
#endif

[[noreturn]] void not_built(const std::string& unit) {
  throw std::invalid_argument("rtl " + unit + ": the Verilated units are not in this build (" FP8SA_RTL_NONE_WHY ")");
}

}  // namespace

std::vector<std::string> mac_configs() { return {}; }
std::unique_ptr<Mac> make_mac(AccFormat, int) { not_built("mac"); }
std::vector<std::string> fadd_configs() { return {}; }
std::unique_ptr<Fadd> make_fadd(AccFormat) { not_built("fadd"); }
std::unique_ptr<Quantizer> make_quantizer(AccFormat) { not_built("quantizer"); }
std::unique_ptr<Lfsr> make_lfsr(int, int) { not_built("lfsr"); }
std::unique_ptr<MacPe> make_mac_pe(AccFormat, int, int, int) { not_built("mac_pe"); }
std::vector<std::string> kind_pe_configs() { return {}; }
std::unique_ptr<KindPe> make_kind_pe(const std::string&) { not_built("kind_pe"); }

}  // namespace fp8sa::rtl

// board_sim.hpp without Verilator (sim/none/CMakeLists.txt): no simulated
// board; a real board is driven through host/'s serial port instead.
#include <stdexcept>

#include "none/rtl_none.hpp"

#include "board_sim.hpp"

namespace fp8sa::board {

int sim_clks_per_bit() { return 0; }
int sim_timeout_cycles() { return 0; }

const std::vector<SimBoardInfo>& sim_boards() {
  static const std::vector<SimBoardInfo> none;
  return none;
}

std::unique_ptr<ByteChannel> open_sim_board(const std::string& name, const std::string&) {
  throw std::invalid_argument("--sim " + name + ": no simulated board: " FP8SA_RTL_NONE_WHY
                              " (a real board: --port DEVICE)");
}

}  // namespace fp8sa::board

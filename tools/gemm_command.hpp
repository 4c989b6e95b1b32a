// What `fp8sa gemm` (cmd_gemm.cpp) and `fp8sa board` (cmd_board.cpp)
// share: the GEMM request (problem options, operands, output), its parser
// and the run that compares the back-ends, checks and reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "fp8sa/array.hpp"
#include "fp8sa/host/board_backend.hpp"
#include "fp8sa/numerics.hpp"

namespace fp8sa::cli::gemm_cmd {

enum class Check { Sample, Full, None };

struct Request {
  ArrayConfig cfg;
  std::string rtl_name;  // the Verilated configuration with cfg's parameters, if any
  std::vector<std::string> backends;  // make_backend names, in the order given (the first is the reference)
  Fp8Format fmt_a = Fp8Format::E4M3, fmt_b = Fp8Format::E4M3;
  Round rnd = Round::RNE, out_rnd = Round::RNE;
  std::string round_name, out_fmt_name, out_round_name;
  OutKind out_fmt = OutKind::Raw;
  bool sat = false;
  int scale = 0;
  Check check = Check::Sample;
  bool quiet = false;
  std::string a_path, b_path, c_path, out_path;
  std::shared_ptr<board::BoardBackend> board;  // fp8sa board: the "board" back-end
  // fp8sa board: its throughput report, printed after the back-end table
  // (given the first back-end's wall seconds).
  std::function<void(double wall_s)> after_runs;
  std::string preset;    // --preset NAME, if any
  int preset_rnd = -1;   // the rounding it sets (-1: none)
};

// An FP8 operand and what the way in did to it.
struct Operand {
  std::vector<uint8_t> codes;  // rows x cols FP8 codes
  std::vector<float> f32;      // the float32 values when the file held float32, else empty
  uint64_t rows = 0, cols = 0;
  uint64_t rounded = 0, saturated = 0, inf_mapped = 0, nan_kept = 0;  // float32 input only
};

// The operands A and B, loaded and their shapes checked (fp8sa board does
// this before it opens the board, so a bad file fails first).
struct Operands {
  Operand A, B;
};

// The GEMM itself (formats, rounding, output, check, files): the options
// `fp8sa gemm` and `fp8sa board` share.
void parse_problem(const Args& args, Request& r);
Operands load_operands(const Request& r);
// The GEMM of `fp8sa gemm` and `fp8sa board`: run the back-ends and
// compare them, check, write, report. Returns the exit status.
int run_gemm(const Request& r, const Operands& ops, const char* cmd, std::chrono::steady_clock::time_point t_start);

}  // namespace fp8sa::cli::gemm_cmd

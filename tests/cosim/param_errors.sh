#!/usr/bin/env bash
# Bad parameters must stop elaboration in Verilator, Icarus and Yosys with a
# message that names the problem (an instantiated module fp8sa_param_error_*).
# usage: param_errors.sh RTL_DIR
set -uo pipefail
rtl=${1:?usage: param_errors.sh RTL_DIR}
. "$(dirname "$0")/../../scripts/rtl-sources.sh"
files=$(rtl_sources "$rtl")
incs=$(rtl_incs "$rtl")
cases=(
  "fp8sa_mac_pe ACC_MAN_W 24"
  "fp8sa_mac_pe ACC_MAN_W 1"
  "fp8sa_mac_pe ACC_EXP_W 3"
  "fp8sa_mac_pe ACC_EXP_W 9"
  "fp8sa_mac_pe SR_BITS 1"
  "fp8sa_mac_pe SR_BITS 25"
  "fp8sa_mac_pe LFSR_W 33"
  "fp8sa_mac_pe SEED 0"
  "fp8sa_mac_pe RND_MODES 0"
  "fp8sa_mac_pe RND_MODES 4"
  "fp8sa_lfsr DRAW_W 33"
  "fp8sa_lfsr LFSR_W 3"
  "fp8sa_quantizer ACC_EXP_W 9"
  "fp8sa_quantizer SR_BITS 1"
  "fp8sa_fadd ACC_MAN_W 30"
  "fp8sa_array ROWS 0"
  "fp8sa_array COLS 257"
  "fp8sa_skew DEPTH 257"
  "fp8sa_round MAG_W 1"
  "fp8sa_round SR_BITS 25"
  "fp8sa_array ACC_EXP_W 9"
  "fp8sa_array Q_SR_BITS 25"
  "fp8sa_array LFSR_W 8"
  "fp8sa_array SEED 0"
  "fp8sa_array MUL_STAGES 3"
  "fp8sa_array Q_STAGES 2"
  "fp8sa_mac_pe MUL_STAGES 3"
  "fp8sa_mac_pe TAG_W 0"
  "fp8sa_array RND_MODES 0"
  "fp8sa_array OUT_QUANT 2"
  "fp8sa_uart_rx CLKS_PER_BIT 3"
  "fp8sa_uart_tx CLKS_PER_BIT 65536"
  "fp8sa_host_link K_MAX 40000"
  "fp8sa_host_link ROWS 65"
  "fp8sa_host_link TIMEOUT_CYCLES 8"
  "fp8sa_board_core OUT_QUANT 2"
  "fp8sa_board_core UART_PER_SYS 0"
  "fp8sa_board_core UART_PER_SYS 100"
  "fp8sa_cdc_stream WIDTH 0"
  "fp8sa_mac_pe PROMOTE_N 1"
  "fp8sa_mac_pe PROMOTE_N 65536"
  "fp8sa_array PROMOTE_N 65536"
  "fp8sa_array PROMOTE_N 1"
  "fp8sa_array_cell PROMOTE_N 70000"
  "fp8sa_round SR_KIND 3"
  "fp8sa_quantizer SR_KIND 3"
  "fp8sa_mac_pe SR_KIND 3"
  "fp8sa_mac_pe DOT_N 2"
  "fp8sa_norm_round MAG_W 0"
  "fp8sa_norm_round EXP_W 17"
  "fp8sa_dot_pe DOT_N 3"
  "fp8sa_dot_pe DOT_N 128"
  "fp8sa_dot_pe ALIGN_BITS 49"
  "fp8sa_dot_pe ALIGN_BITS 0"
  "fp8sa_dot_pe PROMOTE_N 1"
  "fp8sa_exact_pe PROMOTE_N 2"
  "fp8sa_exact_pe DOT_N 6"
  "fp8sa_pe PE_KIND 3"
  "fp8sa_array_cell PE_KIND 3"
  "fp8sa_array PE_KIND 3"
  "fp8sa_array DOT_N 2"
  "fp8sa_array SR_KIND 3"
  "fp8sa_array ALIGN_BITS 49"
)
pass=0; fail=0
check() {  # tool case-text output rc
  if [ "$4" -ne 0 ] && grep -q "fp8sa_param_error" <<<"$3"; then
    pass=$((pass+1))
  else
    fail=$((fail+1)); echo "FAIL $1: $2 was accepted or failed without naming the problem:"; echo "$3" | head -5
  fi
}
for c in "${cases[@]}"; do
  set -- $c; top=$1; p=$2; v=$3
  out=$(verilator --lint-only -Wall $incs --top-module "$top" -G"$p=$v" $files 2>&1); rc=$?
  check verilator "$top $p=$v" "$out" $rc
  out=$(iverilog -g2005 $incs -s "$top" -P"$top.$p=$v" -o /dev/null $files 2>&1); rc=$?
  check iverilog "$top $p=$v" "$out" $rc
  out=$(yosys -q -p "read_verilog $incs $files; chparam -set $p $v $top; hierarchy -check -top $top" 2>&1); rc=$?
  check yosys "$top $p=$v" "$out" $rc
done
echo "${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ]

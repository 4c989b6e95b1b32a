#!/usr/bin/env bash
# make formal: the properties under `ifdef FORMAL` in rtl/, one set per line
# below, proven with Yosys (read_verilog -formal, prep, async2sync) and
# Yosys's SAT engine: `sat -tempinduct` (k-induction; every base case is a
# BMC from reset to that depth). Prints per set PASS/FAIL, the BMC depth
# reached and whether induction closed (an unbounded proof).
# (yosys-smtbmc with Debian's z3 4.8.12 hung on these problems, even on the
# 5-bit combinational rounding cell at step 0: see docs/verification.md.)
set -uo pipefail
cd "$(dirname "$0")/.."
SETS=(
  # name | files | top | chparam | max depth
  "round_sr4_m5|rtl/fp8sa_round.v|fp8sa_round|-set SR_BITS 4 -set MAG_W 5|1|-DFP8SA_FORMAL_ROUND_TOP"
  "round_sr2_m22|rtl/fp8sa_round.v|fp8sa_round|-set SR_BITS 2 -set MAG_W 22|1|-DFP8SA_FORMAL_ROUND_TOP"
  "round_sr4_m5_trunc|rtl/fp8sa_round.v|fp8sa_round|-set SR_BITS 4 -set MAG_W 5 -set SR_KIND 1|1|-DFP8SA_FORMAL_ROUND_TOP"
  "round_sr4_m5_src|rtl/fp8sa_round.v|fp8sa_round|-set SR_BITS 4 -set MAG_W 5 -set SR_KIND 2|1|-DFP8SA_FORMAL_ROUND_TOP"
  "round_sr24_m31_src|rtl/fp8sa_round.v|fp8sa_round|-set SR_BITS 24 -set MAG_W 31 -set SR_KIND 2|1|-DFP8SA_FORMAL_ROUND_TOP"
  "cmd_queue_w2|rtl/fp8sa_cmd_queue.v|fp8sa_cmd_queue|-set W 2|20|"
  "skew_w2_d3|rtl/fp8sa_skew.v|fp8sa_skew|-set WIDTH 2 -set DEPTH 3|24|"
  "array_2x1_e4m2_out|rtl/fp8sa_*.v|fp8sa_array|-set ROWS 2 -set COLS 1 -set ACC_EXP_W 4 -set ACC_MAN_W 2 -set SR_BITS 2 -set Q_SR_BITS 2 -set LFSR_W 4|12|"
  "array_2x1_q1m1_out|rtl/fp8sa_*.v|fp8sa_array|-set ROWS 2 -set COLS 1 -set ACC_EXP_W 4 -set ACC_MAN_W 2 -set SR_BITS 2 -set Q_SR_BITS 2 -set LFSR_W 4 -set Q_STAGES 1 -set MUL_STAGES 1|12|"
)
fail=0
for s in "${SETS[@]}"; do
  IFS='|' read -r name files top params depth defs <<<"$s"
  log=$(mktemp)
  timeout 600 yosys -p "read_verilog -formal $defs -Irtl $files; chparam $params $top; hierarchy -top $top;
    prep -flatten -top $top; async2sync; dffunmap; chformal -remove -cover;
    sat -tempinduct -prove-asserts -set-assumes -maxsteps $depth $top" >"$log" 2>&1
  rc=$?
  bmc=$(grep -o 'Base case for induction length [0-9]* proven' "$log" | tail -1 | grep -o '[0-9]*')
  if grep -q 'Induction step proven: SUCCESS' "$log"; then
    printf 'formal %-20s PASS (proven by induction, length %s)\n' "$name" "${bmc:-1}"
  elif [ $rc -eq 0 ] && ! grep -q 'FAIL' "$log" && [ "${bmc:-0}" -ge "$depth" ]; then
    printf 'formal %-20s PASS (bmc depth %s; induction not closed)\n' "$name" "$bmc"
  else
    printf 'formal %-20s FAIL (log %s)\n' "$name" "$log"; grep -iE 'fail|error' "$log" | head -3; fail=1; continue
  fi
  rm -f "$log"
done

# Covers: Yosys's sat has no cover cells, so each cover condition is also a
# wire f_cover_* (see the RTL); the solver is asked to prove it always 0
# within DEPTH steps from reset, and that proof must FAIL: its counterexample
# is the witness trace (written as a VCD under build/formal/).
COVERS=(
  # name | files | top | chparam | depth | wire
  "cmd_queue_fill_drain|rtl/fp8sa_cmd_queue.v|fp8sa_cmd_queue|-set W 2|12|f_cover_backpressure"
  "array_out_backpressure|rtl/fp8sa_*.v|fp8sa_array|-set ROWS 2 -set COLS 1 -set ACC_EXP_W 4 -set ACC_MAN_W 2 -set SR_BITS 2 -set Q_SR_BITS 2 -set LFSR_W 4|16|f_cover_backpressure"
  "array_q1_out_backpressure|rtl/fp8sa_*.v|fp8sa_array|-set ROWS 2 -set COLS 1 -set ACC_EXP_W 4 -set ACC_MAN_W 2 -set SR_BITS 2 -set Q_SR_BITS 2 -set LFSR_W 4 -set Q_STAGES 1 -set MUL_STAGES 1|18|f_cover_backpressure"
)
mkdir -p build/formal
for c in "${COVERS[@]}"; do
  IFS='|' read -r name files top params depth wire <<<"$c"
  log=$(mktemp)
  vcd=build/formal/cover_$name.vcd
  timeout 600 yosys -p "read_verilog -formal -Irtl $files; chparam $params $top; hierarchy -top $top;
    prep -flatten -top $top; async2sync; dffunmap; chformal -remove;
    sat -seq $depth -set-assumes -set-init-zero -prove $wire 0 -falsify -dump_vcd $vcd $top" >"$log" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && grep -q 'model found: FAIL' "$log"; then
    printf 'cover  %-20s REACHED within %s steps (witness %s)\n' "$name" "$depth" "$vcd"
    rm -f "$log"
  else
    printf 'cover  %-20s NOT REACHED in %s steps (log %s)\n' "$name" "$depth" "$log"; fail=1
  fi
done
[ $fail -eq 0 ] && echo "formal: OK" || echo "formal: FAILED"
exit $fail

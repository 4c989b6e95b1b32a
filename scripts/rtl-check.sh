#!/usr/bin/env bash
# RTL portability checks: lint (Verilator -Wall), Icarus (-g2005) and Yosys.
# usage: scripts/rtl-check.sh lint|iverilog|yosys|all
# Every module in rtl/{units,array,board}/ is checked as a top, plus the parameter sets below
# (named configurations of the numerics units). Exit 1 on any warning/error.
set -uo pipefail
cd "$(dirname "$0")/.."

. scripts/rtl-sources.sh
RTL_FILES=$(rtl_sources rtl)
RTL_INCS=$(rtl_incs rtl)
TOPS=$(for f in $RTL_FILES; do basename "$f" .v; done)
# Non-default parameter sets for the parameterised numerics units.
PARAM_SETS=(
  "fp8sa_mac_pe -GACC_EXP_W=5 -GACC_MAN_W=10"
  "fp8sa_mac_pe -GACC_EXP_W=8 -GACC_MAN_W=15 -GSR_BITS=8 -GLFSR_W=16"
  "fp8sa_mac_pe -GACC_EXP_W=8 -GACC_MAN_W=7 -GSR_BITS=2 -GLFSR_W=4"
  "fp8sa_mac_pe -GACC_EXP_W=4 -GACC_MAN_W=2 -GSR_BITS=24"
  "fp8sa_mac_pe -GACC_EXP_W=6 -GACC_MAN_W=5 -GPROMOTE_N=4"
  "fp8sa_mac_pe -GACC_EXP_W=8 -GACC_MAN_W=10 -GPROMOTE_N=3 -GMUL_STAGES=2"
  "fp8sa_mac_pe -GACC_EXP_W=4 -GACC_MAN_W=2 -GPROMOTE_N=65535 -GRND_MODES=1"
  "fp8sa_mac_pe -GACC_EXP_W=8 -GACC_MAN_W=23 -GPROMOTE_N=2 -GRND_MODES=2"
  "fp8sa_array -GACC_EXP_W=5 -GACC_MAN_W=10 -GPROMOTE_N=128 -GMUL_STAGES=1 -GQ_STAGES=1"
  "fp8sa_quantizer -GACC_EXP_W=5 -GACC_MAN_W=10"
  "fp8sa_quantizer -GACC_EXP_W=8 -GACC_MAN_W=7 -GSR_BITS=2"
  "fp8sa_array -GRND_MODES=1 -GOUT_QUANT=0"
  "fp8sa_board_core -GROWS=2 -GCOLS=2 -GACC_MAN_W=10 -GSR_BITS=4 -GQ_SR_BITS=4 -GLFSR_W=16 -GOUT_QUANT=0 -GCLKS_PER_BIT=4 -GUART_PER_SYS=4 -GTIMEOUT_CYCLES=4000"
  "fp8sa_board_core -GROWS=4 -GCOLS=4 -GCLKS_PER_BIT=109 -GTIMEOUT_CYCLES=1250000"
  # boards with the other PE kinds (fpga/boards.txt): DOT_N lanes per step, binary32 init words
  "fp8sa_board_core -GROWS=2 -GCOLS=2 -GACC_MAN_W=10 -GSR_BITS=4 -GQ_SR_BITS=4 -GLFSR_W=16 -GOUT_QUANT=0 -GPE_KIND=2 -GDOT_N=2 -GCLKS_PER_BIT=4"
  "fp8sa_board_core -GROWS=2 -GCOLS=1 -GPE_KIND=1 -GDOT_N=4 -GALIGN_BITS=25 -GSR_KIND=1 -GK_MAX=1023 -GCLKS_PER_BIT=4"
  # SR kinds (numerics.md 5) on the rounding cell, the fma PE and the quantizer
  "fp8sa_round -GSR_KIND=1 -GSR_BITS=4 -GMAG_W=6"
  "fp8sa_round -GSR_KIND=2 -GSR_BITS=24 -GMAG_W=31"
  "fp8sa_mac_pe -GSR_KIND=1"
  "fp8sa_mac_pe -GSR_KIND=2 -GACC_EXP_W=5 -GACC_MAN_W=10 -GSR_BITS=4 -GLFSR_W=8 -GMUL_STAGES=1"
  "fp8sa_quantizer -GSR_KIND=1"
  "fp8sa_quantizer -GSR_KIND=2 -GACC_EXP_W=5 -GACC_MAN_W=10 -GSR_BITS=2"
  # the normalize-and-round module
  "fp8sa_norm_round -GMAG_W=84 -GACC_EXP_W=4 -GACC_MAN_W=2 -GSR_KIND=2 -GSR_BITS=24"
  "fp8sa_norm_round -GMAG_W=1 -GEXP_W=2 -GSR_KIND=1 -GSR_BITS=2"
  # dot PE (numerics.md 10.2)
  "fp8sa_dot_pe -GDOT_N=1 -GALIGN_BITS=13"
  "fp8sa_dot_pe -GDOT_N=4 -GALIGN_BITS=13 -GACC_EXP_W=8 -GACC_MAN_W=13"
  "fp8sa_dot_pe -GDOT_N=32 -GALIGN_BITS=13 -GACC_EXP_W=8 -GACC_MAN_W=13 -GRND_MODES=1"
  "fp8sa_dot_pe -GDOT_N=32 -GALIGN_BITS=31 -GACC_EXP_W=8 -GACC_MAN_W=23"
  "fp8sa_dot_pe -GDOT_N=4 -GALIGN_BITS=31 -GPROMOTE_N=128 -GACC_EXP_W=8 -GACC_MAN_W=13 -GMUL_STAGES=1"
  "fp8sa_dot_pe -GDOT_N=2 -GALIGN_BITS=13 -GPROMOTE_N=2 -GACC_EXP_W=6 -GACC_MAN_W=5 -GMUL_STAGES=2 -GRND_MODES=2"
  "fp8sa_dot_pe -GDOT_N=64 -GALIGN_BITS=48 -GSR_KIND=2 -GSR_BITS=24"
  "fp8sa_dot_pe -GDOT_N=8 -GALIGN_BITS=1 -GACC_EXP_W=4 -GACC_MAN_W=2 -GSR_KIND=1 -GSR_BITS=2 -GLFSR_W=4"
  # exact PE (numerics.md 10.3)
  "fp8sa_exact_pe -GDOT_N=1"
  "fp8sa_exact_pe -GDOT_N=8 -GACC_EXP_W=5 -GACC_MAN_W=4 -GSR_KIND=2 -GMUL_STAGES=2"
  "fp8sa_exact_pe -GDOT_N=8 -GACC_EXP_W=4 -GACC_MAN_W=2 -GRND_MODES=1 -GMUL_STAGES=1"
  "fp8sa_exact_pe -GDOT_N=64 -GSR_KIND=1 -GSR_BITS=24"
  # arrays of each kind (docs/array.md "PE kinds")
  "fp8sa_pe -GPE_KIND=0 -GPROMOTE_N=4 -GTAG_W=3"
  "fp8sa_pe -GPE_KIND=1 -GDOT_N=4 -GACC_MAN_W=13"
  "fp8sa_pe -GPE_KIND=2 -GDOT_N=2 -GMUL_STAGES=1"
  "fp8sa_array_cell -GPE_KIND=1 -GDOT_N=4 -GACC_MAN_W=13"
  "fp8sa_array_cell -GPE_KIND=2 -GDOT_N=2 -GMUL_STAGES=1"
  "fp8sa_array -GPE_KIND=1 -GROWS=4 -GCOLS=4 -GDOT_N=4 -GALIGN_BITS=13 -GACC_EXP_W=8 -GACC_MAN_W=13"
  "fp8sa_array -GPE_KIND=1 -GROWS=2 -GCOLS=2 -GDOT_N=32 -GALIGN_BITS=13 -GACC_EXP_W=8 -GACC_MAN_W=13"
  "fp8sa_array -GPE_KIND=2 -GROWS=4 -GCOLS=4"
  "fp8sa_array -GPE_KIND=1 -GROWS=2 -GCOLS=3 -GDOT_N=8 -GSR_KIND=1"
  "fp8sa_array -GPE_KIND=1 -GROWS=3 -GCOLS=2 -GDOT_N=2 -GPROMOTE_N=4 -GMUL_STAGES=2 -GQ_STAGES=1 -GSR_KIND=2"
  "fp8sa_array -GPE_KIND=2 -GROWS=2 -GCOLS=2 -GDOT_N=8 -GACC_EXP_W=5 -GACC_MAN_W=4 -GRND_MODES=2 -GOUT_QUANT=0"
)

fail=0
step() { printf '%-10s %s\n' "$1" "$2"; }

# The checks run as a pool of $JOBS processes (default: every core; each tool
# is single-threaded). The 32x32 array's lint and Yosys elaboration take most
# of `make lint` (about 100 s and 57 s on the 2-core machine), so they are
# queued first; the report keeps the queue's order.
JOBS=${JOBS:-$(nproc)}
POOL=$(mktemp -d)
trap 'rm -rf "$POOL"' EXIT
njobs=0
# job KIND TOOL LABEL CMD...: KIND "quiet" passes when CMD prints nothing;
# KIND "yosys" when CMD exits 0 and prints no warning or error.
job() {
  local i=$njobs
  njobs=$((njobs + 1))
  printf '%s\n%s\n%s\n' "$1" "$2" "$3" > "$POOL/$i.what"
  shift 3
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  ( "$@" > "$POOL/$i.out" 2>&1; echo $? > "$POOL/$i.rc" ) &
}
# Waits for the pool and reports every job in queue order.
collect() {
  wait
  local i kind tool label rc ok pass
  for ((i = 0; i < njobs; i++)); do
    { read -r kind; read -r tool; read -r label; } < "$POOL/$i.what"
    rc=$(cat "$POOL/$i.rc" 2>/dev/null || echo 1)
    ok=0
    case "$kind" in
      quiet) [ ! -s "$POOL/$i.out" ] && ok=1; pass=clean ;;
      yosys) [ "$rc" -eq 0 ] && ! grep -qiE 'warning|error' "$POOL/$i.out" && ok=1; pass=${label#*: } ;;
    esac
    label=${label%%: *}
    if [ "$ok" -eq 1 ]; then step "$tool" "$label: $pass"; else cat "$POOL/$i.out"; step "$tool" "$label: FAIL"; fail=1; fi
  done
  njobs=0
  rm -f "$POOL"/*
}

do_lint() {
  # Beyond the Verilated configurations: a 32x32 array, linted and elaborated by Yosys.
  job quiet lint "fp8sa_array 32x32" verilator --lint-only -Wall $RTL_INCS --top-module fp8sa_array -GROWS=32 -GCOLS=32 $RTL_FILES
  job yosys lint "yosys fp8sa_array 32x32 elaboration: ok" \
    yosys -q -p "read_verilog $RTL_INCS $RTL_FILES; chparam -set ROWS 32 -set COLS 32 fp8sa_array; hierarchy -check -top fp8sa_array; proc"
  for t in $TOPS; do
    job quiet lint "$t" verilator --lint-only -Wall $RTL_INCS --top-module "$t" $RTL_FILES
  done
  for ps in "${PARAM_SETS[@]}"; do
    set -- $ps
    local top=$1; shift
    job quiet lint "$ps" verilator --lint-only -Wall $RTL_INCS --top-module "$top" "$@" $RTL_FILES
  done
  collect
}

do_iverilog() {
  for t in $TOPS; do
    job quiet iverilog "$t" iverilog -g2005 -Wall $RTL_INCS -s "$t" -o /dev/null $RTL_FILES
  done
  for ps in "${PARAM_SETS[@]}"; do
    set -- $ps
    local top=$1; shift
    local pargs=()
    for g in "$@"; do pargs+=("-P$top.${g#-G}"); done
    job quiet iverilog "$ps" iverilog -g2005 -Wall $RTL_INCS -s "$top" "${pargs[@]}" -o /dev/null $RTL_FILES
  done
  collect
}

do_yosys() {
  for t in fp8sa_mac_pe fp8sa_quantizer fp8sa_fadd fp8sa_lfsr fp8sa_norm_round fp8sa_dot_pe fp8sa_exact_pe; do
    job yosys yosys "$t: synthesized" \
      yosys -q -p "read_verilog $RTL_INCS $RTL_FILES; hierarchy -check -top $t; synth -top $t; check -assert"
  done
  collect
}

case "${1:-all}" in
  lint) do_lint ;;
  iverilog) do_iverilog ;;
  yosys) do_yosys ;;
  all) do_lint; do_iverilog; do_yosys ;;
  *) echo "usage: $0 lint|iverilog|yosys|all" >&2; exit 2 ;;
esac
[ "$fail" -eq 0 ] && echo "rtl-check ${1:-all}: OK" || echo "rtl-check ${1:-all}: FAILED"
exit "$fail"

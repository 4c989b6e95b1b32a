#!/usr/bin/env bash
# One Yosys synthesis of one unit for one target; prints one result line
#   lut=N carry=N ff=N dsp=N ram=N mux=N transistors=N cells=N
# (counts of the final netlist's `stat`; a field a target has not is 0).
# usage: synth_one.sh TARGET RTL_DIR TOP "CHPARAM ARGS" MODE LOG
#   TARGET  cmos | ice40 | ecp5 | xilinx
#   MODE    flat: the unit flattened;
#           glue: fp8sa_array with every fp8sa_array_cell a black box (the
#           cells are counted separately and added by synth/area.sh)
# The Yosys commands per target (docs/area.md "Method"):
#   cmos    synth -flatten; abc -g cmos2; stat -tech cmos
#   ice40   synth_ice40 (-flatten is its default)
#   ecp5    synth_ecp5
#   xilinx  synth_xilinx -family xc7 -flatten
set -euo pipefail
target=$1 rtl=$2 top=$3 chp=$4 mode=$5 log=$6

. "$(dirname "$0")/../scripts/rtl-sources.sh"
read_cmd="read_verilog $(rtl_incs "$rtl") $(rtl_sources "$rtl")"
prep="${chp:+chparam $chp $top;} hierarchy -top $top"
if [ "$mode" = glue ]; then prep="$prep; blackbox *fp8sa_array_cell"; fi
case $target in
  cmos)   syn="synth -flatten -top $top; abc -g cmos2; opt_clean; tee -o $log.stat stat -tech cmos" ;;
  ice40)  syn="synth_ice40 -top $top; tee -o $log.stat stat" ;;
  ecp5)   syn="synth_ecp5 -top $top; tee -o $log.stat stat" ;;
  xilinx) syn="synth_xilinx -family xc7 -flatten -top $top; tee -o $log.stat stat" ;;
  *) echo "synth_one.sh: unknown target '$target' (cmos, ice40, ecp5, xilinx)" >&2; exit 2 ;;
esac
if ! yosys -q -l "$log" -p "$read_cmd; $prep; $syn" > /dev/null 2>&1; then
  echo "synth_one.sh: yosys failed for $target $top ($chp), log $log" >&2
  grep -m 3 -i error "$log" >&2 || true
  exit 1
fi
# Cell lines of the stat: "     TYPE    COUNT". Black boxes (glue mode) are
# not one of the types summed below.
awk -v target="$target" '
  /Number of cells:/ { cells = $4 }
  /Estimated number of transistors:/ { tr = $5 }
  NF == 2 && $2 ~ /^[0-9]+$/ {
    t = $1; n = $2
    if (target == "ice40") {
      if (t == "SB_LUT4") lut += n; else if (t == "SB_CARRY") carry += n
      else if (t ~ /^SB_DFF/) ff += n; else if (t == "SB_MAC16") dsp += n
      else if (t ~ /^SB_(RAM|SPRAM)/) ram += n
    } else if (target == "ecp5") {
      if (t == "LUT4") lut += n; else if (t == "CCU2C") carry += n
      else if (t == "TRELLIS_FF") ff += n; else if (t ~ /^MULT18X18/ || t ~ /^ALU54/) dsp += n
      else if (t ~ /^(DP16KD|PDPW16KD|TRELLIS_DPR16X4)/) ram += n
      else if (t == "PFUMX" || t == "L6MUX21") mux += n
    } else if (target == "xilinx") {
      if (t ~ /^LUT[1-6]$/) lut += n; else if (t == "CARRY4") carry += n
      else if (t ~ /^FD[A-Z]*$/) ff += n; else if (t ~ /^DSP48/) dsp += n
      else if (t ~ /^(RAMB|RAM[0-9])/) ram += n
      else if (t ~ /^MUXF[78]$/) mux += n
    } else if (target == "cmos") {
      if (t ~ /DFF/) ff += n
    }
  }
  END { printf "lut=%d carry=%d ff=%d dsp=%d ram=%d mux=%d transistors=%d cells=%d\n",
               lut, carry, ff, dsp, ram, mux, tr, cells }
' "$log.stat"

#!/usr/bin/env bash
# Generic (technology-independent) Yosys synthesis of the numerics units.
# Prints the cell count of each configuration after `synth -flatten` (Yosys's internal
# gate library: $_AND_, $_XOR_, $_MUX_, $_DFF_* ...). These are relative
# numbers for comparing configurations, NOT a timing-closed ASIC area: there
# is no liberty file, no optimisation for delay and no wiring.
set -euo pipefail
cd "$(dirname "$0")/.."
RTL_FILES=$(echo rtl/*.v)
CONFIGS=(
  "fp8sa_mac_pe|e8m23 sr16 lfsr32|"
  "fp8sa_mac_pe|e8m15 sr8 lfsr16|chparam -set ACC_MAN_W 15 -set SR_BITS 8 -set LFSR_W 16 fp8sa_mac_pe"
  "fp8sa_mac_pe|e5m10 sr16 lfsr32|chparam -set ACC_EXP_W 5 -set ACC_MAN_W 10 fp8sa_mac_pe"
  "fp8sa_quantizer|e8m23 in sr16|"
  "fp8sa_fadd|e8m23|"
)
mkdir -p build/synth
printf '%-16s %-20s %10s %10s\n' module config cells flops
for c in "${CONFIGS[@]}"; do
  IFS='|' read -r top name chp <<<"$c"
  log=build/synth/${top}_${name// /_}.log
  yosys -q -l "$log" -p "read_verilog -Irtl $RTL_FILES; ${chp:+$chp;} synth -flatten -top $top; stat" >/dev/null
  cells=$(grep -E '^ +Number of cells:' "$log" | tail -1 | awk '{print $4}')
  # synth prints its own stat before ours: count flops in the last report only.
  flops=$(awk '/Number of cells:/ {s = 0} /^ +\$_[A-Z]*DFF/ {s += $2} END {print s + 0}' "$log")
  printf '%-16s %-20s %10s %10s\n' "$top" "$name" "$cells" "$flops"
done
echo "(generic Yosys gates; logs in build/synth/)"

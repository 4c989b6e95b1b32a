#!/usr/bin/env bash
# Fmax estimate of one PE configuration on the iCE40UP5K: the register-
# wrapped PE (synth/fmax/fp8sa_pe_fmax_top.v) through synth_ice40 and
# nextpnr-ice40 --up5k (package sg48, no pin constraints: the wrapper has
# four pins), median over three placer seeds; prints one result line
#   fmax_mhz=F lc=N  (ICESTORM_LC used, the median seed's run)
# usage: fmax_one.sh RTL_DIR "CHPARAM ARGS" LOG
set -euo pipefail
rtl=$1 chp=$2 log=$3
top=fp8sa_pe_fmax_top
here=$(dirname "$0")
. "$here/../scripts/rtl-sources.sh"
command -v nextpnr-ice40 > /dev/null || { echo "fmax_one.sh: nextpnr-ice40 not found (scripts/install-deps.sh synth)" >&2; exit 2; }
json=$log.json
if ! yosys -q -l "$log" -p "read_verilog $(rtl_incs "$rtl") $(rtl_sources "$rtl") $here/fmax/$top.v; ${chp:+chparam $chp $top;}
    synth_ice40 -top $top -json $json" > /dev/null 2>&1; then
  echo "fmax_one.sh: yosys failed ($chp), log $log" >&2; exit 1
fi
res=()
for seed in 1 2 3; do
  # --timing-allow-fail: the 12 MHz target only sets the report's goal.
  nextpnr-ice40 --up5k --package sg48 --json "$json" --pcf-allow-unconstrained --freq 12 \
    --timing-allow-fail --seed $seed > "$log.pnr$seed" 2>&1 || { echo "fmax_one.sh: nextpnr failed, log $log.pnr$seed" >&2; exit 1; }
  f=$(grep -o "Max frequency for clock '[^']*': [0-9.]* MHz" "$log.pnr$seed" | tail -1 | awk '{print $(NF-1)}')
  lc=$(grep -o "ICESTORM_LC: *[0-9]*" "$log.pnr$seed" | tail -1 | awk '{print $2}')
  res+=("$f $lc")
done
printf '%s\n' "${res[@]}" | sort -n | sed -n 2p | awk '{printf "fmax_mhz=%s lc=%d\n", $1, $2}'

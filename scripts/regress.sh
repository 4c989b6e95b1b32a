#!/usr/bin/env bash
# Longer lockstep regression: every named array configuration
# (sim/array_configs.txt) x SEEDS seeds, GEMMS random GEMMs each, in
# parallel over the cores. Prints one line per run, every failure with the
# one-line command that reproduces it, and the total checked. Then the
# arrays beyond the RTL's sizes: the cycle model's fast-kernel and large-array
# tests over SEEDS seeds, and `fp8sa gemm --backend functional,cycle` GEMMs
# on 64x64, 128x32 and 256x256 arrays (both back-ends must agree bit for bit).
# usage: scripts/regress.sh FP8SA_BINARY [SEEDS] [GEMMS] [FIRST_SEED]
set -uo pipefail
bin=${1:?usage: regress.sh FP8SA_BINARY [SEEDS] [GEMMS] [FIRST_SEED]}
bin=$(realpath "$bin")
seeds=${2:-8}
gemms=${3:-50}
first=${4:-1000}
jobs=$(nproc)
cd "$(dirname "$0")/.."
configs=$(awk '!/^#/ && NF == 16 {print $1}' sim/array_configs.txt)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=0
for c in $configs; do
  for ((s = first; s < first + seeds; ++s)); do
    echo "$c $s"
    n=$((n + 1))
  done
done > "$out/jobs"
echo "regress: $n runs ($(echo $configs | wc -w) configurations x $seeds seeds, $gemms GEMMs each) on $jobs cores"
SECONDS=0
# Each job writes its result line; failures keep their whole report.
xargs -P "$jobs" -L 1 sh -c '
  cfg=$1; seed=$2
  r=$("'"$bin"'" lockstep --config "$cfg" --seed "$seed" --gemms '"$gemms"' --vcd "'"$PWD"'/build/regress_${cfg}_${seed}.vcd" 2>&1)
  rc=$?
  printf "%s\n" "$r" > "'"$out"'/$cfg.$seed.log"
  if [ $rc -eq 0 ]; then echo "ok   $r"; else echo "FAIL $cfg seed $seed"; fi
' sh < "$out/jobs"
fails=0; macs=0; cycles=0; done_gemms=0
for f in "$out"/*.log; do
  if grep -q '^lockstep .* 0 mismatches' "$f"; then
    read -r g c m < <(sed -n 's/^lockstep .*: \([0-9]*\) GEMMs, \([0-9]*\) cycles, \([0-9]*\) PE MACs.*/\1 \2 \3/p' "$f")
    done_gemms=$((done_gemms + g)); cycles=$((cycles + c)); macs=$((macs + m))
  else
    fails=$((fails + 1)); echo "---- $(basename "$f" .log):"; cat "$f"
  fi
done
echo "regress: $done_gemms GEMMs, $cycles lockstep cycles, $macs PE MACs checked (model = RTL every cycle, = functional model per GEMM) in ${SECONDS} s"
echo "$((n - fails)) passed, $fails failed"

# Large arrays (models only: no Verilated configuration is that large).
bindir=$(dirname "$bin")
large_fails=0
for ((s = first; s < first + seeds; ++s)); do
  for t in test_array_fast test_gemm_large; do
    if ! FP8SA_SEED=$s "$bindir/$t" > "$out/$t.$s.log" 2>&1; then
      large_fails=$((large_fails + 1)); echo "FAIL FP8SA_SEED=$s $bindir/$t"; grep -m 5 -i 'failure\|model' "$out/$t.$s.log"
    fi
  done
done
"$bin" randn --rows 512 --cols 512 --seed 21 --out "$out/A.npy" > /dev/null
"$bin" randn --rows 512 --cols 512 --seed 22 --out "$out/B.npy" > /dev/null
for shape in "64 64" "128 32" "256 256"; do
  set -- $shape
  for opts in "--round rne" "--round sr --out-fmt e4m3 --out-round sr" "--acc e5m10 --round rz --out-fmt bf16"; do
    if "$bin" gemm --rows "$1" --cols "$2" --a "$out/A.npy" --b "$out/B.npy" --fmt-a e4m3 --fmt-b e5m2 $opts \
         --backend functional,cycle --quiet --out "$out/C.npy" > "$out/gemm.log" 2>&1; then
      echo "ok   gemm 512x512x512 on $1x$2 $opts: functional = cycle"
    else
      large_fails=$((large_fails + 1)); echo "FAIL gemm on $1x$2 $opts:"; cat "$out/gemm.log"
    fi
  done
done
echo "regress, large arrays: $large_fails failed"
[ "$fails" -eq 0 ] && [ "$large_fails" -eq 0 ]

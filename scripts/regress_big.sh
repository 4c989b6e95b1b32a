#!/usr/bin/env bash
# make regress, second part: the bench-only Verilated 32x32 array
# (bench/CMakeLists.txt, -DFP8SA_BENCH32=ON) in lockstep with the cycle model,
# SEEDS seeds x GEMMS random GEMMs, two seeds at a time on the cores.
# usage: scripts/regress_big.sh FP8SA_BENCH_BINARY [SEEDS] [GEMMS] [FIRST_SEED]
set -uo pipefail
bin=${1:?usage: regress_big.sh FP8SA_BENCH_BINARY [SEEDS] [GEMMS] [FIRST_SEED]}
seeds=${2:-8}
gemms=${3:-50}
first=${4:-1000}
jobs=$(nproc)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "regress: bench32x32 (Verilated 32x32) x $seeds seeds, $gemms GEMMs each, on $jobs cores"
SECONDS=0
for ((s = first; s < first + seeds; ++s)); do echo "$s"; done |
  xargs -P "$jobs" -I{} sh -c '"$1" --lockstep bench32x32:{}:"$2" > "$3/{}.log" 2>&1; rc=$?;
    if [ $rc -eq 0 ]; then echo "ok   $(tail -1 "$3/{}.log")"; else echo "FAIL bench32x32 seed {}: $1 --lockstep bench32x32:{}:$2"; fi' \
    sh "$bin" "$gemms" "$out"
fails=0
for f in "$out"/*.log; do
  grep -q '^lockstep .* 0 mismatches' "$f" || { fails=$((fails + 1)); echo "---- $(basename "$f" .log):"; tail -40 "$f"; }
done
echo "regress: bench32x32 $((seeds - fails)) passed, $fails failed in ${SECONDS} s"
[ $fails -eq 0 ]

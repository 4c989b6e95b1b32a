#!/usr/bin/env bash
# docs/scale-out.md's measurements: the same job lists run by scripts/jobs.sh
# on the local cores and as Slurm job arrays on the one-node cluster of
# scripts/slurm-local.sh (each Slurm line includes the cluster's start and
# stop), and one plain `fp8sa explore` process; then the merged outputs
# compared byte for byte. Lists: 40 `true` jobs, 20 `sleep 2` jobs, make
# regress's list (SEEDS=2 GEMMS=50), the lockstep of every configuration
# with 2,000 GEMMs (one seed), make explore's sweep in 16 shards.
# Run as root from a built tree (build/bin/fp8sa, test_array_fast,
# test_gemm_large). About 10 minutes on 2 cores.
# usage: scripts/scaleout-bench.sh [OUT_DIR]   (default build/scaleout-bench)
set -u
cd "$(dirname "$0")/.."
M=${1:-build/scaleout-bench}
rm -rf "$M"; mkdir -p "$M"; M=$(realpath "$M")
B=build/bin/fp8sa
{ echo "# root: $PWD"; for i in $(seq -w 1 40); do echo "noop.$i true"; done; } > "$M/noop.list"
{ echo "# root: $PWD"; for i in $(seq -w 1 20); do echo "sleep.$i sleep 2"; done; } > "$M/sleep.list"
scripts/joblist.sh regress $B 2 50 1000 > "$M/regress.list"
# shellcheck disable=SC2046
scripts/joblist.sh regress $B 1 2000 1000 $(cmake -DTABLE=sim/array_configs.txt -DCOLUMNS=name -P cmake/Fp8saConfigTable.cmake) > "$M/regress2000.list"
scripts/joblist.sh explore $B docs/explore/sweep.conf 16 "$M/explore.csv" "$M/exploration.md" docs/area.csv > "$M/explore.list"
t() {
  local name=$1; shift
  local t0 t1 rc; t0=$(date +%s.%N); "$@" > "$M/$name.out" 2>&1; rc=$?; t1=$(date +%s.%N)
  printf 'MEASURE %-22s wall %7.2f s rc %d load %s\n' "$name" "$(echo "$t1 - $t0" | bc)" $rc "$(cut -d' ' -f1-3 /proc/loadavg)"
}
echo "$(nproc) CPUs, $(uname -srm), $(sinfo -V 2>/dev/null || /usr/sbin/slurmctld -V)"
t cluster-start-stop scripts/slurm-local.sh "$M/cluster" true
for l in noop sleep regress regress2000 explore; do
  t $l-local scripts/jobs.sh run "$M/$l.list" "$M/r-$l-local"
  [ $l != explore ] || { mv "$M/explore.csv" "$M/explore-local.csv"; mv "$M/exploration.md" "$M/exploration-local.md"; }
  t $l-slurm scripts/slurm-local.sh "$M/cluster" scripts/jobs.sh run "$M/$l.list" "$M/r-$l-slurm" --sched slurm
  [ $l != explore ] || { mv "$M/explore.csv" "$M/explore-slurm.csv"; mv "$M/exploration.md" "$M/exploration-slurm.md"; }
  for b in local slurm; do
    echo "STATUS $l-$b: $(grep -h 'jobs in' "$M/$l-$b.out") (runner); $(scripts/jobs.sh status "$M/r-$l-$b" | tail -1)"
  done
done
t explore-plain $B explore --config docs/explore/sweep.conf --reproducible --quiet --csv "$M/plain.csv" \
  --run-info "$M/plain.json"
/usr/bin/python3 tools/explore_report.py --csv "$M/plain.csv" --run-info "$M/plain.json" --area docs/area.csv \
  --out "$M/plain.md"
for f in regress regress2000; do
  cmp "$M/r-$f-local/regress.txt" "$M/r-$f-slurm/regress.txt" && echo "IDENTICAL $f: regress.txt (local, slurm)"
done
cmp "$M/explore-local.csv" "$M/explore-slurm.csv" && cmp "$M/explore-local.csv" "$M/plain.csv" &&
  echo "IDENTICAL explore.csv (local list, slurm list, plain)"
cmp "$M/exploration-local.md" "$M/exploration-slurm.md" && cmp "$M/exploration-local.md" "$M/plain.md" &&
  echo "IDENTICAL exploration.md (local list, slurm list, plain)"

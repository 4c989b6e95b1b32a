#!/usr/bin/env bash
# Scaleout.SlurmArrayMatchesLocalRun (docs/scale-out.md): a small make
# regress list (2 configurations x 2 seeds) and a small explore list
# (tests/scaleout/sweep.conf in 3 shards) run on the local cores and as
# Slurm job arrays on a one-node cluster started here
# (scripts/slurm-local.sh); the merged outputs (regress.txt; the explore CSV
# and report) must be byte-identical, and the explore ones identical to one
# plain `fp8sa explore --reproducible` process. Resume: a second run of a
# finished list runs nothing; a failing Slurm task is listed with its
# reproduce line. Fails, never skips: a cluster that does not
# start fails with the daemons' logs.
# usage: slurm_vs_local.sh FP8SA_BINARY SOURCE_DIR WORK_DIR
set -uo pipefail
bin=$(realpath "${1:?usage: slurm_vs_local.sh FP8SA_BINARY SOURCE_DIR WORK_DIR}")
src=$(realpath "${2:?}")
work=${3:?}
rm -rf "$work" && mkdir -p "$work" && work=$(realpath "$work")
cd "$src"
fail() { echo "FAIL: $*"; exit 1; }

scripts/joblist.sh regress "$bin" 2 3 1000 a2x3 a4x4 > "$work/regress.list" || fail "regress list"
scripts/joblist.sh explore "$bin" tests/scaleout/sweep.conf 3 "$work/explore.csv" "$work/exploration.md" docs/area.csv \
  > "$work/explore.list" || fail "explore list"
[ "$(grep -vc '^#' "$work/regress.list")" -eq 4 ] || fail "regress list: expected 4 jobs"
[ "$(grep -vc '^#' "$work/explore.list")" -eq 3 ] || fail "explore list: expected 3 jobs"

# Local runs; the merged outputs set aside.
mkdir -p "$work/local" "$work/slurm"
scripts/jobs.sh run "$work/regress.list" "$work/local/regress" --sched local || fail "local regress run"
scripts/jobs.sh run "$work/explore.list" "$work/local/explore" --sched local || fail "local explore run"
mv "$work/explore.csv" "$work/exploration.md" "$work/local/"
# Resume: nothing left to run.
again=$(scripts/jobs.sh run "$work/regress.list" "$work/local/regress") || fail "resumed run"
grep -q '4 done before, 0 to run' <<<"$again" || fail "resume ran jobs again: $again"

# The same lists as Slurm arrays on the one-node cluster.
scripts/slurm-local.sh "$work/cluster" bash -c '
  set -e
  scripts/jobs.sh run "$1/regress.list" "$1/slurm/regress" --sched slurm
  scripts/jobs.sh run "$1/explore.list" "$1/slurm/explore" --sched slurm --cpus-per-task 1
  # A task that fails is listed with its exit status and a reproduce line.
  printf "# root: %s\nfine.1 true\nbroken.1 exit 3\n" "$1" > "$1/fail.list"
  if scripts/jobs.sh run "$1/fail.list" "$1/slurm/fail" --sched slurm; then echo "a failed task was not reported"; exit 1; fi
  grep -q "^broken.1: failed (.*rc=3).*reproduce: cd " "$1/slurm/fail/failures.txt"
  [ "$(wc -l < "$1/slurm/fail/failures.txt")" -eq 1 ]
' sh "$work" || fail "the Slurm runs (the cluster's logs above)"
mv "$work/explore.csv" "$work/exploration.md" "$work/slurm/"
# The jobs did run as array tasks: one Slurm output file per task.
[ "$(ls "$work/slurm/regress/slurm/"*_*.out 2>/dev/null | wc -l)" -eq 4 ] || fail "regress: not 4 Slurm task outputs"
[ "$(ls "$work/slurm/explore/slurm/"*_*.out 2>/dev/null | wc -l)" -eq 3 ] || fail "explore: not 3 Slurm task outputs"

# One plain explore process over the same sweep.
"$bin" explore --config tests/scaleout/sweep.conf --reproducible --quiet --csv "$work/plain.csv" \
  --run-info "$work/plain.json" > /dev/null || fail "plain explore run"
/usr/bin/python3 tools/explore_report.py --csv "$work/plain.csv" --run-info "$work/plain.json" --area docs/area.csv \
  --out "$work/plain.md" || fail "plain explore report"

rc=0
check() {
  if cmp "$1" "$2"; then echo "identical: $1 $2"; else echo "DIFFER: $1 $2"; diff "$1" "$2" | head -20; rc=1; fi
}
check "$work/local/regress/regress.txt" "$work/slurm/regress/regress.txt"
check "$work/local/explore.csv" "$work/slurm/explore.csv"
check "$work/local/exploration.md" "$work/slurm/exploration.md"
check "$work/local/explore.csv" "$work/plain.csv"
check "$work/local/exploration.md" "$work/plain.md"
[ "$(grep -c '^ok   lockstep .* 0 mismatches' "$work/slurm/regress/regress.txt")" -eq 4 ] || { echo "FAIL: regress.txt"; rc=1; }
[ "$(wc -l < "$work/local/explore.csv")" -eq 13 ] || { echo "FAIL: explore.csv has not 12 points"; rc=1; }
[ $rc -eq 0 ] && echo "PASS: Slurm and local runs merge to identical files"
exit $rc

#!/usr/bin/env bash
# Longer lockstep regression: every named array configuration
# (sim/array_configs.txt) x SEEDS seeds, GEMMS random GEMMs each; then the
# arrays beyond the RTL's sizes: the cycle model's fast-kernel and large-array
# tests over SEEDS seeds, and `fp8sa gemm --backend functional,cycle` GEMMs
# on 64x64, 128x32 and 256x256 arrays (both back-ends must agree bit for bit).
# Every run is one job of a job list (scripts/joblist.sh regress), run by
# scripts/jobs.sh on the local cores or, with SCHED=slurm, as one Slurm job
# array (docs/scale-out.md). Prints one line per job, every failure with the
# one-line command that reproduces it, and the merged summary
# (RESULTS/regress.txt: each job's result in list order and the total
# checked). Jobs whose results exist in RESULTS are not run again (resume;
# a rebuilt binary makes a new list, which starts over).
# usage: scripts/regress.sh FP8SA_BINARY [SEEDS] [GEMMS] [FIRST_SEED]
#   SCHED=local|slurm (default local), SCHED_OPTS: more scripts/jobs.sh run
#   options (e.g. "-j 4" or "--partition cpu --time 30 --mem 2G"),
#   RESULTS: the results folder (default build/jobs/regress).
set -uo pipefail
bin=${1:?usage: regress.sh FP8SA_BINARY [SEEDS] [GEMMS] [FIRST_SEED]}
bin=$(realpath "$bin")
seeds=${2:-8}
gemms=${3:-50}
first=${4:-1000}
cd "$(dirname "$0")/.."
results=${RESULTS:-build/jobs/regress}
mkdir -p "$results" || exit 2
list=$(mktemp)
trap 'rm -f "$list"' EXIT
scripts/joblist.sh regress "$bin" "$seeds" "$gemms" "$first" > "$list" || exit 2
echo "regress: $(grep -vc '^#' "$list") jobs ($(grep -c '^lockstep' "$list") lockstep runs of $gemms GEMMs, $(grep -vc '^#\|^lockstep' "$list") large-array runs), results in $results"
# shellcheck disable=SC2086  # SCHED_OPTS is a list of options
scripts/jobs.sh run "$list" "$results" --sched "${SCHED:-local}" ${SCHED_OPTS:-}

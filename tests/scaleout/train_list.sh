#!/usr/bin/env bash
# Scaleout.SlurmTrainListMatchesOneProcess (docs/scale-out.md): a tiny make
# train grid (two narrow-accumulator recipes x 1 seed on 256 training images)
# as a job list (scripts/joblist.sh train): run on the local cores, run again
# (resume: nothing to run), and as a Slurm job array on a one-node cluster
# (scripts/slurm-local.sh); both merges (--merge --reproducible) must be
# byte-identical to each other and to one `--reproducible` process of the
# same grid: docs/training.md's text, results.csv and curves.png. Fails,
# never skips: no dataset, or a cluster that does not start, fails it.
# usage: train_list.sh PYTHON SOURCE_DIR WORK_DIR
set -uo pipefail
py=${1:?usage: train_list.sh PYTHON SOURCE_DIR WORK_DIR}
src=$(realpath "${2:?}")
work=${3:?}
rm -rf "$work" && mkdir -p "$work" && work=$(realpath "$work")
cd "$src"
fail() { echo "FAIL: $*"; exit 1; }
[ -d /usr/share/datasets/fashion-mnist ] || fail "no Fashion-MNIST (scripts/install-deps.sh python: dataset-fashion-mnist)"
SECONDS=0
grid=(--recipes e8m10-rne,e6m5-sr13 --seeds 1 --epochs 1 --train-subset 256 --test-subset 200 --batch 64)
# Every output goes to one place (doc/fig), moved aside after each run: the
# documents name their plot and CSV by path, so the same path makes the same bytes.
scripts/joblist.sh train "$py" "${grid[@]}" --doc "$work/training.md" --figdir "$work/fig" > "$work/train.list" \
  || fail "train list"
[ "$(grep -vc '^#' "$work/train.list")" -eq 2 ] || fail "train list: expected 2 jobs"
grep -q '^train\.e8m10-rne\.1 ' "$work/train.list" || fail "train list: no job train.e8m10-rne.1"
keep() { mkdir -p "$work/$1" && mv "$work/training.md" "$work/fig" "$work/$1/" || fail "$1: no outputs"; }

scripts/jobs.sh run "$work/train.list" "$work/local/train" --sched local || fail "local train run"
keep local
again=$(scripts/jobs.sh run "$work/train.list" "$work/local/train" --no-merge) || fail "resumed run"
grep -q '2 done before, 0 to run' <<<"$again" || fail "resume ran jobs again: $again"
echo "local list and resume: $SECONDS s"

scripts/slurm-local.sh "$work/cluster" scripts/jobs.sh run "$work/train.list" "$work/slurm/train" --sched slurm \
  || fail "the Slurm run (the cluster's logs above)"
keep slurm
[ "$(ls "$work/slurm/train/slurm/"*_*.out 2>/dev/null | wc -l)" -eq 2 ] || fail "not 2 Slurm task outputs"
echo "with the Slurm run: $SECONDS s"

"$py" -m fp8sa.train_fmnist "${grid[@]}" --reproducible --threads 1 --doc "$work/training.md" --figdir "$work/fig" \
  > "$work/plain.log" 2>&1 || { cat "$work/plain.log"; fail "one-process run"; }
keep plain
echo "with the one-process run: $SECONDS s"

rc=0
for f in training.md fig/results.csv fig/curves.png; do
  for other in slurm plain; do
    if cmp "$work/local/$f" "$work/$other/$f"; then echo "identical: local/$f $other/$f"
    else echo "DIFFER: local/$f $other/$f"; diff "$work/local/$f" "$work/$other/$f" | head -10; rc=1; fi
  done
done
[ "$(wc -l < "$work/local/fig/results.csv")" -eq 3 ] || { echo "FAIL: results.csv has not 2 rows"; rc=1; }
grep -q '^| e6m5-sr13 | 1 | ' "$work/local/training.md" || { echo "FAIL: no e6m5-sr13 row"; rc=1; }
! grep -q 'UTC\|s / epoch' "$work/local/training.md" || { echo "FAIL: a date or a time in the reproducible report"; rc=1; }
[ $rc -eq 0 ] && echo "PASS: the train list merges to the same bytes locally, on Slurm and as one process ($SECONDS s)"
exit $rc

#!/usr/bin/env bash
# Scaleout.JobRunnerResumeFailuresAndErrors: scripts/jobs.sh on the local
# cores: a failing job is listed in RESULTS/failures.txt with a reproduce
# line that, run by hand, fails the same way; the merge waits until every
# job passed; a second run reruns only the failed job; bad lists and a
# foreign results folder are refused with exit status 2.
# usage: runner_checks.sh SOURCE_DIR WORK_DIR
set -uo pipefail
src=$(realpath "${1:?usage: runner_checks.sh SOURCE_DIR WORK_DIR}")
work=${2:?}
rm -rf "$work" && mkdir -p "$work" && work=$(realpath "$work")
jobs=$src/scripts/jobs.sh
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

cat > "$work/list" <<EOL
# root: $work
# merge: cat "\$RESULTS"/jobs/*/x > "\$RESULTS/merged"
a echo a > "\$OUT/x"
b echo b > "\$OUT/x"; echo "b says why" >&2; test -f $work/fixed
c echo c > "\$OUT/x"
EOL
out=$("$jobs" run "$work/list" "$work/r" -j 2 2>&1); rc=$?
check "a failed job makes run exit 1" [ $rc -eq 1 ]
check "the failure is listed once, with its exit status" [ "$(grep -c '^b: failed (.*rc=1)' "$work/r/failures.txt" 2>/dev/null)" = 1 ]
check "only the failed job is listed" [ "$(wc -l < "$work/r/failures.txt")" = 1 ]
check "its log's tail is printed" grep -q 'b says why' <<<"$out"
check "no merge while a job failed" [ ! -e "$work/r/merged" ]
repro=$(sed -n 's/^b: .*reproduce: //p' "$work/r/failures.txt")
check "the reproduce line is one line" [ "$(wc -l <<<"$repro")" = 1 ]
bash -c "$repro" > /dev/null 2>&1
check "the reproduce line fails the same way" [ $? -eq 1 ]
touch "$work/fixed"
bash -c "$repro" > /dev/null 2>&1
check "the reproduce line passes once fixed" [ $? -eq 0 ]
out=$("$jobs" run "$work/list" "$work/r" 2>&1); rc=$?
check "the rerun passes" [ $rc -eq 0 ]
check "the rerun runs only the failed job" grep -q '2 done before, 1 to run' <<<"$out"
check "the merge ran, in list order" [ "$(tr -d '\n' < "$work/r/merged")" = abc ]
check "no failures.txt once all passed" [ ! -e "$work/r/failures.txt" ]
check "status: 3 passed" grep -q '3 passed, 0 failed' <<<"$("$jobs" status "$work/r")"
# Another list in the same folder starts over.
sed 's/^c echo c/c echo C/' "$work/list" > "$work/list2"
out=$("$jobs" run "$work/list2" "$work/r" 2>&1)
check "another list starts over" grep -q '0 done before, 3 to run' <<<"$out"
check "its merge has its results" [ "$(tr -d '\n' < "$work/r/merged")" = abC ]
# Refusals: exit 2, one line.
refused() {
  local name=$1 want=$2; shift 2
  local err rc; err=$("$@" 2>&1 > /dev/null); rc=$?
  if [ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q -- "$want" <<<"$err"; then ok "$name"; else bad "$name: rc $rc: $err"; fi
}
printf '# root: %s\nx true\nx true\n' "$work" > "$work/dup"
refused "a repeated ID" "job ID 'x' appears twice" "$jobs" run "$work/dup" "$work/r2"
printf 'x true\n' > "$work/noroot"
refused "a list without root" "no '# root: DIR' line" "$jobs" run "$work/noroot" "$work/r2"
printf '# root: %s\nx/y true\n' "$work" > "$work/badid"
refused "a bad ID" "expected 'ID COMMAND'" "$jobs" run "$work/badid" "$work/r2"
printf '# root: %s\n.. true\n' "$work" > "$work/dotdot"
refused "the ID '..' (its folder would be the results folder)" "expected 'ID COMMAND'" "$jobs" run "$work/dotdot" "$work/r2"
mkdir -p "$work/foreign" && touch "$work/foreign/precious"
refused "a foreign non-empty folder" "not a results folder" "$jobs" run "$work/list" "$work/foreign"
check "the foreign folder is untouched" [ -f "$work/foreign/precious" ]
refused "a bad scheduler" "expected local or slurm" "$jobs" run "$work/list" "$work/r" --sched lsf
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

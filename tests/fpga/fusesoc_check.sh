#!/usr/bin/env bash
# The FuseSoC core file (fp8sa.core): every RTL file is listed in it, FuseSoC
# (pinned in scripts/requirements-test.txt) parses it, and its lint target
# runs Verilator -Wall on the array through FuseSoC and edalize.
# usage: fusesoc_check.sh REPO_ROOT WORK_DIR
set -uo pipefail
root=${1:?}; work=${2:?}
fusesoc=${FP8SA_VENV:-$root/build/venv}/bin/fusesoc
[ -x "$fusesoc" ] || { echo "FAIL: $fusesoc missing (scripts/install-deps.sh core installs it)"; exit 1; }
fail=0
for f in "$root"/rtl/*.vh "$root"/rtl/*/*.v "$root"/rtl/*/*.vh; do
  rel=${f#"$root"/}
  grep -qE "^[[:space:]]*- ${rel}(:|$)" "$root/fp8sa.core" || { echo "FAIL: $rel is not in fp8sa.core"; fail=1; }
done
rm -rf "$work"; mkdir -p "$work"; cd "$work"
out=$("$fusesoc" --cores-root "$root" core-info fp8sa:ip:fp8sa 2>&1)
if grep -q "^Name: *fp8sa:ip:fp8sa:" <<<"$out" && grep -qE "^lint +:" <<<"$out"; then
  echo "ok   fusesoc core-info: $(grep '^Name:' <<<"$out")"
else
  echo "FAIL fusesoc core-info:"; echo "$out" | tail -5; fail=1
fi
out=$("$fusesoc" --cores-root "$root" run --target lint fp8sa:ip:fp8sa 2>&1); rc=$?
if [ $rc -eq 0 ] && ! grep -q "%Warning\|%Error" <<<"$out"; then
  echo "ok   fusesoc run --target lint (verilator -Wall through edalize)"
else
  echo "FAIL fusesoc lint (exit $rc):"; echo "$out" | tail -10; fail=1
fi
[ $fail -eq 0 ] && echo "fusesoc check: OK" || echo "fusesoc check: FAILED"
exit $fail

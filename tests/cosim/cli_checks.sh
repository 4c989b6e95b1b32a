#!/usr/bin/env bash
# The fp8sa CLI: TestFloat files on both back-ends, and clear errors
# (exit status 2, one line naming the problem) on bad input.
# usage: cli_checks.sh FP8SA_BINARY VECTORS_DIR
set -uo pipefail
bin=${1:?usage: cli_checks.sh FP8SA VECTORS_DIR}
vec=${FP8SA_VECTORS:-${2:-}}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
expect() {  # name want_rc want_regex cmd...
  local name=$1 want_rc=$2 want=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq "$want_rc" ] && grep -qE "$want" <<<"$out"; then
    pass=$((pass+1)); echo "ok   $name"
  else
    fail=$((fail+1)); echo "FAIL $name: rc $rc (want $want_rc), output:"; echo "$out" | tail -5
  fi
}

if [ -f "$vec/f32_add_rne_l1.tv" ]; then
  for be in model rtl; do
    expect "vectors rne $be" 0 '^46464 passed, 0 failed$' "$bin" vectors --op add --acc e8m23 --round rne --backend $be "$vec/f32_add_rne_l1.tv"
    expect "vectors rtz $be" 0 '^46464 passed, 0 failed$' "$bin" vectors --op add --acc e8m23 --round rtz --backend $be "$vec/f32_add_rtz_l1.tv"
  done
  # The wrong rounding mode must fail (exit 1) and print failures.
  expect "vectors rne file with rtz" 1 'FAIL .*expected' "$bin" vectors --op add --acc e8m23 --round rtz --backend model "$vec/f32_add_rne_l1.tv"
else
  fail=$((fail+1)); echo "FAIL vectors: $vec/f32_add_rne_l1.tv not found (they ship in tests/vectors; FP8SA_VECTORS overrides)"
fi

printf '3F800000 3F800000 40000000 00\n' > "$tmp/good.tv"
printf '3F800000 3F800000 40000000 00\n3F80000 zz 40000000 00\n' > "$tmp/bad_hex.tv"
printf '3F800000 3F800000 40000000\n' > "$tmp/short.tv"
printf '3F800000 3F800000 40000000 00 7\n' > "$tmp/long.tv"
printf '3F800000 3F800000 40000000 FF\n' > "$tmp/flags.tv"
expect "one good line" 0 '^1 passed, 0 failed$' "$bin" vectors --round rne "$tmp/good.tv"
expect "malformed hex names line 2" 2 'bad_hex.tv:2: operand b' "$bin" vectors --round rne "$tmp/bad_hex.tv"
expect "too few fields" 2 'short.tv:1: expected 4 fields' "$bin" vectors --round rne "$tmp/short.tv"
expect "too many fields" 2 'long.tv:1: expected 4 fields' "$bin" vectors --round rne "$tmp/long.tv"
expect "bad flags" 2 'flags.tv:1: flags' "$bin" vectors --round rne "$tmp/flags.tv"
expect "missing file" 2 'cannot open' "$bin" vectors --round rne "$tmp/nope.tv"
expect "unknown option" 2 'unknown option --frobnicate' "$bin" vectors --frobnicate --round rne "$tmp/good.tv"
expect "unknown backend" 2 "backend: 'gpu'" "$bin" vectors --round rne --backend gpu "$tmp/good.tv"
expect "bad acc format" 2 'e9m23' "$bin" vectors --round rne --acc e9m23 "$tmp/good.tv"
expect "unsupported op" 2 "op: 'mul'" "$bin" vectors --op mul --round rne "$tmp/good.tv"
expect "sr has no vectors" 2 'round sr' "$bin" vectors --round sr "$tmp/good.tv"
expect "missing --round" 2 'missing required option --round' "$bin" vectors "$tmp/good.tv"
expect "rtl backend, unbuilt format" 2 'not Verilated' "$bin" vectors --round rne --acc e8m10 --backend rtl "$tmp/good.tv"
expect "value wider than format" 2 'bits above the 19-bit e8m10' "$bin" vectors --round rne --acc e8m10 "$tmp/good.tv"
expect "unknown command" 2 "unknown command 'frob'" "$bin" frob
expect "demo runs and matches" 0 '^PASS: 0 mismatching' "$bin" demo --k 300 --seed 3

# gemm: three back-ends agree; bad .npy files and options give exit 2.
"$bin" randn --rows 5 --cols 19 --seed 1 --out "$tmp/A.npy" >/dev/null
"$bin" randn --rows 19 --cols 7 --seed 2 --out "$tmp/B.npy" >/dev/null
"$bin" randn --rows 18 --cols 7 --seed 3 --out "$tmp/B18.npy" >/dev/null
expect "gemm all back-ends agree (ragged 5x19x7 on 2x3)" 0 'PASS: all back-ends bit-identical' "$bin" gemm --rows 2 --cols 3 --a "$tmp/A.npy" --b "$tmp/B.npy" --fmt-a e4m3 --fmt-b e5m2 --round sr --out-fmt bf16 --out-round sr --backend all --out "$tmp/C.npy"
expect "gemm shape mismatch" 2 'shape mismatch: B has 18 rows, expected 19' "$bin" gemm --rows 2 --cols 3 --a "$tmp/A.npy" --b "$tmp/B18.npy" --backend functional
head -c 100 "$tmp/A.npy" > "$tmp/trunc.npy"
expect "gemm truncated npy" 2 'truncated' "$bin" gemm --a "$tmp/trunc.npy" --b "$tmp/B.npy" --backend functional
printf 'not a numpy file' > "$tmp/junk.npy"
expect "gemm not npy" 2 'bad magic' "$bin" gemm --a "$tmp/junk.npy" --b "$tmp/B.npy" --backend functional
python3 - "$tmp/i16.npy" <<'PY' 2>/dev/null || printf '\x93NUMPY\x01\x00\x46\x00{"descr": "<i2", "fortran_order": False, "shape": (2, 2), }' > "$tmp/i16.npy"
import sys
hdr = "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 2), }"
hdr += " " * (64 - 11 - len(hdr)) + "\n"
open(sys.argv[1], "wb").write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode() + bytes(8))
PY
expect "gemm wrong dtype" 2 "unsupported dtype '<i2'" "$bin" gemm --a "$tmp/i16.npy" --b "$tmp/B.npy" --backend functional
expect "gemm rows out of range" 2 'rows: 0 is out of range' "$bin" gemm --rows 0 --a "$tmp/A.npy" --b "$tmp/B.npy"
expect "gemm unbuilt rtl config" 2 'no Verilated array is 3x3' "$bin" gemm --rows 3 --cols 3 --a "$tmp/A.npy" --b "$tmp/B.npy" --backend rtl
expect "lockstep unknown config" 2 "array configuration 'zz' is not built" "$bin" lockstep --config zz
echo "${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ]

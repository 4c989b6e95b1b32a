#!/usr/bin/env bash
# fp8sa board on the simulated boards, as a user runs it: a GEMM from .npy
# files through the Verilated board core and its UART, bit-compared with the
# functional model (exit 0, "PASS"), and one-line exit-2 errors for bad use.
# usage: board_cli.sh FP8SA_BINARY
set -uo pipefail
bin=${1:?usage: board_cli.sh FP8SA}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
expect() {  # name want_rc want_regex cmd...
  local name=$1 want_rc=$2 want=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq "$want_rc" ] && grep -qE "$want" <<<"$out"; then
    pass=$((pass+1)); echo "ok   $name"
  else
    fail=$((fail+1)); echo "FAIL $name: rc $rc (want $want_rc), output:"; echo "$out" | tail -8
  fi
}
one_line() {  # name cmd...: exit 2 and exactly one line on stderr, nothing on stdout
  local name=$1; shift
  local out err rc
  out=$("$@" 2>"$tmp/err"); rc=$?; err=$(cat "$tmp/err")
  if [ "$rc" -eq 2 ] && [ -z "$out" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]; then
    pass=$((pass+1)); echo "ok   $name: $err"
  else
    fail=$((fail+1)); echo "FAIL $name: rc $rc, stdout '$out', stderr '$err'"
  fi
}

"$bin" randn --rows 5 --cols 40 --seed 1 --out "$tmp/A.npy" > /dev/null
"$bin" randn --rows 40 --cols 3 --seed 2 --out "$tmp/B.npy" > /dev/null
expect "icebreaker sim: 5x40x3 SR, bit-exact" 0 'PASS: all back-ends bit-identical' \
  "$bin" board --sim --a "$tmp/A.npy" --b "$tmp/B.npy" --fmt-b e5m2 --round sr --quiet
expect "icebreaker sim: throughput line" 0 'board link: [0-9]+ bytes sent, [0-9]+ received; .* MAC/s including the link' \
  "$bin" board --sim --a "$tmp/A.npy" --b "$tmp/B.npy" --quiet --out "$tmp/C.npy"
expect "ulx3s sim: E4M3 output with SR, bit-exact" 0 'PASS: all back-ends bit-identical' \
  "$bin" board --sim --board ulx3s --a "$tmp/A.npy" --b "$tmp/B.npy" --out-fmt e4m3 --out-round sr --quiet
one_line "neither --port nor --sim" "$bin" board --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "both --port and --sim" "$bin" board --sim --port /dev/null --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "no such port" "$bin" board --port /nonexistent/ttyUSB9 --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "not a serial port" "$bin" board --port /dev/null --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "unsupported baud" "$bin" board --port /dev/null --baud 12345 --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "unknown simulated board" "$bin" board --sim --board nosuch --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "quantized output on a board without quantizers" \
  "$bin" board --sim --a "$tmp/A.npy" --b "$tmp/B.npy" --out-fmt e4m3
"$bin" randn --rows 2 --cols 2000 --seed 3 --out "$tmp/Along.npy" > /dev/null
"$bin" randn --rows 2000 --cols 2 --seed 4 --out "$tmp/Blong.npy" > /dev/null
expect "K over the board's K_MAX" 2 "K = 2000 is over the board's K_MAX of 1024" \
  "$bin" board --sim --a "$tmp/Along.npy" --b "$tmp/Blong.npy"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

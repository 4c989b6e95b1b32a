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
# Issue 21: the throughput report: board time in the board's cycles at its
# SYS_HZ, the array's share against its peak, and the real link's bound.
expect "icebreaker sim: board time in cycles" 0 'board time: [0-9]+ cycles at [0-9.]+ MHz .* [0-9.e+]+ MAC/s' \
  "$bin" board --sim --a "$tmp/A.npy" --b "$tmp/B.npy" --quiet
expect "icebreaker sim: the array against its peak" 0 'array at work .* MAC/s = [0-9.]+ % of the peak [0-9]+ x [0-9]+ x [0-9]+ x [0-9.]+ MHz' \
  "$bin" board --sim --a "$tmp/A.npy" --b "$tmp/B.npy" --quiet
expect "ulx3s sim: the baud rate's bound and B kept on chip" 0 'with B kept on chip across A tiles \(computed\): [0-9.]+ bytes per MAC, at [0-9]+ baud at most' \
  "$bin" board --sim --board ulx3s --a "$tmp/A.npy" --b "$tmp/B.npy" --c "$tmp/C.npy" --quiet
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

# Issue 18. Item 1: --vcd paths are checked before the simulation, and a
# write error while tracing is one line, exit 2 (was a deadlock in
# Verilated's fatal path, or exit 0 with no file).
one_line_err() {  # name regex cmd...: exit 2, one line on stderr matching regex, within 120 s
  local name=$1 want=$2; shift 2
  local rc err
  timeout 120 "$@" >/dev/null 2>"$tmp/err"; rc=$?; err=$(cat "$tmp/err")
  if [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && grep -qE -- "$want" <<<"$err"; then
    pass=$((pass+1)); echo "ok   $name: $err"
  else
    fail=$((fail+1)); echo "FAIL $name: rc $rc (want 2, one line /$want/), stderr '$(head -c 300 "$tmp/err")'"
  fi
}
one_line_err "--vcd /dev/full: one line, exit 2 (was a hang)" '^fp8sa board: error: --vcd /dev/full: write error' \
  "$bin" board --sim --vcd /dev/full --a "$tmp/A.npy" --b "$tmp/B.npy" --quiet
one_line_err "--vcd in a missing folder (was exit 0, no file)" 'cannot create: No such file' \
  "$bin" board --sim --vcd /nonexistent/x.vcd --a "$tmp/A.npy" --b "$tmp/B.npy" --quiet
one_line_err "--vcd a directory (was exit 0, no file)" 'directory' \
  "$bin" board --sim --vcd "$tmp" --a "$tmp/A.npy" --b "$tmp/B.npy" --quiet
# A write error in mid-run: a 256 KiB file-size limit (SIGXFSZ ignored, so the write fails with EFBIG).
one_line_err "a VCD write error in mid-run (file size limit): one line, exit 2" 'write error: File too large' \
  bash -c "ulimit -f 256; trap '' XFSZ; exec '$bin' board --sim --vcd '$tmp/big.vcd' --a '$tmp/A.npy' --b '$tmp/B.npy' --quiet"
expect "a good --vcd is written" 0 'PASS' "$bin" board --sim --vcd "$tmp/ok.vcd" --a "$tmp/A.npy" --b "$tmp/B.npy" --quiet
if grep -q 'enddefinitions' "$tmp/ok.vcd" 2>/dev/null; then pass=$((pass+1)); echo "ok   the VCD has its header"
else fail=$((fail+1)); echo "FAIL no VCD header in $tmp/ok.vcd"; fi
# Messages: "error:", no repeated "board:", seconds as written (a pty
# master, /dev/ptmx, is a serial port that never answers).
one_line_err "a silent port: 'error:', one 'board:', seconds as given" '^fp8sa board: error: no reply within 0.2 s \(/dev/ptmx\)$' \
  "$bin" board --port /dev/ptmx --timeout 0.2 --a "$tmp/A.npy" --b "$tmp/B.npy"
start=$(date +%s)
one_line_err "a missing operand is found before the board is asked (was after its timeout)" 'nonexistent.npy: cannot open file' \
  "$bin" board --port /dev/ptmx --timeout 30 --a /nonexistent.npy --b "$tmp/B.npy"
[ $(( $(date +%s) - start )) -lt 10 ] && { pass=$((pass+1)); echo "ok   ... at once"; } || { fail=$((fail+1)); echo "FAIL the missing operand waited for the board"; }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# `fp8sa board --port` from a build without Verilator, against a model board
# on a pseudo-terminal:
#   1. configure the tree with -DFP8SA_WITH_RTL=OFF -DFP8SA_WITH_TESTS=OFF
#      (its cache must hold no Verilator entry) and build the fp8sa target;
#   2. board_responder (the C++ cycle model answering the protocol's frames,
#      written from docs/fpga.md) serves a pty; `fp8sa board --port PTY` runs
#      GEMMs on it (SR accumulation over several tiles, a quantized SR
#      output, C init words) and compares them with its functional model: PASS;
#   3. what that build lacks (--sim, --backend rtl, lockstep) and a bad port:
#      one line, exit 2, naming FP8SA_WITH_RTL=ON where the RTL is missing.
# usage: nortl_board_port.sh SOURCE_DIR WORK_DIR CXX BOARD_RESPONDER [COMPILER_LAUNCHER]
set -uo pipefail
src=${1:?}; work=${2:?}; cxx=${3:?}; responder=${4:?}; launcher=${5:-}
mkdir -p "$work"
launch=()
[ -n "$launcher" ] && launch=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
echo "== configure and build the CLI with FP8SA_WITH_RTL=OFF"
if ! cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" "${launch[@]}" \
     -DFP8SA_WITH_RTL=OFF -DFP8SA_WITH_TESTS=OFF -DFP8SA_PYTHON=OFF > "$work/configure.log" 2>&1; then
  echo "FAIL: configure"; tail -20 "$work/configure.log"; exit 1
fi
if grep -qE '^verilator_DIR[:=]' "$work/build/CMakeCache.txt"; then
  echo "FAIL: the FP8SA_WITH_RTL=OFF configure looked for Verilator"; exit 1
fi
if ! cmake --build "$work/build" --target fp8sa -j 2 > "$work/build.log" 2>&1; then
  echo "FAIL: build"; tail -30 "$work/build.log"; exit 1
fi
bin=$work/build/bin/fp8sa
tmp=$(mktemp -d)
rpid=
cleanup() { [ -n "$rpid" ] && kill "$rpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; }

start_board() {  # ROWS COLS ACC SEED: a model board; sets $port
  [ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
  rm -f "$tmp/port"
  "$responder" "$@" "$tmp/port" 2>"$tmp/responder.log" &
  rpid=$!
  for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  port=$(cat "$tmp/port" 2>/dev/null)
  [ -n "$port" ] || { echo "FAIL: board_responder gave no pty"; cat "$tmp/responder.log"; exit 1; }
}
expect() {  # name regex cmd...: exit 0, PASS (board and model agree), and the output matches regex
  local name=$1 want=$2; shift 2
  local out rc
  out=$(timeout 120 "$@" 2>&1); rc=$?
  if [ "$rc" -eq 0 ] && grep -q 'PASS: all back-ends bit-identical' <<<"$out" && grep -qE "$want" <<<"$out"; then ok "$name"
  else bad "$name: rc $rc, output:"; echo "$out" | tail -12; fi
}
one_line() {  # name regex cmd...: exit 2, nothing on stdout, one line on stderr matching regex
  local name=$1 want=$2; shift 2
  local out err rc
  out=$(timeout 60 "$@" 2>"$tmp/err"); rc=$?; err=$(cat "$tmp/err")
  if [ "$rc" -eq 2 ] && [ -z "$out" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && grep -qE -- "$want" <<<"$err"; then
    ok "$name: $err"
  else
    bad "$name: rc $rc (want 2), stdout '$out', stderr '$err'"
  fi
}

"$bin" randn --rows 5 --cols 40 --seed 1 --out "$tmp/A.npy" > /dev/null
"$bin" randn --rows 40 --cols 7 --seed 2 --out "$tmp/B.npy" > /dev/null
"$bin" randn --rows 5 --cols 7 --seed 3 --out "$tmp/C.npy" > /dev/null

# A narrow accumulator with SR: every tile rounds, so a model board whose
# LFSRs restarted per tile (or a host that tiled differently) would differ.
start_board 2 3 e6m9 0x1234
expect "model board 2x3 e6m9: 5x40x7 with SR (3 x 3 tiles, LFSRs across tiles), bit-exact" \
  'flags \(OR of all tiles\): inexact' \
  "$bin" board --port "$port" --a "$tmp/A.npy" --b "$tmp/B.npy" --fmt-b e5m2 --round sr --quiet
expect "the same link again: E4M3 output with SR (the quantizers' LFSRs), and the throughput line" \
  'board link: [0-9]+ bytes sent, [0-9]+ received' \
  "$bin" board --port "$port" --a "$tmp/A.npy" --b "$tmp/B.npy" --out-fmt e4m3 --out-round sr --quiet
start_board 3 2 e8m23 0xBEEF
expect "model board 3x2 e8m23 (INFO's array is the host's model): C init words, RZ, BF16 output" \
  'on a 3x2 array' \
  "$bin" board --port "$port" --a "$tmp/A.npy" --b "$tmp/B.npy" --c "$tmp/C.npy" --round rz --out-fmt bf16 \
  --out "$tmp/out.npy" --quiet
[ -s "$tmp/out.npy" ] && ok "--out written" || bad "--out not written"

one_line "--sim names how to get it" 'FP8SA_WITH_RTL=ON' "$bin" board --sim --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "--backend rtl names how to get it" 'FP8SA_WITH_RTL=ON' "$bin" gemm --backend rtl --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "--backend rtl:a4x4 names how to get it" 'FP8SA_WITH_RTL=ON' "$bin" gemm --backend rtl:a4x4 --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "lockstep names how to get it" 'FP8SA_WITH_RTL=ON' "$bin" lockstep
one_line "not a serial port" '/dev/null: not a serial port' "$bin" board --port /dev/null --a "$tmp/A.npy" --b "$tmp/B.npy"
one_line "a silent port" 'no reply within 0.2 s' "$bin" board --port /dev/ptmx --timeout 0.2 --a "$tmp/A.npy" --b "$tmp/B.npy"
expect "gemm --backend all: the model back-ends of this build" 'functional.*reference' \
  "$bin" gemm --a "$tmp/A.npy" --b "$tmp/B.npy" --quiet
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

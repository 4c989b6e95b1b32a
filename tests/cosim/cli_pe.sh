#!/usr/bin/env bash
# fp8sa gemm / explore with the PE kinds (docs/numerics.md section 10):
# presets and their contradiction rules, bad PE parameters (exit 2, one line
# naming the option), and the back-ends agreeing on each kind.
# usage: cli_pe.sh FP8SA_BINARY
set -uo pipefail
bin=${1:?usage: cli_pe.sh FP8SA}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
expect() {  # name want_rc want_regex cmd...
  local name=$1 want_rc=$2 want=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq "$want_rc" ] && grep -qE -- "$want" <<<"$out"; then
    pass=$((pass+1)); echo "ok   $name"
  else
    fail=$((fail+1)); echo "FAIL $name: rc $rc (want $want_rc), output:"; echo "$out" | tail -5
  fi
  # Every error is one line.
  if [ "$want_rc" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ]; then
    fail=$((fail+1)); echo "FAIL $name: the error is not one line"
  fi
}

"$bin" randn --rows 9 --cols 77 --seed 1 --out "$tmp/A.npy" >/dev/null
"$bin" randn --rows 77 --cols 10 --seed 2 --out "$tmp/B.npy" >/dev/null
"$bin" randn --rows 9 --cols 10 --seed 3 --out "$tmp/C.npy" >/dev/null
g() { "$bin" gemm --a "$tmp/A.npy" --b "$tmp/B.npy" --rows 2 --cols 3 --quiet "$@"; }
ge() { g --backend functional "$@"; }  # errors are found before any back-end runs

# Every kind and preset: functional and cycle back-ends bit-identical (K = 77
# is no multiple of 32: the last step is padded).
for p in h100-fp8 ada-fp8 b200-fp8 exact fma; do
  expect "preset $p: back-ends agree" 0 'PASS: all back-ends bit-identical' g --preset $p --backend functional,cycle
done
expect "h100-fp8 report names the PE" 0 'acc e8m13, PE dot 32 align 13, preset h100-fp8 rz' g --preset h100-fp8 --backend functional
expect "dot, SR trunc, C init, quantized out" 0 'PASS' g --pe dot --dot-n 8 --align-bits 20 --acc e8m10 --round sr --sr-kind trunc --c "$tmp/C.npy" --out-fmt e4m3 --out-round sr --backend functional,cycle
expect "exact, SR src, C init" 0 'PASS' g --pe exact --dot-n 4 --acc e6m9 --round sr --sr-kind src --c "$tmp/C.npy" --backend functional,cycle
expect "dot with promotion" 0 'PASS' g --pe dot --dot-n 4 --promote 8 --acc e5m10 --backend functional,cycle
expect "agreeing option accepted" 0 'PASS' g --preset h100-fp8 --round rz --acc e8m13 --dot-n 32 --backend functional,cycle

# Without --rows/--cols an RTL back-end takes a Verilated array with these
# PE parameters: the three back-ends on the h100-fp8 PE, and on exact.
expect "h100-fp8 --backend all" 0 'config h100_2x2.*PASS: all back-ends bit-identical' \
  bash -c "'$bin' gemm --a '$tmp/A.npy' --b '$tmp/B.npy' --preset h100-fp8 --backend all --quiet | tr '\n' ' '"
expect "exact --backend all" 0 'config x4x4.*PASS: all back-ends bit-identical' \
  bash -c "'$bin' gemm --a '$tmp/A.npy' --b '$tmp/B.npy' --pe exact --c '$tmp/C.npy' --backend all --quiet | tr '\n' ' '"
expect "rtl:h100_2x2 with C and SR" 0 'PASS: all back-ends bit-identical' \
  bash -c "'$bin' gemm --a '$tmp/A.npy' --b '$tmp/B.npy' --config h100_2x2 --c '$tmp/C.npy' --out-fmt e5m2 --out-round sr --backend all --quiet | tr '\n' ' '"

# The built parameters (seed, SR widths, LFSR, pipeline: the field list's
# Built role) are a Verilated configuration's own: given, the model
# back-ends run them, and an RTL back-end must have been built with them.
expect "--sr-bits on the model back-ends" 0 'PASS' g --sr-bits 8 --lfsr-w 16 --round sr --backend functional,cycle
expect "--mul-stages vs the RTL" 2 '--mul-stages: the Verilated a2x3 is built with MUL_STAGES 0' g --mul-stages 1 --backend all
expect "--seed vs the RTL" 2 '--seed: the Verilated a2x3 is built with SEED 0x2B7E1516' g --seed 5 --backend all
expect "--q-sr-bits vs --config" 2 '--q-sr-bits: the Verilated a4x4 is built with Q_SR_BITS 16' "$bin" gemm --a "$tmp/A.npy" --b "$tmp/B.npy" --config a4x4 --q-sr-bits 8 --backend rtl --quiet
expect "--lfsr-w below the SR widths" 2 'lfsr_w 8 out of range \[16, 32\]' ge --lfsr-w 8

# Presets refuse contradicting options.
expect "preset vs --round" 2 '--round rne contradicts --preset h100-fp8 \(rz\)' ge --preset h100-fp8 --round rne
expect "preset vs --acc" 2 '--acc e8m23 contradicts --preset ada-fp8 \(e8m13\)' ge --preset ada-fp8 --acc e8m23
expect "preset vs --dot-n" 2 '--dot-n 16 contradicts --preset h100-fp8 \(32\)' ge --preset h100-fp8 --dot-n 16
expect "preset vs --align-bits" 2 '--align-bits 25 contradicts --preset b200-fp8 \(31\)' ge --preset b200-fp8 --align-bits 25
expect "preset vs --pe" 2 '--pe fma contradicts --preset exact \(exact\)' ge --preset exact --pe fma
expect "unknown preset" 2 "bad preset 'h200': expected h100-fp8, ada-fp8, b200-fp8, exact, fma" g --preset h200

# Bad PE parameters.
expect "dot-n 3" 2 'dot_n 3 is not a power of two' ge --pe dot --dot-n 3
expect "dot-n 128" 2 'dot-n' ge --pe dot --dot-n 128
expect "dot-n with fma" 2 '--dot-n 4 needs --pe dot or exact' ge --dot-n 4
expect "align-bits 0" 2 'align-bits' ge --pe dot --align-bits 0
expect "align-bits 49" 2 'align-bits' ge --pe dot --align-bits 49
expect "align-bits with exact" 2 '--align-bits applies to --pe dot only' ge --pe exact --align-bits 20
expect "promote with exact" 2 'promote_n 8 with pe exact' ge --pe exact --promote 8
expect "promote not a multiple of dot-n" 2 'promote_n 6 is not a multiple of dot_n 4' ge --pe dot --dot-n 4 --promote 6
expect "bad pe" 2 "pe" g --pe kulisch
expect "bad sr-kind" 2 "sr-kind" g --sr-kind nearest

# fp8sa explore takes the PE keys.
cat > "$tmp/ok.conf" <<'CONF'
trials = 8
k = 100
[sweep h100]
pe = dot
dot_n = 32
align_bits = 13
acc = e8m13
round = rz
promote = 0, 64
[sweep exact]
pe = exact
dot_n = 1, 8
[sweep srk]
acc = e8m10
round = sr
sr_bits = 4
sr_kind = mid, trunc, src
CONF
expect "explore with PE keys" 0 '7 points' "$bin" explore --config "$tmp/ok.conf" --csv "$tmp/ok.csv" --quiet
if [ -f "$tmp/ok.csv" ] && head -1 "$tmp/ok.csv" | grep -q ',pe,dot_n,align_bits,sr_kind$' && grep -q ',dot,32,13,-$' "$tmp/ok.csv"; then
  pass=$((pass+1)); echo "ok   explore CSV carries the PE columns"
else
  fail=$((fail+1)); echo "FAIL explore CSV carries the PE columns"
fi
printf '[sweep a]\npe = dot\ndot_n = 3\n' > "$tmp/bad1.conf"
expect "explore dot_n 3" 2 'bad1.conf:3: dot_n: 3 is not a power of two' "$bin" explore --config "$tmp/bad1.conf" --quiet
printf '[sweep a]\npe = dot\ndot_n = 4\npromote = 6\n' > "$tmp/bad2.conf"
expect "explore promote not a multiple" 2 'bad2.conf:4: promote: 6 is not a multiple of dot_n 4' "$bin" explore --config "$tmp/bad2.conf" --quiet
printf '[sweep a]\npe = kulisch\n' > "$tmp/bad3.conf"
expect "explore bad pe" 2 "bad3.conf:2: pe: bad PE kind 'kulisch'" "$bin" explore --config "$tmp/bad3.conf" --quiet

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

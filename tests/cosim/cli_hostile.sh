#!/usr/bin/env bash
# The fp8sa CLI as a hostile user would drive it: every case here once
# crashed, wrapped, over-allocated, reported success on failure or silently
# ignored an option (issue "Harden the core"), or is of the same class. Each
# must end with one line naming the problem and exit status 2, under a memory
# limit far below what the file claims; options must work as documented.
# usage: cli_hostile.sh FP8SA_BINARY
set -uo pipefail
bin=${1:?usage: cli_hostile.sh FP8SA}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
# Memory bound for every run: an address-space limit (the binary needs about
# 60 MiB), so a reader that allocates what a header claims (480 MB and up)
# fails here. Under AddressSanitizer (make sanitize sets FP8SA_SANITIZED),
# whose shadow memory needs terabytes of address space, ASan's own cap on a
# single allocation does the same.
MEM_KB=200000
limited() {
  if [ -n "${FP8SA_SANITIZED:-}" ]; then
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:max_allocation_size_mb=200:allocator_may_return_null=0" "$@"
  else
    (ulimit -v $MEM_KB; "$@")
  fi
}
expect() {  # name want_rc want_regex cmd...
  local name=$1 want_rc=$2 want=$3; shift 3
  local out rc
  out=$(limited "$@" 2>&1); rc=$?
  if [ "$rc" -eq "$want_rc" ] && grep -qE -- "$want" <<<"$out"; then
    pass=$((pass+1)); echo "ok   $name"
  else
    fail=$((fail+1)); echo "FAIL $name: rc $rc (want $want_rc, /$want/), output:"; echo "$out" | tail -5
  fi
}
# An error is exactly one line on stderr and nothing after it.
one_line_error() {  # name regex cmd...
  local name=$1 want=$2; shift 2
  local err rc
  err=$(limited "$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -qE -- "$want" <<<"$err"; then
    pass=$((pass+1)); echo "ok   $name"
  else
    fail=$((fail+1)); echo "FAIL $name: rc $rc (want 2 and one line /$want/), stderr:"; echo "$err" | head -5
  fi
}
# mknpy FILE DICT DATA: a version 1.0 .npy with this header dict and the
# bytes of printf format DATA.
mknpy() {
  local len=${#2}
  { printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $((len >> 8)))"
    printf '%s' "$2"; printf "$3"; } > "$1"
}
hdr() { echo "{'descr': '${2:-|u1}', 'fortran_order': False, 'shape': $1, }"; }

mknpy "$tmp/g.npy" "$(hdr '(2, 2)')" '\x38\x38\x38\x38'
G="$tmp/g.npy"

# 1. The .npy reader.
mknpy "$tmp/wrap.npy" "$(hdr '(9223372036854775809, 2)')" '\x01\x02'
one_line_error "A whose element count wraps 2^64 (was SIGSEGV)" 'wrap.npy: .*2\^63' "$bin" gemm --a "$tmp/wrap.npy" --b "$G" --backend functional
one_line_error "B whose element count wraps 2^64 (was SIGSEGV)" 'wrap.npy: .*2\^63' "$bin" gemm --a "$G" --b "$tmp/wrap.npy" --backend functional
mknpy "$tmp/wrap2.npy" "$(hdr '(4611686018427387905, 4)')" '\x01\x02\x03\x04'
one_line_error "product of shape entries wraps 2^64" '2\^64 or more elements' "$bin" gemm --a "$tmp/wrap2.npy" --b "$G" --backend functional
mknpy "$tmp/big.npy" "$(hdr '(500000000,)')" "$(printf '\\x00%.0s' {1..60})"
one_line_error "500 M elements claimed by a small file: no allocation" 'big.npy: truncated: .*needs 500000000 data bytes, the file has 60' "$bin" gemm --a "$tmp/big.npy" --b "$G" --backend functional
mknpy "$tmp/huge.npy" "$(hdr '(10000000000000000,)')" '\x00'
one_line_error "10^16 elements claimed (was bad_alloc, exit 3)" 'huge.npy: truncated' "$bin" gemm --a "$tmp/huge.npy" --b "$G" --backend functional
one_line_error "10^16 elements through a pipe" 'truncated' bash -c "cat '$tmp/huge.npy' | '$bin' gemm --a /dev/stdin --b '$G' --backend functional"
for s in '(2, -3)' '' '(2.9, 2)' '(2 2, 2)' '(3)' '(02, 2)'; do
  mknpy "$tmp/s.npy" "$(hdr "$s")" '\x00\x00\x00\x00\x00\x00'
  one_line_error "shape '$s' rejected (negative/empty were exit 3, others accepted)" 's.npy: bad .npy header' "$bin" gemm --a "$tmp/s.npy" --b "$G" --backend functional
done
{ printf '\x93NUMPY\x01\x07\x46\x00'; printf '%-70s' "$(hdr '(2, 2)')"; printf '\x38\x38\x38\x38'; } > "$tmp/v17.npy"
one_line_error "version 1.7 rejected (was accepted)" 'version 1.7' "$bin" gemm --a "$tmp/v17.npy" --b "$G" --backend functional
mknpy "$tmp/dup.npy" "{'descr': '|u1', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }" '\x38\x38\x38\x38'
one_line_error "repeated descr rejected (first was kept)" "key 'descr' appears more than once" "$bin" gemm --a "$tmp/dup.npy" --b "$G" --backend functional
one_line_error "a directory as input" 'is a directory' "$bin" gemm --a "$tmp" --b "$G" --backend functional

# 2. Output files and options.
"$bin" randn --rows 16 --cols 16 --seed 1 --out "$tmp/A.npy" >/dev/null
A="$tmp/A.npy"
"$bin" randn --rows 4 --cols 16 --seed 3 --out "$tmp/A4.npy" >/dev/null
"$bin" randn --rows 16 --cols 4 --seed 4 --out "$tmp/B4.npy" >/dev/null
one_line_error "gemm --out /dev/full with a 4x4 result fails (was exit 0)" '/dev/full: write error' "$bin" gemm --a "$tmp/A4.npy" --b "$tmp/B4.npy" --backend functional --out /dev/full
one_line_error "randn --out /dev/full fails (was exit 0)" '/dev/full: write error' "$bin" randn --rows 4 --cols 4 --out /dev/full
out=$(limited "$bin" gemm --a "$A" --b "$A" --backend all --out "$tmp/no/such/dir.npy" 2>&1); rc=$?
if [ $rc -eq 2 ] && ! grep -q '^rtl ' <<<"$out" && grep -q 'cannot create output file' <<<"$out"; then
  pass=$((pass+1)); echo "ok   a bad --out path fails before any back-end runs"
else fail=$((fail+1)); echo "FAIL bad --out path: rc $rc"; echo "$out" | tail -3; fi
[ -e "$tmp/no" ] && { fail=$((fail+1)); echo "FAIL bad --out left something behind"; }
expect "--config NAME is used (a4x4 on all back-ends)" 0 'on a 4x4 array \(config a4x4\).*' "$bin" gemm --config a4x4 --a "$A" --b "$A" --backend all
expect "--config a4x4_e8m15 brings its accumulator" 0 'acc e8m15' "$bin" gemm --config a4x4_e8m15 --a "$A" --b "$A" --backend all
one_line_error "--config contradicted by --rows" 'contradicts --config a4x4' "$bin" gemm --config a4x4 --rows 8 --a "$A" --b "$A"
one_line_error "--config unknown" "no configuration 'zz'" "$bin" gemm --config zz --a "$A" --b "$A"
for o in "--scale 3" "--sat" "--out-round sr"; do
  one_line_error "$o with fp32 output is an error (was ignored)" 'applies to quantized outputs only' "$bin" gemm --a "$A" --b "$A" $o
done
expect "--rows 010 is decimal 10 (was octal 8)" 0 'on a 10x8 array' "$bin" gemm --rows 010 --a "$A" --b "$A" --backend functional
expect "--rows 08 is 8 (was 'not an integer')" 0 'on a 8x8 array' "$bin" gemm --rows 08 --a "$A" --b "$A" --backend functional
expect "--out-fmt FP32 (was rejected)" 0 'out fp32' "$bin" gemm --out-fmt FP32 --a "$A" --b "$A" --backend functional
expect "--out-round rz on every back-end" 0 'PASS: all back-ends bit-identical' "$bin" gemm --config a4x4 --out-fmt e5m2 --out-round rz --a "$A" --b "$A" --backend all
expect "--backend list" 0 'PASS: all back-ends bit-identical' "$bin" gemm --rows 3 --cols 5 --a "$A" --b "$A" --backend functional,cycle
one_line_error "--out-fmt fp64 lists fp32 among the choices" 'not one of: fp32, e4m3' "$bin" gemm --out-fmt fp64 --a "$A" --b "$A"
one_line_error "randn --sigma 1e999 (was internal error)" 'sigma: 1e999 overflows' "$bin" randn --rows 2 --cols 2 --sigma 1e999 --out "$tmp/x.npy"
one_line_error "randn --sigma abc (was 'error: stod')" "sigma: 'abc' is not a finite number" "$bin" randn --rows 2 --cols 2 --sigma abc --out "$tmp/x.npy"
one_line_error "randn stray argument (was ignored)" "unexpected argument 'stray'" "$bin" randn --rows 2 --cols 2 --out "$tmp/x.npy" stray
one_line_error "lockstep stray argument (was ignored)" "unexpected argument 'stray'" "$bin" lockstep stray
one_line_error "an option given twice" 'given more than once' "$bin" gemm --rows 4 --rows 5 --a "$A" --b "$A"

# 1b. The TestFloat reader.
: > "$tmp/empty.tv"; printf '\n  \n\t\n' > "$tmp/blank.tv"
one_line_error "empty vector file is an error (was '0 passed, 0 failed')" 'no test cases' "$bin" vectors --round rne "$tmp/empty.tv"
one_line_error "blank-only vector file is an error" 'no test cases' "$bin" vectors --round rne "$tmp/blank.tv"
head -c 5000000 /dev/zero | tr '\0' 'A' > "$tmp/long.tv"
err=$("$bin" vectors --round rne "$tmp/long.tv" 2>&1 >/dev/null)
if [ ${#err} -lt 200 ] && grep -q 'line longer than 256' <<<"$err"; then pass=$((pass+1)); echo "ok   a 5 MB token is not echoed (message ${#err} bytes)"
else fail=$((fail+1)); echo "FAIL 5 MB token: message ${#err} bytes"; fi
one_line_error "endless input (/dev/zero) ends at the line cap" 'line longer than 256' "$bin" vectors --round rne /dev/zero

# 5. Help and the report.
for c in gemm randn lockstep vectors demo; do
  expect "fp8sa help $c" 0 "usage: fp8sa $c" "$bin" help $c
  expect "fp8sa $c --help" 0 "usage: fp8sa $c" "$bin" $c --help
done
expect "gemm help documents --quiet and its defaults" 0 '--quiet' "$bin" gemm --help
expect "vectors help documents --max-print" 0 '--max-print N .*\[default: 50\]' "$bin" vectors --help
expect "lockstep help documents --max-k" 0 '--max-k K .*\[default: 40\]' "$bin" lockstep --help
"$bin" randn --rows 4 --cols 4 --sigma 1e5 --out "$tmp/Abig.npy" >/dev/null
expect "saturated float32 inputs are counted" 0 'A: 16 float32 values quantized to e4m3 \(RNE, saturating\): [0-9]+ rounded, [1-9][0-9]* saturated' "$bin" gemm --a "$tmp/Abig.npy" --b "$tmp/Abig.npy" --backend functional
expect "error against the unquantized float32 inputs" 0 'error vs float64 of the float32 inputs' "$bin" gemm --a "$A" --b "$A" --backend functional
# float32 with +Inf, NaN and 1e6 in a 2x2 A.
mknpy "$tmp/special.npy" "$(hdr '(2, 2)' '<f4')" '\x00\x00\x80\x7f\x00\x00\xc0\x7f\x00\x24\x74\x49\x00\x00\x80\x3f'
expect "Inf mapped and NaN kept are counted" 0 '1 saturated to \+-max, 1 Inf mapped to \+-max, 1 NaN kept' "$bin" gemm --a "$tmp/special.npy" --b "$G" --backend functional
mknpy "$tmp/nan.npy" "$(hdr '(2, 2)')" '\x7f\x7f\x7f\x7f'
expect "no finite output: said so, not 0" 0 'no finite output to compare \(4 non-finite\)' "$bin" gemm --a "$tmp/nan.npy" --b "$G" --backend functional
expect "--check full" 0 'over all 256 outputs' "$bin" gemm --a "$A" --b "$A" --backend functional --check full
expect "--check none" 0 'error check: none' "$bin" gemm --a "$A" --b "$A" --backend functional --check none

# 6. fp8sa explore (issue 11): its sweep file and options.
expect "fp8sa help explore" 0 "usage: fp8sa explore" "$bin" help explore
printf 'seed = 1\n[sweep a]\nacc = e8m10\ncolour = red\n' > "$tmp/bad_key.conf"
one_line_error "explore: unknown sweep key names file:line" 'bad_key.conf:4: unknown key .colour.' "$bin" explore --config "$tmp/bad_key.conf"
printf '[sweep a]\nacc = e9m10\n' > "$tmp/bad_acc.conf"
one_line_error "explore: accumulator out of range" 'exponent bits.*out of range' "$bin" explore --config "$tmp/bad_acc.conf"
printf '[sweep a]\nk = 65536\n' > "$tmp/bad_k.conf"
one_line_error "explore: K above 65535" 'k .*65535' "$bin" explore --config "$tmp/bad_k.conf"
printf 'acc = e8m10\n' > "$tmp/no_sec.conf"
one_line_error "explore: a sweep file without a section" 'no \[sweep NAME\] section' "$bin" explore --config "$tmp/no_sec.conf"
printf '[sweep a]\nacc = e8m10\nnot a key value line\n' > "$tmp/bad_line.conf"
one_line_error "explore: a line that is not key = value" "bad_line.conf:3: expected 'key = value" "$bin" explore --config "$tmp/bad_line.conf"
printf '[sweep a]\nk = 64\ntrials = 4\ndata = npy:%s\n' "$G" > "$tmp/npy_u8.conf"
one_line_error "explore: a non-float32 tensor" 'dtype \|u1, expected float32' "$bin" explore --config "$tmp/npy_u8.conf" --quiet
one_line_error "explore: --quick and --config together" 'exactly one of --config FILE and --quick' "$bin" explore --quick --config "$tmp/bad_k.conf"
one_line_error "explore: a missing sweep file" 'cannot read sweep file' "$bin" explore --config "$tmp/none.conf"
"$bin" randn --rows 8 --cols 64 --seed 3 --out "$tmp/act.npy" >/dev/null
printf '[sweep a]\nacc = e8m10\nround = rne, sr\nk = 64\ntrials = 8\ndata = npy:%s\n' "$tmp/act.npy" > "$tmp/npy.conf"
expect "explore: a float32 .npy tensor as data" 0 '2 points \(0 cached\)' "$bin" explore --config "$tmp/npy.conf" --quiet --csv "$tmp/e.csv"
expect "explore: the CSV has the points" 0 'fp8sa,e8m10,sr,16,0,64,e4m3,npy:' cat "$tmp/e.csv"
expect "explore: a first cached run" 0 '2 points \(0 cached\)' "$bin" explore --config "$tmp/npy.conf" --quiet --cache "$tmp/c"
expect "explore: a cached rerun" 0 '2 points \(2 cached\)' "$bin" explore --config "$tmp/npy.conf" --quiet --cache "$tmp/c"
# Scale-out (issue 23, docs/scale-out.md): shards and the cache-only merge.
one_line_error "explore: --shard out of range" "--shard '0/4': expected I/N" "$bin" explore --quick --shard 0/4
one_line_error "explore: --shard without N" "--shard '3': expected I/N" "$bin" explore --quick --shard 3
one_line_error "explore: --cached-only with points missing" '--cached-only: [0-9]* of [0-9]* points are not in the cache' "$bin" explore --quick --quiet --cached-only --cache "$tmp/empty_cache"
expect "explore: a cached-only merge of a full cache" 0 '2 points \(2 cached\)' "$bin" explore --config "$tmp/npy.conf" --quiet --cache "$tmp/c" --cached-only

# 7. Issue 18 ("Harden the newer surfaces"): explore, FIFOs, named values.
# Item 3: a FIFO that nobody writes blocked open() for ever. Now: one line
# after a bounded wait (5 s), exit 2; the four readers run in parallel.
mkfifo "$tmp/fifo"
printf '[sweep a]\nk = 16\ntrials = 4\ndata = npy:%s\n' "$tmp/fifo" > "$tmp/fifo_npy.conf"
i=0
for cmd in "explore --config $tmp/fifo" "explore --quiet --config $tmp/fifo_npy.conf" "gemm --a $tmp/fifo --b $G --backend functional" "vectors --round rne $tmp/fifo"; do
  i=$((i+1))
  ( err=$(limited timeout 60 "$bin" $cmd 2>&1 >/dev/null); echo "$? $err" > "$tmp/fifo_res.$i" ) &
done
wait
i=0
for what in "explore --config" "explore data = npy:" "gemm --a" "vectors"; do
  i=$((i+1))
  read -r rc err < "$tmp/fifo_res.$i"
  if [ "$rc" = 2 ] && grep -q 'FIFO with no writer' <<<"$err" && [ "$(wc -l < "$tmp/fifo_res.$i")" -eq 1 ]; then
    pass=$((pass+1)); echo "ok   $what on a FIFO with no writer: one line, exit 2 (was a hang)"
  else fail=$((fail+1)); echo "FAIL $what on a FIFO with no writer: rc $rc: $err"; fi
done
( sleep 1; cat "$G" > "$tmp/fifo" ) &
expect "a FIFO whose writer comes a second later still reads" 0 'PASS|on a 8x8 array' timeout 60 "$bin" gemm --a "$tmp/fifo" --b "$G" --backend functional
wait
# Item 4: unbounded reads of devices.
one_line_error "explore --config /dev/zero stops at the 1 MiB cap (grew without bound)" "sweep file '/dev/zero' is over the limit of 1048576 bytes" "$bin" explore --config /dev/zero
# The report is tools/explore_report.py (from the CSV and --run-info); its inputs are capped alike.
report_py=(/usr/bin/python3 "$(cd "$(dirname "$0")/../.." && pwd)/tools/explore_report.py")
"$bin" explore --quick --quiet --reproducible --csv "$tmp/q.csv" --run-info "$tmp/q.json" > /dev/null
one_line_error "explore report: --area /dev/zero stops at its cap (read for 28 s, then exit 0)" "area table .* over the limit" "${report_py[@]}" --csv "$tmp/q.csv" --run-info "$tmp/q.json" --out "$tmp/r.md" --area /dev/zero
# Item 5: points and bytes are counted before anything is allocated.
printf 'acc = e4..8m2..23\nround = rne, rz, sr\nsr_bits = 2..24\nk = 1..65535\n[sweep big]\n' > "$tmp/huge_points.conf"
one_line_error "a 90-byte sweep of ~2e8 points is refused at once, naming --max-points" 'over the limit of 100000; raise it with --max-points' "$bin" explore --config "$tmp/huge_points.conf"
printf '[sweep big]\ntrials = 1048576\nk = 65535\n' > "$tmp/huge_mem.conf"
one_line_error "trials = 2^20, k = 65535 is refused, naming --max-memory (was bad_alloc)" 'huge_mem.conf:1: \[sweep big\]: .*over the limit of 4096 MiB; raise it with --max-memory' "$bin" explore --config "$tmp/huge_mem.conf"
printf '[sweep a]\nseed = 0..9223372036854775807\nk = 4\ntrials = 4\n' > "$tmp/seed_range.conf"
one_line_error "a seed range of 2^63 values is counted, not expanded" 'over the limit of 100000' "$bin" explore --config "$tmp/seed_range.conf"
one_line_error "--max-points 1 refuses a 2-point sweep" 'points .*over the limit of 1; raise it with --max-points' "$bin" explore --config "$tmp/npy.conf" --max-points 1
# Messages: the bad line, section headers, duplicates, files checked first.
printf '[sweep a]\nacc = e8m10\nround = rne\n\nk = 70000\n' > "$tmp/bad_line5.conf"
one_line_error "explore: an error names the bad line (5), not the section header (1)" 'bad_line5.conf:5: k' "$bin" explore --config "$tmp/bad_line5.conf"
printf '[sweepfoo]\nk = 4\n' > "$tmp/sweepfoo.conf"
one_line_error "explore: [sweepfoo] is not a section header (was the section 'foo')" "sweepfoo.conf:1: expected a section header" "$bin" explore --config "$tmp/sweepfoo.conf"
printf '[sweep a]\nk = 4\ntrials = 4\n[sweep a]\nk = 8\n' > "$tmp/dup_sec.conf"
one_line_error "explore: a section defined twice (was merged silently)" 'dup_sec.conf:4: section \[sweep a\] is already defined at line 1' "$bin" explore --config "$tmp/dup_sec.conf"
out=$(limited "$bin" explore --quick --run-info /nonexistent/r.json 2>&1); rc=$?
if [ $rc -eq 2 ] && ! grep -q 'points (' <<<"$out" && grep -q -- "--run-info '/nonexistent/r.json'" <<<"$out"; then
  pass=$((pass+1)); echo "ok   explore: a bad --run-info path fails before the sweep (was after it)"
else fail=$((fail+1)); echo "FAIL explore --run-info /nonexistent: rc $rc"; echo "$out" | tail -3; fi
one_line_error "explore report: a bad --out path fails before any input is read" "--out '/nonexistent/r.md': cannot create" "${report_py[@]}" --csv /dev/zero --run-info /dev/zero --out /nonexistent/r.md
one_line_error "explore report: --area of a missing file is an error (was exit 0 without areas)" "cannot read area table .*nonexistent.csv" "${report_py[@]}" --csv "$tmp/q.csv" --run-info "$tmp/q.json" --out "$tmp/r.md" --area /nonexistent.csv
one_line_error "explore: --area is the report script's, not the command's (it would be ignored)" 'unknown option --area' "$bin" explore --quick --area "$tmp/x.csv"
mknpy "$tmp/allnan.npy" "$(hdr '(4,)' '<f4')" '\x00\x00\xc0\x7f\x00\x00\xc0\x7f\x00\x00\xc0\x7f\x00\x00\xc0\x7f'
mknpy "$tmp/allzero.npy" "$(hdr '(4,)' '<f4')" '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
for t in allnan allzero; do
  printf '[sweep a]\nk = 4\ntrials = 4\ndata = npy:%s\n' "$tmp/$t.npy" > "$tmp/$t.conf"
  one_line_error "explore: an $t npy tensor is refused (gave a row of zero errors)" 'no finite non-zero value' "$bin" explore --quiet --config "$tmp/$t.conf"
done
expect "explore: the npy data set's note is printed (was never)" 0 'data npy:.*act.npy.*512 values, scaled by 2\^' "$bin" explore --config "$tmp/npy.conf" --quiet
# Named values are case-insensitive (README).
printf '[SWEEP a]\ndata = Normal, UNIFORM\nRound = RNE, Sr\nModel = FP8SA\nacc = E8M10\nk = 16\ntrials = 4\n' > "$tmp/case.conf"
expect "explore: data = Normal (was refused), [SWEEP a], RNE, E8M10" 0 '4 points \(0 cached\)' "$bin" explore --quiet --config "$tmp/case.conf"
expect "lockstep --config A4X4 (was 'not built')" 0 'lockstep a4x4 seed 1: 1 GEMMs' "$bin" lockstep --config A4X4 --gemms 1
expect "gemm --config A4X4" 0 'config a4x4' "$bin" gemm --config A4X4 --a "$A" --b "$A" --backend functional
# vectors --help offered an e8m15 RTL adder that is not built.
out=$("$bin" vectors --help)
if grep -q 'e8m23 only' <<<"$out" && ! grep -q 'e8m15' <<<"$out"; then pass=$((pass+1)); echo "ok   vectors --help names the one RTL adder built (e8m23)"
else fail=$((fail+1)); echo "FAIL vectors --help: $(grep -- '--backend' <<<"$out")"; fi
one_line_error "vectors --backend rtl --acc e8m15: not built, one line" 'not built|no .*e8m15|e8m15' "$bin" vectors --round rne --backend rtl --acc e8m15 /dev/null

echo "${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ]

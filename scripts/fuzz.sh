#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target of tests/fuzz for SECONDS, starting
# from its committed seed corpus, and prints executions, corpus size and
# findings per target. A finding (crash, sanitizer report, leak, timeout,
# allocation over the limit) is written to FUZZ_DIR/findings/ and fails the
# run: reproduce it with `FUZZ_DIR/bin/fuzz_T FILE`, fix it, and commit the file
# to tests/fuzz/corpus/T/ as regress-<what>, so that make test replays it.
# usage: fuzz.sh FUZZ_DIR SECONDS [TARGET...]   (TARGET: npy, testfloat, args, sweep,
# board_reply, or the binary's name fuzz_T; default: all of them)
set -uo pipefail
dir=${1:?usage: fuzz.sh FUZZ_DIR SECONDS [TARGET...]}
secs=${2:?usage: fuzz.sh FUZZ_DIR SECONDS [TARGET...]}
shift 2
targets=()
for t in "$@"; do targets+=("${t#fuzz_}"); done   # "sweep" or "fuzz_sweep"
[ ${#targets[@]} -gt 0 ] || targets=(npy testfloat args sweep board_reply)
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/findings"
declare -A maxlen=([npy]=8192 [testfloat]=2048 [args]=512 [sweep]=4096 [board_reply]=4096)
status=0
summary=""
for t in "${targets[@]}"; do
  bin="$dir/bin/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz.sh: $bin not built" >&2; exit 2; }
  work="$dir/corpus/$t"
  mkdir -p "$work"
  log="$dir/fuzz_$t.log"
  echo "fuzz: $t for ${secs}s (log $log)"
  # -malloc_limit_mb: any single allocation over 64 MB is a finding (the
  # parsers must stay bounded by their input); -timeout: 10 s per input.
  "$bin" -max_total_time="$secs" -max_len="${maxlen[$t]:-4096}" -timeout=10 -rss_limit_mb=1024 \
    -malloc_limit_mb=64 -print_final_stats=1 -artifact_prefix="$dir/findings/$t-" \
    "$work" "$root/tests/fuzz/corpus/$t" > "$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  units=$(ls "$work" | wc -l)
  found=$(ls "$dir/findings" | grep -c "^$t-" || true)
  line=$(printf '%-10s %6ss %12s execs %8s/s  coverage %5s  corpus %5s  findings %s' "$t" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$units" "$found")
  echo "$line"
  summary+="$line"$'\n'
  if [ $rc -ne 0 ] || [ "$found" -ne 0 ]; then
    status=1
    echo "fuzz: $t: FINDING (exit $rc); see $log and $dir/findings/" >&2
    grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -5 >&2
  fi
done
echo
echo "fuzz summary:"
printf '%s' "$summary"
exit $status

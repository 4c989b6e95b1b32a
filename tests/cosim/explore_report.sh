#!/usr/bin/env bash
# Explore.ReportFromQuickSweep: the report script (tools/explore_report.py)
# over fp8sa explore --quick's CSV and run info. Its numbers must be the
# CSV's (the cliff's e8m4 RNE bias at K = 4096, the Hopper table's e8m13 RZ
# row, recomputed here with awk from the CSV columns); a --reproducible run
# has no date or speed table and is the same bytes twice; a measured run has
# the date, the nine speed rows and the cache hits of a second, cached run.
# usage: explore_report.sh FP8SA_BINARY SOURCE_DIR
set -uo pipefail
bin=${1:?usage: explore_report.sh FP8SA SOURCE_DIR}
src=${2:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
report() { /usr/bin/python3 "$src/tools/explore_report.py" --area "$src/docs/area.csv" "$@"; }
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

"$bin" explore --quick --quiet --reproducible --csv "$tmp/q.csv" --run-info "$tmp/q.json" > /dev/null || fail=1
report --csv "$tmp/q.csv" --run-info "$tmp/q.json" --out "$tmp/a.md" || fail=1
report --csv "$tmp/q.csv" --run-info "$tmp/q.json" --out "$tmp/b.md" || fail=1
check "reproducible: the same bytes twice" 'cmp -s "$tmp/a.md" "$tmp/b.md"'
check "reproducible: no date, no speed table" '! grep -qE "UTC|MAC/CPU-s" "$tmp/a.md" && grep -q "Not measured in a .--reproducible. report" "$tmp/a.md"'
# The CSV's own numbers, formatted as the report does (%.3g of 100 x bias).
pct() { awk -F, -v m="$1" -v a="$2" -v r="$3" -v p="$4" -v c="$5" \
  'NR > 1 && $1 == m && $2 == a && $3 == r && $5 == p && $6 == 4096 && $8 == "uniform" { printf "%.3g%%", 100 * $c; exit }' "$tmp/q.csv"; }
e8m4=$(pct fp8sa e8m4 rne 0 14)
check "the cliff table holds e8m4 RNE's bias at K = 4096 ($e8m4)" 'grep "^| 4 |" "$tmp/a.md" | grep -qF "| $e8m4 \\|"'
mean=$(pct fp8sa e8m13 rz 0 11); bias=$(pct fp8sa e8m13 rz 0 14)
check "the Hopper table's e8m13 RZ row ($mean, bias $bias)" 'grep -qF "| uniform | e8m13 RZ | $mean |" "$tmp/a.md" && grep -F "| uniform | e8m13 RZ |" "$tmp/a.md" | grep -qF "| $bias |"'
blk=$(awk -F, 'NR > 1 && $1 == "km-block" { printf "%.3g%%", -100 * $14; exit }' "$tmp/q.csv")
check "the block model's loss ($blk) in the Hopper summary" 'grep -qF "the block model $blk (max" "$tmp/a.md"'

"$bin" explore --quick --quiet --reproducible --cache "$tmp/cache" > /dev/null || fail=1
"$bin" explore --quick --quiet --cache "$tmp/cache" --csv "$tmp/m.csv" --run-info "$tmp/m.json" > /dev/null || fail=1
report --csv "$tmp/m.csv" --run-info "$tmp/m.json" --out "$tmp/m.md" || fail=1
check "measured: the date and nine speed rows" 'grep -qE " on 20[0-9-]+ [0-9:]+ UTC" "$tmp/m.md" && [ "$(grep -cE "^\| e[0-9]+m[0-9]+ \| (rne|rz|sr) \| [0-9.e+]+ \|" "$tmp/m.md")" -eq 9 ]'
check "measured: the second run's 11 points all from the cache" 'grep -qF "11 points (11 from the cache)" "$tmp/m.md"'
[ $fail -eq 0 ] && echo "PASS: the report's numbers are the CSV's"
exit $fail

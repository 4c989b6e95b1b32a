#!/usr/bin/env bash
# The job lists of make regress, make explore, make synth and make train (the format:
# scripts/jobs.sh; docs/scale-out.md), written to stdout, and the regress
# list's merge step. The same arguments give the same list, byte for byte;
# a list names the build it runs (a hash of the binaries), so that a rebuilt
# binary makes a new list and its results are not mixed with older ones.
#
# usage: scripts/joblist.sh regress FP8SA_BINARY SEEDS GEMMS FIRST_SEED [CONFIG ...]
#          lockstep of every named configuration (sim/array_configs.txt; or
#          the CONFIGs given) x SEEDS seeds; with no CONFIG also the large
#          arrays' jobs (the model's large-array tests, functional = cycle
#          GEMMs on 64x64 .. 256x256). Merge: RESULTS/regress.txt.
#        scripts/joblist.sh explore FP8SA_BINARY SWEEP SHARDS CSV [REPORT AREA [PLOTS]]
#          fp8sa explore --shard I/SHARDS of the sweep file, points cached in
#          RESULTS/cache. Merge: CSV and REPORT (--reproducible, computing
#          nothing: every point must be in the cache; the report by
#          tools/explore_report.py from the CSV and --run-info), the plots in PLOTS.
#        scripts/joblist.sh synth [AREA_CSV]
#          one Yosys run per job (synth/area.sh --list). Merge: AREA_CSV
#          (default docs/area.csv), its report and plots, as synth/area.sh.
#        scripts/joblist.sh train PYTHON [TRAIN_ARGS ...]
#          one job per run of the recipe x seed grid (python -m fp8sa.train_fmnist
#          TRAIN_ARGS --run RECIPE:REGIME:SEED --run-out $OUT/run.json; the
#          runs from its --list-runs, which checks the options and the data
#          first). Merge: --merge RESULTS/jobs --reproducible: the --doc
#          (default docs/training/recipes.md) and --figdir (docs/training) of
#          TRAIN_ARGS, the same bytes as one --reproducible process.
#        scripts/joblist.sh merge-regress RESULTS
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
die() { echo "joblist.sh: $*" >&2; exit 2; }
q() { printf '%q' "$1"; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

case ${1:-} in
regress)
  [ $# -ge 5 ] || die "usage: joblist.sh regress FP8SA_BINARY SEEDS GEMMS FIRST_SEED [CONFIG ...]"
  bin=$(realpath "$2"); seeds=$3; gemms=$4; first=$5; shift 5
  [ -x "$bin" ] || die "no binary '$bin'"
  for v in "$seeds" "$gemms" "$first"; do [[ $v =~ ^[0-9]+$ ]] || die "'$v' is not a number"; done
  bindir=$(dirname "$bin")
  configs=("$@"); large=0
  if [ ${#configs[@]} -eq 0 ]; then
    mapfile -t configs < <(cmake -DTABLE=sim/array_configs.txt -DCOLUMNS=name -P cmake/Fp8saConfigTable.cmake)
    large=1
  fi
  echo "# fp8sa job list: make regress, ${#configs[@]} configurations x $seeds seeds from $first, $gemms GEMMs each"
  echo "# root: $root"
  if [ $large -eq 1 ]; then
    echo "# build: $(hash_of "$bin" "$bindir/test_array_fast" "$bindir/test_gemm_large")"
  else
    echo "# build: $(hash_of "$bin")"
  fi
  echo "# merge: scripts/joblist.sh merge-regress \"\$RESULTS\""
  for c in "${configs[@]}"; do
    [[ $c =~ ^[a-z0-9_]+$ ]] || die "configuration name '$c'"
    for ((s = first; s < first + seeds; ++s)); do
      echo "lockstep.$c.$s $(q "$bin") lockstep --config $c --seed $s --gemms $gemms --vcd \"\$OUT/lockstep.vcd\""
    done
  done
  [ $large -eq 1 ] || exit 0
  # Large arrays (models only: no Verilated configuration is that large).
  for ((s = first; s < first + seeds; ++s)); do
    for t in test_array_fast test_gemm_large; do
      echo "large.$t.$s FP8SA_SEED=$s $(q "$bindir/$t")"
    done
  done
  ab="$(q "$bin") randn --rows 512 --cols 512 --seed 21 --out \"\$OUT/A.npy\" && $(q "$bin") randn --rows 512 --cols 512 --seed 22 --out \"\$OUT/B.npy\""
  for shape in 64x64 128x32 256x256; do
    r=${shape%x*}; c=${shape#*x}
    for opts in "--round rne" "--round sr --out-fmt e4m3 --out-round sr" "--acc e5m10 --round rz --out-fmt bf16"; do
      id=$(echo "gemm.$shape.$opts" | sed 's/--//g; s/ /_/g')
      echo "$id $ab && $(q "$bin") gemm --rows $r --cols $c --a \"\$OUT/A.npy\" --b \"\$OUT/B.npy\" --fmt-a e4m3 --fmt-b e5m2 $opts --backend functional,cycle --quiet --out \"\$OUT/C.npy\" && rm \"\$OUT\"/*.npy"
    done
  done
  ;;
merge-regress)
  [ $# -eq 2 ] || die "usage: joblist.sh merge-regress RESULTS"
  r=$2; out=$r/regress.txt
  g=0; cy=0; m=0; n=0
  while read -r id; do
    n=$((n + 1))
    case $id in
      lockstep.*)
        line=$(grep -m1 '^lockstep .* 0 mismatches' "$r/jobs/$id/log") || die "$id: no lockstep result in its log"
        echo "ok   $line"
        read -r a b c < <(sed -n 's/^lockstep .*: \([0-9]*\) GEMMs, \([0-9]*\) cycles, \([0-9]*\) PE MACs.*/\1 \2 \3/p' <<<"$line")
        g=$((g + a)); cy=$((cy + b)); m=$((m + c)) ;;
      large.*) t=${id#large.}; echo "ok   FP8SA_SEED=${t##*.} ${t%.*}" ;;
      gemm.*) echo "ok   $id: functional = cycle" ;;
      *) echo "ok   $id" ;;
    esac
  done < <(awk '!/^#/ && NF > 0 {print $1}' "$r/jobs.list") > "$out"
  echo "regress: $g GEMMs, $cy lockstep cycles, $m PE MACs checked (model = RTL every cycle, = functional model per GEMM); $n jobs passed" >> "$out"
  cat "$out"
  echo "regress: merged into $out"
  ;;
explore)
  [ $# -ge 5 ] || die "usage: joblist.sh explore FP8SA_BINARY SWEEP SHARDS CSV [REPORT AREA [PLOTS]]"
  # (the sweep file relative to the root when it is inside: the report names it)
  bin=$(realpath "$2"); sweep=$(realpath "$3"); shards=$4; csv=$(realpath -m "$5")
  case $sweep in "$root"/*) sweep=${sweep#"$root"/} ;; esac
  report=${6:-}; area=${7:-}; plots=${8:-}
  [ -x "$bin" ] || die "no binary '$bin'"
  [ -f "$sweep" ] || die "no sweep file '$sweep'"
  [[ $shards =~ ^[1-9][0-9]*$ ]] || die "shards '$shards': expected a positive number"
  echo "# fp8sa job list: make explore, $(basename "$sweep") in $shards shards"
  echo "# root: $root"
  echo "# build: $(hash_of "$bin" "$sweep")"
  merge="$(q "$bin") explore --config $(q "$sweep") --cache \"\$RESULTS/cache\" --cached-only --reproducible --quiet --csv $(q "$csv")"
  [ -z "$report" ] || merge+=" --run-info \"\$RESULTS/run-info.json\" && /usr/bin/python3 tools/explore_report.py --csv $(q "$csv") --run-info \"\$RESULTS/run-info.json\" --area $(q "$(realpath "$area")") --out $(q "$(realpath -m "$report")")"
  [ -z "$plots" ] || merge+=" && /usr/bin/python3 tools/plot_explore.py $(q "$csv") $(q "$(realpath "$area")") $(q "$(realpath -m "$plots")")"
  echo "# merge: $merge"
  w=${#shards}
  for ((i = 1; i <= shards; ++i)); do
    printf 'explore.%0*d-of-%d %s explore --config %s --shard %d/%d --cache "$RESULTS/cache" --csv "$OUT/points.csv" --reproducible --threads "$CPUS" --quiet\n' \
      "$w" "$i" "$shards" "$(q "$bin")" "$(q "$sweep")" "$i" "$shards"
  done
  ;;
synth)
  csv=$(realpath -m "${2:-docs/area.csv}")
  command -v yosys > /dev/null || die "yosys not found (scripts/install-deps.sh synth)"
  echo "# fp8sa job list: make synth, one Yosys run per job"
  echo "# root: $root"
  echo "# build: $(hash_of rtl/*.vh rtl/*/*.v rtl/*/*.vh synth/*.sh synth/fmax/*.v) $(yosys -V)"
  echo "# merge: synth/area.sh --merge \"\$RESULTS\" --csv $(q "$csv")"
  synth/area.sh --list | while read -r t unit config; do
    id=synth.$t.$unit.${config// /_}
    echo "$id synth/area.sh -j 1 --only '^$t $unit $config \$' --no-report --csv \"\$OUT/area.csv\""
  done
  ;;
train)
  [ $# -ge 2 ] || die "usage: joblist.sh train PYTHON [TRAIN_ARGS ...]"
  py=$2; shift 2
  command -v "$py" > /dev/null || die "no Python '$py'"
  # absolute, links not followed: a venv's python is a link to the system's
  if [[ $py == */* ]]; then py=$(cd "$(dirname "$py")" && pwd)/$(basename "$py"); fi
  # The runs (and every option check: one line and exit 2 from the script).
  runs=$("$py" -m fp8sa.train_fmnist "$@" --list-runs) || exit 2
  args=""
  for a in "$@"; do args+=" $(q "$a")"; done
  files=$("$py" -c 'import fp8sa, fp8sa._core, glob, os
print("\n".join(sorted(glob.glob(os.path.join(os.path.dirname(fp8sa.__file__), "*.py"))) + [fp8sa._core.__file__]))') \
    || die "$py cannot import fp8sa"
  echo "# fp8sa job list: make train, $(wc -l <<<"$runs") runs (recipe x seed)"
  echo "# root: $root"
  mapfile -t fl <<<"$files"
  echo "# build: $(hash_of "${fl[@]}")"
  echo "# merge: $(q "$py") -m fp8sa.train_fmnist$args --merge \"\$RESULTS/jobs\" --reproducible"
  while read -r k; do
    echo "train.${k//:/.} $(q "$py") -m fp8sa.train_fmnist$args --run $k --run-out \"\$OUT/run.json\" --threads \"\$CPUS\""
  done <<<"$runs"
  ;;
*) die "usage: joblist.sh regress|explore|synth|train|merge-regress ... (see the header of $0)" ;;
esac

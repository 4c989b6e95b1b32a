#!/usr/bin/env python3
"""Plots of the accumulator-width exploration (fp8sa explore, make explore).

usage: plot_explore.py EXPLORE.CSV AREA.CSV [AREA.CSV ...] OUT_DIR
Writes OUT_DIR/cliff.png, sr_bias.png, hopper.png, pareto.png and
pareto_per_mac.png. Every point is a row of the CSVs; nothing is computed here
but selections, absolute values, area / MACs per cycle and the Pareto front of
the plotted points. Several area tables merge as in explore_report.py (an
earlier table's row wins), whose area join pareto_per_mac.png uses.
"""
import csv
import math
import os
import sys

import matplotlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import explore_report as er  # noqa: E402  (the report's area join: one copy)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def num(s):
    return float("inf") if s == "inf" else float(s)


def pick(rows, **kw):
    """Rows matching kw; of rows that differ only in trials, the one with the most. The FMA PE's points only
    unless kw names pe (the other kinds have pareto_per_mac.png)."""
    best = {}
    kw.setdefault("pe", "fma")
    for r in rows:
        if all(r[k] == str(v) for k, v in kw.items()):
            key = tuple((k, v) for k, v in r.items() if k in IDENTITY)
            if key not in best or int(r["trials"]) > int(best[key]["trials"]):
                best[key] = r
    return list(best.values())


IDENTITY = ("model", "acc", "round", "sr_bits", "promote", "k", "operands", "data", "seed", "pe", "dot_n",
            "align_bits", "sr_kind")


def with_pe(r):
    """A CSV row with the PE columns (an older CSV's rows are all fma; comparison models have "-")."""
    r = dict(r)
    for c, d in (("pe", "fma"), ("dot_n", "1"), ("align_bits", "-"), ("sr_kind", "-")):
        if r.get(c) in (None, ""):
            r[c] = d
    if r["pe"] == "-":
        r["pe"] = "fma"
    return r


def one(rows, **kw):
    m = pick(rows, **kw)
    return m[0] if m else None


def finite_abs(v):
    v = abs(num(v))
    return v if math.isfinite(v) and v > 0 else None


def cliff(rows, out):
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ks = sorted({int(r["k"]) for r in pick(rows, model="fp8sa", round="rne", data="uniform", promote=0)
                 if r["acc"].startswith("e8m")})
    styles = {"rne": "-", "sr": "--", "rz": ":"}
    for i, k in enumerate(ks):
        color = plt.cm.viridis(i / max(1, len(ks) - 1))
        for rnd, ls in styles.items():
            pts = []
            for r in pick(rows, model="fp8sa", round=rnd, data="uniform", promote=0, k=k, operands="e4m3"):
                if r["acc"].startswith("e8m") and (rnd != "sr" or r["sr_bits"] == "16"):
                    y = finite_abs(r["bias"])
                    if y is not None:
                        pts.append((int(r["acc"][3:]), y))
            pts.sort()
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], ls, color=color,
                        label=f"K={k} {rnd.upper()}" if rnd != "sr" else f"K={k} SR R=16")
    ax.set_yscale("log")
    ax.set_xlabel("accumulator mantissa bits Y (e8mY)")
    ax.set_ylabel("|bias| (mean signed relative error)")
    ax.set_title("Swamping: all-positive U(0,1) E4M3 data")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6, ncol=3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "cliff.png"), dpi=110)
    plt.close(fig)


def sr_bias(rows, out):
    accs = sorted({r["acc"] for r in pick(rows, model="sr-1step", k=4096, data="uniform")})
    if not accs:
        return
    fig, axes = plt.subplots(1, len(accs), figsize=(4.2 * len(accs), 4.2), squeeze=False)
    for ax, acc in zip(axes[0], accs):
        y0 = int(acc[3:])
        for model, label, mk in (("fp8sa", "fp8sa SR (R steps/draw)", "o-"), ("sr-1step", "1 LFSR step/draw", "s--"),
                                 ("sr-ideal", "mt19937 draws", "^:")):
            pts, se = [], []
            sel = pick(rows, model=model, acc=acc, k=4096, data="uniform", operands="e4m3")
            if model == "fp8sa":
                sel = [r for r in sel if r["round"] == "sr" and r["promote"] == "0"]
            for r in sel:
                y = finite_abs(r["bias"])
                if y is not None:
                    pts.append((int(r["sr_bits"]), y, num(r["bias_se"])))
            pts.sort()
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], mk, label=label, ms=4)
                if model == "fp8sa":
                    ax.plot([p[0] for p in pts], [3 * p[2] for p in pts], color="gray", lw=0.8,
                            label="3 standard errors")
        pred = []
        for r in range(2, 17):
            if y0 + r <= 23:
                z = one(rows, model="fp8sa", acc=f"e8m{y0 + r}", round="rz", k=4096, data="uniform", promote=0,
                        operands="e4m3")
                if z and finite_abs(z["bias"]):
                    pred.append((r, finite_abs(z["bias"])))
        if pred:
            ax.plot([p[0] for p in pred], [p[1] for p in pred], "k-.", label="RZ at e8m(Y+R) (El Arar)")
        ax.set_yscale("log")
        ax.set_xlabel("R (random bits)")
        ax.set_ylabel("|bias|")
        ax.set_title(f"{acc}, K=4096, U(0,1)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "sr_bias.png"), dpi=110)
    plt.close(fig)


def hopper(rows, out):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, data, col, ylab in ((axes[0], "uniform", "bias", "|bias|"),
                                (axes[1], "normal", "rms_norm", "RMS normwise error")):
        for pn in ("0", "32", "64", "128", "256"):
            sel = pick(rows, model="fp8sa", acc="e8m13", round="rz", promote=pn, data=data, operands="e4m3")
            pts = sorted((int(r["k"]), finite_abs(r[col])) for r in sel if finite_abs(r[col]))
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", ms=3,
                        label="e8m13 RZ" + ("" if pn == "0" else f", promote {pn}"))
        for pn, st in (("0", "m-s"), ("128", "m:s")):  # the h100-fp8 preset: a dot PE
            sel = pick(rows, model="fp8sa", acc="e8m13", round="rz", promote=pn, data=data, operands="e4m3", pe="dot",
                       dot_n="32", align_bits="13")
            pts = sorted((int(r["k"]), finite_abs(r[col])) for r in sel if finite_abs(r[col]))
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], st, ms=4,
                        label="h100-fp8 (dot 32, a13)" + ("" if pn == "0" else ", promote 128"))
        for model, acc, label, st in (("km-block", "-", "km-block (not hardware)", "k--"),
                                      ("fp8sa", "e8m23", "e8m23 RNE (FP32)", "k:")):
            sel = pick(rows, model=model, acc=acc, data=data, operands="e4m3")
            if model == "fp8sa":
                sel = [r for r in sel if r["round"] == "rne" and r["promote"] == "0"]
            pts = sorted((int(r["k"]), finite_abs(r[col])) for r in sel if finite_abs(r[col]))
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], st, label=label)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("K")
        ax.set_ylabel(ylab)
        ax.set_title(f"Hopper-like accumulation, {data} E4M3")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "hopper.png"), dpi=110)
    plt.close(fig)


def pareto(rows, area_rows, out):
    # Plain PEs (unit pe, "eXmY rounding") and promoted ones (unit
    # pe_promote, "eXmY rounding pN").
    area = {c: a.transistors for (u, c), a in area_rows.items() if u in ("pe", "pe_promote")}
    pts = []
    for r in pick(rows, model="fp8sa", k=4096, data="uniform", operands="e4m3"):
        rnd = {"rne": "rne", "rz": "rne_rz"}.get(r["round"], "sr" + r["sr_bits"])
        key = f"{r['acc']} {rnd}" + ("" if r["promote"] == "0" else f" p{r['promote']}")
        e = finite_abs(r["rms_norm"])
        if key in area and e is not None and key not in {p[2] for p in pts}:
            pts.append((area[key], e, key))
    if not pts:
        return
    fig, ax = plt.subplots(figsize=(7.5, 5))
    plain = [p for p in pts if " p" not in p[2]]
    prom = [p for p in pts if " p" in p[2]]
    ax.scatter([p[0] for p in plain], [p[1] for p in plain], s=14, label="PE")
    if prom:
        ax.scatter([p[0] for p in prom], [p[1] for p in prom], s=22, marker="^", label="promoted PE (pe_promote)")
    for a, e, k in pts:
        ax.annotate(k, (a, e), fontsize=5, alpha=0.8)
    front, best = [], float("inf")
    for a, e, k in sorted(pts):
        if e < best:
            front.append((a, e))
            best = e
    ax.plot([p[0] for p in front], [p[1] for p in front], "r-", lw=1, label="Pareto front")
    fp = [p for p in pts if p[2] == "e8m23 rne"]
    if fp:
        ax.axhline(2 * fp[0][1], color="gray", ls="--", lw=0.8, label="2x e8m23 RNE")
    ax.set_yscale("log")
    ax.set_xlabel("PE area, CMOS transistors (docs/area.csv)")
    ax.set_ylabel("RMS normwise error, K=4096, U(0,1) E4M3")
    ax.set_title("Error against area (areas synthesized by make synth)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "pareto.png"), dpi=110)
    plt.close(fig)


KIND_STYLE = (  # (label, marker, filled) by kind_of's key
    ("fma", "FMA PE", "o", True),
    ("fma, promoted", "FMA PE, promoted (pe_promote)", "^", True),
    ("dot a13", "dot PE, ALIGN_BITS 13", "s", True),
    ("dot a25", "dot PE, ALIGN_BITS 25", "D", True),
    ("dot rz", "dot PE, RZ (RNE build's area)", "s", False),
    ("exact", "exact PE", "*", True),
    ("h100", "h100-fp8 preset (dot 32, a13, e8m13 RZ)", "X", True),
)


def kind_of(r):
    if r.pe == "dot" and (r.dot_n, r.align_bits, r.acc, r.rnd) == (32, 13, "e8m13", "rz"):
        return "h100"
    if r.pe == "dot":
        return "dot rz" if r.rnd == "rz" else "dot a%d" % r.align_bits
    return er.kind_name(r)


def pareto_per_mac(path, area, out):
    """Error against area per MAC (CMOS transistors / MACs per cycle), every PE kind, K = 4096, both data sets."""
    rs = er.read_points(path)
    base = area.get(("pe", "e8m23 rne"))
    if not base:
        return
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    for ax, data in zip(axes, ("normal", "uniform")):
        pts, seen = [], set()
        for r in rs:
            key = er.area_key(r)
            if r.model != er.HW or r.k != 4096 or r.ops != "e4m3" or r.data != data or key not in area:
                continue
            x = er.find(rs, er.Query.of(r))
            ident = (x.pe, x.dot_n, x.align_bits, x.acc, x.rnd, x.sr_bits, x.promote)
            e = x.rms_norm
            if ident in seen or not (math.isfinite(e) and e > 0):
                continue
            seen.add(ident)
            pts.append((area[key].per_mac(), e, kind_of(x), er.cfg_name(x)))
        for kind, label, mk, filled in KIND_STYLE:
            sel = [p for p in pts if p[2] == kind]
            if sel:
                ax.scatter([p[0] for p in sel], [p[1] for p in sel], s=40 if mk == "*" else 16, marker=mk,
                           label=label, facecolors=None if filled else "none",
                           edgecolors=None if filled else "C%d" % [k[0] for k in KIND_STYLE].index(kind),
                           color="C%d" % [k[0] for k in KIND_STYLE].index(kind) if filled else None)
        front, best = [], float("inf")
        for a, e, kind, name in sorted(pts):
            if e < best:
                front.append((a, e))
                best = e
                ax.annotate(name.replace("ALIGN_BITS ", "a").replace("DOT_N ", "n"), (a, e), fontsize=5,
                            alpha=0.8, xytext=(3, 3), textcoords="offset points")
        ax.plot([p[0] for p in front], [p[1] for p in front], "r-", lw=1, label="Pareto front")
        fp = er.find(rs, er.Query(data=data))
        if fp and fp.rms_norm > 0:
            ax.axhline(2 * fp.rms_norm, color="gray", ls="--", lw=0.8, label="2x e8m23 RNE FMA")
        ax.axvline(er.GOAL * base.per_mac(), color="green", ls=":", lw=0.8,
                   label="%.0f%% of the e8m23 FMA PE's area per MAC" % (100 * er.GOAL))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("CMOS transistors per MAC (docs/area.csv: transistors / macs)")
        ax.set_ylabel("RMS normwise error, K=4096, %s E4M3" % ("N(0,1)" if data == "normal" else "U(0,1)"))
        ax.set_title("Error against area per MAC, %s data" % data)
        ax.grid(True, which="both", alpha=0.3)
    # One legend for both panels, below them (the points fill every corner); Pareto-front points are labelled.
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=7)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    fig.savefig(os.path.join(out, "pareto_per_mac.png"), dpi=110)
    plt.close(fig)


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: plot_explore.py EXPLORE.CSV AREA.CSV [AREA.CSV ...] OUT_DIR")
    rows = [with_pe(r) for r in csv.DictReader(open(sys.argv[1], newline=""))]
    try:
        area = er.read_areas([p for p in sys.argv[2:-1] if os.path.exists(p)])
    except er.InputError as e:
        sys.exit("plot_explore.py: error: %s" % e)
    out = sys.argv[-1]
    os.makedirs(out, exist_ok=True)
    cliff(rows, out)
    sr_bias(rows, out)
    hopper(rows, out)
    pareto(rows, area, out)
    pareto_per_mac(sys.argv[1], area, out)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Plots of the area sweep (synth/area.sh): PE area against accumulator
mantissa bits per target, the cost of stochastic rounding against R, and
the area per MAC of every PE kind against DOT_N.

usage: plot_area.py AREA.CSV OUT_DIR
  (writes OUT_DIR/pe_area_vs_mantissa.png, sr_cost.png, area_per_mac.png)
Every point is a row of the CSV; nothing is computed here but differences
and area / MACs per cycle (the CSV's macs column).
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

TARGETS = [("ice40", "lut", "iCE40 SB_LUT4"), ("ecp5", "lut", "ECP5 LUT4"),
           ("xilinx", "lut", "Xilinx 7 LUT1-6"), ("cmos", "transistors", "CMOS transistors")]
ROUNDINGS = [("rne", "RNE"), ("rne_rz", "RNE+RZ"), ("sr4", "+SR R=4"), ("sr8", "+SR R=8"),
             ("sr13", "+SR R=13"), ("sr16", "+SR R=16")]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_area.py AREA.CSV OUT_DIR")
    rows = list(csv.DictReader(open(sys.argv[1], newline="")))
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    pe = {}
    for r in rows:
        if r["unit"] == "pe":
            pe[(r["target"], r["acc"], r["rounding"])] = r

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (t, m, label) in zip(axes.flat, TARGETS):
        for exp in (8, 6, 5):
            for ri, (rnd, rlabel) in enumerate(ROUNDINGS):
                pts = sorted((int(a.split("m")[1]), int(r[m])) for (tt, a, rr), r in pe.items()
                             if tt == t and rr == rnd and int(a[1:].split("m")[0]) == exp)
                if not pts:
                    continue
                xs, ys = zip(*pts)
                style = "-o" if exp == 8 else ("--s" if exp == 6 else ":^")
                # one colour per rounding set, one line style per exponent width
                ax.plot(xs, ys, style, color=plt.cm.viridis(ri / (len(ROUNDINGS) - 1)),
                        label=f"e{exp}, {rlabel}", markersize=4)
        ax.set_title(label)
        ax.set_xlabel("accumulator mantissa bits")
        ax.set_ylabel(m)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=6, ncol=2)
    fig.suptitle("fp8sa_mac_pe area against accumulator mantissa bits (Yosys, pre-place-and-route)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "pe_area_vs_mantissa.png"), dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
    for ax, (t, m, label) in zip(axes, TARGETS):
        for acc in ("e8m23", "e8m10", "e6m5"):
            base = pe.get((t, acc, "rne_rz"))
            if base is None:
                continue
            pts = [(int(rnd[2:]), int(pe[(t, acc, rnd)][m]) - int(base[m]))
                   for rnd, _ in ROUNDINGS[2:] if (t, acc, rnd) in pe]
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, "-o", label=acc, markersize=4)
        ax.set_title(label)
        ax.set_xlabel("R (random bits)")
        ax.set_ylabel(f"extra {m} over RNE+RZ")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("Cost of stochastic rounding in the PE (LFSR 32 included)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "sr_cost.png"), dpi=110)
    plt.close(fig)
    written = ["pe_area_vs_mantissa.png", "sr_cost.png"]
    if plot_per_mac(rows, out):
        written.append("area_per_mac.png")
    print("synth: wrote " + ", ".join(f"{out}/{w}" for w in written))


def per_mac(r, m):
    """Area of row r in metric m per MAC per cycle (None for a row without MACs)."""
    n = r.get("macs", "-")
    if not n or n == "-" or int(n) <= 0:
        return None
    return int(r[m]) / int(n)


def plot_per_mac(rows, out):
    """Area per MAC against DOT_N: one line per dot PE (accumulator, ALIGN_BITS) and
    for the exact PE, the FMA PE e8m23 RNE as a horizontal line (one MAC per cycle),
    the SR rows as single points. Returns False when the CSV has no PE-kind rows."""
    kinds = [r for r in rows if r["unit"] in ("pe_dot", "pe_exact") and r.get("macs", "-") != "-"]
    if not kinds:
        return False
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (t, m, label) in zip(axes.flat, TARGETS):
        lines = {}
        for r in kinds:
            if r["target"] != t:
                continue
            words = r["config"].split()
            if r["unit"] == "pe_dot":
                name = f"dot {r['acc']} {words[2].replace('a', 'ALIGN ')}"
            else:
                name = f"exact {r['acc']} out"
            if r["rounding"] != "rne":
                name += f", {r['rounding']}"
            lines.setdefault(name, []).append((int(r["macs"]), per_mac(r, m)))
        for i, name in enumerate(sorted(lines)):
            pts = sorted(lines[name])
            xs, ys = zip(*pts)
            sr = "," in name
            style = ("*" if sr else ("-s" if name.startswith("exact") else "-o"))
            ax.plot(xs, ys, style, label=name, markersize=7 if sr else 4,
                    color=plt.cm.tab10(i % 10))
        fma = [r for r in rows if r["target"] == t and r["unit"] == "pe" and r["config"] == "e8m23 rne"]
        if fma:
            ref = int(fma[0][m])
            ax.axhline(ref, color="k", lw=1, label="FMA PE e8m23 RNE (1 MAC/cycle)")
            ax.plot([1], [ref], "ko", markersize=5)
            ax.axhline(0.6 * ref, color="k", lw=1, ls=":", label="60 % of it (issue 21 goal)")
        ax.set_xscale("log", base=2)
        ax.set_xticks([1, 2, 4, 8, 16, 32])
        ax.set_xlim(0.8, 40)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))
        ax.set_title(label)
        ax.set_xlabel("DOT_N (MACs per cycle)")
        ax.set_ylabel(f"{label} per MAC")
        ax.grid(alpha=0.3, which="both")
    axes.flat[3].legend(fontsize=6)
    fig.suptitle("Area per MAC of the PE kinds (Yosys, pre-place-and-route; area / MACs per cycle)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "area_per_mac.png"), dpi=110)
    plt.close(fig)
    return True


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Plots of the area sweep (synth/area.sh): PE area against accumulator
mantissa bits per target, and the cost of stochastic rounding against R.

usage: plot_area.py AREA.CSV OUT_DIR   (writes OUT_DIR/pe_area_vs_mantissa.png, sr_cost.png)
Every point is a row of the CSV; nothing is computed here but differences.
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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
    print(f"synth: wrote {out}/pe_area_vs_mantissa.png, {out}/sr_cost.png")


if __name__ == "__main__":
    main()

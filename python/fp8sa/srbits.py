"""fp8sa.srbits: the sr-bits experiment's table and plot (issue 22
experiment 4 on the master weights, docs/experiments.md "SR with few random
bits"), from fp8sa.experiments' results CSV and its _metrics.csv.

    python -m fp8sa.srbits --table FILE.csv [--plot FILE.png]

Settings are "fp32-rne" (the reference), "<fmt>-rne" (the failure) and
"<fmt>-<kind>-r<R>" (SR with R random bits and construction kind).
"""
import math
import re
import sys

import numpy as np

from fp8sa.master import _acc, _by_setting, _verdict, update_stats

REFERENCE = "fp32-rne"
_LABEL = re.compile(r"^(?P<fmt>[a-z0-9]+)-(?P<kind>mid|trunc|src)-r(?P<bits>[0-9]+)$")


def _cmp(by, label, other, m, sd):
    """The difference from row `other` and its verdict against the larger
    std of the two; '-' where there is no such row."""
    if other not in by or other == label:
        return "-", "-"
    _, m2, sd2 = _acc(by[other])
    return f"{m - m2:+.2f}", _verdict(m - m2, max(sd, sd2))


def table_text(rows, metric_rows):
    """A markdown table: per setting the accuracy's mean and std over
    seeds; its difference from the FP32-master row, from the same format's
    RNE row and (SR rows) from the same format and kind with 16 bits, each
    against the seed spread (the larger std of the two); the fraction of
    updates lost, the update SQNR, the final loss."""
    by, st = _by_setting(rows), update_stats(metric_rows)
    out = ["| setting | seeds | test accuracy mean | std | vs FP32 master | separates? | vs RNE | separates? | "
           "vs R=16 | separates? | updates lost | update SQNR (dB) | final loss |",
           "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | --- | ---: | ---: | ---: |"]
    for label, rs in by.items():
        _, m, sd = _acc(rs)
        vs, sep = _cmp(by, label, REFERENCE, m, sd)
        mt = _LABEL.match(label)
        fmt = mt["fmt"] if mt else label.rsplit("-", 1)[0]
        vr, rsep = _cmp(by, label, f"{fmt}-rne", m, sd) if label != REFERENCE else ("-", "-")
        v16, sep16 = _cmp(by, label, f"{fmt}-{mt['kind']}-r16", m, sd) if mt else ("-", "-")
        u = st.get(label)
        lost = f"{100 * u['lost']:.1f} %" if u else "-"
        sq = f"{u['sqnr_db']:.1f}" if u and math.isfinite(u["sqnr_db"]) else "-"
        loss = float(np.mean([float(r["final_loss"]) for r in rs]))
        out.append(f"| {label} | {len(rs)} | {m:.2f} % | {sd:.2f} | {vs} | {sep} | {vr} | {rsep} | {v16} | {sep16} | "
                   f"{lost} | {sq} | {loss:.3f} |")
    return "\n".join(out)


def plot(rows, metric_rows, path):
    """Per master format: accuracy against R (one line per SR kind, mean
    and min..max over seeds; the RNE and FP32-master means as horizontal
    lines) above the fraction of updates lost against R."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    by, st = _by_setting(rows), update_stats(metric_rows)
    fmts = []
    for label in by:
        mt = _LABEL.match(label)
        if mt and mt["fmt"] not in fmts:
            fmts.append(mt["fmt"])
    fig, axes = plt.subplots(2, max(1, len(fmts)), figsize=(5.5 * max(1, len(fmts)), 7), squeeze=False)
    colors = {"mid": "tab:blue", "trunc": "tab:red", "src": "tab:green"}
    for j, fmt in enumerate(fmts):
        ax, axl = axes[0][j], axes[1][j]
        bits_all = set()
        for kind, off in (("mid", -0.06), ("trunc", 0.0), ("src", 0.06)):
            pts = sorted((int(_LABEL.match(lb)["bits"]), lb) for lb in by
                         if _LABEL.match(lb) and _LABEL.match(lb)["fmt"] == fmt and _LABEL.match(lb)["kind"] == kind)
            if not pts:
                continue
            xs = [math.log2(b) + off for b, _ in pts]
            bits_all.update(b for b, _ in pts)
            accs = [_acc(by[lb])[0] for _, lb in pts]
            ms = [a.mean() for a in accs]
            ax.errorbar(xs, ms, yerr=[[m - a.min() for m, a in zip(ms, accs)], [a.max() - m for m, a in zip(ms, accs)]],
                        fmt="o-", color=colors[kind], capsize=3, ms=4, label=kind)
            axl.plot(xs, [100 * st[lb]["lost"] if lb in st else float("nan") for _, lb in pts], "o-",
                     color=colors[kind], ms=4, label=kind)
        for ref, style, name in ((f"{fmt}-rne", "--", f"{fmt} RNE"), (REFERENCE, ":", "FP32 master")):
            if ref in by:
                ax.axhline(_acc(by[ref])[1], color="black", ls=style, lw=1, label=name)
                if ref in st:
                    axl.axhline(100 * st[ref]["lost"], color="black", ls=style, lw=1, label=name)
        ticks = sorted(bits_all)
        for a in (ax, axl):
            a.set_xticks([math.log2(b) for b in ticks])
            a.set_xticklabels([str(b) for b in ticks])
            a.grid(alpha=0.3)
            a.legend(fontsize=7)
        ax.set_title(f"{fmt} masters: test accuracy against R (mean, min..max over seeds)", fontsize=9)
        ax.set_ylabel("test accuracy (%)")
        axl.set_title(f"{fmt} masters: weight updates lost", fontsize=9)
        axl.set_ylabel("updates lost (%)")
        axl.set_xlabel("R, random bits per SR draw")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    """python -m fp8sa.srbits --table FILE.csv [--plot FILE.png]: the
    sr-bits experiment's table (and plot) from fp8sa.experiments' CSV and
    its _metrics.csv."""
    from fp8sa.experiments import table_main
    return table_main("srbits", "an sr-bits", main.__doc__, table_text, plot, argv)


if __name__ == "__main__":
    sys.exit(main())

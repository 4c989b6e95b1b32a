"""fp8sa.exp_metrics: issue 22 experiment 5, metrics that predict failure.

    python -m fp8sa.exp_metrics FILE.csv [FILE.csv ...] [--plot-dir DIR]

Each FILE.csv is a results CSV of `python -m fp8sa.experiments --run NAME
--quick --eval-every N` with its FILE_metrics.csv and FILE_accuracy.csv
beside it. For every failure of CASES whose settings the files hold, it
compares the step at which a metric of the failing setting first crosses
its threshold with the step at which the failing setting's test accuracy
falls beyond the seed spread below its fix's, prints the lead times as a
markdown table (docs/experiments.md) and, with --plot-dir, draws per
failure the accuracy over training beside each metric over training per
layer (DIR/metrics_<failing>.png).

Definitions (fixed before the runs were looked at; docs/experiments.md says
why these thresholds):

* A metric's series is, per logged step and layer, the mean over seeds of
  that layer's value (non-finite SQNR values left out: a tensor of exact
  zeros has no noise and an SQNR of +inf). The metric *shows* the failure
  at the first logged step at which the worst layer crosses the threshold
  (the largest underflow fraction, the smallest SQNR).
* The accuracy *shows* the failure at the first evaluated step from which
  on, at every later evaluation too, the failing setting's mean accuracy
  over seeds is below the fix's mean by more than the seed spread (the
  larger of the two sample standard deviations at that step, the rule of
  the experiments' tables). "From which on" keeps one noisy evaluation
  early in training from counting as the failure.
* lead = accuracy step - metric step: positive when the metric showed it
  first. The same metric is also checked on the fix and on the reference:
  a metric that crosses there too warned of a failure that did not happen.
"""
import argparse
import csv
import math
import os
import sys

import numpy as np

# A threshold per metric: (role, metric, direction, threshold, label).
UNDERFLOW_50 = ("error", "underflow", ">", 0.5, "errors' underflow fraction > 50 %")
SQNR_10 = ("error", "sqnr_db", "<", 10.0, "errors' SQNR < 10 dB")
LOST_50 = ("update", "underflow", ">", 0.5, "updates lost > 50 %")
UPDATE_SQNR_10 = ("update", "sqnr_db", "<", 10.0, "update SQNR < 10 dB")
# The weight gradients against their exact product (fp8sa.metrics.
# gradient_metrics: the accumulator's rounding), the same 10 dB as the others.
GRADIENT_SQNR_10 = ("gradient", "sqnr_db", "<", 10.0, "weight gradients' SQNR < 10 dB")

# The failures of experiments 1 to 4 (docs/experiments.md) with their fix
# and reference, and the metrics that should announce them.
CASES = [
    dict(experiment="loss-scaling", failing="e4m3-nopts-off", fix="e4m3-nopts-dyn", ref="fp32",
         metrics=(UNDERFLOW_50, SQNR_10)),
    dict(experiment="master-weights", failing="bf16-rne", fix="bf16-sr", ref="fp32-rne",
         metrics=(LOST_50, UPDATE_SQNR_10)),
    dict(experiment="master-weights", failing="e5m2-rne", fix="e5m2-sr", ref="fp32-rne",
         metrics=(LOST_50, UPDATE_SQNR_10)),
    # Experiment 3: e6m5 RNE weight-gradient accumulation at K = 294,912,
    # fixed by promotion every 128 (docs/experiments.md, the 150-step rerun).
    dict(experiment="accumulation", failing="e6m5-rne", fix="e6m5-promote128", ref="e8m23",
         metrics=(GRADIENT_SQNR_10,)),
    # Experiment 4: SR with few random bits on E5M2 masters (src, 3 bits)
    # and BF16 masters (trunc, 2 bits), fixed by 8 bits of the same kind.
    dict(experiment="sr-bits", failing="e5m2-src-r3", fix="e5m2-src-r8", ref="fp32-rne",
         metrics=(LOST_50, UPDATE_SQNR_10)),
    dict(experiment="sr-bits", failing="bf16-trunc-r2", fix="bf16-trunc-r8", ref="fp32-rne",
         metrics=(LOST_50, UPDATE_SQNR_10)),
]


def first_crossing(steps, values, direction, threshold):
    """The first step whose value is beyond the threshold ('>' above it, '<'
    below it); None when none is. nan never crosses."""
    for s, v in zip(steps, values):
        if (direction == ">" and v > threshold) or (direction == "<" and v < threshold):
            return s
    return None


def metric_series(mrows, setting, role, metric):
    """{layer: (steps, seed means)} of one setting's role and metric, and the
    worst layer's series (steps, values): per step the largest value for an
    underflow-like metric, the smallest for an SQNR (non-finite values left
    out; a step with none is nan)."""
    acc = {}
    for r in mrows:
        if r["setting"] != setting or r["role"] != role:
            continue
        v = float(r[metric])
        if math.isfinite(v):
            acc.setdefault(int(r["layer"]), {}).setdefault(int(r["step"]), []).append(v)
    layers = {}
    for layer, by_step in sorted(acc.items()):
        steps = sorted(by_step)
        layers[layer] = (steps, [float(np.mean(by_step[s])) for s in steps])
    return layers


def worst(layers, direction):
    """The worst layer per step of metric_series' layers: (steps, values)."""
    steps = sorted({s for st, _ in layers.values() for s in st})
    pick = max if direction == ">" else min
    vals = []
    for s in steps:
        vs = [v for st, vv in layers.values() for t, v in zip(st, vv) if t == s]
        vals.append(pick(vs) if vs else float("nan"))
    return steps, vals


def accuracy_series(arows, setting):
    """(steps, mean, sample std, min, max) over seeds of one setting's test
    accuracy (percent) per evaluated step (steps every seed has)."""
    by = {}
    for r in arows:
        if r["setting"] == setting:
            by.setdefault(int(r["step"]), []).append(100.0 * float(r["accuracy"]))
    steps = sorted(by)
    a = [np.array(by[s]) for s in steps]
    return (steps, [float(x.mean()) for x in a], [float(x.std(ddof=1)) if x.size > 1 else float("nan") for x in a],
            [float(x.min()) for x in a], [float(x.max()) for x in a])


def accuracy_failure_step(fail, fix):
    """The first evaluated step from which on the failing setting's mean is
    below the fix's by more than the spread (the larger std) at every
    evaluation; None if there is none. fail, fix: accuracy_series."""
    fsteps, fmean, fstd = fail[0], fail[1], fail[2]
    xs = dict(zip(fix[0], zip(fix[1], fix[2])))
    beyond = []
    for s, m, sd in zip(fsteps, fmean, fstd):
        if s not in xs:
            continue
        xm, xsd = xs[s]
        spread = max(sd, xsd)
        beyond.append((s, not math.isnan(spread) and xm - m > spread))
    first = None
    for s, b in beyond:
        if b and first is None:
            first = s
        elif not b:
            first = None
    return first


def lead_time(metric_step, accuracy_step):
    """Steps by which the metric showed the failure before the accuracy did
    (negative: after); None when either never showed it."""
    if metric_step is None or accuracy_step is None:
        return None
    return accuracy_step - metric_step


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _paths(results):
    root, ext = os.path.splitext(results)
    ext = ext or ".csv"
    return f"{root}_metrics{ext}", f"{root}_accuracy{ext}"


def load(results):
    """(metric rows, accuracy rows) beside a results CSV; ValueError naming
    the problem when a file is missing or not the harness's."""
    mpath, apath = _paths(results)
    out = []
    for p, need in ((mpath, {"setting", "step", "role", "layer", "underflow", "sqnr_db"}),
                    (apath, {"setting", "seed", "step", "accuracy"})):
        try:
            rows = _read(p)
        except OSError as err:
            raise ValueError(f"{p}: {err.strerror or err} (run fp8sa.experiments with --eval-every N)") from None
        if not rows or not need <= set(rows[0]):
            raise ValueError(f"{p}: not a {'metrics' if p == mpath else 'accuracy'} CSV of fp8sa.experiments")
        try:
            for r in rows:
                for k in need - {"setting", "role"}:
                    float(r[k])
        except ValueError:
            raise ValueError(f"{p}: a non-numeric value in column {k}") from None
        out.append(rows)
    return out[0], out[1]


def analyse(case, mrows, arows):
    """One failure: its accuracy failure step and, per metric, the failing
    setting's first crossing, the lead, and the crossings in fix and ref."""
    fail, fix = accuracy_series(arows, case["failing"]), accuracy_series(arows, case["fix"])
    acc_step = accuracy_failure_step(fail, fix)
    res = dict(case=case, accuracy_step=acc_step, eval_steps=fail[0], metrics=[])
    for m in case["metrics"]:
        role, metric, direction, thr, label = m
        cross = {}
        for which in ("failing", "fix", "ref"):
            layers = metric_series(mrows, case[which], role, metric)
            if not layers:
                cross[which] = "no rows"
                continue
            st, vals = worst(layers, direction)
            cross[which] = first_crossing(st, vals, direction, thr)
        ms = cross["failing"] if isinstance(cross["failing"], int) else None
        res["metrics"].append(dict(label=label, cross=cross, lead=lead_time(ms, acc_step)))
    return res


def _step_text(s):
    return "never" if s is None else ("-" if s == "no rows" else str(s))  # no rows: plain PyTorch, no quantizer


def table_text(results):
    out = ["| failure | fix | metric | metric shows it at step | accuracy shows it at step | lead (steps) | "
           "metric in the fix | metric in the reference | verdict |",
           "| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |"]
    for r in results:
        c = r["case"]
        for m in r["metrics"]:
            lead = m["lead"]
            if lead is None:
                verdict = "no lead: the metric never crossed" if m["cross"]["failing"] is None else \
                    "no accuracy failure to lead"
            elif lead > 0:
                verdict = f"metric first, by {lead} steps"
            elif lead == 0:
                verdict = "same evaluation"
            else:
                verdict = f"accuracy first, by {-lead} steps"
            if m["cross"]["fix"] is not None and m["cross"]["fix"] != "no rows" and lead is not None:
                verdict += "; also crosses in the fix (a false alarm there)"
            out.append(f"| {c['failing']} | {c['fix']} | {m['label']} | {_step_text(m['cross']['failing'])} | "
                       f"{_step_text(r['accuracy_step'])} | {'-' if lead is None else f'{lead:+d}'} | "
                       f"{_step_text(m['cross']['fix'])} | {_step_text(m['cross']['ref'])} ({c['ref']}) | {verdict} |")
    return "\n".join(out)


def plot(res, mrows, arows, path):
    """Accuracy over training (failing, fix, reference: seed mean and
    min..max) beside each metric over training per layer (failing solid,
    fix dashed), thresholds and the steps where each showed the failure."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    c = res["case"]
    n = 1 + len(c["metrics"])
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n, 3.8))
    ax = axes[0]
    for which, color in (("failing", "tab:red"), ("fix", "tab:green"), ("ref", "tab:blue")):
        st, mean, _, lo, hi = accuracy_series(arows, c[which])
        if st:
            ax.plot(st, mean, color=color, label=c[which])
            ax.fill_between(st, lo, hi, color=color, alpha=0.2)
    if res["accuracy_step"] is not None:
        ax.axvline(res["accuracy_step"], color="black", ls=":", lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("accuracy (mean, min..max over seeds)", fontsize=9)
    ax.legend(fontsize=7)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, m, mres in zip(axes[1:], c["metrics"], res["metrics"]):
        role, metric, direction, thr, label = m
        for which, ls in (("failing", "-"), ("fix", "--")):
            for j, (layer, (st, vals)) in enumerate(metric_series(mrows, c[which], role, metric).items()):
                y = [100 * v for v in vals] if metric == "underflow" else vals
                ax.plot(st, y, ls=ls, color=colors[j % len(colors)],
                        label=f"{c[which]} {'layer' if role != 'update' else 'tensor'} {layer}", lw=1)
        ax.axhline(100 * thr if metric == "underflow" else thr, color="gray", lw=1)
        if isinstance(mres["cross"]["failing"], int):
            ax.axvline(mres["cross"]["failing"], color="tab:red", ls=":", lw=1)
        if res["accuracy_step"] is not None:
            ax.axvline(res["accuracy_step"], color="black", ls=":", lw=1)
        ax.set_xlabel("step")
        ax.set_ylabel(f"{role} {'%' if metric == 'underflow' else 'dB'}")
        ax.set_title(label + f" (gray); per {'layer' if role != 'update' else 'tensor'}", fontsize=9)
        ax.legend(fontsize=5, ncol=2)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(f"{c['experiment']}: {c['failing']} (solid) against {c['fix']} (dashed); dotted: red the metric, "
                 f"black the accuracy shows the failure", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2 (the project's rule for bad input)
        print(f"exp_metrics: {message} (try --help)", file=sys.stderr)
        sys.exit(2)


def main(argv=None):
    ap = _Parser(prog="python -m fp8sa.exp_metrics", description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="+", metavar="FILE.csv",
                    help="results CSVs of fp8sa.experiments --eval-every N (their _metrics and _accuracy beside)")
    ap.add_argument("--plot-dir", metavar="DIR", help="draw DIR/metrics_<failing>.png per failure")
    args = ap.parse_args(argv)
    results = []
    for path in args.results:
        try:
            mrows, arows = load(path)
        except ValueError as err:
            print(f"exp_metrics: {err}", file=sys.stderr)
            return 2
        settings = {r["setting"] for r in arows}
        for case in CASES:
            if {case["failing"], case["fix"]} <= settings:
                res = analyse(case, mrows, arows)
                results.append(res)
                if args.plot_dir:
                    try:
                        plot(res, mrows, arows, os.path.join(args.plot_dir, f"metrics_{case['failing']}.png"))
                    except OSError as err:
                        print(f"exp_metrics: --plot-dir {args.plot_dir}: {err.strerror or err}", file=sys.stderr)
                        return 2
    if not results:
        print("exp_metrics: no failure of fp8sa.exp_metrics.CASES (failing and fix settings) in "
              + ", ".join(args.results), file=sys.stderr)
        return 2
    print(table_text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

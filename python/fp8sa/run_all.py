"""fp8sa.run_all: every implemented experiment's quick (or full) grid in one
command, the runs spread over worker processes (make train, make train-full;
docs/experiments.md).

    python -m fp8sa.experiments --run-all --quick [--jobs N] [--out-dir DIR] [--only A,B]

Each grid is cut into its (setting, seed) runs, the unit of work; a run
seeds every generator it uses (fp8sa.experiments.run_one), so its result is
the same whichever worker runs it and in whatever order (the tests check
2 workers against 1). The results are then written per experiment as the
single-experiment commands write them (CSV, _metrics.csv, _accuracy.csv,
_wgrad.csv, the plots), and a summary (summary.md) with each experiment's
table, the settings that separate beyond the seed spread, and the run's time
and load.
"""
import contextlib
import io
import multiprocessing
import os
import sys
import time

import numpy as np

# One output set of the quick set: (name, experiment, options). name is the
# CSV's stem in the output folder; the options are run_quick's. The metrics
# experiment is the failing settings of loss-scaling and master-weights run
# again with the accuracy and metrics every 10 steps (docs/experiments.md,
# "Metrics that predict failure"); accumulation is the 60-step quick grid.
QUICK_SET = [
    ("accumulation_quick", "accumulation", {}),
    ("loss-scaling_quick", "loss-scaling", {}),
    ("master-weights_quick", "master-weights", {}),
    ("master-weights_lr0.05", "master-weights",
     dict(seeds=1, lr=0.05, settings=["fp32-rne", "fp16-rne", "bf16-rne", "e5m2-rne", "e5m2-sr"])),
    ("sr-bits_quick", "sr-bits", {}),
    ("metrics_loss-scaling", "loss-scaling",
     dict(settings=["fp32", "e4m3-nopts-off", "e4m3-nopts-dyn"], eval_every=10, metrics_every=10)),
    ("metrics_master-weights", "master-weights",
     dict(settings=["fp32-rne", "bf16-rne", "bf16-sr", "e5m2-rne", "e5m2-sr"], eval_every=10, metrics_every=10)),
    ("metrics_accumulation", "accumulation",
     dict(settings=["fp32", "e8m23", "e6m5-rne", "e6m5-promote128"], steps=150, eval_every=10, metrics_every=10)),
    ("metrics_sr-bits", "sr-bits",
     dict(settings=["fp32-rne", "e5m2-src-r3", "e5m2-src-r8", "bf16-trunc-r2", "bf16-trunc-r8"], eval_every=10,
          metrics_every=10)),
]
# The full set: each experiment's full grid (fp8sa.experiments.FULL_GRIDS).
FULL_SET = [(f"{e}_full", e, dict(full=True)) for e in ("accumulation", "loss-scaling", "master-weights", "sr-bits")]
# The experiment of each output set, for --only: metrics_* belong to "metrics".
GROUP = {s[0]: "metrics" for s in QUICK_SET if s[0].startswith("metrics_")}

_DATA = None


def _init(data_dir):
    """A worker: one thread (the runs are the parallelism), the data once."""
    global _DATA
    import torch
    from fp8sa.train_fmnist import load_fmnist
    torch.set_num_threads(1)
    _DATA = load_fmnist(data_dir)


def _work(job):
    """One job: ("run", set, experiment, q, setting, seed, eval_every,
    metrics_every) or ("wgrad", set, experiment, q, settings). Returns (job,
    result, CPU seconds, log lines)."""
    from fp8sa import experiments as ex
    lines = []
    t0 = time.process_time()
    if job[0] == "run":
        _, _, name, q, setting, seed, ev, me = job
        res = ex.run_one(name, q, setting, seed, _DATA, threads=1, log=lines.append, eval_every=ev,
                         metrics_every=me)
    else:
        _, _, name, q, settings = job
        res = ex.wgrad_errors(q["batch"], range(1, q["seeds"] + 1), _DATA, labels=settings, log=lines.append)
    return job, res, time.process_time() - t0, lines


def plan(sets):
    """The jobs of the output sets, longest first (CNN before MLP, more
    steps x batch first), so that the last jobs to finish are short."""
    from fp8sa import experiments as ex
    jobs = []
    for stem, name, opt in sets:
        q = ex.grid_params(name, opt.get("steps"), opt.get("seeds"), opt.get("lr"), opt.get("full", False))
        for g in ex.grid_settings(name, opt.get("settings")):
            for seed in range(1, q["seeds"] + 1):
                jobs.append(("run", stem, name, q, g[0], seed, opt.get("eval_every", 0), opt.get("metrics_every", 50)))
        if name in ex.AFTER_RUN and not stem.startswith("metrics_"):  # the metrics sets: no swamping check
            jobs.append(("wgrad", stem, name, q, opt.get("settings")))

    def cost(j):
        q = j[3]
        return q["steps"] * q["batch"] * (4 if ex.EXPERIMENTS[j[2]].model == "cnn" else 1) if j[0] == "run" else 1e9
    return sorted(jobs, key=cost, reverse=True)


def _capture(fn, argv):
    """fn(argv)'s stdout (a --table command's table) and its status."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = fn(argv)
    return buf.getvalue().rstrip("\n"), rc


def separating(rows):
    """The settings whose mean accuracy differs from the FP32 row's by more
    than the seed spread (the larger std of the two), as (setting,
    difference in points, spread)."""
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(float(r["accuracy"]) * 100)
    ref = next((s for s in ("fp32", "fp32-rne") if s in by), None)
    if ref is None or len(by[ref]) < 2:
        return []
    rm, rsd = np.mean(by[ref]), np.std(by[ref], ddof=1)
    out = []
    for s, a in by.items():
        if s == ref or len(a) < 2:
            continue
        d, spread = np.mean(a) - rm, max(np.std(a, ddof=1), rsd)
        if abs(d) > spread:
            out.append((s, float(d), float(spread)))
    return out


def verdict_text(rows, seeds):
    """One sentence: the settings of a results CSV's rows that separate from
    the FP32 row beyond the seed spread (separating), or that none does."""
    sep = separating(rows)
    if sep:
        ref = "fp32" if any(r["setting"] == "fp32" for r in rows) else "fp32-rne"
        return f"Beyond the seed spread from {ref}: " + "; ".join(
            f"{s} ({d:+.2f} points, spread {sp:.2f})" for s, d, sp in sep) + "."
    if seeds > 1:
        return "No setting separates from the FP32 row beyond the seed spread."
    return "One seed: no spread to compare with."


def write_csvs(stem, name, opt, out_dir, results, wgrad_rows):
    """Write one output set's CSVs as run_quick does. Returns its result
    rows (tables() then makes its plots and table)."""
    import csv
    from fp8sa import experiments as ex
    q = ex.grid_params(name, opt.get("steps"), opt.get("seeds"), opt.get("lr"), opt.get("full", False))
    out = os.path.join(out_dir, f"{stem}.csv")
    rows, mrows, arows = [], [], []
    for g in ex.grid_settings(name, opt.get("settings")):
        for seed in range(1, q["seeds"] + 1):
            r, m, a = results[(stem, g[0], seed)]
            rows.append(r)
            mrows.extend(m)
            arows.extend(a)
    ev = opt.get("eval_every", 0)
    ex.write_results(out, rows, mrows, arows, ev)
    if wgrad_rows is not None:
        with open(ex.wgrad_path(out), "w", newline="") as f:
            w = csv.DictWriter(f, ex.WGRAD_FIELDS)
            w.writeheader()
            w.writerows(wgrad_rows)
    return rows


def tables(stem, name, out_dir, wgrad=False, plots=True, knob_plots=True):
    """An output set's table as its --table command prints it, and (plots)
    its plots and (knob_plots) its knob plot, from its CSVs in out_dir."""
    from fp8sa import exp_metrics, master, srbits
    from fp8sa import experiments as ex
    out = os.path.join(out_dir, f"{stem}.csv")
    png = os.path.join(out_dir, f"{stem}.png")
    pl = (lambda a: a) if plots else (lambda a: a[:2])
    if stem.startswith("metrics_"):
        text, rc = _capture(exp_metrics.main, [out] + (["--plot-dir", out_dir] if plots else []))
    elif name == "master-weights" and stem.endswith("_lr0.05"):
        text, rc = _capture(ex.main, ["--table", out])
    elif name == "master-weights":
        text, rc = _capture(master.main, pl(["--table", out, "--plot", png]))
    elif name == "sr-bits":
        text, rc = _capture(srbits.main, pl(["--table", out, "--plot", png]))
    else:
        text, rc = _capture(ex.main, pl(["--table", out, "--plot", png]))
        if wgrad:
            wt, _ = _capture(ex.main, ["--table", ex.wgrad_path(out)])
            text += "\n\n" + wt
    if rc:
        raise RuntimeError(f"{stem}: its table command failed (status {rc})")
    if knob_plots and name in ("sr-bits", "accumulation") and not stem.startswith("metrics_"):
        knob_plot(ex.read_rows(out), os.path.join(out_dir, f"{stem}_knob.png"))
    return text


def _spread(by, key):
    a = np.array(by[key]) * 100
    return a.mean(), a.min(), a.max()


def knob_plot(rows, path):
    """Accuracy against the ordered knob, mean and min..max over seeds:
    sr-bits: against R per master format and SR kind (the RNE row and FP32
    as lines); accumulation: against the weight-gradient accumulator ordered
    by its mantissa bits (h100-fp8's window as 13 bits, exact last)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(float(r["accuracy"]))
    if rows[0]["experiment"] == "sr-bits":
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        bits = (2, 3, 4, 8, 16)
        for ax, m in zip(axes, ("bf16", "e5m2")):
            for kind, c in (("mid", "tab:blue"), ("trunc", "tab:orange"), ("src", "tab:green")):
                s = [_spread(by, f"{m}-{kind}-r{b}") for b in bits if f"{m}-{kind}-r{b}" in by]
                if not s:
                    continue
                mean, lo, hi = (np.array(v) for v in zip(*s))
                ax.errorbar(bits[:len(s)], mean, yerr=[mean - lo, hi - mean], fmt="o-", color=c, capsize=3,
                            label=f"SR {kind}")
            for ref, style in ((f"{m}-rne", "r--"), ("fp32-rne", "k:")):
                if ref in by:
                    ax.axhline(_spread(by, ref)[0], color=style[0], ls=style[1:], label=ref)
            ax.set_xscale("log", base=2)
            ax.set_xticks(bits)
            ax.set_xticklabels([str(b) for b in bits])
            ax.set_xlabel("random bits R")
            ax.set_title(f"sr-bits: {m} master weights (mean, min..max over seeds)", fontsize=9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        axes[0].set_ylabel("test accuracy (%)")
    else:
        # Mantissa bits of the weight-gradient accumulator: e8m23 23, e8m10 10,
        # h100-fp8 13 (its alignment window, docs/numerics.md 10.2), e6m5 5;
        # exact (no rounding) drawn right of e8m23.
        order = {"e6m5": 5, "e8m10": 10, "h100-fp8": 13, "e8m23": 23, "exact": 28}
        fig, ax = plt.subplots(figsize=(8, 4.4))
        for var, c in (("rne", "tab:blue"), ("sr", "tab:orange"), ("promote128", "tab:green")):
            pts = []
            for acc, mb in order.items():
                lab = {("e8m23", "rne"): "e8m23", ("exact", "rne"): "exact", ("h100-fp8", "rne"): "h100-fp8"}.get(
                    (acc, var), f"{acc}-{var}")
                if lab in by:
                    pts.append((mb, *_spread(by, lab)))
            if pts:
                x, mean, lo, hi = (np.array(v) for v in zip(*pts))
                ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt="o-", color=c, capsize=3,
                            label={"rne": "RNE (h100-fp8: RZ)"}.get(var, var))
        if "fp32" in by:
            ax.axhline(_spread(by, "fp32")[0], color="k", ls=":", label="fp32 (PyTorch)")
        ax.set_xticks(list(order.values()))
        ax.set_xticklabels([f"{k}\n({v})" if k != "exact" else "exact" for k, v in order.items()], fontsize=8)
        ax.set_xlabel("weight-gradient accumulator (mantissa bits)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title("accumulation: accuracy against the accumulator (mean, min..max over seeds)", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_all(out_dir, jobs=1, only=None, full=False, data_dir=None, summary=True, log=None, sets=None):
    """Run the quick set (full: the full set) over `jobs` worker processes,
    write every output set into out_dir and (summary) out_dir/summary.md.
    only: the experiments to run (a metrics_* set belongs to "metrics").
    sets: other output sets than QUICK_SET's (the tests' tiny grids).
    Returns {stem: rows}."""
    from fp8sa import experiments as ex
    from fp8sa.train_fmnist import DATA_DIR
    log = log or (lambda s: print(s, file=sys.stderr, flush=True))
    sets = [s for s in (sets or (FULL_SET if full else QUICK_SET)) if not only or GROUP.get(s[0], s[1]) in only]
    todo = plan(sets)
    os.makedirs(out_dir, exist_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    load0 = os.getloadavg()[0]
    results, wgrad, cpu = {}, {}, 0.0
    data_dir = data_dir or DATA_DIR
    # spawn: a fresh interpreter per worker (no forked PyTorch thread pools).
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(jobs, initializer=_init, initargs=(data_dir,)) as pool:
        for i, (job, res, c, lines) in enumerate(pool.imap_unordered(_work, todo), 1):
            cpu += c
            if job[0] == "run":
                results[(job[1], job[4], job[5])] = res
            else:
                wgrad[job[1]] = res
            tail = lines[-1].strip() if lines else ""
            log(f"run-all [{i}/{len(todo)}] {job[1]}: "
                + (f"{job[4]} seed {job[5]}" if job[0] == "run" else "swamping check")
                + f" ({c:.1f} s CPU; {(time.perf_counter() - t0) / 60:.1f} min elapsed) {tail}")
    out, texts = {}, []
    # Every set's CSVs first, then the tables and plots: the runs' results
    # (hours of CPU for the full set) are on disk before anything that can
    # fail on the way to a plot.
    for stem, name, opt in sets:
        out[stem] = write_csvs(stem, name, opt, out_dir, results, wgrad.get(stem))
    for stem, name, opt in sets:
        text = tables(stem, name, out_dir, wgrad.get(stem) is not None)
        texts.append((stem, name, opt, text, out[stem]))
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()[0]
    if summary:
        with open(os.path.join(out_dir, "summary.md"), "w") as f:
            f.write(summary_md(texts, full, jobs, len(todo), wall, cpu + time.process_time() - c0, load0, load1))
    log(f"run-all: {len(todo)} jobs over {jobs} workers in {wall / 60:.1f} min (workers' CPU {cpu / 60:.1f} min; "
        f"1-minute load average {load0:.1f} at the start, {load1:.1f} at the end); wrote {out_dir}")
    return out


def summarize(out_dir, full=False, only=None):
    """summary.md and the knob plots from the CSVs already in out_dir
    (the committed results), running nothing; the other plots are left as
    they are."""
    from fp8sa import experiments as ex
    texts = []
    for stem, name, opt in (FULL_SET if full else QUICK_SET):
        if only and GROUP.get(stem, name) not in only:
            continue
        out = os.path.join(out_dir, f"{stem}.csv")
        wg = name in ex.AFTER_RUN and os.path.exists(ex.wgrad_path(out))
        texts.append((stem, name, opt, tables(stem, name, out_dir, wg, plots=False), ex.read_rows(out)))
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write(summary_md(texts, full, None, None, None, None, None, None))


def summary_md(texts, full, jobs, njobs, wall, cpu, load0, load1):
    """summary.md: per output set its table and separating settings, then
    the time and load of the run."""
    from fp8sa import experiments as ex
    lines = [f"# Training experiments, {'full' if full else 'quick'} set: summary",
             "",
             "Generated by `python -m fp8sa.experiments --run-all "
             f"{'--full' if full else '--quick'}` (make train{'-full' if full else ''}); "
             "docs/experiments.md explains each experiment, its grid and its verdicts. Every number here is "
             "from the CSVs beside this file.",
             "",
             (f"Run: {njobs} jobs over {jobs} worker processes (one thread each) in {wall / 60:.1f} minutes of "
              f"wall-clock, {cpu / 60:.1f} minutes of CPU (workers and this process); 1-minute load average "
              f"{load0:.1f} at the start, {load1:.1f} at the end." if wall is not None else
              "Written by `--summarize` from the CSVs in this folder (no run: the run times of each grid are "
              "in docs/experiments.md)."),
             ""]
    for stem, name, opt, text, rows in texts:
        q = ex.grid_params(name, opt.get("steps"), opt.get("seeds"), opt.get("lr"), opt.get("full", False))
        sel = f", settings {', '.join(opt['settings'])}" if opt.get("settings") else ""
        ev = f", accuracy and metrics every {opt['eval_every']} steps" if opt.get("eval_every") else ""
        lines += [f"## {stem}", "",
                  f"`{stem}.csv`: {name}, {q['steps']} steps, batch {q['batch']}, lr {q['lr']}, "
                  f"{q['seeds']} seed{'s' if q['seeds'] > 1 else ''}{sel}{ev}.", ""]
        if not stem.startswith("metrics_"):
            lines += [verdict_text(rows, q["seeds"]), ""]
        lines += [text, ""]
    return "\n".join(lines)

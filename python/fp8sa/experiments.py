"""fp8sa.experiments: the training experiments of issue 22 section 2, each a
knob grid on the array's numerics (docs/experiments.md).

    python -m fp8sa.experiments --list
    python -m fp8sa.experiments --run loss-scaling --quick [--out FILE.csv]
    python -m fp8sa.experiments --table FILE.csv [--plot FILE.png]   (the CSV as a markdown table, a plot)
    python -m fp8sa.experiments --run-all --quick [--jobs N] [--out-dir DIR] [--only A,B] [--summarize]

--list names every experiment: its model (the MLP of make train or the CNN
of fp8sa.conv), its knob grid, the setting chosen to make a failure likely
and why, its anchors in the literature, and whether it is implemented.
--run NAME --quick trains the experiment's quick grid (a few hundred steps
on a subset of Fashion-MNIST, 3 seeds per grid point) and writes a CSV, one
row per (setting, seed): the knobs, the test accuracy, the loss, the loss
scaler's record, and the mean underflow/overflow/zero/SQNR of each tensor role
from fp8sa.metrics; and a second CSV (..._metrics.csv) with every logged
metric per step, role and layer; --run NAME --full its full grid
(FULL_GRIDS). --run-all --quick|--full [--jobs N] [--out-dir DIR] runs every
implemented experiment's grid over N worker processes (fp8sa.run_all: make
train, make train-full).
"""
import argparse
import csv
import math
import os
import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

import fp8sa
from fp8sa.conv import CNN_SHAPE, cnn
from fp8sa.metrics import ROLES, MetricsLog
from fp8sa.torch import RECIPES, DynamicLossScaler, Engine, MasterSGD, Recipe, mlp, train_step

MLP_SIZES = (784, 256, 128, 10)  # fp8sa.train_report.SIZES, the make train MLP


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    model: str                  # "cnn" or "mlp"
    knobs: tuple                # ((knob, (values...)), ...)
    setting: str                # the failure-inducing setting
    why: str                    # why a failure is expected there
    anchors: str
    implemented: bool = False
    # The quick grid's training: steps, batch, lr, training subset (0: steps x
    # batch images), test subset, seeds.
    quick: dict = field(default_factory=lambda: dict(steps=200, batch=128, lr=0.05, train_subset=0,
                                                       test_subset=2000, seeds=3))
    note: str = ""
    # Log the weight gradients' metrics against their exact product too
    # (fp8sa.metrics.gradient_metrics: the grid's knob is the accumulator).
    gradient_metrics: bool = False


# Loss scaling: forward E4M3 (activations and weights, saturating: HFP8's
# forward format) in every row, so the knob is the error format alone.
_LS_BASE = Recipe(name="ls", fmt_act="e4m3", fmt_weight="e4m3", init_loss_scale=2.0 ** 16, growth_interval=50)


def loss_scaling_settings():
    """(label, knobs, recipe) of the loss-scaling grid, the FP32 reference first."""
    out = [("fp32", dict(err_fmt="-", tensor_scaling="-", loss_scaling="-"), RECIPES["fp32"])]
    for err in ("e5m2", "e4m3"):
        for ts in (False, True):
            for ls in (False, True):
                label = f"{err}-{'pts' if ts else 'nopts'}-{'dyn' if ls else 'off'}"
                out.append((label, dict(err_fmt=err, tensor_scaling="on" if ts else "off",
                                        loss_scaling="dynamic" if ls else "off"),
                            replace(_LS_BASE, name=label, fmt_err=err, tensor_scaling=ts, loss_scaling=ls)))
    return out


# Accumulation: the weight-gradient GEMMs' array is the knob, forward and
# backward-data stay e8m23 RNE. Operands as loss-scaling's e5m2-nopts-off
# row (forward E4M3 saturating, errors E5M2, no scaling of any kind), which
# trains as FP32 on this CNN at batch 128; unscaled operands keep the
# products inside e6m5's range (an amax-scaled E5M2 error times an E4M3
# activation is near 2^25, and K of them would overflow e6m5's 2^32).
_ACC_BASE = Recipe(name="acc", fmt_act="e4m3", fmt_weight="e4m3", fmt_err="e5m2")
# The h100-fp8 preset (docs/numerics.md 10.2) spelled out: fp8sa.conv's
# chained long-K GEMM reads dot_n from these keywords.
_H100 = dict(pe="dot", dot_n=32, align_bits=13, acc="e8m13", round="rz")
ACC_ARRAYS = {
    "e8m23": None,
    "e8m10-rne": dict(acc="e8m10", round="rne"),
    "e8m10-sr": dict(acc="e8m10", round="sr"),
    "e8m10-promote128": dict(acc="e8m10", round="rne", promote=128),
    "e6m5-rne": dict(acc="e6m5", round="rne"),
    "e6m5-sr": dict(acc="e6m5", round="sr"),
    "e6m5-promote128": dict(acc="e6m5", round="rne", promote=128),
    "h100-fp8": dict(_H100),
    "h100-fp8-promote128": dict(_H100, promote=128),
    "exact": dict(pe="exact"),
}


def accumulation_settings():
    """(label, knobs, recipe) of the accumulation grid: FP32, then each
    weight-gradient array of ACC_ARRAYS (e8m23 first, the reference)."""
    out = [("fp32", dict(wgrad_acc="-"), RECIPES["fp32"])]
    for label, arr in ACC_ARRAYS.items():
        knobs = dict(wgrad_acc=label)
        if arr:
            knobs["wgrad_array"] = ",".join(f"{k}:{v}" for k, v in arr.items())
        out.append((label, knobs, replace(_ACC_BASE, name=label, wgrad_array=arr)))
    return out


def _wgrad_operands(recipe, seed, x, y):
    """The first convolution's weight-gradient GEMM operands of one forward
    and backward step of the CNN under recipe (seeded initialisation), as
    fp8sa.conv.gemm receives them: (a, fmt_a, s_a, b, fmt_b, s_b)."""
    import fp8sa.conv as conv
    torch.manual_seed(seed)
    eng = Engine(recipe, seed=seed, threads=1)
    model = cnn(recipe, eng)
    got = []
    real = conv.gemm

    def spy(eng_, a, fa, sa, b, fb, sb, *args, wgrad=False, **kw):
        if wgrad and a.shape[0] == 25:  # conv1: C*kh*kw = 1*5*5
            got.append((np.array(a), fa, sa, np.array(b), fb, sb))
        return real(eng_, a, fa, sa, b, fb, sb, *args, wgrad=wgrad, **kw)
    conv.gemm = spy
    try:
        F.cross_entropy(model(x), y).backward()
    finally:
        conv.gemm = real
    return got[0]


def wgrad_errors(batch, seeds, data, labels=None, log=print):
    """The swamping check: for each seed, the operands of the CNN's first
    weight-gradient GEMM at its initialisation (K = batch x 576, one batch of
    the training images), run on each setting's weight-gradient array;
    against the exact sum (the FP8 products are exact in float64, and a
    float64 sum of K <= 2^20 of them is within K x 2^-53 of it): the
    relative Frobenius error |G - G*| / |G*| and the norm ratio |G| / |G*|
    (below 1: products lost to swamping). Returns rows."""
    import fp8sa.conv as conv
    xtr, ytr = data[0], data[1]
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        b = torch.from_numpy(rng.permutation(xtr.shape[0])[:batch])
        a, fa, sa, bb, fb, sb = _wgrad_operands(_ACC_BASE, seed, xtr[b], ytr[b])
        ref = (fp8sa.decode(a, fa).astype(np.float64) @ fp8sa.decode(bb, fb).astype(np.float64)) * 2.0 ** -(sa + sb)
        nref = float(np.linalg.norm(ref))
        for label, knobs, recipe in accumulation_settings():
            if recipe.plain or (labels and label not in labels):
                continue
            eng = Engine(recipe, seed=seed, threads=1)
            t0 = time.process_time()
            g = conv.gemm(eng, a, fa, sa, bb, fb, sb, "fp32", "rne", True, False, wgrad=True).numpy().astype(np.float64)
            rows.append(dict(setting=label, seed=seed, batch=batch, k=a.shape[1], rel_err=float(np.linalg.norm(g - ref)) / nref,
                             norm_ratio=float(np.linalg.norm(g)) / nref, cpu_s=time.process_time() - t0))
            log(f"  {label} seed {seed} K {a.shape[1]}: relative error {rows[-1]['rel_err']:.3g}, "
                f"norm ratio {rows[-1]['norm_ratio']:.4f}")
    return rows


WGRAD_FIELDS = ["setting", "seed", "batch", "k", "rel_err", "norm_ratio", "cpu_s"]


def wgrad_path(out_csv):
    root, ext = os.path.splitext(out_csv)
    return f"{root}_wgrad{ext or '.csv'}"


def write_wgrad_errors(out_csv, q, data, settings=None, log=print):
    """The swamping check of the accumulation grid (wgrad_errors at its
    batch and seeds) written to FILE_wgrad.csv beside the results."""
    rows = wgrad_errors(q["batch"], range(1, q["seeds"] + 1), data, labels=settings, log=log)
    with open(wgrad_path(out_csv), "w", newline="") as f:
        w = csv.DictWriter(f, WGRAD_FIELDS)
        w.writeheader()
        w.writerows(rows)
    return rows


def wgrad_table_text(path):
    """A wgrad CSV (write_wgrad_errors's) as a markdown table: per setting,
    K, the relative error's mean and range over seeds, the norm ratio's."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(r)
    out = ["| weight-gradient array | K | seeds | relative error mean | min..max | norm ratio mean | min..max |",
           "| --- | ---: | ---: | ---: | --- | ---: | --- |"]
    for label, rs in by.items():
        e = np.array([float(r["rel_err"]) for r in rs])
        n = np.array([float(r["norm_ratio"]) for r in rs])
        out.append(f"| {label} | {int(rs[0]['k']):,} | {len(rs)} | {e.mean():.3g} | {e.min():.3g}..{e.max():.3g} | "
                   f"{n.mean():.4f} | {n.min():.4f}..{n.max():.4f} |")
    return "\n".join(out)


def _wgrad_panel(path):
    """plot()'s right panel from a wgrad CSV: the mean relative error per setting."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(float(r["rel_err"]))
    k = int(rows[0]["k"]) if rows else 0
    return ({s: float(np.mean(v)) for s, v in by.items()}, "relative error of dW (conv1)",
            f"conv1 dW at init, K = {k:,}: |G - G*| / |G*| (0: no bar)", True)


AFTER_RUN = {"accumulation": write_wgrad_errors}


EXPERIMENTS = {e.name: e for e in [
    Experiment(
        "loss-scaling", "Loss scaling: off vs dynamic (from the array's flags), E5M2 and E4M3 errors, "
        "with and without per-tensor scaling", "cnn",
        (("err_fmt", ("e5m2", "e4m3")), ("tensor_scaling", ("off", "on")), ("loss_scaling", ("off", "dynamic"))),
        "no loss scaling and no per-tensor scaling, batch 128 (mean cross-entropy); forward E4M3 in every row; "
        "dynamic: DynamicLossScaler from 2^16, halved and the step skipped on the backward GEMMs' or the error "
        "quantizer's overflow/invalid flags, doubled after 50 clean steps; plus a plain FP32 row",
        "the errors of a mean loss are (p - y) / batch, at most 2^-7 at the logits and smaller in the layers "
        "below, while E4M3's smallest subnormal is 2^-9 (E5M2's 2^-16): unscaled E4M3 errors underflow to zero "
        "and the layers below the logits stop learning; a loss scale or a per-tensor scale moves them back "
        "into range; E5M2 reaches 2^-16, so it may not fail at this batch",
        "Micikevicius et al. 2017 (loss scaling); Mellempudi et al. 2019 (E5M2 errors with loss scaling); "
        "Sun et al. 2019 (HFP8: E4M3 forward, E5M2 backward)",
        implemented=True),
    Experiment(
        "master-weights", "Master weights: FP32, FP16, BF16, E5M2, each updated with RNE and with SR; "
        "standalone 16-bit training (FP16 or BF16 everywhere, no FP32 copy)", "mlp",
        (("master", ("fp32", "fp16", "bf16", "e5m2")), ("update_round", ("rne", "sr")),
         ("standalone16", ("none", "fp16", "bf16"))),
        "small learning rate (lr 0.002 with momentum 0.9) so that most updates lr x g are below half an ulp "
        "of the weight",
        "an RNE update smaller than half an ulp of the master weight is lost (update stagnation); SR keeps it "
        "in expectation; the coarser the master format the more updates are lost (E5M2 worst, BF16 before "
        "FP16 at weights near 0.05)",
        "Gupta et al. 2015 (16-bit fixed point: RN fails, SR trains); Zamirai et al. 2020 (RNE cancels small "
        "updates; SR or Kahan summation recover up to 7 % absolute); Yun et al. 2023 (standalone 16-bit)",
        implemented=True,
        quick=dict(steps=300, batch=128, lr=0.002, train_subset=0, test_subset=2000, seeds=3)),
    Experiment(
        "accumulation", "Accumulation in the weight-gradient GEMMs (large K)", "cnn",
        (("acc", ("e8m23", "e8m10-rne", "e8m10-sr", "e8m10-promote128", "e6m5-rne", "e6m5-sr",
                  "e6m5-promote128", "h100-fp8", "h100-fp8-promote128", "exact")),),
        "batch 512: the first convolution's weight gradient has K = 512 x 576 = 294,912 products (the second's "
        "32,768); the weight-gradient GEMMs only (Recipe.wgrad_array), forward and backward data e8m23 RNE; "
        "operands E4M3 forward, E5M2 errors, unscaled; plus a plain FP32 row",
        "swamping: once a partial sum is 2^(m+1) times the products, RNE drops them (m the accumulator's "
        "mantissa bits), so a narrow accumulator loses the large-K weight gradients; SR keeps them in "
        "expectation and promotion every 128 bounds the partial sums",
        "Wang et al. 2018 (chunk-based accumulation); Sakr et al. 2019 (accumulator width); DeepSeek-V3 "
        "(H100's 14-bit alignment without promotion)",
        implemented=True, gradient_metrics=True,
        quick=dict(steps=60, batch=512, lr=0.05, train_subset=0, test_subset=2000, seeds=3)),
    Experiment(
        "sr-bits", "SR with few random bits: R = 2, 3, 4, 8 (16 the reference) for each SR_KIND, on the "
        "master weights", "mlp",
        (("master", ("bf16", "e5m2")), ("sr_kind", ("mid", "trunc", "src")), ("sr_bits", (2, 3, 4, 8, 16))),
        "master-weights' failing setting (lr 0.002, momentum 0.9, the MLP), where BF16 and E5M2 masters with RNE "
        "fail and SR with 16 bits recovers; the narrow-accumulator half (e6m5 at batch 512) is not built",
        "with R bits SR sees the discarded fraction to 2^-R only: a fraction below 2^-R ulp is never rounded up "
        "(biased like RZ), so few bits bring back the stagnation or swamping SR was there to fix; the corrected "
        "construction ('src') bounds the bias by 2^-(R+1) ulp, yet still loses any single update below that",
        "Fitzgibbon & Felix 2025 (training with 3 random bits, corrected construction)",
        implemented=True,
        quick=dict(steps=300, batch=128, lr=0.002, train_subset=0, test_subset=2000, seeds=3),
        note="the master-weights half only: R on a narrow accumulator needs the accumulation experiment"),
    Experiment(
        "metrics", "Metrics that predict failure: underflow, overflow, SQNR per tensor role and layer over "
        "training", "cnn",
        (("metric", ("underflow", "overflow", "sqnr_db")), ("role", ROLES)),
        "the failing settings of experiments 1-4",
        "a failure caused by numerics should show in its tensors (errors underflowing, gradients swamped) "
        "before the accuracy falls",
        "Rasquinha et al. 2024 (metric-driven choice of numerics)",
        note="not a grid of its own: run the failing settings of experiments 1-2 with --eval-every N and "
             "--metrics-every N, then python -m fp8sa.exp_metrics FILE.csv for the lead times and plots; "
             "experiments 3-4 are not built"),
]}


# The full grids (make train-full): each quick grid with 5 seeds, five times
# its steps (the training subset grows with them, up to all 60,000 images;
# accumulation: 300 steps, where the quick grid's 150-step rerun already
# separated) and the whole 10,000-image test set. Not run in make train.
FULL_GRIDS = {
    "loss-scaling": dict(steps=1000, seeds=5, test_subset=10000),
    "master-weights": dict(steps=1500, seeds=5, test_subset=10000),
    "accumulation": dict(steps=300, seeds=5, test_subset=10000),
    "sr-bits": dict(steps=1500, seeds=5, test_subset=10000),
}


def _fmt_knobs(e):
    return "; ".join(f"{k} in {{{', '.join(str(v) for v in vs)}}}" for k, vs in e.knobs)


def list_text():
    lines = []
    for e in EXPERIMENTS.values():
        q = e.quick
        status = "implemented" if e.implemented else "not implemented yet"
        lines.append(f"{e.name} ({status}): {e.title}")
        lines.append(f"  model: {'CNN ' + CNN_SHAPE if e.model == 'cnn' else 'MLP 784-256-128-10'}")
        lines.append(f"  knobs: {_fmt_knobs(e)}")
        lines.append(f"  failure-inducing setting: {e.setting}")
        lines.append(f"  why: {e.why}")
        lines.append(f"  anchors: {e.anchors}")
        if e.implemented:
            lines.append(f"  quick grid: {q['steps']} steps, batch {q['batch']}, lr {q['lr']}, "
                         f"{q['train_subset'] or q['steps'] * q['batch']} training images, "
                         f"{q['test_subset']} test images, {q['seeds']} seeds per setting")
        else:
            lines.append(f"  not implemented yet: {e.note}")
    return "\n".join(lines)


def train_one(recipe, model_kind, seed, data, steps, batch, lr, train_subset, test_subset, threads=1,
              metrics_every=50, log=print, make_opt=None, eval_every=0, gradient_metrics=False):
    """One quick run: SGD momentum 0.9 for `steps` steps on a random
    `train_subset` of the training images (seeded), loss scaling and master
    weights as the recipe says, the array's backward flags driving the
    scaler (as fp8sa.train_fmnist.train_run); then the test accuracy on the
    first `test_subset` test images. Returns (record, MetricsLog).
    eval_every N > 0: also the test accuracy after 0, N, 2N, ... steps and
    after the last, in record["evals"] as (step, accuracy) (fp8sa.exp_metrics
    compares when a failure shows there with when it shows in a metric);
    the forward passes are RNE-only in every grid here, so evaluating does
    not move any LFSR the training uses. gradient_metrics: log the weight
    gradients against their exact product too (role "gradient")."""
    from fp8sa.train_fmnist import evaluate
    xtr, ytr, xte, yte = data
    xte, yte = xte[:test_subset], yte[:test_subset]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(xtr.shape[0])[:train_subset]
    eng = None if recipe.plain else Engine(recipe, seed=seed, threads=threads)
    model = cnn(recipe, eng) if model_kind == "cnn" else mlp(MLP_SIZES, recipe, eng)
    # make_opt(params, lr, engine): the grid's own optimizer (fp8sa.master for master-weights).
    opt = make_opt(model.parameters(), lr, eng) if make_opt is not None else \
        MasterSGD(model.parameters(), lr=lr, momentum=0.9, master=recipe.master, round=recipe.master_round,
                  engine=eng)
    scaler = DynamicLossScaler(recipe.init_loss_scale, growth_interval=recipe.growth_interval) \
        if recipe.loss_scaling else None
    mlog = MetricsLog(recipe, every=metrics_every, gradients=gradient_metrics)
    if idx.size < batch:
        raise ValueError(f"train subset {idx.size} is smaller than the batch {batch}")
    rec = dict(steps=0, skipped=0, bad_flag_steps=0, nonfinite_loss=0, losses=[], evals=[])

    def eval_now(s):
        if eng is not None:
            eng.sample_hook = eng.gradient_hook = None
        rec["evals"].append((s, evaluate(model, xte, yte)))
        if eng is not None:
            eng.take_fwd_flags()  # the evaluation's flags are not the next step's
    step, t0 = 0, time.perf_counter()
    while step < steps:
        perm = idx[rng.permutation(idx.size)]
        for i in range(0, perm.size - batch + 1, batch):
            if step >= steps:
                break
            if eval_every > 0 and step % eval_every == 0:
                eval_now(step)
            b = torch.from_numpy(perm[i:i + batch])
            x, y = xtr[b], ytr[b]
            logging = eng is not None and mlog.wants(step)
            if eng is not None:
                eng.sample_hook = mlog.hook if logging else None
                eng.gradient_hook = mlog.gradient_hook if logging else None

            def end_log(step=step):
                mlog.end_step(step, model)
                eng.sample_hook = eng.gradient_hook = None
            lv, _, _ = train_step(model, x, y, opt, scaler, eng, rec, end_log if logging else None)
            rec["losses"].append(lv)
            step += 1
    rec["steps"] = step
    rec["train_time"] = time.perf_counter() - t0
    rec["accuracy"] = evaluate(model, xte, yte)
    if eval_every > 0:
        rec["evals"].append((step, rec["accuracy"]))
    tail = rec["losses"][-20:]
    rec["final_loss"] = float(np.mean(tail)) if tail else float("nan")
    rec["final_scale"] = scaler.scale if scaler is not None else None
    mlog.rows.extend(getattr(opt, "metric_rows", ()))  # the optimizer's "update" rows (fp8sa.master)
    log(f"  {recipe.name} seed {seed}: accuracy {rec['accuracy']:.4f}, loss {rec['final_loss']:.4f}, "
        f"skipped {rec['skipped']}" + (f", loss scale {scaler.scale:g}" if scaler else "")
        + (f", updates lost {opt.lost_fraction():.3f}" if hasattr(opt, "lost_fraction") else "")
        + f" ({rec['train_time']:.1f} s)")
    return rec, mlog


def master_weights_settings():
    """(label, knobs, recipe, make_opt) of the master-weights grid: a plain
    PyTorch FP32 row; the array's GEMMs (fp8sa.torch.Recipe's defaults: E5M2
    operands with RNE, e8m23 RNE accumulation, FP32 outputs) with master
    weights in FP32, FP16, BF16, E5M2, each updated with RNE and SR (FP32:
    RNE only, FP32's own); standalone FP16 and BF16 (the GEMMs' outputs
    rounded into that format by the array's output quantizer, the gradient,
    momentum and weights in that format, fp8sa.master)."""
    from fp8sa.master import LowPrecisionSGD

    def opt(master, rnd, standalone=False):
        return lambda params, lr, eng: LowPrecisionSGD(params, lr, 0.9, master, rnd, standalone,
                                                       seed=eng.seed if eng is not None else 1)
    base = Recipe(name="mw")
    out = [("fp32", dict(master="-", update_round="-", standalone16="-"), RECIPES["fp32"], None)]
    for m in ("fp32", "fp16", "bf16", "e5m2"):
        for rnd in (("rne",) if m == "fp32" else ("rne", "sr")):
            label = f"{m}-{rnd}"
            out.append((label, dict(master=m, update_round=rnd, standalone16="none"), replace(base, name=label),
                        opt(m, rnd)))
    for m in ("fp16", "bf16"):
        for rnd in ("rne", "sr"):
            label = f"pure-{m}-{rnd}"
            out.append((label, dict(master=m, update_round=rnd, standalone16=m),
                        replace(base, name=label, out_fwd=m, out_bwd=m, out_wgrad=m), opt(m, rnd, True)))
    return out


def sr_bits_settings():
    """The sr-bits grid on the master weights (fp8sa.master's
    LowPrecisionSGD with sr_bits and sr_kind): FP32 masters (the
    reference), then per master format its RNE row (the failure) and SR with
    each kind and R random bits."""
    from fp8sa.master import LowPrecisionSGD

    def opt(master, rnd, bits=16, kind="mid"):
        return lambda params, lr, eng: LowPrecisionSGD(params, lr, 0.9, master, rnd, False,
                                                       seed=eng.seed if eng is not None else 1, sr_bits=bits,
                                                       sr_kind=kind)
    base = Recipe(name="srb")
    out = [("fp32-rne", dict(master="fp32", update_round="rne", sr_kind="-", sr_bits="-"),
            replace(base, name="fp32-rne"), opt("fp32", "rne"))]
    for m in ("bf16", "e5m2"):
        out.append((f"{m}-rne", dict(master=m, update_round="rne", sr_kind="-", sr_bits="-"),
                    replace(base, name=f"{m}-rne"), opt(m, "rne")))
        for kind in ("mid", "trunc", "src"):
            for bits in (2, 3, 4, 8, 16):
                label = f"{m}-{kind}-r{bits}"
                out.append((label, dict(master=m, update_round="sr", sr_kind=kind, sr_bits=bits),
                            replace(base, name=label), opt(m, "sr", bits, kind)))
    return out


SETTINGS = {"loss-scaling": loss_scaling_settings, "master-weights": master_weights_settings,
            "sr-bits": sr_bits_settings, "accumulation": accumulation_settings}

CSV_FIELDS = ["experiment", "setting", "knobs", "seed", "model", "steps", "batch", "lr", "train_images",
              "test_images", "accuracy", "final_loss", "skipped", "bad_flag_steps", "nonfinite_loss",
              "final_loss_scale"] + [f"{role}_{m}" for role in ROLES
                                     for m in ("underflow", "overflow", "zero", "sqnr_db")]
METRIC_FIELDS = ["experiment", "setting", "seed", "step", "role", "layer", "fmt", "n", "underflow", "overflow",
                 "zero", "sqnr_db", "scale"]
ACCURACY_FIELDS = ["experiment", "setting", "seed", "step", "accuracy"]  # --eval-every's accuracy over training


def grid_params(name, steps=None, seeds=None, lr=None, full=False):
    """Experiment `name`'s quick (or full) grid's training dict with the
    overrides given."""
    e = EXPERIMENTS[name]
    if not e.implemented:
        raise NotImplementedError(f"{name} is not implemented yet: {e.note}")
    q = dict(e.quick)
    if full:
        q.update(FULL_GRIDS[name])
    if steps:
        q["steps"] = steps
    if seeds:
        q["seeds"] = seeds
    if lr:
        q["lr"] = lr
    return q


def grid_settings(name, settings=None):
    """(label, knobs, recipe[, make_opt]) of experiment `name`'s grid, only
    the settings named (in the grid's order) when given."""
    grid = SETTINGS[name]()
    if settings:
        known = [g[0] for g in grid]
        for s in settings:
            if s not in known:
                raise ValueError(f"setting '{s}' is not one of {name}'s: {', '.join(known)}")
        grid = [g for g in grid if g[0] in settings]
    return grid


def subset_sizes(q, data):
    n_train = q["train_subset"] or q["steps"] * q["batch"]
    return min(n_train, data[0].shape[0]), min(q["test_subset"], data[2].shape[0])


def run_one(name, q, setting, seed, data, threads=1, log=print, eval_every=0, metrics_every=50):
    """One (setting, seed) run of experiment `name` with the grid's training
    dict q: (results row, metric rows, accuracy rows). A run depends on its
    arguments alone (every generator is seeded here), so the runs of a grid
    may go to any worker in any order (run_all)."""
    e = EXPERIMENTS[name]
    label, knobs, recipe, *make_opt = grid_settings(name, [setting])[0]
    n_train, n_test = subset_sizes(q, data)
    rec, mlog = train_one(recipe, e.model, seed, data, q["steps"], q["batch"], q["lr"], n_train, n_test,
                          threads=threads, log=log, make_opt=make_opt[0] if make_opt else None,
                          eval_every=eval_every, metrics_every=metrics_every,
                          gradient_metrics=e.gradient_metrics)
    arows = [dict(experiment=name, setting=label, seed=seed, step=s, accuracy=a) for s, a in rec["evals"]]
    row = dict(experiment=name, setting=label, knobs=" ".join(f"{k}={v}" for k, v in knobs.items()),
               seed=seed, model=e.model, steps=rec["steps"], batch=q["batch"], lr=q["lr"],
               train_images=n_train, test_images=n_test, accuracy=rec["accuracy"],
               final_loss=rec["final_loss"], skipped=rec["skipped"], bad_flag_steps=rec["bad_flag_steps"],
               nonfinite_loss=rec["nonfinite_loss"],
               final_loss_scale="" if rec["final_scale"] is None else rec["final_scale"])
    for role in ROLES:
        sm = mlog.summary(role)
        for m in ("underflow", "overflow", "zero", "sqnr_db"):
            row[f"{role}_{m}"] = "" if recipe.plain else sm[m]
    mrows = [dict(experiment=name, setting=label, seed=seed, **r) for r in mlog.rows]
    return row, mrows, arows


def write_results(out_csv, rows, mrows, arows, eval_every=0):
    """out_csv, its _metrics.csv and (eval_every > 0) its _accuracy.csv."""
    os.makedirs(os.path.dirname(os.path.abspath(out_csv)), exist_ok=True)
    for path, fields, rs in ((out_csv, CSV_FIELDS, rows), (metrics_path(out_csv), METRIC_FIELDS, mrows)) + \
            (((accuracy_path(out_csv), ACCURACY_FIELDS, arows),) if eval_every > 0 else ()):
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fields)
            w.writeheader()
            w.writerows(rs)


def run_quick(name, out_csv, seeds=None, steps=None, settings=None, data=None, threads=1, log=print, lr=None,
              eval_every=0, metrics_every=50, full=False):
    """Train experiment `name`'s quick grid (full: its full grid; optionally
    fewer seeds or steps, or only the settings named) and write out_csv and
    its _metrics.csv beside it; with eval_every > 0 also its _accuracy.csv
    (the test accuracy every eval_every steps). Returns the rows."""
    q = grid_params(name, steps, seeds, lr, full)
    grid = grid_settings(name, settings)
    if data is None:
        from fp8sa.train_fmnist import load_fmnist
        data = load_fmnist()
    rows, mrows, arows = [], [], []
    for g in grid:
        for seed in range(1, q["seeds"] + 1):
            row, m, a = run_one(name, q, g[0], seed, data, threads=threads, log=log, eval_every=eval_every,
                                metrics_every=metrics_every)
            rows.append(row)
            mrows.extend(m)
            arows.extend(a)
    write_results(out_csv, rows, mrows, arows, eval_every)
    if name in AFTER_RUN:
        AFTER_RUN[name](out_csv, q, data, settings, log)
    return rows


def metrics_path(out_csv):
    root, ext = os.path.splitext(out_csv)
    return f"{root}_metrics{ext or '.csv'}"


def accuracy_path(out_csv):
    root, ext = os.path.splitext(out_csv)
    return f"{root}_accuracy{ext or '.csv'}"


def summary_text(rows):
    """Mean and std of the accuracy per setting, and its distance from the
    FP32 row against the seed spread (the larger std of the two)."""
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(r)
    lines = []
    ref = by.get("fp32")
    for label, rs in by.items():
        acc = np.array([r["accuracy"] for r in rs]) * 100
        sd = float(acc.std(ddof=1)) if acc.size > 1 else float("nan")
        line = f"{label}: {acc.mean():.2f} % (std {sd:.2f}, {acc.size} seeds)"
        eu = [r["error_underflow"] for r in rs if r["error_underflow"] != ""]
        ez = [r["error_zero"] for r in rs if r["error_zero"] != ""]
        if eu:
            line += (f", errors underflowing {100 * np.mean(eu):.1f} %, zero after quantization "
                     f"{100 * np.mean(ez):.1f} %")
        if ref is not None and label != "fp32":
            racc = np.array([r["accuracy"] for r in ref]) * 100
            rsd = float(racc.std(ddof=1)) if racc.size > 1 else float("nan")
            d = acc.mean() - racc.mean()
            spread = max(sd, rsd)
            if math.isnan(spread):
                line += f"; {d:+.2f} points from FP32 (one seed: no spread to compare with)"
            else:
                verdict = "beyond" if abs(d) > spread else "within"
                line += f"; {d:+.2f} points from FP32, {verdict} the spread {spread:.2f}"
        lines.append(line)
    return "\n".join(lines)


def read_rows(path):
    """The rows of a results CSV (run_quick's), numbers as floats ('' kept)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or list(rows[0]) != CSV_FIELDS:
        raise ValueError(f"{path}: not a results CSV of fp8sa.experiments (its columns differ or it has no rows)")
    num = set(CSV_FIELDS) - {"experiment", "setting", "knobs", "model"}
    for r in rows:
        for k in num:
            if r[k] != "":
                try:
                    r[k] = float(r[k])
                except ValueError:
                    raise ValueError(f"{path}: column {k} has {r[k]!r:.40}, not a number") from None
    return rows


def _scale_text(v):
    """A loss scale: 2^k for a power of two, '-' for none."""
    if v == "":
        return "-"
    m, e = math.frexp(v)
    return f"2^{e - 1}" if m == 0.5 else f"{v:g}"


def table_text(rows):
    """A markdown table of a results CSV: per setting, the accuracy's mean
    and std over seeds, its difference from the FP32 row against the seed
    spread (the larger std of the two), the errors' mean underflow and zero
    fractions, skipped steps and final loss scale per seed."""
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(r)

    def stats(rs):
        a = np.array([r["accuracy"] for r in rs]) * 100
        return a.mean(), (float(a.std(ddof=1)) if a.size > 1 else float("nan"))

    ref = stats(by["fp32"]) if "fp32" in by else None
    out = ["| setting | seeds | test accuracy mean | std | vs FP32 | separates? | errors underflowing | "
           "errors zero | skipped steps | final loss scale |",
           "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |"]
    for label, rs in by.items():
        m, sd = stats(rs)
        vs = sep = "-"
        if ref is not None and label != "fp32":
            d, spread = m - ref[0], max(sd, ref[1])
            vs = f"{d:+.2f}"
            sep = "one seed" if math.isnan(spread) else (f"**beyond** {spread:.2f}" if abs(d) > spread
                                                         else f"within {spread:.2f}")
        eu = [r["error_underflow"] for r in rs if r["error_underflow"] != ""]
        ez = [r["error_zero"] for r in rs if r["error_zero"] != ""]
        sc = "/".join(_scale_text(r["final_loss_scale"]) for r in rs)
        out.append(f"| {label} | {len(rs)} | {m:.2f} % | {sd:.2f} | {vs} | {sep} | "
                   f"{f'{100 * np.mean(eu):.1f} %' if eu else '-'} | {f'{100 * np.mean(ez):.1f} %' if ez else '-'} | "
                   f"{'/'.join(str(int(r['skipped'])) for r in rs)} | {sc} |")
    return "\n".join(out)


def plot(rows, path, right=None):
    """Accuracy per setting (every seed, mean and min..max) beside the
    errors' mean underflow fraction, from a results CSV; written to path.
    right: (values per setting, y label, title, log scale) for the right
    panel instead of the underflow (the accumulation grid's swamping)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(r)
    labels = list(by)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw=dict(width_ratios=[3, 2]))
    for i, label in enumerate(labels):
        acc = np.array([r["accuracy"] for r in by[label]]) * 100
        ax1.plot([i] * acc.size, acc, "o", color="tab:blue", alpha=0.5, ms=4)
        ax1.errorbar([i], [acc.mean()], yerr=[[acc.mean() - acc.min()], [acc.max() - acc.mean()]], fmt="_",
                     color="black", ms=14, capsize=4)
        if right is not None:
            v = right[0].get(label)
            ax2.bar([i], [v if v else 0], color="tab:red" if v else "none")
            continue
        eu = [r["error_underflow"] for r in by[label] if r["error_underflow"] != ""]
        ax2.bar([i], [100 * np.mean(eu) if eu else 0], color="tab:red" if eu else "none")
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    ax1.set_ylabel("test accuracy (%)")
    ax1.set_title(f"{rows[0]['experiment']}: accuracy per setting (seeds, mean, min..max)", fontsize=9)
    if right is not None:
        ax2.set_ylabel(right[1])
        ax2.set_title(right[2], fontsize=9)
        if right[3]:
            ax2.set_yscale("log")
    else:
        ax2.set_ylabel("errors underflowing (%)")
        ax2.set_title("errors' underflow fraction (mean over layers, logged steps)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2 (the project's rule for bad input)
        print(f"experiments: {message} (try --help)", file=sys.stderr)
        sys.exit(2)


def table_main(prog, what, doc, table_text, plot, argv=None):
    """The main() of a module with a --table FILE.csv [--plot FILE.png]
    command over a results CSV and its _metrics.csv (fp8sa.master,
    fp8sa.srbits): prints table_text(rows, metric_rows) and, with --plot,
    plot(rows, metric_rows, path). Bad input: one line, status 2."""
    ap = _Parser(prog=f"python -m fp8sa.{prog}", description=doc.split(":")[0])
    ap.add_argument("--table", metavar="FILE.csv", required=True, help=f"{what} results CSV")
    ap.add_argument("--plot", metavar="FILE.png", help="also plot it")
    args = ap.parse_args(argv)
    try:
        rows = read_rows(args.table)
        with open(metrics_path(args.table), newline="") as f:
            mrows = list(csv.DictReader(f))
        if not mrows or "role" not in mrows[0]:
            raise ValueError(f"{metrics_path(args.table)}: not a metrics CSV of fp8sa.experiments")
        print(table_text(rows, mrows))
        if args.plot:
            plot(rows, mrows, args.plot)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        print(f"{prog}: {getattr(err, 'filename', None) or args.table}: {getattr(err, 'strerror', None) or err}",
              file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    return 0


def main(argv=None):
    ap = _Parser(prog="python -m fp8sa.experiments", description=__doc__.split("\n")[0])
    ap.add_argument("--list", action="store_true", help="name every experiment, its grid, setting and status")
    ap.add_argument("--table", metavar="FILE.csv", help="print a results CSV as a markdown table (docs/experiments.md)")
    ap.add_argument("--plot", metavar="FILE.png", help="with --table: also plot the CSV (accuracy, error underflow)")
    ap.add_argument("--run", metavar="NAME", help="train one experiment's grid (with --quick)")
    ap.add_argument("--quick", action="store_true", help="the quick grid: few steps, a subset, 3 seeds")
    ap.add_argument("--full", action="store_true", help="the full grid (FULL_GRIDS: 5 seeds, 5x the steps; "
                    "make train-full)")
    ap.add_argument("--run-all", action="store_true", help="every implemented experiment's quick (or --full) "
                    "grid, the runs over --jobs worker processes, into --out-dir with summary.md")
    ap.add_argument("--jobs", type=int, default=1, metavar="N", help="with --run-all: worker processes (default 1)")
    ap.add_argument("--out-dir", metavar="DIR", help="with --run-all: output folder (default build/experiments)")
    ap.add_argument("--summarize", action="store_true", help="with --run-all: run nothing; write summary.md and "
                    "the knob plots from the CSVs already in --out-dir")
    ap.add_argument("--only", default="", metavar="A,B", help="with --run-all: only these experiments "
                    "(loss-scaling, master-weights, accumulation, sr-bits, metrics)")
    ap.add_argument("--out", metavar="FILE.csv", help="results CSV (default build/experiments/NAME_quick.csv); "
                    "the per-step metrics go to FILE_metrics.csv")
    ap.add_argument("--seeds", type=int, default=0, help="seeds per setting (default: the quick grid's 3)")
    ap.add_argument("--steps", type=int, default=0, help="training steps per run (default: the quick grid's)")
    ap.add_argument("--settings", default="", help="comma-separated settings to run (default: all)")
    ap.add_argument("--lr", type=float, default=0.0, help="learning rate (default: the quick grid's)")
    ap.add_argument("--eval-every", type=int, default=0, metavar="N",
                    help="also the test accuracy every N steps, to FILE_accuracy.csv (default 0: at the end only)")
    ap.add_argument("--metrics-every", type=int, default=50, metavar="N",
                    help="log the tensor metrics every N steps (default 50)")
    ap.add_argument("--threads", type=int, default=1, help="fp8sa GEMM threads and PyTorch threads (default 1)")
    ap.add_argument("--data", metavar="DIR", help="folder of Fashion-MNIST's IDX files (fp8sa.train_fmnist's)")
    args = ap.parse_args(argv)
    if args.plot and args.table is None:
        ap.error("--plot goes with --table FILE.csv")
    if sum((args.list, args.run is not None, args.table is not None, args.run_all)) != 1:
        ap.error("give one of --list, --run NAME and --table FILE.csv (or --run-all)")
    if args.quick and args.full:
        ap.error("give one of --quick and --full")
    if (args.jobs != 1 or args.out_dir or args.only or args.summarize) and not args.run_all:
        ap.error("--jobs, --out-dir, --only and --summarize go with --run-all")
    if args.run_all:
        return _main_run_all(ap, args)
    if args.table is not None:
        try:
            with open(args.table, newline="") as f:
                wgrad = f.readline().strip() == ",".join(WGRAD_FIELDS)
            if wgrad and not args.plot:  # the accumulation grid's swamping check
                print(wgrad_table_text(args.table))
                return 0
            rows = read_rows(args.table)
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            print(f"experiments: --table {args.table}: {getattr(err, 'strerror', None) or err}", file=sys.stderr)
            return 2
        except ValueError as err:
            print(f"experiments: {err}", file=sys.stderr)
            return 2
        print(table_text(rows))
        if args.plot:
            right = None
            if rows[0]["experiment"] == "accumulation" and os.path.exists(wgrad_path(args.table)):
                right = _wgrad_panel(wgrad_path(args.table))
            try:
                plot(rows, args.plot, right)
            except OSError as err:
                print(f"experiments: --plot {args.plot}: {err.strerror or err}", file=sys.stderr)
                return 2
        return 0
    if args.list:
        print(list_text())
        return 0
    if args.run not in EXPERIMENTS:
        ap.error(f"--run: '{args.run}' is not one of: {', '.join(EXPERIMENTS)}")
    e = EXPERIMENTS[args.run]
    if not e.implemented:
        print(f"experiments: {args.run} is not implemented yet ({e.note})", file=sys.stderr)
        return 2
    if not (args.quick or args.full):
        ap.error("--run needs --quick or --full")
    for v, what in ((args.seeds, "--seeds"), (args.steps, "--steps"), (args.threads, "--threads"),
                    (args.eval_every, "--eval-every"), (args.metrics_every, "--metrics-every")):
        if v < 0 or (what == "--threads" and v < 1):
            ap.error(f"{what} must be >= {1 if what == '--threads' else 0}")
    if not (math.isfinite(args.lr) and args.lr >= 0):
        ap.error("--lr must be a finite number >= 0 (0: the quick grid's)")
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    known = [g[0] for g in SETTINGS[args.run]()]
    for s in settings:
        if s not in known:
            ap.error(f"--settings: '{s}' is not one of {args.run}'s: {', '.join(known)}")
    out = args.out or os.path.join("build", "experiments", f"{args.run}_{'full' if args.full else 'quick'}.csv")
    if os.path.isdir(out):
        ap.error(f"--out {out} is a directory")
    from fp8sa.train_fmnist import DATA_DIR, load_fmnist
    try:
        data = load_fmnist(args.data or DATA_DIR)
    except (OSError, ValueError) as err:
        print(f"experiments: {err}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    rows = run_quick(args.run, out, seeds=args.seeds or None, steps=args.steps or None, settings=settings or None,
                     data=data, threads=args.threads, lr=args.lr or None, eval_every=args.eval_every,
                     metrics_every=args.metrics_every, full=args.full)
    print(summary_text(rows))
    print(f"experiments: {len(rows)} runs in {(time.perf_counter() - t0) / 60:.1f} min (1-minute load average "
          f"{load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end); wrote {out} and {metrics_path(out)}"
          + (f" and {accuracy_path(out)}" if args.eval_every > 0 else ""))
    return 0


def _main_run_all(ap, args):
    """--run-all: fp8sa.run_all over the quick (or full) set."""
    from fp8sa.run_all import GROUP, QUICK_SET, run_all
    if not (args.quick or args.full):
        ap.error("--run-all needs --quick or --full")
    if args.jobs < 1:
        ap.error("--jobs must be >= 1")
    for v, what in ((args.out, "--out"), (args.settings, "--settings"), (args.seeds, "--seeds"),
                    (args.steps, "--steps"), (args.lr, "--lr"), (args.eval_every, "--eval-every")):
        if v:
            ap.error(f"{what} does not go with --run-all (each grid's own settings are used)")
    names = {GROUP.get(s[0], s[1]) for s in QUICK_SET}
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    for s in only:
        if s not in names:
            ap.error(f"--only: '{s}' is not one of: {', '.join(sorted(names))}")
    out_dir = args.out_dir or os.path.join("build", "experiments")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        ap.error(f"--out-dir {out_dir} is not a directory")
    if args.summarize:
        from fp8sa.run_all import summarize
        try:
            summarize(out_dir, args.full, only or None)
        except (OSError, ValueError, RuntimeError) as err:
            print(f"experiments: --summarize: {getattr(err, 'strerror', None) or err}"
                  + (f" ({err.filename})" if getattr(err, "filename", None) else ""), file=sys.stderr)
            return 2
        return 0
    from fp8sa.train_fmnist import DATA_DIR, load_fmnist
    try:
        load_fmnist(args.data or DATA_DIR)  # a bad folder fails here, once, not in every worker
    except (OSError, ValueError) as err:
        print(f"experiments: {err}", file=sys.stderr)
        return 2
    run_all(out_dir, args.jobs, only or None, args.full, args.data or DATA_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""make train: an MLP 784-256-128-10 on Fashion-MNIST under each recipe of
fp8sa.torch.RECIPES, several seeds each; writes docs/training.md (table,
verdict, timings), docs/training/curves.png, docs/training/results.csv and
samples of activations, errors and gradients (.npy) from the run.

    python -m fp8sa.train_fmnist [--epochs N] [--seeds S] ...   (--help)

As a job list (scripts/joblist.sh train, docs/scale-out.md): --list-runs
prints the grid's runs (RECIPE:REGIME:SEED), --run RECIPE:REGIME:SEED
--run-out FILE.json trains one of them exactly as the grid does and writes
its record, and --merge DIR --reproducible writes the same report, CSV and
plots from the records under DIR. --reproducible (one process or merge)
leaves out the date and every measured time, so that the same grid gives the
same bytes however it ran.

Data: Debian's dataset-fashion-mnist (IDX files under
/usr/share/datasets/fashion-mnist, `dpkg -L dataset-fashion-mnist`).
Recipes whose accumulator is not e8m23 RNE run on the model's generic
(scalar) path, so by default they train on a subset of the training set
for fewer epochs (--narrow-subset, --narrow-epochs); the document says so
per row, and an FP32 row on the same subset is the reference for them.
"""
import argparse
import csv
import gzip
import json
import math
import os
import platform
import shutil
import struct
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn.functional as F

import fp8sa
from fp8sa.torch import RECIPES, DynamicLossScaler, Engine, MasterSGD, mlp

SIZES = [784, 256, 128, 10]
DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An IDX file (gzip or not): uint8 array of its shape. Bad files (not
    IDX, a short header, truncated, trailing bytes, a corrupted .gz whose CRC
    or length does not match) raise ValueError naming the file."""
    op = gzip.open if path.endswith(".gz") else open
    try:
        with op(path, "rb") as f:
            head = f.read(4)
            if len(head) != 4 or head[0] != 0 or head[1] != 0 or head[2] != 0x08:
                raise ValueError(f"{path}: not an IDX file of unsigned bytes")
            nd = head[3]
            if not 1 <= nd <= 4:
                raise ValueError(f"{path}: IDX with {nd} dimensions")
            dims = f.read(4 * nd)
            if len(dims) != 4 * nd:
                raise ValueError(f"{path}: truncated IDX header ({len(dims)} of {4 * nd} bytes of dimensions)")
            shape = struct.unpack(">" + "I" * nd, dims)
            n = math.prod(shape)  # Python integers: no wrap
            if n > 100_000_000:
                raise ValueError(f"{path}: IDX of {n} bytes is too large")
            data = np.frombuffer(f.read(n), dtype=np.uint8)
            if data.size != n:
                raise ValueError(f"{path}: truncated ({data.size} of {n} bytes)")
            # Read to the end: a gzip stream checks its CRC and length there.
            if f.read(1):
                raise ValueError(f"{path}: trailing bytes after the {n} bytes its header announces")
            return data.reshape(shape)
    except (EOFError, OSError, zlib.error) as e:  # truncated or corrupted gzip (CRC), unreadable file
        raise ValueError(f"{path}: {e.strerror if isinstance(e, OSError) and e.strerror else e}") from None


def load_fmnist(data_dir=DATA_DIR):
    """Fashion-MNIST's four IDX files, checked: 28 x 28 images, one label in
    0..9 per image."""
    def imgs(name):
        x = read_idx(os.path.join(data_dir, name))
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"{os.path.join(data_dir, name)}: images of shape {x.shape}, expected (N, 28, 28)")
        x = x.reshape(-1, 784).astype(np.float32) / 255.0
        return (x - 0.2860) / 0.3530  # the training set's mean and standard deviation

    def labels(name, count):
        path = os.path.join(data_dir, name)
        y = read_idx(path)
        if y.ndim != 1:
            raise ValueError(f"{path}: labels of shape {y.shape}, expected one dimension")
        if y.size != count:
            raise ValueError(f"{path}: {y.size} labels for {count} images")
        if y.size and int(y.max()) > 9:
            raise ValueError(f"{path}: label {int(y.max())} at index {int(np.argmax(y > 9))} is not a class 0..9")
        return y

    xtr = imgs("train-images-idx3-ubyte.gz")
    ytr = labels("train-labels-idx1-ubyte.gz", xtr.shape[0])
    xte = imgs("t10k-images-idx3-ubyte.gz")
    yte = labels("t10k-labels-idx1-ubyte.gz", xte.shape[0])
    if xtr.shape[0] == 0 or xte.shape[0] == 0:
        raise ValueError(f"{data_dir}: an empty training or test set")
    return (torch.from_numpy(xtr), torch.from_numpy(ytr.astype(np.int64)),
            torch.from_numpy(xte), torch.from_numpy(yte.astype(np.int64)))


def is_narrow(recipe):
    return not recipe.plain and not (recipe.acc == "e8m23" and recipe.acc_round == "rne")


def evaluate(model, x, y, batch=1000):
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            correct += int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    return correct / x.shape[0]


def train_run(recipe, seed, data, epochs, subset, batch=128, lr=0.05, threads=0, max_steps=None,
              inject_overflow_at=None, inject_scale=2.0 ** 30, sample_at=None, sample_dir=None, eval_test=True,
              eval_last_only=False, test_subset=None, log=print):
    """One training run. Returns a dict of per-epoch and per-step records.
    test_subset: evaluate on the first N test images only; eval_last_only:
    evaluate after the last epoch only (the slow generic-path recipes)."""
    xtr, ytr, xte, yte = data
    if test_subset:
        xte, yte = xte[:test_subset], yte[:test_subset]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    idx_all = rng.permutation(xtr.shape[0])[:subset] if subset else np.arange(xtr.shape[0])
    eng = Engine(recipe, seed=seed, threads=threads)
    model = mlp(SIZES, recipe, eng)
    opt = MasterSGD(model.parameters(), lr=lr, momentum=0.9, master=recipe.master, round=recipe.master_round,
                    engine=eng)
    scaler = DynamicLossScaler(recipe.init_loss_scale, growth_interval=recipe.growth_interval) \
        if recipe.loss_scaling else None
    rec = dict(recipe=recipe.name, seed=seed, epoch_time=[], test_acc=[], train_loss=[], step_loss=[],
               loss_scale=[], skipped=0, skipped_steps=[], steps=0, bad_flag_steps=0, nonfinite_loss=0)
    samples = {}

    def hook(role, arr):
        samples.setdefault(role, []).append(np.array(arr[:64], dtype=np.float32))

    step = 0
    for ep in range(epochs):
        perm = idx_all[rng.permutation(idx_all.size)]
        t0 = time.perf_counter()
        losses = []
        for i in range(0, perm.size - batch + 1, batch):
            if max_steps is not None and step >= max_steps:
                break
            b = torch.from_numpy(perm[i:i + batch])
            x, y = xtr[b], ytr[b]
            eng.sample_hook = hook if (sample_at is not None and step == sample_at) else None
            if scaler is not None and inject_overflow_at is not None and step == inject_overflow_at:
                scaler.scale = inject_scale  # an injected overflow: errors far above E5M2's range
            out = model(x)
            loss = F.cross_entropy(out, y)
            scale = scaler.scale if scaler is not None else 1.0
            opt.zero_grad()
            (loss * scale).backward()
            flags = eng.take_bwd_flags()
            eng.take_fwd_flags()
            if flags & (fp8sa.FLAG_OVERFLOW | fp8sa.FLAG_INVALID):
                rec["bad_flag_steps"] += 1
            rec["loss_scale"].append(scale)
            ok = scaler.update(flags) if scaler is not None else True
            lv = float(loss)
            if not math.isfinite(lv):
                rec["nonfinite_loss"] += 1
            if ok:
                opt.step(grad_scale=scale)
            else:
                rec["skipped"] += 1
                rec["skipped_steps"].append(step)
            losses.append(lv)
            rec["step_loss"].append(lv)
            step += 1
        rec["epoch_time"].append(time.perf_counter() - t0)
        rec["train_loss"].append(float(np.mean(losses)) if losses else float("nan"))
        last = ep == epochs - 1 or (max_steps is not None and step >= max_steps)
        evaluated = eval_test and (last or not eval_last_only)
        rec["test_acc"].append(evaluate(model, xte, yte) if evaluated else float("nan"))
        log(f"  {recipe.name} seed {seed} epoch {ep + 1}/{epochs}: loss {rec['train_loss'][-1]:.4f} "
            + (f"test {rec['test_acc'][-1]:.4f} " if evaluated else "")
            + f"({rec['epoch_time'][-1]:.1f} s, {len(losses)} steps"
            + (f", loss scale {scaler.scale:g}, skipped {rec['skipped']}" if scaler else "") + ")")
        if max_steps is not None and step >= max_steps:
            break
    rec["steps"] = step
    rec["final_scale"] = scaler.scale if scaler else None
    rec["gemm_macs"] = eng.gemm_macs
    rec["model"] = model
    if sample_dir and samples:
        os.makedirs(sample_dir, exist_ok=True)
        for role, arrs in samples.items():
            for j, a in enumerate(arrs):
                np.save(os.path.join(sample_dir, f"{recipe.name}_{role}_{j}.npy"), a)
    return rec


def stats(v):
    v = np.asarray(v, dtype=np.float64)
    return v.mean(), (v.std(ddof=1) if v.size > 1 else 0.0), v.min(), v.max()


DESCRIPTIONS = {
    "fp32": "plain PyTorch FP32 (torch.nn.Linear), no fp8sa",
    "e5m2-rne": "E5M2 every operand, RNE everywhere, FP32 (e8m23 RNE) accumulation, raw FP32 outputs, FP32 master weights, no loss scaling",
    "mellempudi": "E5M2 every operand; SR on the errors and on the array's E5M2 outputs of the backward-data and weight-gradient GEMMs; e8m23 RNE accumulation; dynamic loss scaling from the tile flags; FP16 master weights updated with SR",
    "e4m3-fwd-e5m2-bwd": "E4M3 activations and weights, E5M2 errors; per-tensor power-of-two scaling of every operand into its format; e8m23 RNE; dynamic loss scaling",
    "e6m5-sr13": "E5M2 operands, accumulator e6m5 with SR (R = 13), dynamic loss scaling, FP32 master weights",
    "e8m10-rne": "E5M2 operands, accumulator e8m10 with RNE, no loss scaling",
    "e8m10-sr": "E5M2 operands, accumulator e8m10 with SR (R = 13), no loss scaling",
}


def write_doc(path, runs, args, plot_rel, csv_rel, tensor_rel, wall, reproducible=False):
    """docs/training.md from the run records. reproducible: no date, no
    load, no measured time (no s / epoch, x FP32, speed verdicts, GMAC/s)."""
    by = {}
    for r in runs:
        by.setdefault((r["recipe"], r["regime"]), []).append(r)
    fp32_full = by.get(("fp32", "full"), [])
    fp32_time = np.mean([np.mean(r["epoch_time"]) for r in fp32_full]) if fp32_full else float("nan")
    fp32_sub = by.get(("fp32", "subset"), [])
    fp32_sub_time = np.mean([np.mean(r["epoch_time"]) for r in fp32_sub]) if fp32_sub else float("nan")
    L = []
    L.append("# Training on the array's numerics (`make train`)")
    L.append("")
    L.append("Generated by `python -m fp8sa.train_fmnist` (`make train`) from the run it describes; do not edit by hand.")
    if reproducible:
        L.append(f"Run: reproducible report (`--reproducible`: no date and no measured time, so that one process "
                 f"and the merge of a job list of the same grid, local or on Slurm, give the same bytes; "
                 f"`make train` without SCHED reports the times), {platform.machine()}, torch {torch.__version__}, "
                 f"fp8sa {fp8sa.__version__} (RTL back-ends {'linked' if fp8sa.has_rtl() else 'absent'}).")
    else:
        L.append(f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
                 f"{os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads; fp8sa GEMMs "
                 f"{args.threads or os.cpu_count()} threads; PyTorch gets --torch-threads, default 1: on this shared "
                 f"2-core machine an earlier run of this script with two OpenMP threads took 34.8 to 67.4 s per FP32 "
                 f"epoch, several times the one-thread time below, so one thread is PyTorch's faster setting here), "
                 f"fp8sa {fp8sa.__version__} (RTL back-ends {'linked' if fp8sa.has_rtl() else 'absent'}); "
                 f"whole run {wall / 60:.1f} min; 1-minute load average {args.load[0]:.1f} at the start and "
                 f"{args.load[1]:.1f} at the end (the machine is shared: every time below is wall-clock on it, "
                 f"and other jobs slow FP32 and fp8sa rows alike but not equally).")
    L.append("")
    L.append(f"Model: MLP {'-'.join(map(str, SIZES))} (ReLU), cross-entropy, SGD momentum 0.9, lr {args.lr}, "
             f"batch {args.batch}, Fashion-MNIST from Debian's dataset-fashion-mnist (60,000 training, "
             f"10,000 test images). Every GEMM of the fp8sa rows (forward, "
             f"backward-data, weight-gradient) runs on the fp8sa functional model ({fp8sa.__name__}.torch, "
             f"array tiling 16 x 16); bias, ReLU, softmax and the optimizer's arithmetic are FP32 PyTorch.")
    L.append("")
    L.append(f"Regimes: **full** = all 60,000 training images, {args.epochs} epochs; **subset** = "
             f"{args.narrow_subset} training images (a random subset per seed), {args.narrow_epochs} epochs, "
             f"accuracy on the first {args.narrow_test or 10000} test images after the last epoch, "
             f"for the recipes whose accumulator is not e8m23 RNE: they run on the model's generic scalar path "
             f"(docs/backends.md), too slow today for the full set inside `make train`'s 30 minutes. Compare a subset row "
             f"with the fp32 subset row, a full row with the fp32 full row.")
    L.append("")
    if reproducible:
        L.append("| recipe | regime | seeds | test accuracy mean | spread (std, min..max) | skipped steps | final loss scale |")
        L.append("| --- | --- | ---: | ---: | --- | ---: | ---: |")
    else:
        L.append("| recipe | regime | seeds | test accuracy mean | spread (std, min..max) | s / epoch | x FP32 | skipped steps | final loss scale |")
        L.append("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for (name, regime), rs in by.items():
        acc = [r["test_acc"][-1] for r in rs]
        m, s, lo, hi = stats(acc)
        t = np.mean([np.mean(r["epoch_time"]) for r in rs])
        base = fp32_time if regime == "full" else fp32_sub_time
        sk = "/".join(str(r["skipped"]) for r in rs)
        fs = rs[0]["final_scale"]
        fs = "-" if fs is None else "/".join(f"{r['final_scale']:g}" for r in rs)
        if reproducible:
            L.append(f"| {name} | {regime} | {len(rs)} | {100 * m:.2f}% | {100 * s:.2f} ({100 * lo:.2f}..{100 * hi:.2f}) "
                     f"| {sk} | {fs} |")
        else:
            L.append(f"| {name} | {regime} | {len(rs)} | {100 * m:.2f}% | {100 * s:.2f} ({100 * lo:.2f}..{100 * hi:.2f}) "
                     f"| {t:.2f} | {t / base:.1f} | {sk} | {fs} |")
    L.append("")
    L.append("Recipes (fp8sa/torch.py RECIPES):")
    L.append("")
    for name in dict.fromkeys(r["recipe"] for r in runs):
        L.append(f"* **{name}**: {DESCRIPTIONS.get(name, '')}.")
    L.append("")
    # The claim
    mel = by.get(("mellempudi", "full"), [])
    if fp32_full and mel:
        a = [r["test_acc"][-1] for r in fp32_full]
        b = [r["test_acc"][-1] for r in mel]
        ma, sa, la, ha = stats(a)
        mb, sb, lb, hb = stats(b)
        spread = max(sa, sb)
        d = mb - ma
        within = abs(d) <= spread
        L.append("## The claim: Mellempudi matches FP32 within the seed-to-seed spread")
        L.append("")
        L.append(f"FP32 {100 * ma:.2f}% (std {100 * sa:.2f}), Mellempudi {100 * mb:.2f}% (std {100 * sb:.2f}): "
                 f"difference {100 * d:+.2f} points against a seed-to-seed spread (the larger std) of "
                 f"{100 * spread:.2f} points. **{'It does' if within else 'It does not'}** match within the spread "
                 f"on this run ({len(a)} and {len(b)} seeds, {args.epochs} epochs"
                 + ("; ranges overlap" if (lb <= ha and la <= hb) else "; ranges do not overlap") + ").")
        L.append("")
    if fp32_sub:
        a = [r["test_acc"][-1] for r in fp32_sub]
        ma, sa, _, _ = stats(a)
        L.append("Subset rows against the fp32 subset row (same rule: the difference of the means against the "
                 "larger std):")
        L.append("")
        for (name, regime), rs in by.items():
            if regime != "subset" or name == "fp32":
                continue
            mb, sb, _, _ = stats([r["test_acc"][-1] for r in rs])
            d = mb - ma
            L.append(f"* {name}: {100 * mb:.2f}% vs {100 * ma:.2f}%, difference {100 * d:+.2f} points, spread "
                     f"{100 * max(sa, sb):.2f}: {'within' if abs(d) <= max(sa, sb) else 'outside'} the spread.")
        L.append("")
    L.append("## Training curves")
    L.append("")
    L.append(f"![training curves]({plot_rel})")
    L.append("")
    L.append("Left: test accuracy after each epoch (mean over seeds, full regime); middle and right: training "
             "loss per step of seed 1 (moving mean), full and subset regimes.")
    L.append("")
    L.append("## Speed")
    L.append("")
    if reproducible:
        L.append("Times are left out of this reproducible report (`make train` without SCHED measures them; a job "
                 "list's job times are in `scripts/jobs.sh status RESULTS`).")
        L.append("")
    if fp32_full and not reproducible:
        L.append(f"Plain PyTorch FP32: {fp32_time:.2f} s per full epoch ({60000 // args.batch} steps) on this "
                 f"machine. The table's s / epoch is the training loop alone (no evaluation); `x FP32` divides by "
                 f"the FP32 row of the same regime. The issue's target for the e8m23 recipes is at most 3x:")
        L.append("")
        for (name, regime), rs in by.items():
            if regime == "full" and name != "fp32":
                t = np.mean([np.mean(r["epoch_time"]) for r in rs])
                L.append(f"* {name}: {t / fp32_time:.1f}x, target {'met' if t / fp32_time <= 3 else 'not met'}.")
        L.append("")
        L.append("Where the rest of the time goes is not measured here; besides the GEMMs each step quantizes "
                 "every operand (one C++ pass per tensor, with a flag byte per element), converts tensors between "
                 "PyTorch and numpy, and for mellempudi runs the array's SR output quantizer on every output and "
                 "the FP16 SR rounding of every weight.")
        L.append("")
    macs = {r["recipe"]: r["gemm_macs"] / max(1, len(r["epoch_time"])) for r in runs if r["gemm_macs"]}
    for (name, regime), rs in by.items():
        if rs[0]["gemm_macs"]:
            per_epoch = rs[0]['gemm_macs'] / len(rs[0]['epoch_time'])
            if reproducible:
                L.append(f"* {name} ({regime}): {per_epoch / 1e9:.2f} GMAC of fp8sa GEMMs per epoch.")
                continue
            t = np.mean([np.mean(r["epoch_time"]) for r in rs])
            L.append(f"* {name} ({regime}): {per_epoch / 1e9:.2f} GMAC of "
                     f"fp8sa GEMMs per epoch, {per_epoch / t / 1e9:.2f} GMAC/s "
                     f"including quantization and PyTorch.")
    L.append("")
    L.append("## Data")
    L.append("")
    L.append(f"* Every run, epoch by epoch: [{csv_rel}]({csv_rel}).")
    L.append(f"* Samples of real tensors (first 64 rows, float32 .npy) from the mellempudi recipe, seed 1, step "
             f"{args.sample_step}: `{tensor_rel}/mellempudi_activation_L.npy` (forward inputs of the three layers, "
             f"L = 0, 1, 2), `..._error_L.npy` (loss-scaled errors arriving at each layer's output, L = 0 the last "
             f"layer), `..._gradient_L.npy` (loss-scaled weight gradients of W^T, in x out, same order as the errors); "
             f"for the accumulator-exploration tool's real data.")
    L.append("")
    if reproducible:
        L.append(f"Command: `python -m fp8sa.train_fmnist {grid_options(args)} --reproducible` in one process, or "
                 f"its job list (`scripts/joblist.sh train`: one `--run RECIPE:REGIME:SEED` job per run, then "
                 f"`--merge`; `make train SCHED=local|slurm`).")
    else:
        L.append(f"Command: `python -m fp8sa.train_fmnist {' '.join(sys.argv[1:])}` (`make train` runs it with "
                 f"--threads set to the cores).")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def plot(path, runs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.5))
    by = {}
    for r in runs:
        by.setdefault((r["recipe"], r["regime"]), []).append(r)
    for (name, regime), rs in by.items():
        if regime == "full":
            a = np.array([r["test_acc"] for r in rs]) * 100
            ax[0].plot(np.arange(1, a.shape[1] + 1), a.mean(0), marker="o", label=name)
        s = np.array(rs[0]["step_loss"], dtype=np.float64)
        w = 50 if regime == "full" else 5
        if s.size >= w:
            s = np.convolve(s, np.ones(w) / w, mode="valid")
        ax[1 if regime == "full" else 2].plot(s, label=name, lw=1)
    ax[0].set_xlabel("epoch"); ax[0].set_ylabel("test accuracy (%), mean over seeds")
    if ax[0].lines:  # (a grid of subset runs only has no full-regime curve)
        ax[0].legend(fontsize=8)
    ax[0].xaxis.get_major_locator().set_params(integer=True)
    ax[1].set_title("full regime: training loss (seed 1, mean of 50 steps)", fontsize=9)
    ax[2].set_title("subset regime: training loss (seed 1, mean of 5 steps)", fontsize=9)
    for a in ax[1:]:
        a.set_xlabel("step"); a.set_ylabel("training loss"); a.set_yscale("log")
        if a.lines:
            a.legend(fontsize=7)
    for a in ax:
        a.grid(alpha=.3)
    fig.suptitle("MLP 784-256-128-10 on Fashion-MNIST: every GEMM on the fp8sa model")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# The options that decide a run's computations (a record carries them; a
# merge refuses records made with other values). --threads does not: the
# model's GEMMs give the same bits on any number of threads.
GRID_OPTIONS = ("recipes", "seeds", "epochs", "narrow_epochs", "narrow_subset", "narrow_test", "batch", "lr",
                "torch_threads", "sample_step")


def grid_options(args):
    """The grid's options as a command line (the reproducible report's)."""
    return " ".join(f"--{k.replace('_', '-')} {getattr(args, k)}" for k in GRID_OPTIONS)


def make_plan(names, seeds):
    """The grid's runs in report order: (recipe, regime, seed). fp32 runs in
    the full regime, and in the subset regime too when a narrow recipe runs."""
    plan = []
    for n in names:
        r = RECIPES[n]
        if n == "fp32":
            plan.append((r, "full"))
            if any(is_narrow(RECIPES[m]) for m in names):
                plan.append((r, "subset"))
        else:
            plan.append((r, "subset" if is_narrow(r) else "full"))
    return [(recipe, regime, s) for recipe, regime in plan for s in range(1, seeds + 1)]


def run_key(recipe, regime, seed):
    return f"{recipe.name}:{regime}:{seed}"


def one_run(recipe, regime, s, data, args, tensor_dir):
    """One run of the grid (the same call for the one-process grid and for
    --run): its record, without the model, with its regime."""
    full = regime == "full"
    rec = train_run(recipe, s, data, args.epochs if full else args.narrow_epochs,
                    None if full else (args.narrow_subset or None), batch=args.batch, lr=args.lr,
                    threads=args.threads, eval_last_only=not full,
                    test_subset=None if full else (args.narrow_test or None),
                    sample_at=args.sample_step if (recipe.name == "mellempudi" and s == 1) else None,
                    sample_dir=tensor_dir)
    rec["regime"] = regime
    rec.pop("model")
    print(f"{recipe.name} ({regime}) seed {s}: test {rec['test_acc'][-1]:.4f}, "
          f"{np.mean(rec['epoch_time']):.2f} s/epoch", flush=True)
    return rec


def write_outputs(runs, args, wall, tensor_dir, reproducible):
    """results.csv, curves.png and the document, from the run records: the
    one-process grid's and --merge's common report."""
    csv_path = os.path.join(args.figdir, "results.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["recipe", "regime", "seed", "epoch", "train_loss", "test_acc", "epoch_seconds", "skipped_steps_total",
                    "final_loss_scale"])
        for r in runs:
            for e in range(len(r["epoch_time"])):
                w.writerow([r["recipe"], r["regime"], r["seed"], e + 1, f"{r['train_loss'][e]:.6f}",
                            "" if math.isnan(r["test_acc"][e]) else f"{r['test_acc'][e]:.4f}",
                            "-" if reproducible else f"{r['epoch_time'][e]:.3f}", r["skipped"],
                            "" if r["final_scale"] is None else f"{r['final_scale']:g}"])
    plot_path = os.path.join(args.figdir, "curves.png")
    plot(plot_path, runs)
    docdir = os.path.dirname(os.path.abspath(args.doc))
    rel = lambda p: os.path.relpath(os.path.abspath(p), docdir)
    write_doc(args.doc, runs, args, rel(plot_path), rel(csv_path), rel(tensor_dir), wall, reproducible)
    return plot_path, csv_path


def read_records(d, plan, args, fail):
    """The run records (.json files) under folder d, in plan order; fail(msg)
    for a record that is unreadable, made with other options, repeated,
    missing or not in the plan."""
    want = {run_key(*k): None for k in plan}
    opts = {k: getattr(args, k) for k in GRID_OPTIONS}
    found = {}
    for top, dirs, files in os.walk(d):
        dirs.sort()
        for fn in sorted(files):
            if not fn.endswith(".json"):
                continue
            path = os.path.join(top, fn)
            try:
                with open(path) as f:
                    rec = json.load(f)
                key = rec["key"]
                ropts = rec["options"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                fail(f"--merge: {path}: not a run record ({e})")
            if key not in want:
                fail(f"--merge: {path}: run {key} is not in the grid of these options")
            if ropts != opts:
                diff = ", ".join(f"{k} {ropts.get(k)!r} (merge: {v!r})" for k, v in opts.items() if ropts.get(k) != v)
                fail(f"--merge: {path}: run {key} was made with other options: {diff}")
            if key in found:
                fail(f"--merge: run {key} twice: {found[key][0]} and {path}")
            found[key] = (path, rec)
    missing = [k for k in want if k not in found]
    if missing:
        fail(f"--merge: {len(missing)} of {len(want)} runs have no record under {d} (first: {missing[0]})")
    return [found[k] for k in want]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2 (the project's rule for bad input)
        print(f"train_fmnist: {message} (try --help)", file=sys.stderr)
        sys.exit(2)


def main(argv=None):
    ap = _Parser(prog="python -m fp8sa.train_fmnist", description=__doc__.split("\n")[0])
    ap.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated names from fp8sa.torch.RECIPES")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3, help="epochs of the full regime")
    ap.add_argument("--narrow-epochs", type=int, default=2, help="epochs of the subset regime")
    ap.add_argument("--narrow-subset", type=int, default=3000, help="training images of the subset regime (0: all)")
    ap.add_argument("--narrow-test", type=int, default=2000, help="test images of the subset regime (0: all 10,000)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=0, help="fp8sa GEMM threads (0: all cores)")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="PyTorch intra-op threads (FP32 GEMMs of the fp32 rows, everything else of the others)")
    ap.add_argument("--data", default=DATA_DIR)
    ap.add_argument("--doc", default="docs/training.md")
    ap.add_argument("--figdir", default="docs/training")
    ap.add_argument("--sample-step", type=int, default=200)
    ap.add_argument("--reproducible", action="store_true",
                    help="no date and no measured time in the report and CSV (the same bytes however the grid ran)")
    ap.add_argument("--list-runs", action="store_true", help="print the grid's runs, RECIPE:REGIME:SEED, one a line")
    ap.add_argument("--run", metavar="RECIPE:REGIME:SEED", help="train this one run of the grid (with --run-out)")
    ap.add_argument("--run-out", metavar="FILE.json",
                    help="--run's record (its tensor samples, if any, in tensors/ beside it)")
    ap.add_argument("--merge", metavar="DIR",
                    help="the report, CSV and plots from the run records (.json) under DIR (with --reproducible)")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.recipes.split(",") if n.strip()]
    if not names:
        ap.error("--recipes: no recipe named (one or more of: " + ", ".join(RECIPES) + ")")
    for n in names:
        if n not in RECIPES:
            ap.error(f"--recipes: '{n}' is not one of: {', '.join(RECIPES)}")
    for v, what in ((args.seeds, "--seeds"), (args.epochs, "--epochs"), (args.narrow_epochs, "--narrow-epochs"),
                    (args.batch, "--batch"), (args.torch_threads, "--torch-threads")):
        if v < 1:
            ap.error(f"{what} must be >= 1")
    for v, what in ((args.threads, "--threads"), (args.narrow_subset, "--narrow-subset"),
                    (args.narrow_test, "--narrow-test"), (args.sample_step, "--sample-step")):
        if v < 0:
            ap.error(f"{what} must be >= 0")
    if not (math.isfinite(args.lr) and args.lr > 0):
        ap.error(f"--lr {args.lr} must be a finite number > 0")
    args.recipes = ",".join(names)  # the records' and the report's form
    modes = [m for m in ("list_runs", "run", "merge") if getattr(args, m)]
    if len(modes) > 1:
        ap.error(f"--{modes[0].replace('_', '-')} and --{modes[1].replace('_', '-')} do not go together")
    if (args.run is None) != (args.run_out is None):
        ap.error("--run and --run-out go together")
    if args.merge is not None and not args.reproducible:
        ap.error("--merge needs --reproducible (the runs' times come from other processes and hosts)")
    plan = make_plan(names, args.seeds)
    this = None
    if args.run is not None:
        this = [k for k in plan if run_key(*k) == args.run]
        if not this:
            ap.error(f"--run '{args.run}' is not a run of this grid (--list-runs prints them: "
                     f"{', '.join(run_key(*k) for k in plan[:4])}{', ...' if len(plan) > 4 else ''})")
        out_dir = os.path.dirname(os.path.abspath(args.run_out))
        if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
            ap.error(f"--run-out: folder {out_dir} does not exist or is not writable")
        if os.path.isdir(args.run_out):
            ap.error(f"--run-out {args.run_out} is a directory")
    if args.merge is not None and not os.path.isdir(args.merge):
        ap.error(f"--merge: {args.merge} is not a folder")
    # The outputs are checked before hours of training, not after.
    if args.run is None and not args.list_runs:
        try:
            os.makedirs(args.figdir, exist_ok=True)
        except OSError as e:
            ap.error(f"--figdir {args.figdir}: {e.strerror or e}")
        for path, what in ((args.figdir, "--figdir"), (os.path.dirname(os.path.abspath(args.doc)), "--doc")):
            if not os.path.isdir(path):
                ap.error(f"{what}: folder {path} does not exist")
            if not os.access(path, os.W_OK):
                ap.error(f"{what}: folder {path} is not writable")
        if os.path.isdir(args.doc):
            ap.error(f"--doc {args.doc} is a directory")
    tensor_dir = os.path.join(args.figdir, "tensors")
    if args.merge is not None:  # the records were checked against the data when they were made
        found = read_records(args.merge, plan, args, ap.error)
        runs = []
        for path, rec in found:
            for fn in rec.get("samples", []):
                os.makedirs(tensor_dir, exist_ok=True)
                shutil.copyfile(os.path.join(os.path.dirname(path), "tensors", fn), os.path.join(tensor_dir, fn))
            runs.append({k: v for k, v in rec.items() if k not in ("key", "options", "samples")})
        plot_path, csv_path = write_outputs(runs, args, None, tensor_dir, True)
        print(f"train_fmnist: merged {len(runs)} runs from {args.merge}; wrote {args.doc}, {plot_path}, {csv_path}")
        return 0
    try:
        data = load_fmnist(args.data)
    except (OSError, ValueError) as e:
        missing = isinstance(e, OSError) or "No such file" in str(e)
        print(f"train_fmnist: {e}" + (" (install dataset-fashion-mnist: scripts/install-deps.sh python)" if missing
                                      else ""), file=sys.stderr)
        return 2
    n_train, n_test = data[0].shape[0], data[2].shape[0]
    smallest = n_train
    if any(is_narrow(RECIPES[n]) for n in names):  # the subset regime runs
        if args.narrow_subset > n_train:
            ap.error(f"--narrow-subset {args.narrow_subset} is more than the {n_train} training images")
        if args.narrow_test > n_test:
            ap.error(f"--narrow-test {args.narrow_test} is more than the {n_test} test images")
        if args.narrow_subset:
            smallest = min(smallest, args.narrow_subset)
    if args.batch > smallest:
        ap.error(f"--batch {args.batch} is more than the {smallest} training images of a run: no step would train")
    if args.list_runs:
        for k in plan:
            print(run_key(*k))
        return 0
    torch.set_num_threads(max(1, args.torch_threads))
    if args.run is not None:
        recipe, regime, s = this[0]
        run_dir = os.path.join(os.path.dirname(os.path.abspath(args.run_out)), "tensors")
        rec = one_run(recipe, regime, s, data, args, run_dir)
        rec["key"] = args.run
        rec["options"] = {k: getattr(args, k) for k in GRID_OPTIONS}
        rec["samples"] = sorted(os.listdir(run_dir)) if os.path.isdir(run_dir) else []
        tmp = args.run_out + ".tmp"
        with open(tmp, "w") as f:  # floats as repr: they read back to the same bits
            json.dump(rec, f, sort_keys=True)
            f.write("\n")
        os.replace(tmp, args.run_out)
        print(f"train_fmnist: run {args.run}; wrote {args.run_out}")
        return 0
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    runs = [one_run(recipe, regime, s, data, args, tensor_dir) for recipe, regime, s in plan]
    wall = time.perf_counter() - t_start
    args.load = (load_start[0], os.getloadavg()[0])
    plot_path, csv_path = write_outputs(runs, args, wall, tensor_dir, args.reproducible)
    print(f"train_fmnist: {len(runs)} runs in {wall / 60:.1f} min; wrote {args.doc}, {plot_path}, {csv_path}")
    return 0

if __name__ == "__main__":
    sys.exit(main())

"""make train: an MLP 784-256-128-10 on Fashion-MNIST under each recipe of
fp8sa.torch.RECIPES, several seeds each; writes docs/training/recipes.md (table,
verdict, timings), docs/training/curves.png, docs/training/results.csv and
samples of activations, errors and gradients (.npy) from the run.

    python -m fp8sa.train_fmnist [--epochs N] [--seeds S] ...   (--help)

As a job list (scripts/joblist.sh train, docs/scale-out.md): --list-runs
prints the grid's runs (RECIPE:SEED), --run RECIPE:SEED
--run-out FILE.json trains one of them exactly as the grid does and writes
its record, and --merge DIR --reproducible writes the same report, CSV and
plots from the records under DIR. --reproducible (one process or merge)
leaves out the date and every measured time, so that the same grid gives the
same bytes however it ran.

Data: --data DIR, the folder of Fashion-MNIST's four IDX files (.gz);
default $FP8SA_FMNIST_DIR if set, else Debian's dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist, `dpkg -L dataset-fashion-mnist`). Every
recipe trains on the same images: all of them by default (--train-subset N
takes a random N per seed, --test-subset N the first N test images; tests
and quick checks use them). The report (document, CSV, plot) is written by
fp8sa.train_report from the run records; this module trains.
"""
import argparse
import gzip
import json
import math
import os
import shutil
import struct
import sys
import time
import zlib

import numpy as np
import torch

from fp8sa.torch import RECIPES, DynamicLossScaler, Engine, MasterSGD, mlp, train_step
from fp8sa.train_report import SIZES, write_outputs

# Debian's dataset-fashion-mnist; $FP8SA_FMNIST_DIR or --data point elsewhere.
DEBIAN_DATA_DIR = "/usr/share/datasets/fashion-mnist"
DATA_DIR = os.environ.get("FP8SA_FMNIST_DIR") or DEBIAN_DATA_DIR


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
            lv, ok, scale = train_step(model, x, y, opt, scaler, eng, rec)
            rec["loss_scale"].append(scale)
            if not ok:
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


# The options that decide a run's computations (a record carries them; a
# merge refuses records made with other values). --threads does not: the
# model's GEMMs give the same bits on any number of threads.
GRID_OPTIONS = ("recipes", "seeds", "epochs", "train_subset", "test_subset", "batch", "lr", "torch_threads",
                "sample_step")


def grid_options(args):
    """The grid's options as a command line (the reproducible report's)."""
    return " ".join(f"--{k.replace('_', '-')} {getattr(args, k)}" for k in GRID_OPTIONS)


def make_plan(names, seeds):
    """The grid's runs in report order: (recipe, seed)."""
    return [(RECIPES[n], s) for n in names for s in range(1, seeds + 1)]


def run_key(recipe, seed):
    return f"{recipe.name}:{seed}"


def one_run(recipe, s, data, args, tensor_dir):
    """One run of the grid (the same call for the one-process grid and for
    --run): its record, without the model."""
    rec = train_run(recipe, s, data, args.epochs, args.train_subset or None, batch=args.batch, lr=args.lr,
                    threads=args.threads, test_subset=args.test_subset or None,
                    sample_at=args.sample_step if (recipe.name == "mellempudi" and s == 1) else None,
                    sample_dir=tensor_dir)
    rec.pop("model")
    rec["n_train"] = min(args.train_subset or data[0].shape[0], data[0].shape[0])
    rec["n_test"] = min(args.test_subset or data[2].shape[0], data[2].shape[0])
    print(f"{recipe.name} seed {s}: test {rec['test_acc'][-1]:.4f}, "
          f"{np.mean(rec['epoch_time']):.2f} s/epoch", flush=True)
    return rec


def report_context(args, n_train, n_test, wall=None, load=None):
    """What the report says of the run besides the records (train_report):
    n_train, n_test are the images one run trains and tests on."""
    return dict(args=args, grid=grid_options(args), wall=wall, load=load, subset=bool(args.train_subset),
                n_train=n_train, n_test=n_test,
                data="Debian's dataset-fashion-mnist" if os.path.abspath(args.data) == DEBIAN_DATA_DIR
                else f"`{args.data}`")


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
    ap.add_argument("--epochs", type=int, default=3, help="epochs of every run")
    ap.add_argument("--train-subset", type=int, default=0,
                    help="train on a random N of the training images per seed (0: all 60,000)")
    ap.add_argument("--test-subset", type=int, default=0, help="test on the first N test images (0: all 10,000)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=0, help="fp8sa GEMM threads (0: all cores)")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="PyTorch intra-op threads (FP32 GEMMs of the fp32 rows, everything else of the others)")
    ap.add_argument("--data", default=DATA_DIR, metavar="DIR",
                    help="folder of Fashion-MNIST's IDX files (default: $FP8SA_FMNIST_DIR, else Debian's "
                         f"dataset-fashion-mnist, {DEBIAN_DATA_DIR}; now {DATA_DIR})")
    ap.add_argument("--doc", default="docs/training/recipes.md")
    ap.add_argument("--figdir", default="docs/training")
    ap.add_argument("--sample-step", type=int, default=200)
    ap.add_argument("--reproducible", action="store_true",
                    help="no date and no measured time in the report and CSV (the same bytes however the grid ran)")
    ap.add_argument("--list-runs", action="store_true", help="print the grid's runs, RECIPE:SEED, one a line")
    ap.add_argument("--run", metavar="RECIPE:SEED", help="train this one run of the grid (with --run-out)")
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
    for v, what in ((args.seeds, "--seeds"), (args.epochs, "--epochs"),
                    (args.batch, "--batch"), (args.torch_threads, "--torch-threads")):
        if v < 1:
            ap.error(f"{what} must be >= 1")
    for v, what in ((args.threads, "--threads"), (args.train_subset, "--train-subset"),
                    (args.test_subset, "--test-subset"), (args.sample_step, "--sample-step")):
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
        ctx = report_context(args, runs[0]["n_train"], runs[0]["n_test"])
        plot_path, csv_path = write_outputs(runs, ctx, args.figdir, args.doc, tensor_dir, True)
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
    if args.train_subset > n_train:
        ap.error(f"--train-subset {args.train_subset} is more than the {n_train} training images")
    if args.test_subset > n_test:
        ap.error(f"--test-subset {args.test_subset} is more than the {n_test} test images")
    smallest = args.train_subset or n_train
    if args.batch > smallest:
        ap.error(f"--batch {args.batch} is more than the {smallest} training images of a run: no step would train")
    if args.list_runs:
        for k in plan:
            print(run_key(*k))
        return 0
    torch.set_num_threads(max(1, args.torch_threads))
    if args.run is not None:
        recipe, s = this[0]
        run_dir = os.path.join(os.path.dirname(os.path.abspath(args.run_out)), "tensors")
        rec = one_run(recipe, s, data, args, run_dir)
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
    runs = [one_run(recipe, s, data, args, tensor_dir) for recipe, s in plan]
    wall = time.perf_counter() - t_start
    ctx = report_context(args, runs[0]["n_train"], runs[0]["n_test"], wall, (load_start[0], os.getloadavg()[0]))
    plot_path, csv_path = write_outputs(runs, ctx, args.figdir, args.doc, tensor_dir, args.reproducible)
    print(f"train_fmnist: {len(runs)} runs in {wall / 60:.1f} min; wrote {args.doc}, {plot_path}, {csv_path}")
    return 0

if __name__ == "__main__":
    sys.exit(main())

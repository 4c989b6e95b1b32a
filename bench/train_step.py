"""make bench, the training-step section (issue 20 section 2): one training
step (forward, backward, update) of the MLP 784-256-128-10 at batch 128 with
fp8sa.torch.Linear under each recipe, against the same step with
torch.nn.Linear (plain FP32), in one process, interleaved: each round runs
one FP32 step and one step of every recipe; a recipe's figure is the median
over rounds of (its step time / that round's FP32 step time).

    python bench/train_step.py [--rounds N] [--threads T] [--unfused] [--cpu] [--out FILE] [--profile RECIPE]

--cpu times each step by the process's CPU time (time.process_time) instead
of the wall clock: on a machine shared with other jobs the wall clock also
counts the time a step waits for a core (single-threaded steps only).

--phases RECIPE[,RECIPE...] prints where a recipe's step goes, by the
thread's CPU time over --rounds steps: each operand quantization and each
GEMM (by role and shape), the optimizer step (with the FP16 master
rounding), the loss scaler, and the rest (autograd, bias, ReLU, loss,
Python), per step.

--gemm-rates prints, for each of the eight GEMMs of a step (operands taken
from a step of e8m10-sr after --warmup steps), each accumulator's time
(fp8sa._core.gemm_f32, raw output, 16x16 array, 1 thread, the thread's CPU
time, median of --rounds interleaved repetitions) and its MAC rate
relative to e8m23 RNE at the same shape.
"""
import argparse
import cProfile
import pstats
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from fp8sa.torch import RECIPES, DynamicLossScaler, Engine, MasterSGD, mlp

SIZES = (784, 256, 128, 10)
DEFAULT = ("e5m2-rne", "mellempudi", "e8m10-sr", "e6m5-sr13")


class Stepper:
    def __init__(self, recipe, threads, seed=1, fused=True):
        torch.manual_seed(seed)
        self.recipe = recipe
        self.eng = Engine(recipe, seed=seed, threads=threads, fused=fused)
        self.model = mlp(SIZES, recipe, self.eng)
        self.opt = MasterSGD(self.model.parameters(), lr=0.05, momentum=0.9, master=recipe.master,
                             round=recipe.master_round, engine=self.eng)
        self.scaler = DynamicLossScaler(recipe.init_loss_scale, growth_interval=recipe.growth_interval) \
            if recipe.loss_scaling else None

    def step(self, x, y):
        out = self.model(x)
        loss = F.cross_entropy(out, y)
        scale = self.scaler.scale if self.scaler is not None else 1.0
        self.opt.zero_grad()
        (loss * scale).backward()
        flags = self.eng.take_bwd_flags()
        self.eng.take_fwd_flags()
        ok = self.scaler.update(flags) if self.scaler is not None else True
        if ok:
            self.opt.step(grad_scale=scale)
        return float(loss)


def phases(names, rounds, warmup, x, y, threads):
    """Per-phase CPU time of each recipe's step (the thread's CPU time,
    time.thread_time_ns, around Engine.quantize, Engine.gemm,
    MasterSGD.step and DynamicLossScaler.update)."""
    import collections
    import fp8sa.torch as ft
    clk = time.thread_time_ns
    acc, cnt = collections.defaultdict(int), collections.defaultdict(int)
    saved = []

    def wrap(cls, name, key):
        orig = getattr(cls, name)
        saved.append((cls, name, orig))

        def timed(self, *a, **k):
            t0 = clk()
            r = orig(self, *a, **k)
            kk = key(self, a)
            acc[kk] += clk() - t0
            cnt[kk] += 1
            return r
        setattr(cls, name, timed)

    def qkey(_, a):
        return f"quantize {a[1]} {a[2]} {'error' if a[4] else 'fwd'} {'x'.join(map(str, a[0].shape))}"

    def gkey(_, a):
        A, B = a[0], a[3]
        role = "forward" if not a[8] else ("weight-grad" if not A.flags.c_contiguous else "backward-data")
        out = "" if a[6] == "fp32" else f" -> {a[6]} {a[7]}"
        return f"gemm {role} {A.shape[0]}x{A.shape[1]}x{B.shape[1]}{out}"
    wrap(ft.Engine, "quantize", qkey)
    wrap(ft.Engine, "gemm", gkey)
    wrap(ft.MasterSGD, "step", lambda s, a: "optimizer step (MasterSGD, with master rounding)")
    wrap(ft.MasterSGD, "_round", lambda s, a: "optimizer step (MasterSGD, with master rounding)/ of which rounding")
    wrap(ft.DynamicLossScaler, "update", lambda s, a: "loss scaler update")
    lines = []
    try:
        for n in ["fp32"] + [n for n in names if n != "fp32"]:
            s = Stepper(RECIPES[n], threads)
            for _ in range(warmup):
                s.step(x, y)
            acc.clear()
            cnt.clear()
            total = 0
            for _ in range(rounds):
                t0 = clk()
                s.step(x, y)
                total += clk() - t0
            lines.append(f"{n}: {total / rounds / 1e3:.0f} us CPU per step ({rounds} steps), per step:")
            for k in sorted(acc):
                name = "    of which the master rounding" if k.endswith("/ of which rounding") else "  " + k
                lines.append(f"{name:<60} {cnt[k] // rounds:2d}x {acc[k] / rounds / 1e3:8.1f} us")
            rest = total - sum(v for k, v in acc.items() if not k.endswith("/ of which rounding"))
            lines.append(f"  {'rest (autograd, bias, ReLU, loss, Python)':<58}    {rest / rounds / 1e3:8.1f} us")
    finally:
        for cls, name, orig in saved:
            setattr(cls, name, orig)
    return "\n".join(lines)


RATE_ACCS = (("e8m23", "rne", 16), ("e8m10", "sr", 13), ("e6m5", "sr", 13), ("e8m10", "rne", 16))


def gemm_rates(rounds, warmup, x, y):
    """Each step GEMM's time per accumulator and its rate relative to e8m23."""
    import numpy as np
    import fp8sa.torch as ft
    from fp8sa import _core
    clk = time.thread_time_ns
    calls = []
    orig = ft.Engine.gemm

    def grab(self, *a):
        # backward: the weight gradient's A is the activations' transposed codes
        role = "forward" if not a[8] else ("weight-grad" if not a[0].flags.c_contiguous else "backward-data")
        calls.append((np.ascontiguousarray(a[0]), a[1], np.ascontiguousarray(a[3]), a[4], role))
        return orig(self, *a)
    s = Stepper(RECIPES["e8m10-sr"], 1)
    for _ in range(warmup):
        s.step(x, y)
    ft.Engine.gemm = grab
    try:
        s.step(x, y)
    finally:
        ft.Engine.gemm = orig
    head = " ".join(f"{a + ' ' + r:>15}" for a, r, _ in RATE_ACCS)
    lines = [f"GEMMs of a step (us per call, CPU time, median of {rounds}; in brackets the MAC rate / e8m23's)",
             f"  {'GEMM (M x K x N)':<32} {head}"]
    tot = [0.0] * len(RATE_ACCS)
    for A, fa, B, fb, role in calls:
        t = [[] for _ in RATE_ACCS]
        for _ in range(rounds):
            for i, (acc, rnd, bits) in enumerate(RATE_ACCS):
                arr = dict(acc=acc, seed=5, rows=16, cols=16, sr_bits=bits)
                t0 = clk()
                _core.gemm_f32(A, B, fa, fb, rnd, "fp32", "rne", False, 0, arr, 1)
                t[i].append(clk() - t0)
        med = [statistics.median(v) / 1e3 for v in t]
        tot = [a + b for a, b in zip(tot, med)]
        shape = f"{A.shape[0]}x{A.shape[1]}x{B.shape[1]}"
        lines.append(f"  {role + ' ' + shape:<32} " + " ".join(f"{m:8.0f} ({med[0] / m:.2f})" for m in med))
    lines.append(f"  {'all eight':<32} " + " ".join(f"{m:8.0f} ({tot[0] / m:.2f})" for m in tot))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", default=",".join(DEFAULT))
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch and fp8sa threads (default 1)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--unfused", action="store_true",
                    help="also each recipe through the unfused reference path (Engine(fused=False): "
                         "fp8sa.quantize, fp8sa.gemm, fake_quantize; the path before issue 20), rows NAME/unfused")
    ap.add_argument("--cpu", action="store_true", help="process CPU time instead of wall time (loaded machines)")
    ap.add_argument("--out", help="append the table to this file")
    ap.add_argument("--profile", help="cProfile this recipe's steps instead (top functions by total time)")
    ap.add_argument("--phases", metavar="RECIPES", help="per-phase CPU time of these recipes' steps instead")
    ap.add_argument("--gemm-rates", action="store_true",
                    help="each step GEMM's time and MAC rate per accumulator against e8m23 instead")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.cpu and a.threads != 1:
        ap.error("--cpu measures single-threaded steps only (--threads 1)")
    clock = time.process_time if a.cpu else time.perf_counter
    g = torch.Generator().manual_seed(0)
    x = torch.rand(a.batch, SIZES[0], generator=g)
    y = torch.randint(0, SIZES[-1], (a.batch,), generator=g)
    if a.gemm_rates:
        print(gemm_rates(a.rounds, a.warmup, x, y))
        return 0
    if a.phases:
        bad = [n for n in a.phases.split(",") if n not in RECIPES]
        if bad:
            ap.error(f"--phases: no recipe {bad[0]!r} (one of: {', '.join(RECIPES)})")
        print(phases([n for n in a.phases.split(",") if n], a.rounds, a.warmup, x, y, a.threads))
        return 0
    if a.profile:
        s = Stepper(RECIPES[a.profile], a.threads)
        for _ in range(a.warmup):
            s.step(x, y)
        pr = cProfile.Profile(clock)
        pr.enable()
        for _ in range(a.rounds):
            s.step(x, y)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(25)
        return 0
    names = [n for n in a.recipes.split(",") if n]
    steppers = {"fp32": Stepper(RECIPES["fp32"], a.threads)}
    steppers.update({n: Stepper(RECIPES[n], a.threads) for n in names})
    if a.unfused:
        for n in list(names):
            steppers[n + "/unfused"] = Stepper(RECIPES[n], a.threads, fused=False)
            names.append(n + "/unfused")
    for _ in range(a.warmup):
        for s in steppers.values():
            s.step(x, y)
    times = {n: [] for n in steppers}
    for _ in range(a.rounds):
        for n, s in steppers.items():
            t0 = clock()
            s.step(x, y)
            times[n].append(clock() - t0)
    lines = [f"Training step, MLP 784-256-128-10, batch {a.batch}, {a.threads} thread(s), "
             f"{a.rounds} interleaved rounds{', CPU time' if a.cpu else ''}: step time / FP32 step time (median over rounds)",
             f"  {'recipe':<20} {'ms/step':>9} {'ratio':>7} {'min':>6} {'max':>6}"]
    fp = times["fp32"]
    lines.append(f"  {'fp32':<20} {1e3 * statistics.median(fp):9.2f} {1.0:7.2f}")
    for n in names:
        r = [t / f for t, f in zip(times[n], fp)]
        lines.append(f"  {n:<20} {1e3 * statistics.median(times[n]):9.2f} {statistics.median(r):7.2f} "
                     f"{min(r):6.2f} {max(r):6.2f}")
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "a") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

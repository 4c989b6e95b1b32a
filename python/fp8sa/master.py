"""fp8sa.master: SGD with momentum over low-precision master weights, every
rounding by the array's own quantizer (issue 22, experiment 2).

    from fp8sa.master import LowPrecisionSGD
    opt = LowPrecisionSGD(model.parameters(), lr=0.002, master="bf16", round="sr", seed=1)
    ... loss.backward(); opt.step() ...
    opt.lost_fraction()      # updates that left their weight unchanged, so far

Two modes (docs/experiments.md, "Master weights"):

* master weights (standalone=False): the weights the GEMMs read are the
  masters, held in `master` ("fp32", "fp16", "bf16", "e5m2"); the gradient
  and the momentum buffer are FP32. A step computes, in FP32 (PyTorch),
  b = momentum * b + g and w' = w - lr * b, then rounds the FP32 word w'
  once into `master` with `round` ("rne" or "sr": SR with `sr_bits` random
  bits per draw from the array's LFSR, a fresh seed per tensor and step, and
  the construction `sr_kind`, "mid", "trunc" or "src", docs/numerics.md
  section 5; default 16 bits, "mid"). FP32 masters
  take FP32's own RNE: the array's quantizer has no FP32 output, so FP32
  with SR is refused.
* standalone 16-bit (standalone=True, master "fp16" or "bf16"): no FP32
  state at all. The gradient is rounded into `master` (RNE; the weight
  gradients already are, by the array's output quantizer when the recipe's
  out_wgrad is that format), b = Q(momentum * b + g) and w' = Q(w - lr * b),
  each right side computed in FP32 and rounded once by the quantizer with
  `round`. What stays FP32 is only the arithmetic inside one operation, as in
  a 16-bit FMA unit.

Weights are rounded into `master` (RNE) when the optimizer is made. The
optimizer records, for every step, how many intended updates lr * b != 0 left
their weight unchanged (update stagnation: the update was below half an ulp
of the weight under RNE, or SR rounded it back) and, every `log_every` steps,
one row per parameter tensor (metric_rows) in the layout of
fp8sa.metrics.MetricsLog's rows with role "update": underflow = the fraction
of the tensor's updates lost, zero = the fraction whose intended update was
zero, sqnr_db = 10 log10(sum d^2 / sum (applied - d)^2) of the applied
update against the intended one d.
"""
import math

import numpy as np
import torch

import fp8sa as _fp

MASTERS = ("fp32", "fp16", "bf16", "e5m2")
ROUNDS = ("rne", "sr")
SR_KINDS = ("mid", "trunc", "src")


def round_to(x, fmt, rnd="rne", seed=1, sr_bits=16, sr_kind="mid", rand=None):
    """float32 numpy array x rounded into fmt ("fp16", "bf16", "e5m2", ...)
    by the array's quantizer (fp8sa.quantize, not saturating: an overflow is
    Inf), as float32 values. SR: sr_bits random bits per element from one
    LFSR with this seed, in C order (or the words rand), construction
    sr_kind."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    return _fp.decode(_fp.quantize(x, fmt, rnd, False, seed, sr_bits=sr_bits, sr_kind=sr_kind, rand=rand), fmt)


def _seed(base, n):
    """The LFSR seed of the n-th rounding of a run (never 0)."""
    s = (int(base) * 0x9E3779B1 + n * 0xC2B2AE3D + 0x27D4EB2F) & 0xFFFFFFFF
    return s or 1


class LowPrecisionSGD:
    """SGD with momentum whose state lives in a low-precision format (module
    docstring). params: float32 parameters; seed: the SR streams' seed."""

    def __init__(self, params, lr, momentum=0.9, master="fp32", round="rne", standalone=False, seed=1,
                 log_every=10, sr_bits=16, sr_kind="mid"):
        if not isinstance(master, str) or master.lower() not in MASTERS:
            raise ValueError(f"LowPrecisionSGD: master {master!r:.40} is not one of: {', '.join(MASTERS)}")
        if not isinstance(round, str) or round.lower() not in ROUNDS:
            raise ValueError(f"LowPrecisionSGD: round {round!r:.40} is not one of: {', '.join(ROUNDS)}")
        master, round = master.lower(), round.lower()
        if master == "fp32" and round == "sr":
            raise ValueError("LowPrecisionSGD: FP32 masters with SR: the array's quantizer has no FP32 output "
                             "(FP32 masters are updated with FP32's RNE)")
        if isinstance(sr_bits, bool) or not isinstance(sr_bits, int) or not 2 <= sr_bits <= 24:
            raise ValueError(f"LowPrecisionSGD: sr_bits {sr_bits!r:.40} must be an integer in [2, 24]")
        if not isinstance(sr_kind, str) or sr_kind.lower() not in SR_KINDS:
            raise ValueError(f"LowPrecisionSGD: sr_kind {sr_kind!r:.40} is not one of: {', '.join(SR_KINDS)}")
        if standalone and master not in ("fp16", "bf16"):
            raise ValueError(f"LowPrecisionSGD: standalone 16-bit training needs master fp16 or bf16, not {master}")
        for v, what in ((lr, "lr"), (momentum, "momentum")):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"LowPrecisionSGD: {what} {v!r:.40} must be a finite number >= 0")
        self.params = list(params)
        for p in self.params:
            if p.dtype != torch.float32:
                raise TypeError(f"LowPrecisionSGD: float32 parameters only (got {p.dtype}): the quantizer rounds "
                                "binary32 words")
        self.lr, self.momentum = float(lr), float(momentum)
        self.master, self.round, self.standalone = master, round, bool(standalone)
        self.sr_bits, self.sr_kind = int(sr_bits), sr_kind.lower()
        self.seed, self._n = int(seed), 0
        self.log_every = int(log_every)
        self.step_count = 0
        self.lost = 0           # intended updates (d != 0) that left their weight unchanged
        self.intended = 0       # intended updates d != 0
        self.metric_rows = []
        self.buf = [torch.zeros_like(p) for p in self.params]
        if master != "fp32":
            with torch.no_grad():
                for p in self.params:
                    p.copy_(self._q(p, "rne"))

    def _q(self, t, rnd):
        """t rounded into the master format with rnd, as a float32 tensor."""
        self._n += 1
        return torch.from_numpy(round_to(t.detach().contiguous().numpy(), self.master, rnd,
                                         _seed(self.seed, self._n), self.sr_bits, self.sr_kind))

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def lost_fraction(self):
        """Fraction of the intended non-zero updates so far that were lost."""
        return self.lost / self.intended if self.intended else 0.0

    @torch.no_grad()
    def step(self, grad_scale=1.0):
        log = self.log_every > 0 and self.step_count % self.log_every == 0
        for i, (p, b) in enumerate(zip(self.params, self.buf)):
            if p.grad is None:
                continue
            g = p.grad / grad_scale if grad_scale != 1.0 else p.grad
            if self.standalone:
                g = self._q(g, "rne")
                b.copy_(self._q(b * self.momentum + g, self.round))
            else:
                b.mul_(self.momentum).add_(g)
            d = b * -self.lr
            new = p + d
            if self.master != "fp32":
                new = self._q(new, self.round)
            nz = d != 0
            lost = int(torch.count_nonzero(nz & (new == p)))
            n_nz = int(torch.count_nonzero(nz))
            self.lost += lost
            self.intended += n_nz
            if log:
                applied = new.double() - p.double()
                dd = d.double()
                sig, noise = float((dd * dd).sum()), float(((applied - dd) ** 2).sum())
                sq = float("inf") if noise == 0 else (float("-inf") if sig == 0 else 10 * math.log10(sig / noise))
                n = p.numel()
                self.metric_rows.append(dict(step=self.step_count, role="update", layer=i, fmt=self.master, n=n,
                                             underflow=lost / n, overflow=0.0, zero=(n - n_nz) / n, sqnr_db=sq,
                                             scale=0))
            p.copy_(new)
        self.step_count += 1


# ---------------------------------------------------------------------------
# The experiment's table and plot (docs/experiments.md, "Master weights"),
# from fp8sa.experiments' results CSV and its _metrics.csv (the "update" rows).

REFERENCE = "fp32-rne"  # the array's GEMMs with FP32 masters: only the master differs in the other rows


def _by_setting(rows):
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(r)
    return by


def _acc(rs):
    a = np.array([float(r["accuracy"]) for r in rs]) * 100
    return a, float(a.mean()), (float(a.std(ddof=1)) if a.size > 1 else float("nan"))


def update_stats(metric_rows):
    """Per setting: the fraction of weight updates lost (over all logged
    steps, tensors and seeds, weighted by elements) and the mean update
    SQNR in dB (finite values)."""
    out = {}
    for r in metric_rows:
        if r["role"] != "update":
            continue
        s = out.setdefault(r["setting"], dict(lost=0.0, n=0, sq=[]))
        n = int(r["n"])
        s["lost"] += float(r["underflow"]) * n
        s["n"] += n
        q = float(r["sqnr_db"])
        if math.isfinite(q):
            s["sq"].append(q)
    return {k: dict(lost=v["lost"] / v["n"] if v["n"] else float("nan"),
                    sqnr_db=float(np.mean(v["sq"])) if v["sq"] else float("nan")) for k, v in out.items()}


def _verdict(d, spread):
    if math.isnan(spread):
        return "one seed"
    return f"**beyond** {spread:.2f}" if abs(d) > spread else f"within {spread:.2f}"


def table_text(rows, metric_rows):
    """A markdown table: per setting the accuracy's mean and std over seeds,
    the difference from the FP32-master row and from the same master's RNE
    row (SR rows), each against the seed spread (the larger std of the two),
    the fraction of updates lost and the update SQNR."""
    by, st = _by_setting(rows), update_stats(metric_rows)
    ref = _acc(by[REFERENCE]) if REFERENCE in by else None
    out = ["| setting | seeds | test accuracy mean | std | vs FP32 master | separates? | SR vs RNE | separates? | "
           "updates lost | update SQNR (dB) | final loss |",
           "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: |"]
    for label, rs in by.items():
        _, m, sd = _acc(rs)
        vs = sep = sv = ssep = "-"
        if ref is not None and label != REFERENCE:
            d = m - ref[1]
            vs, sep = f"{d:+.2f}", _verdict(d, max(sd, ref[2]))
        if label.endswith("-sr") and label[:-3] + "-rne" in by:
            _, m2, sd2 = _acc(by[label[:-3] + "-rne"])
            sv, ssep = f"{m - m2:+.2f}", _verdict(m - m2, max(sd, sd2))
        u = st.get(label)
        lost = f"{100 * u['lost']:.1f} %" if u else "-"
        sq = f"{u['sqnr_db']:.1f}" if u and math.isfinite(u["sqnr_db"]) else "-"
        loss = float(np.mean([float(r["final_loss"]) for r in rs]))
        out.append(f"| {label} | {len(rs)} | {m:.2f} % | {sd:.2f} | {vs} | {sep} | {sv} | {ssep} | {lost} | {sq} | "
                   f"{loss:.3f} |")
    return "\n".join(out)


def plot(rows, metric_rows, path):
    """Accuracy per setting (every seed, mean and min..max) beside the
    fraction of updates lost per setting; written to path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    by, st = _by_setting(rows), update_stats(metric_rows)
    labels = list(by)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw=dict(width_ratios=[3, 2]))
    for i, label in enumerate(labels):
        a, m, _ = _acc(by[label])
        ax1.plot([i] * a.size, a, "o", color="tab:orange" if label.endswith("-sr") else "tab:blue", alpha=0.5, ms=4)
        ax1.errorbar([i], [m], yerr=[[m - a.min()], [a.max() - m]], fmt="_", color="black", ms=14, capsize=4)
        u = st.get(label)
        ax2.bar([i], [100 * u["lost"] if u else 0], color="tab:red" if u else "none")
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    ax1.set_ylabel("test accuracy (%)")
    ax1.set_title("master-weights: accuracy per setting (seeds: blue RNE, orange SR; mean, min..max)", fontsize=9)
    ax2.set_ylabel("weight updates lost (%)")
    ax2.set_title("updates that left their weight unchanged", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    """python -m fp8sa.master --table FILE.csv [--plot FILE.png]: the
    master-weights experiment's table (and plot) from fp8sa.experiments'
    CSV and its _metrics.csv."""
    from fp8sa.experiments import table_main
    return table_main("master", "a master-weights", main.__doc__, table_text, plot, argv)


if __name__ == "__main__":
    import sys
    sys.exit(main())

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
  once into `master` with `round` ("rne" or "sr", SR with 16 random bits
  from the array's LFSR, a fresh seed per tensor and step). FP32 masters
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


def round_to(x, fmt, rnd="rne", seed=1):
    """float32 numpy array x rounded into fmt ("fp16", "bf16", "e5m2", ...)
    by the array's quantizer (fp8sa.quantize, not saturating: an overflow is
    Inf), as float32 values. SR: 16 random bits per element from one LFSR
    with this seed, in C order."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    return _fp.decode(_fp.quantize(x, fmt, rnd, False, seed), fmt)


def _seed(base, n):
    """The LFSR seed of the n-th rounding of a run (never 0)."""
    s = (int(base) * 0x9E3779B1 + n * 0xC2B2AE3D + 0x27D4EB2F) & 0xFFFFFFFF
    return s or 1


class LowPrecisionSGD:
    """SGD with momentum whose state lives in a low-precision format (module
    docstring). params: float32 parameters; seed: the SR streams' seed."""

    def __init__(self, params, lr, momentum=0.9, master="fp32", round="rne", standalone=False, seed=1,
                 log_every=10):
        if not isinstance(master, str) or master.lower() not in MASTERS:
            raise ValueError(f"LowPrecisionSGD: master {master!r:.40} is not one of: {', '.join(MASTERS)}")
        if not isinstance(round, str) or round.lower() not in ROUNDS:
            raise ValueError(f"LowPrecisionSGD: round {round!r:.40} is not one of: {', '.join(ROUNDS)}")
        master, round = master.lower(), round.lower()
        if master == "fp32" and round == "sr":
            raise ValueError("LowPrecisionSGD: FP32 masters with SR: the array's quantizer has no FP32 output "
                             "(FP32 masters are updated with FP32's RNE)")
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
                                         _seed(self.seed, self._n)))

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

"""fp8sa.metrics: what the array's quantizer does to a tensor (issue 22,
experiment 5, after Rasquinha et al. 2024: metrics that predict failure).

    from fp8sa.metrics import tensor_metrics, MetricsLog
    m = tensor_metrics(errors, "e5m2")          # dict: underflow, overflow, sqnr_db, ...

tensor_metrics quantizes with fp8sa.quantize (the array's own quantizer,
docs/numerics.md section 6: its rounding, its saturation, its flags) and
reports, over the n elements of the tensor:

* underflow: the fraction of elements that are finite and non-zero and
  become zero (flushed: below half the smallest subnormal under RNE);
* overflow: the fraction of finite elements the quantizer flags overflow:
  their rounded magnitude is above the largest finite value, so they
  saturate to +-max (sat) or become Inf, or NaN for E4M3 (no sat);
* zero: the fraction of elements that are zero after quantization
  (underflowed or zero already: a layer below one whose errors all
  underflowed gets exact zeros, 0 % underflow and an SQNR of +inf, and shows
  here);
* sqnr_db: 10 log10(sum x^2 / sum (x - q)^2) in float64 over the finite
  elements whose quantized value is finite (an Inf or NaN from overflow is
  counted by `overflow`, not here; a saturated value's clipping error is
  counted here): +inf when nothing was lost, nan when no element counts.

With scale (an integer, or "amax": the per-tensor power-of-two scaling of
fp8sa.torch.Recipe.tensor_scaling) the quantizer converts x * 2^scale and
the error is measured against x * 2^scale (exact: a power of two).

gradient_metrics measures a weight-gradient GEMM's result (the role
"gradient": the accumulator's rounding, not an operand quantizer's) against
the exact product of the same quantized operands (float64: every FP8 product
is exact there, and the sum's error is far below any accumulator's under
test): underflow (non-zero exact, zero result), overflow (non-finite
result), zero, sqnr_db as above.

MetricsLog collects these per tensor role (activation, error, weight; and
gradient with gradients=True) and layer over training, through
fp8sa.torch.Engine's sample_hook (and gradient_hook).
"""
import math

import numpy as np
import torch

import fp8sa as _fp


def amax_scale(x, fmt):
    """The power-of-two exponent s that puts amax(|x|) just under fmt's
    largest finite value: floor(log2(max_finite / amax)), in [-64, 63]; 0 for
    an all-zero or non-finite amax (fp8sa.torch.Engine.quantize's rule)."""
    x = np.asarray(x)
    amax = float(np.max(np.abs(x))) if x.size else 0.0
    if not (amax > 0 and math.isfinite(amax)):
        return 0
    s = int(math.floor(math.log2(_fp._TABLE[fmt]["max_finite"] / amax)))
    return max(-64, min(63, s))


def _values(x):
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"tensor_metrics: complex tensors are not supported (got {x.dtype})")
        x = x.detach()
        x = (x if x.dtype == torch.float64 else x.to(torch.float32)).contiguous().numpy()
    x = np.asarray(x)
    if x.dtype.kind not in "f":
        raise TypeError(f"tensor_metrics: expected real floating-point values, got dtype {x.dtype}")
    return x


def _sqnr_db(signal, approx):
    """10 log10(sum signal^2 / sum (signal - approx)^2) in float64: +inf
    when nothing was lost, -inf for a zero signal with noise, nan when no
    element counts."""
    if signal.size == 0:
        return float("nan")
    sig = float(np.sum(np.square(signal)))
    noise = float(np.sum(np.square(signal - approx)))
    if noise == 0:
        return float("inf")
    if sig == 0:
        return float("-inf")
    return 10.0 * math.log10(sig / noise)


def _result(n, underflow, overflow, zero, sqnr, scale):
    """The metrics dict from element counts over n elements."""
    return dict(n=n, underflow=underflow / n if n else 0.0, overflow=overflow / n if n else 0.0,
                zero=zero / n if n else 0.0, sqnr_db=sqnr, scale=scale)


def tensor_metrics(x, fmt, round="rne", sat=False, scale=0, seed=1, sr_bits=16):
    """Underflow, overflow and zero fractions and SQNR (dB) of x quantized to fmt
    by the array's quantizer (module docstring). fmt: "e4m3", "e5m2",
    "fp16", "bf16"; round: "rne", "rz", "sr" (seed, sr_bits: its LFSR);
    scale: an integer in [-64, 63] or "amax". Returns a dict: n, underflow,
    overflow, zero, sqnr_db, scale."""
    x = _values(x)
    if isinstance(scale, str):
        if scale != "amax":
            raise ValueError(f"tensor_metrics: scale {scale!r:.40} is not an integer or 'amax'")
        scale = amax_scale(x, _fp._choice(fmt, "fmt", tuple(_fp._TABLE)))
    codes, flags = _fp.quantize(x, fmt, round, sat, seed, scale, sr_bits=sr_bits, return_flags=True)
    q = _fp.decode(codes, fmt).astype(np.float64)
    xs = x.astype(np.float64) * 2.0 ** scale
    n = x.size
    fin = np.isfinite(xs)
    underflow = int(np.count_nonzero(fin & (xs != 0) & (q == 0)))
    zero = int(np.count_nonzero(fin & (q == 0)))
    overflow = int(np.count_nonzero(fin & ((flags & _fp.FLAG_OVERFLOW) != 0)))
    use = fin & np.isfinite(q)
    return _result(n, underflow, overflow, zero, _sqnr_db(xs[use], q[use]), scale)


def gradient_metrics(g, a, fa, sa, b, fb, sb):
    """Underflow, overflow and zero fractions and SQNR (dB) of a weight
    gradient g (the array's float32 result of the codes a (M x K, format fa,
    scaled by 2^sa) times b (K x N, fb, 2^sb), unscaled) against their exact
    product in float64. Returns tensor_metrics's dict (scale 0)."""
    g = np.asarray(_values(g), dtype=np.float64)
    ref = _fp.decode(np.asarray(a), fa).astype(np.float64) @ _fp.decode(np.asarray(b), fb).astype(np.float64)
    ref *= 2.0 ** -(sa + sb)
    if ref.shape != g.shape:
        raise ValueError(f"gradient_metrics: the result has shape {g.shape}, the operands give {ref.shape}")
    n = g.size
    fin = np.isfinite(g)
    underflow = int(np.count_nonzero((ref != 0) & (g == 0)))
    zero = int(np.count_nonzero(g == 0))
    overflow = int(np.count_nonzero(~fin))
    return _result(n, underflow, overflow, zero, _sqnr_db(ref[fin], g[fin]), 0)


ROLES = ("activation", "error", "weight")


class MetricsLog:
    """tensor_metrics of every tensor role and layer at the steps asked for.

        log = MetricsLog(recipe)
        eng.sample_hook = log.hook if log.wants(step) else None
        ... forward, backward ...
        log.end_step(step, model)   # adds the weights; rows in log.rows

    Activations arrive in forward order, errors in backward order (the last
    layer first): layer numbers are forward order (0 = the first layer) for
    every role. Each tensor is measured as its role's quantization in the
    recipe sees it (format, rounding, saturation, per-tensor scaling); with
    SR the LFSR seed is this log's, not the training run's."""

    def __init__(self, recipe, every=50, gradients=False):
        self.recipe, self.every, self.gradients = recipe, int(every), bool(gradients)
        self.rows = []
        self._pending = {"activation": [], "error": [], "gradient": []}

    def wants(self, step):
        return self.every > 0 and step % self.every == 0

    def _spec(self, role):
        r = self.recipe
        if role == "gradient":  # the weight-gradient GEMMs' accumulator
            return ((r.wgrad_array or {}).get("acc", r.acc), None, None)
        return {"activation": (r.fmt_act, r.round_act, r.sat_fwd), "error": (r.fmt_err, r.round_err, r.sat_bwd),
                "weight": (r.fmt_weight, r.round_weight, r.sat_fwd)}[role]

    def measure(self, role, x):
        fmt, rnd, sat = self._spec(role)
        return tensor_metrics(x, fmt, rnd, sat, "amax" if self.recipe.tensor_scaling else 0)

    def hook(self, role, arr):
        if role in ("activation", "error"):  # "gradient" comes through gradient_hook, with its operands
            self._pending[role].append(self.measure(role, arr))

    def gradient_hook(self, g, a, fa, sa, b, fb, sb):
        """Engine.gradient_hook: a weight-gradient GEMM's result and operands
        (gradient_metrics), kept when the log measures gradients."""
        if self.gradients:
            self._pending["gradient"].append(gradient_metrics(g, a, fa, sa, b, fb, sb))

    def end_step(self, step, model=None):
        acts, errs, grads = self._pending["activation"], self._pending["error"], self._pending["gradient"]
        layers = len(acts)
        for role, ms in (("activation", acts), ("error", list(reversed(errs))), ("gradient", list(reversed(grads)))):
            off = layers - len(ms) if role != "activation" else 0  # layers with no error or gradient (none here)
            for i, m in enumerate(ms):
                self._row(step, role, i + off, m)
        if model is not None:
            i = 0
            for mod in model.modules():
                if getattr(mod, "engine", None) is not None and isinstance(getattr(mod, "weight", None), torch.Tensor):
                    self._row(step, "weight", i, self.measure("weight", mod.weight))
                    i += 1
        self._pending = {"activation": [], "error": [], "gradient": []}

    def _row(self, step, role, layer, m):
        fmt = self._spec(role)[0]
        self.rows.append(dict(step=step, role=role, layer=layer, fmt=fmt, n=m["n"], underflow=m["underflow"],
                              overflow=m["overflow"], zero=m["zero"], sqnr_db=m["sqnr_db"], scale=m["scale"]))

    def summary(self, role, last_only=False):
        """Mean underflow, overflow, zero and SQNR (dB; finite values) of a role
        over layers and logged steps (last_only: the last logged step)."""
        rows = [r for r in self.rows if r["role"] == role]
        if last_only and rows:
            rows = [r for r in rows if r["step"] == rows[-1]["step"]]
        if not rows:
            return dict(underflow=float("nan"), overflow=float("nan"), zero=float("nan"), sqnr_db=float("nan"))
        sq = [r["sqnr_db"] for r in rows if math.isfinite(r["sqnr_db"])]
        return dict(underflow=float(np.mean([r["underflow"] for r in rows])),
                    overflow=float(np.mean([r["overflow"] for r in rows])),
                    zero=float(np.mean([r["zero"] for r in rows])),
                    sqnr_db=float(np.mean(sq)) if sq else float("nan"))

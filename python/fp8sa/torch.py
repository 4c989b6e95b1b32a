"""fp8sa.torch: PyTorch layers whose GEMMs run on the fp8sa functional model.

    from fp8sa.torch import Recipe, Engine, Linear, matmul
    eng = Engine(RECIPES["mellempudi"], seed=1)
    layer = Linear(784, 256, engine=eng)

Every GEMM of a `Linear` (and of `matmul`) runs on the array's bit-exact
model (fp8sa.gemm, backend "functional"): the forward GEMM (activations x
weights), the backward-data GEMM (errors x weights) and the weight-gradient
GEMM (activations^T x errors). A `Recipe` says, per tensor role, the FP8
operand format and the rounding of its quantization, the accumulator format
and rounding, what the array's output quantizer does with each GEMM's
result, per-tensor scaling, and the loss-scaling and master-weight policy
(docs/training/recipes.md). The bias add, ReLU, softmax/loss and the optimizer's
arithmetic run in PyTorch FP32; the FP16 master weights are rounded by
fp8sa's quantizer (RNE or SR).

Loss scaling is driven by the array's own flags: every backward GEMM's tile
flags and every quantization of an error tensor are ORed into the engine;
`DynamicLossScaler.update` skips the step and lowers the scale when the OR
has overflow or invalid, and raises the scale after N clean steps.
"""
from dataclasses import dataclass, field, replace
import math

import numpy as np
import torch

import fp8sa as _fp

_BAD = _fp.FLAG_OVERFLOW | _fp.FLAG_INVALID


def _values(t):
    """A real tensor's values as numpy for fp8sa.quantize, never rounded on
    the way: float64 stays float64 (fp8sa rounds it once), every other real
    dtype is exact in float32; complex tensors are refused (their imaginary
    part has no FP8 code)."""
    if t.is_complex():
        raise TypeError(f"fp8sa.torch: complex tensors are not supported (got {t.dtype})")
    t = t.detach()
    if t.dtype != torch.float64:
        t = t.to(torch.float32)
    return t.contiguous().numpy()


def _real(v, what, lo=None, hi=None, lo_open=False):
    """A finite real number in [lo, hi] ((lo, hi] with lo_open)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what}: expected a number, got {type(v).__name__} {v!r:.40}")
    v = float(v)
    if not math.isfinite(v) or (lo is not None and (v < lo or (lo_open and v == lo))) or (hi is not None and v > hi):
        rng = f"{'(' if lo_open else '['}{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
        raise ValueError(f"{what} {v!r} is out of range {rng} (finite)")
    return v


def _count(v, what, lo=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{what}: expected an integer, got {type(v).__name__} {v!r:.40}")
    if v < lo:
        raise ValueError(f"{what} {int(v)} is out of range [{lo}, inf)")
    return int(v)


@dataclass(frozen=True)
class Recipe:
    """One training recipe: numerics of every GEMM and of the update."""
    name: str = "e5m2-rne"
    # Operand formats and the rounding of their quantization, per role.
    fmt_act: str = "e5m2"       # activations X (forward and weight-gradient GEMMs)
    fmt_weight: str = "e5m2"    # weights W (forward and backward-data GEMMs)
    fmt_err: str = "e5m2"       # errors dY (backward-data and weight-gradient GEMMs)
    round_act: str = "rne"
    round_weight: str = "rne"
    round_err: str = "rne"
    sat_fwd: bool = True        # activations and weights saturate (no Inf in the forward pass)
    sat_bwd: bool = False       # errors and gradients overflow to Inf/NaN (what loss scaling sees)
    # The accumulator (the array's ACC_EXP_W/ACC_MAN_W, SR_BITS = R).
    acc: str = "e8m23"
    acc_round: str = "rne"
    acc_sr_bits: int = 16
    # The array of the weight-gradient GEMMs only (issue 22 experiment 3):
    # fp8sa.gemm's keywords (acc, round, sr_bits, pe, dot_n, align_bits,
    # promote, ...); what it leaves out is the recipe's (acc, acc_round,
    # acc_sr_bits). None: every GEMM runs on the recipe's own accumulator.
    wgrad_array: dict = None
    # The array's output quantizer per GEMM: "fp32" = the raw accumulator
    # word; else a format with out_round (the array's cmd_out_fmt/out_rnd).
    out_fwd: str = "fp32"
    out_bwd: str = "fp32"       # the errors dX passed down
    out_wgrad: str = "fp32"     # the weight gradients dW
    out_round_fwd: str = "rne"
    out_round_bwd: str = "rne"
    out_round_wgrad: str = "rne"
    # Per-tensor power-of-two scaling of every operand into its format's
    # range (amax -> just under the largest finite), undone exactly by the
    # array's quantizer scale or a power-of-two multiply.
    tensor_scaling: bool = False
    # Dynamic loss scaling driven by the array's flags.
    loss_scaling: bool = False
    init_loss_scale: float = 2.0 ** 10
    growth_interval: int = 200
    # Master weights: "fp32" or "fp16" (each update rounded to FP16 by
    # fp8sa's quantizer with master_round: "rne" or "sr").
    master: str = "fp32"
    master_round: str = "rne"
    plain: bool = False         # True: plain PyTorch FP32 (no fp8sa at all), the baseline


class Engine:
    """Runs a recipe's GEMMs on fp8sa and collects the array's flags.

    seed: the run's seed; each quantization with SR and each GEMM gets its
    own LFSR seed derived from it and a counter, so no two SR streams repeat.
    rows, cols: the array the functional model tiles onto (tile flags are
    per rows x cols output tile).
    backend: where the GEMMs run: "functional" (the fast model), "cycle",
    "rtl:NAME", or "board:sim" / "board:sim:NAME", the simulated FPGA board
    (fp8sa.sim_boards(); in-tree builds with the Verilated boards only).
    array: the array keywords (fp8sa.gemm's) every GEMM runs with, in place
    of rows, cols and a fresh seed per GEMM. A board brings its own array
    (fp8sa.board_array()): its seed is built in, so every GEMM's LFSRs start
    from it; the recipe's acc (and acc_sr_bits under SR) must be the board's.
    """

    def __init__(self, recipe, seed=1, rows=16, cols=16, threads=0, fused=True, backend="functional", array=None):
        self.recipe = recipe
        self.backend = _fp._name(backend, "Engine: backend")
        if self.backend.startswith("board"):
            if array is not None:
                raise ValueError(f"Engine: backend {self.backend} brings its own array; give no array")
            array = _fp.board_array(self.backend)
            array = {k: v for k, v in array.items() if k not in ("k_max", "rnd_modes", "out_quant")}
            if not recipe.plain and array["acc"] != recipe.acc:
                raise ValueError(f"Engine: recipe {recipe.name} has acc {recipe.acc}, the board's array "
                                 f"({self.backend}) {array['acc']}")
            if not recipe.plain and recipe.acc_round == "sr" and array["sr_bits"] != recipe.acc_sr_bits:
                raise ValueError(f"Engine: recipe {recipe.name} has acc_sr_bits {recipe.acc_sr_bits}, the board's "
                                 f"array ({self.backend}) sr_bits {array['sr_bits']}")
        # The array of every GEMM (None: rows, cols, the recipe's acc and a
        # fresh seed each); only its keywords that differ from the defaults
        # go to fp8sa.gemm (a board takes none: the array is its own).
        self.array = None if array is None else dict(array)
        if self.array is not None and recipe.wgrad_array:
            raise ValueError(f"Engine: recipe {recipe.name} has a wgrad_array; a fixed array (array= or a board) "
                             "runs every GEMM on one array")
        if self.array is not None:
            rows, cols = self.array.get("rows", rows), self.array.get("cols", cols)
            defaults = {f["name"]: f["default"] for f in _fp.ARRAY_FIELDS}
            self._gemm_kw = {} if self.backend.startswith("board") else {
                k: v for k, v in self.array.items() if defaults.get(k) != v}
        # fused: the quantizations and GEMMs through fp8sa._core's fused
        # calls (flags ORed in C++, float32 values, no per-element flag
        # arrays or float64 round trips); False: through fp8sa.quantize and
        # fp8sa.gemm, the reference the tests compare the fused path with
        # (same bits, same flags, same seeds).
        self.fused = bool(fused)
        self.seed = int(seed)
        self.rows, self.cols, self.threads = rows, cols, threads
        self._n = 0
        self.bwd_flags = 0      # OR of backward flags since take_bwd_flags()
        self.fwd_flags = 0      # OR of forward flags since take_fwd_flags()
        self.gemm_macs = 0
        self.sample_hook = None  # called as hook(role, np.ndarray) for the saved tensor samples
        # called as hook(result, a, fa, sa, b, fb, sb) after each weight-gradient
        # GEMM: its float32 result and its operands' codes, formats and scales
        # (fp8sa.metrics.MetricsLog.gradient_hook)
        self.gradient_hook = None

    def next_seed(self):
        self._n += 1
        s = (self.seed * 0x9E3779B1 + self._n * 0x85EBCA77) & 0xFFFFFFFF
        return s or 1

    def take_bwd_flags(self):
        f, self.bwd_flags = self.bwd_flags, 0
        return f

    def take_fwd_flags(self):
        f, self.fwd_flags = self.fwd_flags, 0
        return f

    # -- operands --------------------------------------------------------
    def quantize(self, t, fmt, rnd, sat, backward):
        """FP8 codes of tensor t and the power-of-two exponent s it was
        scaled by (codes hold round(t * 2^s))."""
        if self.fused and t.dtype == torch.float32 and not t.is_complex():
            return self._quantize_fused(t, fmt, rnd, sat, backward)
        x = _values(t)
        s = 0
        if self.recipe.tensor_scaling:
            amax = float(np.max(np.abs(x))) if x.size else 0.0
            if amax > 0 and math.isfinite(amax):
                fmax = _fp._TABLE[fmt]["max_finite"]
                s = int(math.floor(math.log2(fmax / amax)))
                s = max(-64, min(63, s))
        codes, flags = _fp.quantize(x, fmt, rnd, sat, self.next_seed(), s, return_flags=True)
        f = int(np.bitwise_or.reduce(flags, axis=None)) if flags.size else 0
        if backward:
            self.bwd_flags |= f
        else:
            self.fwd_flags |= f
        return codes, s

    def _quantize_fused(self, t, fmt, rnd, sat, backward):
        if rnd != "sr" and t.dim() == 2 and not t.is_contiguous() and t.t().is_contiguous():
            # A transposed view (Linear's weight.t()): RNE and RZ round each
            # element alone, so its codes are the transpose of the stored
            # tensor's, without a float32 transposed copy (SR draws in C
            # order of the view and takes the copy).
            codes, s = self._quantize_fused(t.t(), fmt, rnd, sat, backward)
            return codes.T, s
        x = t.detach().contiguous()
        s = 0
        if self.recipe.tensor_scaling and x.numel():
            amax = float(x.abs().max())  # exact in float32, as numpy's
            if amax > 0 and math.isfinite(amax):
                fmax = _fp._TABLE[fmt]["max_finite"]
                s = int(math.floor(math.log2(fmax / amax)))
                s = max(-64, min(63, s))
        codes = np.empty(tuple(x.shape), np.uint8)
        f = _fp._core.quantize_f32(x.numpy(), codes, fmt, rnd, sat, self.next_seed(), s, 16)
        if backward:
            self.bwd_flags |= f
        else:
            self.fwd_flags |= f
        return codes, s

    # -- GEMMs -------------------------------------------------------------
    def gemm(self, a, fa, sa, b, fb, sb, out, out_round, backward, sat, wgrad=False):
        """a (M x K) codes scaled by 2^sa, b (K x N) codes scaled by 2^sb ->
        float32 torch tensor of the product, unscaled. wgrad: a weight-gradient
        GEMM (the recipe's wgrad_array, when it has one)."""
        r = self.recipe
        if wgrad and r.wgrad_array and self.array is None:
            return self._gemm_wgrad(a, fa, sa, b, fb, sb, out, out_round, sat)
        undo = -(sa + sb)
        kw = {}
        if out != "fp32":
            # The array's quantizer undoes the operand scaling (scale port).
            q = max(-64, min(63, undo))
            kw = dict(out_round=out_round, sat=sat, scale=q)
            undo -= q
        if self.array is not None and not (self.fused and self.backend == "functional"):
            # A fixed array, off the fused path (another back-end, or the reference).
            res = _fp.gemm(np.ascontiguousarray(a), np.ascontiguousarray(b), fmt_a=fa, fmt_b=fb, round=r.acc_round,
                           out_fmt=out, threads=self.threads, backend=self.backend, **kw, **self._gemm_kw)
        elif self.fused and self.backend == "functional":
            q = out != "fp32"
            array = self.array if self.array is not None else dict(
                acc=r.acc, seed=self.next_seed(), rows=self.rows, cols=self.cols, sr_bits=r.acc_sr_bits)
            v, f = _fp._core.gemm_f32(a, b, fa, fb, r.acc_round, out, out_round if q else "rne", sat and q,
                                      kw.get("scale", 0), array, self.threads)
            self.gemm_macs += a.shape[0] * a.shape[1] * b.shape[1]
            if backward:
                self.bwd_flags |= f
            else:
                self.fwd_flags |= f
            if undo:
                v *= np.float32(2.0 ** undo)
            return torch.from_numpy(v)
        else:
            res = _fp.gemm(np.ascontiguousarray(a), np.ascontiguousarray(b), fmt_a=fa, fmt_b=fb, acc=r.acc,
                           round=r.acc_round, out_fmt=out, seed=self.next_seed(), rows=self.rows, cols=self.cols,
                           threads=self.threads, sr_bits=r.acc_sr_bits, backend=self.backend, **kw)
        self.gemm_macs += a.shape[0] * a.shape[1] * b.shape[1]
        if backward:
            self.bwd_flags |= res.flags
        else:
            self.fwd_flags |= res.flags
        v = res.values
        if undo:
            v = v * np.float32(2.0 ** undo)
        return torch.from_numpy(v)


    def wgrad_keywords(self):
        """(round, array keywords) of the weight-gradient GEMMs: the recipe's
        wgrad_array over its acc, acc_round, acc_sr_bits and the engine's
        rows and cols (no seed: each GEMM takes a fresh one)."""
        r = self.recipe
        kw = dict(acc=r.acc, rows=self.rows, cols=self.cols, sr_bits=r.acc_sr_bits)
        kw.update(r.wgrad_array or {})
        return kw.pop("round", r.acc_round), kw

    def _gemm_wgrad(self, a, fa, sa, b, fb, sb, out, out_round, sat):
        # Through fp8sa.gemm (its checks and keywords: pe, dot_n, promote,
        # ...), not the fused call: a role-specific array is an experiment's,
        # not the training step's hot path.
        rnd, kw = self.wgrad_keywords()
        undo = -(sa + sb)
        if out != "fp32":
            q = max(-64, min(63, undo))
            kw.update(out_round=out_round, sat=sat, scale=q)
            undo -= q
        res = _fp.gemm(np.ascontiguousarray(a), np.ascontiguousarray(b), fmt_a=fa, fmt_b=fb, round=rnd, out_fmt=out,
                       seed=self.next_seed(), threads=self.threads, backend=self.backend, **kw)
        self.gemm_macs += a.shape[0] * a.shape[1] * b.shape[1]
        self.bwd_flags |= res.flags
        v = res.values
        if undo:
            v = v * np.float32(2.0 ** undo)
        return torch.from_numpy(v)


class _MatmulFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, eng):
        r = eng.recipe
        qa, sa = eng.quantize(a, r.fmt_act, r.round_act, r.sat_fwd, False)
        qb, sb = eng.quantize(b, r.fmt_weight, r.round_weight, r.sat_fwd, False)
        ctx.eng = eng
        ctx.saved = (qa, sa, qb, sb)
        if eng.sample_hook:
            eng.sample_hook("activation", a.detach().numpy())
        return eng.gemm(qa, r.fmt_act, sa, qb, r.fmt_weight, sb, r.out_fwd, r.out_round_fwd, False, r.sat_fwd)

    @staticmethod
    def backward(ctx, grad):
        eng = ctx.eng
        r = eng.recipe
        qa, sa, qb, sb = ctx.saved
        if eng.sample_hook:
            eng.sample_hook("error", grad.detach().numpy())
        qe, se = eng.quantize(grad, r.fmt_err, r.round_err, r.sat_bwd, True)
        da = db = None
        if ctx.needs_input_grad[0]:
            # backward-data: dA = dC x B^T (errors x weights)
            da = eng.gemm(qe, r.fmt_err, se, qb.T, r.fmt_weight, sb, r.out_bwd, r.out_round_bwd, True, r.sat_bwd)
        if ctx.needs_input_grad[1]:
            # weight gradient: dB = A^T x dC (activations x errors)
            db = eng.gemm(qa.T, r.fmt_act, sa, qe, r.fmt_err, se, r.out_wgrad, r.out_round_wgrad, True, r.sat_bwd,
                          wgrad=True)
            if eng.sample_hook:
                eng.sample_hook("gradient", db.numpy())
            if eng.gradient_hook:
                eng.gradient_hook(db.numpy(), qa.T, r.fmt_act, sa, qe, r.fmt_err, se)
        return da, db, None


def matmul(a, b, engine):
    """a @ b (2-D float tensors) with all three GEMMs on fp8sa under engine's recipe.
    a takes the activation role, b the weight role. An empty product (M, K
    or N of 0) is PyTorch's (zeros, no MAC to run)."""
    if a.dim() != 2 or b.dim() != 2:
        raise ValueError(f"fp8sa.torch.matmul: 2-D tensors only, got {a.dim()}-D and {b.dim()}-D")
    for t in (a, b):
        if t.is_complex():
            raise TypeError(f"fp8sa.torch.matmul: complex tensors are not supported (got {t.dtype})")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"fp8sa.torch.matmul: shape mismatch: {tuple(a.shape)} @ {tuple(b.shape)}")
    if a.numel() == 0 or b.numel() == 0:
        return (a @ b).to(torch.float32)
    return _MatmulFn.apply(a, b, engine)


class Linear(torch.nn.Module):
    """y = x W^T + b with the GEMMs on fp8sa (x: batch x in_features).
    The bias add is FP32 in PyTorch."""

    def __init__(self, in_features, out_features, engine, bias=True):
        super().__init__()
        self.engine = engine
        ref = torch.nn.Linear(in_features, out_features, bias=bias)  # PyTorch's own initialisation
        self.weight = torch.nn.Parameter(ref.weight.detach().clone())
        self.bias = torch.nn.Parameter(ref.bias.detach().clone()) if bias else None

    def forward(self, x):
        y = matmul(x.reshape(-1, x.shape[-1]), self.weight.t(), self.engine)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*x.shape[:-1], y.shape[-1])


class DynamicLossScaler:
    """Loss scale driven by the array's overflow/invalid flags (Micikevicius
    et al. 2017): on a bad step skip it and divide the scale by `factor`;
    after `growth_interval` clean steps multiply it by `factor`."""

    def __init__(self, init_scale=2.0 ** 10, factor=2.0, growth_interval=200, min_scale=2.0 ** -14,
                 max_scale=2.0 ** 24):
        min_scale = _real(min_scale, "DynamicLossScaler: min_scale", 0.0, None, lo_open=True)
        max_scale = _real(max_scale, "DynamicLossScaler: max_scale", min_scale)
        init_scale = _real(init_scale, "DynamicLossScaler: init_scale", min_scale, max_scale)
        factor = _real(factor, "DynamicLossScaler: factor", 1.0, None, lo_open=True)  # > 1: overflow lowers the scale
        growth_interval = _count(growth_interval, "DynamicLossScaler: growth_interval")
        self.scale = float(init_scale)
        self.factor, self.growth_interval = factor, growth_interval
        self.min_scale, self.max_scale = min_scale, max_scale
        self.clean = 0
        self.skipped = 0

    def update(self, flags):
        """flags: the OR of the step's backward flags. Returns True when the step may be applied."""
        if flags & _BAD:
            self.scale = max(self.min_scale, self.scale / self.factor)
            self.clean = 0
            self.skipped += 1
            return False
        self.clean += 1
        if self.clean >= self.growth_interval:
            self.scale = min(self.max_scale, self.scale * self.factor)
            self.clean = 0
        return True


class MasterSGD:
    """SGD with momentum over master weights in FP32 or FP16. With FP16
    masters every updated weight is rounded to FP16 by fp8sa's quantizer
    (RNE, or SR with a fresh LFSR seed per tensor and step)."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, master="fp32", round="rne", engine=None):
        if not isinstance(master, str) or master.lower() not in ("fp32", "fp16"):
            raise ValueError(f"MasterSGD: master {master!r:.40} is not one of: fp32, fp16")
        if not isinstance(round, str) or round.lower() not in ("rne", "rz", "sr"):
            raise ValueError(f"MasterSGD: round {round!r:.40} is not one of: rne, rz, sr")
        master, round = master.lower(), round.lower()
        lr = _real(lr, "MasterSGD: lr", 0.0)
        momentum = _real(momentum, "MasterSGD: momentum", 0.0)
        weight_decay = _real(weight_decay, "MasterSGD: weight_decay", 0.0)
        self.params = [p for p in params]
        for p in self.params:
            if p.is_complex():
                raise TypeError(f"MasterSGD: complex parameters are not supported (got {p.dtype})")
            if master == "fp16" and round == "sr" and p.dtype == torch.float64:
                raise ValueError("MasterSGD: FP16 masters with SR need float32 parameters (SR rounds binary32 words; "
                                 "a float64 weight would be rounded twice): use RNE or float32 parameters")
        self.lr, self.momentum, self.wd = lr, momentum, weight_decay
        self.master, self.round, self.engine = master, round, engine
        self.buf = [torch.zeros_like(p) for p in self.params]
        self._out = [None] * len(self.params)  # the fused FP16 step's output per tensor, kept between steps
        self._tmp = [None] * len(self.params)  # the FP32 step's temporary per tensor, kept between steps
        if master == "fp16":
            with torch.no_grad():
                for p in self.params:
                    p.copy_(self._round(p))

    def _round(self, t):
        seed = self.engine.next_seed() if self.engine else 1
        if t.dtype == torch.float32 and (self.engine is None or self.engine.fused):
            v, _ = _fp._core.round_f32(t.detach().contiguous().numpy(), "fp16", self.round, False, seed, 16)
            return torch.from_numpy(v)
        v = _fp.fake_quantize(_values(t), "fp16", self.round, False, seed)  # float64: rounded once
        return torch.from_numpy(v).to(t.dtype)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def _fused(self, i, p, b, grad_scale):
        """The FP16-master step of one float32 tensor in one call
        (fp8sa._core.sgd_round_f32: the update's float32 operations as
        below, then round_f32's rounding with the same seed), no
        temporaries; False where it does not apply."""
        g = p.grad
        if (self.master != "fp16" or self.wd or self.engine is None or not self.engine.fused
                or p.dtype != torch.float32 or g.dtype != torch.float32 or not p.is_contiguous()
                or not g.is_contiguous() or not b.is_contiguous()):
            return False
        out = self._out[i]
        if out is None or out.shape != tuple(p.shape):
            out = self._out[i] = np.empty(tuple(p.shape), np.float32)
        _fp._core.sgd_round_f32(p.detach().numpy(), g.detach().numpy(), b.numpy(), out, self.lr, self.momentum,
                                float(grad_scale), "fp16", self.round, False, self.engine.next_seed(), 16)
        p.copy_(torch.from_numpy(out))
        return True

    @torch.no_grad()
    def step(self, grad_scale=1.0):
        for i, (p, b) in enumerate(zip(self.params, self.buf)):
            if p.grad is None:
                continue
            if self._fused(i, p, b, grad_scale):
                continue
            if (self.master == "fp32" and not self.wd and (self.engine is None or self.engine.fused)
                    and p.grad.dtype == p.dtype and p.grad.shape == p.shape):
                # The same operations in place through one kept temporary:
                # every weight-sized temporary of the composition below was
                # a fresh allocation that glibc gave back and faulted in
                # again each step (Engine(fused=False) keeps the composition,
                # the tests' reference).
                t = self._tmp[i]
                if t is None or t.shape != p.shape or t.dtype != p.dtype:
                    t = self._tmp[i] = torch.empty_like(p, memory_format=torch.contiguous_format)
                torch.div(p.grad, grad_scale, out=t)
                b.mul_(self.momentum).add_(t)
                torch.mul(b, self.lr, out=t)
                p.sub_(t)
                continue
            g = p.grad / grad_scale
            if self.wd:
                g = g + self.wd * p
            b.mul_(self.momentum).add_(g)
            new = p - self.lr * b
            p.copy_(self._round(new) if self.master == "fp16" else new)


def train_step(model, x, y, opt, scaler, engine, rec, after_backward=None):
    """One SGD step of the training loops (fp8sa.train_fmnist,
    fp8sa.experiments): forward, cross-entropy, backward of the loss scaled
    by the scaler (if any), the array's flags of the step (engine may be
    None: plain PyTorch), the scaler's update from them, and the optimizer's
    step unless the scaler skips it. after_backward() runs once the flags
    are taken (the metrics log's hook). Counts into rec: bad_flag_steps
    (overflow or invalid flags), nonfinite_loss, skipped. Returns (the
    loss's value, whether the step was applied, the scale it used)."""
    import torch.nn.functional as F
    out = model(x)
    loss = F.cross_entropy(out, y)
    scale = scaler.scale if scaler is not None else 1.0
    opt.zero_grad()
    (loss * scale).backward()
    flags = 0
    if engine is not None:
        flags = engine.take_bwd_flags()
        engine.take_fwd_flags()
    if after_backward is not None:
        after_backward()
    if flags & (_fp.FLAG_OVERFLOW | _fp.FLAG_INVALID):
        rec["bad_flag_steps"] += 1
    ok = scaler.update(flags) if scaler is not None else True
    lv = float(loss)
    if not math.isfinite(lv):
        rec["nonfinite_loss"] += 1
    if ok:
        opt.step(grad_scale=scale)
    else:
        rec["skipped"] += 1
    return lv, ok, scale


def mlp(sizes, recipe, engine):
    """An MLP (ReLU between layers): torch.nn.Linear for a plain recipe, fp8sa Linear otherwise."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]) if recipe.plain
                      else Linear(sizes[i], sizes[i + 1], engine))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


# The recipes of make train (docs/training/recipes.md), one row each.
RECIPES = {
    "fp32": Recipe(name="fp32", plain=True),
    "e5m2-rne": Recipe(name="e5m2-rne"),
    "mellempudi": Recipe(name="mellempudi", round_err="sr", out_bwd="e5m2", out_round_bwd="sr", out_wgrad="e5m2",
                         out_round_wgrad="sr", loss_scaling=True, master="fp16", master_round="sr"),
    "e4m3-fwd-e5m2-bwd": Recipe(name="e4m3-fwd-e5m2-bwd", fmt_act="e4m3", fmt_weight="e4m3", tensor_scaling=True,
                                loss_scaling=True),
    "e6m5-sr13": Recipe(name="e6m5-sr13", acc="e6m5", acc_round="sr", acc_sr_bits=13, loss_scaling=True),
    "e8m10-rne": Recipe(name="e8m10-rne", acc="e8m10"),
    "e8m10-sr": Recipe(name="e8m10-sr", acc="e8m10", acc_round="sr", acc_sr_bits=13),
}

"""fp8sa.conv: 2-D convolutions whose three GEMMs run on the fp8sa model
(im2col), and the small CNN of issue 22.

    from fp8sa.torch import Engine, RECIPES
    from fp8sa.conv import Conv2d, cnn
    eng = Engine(RECIPES["e5m2-rne"], seed=1)
    model = cnn(RECIPES["e5m2-rne"], eng)      # input: N x 784 images

A convolution is lowered the way a GEMM engine runs it, and every MAC of it
runs on the array through the same Engine as fp8sa.torch.Linear (its
quantization per tensor role, scaling, output quantizer and flags):

* forward: Y = im2col(X) x W^T: M = N*Ho*Wo, K = C*kh*kw, N = out channels;
* weight gradient: dW^T = im2col(X)^T x dY: K = N*Ho*Wo (batch x H x W,
  73,728 for the first layer of `cnn` at batch 128), the large-K GEMM of
  issue 22 experiment 3;
* backward data: dX = im2col(pad(dY, k-1-p)) x flip(W): the transposed
  convolution as one GEMM with K = out channels*kh*kw, so the col2im sums
  also run on the array (a col2im "fold" of dY x W would add up to kh*kw
  products per input pixel in FP32 outside it).

Each tensor is quantized once (X, W, dY as a whole, the same codes for the
GEMMs that share it, as Linear does) and im2col then gathers codes: zero
padding is code 0, +0 in every FP8 format. Stride 1 only (the CNN pools
with torch.nn.MaxPool2d, in PyTorch FP32 like ReLU and the bias add).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

import fp8sa as _fp
from fp8sa.torch import Linear

# One array command runs K <= 65535 (cmd_k_i is 16 bits, docs/array.md). A
# longer K (the first layer's weight gradient at batch >= 114) runs as a
# chain of commands, each starting from the previous one's accumulator
# words (the array's C input), as the hardware would run it. Chunks of
# 32768 products, a multiple of every power-of-two PROMOTE_N and DOT_N, so
# that the chain gives the bits of one long command for the FMA PE at any
# accumulator (RNE, RZ; SR draws other random bits), promotion included;
# the exact PE rounds once per command, so once per chunk.
K_MAX = 65535
K_CHUNK = 32768


def im2col(x, kh, kw, padding=0):
    """x (N, C, H, W) numpy array (codes or values) -> (N*Ho*Wo, C*kh*kw),
    C-contiguous: rows in (n, oy, ox) order, columns in (c, ky, kx) order
    (torch.nn.functional.unfold's), zero padding of `padding` pixels."""
    if x.ndim != 4:
        raise ValueError(f"im2col: x must be 4-D (N, C, H, W), has {x.ndim} dimensions")
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, w = x.shape
    if kh > h or kw > w:
        raise ValueError(f"im2col: kernel {kh}x{kw} is larger than the padded image {h}x{w}")
    ho, wo = h - kh + 1, w - kw + 1
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw), a view
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(n * ho * wo, c * kh * kw)


def _array_keywords(eng, wgrad=False):
    """The array keywords of eng's GEMMs for fp8sa.gemm (Engine.gemm's), the
    accumulator's rounding, and whether each command takes a fresh seed."""
    r = eng.recipe
    if eng.array is None:
        if wgrad and r.wgrad_array:
            rnd, kw = eng.wgrad_keywords()
            return kw, rnd, True
        return dict(acc=r.acc, rows=eng.rows, cols=eng.cols, sr_bits=r.acc_sr_bits), r.acc_round, True
    if eng.backend.startswith("board"):
        return {}, r.acc_round, False
    defaults = {f["name"]: f["default"] for f in _fp.ARRAY_FIELDS}
    return {k: v for k, v in eng.array.items() if defaults.get(k) != v}, r.acc_round, False


def chunk_size(promote=0, dot_n=1, chunk=None):
    """Products per command of a chained long-K GEMM: K_CHUNK (or chunk),
    unless a promotion interval or DOT_N does not divide it: then the largest
    multiple of their least common multiple that one command takes."""
    chunk = K_CHUNK if chunk is None else chunk
    step = math.lcm(max(1, int(promote or 0)), max(1, int(dot_n or 1)))
    return chunk if chunk % step == 0 else (K_MAX // step) * step


def gemm(eng, a, fa, sa, b, fb, sb, out, out_round, backward, sat, chunk=None, wgrad=False):
    """Engine.gemm (a: M x K codes scaled by 2^sa, b: K x N codes scaled by
    2^sb -> float32 torch tensor, unscaled), for any K: K <= K_MAX is one
    command (Engine.gemm itself); a longer K (or any K > chunk when chunk is
    given, the tests' way to check the chain against one command) runs as a
    chain of commands through fp8sa.gemm's C input, the output quantizer on
    the last one only. Flags and MACs go to the engine as Engine.gemm's do.
    wgrad: a weight-gradient GEMM (the recipe's wgrad_array, if any)."""
    k = a.shape[1]
    if k <= (K_MAX if chunk is None else chunk):
        return eng.gemm(a, fa, sa, b, fb, sb, out, out_round, backward, sat, wgrad=wgrad)
    arr, rnd, fresh_seed = _array_keywords(eng, wgrad)
    step = chunk_size(arr.get("promote", 0), arr.get("dot_n", 1), chunk)
    undo = -(sa + sb)
    words, flags, res = None, 0, None
    for k0 in range(0, k, step):
        last = k0 + step >= k
        kw = dict(arr)
        if fresh_seed:
            kw["seed"] = eng.next_seed()
        if last and out != "fp32":
            q = max(-64, min(63, undo))
            kw.update(out_round=out_round, sat=sat, scale=q)
            undo -= q
        res = _fp.gemm(np.ascontiguousarray(a[:, k0:k0 + step]), np.ascontiguousarray(b[k0:k0 + step]), c=words,
                       fmt_a=fa, fmt_b=fb, round=rnd, out_fmt=out if last else "fp32", threads=eng.threads,
                       backend=eng.backend, **kw)
        # The next command's init words: the result words where they are in
        # the init word's format; else (dot without promotion, exact: eXmY
        # results, binary32 init words) their values, exact in binary32.
        words = res.words if res.info["result_fmt"] == res.info["init_fmt"] else res.values
        flags |= res.flags
    eng.gemm_macs += a.shape[0] * k * b.shape[1]
    if backward:
        eng.bwd_flags |= flags
    else:
        eng.fwd_flags |= flags
    v = res.values
    if undo:
        v = v * np.float32(2.0 ** undo)
    return torch.from_numpy(v)


class _Conv2dFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, eng, padding):
        r = eng.recipe
        n, c, h, wd = x.shape
        o, _, kh, kw = w.shape
        ho, wo = h + 2 * padding - kh + 1, wd + 2 * padding - kw + 1
        if eng.sample_hook:
            eng.sample_hook("activation", x.detach().numpy())
        qx, sx = eng.quantize(x.contiguous(), r.fmt_act, r.round_act, r.sat_fwd, False)
        qw, sw = eng.quantize(w.contiguous(), r.fmt_weight, r.round_weight, r.sat_fwd, False)
        cols = im2col(qx, kh, kw, padding)
        y = gemm(eng, cols, r.fmt_act, sx, qw.reshape(o, -1).T, r.fmt_weight, sw, r.out_fwd, r.out_round_fwd,
                     False, r.sat_fwd)
        ctx.eng, ctx.padding = eng, padding
        ctx.saved = (qx, sx, qw, sw)
        return y.reshape(n, ho, wo, o).permute(0, 3, 1, 2).contiguous()

    @staticmethod
    def backward(ctx, grad):
        eng, p = ctx.eng, ctx.padding
        r = eng.recipe
        qx, sx, qw, sw = ctx.saved
        n, c, h, wd = qx.shape
        o, _, kh, kw = qw.shape
        _, _, ho, wo = grad.shape
        if eng.sample_hook:
            eng.sample_hook("error", grad.detach().numpy())
        qe, se = eng.quantize(grad.contiguous(), r.fmt_err, r.round_err, r.sat_bwd, True)  # (N, O, Ho, Wo)
        dx = dw = None
        if ctx.needs_input_grad[1]:
            # weight gradient: dW^T (C*kh*kw x O) = im2col(X)^T x dY, K = N*Ho*Wo
            e2 = np.ascontiguousarray(qe.transpose(0, 2, 3, 1)).reshape(n * ho * wo, o)
            cols_t = im2col(qx, kh, kw, p).T  # a transposed view: gemm_f32 packs strided operands
            g = gemm(eng, cols_t, r.fmt_act, sx, e2, r.fmt_err, se, r.out_wgrad, r.out_round_wgrad, True, r.sat_bwd,
                     wgrad=True)
            dw = g.t().reshape(o, c, kh, kw).contiguous()
            if eng.sample_hook:
                eng.sample_hook("gradient", g.numpy())
            if eng.gradient_hook:
                eng.gradient_hook(g.numpy(), cols_t, r.fmt_act, sx, e2, r.fmt_err, se)
        if ctx.needs_input_grad[0]:
            # backward data: the full correlation of dY (padded by k-1-p) with
            # the flipped kernel: dX (N*H*W x C) = im2col(dY) x Wf, Wf rows in
            # (o, ky, kx) order, Wf[o, ky, kx; c] = W[o, c, kh-1-ky, kw-1-kx].
            ecols = _im2col_hw(qe, kh, kw, kh - 1 - p, kw - 1 - p)
            wf = np.ascontiguousarray(qw[:, :, ::-1, ::-1].transpose(0, 2, 3, 1)).reshape(o * kh * kw, c)
            g = gemm(eng, ecols, r.fmt_err, se, wf, r.fmt_weight, sw, r.out_bwd, r.out_round_bwd, True, r.sat_bwd)
            dx = g.reshape(n, h, wd, c).permute(0, 3, 1, 2).contiguous()
        return dx, dw, None, None


def _im2col_hw(x, kh, kw, ph, pw):
    """im2col with ph rows and pw columns of zero padding (a non-square
    kernel's backward data pads dY by kh-1-p and kw-1-p)."""
    return im2col(np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))), kh, kw, 0)


def conv2d(x, weight, engine, padding=0):
    """torch.nn.functional.conv2d(x, weight, padding=padding) (stride 1, no
    bias) with its forward, backward-data and weight-gradient GEMMs on fp8sa
    under engine's recipe. x: (N, C, H, W), weight: (O, C, kh, kw), real
    tensors; padding in [0, min(kh, kw) - 1]."""
    for t, what in ((x, "x"), (weight, "weight")):
        if t.is_complex():
            raise TypeError(f"fp8sa.conv.conv2d: complex tensors are not supported (got {t.dtype} {what})")
        if t.dim() != 4:
            raise ValueError(f"fp8sa.conv.conv2d: {what} must be 4-D, has {t.dim()} dimensions")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"fp8sa.conv.conv2d: x has {x.shape[1]} channels, weight {weight.shape[1]}")
    kh, kw = weight.shape[2], weight.shape[3]
    if isinstance(padding, bool) or not isinstance(padding, int) or not 0 <= padding < min(kh, kw):
        raise ValueError(f"fp8sa.conv.conv2d: padding {padding!r} is out of range [0, {min(kh, kw) - 1}]")
    if x.shape[2] + 2 * padding < kh or x.shape[3] + 2 * padding < kw:
        raise ValueError(f"fp8sa.conv.conv2d: kernel {kh}x{kw} is larger than the padded image "
                         f"{x.shape[2] + 2 * padding}x{x.shape[3] + 2 * padding}")
    if x.numel() == 0 or weight.numel() == 0:
        return F.conv2d(x.to(torch.float32), weight.to(torch.float32), padding=padding)  # no MAC to run
    # Passed as they are: the engine rounds a float64 tensor once, into FP8
    # (a float32 copy first would round twice).
    return _Conv2dFn.apply(x, weight, engine, padding)


class Conv2d(torch.nn.Module):
    """torch.nn.Conv2d (stride 1, square kernel) with its GEMMs on fp8sa;
    PyTorch's own initialisation; the bias add is FP32 in PyTorch."""

    def __init__(self, in_channels, out_channels, kernel_size, engine, padding=0, bias=True):
        super().__init__()
        self.engine, self.padding = engine, padding
        ref = torch.nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, bias=bias)
        self.weight = torch.nn.Parameter(ref.weight.detach().clone())
        self.bias = torch.nn.Parameter(ref.bias.detach().clone()) if bias else None

    def forward(self, x):
        y = conv2d(x, self.weight, self.engine, self.padding)
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)


# The CNN of issue 22 (LeNet-5's shape at a quarter of its width):
# 1x28x28 -> conv 1->8 5x5 (8x24x24) -> max pool 2 -> ReLU -> conv 8->16 5x5
# (16x8x8) -> max pool 2 -> ReLU -> 256 -> fc 64 -> ReLU -> fc 10.
# Why this one: two convolutions give the two large-K weight gradients,
# K = batch x 576 and batch x 64 (73,728 and 8,192 at batch 128), where the
# MLP's largest K is the batch; and it stays cheap: 337,024 forward MACs per
# image (conv 115,200 + 204,800, fc 16,384 + 640, the MLP's 234,752) and
# 1,151,872 per training image (weight gradients as many as the forward,
# backward data 460,800 for conv2's full correlation, 17,024 for the fc
# layers; the MLP's 503,552), so a CNN run costs about 2.3 MLP runs.
CNN_SHAPE = "conv 1->8 5x5, pool 2, conv 8->16 5x5, pool 2, fc 256->64, fc 64->10 (ReLU)"


class _Images(torch.nn.Module):
    """N x 784 rows (or N x 1 x 28 x 28) -> N x 1 x 28 x 28."""

    def forward(self, x):
        return x.reshape(x.shape[0], 1, 28, 28)


def cnn(recipe, engine):
    """The CNN above: fp8sa Conv2d/Linear layers, or torch.nn's for a plain
    recipe. Input: N x 784 (Fashion-MNIST rows, fp8sa.train_fmnist.load_fmnist)
    or N x 1 x 28 x 28."""
    plain = recipe.plain

    def conv(i, o):
        return torch.nn.Conv2d(i, o, 5) if plain else Conv2d(i, o, 5, engine)

    def fc(i, o):
        return torch.nn.Linear(i, o) if plain else Linear(i, o, engine)

    return torch.nn.Sequential(
        _Images(),
        conv(1, 8), torch.nn.MaxPool2d(2), torch.nn.ReLU(),
        conv(8, 16), torch.nn.MaxPool2d(2), torch.nn.ReLU(),
        torch.nn.Flatten(),
        fc(256, 64), torch.nn.ReLU(),
        fc(64, 10))

"""fp8sa.conv: the im2col convolution's three GEMMs against PyTorch (float64
conv2d and autograd on the same decoded values, within the accumulation-order
bound) and, bit for bit, against fp8sa.gemm on im2col matrices built here
with index loops (not with fp8sa.conv.im2col); the long-K chain against one
command and against exact sums; the CNN's shapes and MAC count."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import fp8sa
import fp8sa.conv as conv
from fp8sa.torch import Engine, Recipe, RECIPES

torch.set_num_threads(1)
U = 2.0 ** -24  # binary32's unit roundoff


def fp8_values(rng, shape, lo=-3, hi=3):
    """E5M2- and E4M3-representable values (2 fraction bits, exponents lo..hi-1):
    every product is exact in binary32 and nothing under- or overflows."""
    v = rng.choice([-1.0, 1.0], shape) * rng.choice([1.0, 1.25, 1.5, 1.75], shape) * 2.0 ** rng.integers(lo, hi, shape)
    return torch.from_numpy(v.astype(np.float32))


def ref_im2col(x, kh, kw, ph, pw):
    """(N*Ho*Wo, C*kh*kw) by an index loop over the kernel offsets."""
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    ho, wo = h + 2 * ph - kh + 1, w + 2 * pw - kw + 1
    cols = np.zeros((n, ho, wo, c, kh, kw), x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            for ch in range(c):
                cols[:, :, :, ch, ky, kx] = xp[:, ch, ky:ky + ho, kx:kx + wo]
    return cols.reshape(n * ho * wo, c * kh * kw)


def gamma(k):
    return k * U / (1 - k * U)


@pytest.mark.parametrize("shape,oc,kh,kw,pad", [((3, 2, 12, 12), 4, 5, 5, 0), ((2, 3, 9, 9), 5, 5, 5, 2),
                                                 ((2, 2, 8, 10), 3, 3, 5, 1), ((4, 1, 28, 28), 8, 5, 5, 0)])
def test_conv_matches_float64_conv2d_and_autograd_within_the_accumulation_order_bound(shape, oc, kh, kw, pad):
    # e8m23 RNE accumulation, FP32 outputs, FP8-representable operands: every
    # MAC is fmaf, so the only difference from exact sums is the rounding of
    # each partial sum: |got - exact| <= gamma(K) * sum |terms| per output.
    rng = np.random.default_rng(7)
    eng = Engine(Recipe(name="fp32-comparable"), seed=1, threads=1)
    x = fp8_values(rng, shape).requires_grad_()
    w = fp8_values(rng, (oc, shape[1], kh, kw)).requires_grad_()
    y = conv.conv2d(x, w, eng, pad)
    dy = fp8_values(rng, tuple(y.shape), -6, 0)
    y.backward(dy)
    x64, w64 = x.detach().double().requires_grad_(), w.detach().double().requires_grad_()
    y64 = F.conv2d(x64, w64, padding=pad)
    y64.backward(dy.double())
    # The same products with absolute values: sum |terms| of each output.
    ax, aw = x64.detach().abs().requires_grad_(), w64.detach().abs().requires_grad_()
    ay = F.conv2d(ax, aw, padding=pad)
    ay.backward(dy.double().abs())
    n, c, h, wd = shape
    ho, wo = y.shape[2], y.shape[3]
    y32 = F.conv2d(x.detach(), w.detach(), padding=pad)  # PyTorch's float32 conv (another summation order)
    for got, ref, absref, k in ((y, y64, ay, c * kh * kw), (x.grad, x64.grad, ax.grad, oc * kh * kw),
                                (w.grad, w64.grad, aw.grad, n * ho * wo)):
        err = (got.detach().double() - ref.detach()).abs()
        bound = gamma(k) * absref.detach()
        assert (err <= bound).all(), f"K {k}: max error {err.max().item()} over bound {bound.max().item()}"
    assert ((y.detach().double() - y32.double()).abs() <= 2 * gamma(c * kh * kw) * ay.detach()).all()


@pytest.mark.parametrize("recipe", [
    Recipe(name="e8m10-rne", acc="e8m10"),
    Recipe(name="e6m5-rz-q", acc="e6m5", acc_round="rz", fmt_act="e4m3", fmt_weight="e4m3", out_fwd="e4m3",
           out_bwd="e5m2", out_wgrad="e5m2"),
])
def test_im2col_gemms_are_bit_identical_to_fp8sa_gemm_on_loop_built_im2col(recipe):
    # Forward, weight gradient (K = N x Ho x Wo = 4,608) and backward data on
    # a narrow accumulator (order-sensitive: any other summation order or
    # split would change bits), against fp8sa.gemm on matrices built here.
    rng = np.random.default_rng(3)
    n, c, h, oc, k, pad = 8, 2, 28, 4, 5, 1
    eng = Engine(recipe, seed=5, threads=1)
    x = fp8_values(rng, (n, c, h, h)).requires_grad_()
    w = fp8_values(rng, (oc, c, k, k)).requires_grad_()
    y = conv.conv2d(x, w, eng, pad)
    ho = h + 2 * pad - k + 1
    dy = fp8_values(rng, (n, oc, ho, ho), -6, 0)
    y.backward(dy)
    fa, fw, fe = recipe.fmt_act, recipe.fmt_weight, recipe.fmt_err
    xq = fp8sa.encode(x.detach().numpy(), fa)
    wq = fp8sa.encode(w.detach().numpy(), fw)
    eq = fp8sa.encode(dy.numpy(), fe)
    kw = dict(acc=recipe.acc, round=recipe.acc_round, rows=16, cols=16)

    def g(a, b, f1, f2, out, sat):
        q = dict(out_fmt=out) if out == "fp32" else dict(out_fmt=out, out_round="rne", sat=sat)
        return fp8sa.gemm(a, b, fmt_a=f1, fmt_b=f2, **q, **kw).values

    cols = ref_im2col(xq, k, k, pad, pad)
    assert cols.shape == (n * ho * ho, c * k * k)
    yref = g(cols, wq.reshape(oc, -1).T.copy(), fa, fw, recipe.out_fwd, recipe.sat_fwd)
    np.testing.assert_array_equal(y.detach().permute(0, 2, 3, 1).reshape(-1, oc).numpy().view(np.uint32),
                                  yref.view(np.uint32))
    e2 = eq.transpose(0, 2, 3, 1).reshape(-1, oc).copy()
    dwref = g(cols.T.copy(), e2, fa, fe, recipe.out_wgrad, recipe.sat_bwd)  # K = 4608
    np.testing.assert_array_equal(w.grad.reshape(oc, -1).T.contiguous().numpy().view(np.uint32),
                                  dwref.view(np.uint32))
    ecols = ref_im2col(eq, k, k, k - 1 - pad, k - 1 - pad)
    wf = np.zeros((oc, k, k, c), np.uint8)
    for o in range(oc):
        for ky in range(k):
            for kx in range(k):
                wf[o, ky, kx, :] = wq[o, :, k - 1 - ky, k - 1 - kx]
    dxref = g(ecols, wf.reshape(oc * k * k, c), fe, fw, recipe.out_bwd, recipe.sat_bwd)
    np.testing.assert_array_equal(x.grad.permute(0, 2, 3, 1).reshape(-1, c).contiguous().numpy().view(np.uint32),
                                  dxref.view(np.uint32))


@pytest.mark.parametrize("array", [None, dict(acc="e6m5", promote=128, rows=8, cols=8)])
def test_long_k_chain_gives_the_bits_of_one_command(monkeypatch, array):
    # The chain through the array's C input, forced at K = 4608 with chunks
    # of 512, against the same weight gradient as one command.
    rng = np.random.default_rng(11)
    recipe = Recipe(name="e8m10-rne", acc="e8m10" if array is None else "e6m5")
    x = fp8_values(rng, (8, 1, 28, 28))
    w = fp8_values(rng, (8, 1, 5, 5))
    dy = fp8_values(rng, (8, 8, 24, 24), -8, -2)
    grads, macs = [], []
    for k_max in (conv.K_MAX, 1000):
        monkeypatch.setattr(conv, "K_MAX", k_max)
        monkeypatch.setattr(conv, "K_CHUNK", 512)
        eng = Engine(recipe, seed=1, threads=1, array=array)
        wp = w.clone().requires_grad_()
        conv.conv2d(x, wp, eng).backward(dy)
        grads.append(wp.grad.numpy().view(np.uint32))
        macs.append(eng.gemm_macs)
    np.testing.assert_array_equal(grads[0], grads[1])
    assert macs[0] == macs[1] == 2 * 8 * 576 * 25 * 8


def test_weight_gradient_with_k_73728_is_the_exact_sum():
    # Batch 128 on 28 x 28 with a 5 x 5 kernel: K = 128 x 576 = 73,728 > 65535,
    # three chained commands. Operands in {0, +-0.5, +-1, +-1.5, +-2}: every
    # partial sum is a multiple of 1/4 below 2^19, exact in binary32, so the
    # answer is the exact (integer numpy) sum whatever the order.
    rng = np.random.default_rng(5)
    vals = np.array([0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2, -2], np.float32)
    x = torch.from_numpy(rng.choice(vals, (128, 1, 28, 28)))
    dy = torch.from_numpy(rng.choice(vals, (128, 8, 24, 24)))
    w = torch.from_numpy(rng.choice(vals, (8, 1, 5, 5))).requires_grad_()
    eng = Engine(RECIPES["e5m2-rne"], seed=1, threads=1)
    conv.conv2d(x, w, eng).backward(dy)
    xi, ei = (x.numpy() * 2).astype(np.int64), (dy.numpy() * 2).astype(np.int64)
    exact = np.zeros((8, 5, 5), np.int64)
    for ky in range(5):
        for kx in range(5):
            exact[:, ky, kx] = np.einsum("nhw,nohw->o", xi[:, 0, ky:ky + 24, kx:kx + 24], ei)
    np.testing.assert_array_equal(w.grad.numpy()[:, 0].astype(np.float64), exact / 4.0)
    assert eng.gemm_macs == 128 * 576 * 25 * 8 * 2  # forward and weight gradient


def test_cnn_shapes_gradients_and_mac_count():
    eng = Engine(RECIPES["e5m2-rne"], seed=1, threads=1)
    model = conv.cnn(RECIPES["e5m2-rne"], eng)
    x = torch.randn(4, 784)
    out = model(x)
    assert out.shape == (4, 10)
    fwd = 576 * 25 * 8 + 64 * 200 * 16 + 256 * 64 + 64 * 10
    assert fwd == 337024 and eng.gemm_macs == 4 * fwd
    F.cross_entropy(out, torch.tensor([0, 1, 2, 3])).backward()
    # Weight gradients: the forward's MACs again; backward data of conv2 (the
    # full correlation over 12 x 12 outputs, K = 16 x 25), fc1 and fc2; conv1
    # needs none (its input is the data).
    bwd_data = 144 * 400 * 8 + 64 * 256 + 10 * 64
    assert eng.gemm_macs == 4 * (2 * fwd + bwd_data)
    for p in model.parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all()
    plain = conv.cnn(RECIPES["fp32"], None)
    assert plain(x).shape == (4, 10)
    assert [tuple(p.shape) for p in plain.parameters()] == [tuple(p.shape) for p in model.parameters()]


@pytest.mark.parametrize("args,msg", [
    (dict(x=torch.zeros(2, 3, 8), w=torch.zeros(4, 3, 3, 3)), "x must be 4-D"),
    (dict(x=torch.zeros(2, 3, 8, 8), w=torch.zeros(4, 2, 3, 3)), "x has 3 channels, weight 2"),
    (dict(x=torch.zeros(2, 3, 8, 8), w=torch.zeros(4, 3, 3, 3), padding=3), "padding 3 is out of range [0, 2]"),
    (dict(x=torch.zeros(2, 3, 4, 4), w=torch.zeros(4, 3, 5, 5)), "kernel 5x5 is larger than the padded image 4x4"),
])
def test_conv2d_refuses_bad_arguments_in_one_line(args, msg):
    eng = Engine(RECIPES["e5m2-rne"], seed=1)
    with pytest.raises(ValueError) as e:
        conv.conv2d(args["x"], args["w"], eng, args.get("padding", 0))
    assert msg in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("name", ["mellempudi", "e4m3-fwd-e5m2-bwd", "e6m5-sr13"])
def test_fused_conv_step_is_bit_identical_to_the_reference_path(name):
    # SR quantization, per-tensor scaling, quantized outputs, SR accumulation:
    # the CNN's step through fp8sa._core's fused calls against the same step
    # through fp8sa.quantize and fp8sa.gemm (Engine(fused=False)).
    recipe = RECIPES[name]
    grads = []
    for fused in (True, False):
        torch.manual_seed(3)
        eng = Engine(recipe, seed=2, threads=1, fused=fused)
        model = conv.cnn(recipe, eng)
        x = torch.randn(6, 784)
        out = model(x)
        (F.cross_entropy(out, torch.arange(6)) * 1024).backward()
        grads.append([out.detach().numpy().view(np.uint32)] + [p.grad.numpy().view(np.uint32)
                                                                for p in model.parameters()])
        grads[-1].append(eng.take_bwd_flags())
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def test_float64_input_is_rounded_once():
    # 1.125 + 2^-30 is above the E5M2 midpoint 1.125 between 1.0 and 1.25:
    # rounded once it is 1.25; through float32 (1.125, a tie) it would be 1.0.
    eng = Engine(RECIPES["e5m2-rne"], seed=1, threads=1)
    x = torch.full((1, 1, 2, 2), 1.125 + 2.0 ** -30, dtype=torch.float64, requires_grad=True)
    w = torch.ones((1, 1, 2, 2), dtype=torch.float64, requires_grad=True)
    y = conv.conv2d(x, w, eng)
    assert y.dtype == torch.float32 and float(y) == 4 * 1.25
    y.backward(torch.ones_like(y))
    assert x.grad.dtype == torch.float64 and (x.grad == 1).all() and (w.grad == 1.25).all()

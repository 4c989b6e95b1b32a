"""fp8sa.metrics.tensor_metrics against a reference built here: ml_dtypes'
casts (float8_e5m2, float8_e4m3fn, bfloat16) and numpy's float16 for the
RNE-quantized values (saturating: the cast of clip(x, -max, max), the OCP
saturating conversion), an exactly rounded float64 sum (math.fsum) for the
SQNR, and overflow as "the non-saturating cast is not finite"."""
import math

import numpy as np
import pytest
import torch

import fp8sa
from fp8sa.metrics import MetricsLog, amax_scale, tensor_metrics
from fp8sa.torch import Engine, Recipe

ml_dtypes = pytest.importorskip("ml_dtypes")

TYPES = {"e5m2": ml_dtypes.float8_e5m2, "e4m3": ml_dtypes.float8_e4m3fn, "bf16": ml_dtypes.bfloat16,
         "fp16": np.float16}
MAX = {"e5m2": 57344.0, "e4m3": 448.0, "bf16": float(ml_dtypes.finfo(ml_dtypes.bfloat16).max), "fp16": 65504.0}


def reference(x, fmt, sat, s):
    xs = x.astype(np.float64) * 2.0 ** s
    x32 = xs.astype(np.float32)  # exact: a power-of-two scale of float32 values in range
    assert (x32.astype(np.float64) == xs).all()
    with np.errstate(over="ignore", invalid="ignore"):
        nonsat = x32.astype(TYPES[fmt]).astype(np.float64)
        q = np.clip(x32, -MAX[fmt], MAX[fmt]).astype(TYPES[fmt]).astype(np.float64) if sat else nonsat
    n = x.size
    under = np.count_nonzero((xs != 0) & (q == 0)) / n
    over = np.count_nonzero(~np.isfinite(nonsat)) / n
    use = np.isfinite(q)
    sig = math.fsum((xs[use] ** 2).tolist())
    noise = math.fsum(((xs[use] - q[use]) ** 2).tolist())
    zero = np.count_nonzero(q == 0) / n
    return under, over, zero, 10 * math.log10(sig / noise)


def data(fmt, n=20000, seed=4):
    rng = np.random.default_rng(seed)
    lo, hi = {"e5m2": (-22, 20), "e4m3": (-14, 12), "bf16": (-122, 127.9), "fp16": (-28, 20)}[fmt]
    x = rng.choice([-1.0, 1.0], n) * 2.0 ** rng.uniform(lo, hi, n)
    x[:50] = 0.0
    return x.astype(np.float32)


@pytest.mark.parametrize("fmt", ["e5m2", "e4m3", "bf16", "fp16"])
@pytest.mark.parametrize("sat", [False, True])
@pytest.mark.parametrize("scale", [0, -3, "amax"])
def test_tensor_metrics_match_ml_dtypes_reference(fmt, sat, scale):
    x = data(fmt)
    s = scale
    if scale == "amax":
        x = x * np.float32(2.0 ** -10)  # a tensor far below the range: the scale brings it back
        amax = float(np.max(np.abs(x)))
        s = max(-64, min(63, math.floor(math.log2(MAX[fmt] / amax))))
        assert s > 0
    under, over, zero, sqnr = reference(x, fmt, sat, s)
    m = tensor_metrics(x, fmt, "rne", sat, scale)
    assert m["n"] == x.size and m["scale"] == s
    # The data reach past both ends of the FP8 and FP16 formats at scale 0:
    # both failures occur (BF16 has float32's range: a float32 tensor barely
    # leaves it).
    if scale == 0 and fmt != "bf16":
        assert under > 0.05 and over > 0.05
    assert m["underflow"] == under
    assert m["overflow"] == over
    assert m["zero"] == zero and zero >= under + 50 / x.size  # the 50 zeros of the data count, not as underflow
    assert math.isclose(m["sqnr_db"], sqnr, rel_tol=1e-9, abs_tol=1e-9)
    # And a torch tensor gives the same.
    assert tensor_metrics(torch.from_numpy(x), fmt, "rne", sat, scale) == m


def test_tensor_metrics_edge_cases():
    exact = np.array([0.0, 1.0, -2.0, 0.5], np.float32)  # representable: nothing lost
    m = tensor_metrics(exact, "e4m3")
    assert m["underflow"] == 0 and m["overflow"] == 0 and m["sqnr_db"] == math.inf
    zeros = np.zeros(8, np.float32)
    assert amax_scale(zeros, "e5m2") == 0 and tensor_metrics(zeros, "e5m2")["sqnr_db"] == math.inf
    # E4M3 without sat: 1000 overflows to NaN, counted as overflow, left out of the SQNR.
    m = tensor_metrics(np.array([1000.0, 1.0, 1.0625], np.float32), "e4m3")
    assert m["overflow"] == pytest.approx(1 / 3)
    assert m["sqnr_db"] == pytest.approx(10 * math.log10((1 + 1.0625 ** 2) / 0.0625 ** 2))
    # SR: a value of a quarter of E5M2's smallest subnormal underflows about 3 times in 4.
    tiny = np.full(40000, 2.0 ** -18, np.float32)
    u = tensor_metrics(tiny, "e5m2", "sr", seed=9)["underflow"]
    assert 0.72 < u < 0.78
    with pytest.raises(ValueError, match="scale 'max' is not an integer or 'amax'"):
        tensor_metrics(exact, "e5m2", scale="max")
    with pytest.raises(TypeError, match="real floating-point"):
        tensor_metrics(np.arange(4), "e5m2")


def test_metrics_log_roles_and_layers_over_a_step():
    from fp8sa.conv import cnn
    recipe = Recipe(name="e4m3-err", fmt_err="e4m3")
    eng = Engine(recipe, seed=1, threads=1)
    model = cnn(recipe, eng)
    log = MetricsLog(recipe, every=1)
    eng.sample_hook = log.hook
    torch.manual_seed(0)
    out = model(torch.randn(8, 784))
    torch.nn.functional.cross_entropy(out, torch.arange(8) % 10).backward()
    log.end_step(0, model)
    got = {(r["role"], r["layer"]) for r in log.rows}
    assert got == {(role, i) for role in ("activation", "error", "weight") for i in range(4)}
    # The last layer's errors are the logits' (p - y) / 8 (>= 2^-7 and mostly
    # representable in E4M3); the first conv layer's are far smaller: more of
    # them underflow in E4M3 (no loss scaling).
    err = {r["layer"]: r for r in log.rows if r["role"] == "error"}
    assert err[0]["underflow"] > err[3]["underflow"]
    assert err[0]["zero"] >= err[0]["underflow"]
    assert err[3]["fmt"] == "e4m3"
    act0 = [r for r in log.rows if r["role"] == "activation" and r["layer"] == 0][0]
    assert act0["n"] == 8 * 784


def test_gradient_metrics_against_an_exact_sum():
    # E4M3 codes (ml_dtypes decodes them: not fp8sa's decoder), scaled by
    # 2^-(sa + sb); the exact product element by element with math.fsum.
    from fp8sa.metrics import gradient_metrics
    rng = np.random.default_rng(7)
    a = rng.integers(0, 0x7F, size=(3, 40), dtype=np.uint8)
    b = rng.integers(0x80, 0xFF, size=(40, 5), dtype=np.uint8)
    b[b == 0xFF] = 0xFE  # no NaN codes
    av = a.view(ml_dtypes.float8_e4m3fn).astype(np.float64)
    bv = b.view(ml_dtypes.float8_e4m3fn).astype(np.float64)
    sa, sb = 3, -2
    exact = np.array([[math.fsum((av[i] * bv[:, j]).tolist()) for j in range(5)] for i in range(3)]) * 2.0 ** -(sa + sb)
    m = gradient_metrics(exact.astype(np.float32), a, "e4m3", sa, b, "e4m3", sb)
    f32 = exact.astype(np.float32).astype(np.float64)
    noise = math.fsum(((f32 - exact) ** 2).ravel().tolist())
    want = math.inf if noise == 0 else 10 * math.log10(math.fsum((exact ** 2).ravel().tolist()) / noise)
    assert m["n"] == 15 and m["underflow"] == 0 and m["overflow"] == 0
    assert m["sqnr_db"] == pytest.approx(want, rel=1e-9) if math.isfinite(want) else m["sqnr_db"] == math.inf
    g = f32.copy()
    g[0, 0] = 0.0            # one non-zero element lost: underflow 1/15
    g[1, 1] = np.inf         # one non-finite element: overflow 1/15, left out of the SQNR
    g[2, 2] *= 1.5           # a relative error of 1/2 in one element
    m = gradient_metrics(g.astype(np.float32), a, "e4m3", sa, b, "e4m3", sb)
    assert m["underflow"] == pytest.approx(1 / 15) and m["overflow"] == pytest.approx(1 / 15)
    keep = np.isfinite(g)
    sig = math.fsum((exact[keep] ** 2).tolist())
    noise = math.fsum(((g[keep] - exact[keep]) ** 2).tolist())
    assert m["sqnr_db"] == pytest.approx(10 * math.log10(sig / noise), rel=1e-6)
    with pytest.raises(ValueError, match="shape"):
        gradient_metrics(np.zeros((5, 3), np.float32), a, "e4m3", sa, b, "e4m3", sb)


def test_metrics_log_gradients_of_a_narrow_weight_gradient_accumulator():
    # The CNN's weight gradients through Engine.gradient_hook: one row per
    # layer, the narrow accumulator's SQNR below e8m23's; off by default.
    from fp8sa.conv import cnn
    sq = {}
    for acc in ("e8m23", "e6m5"):
        recipe = Recipe(name=acc, fmt_err="e5m2", wgrad_array=dict(acc=acc, round="rne"))
        eng = Engine(recipe, seed=1, threads=1)
        model = cnn(recipe, eng)
        log, off = MetricsLog(recipe, every=1, gradients=True), MetricsLog(recipe, every=1)
        eng.sample_hook = log.hook
        eng.gradient_hook = lambda *args: (log.gradient_hook(*args), off.gradient_hook(*args))
        torch.manual_seed(0)
        out = model(torch.randn(64, 784))
        torch.nn.functional.cross_entropy(out, torch.arange(64) % 10).backward()
        log.end_step(0, model)
        off.end_step(0, model)
        grads = {r["layer"]: r for r in log.rows if r["role"] == "gradient"}
        assert sorted(grads) == [0, 1, 2, 3] and grads[0]["fmt"] == acc
        assert not [r for r in off.rows if r["role"] == "gradient"]
        sq[acc] = grads[0]["sqnr_db"]
    assert sq["e6m5"] < 40 < sq["e8m23"]

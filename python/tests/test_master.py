"""fp8sa.master: the update rounding is the array's quantizer, checked against
independent references (ml_dtypes' casts for BF16 and E5M2 RNE, numpy's
float16 for FP16 RNE; for SR the exact pair {round down, round up} of each
value from the format's enumerated grid, and unbiasedness); the optimizer's
update stagnation under RNE and its recovery under SR; standalone 16-bit
state; the master-weights experiment's grid and a tiny run."""
import csv
import os

import ml_dtypes
import numpy as np
import pytest
import torch

import fp8sa.experiments as ex
from fp8sa.master import LowPrecisionSGD, round_to

DATA = "/usr/share/datasets/fashion-mnist"
needs_data = pytest.mark.skipif(not os.path.isdir(DATA), reason="dataset-fashion-mnist not installed")

# Every finite value of each format, from its codes through the reference
# dtype (not through fp8sa), sorted: the grid SR must round onto.
_REF = {"fp16": (np.uint16, np.float16), "bf16": (np.uint16, ml_dtypes.bfloat16),
        "e5m2": (np.uint8, ml_dtypes.float8_e5m2)}


def _grid(fmt):
    ut, ft = _REF[fmt]
    with np.errstate(invalid="ignore"):  # the NaN codes, dropped below
        v = np.arange(1 << (8 * np.dtype(ut).itemsize), dtype=np.uint64).astype(ut).view(ft).astype(np.float64)
    return np.unique(v[np.isfinite(v)])  # -0 and +0 are one value


def _sample(n, seed, lo=-20, hi=12):
    """float32 values over many binades (inside every format's normal and
    subnormal range up to 2^12), both signs, plus exact ties of each format."""
    rng = np.random.default_rng(seed)
    x = (rng.uniform(1, 2, n) * 2.0 ** rng.integers(lo, hi, n) * rng.choice([-1, 1], n)).astype(np.float32)
    return x


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "e5m2"])
def test_rne_matches_the_reference_casts(fmt):
    x = _sample(200_000, 1)
    # Ties: midpoints of adjacent grid values (exact in float32 for these formats).
    g = _grid(fmt)
    g = g[np.abs(g) < 2.0 ** 12]
    mids = ((g[:-1] + g[1:]) / 2).astype(np.float32)
    x = np.concatenate([x, mids[mids.astype(np.float64) == (g[:-1] + g[1:]) / 2]])
    ref = x.astype(_REF[fmt][1]).astype(np.float32)
    got = round_to(x, fmt, "rne")
    bad = np.flatnonzero(got.view(np.uint32) != ref.view(np.uint32))
    assert bad.size == 0, f"{fmt}: x={x[bad[0]]!r} got {got[bad[0]]!r} ref {ref[bad[0]]!r}"


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "e5m2"])
def test_sr_gives_round_down_or_up_and_is_unbiased(fmt):
    g = _grid(fmt)
    x = _sample(100_000, 2, hi=10)
    xd = x.astype(np.float64)
    i = np.searchsorted(g, xd, side="right") - 1  # g[i] <= x < g[i+1]
    dn, up = g[i], g[np.minimum(i + 1, g.size - 1)]
    got = round_to(x, fmt, "sr", seed=12345).astype(np.float64)
    ok = (got == dn) | (got == up)
    assert ok.all(), f"{fmt}: x={x[~ok][0]!r} got {got[~ok][0]!r}, not in {{{dn[~ok][0]!r}, {up[~ok][0]!r}}}"
    exact = dn == xd
    assert np.all(got[exact] == xd[exact])  # an exact value never rounds
    # Unbiased: P(up) is the discarded fraction f (to 2^-16 for 16 random
    # bits), so over the sample sum (got - x) / ulp is a sum of independent
    # zero-mean terms of variance f(1 - f) <= 1/4.
    ulp = up - dn
    m = ~exact
    f = (xd[m] - dn[m]) / ulp[m]
    e = (got[m] - xd[m]) / ulp[m]
    z = e.sum() / np.sqrt(np.sum(f * (1 - f)))
    assert abs(z) < 5, f"{fmt}: SR bias z-score {z:.2f}"
    # One value many times: the mean is the value (P(up) = f, not 0 or 1/2).
    v = np.float32(1.0 + 2.0 ** -12 if fmt != "e5m2" else 1.0 + 2.0 ** -4)  # f = 1/32 (BF16), 1/4 (FP16, E5M2)
    r = round_to(np.full(40_000, v), fmt, "sr", seed=7).astype(np.float64)
    ulp1 = {"fp16": 2.0 ** -10, "bf16": 2.0 ** -7, "e5m2": 2.0 ** -2}[fmt]
    p = (float(v) - 1.0) / ulp1
    assert set(np.unique(r)) <= {1.0, 1.0 + ulp1}
    assert abs(np.mean(r == 1.0 + ulp1) - p) < 5 * np.sqrt(p * (1 - p) / r.size)


def _param(values):
    p = torch.nn.Parameter(torch.tensor(values, dtype=torch.float32))
    return p


def test_rne_master_stagnates_and_sr_recovers_the_update_in_expectation():
    # BF16 weights at 1.0 (ulp 2^-7 above, 2^-8 below): an update of 1e-4 is
    # below half an ulp, so RNE never moves the weight; SR moves it down with
    # probability 1e-4 / 2^-8 per step.
    n, steps, lr, grad = 20_000, 50, 1e-4, 1.0
    ws = {}
    for rnd in ("rne", "sr"):
        p = _param(np.ones(n))
        opt = LowPrecisionSGD([p], lr=lr, momentum=0.0, master="bf16", round=rnd, seed=3)
        for _ in range(steps):
            p.grad = torch.full_like(p, grad)
            opt.step()
        ws[rnd] = (p.detach().numpy().astype(np.float64), opt.lost_fraction())
    w, lost = ws["rne"]
    assert np.all(w == 1.0) and lost == 1.0
    w, lost = ws["sr"]
    expect = 1.0 - steps * lr * grad
    assert set(np.unique(w)) <= set(1.0 - k * 2.0 ** -8 for k in range(steps + 1))
    assert abs(w.mean() - expect) < 5 * 2.0 ** -8 * np.sqrt(steps * 0.0256 / n)  # per-step variance p(1-p) ulp^2
    assert 0.9 < lost < 1.0  # most steps round back, a few move a whole ulp
    # FP32 masters lose nothing at this size and take the exact SGD step.
    p = _param(np.ones(n))
    opt = LowPrecisionSGD([p], lr=lr, momentum=0.0, master="fp32")
    for _ in range(steps):
        p.grad = torch.full_like(p, grad)
        opt.step()
    assert opt.lost_fraction() == 0.0 and abs(float(p[0]) - expect) < 1e-6


def test_fp32_master_is_sgd_with_momentum():
    torch.manual_seed(0)
    w0 = torch.randn(300)
    grads = [torch.randn(300) for _ in range(5)]
    p, q = torch.nn.Parameter(w0.clone()), w0.clone().double()
    opt = LowPrecisionSGD([p], lr=0.01, momentum=0.9, master="fp32")
    b = torch.zeros(300, dtype=torch.float64)
    for g in grads:
        p.grad = g.clone()
        opt.step()
        b = 0.9 * b + g.double()
        q = q - 0.01 * b
    assert torch.allclose(p.double(), q, rtol=0, atol=1e-6)


@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
@pytest.mark.parametrize("rnd", ["rne", "sr"])
def test_standalone_state_is_16_bit(fmt, rnd):
    torch.manual_seed(1)
    p = torch.nn.Parameter(torch.randn(64, 32) * 0.05)
    opt = LowPrecisionSGD([p], lr=0.01, momentum=0.9, master=fmt, round=rnd, standalone=True, seed=5)
    dt = _REF[fmt][1]

    def representable(t):
        a = t.detach().numpy()
        return np.array_equal(a.astype(dt).astype(np.float32), a)
    assert representable(p)
    for _ in range(3):
        p.grad = torch.randn(64, 32) * 1e-3
        opt.step()
        assert representable(p) and representable(opt.buf[0])
    # The mixed mode keeps an FP32 momentum buffer (not representable in general).
    q = torch.nn.Parameter(torch.randn(64, 32) * 0.05)
    o2 = LowPrecisionSGD([q], lr=0.01, momentum=0.9, master=fmt, round=rnd, seed=5)
    q.grad = torch.randn(64, 32) * 1e-3 + 1e-7
    o2.step()
    assert representable(q) and not representable(o2.buf[0])


def test_update_rows_count_the_lost_updates():
    p = _param([1.0, 1.0, 2.0, 0.0])
    opt = LowPrecisionSGD([p], lr=1.0, momentum=0.0, master="bf16", log_every=1)
    p.grad = torch.tensor([1e-4, 0.5, 0.0, 1e-3])  # lost, kept, zero, kept (0 - 1e-3 is exact-ish in BF16)
    opt.step()
    r = opt.metric_rows[0]
    assert (r["role"], r["layer"], r["fmt"], r["n"], r["step"]) == ("update", 0, "bf16", 4, 0)
    assert r["underflow"] == 0.25 and r["zero"] == 0.25 and opt.lost_fraction() == 1 / 3


@pytest.mark.parametrize("kw,msg", [
    (dict(master="fp8"), "master 'fp8' is not one of: fp32, fp16, bf16, e5m2"),
    (dict(round="rz"), "round 'rz' is not one of: rne, sr"),
    (dict(master="fp32", round="sr"), "no FP32 output"),
    (dict(master="e5m2", standalone=True), "needs master fp16 or bf16"),
    (dict(lr=-1.0), "lr -1.0 must be a finite number >= 0"),
])
def test_refusals(kw, msg):
    args = dict(lr=0.1)
    args.update(kw)
    with pytest.raises(ValueError, match=msg):
        LowPrecisionSGD([_param([1.0])], **args)


def test_master_weights_grid():
    grid = ex.master_weights_settings()
    labels = [g[0] for g in grid]
    assert labels == ["fp32", "fp32-rne", "fp16-rne", "fp16-sr", "bf16-rne", "bf16-sr", "e5m2-rne", "e5m2-sr",
                      "pure-fp16-rne", "pure-fp16-sr", "pure-bf16-rne", "pure-bf16-sr"]
    r = {g[0]: g for g in grid}
    assert r["fp32"][2].plain and r["fp32"][3] is None
    assert r["pure-bf16-rne"][2].out_wgrad == "bf16" and r["bf16-sr"][2].out_wgrad == "fp32"
    opt = r["pure-fp16-sr"][3]([_param([1.0])], 0.1, None)
    assert (opt.master, opt.round, opt.standalone) == ("fp16", "sr", True)


@needs_data
def test_quick_master_weights_run_writes_update_rows(tmp_path):
    out = tmp_path / "mw.csv"
    torch.set_num_threads(1)
    assert ex.main(["--run", "master-weights", "--quick", "--seeds", "1", "--steps", "3",
                    "--settings", "bf16-rne,pure-fp16-sr", "--lr", "0.01", "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out)))
    assert [r["setting"] for r in rows] == ["bf16-rne", "pure-fp16-sr"]
    assert all(float(r["lr"]) == 0.01 for r in rows)
    m = [r for r in csv.DictReader(open(ex.metrics_path(str(out)))) if r["role"] == "update"]
    # 6 parameter tensors (3 layers' weights and biases), logged at step 0.
    assert sorted({(r["setting"], r["layer"]) for r in m}) == sorted(
        (s, str(i)) for s in ("bf16-rne", "pure-fp16-sr") for i in range(6))
    assert all(0 <= float(r["underflow"]) <= 1 for r in m)


@needs_data
def test_master_table_from_a_run(tmp_path, capsys):
    import fp8sa.master as mw
    out = tmp_path / "mw.csv"
    torch.set_num_threads(1)
    assert ex.main(["--run", "master-weights", "--quick", "--seeds", "2", "--steps", "2",
                    "--settings", "fp32-rne,e5m2-rne,e5m2-sr", "--out", str(out)]) == 0
    capsys.readouterr()
    assert mw.main(["--table", str(out), "--plot", str(tmp_path / "mw.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| setting | seeds | test accuracy mean | std | vs FP32 master |")
    assert [ln.split(" | ")[0] for ln in lines[2:]] == ["| fp32-rne", "| e5m2-rne", "| e5m2-sr"]
    # E5M2 masters with RNE at lr 0.002: nearly every update is below half an
    # ulp (not all: weights near zero have a fine grid), none under FP32.
    assert float(lines[3].split(" | ")[8].rstrip(" %")) > 95
    assert lines[2].split(" | ")[8] == "0.0 %"
    assert os.path.getsize(tmp_path / "mw.png") > 0


def test_master_table_refusals(tmp_path, capsys):
    import fp8sa.master as mw
    assert mw.main(["--table", str(tmp_path / "none.csv")]) == 2
    err = capsys.readouterr().err
    assert "No such file or directory" in err and err.count("\n") == 1


def test_lr_option_refusal(capsys):
    try:
        rc = ex.main(["--run", "master-weights", "--quick", "--lr", "-1"])
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2 and "--lr must be a finite number >= 0" in err and err.count("\n") == 1

"""SR with few random bits on the master weights (issue 22 experiment 4,
docs/experiments.md "SR with few random bits"): LowPrecisionSGD's sr_bits and
sr_kind give exactly fp8sa.quantize's rounding, which is checked here against
an independent computation of each kind from the value's two grid neighbours
(the format's codes enumerated through ml_dtypes / numpy) and the draw, per
docs/numerics.md section 5; then the bias the experiment is about: with R
bits, trunc never rounds up an update below 2^-R ulp, src is unbiased over a
spread of such updates, mid overshoots them."""
import csv
import math
import os

import ml_dtypes
import numpy as np
import pytest
import torch

import fp8sa.experiments as ex
from fp8sa.master import LowPrecisionSGD, _seed, round_to

DATA = "/usr/share/datasets/fashion-mnist"
needs_data = pytest.mark.skipif(not os.path.isdir(DATA), reason="dataset-fashion-mnist not installed")

_REF = {"bf16": (np.uint16, ml_dtypes.bfloat16), "e5m2": (np.uint8, ml_dtypes.float8_e5m2),
        "fp16": (np.uint16, np.float16)}


def _pos_grid(fmt):
    """Every finite non-negative value of fmt, sorted, from its codes."""
    ut, ft = _REF[fmt]
    with np.errstate(invalid="ignore"):
        v = np.arange(1 << (8 * np.dtype(ut).itemsize), dtype=np.uint64).astype(ut).view(ft).astype(np.float64)
    v = v[np.isfinite(v)]
    return np.unique(np.abs(v))


def _k(g, kind, R):
    """numerics.md section 5's k from g = f * 2^R (exact binary64)."""
    if kind == "mid":
        t = math.floor(g / 2)
        return 2 * t + (1 if g / 2 != t else 0)
    if kind == "trunc":
        return math.floor(g)
    return round(g)  # src: RNE(g); Python's round of a float is ties-to-even


def _reference(x, fmt, R, kind, u):
    """SR of each float32 x with the draws u: round the magnitude up to the
    next grid value iff (u mod 2^R) < k."""
    grid = _pos_grid(fmt)
    out = np.empty(x.size)
    for n, (xv, uv) in enumerate(zip(x.astype(np.float64), u)):
        a = abs(xv)
        i = np.searchsorted(grid, a, side="right") - 1
        dn = grid[i]
        if dn == a:
            out[n] = xv
            continue
        up = grid[i + 1]
        f = (a - dn) / (up - dn)  # exact: a, dn, up are float32 values close together
        k = _k(f * 2.0 ** R, kind, R)
        out[n] = math.copysign(up if (int(uv) & ((1 << R) - 1)) < k else dn, xv)
    return out


def _values(fmt):
    """Hand-picked values: grid points plus fractions f of an ulp on the
    grids 1/256 and 1/4096 (so every R here sees exact, sticky and tie
    cases), at 1.0 and below 2.0 (the next grid value is in the next
    binade), both signs, and one in the subnormal range."""
    ulp1 = {"bf16": 2.0 ** -7, "e5m2": 2.0 ** -2, "fp16": 2.0 ** -10}[fmt]
    top = 2.0 - ulp1
    sub = {"bf16": 2.0 ** -133, "e5m2": 2.0 ** -16, "fp16": 2.0 ** -24}[fmt]  # the smallest subnormal
    fr = np.concatenate([np.arange(0, 256) / 256, np.array([1, 3, 5, 7, 17, 255, 2049, 4095]) / 4096])
    v = np.concatenate([1.0 + fr * ulp1, -(1.0 + fr * ulp1), top + fr * ulp1, (3 + fr) * sub])
    x = v.astype(np.float32)
    assert np.array_equal(x.astype(np.float64), v)  # every value exact in float32
    return x


@pytest.mark.parametrize("fmt", ["bf16", "e5m2"])
@pytest.mark.parametrize("kind", ["mid", "trunc", "src"])
@pytest.mark.parametrize("R", [2, 3, 4, 8, 16])
def test_quantize_sr_bits_and_kind_match_the_definition(fmt, kind, R):
    x = _values(fmt)
    rng = np.random.default_rng(R * 7 + len(kind))
    # Every draw 0 .. 2^R - 1 for the small R (each value once per draw); 64
    # draws per value otherwise, with bits above R set (they must be ignored).
    draws = np.arange(1 << R) if R <= 4 else rng.integers(0, 1 << 32, 64, dtype=np.uint64)
    xs = np.repeat(x, draws.size)
    us = np.tile(draws, x.size).astype(np.uint32)
    got = round_to(xs, fmt, "sr", sr_bits=R, sr_kind=kind, rand=us).astype(np.float64)
    ref = _reference(xs, fmt, R, kind, us)
    bad = np.flatnonzero(got != ref)
    assert bad.size == 0, (f"{fmt} {kind} R={R}: x={xs[bad[0]]!r} u={us[bad[0]]} got {got[bad[0]]!r} "
                           f"ref {ref[bad[0]]!r} ({bad.size} mismatches)")


@pytest.mark.parametrize("fmt", ["bf16", "e5m2"])
@pytest.mark.parametrize("kind", ["mid", "trunc", "src"])
@pytest.mark.parametrize("R", [2, 3, 8])
def test_optimizer_update_is_quantize_with_its_bits_and_kind(fmt, kind, R):
    # One step, momentum 0, lr 1: w' = w - g is exactly the float32 x below,
    # so the new weight must be fp8sa.quantize of x with the optimizer's
    # LFSR seed for that rounding, its R and its kind.
    x = _values(fmt)
    w0 = x.astype(_REF[fmt][1]).astype(np.float32)  # a grid value near x
    p = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    opt = LowPrecisionSGD([p], lr=1.0, momentum=0.0, master=fmt, round="sr", seed=9, sr_bits=R, sr_kind=kind)
    g = (w0.astype(np.float64) - x.astype(np.float64)).astype(np.float32)
    assert np.array_equal((w0 - g).astype(np.float64), x.astype(np.float64))
    p.grad = torch.from_numpy(g)
    opt.step()
    ref = round_to(x, fmt, "sr", seed=_seed(9, opt._n), sr_bits=R, sr_kind=kind)
    assert np.array_equal(p.detach().numpy(), ref)
    # And a different R or kind draws differently or rounds differently
    # somewhere on these values (the parameters reach the quantizer).
    other = round_to(x, fmt, "sr", seed=_seed(9, opt._n), sr_bits=16 if R != 16 else 8,
                     sr_kind="trunc" if kind != "trunc" else "src")
    assert not np.array_equal(ref, other)


def _sub_ulp_step(kind, R, n=40_000, lo=0.0, hi=None, seed=4, below=None):
    """BF16 weights at 1.0 (ulp 2^-7 above) take one update of f ulp, f
    uniform on the 2^-16 grid in (lo, hi) * 2^-below (below: R unless
    given), rounded with R random bits of kind: the applied change minus the intended
    one, in ulps, and the lost fraction."""
    hi = 1.0 if hi is None else hi
    rng = np.random.default_rng(seed)
    # f = j / 2^16 ulp = j * 2^-23 (exact in float32, so 1 + d is too), j an
    # integer with f in (lo, hi) * 2^-R.
    m = 2 ** (16 - (R if below is None else below))
    j = rng.integers(max(1, math.ceil(lo * m)), math.ceil(hi * m), n)
    d = (j * 2.0 ** -23).astype(np.float32)
    p = torch.nn.Parameter(torch.ones(d.size))
    opt = LowPrecisionSGD([p], lr=1.0, momentum=0.0, master="bf16", round="sr", seed=seed, sr_bits=R,
                          sr_kind=kind)
    p.grad = torch.from_numpy(-d)
    opt.step()
    e = (p.detach().numpy().astype(np.float64) - 1.0 - d.astype(np.float64)) / 2.0 ** -7
    return e, opt.lost_fraction()


@pytest.mark.parametrize("R", [2, 3])
def test_trunc_loses_sub_2_pow_minus_r_updates_src_stays_unbiased(R):
    # trunc: k = floor(g) = 0 for every f < 2^-R: each update lost, the
    # bias is minus the whole update (round toward zero).
    e, lost = _sub_ulp_step("trunc", R)
    assert lost == 1.0 and np.all(e < 0)
    # src: k = RNE(g) = 1 for f in (2^-(R+1), 2^-R), 0 below, so P(up) =
    # 2^-R on the upper half: over a uniform spread of sub-2^-R fractions
    # the mean error is zero (z-score of the sample mean).
    e, lost = _sub_ulp_step("src", R)
    z = e.mean() / (e.std(ddof=1) / math.sqrt(e.size))
    assert abs(z) < 5, f"src R={R}: bias z {z:.2f}"
    assert 0.3 < lost < 1.0
    # mid: k = 1 for every f > 0: P(up) = 2^-R >= f, biased away from zero.
    e, _ = _sub_ulp_step("mid", R)
    z = e.mean() / (e.std(ddof=1) / math.sqrt(e.size))
    assert z > 20, f"mid R={R}: z {z:.2f}"
    # The same fractions with 16 bits: every kind is unbiased (each f is a
    # multiple of 2^-16, so k / 2^16 = f exactly).
    for kind in ("mid", "trunc", "src"):
        e, _ = _sub_ulp_step(kind, 16, below=R)
        z = e.mean() / (e.std(ddof=1) / math.sqrt(e.size))
        assert abs(z) < 5, f"{kind} R=16: z {z:.2f}"


def test_src_also_loses_updates_below_half_of_2_pow_minus_r():
    # What "unbiased" does not cover: one fixed update below 2^-(R+1) ulp
    # has k = RNE(g) = 0 under src too, so it is lost every time; src is
    # unbiased only over a spread of fractions (rounding g to nearest).
    e, lost = _sub_ulp_step("src", 3, lo=0.01, hi=0.49)
    assert lost == 1.0 and np.all(e < 0)


@pytest.mark.parametrize("kw,msg", [
    (dict(sr_bits=1), "sr_bits 1 must be an integer in \\[2, 24\\]"),
    (dict(sr_bits=25), "sr_bits 25 must be"),
    (dict(sr_bits=3.0), "sr_bits 3.0 must be"),
    (dict(sr_kind="odd"), "sr_kind 'odd' is not one of: mid, trunc, src"),
])
def test_refusals(kw, msg):
    with pytest.raises(ValueError, match=msg):
        LowPrecisionSGD([torch.nn.Parameter(torch.ones(1))], lr=0.1, master="bf16", round="sr", **kw)


def test_defaults_are_todays():
    opt = LowPrecisionSGD([torch.nn.Parameter(torch.ones(1))], lr=0.1, master="bf16", round="sr")
    assert (opt.sr_bits, opt.sr_kind) == (16, "mid")


def test_sr_bits_grid():
    grid = ex.sr_bits_settings()
    labels = [g[0] for g in grid]
    assert labels[:2] == ["fp32-rne", "bf16-rne"] and labels[17] == "e5m2-rne" and len(labels) == 33
    assert labels[2:7] == [f"bf16-mid-r{r}" for r in (2, 3, 4, 8, 16)]
    r = {g[0]: g for g in grid}
    opt = r["e5m2-src-r3"][3]([torch.nn.Parameter(torch.ones(2))], 0.1, None)
    assert (opt.master, opt.round, opt.sr_bits, opt.sr_kind, opt.momentum) == ("e5m2", "sr", 3, "src", 0.9)
    assert ex.EXPERIMENTS["sr-bits"].implemented and ex.EXPERIMENTS["sr-bits"].model == "mlp"


@needs_data
def test_quick_sr_bits_run_and_table(tmp_path, capsys):
    import fp8sa.srbits as sb
    out = tmp_path / "sb.csv"
    torch.set_num_threads(1)
    assert ex.main(["--run", "sr-bits", "--quick", "--seeds", "2", "--steps", "2",
                    "--settings", "fp32-rne,e5m2-rne,e5m2-trunc-r2,e5m2-trunc-r16", "--out", str(out)]) == 0
    capsys.readouterr()
    assert sb.main(["--table", str(out), "--plot", str(tmp_path / "sb.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| setting | seeds | test accuracy mean | std | vs FP32 master |")
    assert [ln.split(" | ")[0] for ln in lines[2:]] == ["| fp32-rne", "| e5m2-rne", "| e5m2-trunc-r2",
                                                         "| e5m2-trunc-r16"]
    cols = lines[0].split(" | ")
    lost = cols.index("updates lost")
    # E5M2 masters at lr 0.002: nearly every update is below half an ulp
    # (RNE loses them). trunc rounds the magnitude toward zero: an update
    # that grows |w| by f << 1/4 ulp is lost (k = floor(4 f) = 0), but one
    # that shrinks |w| leaves a fraction f' = 1 - tiny above the grid point
    # below, k = floor(4 f') = 3, so with 2 bits it moves |w| a whole ulp
    # toward zero a quarter of the time, where 16 bits almost never do:
    # about half of the updates are lost 3/4 of the time instead of always.
    l_rne, l_t2, l_t16 = (float(lines[i].split(" | ")[lost].rstrip(" %")) for i in (3, 4, 5))
    assert l_rne > 95 and l_t16 > 95 and l_t2 < l_t16 - 5
    assert os.path.getsize(tmp_path / "sb.png") > 0
    rows = list(csv.DictReader(open(out)))
    assert {r["knobs"] for r in rows if r["setting"] == "e5m2-trunc-r2"} == {
        "master=e5m2 update_round=sr sr_kind=trunc sr_bits=2"}


def test_table_refusals(tmp_path, capsys):
    import fp8sa.srbits as sb
    assert sb.main(["--table", str(tmp_path / "none.csv")]) == 2
    err = capsys.readouterr().err
    assert "No such file or directory" in err and err.count("\n") == 1

"""Issue 22 experiment 3: the weight-gradient GEMMs' own array
(fp8sa.torch.Recipe.wgrad_array). Each weight-gradient GEMM of the CNN must
be bit-identical to fp8sa.gemm called with that array on the same quantized
operands, while the forward and backward-data GEMMs stay the recipe's own;
the chained long-K GEMM (fp8sa.conv.gemm) must carry the dot PE's words
correctly; and the accumulation grid runs and writes its swamping check."""
import csv
import os
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import fp8sa
import fp8sa.conv as conv
import fp8sa.experiments as ex
from fp8sa.torch import Engine, Recipe

DATA = "/usr/share/datasets/fashion-mnist"
needs_data = pytest.mark.skipif(not os.path.isdir(DATA), reason="dataset-fashion-mnist not installed")

BASE = Recipe(name="base", fmt_act="e4m3", fmt_weight="e4m3", fmt_err="e5m2")
# The h100-fp8 preset's parameters, spelled out (docs/numerics.md 10.2).
H100 = dict(pe="dot", dot_n=32, align_bits=13, acc="e8m13", round="rz")


def _step(recipe, seed=3, batch=2):
    """One forward and backward step of the CNN at a small batch (K = batch x
    576 = 1,152 for the first convolution's weight gradient: one command),
    recording every Engine.gemm call: (wgrad, a, fa, sa, b, fb, sb, out,
    the seed the GEMM drew, result)."""
    torch.manual_seed(seed)
    eng = Engine(recipe, seed=seed, threads=1)
    model = conv.cnn(recipe, eng)
    calls, seeds = [], []
    real_gemm, real_seed = eng.gemm, eng.next_seed

    def next_seed():
        seeds.append(real_seed())
        return seeds[-1]

    def gemm(a, fa, sa, b, fb, sb, out, out_round, backward, sat, wgrad=False):
        n = len(seeds)
        v = real_gemm(a, fa, sa, b, fb, sb, out, out_round, backward, sat, wgrad=wgrad)
        calls.append((wgrad, np.array(a), fa, sa, np.array(b), fb, sb, out,
                      seeds[n] if len(seeds) > n else None, v.numpy().copy()))
        return v
    eng.next_seed, eng.gemm = next_seed, gemm
    g = torch.Generator().manual_seed(7)
    x = torch.rand(batch, 784, generator=g) * 3 - 0.5
    y = torch.randint(0, 10, (batch,), generator=g)
    F.cross_entropy(model(x), y).backward()
    return calls


@pytest.mark.parametrize("arr", [dict(acc="e6m5", round="rne"), dict(acc="e8m10", round="sr"),
                                 dict(acc="e6m5", round="rne", promote=128), H100, dict(H100, promote=128),
                                 dict(pe="exact")],
                         ids=["e6m5-rne", "e8m10-sr", "e6m5-promote128", "h100-fp8", "h100-fp8-promote128",
                              "exact"])
def test_wgrad_gemms_run_on_the_wgrad_array_and_only_they(arr):
    base = _step(BASE)
    role = _step(replace(BASE, wgrad_array=arr))
    assert [c[0] for c in role] == [c[0] for c in base] and sum(c[0] for c in role) == 4  # 2 conv + 2 fc
    ks = sorted(c[1].shape[1] for c in role if c[0])
    assert ks == [2, 2, 128, 1152]  # fc2, fc1 (K = batch), conv2 (batch x 64), conv1 (batch x 576)
    differs = 0
    for (w, a, fa, sa, b, fb, sb, out, seed, v), cb in zip(role, base):
        if not w:
            # forward and backward data: the recipe's own e8m23, the same bits
            assert np.array_equal(v.view(np.uint32), cb[9].view(np.uint32))
            continue
        # the same quantized operands as the e8m23 run (the weight gradient feeds nothing in this step)
        assert np.array_equal(a, cb[1]) and np.array_equal(b, cb[4]) and (sa, sb) == (cb[3], cb[6])
        kw = dict(arr)
        rnd = kw.pop("round", "rne")
        res = fp8sa.gemm(np.ascontiguousarray(a), np.ascontiguousarray(b), fmt_a=fa, fmt_b=fb, round=rnd,
                         out_fmt=out, seed=seed, rows=16, cols=16, **kw)
        want = res.values * np.float32(2.0 ** -(sa + sb))
        assert np.array_equal(v.view(np.uint32), want.view(np.uint32)), (arr, a.shape)
        differs += not np.array_equal(v, cb[9])
    if arr.get("pe") != "exact":
        assert differs >= 1  # the narrow accumulator changed a weight gradient: the role's array is in use


def test_chained_long_k_dot_gemm_is_one_command():
    # The dot PE without promotion: eXmY (e8m13) result words, binary32 init
    # words; a chain of commands must carry the values across, giving the bits
    # of one command (RZ: no random draws).
    rng = np.random.default_rng(5)
    k = 4096
    a = fp8sa.quantize(rng.standard_normal((6, k)) * rng.choice([1, 2 ** -6], (6, k)), "e4m3", "rne", True, 1, 0)
    b = fp8sa.quantize(rng.standard_normal((k, 5)) * 2 ** -10, "e5m2", "rne", True, 1, 0)
    for arr in (H100, dict(H100, promote=128), dict(acc="e6m5", round="rne", promote=128)):
        eng = Engine(replace(BASE, wgrad_array=arr), seed=1, threads=1)
        one = conv.gemm(eng, a, "e4m3", 0, b, "e5m2", 0, "fp32", "rne", True, False, wgrad=True).numpy()
        chained = conv.gemm(eng, a, "e4m3", 0, b, "e5m2", 0, "fp32", "rne", True, False, chunk=512,
                            wgrad=True).numpy()
        assert np.array_equal(one.view(np.uint32), chained.view(np.uint32)), arr
    # and the wgrad array is really used by the chain: e8m23 differs at this K
    eng = Engine(BASE, seed=1, threads=1)
    plain = conv.gemm(eng, a, "e4m3", 0, b, "e5m2", 0, "fp32", "rne", True, False, chunk=512, wgrad=True).numpy()
    assert not np.array_equal(plain, chained)


def test_a_fixed_array_refuses_a_wgrad_array():
    with pytest.raises(ValueError, match="wgrad_array"):
        Engine(replace(BASE, wgrad_array=dict(acc="e6m5")), array=dict(rows=4, cols=4))


def test_accumulation_grid():
    grid = ex.accumulation_settings()
    labels = [g[0] for g in grid]
    assert labels == ["fp32", "e8m23", "e8m10-rne", "e8m10-sr", "e8m10-promote128", "e6m5-rne", "e6m5-sr",
                      "e6m5-promote128", "h100-fp8", "h100-fp8-promote128", "exact"]
    r = dict((g[0], g[2]) for g in grid)
    assert r["e8m23"].wgrad_array is None and r["e8m23"].acc == "e8m23"
    for label in labels[2:]:
        # the forward and backward-data GEMMs stay e8m23 RNE
        assert (r[label].acc, r[label].acc_round, r[label].fmt_err) == ("e8m23", "rne", "e5m2")
    assert r["h100-fp8-promote128"].wgrad_array == dict(H100, promote=128)
    # the knobs of each run are in its CSV row
    assert dict((g[0], g[1]) for g in grid)["e6m5-sr"] == dict(wgrad_acc="e6m5-sr", wgrad_array="acc:e6m5,round:sr")


@needs_data
def test_quick_accumulation_run_writes_its_csvs(tmp_path, capsys):
    out = tmp_path / "acc.csv"
    torch.set_num_threads(1)
    assert ex.main(["--run", "accumulation", "--quick", "--seeds", "1", "--steps", "2",
                    "--settings", "e8m23,e6m5-rne", "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out)))
    assert [(r["setting"], r["batch"], r["steps"]) for r in rows] == [("e8m23", "512", "2"), ("e6m5-rne", "512", "2")]
    w = list(csv.DictReader(open(tmp_path / "acc_wgrad.csv")))
    assert [(r["setting"], r["k"]) for r in w] == [("e8m23", "294912"), ("e6m5-rne", "294912")]
    e = {r["setting"]: float(r["rel_err"]) for r in w}
    # the swamping the grid is there for: e6m5 RNE loses a large part of the
    # first convolution's weight gradient at K = 294,912; e8m23 does not
    assert e["e8m23"] < 1e-4 and e["e6m5-rne"] > 0.1
    capsys.readouterr()
    assert ex.main(["--table", str(tmp_path / "acc_wgrad.csv")]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 4 and table[3].startswith("| e6m5-rne | 294,912 | 1 | ")
    # the results' plot takes the swamping check as its right panel
    assert ex.main(["--table", str(out), "--plot", str(tmp_path / "acc.png")]) == 0
    assert (tmp_path / "acc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

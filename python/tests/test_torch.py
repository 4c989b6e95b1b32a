"""fp8sa.torch: the layer's three GEMMs against fp8sa.gemm and against
PyTorch FP32 autograd; the loss scale's reaction to the array's flags; a
tiny training run (make test's version of make train)."""
import math
import os
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import fp8sa
from fp8sa.torch import RECIPES, DynamicLossScaler, Engine, Linear, MasterSGD, Recipe, matmul


def test_linear_forward_is_fp8sa_gemm_of_the_quantized_operands():
    torch.manual_seed(0)
    eng = Engine(Recipe(fmt_act="e4m3", fmt_weight="e5m2"), seed=3)
    lin = Linear(20, 7, eng)
    x = torch.randn(5, 20)
    y = lin(x)
    qx = fp8sa.encode(x.numpy(), "e4m3", sat=True)
    qw = fp8sa.encode(lin.weight.detach().numpy(), "e5m2", sat=True)
    ref = fp8sa.gemm(qx, np.ascontiguousarray(qw.T), fmt_a="e4m3", fmt_b="e5m2").values + lin.bias.detach().numpy()
    assert np.array_equal(y.detach().numpy(), ref)


def test_backward_gemms_match_fp32_autograd_within_fp8_error():
    torch.manual_seed(1)
    a = torch.randn(33, 40, requires_grad=True)
    b = torch.randn(40, 17, requires_grad=True)
    g = torch.randn(33, 17)
    eng = Engine(Recipe(), seed=1)
    matmul(a, b, eng).backward(g)
    a2, b2 = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    (a2 @ b2).backward(g)
    for got, want in ((a.grad, a2.grad), (b.grad, b2.grad)):
        rel = float(torch.linalg.norm(got - want) / torch.linalg.norm(want))
        assert rel < 0.15, rel  # E5M2 operands: 2 mantissa bits, about 2^-3 relative error each
    assert eng.gemm_macs == 3 * 33 * 40 * 17


def test_error_overflow_sets_backward_flags():
    eng = Engine(Recipe(), seed=1)
    a = torch.ones(4, 8, requires_grad=True)
    b = torch.ones(8, 4, requires_grad=True)
    matmul(a, b, eng).backward(torch.full((4, 4), 1e6))  # errors above E5M2's 57344, non-saturating
    assert eng.take_bwd_flags() & fp8sa.FLAG_OVERFLOW
    assert eng.take_bwd_flags() == 0


def test_loss_scaler_skips_lowers_and_grows():
    s = DynamicLossScaler(init_scale=1024, growth_interval=3)
    assert not s.update(fp8sa.FLAG_OVERFLOW) and s.scale == 512
    assert not s.update(fp8sa.FLAG_INVALID) and s.scale == 256
    assert s.update(fp8sa.FLAG_INEXACT) and s.update(0) and s.scale == 256
    assert s.update(0) and s.scale == 512


def test_fp16_master_weights_stay_fp16_with_sr():
    torch.manual_seed(2)
    eng = Engine(Recipe(), seed=5)
    w = torch.nn.Parameter(torch.randn(300))
    opt = MasterSGD([w], lr=1e-3, master="fp16", round="sr", engine=eng)
    for _ in range(3):
        w.grad = torch.randn(300)
        opt.step()
        v = w.detach().numpy()
        assert np.array_equal(fp8sa.decode(fp8sa.encode(v, "fp16"), "fp16"), v)


DATA = "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(not os.path.isdir(DATA), reason="dataset-fashion-mnist not installed")
def test_tiny_training_loss_falls_and_loss_scale_reacts_to_injected_overflow():
    from fp8sa.train_fmnist import load_fmnist, train_run
    data = load_fmnist(DATA)
    recipe = replace(RECIPES["mellempudi"], growth_interval=60)
    inject = 150
    rec = train_run(recipe, 1, data, epochs=4, subset=3200, batch=32, max_steps=300, inject_overflow_at=inject,
                    inject_scale=2.0 ** 30, eval_test=False, log=lambda *a: None)
    assert rec["steps"] == 300
    loss = np.array(rec["step_loss"])
    assert np.isfinite(loss).all()
    first, last = loss[:50].mean(), loss[-50:].mean()
    assert last < 0.6 * first, (first, last)
    # The injected scale overflows the errors: the array's flags skip that step and halve the scale,
    # step after step, until the errors fit again; then training goes on.
    sc = np.array(rec["loss_scale"])
    assert inject in rec["skipped_steps"]
    assert sc[inject] == 2.0 ** 30 and sc[inject + 1] == 2.0 ** 29
    assert sc[-1] < 2.0 ** 20
    # Before the injection the scale grew after clean intervals (60 steps each).
    assert sc[:inject].max() > sc[0]


@pytest.mark.parametrize("args, msg", [(["--recipes", "nosuch"], "nosuch"), (["--epochs", "0"], "--epochs"),
                                        (["--data", "/nonexistent"], "nonexistent"), (["--seeds", "x"], "invalid int"),
                                        (["--run", "fp32:1"], "--run-out"),
                                        (["--run", "fp32:9", "--run-out", "/tmp/x.json"], "not a run of this grid"),
                                        (["--merge", "/tmp"], "--reproducible"),
                                        (["--merge", "/nonexistent", "--reproducible"], "not a folder"),
                                        (["--list-runs", "--merge", "/tmp"], "do not go together")])
def test_train_script_bad_options_one_line_exit_2(args, msg, capsys):
    from fp8sa.train_fmnist import main
    with pytest.raises(SystemExit) as e:
        rc = main(args)
        raise SystemExit(rc)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert msg in err and len(err.splitlines()) == 1, err


def test_train_merge_refuses_foreign_missing_and_repeated_records(tmp_path, capsys):
    """--merge: a record made with other options, a missing run, a run twice:
    one line, exit 2, before anything is written."""
    import json
    from fp8sa.train_fmnist import GRID_OPTIONS, main
    grid = ["--recipes", "fp32", "--seeds", "2", "--epochs", "1"]
    opts = dict(recipes="fp32", seeds=2, epochs=1, train_subset=0, test_subset=0, batch=128,
                lr=0.05, torch_threads=1, sample_step=200)
    assert set(opts) == set(GRID_OPTIONS)
    d = tmp_path / "runs"
    d.mkdir()
    (d / "a.json").write_text(json.dumps({"key": "fp32:1", "options": opts}))
    out = ["--doc", str(tmp_path / "t.md"), "--figdir", str(tmp_path / "fig"), "--merge", str(d), "--reproducible"]

    def merge(extra):
        with pytest.raises(SystemExit) as e:
            raise SystemExit(main(grid + out + extra))
        err = capsys.readouterr().err.strip()
        assert e.value.code == 2 and len(err.splitlines()) == 1, err
        return err

    assert "1 of 2 runs have no record" in merge([])
    assert "made with other options: batch 128 (merge: 64)" in merge(["--batch", "64"])
    (d / "b.json").write_text(json.dumps({"key": "fp32:1", "options": opts}))
    assert "run fp32:1 twice" in merge([])
    assert not (tmp_path / "t.md").exists()


# -- issue 20 section 2: the fused path (fp8sa._core.quantize_f32, gemm_f32,
# round_f32) against the unfused reference (fp8sa.quantize, fp8sa.gemm,
# fp8sa.fake_quantize): same bits, same flags, same seeds.

@pytest.mark.parametrize("fmt", ["e5m2", "e4m3"])
@pytest.mark.parametrize("rnd", ["rne", "rz", "sr"])
@pytest.mark.parametrize("sat", [False, True])
@pytest.mark.parametrize("scale", [0, -64, 63, 7, -9])
def test_quantize_f32_is_quantize(fmt, rnd, sat, scale):
    rng = np.random.default_rng(abs(scale) * 7 + sat)
    sh = 20 if fmt == "e5m2" else 19
    hi = np.arange(1 << (32 - sh), dtype=np.uint64)  # every table entry, with several fills below it
    fills = [np.zeros_like(hi), np.ones_like(hi), np.full_like(hi, (1 << sh) - 1),
             rng.integers(1, 1 << sh, hi.size, dtype=np.uint64)]
    w = np.concatenate([((hi << sh) | f).astype(np.uint32) for f in fills])
    if rnd == "sr":
        w = w[rng.permutation(w.size)[:20000]]
    x = w.view(np.float32)
    ref, fl = fp8sa.quantize(x, fmt, rnd, sat, 5, scale, return_flags=True)
    out = np.empty(x.size, np.uint8)
    f = fp8sa._core.quantize_f32(x, out, fmt, rnd, sat, 5, scale, 16)
    assert np.array_equal(out, ref)
    assert f == int(np.bitwise_or.reduce(fl))
    if rnd == "sr":  # SR widths with R + 1 below and above the discarded bits
        for bits in (3, 24):
            rb, fb = fp8sa.quantize(x, fmt, rnd, sat, 5, scale, sr_bits=bits, return_flags=True)
            f = fp8sa._core.quantize_f32(x, out, fmt, rnd, sat, 5, scale, bits)
            assert np.array_equal(out, rb)
            assert f == int(np.bitwise_or.reduce(fb))
        for n in (1, 7, 16, 17, 333):  # lengths with and without a partial block of 16 draws
            rn, fn = fp8sa.quantize(x[:n], fmt, rnd, sat, 9, scale, return_flags=True)
            o = np.empty(n, np.uint8)
            assert fp8sa._core.quantize_f32(x[:n], o, fmt, rnd, sat, 9, scale, 16) == int(np.bitwise_or.reduce(fn))
            assert np.array_equal(o, rn)
    # per-element flags: one element at a time on a sample
    for i in rng.integers(0, x.size, 300):
        o1 = np.empty(1, np.uint8)
        assert fp8sa._core.quantize_f32(x[i:i + 1], o1, fmt, rnd, sat, 5, scale, 16) == fl[i] or rnd == "sr"


@pytest.mark.parametrize("rnd", ["rne", "sr"])
@pytest.mark.parametrize("seed", [9, 12345])
def test_round_f32_is_fake_quantize(rnd, seed):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.standard_normal(5000).astype(np.float32) * 10.0 ** rng.integers(-9, 6, 5000).astype(np.float32),
                        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, 6e-8, 3e-8], np.float32)]).astype(np.float32)
    # every binade around FP16's range, with random and edge mantissas
    e = np.arange(100, 150, dtype=np.uint32)
    man = np.array([0, 1, 0x1FFF, 0x2000, 0x7FFFFF, 0x7FE000, 0x7FDFFF], np.uint32)
    edge = ((e[:, None] << 23) | man[None, :]).ravel()
    edge = np.concatenate([edge, edge | 0x80000000, (rng.integers(100, 150, 20000).astype(np.uint32) << 23)
                           | rng.integers(0, 1 << 23, 20000).astype(np.uint32)]).view(np.float32)
    x = np.concatenate([x, edge])
    for sr_bits in (16, 14, 20, 13):
        v, f = fp8sa._core.round_f32(x, "fp16", rnd, False, seed, sr_bits)
        ref = fp8sa.quantize(x, "fp16", rnd, False, seed, sr_bits=sr_bits)
        _, fl = fp8sa.quantize(x, "fp16", rnd, False, seed, sr_bits=sr_bits, return_flags=True)
        assert np.array_equal(v.view(np.uint32), fp8sa.decode(ref, "fp16").view(np.uint32))
        assert f == int(np.bitwise_or.reduce(fl))
        for i in rng.integers(0, x.size, 200):  # per-element flags (SR: the element's own LFSR draw differs)
            if rnd == "rne":
                assert fp8sa._core.round_f32(x[i:i + 1], "fp16", rnd, False, seed, sr_bits)[1] == fl[i]


# gemm_f32 with a quantized output: the quantizer stage runs in the binding
# (one LFSR stream per column, table and normal-range SR fast paths, the
# Quantizer elsewhere) and must give fp8sa.gemm's bits and flags: every
# output format and rounding, SR kinds and widths (R + 1 below and above the
# discarded bits), scales into the subnormal and overflow ranges, narrow
# and promoted accumulators, padded tiles, NaN/Inf operand codes.
_QARRAYS = [dict(rows=3, cols=5), dict(rows=16, cols=16, q_sr_bits=6), dict(rows=4, cols=4, sr_kind="trunc", q_sr_bits=3),
            dict(rows=5, cols=2, sr_kind="src", q_sr_bits=24), dict(rows=4, cols=8, acc="e8m10", sr_bits=13),
            dict(rows=2, cols=3, acc="e6m5", promote=4, lfsr_w=24, q_sr_bits=20),
            dict(rows=4, cols=4, pe="dot", dot_n=4, sr_kind="src", q_sr_bits=4),
            dict(rows=2, cols=32, sr_kind="src", q_sr_bits=5), dict(rows=3, cols=48, q_sr_bits=9)]


@pytest.mark.parametrize("arr", range(len(_QARRAYS)))
@pytest.mark.parametrize("out_fmt", ["e5m2", "e4m3", "fp16", "bf16"])
@pytest.mark.parametrize("out_round", ["sr", "rne", "rz"])
def test_gemm_f32_quantized_output_is_gemm(arr, out_fmt, out_round):
    kw = dict(_QARRAYS[arr])
    rng = np.random.default_rng(arr * 31 + len(out_fmt) + len(out_round))
    for trial in range(6):
        M, K, N = (int(v) for v in rng.integers(1, 40, 3))
        fa, fb = ("e5m2", "e4m3") if trial % 2 else ("e4m3", "e5m2")
        a = rng.integers(0, 256, (M, K), dtype=np.uint8)
        b = rng.integers(0, 256, (K, N), dtype=np.uint8)
        if trial < 4:  # mostly finite codes, so that most tiles are not NaN
            a &= np.uint8(0xBB if trial < 2 else 0xB7)
            b &= np.uint8(0xBB if trial < 2 else 0xB7)
        sat = bool(trial % 3 == 0)
        scale = int(rng.choice([0, 0, -20, 9, -64, 63, int(rng.integers(-30, 30))]))
        rnd = str(rng.choice(["rne", "rz", "sr"]))
        seed = int(rng.integers(1, 1 << 32))
        ref = fp8sa.gemm(a, b, fmt_a=fa, fmt_b=fb, round=rnd, out_fmt=out_fmt, out_round=out_round, sat=sat,
                         scale=scale, seed=seed, threads=1, **kw)
        v, f = fp8sa._core.gemm_f32(a, b, fa, fb, rnd, out_fmt, out_round, sat, scale, dict(kw, seed=seed), 1)
        want = ref.values
        nan = np.isnan(want)
        assert np.array_equal(np.isnan(v), nan)
        assert np.array_equal(v.view(np.uint32)[~nan], want.view(np.uint32)[~nan]), (trial, M, K, N, scale, rnd)
        assert f == int(np.bitwise_or.reduce(ref.tile_flags, axis=None))


@pytest.mark.parametrize("sr_kind", ["mid", "trunc", "src"])
@pytest.mark.parametrize("q_sr_bits", [2, 4, 16])
@pytest.mark.parametrize("out_fmt", ["e5m2", "e4m3"])
def test_gemm_f32_quantized_output_every_product(sr_kind, q_sr_bits, out_fmt):
    # K = 1: every product of two FP8 codes is an output (its bits reach
    # every SR threshold case, ties included), at scales that put it in the
    # normal, subnormal and overflow ranges of the output format.
    a = np.arange(256, dtype=np.uint8).reshape(256, 1)
    b = np.arange(256, dtype=np.uint8).reshape(1, 256)
    kw = dict(rows=16, cols=16, q_sr_bits=q_sr_bits, sr_kind=sr_kind)
    for scale in (0, -6, 5, -17):
        ref = fp8sa.gemm(a, b, fmt_a="e4m3", fmt_b="e5m2", out_fmt=out_fmt, out_round="sr", scale=scale, seed=77,
                         threads=1, **kw)
        v, f = fp8sa._core.gemm_f32(a, b, "e4m3", "e5m2", "rne", out_fmt, "sr", False, scale, dict(kw, seed=77), 1)
        nan = np.isnan(ref.values)
        assert np.array_equal(np.isnan(v), nan)
        assert np.array_equal(v.view(np.uint32)[~nan], ref.values.view(np.uint32)[~nan]), scale
        assert f == int(np.bitwise_or.reduce(ref.tile_flags, axis=None))


@pytest.mark.parametrize("kw", [dict(rows=16, cols=16, q_sr_bits=16), dict(rows=8, cols=32, lfsr_w=20, q_sr_bits=11),
                                dict(rows=16, cols=16, sr_kind="src", q_sr_bits=7, lfsr_w=31)])
def test_gemm_f32_sr_output_many_tiles_and_zeros(kw):
    # The SR output walk in memory order (per tile column stream states,
    # the jump past a tile row's other tiles) on problems of many tiles in
    # both directions with ragged edges, and exact zeros (rows and columns
    # of zero codes, as a ReLU gives), which the lanes quantize themselves.
    rng = np.random.default_rng(len(kw) * 13 + kw["q_sr_bits"])
    for M, K, N in ((100, 37, 200), (37, 64, 129), (130, 5, 17)):
        a = rng.integers(0, 256, (M, K), dtype=np.uint8) & np.uint8(0xBB)
        b = rng.integers(0, 256, (K, N), dtype=np.uint8) & np.uint8(0xB7)
        a[rng.random(M) < 0.3] = 0
        b[:, rng.random(N) < 0.2] = 0x80
        seed = int(rng.integers(1, 1 << 20))
        for out_fmt, scale in (("e5m2", 0), ("e4m3", -3), ("e5m2", -12)):
            ref = fp8sa.gemm(a, b, fmt_a="e4m3", fmt_b="e5m2", out_fmt=out_fmt, out_round="sr", scale=scale, seed=seed,
                             threads=1, **kw)
            v, f = fp8sa._core.gemm_f32(a, b, "e4m3", "e5m2", "rne", out_fmt, "sr", False, scale, dict(kw, seed=seed), 1)
            nan = np.isnan(ref.values)
            assert np.array_equal(np.isnan(v), nan)
            assert np.array_equal(v.view(np.uint32)[~nan], ref.values.view(np.uint32)[~nan]), (M, K, N, out_fmt, scale)
            assert f == int(np.bitwise_or.reduce(ref.tile_flags, axis=None))


@pytest.mark.parametrize("acc", ["e8m10", "e8m3", "e6m5", "e5m10", "e5m2", "e7m12", "e4m3"])
def test_gemm_f32_raw_narrow_output_is_gemm(acc):
    # The raw words of a narrow accumulator decoded in the binding (8-bit
    # exponents by a shift, words of up to 16 bits by a table) against
    # fp8sa.gemm's decode: finite, subnormal, zero, Inf and NaN results
    # (acc e4m3 included: its words are eXmY, with Inf and NaN, not OCP
    # E4M3 codes; test_gemm_acc_e4m3_words_are_exmy).
    rng = np.random.default_rng(len(acc))
    for trial in range(8):
        M, K, N = (int(v) for v in rng.integers(1, 50, 3))
        a = rng.integers(0, 256, (M, K), dtype=np.uint8)
        b = rng.integers(0, 256, (K, N), dtype=np.uint8)
        if trial < 6:
            a &= np.uint8(0xBB if trial % 2 else 0xB7)
            b &= np.uint8(0xBB if trial % 3 else 0xB3)
        rnd = ("rne", "rz", "sr")[trial % 3]
        seed = int(rng.integers(1, 1 << 32))
        ref = fp8sa.gemm(a, b, fmt_a="e5m2", fmt_b="e4m3", acc=acc, round=rnd, seed=seed, threads=1, sr_bits=9)
        v, f = fp8sa._core.gemm_f32(a, b, "e5m2", "e4m3", rnd, "fp32", "rne", False, 0,
                                    dict(acc=acc, seed=seed, sr_bits=9), 1)
        nan = np.isnan(ref.values)
        assert np.array_equal(np.isnan(v), nan)
        assert np.array_equal(v.view(np.uint32)[~nan], ref.values.view(np.uint32)[~nan]), (trial, M, K, N)
        assert f == int(np.bitwise_or.reduce(ref.tile_flags, axis=None))


def test_gemm_f32_transposed_operands_are_gemm():
    # Transposed views (Linear's W^T, the weight gradient's X^T) are
    # transposed in the binding in 16 x 16 blocks and at the edges: the
    # same bits as fp8sa.gemm on contiguous copies, at shapes with and
    # without partial blocks.
    rng = np.random.default_rng(5)
    for M, K, N in ((1, 1, 1), (16, 16, 16), (17, 33, 15), (128, 10, 128), (40, 128, 10), (2, 300, 47)):
        a = rng.integers(0, 256, (K, M), dtype=np.uint8).T  # M x K view, strides (1, M)
        b = rng.integers(0, 256, (N, K), dtype=np.uint8).T
        seed = int(rng.integers(1, 1 << 30))
        ref = fp8sa.gemm(np.ascontiguousarray(a), np.ascontiguousarray(b), fmt_a="e5m2", fmt_b="e4m3", seed=seed,
                         threads=1, rows=8, cols=16)
        for x, y in ((a, b), (np.ascontiguousarray(a), b), (a, np.ascontiguousarray(b))):
            v, f = fp8sa._core.gemm_f32(x, y, "e5m2", "e4m3", "rne", "fp32", "rne", False, 0,
                                        dict(seed=seed, rows=8, cols=16), 1)
            nan = np.isnan(ref.values)
            assert np.array_equal(np.isnan(v), nan)
            assert np.array_equal(v.view(np.uint32)[~nan], ref.values.view(np.uint32)[~nan]), (M, K, N)
            assert f == int(np.bitwise_or.reduce(ref.tile_flags, axis=None))


@pytest.mark.parametrize("grad_scale", [1.0, 3.0, 2.0 ** 12, 0.7])
def test_in_place_fp32_master_step_is_the_torch_composition(grad_scale):
    # MasterSGD's FP32 step in place through a kept temporary against the
    # composition (an engine with fused=False), and with no engine.
    g = torch.Generator().manual_seed(int(grad_scale * 10))
    shapes = [(37, 29), (128,), (1,), (300, 7)]
    init = [torch.randn(s, generator=g) * 0.3 for s in shapes]
    runs = []
    for eng in (Engine(RECIPES["e5m2-rne"], fused=True), None, Engine(RECIPES["e5m2-rne"], fused=False)):
        ps = [torch.nn.Parameter(t.clone()) for t in init]
        opt = MasterSGD(ps, lr=0.037, momentum=0.83, engine=eng)
        gg = torch.Generator().manual_seed(5)
        for step in range(3):
            for p in ps:
                d = torch.randn(p.shape, generator=gg) * grad_scale * 10.0 ** float(torch.randint(-9, 3, (1,), generator=gg))
                d[torch.rand(p.shape, generator=gg) < 0.2] = 0.0
                p.grad = d
            opt.step(grad_scale=grad_scale)
        assert all((t is not None) == (eng is None or eng.fused) for t in opt._tmp)
        runs.append([p.detach().numpy().copy() for p in ps] + [b.numpy().copy() for b in opt.buf])
    for run in runs[:2]:
        for a, b in zip(run, runs[2]):
            assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


@pytest.mark.parametrize("grad_scale", [1.0, 3.0, 2.0 ** 12, 0.7])
@pytest.mark.parametrize("rnd", ["sr", "rne"])
def test_fused_fp16_master_step_is_the_torch_composition(grad_scale, rnd):
    # MasterSGD's FP16-master step in one call (sgd_round_f32) against its
    # PyTorch composition and fp8sa.fake_quantize (an engine with
    # fused=False): the same weights and momentum buffers, bit for bit, over
    # steps with odd learning rate, momentum and loss scale, zero, tiny and
    # huge gradients, and tensors with partial 16-element blocks.
    g = torch.Generator().manual_seed(int(grad_scale * 10) + len(rnd))
    shapes = [(37, 29), (128,), (16, 16), (1,), (300, 7)]
    init = [torch.randn(s, generator=g) * 0.3 for s in shapes]
    runs = []
    for fused in (True, False):
        eng = Engine(RECIPES["mellempudi"], seed=21, fused=fused)
        ps = [torch.nn.Parameter(t.clone()) for t in init]
        opt = MasterSGD(ps, lr=0.037, momentum=0.83, master="fp16", round=rnd, engine=eng)
        gg = torch.Generator().manual_seed(5)
        for step in range(3):
            for p in ps:
                d = torch.randn(p.shape, generator=gg) * grad_scale * 10.0 ** float(torch.randint(-9, 3, (1,), generator=gg))
                d[torch.rand(p.shape, generator=gg) < 0.2] = 0.0
                p.grad = d
            opt.step(grad_scale=grad_scale)
        assert all((o is not None) == fused for o in opt._out)  # the fused call ran (only) where asked
        runs.append(([p.detach().numpy().copy() for p in ps], [b.numpy().copy() for b in opt.buf], eng._n))
    (pf, bf, nf), (pr, br, nr) = runs
    assert nf == nr
    for a, b in zip(pf + bf, pr + br):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_fused_calls_scalar_loops_match_too():
    # The fused calls' scalar loops (CPUs without AVX-512; FP8SA_PY_NO_AVX512
    # takes them here) against the same references, in a fresh process.
    import subprocess
    import sys
    env = dict(os.environ, FP8SA_PY_NO_AVX512="1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k",
                        "quantize_f32 or round_f32 or quantized_output or every_product or many_tiles or raw_narrow or transposed or fp16_master_step or fp32_master_step or bit_identical"],
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    # The AVX2 loops (quantize_f32 RNE / RZ / SR into FP8, round_f32's FP16
    # SR, the SR output walk), which a CPU with AVX-512 takes only when
    # FP8SA_PY_NO_AVX512=avx2 declines AVX-512.
    env = dict(os.environ, FP8SA_PY_NO_AVX512="avx2")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k",
                        "quantize_f32 or round_f32 or quantized_output or many_tiles or transposed or fp16_master_step"],
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]


def _step(recipe, fused, x, y, steps=2):
    torch.manual_seed(4)
    eng = Engine(recipe, seed=7, fused=fused, rows=8, cols=8)
    from fp8sa.torch import mlp
    model = mlp((40, 24, 16, 10), recipe, eng)
    opt = MasterSGD(model.parameters(), lr=0.05, master=recipe.master, round=recipe.master_round, engine=eng)
    rec = []
    for i in range(steps):
        out = model(x)
        loss = torch.nn.functional.cross_entropy(out, y)
        opt.zero_grad()
        (loss * (2.0 ** (10 + 8 * i))).backward()  # the second step's errors overflow E5M2
        rec.append((out.detach().numpy().copy(), eng.take_fwd_flags(), eng.take_bwd_flags(),
                    [p.grad.numpy().copy() for p in model.parameters()]))
        opt.step(grad_scale=2.0 ** (10 + 8 * i))
    rec.append([p.detach().numpy().copy() for p in model.parameters()])
    return rec, eng._n


@pytest.mark.parametrize("name", [n for n in RECIPES if n != "fp32"])
def test_fused_training_step_is_bit_identical_to_the_reference(name):
    g = torch.Generator().manual_seed(11)
    x = torch.randn(19, 40, generator=g) * 3
    x[0, 0] = float("inf") if name == "e5m2-rne" else x[0, 0]
    y = torch.randint(0, 10, (19,), generator=g)
    for recipe in (RECIPES[name], replace(RECIPES[name], tensor_scaling=True)):
        fused, n1 = _step(recipe, True, x, y)
        ref, n2 = _step(recipe, False, x, y)
        assert n1 == n2
        for a, b in zip(fused[:-1], ref[:-1]):
            assert np.array_equal(a[0].view(np.uint32), b[0].view(np.uint32))
            assert a[1] == b[1] and a[2] == b[2]
            for ga, gb in zip(a[3], b[3]):
                assert np.array_equal(ga.view(np.uint32), gb.view(np.uint32))
        for pa, pb in zip(fused[-1], ref[-1]):
            assert np.array_equal(pa.view(np.uint32), pb.view(np.uint32))


def test_gemm_acc_e4m3_words_are_exmy():
    # An e4m3 accumulator is the eXmY format of docs/numerics.md (IEEE-style:
    # exponent field all ones is Inf or NaN), not the OCP E4M3 operand code,
    # whose 0x7E is 448 and which has no Inf. Reference: the eXmY rule by
    # hand, bias 7, 3 fraction bits.
    def exmy(w):
        s, e, f = (w >> 7) & 1, (w >> 3) & 15, w & 7
        if e == 15:
            v = math.inf if f == 0 else math.nan
        elif e == 0:
            v = f * 2.0 ** -9
        else:
            v = (1 + f / 8) * 2.0 ** (e - 7)
        return -v if s else v
    # 448 * 448 overflows e4m3 (max 240): RNE gives +Inf (word 0x78), and
    # NaN * 1 gives the canonical NaN word; 2 * 3 = 6 is exact.
    a = fp8sa.encode(np.array([[448.0], [2.0], [-448.0]]), "e4m3")
    b = fp8sa.encode(np.array([[448.0, 3.0]]), "e4m3")
    r = fp8sa.gemm(a, b, fmt_a="e4m3", fmt_b="e4m3", acc="e4m3", round="rne")
    assert r.words.dtype == np.uint32
    for i in range(3):
        for j in range(2):
            w = int(r.words[i, j])
            ref = exmy(w)
            v = float(r.values[i, j])
            assert (math.isnan(v) and math.isnan(ref)) or v == ref, (i, j, hex(w), v, ref)
    assert float(r.values[0, 0]) == math.inf and int(r.words[0, 0]) == 0x78
    assert float(r.values[1, 1]) == 6.0
    assert float(r.values[2, 0]) == -math.inf

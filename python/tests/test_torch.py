"""fp8sa.torch: the layer's three GEMMs against fp8sa.gemm and against
PyTorch FP32 autograd; the loss scale's reaction to the array's flags; a
tiny training run (make test's version of make train)."""
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
                                        (["--run", "fp32:full:1"], "--run-out"),
                                        (["--run", "fp32:full:9", "--run-out", "/tmp/x.json"], "not a run of this grid"),
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
    opts = dict(recipes="fp32", seeds=2, epochs=1, narrow_epochs=2, narrow_subset=3000, narrow_test=2000, batch=128,
                lr=0.05, torch_threads=1, sample_step=200)
    assert set(opts) == set(GRID_OPTIONS)
    d = tmp_path / "runs"
    d.mkdir()
    (d / "a.json").write_text(json.dumps({"key": "fp32:full:1", "options": opts}))
    out = ["--doc", str(tmp_path / "t.md"), "--figdir", str(tmp_path / "fig"), "--merge", str(d), "--reproducible"]

    def merge(extra):
        with pytest.raises(SystemExit) as e:
            raise SystemExit(main(grid + out + extra))
        err = capsys.readouterr().err.strip()
        assert e.value.code == 2 and len(err.splitlines()) == 1, err
        return err

    assert "1 of 2 runs have no record" in merge([])
    assert "made with other options: batch 128 (merge: 64)" in merge(["--batch", "64"])
    (d / "b.json").write_text(json.dumps({"key": "fp32:full:1", "options": opts}))
    assert "run fp32:full:1 twice" in merge([])
    assert not (tmp_path / "t.md").exists()

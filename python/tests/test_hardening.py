"""Issue 18 ("Harden the newer surfaces"): the Python package, fp8sa.torch
and train_fmnist as a hostile user drives them. Every case here was seen to
fail (crash, wrong answer, silent reinterpretation, traceback or a message
that misleads) before the fix; each now gives the right answer or a
ValueError / TypeError / one-line exit-2 error naming the problem."""
import gzip
import os
import struct
import time

import numpy as np
import pytest

import fp8sa

torch = pytest.importorskip("torch")
from fp8sa.torch import DynamicLossScaler, Engine, Linear, MasterSGD, Recipe, matmul  # noqa: E402

rtl = pytest.mark.skipif(not fp8sa.has_rtl(), reason="this build has no Verilated RTL (pip install)")
PROMOTED = [c["name"] for c in fp8sa.rtl_configs() if c.get("promote")] or ["a4x4_e6m5_p4"]
Z = np.zeros((2, 2), np.uint8)


# --- item 6: promoted RTL configurations, and promote from Python ----------

@rtl
@pytest.mark.parametrize("name", PROMOTED)
def test_promoted_rtl_config_runs_and_decodes_binary32(name):
    cfg = {c["name"]: c for c in fp8sa.rtl_configs()}[name]
    rng = np.random.default_rng(6)
    a = fp8sa.encode(rng.standard_normal((5, 9)).astype(np.float32), "e4m3")
    b = fp8sa.encode(rng.standard_normal((9, 6)).astype(np.float32), "e5m2")
    r = fp8sa.gemm(a, b, fmt_b="e5m2", backend="rtl:" + name)  # was: "decode: ... bits above the 12-bit e6m5 code"
    assert r.info["promote"] == cfg["promote"] and r.info["result_fmt"] == "e8m23"
    assert np.array_equal(r.values, r.words.view(np.float32))  # binary32 words, decoded as such
    f = fp8sa.gemm(a, b, fmt_b="e5m2", backend="functional", rows=cfg["rows"], cols=cfg["cols"], acc=cfg["acc"],
                   promote=cfg["promote"], seed=cfg["seed"], sr_bits=cfg["sr_bits"], q_sr_bits=cfg["q_sr_bits"],
                   lfsr_w=cfg["lfsr_w"])
    assert np.array_equal(r.words, f.words) and np.array_equal(r.tile_flags, f.tile_flags)
    # Exact data: 1.0 * 1.0 nine times plus c = 0.5 is 9.5 in every accumulator.
    one = fp8sa.encode(np.ones((3, 9), np.float32), "e4m3")
    c = np.full((3, 2), 0.5, np.float32)  # float32 c: the result word is binary32 (the CLI accepts it too)
    r = fp8sa.gemm(one, fp8sa.encode(np.ones((9, 2), np.float32), "e4m3"), c=c, backend="rtl:" + name)
    assert np.array_equal(r.values, np.full((3, 2), 9.5, np.float32))


def test_promote_keyword_sets_the_array_and_its_result_word():
    a = fp8sa.encode(np.full((2, 40), 1.0, np.float32), "e4m3")
    b = fp8sa.encode(np.full((40, 2), 1.0, np.float32), "e4m3")
    r = fp8sa.gemm(a, b, acc="e5m2", promote=4)
    assert r.info["promote"] == 4 and r.info["result_fmt"] == "e8m23"
    assert np.array_equal(r.values, np.full((2, 2), 40.0, np.float32))  # e5m2 alone would stall at 16
    assert fp8sa.gemm(a, b, acc="e5m2").values[0, 0] < 40
    with pytest.raises(ValueError, match="promote 1"):
        fp8sa.gemm(a, b, promote=1)
    with pytest.raises(TypeError, match="promote"):
        fp8sa.gemm(a, b, promote=4.0)


@rtl
def test_promote_contradicting_an_rtl_config_is_refused():
    with pytest.raises(ValueError, match="promote"):
        fp8sa.gemm(Z, Z, backend="rtl:a4x4_e6m5_p4", promote=8)


# --- item 7: float32 c with an rtl:NAME accumulator -------------------------

@rtl
def test_float_c_for_a_narrow_rtl_accumulator_is_refused_not_reinterpreted():
    c = np.full((2, 2), 1e-40, np.float32)
    with pytest.raises(ValueError, match="e8m15"):  # was: 2.77e-38, the bits read as an e8m15 word
        fp8sa.gemm(Z, Z, c=c, backend="rtl:a4x4_e8m15")
    with pytest.raises(ValueError, match="e8m15"):
        fp8sa.gemm(Z, Z, c=c, acc="e8m15")  # as with acc given (and as the CLI)


def test_float64_c_must_be_exact_in_float32():
    c = np.full((2, 2), 0.1)  # not a binary32 value
    with pytest.raises(ValueError, match="not exact in float32"):
        fp8sa.gemm(Z, Z, c=c)
    assert fp8sa.gemm(Z, Z, c=np.full((2, 2), 0.5)).values[0, 0] == 0.5


# --- item 8: decode of 64-bit codes -----------------------------------------

@pytest.mark.parametrize("dtype", [np.uint64, np.int64])
def test_decode_does_not_truncate_64_bit_codes(dtype):
    with pytest.raises(ValueError, match="element 0"):  # was: 1.0 (the low 32 bits, 0x38)
        fp8sa.decode(np.array([2 ** 32 + 0x38], dtype), "e4m3")
    with pytest.raises(ValueError, match="element 1"):
        fp8sa.decode(np.array([0, 2 ** 40], dtype), "e8m23")
    assert fp8sa.decode(np.array([0x38], dtype), "e4m3")[0] == 1.0


# --- item 9: float64 is rounded once -----------------------------------------

X64 = 1.0625 + 2.0 ** -30  # just above the tie 1.0625 between 1.0 and 1.125 (E4M3): RNE gives 1.125


def test_float64_encode_rounds_once():
    assert fp8sa.decode(fp8sa.encode(np.array([X64]), "e4m3"), "e4m3")[0] == 1.125  # was 1.0 (via float32)
    assert fp8sa.decode(fp8sa.encode(np.array([-X64]), "e4m3"), "e4m3")[0] == -1.125
    assert fp8sa.fake_quantize(np.array([X64]), "e4m3")[0] == 1.125
    # RZ, FP16, BF16, saturation and a scale: one rounding of the float64 value each.
    x = 1 + 2.0 ** -11 + 2.0 ** -40  # above FP16's tie at 1 + 2^-11
    assert fp8sa.fake_quantize(np.array([x]), "fp16")[0] == 1 + 2.0 ** -10
    assert fp8sa.fake_quantize(np.array([x * 2.0 ** -20]), "fp16", scale=20)[0] == 1 + 2.0 ** -10
    assert fp8sa.fake_quantize(np.array([1 + 2.0 ** -8 + 2.0 ** -40]), "bf16")[0] == 1 + 2.0 ** -7
    assert fp8sa.fake_quantize(np.array([1.0 - 2.0 ** -40]), "e4m3", round="rz")[0] == 0.9375  # not 1.0
    assert fp8sa.fake_quantize(np.array([1e300]), "e4m3", sat=True)[0] == 448


def test_float64_gemm_operands_round_once():
    assert fp8sa.gemm(np.array([[X64]]), np.array([[1.0]])).values[0, 0] == 1.125


def test_float64_with_sr_is_refused_unless_exact_in_float32():
    with pytest.raises(ValueError, match="not exact in float32"):
        fp8sa.quantize(np.array([X64]), "e4m3", round="sr")
    assert fp8sa.quantize(np.array([1.0625]), "e4m3", round="sr").dtype == np.uint8  # exact: accepted


def test_master_sgd_float64_masters_round_once():
    w = torch.nn.Parameter(torch.tensor([1 + 2.0 ** -11 + 2.0 ** -40], dtype=torch.float64))
    opt = MasterSGD([w], lr=0.0, momentum=0.0, master="fp16", round="rne")
    assert w.item() == 1 + 2.0 ** -10  # was 1.0: rounded to float32 (a tie), then to FP16
    with pytest.raises(ValueError, match="float32 parameters"):
        MasterSGD([w], lr=0.1, master="fp16", round="sr")
    del opt


# --- item 10 and train_fmnist's messages --------------------------------------

def idx_bytes(arr):
    arr = np.asarray(arr, np.uint8)
    return bytes([0, 0, 8, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape) + arr.tobytes()


def write_gz(path, data):
    with gzip.open(path, "wb") as f:
        f.write(data)


def fake_fmnist(d, n_train=8, n_test=4, labels_train=None, train_gz=None):
    rng = np.random.default_rng(0)
    d.mkdir(exist_ok=True)
    write_gz(d / "train-images-idx3-ubyte.gz", idx_bytes(rng.integers(0, 256, (n_train, 28, 28))))
    lt = labels_train if labels_train is not None else rng.integers(0, 10, n_train)
    write_gz(d / "train-labels-idx1-ubyte.gz", idx_bytes(lt))
    write_gz(d / "t10k-images-idx3-ubyte.gz", idx_bytes(rng.integers(0, 256, (n_test, 28, 28))))
    write_gz(d / "t10k-labels-idx1-ubyte.gz", idx_bytes(rng.integers(0, 10, n_test)))
    if train_gz is not None:
        (d / "train-images-idx3-ubyte.gz").write_bytes(train_gz)
    return str(d)


def run_main(args, capsys):
    from fp8sa.train_fmnist import main
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(args))
    err = capsys.readouterr().err.strip()
    return e.value.code, err


def test_read_idx_checks_the_gzip_crc(tmp_path):
    from fp8sa.train_fmnist import read_idx
    good = gzip.compress(idx_bytes(np.arange(100).reshape(4, 25)))
    p = tmp_path / "x.gz"
    p.write_bytes(good)
    assert read_idx(str(p)).shape == (4, 25)
    bad = bytearray(good)
    bad[-5] ^= 0xFF  # the CRC-32 in the gzip trailer
    p.write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="CRC"):  # was: read exactly n bytes, never the trailer
        read_idx(str(p))


@pytest.mark.parametrize("case, msg", [
    ("crc", "CRC"), ("truncated_gz", "x.gz|ended|truncated"), ("short_header", "truncated IDX header"),
    ("label_count", "labels for"), ("label_range", "not a class 0..9"),
])
def test_bad_data_files_are_one_line_exit_2(tmp_path, capsys, case, msg):
    imgs = idx_bytes(np.zeros((8, 28, 28)))
    kw = {}
    if case == "crc":
        g = bytearray(gzip.compress(imgs))
        g[-6] ^= 0x55
        kw["train_gz"] = bytes(g)
    elif case == "truncated_gz":
        kw["train_gz"] = gzip.compress(imgs)[:-30]
    elif case == "short_header":
        kw["train_gz"] = gzip.compress(bytes([0, 0, 8, 3, 0, 0]))
    elif case == "label_count":
        kw["labels_train"] = np.zeros(7)
    elif case == "label_range":
        kw["labels_train"] = np.array([0, 1, 2, 3, 4, 5, 6, 12])
    d = fake_fmnist(tmp_path / "d", **kw)
    code, err = run_main(["--data", d, "--figdir", str(tmp_path / "fig"), "--doc", str(tmp_path / "t.md"),
                          "--recipes", "fp32", "--seeds", "1", "--epochs", "1", "--batch", "4"], capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    import re
    assert re.search(msg, err), err


@pytest.mark.parametrize("args, msg", [
    (["--threads", "-1"], "--threads"), (["--recipes", ""], "no recipe"), (["--recipes", " , "], "no recipe"),
    (["--lr", "nan"], "--lr"), (["--lr", "-0.1"], "--lr"), (["--train-subset", "-5"], "--train-subset"),
    (["--test-subset", "-1"], "--test-subset"),
    (["--train-subset", "100000"], "--train-subset 100000"), (["--doc", "/nonexistent/t.md"], "--doc"),
    (["--figdir", "/proc/fp8sa-figs"], "--figdir"), (["--torch-threads", "0"], "--torch-threads"),
    (["--batch", "100000"], "--batch 100000"),
])
def test_train_options_checked_before_training(tmp_path, capsys, args, msg):
    d = fake_fmnist(tmp_path / "d")
    base = {"--data": d, "--figdir": str(tmp_path / "fig"), "--doc": str(tmp_path / "t.md"), "--recipes": "fp32",
            "--seeds": "1", "--epochs": "1", "--batch": "4"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    argv = [x for kv in base.items() for x in kv]
    t0 = time.perf_counter()
    code, err = run_main(argv, capsys)
    assert code == 2 and msg in err and len(err.splitlines()) == 1, err
    assert time.perf_counter() - t0 < 30
    assert not os.path.exists(tmp_path / "t.md")  # nothing written (was: --recipes "" wrote an empty report)


def test_train_on_fake_data_runs(tmp_path, capsys):
    d = fake_fmnist(tmp_path / "d", n_train=16, n_test=8)
    code, err = run_main(["--data", d, "--figdir", str(tmp_path / "fig"), "--doc", str(tmp_path / "t.md"),
                          "--recipes", "fp32,e5m2-rne", "--seeds", "1", "--epochs", "1", "--batch", "8"], capsys)
    assert code == 0, err
    assert (tmp_path / "t.md").read_text().startswith("# Training")


# --- Python keyword errors ----------------------------------------------------

@pytest.mark.parametrize("kw, exc, msg", [
    (dict(rows=10 ** 10), ValueError, r"rows 10000000000 is out of range \[1, 256\]"),
    (dict(rows=2.5), TypeError, "rows: expected an integer"),
    (dict(rows=np.int64(4)), None, None),
    (dict(cols=True), TypeError, "cols: expected an integer"),
    (dict(seed=2 ** 64), ValueError, "seed 18446744073709551616 is out of range"),
    (dict(seed=1.9), TypeError, "seed: expected an integer"),  # was: seed 1
    (dict(seed=0), ValueError, "seed 0"),
    (dict(out_fmt="e4m3", scale=2 ** 40), ValueError, "scale 1099511627776 is out of range"),
    (dict(out_fmt="e4m3", scale=1.5), TypeError, "scale: expected an integer"),  # was: scale 1
    (dict(out_round=None), TypeError, "out_round: expected a name"),  # was: AttributeError
    (dict(out_fmt="e4m3", sat="no"), TypeError, "sat: expected True or False"),  # was: True
    (dict(out_fmt="e4m3", sat=np.bool_(True)), None, None),
    (dict(fmt_a="e4m4"), ValueError, "fmt_a: 'e4m4' is not one of: e4m3, e5m2"),  # was: "bad output format"
    (dict(threads=-1), ValueError, "threads -1"),
    (dict(sr_bits=2 ** 40), ValueError, "sr_bits"),
    (dict(backend=None), TypeError, "backend"),
    (dict(acc=5), TypeError, "acc"),
])
def test_keyword_errors_name_the_keyword(kw, exc, msg):
    a = np.ones((2, 3), np.float32)  # float operands: the fmt_a case went through the quantizer
    if exc is None:
        fp8sa.gemm(a, a.T.copy(), **kw)
        return
    with pytest.raises(exc, match=msg) as e:
        fp8sa.gemm(a, a.T.copy(), **kw)
    assert "\n" not in str(e.value) and len(str(e.value)) < 300


def test_quantize_keyword_errors():
    x = np.ones(4, np.float32)
    for kw, exc in ((dict(seed=2 ** 64), ValueError), (dict(scale=1.5), TypeError), (dict(sat="yes"), TypeError),
                    (dict(round=None), TypeError), (dict(fmt="e4m4"), ValueError), (dict(sr_bits=2.0), TypeError)):
        with pytest.raises(exc):
            fp8sa.quantize(x, **kw)


def test_huge_float_operand_is_refused_before_quantizing():
    a = np.broadcast_to(np.float32(1), (1, 1 << 27))  # K = 2^27, no memory
    b = np.broadcast_to(np.float32(1), (1 << 27, 1))
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="K = 134217728 is too large"):
        fp8sa.gemm(a, b)
    assert time.perf_counter() - t0 < 3.0  # was: 10 s and 1.2 GB of quantizing first


def test_empty_and_complex_inputs():
    with pytest.raises(ValueError, match="empty matrix"):
        fp8sa.gemm(np.zeros((0, 3), np.float32), np.zeros((3, 2), np.float32))
    with pytest.raises(TypeError, match="complex"):
        fp8sa.encode(np.array([1 + 2j]), "e4m3")
    with pytest.raises(TypeError, match="complex"):
        fp8sa.gemm(np.ones((2, 2), np.complex64), np.ones((2, 2), np.float32))


# --- fp8sa.torch ---------------------------------------------------------------

def test_linear_on_an_empty_batch():
    lin = Linear(5, 3, Engine(Recipe(), seed=1))
    x = torch.zeros(0, 5, requires_grad=True)
    y = lin(x)  # was: ValueError from the array (M = 0)
    assert y.shape == (0, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 5)


def test_complex_tensors_are_refused():
    eng = Engine(Recipe(), seed=1)
    a = torch.ones(2, 2, dtype=torch.complex64)
    with pytest.raises(TypeError, match="complex"):  # was: the imaginary part dropped
        matmul(a, torch.ones(2, 2), eng)


@pytest.mark.parametrize("kw, msg", [
    (dict(factor=0.5), "factor"),  # was: overflow raised the scale
    (dict(factor=0), "factor"),  # was: ZeroDivisionError
    (dict(factor=float("inf")), "factor"),
    (dict(init_scale=float("nan")), "init_scale"),
    (dict(init_scale=-8.0), "init_scale"),
    (dict(growth_interval=0), "growth_interval"),
    (dict(growth_interval=2.5), "growth_interval"),
    (dict(min_scale=0.0), "min_scale"),
    (dict(max_scale=2.0 ** -20), "max_scale"),
])
def test_loss_scaler_parameters_are_checked(kw, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        DynamicLossScaler(**kw)


@pytest.mark.parametrize("kw, msg", [
    (dict(round="xx"), "round"), (dict(master="fp8"), "master"), (dict(lr=float("nan")), "lr"),
    (dict(lr=-1.0), "lr"), (dict(momentum=-0.5), "momentum"), (dict(weight_decay=float("inf")), "weight_decay"),
])
def test_master_sgd_parameters_are_checked(kw, msg):
    w = torch.nn.Parameter(torch.ones(3))
    args = dict(lr=0.1)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=msg):
        MasterSGD([w], **args)

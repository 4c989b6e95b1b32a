"""fp8sa bindings against independent references: exact integer decoding of
every code, and exact float64 sums rounded once per MAC to float32."""
import os
import subprocess

import numpy as np
import pytest

import fp8sa


def exact_value(code, e, m, bias, has_inf):
    """An FP8 / FP16 / BF16 code's value from its fields (IEEE / OCP rules)."""
    s = -1.0 if code >> (e + m) & 1 else 1.0
    ex = code >> m & ((1 << e) - 1)
    man = code & ((1 << m) - 1)
    if has_inf and ex == (1 << e) - 1:
        return s * np.inf if man == 0 else np.nan
    if not has_inf and ex == (1 << e) - 1 and man == (1 << m) - 1:
        return np.nan
    if ex == 0:
        return s * man * 2.0 ** (1 - bias - m)
    return s * (1 + man / 2.0 ** m) * 2.0 ** (ex - bias)


@pytest.mark.parametrize("fmt", ["e4m3", "e5m2", "fp16", "bf16"])
def test_decode_every_code_matches_field_formula(fmt):
    f = {x["name"]: x for x in fp8sa.formats()}[fmt]
    codes = np.arange(1 << f["width"], dtype=np.uint32)
    got = fp8sa.decode(codes, fmt).astype(np.float64)
    want = np.array([exact_value(int(c), f["exp_bits"], f["man_bits"], f["bias"], f["has_inf"]) for c in codes])
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    assert np.array_equal(got[ok], want[ok]), fmt
    assert np.array_equal(np.signbit(got[ok]), np.signbit(want[ok]))


@pytest.mark.parametrize("fmt", ["e4m3", "e5m2", "fp16", "bf16"])
def test_encode_decode_round_trips_every_finite_code(fmt):
    f = {x["name"]: x for x in fp8sa.formats()}[fmt]
    codes = np.arange(1 << f["width"], dtype=np.uint32)
    v = fp8sa.decode(codes, fmt)
    fin = np.isfinite(v)
    back = fp8sa.encode(v[fin], fmt).astype(np.uint32)
    assert np.array_equal(back, codes[fin])


def test_quantize_sr_is_unbiased_and_seeded():
    x = np.full(200000, 1.0 + 1.0 / 16, dtype=np.float32)  # 1/4 of the way from 1.0 to 1.25 in e5m2
    c1 = fp8sa.quantize(x, "e5m2", "sr", seed=5)
    c2 = fp8sa.quantize(x, "e5m2", "sr", seed=5)
    c3 = fp8sa.quantize(x, "e5m2", "sr", seed=6)
    assert np.array_equal(c1, c2) and not np.array_equal(c1, c3)
    v = fp8sa.decode(c1, "e5m2").astype(np.float64)
    assert set(np.unique(v)) == {1.0, 1.25}
    assert abs(v.mean() - (1 + 1 / 16)) < 2e-3


def ref_gemm_f32(a, b, c0=None):
    """Sequential float32 accumulation, one rounding per MAC (fmaf): the
    float64 sum acc + a*b is exact for the operand ranges used here."""
    m, k = a.shape
    n = b.shape[1]
    acc = np.zeros((m, n), np.float32) if c0 is None else c0.astype(np.float32).copy()
    for kk in range(k):
        acc = (acc.astype(np.float64) + np.outer(a[:, kk].astype(np.float64), b[kk].astype(np.float64))).astype(np.float32)
    return acc


def fp8_operand(rng, shape, fmt):
    # Magnitudes in [2^-6, 2^8) and both signs: every float64 partial sum is exact.
    x = (rng.choice([-1, 1], size=shape) * 2.0 ** rng.uniform(-6, 8, size=shape)).astype(np.float32)
    codes = fp8sa.encode(x, fmt, sat=True)
    return codes, fp8sa.decode(codes, fmt)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gemm_fp32_matches_sequential_fmaf(seed):
    rng = np.random.default_rng(seed)
    m, k, n = 9, 37, 11
    a, av = fp8_operand(rng, (m, k), "e4m3")
    b, bv = fp8_operand(rng, (k, n), "e5m2")
    c0 = rng.standard_normal((m, n)).astype(np.float32)
    r = fp8sa.gemm(a, b, c0, fmt_a="e4m3", fmt_b="e5m2", rows=4, cols=4)
    vals, tflags = r
    want = ref_gemm_f32(av, bv, c0)
    assert np.array_equal(vals.view(np.uint32), want.view(np.uint32)), f"seed {seed}"
    assert tflags.shape == (3, 3)
    assert r.words.dtype == np.uint32 and r.info["backend"] == "functional"


def test_gemm_float_inputs_are_quantized_rne_saturating():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((5, 7)).astype(np.float32) * 100
    b = rng.standard_normal((7, 3)).astype(np.float32)
    r1 = fp8sa.gemm(a, b, fmt_a="e4m3", fmt_b="e4m3")
    r2 = fp8sa.gemm(fp8sa.encode(a, "e4m3", sat=True), fp8sa.encode(b, "e4m3", sat=True))
    assert np.array_equal(r1.words, r2.words)


def test_gemm_quantized_output_and_flags():
    # 1 x 1 x 1: 448 * 448 = 200704 overflows E4M3 (non-saturating: NaN, flags overflow|invalid|inexact).
    big = fp8sa.encode(np.array([[448.0]], np.float32), "e4m3")
    r = fp8sa.gemm(big, big, out_fmt="e4m3")
    assert np.isnan(r.values[0, 0])
    assert r.flags & fp8sa.FLAG_OVERFLOW and r.flags & fp8sa.FLAG_INVALID
    r = fp8sa.gemm(big, big, out_fmt="e4m3", sat=True)
    assert r.values[0, 0] == 448.0 and r.flags & fp8sa.FLAG_OVERFLOW
    r = fp8sa.gemm(big, big, out_fmt="e5m2", scale=-4)  # 200704 / 16 = 12544 = 1.5312 * 2^13 -> 12288 (RNE)
    assert r.values[0, 0] == 12288.0


def test_backends_agree_bit_for_bit():
    rng = np.random.default_rng(7)
    a = fp8sa.encode(rng.standard_normal((10, 21)).astype(np.float32), "e5m2")
    b = fp8sa.encode(rng.standard_normal((21, 6)).astype(np.float32), "e5m2")
    kw = dict(fmt_a="e5m2", fmt_b="e5m2", acc="e8m10", round="sr", out_fmt="e5m2", out_round="sr", rows=4, cols=4,
              seed=9)
    f = fp8sa.gemm(a, b, backend="functional", **kw)
    c = fp8sa.gemm(a, b, backend="cycle", **kw)
    assert np.array_equal(f.words, c.words) and np.array_equal(f.tile_flags, c.tile_flags)
    assert c.info["cycles"] > 0


@pytest.mark.skipif(not fp8sa.has_rtl(), reason="this build has no Verilated RTL (pip install)")
def test_rtl_backend_agrees_with_functional():
    name = fp8sa.rtl_configs()[0]["name"]
    rng = np.random.default_rng(8)
    a = fp8sa.encode(rng.standard_normal((9, 13)).astype(np.float32), "e4m3")
    b = fp8sa.encode(rng.standard_normal((13, 7)).astype(np.float32), "e5m2")
    kw = dict(fmt_a="e4m3", fmt_b="e5m2", round="rne", out_fmt="e4m3", out_round="sr")
    r = fp8sa.gemm(a, b, backend="rtl:" + name, **kw)
    f = fp8sa.gemm(a, b, backend="functional", rows=r.info["rows"], cols=r.info["cols"], acc=r.info["acc"],
                   seed=r.info["seed"], **kw)
    assert np.array_equal(r.words, f.words) and np.array_equal(r.tile_flags, f.tile_flags)


@pytest.mark.parametrize("kw, msg", [
    (dict(fmt_a="e3m4"), "e3m4"),
    (dict(acc="e9m23"), "exp"),
    (dict(round="up"), "up"),
    (dict(out_fmt="fp8"), "fp8"),
    (dict(rows=0), "rows 0"),
    (dict(out_fmt="e4m3", scale=99), "scale"),
    (dict(backend="gpu"), "gpu"),
])
def test_bad_arguments_raise_value_error(kw, msg):
    a = np.zeros((2, 2), np.uint8)
    with pytest.raises(ValueError, match=msg):
        fp8sa.gemm(a, a, **kw)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="shape mismatch"):
        fp8sa.gemm(np.zeros((2, 3), np.uint8), np.zeros((2, 3), np.uint8))


def test_rtl_without_rtl_build_says_so_or_runs():
    if fp8sa.has_rtl():
        with pytest.raises(ValueError, match="nosuch"):
            fp8sa.gemm(np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8), backend="rtl:nosuch")
    else:
        with pytest.raises(ValueError, match="without"):
            fp8sa.gemm(np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8), backend="rtl:a4x4")


def test_accumulator_format_message_is_the_clis():
    """The acc parser is the CLI's: same words in the exception as on fp8sa's stderr."""
    cli = os.path.join(os.environ.get("FP8SA_BUILD_DIR", "build"), "bin", "fp8sa")
    if not os.path.exists(cli):
        pytest.skip("no CLI in this build")
    a = np.zeros((1, 1), np.uint8)
    with pytest.raises(ValueError) as e:
        fp8sa.gemm(a, a, acc="e9m23")
    p = subprocess.run([cli, "gemm", "--a", "x.npy", "--b", "y.npy", "--acc", "e9m23"], capture_output=True, text=True)
    assert p.returncode == 2
    assert str(e.value) in p.stderr


def test_huge_problem_is_refused_before_any_allocation():
    a = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), shape=(1 << 15, 1), strides=(0, 0))
    b = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), shape=(1, 1 << 15), strides=(0, 0))
    with pytest.raises(ValueError, match="too large"):
        fp8sa.gemm(a, b)

"""fp8sa.explore (python/fp8sa/explore.py over explore/): the rows a sweep gives through Python are the rows
`fp8sa explore --csv` writes for the same points; point dicts plan the same points as a sweep file; the numpy
columns; errors; the exact and float64 references against independent sums here."""
import csv
import math
import os
import subprocess

import numpy as np
import pytest

import fp8sa
import fp8sa.explore as fx

# A few points of every model, rounding, promotion and data kind, small enough to run in a second.
SWEEP = """trials = 16
k = 96
seed = 3
[sweep hw]
acc = e8m10, e6m9
round = rne, rz, sr
sr_bits = 8
promote = 0, 32
data = uniform, normal
[sweep comparison]
model = km-block, sr-1step, sr-ideal
acc = e8m10
sr_bits = 8, 12
operands = e4m3xe5m2
data = heavy
[sweep kinds]
pe = dot, exact
dot_n = 2, 4
align_bits = 13, 25
acc = e8m13
round = rne, rz
data = normal
"""

STATS = ("mean_rel", "rms_rel", "max_rel", "bias", "bias_se", "rms_norm", "max_norm")


def cli():
    path = os.path.join(os.environ.get("FP8SA_BUILD_DIR", "build"), "bin", "fp8sa")
    if not os.path.exists(path):
        pytest.skip("no CLI in this build")
    return path


def csv_rows(tmp_path, sweep_text):
    conf = tmp_path / "sweep.conf"
    conf.write_text(sweep_text)
    out = tmp_path / "points.csv"
    p = subprocess.run([cli(), "explore", "--config", str(conf), "--csv", str(out), "--threads", "2", "--quiet"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with open(out) as f:
        return conf, list(csv.DictReader(f))


def test_python_rows_are_the_clis_csv_rows(tmp_path):
    conf, want = csv_rows(tmp_path, SWEEP)
    got = fx.run(conf, threads=2)
    # hw: 2 accumulators x (rne, rz, sr R=8) x 2 promotions x 2 data; km-block once, the SR models at R = 8, 12;
    # kinds: dot 2 DOT_N x 2 ALIGN_BITS x 2 roundings, exact 2 DOT_N x 2 roundings (it has no window).
    assert len(got) == len(want) == 2 * 3 * 2 * 2 + 1 + 2 + 2 + 2 * 2 * 2 + 2 * 2
    assert list(want[0].keys()) == list(fx.COLUMNS)
    for g, w in zip(got, want):
        assert list(g.keys()) == list(fx.COLUMNS)
        for c in fx.COLUMNS:
            if c == "seconds":  # CPU time: measured anew
                continue
            if w[c] == "-":
                assert g[c] is None, (c, g, w)
            elif c in STATS:
                # The CSV prints %.6g of the same double.
                assert ("%.6g" % g[c]) == w[c], (c, g[c], w[c])
            else:
                assert str(g[c]) == w[c], (c, g, w)


def test_point_dicts_plan_and_run_what_the_sweep_file_does(tmp_path):
    conf = tmp_path / "s.conf"
    conf.write_text(SWEEP)
    points = [
        {"trials": 16, "k": 96, "seed": 3, "acc": ["e8m10", "e6m9"], "round": ["rne", "rz", "sr"], "sr_bits": 8,
         "promote": [0, 32], "data": ["uniform", "normal"]},
        {"trials": 16, "k": 96, "seed": 3, "model": ["km-block", "sr-1step", "sr-ideal"], "acc": "e8m10",
         "sr_bits": [8, 12], "operands": "e4m3xe5m2", "data": "heavy"},
        {"trials": 16, "k": 96, "seed": 3, "pe": ["dot", "exact"], "dot_n": [2, 4], "align_bits": [13, 25],
         "acc": "e8m13", "round": ["rne", "rz"], "data": "normal"},
    ]
    assert [p.key for p in fx.plan(conf)] == [p.key for p in fx.plan(points=points)]
    a = fx.run(conf, threads=1)
    b = fx.run(points=points, threads=2)
    for x, y in zip(a, b):
        assert {k: v for k, v in x.items() if k != "seconds"} == {k: v for k, v in y.items() if k != "seconds"}
    # A point given twice is run once.
    one = {"acc": "e8m10", "k": 32, "trials": 8}
    assert len(fx.run(points=[one, dict(one)])) == 1


def test_numpy_columns():
    cols = fx.run(points=[{"model": ["fp8sa", "km-block"], "acc": "e8m10", "k": 64, "trials": 8}], as_numpy=True)
    assert set(cols) == set(fx.COLUMNS)
    assert cols["bias"].dtype == np.float64 and cols["k"].dtype == np.int64 and cols["model"].dtype.kind == "U"
    assert list(cols["model"]) == ["fp8sa", "km-block"]
    assert list(cols["acc"]) == ["e8m10", "-"]  # km-block reads no accumulator
    assert list(cols["dot_n"]) == [1, -1]
    assert (cols["macs"] == 8 * 64).all()


def test_cache_is_shared_with_the_command(tmp_path):
    cache = tmp_path / "cache"
    pts = [{"acc": "e8m4", "round": "sr", "k": 256, "trials": 8}]
    first = fx.run(points=pts, cache=cache)
    assert len(os.listdir(cache)) == 1
    again = fx.run(points=pts, cache=cache)
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in first]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in again]  # stored at 17 digits


def test_models_are_the_registry():
    m = fx.models()
    assert list(m)[:4] == ["fp8sa", "km-block", "sr-1step", "sr-ideal"]
    assert all(isinstance(d, str) and d for d in m.values())


def test_errors_are_the_commands_words():
    with pytest.raises(ValueError, match=r"points\[1\]:\d+: k"):
        fx.plan(points=[{"k": 8}, {"k": 70000}])
    with pytest.raises(ValueError, match="model 'nosuch': expected fp8sa, km-block, sr-1step or sr-ideal"):
        fx.plan(points=[{"model": "nosuch"}])
    with pytest.raises(ValueError, match="unknown key"):
        fx.plan(points=[{"accumulator": "e8m10"}])
    with pytest.raises(ValueError, match="character"):
        fx.plan(points=[{"acc": "e8m10\n[sweep x]"}])
    with pytest.raises(ValueError, match="exactly one"):
        fx.plan()
    with pytest.raises(ValueError, match="max-points|max_points"):
        fx.plan(points=[{"acc": "e8m2..23", "k": "1..100"}], max_points=10)
    with pytest.raises(ValueError, match="cannot read sweep file"):
        fx.plan("/nonexistent.conf")


def test_exact_dots_and_reference_gemm_against_exact_sums():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (3, 200), dtype=np.uint8)
    b = rng.integers(0, 256, (200, 2), dtype=np.uint8)
    # NaN/Inf codes have no exact value: E4M3's NaNs (0x7f, 0xff) out.
    a[(a & 0x7F) == 0x7F] = 0
    b[(b & 0x7F) == 0x7F] = 0
    av = fp8sa.decode(a, "e4m3").astype(np.float64)
    bv = fp8sa.decode(b, "e4m3").astype(np.float64)
    exact, abs_sum = fx.exact_dots(a, b, "e4m3", "e4m3")
    for i in range(3):
        for j in range(2):
            terms = [av[i, k] * bv[k, j] for k in range(200)]  # each exact in binary64
            assert exact[i, j] == math.fsum(terms)  # correctly rounded sum
            assert abs_sum[i, j] == math.fsum(abs(t) for t in terms)
    ref = fx.reference_gemm(av, bv)
    for i in range(3):
        for j in range(2):
            s = 0.0
            for k in range(200):
                s += av[i, k] * bv[k, j]  # k order, as fp8sa gemm's check
            assert ref[i, j] == s


def test_npy_tensors_are_read_as_the_command_reads_them(tmp_path):
    x = np.random.default_rng(2).standard_normal(4096).astype(np.float32)
    np.save(tmp_path / "t.npy", x)
    conf, want = csv_rows(tmp_path, "trials = 8\nk = 128\n[sweep t]\ndata = npy:%s\nacc = e8m10\n" % (tmp_path / "t.npy"))
    got = fx.run(conf, threads=1)
    assert len(got) == len(want) == 1
    assert "%.6g" % got[0]["bias"] == want[0]["bias"] and got[0]["data"] == "npy:%s" % (tmp_path / "t.npy")
    np.save(tmp_path / "i.npy", np.arange(8, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"data npy: .*i.npy: dtype \|u1, expected float32"):
        fx.run(points=[{"data": "npy:%s" % (tmp_path / "i.npy"), "k": 4, "trials": 4}])

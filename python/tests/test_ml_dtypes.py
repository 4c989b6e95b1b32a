"""fp8sa's FP8 decode and RNE quantization against ml_dtypes (float8_e4m3fn,
float8_e5m2), the FP8 types of JAX/TensorFlow, a third-party implementation
of the OCP 8-bit spec.

Every code is decoded by both; >= 1e6 float32 values (random bit patterns,
log-uniform values over each format's range, exact ties between adjacent
codes and their float32 neighbours, subnormals, near-max, NaN, Inf) are
quantized with RNE by both, saturating and not. A disagreement is reported
by class; the classes that are expected, with the OCP spec's reading, are in
docs/python.md ("ml_dtypes cross-check"). Run as a script it prints the table.
"""
import sys

import numpy as np
import pytest

import fp8sa

ml_dtypes = pytest.importorskip("ml_dtypes") if __name__ != "__main__" else __import__("ml_dtypes")

TYPES = {"e4m3": ml_dtypes.float8_e4m3fn, "e5m2": ml_dtypes.float8_e5m2}
MAX = {"e4m3": 448.0, "e5m2": 57344.0}


def inputs(fmt, n_random=500000, seed=12):
    rng = np.random.default_rng(seed)
    parts = {}
    parts["random bits"] = rng.integers(0, 1 << 32, size=n_random, dtype=np.uint64).astype(np.uint32).view(np.float32)
    lo = {"e4m3": -12, "e5m2": -19}[fmt]
    hi = {"e4m3": 10, "e5m2": 17}[fmt]
    parts["log-uniform in range"] = (rng.choice([-1.0, 1.0], n_random) * 2.0 ** rng.uniform(lo, hi, n_random)).astype(np.float32)
    # Every midpoint between adjacent finite codes (exact in float32) and its float32 neighbours.
    codes = np.arange(256, dtype=np.uint8)
    v = codes.view(TYPES[fmt]).astype(np.float64)
    fin = np.sort(np.unique(v[np.isfinite(v)]))
    mids = ((fin[:-1] + fin[1:]) / 2).astype(np.float32)
    above = np.float32(MAX[fmt]) + (np.float32(MAX[fmt]) - fin[-2].astype(np.float32)) / 2  # the tie above max
    ties = np.concatenate([mids, [above, -above]]).astype(np.float32)
    near = [ties, np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, np.float32(-np.inf))]
    parts["ties and neighbours"] = np.concatenate(near)
    fin32 = fin.astype(np.float32)
    parts["codes and neighbours"] = np.concatenate([fin32, np.nextafter(fin32, np.float32(np.inf)),
                                                    np.nextafter(fin32, np.float32(-np.inf))])
    k = np.arange(1, 20001, dtype=np.uint32)
    parts["float32 subnormals"] = np.concatenate([k, k | 0x80000000]).view(np.float32)
    parts["near max"] = (MAX[fmt] * rng.uniform(0.9, 1.3, 100000) * rng.choice([-1, 1], 100000)).astype(np.float32)
    nan_bits = np.array([0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF], np.uint32)
    parts["nan and inf"] = np.concatenate([nan_bits.view(np.float32), np.array([np.inf, -np.inf, 0.0, -0.0], np.float32)])
    return parts


def classify(x, ours, theirs, fmt, sat):
    """Disagreement classes: (name, mask)."""
    ov = ~(np.isnan(ours) | np.isnan(theirs))
    ours_b, theirs_b = ours.view(np.uint8), theirs.view(np.uint8)
    nan_o = np.isnan(ours.astype(np.float32))
    nan_t = np.isnan(theirs.astype(np.float32))
    diff = ours_b != theirs_b
    both_nan = nan_o & nan_t
    return {
        "NaN sign/payload (fp8sa: canonical NaN, sign 0; ml_dtypes keeps the sign)": diff & both_nan,
        "other": diff & ~both_nan,
    }


def compare(fmt, sat, parts):
    rows = []
    total = {}
    for name, x in parts.items():
        ours = fp8sa.quantize(x, fmt, "rne", sat=sat)
        xr = x
        if sat:
            # OCP saturating conversion: magnitudes above max (Inf included) become +-max; NaN stays NaN.
            xr = np.where(np.isnan(x), x, np.clip(x, -MAX[fmt], MAX[fmt])).astype(np.float32)
        theirs = xr.astype(TYPES[fmt]).view(np.uint8)
        d = classify(x, ours.view(TYPES[fmt]), theirs.view(TYPES[fmt]), fmt, sat)
        rows.append((name, x.size, {k: int(v.sum()) for k, v in d.items()}, d, x, ours, theirs))
        for k, v in d.items():
            total[k] = total.get(k, 0) + int(v.sum())
    return rows, total


@pytest.mark.parametrize("fmt", ["e4m3", "e5m2"])
def test_decode_every_code_matches_ml_dtypes(fmt):
    codes = np.arange(256, dtype=np.uint8)
    ours = fp8sa.decode(codes, fmt)
    theirs = codes.view(TYPES[fmt]).astype(np.float32)
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    ok = ~np.isnan(theirs)
    assert np.array_equal(ours[ok].view(np.uint32), theirs[ok].view(np.uint32))


@pytest.mark.parametrize("sat", [False, True])
@pytest.mark.parametrize("fmt", ["e4m3", "e5m2"])
def test_rne_quantization_matches_ml_dtypes(fmt, sat):
    parts = inputs(fmt)
    n = sum(x.size for x in parts.values())
    assert n >= 1000000
    rows, total = compare(fmt, sat, parts)
    for name, cnt, counts, d, x, ours, theirs in rows:
        bad = d["other"]
        if bad.any():
            i = np.flatnonzero(bad)[:5]
            pytest.fail(f"{fmt} sat={sat} {name}: {bad.sum()} disagreements, e.g. x bits "
                        f"{[hex(int(b)) for b in x[i].view(np.uint32)]} fp8sa {[hex(int(c)) for c in ours[i]]} "
                        f"ml_dtypes {[hex(int(c)) for c in theirs[i]]}")
    # The only expected class: negative NaN inputs, and (non-saturating) the
    # overflow of negative numbers to NaN in E4M3 (fp8sa: canonical 0x7F).
    assert total["other"] == 0


def main():
    print("| format | sat | input class | values | NaN sign differs | other |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    grand = 0
    for fmt in ("e4m3", "e5m2"):
        parts = inputs(fmt)
        for sat in (False, True):
            rows, total = compare(fmt, sat, parts)
            for name, cnt, counts, *_ in rows:
                vals = list(counts.values())
                grand += cnt
                print(f"| {fmt} | {'yes' if sat else 'no'} | {name} | {cnt} | {vals[0]} | {vals[1]} |")
    print(f"\n{grand} quantizations compared; decode: every code of both formats")


if __name__ == "__main__":
    sys.exit(main())

"""The SR kinds of the quantizer (docs/numerics.md section 5, "SR kinds")
against Graphcore's gfloat 0.5.2 (PyPI; pinned in
scripts/requirements-python.txt), fed the same random bits.

gfloat rounds up iff k' + v >= 2^R, with v its srbits word and k' = floor(g)
(RoundMode.StochasticFastest) or RNE(g) (RoundMode.Stochastic), g the
discarded fraction times 2^R. With v = 2^R - 1 - u that is u < k':

* trunc = StochasticFastest, src = Stochastic, bit for bit;
* mid (k = 2t + s) = StochasticFastest of x first rounded to odd on the grid
  of spacing ulp * 2^-R (truncated there, the last bit ORed with the sticky),
  the construction of numerics.md section 5, written here in numpy.

For each output format (E4M3, E5M2, FP16, BF16) and kind: 200,000 binary32
inputs (every R in [2, 24], saturating and not; exponents across the
subnormal range and above the overflow threshold, significands with trailing
zeros for exact values and ties, random words, +-0, +-Inf, NaN), through
fp8sa.quantize(..., round="sr", sr_kind=K, sr_bits=R, rand=u) and through
gfloat.round_ndarray; a subsample also through gfloat.round_float (the
scalar function the spec quotes). Expected: 0 disagreements. A missing
gfloat is a failure, not a skip (scripts/install-deps.sh python installs
it).
"""
import numpy as np
import pytest

import fp8sa

try:
    import importlib.metadata as _md

    import gfloat
    from gfloat import RoundMode
    from gfloat.formats import (
        format_info_bfloat16,
        format_info_binary16,
        format_info_ocp_e4m3,
        format_info_ocp_e5m2,
    )
except ImportError as e:  # a collection error: the suite fails
    raise RuntimeError(
        f"gfloat is not importable ({e}): scripts/install-deps.sh python installs the pinned "
        "gfloat==0.5.2 and its dependencies (scripts/requirements-python.txt) into build/venv"
    ) from e

GFLOAT_VERSION = "0.5.2"
PER_FORMAT_AND_KIND = 200_000
SCALAR_SUBSAMPLE = 2_000

# fp8sa name -> (gfloat format, stored mantissa bits, emin, emax, max finite)
FORMATS = {
    "e4m3": (format_info_ocp_e4m3, 3, -6, 8, 448.0),
    "e5m2": (format_info_ocp_e5m2, 2, -14, 15, 57344.0),
    "fp16": (format_info_binary16, 10, -14, 15, 65504.0),
    "bf16": (format_info_bfloat16, 7, -126, 127, (2 - 2.0**-7) * 2.0**127),
}
KINDS = ("mid", "trunc", "src")


def test_gfloat_is_the_pinned_version():
    assert _md.version("gfloat") == GFLOAT_VERSION, (
        f"gfloat {_md.version('gfloat')} installed; the cross-check was written against "
        f"{GFLOAT_VERSION} (round.py's StochasticFastest and Stochastic)"
    )


def _inputs(rng, man, emin, emax, fmax, n):
    """n binary32 values (float32) for a destination with `man` mantissa bits,
    exponents [emin, emax] and max finite fmax."""
    kind = rng.integers(0, 10, n)
    sign = rng.integers(0, 2, n, dtype=np.uint32) << np.uint32(31)
    # exponent over the subnormal range, the normal range and past overflow
    lo, hi = max(emin - man - 4, -149), min(emax + 2, 127)
    e = rng.integers(lo, hi + 1, n)
    frac = rng.integers(0, 1 << 23, n, dtype=np.uint32)
    # trailing zeros: exact values on the grid, ties of g (src), few discarded bits
    tz = rng.integers(0, 24, n, dtype=np.uint32)
    frac_tz = (frac >> tz) << tz
    frac = np.where(kind % 3 == 0, frac_tz, frac)
    # binary32 normal words for e >= -126, binary32 subnormals below
    normal = ((e + 127).astype(np.uint32) << np.uint32(23)) | frac
    sub_shift = np.clip(-126 - e, 0, 23).astype(np.uint32)
    subn = (frac | np.uint32(1 << 23)) >> sub_shift  # (1.frac) * 2^e as a binary32 subnormal
    w = np.where(e >= -126, normal, subn) | sign
    # near the destination's max finite and its smallest subnormal
    near = np.float32(fmax) * (1 + (rng.random(n) - 0.5) * 2.0 ** -(man - 1))
    tiny = np.float32(2.0 ** (emin - man)) * rng.random(n) * 4
    with np.errstate(over="ignore"):  # bf16's max * (1 + e) is above binary32's: Inf
        w = np.where(kind == 7, near.astype(np.float32).view(np.uint32) | sign, w)
    w = np.where(kind == 8, tiny.astype(np.float32).view(np.uint32) | sign, w)
    # any binary32 word (NaN, Inf, huge, tiny) now and then
    anyw = rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32)
    w = np.where((kind == 9) & (rng.integers(0, 4, n) == 0), anyw, w)
    with np.errstate(over="ignore", invalid="ignore"):
        x = w.view(np.float32).copy()
    # specials
    sp = rng.integers(0, 200, n)
    x[sp == 0] = np.inf
    x[sp == 1] = -np.inf
    x[sp == 2] = np.nan
    x[sp == 3] = 0.0
    x[sp == 4] = -0.0
    return x


def _floor_g(x, man, emin, R):
    """floor(g) = floor(f * 2^R), the R discarded bits below the kept LSB
    (0 for non-finite and zero x): to aim random words at the decision edges."""
    ax = np.abs(x)
    ok = np.isfinite(ax) & (ax != 0)
    axm = np.where(ok, ax, 1.0)
    e = np.maximum(np.frexp(axm)[1] - 1, emin)
    n = np.floor(np.ldexp(axm, -(e - man - R))).astype(np.int64)
    return np.where(ok, n & ((1 << R) - 1), 0)


def _round_to_odd(x, man, emin, R):
    """x (float64, exact binary32 values) rounded to odd on the grid of spacing
    ulp * 2^-R: truncated toward zero there, the last bit ORed with the
    sticky. Non-finite and zero values unchanged."""
    ax = np.abs(x)
    ok = np.isfinite(ax) & (ax != 0)
    axm = np.where(ok, ax, 1.0)
    e = np.frexp(axm)[1] - 1  # floor(log2 |x|)
    e = np.maximum(e, emin)  # the subnormal grid below 2^emin
    q = e - man - R  # the grid is 2^q
    scaled = np.ldexp(axm, -q)  # exact: a power-of-two scaling
    n = np.floor(scaled)
    sticky = scaled != n
    n = n.astype(np.int64)
    n = np.where(sticky, n | 1, n)
    y = np.ldexp(n.astype(np.float64), q)  # exact: n < 2^(man + 1 + R) <= 2^35
    return np.where(ok, np.copysign(y, x), x)


def _same(a, b):
    """Elementwise equality of float64 arrays: NaN == NaN, zeros by sign."""
    nan = np.isnan(a) & np.isnan(b)
    eq = (a == b) & (np.signbit(a) == np.signbit(b))
    return nan | eq


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sr_kinds_match_gfloat(fmt):
    fi, man, emin, emax, fmax = FORMATS[fmt]
    rng = np.random.default_rng(0x5A17 + man * 100 + emax)
    for kind in KINDS:
        total = bad = scalar_total = scalar_bad = 0
        ups = differ = 0
        examples = []
        Rs = list(range(2, 25))
        per = -(-PER_FORMAT_AND_KIND // (2 * len(Rs)))
        for R in Rs:
            for sat in (False, True):
                x32 = _inputs(rng, man, emin, emax, fmax, per)
                mask = (1 << R) - 1
                u = rng.integers(0, 1 << 32, per, dtype=np.uint64).astype(np.uint32)  # high bits must be ignored
                # a third of the words at floor(g) - 1 .. floor(g) + 1, where the kinds decide differently
                with np.errstate(invalid="ignore"):
                    edge = _floor_g(x32.astype(np.float64), man, emin, R) + rng.integers(-1, 2, per)
                aim = rng.integers(0, 3, per) == 0
                u = np.where(aim, (u & ~np.uint32(mask)) | (np.clip(edge, 0, mask).astype(np.uint32)), u)
                codes = fp8sa.quantize(x32, fmt, round="sr", sat=sat, sr_kind=kind, sr_bits=R, rand=u)
                got = fp8sa.decode(codes, fmt).astype(np.float64)
                with np.errstate(invalid="ignore"):  # signalling NaNs
                    x = x32.astype(np.float64)
                srbits = (mask - (u.astype(np.int64) & mask)).astype(np.int64)
                if kind == "mid":
                    xg, mode = _round_to_odd(x, man, emin, R), RoundMode.StochasticFastest
                elif kind == "trunc":
                    xg, mode = x, RoundMode.StochasticFastest
                else:
                    xg, mode = x, RoundMode.Stochastic
                want = np.asarray(gfloat.round_ndarray(fi, xg, mode, sat, srbits, R), dtype=np.float64)
                same = _same(got, want)
                # the kind matters on this sample: trunc's result differs from it
                if kind != "trunc":
                    other = np.asarray(gfloat.round_ndarray(fi, x, RoundMode.StochasticFastest, sat, srbits, R))
                    differ += int(np.count_nonzero(~_same(want, other.astype(np.float64))))
                total += per
                bad += int(np.count_nonzero(~same))
                # rounded away from the truncation: a sanity count that SR is exercised
                fin = np.isfinite(x) & np.isfinite(want)
                ups += int(np.count_nonzero(fin & (np.abs(want) > np.abs(x))))
                for i in np.flatnonzero(~same)[: max(0, 5 - len(examples))]:
                    examples.append(
                        f"{fmt} {kind} R={R} sat={sat}: x={x32[i]!r} (0x{x32.view(np.uint32)[i]:08X}) "
                        f"u=0x{int(u[i]) & mask:X}: fp8sa {got[i]!r} (code 0x{int(codes[i]):X}), gfloat {want[i]!r}"
                    )
                # the scalar round_float on a subsample
                m = max(1, SCALAR_SUBSAMPLE // (2 * len(Rs)))
                for i in range(m):
                    w = gfloat.round_float(fi, float(xg[i]), mode, sat, int(srbits[i]), R)
                    scalar_total += 1
                    if not _same(np.array([got[i]]), np.array([float(w)]))[0]:
                        scalar_bad += 1
                        if len(examples) < 5:
                            examples.append(
                                f"{fmt} {kind} R={R} sat={sat} (round_float): x={x32[i]!r}: fp8sa {got[i]!r}, gfloat {w!r}"
                            )
        print(
            f"[ gfloat ] {fmt} {kind}: {total} values (R 2..24, sat and not), {bad} disagreements with "
            f"round_ndarray; {scalar_total} with round_float, {scalar_bad} disagreements; {ups} rounded up"
            + (f"; {differ} differ from trunc" if kind != "trunc" else "")
        )
        assert bad == 0 and scalar_bad == 0, "\n".join(examples)
        assert ups > total // 10, f"{fmt} {kind}: only {ups} of {total} values rounded up: the sample misses SR"
        assert kind == "trunc" or differ > 100, f"{fmt} {kind}: the sample does not tell {kind} from trunc"


def test_sr_kinds_differ_and_worked_examples():
    # numerics.md section 5's worked example on the quantizer's grid: E4M3
    # has ulp 0.125 at 1.0; x = 1 + (13/32) ulp and 1 + (15/32) ulp with
    # R = 4, u = 6 and 7: mid rounds the first up, src the second.
    x = np.array([1 + 13 / 32 * 0.125, 1 + 15 / 32 * 0.125], dtype=np.float32)
    u = np.array([6, 7], dtype=np.uint32)
    got = {k: fp8sa.quantize(x, "e4m3", round="sr", sr_kind=k, sr_bits=4, rand=u).tolist() for k in KINDS}
    assert got == {"mid": [0x39, 0x38], "trunc": [0x38, 0x38], "src": [0x38, 0x39]}, got
    fi = format_info_ocp_e4m3
    for i in range(2):
        v = 15 - int(u[i])
        assert gfloat.round_float(fi, float(x[i]), RoundMode.StochasticFastest, False, v, 4) == float(
            fp8sa.decode(np.array([got["trunc"][i]], dtype=np.uint8), "e4m3")[0]
        )
        assert gfloat.round_float(fi, float(x[i]), RoundMode.Stochastic, False, v, 4) == float(
            fp8sa.decode(np.array([got["src"][i]], dtype=np.uint8), "e4m3")[0]
        )
        xm = float(_round_to_odd(np.array([float(x[i])]), 3, -6, 4)[0])
        assert gfloat.round_float(fi, xm, RoundMode.StochasticFastest, False, v, 4) == float(
            fp8sa.decode(np.array([got["mid"][i]], dtype=np.uint8), "e4m3")[0]
        )

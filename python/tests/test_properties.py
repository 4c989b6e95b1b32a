"""Property tests of the Python API (issue 18), with hypothesis (Debian's
python3-hypothesis): random dtypes, shapes (empty, 0-D, 1-D, 3-D),
layouts (non-contiguous, negative strides, Fortran order) and keyword
values, valid and not. The answer must be either a ValueError / TypeError
with a one-line message, exactly when the test's own rules say the input is
invalid, or a result equal to an independent reference: the format's field
formula for decoding, round-to-nearest-even (or toward zero) on the exact
float64 value for quantizing, and a sequential float32 sum for the GEMM.
derandomize=True: the same examples on every run (make test stays
deterministic); raise max_examples by hand for a longer search."""
import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import fp8sa  # noqa: E402

SETTINGS = dict(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FMTS = {f["name"]: f for f in fp8sa.formats()}


# ---------------------------------------------------------------------------
# References

def field_value(code, e, m, bias, has_inf):
    """A code's value from its fields (IEEE / OCP rules), as a Python float."""
    s = -1.0 if code >> (e + m) & 1 else 1.0
    ex = code >> m & ((1 << e) - 1)
    man = code & ((1 << m) - 1)
    if has_inf and ex == (1 << e) - 1:
        return s * math.inf if man == 0 else math.nan
    if not has_inf and ex == (1 << e) - 1 and man == (1 << m) - 1:
        return math.nan
    if ex == 0:
        return s * math.ldexp(man, 1 - bias - m)
    return s * math.ldexp((1 << m) + man, ex - bias - m)


def grid(fmt):
    """The positive finite values by code (ascending), plus the value the
    next code would have with an unbounded exponent (Inf's or E4M3's NaN slot)."""
    f = FMTS[fmt]
    e, m, b = f["exp_bits"], f["man_bits"], f["bias"]
    top = f["max_finite_bits"]
    vals = [field_value(c, e, m, b, f["has_inf"]) for c in range(top + 1)]
    nxt = math.ldexp((1 << m) + ((top + 1) & ((1 << m) - 1)), ((top + 1) >> m) - b - m)
    return np.array(vals + [nxt], np.float64)


GRIDS = {n: grid(n) for n in FMTS}


def ref_quantize(x, fmt, rnd, sat):
    """Codes of the float64 values x (exact), or -1 for a NaN result: RNE
    (ties to the even code) or RZ, then overflow by sat (docs/numerics.md
    section 6: +-max with sat, else Inf, or NaN for E4M3)."""
    f = FMTS[fmt]
    g = GRIDS[fmt]
    sign_bit = 1 << (f["width"] - 1)
    top = f["max_finite_bits"]
    out = np.empty(x.shape, np.int64)
    for i, v in np.ndenumerate(x):
        if math.isnan(v):
            out[i] = -1
            continue
        a = abs(v)
        if math.isinf(a):
            c = top + 1
        else:
            j = int(np.searchsorted(g, a, side="right")) - 1  # g[j] <= a (j = -1 never: g[0] = 0)
            if j >= len(g) - 1:
                c = top + 1
            elif a == g[j] or rnd == "rz":
                c = j
            else:
                mid = (g[j] + g[j + 1]) / 2  # exact: few significant bits
                c = j if a < mid else j + 1 if a > mid else (j if j % 2 == 0 else j + 1)
        if c > top:  # overflow (or an Inf input)
            if sat:
                c = top
            elif not f["has_inf"]:
                out[i] = -1
                continue
        out[i] = c | (sign_bit if math.copysign(1.0, v) < 0 else 0)
    return out


def decode_ref(codes, fmt):
    f = FMTS[fmt]
    return np.array([field_value(int(c), f["exp_bits"], f["man_bits"], f["bias"], f["has_inf"])
                     for c in np.ravel(codes)], np.float64).reshape(np.shape(codes))


def acc_value(word, e, m):
    """An accumulator word eXmY's value (IEEE rules, Inf and NaN)."""
    return field_value(word, e, m, (1 << (e - 1)) - 1, True)


def same(got_codes, want, fmt):
    """Codes equal, NaN results compared as 'is a NaN' (fp8sa's canonical NaN)."""
    got_nan = np.isnan(fp8sa.decode(got_codes, fmt))
    return np.array_equal(got_nan, want == -1) and np.array_equal(got_codes.astype(np.int64)[~got_nan],
                                                                   want[~got_nan])


# ---------------------------------------------------------------------------
# Strategies

def layouts(draw, arr):
    """The same values in another memory layout: C, Fortran, a reversed
    view (negative strides), or every other element of a bigger array."""
    kind = draw(st.sampled_from(["c", "f", "reversed", "strided"]))
    if arr.ndim == 0 or kind == "c":
        return arr
    if kind == "f":
        return np.asfortranarray(arr)
    if kind == "reversed":
        r = arr[tuple(slice(None, None, -1) for _ in range(arr.ndim))].copy()
        return r[tuple(slice(None, None, -1) for _ in range(arr.ndim))]  # a view, strides < 0, same values
    big = np.zeros(tuple(2 * s for s in arr.shape), arr.dtype)
    big[tuple(slice(None, None, 2) for _ in range(arr.ndim))] = arr
    return big[tuple(slice(None, None, 2) for _ in range(arr.ndim))]


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
VALUE_DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                np.uint32, np.uint64, np.bool_, np.complex64]


def special_floats(fmt):
    """Values that probe the rounding: every tie of fmt and its neighbours, max, overflow."""
    g = GRIDS[fmt]
    mids = (g[:-1] + g[1:]) / 2
    return st.one_of(st.sampled_from(list(g[:-1])), st.sampled_from(list(mids)),
                     st.sampled_from(list(mids)).map(lambda v: np.nextafter(v, np.inf)),
                     st.sampled_from(list(mids)).map(lambda v: np.nextafter(v, -np.inf)),
                     st.sampled_from(list(mids)).map(lambda v: v * (1 + 2.0 ** -30)))


def to_dtype(v, dt):
    with np.errstate(over="ignore"):
        return float(np.array(v).astype(dt))


@st.composite
def value_arrays(draw, fmt):
    """Values of any numeric dtype (uint32: binary32 words), any shape and layout."""
    dt = np.dtype(draw(st.sampled_from(VALUE_DTYPES)))
    shape = draw(SHAPES)
    if dt.kind in "iu" and dt.itemsize == 8:  # mostly exact in float64; sometimes not (refused)
        info = np.iinfo(dt)
        elems = st.one_of(st.integers(max(info.min, -100000), 100000), st.integers(info.min, info.max))
    elif dt.kind == "f":
        elems = st.one_of(special_floats(fmt), special_floats(fmt).map(lambda v: -v), st.floats(width=dt.itemsize * 8))
        if dt.itemsize < 8:
            elems = elems.map(lambda v: to_dtype(v, dt))  # a value of dt (ties: rounded there)
    elif dt.kind == "c":
        elems = st.sampled_from([1 + 2j, -0.5j, 3 + 0j, 0j])
    elif dt.kind not in "iu":
        elems = None
    if dt.kind in "iu" and dt.itemsize < 8:
        elems = None
    arr = draw(hnp.arrays(dt, shape, elements=elems))
    return layouts(draw, arr)


NAMES_OK = ["e4m3", "e5m2", "fp16", "bf16", "E4M3", "Fp16"]


# ---------------------------------------------------------------------------
# quantize / encode

@settings(**SETTINGS)
@given(data=st.data())
def test_quantize_is_an_error_or_the_reference(data):
    # At most one keyword is drawn from its bad values, so most calls are valid.
    wrong = data.draw(st.sampled_from([None] * 6 + ["fmt", "round", "sat", "scale", "seed"]), label="wrong")
    fmt = data.draw(st.sampled_from(["e4m4", "fp8", 3, None] if wrong == "fmt" else NAMES_OK), label="fmt")
    rnd = data.draw(st.sampled_from(["up", None, 1] if wrong == "round" else ["rne", "RNE", "rz", "rtz", "sr"]),
                    label="round")
    sat = data.draw(st.sampled_from(["no", 2, None, 0.5] if wrong == "sat" else [False, True, np.bool_(True), 0, 1]),
                    label="sat")
    scale = data.draw(st.sampled_from([1.5, 2.0, "1", 2 ** 40, -65, 64]) if wrong == "scale" else
                      st.integers(-64, 63), label="scale")
    seed = data.draw(st.sampled_from([1.9, 2 ** 64, 0, -1, 2 ** 32]) if wrong == "seed" else
                     st.integers(1, 0xFFFFFFFF), label="seed")
    good_fmt = isinstance(fmt, str) and fmt.lower() in FMTS
    x = data.draw(value_arrays(fmt.lower() if good_fmt else "e4m3"), label="x")
    kw = dict(round=rnd, sat=sat, scale=scale, seed=seed)

    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))

    bad = (not good_fmt or not isinstance(rnd, str) or rnd.lower() not in ("rne", "rz", "rtz", "sr")
           or not (isinstance(sat, (bool, np.bool_)) or (is_int(sat) and sat in (0, 1)))
           or not (is_int(scale) and -64 <= scale <= 63) or not (is_int(seed) and 1 <= seed <= 0xFFFFFFFF)
           or x.dtype.kind == "c")
    r = rnd.lower() if isinstance(rnd, str) else ""
    if not bad and x.dtype.kind in "iu" and x.size and x.dtype != np.uint32:
        bad = int(x.max()) > 2 ** 53 or int(x.min()) < -(2 ** 53)  # not exact in float64: refused
    xv = None
    if not bad:
        xv = x.astype(np.float64) if x.dtype != np.uint32 else x.view(np.float32).astype(np.float64)
        if r == "sr":
            with np.errstate(over="ignore", invalid="ignore"):
                exact32 = (xv.astype(np.float32).astype(np.float64) == xv) | np.isnan(xv)
            bad = not exact32.all()  # SR of a float64 that binary32 cannot hold: refused
    try:
        got = fp8sa.quantize(x, fmt, **kw)
    except (ValueError, TypeError) as e:
        msg = str(e)
        event("refused")
        assert bad, f"refused a valid call: {msg}"
        assert msg and "\n" not in msg and len(msg) < 300, msg
        return
    assert not bad, "accepted an invalid call"
    event(f"compared ({'sr' if r == 'sr' else 'rne/rz'})")
    f = fmt.lower()
    assert got.shape == x.shape and got.dtype == (np.uint8 if FMTS[f]["width"] == 8 else np.uint16)
    y = xv * 2.0 ** scale  # exact: |x| and the scale are bounded here
    if r in ("rne", "rz", "rtz"):
        want = ref_quantize(y, f, "rz" if r != "rne" else "rne", bool(sat))
        assert same(got, want, f), (x, y, got, want)
    else:  # SR: the RZ result or the next code away from zero (overflow then as sat says)
        lo = ref_quantize(y, f, "rz", bool(sat))
        sb = 1 << (FMTS[f]["width"] - 1)
        g = got.astype(np.int64)
        nan = np.isnan(fp8sa.decode(got, f))
        up = (lo >= 0) & ((g & ~sb) == (lo & ~sb) + 1) & ((g & sb) == (lo & sb))
        ok = (g == lo) | up | (nan & ((lo == -1) | ((lo & ~sb) == FMTS[f]["max_finite_bits"])))
        assert ok.all(), (x, y, got, lo)


@settings(**SETTINGS)
@given(data=st.data())
def test_encode_float64_rounds_once(data):
    """float64 values near every tie: one RNE rounding of the exact value,
    never a rounding to float32 first (issue 18 item 9)."""
    fmt = data.draw(st.sampled_from(list(FMTS)), label="fmt")
    g = GRIDS[fmt]
    mids = (g[:-1] + g[1:]) / 2
    i = data.draw(st.integers(0, len(mids) - 1), label="tie")
    d = data.draw(st.sampled_from([2.0 ** -40, -(2.0 ** -40), 2.0 ** -30, -(2.0 ** -30), 0.0]), label="offset")
    sign = data.draw(st.sampled_from([1.0, -1.0]), label="sign")
    x = np.array([sign * mids[i] * (1 + d)])
    assert same(fp8sa.encode(x, fmt), ref_quantize(x, fmt, "rne", False), fmt), x


# ---------------------------------------------------------------------------
# decode

@settings(**SETTINGS)
@given(data=st.data())
def test_decode_is_an_error_or_the_field_formula(data):
    wrong = data.draw(st.sampled_from([None] * 4 + ["fmt", "dtype", "values"]), label="wrong")
    fmt = data.draw(st.sampled_from(["e9m23", 7, "fp8", None] if wrong == "fmt" else
                                    ["e4m3", "e5m2", "fp16", "bf16", "e8m23", "e5m10", "e4m2", "E8M10"]), label="fmt")
    dt = np.dtype(data.draw(st.sampled_from([np.float32, np.bool_, np.float16] if wrong == "dtype" else
                                            [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int32,
                                             np.int64]), label="dtype"))
    shape = data.draw(SHAPES, label="shape")
    if dt.kind in "iu":
        info = np.iinfo(dt)
        f = fmt.lower() if isinstance(fmt, str) else "e4m3"
        w = FMTS[f]["width"] if f in FMTS else 1 + sum(map(int, f[1:].split("m"))) if f[0] == "e" else 8
        elems = st.integers(max(info.min, 0), min(info.max, (1 << min(w, 32)) - 1))
        if wrong == "values":
            elems = st.one_of(elems, st.integers(info.min, info.max), st.integers(max(info.min, -3), 300))
        codes = data.draw(hnp.arrays(dt, shape, elements=elems), label="codes")
    else:
        codes = data.draw(hnp.arrays(dt, shape), label="codes")
    codes = layouts(data.draw, codes)
    fl = fmt.lower() if isinstance(fmt, str) else None
    if fl in FMTS:
        width = FMTS[fl]["width"]
    elif fl is not None and fl[0] == "e" and fl != "e9m23":
        e, m = map(int, fl[1:].split("m"))
        width = 1 + e + m
    else:
        width = None
    bad = width is None or dt.kind not in "ui"
    if not bad and codes.size:
        bad = bool(codes.min() < 0) or int(codes.max()) >= 1 << width
    try:
        got = fp8sa.decode(codes, fmt)
    except (ValueError, TypeError) as e:
        event("refused")
        assert bad, f"refused a valid call: {e}"
        assert str(e) and "\n" not in str(e)
        return
    event("compared")
    assert not bad, "accepted an invalid call"
    assert got.shape == codes.shape and got.dtype == np.float32
    if fl in FMTS:
        want = decode_ref(codes, fl)
    else:
        e, m = map(int, fl[1:].split("m"))
        want = np.array([acc_value(int(c), e, m) for c in np.ravel(codes)]).reshape(codes.shape)
    g = got.astype(np.float64)
    assert np.array_equal(np.isnan(g), np.isnan(want))
    ok = ~np.isnan(want)
    assert np.array_equal(g[ok], want[ok]) and np.array_equal(np.signbit(g[ok]), np.signbit(want[ok]))


# ---------------------------------------------------------------------------
# gemm

# Codes of moderate magnitude ([2^-6, 2^8), both signs, and zeros): every
# float64 partial sum below is exact, so the float32 reference is exact.
MODERATE = {f: [c for c in range(256) if not math.isnan(v := field_value(c, FMTS[f]["exp_bits"], FMTS[f]["man_bits"],
                                                                          FMTS[f]["bias"], FMTS[f]["has_inf"]))
                and (v == 0 or 2.0 ** -6 <= abs(v) < 2.0 ** 8)] for f in ("e4m3", "e5m2")}


@st.composite
def operand(draw, shape, fmt):
    kind = draw(st.sampled_from(["codes", "float32", "float64", "int16"]))
    codes = draw(hnp.arrays(np.uint8, shape, elements=st.sampled_from(MODERATE[fmt])))
    if kind == "codes":
        return layouts(draw, codes), codes
    v = decode_ref(codes, fmt)
    if kind == "int16":
        v = np.trunc(v)
        arr = v.astype(np.int16)
    else:
        # Off-grid values in range: quantized (RNE, saturating) on the way in.
        wiggle = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([1.0, 1.01, 0.97, 1 + 2.0 ** -30])))
        arr = (v * wiggle).astype(np.float32 if kind == "float32" else np.float64)
    q = ref_quantize(arr.astype(np.float64), fmt, "rne", True).astype(np.uint8)
    return layouts(draw, arr), q


@settings(**SETTINGS)
@given(data=st.data())
def test_gemm_is_an_error_or_the_sequential_float32_sum(data):
    wrong = data.draw(st.sampled_from([None] * 8 + ["shape", "ndim", "rows", "cols", "seed", "threads"]),
                      label="wrong")
    m, k, n = (data.draw(st.integers(0 if wrong == "shape" else 1, 6), label=s) for s in "mkn")
    fa = data.draw(st.sampled_from(["e4m3", "e5m2"]), label="fmt_a")
    fb = data.draw(st.sampled_from(["e4m3", "e5m2"]), label="fmt_b")
    a, qa = data.draw(operand((m, k), fa), label="a")
    b, qb = data.draw(operand((k, n), fb), label="b")
    ndim_bad = data.draw(st.sampled_from(["1d", "3d"]), label="ndim") if wrong == "ndim" else None
    if ndim_bad == "1d":
        a = a.reshape(-1)
    elif ndim_bad == "3d":
        a = a.reshape((1,) + a.shape)
    rows = data.draw(st.sampled_from([0, 300, 2.5, "4", True] if wrong == "rows" else [None, 1, 3, 8, np.int32(2)]),
                     label="rows")
    cols = data.draw(st.sampled_from([0, 2 ** 40, -1] if wrong == "cols" else
                                     [None, 2, 5, np.uint8(4)]), label="cols")
    seed = data.draw(st.sampled_from([0, 2 ** 32, 1.5] if wrong == "seed" else [None, 1, 7, 0xFFFFFFFF]),
                     label="seed")
    threads = data.draw(st.sampled_from([-1, 1.0, "2"] if wrong == "threads" else [0, 1, 2]), label="threads")
    c_kind = data.draw(st.sampled_from([None, "float32", "uint32", "float64-exact", "float64-inexact"]), label="c")
    c = cref = None
    if c_kind is not None:
        cv = data.draw(hnp.arrays(np.float64, (m, n), elements=st.integers(-4000, 4000).map(lambda i: i / 16.0)))
        cref = cv.astype(np.float32)
        c = {"float32": cref, "uint32": cref.view(np.uint32), "float64-exact": cv,
             "float64-inexact": cv + 0.1}[c_kind]
        c = layouts(data.draw, c)

    def ok_int(v, lo, hi):
        return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and lo <= v <= hi

    bad = (ndim_bad is not None or min(m, k, n) == 0
           or not (rows is None or ok_int(rows, 1, 256)) or not (cols is None or ok_int(cols, 1, 256))
           or not (seed is None or ok_int(seed, 1, 0xFFFFFFFF)) or not ok_int(threads, 0, 4096)
           or (c_kind == "float64-inexact" and c.size and not (
               (c.astype(np.float32).astype(np.float64) == c).all())))
    try:
        r = fp8sa.gemm(a, b, c, fmt_a=fa, fmt_b=fb, rows=rows, cols=cols, seed=seed, threads=threads)
    except (ValueError, TypeError) as e:
        event("refused")
        assert bad, f"refused a valid call: {e}"
        assert str(e) and "\n" not in str(e) and len(str(e)) < 400, str(e)
        return
    event("compared")
    assert not bad, "accepted an invalid call"
    # Reference: one float32 rounding per MAC in k order (fmaf), from c.
    av, bv = decode_ref(qa, fa), decode_ref(qb, fb)
    acc = np.zeros((m, n), np.float32) if cref is None else cref.copy()
    for kk in range(k):
        acc = (acc.astype(np.float64) + np.outer(av[:, kk], bv[kk])).astype(np.float32)
    assert r.values.shape == (m, n) and r.values.dtype == np.float32
    assert np.array_equal(r.values.view(np.uint32), acc.view(np.uint32)), (r.values, acc)

"""fp8sa: the FP8 systolic array's bit-exact model, numpy in and out.

    import fp8sa
    c, flags = fp8sa.gemm(a, b, fmt_a="e4m3", fmt_b="e5m2", acc="e8m23")
    codes = fp8sa.quantize(x, "e5m2", round="sr", seed=7)
    x8 = fp8sa.decode(codes, "e5m2")

Every number comes from the C++ model (cmodel/, docs/numerics.md and
docs/array.md); this file only converts arrays and fills in defaults. Bad
arguments raise ValueError with the model's (and the CLI's) message.
docs/python.md is the reference.
"""
from pkgutil import extend_path

# The in-tree build puts the extension module in build/python/fp8sa/ and the
# sources in python/fp8sa/ (docs/python.md "Install"): one package, two folders.
__path__ = extend_path(__path__, __name__)

import numpy as _np

try:
    from . import _core
except ImportError as e:  # pragma: no cover - a broken install, said plainly
    raise ImportError("fp8sa: the extension module fp8sa._core is missing (build it with `make`, "
                      "or `pip install .` from the repository root): " + str(e)) from e

__version__ = "0.3.0"

__all__ = ["gemm", "quantize", "encode", "decode", "fake_quantize", "formats", "rtl_configs", "has_rtl", "sim_boards",
           "board_array", "pe_presets",
           "GemmResult", "FLAG_INEXACT", "FLAG_UNDERFLOW", "FLAG_OVERFLOW", "FLAG_INVALID", "flag_names"]

FLAG_INEXACT = _core.FLAG_INEXACT
FLAG_UNDERFLOW = _core.FLAG_UNDERFLOW
FLAG_OVERFLOW = _core.FLAG_OVERFLOW
FLAG_INVALID = _core.FLAG_INVALID


def formats():
    """The format table (numerics.hpp kFormatTable): a list of dicts."""
    return _core.formats()


_TABLE = {f["name"]: f for f in _core.formats()}


def rtl_configs():
    """The Verilated array configurations this module can run (empty without the RTL)."""
    return _core.rtl_configs()


def has_rtl():
    """True when this build links the Verilated RTL (backend="rtl:NAME")."""
    return _core.has_rtl()


def sim_boards():
    """The simulated boards this module can run (backend="board:sim:NAME"):
    dicts of name, part, sys_hz, baud (fpga/boards.txt) and uart_hz (the UART's clock, the
    board's oscillator); empty without the RTL."""
    return _core.sim_boards()


def board_array(backend="board:sim"):
    """The array of a board back-end ("board:sim" is the iCEBreaker,
    "board:sim:NAME" any of sim_boards()), as the board reports it (INFO):
    every array keyword, and k_max, rnd_modes, out_quant. Raises ValueError
    in a build without the Verilated boards."""
    return _core.board_array(_name(backend, "backend"))


def flag_names(flags):
    """'inexact|overflow' for a flag byte."""
    names = [n for b, n in ((FLAG_INEXACT, "inexact"), (FLAG_UNDERFLOW, "underflow"),
                            (FLAG_OVERFLOW, "overflow"), (FLAG_INVALID, "invalid")) if int(flags) & b]
    return "|".join(names) if names else "none"


# ---------------------------------------------------------------------------
# Argument checks: every keyword is checked here before anything runs, so a
# bad value is a ValueError or TypeError naming it (never a pybind11 cast
# error, an AttributeError, or a value silently truncated or reinterpreted).
# The model (C++) checks again and has the last word on ranges it owns.

_INT32 = (-(1 << 31), (1 << 31) - 1)
_ROUNDS = ("rne", "rz", "rtz", "sr")
_PE_KINDS = ("fma", "dot", "exact")
_SR_KINDS = ("mid", "trunc", "src")
_FP8 = ("e4m3", "e5m2")


def _contig(x, dtype=None):
    """C-contiguous, shape kept (numpy's ascontiguousarray makes a 0-d array 1-D)."""
    return _np.asarray(x, dtype=dtype, order="C")


def _short(v):
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def _name(s, what):
    """A name (format, rounding, back-end), lower-cased."""
    if not isinstance(s, str):
        raise TypeError(f"{what}: expected a name (str), got {type(s).__name__} {_short(s)}")
    return s.lower()


def _choice(s, what, choices):
    v = _name(s, what)
    if v not in choices:
        raise ValueError(f"{what}: {_short(s)} is not one of: {', '.join(choices)}")
    return v


def _int(v, what, lo=_INT32[0], hi=_INT32[1]):
    """An integer (int or numpy integer; not bool, not a float such as 1.5 or 2.0) in [lo, hi]."""
    if isinstance(v, (bool, _np.bool_)) or not isinstance(v, (int, _np.integer)):
        raise TypeError(f"{what}: expected an integer, got {type(v).__name__} {_short(v)}")
    v = int(v)
    if not lo <= v <= hi:
        raise ValueError(f"{what} {v} is out of range [{lo}, {hi}]")
    return v


def _bool(v, what):
    """True or False (or numpy's bool, or the integers 0 and 1); a string such as "no" is refused."""
    if isinstance(v, (bool, _np.bool_)):
        return bool(v)
    if isinstance(v, (int, _np.integer)) and int(v) in (0, 1):
        return bool(v)
    raise TypeError(f"{what}: expected True or False, got {type(v).__name__} {_short(v)}")


def _acc_name(acc, what="acc"):
    """An accumulator format name, checked by the model's (the CLI's) parser."""
    acc = _name(acc, what)
    if not acc.startswith("e"):
        raise ValueError(f"{what}: {_short(acc)} is not " + ("an accumulator format eXmY (e.g. e8m23)" if what == "acc"
                         else "a format: e4m3, e5m2, fp16, bf16, or an accumulator eXmY"))
    _core.decode(_np.zeros(0, _np.uint32), acc)  # raises the CLI's message for a bad eXmY
    return acc


def _width(fmt):
    """Bits of a code of fmt: a table format, or an accumulator eXmY."""
    if fmt in _TABLE:
        return _TABLE[fmt]["width"]
    e, m = fmt[1:].split("m")
    return 1 + int(e) + int(m)


def _array(x, what):
    """x as a numpy array; object, string and complex arrays are refused."""
    try:
        a = _np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise ValueError(f"{what}: not an array: {e}") from None
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected a numeric array (float or integer), got dtype {a.dtype}"
                        + (" (complex values have no FP8 code)" if a.dtype.kind == "c" else ""))
    return a


def _as_float64(x, what):
    """Values of a non-float32 numeric array as float64, exactly (or ValueError)."""
    if x.dtype.kind in "iu":
        if x.size and (int(x.max()) > 1 << 53 or int(x.min()) < -(1 << 53)):
            raise ValueError(f"{what}: integer values beyond 2^53 in magnitude are not exact in float64; "
                             "convert them to float yourself")
        return x.astype(_np.float64)
    if x.dtype.kind == "f" and x.dtype.itemsize > 8:  # long double
        y = x.astype(_np.float64)
        ok = (y == x) | (_np.isnan(x) & _np.isnan(y))
        if not ok.all():
            raise ValueError(f"{what}: {x.dtype} values not exact in float64 are not supported (they would be "
                             "rounded twice); convert to float64 or float32 yourself")
        return y
    return x.astype(_np.float64)


def _round_to_odd_f32(x):
    """float64 -> float32 rounded to odd (truncate, then set the last bit when
    inexact). A second rounding of the result to a format with at most 22
    significant bits (every quantizer format: at most 11) equals one rounding
    of x itself, for RNE and RZ (Boldo and Melquiond, "When double rounding
    is odd", 2005): what makes float64 inputs round once."""
    with _np.errstate(over="ignore", invalid="ignore"):
        f = x.astype(_np.float32)  # RNE, may overflow to Inf
    back = f.astype(_np.float64)
    inexact = (back != x) & ~_np.isnan(x)
    bits = f.view(_np.uint32).copy()
    # Toward zero: one step back where RNE rounded away from zero (Inf -> max finite).
    away = inexact & (_np.abs(back) > _np.abs(x))
    bits[away] -= 1
    bits[inexact] |= 1
    return bits


def _words(x, acc, what="x", rnd="rne", scale=0):
    """Accumulator words of x: uint32 words of acc, or values (binary32: e8m23
    only). Returns (words, scale to apply in the quantizer). float32 (and
    exact) values pass as they are; other float64 values are rounded to odd
    into binary32 after the scale (so that the quantizer's rounding is the
    only one); with SR they are refused (SR's random bits act on the binary32
    word, which cannot hold them)."""
    x = _array(x, what)
    if x.dtype == _np.uint32:
        return _contig(x), scale
    if acc != "e8m23":
        raise ValueError(f"{what}: {acc} input must be uint32 accumulator words (float values are binary32: e8m23)")
    if x.dtype == _np.float32 or x.dtype == _np.float16 or x.dtype == _np.bool_:
        return _contig(x, _np.float32).view(_np.uint32), scale
    d = _as_float64(x, what)
    with _np.errstate(over="ignore", invalid="ignore"):
        f = d.astype(_np.float32)
    exact = (f.astype(_np.float64) == d) | _np.isnan(d)
    if exact.all():
        return _contig(f).view(_np.uint32), scale
    if rnd == "sr":
        i = int(_np.flatnonzero(~exact.ravel())[0])
        raise ValueError(f"{what}: {x.dtype} element {i} ({d.ravel()[i]!r}) is not exact in float32; SR rounds "
                         "binary32 words: convert with .astype(numpy.float32) first (that rounding is then yours)")
    flat = d.reshape(-1)
    with _np.errstate(over="ignore", under="ignore"):
        y = _np.ldexp(flat, scale)
    # A scale that over- or underflows float64 itself: keep an overflow
    # finite and an underflow non-zero, so that value and flags stay right.
    huge = _np.isinf(y) & _np.isfinite(flat)
    y[huge] = _np.copysign(_np.finfo(_np.float64).max, flat[huge])
    tiny = (y == 0) & (flat != 0)
    y[tiny] = _np.copysign(5e-324, flat[tiny])
    return _contig(_round_to_odd_f32(y).reshape(d.shape)), 0


def quantize(x, fmt="e4m3", round="rne", sat=False, seed=1, scale=0, acc="e8m23", sr_bits=16,
             return_flags=False, sr_kind="mid", rand=None):
    """The array's quantizer over every element of x (docs/numerics.md section 6).

    x: float values (acc "e8m23"; float64 is rounded once, see docs/python.md),
    or uint32 accumulator words of `acc`.
    fmt: "e4m3", "e5m2", "fp16", "bf16". round: "rne", "rz", "sr".
    sat: saturate to the largest finite value instead of Inf/NaN.
    scale: the result is round(x * 2**scale), scale in [-64, 63].
    seed, sr_bits: SR draws come from one 32-bit LFSR with this seed,
    sr_bits random bits per draw, one draw per element in C order.
    sr_kind: the SR construction, "mid", "trunc" or "src" (docs/numerics.md
    section 5). rand: None, or explicit random words (one per element, the
    low sr_bits bits used) in place of the LFSR's draws.
    Returns the codes (uint8 for FP8, uint16 for fp16/bf16), and with
    return_flags also the per-element flag bytes.
    """
    fmt = _choice(fmt, "fmt", tuple(_TABLE))
    rnd = _choice(round, "round", _ROUNDS)
    sat = _bool(sat, "sat")
    seed = _int(seed, "seed", 1, 0xFFFFFFFF)
    scale = _int(scale, "scale", -64, 63)
    sr_bits = _int(sr_bits, "sr_bits")
    return_flags = _bool(return_flags, "return_flags")
    sr_kind = _choice(sr_kind, "sr_kind", _SR_KINDS)
    acc = _acc_name(acc)
    w, scale = _words(x, acc, "x", rnd, scale)
    r = None
    if rand is not None:
        r = _np.asarray(rand)
        if r.dtype.kind not in "ui" or (r.size and r.dtype.kind == "i" and r.min() < 0):
            raise ValueError(f"quantize: rand must be non-negative integer random words, got dtype {r.dtype}")
        if r.size and int(r.max()) > 0xFFFFFFFF:
            raise ValueError("quantize: rand words must fit 32 bits")
        r = _np.ascontiguousarray(r, dtype=_np.uint32)
    codes, flags = _core.quantize(w, fmt, rnd, sat, seed, scale, acc, sr_bits, sr_kind, r)
    if _TABLE[fmt]["width"] == 8:
        codes = codes.astype(_np.uint8)
    return (codes, flags) if return_flags else codes


def encode(x, fmt="e4m3", sat=False):
    """Codes of x in fmt with round-to-nearest-even (exact for representable values)."""
    return quantize(x, fmt, "rne", sat)


def decode(codes, fmt="e4m3"):
    """Values of codes as float32 (exact: every FP8, FP16, BF16 value and
    every accumulator word eXmY is a binary32 value). fmt: a table format or
    an accumulator format "eXmY" (uint32 words). "e4m3" is the OCP E4M3
    operand code here; the raw words of an e4m3 accumulator (eXmY, with Inf
    and NaN) are decoded in fp8sa.gemm's result values."""
    fmt = _name(fmt, "fmt")
    c = _contig(codes)
    if c.dtype.kind not in "ui":
        raise ValueError(f"decode: codes must be unsigned integers, got dtype {c.dtype}")
    if fmt not in _TABLE:
        _acc_name(fmt, "decode: fmt")  # the CLI's message for a bad eXmY
    if c.size:
        # Range first, then the cast: a 64-bit code must not lose its high bits.
        bad = (c < 0) | (c >= (1 << _width(fmt))) if c.dtype.kind == "i" else c >= (1 << _width(fmt))
        if bad.any():
            i = int(_np.flatnonzero(bad.ravel())[0])
            v = int(c.ravel()[i])
            raise ValueError(f"decode: element {i} ({v}) is " + ("a negative code" if v < 0 else
                             f"not a code of the {_width(fmt)}-bit {fmt} format (it has bits above bit "
                             f"{_width(fmt) - 1})"))
    return _core.decode(c.astype(_np.uint32), fmt).astype(_np.float32)


def fake_quantize(x, fmt="e4m3", round="rne", sat=False, seed=1, scale=0, sr_bits=16):
    """decode(quantize(x)) as float32, the QPyTorch float_quantize idiom."""
    return decode(quantize(x, fmt, round, sat, seed, scale, "e8m23", sr_bits), fmt)


class GemmResult(tuple):
    """(values, tile_flags), and .words (the out_data_o words), .flags (OR of
    all tile flags), .info (back-end, array, cycles for the cycle back-ends)."""

    def __new__(cls, values, tile_flags, words, info):
        r = super().__new__(cls, (values, tile_flags))
        r.words, r.info = words, info
        r.flags = int(_np.bitwise_or.reduce(tile_flags, axis=None)) if tile_flags.size else 0
        return r

    values = property(lambda self: self[0])
    tile_flags = property(lambda self: self[1])


def _operand(x, fmt, what):
    x = _array(x, f"gemm: {what}")
    if x.ndim != 2:
        raise ValueError(f"gemm: {what} must be 2-D, has {x.ndim} dimensions")
    if x.dtype == _np.uint8:
        return _contig(x)
    # As `fp8sa gemm` does with a float32 .npy: RNE, saturating (float64: rounded once).
    return quantize(x, fmt, "rne", True)


def _c_words(c, fmt):
    """c as the array's result words: uint32 words of fmt, or float values
    that binary32 holds exactly (fmt e8m23: the accumulator, or promotion)."""
    x = _array(c, "c")
    if x.dtype == _np.uint32:
        return _contig(x)
    if fmt != "e8m23":
        raise ValueError(f"c: float values are binary32 words; the result word here is {fmt}: give uint32 {fmt} words")
    if x.dtype == _np.float32:
        return _contig(x).view(_np.uint32)
    d = _as_float64(x, "c")
    with _np.errstate(over="ignore", invalid="ignore"):
        f = d.astype(_np.float32)
    if not ((f.astype(_np.float64) == d) | _np.isnan(d)).all():
        raise ValueError(f"c: {x.dtype} values not exact in float32 (c is the accumulator's binary32 word, never "
                         "rounded); give float32 or uint32 words")
    return _contig(f).view(_np.uint32)


def _rtl_config(backend):
    """The rtl:NAME configuration's dict (rtl_configs()), a board back-end's
    array (board_array()), or None."""
    if backend.startswith("board:") or backend == "board":
        return _core.board_array(backend)
    if backend.startswith("rtl:"):
        for c in _core.rtl_configs():
            if c["name"] == backend[4:]:
                return c
    return None


def pe_presets():
    """The PE presets (docs/numerics.md 10.2): a list of dicts (name, pe,
    dot_n, align_bits, acc, round; None where the preset sets nothing)."""
    return _core.pe_presets()


_PRESETS = {p["name"]: p for p in _core.pe_presets()}


def _resolve_pe(preset, pe, dot_n, align_bits, acc, round):
    """Apply a preset: it sets what it names; a keyword that contradicts it is
    a ValueError (as `fp8sa gemm --preset`). Returns pe, dot_n, align_bits,
    acc, round, with None for what neither gives."""
    if preset is None:
        return pe, dot_n, align_bits, acc, round
    name = _name(preset, "preset")
    if name not in _PRESETS:
        raise ValueError(f"bad preset '{preset}': expected " + ", ".join(_PRESETS))
    p = _PRESETS[name]
    out = []
    for key, given in (("pe", pe), ("dot_n", dot_n), ("align_bits", align_bits), ("acc", acc), ("round", round)):
        want = p[key]
        if given is not None and want is not None:
            g = given.lower() if isinstance(given, str) else given
            if key == "round" and g == "rtz":
                g = "rz"
            if g != want:
                raise ValueError(f"{key}={given!r} contradicts preset={name!r} ({want}); give one of them")
        out.append(given if want is None else want)
    return tuple(out)


# The array's keywords: one per field of the one list (C++
# cmodel/include/fp8sa/array_fields.hpp, as _core.array_fields()): name,
# kind, default, range or choices, one-line doc.
ARRAY_FIELDS = tuple(_core.array_fields())
_ARRAY = {f["name"]: f for f in ARRAY_FIELDS}


def array_fields():
    """The array's parameters, one dict per field (name: the keyword of gemm;
    kind: int, hex, format or enum; default, lo, hi, choices, doc)."""
    return [dict(f) for f in ARRAY_FIELDS]


def _array_keywords(kw, what="gemm"):
    """The array keywords given, checked by the list's kind and range."""
    out = {}
    for k, v in kw.items():
        f = _ARRAY.get(k)
        if f is None:
            raise TypeError(f"{what}() got an unexpected keyword argument '{k}' (array keywords: {', '.join(_ARRAY)})")
        if v is None:
            continue  # None: the default (or the rtl:NAME array's)
        if f["kind"] in ("int", "hex"):
            out[k] = _int(v, k, f["lo"], f["hi"])
        elif f["kind"] == "enum":
            out[k] = _choice(v, k, tuple(f["choices"]))
        else:
            out[k] = _acc_name(v, k)
    if out.get("promote") == 1:
        raise ValueError("promote 1: the promotion interval is 0 (off) or in [2, 65535]")
    return out


def _gemm_doc():
    lines = [f"    {f['name']}: {f['doc']} (default {f['default']})" for f in ARRAY_FIELDS]
    return "\n".join(lines)


def gemm(a, b, c=None, fmt_a="e4m3", fmt_b="e4m3", round=None, out_fmt="fp32", out_round="rne", sat=False,
         scale=0, backend="functional", threads=0, preset=None, **array):
    """C = A x B (+ c) on the array (docs/array.md "GEMM tiling"), returning
    GemmResult (values, tile_flags).

    a (M x K), b (K x N): uint8 FP8 codes in fmt_a / fmt_b, or float values
    (quantized to the format with RNE, saturating, as `fp8sa gemm` does).
    c: initial accumulators: float32 (the result word is binary32: e8m23, or
    any acc with promotion, or the dot and exact PEs) or uint32 init words;
    None for zeros. round: the accumulator's rounding "rne", "rz", "sr".
    out_fmt: "fp32" (the raw accumulator word) or a quantizer format
    ("e4m3", "e5m2", "fp16", "bf16") with out_round, sat and scale (the
    output is round(acc * 2**scale)).
    preset: "h100-fp8", "ada-fp8", "b200-fp8", "exact" or "fma" sets the PE
    (and for the first three acc and round); contradicting keywords raise.
    backend: "functional", "cycle", "rtl:NAME" (in-tree builds only), "rtl",
    or "board:sim" / "board:sim:NAME" (in-tree builds only): the simulated
    FPGA board (sim_boards()) through its UART link, with the board's array.
    values: float32 (exact decode of the output words); tile_flags: uint8,
    ceil(M/rows) x ceil(N/cols), the flags of each output tile.

    The array, one keyword per parameter (array_fields(); rtl:NAME takes its
    own, and a keyword given must agree with it):
    """
    fmt_a = _choice(fmt_a, "fmt_a", _FP8)
    fmt_b = _choice(fmt_b, "fmt_b", _FP8)
    given = _array_keywords(array)
    # The PE (docs/numerics.md section 10): a preset sets what it names.
    pe, dot_n, align_bits, acc, round = _resolve_pe(preset, given.get("pe"), given.get("dot_n"),
                                                    given.get("align_bits"), given.get("acc"), round)
    for k, v in (("pe", pe), ("dot_n", dot_n), ("align_bits", align_bits), ("acc", acc)):
        if v is not None:
            given[k] = _array_keywords({k: v})[k]
    round = "rne" if round is None else round
    rnd = _choice(round, "round", _ROUNDS)
    out_fmt = _choice(out_fmt, "out_fmt", ("fp32",) + tuple(_TABLE))
    out_round = _choice(out_round, "out_round", _ROUNDS)
    sat = _bool(sat, "sat")
    scale = _int(scale, "scale", -64, 63)
    threads = _int(threads, "threads", 0, 4096)
    backend = _name(backend, "backend")
    if out_fmt == "fp32" and (out_round != "rne" or sat or scale != 0):
        raise ValueError("out_round, sat and scale apply to quantized outputs only (out_fmt e4m3|e5m2|fp16|bf16); "
                         "out_fmt fp32 is the raw accumulator word")
    # Shapes and sizes before any quantization (a float K of 2^27 is refused at once).
    a_arr, b_arr = _array(a, "gemm: a"), _array(b, "gemm: b")
    if a_arr.ndim != 2 or b_arr.ndim != 2:
        raise ValueError(f"gemm: a and b must be 2-D (a is {a_arr.ndim}-D, b is {b_arr.ndim}-D)")
    (m, k), (k2, n) = a_arr.shape, b_arr.shape
    if k != k2:
        raise ValueError(f"gemm: shape mismatch: a is {m} x {k}, b is {k2} x {n} (a's columns must equal b's rows)")
    if m < 1 or n < 1 or k < 1:
        raise ValueError(f"gemm: empty matrix: M = {m}, K = {k}, N = {n} (the array needs each >= 1)")
    if k > 65535:
        raise ValueError(f"gemm: K = {k} is too large (at most 65535: one command per tile)")
    if m * n > (1 << 28):
        raise ValueError(f"gemm: {m} x {n} outputs is too large (at most 2^28, 1 GiB of accumulator words)")
    # The array's init word: rtl:NAME brings its own parameters, the keywords given win.
    eff = {f["name"]: f["default"] for f in ARRAY_FIELDS}
    named = _rtl_config(backend) or {}
    eff.update({k: v for k, v in named.items() if k in eff})
    if "out_quant" in named:  # a board: what its array was built without (INFO), in this API's words
        if out_fmt != "fp32" and not named["out_quant"]:
            raise ValueError(f"out_fmt {out_fmt}: the board's array ({backend}) has no quantizer bank "
                             "(use out_fmt='fp32')")
        if {"rne": 0, "rz": 1, "rtz": 1, "sr": 2}[rnd] >= named["rnd_modes"]:
            raise ValueError(f"round {rnd}: the board's PEs ({backend}) were built without it "
                             f"(RND_MODES {named['rnd_modes']})")
    eff.update(given)
    if "align_bits" in given and eff["pe"] != "dot":
        raise ValueError(f"align_bits applies to pe='dot' only (the {eff['pe']} PE has no alignment window)")
    # C holds init words: binary32 for the dot and exact PEs and with
    # promotion (docs/numerics.md section 10, "Words").
    init_fmt = "e8m23" if (eff["promote"] or eff["pe"] != "fma") else eff["acc"]
    A = _operand(a_arr, fmt_a, "a")
    B = _operand(b_arr, fmt_b, "b")
    C = None if c is None else _c_words(c, init_fmt)
    words, tflags, info = _core.gemm(A, B, C, fmt_a, fmt_b, rnd, out_fmt, out_round, sat, scale, given, backend,
                                     threads)
    if out_fmt == "fp32" and info["result_fmt"] == "e8m23":
        # binary32 words are their own float32 values: one copy, not a
        # float64 decode and a narrowing (a third of the time of a 1024^3
        # call at 16x16); NaN words stay NaN.
        values = words.view(_np.float32).copy()
    elif out_fmt == "fp32":
        # accumulator words: acc e4m3's are eXmY (Inf, NaN), not OCP E4M3 codes
        values = _core.decode(words, info["result_fmt"], True).astype(_np.float32)
    else:
        values = _core.decode(words, out_fmt).astype(_np.float32)
    return GemmResult(values, tflags, words, info)


gemm.__doc__ += _gemm_doc() + "\n"

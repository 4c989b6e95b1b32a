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

__all__ = ["gemm", "quantize", "encode", "decode", "fake_quantize", "formats", "rtl_configs", "has_rtl", "pe_presets",
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


def flag_names(flags):
    """'inexact|overflow' for a flag byte."""
    names = [n for b, n in ((FLAG_INEXACT, "inexact"), (FLAG_UNDERFLOW, "underflow"),
                            (FLAG_OVERFLOW, "overflow"), (FLAG_INVALID, "invalid")) if int(flags) & b]
    return "|".join(names) if names else "none"


def _name(s, what):
    if not isinstance(s, str):
        raise ValueError(f"{what}: expected a format name (str), got {type(s).__name__}")
    return s.lower()


def _words(x, acc):
    """Accumulator words of x: float32 values (e8m23 only) or uint32 words."""
    x = _np.asarray(x)
    if x.dtype == _np.uint32:
        return _np.ascontiguousarray(x)
    if acc != "e8m23":
        raise ValueError(f"{acc} input must be uint32 accumulator words (float values are binary32: e8m23)")
    if x.dtype.kind not in "fiub":
        raise ValueError(f"expected a float32 array or uint32 words, got dtype {x.dtype}")
    return _np.ascontiguousarray(x, dtype=_np.float32).view(_np.uint32)


def quantize(x, fmt="e4m3", round="rne", sat=False, seed=1, scale=0, acc="e8m23", sr_bits=16,
             return_flags=False, sr_kind="mid", rand=None):
    """The array's quantizer over every element of x (docs/numerics.md section 6).

    x: float32 values (acc "e8m23"), or uint32 accumulator words of `acc`.
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
    fmt = _name(fmt, "fmt")
    acc = _name(acc, "acc")
    w = _words(x, acc)
    r = None
    if rand is not None:
        r = _np.asarray(rand)
        if r.dtype.kind not in "ui" or (r.size and r.dtype.kind == "i" and r.min() < 0):
            raise ValueError(f"quantize: rand must be non-negative integer random words, got dtype {r.dtype}")
        r = _np.ascontiguousarray(r, dtype=_np.uint32)
    codes, flags = _core.quantize(w, fmt, _name(round, "round"), bool(sat), int(seed), int(scale), acc, int(sr_bits),
                                  _name(sr_kind, "sr_kind"), r)
    if fmt in _TABLE and _TABLE[fmt]["width"] == 8:
        codes = codes.astype(_np.uint8)
    return (codes, flags) if return_flags else codes


def encode(x, fmt="e4m3", sat=False):
    """Codes of x in fmt with round-to-nearest-even (exact for representable values)."""
    return quantize(x, fmt, "rne", sat)


def decode(codes, fmt="e4m3"):
    """Values of codes as float32 (exact: every FP8, FP16, BF16 value and
    every accumulator word eXmY is a binary32 value). fmt: a table format or
    an accumulator format "eXmY" (uint32 words)."""
    c = _np.ascontiguousarray(codes)
    if c.dtype.kind not in "ui":
        raise ValueError(f"decode: codes must be unsigned integers, got dtype {c.dtype}")
    if c.dtype.kind == "i" and c.size and c.min() < 0:
        raise ValueError("decode: negative code")
    return _core.decode(c.astype(_np.uint32), _name(fmt, "fmt")).astype(_np.float32)


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
    x = _np.asarray(x)
    if x.dtype == _np.uint8:
        return _np.ascontiguousarray(x)
    if x.dtype.kind not in "fiub":
        raise ValueError(f"gemm: {what} must be uint8 FP8 codes or float values, got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"gemm: {what} must be 2-D, has {x.ndim} dimensions")
    # As `fp8sa gemm` does with a float32 .npy: RNE, saturating.
    return quantize(x.astype(_np.float32), fmt, "rne", True)


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


def gemm(a, b, c=None, fmt_a="e4m3", fmt_b="e4m3", acc=None, round=None, out_fmt="fp32", out_round="rne",
         sat=False, scale=0, seed=None, rows=None, cols=None, backend="functional", threads=0, sr_bits=16,
         q_sr_bits=16, lfsr_w=32, mul_stages=0, q_stages=0, pe=None, dot_n=None, align_bits=None,
         sr_kind="mid", promote=0, preset=None):
    """C = A x B (+ c) on the array (docs/array.md "GEMM tiling"), returning
    GemmResult (values, tile_flags).

    a (M x K), b (K x N): uint8 FP8 codes in fmt_a / fmt_b, or float values
    (quantized to the format with RNE, saturating, as `fp8sa gemm` does).
    c: initial accumulators (float32 for e8m23, or uint32 words), or None.
    acc: accumulator format "eXmY" (default e8m23, or the rtl:NAME array's); round: its rounding "rne", "rz", "sr".
    out_fmt: "fp32" (the raw accumulator word) or a quantizer format
    ("e4m3", "e5m2", "fp16", "bf16") with out_round, sat and scale (the
    output is round(acc * 2**scale)).
    seed, rows, cols: the array (defaults 1, 8, 8; rtl:NAME takes its own).
    sr_bits, q_sr_bits, lfsr_w, mul_stages, q_stages: the array's other
    parameters (SR_BITS, Q_SR_BITS, LFSR_W, MUL_STAGES, Q_STAGES of
    docs/array.md; the last two change cycles, never bits).
    pe: the PE kind "fma" (default), "dot" or "exact" (docs/numerics.md
    section 10); dot_n: products per step (1, 2, 4, .., 64); align_bits: the
    dot PE's window [1, 48] (default 13); sr_kind: "mid", "trunc", "src";
    promote: 0 or the promotion interval N (a multiple of dot_n).
    preset: "h100-fp8", "ada-fp8", "b200-fp8", "exact" or "fma" sets the PE
    (and for the first three acc and round); contradicting keywords raise.
    backend: "functional", "cycle", "rtl:NAME" (in-tree builds only), "rtl".
    values: float32 (exact decode of the output words); tile_flags: uint8,
    ceil(M/rows) x ceil(N/cols), the flags of each output tile.
    """
    fmt_a = _name(fmt_a, "fmt_a")
    fmt_b = _name(fmt_b, "fmt_b")
    for key, v in (("dot_n", dot_n), ("align_bits", align_bits), ("promote", promote)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, _np.integer))):
            raise ValueError(f"{key}: expected an integer, got {type(v).__name__} {v!r}")
    pe_given = any(v is not None for v in (pe, dot_n, align_bits, preset)) or sr_kind != "mid" or promote != 0
    pe, dot_n, align_bits, acc, round = _resolve_pe(preset, pe, dot_n, align_bits, acc, round)
    pe = "fma" if pe is None else _name(pe, "pe")
    if align_bits is not None and pe != "dot":
        raise ValueError(f"align_bits applies to pe='dot' only (the {pe} PE has no alignment window)")
    dot_n = 1 if dot_n is None else int(dot_n)
    align_bits = 13 if align_bits is None else int(align_bits)
    round = "rne" if round is None else round
    acc_given = acc is not None
    acc = "e8m23" if acc is None else _name(acc, "acc")
    out_fmt = _name(out_fmt, "out_fmt")
    if out_fmt == "fp32" and (out_round.lower() != "rne" or sat or scale != 0):
        raise ValueError("out_round, sat and scale apply to quantized outputs only (out_fmt e4m3|e5m2|fp16|bf16); "
                         "out_fmt fp32 is the raw accumulator word")
    A = _operand(a, fmt_a, "a")
    B = _operand(b, fmt_b, "b")
    # The init words are binary32 for the dot and exact PEs and with promotion
    # (docs/numerics.md section 10, "Words").
    init = "e8m23" if (pe != "fma" or int(promote) > 0) else acc
    C = None if c is None else _words(c, init)
    words, tflags, info = _core.gemm(A, B, C, fmt_a, fmt_b, acc, _name(round, "round"), out_fmt,
                                     _name(out_round, "out_round"), bool(sat), int(scale), seed, rows, cols,
                                     acc_given, _name(backend, "backend"), int(threads),
                                     int(sr_bits), int(q_sr_bits), int(lfsr_w), int(mul_stages), int(q_stages),
                                     pe, dot_n, align_bits, _name(sr_kind, "sr_kind"), int(promote), pe_given)
    if out_fmt == "fp32":
        values = _core.decode(words, info["result"]).astype(_np.float32)
    else:
        values = _core.decode(words, out_fmt).astype(_np.float32)
    return GemmResult(values, tflags, words, info)

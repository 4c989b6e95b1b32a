"""fp8sa.explore: the accumulator-width exploration (fp8sa explore) from Python.

    import fp8sa.explore as fx
    rows = fx.run("docs/explore/sweep.conf", threads=2, cache="build/explore-cache")
    rows = fx.run(points=[{"acc": "e8m13", "round": "rz", "promote": [0, 128], "k": 4096, "data": "uniform"}])
    cols = fx.run(points=[{"acc": "e8m10"}], as_numpy=True)   # column name -> numpy array
    fx.models()                                                # the model registry

The same library as the command (explore/, docs/exploration.md): the same
sweep keys and values, the same points, the same statistics, the same cache.
A row has the CSV's columns (fp8sa explore --csv): a field the point's model
does not read is None (the CSV's "-"); the statistics are full doubles (the
CSV prints 6 significant digits). Rows come in the command's order (points
grouped by their operands). Bad sweeps and points raise ValueError with the
command's message.
"""
import os as _os

import numpy as _np

from . import _core

_x = _core._explore

__all__ = ["run", "plan", "models", "to_numpy", "exact_dots", "reference_gemm", "COLUMNS", "QUICK_SWEEP"]

COLUMNS = tuple(_x.csv_header().split(","))
QUICK_SWEEP = _x.kQuickSweep()
SWEEP_MAX_BYTES = 1 << 20  # as fp8sa explore --config

_FLOAT = ("mean_rel", "rms_rel", "max_rel", "bias", "bias_se", "rms_norm", "max_norm", "seconds")
_INT = ("sr_bits", "promote", "k", "trials", "seed", "zero_exact", "nonfinite", "macs", "dot_n", "align_bits")
_KEYS = ("model", "acc", "round", "sr_bits", "promote", "k", "operands", "data", "trials", "seed", "pe", "dot_n",
         "align_bits", "sr_kind")


def models():
    """The model registry: name -> description (fp8sa is the array's bits; the others are comparison models)."""
    return {m["name"]: m["description"] for m in _x.models()}


def _value(key, v):
    items = list(v) if isinstance(v, (list, tuple, range)) else [v]
    if not items:
        raise ValueError("points: key '%s' has no value" % key)
    out = []
    for it in items:
        s = str(it)
        if any(c in s for c in "\n\r,#"):  # a line break, a list separator or a comment
            raise ValueError("points: key '%s': value %r holds a character a sweep value cannot (newline, ',' or '#')"
                             % (key, it))
        out.append(s)
    return ", ".join(out)


def _points_text(p):
    if not isinstance(p, dict):
        raise ValueError("points: expected dicts of sweep keys, got %s" % type(p).__name__)
    lines = ["[sweep point]"]
    for key, v in p.items():
        if key not in _KEYS:
            raise ValueError("points: unknown key %r (expected one of %s)" % (key, ", ".join(_KEYS)))
        lines.append("%s = %s" % (key, _value(key, v)))
    return "\n".join(lines) + "\n"


def _threads(threads):
    return int(threads) if threads is not None else max(1, _os.cpu_count() or 1)


def plan(sweep=None, points=None, *, threads=None, max_points=100000, max_memory_mib=4096):
    """The points of a sweep file (a path) or of a list of point dicts (sweep keys; a list value is swept), as
    fp8sa explore plans them: validated, duplicates removed. Returns opaque points (.key, .as_dict())."""
    if (sweep is None) == (points is None):
        raise ValueError("give exactly one of sweep (a sweep file) and points (a list of dicts)")
    t = _threads(threads)
    if sweep is not None:
        path = _os.fspath(sweep)
        try:
            with open(path, "rb") as f:
                data = f.read(SWEEP_MAX_BYTES + 1)
        except OSError as e:
            raise ValueError("cannot read sweep file '%s': %s" % (path, e.strerror or e)) from None
        if len(data) > SWEEP_MAX_BYTES:
            raise ValueError("sweep file '%s' is over the limit of %d bytes" % (path, SWEEP_MAX_BYTES))
        return _x.plan(data.decode("utf-8", errors="replace"), path, max_points, max_memory_mib, t)
    if isinstance(points, dict):
        points = [points]
    out, seen = [], set()
    for i, p in enumerate(points):
        for pt in _x.plan(_points_text(p), "points[%d]" % i, max_points, max_memory_mib, t):
            if pt.key not in seen:
                seen.add(pt.key)
                out.append(pt)
        if len(out) > max_points:
            raise ValueError("points: %d points, over the limit of %d (max_points)" % (len(out), max_points))
    return out


def run(sweep=None, points=None, *, threads=None, cache=None, as_numpy=False, max_points=100000,
        max_memory_mib=4096):
    """Runs a sweep file or a list of point dicts (see plan) on `threads` threads (default: all cores), with the
    per-point cache folder `cache` (shared with fp8sa explore --cache). Returns a list of row dicts (the CSV's
    columns), or with as_numpy=True a dict column name -> numpy array (to_numpy)."""
    pts = plan(sweep, points, threads=threads, max_points=max_points, max_memory_mib=max_memory_mib)
    rows = _x.run(pts, _threads(threads), "" if cache is None else _os.fspath(cache))
    return to_numpy(rows) if as_numpy else rows


def to_numpy(rows):
    """Rows as columns: float64 statistics, int64 counts (-1 where the row has None), str text (None -> "-")."""
    out = {}
    for c in COLUMNS:
        vals = [r[c] for r in rows]
        if c in _FLOAT:
            out[c] = _np.array([_np.nan if v is None else v for v in vals], dtype=_np.float64)
        elif c in _INT:
            out[c] = _np.array([-1 if v is None else v for v in vals], dtype=_np.uint64 if c in ("seed", "macs")
                               and any(v is not None and v >= 1 << 63 for v in vals) else _np.int64)
        else:
            out[c] = _np.array(["-" if v is None else v for v in vals], dtype=str)
    return out


def exact_dots(a, b, fmt_a="e4m3", fmt_b="e4m3"):
    """The exact dot products of FP8 codes a (M x K, uint8) and b (K x N), K <= 65535, as the explore reference
    computes them (a 128-bit fixed-point sum): (exact, sum of |a_i b_i|), each M x N float64, the double nearest
    the exact value."""
    return _x.exact_dots(a, b, fmt_a, fmt_b)


def reference_gemm(a, b):
    """a @ b in float64, every output summed in k order (the reference fp8sa gemm checks against)."""
    return _x.reference_gemm(a, b)

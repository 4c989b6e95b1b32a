"""The array's keywords come from the one field list (C++
cmodel/include/fp8sa/array_fields.hpp, as fp8sa.array_fields()): for every
field (so a field added to the list is tested here with no edit), fp8sa.gemm
takes its keyword and runs the array with that value, refuses a value out of
its range naming it, the info dict reports it, and an rtl:NAME configuration
refuses a keyword that contradicts it. The C++ side:
tests/unit/test_array_fields.cpp."""
import numpy as np
import pytest

import fp8sa

FIELDS = fp8sa.array_fields()
NAMES = [f["name"] for f in FIELDS]
rtl = pytest.mark.skipif(not fp8sa.has_rtl(), reason="this build has no Verilated RTL (pip install)")


def value(f, text):
    """A keyword value of the field's kind from the list's text."""
    return int(text, 0) if f["kind"] in ("int", "hex") else text


def keywords(f):
    """The dot PE (under which every field applies) with f at its example."""
    kw = {} if f["name"] == "pe" else {"pe": "dot"}
    kw[f["name"]] = value(f, f["example"])
    return kw


def operands():
    rng = np.random.default_rng(19)
    a = rng.integers(0, 0x78, (5, 9), dtype=np.uint8)
    b = rng.integers(0, 0x78, (9, 7), dtype=np.uint8)
    return a, b


def test_the_list_has_the_known_fields_and_promotion():
    for n in ("rows", "cols", "acc", "seed", "promote", "pe", "dot_n", "align_bits", "sr_kind", "sr_bits",
              "q_sr_bits", "lfsr_w", "mul_stages", "q_stages"):
        assert n in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_keyword_reaches_the_array(name):
    f = {g["name"]: g for g in FIELDS}[name]
    a, b = operands()
    kw = keywords(f)
    r = fp8sa.gemm(a, b, backend="cycle", **kw)
    for k, v in kw.items():
        assert r.info[k] == v, (k, r.info[k], v)
    # The functional model runs the same array: the same bits.
    s = fp8sa.gemm(a, b, backend="functional", **kw)
    assert np.array_equal(r.words, s.words)
    # gemm_f32 (fp8sa.torch's fused path) takes the same keywords.
    v, _ = fp8sa._core.gemm_f32(a, b, "e4m3", "e4m3", "rne", "fp32", "rne", False, 0, kw, 0)
    assert v.shape == (5, 7)


@pytest.mark.parametrize("name", NAMES)
def test_every_keyword_out_of_range_is_refused_naming_it(name):
    f = {g["name"]: g for g in FIELDS}[name]
    a, b = operands()
    kw = {} if name == "pe" else {"pe": "dot"}
    if f["kind"] in ("int", "hex"):
        bad = f["hi"] + 1
    elif f["kind"] == "enum":
        bad = "no-such-" + name
    else:
        bad = "e9m23"
    kw[name] = bad
    with pytest.raises(ValueError, match=name):
        fp8sa.gemm(a, b, backend="functional", **kw)
    with pytest.raises(TypeError, match="unexpected keyword"):
        fp8sa.gemm(a, b, no_such_keyword=1)


@rtl
@pytest.mark.parametrize("name", NAMES)
def test_rtl_config_refuses_a_contradicting_keyword(name):
    f = {g["name"]: g for g in FIELDS}[name]
    cfg = {c["name"]: c for c in fp8sa.rtl_configs()}["d4x4_n4"]  # a dot PE: every keyword applies
    v = value(f, f["example"])
    if cfg[name] == v:
        v = value(f, f["default"]) if not isinstance(f["default"], int) else f["default"]
    assert cfg[name] != v
    a, b = operands()
    with pytest.raises(ValueError, match=name):
        fp8sa.gemm(a, b, backend="rtl:d4x4_n4", **{name: v})
    # The same value as the configuration's is accepted.
    r = fp8sa.gemm(a, b, backend="rtl:d4x4_n4", **{name: cfg[name]})
    assert r.info[name] == cfg[name]

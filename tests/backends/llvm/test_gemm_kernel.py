"""The GEMM generator (``kgraph.backends.llvm.kernels.gemm``) against NumPy.

Every compiled test function has the signature
``void f(a, b, out, bias, start, stop)`` (or ``f(a, b, out, bias)`` without a
row range): the optional epilogue adds ``bias[col] + 0.5 * row`` and applies
relu, which checks the row and column the generator hands it. Compiled
functions are cached by shape and variant, so examples that repeat a shape
cost no compile.
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from llvmlite import ir

from kgraph.backends.llvm import jit
from kgraph.backends.llvm.kernels import emit_gemm
from kgraph.backends.llvm.kernels import gemm
from kgraph.ops.lowering import I32
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Emitter
from kgraph.testing import native
from kgraph.testing.strategies import examples

_WITH_ROWS = ctypes.CFUNCTYPE(
    None, *[ctypes.c_void_p] * 4, ctypes.c_int64, ctypes.c_int64
)
_WITHOUT_ROWS = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 4)
# Schedules besides the host's default: tiny k blocks (partial sums go
# through ``out``, the epilogue runs once at the end), forced packing or
# not, dot products along k (where a plain a and a transposed b allow them;
# 5 x 3 tiles), and the AVX2 / SSE plans (narrower vectors; they run here
# too); "overlap", each tile's epilogue run during the next tile's k loop;
# "prefetch", packing prefetches the next panel's rows (for any size); and
# "ahead", op(b) packed whole first (emit_pack), the product reading that.
_VARIANTS = (
    "default",
    "kc16",
    "pack",
    "nopack",
    "dot",
    "avx2",
    "sse",
    "overlap",
    "stream",
    "prefetch",
    "ahead",
)


def _bias_relu(em: Emitter, extras: list) -> gemm.Epilogue:
    """``relu(values + bias[col:col+w] + 0.5 * row)``."""
    (bias,) = extras
    builder = em.builder

    def epilogue(values: ir.Value, row: ir.Value, col: ir.Value) -> ir.Value:
        kind = values.type
        element = kind.element if isinstance(kind, ir.VectorType) else kind
        ptr = builder.gep(bias, [col], inbounds=True, source_etype=element)
        offset = builder.fmul(builder.sitofp(row, element), ir.Constant(element, 0.5))
        if isinstance(kind, ir.VectorType):
            single = builder.insert_element(
                ir.Constant(kind, ir.Undefined), offset, ir.Constant(I32, 0)
            )
            mask = ir.Constant(ir.VectorType(I32, kind.count), [0] * kind.count)
            offset = builder.shuffle_vector(
                single, ir.Constant(kind, ir.Undefined), mask
            )
        total = builder.fadd(values, builder.load(ptr, typ=kind, align=4))
        total = builder.fadd(total, offset)
        zero = ir.Constant(kind, None)
        return builder.select(builder.fcmp_ordered(">", total, zero), total, zero)

    return epilogue


def _plan(variant: str, m, n, k, ta, tb, dtype) -> gemm.GemmPlan | None:
    if variant in ("default", "overlap"):
        return None
    if variant in ("avx2", "sse"):
        return gemm.choose_plan(m, n, k, ta, tb, dtype, 32 if variant == "avx2" else 16)
    base = gemm.choose_plan(m, n, k, ta, tb, dtype)
    if variant == "stream":
        return gemm.choose_plan(m, n, k, ta, tb, dtype, stream=True)
    if variant == "kc16":
        return replace(base, kc=16, pack_b=True, unroll=3)
    if variant == "dot":
        return replace(base, dot=True, mr=5, nr=3)
    if variant == "prefetch":
        return replace(base, pack_b=True, prefetch=not base.dot)
    if variant == "noprefetch":
        return replace(base, prefetch=False)
    if variant == "ahead":
        return replace(base, dot=False)
    return replace(base, pack_b=variant == "pack")


def _new_function(name: str, arguments: list) -> tuple:
    """A module with one ``void f(...)`` and an emitter at its entry."""
    module = ir.Module(name=name)
    function = ir.Function(module, ir.FunctionType(ir.VoidType(), arguments), "f")
    em = Emitter(ir.IRBuilder(function.append_basic_block("entry")))
    return module, function, em


@functools.cache
def _compiled(m, n, k, ta, tb, rows, epilogue, variant="default", dtype="float32"):
    module = ir.Module(name="gemm_test")
    function = ir.Function(
        module,
        ir.FunctionType(ir.VoidType(), [PTR] * 4 + [ir.IntType(64)] * (2 * rows)),
        "f",
    )
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    em = Emitter(builder)
    a, b, out, bias = function.args[:4]
    span = tuple(function.args[4:]) if rows else None
    callback = _bias_relu(em, [bias]) if epilogue else None
    plan = _plan(variant, m, n, k, ta, tb, dtype)
    overlap = variant == "overlap"
    packed = None
    if variant == "ahead":
        elements = gemm.packed_elements(plan, n, k)
        region = gemm._stack_buffer(em, max(elements, 1) * np.dtype(dtype).itemsize)
        gemm.emit_pack(em, b, region, n, k, tb, plan, dtype)
        packed = gemm.PackedB(region, k)
    emit_gemm(
        em,
        a,
        b,
        out,
        m,
        n,
        k,
        ta,
        tb,
        dtype,
        span,
        callback,
        overlap,
        plan=plan,
        packed_b=packed,
    )
    builder.ret_void()
    library = jit.compile_ir(str(module))
    kind = _WITH_ROWS if rows else _WITHOUT_ROWS
    return library, kind(library.address("f"))


def _reference(a, b, bias, ta, tb, epilogue):
    left = (a.T if ta else a).astype(np.float64)
    right = (b.T if tb else b).astype(np.float64)
    result = left @ right
    if epilogue:
        rows = np.arange(result.shape[0])[:, None]
        result = np.maximum(result + bias.astype(np.float64) + 0.5 * rows, 0.0)
    return result


def _run(m, n, k, ta, tb, epilogue, spans, variant="default", dtype="float32", seed=0):
    """Runs the compiled product over each row range in ``spans`` (``None``:
    the static whole-matrix function) and checks every result."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    expected = _reference(a, b, bias, ta, tb, epilogue)
    tolerance = dict(rtol=1e-5, atol=1e-5 * np.sqrt(max(k, 1)))
    if dtype == "float64":
        tolerance = dict(rtol=1e-12, atol=1e-12 * np.sqrt(max(k, 1)))
    for span in spans:
        _, function = _compiled(
            m, n, k, ta, tb, span is not None, epilogue, variant, dtype
        )
        sentinel = np.array(-7.25, dtype)
        out = np.full((m, n), sentinel, dtype)
        pointers = [x.ctypes.data for x in (a, b, out, bias)]
        if span is None:
            function(*pointers)
            start, stop = 0, m
        else:
            start, stop = span
            function(*pointers, start, stop)
        np.testing.assert_allclose(
            out[start:stop],
            expected[start:stop],
            **tolerance,
            err_msg=f"m={m} n={n} k={k} ta={ta} tb={tb} epi={epilogue} "
            f"rows={span} variant={variant}",
        )
        untouched = np.concatenate([out[:start], out[stop:]])
        assert (untouched == sentinel).all(), f"rows outside {span} were written"


@st.composite
def _cases(draw):
    m = draw(st.integers(1, 70))
    n = draw(st.integers(1, 70))
    k = draw(st.one_of(st.just(0), st.integers(1, 70)))
    ta, tb, epilogue = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    variant = draw(st.sampled_from(_VARIANTS))
    if draw(st.booleans()):
        spans = [None]
    else:
        spans = [(0, m)]
        for _ in range(2):
            start = draw(st.integers(0, m))
            spans.append((start, draw(st.integers(start, m))))
    return m, n, k, ta, tb, epilogue, spans, variant


@settings(max_examples=examples(30))
@given(_cases())
def test_gemm_matches_numpy(case):
    m, n, k, ta, tb, epilogue, spans, variant = case
    _run(m, n, k, ta, tb, epilogue, spans, variant)


@pytest.mark.parametrize(
    ("m", "n", "k", "ta", "tb"),
    [
        (1, 1, 1, False, False),
        (1, 1, 0, True, True),
        (3, 70, 0, False, False),
        (13, 17, 1, True, False),
        (70, 1, 70, False, True),
        (1, 70, 70, True, True),
        (29, 33, 47, False, False),
        (25, 48, 17, True, True),
    ],
)
def test_edge_shapes(m, n, k, ta, tb):
    spans = [None, (0, m), (m // 3, m - m // 4), (m, m)]
    _run(m, n, k, ta, tb, True, spans[:1])
    _run(m, n, k, ta, tb, False, spans[1:])


@pytest.mark.parametrize(
    ("m", "n", "k", "ta", "tb"),
    [
        (32, 128, 784, False, False),
        (784, 40, 32, True, False),
        (32, 50, 600, False, True),
    ],
)
def test_k_blocking_and_packing(m, n, k, ta, tb):
    """Shapes past one k block (partial sums resumed from ``out``) and
    past the packing threshold, with a run-time row range."""
    _run(m, n, k, ta, tb, True, [(5, m - 2)], variant="kc16")
    _run(m, n, k, ta, tb, True, [None])


@pytest.mark.parametrize(
    ("m", "n", "k", "ta", "tb"),
    [(784, 128, 32, True, False), (53, 40, 9, False, False), (30, 70, 3, True, True)],
)
def test_rows_first_with_overlapped_epilogue(m, n, k, ta, tb):
    """All of op(b) packed at once, each row block across every panel, with
    each tile's epilogue finished during the next tile's k loop (and the
    last one after the loop), over whole matrices and row ranges."""
    assert gemm.choose_plan(m, n, k, ta, tb).pack_b
    _run(m, n, k, ta, tb, True, [None, (0, m), (7, m - 5)], variant="overlap")
    _run(m, n, k, ta, tb, True, [None], variant="default")


@pytest.mark.parametrize(
    ("m", "n", "k", "ta", "tb", "overlap"),
    [
        (32, 128, 784, False, False, False),
        (784, 128, 32, True, False, True),
        (20, 75, 9, False, True, True),
        (6, 40, 0, False, False, False),
        (1, 1000, 300, False, False, False),
    ],
)
def test_panel_ranges(m, n, k, ta, tb, overlap):
    """A column-panel range (how threads share a product whose panels split
    evenly) computes exactly its columns, the tail panel included (a
    streamed product's too)."""
    plan = gemm.choose_plan(m, n, k, ta, tb, stream=True)
    count = gemm.panel_count(plan, n)
    width = plan.nr * plan.width
    module, function, em = _new_function(
        "gemm_panels", [PTR] * 4 + [ir.IntType(64)] * 2
    )
    builder = em.builder
    a, b, out, bias, start, stop = function.args
    callback = _bias_relu(em, [bias])
    emit_gemm(
        em,
        a,
        b,
        out,
        m,
        n,
        k,
        ta,
        tb,
        epilogue=callback,
        overlap=overlap,
        panels=(start, stop),
        plan=plan,
    )
    builder.ret_void()
    library = jit.compile_ir(str(module))
    run = _WITH_ROWS(library.address("f"))
    rng = np.random.default_rng(7)
    left = rng.standard_normal((k, m) if ta else (m, k)).astype("float32")
    right = rng.standard_normal((n, k) if tb else (k, n)).astype("float32")
    offsets = rng.standard_normal(n).astype("float32")
    expected = _reference(left, right, offsets, ta, tb, True)
    for first, last in [(0, count), (0, 1), (count - 1, count), (1, count), (2, 2)]:
        out_array = np.full((m, n), -7.25, "float32")
        arrays = (left, right, out_array, offsets)
        run(*(x.ctypes.data for x in arrays), first, last)
        lo, hi = min(first * width, n), min(last * width, n)
        np.testing.assert_allclose(
            out_array[:, lo:hi], expected[:, lo:hi], rtol=1e-5, atol=1e-4
        )
        outside = np.concatenate([out_array[:, :lo], out_array[:, hi:]], axis=1)
        assert (outside == -7.25).all(), f"columns outside panels {first}..{last}"


@pytest.mark.parametrize(("m", "n", "k"), [(49, 512, 600), (60, 300, 500)])
def test_prefetching_is_a_hint(m, n, k):
    """A packed plain b too big for L2 prefetches the next panel's rows
    while a panel's tiles run; the results are bit for bit those without
    the hint (which reads past the matrix after the last panel)."""
    plan = gemm.choose_plan(m, n, k, False, False)
    assert plan.prefetch and plan.pack_b
    assert not gemm.choose_plan(m, n, k, False, True).prefetch
    assert not gemm.choose_plan(m, 16, 16, False, False).prefetch
    rng = np.random.default_rng(3)
    a = rng.standard_normal((m, k)).astype("float32")
    b = rng.standard_normal((k, n)).astype("float32")
    bias = rng.standard_normal(n).astype("float32")
    results = []
    for variant in ("default", "noprefetch"):
        _, function = _compiled(m, n, k, False, False, False, True, variant)
        out = np.full((m, n), -7.25, "float32")
        function(*(x.ctypes.data for x in (a, b, out, bias)))
        results.append(out)
    np.testing.assert_array_equal(results[0], results[1])
    expected = _reference(a, b, bias, False, False, True)
    np.testing.assert_allclose(results[0], expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("m", "n", "k", "ta", "tb"),
    [
        (50, 37, 700, False, False),  # one tail panel (a masked vector), k blocks
        (49, 150, 100, False, False),  # full panels and a tail
        (20, 70, 33, False, True),  # b transposed, packed all at once
        (13, 5, 600, True, False),  # a transposed, a narrow tail
    ],
)
def test_products_read_b_packed_ahead(m, n, k, ta, tb):
    """``op(b)`` packed whole before the product (as a kernel keeps its
    weights): the product reads the panels there, bit for bit the results
    of packing as it goes, whole and over row ranges."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype("float32")
    b = rng.standard_normal((n, k) if tb else (k, n)).astype("float32")
    bias = rng.standard_normal(n).astype("float32")
    results = []
    for variant in ("pack", "ahead"):
        _, function = _compiled(m, n, k, ta, tb, True, True, variant)
        out = np.full((m, n), -7.25, "float32")
        function(*(x.ctypes.data for x in (a, b, out, bias)), 0, m)
        results.append(out)
    np.testing.assert_array_equal(results[1], results[0])
    expected = _reference(a, b, bias, ta, tb, True)
    np.testing.assert_allclose(results[1], expected, rtol=1e-5, atol=1e-4)
    _run(m, n, k, ta, tb, True, [(3, m - 2)], variant="ahead")


@pytest.mark.parametrize(
    ("m", "n", "k"), [(1, 1000, 300), (2, 300, 700), (3, 77, 2000)]
)
def test_streamed_products(m, n, k):
    """A few rows against a big unpacked op(b) run in short k blocks (the
    partial sums resumed from ``out``) over narrow panels; results match,
    whole and over row ranges."""
    plan = gemm.choose_plan(m, n, k, False, False, stream=True)
    assert not plan.pack_b and plan.kc == gemm._STREAM_KC
    assert plan.nr <= gemm._STREAM_NR and plan.mr >= m
    # Only on request: a convolution's chunks need each product in one k
    # block.
    assert gemm.choose_plan(m, n, k, False, False).kc == k
    _run(m, n, k, False, False, True, [None, (0, m), (m - 1, m)], variant="stream")


def test_epilogue_that_stores_its_results():
    """An epilogue returning ``None`` has stored its own results: ``out`` is
    left alone (one k block)."""
    m, n, k = 37, 40, 12
    module, function, em = _new_function("gemm_side", [PTR] * 4)
    builder = em.builder
    a, b, out, side = function.args

    def epilogue(values: ir.Value, row: ir.Value, col: ir.Value) -> None:
        index = builder.add(builder.mul(row, ir.Constant(row.type, n)), col)
        doubled = builder.fadd(values, values)
        target = builder.gep(side, [index], source_etype=ir.FloatType())
        builder.store(doubled, target, align=4)

    emit_gemm(em, a, b, out, m, n, k, False, False, epilogue=epilogue, overlap=True)
    builder.ret_void()
    library = jit.compile_ir(str(module))
    run = _WITHOUT_ROWS(library.address("f"))
    rng = np.random.default_rng(5)
    left = rng.standard_normal((m, k)).astype("float32")
    right = rng.standard_normal((k, n)).astype("float32")
    out_array = np.full((m, n), -7.25, "float32")
    side_array = np.zeros((m, n), "float32")
    run(*(x.ctypes.data for x in (left, right, out_array, side_array)))
    assert (out_array == -7.25).all()
    np.testing.assert_allclose(side_array, 2 * (left @ right), rtol=1e-5, atol=1e-5)


def test_float64():
    _run(9, 21, 33, False, True, True, [None, (2, 7)], dtype="float64")
    _run(17, 5, 0, True, False, False, [None], dtype="float64")


def test_transpose_network():
    """The in-register transpose used to pack a transposed ``b``."""
    for width in (4, 8, 16):
        _run(width + 3, 2 * width + 1, width + 5, False, True, False, [None])


def test_mnist_shapes_are_vectorized():
    """The 32x784 @ 784x128 kernel issues full-width vector FMAs."""
    vector_bytes = gemm.host_vector_bytes()
    if vector_bytes < 32:
        pytest.skip("the host has neither AVX nor AVX-512")
    register = "zmm" if vector_bytes == 64 else "ymm"
    text = str(native.build_gemm_module(32, 128, 784, False, False))
    assembly = jit.assembly(text)
    fmas = [
        line
        for line in assembly.splitlines()
        if "vfmadd" in line and f"%{register}" in line
    ]
    assert len(fmas) >= 24, "expected an unrolled tile of vector FMAs"
    assert "vfmadd231ss" not in assembly or len(fmas) > 10 * assembly.count(
        "vfmadd231ss"
    )


def test_the_gemm_benchmark_tool_runs():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "tools" / "gemm_bench.py"
    spec = importlib.util.spec_from_file_location("gemm_bench", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    seconds = tool.benchmark(8, 8, 8, False, True, repeats=1)
    assert 0 < seconds < 0.1
    assert tool.gflops(8, 8, 8, seconds) > 0


def test_two_products_in_one_function():
    """GEMMs emitted one after another share the packing scratch and the
    out-of-line transposes."""
    m, n, k = 40, 37, 29
    module, function, em = _new_function("gemm_pair", [PTR] * 4)
    builder = em.builder
    a, b, first, second = function.args
    emit_gemm(em, a, b, first, m, n, k, False, True)
    emit_gemm(em, b, a, second, n, m, k, False, True)
    builder.ret_void()
    library = jit.compile_ir(str(module))
    run = _WITHOUT_ROWS(library.address("f"))
    rng = np.random.default_rng(3)
    left = rng.standard_normal((m, k)).astype(np.float32)
    right = rng.standard_normal((n, k)).astype(np.float32)
    outs = np.zeros((m, n), np.float32), np.zeros((n, m), np.float32)
    run(left.ctypes.data, right.ctypes.data, outs[0].ctypes.data, outs[1].ctypes.data)
    expected = left.astype(np.float64) @ right.T.astype(np.float64)
    tolerance = dict(rtol=1e-5, atol=1e-5 * np.sqrt(k))
    np.testing.assert_allclose(outs[0], expected, **tolerance)
    np.testing.assert_allclose(outs[1], expected.T, **tolerance)

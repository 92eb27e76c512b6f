"""The native convolution (im2col into stack blocks + GEMM) equals the ops'
own direct loop nests and the interpreter, over shapes that take several
blocks, a shorter last block, strides, dilation, padding and both dtypes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from kgraph import dtypes
from kgraph.backends import interpreter
from kgraph.backends.llvm import codegen
from kgraph.backends.llvm.kernels import conv as conv_kernel
from kgraph.backends.llvm.kernels import winograd
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import sources
from kgraph.ops.convolution import explicit_padding
from kgraph.testing import native
from kgraph.testing.strategies import example_arrays
from kgraph.testing.strategies import examples

# input shape, kernel shape, strides, padding, dilation
GEOMETRIES = [
    # 2 704 patch rows of 9: a full block of 1 812 rows and a shorter one.
    ((4, 28, 28, 1), (3, 3, 1, 8), (1, 1), "valid", (1, 1)),
    # 360-element patches: 45 rows per block, many blocks; the kernel
    # gradient packs the cotangent and must keep one k block per GEMM.
    ((3, 9, 8, 40), (3, 3, 40, 20), (1, 1), "same", (1, 1)),
    ((2, 17, 19, 5), (3, 2, 5, 7), (2, 3), "same", (1, 1)),
    ((2, 15, 13, 3), (3, 3, 3, 33), (1, 1), "valid", (2, 3)),
    ((3, 40, 6), (5, 6, 17), (1,), "causal", (2,)),
    ((2, 5, 6, 7, 2), (2, 3, 2, 2, 5), (1, 2, 1), "same", (1, 1, 1)),
    # 1x1, stride 1: each patch is one input position.
    ((3, 7, 9, 24), (1, 1, 24, 40), (1, 1), "valid", (1, 1)),
    # One image, 1200-element patches and a 307 KB kernel: deep chunks of
    # 49 rows, each no longer than one k block of its GEMM (the
    # accumulating epilogue sees the chunk's whole sum).
    ((1, 7, 7, 48), (5, 5, 48, 64), (1, 1), "same", (1, 1)),
    # One image's 2x2 map, 3456-element patches and a 1.3 MB kernel: four
    # rows against an unpacked kernel, whose chunks' products must each
    # stay one k block (no streamed plan).
    ((1, 2, 2, 384), (3, 3, 384, 96), (1, 1), "same", (1, 1)),
]


def _graph(op, arrays, attrs, prepared=False):
    # With ``prepared`` the kernel is a parameter: a compiled step keeping
    # prepared state packs it once and keeps it.
    graph = Graph(name=op)
    roles = ["data", "parameter" if prepared else "data", "data"]
    inputs = [
        sources.placeholder(graph, f"x{i}", a.shape, dtypes.canonical(a.dtype), role)
        for (i, a), role in zip(enumerate(arrays), roles, strict=False)
    ]
    graph.set_output("y", builder.emit(graph, op, [t.node_id for t in inputs], attrs))
    return graph


def _cases(shape, kernel, strides, padding, dilation, dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    w = rng.normal(size=kernel).astype(dtype)
    rank = len(strides)
    pairs = explicit_padding(padding, shape[1:-1], kernel[:rank], strides, dilation)
    attrs = {"strides": strides, "padding": pairs, "dilation": dilation}
    b = rng.normal(size=kernel[-1:]).astype(dtype)
    y = builder.evaluate("conv", [x, w], attrs)
    g = rng.normal(size=y.shape).astype(dtype)
    kernel_attrs = {**attrs, "kernel_size": kernel[:rank]}
    return [
        ("conv", [x, w], attrs),
        ("conv", [x, w, b], attrs),
        ("conv_kernel_grad", [x, g], kernel_attrs),
    ]


def _run(graph, feeds):
    return native.run_graph(native.compile_graph(graph), feeds)["y"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("shape", "kernel", "strides", "padding", "dilation"), GEOMETRIES
)
def test_native_conv_equals_direct_loops_and_interpreter(
    shape, kernel, strides, padding, dilation, dtype, monkeypatch
):
    rtol, atol = {"float32": (2e-5, 2e-5), "float64": (1e-12, 1e-12)}[dtype]
    for op, arrays, attrs in _cases(shape, kernel, strides, padding, dilation, dtype):
        graph = _graph(op, arrays, attrs)
        feeds = {f"x{i}": a for i, a in enumerate(arrays)}
        node = graph.node(graph.outputs["y"])
        assert conv_kernel.handles(node, _opdef(op), _buffers(graph, node))
        expected = interpreter.run(graph, feeds)["y"]
        fast = _run(graph, feeds)
        with monkeypatch.context() as patch:
            patch.setattr(conv_kernel, "handles", lambda *args: False)
            direct = _run(graph, feeds)
        scale = max(float(np.max(np.abs(expected))), 1.0)
        np.testing.assert_allclose(fast, expected, rtol=rtol, atol=atol * scale)
        np.testing.assert_allclose(direct, expected, rtol=rtol, atol=atol * scale)


@pytest.mark.parametrize(
    ("shape", "kernel", "strides", "padding", "dilation"),
    GEOMETRIES[:4] + GEOMETRIES[-1:],
)
@pytest.mark.parametrize("min_blocks", [0, 1000])
def test_threads_split_the_work_and_keep_every_bit(
    shape, kernel, strides, padding, dilation, min_blocks, monkeypatch
):
    # Every convolution is shared, however small: blocks of output rows (or
    # with few blocks, their column panels) for conv, depth positions of
    # the kernel's matrix for conv_kernel_grad.
    monkeypatch.setattr(codegen, "SHARED_GEMM_WORK", 0)
    monkeypatch.setattr(conv_kernel, "_MIN_SHARED_BLOCKS", min_blocks)
    for op, arrays, attrs in _cases(
        shape, kernel, strides, padding, dilation, "float32"
    ):
        graph = _graph(op, arrays, attrs)
        feeds = {f"x{i}": a for i, a in enumerate(arrays)}
        compiled = native.compile_graph(graph)
        _assert_shared(compiled, op, graph)
        one = native.run_graph(compiled, feeds, threads=1)["y"]
        for threads in (2, 3):
            many = native.run_graph(compiled, feeds, threads=threads)["y"]
            np.testing.assert_array_equal(many, one, err_msg=f"{op}, {threads}")
        expected = interpreter.run(graph, feeds)["y"]
        scale = max(float(np.max(np.abs(expected))), 1.0)
        np.testing.assert_allclose(one, expected, rtol=2e-5, atol=2e-5 * scale)


@pytest.mark.parametrize(
    ("shape", "kernel", "groups", "strides"),
    [
        ((2, 9, 11, 12), (3, 3, 1, 24), 12, (1, 1)),  # depthwise, multiplier 2
        ((3, 8, 7, 8), (3, 2, 4, 6), 2, (2, 1)),
    ],
)
def test_grouped_convolutions_split_among_threads_keep_every_bit(
    shape, kernel, groups, strides, monkeypatch
):
    monkeypatch.setattr(codegen, "SHARED_ELEMENTS", 0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape).astype("float32")
    w = rng.normal(size=kernel).astype("float32")
    pairs = explicit_padding("same", shape[1:-1], kernel[:2], strides, (1, 1))
    attrs = {"strides": strides, "padding": pairs, "dilation": (1, 1)}
    attrs["groups"] = groups
    y = builder.evaluate("conv", [x, w], attrs)
    g = rng.normal(size=y.shape).astype("float32")
    cases = [
        ("conv", [x, w]),
        ("conv", [x, w, rng.normal(size=kernel[-1:]).astype("float32")]),
        ("conv_kernel_grad", [x, g]),
    ]
    for op, arrays in cases:
        extra = {"kernel_size": kernel[:2]} if op == "conv_kernel_grad" else {}
        graph = _graph(op, arrays, {**attrs, **extra})
        feeds = {f"x{i}": a for i, a in enumerate(arrays)}
        compiled = native.compile_graph(graph)
        _assert_shared(compiled, op, graph)
        one = native.run_graph(compiled, feeds, threads=1)["y"]
        for threads in (2, 3):
            many = native.run_graph(compiled, feeds, threads=threads)["y"]
            np.testing.assert_array_equal(many, one, err_msg=f"{op}, {threads}")
        expected = interpreter.run(graph, feeds)["y"]
        np.testing.assert_allclose(one, expected, rtol=2e-5, atol=2e-5)


def _assert_shared(compiled, op, graph):
    """The node's kernel takes the thread's id and the thread count."""
    kernel = f'_{op}_{graph.outputs["y"]}"(ptr noalias'
    (signature,) = [x for x in compiled.ir_text.splitlines() if kernel in x]
    assert signature.count("i64") == 2, signature


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("min_blocks", [0, 1000])
@pytest.mark.parametrize("window", [3, 1])
def test_deep_patches_go_in_chunks_of_depth(threads, min_blocks, window, monkeypatch):
    # 40 channels x 3x3: 360-element patches. A 4 KiB buffer holds 2 whole
    # rows, so the conv's blocks of 72 rows (216 in three even blocks) take
    # chunks of 14 depth positions (26 chunks summed in the output), and
    # the kernel gradient's blocks of 216 rows (all of them) chunks of 4.
    # A 1x1 window reads the input's rows in place, 16 channels a chunk.
    monkeypatch.setattr(conv_kernel, "_PATCH_BYTES", 4096)
    monkeypatch.setattr(conv_kernel, "_RESIDENT_KERNEL_BYTES", 0)
    monkeypatch.setattr(conv_kernel, "_MIN_SHARED_BLOCKS", min_blocks)
    monkeypatch.setattr(codegen, "SHARED_GEMM_WORK", 0)
    shape, kernel = (3, 9, 8, 40), (window, window, 40, 20)
    pad = window // 2
    geo = conv_kernel.Geometry(
        3, (9, 8), 40, (window,) * 2, (9, 8), 20, (1, 1), ((pad, pad),) * 2, (1, 1)
    )
    assert conv_kernel._pointwise(geo) == (window == 1)
    rows, chunk = conv_kernel._conv_blocking(geo, "float32")
    assert chunk < geo.depth and rows >= 16
    rows, chunk = conv_kernel._kernel_grad_blocking(geo, "float32")
    assert chunk < geo.depth
    for op, arrays, attrs in _cases(shape, kernel, (1, 1), "same", (1, 1), "float32"):
        graph = _graph(op, arrays, attrs)
        feeds = {f"x{i}": a for i, a in enumerate(arrays)}
        compiled = native.compile_graph(graph)
        result = native.run_graph(compiled, feeds, threads=threads)["y"]
        expected = interpreter.run(graph, feeds)["y"]
        scale = max(float(np.max(np.abs(expected))), 1.0)
        np.testing.assert_allclose(result, expected, rtol=2e-5, atol=2e-5 * scale)
        if threads == 2:
            one = native.run_graph(compiled, feeds, threads=1)["y"]
            np.testing.assert_array_equal(result, one)


def test_blocks_are_whole_register_tiles_and_fit_the_budget():
    geo = conv_kernel.Geometry(
        batch=64,
        spatial=(28, 28),
        channels=1,
        window=(3, 3),
        out_spatial=(26, 26),
        out_channels=32,
        strides=(1, 1),
        padding=((0, 0), (0, 0)),
        dilation=(1, 1),
    )
    assert geo.rows == 64 * 26 * 26 and geo.depth == 9
    rows = conv_kernel._block_rows(geo, "float32")
    assert rows * geo.depth * 4 <= conv_kernel._PATCH_BYTES


@pytest.mark.parametrize(("threads", "blocks"), [(1, 3), (2, 2), (3, 3), (8, 3)])
def test_deep_blocks_and_chunks_are_even(threads, blocks, monkeypatch):
    # 196 rows (a 14x14 map) of 2304-element patches: blocks of about 96
    # rows as even as whole 6-row tiles allow (not two of 96 and a third of
    # 4 that would stream the whole kernel again), a multiple of the
    # threads when each gets 48 rows or more (then split by rows, each
    # thread copying only its own patches); depth in equal chunks.
    from kgraph import config

    monkeypatch.setattr(config, "num_threads", lambda: threads)
    geo = conv_kernel.Geometry(
        1, (14, 14), 256, (3, 3), (14, 14), 256, (1, 1), ((1, 1), (1, 1)), (1, 1)
    )
    rows, chunk = conv_kernel._conv_blocking(geo, "float32")
    mr = conv_kernel.choose_plan(rows, 256, chunk, False, False).mr
    assert -(-geo.rows // rows) == blocks and rows % mr == 0
    assert geo.rows - (blocks - 1) * rows > rows - blocks * mr
    assert conv_kernel._by_columns(geo, rows) == (blocks % threads != 0)
    assert rows * chunk * 4 <= conv_kernel._PATCH_BYTES * 1.1
    count = -(-geo.depth // chunk)
    assert geo.depth - (count - 1) * chunk > chunk // 2
    assert conv_kernel._even(1024, 248) == 208  # 5 chunks of 16-element runs
    assert conv_kernel._even(40, 10) == 10  # 16 would take 3 chunks, not 4
    assert conv_kernel._even(30, 64) == 30


def _opdef(op):
    from kgraph.ops import registry

    return registry.get(op)


def _buffers(graph, node):
    from kgraph.ops.lowering import Buffer

    return [Buffer(None, graph.node(i).type) for i in node.inputs]


@pytest.mark.parametrize("op", ["conv", "conv_kernel_grad"])
@settings(max_examples=examples(12), deadline=None)
@given(data=st.data())
def test_drawn_convolutions_split_and_chunked_equal_the_interpreter(op, data):
    """Drawn geometries (strides, dilations, padding, groups, odd sizes) on
    every path at once: every kernel shared, patches in chunks of a few
    depth positions, blocks split by rows or by column panels."""
    opdef = _opdef(op)
    arrays, attrs = example_arrays(opdef, data)
    arrays = [a.astype("float32") for a in arrays]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codegen, "SHARED_GEMM_WORK", 0)
        patch.setattr(codegen, "SHARED_ELEMENTS", 0)
        patch.setattr(
            conv_kernel, "_PATCH_BYTES", data.draw(st.sampled_from([64, 65536]))
        )
        patch.setattr(conv_kernel, "_RESIDENT_KERNEL_BYTES", 0)
        patch.setattr(conv_kernel, "_MIN_ROWS", data.draw(st.sampled_from([4, 96])))
        patch.setattr(
            conv_kernel, "_MIN_SHARED_BLOCKS", data.draw(st.sampled_from([0, 1000]))
        )
        graph = _graph(op, arrays, attrs)
        compiled = native.compile_graph(graph)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    one = native.run_graph(compiled, feeds, threads=1)["y"]
    np.testing.assert_array_equal(
        native.run_graph(compiled, feeds, threads=2)["y"], one
    )
    expected = interpreter.run(graph, feeds)["y"]
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
    np.testing.assert_allclose(one, expected, rtol=2e-5, atol=2e-5 * scale)


_KEPT = st.tuples(
    st.integers(1, 4),  # batch
    st.integers(6, 14),  # height
    st.integers(6, 14),  # width
    st.integers(1, 40),  # input channels
    st.integers(1, 70),  # output channels: whole panels and a tail
    st.sampled_from([1, 2, 3]),  # window
    st.sampled_from([1, 2]),  # strides
    st.sampled_from([1, 2]),  # dilation
    st.sampled_from(["same", "valid"]),
    st.booleans(),  # bias
)


def _kept_case(values):
    batch, height, width, cin, cout, window, step, dilation, padding, bias = values
    rng = np.random.default_rng(cin * cout)
    x = rng.normal(size=(batch, height, width, cin)).astype("float32")
    w = rng.normal(size=(window, window, cin, cout)).astype("float32")
    strides, dilations = (step, step), (dilation, dilation)
    pairs = explicit_padding(padding, (height, width), w.shape[:2], strides, dilations)
    attrs = {"strides": strides, "padding": pairs, "dilation": dilations}
    arrays = [x, w] + ([rng.normal(size=cout).astype("float32")] if bias else [])
    return arrays, attrs


@settings(max_examples=examples(18), deadline=None)
@given(
    values=_KEPT.filter(lambda v: v[8] == "same" or min(v[1:3]) > 2 * (v[5] - 1)),
    patch_bytes=st.sampled_from([8192, 65536]),
    min_rows=st.sampled_from([4, 96]),
    min_blocks=st.sampled_from([0, 1000]),
)
def test_drawn_convolutions_keep_their_packed_kernel_bit_for_bit(
    values, patch_bytes, min_rows, min_blocks
):
    """A ``conv`` whose kernel is a parameter keeps it packed between runs
    (every product reading that layout, a shorter last block's and deep
    chunks' too): the results are those of packing it on every run, bit
    for bit, on any thread count, packed anew or reused."""
    arrays, attrs = _kept_case(values)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codegen, "SHARED_GEMM_WORK", 0)
        # Not the Winograd kernel (which keeps another state) but the
        # GEMM's.
        patch.setattr(winograd, "_MIN_TILES", 1 << 40)
        patch.setattr(winograd, "_MIN_PREPARED_TILES", 1 << 40)
        patch.setattr(conv_kernel, "_RESIDENT_KERNEL_BYTES", 0)
        patch.setattr(conv_kernel, "_PATCH_BYTES", patch_bytes)
        patch.setattr(conv_kernel, "_MIN_ROWS", min_rows)
        patch.setattr(conv_kernel, "_MIN_SHARED_BLOCKS", min_blocks)
        plain = native.compile_graph(_graph("conv", arrays, attrs))
        graph = _graph("conv", arrays, attrs, prepared=True)
        node = graph.node(graph.outputs["y"])
        packs = conv_kernel.prepared_bytes(node, _buffers(graph, node)) > 0
        kept = native.compile_graph(graph, prepare=True)
    assert (kept.layout.prepared is not None) == packs
    expected = native.run_graph(plain, feeds, threads=1)["y"]
    for threads, fresh in ((1, False), (2, True), (3, True), (2, False)):
        if fresh:
            native.unprepare(kept)
        result = native.run_graph(kept, feeds, threads=threads)["y"]
        np.testing.assert_array_equal(result, expected, err_msg=f"{threads} threads")
    reference = interpreter.run(graph, feeds)["y"]
    scale = max(float(np.max(np.abs(reference), initial=0.0)), 1.0)
    np.testing.assert_allclose(expected, reference, rtol=2e-5, atol=2e-5 * scale)


def test_a_kept_kernel_is_packed_again_when_it_changes():
    # The step packs the kernel on its first run and reads that copy
    # after; once the caller clears the ready word it packs the new one.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 6, 6, 8)).astype("float32")
    w = rng.normal(size=(1, 1, 8, 40)).astype("float32")
    attrs = {"strides": (1, 1), "padding": ((0, 0), (0, 0)), "dilation": (1, 1)}
    graph = _graph("conv", [x, w], attrs, prepared=True)
    node = graph.node(graph.outputs["y"])
    assert conv_kernel.prepared_bytes(node, _buffers(graph, node)) > 0
    kept = native.compile_graph(graph, prepare=True)
    first = native.run_graph(kept, {"x0": x, "x1": w})["y"]
    np.testing.assert_allclose(first, builder.evaluate("conv", [x, w], attrs), 1e-5)
    stale = native.run_graph(kept, {"x0": x, "x1": 2 * w})["y"]
    np.testing.assert_array_equal(stale, first)
    native.unprepare(kept)
    fresh = native.run_graph(kept, {"x0": x, "x1": 2 * w})["y"]
    np.testing.assert_array_equal(fresh, 2 * first)

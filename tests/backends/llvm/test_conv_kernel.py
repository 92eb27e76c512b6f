"""The native convolution (im2col into stack blocks + GEMM) equals the ops'
own direct loop nests and the interpreter, over shapes that take several
blocks, a shorter last block, strides, dilation, padding and both dtypes."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import dtypes
from kgraph.backends import interpreter
from kgraph.backends.llvm.kernels import conv as conv_kernel
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import sources
from kgraph.ops.convolution import explicit_padding
from kgraph.testing import native

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
]


def _graph(op, arrays, attrs):
    graph = Graph(name=op)
    inputs = [
        sources.placeholder(graph, f"x{i}", a.shape, dtypes.canonical(a.dtype))
        for i, a in enumerate(arrays)
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


def test_long_patch_rows_keep_the_direct_loops(monkeypatch):
    monkeypatch.setattr(conv_kernel, "_MAX_ROW_BYTES", 16)
    (op, arrays, attrs), *_ = _cases(
        (1, 4, 4, 2), (3, 3, 2, 2), (1, 1), "valid", (1, 1), "float32"
    )
    graph = _graph(op, arrays, attrs)
    node = graph.node(graph.outputs["y"])
    assert not conv_kernel.handles(node, _opdef(op), _buffers(graph, node))
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    np.testing.assert_allclose(
        _run(graph, feeds), interpreter.run(graph, feeds)["y"], rtol=1e-5, atol=1e-5
    )


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


def _opdef(op):
    from kgraph.ops import registry

    return registry.get(op)


def _buffers(graph, node):
    from kgraph.ops.lowering import Buffer

    return [Buffer(None, graph.node(i).type) for i in node.inputs]

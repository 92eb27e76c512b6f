"""The fusion pass: groups, golden text, and unchanged results."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgraph import ops
from kgraph.backends import interpreter
from kgraph.backends.llvm import codegen
from kgraph.compiler.fusion import fuse
from kgraph.compiler.passes import PassContext
from kgraph.ir.graph import Graph
from kgraph.ops import registry
from kgraph.ops.verify import verify_graph
from kgraph.testing import native


def _count(graph, op):
    return sum(1 for node in graph.nodes() if node.op == op)


def test_dense_relu_chain_is_one_kernel():
    graph = Graph()
    x = ops.placeholder(graph, "x", (4, 3))
    w = ops.placeholder(graph, "w", (3, 2), role="parameter")
    b = ops.placeholder(graph, "b", (2,), role="parameter")
    y = ops.tanh(ops.matmul(x, w) + b) * 2.0
    graph.set_output("y", y.node_id)
    fused = fuse(graph.copy(), PassContext())
    verify_graph(fused)
    assert _count(fused, "fused") == 1 and _count(fused, "matmul") == 0
    body = fused.node(fused.outputs["y"]).attrs["body"]
    assert [entry[0] for entry in body] == ["matmul", "add", "tanh", "multiply"]


def test_golden_text():
    graph = Graph()
    x = ops.placeholder(graph, "x", (3,))
    graph.set_output("y", ops.exp(ops.negative(x)).node_id)
    expected = "\n".join(
        [
            '%0 = placeholder() {dtype="float32", name="x", role="data", '
            "shape=(3,)} : f32[3]",
            '%2 = fused(%0) {body=(("negative", (0,), ()), ("exp", (-1,), ()))} '
            ": f32[3]",
            "return y=%2",
        ]
    )
    assert fuse(graph, PassContext()).format() == expected


def test_outputs_and_shared_values_are_not_swallowed():
    graph = Graph()
    x = ops.placeholder(graph, "x", (3,))
    shared = ops.exp(x)
    graph.set_output("a", ops.tanh(shared).node_id)
    graph.set_output("b", ops.negative(shared).node_id)
    graph.set_output("shared", shared.node_id)
    fused = fuse(graph.copy(), PassContext())
    assert _count(fused, "exp") == 1 and _count(fused, "fused") == 0


def test_broadcast_operand_of_another_shape_stays_outside():
    graph = Graph()
    x = ops.placeholder(graph, "x", (4, 3))
    v = ops.placeholder(graph, "v", (3,))
    small = ops.exp(v)  # (3,): computing it per element of (4, 3) would repeat work
    graph.set_output("y", ops.tanh(x * small).node_id)
    fused = fuse(graph.copy(), PassContext())
    assert _count(fused, "exp") == 1 and _count(fused, "fused") == 1


@given(
    st.lists(
        st.sampled_from(["exp", "tanh", "neg", "add", "mul", "max"]),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 2**31),
)
def test_fused_graph_computes_the_same(chain, seed):
    graph = Graph()
    x = ops.placeholder(graph, "x", (2, 3))
    y = ops.placeholder(graph, "y", (3,))
    value = x
    for step in chain:
        value = {
            "exp": lambda v: ops.exp(ops.tanh(v)),
            "tanh": ops.tanh,
            "neg": ops.negative,
            "add": lambda v: v + y,
            "mul": lambda v: v * x,
            "max": lambda v: ops.maximum(v, y),
        }[step](value)
    graph.set_output("out", value.node_id)
    rng = np.random.default_rng(seed)
    feeds = {
        "x": rng.normal(size=(2, 3)).astype("float32"),
        "y": rng.normal(size=3).astype("float32"),
    }
    before = interpreter.run(graph, feeds)["out"]
    fused = fuse(graph.copy(), PassContext())
    verify_graph(fused)
    np.testing.assert_allclose(interpreter.run(fused, feeds)["out"], before, rtol=1e-6)


def test_matmul_epilogue_compiles_to_the_same_numbers():
    graph = Graph()
    x = ops.placeholder(graph, "x", (5, 7))
    w = ops.placeholder(graph, "w", (7, 3))
    b = ops.placeholder(graph, "b", (3,))
    graph.set_output("y", ops.relu(ops.matmul(x, w) + b).node_id)
    fused = fuse(graph.copy(), PassContext())
    assert _count(fused, "matmul") == 0
    rng = np.random.default_rng(0)
    feeds = {
        "x": rng.normal(size=(5, 7)).astype("float32"),
        "w": rng.normal(size=(7, 3)).astype("float32"),
        "b": rng.normal(size=3).astype("float32"),
    }
    expected = interpreter.run(graph, feeds)["y"]
    result = native.run_graph(native.compile_graph(fused), feeds)["y"]
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)


def _conv_block(kernel_shape, residual_shape, dtype="float32", mask=False):
    """conv -> batch normalization (inference) -> + residual -> relu6 (or
    the mask of positive values)."""
    graph = Graph()
    x = ops.placeholder(graph, "x", (2, 6, 5, 4), dtype)
    w = ops.placeholder(graph, "w", kernel_shape, dtype)
    scale = ops.placeholder(graph, "scale", (kernel_shape[-1],), dtype)
    r = ops.placeholder(graph, "r", residual_shape, dtype)
    y = ops.conv(x, w, padding="same") * scale + r
    out = ops.greater(y, 0.0) if mask else ops.minimum(ops.relu(y), 6.0)
    graph.set_output("y", out.node_id)
    rng = np.random.default_rng(0)
    feeds = {
        "x": rng.normal(size=(2, 6, 5, 4)),
        "w": rng.normal(size=kernel_shape),
        "scale": rng.normal(size=kernel_shape[-1:]),
        "r": rng.normal(size=residual_shape),
    }
    return graph, {k: v.astype(dtype) for k, v in feeds.items()}


@pytest.mark.parametrize(
    ("kernel_shape", "residual_shape", "plan"),
    [
        # im2col + GEMM, the body in its epilogue
        ((3, 3, 4, 8), (2, 6, 5, 8), "gemm"),
        # a residual broadcast along channels
        ((3, 3, 4, 8), (2, 6, 5, 1), "gemm"),
        # broadcast along some axes only: the body after the conv
        ((3, 3, 4, 8), (1, 6, 1, 8), "direct"),
        # depthwise (grouped): the op's own loops, the body after them
        ((3, 3, 1, 8), (2, 6, 5, 8), "grouped"),
    ],
)
@pytest.mark.parametrize("threads", [1, 2])
def test_a_convolution_heads_its_epilogue(
    kernel_shape, residual_shape, plan, threads, monkeypatch
):
    monkeypatch.setattr(codegen, "SHARED_GEMM_WORK", 0)
    monkeypatch.setattr(codegen, "SHARED_ELEMENTS", 0)
    graph, feeds = _conv_block(kernel_shape, residual_shape)
    fused = fuse(graph.copy(), PassContext())
    verify_graph(fused)
    assert _count(fused, "conv") == 0 and _count(fused, "fused") == 1
    body = fused.node(fused.outputs["y"]).attrs["body"]
    assert body[0][0] == "conv"
    node = fused.node(fused.outputs["y"])
    opdef = registry.get("fused")
    assert codegen._conv_plan(fused, node, opdef)[0] == plan
    expected = interpreter.run(graph, feeds)["y"]
    np.testing.assert_allclose(interpreter.run(fused, feeds)["y"], expected, rtol=1e-6)
    compiled = native.compile_graph(fused)
    result = native.run_graph(compiled, feeds, threads=threads)["y"]
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


def test_a_convolution_of_another_dtype_than_its_group_stays_outside():
    graph, _ = _conv_block((3, 3, 4, 8), (2, 6, 5, 8), mask=True)
    fused = fuse(graph.copy(), PassContext())
    assert _count(fused, "conv") == 1


@pytest.mark.parametrize(
    ("op", "m_shape", "fuses"),
    [
        ("sum", (1, 1, 1, 19), True),  # per column: a row of the folded matrix
        ("max", (), True),  # a scalar
        ("sum", (2, 5, 3, 19), True),  # the operand's own shape
        ("sum", (2, 1, 1, 19), False),  # broadcast along some leading axes only
    ],
)
@pytest.mark.parametrize("threads", [1, 3])
def test_a_leading_reduction_absorbs_what_it_alone_reads(
    op, m_shape, fuses, threads, monkeypatch
):
    monkeypatch.setattr(codegen, "SHARED_ELEMENTS", 0)
    graph = Graph()
    x = ops.placeholder(graph, "x", (2, 5, 3, 19))
    m = ops.placeholder(graph, "m", m_shape)
    reduce = ops.sum if op == "sum" else ops.max
    graph.set_output("y", reduce(ops.square(x - m), axis=(0, 1, 2)).node_id)
    fused = fuse(graph.copy(), PassContext())
    verify_graph(fused)
    node = fused.node(fused.outputs["y"])
    assert (node.op == "fused") is fuses
    assert _count(fused, op) == (0 if fuses else 1)
    if fuses:
        assert [entry[0] for entry in node.attrs["body"]][-1] == op
    rng = np.random.default_rng(0)
    feeds = {
        "x": rng.normal(size=(2, 5, 3, 19)).astype("float32"),
        "m": rng.normal(size=m_shape).astype("float32"),
    }
    expected = interpreter.run(graph, feeds)["y"]
    np.testing.assert_allclose(interpreter.run(fused, feeds)["y"], expected, rtol=1e-6)
    compiled = native.compile_graph(fused)
    one = native.run_graph(compiled, feeds)["y"]
    np.testing.assert_allclose(one, expected, rtol=1e-5)
    many = native.run_graph(compiled, feeds, threads=threads)["y"]
    np.testing.assert_array_equal(many, one)

"""``scan``: loops whose body is a graph.

Random bodies (carries, per-step inputs, constants, per-step outputs,
forward or reverse) run by the interpreter equal a plain Python loop over
the body, and their gradients equal central finite differences; the public
``ops.scan`` traces a step function once whatever the number of steps.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from kgraph import dtypes
from kgraph import errors
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import control
from kgraph.ops import sources
from kgraph.ops.verify import verify_graph
from kgraph.ops.vjp import gradients
from kgraph.tensor import SymbolicTensor
from kgraph.testing import numerics
from kgraph.testing.strategies import examples

# -- random bodies ---------------------------------------------------------------

_UNARY = (ops.tanh, ops.sin, lambda v: ops.multiply(v, 0.5))


def _combine(draw, pool, like):
    """A smooth expression of some tensors of ``pool`` with ``like``'s shape."""
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=3))
    value = None
    for index in picks:
        term = pool[index]
        if term.shape != like.shape:  # a (width, width) constant: a product
            term = ops.matmul(like, term)
        value = term if value is None else draw(st.sampled_from(_BINARY))(value, term)
    return draw(st.sampled_from(_UNARY))(value)


_BINARY = (ops.add, ops.multiply, ops.subtract)


@st.composite
def scan_problems(draw, dtype="float64"):
    """A body with its operands: ``(body, arrays, attrs)``."""
    batch, width = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    steps = draw(st.integers(0, 4))
    carries = draw(st.integers(1, 2))
    xs, consts, ys = (draw(st.integers(0, 2)) for _ in range(3))
    body = Graph(name="scan_body")

    def placeholder(name, shape):
        return sources.placeholder(body, name, shape, dtype)

    carry = [placeholder(f"carry_{i}", (batch, width)) for i in range(carries)]
    x = [placeholder(f"x_{j}", (batch, width)) for j in range(xs)]
    matrix = draw(st.lists(st.booleans(), min_size=consts, max_size=consts))
    const = [
        placeholder(f"const_{m}", (width, width) if square else (batch, width))
        for m, square in enumerate(matrix)
    ]
    pool = carry + x + const
    for i in range(carries):
        body.set_output(f"carry_{i}", _combine(draw, pool, carry[0]).node_id)
    for j in range(ys):
        body.set_output(f"y_{j}", _combine(draw, pool, carry[0]).node_id)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))

    def array(shape):
        return rng.normal(0.0, 0.7, shape).astype(dtype)

    arrays = (
        [array((batch, width)) for _ in carry]
        + [array((steps, batch, width)) for _ in x]
        + [array(c.shape) for c in const]
    )
    attrs = {
        "body": body,
        "num_carries": carries,
        "num_xs": xs,
        "reverse": draw(st.booleans()),
        "length": steps if xs == 0 else None,
    }
    return body, arrays, attrs


def _python_loop(body, arrays, attrs):
    """The loop spelled out in Python, each step through the interpreter."""
    carries, xs, _, ys = control.body_interface(body)
    carry = list(arrays[:carries])
    sequences = arrays[carries : carries + xs]
    constants = arrays[carries + xs :]
    steps = attrs["length"] if xs == 0 else sequences[0].shape[0]
    stacked = {j: [None] * steps for j in range(ys)}
    before = {i: [None] * steps for i in range(carries)}
    order = range(steps - 1, -1, -1) if attrs["reverse"] else range(steps)
    for t in order:
        feeds = {f"carry_{i}": c for i, c in enumerate(carry)}
        feeds |= {f"x_{j}": s[t] for j, s in enumerate(sequences)}
        feeds |= {f"const_{m}": k for m, k in enumerate(constants)}
        out = interpreter.run(body, feeds)
        for i in range(carries):
            before[i][t] = carry[i]
        carry = [out[f"carry_{i}"] for i in range(carries)]
        for j in range(ys):
            stacked[j][t] = out[f"y_{j}"]
    shape = arrays[0].shape

    def stack(values):
        return np.stack(values) if values else np.zeros((0, *shape), arrays[0].dtype)

    return (
        carry
        + [stack(stacked[j]) for j in range(ys)]
        + [stack(before[i]) for i in range(carries)]
    )


def _loop_graph(body, arrays, attrs):
    graph = Graph(name="loop")
    inputs = [
        sources.placeholder(graph, f"a{i}", a.shape, str(a.dtype)).node_id
        for i, a in enumerate(arrays)
    ]
    carries, _, _, ys = control.body_interface(body)
    results = [
        builder.emit(graph, "scan", inputs, {**attrs, "result": r})
        for r in range(2 * carries + ys)
    ]
    return graph, inputs, results


@settings(max_examples=examples(40), deadline=None)
@given(problem=scan_problems(dtype="float32"))
def test_random_bodies_run_as_a_python_loop_over_the_body(problem):
    body, arrays, attrs = problem
    graph, _, results = _loop_graph(body, arrays, attrs)
    for r, node_id in enumerate(results):
        graph.set_output(f"r{r}", node_id)
    verify_graph(graph)
    feeds = {f"a{i}": a for i, a in enumerate(arrays)}
    got = interpreter.run(graph, feeds)
    again = interpreter.run(Graph.from_json(graph.to_json()), feeds)
    for r, expected in enumerate(_python_loop(body, arrays, attrs)):
        np.testing.assert_array_equal(got[f"r{r}"], expected)
        np.testing.assert_array_equal(again[f"r{r}"], expected)


@settings(max_examples=examples(40), deadline=None)
@given(problem=scan_problems(), data=st.data())
def test_random_body_gradients_match_finite_differences(problem, data):
    body, arrays, attrs = problem
    graph, inputs, results = _loop_graph(body, arrays, attrs)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    # A random weighting of a random subset of the results (each result's
    # gradient builds its own reverse loop).
    chosen = data.draw(st.lists(st.sampled_from(results), min_size=1, unique=True))
    weights = {r: rng.uniform(0.5, 1.5, graph.node(r).type.shape) for r in chosen}
    total = None
    for r in chosen:
        weighted = ops.sum(ops.multiply(SymbolicTensor(graph, r), weights[r]))
        total = weighted if total is None else ops.add(total, weighted)
    grads = gradients(graph, total.node_id, inputs)
    for i, grad in enumerate(grads):
        graph.set_output(f"g{i}", grad)
    verify_graph(graph)
    feeds = {f"a{i}": a for i, a in enumerate(arrays)}
    found = interpreter.run(graph, feeds)

    def loss(point):
        values = control.run_loop(point, attrs)
        return float(sum(np.sum(values[results.index(r)] * weights[r]) for r in chosen))

    rtol, atol = dtypes.GRAD_TOLERANCE
    for i in range(len(arrays)):
        expected = numerics.numeric_gradient(loss, arrays, i, step=1e-6)
        np.testing.assert_allclose(found[f"g{i}"], expected, rtol=rtol, atol=atol)


@settings(max_examples=examples(25), deadline=None)
@given(problem=scan_problems(dtype="float32"), data=st.data())
def test_random_bodies_compiled_equal_interpreted(problem, data):
    """One native loop per node, body kernels inside: every result and the
    gradients of a random weighting of them equal the interpreter's."""
    native = pytest.importorskip("kgraph.testing.native")
    body, arrays, attrs = problem
    graph, inputs, results = _loop_graph(body, arrays, attrs)
    for r, node_id in enumerate(results):
        graph.set_output(f"r{r}", node_id)
    chosen = data.draw(st.lists(st.sampled_from(results), min_size=1, unique=True))
    total = ops.sum(SymbolicTensor(graph, chosen[0]))
    for r in chosen[1:]:
        total = ops.add(total, ops.sum(ops.sin(SymbolicTensor(graph, r))))
    for i, grad in enumerate(gradients(graph, total.node_id, inputs)):
        graph.set_output(f"g{i}", grad)
    feeds = {f"a{i}": a for i, a in enumerate(arrays)}
    expected = interpreter.run(graph, feeds)
    got = native.run_graph(native.compile_graph(graph), feeds)
    rtol, atol = dtypes.MODEL_TOLERANCE
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, rtol=rtol, atol=atol)


# -- the public function -----------------------------------------------------------


def test_eager_scan_runs_the_step_function_per_step():
    final, ys = ops.scan(
        lambda c, x: (c + x, {"twice": c * 2.0}),
        np.zeros(2, "float32"),
        np.ones((3, 2), "float32"),
        reverse=True,
    )
    np.testing.assert_array_equal(final.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(ys["twice"].numpy()[:, 0], [4.0, 2.0, 0.0])


def test_a_traced_scan_is_one_node_per_result_whatever_the_length():
    sizes = []
    for steps in (3, 300):
        graph = Graph()
        xs = sources.placeholder(graph, "xs", (steps, 2, 4))
        w = sources.placeholder(graph, "w", (4, 4), role="parameter")
        h0 = sources.placeholder(graph, "h0", (2, 4))

        def step(h, x, w=w):
            return ops.tanh(ops.matmul(h, w) + x), h

        final, ys = ops.scan(step, h0, xs)
        assert final.shape == (2, 4) and ys.shape == (steps, 2, 4)
        sizes.append(len(graph))
    assert sizes[0] == sizes[1]


def test_captured_tensors_and_variables_become_constants_of_the_body():
    import kgraph as kg

    kernel = kg.Variable(np.eye(3, dtype="float32") * 0.5, "kernel")
    graph = Graph()
    xs = sources.placeholder(graph, "xs", (4, 1, 3))
    bias = ops.multiply(sources.placeholder(graph, "b", (3,)), 2.0)
    final, _ = ops.scan(
        lambda h, x: (ops.add(ops.matmul(h, kernel), x) + bias, None),
        np.zeros((1, 3), "float32"),
        xs,
    )
    scan_node = graph.node(final.node_id)
    body = scan_node.attrs["body"]
    assert control.body_interface(body) == (1, 1, 2, 0)
    assert graph.node(scan_node.inputs[2]).role == "parameter"
    assert graph.bindings[graph.node(scan_node.inputs[2]).name] is kernel
    feeds = {"xs": np.ones((4, 1, 3), "float32"), "b": np.ones(3, "float32")}
    feeds["kernel"] = kernel.numpy()
    graph.set_output("h", final.node_id)
    h = np.zeros((1, 3))
    for _ in range(4):
        h = h @ (np.eye(3) * 0.5) + 1.0 + 2.0
    np.testing.assert_allclose(interpreter.run(graph, feeds)["h"], h, rtol=1e-6)


def test_a_body_that_changes_a_carry_shape_is_refused_naming_the_carry():
    graph = Graph()
    xs = sources.placeholder(graph, "xs", (4, 2, 3))
    with pytest.raises(errors.ShapeError, match=r"carry_0 from f64\[2,3\] to f64\[2\]"):
        ops.scan(lambda h, x: (ops.sum(h + x, axis=1), None), np.zeros((2, 3)), xs)


def test_scan_needs_a_length_without_inputs():
    with pytest.raises(ValueError, match="`length` is required"):
        ops.scan(lambda c, x: (c, None), 0.0)


def test_dumps_print_the_body_nested():
    graph = Graph()
    xs = sources.placeholder(graph, "xs", (4, 3))
    final, _ = ops.scan(lambda c, x: (c + x, None), np.zeros(3, "float32"), xs)
    graph.set_output("c", final.node_id)
    text = graph.format()
    assert "scan(" in text and "body @scan_body {" in text
    assert "    return carry_0=" in text

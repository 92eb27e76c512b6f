"""Property tests over every registered op.

1. The shape rule agrees with the reference: ``infer`` gives exactly the
   shape of what ``reference`` computes.
2. The op in a graph equals the eager call, bit for bit: run as written,
   after a JSON round trip, after the prediction pipeline's passes, and on
   constants the pipeline folds while compiling.
3. ``grad`` agrees with central finite differences in float64.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck
from hypothesis import assume
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from kgraph import dtypes
from kgraph import errors
from kgraph.backends import interpreter
from kgraph.compiler import pipeline
from kgraph.compiler.autodiff import gradients
from kgraph.compiler.passes import PassContext
from kgraph.compiler.passes import run_pipeline
from kgraph.ir.graph import Graph
from kgraph.ir.types import TensorType
from kgraph.ops import builder
from kgraph.ops import registry
from kgraph.ops import sources
from kgraph.ops.verify import verify_graph
from kgraph.testing import numerics
from kgraph.testing.strategies import example_arrays
from kgraph.testing.strategies import examples

ALL_OPS = registry.all_ops()
COMPUTED = [op for op in ALL_OPS if op.kind != registry.SOURCE]
DIFFERENTIABLE = [op for op in ALL_OPS if op.differentiable]


def _ids(ops):
    return [op.name for op in ops]


def _one_op_graph(opdef, arrays, attrs):
    graph = Graph(name=opdef.name)
    inputs = [
        sources.placeholder(graph, f"x{i}", a.shape, dtypes.canonical(a.dtype)).node_id
        for i, a in enumerate(arrays)
    ]
    out = builder.emit(graph, opdef.name, inputs, attrs)
    graph.set_output("y", out)
    return graph, inputs, out


@pytest.mark.parametrize("opdef", COMPUTED, ids=_ids(COMPUTED))
@given(data=st.data())
def test_infer_agrees_with_reference(opdef, data):
    arrays, attrs = example_arrays(opdef, data)
    checked = opdef.check_attrs(attrs)
    inferred = opdef.infer([TensorType.of(a) for a in arrays], checked)
    raw = np.asarray(opdef.reference(arrays, checked))
    assert raw.shape == inferred.shape
    assert np.can_cast(raw.dtype, inferred.dtype, casting="same_kind") or (
        raw.dtype.kind in "iub" and inferred.dtype in ("int32", "int64", "bool")
    )


def _compiled(graph):
    """The graph after the prediction pipeline's passes (folding,
    simplification, fusion, memory planning)."""
    return run_pipeline(graph, pipeline.PREDICT, PassContext(name="predict"))


def _constant_graph(opdef, arrays, attrs):
    """The op on constants: ``fold_constants`` computes it while compiling."""
    graph = Graph(name=opdef.name)
    inputs = [sources.graph_constant(graph, a).node_id for a in arrays]
    graph.set_output("y", builder.emit(graph, opdef.name, inputs, attrs))
    return graph


def _same(result, eager):
    assert result.dtype == eager.dtype and result.shape == eager.shape
    np.testing.assert_array_equal(result, eager)
    if eager.dtype.kind == "f":
        # assert_array_equal takes -0.0 for 0.0: the signs must agree too.
        np.testing.assert_array_equal(np.signbit(result), np.signbit(eager))


@pytest.mark.parametrize("opdef", COMPUTED, ids=_ids(COMPUTED))
@given(data=st.data())
def test_graph_equals_eager(opdef, data):
    """The eager call against the op in graphs taken down other paths: as
    written, after a JSON round trip, compiled by the prediction pipeline,
    and on constants that the pipeline folds while compiling; half the
    examples have special values mixed in."""
    arrays, attrs = example_arrays(opdef, data, special=data.draw(st.booleans()))
    eager = builder.evaluate(opdef.name, arrays, attrs)
    graph, _, _ = _one_op_graph(opdef, arrays, attrs)
    verify_graph(graph)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    _same(interpreter.run(graph, feeds)["y"], eager)
    _same(interpreter.run(Graph.from_json(graph.to_json()), feeds)["y"], eager)
    if opdef.effects or opdef.kind == registry.RANDOM:
        return  # never folded or merged: the pipeline keeps them as they are
    _same(interpreter.run(_compiled(graph), feeds)["y"], eager)
    folded = _compiled(_constant_graph(opdef, arrays, attrs))
    _same(interpreter.run(folded, {})["y"], eager)


@pytest.mark.parametrize("opdef", DIFFERENTIABLE, ids=_ids(DIFFERENTIABLE))
@given(data=st.data())
def test_grad_matches_finite_differences(opdef, data):
    arrays, attrs = example_arrays(opdef, data, float_dtype="float64")
    graph, inputs, out = _one_op_graph(opdef, arrays, attrs)
    out_type = graph.node(out).type
    assume(out_type.dtype == "float64" and (out_type.size or 0) > 0)
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 1.5, out_type.shape)
    weighted = sources.graph_constant(graph, weights)
    product = builder.emit(graph, "multiply", [out, weighted.node_id], {})
    loss = builder.emit(graph, "sum", [product], {})
    floats = [i for i, a in enumerate(arrays) if a.dtype == np.float64]
    grads = gradients(graph, loss, [inputs[i] for i in floats])
    for i, grad_id in zip(floats, grads, strict=True):
        graph.set_output(f"grad{i}", grad_id)
    verify_graph(graph)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    results = interpreter.run(graph, feeds)

    def loss_fn(point):
        value = builder.evaluate(opdef.name, point, attrs)
        return float(np.sum(value * weights))

    rtol, atol = dtypes.GRAD_TOLERANCE
    for i in floats:
        expected = numerics.numeric_gradient(loss_fn, arrays, i, step=1e-6)
        np.testing.assert_allclose(results[f"grad{i}"], expected, rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def llvm_runtime():
    return pytest.importorskip("kgraph.testing.native")


@pytest.mark.parametrize("opdef", COMPUTED, ids=_ids(COMPUTED))
@settings(max_examples=examples(20))
@given(data=st.data())
def test_llvm_equals_interpreter(opdef, data, llvm_runtime):
    """Native code gives the interpreter's values. Half the examples have
    NaN, both infinities and zeros, float32's limits, a denormal and ties
    mixed in: native code then gives NaN where the interpreter does, and
    its signs of zero."""
    arrays, attrs = example_arrays(opdef, data, special=data.draw(st.booleans()))
    graph, _, _ = _one_op_graph(opdef, arrays, attrs)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    expected = interpreter.run(graph, feeds)["y"]
    compiled = llvm_runtime.compile_graph(graph)
    result = llvm_runtime.run_graph(compiled, feeds)["y"]
    assert result.shape == expected.shape and result.dtype == expected.dtype
    rtol, atol = dtypes.TOLERANCES[expected.dtype.name]
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=atol)
    # A sum of negative zeros is -0.0 from its first term and +0.0 from a
    # zero start (as BLAS sums): contractions may give either.
    if expected.dtype.kind == "f" and opdef.kind not in _CONTRACTIONS:
        zeros = expected == 0
        np.testing.assert_array_equal(
            np.signbit(result[zeros]), np.signbit(expected[zeros])
        )


_CONTRACTIONS = (registry.MATMUL, registry.CONV)


# Ops whose examples draw sizes no window may exceed, never an empty
# operand (a zero-size window position is refused when a graph is built).
_NEVER_EMPTY = (
    "conv",
    "conv_kernel_grad",
    "max_pool",
    "pool_argmax",
    "sum_pool",
    "scan",
)
_MAYBE_EMPTY = [op for op in COMPUTED if op.name not in _NEVER_EMPTY]


@pytest.mark.parametrize("opdef", _MAYBE_EMPTY, ids=_ids(_MAYBE_EMPTY))
@settings(
    max_examples=examples(6),
    # Most drawn examples have no empty operand, and are passed over.
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(data=st.data())
def test_zero_size_axes(opdef, data, llvm_runtime):
    """Operands with a zero-size axis: an op refuses them when it builds
    the graph (a window wider than the input, the argmax of nothing) or
    computes what the reference computes, natively too, in the shape its
    rule infers."""
    arrays, attrs = example_arrays(opdef, data, empty=True)
    assume(any(a.size == 0 for a in arrays))
    try:
        eager = builder.evaluate(opdef.name, arrays, attrs)
    except errors.KGraphError:
        assume(False)  # refused while building, as a graph would be
    graph, _, _ = _one_op_graph(opdef, arrays, attrs)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    result = llvm_runtime.run_graph(llvm_runtime.compile_graph(graph), feeds)["y"]
    assert result.shape == eager.shape and result.dtype == eager.dtype
    rtol, atol = dtypes.TOLERANCES[eager.dtype.name]
    np.testing.assert_allclose(result, eager, rtol=rtol, atol=atol)


_SPECIAL = np.array(
    [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30, 88.0, -88.0],
    dtype="float32",
)


def _takes_floats(opdef):
    """Whether an op accepts float32 operands (not the integer-only ops)."""
    try:
        attrs = opdef.check_attrs({})
        opdef.infer([TensorType((2,), "float32")] * opdef.arity, attrs)
    except (errors.DTypeError, errors.GraphError):
        return False
    return True


_FLOAT_ELEMENTWISE = [
    op
    for op in COMPUTED
    if op.kind == registry.ELEMENTWISE
    and op.arity in (1, 2)
    and op.name != "cast"
    and op.name not in ("logical_not", "logical_and", "logical_or")
    and _takes_floats(op)
]


@pytest.mark.parametrize("opdef", _FLOAT_ELEMENTWISE, ids=_ids(_FLOAT_ELEMENTWISE))
def test_llvm_special_values(opdef, llvm_runtime):
    """Zeros of both signs, infinities, NaN, huge and tiny values behave as
    in NumPy (NaN where NumPy gives NaN)."""
    operands = (
        [_SPECIAL]
        if opdef.arity == 1
        else [np.repeat(_SPECIAL, len(_SPECIAL)), np.tile(_SPECIAL, len(_SPECIAL))]
    )
    graph, _, _ = _one_op_graph(opdef, operands, {})
    feeds = {f"x{i}": a for i, a in enumerate(operands)}
    expected = interpreter.run(graph, feeds)["y"]
    result = llvm_runtime.run_graph(llvm_runtime.compile_graph(graph), feeds)["y"]
    rtol, atol = dtypes.TOLERANCES[expected.dtype.name]
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=atol, equal_nan=True)
    # assert_allclose cannot see the sign of a zero: compare it.
    _same_zero_signs(result, expected)


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_an_extremum_of_a_value_with_itself_passes_the_whole_cotangent(
    op, llvm_runtime
):
    """d/dx sum(w * max(x, x)) is w: at a tie one operand takes the whole
    cotangent (not neither), on both backends."""
    graph = Graph()
    x = sources.placeholder(graph, "x", (5,), "float64", role="data").node_id
    out = builder.emit(graph, op, [x, x], {})
    weights = np.array([0.5, 1.0, 1.5, 2.0, 2.5])
    weighted = sources.graph_constant(graph, weights)
    product = builder.emit(graph, "multiply", [out, weighted.node_id], {})
    loss = builder.emit(graph, "sum", [product], {})
    (grad,) = gradients(graph, loss, [x])
    graph.set_output("grad", grad)
    feeds = {"x": np.array([-2.0, -0.0, 0.0, 1.0, 3.0])}
    np.testing.assert_array_equal(interpreter.run(graph, feeds)["grad"], weights)
    compiled = llvm_runtime.compile_graph(graph)
    np.testing.assert_array_equal(
        llvm_runtime.run_graph(compiled, feeds)["grad"], weights
    )


_SPECIAL_MATRIX = np.array(
    [[0.0, -0.0, 1.0, np.nan], [np.inf, -np.inf, 2.0, 3.0], [1e30, -1e30, 0.5, 88.0]],
    dtype="float32",
)


# The special matrix as a one-channel image, and as 20 channels (whole
# vectors and single lanes in max_pool's kernel) in shifted copies.
_SPECIAL_IMAGE = _SPECIAL_MATRIX[None, :, :, None]
_SPECIAL_IMAGE_CHANNELS = np.stack(
    [np.roll(_SPECIAL_MATRIX, k) for k in range(20)], axis=-1
)[None]


@pytest.mark.parametrize(
    ("op", "attrs", "operands"),
    [
        ("sum", {"axis": (1,), "keepdims": False}, [_SPECIAL_MATRIX]),
        ("max", {"axis": (0,), "keepdims": False}, [_SPECIAL_MATRIX]),
        ("max", {"axis": None, "keepdims": False}, [_SPECIAL_MATRIX]),
        ("log_softmax", {"axis": -1}, [_SPECIAL_MATRIX]),
        # A tie at a huge maximum: log(2) must survive beside 3.4e38.
        ("log_softmax", {"axis": -1}, [np.array([[3.4e38, 3.4e38, -1.0]], "float32")]),
        (
            "matmul",
            {"transpose_a": False, "transpose_b": True},
            [_SPECIAL_MATRIX, _SPECIAL_MATRIX],
        ),
        ("prod", {"axis": (1,), "keepdims": False}, [_SPECIAL_MATRIX]),
        ("cumsum", {"axis": 1, "reverse": False}, [_SPECIAL_MATRIX]),
        ("cumprod", {"axis": 0, "reverse": True}, [_SPECIAL_MATRIX]),
        ("argmax", {"axis": 1, "keepdims": False}, [_SPECIAL_MATRIX]),
        *(
            (
                op,
                {"window": (2, 2), "strides": (1, 1), "padding": ((0, 0), (0, 0))},
                [image],
            )
            for op in ("max_pool", "pool_argmax")
            for image in (_SPECIAL_IMAGE, _SPECIAL_IMAGE_CHANNELS)
        ),
    ],
)
def test_llvm_special_values_beyond_elementwise(op, attrs, operands, llvm_runtime):
    """NaN and infinities through reductions, log_softmax and products: the
    compiled op gives what the NumPy reference gives (NaN where it does)."""
    graph, _, _ = _one_op_graph(registry.get(op), operands, attrs)
    feeds = {f"x{i}": a for i, a in enumerate(operands)}
    expected = interpreter.run(graph, feeds)["y"]
    result = llvm_runtime.run_graph(llvm_runtime.compile_graph(graph), feeds)["y"]
    rtol, atol = dtypes.TOLERANCES[expected.dtype.name]
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=atol, equal_nan=True)
    _same_zero_signs(result, expected)


def _same_zero_signs(result, expected):
    """Where the reference gives an exact zero, the same sign."""
    if expected.dtype.kind == "f":
        zeros = expected == 0
        np.testing.assert_array_equal(
            np.signbit(result[zeros]), np.signbit(expected[zeros]), err_msg="-0.0"
        )


@pytest.mark.parametrize("image", [_SPECIAL_IMAGE, _SPECIAL_IMAGE_CHANNELS])
def test_max_pool_propagates_nan_as_numpy_max(image):
    """A window holding NaN pools to NaN (NumPy's ``max`` over the window),
    whatever larger values it holds; ``pool_argmax`` points at that NaN."""
    attrs = {"window": (2, 2), "strides": (1, 1), "padding": ((0, 0), (0, 0))}
    graph, _, _ = _one_op_graph(registry.get("max_pool"), [image], attrs)
    pooled = interpreter.run(graph, {"x0": image})["y"]
    windows = np.lib.stride_tricks.sliding_window_view(image, (2, 2), axis=(1, 2))
    with np.errstate(invalid="ignore"):
        expected = windows.max(axis=(-2, -1))
    np.testing.assert_array_equal(pooled, expected)
    graph, _, _ = _one_op_graph(registry.get("pool_argmax"), [image], attrs)
    picked = image.reshape(-1)[interpreter.run(graph, {"x0": image})["y"]]
    np.testing.assert_array_equal(picked, expected)

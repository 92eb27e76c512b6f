"""``backends/llvm/codegen.py``: one kernel per computed node, named after
layer and node; views and constants cost no kernel; edge shapes (size 0,
rank 0) and every dtype run and round-trip like the interpreter."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from llvmlite import ir

from kgraph import dtypes
from kgraph import errors
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.backends.llvm import codegen
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import Program
from kgraph.ir.graph import Graph
from kgraph.ops import registry
from kgraph.testing import native

STEP = "kgraph_graph_step"


def _defined(ir_text: str) -> set[str]:
    """Names of the functions an IR module defines."""
    return set(re.findall(r'^define [^@\n]*@"?([\w.]+)"?\(', ir_text, re.M))


def _same_as_interpreter(graph: Graph, feeds: dict) -> dict[str, np.ndarray]:
    expected = interpreter.run(graph, feeds)
    result = native.run_graph(native.compile_graph(graph), feeds)
    assert sorted(result) == sorted(expected)
    for name, want in expected.items():
        got = result[name]
        assert got.dtype == want.dtype, name
        assert got.shape == want.shape, name
        rtol, atol = dtypes.TOLERANCES[want.dtype.name]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=name)
    return result


# -- kernels and their names -----------------------------------------------------------


def test_kernels_are_named_after_layer_and_node():
    graph = Graph(name="names")
    x = ops.placeholder(graph, "x", (2, 3))
    with ops.layer_scope("dense_1"):
        hidden = ops.exp(x)
    with ops.layer_scope("loss/dense_1"):
        total = ops.sum(hidden * 2.0)
    graph.set_output("total", total.node_id)
    compiled = native.compile_graph(graph)
    defined = _defined(compiled.ir_text)
    exp_node = graph.node(hidden.node_id)
    sum_node = graph.node(total.node_id)
    assert codegen.kernel_name(exp_node) == f"dense_1_exp_{exp_node.id}"
    assert codegen.kernel_name(sum_node) == f"loss_dense_1_sum_{sum_node.id}"
    computed = [
        node for node in graph.nodes() if registry.get(node.op).kind != registry.SOURCE
    ]
    kernels = {f"{STEP}_{codegen.kernel_name(node)}" for node in computed}
    # (Plus the barrier threads meet at between kernels.)
    assert defined == {STEP, *kernels, "kgraph_barrier"}
    # Kernels are internal; only the step function is exported.
    for name in kernels:
        assert re.search(rf'define internal [^@\n]*@"{name}"', compiled.ir_text)
    np.testing.assert_allclose(
        native.run_graph(compiled, {"x": np.zeros((2, 3))})["total"], 12.0
    )


def test_a_node_outside_any_layer_has_a_plain_name():
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    y = ops.negative(x)
    graph.set_output("y", y.node_id)
    node = graph.node(y.node_id)
    assert node.layer in (None, "")
    assert codegen.kernel_name(node) == f"negative_{node.id}"


def test_reshape_is_a_view_without_a_kernel():
    graph = Graph(name="views")
    x = ops.placeholder(graph, "x", (2, 6))
    flat = ops.reshape(x, (12,))
    cube = ops.reshape(ops.exp(flat), (3, 2, 2))
    graph.set_output("flat", flat.node_id)
    graph.set_output("cube", cube.node_id)
    compiled = native.compile_graph(graph)
    assert not any("reshape" in name for name in _defined(compiled.ir_text))
    # Only exp needs arena space.
    assert compiled.layout.arena_size == codegen.align(12 * 4)
    x_value = np.arange(12, dtype="float32").reshape(2, 6)
    result = _same_as_interpreter(graph, {"x": x_value})
    assert result["cube"].shape == (3, 2, 2)


def test_an_input_returned_as_an_output_is_copied_out():
    graph = Graph()
    x = ops.placeholder(graph, "x", (3,))
    graph.set_output("x", x.node_id)
    graph.set_output("also", ops.reshape(x, (1, 3)).node_id)
    value = np.array([1.0, 2.0, 3.0], "float32")
    compiled = native.compile_graph(graph)
    assert compiled.layout.arena_size == 0
    result = native.run_graph(compiled, {"x": value})
    value[...] = 0.0
    np.testing.assert_array_equal(result["x"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(result["also"], [[1.0, 2.0, 3.0]])


def test_constants_become_module_globals():
    graph = Graph(name="constants")
    x = ops.placeholder(graph, "x", (2, 3))
    table = ops.graph_constant(graph, np.arange(6, dtype="float32").reshape(2, 3))
    flags = ops.graph_constant(graph, np.array([True, False, True]))
    y = ops.where(flags, x * table, -x)
    graph.set_output("y", y.node_id)
    compiled = native.compile_graph(graph)
    for node in (graph.node(table.node_id), graph.node(flags.node_id)):
        name = f"{STEP}_const_{node.id}"
        assert re.search(
            rf'^@"{name}" = internal constant \[\d+ x i8\] .*, align 64$',
            compiled.ir_text,
            re.M,
        )
        assert name not in _defined(compiled.ir_text)
    # Constants take no arena space: only the three computed nodes do.
    assert compiled.layout.arena_size == 3 * codegen.align(6 * 4)
    _same_as_interpreter(graph, {"x": np.ones((2, 3), "float32")})


def test_empty_and_scalar_constants():
    graph = Graph()
    x = ops.placeholder(graph, "x", (0,))
    empty = ops.graph_constant(graph, np.zeros((0,), "float32"))
    scalar = ops.graph_constant(graph, np.float32(2.5))
    graph.set_output("empty", (x + empty).node_id)
    graph.set_output("scalar", (scalar * scalar).node_id)
    result = _same_as_interpreter(graph, {"x": np.zeros((0,), "float32")})
    assert result["scalar"] == np.float32(6.25)


def test_emit_step_names_the_node_that_fails(monkeypatch):
    """``emit_step`` itself names the op and the node in the error."""
    module = ir.Module(name="half")
    graph = Graph()
    x = ops.placeholder(graph, "x", (2,))
    graph.set_output("y", ops.sqrt(x).node_id)

    def broken(*args, **kwargs):
        raise KeyError("missing")

    monkeypatch.setitem(
        registry._REGISTRY,
        "sqrt",
        dataclasses.replace(registry.get("sqrt"), lower=broken),
    )
    program = Program(graph=graph, kind=PREDICT, batch_size=0)
    with pytest.raises(errors.CompileError, match=r"Lowering sqrt .*sqrt\(%0\)"):
        codegen.emit_step(module, program, "half_step")


# -- shapes at the edges ---------------------------------------------------------------


def test_a_zero_size_dimension_runs():
    graph = Graph(name="empty")
    x = ops.placeholder(graph, "x", (0, 3))
    w = ops.placeholder(graph, "w", (3, 2))
    e = ops.placeholder(graph, "e", (4, 0))
    f = ops.placeholder(graph, "f", (0, 5))
    graph.set_output("exp", ops.exp(x).node_id)
    graph.set_output("sum0", ops.sum(x, axis=0).node_id)
    graph.set_output("sum1", ops.sum(x, axis=1).node_id)
    graph.set_output("max_all", ops.sum(ops.exp(x)).node_id)
    graph.set_output("matmul", ops.matmul(x, w).node_id)
    graph.set_output("inner0", ops.matmul(e, f).node_id)
    graph.set_output("concat", ops.concatenate([x, x], axis=0).node_id)
    feeds = {
        "x": np.zeros((0, 3), "float32"),
        "w": np.ones((3, 2), "float32"),
        "e": np.zeros((4, 0), "float32"),
        "f": np.zeros((0, 5), "float32"),
    }
    result = _same_as_interpreter(graph, feeds)
    np.testing.assert_array_equal(result["sum0"], np.zeros(3))
    np.testing.assert_array_equal(result["inner0"], np.zeros((4, 5)))
    assert result["exp"].shape == (0, 3) and result["sum1"].shape == (0,)


def test_rank_zero_tensors_run():
    graph = Graph(name="scalars")
    a = ops.placeholder(graph, "a", ())
    b = ops.placeholder(graph, "b", (), dtype="int64")
    v = ops.placeholder(graph, "v", (3,))
    graph.set_output("mixed", (ops.exp(a) * 2.0 - a).node_id)
    graph.set_output("broadcast", (v * a).node_id)
    graph.set_output("reduced", ops.sum(v).node_id)
    graph.set_output("reduced_keep", ops.sum(ops.reshape(a, (1,))).node_id)
    graph.set_output("int", (b * b).node_id)
    graph.set_output("flag", ops.greater(a, 0.0).node_id)
    feeds = {
        "a": np.float32(0.5),
        "b": np.int64(3_000_000_000),
        "v": np.array([1.0, 2.0, 3.0], "float32"),
    }
    result = _same_as_interpreter(graph, feeds)
    assert result["mixed"].shape == () and result["reduced"].shape == ()
    assert result["int"] == 9_000_000_000_000_000_000
    assert result["flag"].dtype == np.bool_ and bool(result["flag"])


# -- dtypes round-trip -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float32", "float64"])
def test_every_dtype_round_trips(dtype):
    graph = Graph(name=dtype)
    x = ops.placeholder(graph, "x", (2, 5), dtype=dtype)
    graph.set_output("same", ops.reshape(x, (10,)).node_id)
    graph.set_output("copied", ops.where(ops.equal(x, x), x, x).node_id)
    graph.set_output("as_float", ops.cast(x, "float64").node_id)
    graph.set_output("as_int", ops.cast(x, "int64").node_id)
    graph.set_output("as_bool", ops.cast(x, "bool").node_id)
    values = {
        "bool": np.array([[True, False, True, True, False]] * 2),
        "int32": np.array([[-(2**31), -1, 0, 7, 2**31 - 1]] * 2, "int32"),
        "int64": np.array([[-(2**62), -1, 0, 2**40 + 1, 2**62]] * 2, "int64"),
        "float32": np.array([[-1.5, -0.0, 1e-30, 3.25, 1e9]] * 2, "float32"),
        "float64": np.array([[-1.5, -0.0, 1e-300, 3.25, 1e15]] * 2, "float64"),
    }[dtype]
    # Floats stay inside the int64 range: out of it NumPy's cast is undefined
    # and native code saturates.
    result = _same_as_interpreter(graph, {"x": values})
    assert result["same"].dtype == np.dtype(dtype)
    np.testing.assert_array_equal(result["same"], values.reshape(10))
    np.testing.assert_array_equal(result["copied"], values)
    assert result["as_bool"].dtype == np.bool_
    assert result["as_int"].dtype == np.int64


def test_bool_and_int64_outputs_of_comparisons_and_argmax():
    graph = Graph(name="outputs")
    x = ops.placeholder(graph, "x", (3, 4))
    graph.set_output("positive", ops.greater(x, 0.0).node_id)
    graph.set_output("both", ops.logical_and(x > 0.0, x < 2.0).node_id)
    graph.set_output("index", ops.cast(ops.argmax(x, axis=1), "int64").node_id)
    graph.set_output(
        "count", ops.sum(ops.cast(ops.greater(x, 0.0), "int64"), axis=1).node_id
    )
    x_value = np.array(
        [[-1.0, 2.0, 0.5, 3.0], [0.0, 0.0, -2.0, 1.0], [5.0, 4.0, 3.0, 2.0]],
        "float32",
    )
    result = _same_as_interpreter(graph, {"x": x_value})
    assert result["positive"].dtype == np.bool_
    assert result["index"].dtype == np.int64
    np.testing.assert_array_equal(result["index"], [3, 3, 0])
    np.testing.assert_array_equal(result["count"], [3, 1, 4])
    # Bools leave native code as 0 or 1 bytes, never other values.
    assert set(result["both"].view(np.uint8).reshape(-1)) <= {0, 1}


def test_outputs_do_not_alias_each_other_or_the_arena():
    graph = Graph()
    x = ops.placeholder(graph, "x", (4,))
    y = ops.exp(x)
    graph.set_output("y", y.node_id)
    graph.set_output("again", y.node_id)
    compiled = native.compile_graph(graph)
    first = native.run_graph(compiled, {"x": np.zeros(4)})
    second = native.run_graph(compiled, {"x": np.ones(4)})
    np.testing.assert_array_equal(first["y"], np.ones(4))
    assert not np.shares_memory(first["y"], first["again"])
    np.testing.assert_allclose(second["again"], np.full(4, np.e), rtol=1e-6)

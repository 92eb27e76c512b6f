"""Bad input raises at graph-build time with messages that name the op."""

import numpy as np
import pytest

import kgraph as kg
from kgraph import errors
from kgraph import ops


def _graph_inputs(*shapes):
    graph = kg.Graph()
    return [ops.placeholder(graph, f"x{i}", s) for i, s in enumerate(shapes)]


def test_matmul_names_both_shapes():
    a, b = _graph_inputs((32, 784), (128, 10))
    message = (
        "matmul: cannot multiply f32[32,784] by f32[128,10]: inner dimensions "
        "784 and 128 differ"
    )
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        ops.matmul(a, b)


def test_broadcast_failure_names_op_and_shapes():
    a, b = _graph_inputs((None, 3), (4,))
    with pytest.raises(errors.ShapeError, match=r"add: .*\(None, 3\) and \(4,\)"):
        a + b


def test_bad_axis():
    (a,) = _graph_inputs((2, 3))
    with pytest.raises(errors.ShapeError, match="sum: axis 2 is out of range"):
        ops.sum(a, axis=2)


def test_reshape_element_count():
    with pytest.raises(errors.ShapeError, match=r"cannot reshape i32\[2,3\]"):
        ops.reshape(kg.constant([[1, 2, 3], [4, 5, 6]]), (4, 2))


def test_dtype_mismatch_in_primitive():
    with pytest.raises(errors.DTypeError, match="same dtype"):
        ops.apply("add", [np.ones(2, "float32"), np.ones(2, "float64")])


def test_errors_end_with_received():
    with pytest.raises(errors.ShapeError) as info:
        ops.transpose(kg.constant([[1.0]]), (0, 0))
    assert "Received:" in str(info.value)


def test_index_out_of_range():
    t = kg.constant([1, 2, 3])
    with pytest.raises(errors.ShapeError, match="index 3 is out of range"):
        t[3]
    with pytest.raises(errors.ShapeError, match="index 5 is out of range"):
        ops.take(t, [0, 5])


def test_symbolic_tensors_of_two_graphs_do_not_mix():
    (a,) = _graph_inputs((2,))
    (b,) = _graph_inputs((2,))
    with pytest.raises(errors.GraphError, match="different graphs"):
        a + b


def test_symbolic_tensor_has_no_truth_value():
    (a,) = _graph_inputs((2,))
    with pytest.raises(TypeError, match=r"cannot branch on a symbolic tensor.*where"):
        bool(a)

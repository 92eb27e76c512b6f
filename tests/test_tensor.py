"""Eager tensors: the seed's examples, NumPy interop, indexing and operators."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kgraph as kg


def test_seed_reshape_and_transpose():
    t = kg.constant([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(
        kg.reshape(t, [3, 2]).numpy(), [[1, 2], [3, 4], [5, 6]]
    )
    np.testing.assert_array_equal(kg.transpose(t).numpy(), [[1, 4], [2, 5], [3, 6]])


def test_seed_indexing():
    t = kg.constant([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    np.testing.assert_array_equal(t[1, :].numpy(), [4, 5, 6])
    np.testing.assert_array_equal(t[:, 1].numpy(), [2, 5, 8])


def test_dtypes_follow_keras():
    assert kg.constant([1, 2]).dtype == "int32"
    assert kg.constant([1.0, 2.0]).dtype == "float32"
    assert kg.constant(np.zeros(2, dtype="float64")).dtype == "float64"
    assert kg.constant([1, 2], dtype="float32").dtype == "float32"
    t = kg.constant([1, 2])
    assert (t + 1).dtype == "int32"
    assert (t + 1.5).dtype == "float32"
    assert (t / 2).dtype == "float32"
    assert (kg.constant([1.0]) + np.float64(1.0)).dtype == "float64"


def test_operators_and_numpy_interop():
    a = kg.constant([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[1.0], [2.0]], dtype="float32")
    np.testing.assert_allclose((a @ b).numpy(), [[5.0], [11.0]])
    np.testing.assert_allclose((-a).numpy(), -np.asarray(a))
    np.testing.assert_allclose((a**2).numpy(), [[1, 4], [9, 16]])
    np.testing.assert_allclose((2 - a).numpy(), [[1, 0], [-1, -2]])
    np.testing.assert_array_equal((a > 2).numpy(), [[False, False], [True, True]])
    np.testing.assert_array_equal((a == 2.0).numpy(), [[False, True], [False, False]])
    assert np.asarray(a).shape == (2, 2)
    assert a.shape == (2, 2) and a.ndim == 2


_KEYS = st.one_of(
    st.integers(-3, 2),
    st.slices(3),
    st.tuples(st.slices(3), st.integers(-3, 2)),
    st.tuples(st.integers(-3, 2), st.slices(3)),
    st.tuples(st.just(Ellipsis), st.integers(-3, 2)),
    st.tuples(st.slices(3), st.none(), st.slices(3)),
    st.tuples(st.none(), st.just(Ellipsis)),
    st.tuples(st.slices(3), st.slices(3), st.slices(4)),
)


@given(key=_KEYS)
def test_indexing_matches_numpy(key):
    array = np.arange(36, dtype="float32").reshape(3, 3, 4)
    expected = array[key]
    result = kg.constant(array)[key].numpy()
    np.testing.assert_array_equal(result, expected)
    assert result.shape == expected.shape


def test_integer_array_index():
    array = np.arange(12).reshape(3, 4).astype("int32")
    t = kg.constant(array)
    np.testing.assert_array_equal(t[[2, 0]].numpy(), array[[2, 0]])
    np.testing.assert_array_equal(t[:, [1, 3]].numpy(), array[:, [1, 3]])


def test_ops_functions_work_on_lists_and_tensors():
    np.testing.assert_allclose(kg.ops.softmax([0.0, 0.0]).numpy(), [0.5, 0.5])
    np.testing.assert_allclose(kg.ops.mean(kg.constant([[1, 2], [3, 4]])).numpy(), 2.5)
    np.testing.assert_array_equal(
        kg.ops.argmax([[1, 3], [4, 2]], axis=1).numpy(), [1, 0]
    )
    np.testing.assert_allclose(
        kg.ops.one_hot([0, 2], 3).numpy(), [[1, 0, 0], [0, 0, 1]]
    )
    np.testing.assert_allclose(
        kg.ops.clip([-2.0, 0.5, 3.0], 0.0, 1.0).numpy(), [0, 0.5, 1]
    )
    stacked = kg.ops.stack([[1, 2], [3, 4]], axis=1)
    np.testing.assert_array_equal(stacked.numpy(), [[1, 3], [2, 4]])
    np.testing.assert_allclose(
        kg.ops.logsumexp([1000.0, 1000.0]).numpy(), 1000.0 + np.log(2.0)
    )
    padded = kg.ops.pad([[1, 2]], ((1, 0), (0, 1)))
    np.testing.assert_array_equal(padded.numpy(), [[0, 0, 0], [1, 2, 0]])


def test_variable_acts_as_its_value():
    v = kg.Variable(np.ones((2, 2), dtype="float32"), "w")
    np.testing.assert_allclose((v * 2).numpy(), 2 * np.ones((2, 2)))
    v.assign(np.zeros((2, 2)))
    assert float(kg.ops.sum(v).numpy()) == 0.0


def test_variable_relocate_moves_the_value_and_checks_the_storage():
    from kgraph.tensor import Variable

    variable = Variable(np.arange(6.0).reshape(2, 3), "w", dtype="float32")
    storage = np.empty((2, 3), dtype="float32")
    variable.relocate(storage)
    assert variable.value is storage
    np.testing.assert_array_equal(storage, np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match=r"Variable 'w'.*Received: shape=\(3, 2\)"):
        variable.relocate(np.empty((3, 2), dtype="float32"))
    with pytest.raises(ValueError, match="dtype=float64"):
        variable.relocate(np.empty((2, 3)))

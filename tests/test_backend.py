"""``kgraph.backend`` (Keras's ``keras.backend``): kgraph's name, the
float32 and channels-last settings it supports, Keras's dtype names and
promotion, and the per-session counters."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import backend
from kgraph import ops


def test_the_backend_is_kgraph_with_keras_defaults():
    assert backend.backend() == "kgraph"
    assert backend.floatx() == "float32"
    assert backend.image_data_format() == "channels_last"
    assert backend.epsilon() == 1e-7


def test_epsilon_is_the_one_ops_use():
    try:
        backend.set_epsilon(0.1)
        assert backend.epsilon() == 0.1
        clipped = ops.binary_crossentropy(np.array([1.0]), np.array([0.0]))
        np.testing.assert_allclose(clipped.numpy(), [-np.log(0.1)], rtol=1e-6)
    finally:
        backend.set_epsilon(1e-7)


def test_setters_accept_what_kgraph_supports_and_explain_the_rest():
    backend.set_floatx("float32")
    backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="compute in float32"):
        backend.set_floatx("float64")
    with pytest.raises(ValueError, match="Unknown `floatx`"):
        backend.set_floatx("float31")
    with pytest.raises(ValueError, match="channels_last only"):
        backend.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match="data_format"):
        backend.set_image_data_format("rows_first")
    assert backend.floatx() == "float32"


def test_get_uid_counts_per_prefix_until_the_session_is_cleared():
    backend.clear_session()
    assert [backend.get_uid("a"), backend.get_uid("a"), backend.get_uid("b")] == [
        1,
        2,
        1,
    ]
    backend.clear_session()
    assert backend.get_uid("a") == 1
    assert kg.layers.Dense(1).name == "dense"


@pytest.mark.parametrize(
    ("dtype", "name"),
    [
        (None, "float32"),
        ("float64", "float64"),
        (np.float32, "float32"),
        (np.dtype("int64"), "int64"),
        (int, "int32"),
        (float, "float32"),
        (bool, "bool"),
        ("int", "int32"),
        ("bfloat16", "bfloat16"),
        ("uint8", "uint8"),
    ],
)
def test_standardize_dtype_gives_keras_names(dtype, name):
    assert backend.standardize_dtype(dtype) == name


def test_dtype_predicates_and_errors():
    assert backend.is_float_dtype("float16") and backend.is_float_dtype("bfloat16")
    assert not backend.is_float_dtype("int32")
    assert backend.is_int_dtype("uint8") and backend.is_int_dtype(np.int64)
    assert not backend.is_int_dtype("bool")
    with pytest.raises(ValueError, match="Invalid dtype"):
        backend.standardize_dtype("float13")


@pytest.mark.parametrize(
    ("dtypes", "result"),
    [
        ((), "float32"),
        (("int32", "float32"), "float32"),
        (("int64", "float32"), "float32"),
        (("int32", "int64"), "int64"),
        (("bool", "int32"), "int32"),
        (("float32", "float64"), "float64"),
        (("int64", float), "float32"),
        (("int32", int), "int32"),
        (("bool", int), "int32"),
        (("float64", float), "float64"),
        ((int,), "int32"),
    ],
)
def test_result_type_promotes_as_keras(dtypes, result):
    assert backend.result_type(*dtypes) == result


def test_is_keras_tensor_tells_model_definitions_from_values():
    inputs = kg.Input((3,))
    assert backend.is_keras_tensor(inputs)
    assert backend.is_keras_tensor(kg.layers.Dense(2)(inputs))
    assert not backend.is_keras_tensor(kg.constant([1.0]))
    assert not backend.is_keras_tensor(np.ones(3))

"""get_source_inputs, is_keras_tensor, standardize_dtype, normalize and the
registry names kg.utils re-exports."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg


def test_get_source_inputs_walks_back_to_the_inputs():
    a, b = kg.Input((2,)), kg.Input((2,))
    hidden = kg.layers.Dense(2)(b)
    c = kg.layers.Add()([a, hidden])
    assert kg.utils.get_source_inputs(c) == [a, b]
    assert kg.utils.get_source_inputs(hidden) == [b]
    assert kg.utils.get_source_inputs(a) == [a]


def test_is_keras_tensor_and_standardize_dtype():
    assert kg.utils.is_keras_tensor(kg.Input((2,)))
    assert not kg.utils.is_keras_tensor(np.ones(2))
    assert kg.utils.standardize_dtype(np.float64) == "float64"
    assert kg.utils.standardize_dtype("int") == "int32"
    with pytest.raises(ValueError, match="Invalid dtype"):
        kg.utils.standardize_dtype("float128x")


def test_normalize_divides_by_the_norm_and_leaves_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(kg.utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(
        kg.utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]]
    )
    tensor = kg.utils.normalize(kg.constant([[3.0, 4.0]]))
    np.testing.assert_allclose(np.asarray(tensor), [[0.6, 0.8]], rtol=1e-6)


def test_the_registry_names_are_the_savings():
    assert kg.utils.get_custom_objects is kg.saving.get_custom_objects
    assert kg.utils.custom_object_scope is kg.saving.custom_object_scope
    assert kg.utils.CustomObjectScope is kg.saving.CustomObjectScope
    assert kg.utils.register_keras_serializable is kg.saving.register_keras_serializable

    @kg.utils.register_keras_serializable(package="UtilsTest")
    def twice(x):
        return x * 2

    assert kg.utils.get_registered_name(twice) == "UtilsTest>twice"
    assert kg.utils.get_registered_object("UtilsTest>twice") is twice

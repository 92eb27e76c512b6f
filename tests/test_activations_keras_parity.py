"""Every activation kgraph and Keras both export, against Keras itself,
on values from float32's extremes through ±0 to NaN and ±inf (generated
from the names, ``keras_oracle``)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from keras_oracle import as_array
from keras_oracle import keras_twin
from keras_oracle import shared_functions

import kgraph as kg
from kgraph import dtypes

RTOL, ATOL = dtypes.KERAS_VALUE_TOLERANCE

NAMES = [
    name
    for name in shared_functions(kg.activations, "activations")
    if next(iter(inspect.signature(getattr(kg.activations, name)).parameters)) == "x"
]

# Arguments some activations require, by name.
_REQUIRED = {"threshold": 0.5, "default_value": -1.0}

VALUES = np.array(
    [
        [-3.0e38, -1e30, -88.0, -5.0, -1.0, -0.5, -0.0, 0.0, 0.3, 1.0, 5.0, 88.0],
        [
            1e30,
            3.0e38,
            -np.inf,
            np.inf,
            np.nan,
            1e-30,
            -1e-30,
            2.0,
            -2.0,
            0.5,
            3.0,
            6.0,
        ],
    ],
    dtype="float32",
)


@pytest.mark.parametrize("name", NAMES)
def test_activations_equal_keras(name):
    twin = keras_twin("activations", name)
    function = getattr(kg.activations, name)
    arguments = {
        parameter.name: _REQUIRED[parameter.name]
        for parameter in list(inspect.signature(function).parameters.values())[1:]
        if parameter.default is inspect.Parameter.empty
        and parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    }
    with np.errstate(all="ignore"):
        expected = as_array(twin(VALUES, **arguments))
        actual = as_array(function(VALUES, **arguments))
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)

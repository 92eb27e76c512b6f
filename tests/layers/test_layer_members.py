"""Keras's Layer members: dtypes, path, build config, own variables,
stateless and symbolic calls, output specs, metrics and add_metric."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg


def _dense():
    kg.utils.set_random_seed(0)
    layer = kg.layers.Dense(2)
    layer(kg.Input((3,)))
    return layer


def test_dtypes_and_path():
    layer = _dense()
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype) == ("float32",) * 3
    assert layer.input_dtype == "float32"
    assert layer.path == layer.name
    assert kg.layers.Layer.input_spec is None


def test_build_config_rebuilds_the_layer():
    layer = _dense()
    assert layer.get_build_config() == {"input_shape": (None, 3)}
    assert kg.layers.Dense(2).get_build_config() is None
    fresh = kg.layers.Dense(2)
    fresh.build_from_config({"input_shape": [None, 3]})
    assert fresh.built and fresh.kernel.shape == (3, 2)


def test_own_variables_round_trip_through_a_store():
    layer, other = _dense(), kg.layers.Dense(2)
    other.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert list(store) == ["0", "1"]
    other.load_own_variables(store)
    for mine, theirs in zip(layer.weights, other.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="expected 2 variables"):
        other.load_own_variables({"0": store["0"]})


def test_stateless_call_uses_the_given_values_and_keeps_its_own():
    layer = _dense()
    kernel = layer.kernel.numpy()
    outputs, non_trainable = layer.stateless_call(
        [np.ones((3, 2)), np.full(2, 0.5)], [], np.ones((1, 3))
    )
    np.testing.assert_allclose(np.asarray(outputs), [[3.5, 3.5]])
    assert non_trainable == []
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
    with pytest.raises(ValueError, match="trainable_variables"):
        layer.stateless_call([np.ones((3, 2))], [], np.ones((1, 3)))


def test_stateless_call_returns_updated_non_trainable_values():
    layer = kg.layers.BatchNormalization(momentum=0.5)
    layer.build((None, 2))
    x = np.array([[1.0, 2.0], [3.0, 6.0]], "float32")
    values = [v.numpy() for v in layer.non_trainable_variables]
    _, after = layer.stateless_call(
        [v.numpy() for v in layer.trainable_variables], values, x, training=True
    )
    # The moving mean moves halfway to the batch mean [2, 4].
    np.testing.assert_allclose(after[0], [1.0, 2.0], rtol=1e-6)
    np.testing.assert_array_equal(layer.non_trainable_variables[0].numpy(), values[0])


def test_compute_output_spec_and_symbolic_call():
    layer = _dense()
    spec = layer.compute_output_spec(kg.Input((3,)))
    assert spec.shape == (None, 2) and spec.dtype == "float32"
    assert spec.node is None
    output = layer.symbolic_call(kg.Input((3,)))
    assert output.shape == (None, 2) and output.node is not None


def test_metrics_assigned_to_a_layer_are_tracked():
    class Tracking(kg.layers.Layer):
        def __init__(self):
            super().__init__()
            self.tracker = kg.metrics.Mean(name="tracked")

        def call(self, inputs):
            return inputs

    layer = Tracking()
    assert [m.name for m in layer.metrics] == ["tracked"]
    assert len(layer.metrics_variables) == len(layer.tracker.variables)


def test_add_metric_is_gone_as_in_keras_3():
    with pytest.raises(NotImplementedError, match="deprecated"):
        _dense().add_metric(1.0)


def test_rematerialized_call_returns_the_call():
    layer = _dense()
    assert layer.rematerialized_call(layer.call) == layer.call

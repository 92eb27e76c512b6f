"""`Pipeline`: layers in order, training by default outside a model."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph.layers import Pipeline


def test_pipeline_applies_its_layers_in_order():
    pipeline = Pipeline(
        [kg.layers.Rescaling(0.5), kg.layers.Rescaling(2.0, offset=1.0)]
    )
    np.testing.assert_allclose(pipeline(np.array([[4.0]], "float32")).numpy(), [[5.0]])
    assert [type(layer).__name__ for layer in pipeline.layers] == [
        "Rescaling",
        "Rescaling",
    ]


def test_pipeline_trains_by_default_outside_a_model_only(backend):
    pipeline = Pipeline([kg.layers.Dropout(0.5, seed=1)])
    x = np.ones((4, 64), "float32")
    assert (pipeline(x).numpy() == 0.0).any()
    np.testing.assert_array_equal(pipeline(x, training=False).numpy(), x)
    inputs = kg.Input(shape=(64,))
    model = kg.Model(
        inputs, kg.layers.Dense(2)(Pipeline([kg.layers.Dropout(0.5)])(inputs))
    )
    model.compile(optimizer="sgd", loss="mse")
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    model.fit(x, np.zeros((4, 2), "float32"), verbose=0)


def test_pipeline_round_trips_and_saves(tmp_path):
    inputs = kg.Input(shape=(3,))
    pipeline = Pipeline([kg.layers.Dense(2), kg.layers.Rescaling(3.0)], name="pipe")
    model = kg.Model(inputs, pipeline(inputs))
    model.save(tmp_path / "m.keras")
    loaded = kg.models.load_model(tmp_path / "m.keras")
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    with pytest.raises(ValueError, match="list of layers"):
        Pipeline("dense")

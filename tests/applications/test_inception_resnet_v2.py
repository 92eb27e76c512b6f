"""``CustomScaleLayer``: Keras's InceptionResNetV2 residual scaling, found
by its class name in files Keras saved."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kgraph as kg
from kgraph.applications.inception_resnet_v2 import CustomScaleLayer

# Keras 3.15.1's ``to_json()`` of Input((2,)) -> CustomScaleLayer(0.5)([x, x]).
KERAS_JSON = {
    "module": "keras.src.models.functional",
    "class_name": "Functional",
    "config": {
        "name": "scaled",
        "trainable": True,
        "layers": [
            {
                "module": "keras.layers",
                "class_name": "InputLayer",
                "config": {
                    "batch_shape": [None, 2],
                    "dtype": "float32",
                    "sparse": False,
                    "ragged": False,
                    "name": "input_layer",
                    "optional": False,
                },
                "registered_name": None,
                "name": "input_layer",
                "inbound_nodes": [],
            },
            {
                "module": "keras.src.applications.inception_resnet_v2",
                "class_name": "CustomScaleLayer",
                "config": {
                    "name": "custom_scale_layer",
                    "trainable": True,
                    "dtype": {
                        "module": "keras",
                        "class_name": "DTypePolicy",
                        "config": {"name": "float32"},
                        "registered_name": None,
                    },
                    "scale": 0.5,
                },
                "registered_name": "CustomScaleLayer",
                "build_config": {"input_shape": [[None, 2], [None, 2]]},
                "name": "custom_scale_layer",
                "inbound_nodes": [
                    {
                        "args": [
                            [
                                {
                                    "class_name": "__keras_tensor__",
                                    "config": {
                                        "shape": [None, 2],
                                        "dtype": "float32",
                                        "keras_history": ["input_layer", 0, 0],
                                    },
                                },
                                {
                                    "class_name": "__keras_tensor__",
                                    "config": {
                                        "shape": [None, 2],
                                        "dtype": "float32",
                                        "keras_history": ["input_layer", 0, 0],
                                    },
                                },
                            ]
                        ],
                        "kwargs": {},
                    }
                ],
            },
        ],
        "input_layers": ["input_layer", 0, 0],
        "output_layers": ["custom_scale_layer", 0, 0],
    },
    "registered_name": "Functional",
    "build_config": {"input_shape": None},
    "compile_config": {},
}
X = np.array([[1.0, -2.0], [0.5, 4.0]], dtype="float32")


def test_keras_config_loads_and_scales(backend, monkeypatch):
    monkeypatch.setenv("KGRAPH_BACKEND", backend)
    model = kg.models.model_from_json(json.dumps(KERAS_JSON))
    assert isinstance(model.layers[1], CustomScaleLayer)
    np.testing.assert_allclose(model.predict(X, verbose=0), X + X * 0.5, rtol=1e-6)


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_scales_the_second_input_and_round_trips(tmp_path, suffix, monkeypatch):
    monkeypatch.setenv("KGRAPH_BACKEND", "llvm")
    a, b = kg.Input((2,)), kg.Input((2,))
    model = kg.Model([a, b], CustomScaleLayer(0.17)([a, b]))
    want = X + X[::-1] * 0.17
    np.testing.assert_allclose(model.predict([X, X[::-1]], verbose=0), want, rtol=1e-6)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = kg.models.load_model(path)
    assert loaded.layers[-1].get_config()["scale"] == pytest.approx(0.17)
    np.testing.assert_allclose(loaded.predict([X, X[::-1]], verbose=0), want, rtol=1e-6)

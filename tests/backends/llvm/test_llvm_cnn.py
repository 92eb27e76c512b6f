"""Small convolutional networks train alike on both backends: the History,
the weights and optimizer slots, ``evaluate`` and ``predict`` agree within
``dtypes.MODEL_TOLERANCE`` (the native convolution sums in another order
than NumPy's BLAS)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import kgraph as kg
from kgraph import dtypes
from kgraph import layers

RTOL, ATOL = dtypes.MODEL_TOLERANCE


def _image_model() -> kg.Model:
    """Two convolutions (the second one's input gradient is a convolution
    too), both poolings, dropout and a regularizer."""
    inputs = kg.Input((9, 8, 2))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(
        3, (2, 3), strides=(1, 2), activation="tanh", kernel_regularizer="l2"
    )(x)
    x = layers.AveragePooling2D(2, padding="same")(x)
    x = layers.Dropout(0.2)(layers.Flatten()(x))
    outputs = layers.Dense(3, activation="softmax")(x)
    model = kg.Model(inputs, outputs)
    return model


def _sequence_model() -> kg.Model:
    """Causal dilated and strided 1-D convolutions, global poolings."""
    inputs = kg.Input((12, 3))
    x = layers.Conv1D(5, 3, padding="causal", dilation_rate=2, activation="relu")(
        inputs
    )
    x = layers.Conv1D(4, 3, strides=2, padding="same")(x)
    pooled = layers.MaxPooling1D(3, strides=2, padding="same")(x)
    merged = layers.concatenate(
        [layers.GlobalMaxPooling1D()(pooled), layers.GlobalAveragePooling1D()(x)]
    )
    return kg.Model(inputs, layers.Dense(2)(merged))


def _image_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(20, 9, 8, 2)).astype("float32")
    return x, rng.integers(0, 3, 20).astype("int32")


def _sequence_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(20, 12, 3)).astype("float32")
    return x, rng.normal(size=(20, 2)).astype("float32")


EXPERIMENTS = {
    "image": (
        _image_model,
        _image_data,
        lambda: kg.optimizers.Adam(0.01),
        "sparse_categorical_crossentropy",
        ["accuracy"],
    ),
    "sequence": (
        _sequence_model,
        _sequence_data,
        lambda: kg.optimizers.RMSprop(0.01, momentum=0.5),
        "mse",
        ["mae"],
    ),
}


def _run(name: str, backend: str) -> dict[str, Any]:
    make_model, make_data, make_optimizer, loss, metrics = EXPERIMENTS[name]
    kg.utils.clear_session()
    kg.utils.set_random_seed(3)
    model = make_model()
    model.compile(
        optimizer=make_optimizer(), loss=loss, metrics=metrics, backend=backend
    )
    x, y = make_data(np.random.default_rng(4))
    history = model.fit(x, y, batch_size=7, epochs=2, verbose=0, validation_split=0.25)
    return {
        "history": history.history,
        "weights": model.get_weights(),
        "slots": [v.numpy() for v in model.optimizer.variables],
        "evaluate": model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True),
        "predict": model.predict(x, batch_size=7, verbose=0),
    }


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_cnn_trains_alike_on_both_backends(name):
    expected, result = _run(name, "numpy"), _run(name, "llvm")
    assert sorted(result["history"]) == sorted(expected["history"])
    for key, values in expected["history"].items():
        np.testing.assert_allclose(
            result["history"][key], values, rtol=RTOL, atol=ATOL, err_msg=key
        )
    for key, value in expected["evaluate"].items():
        np.testing.assert_allclose(
            result["evaluate"][key], value, rtol=RTOL, atol=ATOL, err_msg=key
        )
    for kind in ("weights", "slots"):
        assert len(result[kind]) == len(expected[kind])
        for index, (got, want) in enumerate(
            zip(result[kind], expected[kind], strict=True)
        ):
            np.testing.assert_allclose(
                got, want, rtol=RTOL, atol=ATOL, err_msg=f"{kind}[{index}]"
            )
    np.testing.assert_allclose(
        result["predict"], expected["predict"], rtol=RTOL, atol=ATOL
    )
    # The weights moved: the model trained.
    kg.utils.clear_session()
    kg.utils.set_random_seed(3)
    initial = EXPERIMENTS[name][0]().get_weights()
    assert all(
        not np.array_equal(a, b)
        for a, b in zip(initial, result["weights"], strict=True)
    )

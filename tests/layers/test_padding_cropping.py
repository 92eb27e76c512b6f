"""ZeroPadding1D/2D/3D and Cropping1D/2D/3D: Keras's argument forms, numbers
against ``np.pad`` and slicing on both backends, configs, training through
them, save/load and errors."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")


@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape", "output_shape"),
    [
        (layers.ZeroPadding1D, {}, (2, 4, 3), (2, 6, 3)),
        (layers.ZeroPadding1D, {"padding": (0, 2)}, (2, 4, 3), (2, 6, 3)),
        (layers.ZeroPadding2D, {"padding": (1, 2)}, (2, 3, 4, 2), (2, 5, 8, 2)),
        (layers.ZeroPadding3D, {"padding": 1}, (2, 2, 3, 2, 1), (2, 4, 5, 4, 1)),
        (layers.Cropping1D, {"cropping": (1, 2)}, (2, 6, 3), (2, 3, 3)),
        (layers.Cropping2D, {"cropping": ((1, 0), (2, 1))}, (2, 4, 5, 2), (2, 3, 2, 2)),
        (layers.Cropping3D, {}, (2, 3, 4, 5, 1), (2, 1, 2, 3, 1)),
    ],
)
def test_standard_checks(cls, kwargs, input_shape, output_shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        backends=BACKENDS,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_numbers_match_numpy(backend, rng):
    x = rng.normal(size=(2, 5, 6, 3)).astype("float32")
    inputs = kg.Input(x.shape[1:])
    outputs = [
        layers.ZeroPadding2D(((1, 0), (2, 3)))(inputs),
        layers.ZeroPadding2D(1, data_format="channels_first")(inputs),
        layers.Cropping2D(((1, 2), (0, 1)))(inputs),
        layers.Cropping2D(1, data_format="channels_first")(inputs),
    ]
    model = kg.Model(inputs, outputs)
    model.compile(backend=backend)
    got = model.predict(x, verbose=0)
    expected = [
        np.pad(x, ((0, 0), (1, 0), (2, 3), (0, 0))),
        np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))),
        x[:, 1:-2, 0:-1],
        x[:, :, 1:-1, 1:-1],
    ]
    for have, want in zip(got, expected, strict=True):
        np.testing.assert_array_equal(have, want)
    seq = rng.normal(size=(2, 6, 2)).astype("float32")
    np.testing.assert_array_equal(
        layers.ZeroPadding1D((2, 1))(seq).numpy(), np.pad(seq, ((0, 0), (2, 1), (0, 0)))
    )
    np.testing.assert_array_equal(layers.Cropping1D(2)(seq).numpy(), seq[:, 2:-2])
    vol = rng.normal(size=(1, 4, 4, 4, 1)).astype("float32")
    cropped = layers.Cropping3D(((0, 1), 1, (2, 0)))(vol).numpy()
    np.testing.assert_array_equal(cropped, vol[:, 0:-1, 1:-1, 2:])
    padded = layers.ZeroPadding3D((1, 0, 2))(vol).numpy()
    np.testing.assert_array_equal(
        padded, np.pad(vol, ((0, 0), (1, 1), (0, 0), (2, 2), (0, 0)))
    )


def test_configs_are_keras():
    assert layers.ZeroPadding2D(1).get_config()["padding"] == ((1, 1), (1, 1))
    assert layers.ZeroPadding1D().get_config()["padding"] == (1, 1)
    config = layers.Cropping1D(2).get_config()
    assert config["cropping"] == (2, 2) and "data_format" not in config
    config = layers.Cropping3D().get_config()
    assert config["cropping"] == ((1, 1), (1, 1), (1, 1))
    assert layers.Cropping3D.from_config(config).get_config() == config
    assert layers.ZeroPadding2D().name.startswith("zero_padding2d")
    assert layers.Cropping2D().name == "cropping2d"


def test_a_model_trains_through_them_and_saves(tmp_path, rng):
    x = rng.normal(size=(8, 6, 6, 1)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    model = kg.Sequential(
        [
            kg.Input((6, 6, 1)),
            layers.ZeroPadding2D(1),
            layers.Conv2D(2, 3),
            layers.Cropping2D(((1, 0), (0, 1))),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", backend="llvm")
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    expected = model.predict(x, verbose=0)
    path = tmp_path / "edges.kgraph"
    model.save(path)
    loaded = kg.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (
            lambda: layers.ZeroPadding2D((1, 2, 3)),
            r"`padding` should be an int, a tuple",
        ),
        (lambda: layers.ZeroPadding1D(-1), r"non-negative integer.*padding=-1"),
        (lambda: layers.Cropping2D(((1, 2), (1,))), r"entry 1 of cropping"),
        (lambda: layers.Cropping3D(1, data_format="nhwc"), r"`data_format` must be"),
    ],
)
def test_bad_arguments_are_rejected(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_cropping_everything_fails_at_definition():
    with pytest.raises(ValueError, match=r"\(Cropping1D\): values in `cropping`"):
        layers.Cropping1D((2, 2))(kg.Input((4, 3)))
    with pytest.raises(ValueError, match=r"must be smaller"):
        layers.Cropping2D(((0, 0), (3, 3)))(kg.Input((8, 6, 1)))
    # Padding, like cropping, works on sizes known only when the model runs.
    assert layers.ZeroPadding2D(1)(kg.Input((None, 5, 3))).shape == (None, None, 7, 3)
    # Cropping works on unknown sizes.
    assert layers.Cropping2D(1)(kg.Input((None, 5, 3))).shape == (None, None, 3, 3)

"""``SpatialDropout1D/2D/3D``, ``GaussianNoise``, ``GaussianDropout``,
``AlphaDropout`` and ``ActivityRegularization``: Keras's formulas, active
only in training, the same noise on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")
NOISY = [
    (layers.SpatialDropout1D, {"rate": 0.3}, (2, 5, 4)),
    (layers.SpatialDropout2D, {"rate": 0.3}, (2, 3, 3, 4)),
    (
        layers.SpatialDropout3D,
        {"rate": 0.3, "data_format": "channels_first"},
        (2, 4, 2, 2, 2),
    ),
    (layers.GaussianNoise, {"stddev": 0.5}, (2, 6)),
    (layers.GaussianDropout, {"rate": 0.3}, (2, 6)),
    (layers.AlphaDropout, {"rate": 0.3}, (2, 6)),
]


@pytest.mark.parametrize("cls,kwargs,shape", NOISY)
def test_standard_checks(cls, kwargs, shape):
    run_layer_test(cls, kwargs, input_shape=shape, expected_output_shape=shape)


@pytest.mark.parametrize("cls,kwargs,shape", NOISY)
def test_identity_at_inference(cls, kwargs, shape, rng):
    data = rng.normal(size=shape).astype("float32")
    layer = cls(**kwargs)
    np.testing.assert_array_equal(layer(data).numpy(), data)
    x = kg.Input(shape=shape[1:])
    model = kg.Model(x, layer(x))
    np.testing.assert_array_equal(model.predict(data, verbose=0), data)


@pytest.mark.parametrize("cls,kwargs,shape", NOISY)
def test_config_round_trip(cls, kwargs, shape):
    layer = cls(**kwargs, seed=3)
    config = layer.get_config()
    assert config["seed"] == 3 and "salt" not in config
    assert cls.from_config(config).get_config() == config
    unseeded = cls(**kwargs).get_config()
    assert cls.from_config(unseeded).get_config() == unseeded


@pytest.mark.parametrize(
    "cls,shape,kept_axes",
    [
        (layers.SpatialDropout1D, (4, 30, 8), (1,)),
        (layers.SpatialDropout2D, (4, 5, 6, 8), (1, 2)),
        (layers.SpatialDropout3D, (4, 2, 3, 4, 8), (1, 2, 3)),
    ],
)
def test_spatial_dropout_drops_whole_channels(cls, shape, kept_axes):
    out = cls(0.5)(np.ones(shape, "float32"), training=True).numpy()
    first = out[(slice(None),) + (slice(0, 1),) * len(kept_axes)]
    np.testing.assert_array_equal(out, np.broadcast_to(first, shape))
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert 0.2 < np.mean(out == 0) < 0.8


def test_spatial_dropout_channels_first():
    out = layers.SpatialDropout2D(0.5, data_format="channels_first")(
        np.ones((4, 8, 5, 6), "float32"), training=True
    ).numpy()
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :, :1, :1], out.shape))


def test_gaussian_noise_statistics():
    data = np.full((200, 100), 3.0, "float32")
    out = layers.GaussianNoise(0.5)(data, training=True).numpy()
    assert abs(out.mean() - 3.0) < 0.02
    assert abs(out.std() - 0.5) < 0.02


def test_gaussian_dropout_statistics():
    rate = 0.3
    data = np.full((200, 100), 2.0, "float32")
    out = layers.GaussianDropout(rate)(data, training=True).numpy()
    assert abs(out.mean() - 2.0) < 0.03
    assert abs(out.std() - 2.0 * np.sqrt(rate / (1 - rate))) < 0.03


def test_alpha_dropout_matches_keras_formula():
    rate = 0.2
    data = np.linspace(-2, 2, 20000, dtype="float32").reshape(200, 100)
    out = layers.AlphaDropout(rate)(data, training=True).numpy()
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    kept = np.isclose(out, a * data + b, atol=1e-5)
    dropped = np.isclose(out, a * alpha_p + b, atol=1e-5)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - rate) < 0.02


@pytest.mark.parametrize("cls,kwargs,shape", NOISY)
def test_active_in_fit_alike_on_both_backends(cls, kwargs, shape, rng):
    data = rng.uniform(0.5, 1.5, size=(8, *shape[1:])).astype("float32")
    targets = data.reshape(8, -1).sum(axis=1, keepdims=True)
    losses = []
    for backend in BACKENDS:
        kg.utils.set_random_seed(11)
        x = kg.Input(shape=shape[1:])
        noisy = layers.Flatten()(cls(**kwargs)(x))
        y = layers.Dense(1, kernel_initializer="ones", use_bias=False)(noisy)
        model = kg.Model(x, y)
        model.compile(
            optimizer=kg.optimizers.SGD(learning_rate=0.0), loss="mse", backend=backend
        )
        losses.append(model.fit(data, targets, batch_size=8, verbose=0).history["loss"])
        assert model.evaluate(data, targets, verbose=0) == pytest.approx(0.0, abs=1e-6)
    assert losses[0][0] > 1e-4
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_activity_regularization_adds_its_penalty(backend, rng):
    x = kg.Input(shape=(3,))
    y = layers.ActivityRegularization(l1=0.1, l2=0.2)(x)
    model = kg.Model(x, y)
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    data = rng.normal(size=(4, 3)).astype("float32")
    penalty = (0.1 * np.abs(data).sum() + 0.2 * np.square(data).sum()) / 4
    # The output equals the input: the loss is the penalty alone.
    loss = model.evaluate(data, data, verbose=0, batch_size=4)
    assert loss == pytest.approx(penalty, rel=1e-5)
    history = model.fit(data, data, batch_size=4, verbose=0).history["loss"][0]
    assert history == pytest.approx(penalty, rel=1e-5)


def test_activity_regularization_config():
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    config = layer.get_config()
    assert config["l1"] == 0.1 and config["l2"] == 0.2
    assert "activity_regularizer" not in config
    assert layers.ActivityRegularization.from_config(config).get_config() == config
    np.testing.assert_array_equal(layer(np.ones((2, 2), "float32")).numpy(), 1.0)

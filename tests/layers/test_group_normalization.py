"""``GroupNormalization``, ``UnitNormalization`` and ``RMSNormalization``
against NumPy transcriptions of Keras's formulas, in models on both
backends, training on LLVM, and config round trips."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")
TOL = {"rtol": 1e-5, "atol": 1e-5}


def _group_norm(x, groups, axis, gamma, beta, epsilon=1e-3):
    axis = axis % x.ndim
    c = x.shape[axis]
    shape = (*x.shape[:axis], groups, c // groups, *x.shape[axis + 1 :])
    g = x.reshape(shape)
    axes = tuple(i for i in range(1, g.ndim) if i != axis)
    mean = g.mean(axis=axes, keepdims=True)
    var = g.var(axis=axes, keepdims=True)
    out = ((g - mean) / np.sqrt(var + epsilon)).reshape(x.shape)
    bshape = [1] * x.ndim
    bshape[axis] = c
    return out * gamma.reshape(bshape) + beta.reshape(bshape)


def _predict(layer, data, backend):
    x = kg.Input(shape=data.shape[1:])
    model = kg.Model(x, layer(x))
    model.compile(loss="mse", backend=backend)
    return model.predict(data, verbose=0)


@pytest.mark.parametrize(
    "cls,kwargs,shape,weights",
    [
        (layers.GroupNormalization, {"groups": 2}, (2, 3, 4), 2),
        (layers.UnitNormalization, {}, (2, 3, 4), 0),
        (layers.RMSNormalization, {}, (2, 3, 4), 1),
    ],
)
def test_standard_checks(cls, kwargs, shape, weights):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=shape,
        expected_num_trainable_weights=weights,
        backends=BACKENDS,
    )


@pytest.mark.parametrize(
    "groups,axis,shape",
    [(3, -1, (2, 5, 6)), (2, 1, (2, 6, 3, 4)), (-1, -1, (2, 3, 4, 6)), (1, -1, (2, 6))],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_group_normalization_matches_numpy(rng, groups, axis, shape, backend):
    data = rng.normal(size=shape).astype("float32") * 2 + 1
    layer = layers.GroupNormalization(groups=groups, axis=axis)
    layer(data)
    channels = shape[axis]
    gamma = rng.normal(size=channels).astype("float32")
    beta = rng.normal(size=channels).astype("float32")
    layer.set_weights([gamma, beta])
    count = channels if groups == -1 else groups
    expected = _group_norm(data, count, axis, gamma, beta)
    np.testing.assert_allclose(layer(data).numpy(), expected, **TOL)
    np.testing.assert_allclose(_predict(layer, data, backend), expected, **TOL)


def test_group_normalization_config_and_errors():
    layer = layers.GroupNormalization(groups=4, epsilon=0.01, center=False)
    config = layer.get_config()
    assert config["groups"] == 4 and config["center"] is False
    assert layers.GroupNormalization.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="multiple"):
        layers.GroupNormalization(groups=4)(np.ones((2, 6), "float32"))
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)


def test_group_normalization_trains_on_llvm(rng):
    x = kg.Input(shape=(4, 6))
    norm = layers.GroupNormalization(groups=3)
    y = layers.Dense(1)(layers.Flatten()(norm(x)))
    model = kg.Model(x, y)
    model.compile(optimizer="adam", loss="mse", backend="llvm")
    data = rng.normal(size=(16, 4, 6)).astype("float32")
    history = model.fit(data, data.sum(axis=(1, 2)), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    gamma, beta = norm.get_weights()
    assert not np.allclose(gamma, 1.0) and not np.allclose(beta, 0.0)


@pytest.mark.parametrize("axis", [-1, [1, 2]])
@pytest.mark.parametrize("backend", BACKENDS)
def test_unit_normalization_matches_numpy(rng, axis, backend):
    data = rng.normal(size=(2, 3, 4)).astype("float32")
    axes = tuple(np.atleast_1d(axis) % 3)
    norm = np.sqrt(np.square(data).sum(axis=axes, keepdims=True))
    expected = data / norm
    layer = layers.UnitNormalization(axis=axis)
    np.testing.assert_allclose(layer(data).numpy(), expected, **TOL)
    np.testing.assert_allclose(_predict(layer, data, backend), expected, **TOL)
    zeros = layer(np.zeros((1, 3, 4), "float32")).numpy()
    np.testing.assert_array_equal(zeros, 0.0)


@pytest.mark.parametrize("axis,epsilon", [(-1, 1e-6), ([1, 2], 0.01)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_rms_normalization_matches_numpy(rng, axis, epsilon, backend):
    data = rng.normal(size=(2, 3, 4)).astype("float32")
    layer = layers.RMSNormalization(axis=axis, epsilon=epsilon)
    layer(data)
    scale = rng.normal(size=layer.scale.shape).astype("float32")
    layer.set_weights([scale])
    axes = tuple(np.atleast_1d(axis) % 3)
    rms = np.sqrt(np.square(data).mean(axis=axes, keepdims=True) + epsilon)
    expected = data / rms * scale
    np.testing.assert_allclose(layer(data).numpy(), expected, **TOL)
    np.testing.assert_allclose(_predict(layer, data, backend), expected, **TOL)
    assert layer.get_config()["axis"] == sorted(np.atleast_1d(axis).tolist())


def test_unit_and_rms_configs():
    unit = layers.UnitNormalization(axis=[1, 2])
    assert layers.UnitNormalization.from_config(unit.get_config()).axis == [1, 2]
    rms = layers.RMSNormalization(epsilon=0.1)
    assert layers.RMSNormalization.from_config(rms.get_config()).epsilon == 0.1
    with pytest.raises(TypeError, match="axis"):
        layers.UnitNormalization(axis="last")


@pytest.mark.parametrize("backend", BACKENDS)
def test_group_normalization_on_images_of_any_size(rng, backend):
    x = kg.Input(shape=(None, None, 6))
    layer = layers.GroupNormalization(groups=3)
    model = kg.Model(x, layer(x))
    model.compile(loss="mse", backend=backend)
    gamma, beta = np.ones(6, "float32"), np.zeros(6, "float32")
    for size in ((3, 4), (2, 5)):
        data = rng.normal(size=(2, *size, 6)).astype("float32")
        expected = _group_norm(data, 3, -1, gamma, beta)
        np.testing.assert_allclose(model.predict(data, verbose=0), expected, **TOL)

"""``SpectralNormalization`` against a NumPy transcription of Keras's power
iteration: eager calls, training steps on both backends (the same result),
Keras's weight layout and config round trips."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers


def _normalize(x):
    return x * min(1.0 / np.sqrt(np.square(x).sum()), 1e7)


def _spectral(kernel, u, iterations):
    w = kernel.reshape(-1, kernel.shape[-1])
    for _ in range(iterations):
        v = _normalize(u @ w.T)
        u = _normalize(v @ w)
    sigma = (v @ w) @ u.T
    return u, (w / sigma).reshape(kernel.shape)


@pytest.mark.parametrize("iterations", [1, 3])
def test_training_call_normalizes_the_kernel(rng, iterations):
    layer = layers.SpectralNormalization(layers.Dense(3), power_iterations=iterations)
    x = rng.normal(size=(2, 4)).astype("float32")
    np.testing.assert_allclose(
        layer(x).numpy(), x @ layer.layer.kernel.numpy(), rtol=1e-6
    )
    u, kernel = _spectral(layer.kernel.numpy(), layer.vector_u.numpy(), iterations)
    out = layer(x, training=True).numpy()
    np.testing.assert_allclose(layer.vector_u.numpy(), u, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.kernel.numpy(), kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, x @ kernel, rtol=1e-5, atol=1e-6)
    for _ in range(30):  # the estimate converges: the kernel's norm is 1
        layer(x, training=True)
    singular = np.linalg.svd(layer.kernel.numpy(), compute_uv=False)[0]
    assert singular == pytest.approx(1.0, rel=1e-3)


def test_weights_follow_keras(rng):
    layer = layers.SpectralNormalization(layers.Dense(3), name="sn")
    layer(np.ones((1, 4), "float32"))
    assert [w.path for w in layer.weights] == [
        "sn/dense/kernel",
        "sn/vector_u",
        "sn/dense/bias",
    ]
    assert [w.path for w in layer.non_trainable_weights] == ["sn/vector_u"]


def test_convolution_kernels(rng):
    layer = layers.SpectralNormalization(layers.Conv2D(2, 3))
    x = rng.normal(size=(1, 5, 5, 3)).astype("float32")
    layer(x)
    _, kernel = _spectral(layer.kernel.numpy(), layer.vector_u.numpy(), 1)
    layer(x, training=True)
    np.testing.assert_allclose(layer.kernel.numpy(), kernel, rtol=1e-5, atol=1e-6)


def _fit(backend, x, y):
    kg.utils.set_random_seed(3)
    inputs = kg.Input(shape=(4,))
    wrapper = layers.SpectralNormalization(layers.Dense(3), power_iterations=2)
    model = kg.Model(inputs, layers.Dense(1)(wrapper(inputs)))
    model.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse", backend=backend)
    start = [w.numpy() for w in model.weights]
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    return start, model, wrapper


def test_a_training_step_uses_and_updates_the_estimate(rng):
    x = rng.normal(size=(4, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    start, model, wrapper = _fit("numpy", x, y)
    kernel, u, bias, head, head_bias = start
    new_u, normalized = _spectral(kernel, u, 2)
    np.testing.assert_allclose(wrapper.vector_u.numpy(), new_u, rtol=1e-5, atol=1e-6)
    # The step's loss is computed with the normalized kernel.
    hidden = x @ normalized + bias
    loss = np.mean(np.square(hidden @ head + head_bias - y))
    assert model.history.history["loss"][0] == pytest.approx(loss, rel=1e-5)
    assert not np.allclose(wrapper.kernel.numpy(), kernel)
    # Inference uses the kernel as it is.
    expected = (x @ wrapper.kernel.numpy() + wrapper.layer.bias.numpy()) @ (
        model.layers[-1].kernel.numpy()
    ) + model.layers[-1].bias.numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5)


def test_both_backends_train_alike(rng):
    x = rng.normal(size=(8, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    _, reference, _ = _fit("numpy", x, y)
    _, native, _ = _fit("llvm", x, y)
    for a, b in zip(reference.weights, native.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_config_round_trip_and_saving(rng, tmp_path):
    wrapper = layers.SpectralNormalization(layers.Dense(3), power_iterations=2)
    config = wrapper.get_config()
    assert config["power_iterations"] == 2
    assert config["layer"]["class_name"] == "Dense"
    again = layers.SpectralNormalization.from_config(config)
    assert again.power_iterations == 2 and isinstance(again.layer, layers.Dense)
    inputs = kg.Input(shape=(4,))
    model = kg.Model(inputs, wrapper(inputs))
    wrapper(rng.normal(size=(2, 4)).astype("float32"), training=True)
    x = rng.normal(size=(2, 4)).astype("float32")
    for name in ("m.kgraph", "m.keras"):
        if name.endswith(".keras"):
            pytest.importorskip("h5py")
        model.save(tmp_path / name)
        loaded = kg.models.load_model(tmp_path / name)
        np.testing.assert_array_equal(
            loaded.predict(x, verbose=0), model.predict(x, verbose=0)
        )
        np.testing.assert_array_equal(
            loaded.layers[1].vector_u.numpy(), wrapper.vector_u.numpy()
        )


def test_errors():
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="kernel"):
        layers.SpectralNormalization(layers.ReLU())(np.ones((1, 2), "float32"))

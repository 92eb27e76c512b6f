"""``LayerNormalization`` and ``BatchNormalization`` against NumPy
transcriptions, and the moving statistics updated inside the compiled
training step (``Layer.add_state_update``) on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import dtypes
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")


def _layer_norm(x, axes, gamma, beta, epsilon=1e-3):
    mean = x.mean(axis=axes, keepdims=True)
    variance = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def _batch_norm(x, mean, variance, gamma, beta, epsilon=1e-3):
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


# -- standard checks ------------------------------------------------------------


def test_layer_normalization_standard_checks():
    run_layer_test(
        layers.LayerNormalization,
        {},
        input_shape=(2, 4),
        expected_output_shape=(2, 4),
        expected_num_trainable_weights=2,
        backends=BACKENDS,
    )


def test_layer_normalization_standard_checks_several_axes():
    run_layer_test(
        layers.LayerNormalization,
        {"axis": [1, 2], "center": False},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=1,
        backends=BACKENDS,
    )


def test_batch_normalization_standard_checks():
    run_layer_test(
        layers.BatchNormalization,
        {"momentum": 0.9},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=2,
        backends=BACKENDS,
    )


def test_batch_normalization_standard_checks_channels_first():
    run_layer_test(
        layers.BatchNormalization,
        {"axis": 1, "scale": False},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=2,
        backends=BACKENDS,
    )


# -- LayerNormalization numbers ---------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_layer_normalization_matches_numpy(backend, axis, rng):
    x_data = rng.normal(2.0, 3.0, size=(5, 3, 4)).astype("float32")
    layer = layers.LayerNormalization(
        axis=axis, gamma_initializer="random_normal", beta_initializer="random_normal"
    )
    x = kg.Input(shape=(3, 4))
    model = kg.Model(x, layer(x))
    model.compile(loss="mse", backend=backend)
    axes = tuple(axis) if isinstance(axis, list) else (axis,)
    param_shape = [1, 1, 1]
    for a in axes:
        param_shape[a] = x_data.shape[a]
    gamma = layer.gamma.numpy().reshape(param_shape)
    beta = layer.beta.numpy().reshape(param_shape)
    expected = _layer_norm(x_data, axes, gamma, beta)
    np.testing.assert_allclose(
        model.predict(x_data, verbose=0), expected, rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(layer(x_data).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_layer_normalization_config_and_errors():
    config = layers.LayerNormalization(axis=[1, 2], epsilon=1e-5).get_config()
    assert config["axis"] == [1, 2]
    assert config["epsilon"] == 1e-5
    with pytest.raises(ValueError, match=r"`axis` must be an int or a list"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match=r"out of range.*Received: axis=3"):
        layers.LayerNormalization(axis=3)(kg.Input(shape=(4,)))


# -- BatchNormalization numbers -----------------------------------------------------


def test_batch_normalization_eager_training_and_inference(rng):
    x = rng.normal(1.0, 2.0, size=(6, 3)).astype("float32")
    layer = layers.BatchNormalization(momentum=0.8, beta_initializer="ones")
    inference = layer(x).numpy()
    np.testing.assert_allclose(
        inference, _batch_norm(x, 0.0, 1.0, 1.0, 1.0), rtol=1e-5, atol=1e-6
    )
    training = layer(x, training=True).numpy()
    np.testing.assert_allclose(
        training,
        _batch_norm(x, x.mean(0), x.var(0), 1.0, 1.0),
        rtol=1e-4,
        atol=1e-5,
    )
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.2 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(
        layer.moving_variance.numpy(), 0.8 + 0.2 * x.var(0), rtol=1e-5
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_normalization_fit_updates_moving_statistics(backend, rng):
    x_data = rng.normal(2.0, 3.0, size=(16, 2, 3)).astype("float32")
    y_data = rng.normal(size=(16, 1)).astype("float32")
    x = kg.Input(shape=(2, 3))
    bn = layers.BatchNormalization(momentum=0.9)
    output = layers.Dense(1)(layers.Flatten()(bn(x)))
    model = kg.Model(x, output)
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    model.fit(x_data, y_data, batch_size=8, epochs=2, shuffle=False, verbose=0)
    moving_mean, moving_variance = np.zeros(3), np.ones(3)
    for _ in range(2):
        for start in (0, 8):
            batch = x_data[start : start + 8]
            moving_mean = 0.9 * moving_mean + 0.1 * batch.mean(axis=(0, 1))
            moving_variance = 0.9 * moving_variance + 0.1 * batch.var(axis=(0, 1))
    np.testing.assert_allclose(bn.moving_mean.numpy(), moving_mean, rtol=1e-4)
    np.testing.assert_allclose(bn.moving_variance.numpy(), moving_variance, rtol=1e-4)

    # Evaluation and prediction use the moving statistics and update nothing.
    stored = [v.numpy().copy() for v in bn.non_trainable_weights]
    model.evaluate(x_data, y_data, verbose=0)
    predicted = model.predict(x_data, verbose=0)
    for variable, old in zip(bn.non_trainable_weights, stored, strict=True):
        np.testing.assert_array_equal(variable.numpy(), old)
    # From the statistics the layer holds (checked against the transcription
    # above), so only this step's float32 rounding is left.
    normalized = _batch_norm(
        x_data,
        bn.moving_mean.numpy(),
        bn.moving_variance.numpy(),
        bn.gamma.numpy(),
        bn.beta.numpy(),
    )
    dense = model.layers[-1]
    expected = normalized.reshape(16, 6) @ dense.kernel.numpy() + dense.bias.numpy()
    rtol, atol = dtypes.TOLERANCES["float32"]
    np.testing.assert_allclose(predicted, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_normalization_training_output_uses_batch_statistics(backend, rng):
    """The loss of one step is computed on batch-normalized features."""
    x_data = rng.normal(5.0, 2.0, size=(8, 3)).astype("float32")
    y_data = np.zeros((8, 3), "float32")
    x = kg.Input(shape=(3,))
    model = kg.Model(x, layers.BatchNormalization()(x))
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.0), loss="mse", backend=backend
    )
    loss = model.fit(x_data, y_data, batch_size=8, epochs=1, verbose=0)
    normalized = _batch_norm(x_data, x_data.mean(0), x_data.var(0), 1.0, 0.0)
    np.testing.assert_allclose(
        loss.history["loss"][0], np.mean(normalized**2), rtol=1e-4
    )


def test_non_trainable_batch_normalization_uses_moving_statistics(rng):
    x_data = rng.normal(size=(8, 3)).astype("float32")
    x = kg.Input(shape=(3,))
    bn = layers.BatchNormalization(trainable=False)
    model = kg.Model(x, layers.Dense(1)(bn(x)))
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    model.fit(x_data, np.ones((8, 1), "float32"), batch_size=8, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.moving_variance.numpy(), np.ones(3))


def test_batch_normalization_errors():
    with pytest.raises(ValueError, match=r"`axis` must be an int\. Received: axis="):
        layers.BatchNormalization(axis=[1])
    with pytest.raises(ValueError, match=r"out of range.*Received: axis=2"):
        layers.BatchNormalization(axis=2)(kg.Input(shape=(4,)))

    class WrongUpdate(layers.Dense):
        def call(self, inputs):
            self.add_state_update(self.bias, kg.ops.sum(inputs, axis=0, keepdims=True))
            return super().call(inputs)

    with pytest.raises(ValueError, match=r"state update.*has shape"):
        WrongUpdate(2)(kg.Input(shape=(2,)))
    with pytest.raises(ValueError, match=r"cannot be assigned a tensor of a model"):
        layer = layers.Dense(2)
        layer(kg.Input(shape=(3,)))
        layer.add_state_update(layer.bias, kg.Input(shape=(2,)))


def _trained_weights(backend, scale, center, op_by_op, monkeypatch):
    from kgraph.layers import normalization

    if op_by_op:
        monkeypatch.setattr(
            normalization.BatchNormalization,
            "_normalize_batch",
            lambda self, x, mean, variance: self._normalize(x, mean, variance),
        )
    kg.utils.clear_session()
    kg.utils.set_random_seed(3)
    inputs = kg.Input((5, 4, 3))
    hidden = layers.Conv2D(6, 3, padding="same")(inputs)
    hidden = layers.BatchNormalization(scale=scale, center=center)(hidden)
    hidden = layers.Activation("tanh")(hidden)
    model = kg.Model(inputs, layers.Dense(2)(layers.Flatten()(hidden)))
    model.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse", backend=backend)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 5, 4, 3)).astype("float32")
    y = rng.normal(size=(12, 2)).astype("float32")
    model.fit(x, y, batch_size=6, epochs=1, verbose=0, shuffle=False)
    monkeypatch.undo()
    return model.get_weights()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("scale", "center"), [(True, True), (True, False), (False, True), (False, False)]
)
def test_batch_normalization_gradient_in_closed_form(
    backend, scale, center, monkeypatch
):
    """The closed-form gradient of batch-statistics normalization trains as
    differentiating its statistics op by op does."""
    closed = _trained_weights(backend, scale, center, False, monkeypatch)
    op_by_op = _trained_weights(backend, scale, center, True, monkeypatch)
    for a, b in zip(closed, op_by_op, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_batch_normalization_moves_its_statistics_by_keras_default_momentum():
    """Keras's default momentum is 0.99: one training call moves the moving
    mean 1% of the way to the batch mean, and the variance likewise."""
    layer = kg.layers.BatchNormalization()
    x = np.arange(12, dtype="float32").reshape(4, 3)
    layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.01 * x.mean(axis=0))
    np.testing.assert_allclose(
        layer.moving_variance.numpy(), 0.99 + 0.01 * x.var(axis=0), rtol=1e-6
    )

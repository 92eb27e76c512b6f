"""Subclassed models, custom layers and custom metrics: traced into the
same static graph as functional models, trained, saved, loaded, and equal
to a NumPy transcription of the same math. Each test runs on both
backends (``backend`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

RNG = np.random.default_rng(3)
X = RNG.normal(size=(48, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3).astype("float32")
LR = 0.05


@kg.saving.register_keras_serializable(package="tests")
class Affine(layers.Layer):
    """``x @ w + b`` with an L1-like ``add_loss`` on the output and a
    non-trainable counter of the samples seen in training."""

    def __init__(self, units=1, penalty=0.01, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.penalty = penalty

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="ones", name="w"
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.seen = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="seen"
        )

    def call(self, inputs, training=None):
        outputs = ops.matmul(inputs, self.w) + self.b
        self.add_loss(self.penalty * ops.mean(ops.abs(outputs)))
        if training:
            self.seen.assign_add(ops.sum(ops.ones_like(inputs[:, 0])))
        return outputs

    def get_config(self):
        return {**super().get_config(), "units": self.units, "penalty": self.penalty}


@kg.saving.register_keras_serializable(package="tests")
class TwoStep(kg.Model):
    """A subclassed model: a custom layer, then a Dense layer."""

    def __init__(self, hidden=2, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.affine = Affine(hidden, penalty=0.01)
        self.out = layers.Dense(1, kernel_initializer="ones")

    def call(self, inputs, training=None):
        return self.out(self.affine(inputs, training=training))


@kg.saving.register_keras_serializable(package="tests")
class MeanAbsoluteErrorSum(kg.metrics.Metric):
    """A Keras-style metric: the sum and count of absolute errors."""

    def __init__(self, name="mae_sum", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = ops.abs(ops.subtract(y_true, y_pred))
        self.total.assign_add(ops.sum(errors))
        self.count.assign_add(ops.sum(ops.ones_like(errors)))

    def result(self):
        return self.total / ops.maximum(self.count, 1.0)


def _numpy_step(params, x, y, penalty):
    """One SGD step of TwoStep with MSE + penalty * mean|h| (NumPy)."""
    w, b, v, c = params
    h = x @ w + b
    out = h @ v + c
    n = len(x)
    g_out = 2.0 * (out - y) / n
    g_h = g_out @ v.T + penalty * np.sign(h) / h.size
    grads = [x.T @ g_h, g_h.sum(0), h.T @ g_out, g_out.sum(0)]
    loss = np.mean((out - y) ** 2) + penalty * np.mean(np.abs(h))
    return [p - LR * g for p, g in zip(params, grads, strict=True)], loss


def test_a_subclassed_model_trains_as_its_numpy_transcription(backend):
    model = TwoStep(hidden=2)
    model.compile(optimizer=kg.optimizers.SGD(LR), loss="mse")
    history = model.fit(X, Y, epochs=3, batch_size=48, verbose=0)
    params = [
        np.ones((3, 2), "float32"),
        np.zeros(2, "float32"),
        np.ones((2, 1), "float32"),
        np.zeros(1, "float32"),
    ]
    losses = []
    for _ in range(3):
        params, loss = _numpy_step(params, X, Y, 0.01)
        losses.append(loss)
    trained = model.get_weights()
    assert [w.shape for w in trained] == [(3, 2), (2,), (), (2, 1), (1,)]
    for got, want in zip(
        [trained[0], trained[1], trained[3], trained[4]], params, strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-4)
    # The counter counted the training samples of the three epochs only.
    assert float(model.affine.seen.numpy()) == 3 * len(X)
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)
    assert float(model.affine.seen.numpy()) == 3 * len(X)


def test_a_subclassed_model_saves_and_loads_with_its_class(backend, tmp_path):
    model = TwoStep(hidden=3)
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=2, verbose=0)
    model.save(tmp_path / "two_step.kgraph")
    loaded = kg.models.load_model(tmp_path / "two_step.kgraph")
    assert type(loaded) is TwoStep and loaded.hidden == 3
    np.testing.assert_array_equal(
        loaded.predict(X, verbose=0), model.predict(X, verbose=0)
    )
    for got, want in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    loaded.fit(X, Y, epochs=1, verbose=0)


def test_a_custom_layer_in_a_functional_model_saves_and_loads(backend, tmp_path):
    x = kg.Input(shape=(3,))
    model = kg.Model(x, Affine(2, penalty=0.5, name="affine")(x))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.zeros((48, 2), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "affine.kgraph")
    loaded = kg.models.load_model(tmp_path / "affine.kgraph")
    assert loaded.get_layer("affine").penalty == 0.5
    np.testing.assert_array_equal(
        loaded.predict(X, verbose=0), model.predict(X, verbose=0)
    )


def test_add_loss_is_added_to_the_training_loss(backend):
    x = kg.Input(shape=(3,))
    model = kg.Model(x, Affine(1, penalty=2.0)(x))
    model.compile(optimizer=kg.optimizers.SGD(0.0), loss="mse")
    loss = model.evaluate(X, Y, batch_size=48, verbose=0)
    out = X @ np.ones((3, 1), "float32")
    expected = np.mean((out - Y) ** 2) + 2.0 * np.mean(np.abs(out))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_a_custom_metric_matches_its_numpy_transcription(backend, tmp_path):
    x = kg.Input(shape=(3,))
    model = kg.Model(x, layers.Dense(1)(x))
    model.compile(optimizer="adam", loss="mse", metrics=[MeanAbsoluteErrorSum()])
    history = model.fit(X, Y, epochs=2, batch_size=10, verbose=0)
    assert len(history.history["mae_sum"]) == 2
    result = model.evaluate(X, Y, batch_size=7, verbose=0, return_dict=True)
    expected = np.mean(np.abs(Y - model.predict(X, verbose=0)))
    np.testing.assert_allclose(result["mae_sum"], expected, rtol=1e-5)
    # Evaluating again resets the state first.
    again = model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    np.testing.assert_allclose(again["mae_sum"], expected, rtol=1e-5)
    model.save(tmp_path / "metric.kgraph")
    loaded = kg.models.load_model(tmp_path / "metric.kgraph")
    reloaded = loaded.evaluate(X, Y, verbose=0, return_dict=True)
    np.testing.assert_allclose(reloaded["mae_sum"], expected, rtol=1e-5)


def test_a_custom_metric_works_eagerly():
    metric = MeanAbsoluteErrorSum()
    metric.update_state(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    assert float(metric.result()) == pytest.approx(1.5)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_metric_functions_return_samples_or_a_batch_mean(backend):
    def per_sample(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    def batch_mean(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred))

    x = kg.Input(shape=(3,))
    model = kg.Model(x, layers.Dense(1)(x))
    model.compile(optimizer="sgd", loss="mse", metrics=[per_sample, batch_mean])
    result = model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    errors = np.abs(Y - model.predict(X, verbose=0))
    np.testing.assert_allclose(result["per_sample"], errors.mean(), rtol=1e-5)
    batch_means = [errors[i : i + 16].mean() for i in range(0, 48, 16)]
    np.testing.assert_allclose(result["batch_mean"], np.mean(batch_means), rtol=1e-5)


def test_python_control_flow_on_static_values_is_traced(backend):
    class Deep(kg.Model):
        def __init__(self, depth, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [layers.Dense(3, kernel_initializer="identity")]
            self.blocks += [layers.Dense(3) for _ in range(depth - 1)]

        def call(self, inputs):
            x = inputs
            for index, block in enumerate(self.blocks):
                x = block(x) if index % 2 == 0 else x + block(x)
            return x

    model = Deep(4)
    assert model.predict(X, verbose=0).shape == (48, 3)
    assert len(model.layers) == 4 and len(model.weights) == 8


def test_branching_on_a_tensor_value_names_the_layer_and_the_fix():
    class Branchy(kg.Model):
        def call(self, inputs):
            if ops.sum(inputs) > 0:
                return inputs
            return -inputs

    with pytest.raises(TypeError, match=r"'branchy'.*kgraph\.ops\.where"):
        Branchy().predict(X, verbose=0)


def test_numpy_on_a_symbolic_tensor_names_the_function_and_the_fix():
    class Numpyish(layers.Layer):
        def call(self, inputs):
            return np.exp(inputs)

    with pytest.raises(TypeError, match=r"NumPy's exp.*'numpyish'.*kgraph\.ops"):
        Numpyish()(kg.Input(shape=(3,)))


@pytest.mark.no_native
def test_a_custom_metric_using_numpy_fails_clearly(backend):
    class NumpyMetric(kg.metrics.Metric):
        def __init__(self):
            super().__init__(name="numpy_metric")
            self.total = self.add_variable(name="total")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(np.sum(np.abs(y_true - y_pred)))

        def result(self):
            return self.total

    x = kg.Input(shape=(3,))
    model = kg.Model(x, layers.Dense(1)(x))
    model.compile(optimizer="sgd", loss="mse", metrics=[NumpyMetric()])
    with pytest.raises(TypeError, match=r"metric 'numpy_metric' cannot be compiled"):
        model.fit(X, Y, verbose=0)


def test_a_model_without_call_or_inputs_says_what_it_needs():
    with pytest.raises(ValueError, match=r"needs `inputs` and `outputs`"):
        kg.Model()

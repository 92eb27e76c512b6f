"""Keras's Model members around training: the step methods, eager
compute_loss/compute_metrics, metrics names and results, the state tree,
the kept settings, and the clear refusal of custom train_step overrides."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg

pytestmark = pytest.mark.usefixtures("backend")


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) > 0).astype("float32")


def _model(regularizer=None):
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [
            kg.Input((3,)),
            kg.layers.Dense(1, activation="sigmoid", kernel_regularizer=regularizer),
        ],
        name="seq",
    )
    model.compile(kg.optimizers.SGD(0.1), "binary_crossentropy", metrics=["mae"])
    return model


def test_steps_run_one_compiled_step():
    x, y = _data()
    model, twin = _model(), _model()
    logs = model.train_step((x, y))
    assert logs == twin.train_on_batch(x, y, return_dict=True)
    np.testing.assert_allclose(model.get_weights()[0], twin.get_weights()[0])
    assert model.test_step((x, y)) == twin.test_on_batch(x, y, return_dict=True)
    np.testing.assert_allclose(model.predict_step((x,)), twin.predict_on_batch(x))
    assert model.make_train_function() == model.train_step
    assert model.make_test_function() == model.test_step
    assert model.make_predict_function() == model.predict_step


def test_compute_loss_adds_the_compiled_losses_and_penalties():
    x, y = _data()
    model = _model(regularizer=kg.regularizers.L2(0.1))
    prediction = model.predict(x, verbose=0)
    p = np.clip(prediction, 1e-7, 1 - 1e-7)
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    penalty = 0.1 * np.sum(model.layers[-1].kernel.numpy() ** 2)
    loss = model.compute_loss(x, y, prediction)
    np.testing.assert_allclose(float(np.asarray(loss)), bce + penalty, rtol=1e-5)
    with pytest.warns(UserWarning, match="deprecated"):
        deprecated = model.compiled_loss(y, prediction)
    np.testing.assert_allclose(np.asarray(deprecated), np.asarray(loss))


def test_compute_metrics_accumulates_until_reset():
    x, y = _data()
    model = _model()
    model.fit(x, y, verbose=0)
    half = len(x) // 2
    prediction = model.predict(x, verbose=0)
    model.reset_metrics()
    model.compute_metrics(x[:half], y[:half], prediction[:half])
    result = model.compute_metrics(x[half:], y[half:], prediction[half:])
    np.testing.assert_allclose(
        result["mae"], np.mean(np.abs(y - prediction)), rtol=1e-5
    )


def test_metrics_names_and_results_follow_the_last_run():
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=2, verbose=0)
    assert model.metrics_names == ["loss", "mae"]
    result = model.get_metrics_result()
    assert result["loss"] == history.history["loss"][-1]
    evaluated = model.evaluate(x, y, return_dict=True, verbose=0)
    assert model.get_metrics_result() == evaluated
    assert model.metrics_variables == []


def test_the_state_tree_nests_variables_by_path_and_sets_them_back():
    x, y = _data()
    model = _model()
    model.fit(x, y, verbose=0)
    tree = model.get_state_tree("numpy_array")
    assert set(tree) == {
        "trainable_variables",
        "non_trainable_variables",
        "optimizer_variables",
        "metrics_variables",
    }
    dense = model.layers[-1]
    kernel = tree["trainable_variables"][dense.name]["kernel"]
    np.testing.assert_array_equal(kernel, dense.kernel.numpy())
    tree["trainable_variables"][dense.name]["kernel"] = np.zeros_like(kernel)
    model.set_state_tree(tree)
    np.testing.assert_array_equal(dense.kernel.numpy(), 0.0)
    with pytest.raises(ValueError, match="value_format"):
        model.get_state_tree("list")
    with pytest.raises(ValueError, match="Unknown variable name"):
        model.set_state_tree({"weights": {}})


@pytest.mark.no_native
def test_settings_keep_keras_values():
    model = _model()
    assert model.run_eagerly is False and model.jit_compile is True
    model.run_eagerly = True
    assert model.run_eagerly is True
    assert model.distribute_strategy is None
    assert model.distribute_reduction_method == "auto"
    model.distribute_reduction_method = "sum"
    assert model.distribute_reduction_method == "sum"
    assert model.loss == "binary_crossentropy" and kg.Model.loss is None
    assert model.path == "seq" and model.input_dtype == "float32"


@pytest.mark.no_native
def test_stateless_compute_loss_leaves_the_weights():
    x, y = _data()
    model = _model()
    before = model.get_weights()
    zeros = [np.zeros_like(w) for w in before]
    loss, (trainable, _, _) = model.stateless_compute_loss(
        zeros, [], [], x, y, np.full_like(y, 0.5)
    )
    np.testing.assert_allclose(float(np.asarray(loss)), np.log(2.0), rtol=1e-5)
    assert all(np.all(t == 0) for t in trainable)
    for now, then in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)


def test_a_subclass_overriding_train_step_is_refused_with_the_reason():
    class Custom(kg.Model):
        def train_step(self, data):
            return {}

    x, y = _data()
    inputs = kg.Input((3,))
    model = Custom(inputs, kg.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    with pytest.raises(NotImplementedError, match="overrides `train_step`"):
        model.fit(x, y, verbose=0)
    model.predict(x, verbose=0)  # predict_step is not overridden


@pytest.mark.no_native
def test_a_subclassed_model_has_a_build_config():
    class Net(kg.Model):
        def __init__(self):
            super().__init__()
            self.dense = kg.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Net()
    model.build((None, 3))
    assert model.get_build_config() == {"input_shape": (None, 3)}
    other = Net()
    other.build_from_config({"input_shape": [None, 3]})
    assert other.built and other.count_params() == 8


class _PenalizedOutputs(kg.Model):
    """Keras's override point: the compiled loss plus a term on y_pred."""

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        base = super().compute_loss(x, y, y_pred, sample_weight, training)
        return kg.ops.add(base, kg.ops.multiply(kg.ops.mean(kg.ops.abs(y_pred)), 0.1))


def test_an_overridden_compute_loss_is_traced_into_the_step():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    kg.utils.set_random_seed(0)
    inputs = kg.Input((3,))
    model = _PenalizedOutputs(inputs, kg.layers.Dense(1)(inputs))
    model.compile(kg.optimizers.SGD(0.01), "mse")
    kernel, bias = model.get_weights()
    history = model.fit(x, y, batch_size=32, shuffle=False, verbose=0)
    prediction = x @ kernel + bias
    expected = np.mean((prediction - y) ** 2) + 0.1 * np.mean(np.abs(prediction))
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=1e-5)


def test_an_overridden_compute_loss_needs_no_compiled_loss():
    class Squared(kg.Model):
        def compute_loss(
            self, x=None, y=None, y_pred=None, sample_weight=None, training=True
        ):
            return kg.ops.mean(kg.ops.square(y - y_pred))

    x, y = _data()
    inputs = kg.Input((3,))
    model = Squared(inputs, kg.layers.Dense(1)(inputs))
    model.compile(kg.optimizers.SGD(0.1))
    losses = model.fit(x, y, epochs=3, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


@pytest.mark.no_native
def test_a_compute_loss_that_cannot_be_traced_says_why():
    class Tracked(kg.Model):
        def compute_loss(
            self, x=None, y=None, y_pred=None, sample_weight=None, training=True
        ):
            return float(np.mean(np.asarray(y_pred)))

    x, y = _data()
    inputs = kg.Input((3,))
    model = Tracked(inputs, kg.layers.Dense(1)(inputs))
    model.compile("sgd")
    with pytest.raises(TypeError, match="compute_loss of model"):
        model.fit(x, y, verbose=0)


@pytest.mark.no_native
def test_save_model_is_exported_from_models():
    assert kg.models.save_model is kg.saving.save_model


class _Tracked(kg.Model):
    """Keras's documented compute_loss example: a Mean loss tracker."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = kg.metrics.Mean(name="loss")

    def compute_loss(self, x, y, y_pred, sample_weight, training=True):
        loss = kg.ops.mean((y_pred - y) ** 2)
        loss = loss + sum(self.losses)
        self.loss_tracker.update_state(loss)
        return loss

    def reset_metrics(self):
        self.loss_tracker.reset_state()

    @property
    def metrics(self):
        return [self.loss_tracker]


def test_a_loss_tracker_updated_in_compute_loss_logs_its_mean_over_batches():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    kg.utils.set_random_seed(0)
    inputs = kg.Input((3,))
    model = _Tracked(inputs, kg.layers.Dense(1)(inputs))
    model.compile(kg.optimizers.SGD(0.01))
    kernel, bias = model.get_weights()
    history = model.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    # The tracker averages the per-batch losses (16, 16 and 8 samples)
    # without weighting them by batch size, as Keras's Mean does.
    losses = []
    for start in range(0, 40, 16):
        xb, yb = x[start : start + 16], y[start : start + 16]
        error = xb @ kernel + bias - yb
        losses.append(np.mean(error**2))
        gradient = 2 * error / len(xb)
        kernel, bias = kernel - 0.01 * xb.T @ gradient, bias - 0.01 * gradient.sum(0)
    assert list(history.history) == ["loss"]
    np.testing.assert_allclose(history.history["loss"], [np.mean(losses)], rtol=1e-5)


def test_model_losses_in_compute_loss_are_the_steps_penalties():
    x, y = _data()
    histories = []
    for custom in (True, False):
        kg.utils.set_random_seed(0)
        inputs = kg.Input((3,))
        dense = kg.layers.Dense(1, kernel_regularizer=kg.regularizers.L2(0.5))
        model = (_Tracked if custom else kg.Model)(inputs, dense(inputs))
        model.compile(kg.optimizers.SGD(0.05), None if custom else "mse")
        histories.append(model.fit(x, y, epochs=3, batch_size=16, verbose=0))
    np.testing.assert_allclose(
        histories[0].history["loss"], histories[1].history["loss"], rtol=1e-5
    )

"""evaluate, predict, model(x) and the *_on_batch methods."""

from __future__ import annotations

import numpy as np
import pytest
from keras_reference import DenseStack

import kgraph as kg

# Every test runs on each backend (see conftest.py).
pytestmark = pytest.mark.usefixtures("backend")


def _data(n=11, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    labels = rng.integers(0, 3, n)
    return x, labels, np.eye(3, dtype="float32")[labels]


def _model(metrics=None, learning_rate=0.1):
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [
            kg.layers.Dense(5, activation="relu", input_shape=(4,)),
            kg.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=metrics,
    )
    return model


def _reference(model):
    return DenseStack(
        model.get_weights(), ["relu", "softmax"], "categorical_crossentropy"
    )


# -- evaluate ------------------------------------------------------------------------


def test_evaluate_without_metrics_returns_the_scalar_loss():
    x, _, y = _data()
    model = _model()
    result = model.evaluate(x, y, batch_size=4, verbose=0)
    assert isinstance(result, float)
    assert result == pytest.approx(_reference(model).evaluate(x, y), rel=1e-5)


def test_evaluate_with_metrics_returns_a_list():
    x, labels, y = _data()
    model = _model(metrics=["accuracy", "mae"])
    reference = _reference(model)
    result = model.evaluate(x, y, batch_size=4, verbose=0)
    predictions = reference.predict(x)
    assert isinstance(result, list)
    assert result == pytest.approx(
        [
            reference.evaluate(x, y),
            np.mean(np.argmax(predictions, axis=1) == labels),
            np.mean(np.abs(predictions - y)),
        ],
        rel=1e-5,
    )


def test_evaluate_return_dict():
    x, _, y = _data()
    model = _model(metrics=["accuracy"])
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    as_list = model.evaluate(x, y, verbose=0)
    assert set(as_dict) == {"loss", "accuracy"}
    assert [as_dict["loss"], as_dict["accuracy"]] == pytest.approx(as_list)
    only_loss = _model().evaluate(x, y, verbose=0, return_dict=True)
    assert set(only_loss) == {"loss"}


def test_evaluate_with_sample_weight():
    x, _, y = _data()
    weights = np.linspace(0.0, 2.0, len(x)).astype("float32")
    model = _model()
    result = model.evaluate(x, y, batch_size=4, sample_weight=weights, verbose=0)
    assert result == pytest.approx(_reference(model).evaluate(x, y, weights), rel=1e-5)


def test_evaluate_does_not_change_weights():
    x, _, y = _data()
    model = _model()
    before = model.get_weights()
    model.evaluate(x, y, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations.value) == 0


def test_evaluate_after_fit_uses_the_trained_weights():
    x, _, y = _data()
    model = _model(learning_rate=0.5)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert after < before
    assert after == pytest.approx(_reference(model).evaluate(x, y), rel=1e-5)


# -- predict -------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 1, 3, 4, 11, 100])
def test_predict_for_any_batch_size(batch_size):
    x, _, _ = _data(n=11)
    model = _model()
    predictions = model.predict(x, batch_size=batch_size, verbose=0)
    assert isinstance(predictions, np.ndarray)
    assert predictions.shape == (11, 3)
    assert predictions.dtype == np.float32
    np.testing.assert_allclose(
        predictions, _reference(model).predict(x), rtol=1e-5, atol=1e-6
    )


def test_predict_needs_no_compile():
    kg.utils.set_random_seed(0)
    model = kg.Sequential([kg.layers.Dense(2, input_shape=(4,))])
    x, _, _ = _data(n=5)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(
        model.predict(x, verbose=0), x @ kernel + bias, rtol=1e-5, atol=1e-6
    )


def test_model_call_on_arrays_equals_predict():
    x, _, _ = _data(n=11)
    model = _model()
    called = model(x)
    np.testing.assert_allclose(np.asarray(called), model.predict(x, verbose=0))


def _two_outputs(as_dict):
    kg.utils.set_random_seed(1)
    a = kg.Input(shape=(4,), name="a")
    b = kg.Input(shape=(2,), name="b")
    hidden = kg.layers.Dense(3, activation="tanh")(kg.layers.Concatenate()([a, b]))
    first = kg.layers.Dense(1, name="first")(hidden)
    second = kg.layers.Dense(2, activation="softmax", name="second")(hidden)
    if as_dict:
        model = kg.Model({"a": a, "b": b}, {"one": first, "two": second})
    else:
        model = kg.Model([a, b], [first, second])
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(7, 4)).astype("float32"), rng.normal(size=(7, 2))]
    return model, x


def _two_outputs_expected(model, x):
    k1, b1, k2, b2, k3, b3 = model.get_weights()
    hidden = np.tanh(np.concatenate([x[0], x[1]], axis=1) @ k1 + b1)
    logits = hidden @ k3 + b3
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return hidden @ k2 + b2, probabilities


def test_predict_several_outputs_returns_a_list():
    model, x = _two_outputs(as_dict=False)
    predictions = model.predict(x, batch_size=3, verbose=0)
    assert isinstance(predictions, list)
    assert [p.shape for p in predictions] == [(7, 1), (7, 2)]
    for got, expected in zip(predictions, _two_outputs_expected(model, x), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    on_batch = model.predict_on_batch(x)
    for got, expected in zip(on_batch, predictions, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_predict_dict_outputs_returns_a_dict():
    model, x = _two_outputs(as_dict=True)
    predictions = model.predict({"a": x[0], "b": x[1]}, batch_size=4, verbose=0)
    assert isinstance(predictions, dict)
    assert list(predictions) == ["one", "two"]
    expected = _two_outputs_expected(model, x)
    np.testing.assert_allclose(predictions["one"], expected[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predictions["two"], expected[1], rtol=1e-5, atol=1e-6)
    called = model({"a": x[0], "b": x[1]})
    assert isinstance(called, dict)
    np.testing.assert_allclose(called["two"], predictions["two"], rtol=1e-6)


# -- single batches -------------------------------------------------------------------


def test_train_on_batch_is_one_sgd_step():
    x, labels, y = _data(n=6)
    model = _model(metrics=["accuracy"], learning_rate=0.3)
    reference = _reference(model)
    expected_loss, grads = reference.loss_and_grads(x, y)
    expected_accuracy = np.mean(np.argmax(reference.predict(x), axis=1) == labels)
    result = model.train_on_batch(x, y)
    assert result == pytest.approx([expected_loss, expected_accuracy], rel=1e-5)
    for weight, grad in zip(reference.weights, grads, strict=True):
        weight -= 0.3 * grad
    for actual, expected in zip(model.get_weights(), reference.weights, strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations.value) == 1
    as_dict = model.train_on_batch(x, y, return_dict=True)
    assert set(as_dict) == {"loss", "accuracy"}
    assert int(model.optimizer.iterations.value) == 2


def test_train_on_batch_without_metrics_returns_the_loss():
    x, _, y = _data(n=6)
    model = _model()
    expected = _reference(model).evaluate(x, y)
    assert model.train_on_batch(x, y) == pytest.approx(expected, rel=1e-5)


def test_train_on_batch_with_sample_weight():
    x, _, y = _data(n=6)
    weights = np.array([1.0, 0.0, 0.5, 2.0, 1.0, 0.0], dtype="float32")
    model = _model()
    expected = _reference(model).evaluate(x, y, weights)
    assert model.train_on_batch(x, y, sample_weight=weights) == pytest.approx(
        expected, rel=1e-5
    )


def test_test_on_batch():
    x, labels, y = _data(n=6)
    model = _model(metrics=["accuracy"])
    reference = _reference(model)
    accuracy = np.mean(np.argmax(reference.predict(x), axis=1) == labels)
    result = model.test_on_batch(x, y)
    assert result == pytest.approx([reference.evaluate(x, y), accuracy], rel=1e-5)
    assert model.test_on_batch(x, y, return_dict=True) == pytest.approx(
        {"loss": result[0], "accuracy": result[1]}
    )
    assert int(model.optimizer.iterations.value) == 0


def test_predict_on_batch():
    x, _, _ = _data(n=6)
    model = _model()
    np.testing.assert_allclose(
        model.predict_on_batch(x), _reference(model).predict(x), rtol=1e-5, atol=1e-6
    )


def test_fit_after_train_on_batch_continues_the_step_count():
    x, _, y = _data(n=8)
    model = _model()
    model.train_on_batch(x, y)
    model.fit(x, y, batch_size=3, verbose=0)
    assert int(model.optimizer.iterations.value) == 4


@pytest.mark.parametrize("loss_order", [("zz", "aa"), ("aa", "zz")])
def test_evaluate_list_order_with_several_outputs(loss_order):
    """As Keras 3.15 orders it: the loss, the per-output losses in the order
    of the loss dict, then the metrics sorted by name."""
    kg.utils.set_random_seed(3)
    a = kg.Input(shape=(4,), name="a")
    hidden = kg.layers.Dense(3, activation="relu")(a)
    outputs = {
        "zz": kg.layers.Dense(1)(hidden),
        "aa": kg.layers.Dense(3, activation="softmax")(hidden),
    }
    model = kg.Model(a, outputs)
    losses = {"zz": "mse", "aa": "sparse_categorical_crossentropy"}
    model.compile(
        optimizer="sgd",
        loss={name: losses[name] for name in loss_order},
        metrics={"zz": ["mae"], "aa": ["accuracy"]},
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 4)).astype("float32")
    y = {"zz": rng.normal(size=(10, 1)), "aa": rng.integers(0, 3, 10)}
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == sorted(as_dict)
    expected_order = [
        "loss",
        f"{loss_order[0]}_loss",
        f"{loss_order[1]}_loss",
        "aa_accuracy",
        "zz_mae",
    ]
    assert model.evaluate(x, y, verbose=0) == pytest.approx(
        [as_dict[name] for name in expected_order]
    )

"""fit's semantics as Keras defines them: validation split and data, shuffling,
initial_epoch, History keys, verbosity, "accuracy" resolution, sparse
labels and several inputs and outputs."""

from __future__ import annotations

import re

import numpy as np
import pytest
from keras_reference import DenseStack

import kgraph as kg

# Every test runs on each backend (see conftest.py).
pytestmark = pytest.mark.usefixtures("backend")


def _classification(n=10, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    labels = rng.integers(0, classes, n)
    return x, labels, np.eye(classes, dtype="float32")[labels]


def _softmax_model(features=4, classes=3, learning_rate=0.0, metrics=None, seed=0):
    kg.utils.set_random_seed(seed)
    model = kg.Sequential(
        [kg.layers.Dense(classes, activation="softmax", input_shape=(features,))]
    )
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=metrics,
    )
    return model


def _reference(model, loss="categorical_crossentropy", activation="softmax"):
    return DenseStack(model.get_weights(), [activation], loss)


# -- validation ------------------------------------------------------------------


@pytest.mark.parametrize("shuffle", [False, True])
def test_validation_split_takes_the_last_fraction_before_shuffling(shuffle):
    x, _, y = _classification(n=10)
    model = _softmax_model()
    reference = _reference(model)
    history = model.fit(
        x, y, batch_size=3, validation_split=0.3, shuffle=shuffle, verbose=0
    )
    # lr=0: the training loss is the loss over the first 7 samples whatever
    # their order, and val_loss the loss over the last 3.
    np.testing.assert_allclose(
        history.history["loss"], [reference.evaluate(x[:7], y[:7])], rtol=1e-5
    )
    np.testing.assert_allclose(
        history.history["val_loss"], [reference.evaluate(x[7:], y[7:])], rtol=1e-5
    )


def test_validation_split_trains_on_the_first_samples_only():
    x, _, y = _classification(n=10)
    seen = []

    class Recorder(kg.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    model = _softmax_model()
    model.fit(
        x, y, batch_size=3, validation_split=0.3, verbose=0, callbacks=[Recorder()]
    )
    # 7 training samples in batches of 3: three steps, the last one partial.
    assert seen and seen[-1] == 2
    assert model.history.params["steps"] == 3


def test_validation_data_overrides_validation_split():
    x, _, y = _classification(n=10)
    x_val, _, y_val = _classification(n=5, seed=9)
    model = _softmax_model()
    reference = _reference(model)
    history = model.fit(
        x,
        y,
        batch_size=4,
        validation_split=0.5,
        validation_data=(x_val, y_val),
        verbose=0,
    )
    np.testing.assert_allclose(
        history.history["loss"], [reference.evaluate(x, y)], rtol=1e-5
    )
    np.testing.assert_allclose(
        history.history["val_loss"], [reference.evaluate(x_val, y_val)], rtol=1e-5
    )


def test_validation_data_with_sample_weight():
    x, _, y = _classification(n=10)
    x_val, _, y_val = _classification(n=5, seed=9)
    weights = np.array([1.0, 0.0, 2.0, 0.5, 1.0], dtype="float32")
    model = _softmax_model()
    reference = _reference(model)
    history = model.fit(x, y, validation_data=(x_val, y_val, weights), verbose=0)
    np.testing.assert_allclose(
        history.history["val_loss"],
        [reference.evaluate(x_val, y_val, weights)],
        rtol=1e-5,
    )


def test_validation_split_does_not_apply_class_weight_to_validation():
    """Keras turns class_weight into sample weights of the training data only."""
    x, labels, y = _classification(n=10, classes=2)
    model = _softmax_model(classes=2)
    reference = _reference(model)
    class_weight = {0: 3.0, 1: 0.25}
    history = model.fit(
        x, y, validation_split=0.3, class_weight=class_weight, verbose=0
    )
    np.testing.assert_allclose(
        history.history["val_loss"], [reference.evaluate(x[7:], y[7:])], rtol=1e-5
    )
    train_weights = np.array([class_weight[int(c)] for c in labels[:7]])
    np.testing.assert_allclose(
        history.history["loss"],
        [reference.evaluate(x[:7], y[:7], train_weights)],
        rtol=1e-5,
    )


def test_validation_split_splits_sample_weight():
    x, _, y = _classification(n=10)
    sample_weight = np.linspace(0.5, 1.5, 10).astype("float32")
    model = _softmax_model()
    reference = _reference(model)
    history = model.fit(
        x, y, validation_split=0.3, sample_weight=sample_weight, verbose=0
    )
    np.testing.assert_allclose(
        history.history["val_loss"],
        [reference.evaluate(x[7:], y[7:], sample_weight[7:])],
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        history.history["loss"],
        [reference.evaluate(x[:7], y[:7], sample_weight[:7])],
        rtol=1e-5,
    )


# -- shuffling and epochs ----------------------------------------------------------


def _shuffled_run(seed):
    x, _, y = _classification(n=13, seed=3)
    model = _softmax_model(learning_rate=0.3, metrics=["accuracy"])
    kg.utils.set_random_seed(seed)
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=True, verbose=0)
    return history.history, model.get_weights()


def test_shuffle_order_comes_from_the_seed():
    first_history, first_weights = _shuffled_run(seed=5)
    second_history, second_weights = _shuffled_run(seed=5)
    assert first_history == second_history
    for a, b in zip(first_weights, second_weights, strict=True):
        np.testing.assert_array_equal(a, b)
    other_history, _ = _shuffled_run(seed=6)
    assert other_history["loss"] != first_history["loss"]


def test_shuffle_false_keeps_the_order():
    x, _, y = _classification(n=13, seed=3)
    runs = []
    for seed in (1, 2):
        model = _softmax_model(learning_rate=0.3)
        kg.utils.set_random_seed(seed)
        runs.append(model.fit(x, y, batch_size=4, shuffle=False, verbose=0))
    assert runs[0].history == runs[1].history


def test_initial_epoch():
    x, _, y = _classification()
    model = _softmax_model(learning_rate=0.1)
    history = model.fit(x, y, epochs=3, initial_epoch=1, verbose=0)
    assert history.epoch == [1, 2]
    assert len(history.history["loss"]) == 2
    assert int(model.optimizer.iterations.value) == 2


def test_history_keys_with_metrics_and_validation():
    x, _, y = _classification()
    model = _softmax_model(metrics=["accuracy", "mse"])
    history = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    assert set(history.history) == {
        "loss",
        "accuracy",
        "mse",
        "val_loss",
        "val_accuracy",
        "val_mse",
    }
    assert all(len(v) == 2 for v in history.history.values())
    assert model.history is history
    assert isinstance(history.history["loss"][0], float)


def test_fit_returns_a_new_history_each_time():
    x, _, y = _classification()
    model = _softmax_model()
    first = model.fit(x, y, epochs=2, verbose=0)
    second = model.fit(x, y, epochs=1, verbose=0)
    assert len(first.history["loss"]) == 2
    assert len(second.history["loss"]) == 1


# -- verbosity -----------------------------------------------------------------------


def test_verbose_0_prints_nothing(capsys):
    x, _, y = _classification()
    model = _softmax_model(metrics=["accuracy"])
    model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, _, y = _classification(n=10)
    model = _softmax_model(metrics=["accuracy"])
    model.fit(x, y, batch_size=4, epochs=2, validation_split=0.2, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0] == "Epoch 1/2"
    assert lines[2] == "Epoch 2/2"
    pattern = re.compile(
        r"^2/2 - \d+s - \d+(\.\d+)?(ms|us|s)/step - accuracy: \d\.\d{4} - "
        r"loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$"
    )
    for line in (lines[1], lines[3]):
        assert pattern.match(line), line
    assert len(lines) == 4
    assert "\r" not in "".join(lines)


def test_verbose_1_shows_a_progress_bar(capsys):
    x, _, y = _classification(n=10)
    model = _softmax_model()
    model.fit(x, y, batch_size=4, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "3/3" in out
    assert "loss:" in out


# -- "accuracy" ----------------------------------------------------------------------


def test_accuracy_for_categorical_crossentropy():
    x, labels, y = _classification(n=12)
    model = _softmax_model(metrics=["accuracy"])
    history = model.fit(x, y, batch_size=5, verbose=0)
    predicted = np.argmax(_reference(model).predict(x), axis=1)
    expected = float(np.mean(predicted == labels))
    assert history.history["accuracy"] == pytest.approx([expected])
    assert model.evaluate(x, y, verbose=0)[1] == pytest.approx(expected)


def test_sparse_categorical_crossentropy_with_integer_labels():
    x, labels, y = _classification(n=12)
    kg.utils.set_random_seed(0)
    model = kg.Sequential([kg.layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.0),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    reference = DenseStack(
        model.get_weights(), ["softmax"], "sparse_categorical_crossentropy"
    )
    history = model.fit(x, labels.astype("int64"), batch_size=5, verbose=0)
    predicted = np.argmax(reference.predict(x), axis=1)
    assert history.history["accuracy"] == pytest.approx([np.mean(predicted == labels)])
    np.testing.assert_allclose(
        history.history["loss"], [reference.evaluate(x, labels)], rtol=1e-5
    )
    # The same numbers as categorical crossentropy on one-hot targets.
    one_hot = DenseStack(model.get_weights(), ["softmax"], "categorical_crossentropy")
    np.testing.assert_allclose(
        history.history["loss"], [one_hot.evaluate(x, y)], rtol=1e-5
    )
    # Labels of shape (n, 1) work too.
    loss, accuracy = model.evaluate(x, labels[:, None], verbose=0)
    assert loss == pytest.approx(reference.evaluate(x, labels), rel=1e-5)
    assert accuracy == pytest.approx(np.mean(predicted == labels))


@pytest.mark.parametrize("label_shape", ["(n,)", "(n, 1)"])
def test_accuracy_for_binary_crossentropy(label_shape):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(12, 3)).astype("float32")
    labels = (rng.random(12) < 0.5).astype("float32")
    y = labels if label_shape == "(n,)" else labels[:, None]
    kg.utils.set_random_seed(1)
    model = kg.Sequential([kg.layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.0),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    reference = DenseStack(model.get_weights(), ["sigmoid"], "binary_crossentropy")
    history = model.fit(x, y, batch_size=5, verbose=0)
    probabilities = reference.predict(x).reshape(-1)
    expected = float(np.mean((probabilities > 0.5) == (labels > 0.5)))
    assert history.history["accuracy"] == pytest.approx([expected])
    np.testing.assert_allclose(
        history.history["loss"],
        [reference.evaluate(x, labels[:, None])],
        rtol=1e-5,
    )


# -- several inputs and outputs ------------------------------------------------------


def _multi_io(loss_weights=None):
    kg.utils.set_random_seed(2)
    a = kg.Input(shape=(3,), name="a")
    b = kg.Input(shape=(2,), name="b")
    hidden = kg.layers.Dense(5, activation="relu")(kg.layers.Concatenate()([a, b]))
    reg = kg.layers.Dense(1, name="reg")(hidden)
    cls = kg.layers.Dense(4, activation="softmax", name="cls")(hidden)
    model = kg.Model([a, b], [reg, cls])
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.0),
        loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
        loss_weights=loss_weights,
        metrics={"cls": ["accuracy"]},
    )
    rng = np.random.default_rng(3)
    x = {
        "a": rng.normal(size=(9, 3)).astype("float32"),
        "b": rng.normal(size=(9, 2)).astype("float32"),
    }
    y = {"reg": rng.normal(size=(9, 1)).astype("float32"), "cls": rng.integers(0, 4, 9)}
    return model, x, y


def _multi_io_reference(model, x, y):
    """Per-output losses and the accuracy, computed with NumPy."""
    k1, b1, k2, b2, k3, b3 = [w.astype(np.float64) for w in model.get_weights()]
    hidden = np.maximum(np.concatenate([x["a"], x["b"]], axis=1) @ k1 + b1, 0)
    reg = hidden @ k2 + b2
    logits = hidden @ k3 + b3
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    mse = float(np.mean((reg - y["reg"]) ** 2))
    picked = probabilities[np.arange(len(y["cls"])), y["cls"]]
    crossentropy = float(np.mean(-np.log(np.clip(picked, 1e-7, 1 - 1e-7))))
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y["cls"]))
    return mse, crossentropy, accuracy


def test_multi_input_multi_output_loss_dict_and_weights():
    model, x, y = _multi_io(loss_weights={"reg": 2.0, "cls": 0.5})
    mse, crossentropy, accuracy = _multi_io_reference(model, x, y)
    history = model.fit(x, y, batch_size=4, validation_split=0.34, verbose=0)
    assert set(history.history) == {
        "loss",
        "reg_loss",
        "cls_loss",
        "cls_accuracy",
        "val_loss",
        "val_reg_loss",
        "val_cls_loss",
        "val_cls_accuracy",
    }
    results = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    # Per-output losses are unweighted; the total is weighted.
    assert results["reg_loss"] == pytest.approx(mse, rel=1e-5)
    assert results["cls_loss"] == pytest.approx(crossentropy, rel=1e-5)
    assert results["loss"] == pytest.approx(2.0 * mse + 0.5 * crossentropy, rel=1e-5)
    assert results["cls_accuracy"] == pytest.approx(accuracy)
    as_list = model.evaluate([x["a"], x["b"]], [y["reg"], y["cls"]], verbose=0)
    assert as_list == pytest.approx(
        [results[k] for k in ("loss", "reg_loss", "cls_loss", "cls_accuracy")]
    )


def test_multi_output_loss_list_and_loss_weights_list():
    model, x, y = _multi_io()
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.0),
        loss=["mse", "sparse_categorical_crossentropy"],
        loss_weights=[0.25, 3.0],
    )
    mse, crossentropy, _ = _multi_io_reference(model, x, y)
    history = model.fit(x, y, batch_size=9, verbose=0)
    assert history.history["loss"] == pytest.approx(
        [0.25 * mse + 3.0 * crossentropy], rel=1e-5
    )
    assert set(history.history) == {"loss", "reg_loss", "cls_loss"}


def test_multi_output_training_moves_both_heads():
    model, x, y = _multi_io()
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.1),
        loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
    )
    before = model.get_weights()
    history = model.fit(x, y, batch_size=3, epochs=5, verbose=0)
    after = model.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_output_without_loss_is_not_trained_on():
    model, x, y = _multi_io()
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.1),
        loss={"cls": "sparse_categorical_crossentropy"},
    )
    before = model.get_weights()
    history = model.fit(x, {"reg": y["reg"], "cls": y["cls"]}, verbose=0)
    after = model.get_weights()
    # The regression head gets no gradient.
    np.testing.assert_array_equal(before[2], after[2])
    np.testing.assert_array_equal(before[3], after[3])
    assert set(history.history) == {"loss"}

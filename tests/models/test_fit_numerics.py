"""fit's numbers against a NumPy transcription of Keras (``keras_reference``):
every final weight and the History loss, for SGD and Adam, with sample and
class weights, L2 regularization and MSE regression; the last partial batch
is trained on and the epoch loss is weighted by batch size."""

from __future__ import annotations

import numpy as np
import pytest
from keras_reference import SGD
from keras_reference import Adam
from keras_reference import DenseStack
from keras_reference import class_weights_to_sample_weights

import kgraph as kg

# Every test runs on each backend (see conftest.py).
pytestmark = pytest.mark.usefixtures("backend")

RTOL = 1e-5
ATOL = 1e-6
BATCH = 4  # does not divide the 10 samples: batches of 4, 4 and 2


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(10, 4)).astype("float32")
    labels = rng.integers(0, 2, 10)
    y = np.eye(2, dtype="float32")[labels]
    weights = [
        (rng.normal(size=(4, 3)) * 0.5).astype("float32"),
        (rng.normal(size=3) * 0.1).astype("float32"),
        (rng.normal(size=(3, 2)) * 0.5).astype("float32"),
        (rng.normal(size=2) * 0.1).astype("float32"),
    ]
    return x, y, labels, weights


def _mlp(weights, kernel_regularizer=None, optimizer=None, loss=None, metrics=None):
    model = kg.Sequential(
        [
            kg.layers.Dense(
                3,
                activation="relu",
                input_shape=(4,),
                kernel_regularizer=kernel_regularizer,
            ),
            kg.layers.Dense(2, activation="softmax"),
        ]
    )
    model.set_weights(weights)
    model.compile(
        optimizer=optimizer,
        loss=loss or "categorical_crossentropy",
        metrics=metrics,
    )
    return model


def _assert_weights(model, reference):
    got = model.get_weights()
    assert len(got) == len(reference.weights)
    for index, (actual, expected) in enumerate(
        zip(got, reference.weights, strict=True)
    ):
        np.testing.assert_allclose(
            actual, expected, rtol=RTOL, atol=ATOL, err_msg=f"weight {index}"
        )


@pytest.mark.parametrize(
    ("make_optimizer", "make_reference"),
    [
        (lambda: kg.optimizers.SGD(learning_rate=0.1), lambda: SGD(0.1)),
        (
            lambda: kg.optimizers.SGD(learning_rate=0.1, momentum=0.9),
            lambda: SGD(0.1, momentum=0.9),
        ),
        (lambda: kg.optimizers.Adam(learning_rate=0.01), lambda: Adam(0.01)),
    ],
    ids=["sgd", "sgd-momentum", "adam"],
)
def test_one_epoch_matches_keras_rules(make_optimizer, make_reference):
    x, y, _, weights = _data()
    model = _mlp(weights, optimizer=make_optimizer())
    history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)

    reference = DenseStack(weights, ["relu", "softmax"], "categorical_crossentropy")
    expected_loss, steps = reference.fit_epoch(make_reference(), x, y, BATCH)

    assert steps == 3  # 4 + 4 + 2: the partial batch is a step
    assert int(model.optimizer.iterations.value) == 3
    np.testing.assert_allclose(history.history["loss"], [expected_loss], rtol=RTOL)
    _assert_weights(model, reference)


def test_two_epochs_continue_the_optimizer_state():
    x, y, _, weights = _data(1)
    model = _mlp(weights, optimizer=kg.optimizers.Adam(learning_rate=0.02))
    history = model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)

    reference = DenseStack(weights, ["relu", "softmax"], "categorical_crossentropy")
    optimizer = Adam(0.02)
    first, step = reference.fit_epoch(optimizer, x, y, BATCH)
    second, step = reference.fit_epoch(optimizer, x, y, BATCH, step=step)

    np.testing.assert_allclose(history.history["loss"], [first, second], rtol=RTOL)
    _assert_weights(model, reference)
    assert int(model.optimizer.iterations.value) == step == 6


def test_epoch_loss_is_weighted_by_batch_size():
    """With lr=0 every batch sees the same weights: the epoch loss must equal
    the loss over all samples, which a plain mean of batch losses is not."""
    x, y, _, weights = _data(2)
    model = _mlp(weights, optimizer=kg.optimizers.SGD(learning_rate=0.0))
    history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    reference = DenseStack(weights, ["relu", "softmax"], "categorical_crossentropy")
    full = reference.evaluate(x, y)
    batch_losses = [
        reference.evaluate(x[i : i + BATCH], y[i : i + BATCH]) for i in (0, 4, 8)
    ]
    assert not np.isclose(np.mean(batch_losses), full, rtol=1e-4)
    np.testing.assert_allclose(history.history["loss"], [full], rtol=RTOL)


def test_sample_weight():
    x, y, _, weights = _data(3)
    sample_weight = np.linspace(0.2, 2.0, len(x)).astype("float32")
    model = _mlp(weights, optimizer=kg.optimizers.SGD(learning_rate=0.2))
    history = model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=1,
        shuffle=False,
        verbose=0,
        sample_weight=sample_weight,
    )
    reference = DenseStack(weights, ["relu", "softmax"], "categorical_crossentropy")
    expected, _ = reference.fit_epoch(
        SGD(0.2), x, y, BATCH, sample_weight=sample_weight
    )
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=RTOL)
    _assert_weights(model, reference)


# A class the mapping does not name weighs 1.0, as in Keras.
@pytest.mark.parametrize(
    "class_weight", [{0: 0.3, 1: 2.5}, {1: 2.5}], ids=["all", "one-missing"]
)
@pytest.mark.parametrize("one_hot", [True, False], ids=["one-hot", "sparse"])
def test_class_weight(one_hot, class_weight):
    x, y, labels, weights = _data(4)
    loss = "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"
    targets = y if one_hot else labels
    model = _mlp(weights, optimizer=kg.optimizers.SGD(learning_rate=0.2), loss=loss)
    history = model.fit(
        x,
        targets,
        batch_size=BATCH,
        epochs=1,
        shuffle=False,
        verbose=0,
        class_weight=class_weight,
    )
    reference = DenseStack(weights, ["relu", "softmax"], loss)
    sample_weight = class_weights_to_sample_weights(np.asarray(targets), class_weight)
    expected, _ = reference.fit_epoch(
        SGD(0.2), x, targets, BATCH, sample_weight=sample_weight
    )
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=RTOL)
    _assert_weights(model, reference)


@pytest.mark.no_native
def test_sample_weight_and_class_weight_together_raise():
    x, y, _, weights = _data(5)
    model = _mlp(weights, optimizer=kg.optimizers.SGD(learning_rate=0.2))
    with pytest.raises(ValueError, match=r"class_weight.*sample_weight"):
        model.fit(
            x,
            y,
            verbose=0,
            sample_weight=np.ones(10, dtype="float32"),
            class_weight={0: 2.0, 1: 0.5},
        )
    np.testing.assert_array_equal(model.get_weights()[0], weights[0])


def test_l2_regularization_adds_to_loss_and_gradient():
    x, y, _, weights = _data(6)
    model = _mlp(
        weights,
        kernel_regularizer=kg.regularizers.L2(0.01),
        optimizer=kg.optimizers.SGD(learning_rate=0.5),
    )
    # Before training: evaluate reports the data loss plus l2 * sum(w**2).
    reference = DenseStack(
        weights, ["relu", "softmax"], "categorical_crossentropy", l2=[0.01, 0.0]
    )
    penalty = 0.01 * float(np.sum(weights[0].astype(np.float64) ** 2))
    assert penalty > 1e-3
    evaluated = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(evaluated, reference.evaluate(x, y), rtol=RTOL)
    unregularized = DenseStack(weights, ["relu", "softmax"], "categorical_crossentropy")
    np.testing.assert_allclose(
        evaluated - unregularized.evaluate(x, y), penalty, rtol=1e-4
    )

    history = model.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    expected, _ = reference.fit_epoch(SGD(0.5), x, y, BATCH)
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=RTOL)
    _assert_weights(model, reference)
    # The penalty's gradient moved the kernel: the unregularized run differs.
    unregularized.fit_epoch(SGD(0.5), x, y, BATCH)
    assert not np.allclose(model.get_weights()[0], unregularized.weights[0], atol=1e-5)


def test_activity_regularization_is_divided_by_the_batch_size():
    x, y, _, weights = _data(8)
    model = kg.Sequential(
        [
            kg.layers.Dense(
                3,
                activation="relu",
                input_shape=(4,),
                activity_regularizer=kg.regularizers.L2(0.05),
            ),
            kg.layers.Dense(2, activation="softmax"),
        ]
    )
    model.set_weights(weights)
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.5),
        loss="categorical_crossentropy",
    )
    reference = DenseStack(
        weights,
        ["relu", "softmax"],
        "categorical_crossentropy",
        activity_l2=[0.05, 0.0],
    )
    plain = DenseStack(weights, ["relu", "softmax"], "categorical_crossentropy")
    assert reference.evaluate(x, y) - plain.evaluate(x, y) > 1e-3
    np.testing.assert_allclose(
        model.evaluate(x, y, batch_size=10, verbose=0),
        reference.evaluate(x, y),
        rtol=RTOL,
    )
    history = model.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    expected, _ = reference.fit_epoch(SGD(0.5), x, y, BATCH)
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=RTOL)
    _assert_weights(model, reference)


@pytest.mark.parametrize("target_shape", ["(n,)", "(n, 1)"])
def test_mse_regression(target_shape):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(11, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.3).astype("float32")
    if target_shape == "(n, 1)":
        y = y[:, None]
    weights = [
        rng.normal(size=(3, 1)).astype("float32"),
        np.array([0.1], dtype="float32"),
    ]
    model = kg.Sequential([kg.layers.Dense(1, input_shape=(3,))])
    model.set_weights(weights)
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.05),
        loss="mse",
        metrics=["mae"],
    )
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)

    reference = DenseStack(weights, ["linear"], "mse")
    optimizer = SGD(0.05)
    losses, maes, step = [], [], 0
    for _ in range(2):
        loss_total = mae_total = 0.0
        for start in range(0, 11, 4):
            xb, yb = x[start : start + 4], y[start : start + 4]
            # Metrics see the predictions of the step, before its update.
            error = reference.predict(xb).reshape(-1) - yb.reshape(-1)
            mae_total += float(np.sum(np.abs(error)))
            loss, grads = reference.loss_and_grads(xb, yb)
            loss_total += loss * len(xb)
            optimizer.update(step, reference.weights, grads)
            step += 1
        losses.append(loss_total / 11)
        maes.append(mae_total / 11)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=RTOL)
    np.testing.assert_allclose(history.history["mae"], maes, rtol=RTOL)
    _assert_weights(model, reference)
    assert set(history.history) == {"loss", "mae"}

"""Optional: kgraph against real Keras 3 on the same weights and data.

Keras is not a dependency of kgraph; these tests run only where it is
installed (``pip install keras`` plus a backend such as jax or tensorflow).
Each case builds the same model in both libraries, copies Keras's initial
weights into kgraph with ``set_weights``, trains 3 epochs with
``shuffle=False`` and compares the histories, the final weights, evaluate
and predict, on each kgraph backend.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import dtypes

# Every test runs on each backend (see conftest.py).
pytestmark = pytest.mark.usefixtures("backend")

try:
    import keras
except ImportError:  # the parity extra is not installed
    keras = None


@pytest.fixture(autouse=True)
def _needs_keras():
    """Skips each test, one by one, where Keras is missing."""
    if keras is None:
        pytest.skip('Keras is not installed: pip install -e ".[test,parity]"')


RTOL, ATOL = dtypes.KERAS_TRAINING_TOLERANCE
EPOCHS = 3


def _classification(n=26, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    labels = rng.integers(0, classes, n)
    return x, labels


def _regression(n=26, features=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x @ rng.normal(size=(features, 1)) + 0.3).astype("float32")
    return x, y


def _build(lib, layers, input_shape):
    """The same Sequential model in Keras (lib=keras) or kgraph (lib=kg)."""
    model = lib.Sequential([lib.Input(shape=input_shape)])
    for kind, kwargs in layers:
        model.add(getattr(lib.layers, kind)(**kwargs))
    return model


def _optimizer(lib, name):
    if name == "sgd":
        return lib.optimizers.SGD(learning_rate=0.1)
    if name == "sgd-momentum":
        return lib.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)
    if name == "adam":
        return lib.optimizers.Adam(learning_rate=0.01)
    if name == "rmsprop":
        return lib.optimizers.RMSprop(learning_rate=0.01)
    if name == "adagrad":
        return lib.optimizers.Adagrad(learning_rate=0.05)
    raise ValueError(name)


def _regularizer(lib, spec):
    return None if spec is None else lib.regularizers.L2(spec)


def _pair(layers, input_shape, optimizer, loss, metrics):
    models = []
    for lib in (keras, kg):
        resolved = [
            (
                kind,
                {
                    k: (_regularizer(lib, v) if k.endswith("_regularizer") else v)
                    for k, v in kwargs.items()
                },
            )
            for kind, kwargs in layers
        ]
        model = _build(lib, resolved, input_shape)
        model.compile(
            optimizer=_optimizer(lib, optimizer),
            loss=loss,
            metrics=list(metrics),
        )
        models.append(model)
    keras_model, kgraph_model = models
    kgraph_model.set_weights(keras_model.get_weights())
    return keras_model, kgraph_model


def _compare_histories(expected, actual):
    assert set(actual) == set(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(
            actual[key], values, rtol=RTOL, atol=ATOL, err_msg=key
        )


def _compare_weights(keras_model, kgraph_model):
    expected = keras_model.get_weights()
    actual = kgraph_model.get_weights()
    assert [w.shape for w in actual] == [w.shape for w in expected]
    for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=str(index))


def _train_both(keras_model, kgraph_model, x, y, **fit_kwargs):
    fit_kwargs = {"epochs": EPOCHS, "shuffle": False, "verbose": 0, **fit_kwargs}
    expected = keras_model.fit(x, y, **fit_kwargs).history
    actual = kgraph_model.fit(x, y, **fit_kwargs).history
    _compare_histories(expected, actual)
    _compare_weights(keras_model, kgraph_model)


MLP = [
    ("Dense", {"units": 8, "activation": "relu"}),
    ("Dense", {"units": 3, "activation": "softmax"}),
]


@pytest.mark.parametrize(
    "optimizer", ["sgd", "sgd-momentum", "adam", "rmsprop", "adagrad"]
)
def test_categorical_mlp(optimizer):
    x, labels = _classification()
    y = np.eye(3, dtype="float32")[labels]
    keras_model, kgraph_model = _pair(
        MLP, (5,), optimizer, "categorical_crossentropy", ["accuracy"]
    )
    _train_both(keras_model, kgraph_model, x, y, batch_size=8)
    expected = keras_model.evaluate(x, y, batch_size=7, verbose=0)
    actual = kgraph_model.evaluate(x, y, batch_size=7, verbose=0)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(
        kgraph_model.predict(x, batch_size=5, verbose=0),
        keras_model.predict(x, batch_size=5, verbose=0),
        rtol=RTOL,
        atol=ATOL,
    )


def test_sparse_labels_with_validation_split():
    x, labels = _classification(n=30)
    keras_model, kgraph_model = _pair(
        MLP, (5,), "adam", "sparse_categorical_crossentropy", ["accuracy"]
    )
    _train_both(
        keras_model, kgraph_model, x, labels, batch_size=7, validation_split=0.2
    )


def test_sample_weight_and_validation_data():
    x, labels = _classification(n=30)
    y = np.eye(3, dtype="float32")[labels]
    weights = np.linspace(0.1, 2.0, 30).astype("float32")
    x_val, val_labels = _classification(n=9, seed=5)
    y_val = np.eye(3, dtype="float32")[val_labels]
    keras_model, kgraph_model = _pair(
        MLP, (5,), "sgd", "categorical_crossentropy", ["accuracy"]
    )
    _train_both(
        keras_model,
        kgraph_model,
        x,
        y,
        batch_size=8,
        sample_weight=weights,
        validation_data=(x_val, y_val),
    )


def test_class_weight():
    x, labels = _classification(n=30)
    y = np.eye(3, dtype="float32")[labels]
    keras_model, kgraph_model = _pair(
        MLP, (5,), "sgd", "categorical_crossentropy", ["accuracy"]
    )
    _train_both(
        keras_model,
        kgraph_model,
        x,
        y,
        batch_size=8,
        class_weight={0: 0.5, 1: 2.0, 2: 1.0},
        validation_split=0.2,
    )


def test_binary_crossentropy():
    x, labels = _classification(classes=2)
    layers = [
        ("Dense", {"units": 6, "activation": "tanh"}),
        ("Dense", {"units": 1, "activation": "sigmoid"}),
    ]
    keras_model, kgraph_model = _pair(
        layers, (5,), "rmsprop", "binary_crossentropy", ["accuracy"]
    )
    _train_both(
        keras_model, kgraph_model, x, labels.astype("float32")[:, None], batch_size=6
    )


@pytest.mark.parametrize("target_rank", [1, 2])
def test_mse_regression_with_l2(target_rank):
    x, y = _regression()
    if target_rank == 1:
        y = y[:, 0]
    layers = [
        ("Dense", {"units": 4, "activation": "relu", "kernel_regularizer": 0.01}),
        ("Dense", {"units": 1}),
    ]
    keras_model, kgraph_model = _pair(layers, (5,), "sgd", "mse", ["mae"])
    _train_both(keras_model, kgraph_model, x, y, batch_size=8)


def test_train_on_batch_and_test_on_batch():
    x, labels = _classification(n=8)
    y = np.eye(3, dtype="float32")[labels]
    keras_model, kgraph_model = _pair(
        MLP, (5,), "adam", "categorical_crossentropy", ["accuracy"]
    )
    for _ in range(3):
        np.testing.assert_allclose(
            kgraph_model.train_on_batch(x, y),
            keras_model.train_on_batch(x, y),
            rtol=RTOL,
            atol=ATOL,
        )
    np.testing.assert_allclose(
        kgraph_model.test_on_batch(x, y),
        keras_model.test_on_batch(x, y),
        rtol=RTOL,
        atol=ATOL,
    )
    _compare_weights(keras_model, kgraph_model)


def test_multi_output_loss_dict():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 4)).astype("float32")
    y = {
        "reg": rng.normal(size=(20, 1)).astype("float32"),
        "cls": rng.integers(0, 3, 20),
    }
    models = []
    for lib in (keras, kg):
        inputs = lib.Input(shape=(4,), name="features")
        hidden = lib.layers.Dense(6, activation="relu", name="hidden")(inputs)
        reg = lib.layers.Dense(1, name="reg")(hidden)
        cls = lib.layers.Dense(3, activation="softmax", name="cls")(hidden)
        model = lib.Model(inputs, {"reg": reg, "cls": cls})
        model.compile(
            optimizer=_optimizer(lib, "adam"),
            loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
            loss_weights={"reg": 0.5, "cls": 2.0},
            metrics={"cls": ["accuracy"]},
        )
        models.append(model)
    keras_model, kgraph_model = models
    kgraph_model.set_weights(keras_model.get_weights())
    _train_both(keras_model, kgraph_model, x, y, batch_size=6, validation_split=0.25)


def test_multi_output_evaluate_order():
    """evaluate's list: loss, per-output losses in the loss dict's order, then
    the metrics sorted by name (several outputs)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(20, 4)).astype("float32")
    y = {
        "zz": rng.normal(size=(20, 1)).astype("float32"),
        "aa": rng.integers(0, 3, 20),
    }
    models = []
    for lib in (keras, kg):
        inputs = lib.Input(shape=(4,), name="features")
        hidden = lib.layers.Dense(6, activation="relu", name="hidden")(inputs)
        reg = lib.layers.Dense(1, name="reg")(hidden)
        cls = lib.layers.Dense(3, activation="softmax", name="cls")(hidden)
        model = lib.Model(inputs, {"zz": reg, "aa": cls})
        model.compile(
            optimizer=_optimizer(lib, "sgd"),
            loss={"zz": "mse", "aa": "sparse_categorical_crossentropy"},
            metrics={"zz": ["mae"], "aa": ["accuracy"]},
        )
        models.append(model)
    keras_model, kgraph_model = models
    kgraph_model.set_weights(keras_model.get_weights())
    np.testing.assert_allclose(
        kgraph_model.evaluate(x, y, verbose=0),
        keras_model.evaluate(x, y, verbose=0),
        rtol=RTOL,
        atol=ATOL,
    )
    expected = keras_model.evaluate(x, y, verbose=0, return_dict=True)
    actual = kgraph_model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(actual) == list(expected)
    expected_predictions = keras_model.predict(x, verbose=0)
    actual_predictions = kgraph_model.predict(x, verbose=0)
    assert set(actual_predictions) == set(expected_predictions)
    for key, value in expected_predictions.items():
        np.testing.assert_allclose(actual_predictions[key], value, rtol=RTOL, atol=ATOL)


def _branches(lib):
    a = lib.Input(shape=(4,), name="a")
    b1 = lib.layers.Dense(2, name="b1")(a)
    c1 = lib.layers.Dense(3, activation="tanh", name="c1")(a)
    c2 = lib.layers.Dense(2, name="c2")(c1)
    joined = lib.layers.Concatenate(name="cat")([b1, c2])
    x = np.random.default_rng(2).normal(size=(3, 4)).astype("float32")
    return lib.Model(a, lib.layers.Dense(1, name="out")(joined)), x


def _two_inputs(lib):
    b = lib.Input(shape=(2,), name="b")
    a = lib.Input(shape=(4,), name="a")
    da = lib.layers.Dense(3, name="da")(a)
    db = lib.layers.Dense(3, activation="relu", name="db")(b)
    deep = lib.layers.Dense(3, name="deep")(lib.layers.Dense(3, name="pre")(db))
    total = lib.layers.Add(name="add")([da, deep])
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(5, 4)), rng.normal(size=(5, 2))]
    return lib.Model([a, b], lib.layers.Dense(1, name="o")(total)), x


def _shared(lib):
    a = lib.Input(shape=(4,), name="a")
    b = lib.Input(shape=(4,), name="b")
    shared = lib.layers.Dense(3, name="shared")
    first = shared(lib.layers.Dense(4, name="pa")(a))
    total = lib.layers.Add(name="s")([first, shared(b)])
    rng = np.random.default_rng(1)
    return lib.Model([a, b], total), [rng.normal(size=(5, 4)) for _ in range(2)]


def _dict_outputs(lib):
    a = lib.Input(shape=(4,), name="a")
    hidden = lib.layers.Dense(3, name="h")(a)
    outputs = {
        "zz": lib.layers.Dense(1, name="r")(hidden),
        "aa": lib.layers.Dense(2, name="c")(hidden),
    }
    return lib.Model(a, outputs), np.ones((3, 4), "float32")


@pytest.mark.parametrize("build", [_branches, _two_inputs, _shared, _dict_outputs])
def test_functional_layer_and_weight_order(build):
    kg.utils.clear_session()
    keras_model, x = build(keras)
    kgraph_model, _ = build(kg)
    assert [layer.name for layer in kgraph_model.layers] == [
        layer.name for layer in keras_model.layers
    ]
    kgraph_model.set_weights(keras_model.get_weights())
    expected = keras_model.predict(x, verbose=0)
    actual = kgraph_model.predict(x, verbose=0)
    if isinstance(expected, dict):
        assert set(actual) == set(expected)
        for key in expected:
            np.testing.assert_allclose(actual[key], expected[key], rtol=RTOL)
    else:
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def _optimizer_config(lib, name):
    schedules = lib.optimizers.schedules
    if name == "adamw":
        return lib.optimizers.AdamW(learning_rate=0.01, weight_decay=0.05)
    if name == "adam-amsgrad-clipnorm":
        return lib.optimizers.Adam(learning_rate=0.02, amsgrad=True, clipnorm=0.5)
    if name == "sgd-clipvalue":
        return lib.optimizers.SGD(learning_rate=0.1, clipvalue=0.05)
    if name == "rmsprop-centered-momentum":
        return lib.optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True)
    if name == "sgd-exponential-decay":
        return lib.optimizers.SGD(
            learning_rate=schedules.ExponentialDecay(0.2, decay_steps=2, decay_rate=0.5)
        )
    if name == "adam-piecewise":
        return lib.optimizers.Adam(
            learning_rate=schedules.PiecewiseConstantDecay([3, 6], [0.05, 0.01, 0.001])
        )
    if name == "sgd-cosine":
        return lib.optimizers.SGD(
            learning_rate=schedules.CosineDecay(0.1, decay_steps=8, alpha=0.1)
        )
    raise ValueError(name)


@pytest.mark.parametrize(
    "name",
    [
        "adamw",
        "adam-amsgrad-clipnorm",
        "sgd-clipvalue",
        "rmsprop-centered-momentum",
        "sgd-exponential-decay",
        "adam-piecewise",
        "sgd-cosine",
    ],
)
def test_optimizer_variants(name):
    x, labels = _classification()
    y = np.eye(3, dtype="float32")[labels]
    models = []
    for lib in (keras, kg):
        model = _build(lib, MLP, (5,))
        model.compile(
            optimizer=_optimizer_config(lib, name),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        models.append(model)
    keras_model, kgraph_model = models
    kgraph_model.set_weights(keras_model.get_weights())
    _train_both(keras_model, kgraph_model, x, y, batch_size=8)


def test_regularizers_of_every_kind():
    x, y = _regression()
    models = []
    for lib in (keras, kg):
        model = _build(
            lib,
            [
                (
                    "Dense",
                    {
                        "units": 4,
                        "activation": "tanh",
                        "kernel_regularizer": lib.regularizers.L1L2(l1=0.01, l2=0.02),
                        "bias_regularizer": lib.regularizers.L1(0.05),
                        # Not zeros: d|b|/db at 0 is 0 in kgraph (and Keras on
                        # TensorFlow or torch) but 1 in Keras on JAX.
                        "bias_initializer": "ones",
                        "activity_regularizer": lib.regularizers.L2(0.1),
                    },
                ),
                ("Dense", {"units": 1, "kernel_regularizer": "l2"}),
            ],
            (5,),
        )
        model.compile(optimizer=_optimizer(lib, "sgd"), loss="mse", metrics=["mae"])
        models.append(model)
    keras_model, kgraph_model = models
    kgraph_model.set_weights(keras_model.get_weights())
    _train_both(keras_model, kgraph_model, x, y, batch_size=7, validation_split=0.25)
    np.testing.assert_allclose(
        kgraph_model.evaluate(x, y, batch_size=5, verbose=0),
        keras_model.evaluate(x, y, batch_size=5, verbose=0),
        rtol=RTOL,
        atol=ATOL,
    )


def test_learning_rate_callbacks_and_initial_epoch():
    x, labels = _classification(n=30)
    y = np.eye(3, dtype="float32")[labels]
    keras_model, kgraph_model = _pair(
        MLP, (5,), "sgd", "categorical_crossentropy", ["accuracy"]
    )
    histories = []
    for lib, model in ((keras, keras_model), (kg, kgraph_model)):
        callbacks = [
            lib.callbacks.LearningRateScheduler(lambda epoch, lr: 0.3 / (epoch + 1)),
            lib.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0),
        ]
        history = model.fit(
            x,
            y,
            batch_size=8,
            epochs=5,
            initial_epoch=1,
            shuffle=False,
            verbose=0,
            callbacks=callbacks,
        )
        histories.append((history.history, history.epoch))
    (expected, expected_epochs), (actual, actual_epochs) = histories
    assert actual_epochs == expected_epochs
    _compare_histories(expected, actual)
    _compare_weights(keras_model, kgraph_model)


def test_early_stopping_restores_like_keras():
    x, y = _regression(n=16)
    x = x * 3.0
    models = []
    for lib in (keras, kg):
        model = _build(lib, [("Dense", {"units": 1})], (5,))
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.3), loss="mse")
        models.append(model)
    keras_model, kgraph_model = models
    kgraph_model.set_weights(keras_model.get_weights())
    histories = []
    for lib, model in ((keras, keras_model), (kg, kgraph_model)):
        stopper = lib.callbacks.EarlyStopping(
            monitor="loss", patience=1, restore_best_weights=True
        )
        histories.append(
            model.fit(
                x,
                y,
                batch_size=16,
                epochs=10,
                shuffle=False,
                verbose=0,
                callbacks=[stopper],
            ).history
        )
    _compare_histories(*histories)
    _compare_weights(keras_model, kgraph_model)


def test_sample_weighted_evaluate_and_class_weighted_train_on_batch():
    x, labels = _classification(n=12)
    y = np.eye(3, dtype="float32")[labels]
    weights = np.linspace(0.0, 2.0, 12).astype("float32")
    keras_model, kgraph_model = _pair(
        MLP, (5,), "adam", "categorical_crossentropy", ["accuracy"]
    )
    np.testing.assert_allclose(
        kgraph_model.evaluate(x, y, sample_weight=weights, batch_size=5, verbose=0),
        keras_model.evaluate(x, y, sample_weight=weights, batch_size=5, verbose=0),
        rtol=RTOL,
        atol=ATOL,
    )
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    for _ in range(2):
        np.testing.assert_allclose(
            kgraph_model.train_on_batch(x, y, class_weight=class_weight),
            keras_model.train_on_batch(x, y, class_weight=class_weight),
            rtol=RTOL,
            atol=ATOL,
        )
    _compare_weights(keras_model, kgraph_model)
    np.testing.assert_allclose(
        np.asarray(kgraph_model(x)), np.asarray(keras_model(x)), rtol=RTOL, atol=ATOL
    )
    np.testing.assert_allclose(
        kgraph_model.predict_on_batch(x),
        keras_model.predict_on_batch(x),
        rtol=RTOL,
        atol=ATOL,
    )

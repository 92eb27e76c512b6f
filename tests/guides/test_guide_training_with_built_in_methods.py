"""The keras.io guide "Training & evaluation with the built-in methods", as a
kgraph program.

Each test is one section of the guide, written as the guide writes it with
``import kgraph as keras``, on generated MNIST-like data (a class template
plus noise) instead of the downloaded MNIST. Every test runs on both
backends (``backend`` fixture).

Left out or changed, and why:

- ``tf.data`` datasets, ``keras.utils.PyDataset`` and PyTorch
  ``DataLoader`` inputs: kgraph's ``fit`` takes NumPy arrays (and lists or
  dicts of them) only.
- The time series input of the multi-input model has a fixed length
  (``shape=(20, 10)`` instead of ``(None, 10)``): kgraph compiles training
  graphs whose dimensions other than the batch's are static.
- The ``TensorBoard`` callback: kgraph has none.
- Keras 3 has no ``add_metric``; the guide's "metric-like" endpoint layer is
  ``LogisticEndpoint``, which tracks its loss with ``add_loss``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers
from kgraph import ops

N_TRAIN, N_VAL, N_TEST = 512, 128, 128


@pytest.fixture
def mnist(rng):
    """(x_train, y_train), (x_val, y_val), (x_test, y_test): flattened 28x28
    "digits" of ten classes in [0, 1], labels as float32 as in the guide."""
    n = N_TRAIN + N_VAL + N_TEST
    templates = rng.random((10, 784)) > 0.7
    labels = rng.integers(0, 10, size=n)
    noise = rng.random((n, 784)) < 0.15
    x = np.logical_xor(templates[labels], noise).astype("float32")
    y = labels.astype("float32")
    x_train, y_train = x[:N_TRAIN], y[:N_TRAIN]
    x_val, y_val = x[N_TRAIN : N_TRAIN + N_VAL], y[N_TRAIN : N_TRAIN + N_VAL]
    x_test, y_test = x[N_TRAIN + N_VAL :], y[N_TRAIN + N_VAL :]
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def sparse_crossentropy(probabilities, labels):
    """Per-sample crossentropy of probabilities, as Keras clips them."""
    p = np.clip(probabilities, 1e-7, 1 - 1e-7)
    p = p / p.sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(len(labels)), labels.astype(int)])


# -- API overview: a first end-to-end example ------------------------------------------


def test_a_first_end_to_end_example(backend, mnist):
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = mnist
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(),  # Optimizer
        # Loss function to minimize
        loss=keras.losses.SparseCategoricalCrossentropy(),
        # List of metrics to monitor
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=2,
        # We pass some validation for monitoring validation loss and metrics
        # at the end of each epoch
        validation_data=(x_val, y_val),
        verbose=0,
    )
    # The returned history object holds a record of the loss values and
    # metric values during training.
    assert sorted(history.history) == [
        "loss",
        "sparse_categorical_accuracy",
        "val_loss",
        "val_sparse_categorical_accuracy",
    ]
    assert history.history["loss"][1] < history.history["loss"][0]
    # The validation logs are evaluate() on the validation data at the end
    # of the epoch.
    val_loss, val_accuracy = model.evaluate(x_val, y_val, batch_size=64, verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][-1], val_loss, rtol=1e-5)
    assert history.history["val_sparse_categorical_accuracy"][-1] == pytest.approx(
        val_accuracy
    )

    # Evaluate the model on the test data using `evaluate`
    results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    assert len(results) == 2
    # Generate predictions (probabilities -- the output of the last layer) on
    # new data using `predict`
    predictions = model.predict(x_test[:3], verbose=0)
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
    probabilities = model.predict(x_test, verbose=0)
    np.testing.assert_allclose(
        results[0], sparse_crossentropy(probabilities, y_test).mean(), rtol=1e-4
    )
    assert results[1] == pytest.approx(np.mean(probabilities.argmax(1) == y_test))
    assert results[1] > 0.8


# -- The compile() method: specifying a loss, metrics, and an optimizer ----------------


def test_compile_with_objects_or_string_identifiers(backend, mnist):
    (x_train, y_train), _, _ = mnist
    models = [get_uncompiled_model(), get_uncompiled_model()]
    models[1].set_weights(models[0].get_weights())
    models[0].compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    models[1].compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    histories = [
        model.fit(x_train, y_train, batch_size=64, shuffle=False, verbose=0).history
        for model in models
    ]
    # The string identifiers are the same objects with default settings.
    assert histories[0] == histories[1]
    for a, b in zip(models[0].get_weights(), models[1].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# -- Custom losses ---------------------------------------------------------------------


def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor

    def get_config(self):
        return {
            "regularization_factor": self.regularization_factor,
            "name": self.name,
        }


def test_a_custom_loss_function(backend, mnist):
    (x_train, y_train), _, (x_test, y_test) = mnist
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)

    # We need to one-hot encode the labels to use MSE
    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    y_test_one_hot = np.eye(10, dtype="float32")[y_test.astype(int)]
    loss = model.evaluate(x_test, y_test_one_hot, verbose=0)
    probabilities = model.predict(x_test, verbose=0)
    expected = np.mean((y_test_one_hot - probabilities) ** 2)
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


def test_a_custom_loss_class(backend, mnist):
    (x_train, y_train), _, (x_test, y_test) = mnist
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())

    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    y_test_one_hot = np.eye(10, dtype="float32")[y_test.astype(int)]
    probabilities = model.predict(x_test, verbose=0)
    expected = np.mean((y_test_one_hot - probabilities) ** 2) + 0.1 * np.mean(
        (0.5 - probabilities) ** 2
    )
    np.testing.assert_allclose(
        model.evaluate(x_test, y_test_one_hot, verbose=0), expected, rtol=1e-4
    )

    # The loss's config rebuilds it.
    config = CustomMSE(regularization_factor=0.3).get_config()
    assert config == {"regularization_factor": 0.3, "name": "custom_mse"}
    rebuilt = CustomMSE.from_config(config)
    assert rebuilt.regularization_factor == 0.3
    y_true, y_pred = np.eye(3, dtype="float32"), np.full((3, 3), 0.2, "float32")
    np.testing.assert_allclose(
        float(rebuilt(y_true, y_pred)),
        np.mean((y_true - y_pred) ** 2) + 0.3 * np.mean((0.5 - y_pred) ** 2),
        rtol=1e-6,
    )


# -- Custom metrics --------------------------------------------------------------------


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(
            shape=(), name="ctp", initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        # The state of the metric will be reset at the start of each epoch.
        self.true_positives.assign(0.0)


def test_a_custom_metric(backend, mnist):
    (x_train, y_train), _, (x_test, y_test) = mnist
    # Labels as a column, so that y_true (batch, 1) compares with the
    # argmax reshaped to (batch, 1) element by element.
    y_train, y_test = y_train[:, None], y_test[:, None]
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)
    counts = history.history["categorical_true_positives"]
    # Reset at the start of each epoch: a count of at most N_TRAIN per epoch,
    # growing as the model learns.
    assert all(0 <= c <= N_TRAIN for c in counts)
    assert counts[-1] > counts[0]

    # evaluate counts the correctly classified test samples.
    probabilities = model.predict(x_test, verbose=0)
    correct = probabilities.argmax(axis=1) == y_test[:, 0]
    results = model.evaluate(x_test, y_test, batch_size=32, return_dict=True)
    assert results["categorical_true_positives"] == correct.sum()
    # As in Keras, `metrics` ignore sample weights; `weighted_metrics` see them.
    weights = np.where(y_test[:, 0] < 5, 2.0, 0.5)
    results = model.evaluate(
        x_test, y_test, sample_weight=weights, batch_size=32, return_dict=True
    )
    assert results["categorical_true_positives"] == correct.sum()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        weighted_metrics=[CategoricalTruePositives()],
    )
    results = model.evaluate(
        x_test, y_test, sample_weight=weights, batch_size=N_TEST, return_dict=True
    )
    # The guide's update_state multiplies the (batch, 1) values by the
    # (batch,) weights: they broadcast to (batch, batch), in Keras as here,
    # so one batch counts every correct sample times the sum of the weights.
    np.testing.assert_allclose(
        results["categorical_true_positives"], correct.sum() * weights.sum(), rtol=1e-6
    )
    # The metric object is reset by reset_state.
    metric = model.metrics[-1]
    metric.reset_state()
    assert float(np.asarray(metric.result())) == 0.0


# -- Handling losses and metrics that don't fit the standard signature -----------------


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs  # Pass-through layer.


def test_a_loss_added_by_a_layer(backend, mnist):
    (x_train, y_train), _, (x_test, y_test) = mnist
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)

    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)

    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )

    # The displayed loss will be much higher than before due to the
    # regularization component.
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0)
    assert history.history["loss"][0] > 1.0
    assert history.history["loss"][1] < history.history["loss"][0]

    # One batch of all the test data: crossentropy + 0.1 * sum(activations).
    loss = model.evaluate(x_test, y_test, batch_size=N_TEST, verbose=0)
    hidden = keras.Model(inputs, model.get_layer("dense_1").output)
    activations = hidden.predict(x_test, verbose=0)
    logits = model.predict(x_test, verbose=0)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    crossentropy = -log_probs[np.arange(N_TEST), y_test.astype(int)].mean()
    np.testing.assert_allclose(loss, crossentropy + 0.1 * activations.sum(), rtol=1e-4)


class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        # Compute the training-time loss value and add it to the layer using
        # `self.add_loss()`.
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)

        # Return the inference-time prediction tensor (for `.predict()`).
        return ops.softmax(logits)


def test_an_endpoint_layer_adds_the_loss(backend, rng):
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)

    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # No loss argument!

    data = {
        "inputs": rng.random((64, 3)),
        "targets": (rng.random((64, 10)) > 0.5).astype("float32"),
    }
    history = model.fit(data, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]

    kernel, bias = model.layers[-2].get_weights()
    z = data["inputs"] @ kernel + bias
    t = data["targets"]
    bce = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    np.testing.assert_allclose(
        model.evaluate(data, batch_size=64, verbose=0), bce, rtol=1e-4
    )
    softmax = np.exp(z - z.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        model.predict(data, verbose=0), softmax, rtol=1e-4, atol=1e-6
    )


# -- Automatically setting apart a validation holdout set ------------------------------


def test_validation_split_holds_out_the_last_samples(backend, mnist):
    (x_train, y_train), _, _ = mnist
    model = get_compiled_model()
    history = model.fit(
        x_train, y_train, batch_size=64, validation_split=0.25, epochs=1, verbose=0
    )
    # The validation data is the last 25% of the arrays, before shuffling.
    held_out = slice(int(N_TRAIN * 0.75), None)
    val_loss, val_accuracy = model.evaluate(
        x_train[held_out], y_train[held_out], batch_size=64, verbose=0
    )
    np.testing.assert_allclose(history.history["val_loss"][0], val_loss, rtol=1e-5)
    assert history.history["val_sparse_categorical_accuracy"][0] == pytest.approx(
        val_accuracy
    )


# -- Using sample weighting and class weighting ----------------------------------------


def test_class_weights_and_sample_weights(backend, mnist):
    (x_train, y_train), _, (x_test, y_test) = mnist
    class_weight = {
        0: 1.0,
        1: 1.0,
        2: 1.0,
        3: 1.0,
        4: 1.0,
        # Set weight "2" for class "5", making this class 2x more important
        5: 2.0,
        6: 1.0,
        7: 1.0,
        8: 1.0,
        9: 1.0,
    }
    # Fit with class weight
    model = get_compiled_model()
    initial = model.get_weights()
    model.fit(
        x_train,
        y_train,
        class_weight=class_weight,
        batch_size=64,
        epochs=1,
        shuffle=False,
        verbose=0,
    )

    # Fit with sample weight: the same weights per sample train alike.
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    weighted = get_compiled_model()
    weighted.set_weights(initial)
    weighted.fit(
        x_train,
        y_train,
        sample_weight=sample_weight,
        batch_size=64,
        epochs=1,
        shuffle=False,
        verbose=0,
    )
    for a, b in zip(model.get_weights(), weighted.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

    # Unweighted training differs.
    plain = get_compiled_model()
    plain.set_weights(initial)
    plain.fit(x_train, y_train, batch_size=64, epochs=1, shuffle=False, verbose=0)
    assert not np.allclose(plain.get_weights()[0], model.get_weights()[0])

    # A weighted loss is sum(weight * loss) / batch size.
    test_weight = np.where(y_test == 5, 2.0, 1.0)
    loss = model.evaluate(
        x_test, y_test, sample_weight=test_weight, batch_size=N_TEST, verbose=0
    )[0]
    per_sample = sparse_crossentropy(model.predict(x_test, verbose=0), y_test)
    np.testing.assert_allclose(loss, np.mean(test_weight * per_sample), rtol=1e-4)


# -- Passing data to multi-input, multi-output models ----------------------------------


def multi_input_multi_output_model():
    image_input = keras.Input(shape=(8, 8, 3), name="img_input")
    # A fixed length: (None, 10) in the guide.
    timeseries_input = keras.Input(shape=(20, 10), name="ts_input")

    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)

    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)

    x = layers.concatenate([x1, x2])

    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)

    return keras.Model(
        inputs=[image_input, timeseries_input], outputs=[score_output, class_output]
    )


@pytest.fixture
def multi_data(rng):
    img_data = rng.random(size=(96, 8, 8, 3))
    ts_data = rng.random(size=(96, 20, 10))
    score_targets = img_data.mean(axis=(1, 2, 3))[:, None]
    class_targets = np.eye(5)[(ts_data[:, :, :5].mean(axis=1)).argmax(axis=1)]
    return img_data, ts_data, score_targets, class_targets


def mean_absolute_percentage_error():
    """The guide's keras.metrics.MeanAbsolutePercentageError(), which kgraph
    lacks: the mean of the loss function of that name."""
    return keras.metrics.MeanMetricWrapper(keras.losses.mean_absolute_percentage_error)


def test_per_output_metrics_as_the_guide_names_them(backend, multi_data):
    img_data, ts_data, score_targets, class_targets = multi_data
    model = multi_input_multi_output_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[
            keras.losses.MeanSquaredError(),
            keras.losses.CategoricalCrossentropy(),
        ],
        metrics=[
            [
                keras.metrics.MeanAbsolutePercentageError(),
                keras.metrics.MeanAbsoluteError(),
            ],
            [keras.metrics.CategoricalAccuracy()],
        ],
    )
    history = model.fit(
        [img_data, ts_data], [score_targets, class_targets], batch_size=32, verbose=0
    )
    assert "score_output_mean_absolute_percentage_error" in history.history


def test_multi_input_multi_output_losses_and_metrics(backend, multi_data, tmp_path):
    img_data, ts_data, score_targets, class_targets = multi_data
    model = multi_input_multi_output_model()
    dot = keras.utils.plot_model(
        model, tmp_path / "multi_input_and_output_model.dot", show_shapes=True
    )
    assert Path(dot).read_text().count("->") == 8

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[
            keras.losses.MeanSquaredError(),
            keras.losses.CategoricalCrossentropy(from_logits=True),
        ],
        metrics=[
            [
                mean_absolute_percentage_error(),
                keras.metrics.MeanAbsoluteError(),
            ],
            [keras.metrics.CategoricalAccuracy()],
        ],
    )
    history = model.fit(
        [img_data, ts_data], [score_targets, class_targets], batch_size=32, verbose=0
    )
    assert sorted(history.history) == [
        "class_output_categorical_accuracy",
        "class_output_loss",
        "loss",
        "score_output_loss",
        "score_output_mean_absolute_error",
        "score_output_mean_absolute_percentage_error",
    ]

    # Per-output losses and metrics by name, and loss weights.
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "score_output": keras.losses.MeanSquaredError(),
            "class_output": keras.losses.CategoricalCrossentropy(from_logits=True),
        },
        metrics={
            "score_output": [
                mean_absolute_percentage_error(),
                keras.metrics.MeanAbsoluteError(),
            ],
            "class_output": [keras.metrics.CategoricalAccuracy()],
        },
        loss_weights={"score_output": 2.0, "class_output": 1.0},
    )
    # Fit on dicts
    history = model.fit(
        {"img_input": img_data, "ts_input": ts_data},
        {"score_output": score_targets, "class_output": class_targets},
        batch_size=32,
        epochs=3,
        verbose=0,
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    results = model.evaluate(
        [img_data, ts_data],
        [score_targets, class_targets],
        batch_size=96,
        return_dict=True,
        verbose=0,
    )
    score, logits = model.predict([img_data, ts_data], verbose=0)
    mse = np.mean((score - score_targets) ** 2)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    cce = np.mean(-(class_targets * log_probs).sum(axis=1))
    np.testing.assert_allclose(results["score_output_loss"], mse, rtol=1e-4)
    np.testing.assert_allclose(results["class_output_loss"], cce, rtol=1e-4)
    np.testing.assert_allclose(results["loss"], 2.0 * mse + cce, rtol=1e-4)
    np.testing.assert_allclose(
        results["score_output_mean_absolute_error"],
        np.mean(np.abs(score - score_targets)),
        rtol=1e-4,
    )
    assert results["class_output_categorical_accuracy"] == pytest.approx(
        np.mean(logits.argmax(axis=1) == class_targets.argmax(axis=1))
    )


def test_outputs_without_a_loss(backend, multi_data):
    img_data, ts_data, score_targets, class_targets = multi_data
    model = multi_input_multi_output_model()
    score_weights = model.get_layer("score_output").get_weights()

    def class_loss():
        _, logits = model.predict([img_data, ts_data], verbose=0)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return np.mean(-(class_targets * log_probs).sum(axis=1))

    # List loss version
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[None, keras.losses.CategoricalCrossentropy(from_logits=True)],
    )
    history = model.fit(
        [img_data, ts_data], [score_targets, class_targets], batch_size=32, verbose=0
    )
    assert np.isfinite(history.history["loss"][0])
    loss = model.evaluate(
        [img_data, ts_data], [score_targets, class_targets], batch_size=96, verbose=0
    )
    np.testing.assert_allclose(loss, class_loss(), rtol=1e-4)

    # Or dict loss version
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={"class_output": keras.losses.CategoricalCrossentropy(from_logits=True)},
    )
    model.fit(
        [img_data, ts_data], [score_targets, class_targets], batch_size=32, verbose=0
    )
    loss = model.evaluate(
        [img_data, ts_data], [score_targets, class_targets], batch_size=96, verbose=0
    )
    np.testing.assert_allclose(loss, class_loss(), rtol=1e-4)
    # The score head gets no gradient.
    for a, b in zip(
        model.get_layer("score_output").get_weights(), score_weights, strict=True
    ):
        np.testing.assert_array_equal(a, b)


# -- Using callbacks -------------------------------------------------------------------


def early_stopping_epoch(val_losses, min_delta, patience):
    """The epoch (1-based) at which Keras's EarlyStopping stops, or None."""
    best, wait = np.inf, 0
    for epoch, value in enumerate(val_losses, start=1):
        if value < best - min_delta:
            best, wait = value, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch
    return None


def test_early_stopping(backend, mnist, capsys):
    (x_train, y_train), _, _ = mnist
    model = get_compiled_model()
    callbacks = [
        keras.callbacks.EarlyStopping(
            # Stop training when `val_loss` is no longer improving
            monitor="val_loss",
            # "no longer improving" being defined as "no better than 1e-2 less"
            min_delta=1e-2,
            # "no longer improving" being further defined as "for at least 2
            # epochs"
            patience=2,
            verbose=1,
        )
    ]
    history = model.fit(
        x_train[:256],
        y_train[:256],
        epochs=20,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.25,
        verbose=0,
    )
    val_losses = history.history["val_loss"]
    stopped = early_stopping_epoch(val_losses, 1e-2, 2)
    assert stopped is not None and stopped < 20
    assert len(val_losses) == stopped
    assert f"Epoch {stopped}: early stopping" in capsys.readouterr().out


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))


def test_writing_your_own_callback(backend, mnist):
    (x_train, y_train), _, _ = mnist
    model = get_compiled_model()
    recorder = LossHistory()
    history = model.fit(
        x_train, y_train, batch_size=64, epochs=2, callbacks=[recorder], verbose=0
    )
    # 8 batches per epoch, each reported.
    assert len(recorder.per_batch_losses) == 16
    assert all(np.isfinite(recorder.per_batch_losses))
    # The running mean at the end of the epoch is the epoch's loss.
    np.testing.assert_allclose(
        recorder.per_batch_losses[7], history.history["loss"][0], rtol=1e-6
    )
    np.testing.assert_allclose(
        recorder.per_batch_losses[-1], history.history["loss"][1], rtol=1e-6
    )


# -- Checkpointing models --------------------------------------------------------------

SUFFIX = ".keras" if importlib.util.find_spec("h5py") else ".kgraph"


def test_checkpointing_the_best_model(backend, mnist, tmp_path):
    (x_train, y_train), _, _ = mnist
    model = get_compiled_model()
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            # Path where to save the model. The two parameters below mean that
            # we will overwrite the current checkpoint if and only if the
            # `val_loss` score has improved. The saved model name will
            # include the current epoch.
            filepath=str(tmp_path / ("mymodel_{epoch}" + SUFFIX)),
            save_best_only=True,  # Only save a model if `val_loss` has improved.
            monitor="val_loss",
            verbose=1,
        )
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=3,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
        verbose=0,
    )
    val_losses = history.history["val_loss"]
    improved = [
        epoch + 1
        for epoch, value in enumerate(val_losses)
        if value < min(val_losses[:epoch], default=np.inf)
    ]
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved == sorted(f"mymodel_{epoch}{SUFFIX}" for epoch in improved)
    best = keras.models.load_model(tmp_path / f"mymodel_{improved[-1]}{SUFFIX}")
    held_out = slice(int(N_TRAIN * 0.8), None)
    np.testing.assert_allclose(
        best.evaluate(x_train[held_out], y_train[held_out], batch_size=64, verbose=0)[
            0
        ],
        min(val_losses),
        rtol=1e-5,
    )


def test_checkpoints_for_fault_tolerance(backend, mnist, tmp_path):
    (x_train, y_train), _, _ = mnist
    # Prepare a directory to store all the checkpoints.
    checkpoint_dir = str(tmp_path / "ckpt")
    if not os.path.exists(checkpoint_dir):
        os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        # Either restore the latest model, or create a fresh one if there is
        # no checkpoint available.
        checkpoints = [
            checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)
        ]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            return keras.models.load_model(latest_checkpoint), latest_checkpoint
        return get_compiled_model(), None

    model, restored_from = make_or_restore_model()
    assert restored_from is None
    callbacks = [
        # This callback saves the model every 4 batches. We include the
        # training loss in the saved model name.
        keras.callbacks.ModelCheckpoint(
            filepath=checkpoint_dir + "/model-loss={loss:.2f}" + SUFFIX, save_freq=4
        )
    ]
    model.fit(x_train, y_train, epochs=1, batch_size=64, callbacks=callbacks, verbose=0)
    assert len(os.listdir(checkpoint_dir)) == 2  # after batches 4 and 8

    # The training is "interrupted": restore the latest checkpoint and go on.
    restored, restored_from = make_or_restore_model()
    assert restored_from is not None and restored_from.endswith(SUFFIX)
    for a, b in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    history = restored.fit(x_train, y_train, epochs=1, batch_size=64, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# -- Using learning rate schedules -----------------------------------------------------


def test_passing_a_schedule_to_an_optimizer(backend, mnist):
    (x_train, y_train), _, _ = mnist
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )
    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    assert float(lr_schedule(0)) == pytest.approx(0.1)
    assert float(lr_schedule(100000)) == pytest.approx(0.096)
    model = get_uncompiled_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    history = model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])

    # A schedule that decays every step: SGD on a linear model takes steps
    # of 0.1, then 0.05, then 0.025, as in NumPy.
    schedule = keras.optimizers.schedules.ExponentialDecay(
        0.1, decay_steps=1, decay_rate=0.5, staircase=True
    )
    inputs = keras.Input(shape=(3,))
    linear = keras.Model(inputs, layers.Dense(1, use_bias=False)(inputs))
    linear.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    x = x_train[:32, :3]
    y = x_train[:32, 3:4]
    w = linear.get_weights()[0].astype("float64")
    for rate in (0.1, 0.05, 0.025):
        w = w - rate * 2.0 * x.T @ (x @ w - y) / len(x)
    linear.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(linear.get_weights()[0], w, rtol=1e-5)


def test_a_dynamic_schedule_with_reduce_lr_on_plateau(backend, mnist):
    (x_train, y_train), _, _ = mnist
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=1e-2),
        loss="sparse_categorical_crossentropy",
    )
    reduce = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=1, min_delta=10.0
    )
    # Only the first epoch improves (on an infinite best) by 10: the rate
    # halves after the second and the third.
    model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=3,
        validation_split=0.25,
        callbacks=[reduce],
        verbose=0,
    )
    assert float(np.asarray(model.optimizer.learning_rate)) == pytest.approx(2.5e-3)

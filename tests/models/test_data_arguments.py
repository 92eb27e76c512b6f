"""Data arguments Keras accepts: NumPy integer batch sizes and a column of
sample weights."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import errors

BACKENDS = ("numpy", "llvm")


@pytest.mark.parametrize("backend", BACKENDS)
def test_numpy_integer_batch_sizes_and_column_weights(backend):
    model = kg.Sequential([kg.Input((3,)), kg.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    x = np.arange(24, dtype="float32").reshape(8, 3) / 24
    y = np.ones((8, 2), "float32")
    model.fit(x, y, batch_size=np.int64(4), verbose=0)
    assert model.predict(x, batch_size=np.int32(4), verbose=0).shape == (8, 2)
    column = np.linspace(0.5, 1.5, 8).reshape(8, 1)
    flat = model.evaluate(x, y, sample_weight=column[:, 0], verbose=0)
    assert model.evaluate(x, y, sample_weight=column, verbose=0) == pytest.approx(flat)
    with pytest.raises(ValueError, match="must be a positive integer"):
        model.fit(x, y, batch_size=np.float64(4.0), verbose=0)


@pytest.mark.parametrize(
    "metric",
    ["sparse_categorical_accuracy", kg.metrics.SparseCategoricalCrossentropy()],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_sparse_labels_of_metrics_are_range_checked(backend, metric):
    model = kg.Sequential([kg.Input((3,)), kg.layers.Dense(4, activation="softmax")])
    model.compile(loss="categorical_crossentropy", metrics=[metric], backend=backend)
    x = np.ones((4, 3), "float32")
    with pytest.raises(ValueError, match="label value of 7 which is outside"):
        model.evaluate(x, np.array([[0], [1], [7], [2]]), verbose=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_embedding_index_computed_in_the_model_is_checked(backend):
    """Indices that are not a model input cannot be checked before the run:
    the native gather clamps and raises a flag, so both backends raise."""
    inputs = kg.Input((4,), dtype="int32")
    shifted = kg.layers.Lambda(lambda t: t + 3)(inputs)
    model = kg.Model(inputs, kg.layers.Embedding(10, 2)(shifted))
    model.compile(loss="mse", backend=backend)
    good = np.array([[0, 1, 2, 3]], "int32")
    expected = model.predict(good, verbose=0)
    with pytest.raises(errors.ShapeError, match="out"):
        model.predict(np.array([[0, 1, 2, 9]], "int32"), verbose=0)
    np.testing.assert_array_equal(model.predict(good, verbose=0), expected)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_batch_with_a_computed_index_out_of_range_updates_nothing(backend):
    """``fit`` raises at the batch holding the bad index, the state as the
    good batches before it left it (the native step skips its updates)."""

    def fitted(x):
        kg.utils.set_random_seed(0)
        inputs = kg.Input((4,), dtype="int32")
        shifted = kg.layers.Lambda(lambda t: t + 3)(inputs)
        model = kg.Model(inputs, kg.layers.Embedding(10, 2)(shifted))
        model.compile(optimizer="sgd", loss="mse", backend=backend)
        y = np.ones((len(x), 4, 2), "float32")
        raised = False
        try:
            model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
        except errors.ShapeError as error:
            raised = "out" in str(error)
        steps = int(model.optimizer.iterations.numpy())
        return model.get_weights()[0], steps, raised

    good = np.array([[0, 1, 2, 3]] * 8, "int32")
    bad = np.array([[0, 1, 2, 9]] * 8, "int32")
    table, steps, raised = fitted(np.concatenate([good, bad, good]))
    expected, expected_steps, _ = fitted(good)
    assert raised
    np.testing.assert_array_equal(table, expected)
    assert steps == expected_steps == 1

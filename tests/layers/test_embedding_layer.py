"""``Embedding``: lookups against NumPy, gradients only on the rows used,
float indices cast like Keras, and the errors (masking, indices out of
range before native code runs)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")


def test_embedding_standard_checks():
    run_layer_test(
        layers.Embedding,
        {"input_dim": 5, "output_dim": 3},
        input_shape=(2, 4),
        expected_output_shape=(2, 4, 3),
        expected_num_trainable_weights=1,
        input_dtype="int32",
        backends=BACKENDS,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_embedding_lookup_matches_numpy(backend):
    layer = layers.Embedding(7, 4, embeddings_initializer="random_normal")
    x = kg.Input(shape=(3,), dtype="int32")
    model = kg.Model(x, layer(x))
    model.compile(loss="mse", backend=backend)
    indices = np.array([[0, 6, 2], [3, 3, 1]], "int32")
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(model.predict(indices, verbose=0), table[indices])
    np.testing.assert_array_equal(layer(indices).numpy(), table[indices])


def test_embedding_casts_float_indices_to_int():
    layer = layers.Embedding(4, 2, embeddings_initializer="random_normal")
    out = layer(np.array([[1.0, 3.0]], "float32")).numpy()
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(out, table[[[1, 3]]])
    x = kg.Input(shape=(2,))
    assert layer(x).shape == (None, 2, 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_embedding_sgd_changes_only_used_rows(backend):
    layer = layers.Embedding(6, 3, embeddings_initializer="random_normal")
    x = kg.Input(shape=(2,), dtype="int32")
    y = kg.layers.Lambda(lambda t: kg.ops.sum(t, axis=(1, 2)))(layer(x))
    model = kg.Model(x, y)
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.1), loss="mse", backend=backend
    )
    indices = np.array([[0, 2], [2, 4]], "int32")
    targets = np.zeros((2,), "float32")
    table = layer.embeddings.numpy().astype(np.float64)
    model.fit(indices, targets, batch_size=2, epochs=3, verbose=0)
    # NumPy transcription: loss = mean((sum of looked-up rows)^2) over the batch.
    for _ in range(3):
        prediction = table[indices].sum(axis=(1, 2))
        grad_prediction = 2.0 * prediction / len(indices)
        grad = np.zeros_like(table)
        for sample, row in enumerate(indices):
            for index in row:
                grad[index] += grad_prediction[sample]
        table = table - 0.1 * grad
    after = layer.embeddings.numpy()
    np.testing.assert_allclose(after, table, rtol=1e-4, atol=1e-5)
    unused = [1, 3, 5]
    np.testing.assert_array_equal(after[unused], table[unused].astype("float32"))


def test_embedding_unused_rows_stay_bitwise():
    layer = layers.Embedding(6, 3, embeddings_initializer="random_normal")
    x = kg.Input(shape=(2,), dtype="int32")
    model = kg.Model(x, layers.Dense(1)(layers.Flatten()(layer(x))))
    model.compile(optimizer="sgd", loss="mse", backend="llvm")
    before = layer.embeddings.numpy().copy()
    model.fit(np.array([[0, 2], [2, 4]], "int32"), np.ones((2, 1)), verbose=0)
    changed = np.flatnonzero(np.any(layer.embeddings.numpy() != before, axis=1))
    assert changed.tolist() == [0, 2, 4]


def test_embedding_mask_zero_masks_index_zero():
    layer = layers.Embedding(5, 2, mask_zero=True)
    out = layer(np.array([[0, 3, 0, 1]]))
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[False, True, False, True]])
    assert layers.Embedding(5, 2).compute_mask(np.array([[0, 1]])) is None


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"input_dim": 0, "output_dim": 2}, r"Received: input_dim=0"),
        ({"input_dim": 3, "output_dim": 1.5}, r"Received: output_dim=1\.5"),
    ],
)
def test_embedding_rejects_bad_sizes(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        layers.Embedding(**kwargs)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bad", [5, -1])
def test_embedding_out_of_range_indices_raise_before_running(backend, bad):
    x = kg.Input(shape=(2,), dtype="int32")
    model = kg.Model(x, layers.Embedding(5, 2, name="words")(x))
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    data = np.array([[0, 1], [2, bad]], "int32")
    pattern = rf'Embedding layer "words".*\[0, 5\).*Received: an index of {bad}'
    with pytest.raises(ValueError, match=pattern):
        model.predict(data, verbose=0)
    with pytest.raises(ValueError, match=pattern):
        model.fit(data, np.zeros((2, 2, 2)), verbose=0)
    with pytest.raises(ValueError, match=pattern):
        model.evaluate(data, np.zeros((2, 2, 2)), verbose=0)


def test_embedding_config_round_trip():
    config = layers.Embedding(9, 4, input_length=3).get_config()
    assert config["input_dim"] == 9
    assert config["output_dim"] == 4
    assert config["mask_zero"] is False
    assert layers.Embedding.from_config(config).get_config() == config

"""The cosine similarity and the Circle loss against NumPy transcriptions
of Keras 3's formulas: functions, the Circle loss's mask of positive
values in every reduction, configs, names, training."""

from __future__ import annotations

import numpy as np
import pytest
from loss_oracle import assert_class_matches
from loss_oracle import assert_config_round_trip
from loss_oracle import assert_function_matches
from loss_oracle import assert_trains_alike
from loss_oracle import circle
from loss_oracle import cosine_similarity

import kgraph
from kgraph import losses

RNG = np.random.default_rng(7)
TARGETS = RNG.normal(size=(6, 4)).astype("float32")
PREDS = RNG.normal(size=(6, 4)).astype("float32")
EMBEDDINGS = RNG.normal(size=(8, 5)).astype("float32")
EMBEDDINGS /= np.linalg.norm(EMBEDDINGS, axis=1, keepdims=True)
LABELS = np.array([0, 1, 0, 2, 1, 0, 3, 2], dtype="float32")


@pytest.mark.parametrize("axis", [-1, 0])
def test_cosine_similarity_matches_keras(axis):
    expected = cosine_similarity(TARGETS, PREDS, axis=axis)
    np.testing.assert_allclose(
        np.asarray(losses.cosine_similarity(TARGETS, PREDS, axis=axis)),
        expected,
        rtol=1e-5,
        atol=1e-6,
    )


def test_cosine_similarity_in_a_graph_and_for_zero_vectors():
    targets = TARGETS.copy()
    targets[0] = 0.0
    expected = cosine_similarity(targets, PREDS)
    assert expected[0] == 0.0
    assert_function_matches(losses.cosine_similarity, expected, targets, PREDS)


def test_cosine_similarity_class_reduces_like_keras():
    values = cosine_similarity(TARGETS, PREDS)
    assert_class_matches(losses.CosineSimilarity, {}, TARGETS, PREDS, values)


def test_cosine_similarity_keras_documentation_values():
    y_true = [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    y_pred = [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]
    np.testing.assert_allclose(
        np.asarray(losses.cosine_similarity(y_true, y_pred)),
        [0.0, -0.99999994, 0.99999994],
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"gamma": 2.0, "margin": 0.25}, {"gamma": 4.0, "remove_diagonal": False}],
)
def test_circle_matches_keras(kwargs):
    values, _ = circle(LABELS, EMBEDDINGS, **kwargs)
    assert_function_matches(losses.circle, values, LABELS, EMBEDDINGS, **kwargs)


def test_circle_a_label_without_positives_gives_0_and_is_masked():
    values, mask = circle(LABELS, EMBEDDINGS, gamma=2.0)
    assert values[6] == 0.0 and not mask[6]  # the only sample of class 3
    got = losses.circle(LABELS, EMBEDDINGS, gamma=2.0)
    np.testing.assert_array_equal(np.asarray(kgraph.ops.builder.mask_of(got)), mask)


@pytest.mark.parametrize("kwargs", [{"gamma": 2.0}, {"gamma": 4.0, "margin": 0.1}])
def test_circle_class_averages_over_positive_values_like_keras(kwargs):
    values, mask = circle(LABELS, EMBEDDINGS, **kwargs)
    assert_class_matches(losses.Circle, kwargs, LABELS, EMBEDDINGS, values, mask=mask)


def test_circle_with_reference_embeddings():
    ref = RNG.normal(size=(3, 5)).astype("float32")
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    ref_labels = np.array([0, 1, 2])
    got = losses.circle(
        LABELS,
        EMBEDDINGS,
        ref_labels=ref_labels,
        ref_embeddings=ref,
        gamma=2.0,
        remove_diagonal=False,
    )
    # The oracle with queries against references written out.
    labels = LABELS.astype(int)
    d = np.maximum(1 - EMBEDDINGS.astype("float64") @ ref.T, 0)
    pos = labels[:, None] == ref_labels[None, :]
    w_p = np.maximum((0.4 + d) * pos, 0)
    w_n = np.maximum((1.4 - d) * ~pos, 0)
    p = np.where(pos, -2.0 * w_p * (0.4 - d), -np.inf)
    n = np.where(~pos, 2.0 * w_n * (0.6 - d), -np.inf)
    with np.errstate(divide="ignore"):
        total = np.logaddexp.reduce(p, axis=1) + np.logaddexp.reduce(n, axis=1)
    np.testing.assert_allclose(np.asarray(got), np.logaddexp(0, total), rtol=1e-5)


def test_names_defaults_and_configs():
    assert losses.get("cosine_similarity").fn is losses.cosine_similarity
    assert losses.get("circle").fn is losses.circle
    assert losses.Circle().get_config() == {
        "name": "circle",
        "reduction": "sum_over_batch_size",
        "gamma": 80.0,
        "margin": 0.4,
        "remove_diagonal": True,
    }
    assert losses.CosineSimilarity().get_config()["axis"] == -1
    assert_config_round_trip(losses.Circle(gamma=10.0, remove_diagonal=False))
    assert_config_round_trip(losses.CosineSimilarity(axis=0))


X = RNG.normal(size=(32, 5)).astype("float32")


def test_cosine_similarity_trains_on_both_backends():
    y = RNG.normal(size=(32, 3)).astype("float32")
    assert_trains_alike("cosine_similarity", X, y)


def test_circle_trains_on_both_backends():
    """The batch is unknown while the loss is traced: the diagonal of the
    label pairs comes from a loop over the batch."""
    labels = RNG.integers(0, 3, 32).astype("float32")
    results = {}
    for backend in ("numpy", "llvm"):
        kgraph.utils.set_random_seed(0)
        inputs = kgraph.Input((5,))
        hidden = kgraph.layers.Dense(4)(inputs)
        norm = kgraph.ops.sqrt(kgraph.ops.sum(kgraph.ops.square(hidden), axis=-1))
        outputs = kgraph.ops.divide(hidden, kgraph.ops.expand_dims(norm, -1))
        model = kgraph.Model(inputs, outputs)
        model.compile(optimizer="sgd", loss=losses.Circle(gamma=4.0), backend=backend)
        history = model.fit(X, labels, batch_size=8, epochs=2, verbose=0)
        results[backend] = [
            *history.history["loss"],
            model.evaluate(X, labels, verbose=0),
        ]
    assert np.all(np.isfinite(results["numpy"]))
    np.testing.assert_allclose(results["llvm"], results["numpy"], rtol=1e-4)

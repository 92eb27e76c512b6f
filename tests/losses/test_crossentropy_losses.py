"""The crossentropy losses: Keras 3's formulas pinned with NumPy, clipping,
stability of logits, label smoothing and sparse labels."""

from __future__ import annotations

import numpy as np
import pytest
from loss_common import EPS
from loss_common import L3
from loss_common import LABELS
from loss_common import LOGITS
from loss_common import ONE_MINUS_EPS
from loss_common import P3
from loss_common import P_BIN
from loss_common import P_CAT
from loss_common import Y_BIN
from loss_common import Y_ONEHOT
from loss_common import eager
from loss_common import f32
from loss_common import np_bce
from loss_common import np_cce
from loss_common import run_graph

import kgraph
from kgraph import losses
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_binary_crossentropy_matches_the_keras_formula(label_smoothing):
    values = eager(
        lambda y, p: losses.binary_crossentropy(y, p, label_smoothing=label_smoothing),
        Y_BIN,
        P_BIN,
    )
    expected = np_bce(Y_BIN, P_BIN, label_smoothing=label_smoothing)
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_binary_crossentropy_keras_documentation_values():
    values = losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    np.testing.assert_allclose(np.asarray(values), [0.916291, 0.713558], rtol=1e-5)


def test_binary_crossentropy_clips_probabilities_0_and_1():
    y_true = f32([[1.0, 0.0, 1.0, 0.0]])
    y_pred = f32([[0.0, 1.0, 1.0, 0.0]])
    values = losses.binary_crossentropy(y_true, y_pred).numpy()
    # -log(1e-7) and -log(1 - float32(1 - 1e-7)); exact hits cost ~1e-7.
    by_hand = [-np.log(EPS), -np.log(1 - ONE_MINUS_EPS), -np.log(ONE_MINUS_EPS), 0.0]
    by_hand[3] = by_hand[2]
    np.testing.assert_allclose(values, [np.mean(by_hand)], rtol=1e-6)
    np.testing.assert_allclose(values, np_bce(y_true, y_pred), rtol=1e-6)
    assert np.isfinite(values).all()


def test_binary_crossentropy_from_logits_is_stable_at_plus_minus_100():
    y_true = f32([[1.0], [0.0], [1.0], [0.0], [0.5]])
    logits = f32([[-100.0], [100.0], [100.0], [-100.0], [0.0]])
    values = losses.binary_crossentropy(y_true, logits, from_logits=True).numpy()
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values, [100.0, 100.0, 0.0, 0.0, np.log(2.0)], atol=1e-6)
    np.testing.assert_allclose(
        values, np_bce(y_true, logits, from_logits=True), rtol=1e-6, atol=1e-7
    )


def test_binary_crossentropy_from_logits_label_smoothing():
    values = losses.binary_crossentropy(
        Y_BIN, LOGITS[:, :3], from_logits=True, label_smoothing=0.1
    ).numpy()
    expected = np_bce(Y_BIN, LOGITS[:, :3], from_logits=True, label_smoothing=0.1)
    np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_binary_crossentropy_from_logits_gradient_at_zero_is_sigmoid_minus_label():
    graph = kgraph.Graph()
    y = ops.placeholder(graph, "y", (3, 1))
    x = ops.placeholder(graph, "x", (3, 1))
    loss = losses.BinaryCrossentropy(from_logits=True)(y, x)
    (grad,) = gradients(graph, loss.node_id, [x.node_id])
    graph.set_output("g", grad)
    labels = f32([[1.0], [0.0], [0.3]])
    out = interpreter.run(graph, {"y": labels, "x": np.zeros((3, 1), "float32")})
    np.testing.assert_allclose(out["g"], (0.5 - labels) / 3, rtol=1e-6)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_crossentropy_matches_the_keras_formula(
    from_logits, label_smoothing
):
    y_pred = LOGITS if from_logits else P_CAT
    values = losses.categorical_crossentropy(
        Y_ONEHOT, y_pred, from_logits=from_logits, label_smoothing=label_smoothing
    ).numpy()
    expected = np_cce(Y_ONEHOT, y_pred, from_logits, label_smoothing)
    np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_categorical_crossentropy_normalizes_then_clips_probabilities():
    y_true = f32([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    y_pred = f32([[1.0, 1.0, 2.0], [0.0, 1.0, 0.0]])
    values = losses.categorical_crossentropy(y_true, y_pred).numpy()
    np.testing.assert_allclose(values, [-np.log(0.5), -np.log(EPS)], rtol=1e-6)


def test_categorical_crossentropy_from_logits_is_stable_at_plus_minus_100():
    y_true = f32([[1.0, 0.0], [0.0, 1.0]])
    logits = f32([[-100.0, 100.0], [-100.0, 100.0]])
    values = losses.categorical_crossentropy(y_true, logits, from_logits=True).numpy()
    np.testing.assert_allclose(values, [200.0, 0.0], atol=1e-5)


def test_categorical_crossentropy_keras_documentation_values():
    values = losses.categorical_crossentropy(
        [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    ).numpy()
    np.testing.assert_allclose(values, [0.0513, 2.3026], atol=1e-4)


def test_categorical_crossentropy_warns_for_a_single_class():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(f32([[1.0]]), f32([[1.0]]))


@pytest.mark.parametrize(
    "labels",
    [
        LABELS.astype("int32"),
        LABELS.astype("float32"),
        LABELS.astype("int32")[:, None],
        LABELS.astype("float32")[:, None],
        LABELS.tolist(),
    ],
    ids=["int", "float", "int_column", "float_column", "list"],
)
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy_equals_categorical_on_one_hot(
    labels, from_logits
):
    y_pred = L3 if from_logits else P3
    values = losses.sparse_categorical_crossentropy(
        labels, y_pred, from_logits=from_logits
    ).numpy()
    expected = np_cce(np.eye(3)[LABELS], y_pred, from_logits)
    assert values.shape == (6,)
    # float32 log-softmax: about 1e-7 absolute error near a probability of 1.
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-6)


def test_sparse_categorical_crossentropy_clips_a_zero_probability():
    values = losses.sparse_categorical_crossentropy(
        [1, 2], [[0.05, 0.95, 0], [1, 0, 0]]
    )
    np.testing.assert_allclose(values.numpy(), [-np.log(0.95), -np.log(EPS)], rtol=1e-6)


def test_sparse_categorical_crossentropy_ignore_class():
    y_pred = f32([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    values = losses.sparse_categorical_crossentropy(
        [1, 2, 0], y_pred, ignore_class=0
    ).numpy()
    np.testing.assert_allclose(values, [-np.log(0.95), -np.log(0.1), 0.0], rtol=1e-6)
    loss = losses.SparseCategoricalCrossentropy(ignore_class=0)
    # The mean runs over the two valid samples only.
    expected = (-np.log(0.95) - np.log(0.1)) / 2
    np.testing.assert_allclose(float(loss([1, 2, 0], y_pred)), expected, rtol=1e-6)
    graph_value = run_graph(loss, f32([1, 2, 0]), y_pred)
    np.testing.assert_allclose(graph_value, expected, rtol=1e-6)

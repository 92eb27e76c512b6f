"""Regularizers: Keras's penalties by hand, eager against graph, lookup."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops
from kgraph import regularizers
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients

W = np.array([[1.0, -2.0], [0.5, 0.0]], dtype="float32")


def in_graph(regularizer, x):
    graph = kgraph.Graph()
    weight = ops.placeholder(graph, "w", x.shape, role="parameter")
    penalty = regularizer(weight)
    graph.set_output("penalty", penalty.node_id)
    return interpreter.run(graph, {"w": x})["penalty"]


@pytest.mark.parametrize(
    ("regularizer", "expected"),
    [
        (regularizers.L1(), 0.01 * 3.5),
        (regularizers.L1(0.3), 0.3 * 3.5),
        (regularizers.L2(), 0.01 * 5.25),
        (regularizers.L2(0.1), 0.1 * 5.25),  # no factor 1/2
        (regularizers.L1L2(l1=0.2, l2=0.1), 0.2 * 3.5 + 0.1 * 5.25),
        (regularizers.L1L2(l2=0.1), 0.1 * 5.25),
        (regularizers.L1L2(), 0.0),
        (regularizers.Regularizer(), 0.0),
    ],
    ids=repr,
)
def test_penalties_by_hand_eager_and_in_a_graph(regularizer, expected):
    value = regularizer(W)
    assert value.shape == ()
    assert value.dtype == "float32"
    np.testing.assert_allclose(float(value), expected, rtol=1e-6)
    graph_value = in_graph(regularizer, W)
    assert graph_value.shape == ()
    np.testing.assert_allclose(graph_value, expected, rtol=1e-6)


def test_l2_gradient_is_2_l2_w():
    graph = kgraph.Graph()
    weight = ops.placeholder(graph, "w", W.shape, role="parameter")
    (grad,) = gradients(graph, regularizers.L2(0.1)(weight).node_id, [weight.node_id])
    graph.set_output("g", grad)
    np.testing.assert_allclose(
        interpreter.run(graph, {"w": W})["g"], 0.2 * W, rtol=1e-6
    )


def test_orthogonal_regularizer():
    x = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]], dtype="float32")
    rows = x / np.linalg.norm(x, axis=1, keepdims=True)
    product = np.abs(rows @ rows.T)
    expected = 0.1 * 0.5 * (product.sum() - np.trace(product)) / 3.0
    value = regularizers.OrthogonalRegularizer(0.1)(x)
    np.testing.assert_allclose(float(value), expected, rtol=1e-6)
    columns = x / np.linalg.norm(x, axis=0, keepdims=True)
    product = np.abs(columns.T @ columns)
    expected = 0.01 * 0.5 * (product.sum() - np.trace(product)) / 1.0
    value = regularizers.OrthogonalRegularizer(mode="columns")(x)
    np.testing.assert_allclose(float(value), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(np.ones(3, dtype="float32"))
    with pytest.raises(ValueError, match="Received: mode='diagonal'"):
        regularizers.OrthogonalRegularizer(mode="diagonal")


def test_get_strings_use_the_class_defaults():
    assert isinstance(regularizers.get("l1"), regularizers.L1)
    assert regularizers.get("l1").l1 == 0.01
    assert regularizers.get("l2").l2 == 0.01
    assert regularizers.get("L2").l2 == 0.01
    both = regularizers.get("l1_l2")
    assert isinstance(both, regularizers.L1L2)
    assert (both.l1, both.l2) == (0.0, 0.0)  # Keras 3's L1L2 defaults
    assert regularizers.l1 is regularizers.L1
    assert regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2


def test_get_instances_classes_callables_and_none():
    instance = regularizers.L2(0.5)
    assert regularizers.get(instance) is instance
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)
    assert regularizers.get(None) is None

    def custom(x):
        return ops.sum(x)

    assert regularizers.get(custom) is custom


def test_get_unknown_lists_valid_names():
    with pytest.raises(ValueError, match=r"l1, l1_l2, l2.*Received: regularizer='l3'$"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match=r"Received: regularizer=0.1$"):
        regularizers.get(0.1)


@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_invalid_factors(value):
    with pytest.raises(ValueError, match="expected a non-negative float"):
        regularizers.L2(value)


@pytest.mark.parametrize(
    "regularizer",
    [
        regularizers.L1(0.2),
        regularizers.L2(0.3),
        regularizers.L1L2(0.1, 0.2),
        regularizers.OrthogonalRegularizer(0.5, "columns"),
    ],
    ids=repr,
)
def test_config_and_serialize_round_trip(regularizer):
    clone = type(regularizer).from_config(regularizer.get_config())
    assert clone.get_config() == regularizer.get_config()
    restored = regularizers.get(regularizers.serialize(regularizer))
    assert type(restored) is type(regularizer)
    assert restored.get_config() == regularizer.get_config()
    assert regularizers.L2(0.3).get_config() == {"l2": 0.3}
    assert regularizers.L1L2(0.1, 0.2).get_config() == {"l1": 0.1, "l2": 0.2}

"""The regression losses: Keras 3's formulas pinned with NumPy (mean
squared, absolute, percentage and logarithmic errors, Huber, log-cosh)."""

from __future__ import annotations

import loss_oracle as oracle
import numpy as np
import pytest
from loss_common import eager
from loss_common import f32
from loss_common import np_huber

import kgraph
from kgraph import losses
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients

# -- the functions --


def test_mean_squared_and_absolute_error_by_hand():
    y_true = f32([[0.0, 1.0], [0.0, 0.0]])
    y_pred = f32([[1.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(
        eager(losses.mean_squared_error, y_true, y_pred), [0.5, 0.5]
    )
    np.testing.assert_array_equal(
        eager(losses.mean_absolute_error, y_true, 2 * y_pred), [1.5, 1.0]
    )
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.mae is losses.MAE is losses.mean_absolute_error


def test_mean_absolute_percentage_error_by_hand():
    # Keras: 100 * mean(|y - p| / max(|y|, epsilon)), epsilon for y = 0.
    y_true = f32([[2.0, -4.0], [0.0, 1.0]])
    y_pred = f32([[1.0, -5.0], [1e-8, 1.0]])
    np.testing.assert_allclose(
        eager(losses.mean_absolute_percentage_error, y_true, y_pred),
        [37.5, 100 * (1e-8 / 1e-7) / 2],
        rtol=1e-5,
    )
    assert losses.mape is losses.MAPE is losses.mean_absolute_percentage_error
    loss = losses.MeanAbsolutePercentageError()
    assert loss.name == "mean_absolute_percentage_error"
    np.testing.assert_allclose(float(loss(y_true[:1], y_pred[:1])), 37.5, rtol=1e-6)
    assert isinstance(losses.get("MeanAbsolutePercentageError"), type(loss))


def test_rank_1_targets_are_expanded_against_a_last_dimension_of_1():
    y_true = f32([1.0, 2.0, 3.0])
    y_pred = f32([[1.0], [2.5], [5.0]])
    values = eager(losses.mean_squared_error, y_true, y_pred)
    np.testing.assert_allclose(values, [0.0, 0.25, 4.0])
    assert values.shape == (3,)


@pytest.mark.parametrize("delta", [1.0, 2.0])
def test_huber_quadratic_inside_linear_outside(delta):
    y_true = f32([[0.0, 0.0, 0.0, 0.0]])
    y_pred = f32([[0.5 * delta, -delta, 2.0 * delta, -3.0 * delta]])
    by_hand = [
        0.5 * (0.5 * delta) ** 2,
        0.5 * delta**2,  # |error| == delta: both branches agree
        delta * 2.0 * delta - 0.5 * delta**2,
        delta * 3.0 * delta - 0.5 * delta**2,
    ]
    values = losses.huber(y_true, y_pred, delta=delta).numpy()
    np.testing.assert_allclose(values, [np.mean(by_hand)], rtol=1e-6)
    np.testing.assert_allclose(values, np_huber(y_true, y_pred, delta), rtol=1e-6)


def test_huber_gradient_at_delta_is_the_quadratic_one():
    graph = kgraph.Graph()
    y = ops.placeholder(graph, "y", (1, 1))
    x = ops.placeholder(graph, "x", (1, 1))
    loss = losses.Huber(delta=1.5)(y, x)
    (grad,) = gradients(graph, loss.node_id, [x.node_id])
    graph.set_output("g", grad)
    out = interpreter.run(graph, {"y": f32([[0.0]]), "x": f32([[1.5]])})
    np.testing.assert_allclose(out["g"], [[1.5]])


# -- mean squared logarithmic error and log-cosh --

MSLE_TRUE = np.random.default_rng(8).uniform(-0.5, 3.0, (6, 4)).astype("float32")
MSLE_PRED = np.random.default_rng(9).uniform(-0.5, 3.0, (6, 4)).astype("float32")


def test_mean_squared_logarithmic_error_matches_keras():
    """Values below epsilon (negatives included) are raised to it."""
    expected = oracle.msle(MSLE_TRUE, MSLE_PRED)
    oracle.assert_function_matches(
        losses.mean_squared_logarithmic_error, expected, MSLE_TRUE, MSLE_PRED
    )
    assert losses.msle is losses.MSLE is losses.mean_squared_logarithmic_error


def test_log_cosh_matches_keras_and_is_stable_for_large_errors():
    expected = oracle.log_cosh(MSLE_TRUE, MSLE_PRED)
    oracle.assert_function_matches(losses.log_cosh, expected, MSLE_TRUE, MSLE_PRED)
    large = losses.log_cosh(f32([[0.0, 0.0]]), f32([[100.0, -100.0]]))
    np.testing.assert_allclose(np.asarray(large), [100.0 - np.log(2.0)], rtol=1e-6)


@pytest.mark.parametrize(
    ("cls", "fn"),
    [
        (losses.MeanSquaredLogarithmicError, oracle.msle),
        (losses.LogCosh, oracle.log_cosh),
    ],
)
def test_msle_and_log_cosh_classes_reduce_like_keras(cls, fn):
    values = fn(MSLE_TRUE, MSLE_PRED)
    oracle.assert_class_matches(cls, {}, MSLE_TRUE, MSLE_PRED, values)


def test_msle_and_log_cosh_keras_documentation_values():
    y_true = [[0.0, 1.0], [0.0, 0.0]]
    y_pred = [[1.0, 1.0], [1.0, 0.0]]
    msle = float(losses.MeanSquaredLogarithmicError()(y_true, y_pred))
    assert msle == pytest.approx(0.240, abs=1e-3)
    log_cosh = float(losses.LogCosh()(y_true, [[1.0, 1.0], [0.0, 0.0]]))
    assert log_cosh == pytest.approx(0.108, abs=1e-3)


@pytest.mark.parametrize(
    ("name", "cls", "fn"),
    [
        ("msle", None, losses.mean_squared_logarithmic_error),
        ("MSLE", None, losses.mean_squared_logarithmic_error),
        (
            "mean_squared_logarithmic_error",
            losses.MeanSquaredLogarithmicError,
            losses.mean_squared_logarithmic_error,
        ),
        ("log_cosh", losses.LogCosh, losses.log_cosh),
    ],
)
def test_msle_and_log_cosh_names_and_configs(name, cls, fn):
    assert losses.get(name).fn is fn
    if cls is not None:
        assert cls().name == name
        assert type(losses.get(cls.__name__)) is cls
        oracle.assert_config_round_trip(cls(reduction="sum"))


@pytest.mark.parametrize(
    ("loss", "activation"),
    [("mean_squared_logarithmic_error", "relu"), (losses.LogCosh(), None)],
)
def test_msle_and_log_cosh_train_on_both_backends(loss, activation):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = rng.uniform(0.0, 2.0, (32, 3)).astype("float32")
    oracle.assert_trains_alike(loss, x, y, activation=activation)

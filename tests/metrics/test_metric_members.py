"""The Metric members Keras has: ``dtype`` and the functional versions
``stateless_reset_state``, ``stateless_update_state`` and
``stateless_result``, for kgraph's statistic metrics (the state is the
summed statistics) and Keras-style metrics (the state is the variables);
and the function forms ``kgraph.metrics`` shares with ``kgraph.losses``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import losses
from kgraph import metrics
from kgraph import ops
from kgraph.backends import interpreter

RNG = np.random.default_rng(17)
Y = np.eye(3, dtype="float32")[RNG.integers(0, 3, 10)]
P = RNG.dirichlet(np.ones(3), 10).astype("float32")


class CountAbove(metrics.Metric):
    """A Keras-style metric: variables and update_state."""

    def __init__(self, name="count_above", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.count = self.add_variable(name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        above = ops.cast(ops.greater(y_pred, 0.5), "float32")
        self.count.assign(ops.add(self.count, ops.sum(above)))

    def result(self):
        return float(np.asarray(self.count.numpy()))


def test_dtype_is_a_read_only_property():
    assert metrics.Metric.dtype.__doc__
    assert metrics.Mean().dtype == "float32"
    assert metrics.IoU(3, [0]).dtype == "int32"
    with pytest.raises(AttributeError):
        metrics.Mean().dtype = "float64"
    with pytest.raises(ValueError, match="float32"):
        metrics.Mean(dtype="float16")


@pytest.mark.parametrize(
    "metric",
    [
        metrics.Mean(),
        metrics.CategoricalAccuracy(),
        metrics.AUC(num_thresholds=11),
        metrics.F1Score(average="macro"),
        metrics.MeanIoU(3, sparse_y_true=False, sparse_y_pred=False),
        metrics.PrecisionAtRecall(0.5, num_thresholds=21),
    ],
    ids=lambda m: m.name,
)
def test_stateless_versions_of_statistic_metrics(metric):
    args = (Y[:, 0],) if type(metric) is metrics.Mean else (Y, P)
    if isinstance(metric, metrics.F1Score):
        metric.update_state(*args)  # learns the number of classes
        metric.reset_state()
    state = metric.stateless_reset_state()
    state = metric.stateless_update_state(state, *[a[:4] for a in args])
    state = metric.stateless_update_state(state, *[a[4:] for a in args])
    assert metric.result() == pytest.approx(
        metric.stateless_result(metric.stateless_reset_state())
    )
    metric.update_state(*[a[:4] for a in args])
    metric.update_state(*[a[4:] for a in args])
    np.testing.assert_allclose(
        np.asarray(metric.stateless_result(state)), np.asarray(metric.result())
    )


def test_stateless_versions_of_a_keras_style_metric():
    metric = CountAbove()
    state = metric.stateless_reset_state()
    assert [np.asarray(v) for v in state] == [0.0]
    state = metric.stateless_update_state(state, Y, P)
    state = metric.stateless_update_state(state, Y, P)
    assert metric.result() == 0.0  # the metric itself is untouched
    assert metric.stateless_result(state) == 2 * float((P > 0.5).sum())
    metric.update_state(Y, P)
    assert metric.stateless_reset_state()[0] == 0.0
    assert metric.result() == float((P > 0.5).sum())


def test_a_state_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="expects 2 metric variables"):
        metrics.Mean().stateless_result([np.float32(1.0)])


FUNCTIONS = [
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_forms_are_the_losses(name):
    assert getattr(metrics, name) is getattr(losses, name)
    assert name in metrics.__all__


@pytest.mark.parametrize(
    "name",
    [
        "pearson_correlation",
        "concordance_correlation",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
    ],
)
def test_metric_functions_are_public(name):
    assert callable(getattr(metrics, name))
    assert name in metrics.__all__


def test_a_metric_function_compiles_as_a_mean():
    metric = metrics.get(metrics.top_k_categorical_accuracy)
    assert isinstance(metric, metrics.MeanMetricWrapper)
    restored = metrics.deserialize(metrics.serialize(metric))
    assert restored.fn is metrics.top_k_categorical_accuracy


def test_stateless_update_state_in_a_graph():
    """With symbolic inputs the new state is graph nodes (a traced step)."""
    metric = metrics.Mean()
    graph = kgraph.Graph()
    values = ops.placeholder(graph, "values", (None,), "float32")
    state = metric.stateless_update_state(metric.stateless_reset_state(), values)
    for i, value in enumerate(state):
        graph.set_output(f"state{i}", value.node_id)
    out = interpreter.run(graph, {"values": np.array([1.0, 2.0, 6.0], "float32")})
    assert metric.stateless_result([out["state0"], out["state1"]]) == 3.0

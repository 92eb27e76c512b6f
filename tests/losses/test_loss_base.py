"""Losses in general: eager against graph, weighting and reductions, lookup
by name, configs, shape errors and sequence outputs."""

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
from loss_common import np_cce
from loss_common import run_graph

import kgraph
from kgraph import losses
from kgraph import ops

# -- eager and graph agree --

FUNCTIONS = [
    ("mse", losses.mean_squared_error, Y_BIN, P_BIN),
    ("mae", losses.mean_absolute_error, Y_BIN, P_BIN),
    ("mape", losses.mean_absolute_percentage_error, Y_BIN + 1.0, P_BIN),
    ("huber", losses.huber, Y_BIN, 3 * P_BIN),
    ("bce", losses.binary_crossentropy, Y_BIN, P_BIN),
    (
        "bce_logits",
        lambda y, p: losses.binary_crossentropy(y, p, from_logits=True),
        Y_BIN,
        LOGITS[:, :3],
    ),
    ("cce", losses.categorical_crossentropy, Y_ONEHOT, P_CAT),
    (
        "cce_smooth_logits",
        lambda y, p: losses.categorical_crossentropy(
            y, p, from_logits=True, label_smoothing=0.1
        ),
        Y_ONEHOT,
        LOGITS,
    ),
    ("scce", losses.sparse_categorical_crossentropy, f32(LABELS), P3),
]


@pytest.mark.parametrize(
    ("fn", "y_true", "y_pred"),
    [case[1:] for case in FUNCTIONS],
    ids=[case[0] for case in FUNCTIONS],
)
def test_functions_agree_eager_and_in_a_graph(fn, y_true, y_pred):
    expected = eager(fn, y_true, y_pred)
    np.testing.assert_allclose(run_graph(fn, y_true, y_pred), expected, rtol=1e-6)
    static = run_graph(fn, y_true, y_pred, batch_none=False)
    np.testing.assert_allclose(static, expected, rtol=1e-6)


def test_sparse_integer_labels_in_a_graph():
    labels = LABELS.astype("int32")
    value = run_graph(
        losses.sparse_categorical_crossentropy, labels, P3, dtypes=["int32", "float32"]
    )
    np.testing.assert_allclose(value, np_cce(np.eye(3)[LABELS], P3), rtol=1e-5)


CLASSES = [
    losses.MeanSquaredError(),
    losses.MeanAbsoluteError(),
    losses.Huber(delta=0.5),
    losses.BinaryCrossentropy(label_smoothing=0.1),
    losses.CategoricalCrossentropy(),
    losses.SparseCategoricalCrossentropy(from_logits=True),
]
CLASS_DATA = [
    (Y_BIN, P_BIN),
    (Y_BIN, P_BIN),
    (Y_BIN, P_BIN),
    (Y_BIN, P_BIN),
    (Y_ONEHOT, P_CAT),
    (f32(LABELS), L3),
]
WEIGHTS = f32([0.5, 1.0, 0.0, 2.0, 1.0, 3.0])


@pytest.mark.parametrize(
    ("loss", "data"),
    list(zip(CLASSES, CLASS_DATA, strict=True)),
    ids=[loss.name for loss in CLASSES],
)
def test_classes_weight_and_reduce_like_keras(loss, data):
    y_true, y_pred = data
    per_sample = eager(loss.call, y_true, y_pred)
    expected = np.sum(per_sample * WEIGHTS) / per_sample.size
    value = float(loss(y_true, y_pred, sample_weight=WEIGHTS))
    np.testing.assert_allclose(value, expected, rtol=1e-6)
    np.testing.assert_allclose(
        float(loss(y_true, y_pred)), per_sample.mean(), rtol=1e-6
    )
    graph_value = run_graph(
        lambda y, p, w: loss(y, p, sample_weight=w), y_true, y_pred, WEIGHTS
    )
    np.testing.assert_allclose(graph_value, expected, rtol=1e-6)


def test_reductions():
    y_true = f32([[0.0], [0.0], [0.0], [0.0]])
    y_pred = f32([[1.0], [2.0], [3.0], [4.0]])
    weights = f32([1.0, 0.0, 1.0, 2.0])
    per_sample = np.array([1.0, 4.0, 9.0, 16.0])
    weighted = per_sample * weights

    def value(reduction, sample_weight=weights):
        loss = losses.MeanSquaredError(reduction=reduction)
        return np.asarray(loss(y_true, y_pred, sample_weight=sample_weight))

    np.testing.assert_allclose(value("sum_over_batch_size"), weighted.sum() / 4)
    np.testing.assert_allclose(value("mean"), weighted.sum() / 4)
    np.testing.assert_allclose(value("sum"), weighted.sum())
    np.testing.assert_allclose(value("mean_with_sample_weight"), weighted.sum() / 4)
    np.testing.assert_allclose(value(None), weighted)
    np.testing.assert_allclose(value("none"), weighted)
    np.testing.assert_allclose(value("mean_with_sample_weight", None), 7.5)
    zero = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert float(zero(y_true, y_pred, sample_weight=np.zeros(4, "float32"))) == 0.0


def test_sample_weight_of_shape_batch_by_1():
    loss = losses.MeanSquaredError()
    weights = f32([[1.0], [3.0]])
    value = float(loss(f32([[0.0], [0.0]]), f32([[1.0], [2.0]]), sample_weight=weights))
    np.testing.assert_allclose(value, (1.0 + 12.0) / 2)


def test_keras_documentation_values_for_the_classes():
    y_true = np.array([1, 2])
    y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    scce = losses.SparseCategoricalCrossentropy()
    np.testing.assert_allclose(float(scce(y_true, y_pred)), 1.177, atol=1e-3)
    np.testing.assert_allclose(
        float(scce(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))),
        0.814,
        atol=1e-3,
    )
    scce_sum = losses.SparseCategoricalCrossentropy(reduction="sum")
    np.testing.assert_allclose(float(scce_sum(y_true, y_pred)), 2.354, atol=1e-3)
    bce = losses.BinaryCrossentropy(from_logits=True)
    y_true = np.array([[0, 1], [0, 0]])
    logits = np.array([[-18.6, 0.51], [2.94, -12.8]])
    np.testing.assert_allclose(float(bce(y_true, logits)), 0.8654, atol=2e-4)
    np.testing.assert_allclose(
        float(bce(y_true, logits, sample_weight=[0.8, 0.2])), 0.243, atol=1e-3
    )
    huber = losses.Huber()
    value = float(huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]))
    np.testing.assert_allclose(value, 0.155, atol=1e-6)


# -- lookup, config and errors --


@pytest.mark.parametrize(
    ("identifier", "fn"),
    [
        ("mse", losses.mean_squared_error),
        ("MSE", losses.mean_squared_error),
        ("mean_squared_error", losses.mean_squared_error),
        ("mae", losses.mean_absolute_error),
        ("MAE", losses.mean_absolute_error),
        ("mape", losses.mean_absolute_percentage_error),
        ("binary_crossentropy", losses.binary_crossentropy),
        ("categorical_crossentropy", losses.categorical_crossentropy),
        ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
        ("huber", losses.huber),
    ],
)
def test_get_function_names(identifier, fn):
    loss = losses.get(identifier)
    assert isinstance(loss, losses.LossFunctionWrapper)
    assert loss.fn is fn
    assert loss.name == identifier


def test_get_classes_instances_and_callables():
    assert isinstance(losses.get("BinaryCrossentropy"), losses.BinaryCrossentropy)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.CategoricalCrossentropy(from_logits=True)
    assert losses.get(instance) is instance
    assert losses.get(None) is None

    def my_loss(y_true, y_pred):
        return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)

    wrapped = losses.get(my_loss)
    assert wrapped.name == "my_loss"
    assert float(wrapped(f32([[0.0], [1.0]]), f32([[1.0], [1.0]]))) == 0.5


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(
        ValueError, match=r"binary_crossentropy.*Received: loss='nope'$"
    ):
        losses.get("nope")
    with pytest.raises(ValueError, match=r"Received: loss=3$"):
        losses.get(3)


def test_invalid_reduction():
    with pytest.raises(ValueError, match="Received: reduction='average'"):
        losses.MeanSquaredError(reduction="average")


@pytest.mark.parametrize(
    "loss",
    [
        losses.MeanSquaredError(reduction="sum", name="m"),
        losses.MeanAbsoluteError(),
        losses.Huber(delta=2.0),
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=-1),
        losses.CategoricalCrossentropy(label_smoothing=0.2),
        losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3),
        losses.LossFunctionWrapper(losses.huber, name="h", delta=3.0),
    ],
    ids=lambda loss: type(loss).__name__,
)
def test_config_round_trip(loss):
    clone = type(loss).from_config(loss.get_config())
    assert clone.get_config() == loss.get_config()
    restored = losses.deserialize(losses.serialize(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()


def test_class_defaults_match_keras():
    assert losses.Huber().name == "huber_loss"
    assert losses.MeanSquaredError().name == "mean_squared_error"
    bce = losses.BinaryCrossentropy()
    assert bce.get_config() == {
        "name": "binary_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": False,
        "label_smoothing": 0.0,
        "axis": -1,
    }
    assert losses.Loss().name == "loss"


def test_categorical_shape_mismatch_names_the_loss_and_shapes():
    message = (
        r"Loss 'categorical_crossentropy'.*same shape.*"
        r"y_true.shape=\(32, 10\), y_pred.shape=\(32, 5\)"
    )
    with pytest.raises(ValueError, match=message):
        losses.categorical_crossentropy(np.zeros((32, 10)), np.zeros((32, 5)))
    graph = kgraph.Graph()
    y_true = ops.placeholder(graph, "y", (None, 10))
    y_pred = ops.placeholder(graph, "p", (None, 5))
    graph_message = r"categorical_crossentropy.*y_true.shape=\(None, 10\), y_pred.shape"
    with pytest.raises(kgraph.errors.ShapeError, match=graph_message):
        losses.CategoricalCrossentropy()(y_true, y_pred)


def test_broadcast_failure_names_the_loss():
    message = (
        r"Loss 'mean_squared_error'.*y_true.shape=\(32, 10\), y_pred.shape=\(32, 5\)"
    )
    with pytest.raises(ValueError, match=message):
        losses.MeanSquaredError()(np.zeros((32, 10)), np.zeros((32, 5)))


def test_sparse_shape_mismatch_names_the_loss():
    with pytest.raises(ValueError, match=r"Loss 'sparse_categorical_crossentropy'"):
        losses.sparse_categorical_crossentropy(np.zeros((4, 2)), np.zeros((4, 3)))


def test_binary_shape_mismatch_names_the_loss():
    with pytest.raises(ValueError, match=r"Loss 'binary_crossentropy'.*\(4, 2\)"):
        losses.binary_crossentropy(np.zeros((4, 2)), np.full((4, 3), 0.5))


def test_sample_weight_shape_mismatch_names_the_loss():
    with pytest.raises(ValueError, match=r"Loss 'mean_squared_error'.*sample_weight"):
        losses.MeanSquaredError()(
            np.zeros((4, 1)), np.zeros((4, 1)), sample_weight=np.ones(3)
        )


def test_crossentropy_kind():
    assert losses.crossentropy_kind("binary_crossentropy") == "binary"
    assert losses.crossentropy_kind("bce") == "binary"
    assert losses.crossentropy_kind(losses.BinaryCrossentropy) == "binary"
    assert losses.crossentropy_kind(losses.CategoricalCrossentropy()) == "categorical"
    assert losses.crossentropy_kind(losses.sparse_categorical_crossentropy) == "sparse"
    assert losses.crossentropy_kind(losses.get("SparseCategoricalCrossentropy")) == (
        "sparse"
    )
    assert losses.crossentropy_kind("mse") is None
    assert losses.crossentropy_kind(losses.Huber()) is None


def test_one_weight_per_sample_covers_every_step_of_a_sequence_sample():
    """Per-step losses (batch, steps) with one weight per sample (the
    default weights of ones, or the user's): each weight scales all of its
    sample's steps; the mean is over every value, as Keras takes it."""
    values = f32([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    weights = f32([2.0, 0.5])
    result = losses.reduce_weighted_values(values, weights)
    expected = (values * weights[:, None]).sum() / values.size
    np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-6)
    mean = losses.reduce_weighted_values(
        values, weights, None, "mean_with_sample_weight"
    )
    expected = (values * weights[:, None]).sum() / (3 * weights.sum())
    np.testing.assert_allclose(np.asarray(mean), expected, rtol=1e-6)


def test_a_sequence_output_trains_with_the_default_weights():
    """A softmax over classes at every step of a (batch, steps, classes)
    output: the loss is the mean crossentropy over every step, and both
    backends train it alike."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 5, 6)).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, (24, 5))]
    histories = {}
    for backend in ("numpy", "llvm"):
        kgraph.utils.clear_session()
        kgraph.utils.set_random_seed(3)
        model = kgraph.Sequential(
            [kgraph.layers.Dense(4, activation="softmax", input_shape=(5, 6))]
        )
        model.compile(optimizer="sgd", loss="categorical_crossentropy", backend=backend)
        probabilities = model.predict(x, verbose=0)
        clipped = np.clip(probabilities, EPS, ONE_MINUS_EPS)
        expected = -(y * np.log(clipped)).sum(-1).mean()
        loss = model.evaluate(x, y, batch_size=24, verbose=0)
        np.testing.assert_allclose(loss, expected, rtol=1e-5)
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        histories[backend] = history.history["loss"]
    np.testing.assert_allclose(histories["llvm"], histories["numpy"], rtol=1e-5)

"""Losses: Keras 3's formulas pinned with NumPy, eager against graph, errors."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import losses
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients

EPS = np.float32(1e-7)
ONE_MINUS_EPS = np.float32(1.0 - 1e-7)


def f32(x):
    return np.asarray(x, dtype="float32")


def run_graph(fn, *arrays, dtypes=None, batch_none=True):
    """Calls ``fn`` on placeholders (batch dimension unknown) and runs it."""
    graph = kgraph.Graph()
    dtypes = dtypes or ["float32"] * len(arrays)
    args = []
    for i, (array, dtype) in enumerate(zip(arrays, dtypes, strict=True)):
        shape = tuple(array.shape)
        if batch_none and shape:
            shape = (None, *shape[1:])
        args.append(ops.placeholder(graph, f"x{i}", shape, dtype))
    out = fn(*args)
    graph.set_output("out", out.node_id)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    return interpreter.run(graph, feeds)["out"]


def eager(fn, *arrays):
    return np.asarray(fn(*arrays))


# -- NumPy transcriptions of Keras 3's formulas --


def np_bce(y, p, from_logits=False, label_smoothing=0.0):
    y = f32(y)
    p = f32(p)
    if label_smoothing:
        y = y * np.float32(1 - label_smoothing) + np.float32(0.5 * label_smoothing)
    if from_logits:
        x = p.astype("float64")
        values = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    else:
        p = np.clip(p, EPS, ONE_MINUS_EPS)
        values = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return values.mean(axis=-1)


def np_log_softmax(x):
    x = np.asarray(x, dtype="float64")
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def np_cce(y, p, from_logits=False, label_smoothing=0.0):
    y = f32(y)
    if label_smoothing:
        y = y * np.float32(1 - label_smoothing) + np.float32(
            label_smoothing / y.shape[-1]
        )
    if from_logits:
        log_p = np_log_softmax(p)
    else:
        p = f32(p)
        p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, ONE_MINUS_EPS)
        log_p = np.log(p)
    return -(y * log_p).sum(axis=-1)


def np_huber(y, p, delta=1.0):
    error = f32(p) - f32(y)
    abs_error = np.abs(error)
    values = np.where(
        abs_error <= delta, 0.5 * error**2, delta * abs_error - 0.5 * delta**2
    )
    return values.mean(axis=-1)


RNG = np.random.default_rng(0)
Y_BIN = f32(RNG.integers(0, 2, size=(6, 3)))
P_BIN = f32(RNG.uniform(0.01, 0.99, size=(6, 3)))
LOGITS = f32(RNG.normal(scale=3.0, size=(6, 4)))
Y_ONEHOT = f32(np.eye(4)[RNG.integers(0, 4, size=6)])
P_CAT = f32(np.exp(LOGITS) / np.exp(LOGITS).sum(axis=-1, keepdims=True))


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


LABELS = np.array([1, 2, 0, 2, 1, 0])
P3 = f32(RNG.dirichlet(np.ones(3), size=6))
L3 = f32(RNG.normal(scale=5.0, size=(6, 3)))


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

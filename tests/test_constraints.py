"""Weight constraints: Keras 3's formulas, eagerly and symbolically, and
applied after each optimizer step inside the compiled training step."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import constraints
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.ops.verify import verify_graph

EPS = 1e-7


def norms(w, axis):
    return np.sqrt(np.sum(w**2, axis=axis, keepdims=True))


def max_norm_reference(w, max_value=2.0, axis=0):
    n = norms(w, axis)
    return w * np.clip(n, 0, max_value) / (EPS + n)


def min_max_norm_reference(w, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
    n = norms(w, axis)
    desired = rate * np.clip(n, min_value, max_value) + (1 - rate) * n
    return w * desired / (EPS + n)


def unit_norm_reference(w, axis=0):
    return w / (EPS + norms(w, axis))


WEIGHTS = np.random.default_rng(0).uniform(-3, 3, (4, 3, 2)).astype("float32")

CASES = [
    (constraints.MaxNorm(), max_norm_reference, {}),
    (
        constraints.MaxNorm(1.5, axis=[0, 1]),
        max_norm_reference,
        {"max_value": 1.5, "axis": (0, 1)},
    ),
    (constraints.MinMaxNorm(), min_max_norm_reference, {}),
    (
        constraints.MinMaxNorm(2.0, 3.0, rate=0.5, axis=-1),
        min_max_norm_reference,
        {"min_value": 2.0, "max_value": 3.0, "rate": 0.5, "axis": -1},
    ),
    (constraints.UnitNorm(), unit_norm_reference, {}),
    (constraints.UnitNorm(axis=1), unit_norm_reference, {"axis": 1}),
    (constraints.NonNeg(), lambda w: np.maximum(w, 0), {}),
    (constraints.Constraint(), lambda w: w, {}),
]


@pytest.mark.parametrize(("constraint", "reference", "kwargs"), CASES)
def test_eager_matches_keras_formula(constraint, reference, kwargs):
    got = constraint(WEIGHTS)
    want = reference(WEIGHTS.astype(np.float64), **kwargs)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("constraint", "reference", "kwargs"), CASES)
def test_in_a_graph(constraint, reference, kwargs):
    graph = kgraph.Graph()
    w = ops.placeholder(graph, "w", WEIGHTS.shape, "float32", "parameter")
    result = constraint(w)
    if result is w:  # The base class returns its input.
        result = ops.add(w, 0.0)
    graph.set_output("out", result.node_id)
    verify_graph(graph)
    got = interpreter.run(graph, {"w": WEIGHTS})["out"]
    want = reference(WEIGHTS.astype(np.float64), **kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_keras_defaults():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {
        "min_value": 0.0,
        "max_value": 1.0,
        "rate": 1.0,
        "axis": 0,
    }
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.NonNeg().get_config() == {}


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("max_norm", constraints.MaxNorm),
        ("MaxNorm", constraints.MaxNorm),
        ("min_max_norm", constraints.MinMaxNorm),
        ("non_neg", constraints.NonNeg),
        ("unit_norm", constraints.UnitNorm),
        ("UnitNorm", constraints.UnitNorm),
    ],
)
def test_get_by_name(name, cls):
    assert type(constraints.get(name)) is cls


def test_aliases_are_the_classes():
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    assert constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm


@pytest.mark.parametrize("constraint", [c for c, _, _ in CASES])
def test_serialize_round_trip(constraint):
    data = constraints.serialize(constraint)
    assert data["class_name"] == type(constraint).__name__
    restored = constraints.deserialize(data)
    assert type(restored) is type(constraint)
    assert restored.get_config() == constraint.get_config()
    assert constraints.get(data).get_config() == constraint.get_config()


def test_get_passes_none_and_callables_through():
    assert constraints.get(None) is None

    def clip(w):
        return ops.clip(w, -1.0, 1.0)

    assert constraints.get(clip) is clip
    with pytest.raises(ValueError, match="nope"):
        constraints.get("nope")


def test_keras_config_dict():
    config = {
        "module": "keras.constraints",
        "class_name": "MaxNorm",
        "config": {"max_value": 3, "axis": 0},
        "registered_name": None,
    }
    assert constraints.get(config).max_value == 3


# -- applied by the training step ---------------------------------------------------


def _data():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (16, 4)).astype("float32")
    y = rng.uniform(-3, 3, (16, 3)).astype("float32")
    return x, y


def test_dense_constraints_hold_after_fit(backend):
    x, y = _data()
    model = kgraph.Sequential(
        [
            kgraph.Input((4,)),
            kgraph.layers.Dense(
                3,
                kernel_constraint=constraints.MaxNorm(0.5),
                bias_constraint="non_neg",
            ),
        ]
    )
    model.compile(optimizer=kgraph.optimizers.SGD(0.5), loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    kernel, bias = model.get_weights()
    assert np.all(norms(kernel, 0) <= 0.5 + 1e-5)
    assert np.all(bias >= 0)


def test_constraint_follows_each_step_as_keras_does(backend):
    # SGD on one full batch; after each step the kernel is projected:
    # w <- unit_norm(w - lr * grad), the bias clipped at 0.
    x, y = _data()
    layer = kgraph.layers.Dense(
        3, kernel_constraint="unit_norm", bias_constraint=constraints.NonNeg()
    )
    model = kgraph.Sequential([kgraph.Input((4,)), layer])
    rng = np.random.default_rng(4)
    kernel = rng.uniform(-1, 1, (4, 3)).astype("float32")
    bias = rng.uniform(-1, 1, (3,)).astype("float32")
    model.set_weights([kernel, bias])
    model.compile(optimizer=kgraph.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    w, b = kernel.astype(np.float64), bias.astype(np.float64)
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    for _ in range(3):
        error = 2 * (xd @ w + b - yd) / yd.size
        w = unit_norm_reference(w - 0.1 * (xd.T @ error))
        b = np.maximum(b - 0.1 * error.sum(axis=0), 0)
    got_w, got_b = model.get_weights()
    np.testing.assert_allclose(got_w, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_b, b, rtol=1e-5, atol=1e-6)


def test_apply_gradients_applies_constraints():
    layer = kgraph.layers.Dense(2, kernel_constraint="non_neg")
    layer.build((None, 2))
    layer.kernel.assign(np.ones((2, 2), "float32"))
    opt = kgraph.optimizers.SGD(1.0)
    opt.apply_gradients([(np.full((2, 2), 3.0, "float32"), layer.kernel)])
    np.testing.assert_array_equal(layer.kernel.numpy(), np.zeros((2, 2)))


def test_layers_keep_their_constraints_in_config():
    dense = kgraph.layers.Dense(2, kernel_constraint=constraints.MaxNorm(3.0))
    config = dense.get_config()
    assert config["kernel_constraint"]["class_name"] == "MaxNorm"
    assert config["bias_constraint"] is None
    restored = kgraph.layers.Dense.from_config(config)
    assert restored.kernel_constraint.max_value == 3.0
    conv = kgraph.layers.Conv2D(2, 3, bias_constraint="non_neg")
    restored = kgraph.layers.Conv2D.from_config(conv.get_config())
    assert isinstance(restored.bias_constraint, constraints.NonNeg)
    embedding = kgraph.layers.Embedding(5, 2, embeddings_constraint="unit_norm")
    restored = kgraph.layers.Embedding.from_config(embedding.get_config())
    assert isinstance(restored.embeddings_constraint, constraints.UnitNorm)


def test_model_with_constraints_saves_and_loads(tmp_path):
    model = kgraph.Sequential(
        [kgraph.Input((4,)), kgraph.layers.Dense(3, kernel_constraint="max_norm")]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.kgraph")
    loaded = kgraph.models.load_model(tmp_path / "m.kgraph")
    assert isinstance(loaded.layers[-1].kernel_constraint, constraints.MaxNorm)
    assert isinstance(loaded.layers[-1].kernel.constraint, constraints.MaxNorm)


def _sequence_model(layer, input_shape, dtype="float32"):
    inputs = kgraph.Input(input_shape, dtype=dtype)
    if isinstance(layer, kgraph.layers.MultiHeadAttention):
        outputs = layer(inputs, inputs)
    else:
        outputs = layer(inputs)
    return kgraph.Model(inputs, kgraph.layers.Flatten()(outputs))


LAYERS = {
    "conv1d": (
        lambda: kgraph.layers.Conv1D(
            2, 2, kernel_constraint="non_neg", bias_constraint="non_neg"
        ),
        (5, 3),
        ["kernel", "bias"],
    ),
    "embedding": (
        lambda: kgraph.layers.Embedding(6, 2, embeddings_constraint="non_neg"),
        (4,),
        ["embeddings"],
    ),
    "lstm": (
        lambda: kgraph.layers.LSTM(
            2,
            kernel_constraint="non_neg",
            recurrent_constraint="non_neg",
            bias_constraint="non_neg",
        ),
        (4, 3),
        ["kernel", "recurrent_kernel", "bias"],
    ),
    "prelu": (
        lambda: kgraph.layers.PReLU(
            alpha_initializer="ones", alpha_constraint="non_neg"
        ),
        (3,),
        ["alpha"],
    ),
    "einsum_dense": (
        lambda: kgraph.layers.EinsumDense(
            "ab,bc->ac",
            2,
            bias_axes="c",
            kernel_constraint="non_neg",
            bias_constraint="non_neg",
        ),
        (3,),
        ["kernel", "bias"],
    ),
    "multi_head_attention": (
        lambda: kgraph.layers.MultiHeadAttention(
            2, 2, kernel_constraint="non_neg", bias_constraint="non_neg"
        ),
        (4, 3),
        ["kernel", "bias"],
    ),
    "layer_normalization": (
        lambda: kgraph.layers.LayerNormalization(
            beta_constraint="non_neg", gamma_constraint="non_neg"
        ),
        (3,),
        ["gamma", "beta"],
    ),
    "batch_normalization": (
        lambda: kgraph.layers.BatchNormalization(
            beta_constraint="non_neg", gamma_constraint="non_neg"
        ),
        (3,),
        ["gamma", "beta"],
    ),
    "group_normalization": (
        lambda: kgraph.layers.GroupNormalization(
            2, beta_constraint="non_neg", gamma_constraint="non_neg"
        ),
        (4,),
        ["gamma", "beta"],
    ),
}


@pytest.mark.parametrize(("make", "shape", "names"), LAYERS.values(), ids=LAYERS.keys())
def test_layer_constraints_take_effect(make, shape, names, backend):
    layer = make()
    restored = type(layer).from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()
    is_embedding = isinstance(layer, kgraph.layers.Embedding)
    model = _sequence_model(layer, shape, "int32" if is_embedding else "float32")
    rng = np.random.default_rng(5)
    if is_embedding:
        x = rng.integers(0, 6, (8, *shape)).astype("int32")
    else:
        x = rng.normal(size=(8, *shape)).astype("float32")
    # A target far below: gradient descent pushes every weight negative.
    y = np.full((8, model.output.shape[-1]), -50.0, "float32")
    model.compile(optimizer=kgraph.optimizers.SGD(0.5), loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    constrained = [
        v for v in model.trainable_weights if v.path.rsplit("/", 1)[-1] in names
    ]
    assert constrained
    for variable in constrained:
        assert variable.constraint is not None, variable.path
        assert np.all(variable.numpy() >= 0), variable.path


def test_keras_file_keeps_constraints_in_keras_format(tmp_path):
    import json
    import zipfile

    model = kgraph.Sequential(
        [
            kgraph.Input((3,)),
            kgraph.layers.Dense(
                2, kernel_constraint=constraints.MaxNorm(1.5), bias_constraint="non_neg"
            ),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    dense = config["config"]["layers"][-1]["config"]
    assert dense["kernel_constraint"] == {
        "module": "keras.constraints",
        "class_name": "MaxNorm",
        "config": {"max_value": 1.5, "axis": 0},
        "registered_name": None,
    }
    loaded = kgraph.models.load_model(path)
    assert isinstance(loaded.layers[-1].bias_constraint, constraints.NonNeg)

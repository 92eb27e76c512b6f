"""Property: for small drawn architectures (Sequential or functional, one or
two inputs and outputs, shared layers, merges, dropout, any optimizer),
save -> load predicts the same bits and trains on to the same bits."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import kgraph as kg
from kgraph import layers as L
from kgraph.testing.strategies import examples

ACTIVATIONS = (None, "relu", "tanh", "sigmoid")
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad", "adamw")


@st.composite
def architectures(draw):
    """A recipe: a list of steps, each adding one layer call."""
    inputs = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2))
    steps = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(
            st.sampled_from(
                [
                    "dense",
                    "dropout",
                    "activation",
                    "leaky",
                    "merge",
                    "shared",
                    "identity",
                ]
            )
        )
        steps.append(
            (
                kind,
                draw(st.integers(1, 4)),
                draw(st.sampled_from(ACTIVATIONS)),
                draw(
                    st.sampled_from(["add", "concat", "multiply", "maximum", "average"])
                ),
                draw(st.integers(0, 99)),
            )
        )
    return {
        "inputs": inputs,
        "steps": steps,
        "outputs": draw(st.integers(1, 2)),
        "optimizer": draw(st.sampled_from(OPTIMIZERS)),
        "sequential": draw(st.booleans()),
    }


def _functional(recipe):
    inputs = [kg.Input((size,)) for size in recipe["inputs"]]
    tensors = list(inputs)
    denses = []
    dropped = set()  # kgraph cannot predict with a Dropout right after another
    for kind, units, activation, merge, pick in recipe["steps"]:
        source = tensors[pick % len(tensors)]
        if kind == "dropout" and id(source) in dropped:
            kind = "dense"
        if kind == "dense" or (kind == "shared" and not denses):
            layer = L.Dense(units, activation=activation)
            denses.append(layer)
            tensors.append(layer(source))
        elif kind == "shared":
            layer = denses[pick % len(denses)]
            fits = [t for t in tensors if t.shape[-1] == layer.kernel.shape[0]]
            tensors.append(layer(fits[pick % len(fits)]))
        elif kind == "merge":
            same = [t for t in tensors if t.shape == source.shape and t is not source]
            other = same[pick % len(same)] if same else source
            if merge == "concat":
                tensors.append(L.Concatenate()([source, tensors[-1]]))
            else:
                cls = {
                    "add": L.Add,
                    "multiply": L.Multiply,
                    "maximum": L.Maximum,
                    "average": L.Average,
                }[merge]
                tensors.append(cls()([source, other]))
        else:
            tensors.append(_unary(kind, activation, units)(source))
            if kind == "dropout":
                dropped.add(id(tensors[-1]))
    made = tensors[len(inputs) :] or inputs
    # Every input feeds the outputs (kgraph rejects models with unused inputs).
    last = L.Concatenate()([made[-1], *inputs]) if len(inputs) > 1 else made[-1]
    made = [*made[:-1], last]
    outputs = [L.Dense(1)(t) for t in made[-recipe["outputs"] :]]
    return kg.Model(inputs, outputs if len(outputs) > 1 else outputs[0])


def _unary(kind, activation, units):
    if kind == "dropout":
        return L.Dropout(0.1 * units)
    if kind == "activation":
        return L.Activation(activation or "linear")
    if kind == "leaky":
        return L.LeakyReLU(0.1)
    return L.Identity()


def _sequential(recipe):
    layers = [kg.Input((recipe["inputs"][0],))]
    for kind, units, activation, _, _ in recipe["steps"]:
        if kind == "dropout" and isinstance(layers[-1], L.Dropout):
            kind = "dense"
        if kind in ("dense", "shared", "merge"):
            layers.append(L.Dense(units, activation=activation))
        else:
            layers.append(_unary(kind, activation, units))
    layers.append(L.Dense(1))
    return kg.Sequential(layers)


def _build(recipe):
    kg.utils.clear_session()
    kg.utils.set_random_seed(3)
    model = _sequential(recipe) if recipe["sequential"] else _functional(recipe)
    model.compile(recipe["optimizer"], "mse", metrics=["mae"], backend="numpy")
    return model


def _data(model):
    rng = np.random.default_rng(1)
    x = [rng.random((12, int(t.shape[1])), dtype="float32") for t in model.inputs]
    y = [rng.random((12, 1), dtype="float32") for _ in model.outputs]
    return (x if len(x) > 1 else x[0]), (y if len(y) > 1 else y[0])


def _fit(model, x, y):
    kg.utils.set_random_seed(11)
    return model.fit(x, y, batch_size=5, shuffle=False, verbose=0).history


def _leaves(value):
    return value if isinstance(value, list) else [value]


@settings(max_examples=examples(15))
@given(recipe=architectures())
def test_save_load_predict_and_train_identically(recipe, tmp_path_factory):
    model = _build(recipe)
    x, y = _data(model)
    _fit(model, x, y)
    path = tmp_path_factory.mktemp("roundtrip") / "model.kgraph"
    model.save(path)
    loaded = kg.models.load_model(path)
    assert loaded.get_config() == model.get_config()
    for got, want in zip(
        _leaves(loaded.predict(x, verbose=0)),
        _leaves(model.predict(x, verbose=0)),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
    assert _fit(loaded, x, y) == _fit(model, x, y)
    for got, want in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)

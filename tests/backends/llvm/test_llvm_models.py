"""Whole models: the LLVM backend trains, evaluates and predicts like the
interpreter. Drawn models are a stack of dense layers (with dropout and
weight penalties), after a convolution (batch normalization, pooling), an
embedding or a recurrent layer, or on the features alone.

Each model is built twice from the same seed (``clear_session`` first, so
layer names, hence dropout salts, agree too) and run on each backend; the
History, the final weights and optimizer slots, ``evaluate`` and ``predict``
must agree within ``dtypes.MODEL_TOLERANCE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import kgraph as kg
from kgraph import dtypes
from kgraph.testing.strategies import examples

RTOL, ATOL = dtypes.MODEL_TOLERANCE

_HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid", None)
# The last layer's activation and a metric, by loss.
_LOSSES = {
    "mse": (("relu", "tanh", "sigmoid", "softmax", None), "mae"),
    "categorical_crossentropy": (("softmax",), "accuracy"),
    "sparse_categorical_crossentropy": (("softmax",), "sparse_categorical_accuracy"),
    "binary_crossentropy": (("sigmoid",), "binary_accuracy"),
}


@dataclass
class Spec:
    """One drawn experiment: architecture, optimizer and data."""

    functional: bool
    features: int
    widths: list[int]
    activations: list[Any]
    dropouts: list[float]
    regularizers: list[Any]
    loss: str
    optimizer: tuple[str, dict[str, Any]]
    samples: int
    batch_size: int
    validation_split: float
    seed: int
    metrics: list[str] = field(default_factory=list)
    # The layers before the dense stack and what they take (``_fronts``):
    # ``{"kind": "dense"}`` feeds the features straight to it.
    front: dict[str, Any] = field(default_factory=lambda: {"kind": "dense"})


def _optimizers():
    clipping = st.sampled_from([{}, {"clipnorm": 0.5}, {"clipvalue": 0.05}])
    choices = st.one_of(
        st.fixed_dictionaries(
            {"momentum": st.sampled_from([0.0, 0.9]), "nesterov": st.booleans()}
        ).map(lambda kw: ("SGD", {"learning_rate": 0.05, **kw})),
        st.fixed_dictionaries(
            {"centered": st.booleans(), "momentum": st.sampled_from([0.0, 0.5])}
        ).map(lambda kw: ("RMSprop", {"learning_rate": 0.01, **kw})),
        st.booleans().map(lambda a: ("Adam", {"learning_rate": 0.01, "amsgrad": a})),
        st.booleans().map(lambda a: ("AdamW", {"learning_rate": 0.01, "amsgrad": a})),
        st.just(("Adagrad", {"learning_rate": 0.1})),
    )
    return st.tuples(choices, clipping).map(
        lambda pair: (pair[0][0], {**pair[0][1], **pair[1]})
    )


def _fronts():
    """The layers a drawn model starts with: none (dense), a convolution
    (with batch normalization and pooling), an embedding, or a recurrent
    layer."""
    conv = st.fixed_dictionaries(
        {
            "kind": st.just("conv"),
            "size": st.integers(4, 7),
            "channels": st.integers(1, 3),
            "filters": st.integers(1, 4),
            "kernel": st.integers(1, 3),
            "strides": st.integers(1, 2),
            "padding": st.sampled_from(["valid", "same"]),
            "activation": st.sampled_from(["relu", "tanh", None]),
            "batch_norm": st.booleans(),
            "pool": st.sampled_from([None, "max", "average"]),
        }
    )
    embedding = st.fixed_dictionaries(
        {
            "kind": st.just("embedding"),
            "vocabulary": st.integers(2, 12),
            "length": st.integers(1, 6),
            "dim": st.integers(1, 4),
            "reduce": st.sampled_from(["flatten", "average"]),
        }
    )
    recurrent = st.fixed_dictionaries(
        {
            "kind": st.just("recurrent"),
            "cell": st.sampled_from(["SimpleRNN", "LSTM", "GRU"]),
            "steps": st.integers(1, 5),
            "features": st.integers(1, 3),
            "units": st.integers(1, 4),
        }
    )
    return st.one_of(st.just({"kind": "dense"}), conv, embedding, recurrent)


@st.composite
def experiments(draw) -> Spec:
    loss = draw(st.sampled_from(sorted(_LOSSES)))
    last_activations, metric = _LOSSES[loss]
    depth = draw(st.integers(1, 3))
    widths = [draw(st.integers(1, 9)) for _ in range(depth)]
    if loss == "binary_crossentropy":
        widths[-1] = draw(st.integers(1, 3))
    elif loss != "mse":
        widths[-1] = max(widths[-1], 2)
    activations = [draw(st.sampled_from(_HIDDEN_ACTIVATIONS)) for _ in widths[:-1]]
    activations.append(draw(st.sampled_from(last_activations)))
    dropouts = [draw(st.sampled_from([0.0, 0.0, 0.3])) for _ in widths[:-1]]
    regularizers = [draw(st.sampled_from([None, "l1", "l2"])) for _ in widths]
    samples = draw(st.integers(9, 24))
    validation_split = draw(st.sampled_from([0.0, 0.25]))
    train = int(samples * (1 - validation_split))
    batch_size = draw(st.integers(2, train - 1).filter(lambda b, n=train: n % b != 0))
    return Spec(
        functional=draw(st.booleans()),
        features=draw(st.integers(1, 5)),
        widths=widths,
        activations=activations,
        dropouts=dropouts,
        regularizers=regularizers,
        loss=loss,
        optimizer=draw(_optimizers()),
        samples=samples,
        batch_size=batch_size,
        validation_split=validation_split,
        seed=draw(st.integers(0, 2**16)),
        metrics=[metric],
        front=draw(_fronts()),
    )


def _input_shape(spec: Spec) -> tuple[int, ...]:
    front = spec.front
    if front["kind"] == "conv":
        return (front["size"], front["size"], front["channels"])
    if front["kind"] == "embedding":
        return (front["length"],)
    if front["kind"] == "recurrent":
        return (front["steps"], front["features"])
    return (spec.features,)


def _front_layers(spec: Spec) -> list[Any]:
    front, layers = spec.front, kg.layers
    if front["kind"] == "conv":
        found = [
            layers.Conv2D(
                front["filters"],
                front["kernel"],
                strides=front["strides"],
                padding=front["padding"],
                activation=front["activation"],
            )
        ]
        if front["batch_norm"]:
            found.append(layers.BatchNormalization())
        # Pooling where the convolution leaves at least 2x2.
        side = front["size"]
        if front["padding"] == "valid":
            side -= front["kernel"] - 1
        side = -(-side // front["strides"])
        if front["pool"] and side >= 2:
            pool = layers.MaxPooling2D if front["pool"] == "max" else None
            found.append((pool or layers.AveragePooling2D)(2))
        return [*found, layers.Flatten()]
    if front["kind"] == "embedding":
        reduce = (
            layers.Flatten()
            if front["reduce"] == "flatten"
            else layers.GlobalAveragePooling1D()
        )
        return [layers.Embedding(front["vocabulary"], front["dim"]), reduce]
    if front["kind"] == "recurrent":
        return [getattr(layers, front["cell"])(front["units"])]
    return []


def _layers(spec: Spec) -> list[Any]:
    layers: list[Any] = _front_layers(spec)
    for index, width in enumerate(spec.widths):
        regularizer = {
            None: None,
            "l1": kg.regularizers.L1(0.01),
            "l2": kg.regularizers.L2(0.01),
        }[spec.regularizers[index]]
        layers.append(
            kg.layers.Dense(
                width,
                activation=spec.activations[index],
                kernel_regularizer=regularizer,
            )
        )
        if index < len(spec.dropouts) and spec.dropouts[index]:
            layers.append(kg.layers.Dropout(spec.dropouts[index]))
    return layers


def build(spec: Spec, backend: str) -> Any:
    """The drawn model, compiled for ``backend``, from the drawn seed."""
    kg.utils.clear_session()
    kg.utils.set_random_seed(spec.seed)
    layers = _layers(spec)
    dtype = "int32" if spec.front["kind"] == "embedding" else "float32"
    if spec.functional:
        inputs = kg.Input(_input_shape(spec), dtype=dtype)
        outputs = inputs
        for layer in layers:
            outputs = layer(outputs)
        model = kg.Model(inputs, outputs)
    else:
        model = kg.Sequential([kg.Input(_input_shape(spec), dtype=dtype), *layers])
    name, kwargs = spec.optimizer
    model.compile(
        optimizer=getattr(kg.optimizers, name)(**kwargs),
        loss=spec.loss,
        metrics=spec.metrics,
        backend=backend,
    )
    return model


def make_data(spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(spec.seed)
    if spec.front["kind"] == "embedding":
        x = rng.integers(
            0, spec.front["vocabulary"], (spec.samples, spec.front["length"])
        )
        x = x.astype("int32")
    else:
        x = rng.normal(size=(spec.samples, *_input_shape(spec))).astype("float32")
    classes = spec.widths[-1]
    if spec.loss == "mse":
        y = rng.normal(size=(spec.samples, classes)).astype("float32")
    elif spec.loss == "categorical_crossentropy":
        y = np.eye(classes, dtype="float32")[rng.integers(0, classes, spec.samples)]
    elif spec.loss == "sparse_categorical_crossentropy":
        y = rng.integers(0, classes, spec.samples).astype("int32")
    else:
        y = rng.integers(0, 2, (spec.samples, classes)).astype("float32")
    return x, y


def run(spec: Spec, backend: str) -> dict[str, Any]:
    """Trains 2 epochs, then evaluates and predicts; returns everything."""
    model = build(spec, backend)
    x, y = make_data(spec)
    history = model.fit(
        x,
        y,
        batch_size=spec.batch_size,
        epochs=2,
        verbose=0,
        shuffle=True,
        validation_split=spec.validation_split,
    )
    return {
        "history": history.history,
        "weights": model.get_weights(),
        "slots": [v.numpy() for v in model.optimizer.variables],
        "evaluate": model.evaluate(
            x, y, batch_size=spec.batch_size, verbose=0, return_dict=True
        ),
        "predict": model.predict(x, batch_size=spec.batch_size, verbose=0),
    }


def _atol(name: str, spec: Spec | None) -> float:
    """The absolute tolerance of a history or evaluate entry: arg-max
    counts may differ by ``ARGMAX_SLACK_SAMPLES`` of the smallest split."""
    if spec is None or "accuracy" not in name:
        return ATOL
    held_out = int(spec.samples * spec.validation_split)
    smallest = min(n for n in (spec.samples - held_out, held_out) if n > 0)
    return ATOL + dtypes.ARGMAX_SLACK_SAMPLES / smallest


def assert_same_run(
    expected: dict[str, Any], result: dict[str, Any], spec: Spec | None = None
) -> None:
    assert sorted(result["history"]) == sorted(expected["history"])
    for name, values in expected["history"].items():
        np.testing.assert_allclose(
            result["history"][name],
            values,
            rtol=RTOL,
            atol=_atol(name, spec),
            err_msg=name,
        )
    assert sorted(result["evaluate"]) == sorted(expected["evaluate"])
    for name, value in expected["evaluate"].items():
        np.testing.assert_allclose(
            result["evaluate"][name],
            value,
            rtol=RTOL,
            atol=_atol(name, spec),
            err_msg=name,
        )
    for kind in ("weights", "slots"):
        assert len(result[kind]) == len(expected[kind])
        for index, (got, want) in enumerate(
            zip(result[kind], expected[kind], strict=True)
        ):
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(
                got, want, rtol=RTOL, atol=ATOL, err_msg=f"{kind}[{index}]"
            )
    assert result["predict"].dtype == expected["predict"].dtype
    np.testing.assert_allclose(
        result["predict"], expected["predict"], rtol=RTOL, atol=ATOL
    )


@settings(max_examples=examples(10))
@given(spec=experiments())
def test_random_models_train_alike_on_both_backends(spec):
    expected = run(spec, "numpy")
    result = run(spec, "llvm")
    assert_same_run(expected, result, spec)


def _fixed_spec(**changes: Any) -> Spec:
    spec = Spec(
        functional=False,
        features=4,
        widths=[6, 3],
        activations=["tanh", "softmax"],
        dropouts=[0.3],
        regularizers=["l2", None],
        loss="categorical_crossentropy",
        optimizer=("Adam", {"learning_rate": 0.01}),
        samples=20,
        batch_size=7,
        validation_split=0.0,
        seed=5,
        metrics=["accuracy"],
    )
    for key, value in changes.items():
        setattr(spec, key, value)
    return spec


def test_partial_last_batch_matches_the_interpreter():
    """20 samples in batches of 7: two full batches and one of 6, in fit,
    evaluate and predict; the partial batch has its own step function."""
    spec = _fixed_spec()
    expected = run(spec, "numpy")
    model = build(spec, "llvm")
    x, y = make_data(spec)
    history = model.fit(x, y, batch_size=7, epochs=2, verbose=0)
    result = {
        "history": history.history,
        "weights": model.get_weights(),
        "slots": [v.numpy() for v in model.optimizer.variables],
        "evaluate": model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True),
        "predict": model.predict(x, batch_size=7, verbose=0),
    }
    assert_same_run(expected, result)
    executable = next(iter(model._executables.values()))
    partials = {key: loop.spec.partial for key, loop in executable.loops.items()}
    assert partials == {("train", 7, 6): 6, ("eval", 7, 6): 6}
    predicting = model._executables[("llvm", ())]
    assert set(predicting.loops) == {("predict", 7, 6)}
    assert model.optimizer.iterations.numpy() == 6


@pytest.mark.parametrize("batch_size", [1, 5, 20, 64])
def test_batch_sizes_around_the_sample_count(batch_size):
    """One sample per batch, an exact divisor, one batch, a batch larger
    than the data."""
    spec = _fixed_spec(batch_size=batch_size, dropouts=[0.0])
    assert_same_run(run(spec, "numpy"), run(spec, "llvm"))


def test_validation_split_and_metrics_match():
    spec = _fixed_spec(
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
        validation_split=0.25,
        optimizer=("RMSprop", {"learning_rate": 0.01, "centered": True}),
    )
    expected = run(spec, "numpy")
    assert {"val_loss", "val_sparse_categorical_accuracy"} <= set(expected["history"])
    assert_same_run(expected, run(spec, "llvm"))


def test_random_draws_outside_training_match_the_interpreter():
    """A layer that samples in every mode (a VAE's sampling) draws in
    evaluate and predict too: both backends key batch i with seed i."""

    class Noisy(kg.layers.Layer):
        def call(self, inputs):
            key = kg.layers.layer.random_key(inputs)
            return inputs + kg.ops.random_normal(key, inputs, salt=self.salt)

    results = {}
    x = np.zeros((10, 3), "float32")
    for backend in ("numpy", "llvm"):
        kg.utils.clear_session()
        inputs = kg.Input(shape=(3,))
        model = kg.Model(inputs, Noisy(name="noisy")(inputs))
        model.compile(loss="mse", backend=backend)
        results[backend] = (
            model.predict(x, batch_size=4, verbose=0),
            model.evaluate(x, x, batch_size=4, verbose=0),
        )
    (noise, loss), (noise2, loss2) = results.values()
    np.testing.assert_array_equal(noise, noise2)
    np.testing.assert_allclose(loss, loss2, rtol=1e-6)
    assert 0.3 < noise.std() < 2.0
    # Each batch draws its own noise.
    assert not np.array_equal(noise[:2], noise[4:6])
    np.testing.assert_allclose(loss, np.mean(noise**2), rtol=1e-5)


def test_train_on_batch_and_predict_on_batch_match():
    spec = _fixed_spec()
    x, y = make_data(spec)
    results = {}
    for backend in ("numpy", "llvm"):
        model = build(spec, backend)
        kg.utils.set_random_seed(1)
        logs = [model.train_on_batch(x, y, return_dict=True) for _ in range(3)]
        results[backend] = (logs, model.predict_on_batch(x), model.get_weights())
    (logs, predictions, weights), (logs2, predictions2, weights2) = results.values()
    for want, got in zip(logs, logs2, strict=True):
        assert sorted(got) == sorted(want)
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(predictions2, predictions, rtol=RTOL, atol=ATOL)
    for got, want in zip(weights2, weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_data_smaller_than_a_batch_compiles_one_step():
    """Fewer samples than the batch size: one batch of all of them, so no
    step for the (never used) full batch size is compiled."""
    spec = _fixed_spec(samples=5, batch_size=32, dropouts=[0.0])
    expected = run(spec, "numpy")
    model = build(spec, "llvm")
    x, y = make_data(spec)
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    model.predict(x, batch_size=32, verbose=0)
    loops = [loop for e in model._executables.values() for loop in e.loops.values()]
    assert sorted(loop.spec.kind for loop in loops) == ["predict", "train"]
    for loop in loops:
        assert loop.spec.batch_size == loop.spec.partial == 5
        assert loop.programs[0] is loop.programs[1]
        assert "_step1" not in loop.ir_text
    # A later call with more samples and the same last batch is another loop.
    more = np.concatenate([x] * 8)[:37]
    np.testing.assert_allclose(
        model.predict(more, batch_size=32, verbose=0),
        np.concatenate([model.predict(x, batch_size=32, verbose=0)] * 8)[:37],
        rtol=RTOL,
        atol=ATOL,
    )
    result = run(spec, "llvm")
    assert_same_run(expected, result)


def test_loops_are_compiled_once_per_kind_and_batch_shape():
    spec = _fixed_spec()
    model = build(spec, "llvm")
    x, y = make_data(spec)
    model.fit(x, y, batch_size=7, epochs=1, verbose=0)
    executable = next(iter(model._executables.values()))
    first = dict(executable.loops)
    model.fit(x, y, batch_size=7, epochs=2, verbose=0)
    assert executable.loops == first
    assert all(loop is first[key] for key, loop in executable.loops.items()), (
        "a second fit recompiled a loop"
    )

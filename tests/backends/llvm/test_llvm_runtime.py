"""The ctypes ABI (``backends/llvm/runtime.py``): inputs that must never reach
native code are rejected with ``TypeError`` or ``ValueError``, never a crash;
inputs that are merely of another dtype or layout are cast where the caller
owns the copy (``run_graph``, the trainer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import kgraph as kg
from kgraph import dtypes
from kgraph import errors
from kgraph import ops
from kgraph.backends.interpreter_executable import InterpreterExecutable
from kgraph.backends.llvm import LLVMExecutable
from kgraph.ir.graph import Graph
from kgraph.testing import native

RTOL, ATOL = dtypes.MODEL_TOLERANCE
FEATURES, CLASSES, SAMPLES = 4, 3, 10


# -- compile_graph / run_graph ---------------------------------------------------------


@pytest.fixture(scope="module")
def affine():
    """``y = x @ w + 1`` on a static ``f32[3,2]`` input."""
    graph = Graph(name="affine")
    x = ops.placeholder(graph, "x", (3, 2))
    w = ops.placeholder(graph, "w", (2, 2), role="parameter")
    graph.set_output("y", (ops.matmul(x, w) + 1.0).node_id)
    return native.compile_graph(graph)


X = np.arange(6, dtype="float32").reshape(3, 2)
W = np.array([[1.0, -1.0], [0.5, 2.0]], dtype="float32")
EXPECTED = X @ W + 1.0


def _misaligned(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``array`` whose data starts one byte off."""
    raw = np.zeros(array.nbytes + 1, dtype=np.uint8)
    shifted = raw[1:].view(array.dtype).reshape(array.shape)
    shifted[...] = array
    assert not shifted.flags.aligned and shifted.flags.c_contiguous
    return shifted


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a,
        lambda a: a.astype("float64"),
        lambda a: a.astype(">f4"),
        lambda a: a.tolist(),
        np.asfortranarray,
        lambda a: np.repeat(a, 2, axis=0)[::2],
        _misaligned,
    ],
    ids=["float32", "float64", "big-endian", "list", "fortran", "strided", "unaligned"],
)
def test_run_graph_casts_and_copies_inputs(affine, convert):
    result = native.run_graph(affine, {"x": convert(X), "w": W})["y"]
    assert result.dtype == np.float32 and result.shape == (3, 2)
    np.testing.assert_array_equal(result, EXPECTED)


def test_run_graph_takes_integer_inputs(affine):
    result = native.run_graph(affine, {"x": X.astype("int64"), "w": W})["y"]
    np.testing.assert_array_equal(result, EXPECTED)


@pytest.mark.parametrize(
    ("feeds", "error", "match"),
    [
        ({"x": X}, errors.GraphError, r"Input 'w' .* was not fed"),
        ({"x": X[:2], "w": W}, ValueError, r"'x' must have shape \(3, 2\)"),
        ({"x": X.reshape(2, 3), "w": W}, ValueError, r"'x' must have shape"),
        ({"x": X.reshape(-1), "w": W}, ValueError, r"'x' must have shape"),
        ({"x": X, "w": W[None]}, ValueError, r"'w' must have shape \(2, 2\)"),
        ({"x": np.full((3, 2), "a"), "w": W}, ValueError, r"could not convert"),
    ],
    ids=["missing", "rows", "transposed", "flat", "rank", "strings"],
)
def test_run_graph_rejects_bad_feeds(affine, feeds, error, match):
    with pytest.raises(error, match=match):
        native.run_graph(affine, feeds)


def test_run_graph_leaves_inputs_alone_and_returns_copies(affine):
    x, w = X.copy(), W.copy()
    first = native.run_graph(affine, {"x": x, "w": w})["y"]
    second = native.run_graph(affine, {"x": x, "w": w})["y"]
    first[...] = 0
    np.testing.assert_array_equal(second, EXPECTED)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(w, W)


# -- LLVMExecutable --------------------------------------------------------------------


def _model(backend: str = "llvm", seed: int = 0) -> Any:
    kg.utils.clear_session()
    kg.utils.set_random_seed(seed)
    model = kg.Sequential(
        [
            kg.Input((FEATURES,)),
            kg.layers.Dense(5, activation="relu"),
            kg.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=kg.optimizers.SGD(0.1, momentum=0.9),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        backend=backend,
    )
    return model


def _arrays(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    y = np.eye(CLASSES, dtype="float32")[rng.integers(0, CLASSES, SAMPLES)]
    return x, y


class Setup:
    """A model's programs behind both executables, and valid arguments."""

    def __init__(self) -> None:
        self.model = _model()
        x, y = _arrays()
        output = self.model.output_names[0]
        self.data = {
            self.model.input_names[0]: x,
            f"target:{output}": y,
            "sample_weight": np.ones(SAMPLES, dtype="float32"),
        }
        self.x = x

        def programs(kind: str, batch_size: int) -> Any:
            return self.model.compiled_program(kind, batch_size)

        self.programs: Callable[[str, int], Any] = programs
        self.native = LLVMExecutable(programs)
        assert sorted(self.data) == sorted(programs("train", 4).batched_inputs)

    def state(self) -> dict[str, np.ndarray]:
        """A fresh copy of the model's weights and slots."""
        weights = [*self.model.weights, *self.model.optimizer.variables]
        return {v.path: v.numpy() for v in weights}

    def train(self, executable: Any, state: Any, data: Any = None, **changes: Any):
        arguments = {
            "order": np.arange(SAMPLES)[::-1].copy(),
            "batch_size": 4,
            "batches": range(3),
            "step": 0,
            "seed": 11,
            "learning_rate": 0.1,
        }
        arguments.update(changes)
        return executable.train(state, self.data if data is None else data, **arguments)


@pytest.fixture(scope="module")
def setup():
    return Setup()


def test_executables_agree_on_valid_arguments(setup):
    reference = InterpreterExecutable(setup.programs)
    expected_state, state = setup.state(), setup.state()
    expected = setup.train(reference, expected_state)
    result = setup.train(setup.native, state)
    assert sorted(result) == sorted(expected)
    for name in expected:
        np.testing.assert_allclose(result[name], expected[name], rtol=RTOL, atol=ATOL)
    for name in expected_state:
        np.testing.assert_allclose(
            state[name], expected_state[name], rtol=RTOL, atol=ATOL, err_msg=name
        )
    for method in ("evaluate", "predict"):
        want = getattr(reference, method)(expected_state, setup.data, 3)
        got = getattr(setup.native, method)(state, setup.data, 3)
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=RTOL, atol=ATOL)


def _replace(data: dict, name: str, value: Any) -> dict:
    changed = dict(data)
    if value is None:
        del changed[name]
    else:
        changed[name] = value
    return changed


BAD_DATA = [
    ("float64", lambda a: a.astype("float64"), TypeError, r"must have dtype float32"),
    ("int32", lambda a: a.astype("int32"), TypeError, r"must have dtype float32"),
    ("big-endian", lambda a: a.astype(">f4"), TypeError, r"native byte order"),
    ("list", lambda a: a.tolist(), TypeError, r"must be a NumPy array"),
    ("missing", lambda a: None, TypeError, r"must be a NumPy array"),
    ("features", lambda a: a[:, :3].copy(), ValueError, r"must have shape \(10, 4\)"),
    ("rows", lambda a: a[:7].copy(), ValueError, r"must have shape \(10, 4\)"),
    ("rank", lambda a: a[..., None].copy(), ValueError, r"must have shape"),
    ("fortran", np.asfortranarray, ValueError, r"C-contiguous"),
    ("strided", lambda a: np.repeat(a, 2, axis=0)[::2], ValueError, r"C-contiguous"),
    ("unaligned", _misaligned, ValueError, r"aligned"),
]


@pytest.mark.parametrize(
    ("convert", "error", "match"),
    [case[1:] for case in BAD_DATA],
    ids=[case[0] for case in BAD_DATA],
)
@pytest.mark.parametrize("method", ["train", "evaluate", "predict"])
def test_bad_data_never_reaches_native_code(setup, method, convert, error, match):
    name = setup.model.input_names[0]
    # The first array sets the row count: put the bad one after it.
    data = {"sample_weight": setup.data["sample_weight"], **setup.data}
    data = _replace(data, name, convert(setup.x))
    state = setup.state()
    before = {k: v.copy() for k, v in state.items()}
    with pytest.raises(error, match=match):
        if method == "train":
            setup.train(setup.native, state, data)
        else:
            getattr(setup.native, method)(state, data, 4)
    for key, value in before.items():
        np.testing.assert_array_equal(state[key], value)


def test_targets_and_sample_weights_are_checked_too(setup):
    output = setup.model.output_names[0]
    wrong_targets = _replace(
        setup.data, f"target:{output}", setup.data[f"target:{output}"][:, :2].copy()
    )
    with pytest.raises(ValueError, match=rf"'target:{output}' must have shape"):
        setup.native.evaluate(setup.state(), wrong_targets, 4)
    int_weights = _replace(setup.data, "sample_weight", np.ones(SAMPLES, "int64"))
    with pytest.raises(TypeError, match=r"'sample_weight' must have dtype float32"):
        setup.train(setup.native, setup.state(), int_weights)


@pytest.mark.parametrize(
    ("convert", "error", "match"),
    [
        (lambda a: a.astype("float64"), TypeError, r"must have dtype float32"),
        (lambda a: a.T.copy() if a.ndim == 2 else a[:-1].copy(), ValueError, "shape"),
        (lambda a: np.asfortranarray(a) if a.ndim == 2 else a[::-1], ValueError, "C-"),
        (lambda a: None, TypeError, r"must be a NumPy array"),
        (_misaligned, ValueError, r"aligned"),
    ],
    ids=["dtype", "shape", "layout", "missing", "unaligned"],
)
def test_bad_state_never_reaches_native_code(setup, convert, error, match):
    state = setup.state()
    state["dense/kernel"] = convert(state["dense/kernel"])
    if state["dense/kernel"] is None:
        del state["dense/kernel"]
    with pytest.raises(error, match=match):
        setup.train(setup.native, state)
    with pytest.raises(error, match=match):
        setup.native.predict(state, setup.data, 4)


def test_read_only_state_is_rejected_where_it_is_written(setup):
    state = setup.state()
    for value in state.values():
        value.flags.writeable = False
    with pytest.raises(ValueError, match=r"updated in place but is read-only"):
        setup.train(setup.native, state)
    # Evaluating and predicting only read the state.
    setup.native.evaluate(state, setup.data, 4)
    setup.native.predict(state, setup.data, 4)


def test_read_only_data_is_fine(setup):
    data = {name: value.copy() for name, value in setup.data.items()}
    for value in data.values():
        value.flags.writeable = False
    setup.train(setup.native, setup.state(), data)


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"order": np.arange(1, SAMPLES + 1)}, ValueError, r"outside the data's 10"),
        ({"order": np.arange(-1, SAMPLES - 1)}, ValueError, r"outside the data's 10"),
        ({"order": np.arange(SAMPLES, dtype=float)}, TypeError, r"integer row indices"),
        ({"order": np.arange(SAMPLES).reshape(2, 5)}, ValueError, r"one-dimensional"),
        ({"order": np.arange(0)}, ValueError, r"must lie in range\(0, 0\)"),
        ({"batches": range(0, 4)}, ValueError, r"must lie in range\(0, 3\)"),
        ({"batches": range(-1, 2)}, ValueError, r"must lie in range\(0, 3\)"),
        ({"batches": range(2, 9)}, ValueError, r"must lie in range\(0, 3\)"),
        ({"batches": range(0, 3, 2)}, TypeError, r"range with step 1"),
        ({"batches": [0, 1]}, TypeError, r"range with step 1"),
        ({"batch_size": 0}, ValueError, r"positive integer"),
        ({"batch_size": 2.5}, ValueError, r"positive integer"),
        ({"step": 2**63}, ValueError, r"`step` does not fit"),
        ({"seed": 2**63 - 2}, ValueError, r"`seed` does not fit"),
    ],
    ids=[
        "order-past-end",
        "order-negative",
        "order-float",
        "order-2d",
        "order-empty",
        "batches-past-end",
        "batches-negative",
        "batches-far",
        "batches-step",
        "batches-list",
        "batch-size-zero",
        "batch-size-float",
        "step-overflow",
        "seed-overflow",
    ],
)
def test_bad_loop_arguments_never_reach_native_code(setup, changes, error, match):
    state = setup.state()
    before = {k: v.copy() for k, v in state.items()}
    with pytest.raises(error, match=match):
        setup.train(setup.native, state, **changes)
    for key, value in before.items():
        np.testing.assert_array_equal(state[key], value)


def test_an_order_shorter_than_the_data_trains_on_a_subset(setup):
    """``order`` picks rows; it need not cover the data (validation splits
    and single batches use part of it)."""
    reference = InterpreterExecutable(setup.programs)
    order = np.array([9, 0, 4, 4, 7], dtype=np.int32)
    expected_state, state = setup.state(), setup.state()
    expected = setup.train(reference, expected_state, order=order, batches=range(2))
    result = setup.train(setup.native, state, order=order, batches=range(2))
    for name in expected:
        np.testing.assert_allclose(result[name], expected[name], rtol=RTOL, atol=ATOL)
    for name in state:
        np.testing.assert_allclose(
            state[name], expected_state[name], rtol=RTOL, atol=ATOL
        )


def test_an_empty_range_of_batches_does_nothing(setup):
    state = setup.state()
    before = {k: v.copy() for k, v in state.items()}
    assert setup.train(setup.native, state, batches=range(2, 2)) == {}
    for key, value in before.items():
        np.testing.assert_array_equal(state[key], value)


def test_bad_batch_sizes_for_evaluate_and_predict(setup):
    for method in ("evaluate", "predict"):
        with pytest.raises(ValueError, match=r"positive integer"):
            getattr(setup.native, method)(setup.state(), setup.data, 0)
        with pytest.raises(ValueError, match=r"No data arrays"):
            getattr(setup.native, method)(setup.state(), {}, 4)


def test_statistics_keep_their_shapes():
    """Each statistic comes back in its own shape, as from the interpreter: a
    ``(1,)`` count stays ``(1,)`` (not 0-d) and a ``(T, L)`` one stays 2-D,
    also when the loop's spec is read back from the disk cache."""
    kg.utils.clear_session()
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [kg.Input((FEATURES,)), kg.layers.Dense(CLASSES, activation="sigmoid")]
    )
    model.compile(
        optimizer="sgd",
        loss="binary_crossentropy",
        metrics=[
            kg.metrics.Precision(),
            kg.metrics.Recall(thresholds=[0.3, 0.6]),
            kg.metrics.AUC(num_thresholds=5, multi_label=True, num_labels=CLASSES),
        ],
        backend="llvm",
    )
    rng = np.random.default_rng(0)
    output = model.output_names[0]
    data = {
        model.input_names[0]: rng.normal(size=(SAMPLES, FEATURES)).astype("float32"),
        f"target:{output}": (rng.random((SAMPLES, CLASSES)) > 0.5).astype("float32"),
        "sample_weight": np.ones(SAMPLES, dtype="float32"),
    }
    state = {v.path: v.numpy() for v in [*model.weights, *model.optimizer.variables]}

    def programs(kind: str, batch_size: int) -> Any:
        return model.compiled_program(kind, batch_size)

    expected = InterpreterExecutable(programs).evaluate(state, data, 4)
    shapes = {name: value.shape for name, value in expected.items()}
    assert shapes["stat:loss/total"] == ()
    assert shapes["stat:precision/true_positives"] == (1,)
    assert shapes["stat:recall/false_negatives"] == (2,)
    assert shapes["stat:auc/true_negatives"] == (5, CLASSES)
    fresh, cached = LLVMExecutable(programs), LLVMExecutable(programs)
    for executable in (fresh, cached):
        result = executable.evaluate(state, data, 4)
        assert {name: value.shape for name, value in result.items()} == shapes
        for name, value in expected.items():
            np.testing.assert_allclose(result[name], value, rtol=RTOL, atol=ATOL)
        trained = executable.train(
            {k: v.copy() for k, v in state.items()},
            data,
            np.arange(SAMPLES),
            4,
            range(3),
            0,
            0,
            0.1,
        )
        assert {name: value.shape for name, value in trained.items()} == shapes
    assert cached.loop("eval", 4, SAMPLES).ir_text == ""  # read from the cache


# -- through the model -----------------------------------------------------------------


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_model_rejects_misshapen_inputs_before_running(backend):
    model = _model(backend)
    x, y = _arrays()
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape"):
        model.predict(np.ones((4, 3)), verbose=0)
    with pytest.raises(ValueError, match=r"expected shape"):
        model.fit(x[:, :3], y, verbose=0)
    with pytest.raises(ValueError, match=r"expected shape"):
        model.evaluate(x[:, None], y, verbose=0)
    with pytest.raises(ValueError):
        model.fit(x, y[:, :2], verbose=0)
    with pytest.raises(ValueError, match=r"cardinality"):
        model.fit(x, y[:7], verbose=0)


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a.astype("float64"),
        lambda a: a.astype(">f4"),
        np.asfortranarray,
        lambda a: np.repeat(a, 2, axis=0)[::2],
        lambda a: a.tolist(),
    ],
    ids=["float64", "big-endian", "fortran", "strided", "list"],
)
def test_model_casts_data_of_other_dtypes_and_layouts(convert):
    x, y = _arrays()
    expected = _model().predict(x, verbose=0)
    np.testing.assert_array_equal(_model().predict(convert(x), verbose=0), expected)
    # Each model right before its fit: fit draws the shuffle from the seed.
    reference = _model()
    want = reference.fit(x, y, batch_size=3, epochs=1, verbose=0).history
    model = _model()
    got = model.fit(convert(x), convert(y), batch_size=3, epochs=1, verbose=0).history
    assert got == want
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.evaluate(convert(x), convert(y), verbose=0) == reference.evaluate(
        x, y, verbose=0
    )


def test_model_casts_integer_data():
    x = np.arange(SAMPLES * FEATURES).reshape(SAMPLES, FEATURES) % 3
    expected = _model().predict(x.astype("float32"), verbose=0)
    np.testing.assert_array_equal(_model().predict(x, verbose=0), expected)
    flags = x.astype(bool)
    np.testing.assert_array_equal(
        _model().predict(flags, verbose=0),
        _model().predict(flags.astype("float32"), verbose=0),
    )


def test_model_aligns_misaligned_data():
    x, _ = _arrays()
    expected = _model().predict(x, verbose=0)
    np.testing.assert_array_equal(_model().predict(_misaligned(x), verbose=0), expected)


def test_model_with_read_only_weights_fails_cleanly():
    model = _model()
    x, y = _arrays()
    model.predict(x, verbose=0)  # places the weights where the backend wants
    kernel = model.weights[0].value
    before = kernel.copy()
    kernel.flags.writeable = False
    try:
        model.predict(x, verbose=0)  # reading is fine
        with pytest.raises(ValueError, match=r"read-only"):
            model.fit(x, y, verbose=0)
        np.testing.assert_array_equal(kernel, before)
    finally:
        kernel.flags.writeable = True


# -- sparse labels out of range --------------------------------------------------------


def _sparse_model(backend: str) -> Any:
    kg.utils.clear_session()
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [kg.Input((FEATURES,)), kg.layers.Dense(CLASSES, activation="softmax")]
    )
    model.compile(
        optimizer="sgd",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
        backend=backend,
    )
    return model


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
@pytest.mark.parametrize("label", [CLASSES, -1, 100])
def test_out_of_range_sparse_labels_are_rejected_before_any_step(backend, label):
    model = _sparse_model(backend)
    x, _ = _arrays()
    labels = np.arange(SAMPLES) % CLASSES
    labels[4] = label
    before = model.get_weights()
    with pytest.raises(ValueError, match=rf"label value of {label}\b.*\[0, 3\)"):
        model.fit(x, labels, verbose=0)
    with pytest.raises(ValueError, match=r"outside the valid range"):
        model.evaluate(x, labels, verbose=0)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_out_of_range_labels_past_the_trainer_agree_on_both_backends():
    """Past the trainer's check (calling the executables directly), a label
    outside the classes one-hot encodes to a zero row on both backends:
    no crash, no out-of-bounds read, the same statistics."""
    model = _sparse_model("llvm")
    x, _ = _arrays()
    labels = (np.arange(SAMPLES) % CLASSES).astype("int32")
    labels[[1, 4]] = [CLASSES, -5]
    output = model.output_names[0]
    model.fit(x, np.arange(SAMPLES) % CLASSES, epochs=1, verbose=0)
    data = {
        model.input_names[0]: x,
        f"target:{output}": labels,
        "sample_weight": np.ones(SAMPLES, dtype="float32"),
    }

    def programs(kind: str, batch_size: int) -> Any:
        return model.compiled_program(kind, batch_size)

    state = {v.path: v.numpy() for v in [*model.weights, *model.optimizer.variables]}
    expected = InterpreterExecutable(programs).evaluate(state, data, 4)
    result = LLVMExecutable(programs).evaluate(state, data, 4)
    for name in expected:
        np.testing.assert_allclose(result[name], expected[name], rtol=RTOL, atol=ATOL)


# -- where the state lives --------------------------------------------------------


def test_placement_moves_state_onto_a_cache_line_and_leaves_aligned_state():
    """Native threads update different columns of a weight in place: the
    LLVM backend wants its data on a 64-byte line, so they never share one
    at the start; NumPy takes any array."""
    executable = LLVMExecutable(lambda kind, batch: None)
    raw = np.zeros(4 * 12 + 4, dtype=np.uint8)
    start = 4 if raw.ctypes.data % 64 != 60 else 8
    misaligned = raw[start : start + 48].view("float32").reshape(3, 4)
    storage = executable.placement(misaligned)
    assert storage.shape == (3, 4) and storage.dtype == np.float32
    assert storage.ctypes.data % 64 == 0 and storage.flags.c_contiguous
    assert executable.placement(storage) is None
    assert InterpreterExecutable(lambda kind, batch: None).placement(misaligned) is None


def test_fit_places_every_variable_on_a_cache_line():
    model = kg.Sequential([kg.layers.Input((3,)), kg.layers.Dense(5)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((8, 3), dtype="float32")
    before = model.predict(x, verbose=0)
    model.fit(x, np.zeros((8, 5), dtype="float32"), epochs=1, verbose=0)
    variables = model.weights + model.optimizer.variables
    assert all(v.value.ctypes.data % 64 == 0 for v in variables)
    # Predictions read the moved (and trained) weights.
    after = model.predict(x, verbose=0)
    np.testing.assert_allclose(
        after, x @ model.weights[0].numpy() + model.weights[1].numpy(), rtol=1e-5
    )
    assert not np.allclose(before, after)

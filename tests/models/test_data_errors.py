"""Bad input is refused with a clear ValueError before any graph runs; integer
and float64 data is accepted and cast."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph.backends import interpreter


@pytest.fixture
def no_graph_runs(monkeypatch):
    """Makes running any graph an error, so a test sees that the check came
    first."""

    def refuse(*args, **kwargs):
        raise AssertionError("a graph ran before the input was checked")

    monkeypatch.setattr(interpreter, "run", refuse)


def _model(units=3, loss="categorical_crossentropy", metrics=None, optimizer="sgd"):
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [kg.layers.Dense(units, activation="softmax", input_shape=(4,))]
    )
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, backend="numpy")
    return model


def _data(n=6, classes=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    labels = np.arange(n) % classes
    return x, labels, np.eye(classes, dtype="float32")[labels]


# -- shapes and lengths -------------------------------------------------------------


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize(
    ("shape", "shown"), [((6, 5), r"\(6, 5\)"), ((6,), r"\(6,\)"), ((6, 4, 1), "")]
)
def test_wrong_input_shape_names_expected_and_received(
    no_graph_runs, method, shape, shown
):
    model = _model()
    _, _, y = _data()
    x = np.zeros(shape, dtype="float32")
    args = (x,) if method == "predict" else (x, y)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\)") as info:
        getattr(model, method)(*args, verbose=0)
    assert f"found shape={shape}" in str(info.value)
    assert "incompatible" in str(info.value)


def test_a_static_batch_size_is_the_batch_not_the_data_length():
    # Input(batch_shape=...) fixes the size of each batch; x holds as many
    # samples as it likes (as in Keras), its other dimensions still count.
    inputs = kg.Input(batch_shape=(4, 3))
    model = kg.Model(inputs, kg.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    x = np.ones((12, 3), "float32")
    history = model.fit(x, x[:, :1], batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(x, batch_size=4, verbose=0).shape == (12, 1)
    with pytest.raises(ValueError, match=r"expected shape=\(4, 3\)"):
        model.predict(np.ones((12, 2)), batch_size=4, verbose=0)


def test_y_is_required_only_by_outputs_with_a_loss_or_metric():
    class Penalty(kg.layers.Layer):
        def call(self, inputs):
            self.add_loss(kg.ops.mean(kg.ops.square(inputs)))
            return inputs

    inputs = kg.Input(shape=(2,))
    model = kg.Model(inputs, Penalty()(kg.layers.Dense(2)(inputs)))
    x = np.ones((8, 2), "float32")
    # Only the added loss: fit and evaluate need no targets (as in Keras).
    model.compile(optimizer="sgd", backend="numpy")
    history = model.fit(x, epochs=2, batch_size=4, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    expected = np.mean(model.predict(x, verbose=0) ** 2)
    np.testing.assert_allclose(model.evaluate(x, verbose=0), expected, rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    with pytest.raises(ValueError, match="`y` is required"):
        model.fit(x, verbose=0)


def test_wrong_input_shape_of_one_of_several_inputs(no_graph_runs):
    a = kg.Input(shape=(3,), name="a")
    b = kg.Input(shape=(2,), name="b")
    out = kg.layers.Dense(1)(kg.layers.Concatenate()([a, b]))
    model = kg.Model([a, b], out)
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    x = [np.zeros((4, 3)), np.zeros((4, 5))]
    with pytest.raises(
        ValueError, match=r'Input 1 \("b"\).*expected shape=\(None, 2\)'
    ):
        model.fit(x, np.zeros((4, 1)), verbose=0)
    with pytest.raises(ValueError, match="2 x entries"):
        model.predict(np.zeros((4, 3)), verbose=0)
    with pytest.raises(ValueError, match=r"missing entries for \['b'\]"):
        model.predict({"a": np.zeros((4, 3))}, verbose=0)


def test_x_and_y_of_different_lengths(no_graph_runs):
    model = _model()
    x, _, y = _data()
    with pytest.raises(ValueError, match="Data cardinality is ambiguous") as info:
        model.fit(x, y[:5], verbose=0)
    assert ": 6" in str(info.value)
    assert ": 5" in str(info.value)
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.evaluate(x[:4], y, verbose=0)


def test_sample_weight_of_the_wrong_length(no_graph_runs):
    model = _model()
    x, _, y = _data()
    with pytest.raises(ValueError, match=r"sample_weight.*\(6,\)"):
        model.fit(x, y, sample_weight=np.ones(5), verbose=0)


def test_loss_that_does_not_fit_the_output(no_graph_runs):
    model = _model(units=10)
    x, _, _ = _data()
    y = np.eye(5, dtype="float32")[np.arange(6) % 5]
    before = model.get_weights()
    with pytest.raises(ValueError, match="categorical_crossentropy") as info:
        model.fit(x, y, verbose=0)
    message = str(info.value)
    assert "(None, 5)" in message
    assert "(None, 10)" in message
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_regression_targets_of_the_wrong_width(no_graph_runs):
    model = _model(units=3, loss="mse")
    x, _, _ = _data()
    with pytest.raises(ValueError, match=r"\(None, 2\).*\(None, 3\)"):
        model.fit(x, np.zeros((6, 2)), verbose=0)


def test_sparse_labels_outside_the_classes(no_graph_runs):
    model = _model(loss="sparse_categorical_crossentropy")
    x, _, _ = _data()
    with pytest.raises(ValueError, match=r"label value of 3 .*\[0, 3\)"):
        model.fit(x, np.array([0, 1, 2, 3, 4, 5]), verbose=0)
    with pytest.raises(ValueError, match=r"label value of -1"):
        model.evaluate(x, np.array([0, 1, 2, -1, 1, 0]), verbose=0)


def test_sparse_labels_may_hold_the_ignored_class():
    model = _model(
        loss=kg.losses.SparseCategoricalCrossentropy(ignore_class=-1),
    )
    x, _, _ = _data()
    loss = model.evaluate(x, np.array([0, 1, 2, -1, 1, 0]), verbose=0)
    assert np.isfinite(loss)


# -- names ------------------------------------------------------------------------


def test_unknown_optimizer_lists_valid_names():
    model = kg.Sequential([kg.layers.Dense(2, input_shape=(4,))])
    with pytest.raises(ValueError, match="optimizer") as info:
        model.compile(optimizer="adamx", loss="mse")
    assert "'adam'" in str(info.value)
    assert "'sgd'" in str(info.value)
    assert "adamx" in str(info.value)


def test_unknown_loss_lists_valid_names():
    model = kg.Sequential([kg.layers.Dense(2, input_shape=(4,))])
    with pytest.raises(ValueError, match="loss") as info:
        model.compile(optimizer="sgd", loss="crossent")
    assert "categorical_crossentropy" in str(info.value)
    assert "crossent" in str(info.value)


@pytest.mark.parametrize("built", [True, False])
def test_a_failed_compile_leaves_the_model_uncompiled(built):
    first = kg.layers.Dense(2, input_shape=(4,)) if built else kg.layers.Dense(2)
    model = kg.Sequential([first])
    with pytest.raises(ValueError, match="crossent"):
        model.compile(optimizer="sgd", loss="crossent")
    assert not model.compiled
    with pytest.raises(ValueError, match="compile"):
        model.fit(np.zeros((2, 4)), np.zeros((2, 2)), verbose=0)


def test_unknown_metric_lists_valid_names(no_graph_runs):
    model = _model(metrics=["acuracy"])
    x, _, y = _data()
    with pytest.raises(ValueError, match="metric") as info:
        model.fit(x, y, verbose=0)
    assert "accuracy" in str(info.value)
    assert "acuracy" in str(info.value)


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="activation") as info:
        kg.layers.Dense(2, activation="relux")
    assert "relu" in str(info.value)
    assert "softmax" in str(info.value)


def test_unknown_initializer_lists_valid_names():
    with pytest.raises(ValueError, match="initializer") as info:
        kg.layers.Dense(2, kernel_initializer="glorot")
    assert "glorot_uniform" in str(info.value)


def test_unknown_backend():
    model = kg.Sequential([kg.layers.Dense(2, input_shape=(4,))])
    with pytest.raises(ValueError, match="backend") as info:
        model.compile(optimizer="sgd", loss="mse", backend="cuda")
    assert "numpy" in str(info.value)


def test_loss_dict_naming_an_unknown_output():
    model = kg.Sequential([kg.layers.Dense(2, input_shape=(4,))])
    with pytest.raises(ValueError, match="does not have"):
        model.compile(optimizer="sgd", loss={"nope": "mse"})


# -- state and arguments ------------------------------------------------------------


@pytest.mark.parametrize(
    "method", ["fit", "evaluate", "train_on_batch", "test_on_batch"]
)
def test_training_before_compile(method):
    model = kg.Sequential([kg.layers.Dense(3, input_shape=(4,))])
    x, _, y = _data()
    kwargs = {"verbose": 0} if method in ("fit", "evaluate") else {}
    with pytest.raises(ValueError, match=r"You must call `compile\(\)`"):
        getattr(model, method)(x, y, **kwargs)


def test_empty_data(no_graph_runs):
    model = _model()
    with pytest.raises(ValueError, match="empty"):
        model.fit(np.zeros((0, 4)), np.zeros((0, 3)), verbose=0)
    with pytest.raises(ValueError, match="empty"):
        model.evaluate(np.zeros((0, 4)), np.zeros((0, 3)), verbose=0)
    with pytest.raises(ValueError, match="empty"):
        model.predict(np.zeros((0, 4)), verbose=0)


def test_missing_x_or_y(no_graph_runs):
    model = _model()
    x, _, _ = _data()
    with pytest.raises(ValueError, match="y"):
        model.fit(x, verbose=0)
    with pytest.raises(ValueError, match="x"):
        model.fit(None, verbose=0)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size(no_graph_runs, batch_size):
    model = _model()
    x, _, y = _data()
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=batch_size, verbose=0)


@pytest.mark.parametrize("split", [1.5, -0.1, 1e-17, 0.99])
def test_bad_validation_split(no_graph_runs, split):
    model = _model()
    x, _, y = _data()
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=split, verbose=0)


def test_bad_validation_data(no_graph_runs):
    model = _model()
    x, _, y = _data()
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(x, y, validation_data=x, verbose=0)
    with pytest.raises(ValueError, match="incompatible"):
        model.fit(x, y, validation_data=(np.zeros((3, 5)), y[:3]), verbose=0)


def test_non_numeric_data(no_graph_runs):
    model = _model()
    _, _, y = _data()
    with pytest.raises(TypeError, match="numbers"):
        model.fit(np.array([["a"] * 4] * 6), y, verbose=0)


# -- dtypes -------------------------------------------------------------------------


def _trained(x, y, sample_weight=None):
    model = _model(optimizer=kg.optimizers.SGD(learning_rate=0.1))
    history = model.fit(
        x, y, batch_size=4, shuffle=False, verbose=0, sample_weight=sample_weight
    )
    return history.history["loss"], model.get_weights(), model


def test_integer_and_float64_data_is_accepted_and_cast():
    rng = np.random.default_rng(1)
    x_int = rng.integers(-3, 4, size=(6, 4))
    _, _, y = _data()
    expected_loss, expected_weights, _ = _trained(x_int.astype("float32"), y)
    for x, target, weights in [
        (x_int, y, None),
        (x_int.astype("float64"), y.astype("float64"), None),
        (x_int.astype("int32"), y.astype("int64"), np.ones(6, dtype="int64")),
        (x_int.tolist(), y.tolist(), None),
    ]:
        loss, weights_after, model = _trained(x, target, weights)
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-6)
        for a, b in zip(weights_after, expected_weights, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6)
        predictions = model.predict(x, verbose=0)
        assert predictions.dtype == np.float32
        model.evaluate(x, target, verbose=0)


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_misaligned_and_strided_data_is_accepted(backend):
    model = _model()
    model.compile(optimizer="sgd", loss="categorical_crossentropy", backend=backend)
    x, _, y = _data()
    raw = np.zeros(x.nbytes + 1, dtype=np.uint8)
    misaligned = raw[1:].view(np.float32).reshape(x.shape)
    misaligned[...] = x
    assert not misaligned.flags.aligned
    strided = np.repeat(x, 2, axis=1)[:, ::2]
    expected = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(misaligned, verbose=0), expected)
    np.testing.assert_array_equal(model.predict(strided, verbose=0), expected)
    assert model.evaluate(misaligned, y, verbose=0) == model.evaluate(x, y, verbose=0)

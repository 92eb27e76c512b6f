"""Sequential: the three ways to give the input shape, building from the first
data (also after compile), add/pop, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg

# Every test runs on each backend (see conftest.py).
pytestmark = pytest.mark.usefixtures("backend")


def _xy(n=5):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 2))


@pytest.mark.no_native
def test_input_shape_on_the_first_layer():
    model = kg.Sequential([kg.layers.Dense(4, input_shape=(3,)), kg.layers.Dense(2)])
    assert model.built
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_input_first():
    model = kg.Sequential([kg.Input(shape=(3,)), kg.layers.Dense(2)])
    assert model.built
    assert len(model.layers) == 1  # the input layer is not listed, as in Keras
    x, _ = _xy()
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(
        model.predict(x, verbose=0), x @ kernel + bias, rtol=1e-5, atol=1e-6
    )


def test_add_builds_step_by_step():
    model = kg.Sequential()
    model.add(kg.Input(shape=(3,)))
    model.add(kg.layers.Dense(4, activation="relu"))
    model.add(kg.layers.Dense(2))
    assert [layer.units for layer in model.layers] == [4, 2]
    assert model.predict(_xy()[0], verbose=0).shape == (5, 2)


@pytest.mark.parametrize(
    "method", ["fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "call"]
)
def test_built_from_the_first_data_even_after_compile(method):
    model = kg.Sequential([kg.layers.Dense(4, activation="relu"), kg.layers.Dense(2)])
    assert not model.built
    model.compile(optimizer="sgd", loss="mse")
    x, y = _xy()
    if method in ("fit", "evaluate"):
        getattr(model, method)(x, y, verbose=0)
    elif method == "predict":
        model.predict(x, verbose=0)
    elif method == "call":
        model(x)
    else:
        getattr(model, method)(x, y)
    assert model.built
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4, 2), (2,)]
    # Training works on the built model, the optimizer knows every weight.
    history = model.fit(x, y, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert int(model.optimizer.iterations.value) >= 1


def test_compile_before_build_keeps_metrics():
    model = kg.Sequential([kg.layers.Dense(3, activation="softmax")])
    model.compile(
        optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2]]
    history = model.fit(x, y, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


def test_pop_and_add_after_training():
    model = kg.Sequential(
        [kg.Input(shape=(3,)), kg.layers.Dense(4), kg.layers.Dense(2)]
    )
    model.compile(optimizer="adam", loss="mse")
    x, y = _xy()
    model.fit(x, y, verbose=0)
    first = model.get_weights()[0]
    popped = model.pop()
    assert popped.units == 2
    assert model.predict(x, verbose=0).shape == (5, 4)
    model.add(kg.layers.Dense(2))
    # The new head trains, the kept layer keeps its trained weights.
    np.testing.assert_array_equal(model.get_weights()[0], first)
    history = model.fit(x, y, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    model.add(kg.layers.Dense(5))
    with pytest.raises(ValueError, match=r"\(None, 5\)"):
        model.fit(x, y, verbose=0)
    assert model.predict(x, verbose=0).shape == (5, 5)


@pytest.mark.no_native
def test_empty_model_errors():
    model = kg.Sequential()
    with pytest.raises(ValueError, match="no layers"):
        model.predict(np.zeros((2, 3)), verbose=0)
    with pytest.raises(TypeError, match="no layers"):
        model.pop()


@pytest.mark.no_native
def test_add_rejects_non_layers():
    model = kg.Sequential()
    with pytest.raises(TypeError, match="layer"):
        model.add("dense")
    model.add(kg.layers.Dense(2))
    with pytest.raises(ValueError, match="Input must come first"):
        model.add(kg.Input(shape=(3,)))


@pytest.mark.no_native
def test_data_without_a_feature_dimension_cannot_build():
    model = kg.Sequential([kg.layers.Dense(2)])
    with pytest.raises(ValueError, match="input shape"):
        model.predict(np.zeros(4), verbose=0)


def test_summary_of_a_model_not_built_yet(capsys):
    model = kg.Sequential([kg.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.summary()
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "(Dense)" in line)
    assert "│ ?" in row
    assert "0 (unbuilt)" in row
    assert "Total params: 0 (0.00 B)" in out
    assert "Optimizer params" not in out
    model.fit(*_xy(), verbose=0)
    model.summary()
    out = capsys.readouterr().out
    assert "(None, 2)" in out
    assert "Optimizer params" in out

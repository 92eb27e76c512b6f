"""``Rescaling`` and ``Normalization``: Keras's formulas (transcribed in
NumPy below), ``adapt`` on arrays and iterables of batches, both backends,
configs, saving, and a model written by Keras 3.15.1
(``tools/keras_fixture_preprocessing.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

DATA = Path(__file__).resolve().parents[2] / "data"


def keras_normalize(x, mean, variance, invert=False):
    """Keras's Normalization.call: the deviation is floored at 1e-7."""
    deviation = np.maximum(np.sqrt(variance), np.float32(1e-7))
    return mean + x * deviation if invert else (x - mean) / deviation


def keras_running_moments(batches, reduce_axis):
    """Keras's adapt over an iterable: running weighted mean and variance."""
    total_mean = total_var = None
    total_count = 0
    for batch in batches:
        batch = np.asarray(batch, "float32")
        mean = np.mean(batch, axis=reduce_axis)
        var = np.var(batch, axis=reduce_axis)
        count = int(np.prod([batch.shape[a] for a in reduce_axis]))
        if total_mean is None:
            total_mean, total_var = np.zeros_like(mean), np.zeros_like(var)
        total_count += count
        weight = np.float32(count / total_count)
        existing = np.float32(1.0) - weight
        new_mean = total_mean * existing + mean * weight
        total_var = (total_var + (total_mean - new_mean) ** 2) * existing + (
            var + (mean - new_mean) ** 2
        ) * weight
        total_mean = new_mean
    return total_mean, total_var


def _predict(layer, data, backend):
    """``Input -> layer`` predicted on ``backend`` (the fixture's default)."""
    del backend
    x = kg.Input(shape=data.shape[1:], dtype=str(data.dtype))
    return kg.Model(x, layer(x)).predict(data, verbose=0)


# -- Rescaling ----------------------------------------------------------------


def test_rescaling_standard_checks():
    run_layer_test(
        layers.Rescaling,
        {"scale": 0.5, "offset": 1.0},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
    )


def test_rescaling_turns_integers_into_scaled_floats():
    out = layers.Rescaling(1.0 / 255)(np.array([[0, 51, 255]], "int32")).numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 0.2, 1.0]], rtol=1e-6)


def test_rescaling_per_channel_scale_and_offset(rng, backend):
    data = rng.uniform(0, 255, size=(4, 3, 3, 2)).astype("float32")
    layer = layers.Rescaling([0.5, 2.0], offset=[-1.0, 3.0])
    expected = data * np.float32([0.5, 2.0]) + np.float32([-1.0, 3.0])
    np.testing.assert_allclose(_predict(layer, data, backend), expected, rtol=1e-6)


def test_rescaling_config_round_trip():
    layer = layers.Rescaling(1.0 / 127.5, offset=-1, name="scale")
    config = layer.get_config()
    assert config["scale"] == 1.0 / 127.5 and config["offset"] == -1.0
    assert layers.Rescaling.from_config(config).get_config() == config


def test_rescaling_rejects_a_non_number():
    with pytest.raises(ValueError, match=r"`scale` must be a number"):
        layers.Rescaling("big")


# -- Normalization with adapt -------------------------------------------------


def test_normalization_adapt_on_an_array_uses_keras_statistics(rng):
    data = rng.normal(3.0, 2.0, size=(50, 4)).astype("float32")
    layer = layers.Normalization()
    layer.adapt(data)
    np.testing.assert_array_equal(layer.weights[0].numpy(), np.mean(data, axis=0))
    np.testing.assert_array_equal(layer.weights[1].numpy(), np.var(data, axis=0))
    expected = keras_normalize(data, np.mean(data, 0), np.var(data, 0))
    np.testing.assert_allclose(layer(data).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_normalization_weights_are_keras_named_and_non_trainable():
    layer = layers.Normalization(name="norm")
    layer.build((None, 5))
    assert [w.path for w in layer.weights] == [
        "norm/mean",
        "norm/variance",
        "norm/count",
    ]
    assert [w.dtype for w in layer.weights] == ["float32", "float32", "int32"]
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 3


def test_normalization_adapt_on_batches_combines_them_as_keras(rng):
    batches = [rng.normal(1.0, 3.0, size=(n, 2, 3)).astype("float32") for n in (7, 4)]
    layer = layers.Normalization(axis=(1, 2))
    layer.adapt(iter(batches))
    mean, var = keras_running_moments(batches, (0,))
    np.testing.assert_allclose(layer.weights[0].numpy(), mean, rtol=1e-6)
    np.testing.assert_allclose(layer.weights[1].numpy(), var, rtol=1e-6)
    whole = np.concatenate(batches)
    np.testing.assert_allclose(mean, np.mean(whole, 0), rtol=1e-5, atol=1e-6)


def test_normalization_adapt_takes_the_inputs_of_pairs(rng):
    data = rng.normal(size=(6, 3)).astype("float32")
    layer = layers.Normalization()
    layer.adapt([(data[:3], np.zeros(3)), (data[3:], np.zeros(3))])
    np.testing.assert_allclose(layer.weights[0].numpy(), data.mean(0), rtol=1e-5)


def test_normalization_axis_none_has_one_statistic(rng):
    data = rng.normal(size=(5, 3)).astype("float32")
    layer = layers.Normalization(axis=None)
    layer.adapt(data)
    assert layer.weights[0].shape == ()
    np.testing.assert_allclose(
        layer(data).numpy(),
        keras_normalize(data, data.mean(), data.var()),
        rtol=1e-5,
        atol=1e-6,
    )


def test_normalization_with_given_statistics_and_invert(rng, backend):
    data = rng.normal(size=(4, 2, 3)).astype("float32")
    mean, variance = [1.0, 2.0, 3.0], [4.0, 0.0, 0.25]
    forward = layers.Normalization(mean=mean, variance=variance)
    assert forward.get_config()["mean"] == mean
    expected = keras_normalize(data, np.float32(mean), np.float32(variance))
    np.testing.assert_allclose(_predict(forward, data, backend), expected, rtol=1e-5)
    inverse = layers.Normalization(mean=mean, variance=variance, invert=True)
    np.testing.assert_allclose(
        _predict(inverse, data, backend),
        keras_normalize(data, np.float32(mean), np.float32(variance), invert=True),
        rtol=1e-5,
    )
    assert forward.weights == []


def test_normalization_adapted_in_a_model_on_both_backends(rng, backend):
    data = rng.normal(2.0, 5.0, size=(16, 3, 4)).astype("float32")
    layer = layers.Normalization(axis=-1)
    layer.adapt(data)
    expected = keras_normalize(data, data.mean((0, 1)), data.var((0, 1)))
    np.testing.assert_allclose(
        _predict(layer, data, backend), expected, rtol=1e-5, atol=1e-5
    )


def test_normalization_adapt_after_compile_is_seen_by_predict(rng, backend):
    data = rng.normal(4.0, 2.0, size=(8, 3)).astype("float32")
    x = kg.Input(shape=(3,))
    layer = layers.Normalization()
    model = kg.Model(x, layer(x))
    np.testing.assert_allclose(model.predict(data, verbose=0), data, rtol=1e-6)
    layer.adapt(data)
    expected = keras_normalize(data, data.mean(0), data.var(0))
    np.testing.assert_allclose(
        model.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-5
    )


def test_normalization_statistics_do_not_train(rng):
    data = rng.normal(size=(8, 3)).astype("float32")
    x = kg.Input(shape=(3,))
    layer = layers.Normalization()
    layer.adapt(data)
    model = kg.Model(x, layers.Dense(1)(layer(x)))
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    before = [w.numpy().copy() for w in layer.weights]
    model.fit(data, np.ones((8, 1), "float32"), verbose=0)
    for old, new in zip(before, layer.weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mean": [1.0]}, r"both `mean` and `variance` must be set"),
        ({"mean": [1.0], "variance": [1.0, 2.0]}, r"must have the same shape"),
        ({"mean": [[1.0]], "variance": [[1.0]]}, r"rank of `mean`"),
        ({"axis": "last"}, r"`axis` must be an int"),
    ],
)
def test_normalization_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.Normalization(**kwargs)


def test_normalization_adapt_rejects_data_of_another_shape(rng):
    layer = layers.Normalization()
    layer.adapt(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=r"incompatible shape"):
        layer.adapt(rng.normal(size=(4, 5)))
    with pytest.raises(ValueError, match=r"empty iterable"):
        layers.Normalization().adapt([])


def test_normalization_unknown_kept_axis_is_refused():
    with pytest.raises(ValueError, match=r"must have a known size"):
        layers.Normalization(axis=1)(kg.Input(shape=(None, 3)))


def test_normalization_config_round_trip():
    layer = layers.Normalization(axis=(1, 2), name="n")
    config = layer.get_config()
    assert config["axis"] == (1, 2) and config["mean"] is None
    assert not config["invert"]
    assert layers.Normalization.from_config(config).get_config() == config


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_an_adapted_model_saves_and_loads(rng, tmp_path, suffix):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    data = rng.uniform(0, 255, size=(6, 4, 4, 3)).astype("float32")
    x = kg.Input(shape=(4, 4, 3))
    norm = layers.Normalization()
    norm.adapt(data / 255.0)
    y = layers.Dense(2)(norm(layers.Rescaling(1.0 / 255)(x)))
    model = kg.Model(x, y)
    expected = model.predict(data, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    loaded = kg.models.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, rtol=1e-6)


# -- a model written by Keras ---------------------------------------------------


def test_keras_model_with_rescaling_and_adapted_normalization(backend):
    pytest.importorskip("h5py")
    fixture = np.load(DATA / "keras_preprocessing.npz")
    model = kg.models.load_model(DATA / "keras_preprocessing.keras")
    assert [type(layer).__name__ for layer in model.layers[1:3]] == [
        "Rescaling",
        "Normalization",
    ]
    predicted = model.predict(fixture["x"], verbose=0)
    np.testing.assert_allclose(predicted, fixture["y"], rtol=1e-4, atol=1e-5)

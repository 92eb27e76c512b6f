"""``HashedCrossing``: TensorFlow's ``sparse.cross_hashed`` for integer
features (a Python transcription below, and bins TensorFlow computed), on
both backends; one-hot output; configs and saving; argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers

MASK = (1 << 64) - 1
MUL = 0xC6A4A7935BD1E995


def mix(value):
    return value ^ (value >> 47)


def fingerprint_cat(first, second):
    result = first ^ MUL
    result ^= (mix((second * MUL) & MASK) * MUL) & MASK
    result = (result * MUL) & MASK
    result = (mix(result) * MUL) & MASK
    return mix(result)


def cross(values, bins):
    hashed = 0xDECAFCAFFE
    for value in values:
        hashed = fingerprint_cat(hashed, int(value) & MASK)
    return hashed % bins


FIRST = np.array([1, 5, -3, 123456789012, 0, -(2**40)], "int64")
SECOND = np.array([7, 0, 2, -9, 0, 3], "int64")


def test_known_bins_from_tensorflow():
    # tf.sparse.cross_hashed([[1], [5], [-3], [123456789012]], ...) gave these.
    out = layers.HashedCrossing(1000)((FIRST[:4], SECOND[:4])).numpy()
    assert out.tolist() == [889, 44, 105, 827]
    assert out.dtype == np.int64


@pytest.mark.parametrize("bins", [1, 7, 1000, 2**31 - 1])
def test_matches_the_transcription(bins):
    third = np.arange(6, dtype="int64") * 11
    out = layers.HashedCrossing(bins)((FIRST, SECOND, third)).numpy()
    expected = [cross(v, bins) for v in zip(FIRST, SECOND, third, strict=True)]
    assert out.tolist() == expected


def test_one_hot_replaces_a_trailing_axis_of_one():
    layer = layers.HashedCrossing(7, output_mode="one_hot")
    out = layer((FIRST[:, None], SECOND[:, None])).numpy()
    assert out.shape == (6, 7) and out.dtype == np.float32
    expected = [cross(v, 7) for v in zip(FIRST, SECOND, strict=True)]
    np.testing.assert_array_equal(out.argmax(-1), expected)
    assert layer.compute_output_shape([(None, 1), (None, 1)]) == (None, 7)


def test_crosses_in_a_model_on_both_backends(backend):
    first = kg.Input(shape=(1,), dtype="int64")
    second = kg.Input(shape=(1,), dtype="int32")
    model = kg.Model([first, second], layers.HashedCrossing(97)([first, second]))
    model.compile(backend=backend)
    out = model.predict([FIRST[:, None], SECOND[:, None].astype("int32")], verbose=0)
    expected = [cross(v, 97) for v in zip(FIRST, SECOND, strict=True)]
    assert out.ravel().tolist() == expected


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_save_and_load(tmp_path, suffix):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    first = kg.Input(shape=(1,), dtype="int64")
    second = kg.Input(shape=(1,), dtype="int64")
    layer = layers.HashedCrossing(11, output_mode="one_hot")
    model = kg.Model([first, second], layer([first, second]))
    model.save(tmp_path / f"m{suffix}")
    loaded = kg.models.load_model(tmp_path / f"m{suffix}")
    data = [FIRST[:, None], SECOND[:, None]]
    np.testing.assert_array_equal(
        loaded.predict(data, verbose=0), model.predict(data, verbose=0)
    )


def test_config_round_trip():
    layer = layers.HashedCrossing(5, output_mode="one_hot")
    config = layer.get_config()
    assert config["num_bins"] == 5 and config["output_mode"] == "one_hot"
    assert config["sparse"] is False and config["dtype"] is not None
    assert layers.HashedCrossing.from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: layers.HashedCrossing(0), r"num_bins"),
        (lambda: layers.HashedCrossing(3, output_mode="count"), r"output_mode"),
        (lambda: layers.HashedCrossing(3, sparse=True), r"sparse"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ([FIRST], r"at least two"),
        ([FIRST, SECOND[:3]], r"identical"),
        ([np.zeros((2, 2), "int64")] * 2, r"\(batch, 1\)"),
    ],
)
def test_bad_inputs(inputs, message):
    with pytest.raises(ValueError, match=message):
        layers.HashedCrossing(5)(inputs)


def test_float_features_are_rejected():
    features = [kg.Input(shape=(1,), dtype="float32"), kg.Input(shape=(1,))]
    with pytest.raises(ValueError, match=r"integer dtype"):
        layers.HashedCrossing(5)(features)

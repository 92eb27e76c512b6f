"""``Flatten`` and ``Reshape``: they keep the batch dimension."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test


def _predict(layer, data):
    x = kg.Input(shape=data.shape[1:])
    return kg.Model(x, layer(x)).predict(data, verbose=0)


# -- Flatten ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("input_shape", "output_shape"),
    [((2, 3, 4, 5), (2, 60)), ((2, 3, 4), (2, 12)), ((2, 3), (2, 3)), ((2,), (2, 1))],
)
def test_flatten_standard_checks(input_shape, output_shape):
    run_layer_test(
        layers.Flatten,
        {},
        input_shape=input_shape,
        expected_output_shape=output_shape,
    )


def test_flatten_channels_first_standard_checks():
    run_layer_test(
        layers.Flatten,
        {"data_format": "channels_first"},
        input_shape=(2, 3, 4, 5),
        expected_output_shape=(2, 60),
    )


def test_flatten_of_rank4_is_a_row_major_reshape(rng):
    data = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    expected = data.reshape(2, 60)
    np.testing.assert_array_equal(layers.Flatten()(data).numpy(), expected)
    np.testing.assert_array_equal(_predict(layers.Flatten(), data), expected)


def test_flatten_channels_first_flattens_like_channels_last(rng):
    channels_last = rng.normal(size=(2, 4, 5, 3)).astype("float32")
    channels_first = np.transpose(channels_last, (0, 3, 1, 2))
    layer = layers.Flatten(data_format="channels_first")
    expected = channels_last.reshape(2, -1)
    np.testing.assert_array_equal(layer(channels_first).numpy(), expected)
    np.testing.assert_array_equal(_predict(layer, channels_first), expected)


def test_flatten_of_rank1_adds_an_axis():
    out = layers.Flatten()(np.array([1.0, 2.0, 3.0], "float32"))
    np.testing.assert_array_equal(out.numpy(), [[1.0], [2.0], [3.0]])


def test_flatten_keeps_a_fixed_batch_size():
    assert layers.Flatten()(kg.Input(shape=(2, 3), batch_size=4)).shape == (4, 6)


def test_flatten_config_has_keras_data_format_default():
    config = layers.Flatten().get_config()
    assert config["data_format"] == "channels_last"


def test_flatten_rejects_an_unknown_data_format():
    with pytest.raises(ValueError, match=r"`data_format` argument must be one of"):
        layers.Flatten(data_format="channels_middle")


def test_flatten_needs_known_non_batch_dimensions():
    with pytest.raises(
        ValueError,
        match=r'Layer "flatten" \(Flatten\) needs every non-batch dimension '
        r"to be known",
    ):
        layers.Flatten()(kg.Input(shape=(None, 3)))


def test_flatten_then_dense_trains(rng):
    model = kg.Sequential(
        [kg.Input(shape=(2, 3, 2)), layers.Flatten(), layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    history = model.fit(
        rng.normal(size=(4, 2, 3, 2)), rng.normal(size=(4, 1)), verbose=0
    )
    assert np.isfinite(history.history["loss"][0])
    assert model.layers[-1].kernel.shape == (12, 1)


# -- Reshape ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target_shape", "input_shape", "output_shape"),
    [
        ((3, 2), (2, 6), (2, 3, 2)),
        ((-1, 2), (2, 6), (2, 3, 2)),
        ((3, -1), (2, 6), (2, 3, 2)),
        ((-1,), (2, 3, 4), (2, 12)),
        ((2, 2, 3), (2, 3, 4), (2, 2, 2, 3)),
    ],
)
def test_reshape_standard_checks(target_shape, input_shape, output_shape):
    run_layer_test(
        layers.Reshape,
        {"target_shape": target_shape},
        input_shape=input_shape,
        expected_output_shape=output_shape,
    )


def test_reshape_is_row_major_per_sample(rng):
    data = rng.normal(size=(3, 12)).astype("float32")
    expected = data.reshape(3, 2, 3, 2)
    layer = layers.Reshape((2, -1, 2))
    np.testing.assert_array_equal(layer(data).numpy(), expected)
    np.testing.assert_array_equal(_predict(layer, data), expected)


def test_reshape_infers_minus_one_symbolically():
    assert layers.Reshape((-1, 4))(kg.Input(shape=(2, 6))).shape == (None, 3, 4)


def test_reshape_keeps_a_fixed_batch_size():
    assert layers.Reshape((2, 3))(kg.Input(shape=(6,), batch_size=5)).shape == (
        5,
        2,
        3,
    )


def test_reshape_config_round_trips_as_a_tuple():
    config = layers.Reshape([2, -1]).get_config()
    assert config["target_shape"] == (2, -1)
    assert layers.Reshape.from_config(config).target_shape == (2, -1)


def test_reshape_that_cannot_fit_names_the_layer():
    with pytest.raises(
        ValueError,
        match=r'Layer "reshape" \(Reshape\) cannot reshape an input of shape '
        r"\(None, 6\) \(6 values per sample\) to \(4,\)",
    ):
        layers.Reshape((4,))(kg.Input(shape=(6,)))


def test_reshape_whose_minus_one_cannot_divide():
    with pytest.raises(
        ValueError, match=r"6 values per sample are not a multiple of 4"
    ):
        layers.Reshape((4, -1))(kg.Input(shape=(6,)))


def test_reshape_that_cannot_fit_eagerly():
    with pytest.raises(ValueError, match=r"cannot reshape an input of shape \(2, 6\)"):
        layers.Reshape((5,))(np.ones((2, 6), "float32"))


def test_reshape_rejects_two_minus_ones():
    with pytest.raises(ValueError, match=r"must not contain more than one `-1` value"):
        layers.Reshape((-1, -1))


@pytest.mark.parametrize("target_shape", [(0, 2), (-2, 3)])
def test_reshape_rejects_zero_and_negative_sizes(target_shape):
    with pytest.raises(ValueError, match=r"needs positive sizes"):
        layers.Reshape(target_shape)


def test_reshape_cannot_infer_minus_one_from_unknown_dimensions():
    with pytest.raises(
        ValueError, match=r"cannot infer the -1 in target_shape=\(-1,\)"
    ):
        layers.Reshape((-1,))(kg.Input(shape=(None, 2)))


# -- Permute and RepeatVector -------------------------------------------------------


def test_permute_standard_checks():
    run_layer_test(
        layers.Permute,
        {"dims": (2, 1)},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 4, 3),
        backends=("numpy", "llvm"),
    )


@pytest.mark.parametrize("dims", [(1, 2, 3), (3, 1, 2), (2, 3, 1)])
@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_permute_matches_numpy(rng, dims, backend):
    data = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    expected = np.transpose(data, (0, *dims))
    layer = layers.Permute(dims)
    np.testing.assert_array_equal(layer(data).numpy(), expected)
    x = kg.Input(shape=(3, 4, 5))
    model = kg.Model(x, layer(x))
    model.compile(loss="mse", backend=backend)
    np.testing.assert_array_equal(model.predict(data, verbose=0), expected)


def test_permute_config_and_errors():
    layer = layers.Permute((2, 1))
    assert layer.get_config()["dims"] == [2, 1]
    assert layers.Permute.from_config(layer.get_config()).dims == (2, 1)
    with pytest.raises(ValueError, match="consecutive"):
        layers.Permute((0, 1))


def test_repeat_vector_standard_checks():
    run_layer_test(
        layers.RepeatVector,
        {"n": 3},
        input_shape=(2, 4),
        expected_output_shape=(2, 3, 4),
        backends=("numpy", "llvm"),
    )


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_repeat_vector_matches_numpy(rng, backend):
    data = rng.normal(size=(2, 4)).astype("float32")
    expected = np.repeat(data[:, None, :], 3, axis=1)
    x = kg.Input(shape=(4,))
    model = kg.Model(x, layers.RepeatVector(3)(x))
    model.compile(loss="mse", backend=backend)
    np.testing.assert_array_equal(model.predict(data, verbose=0), expected)


def test_repeat_vector_config_and_errors():
    assert layers.RepeatVector(3).get_config()["n"] == 3
    with pytest.raises(TypeError, match="integer"):
        layers.RepeatVector(2.5)

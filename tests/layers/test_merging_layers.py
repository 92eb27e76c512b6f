"""Merging layers: ``Add``, ``Subtract``, ``Multiply``, ``Average``,
``Maximum``, ``Minimum``, ``Concatenate`` and ``Dot``."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

ELEMENTWISE = {
    layers.Add: lambda xs: functools.reduce(np.add, xs),
    layers.Subtract: lambda xs: xs[0] - xs[1],
    layers.Multiply: lambda xs: functools.reduce(np.multiply, xs),
    layers.Average: lambda xs: sum(xs) / len(xs),
    layers.Maximum: lambda xs: functools.reduce(np.maximum, xs),
    layers.Minimum: lambda xs: functools.reduce(np.minimum, xs),
}
MANY_INPUTS = [c for c in ELEMENTWISE if c is not layers.Subtract]


def _predict(layer, arrays):
    inputs = [kg.Input(shape=a.shape[1:]) for a in arrays]
    return kg.Model(inputs, layer(inputs)).predict(arrays, verbose=0)


def _arrays(rng, *shapes):
    return [rng.normal(size=s).astype("float32") for s in shapes]


# -- elementwise merges -------------------------------------------------------


@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_elementwise_merge_standard_checks(cls):
    run_layer_test(cls, {}, input_shape=[(2, 3), (2, 3)], expected_output_shape=(2, 3))


@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_elementwise_merge_standard_checks_rank3(cls):
    run_layer_test(
        cls, {}, input_shape=[(2, 4, 3), (2, 4, 3)], expected_output_shape=(2, 4, 3)
    )


@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_elementwise_merge_matches_numpy(rng, cls):
    arrays = _arrays(rng, (4, 5), (4, 5))
    expected = ELEMENTWISE[cls](arrays)
    np.testing.assert_allclose(cls()(arrays).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(_predict(cls(), arrays), expected, rtol=1e-6)


@pytest.mark.parametrize("cls", MANY_INPUTS)
def test_elementwise_merge_of_three_inputs(rng, cls):
    arrays = _arrays(rng, (2, 3), (2, 3), (2, 3))
    expected = ELEMENTWISE[cls](arrays)
    np.testing.assert_allclose(cls()(arrays).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(_predict(cls(), arrays), expected, rtol=1e-6)


@pytest.mark.parametrize("cls", MANY_INPUTS)
def test_elementwise_merge_of_one_input_returns_it_like_keras3(rng, cls):
    (array,) = _arrays(rng, (2, 3))
    np.testing.assert_allclose(cls()([array]).numpy(), array, rtol=1e-6)
    np.testing.assert_allclose(_predict(cls(), [array]), array, rtol=1e-6)


@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_elementwise_merge_broadcasts_size_one_axes(rng, cls):
    arrays = _arrays(rng, (3, 4), (3, 1))
    expected = ELEMENTWISE[cls](arrays)
    np.testing.assert_allclose(_predict(cls(), arrays), expected, rtol=1e-6)


def test_merge_of_different_ranks_inserts_axes_after_the_batch(rng):
    # Keras expands the lower-rank input at axis 1: (b, 3) -> (b, 1, 3).
    low, high = _arrays(rng, (2, 3), (2, 4, 3))
    expected = low[:, None, :] + high
    np.testing.assert_allclose(layers.Add()([low, high]).numpy(), expected)
    np.testing.assert_allclose(_predict(layers.Add(), [low, high]), expected)
    assert layers.Add()([kg.Input(shape=(3,)), kg.Input(shape=(4, 3))]).shape == (
        None,
        4,
        3,
    )


@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_merge_of_a_single_tensor_is_an_error(cls):
    with pytest.raises(ValueError, match=r"must be called on a list of inputs"):
        cls()(kg.Input(shape=(3,)))


@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_built_merge_called_on_a_single_tensor_is_an_error(cls):
    layer = cls()
    layer([kg.Input(shape=(3,)), kg.Input(shape=(3,))])
    with pytest.raises(ValueError, match=r"must be called on a list of inputs"):
        layer(kg.Input(shape=(3,)))


@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_merge_of_incompatible_shapes_names_the_layer(cls):
    name = cls().name  # consume the first name, to see the numbering
    with pytest.raises(
        ValueError,
        match=rf'Layer "{name}_1" \({cls.__name__}\) needs inputs of compatible '
        r"shapes. Received: input shapes \[\(None, 3\), \(None, 4\)\]",
    ):
        cls()([kg.Input(shape=(3,)), kg.Input(shape=(4,))])


def test_merge_checks_shapes_on_every_call():
    layer = layers.Add()
    layer([kg.Input(shape=(3,)), kg.Input(shape=(3,))])
    with pytest.raises(ValueError, match=r"needs inputs of compatible shapes"):
        layer([kg.Input(shape=(3,)), kg.Input(shape=(5,))])


def test_merge_of_different_batch_sizes_is_an_error():
    with pytest.raises(ValueError, match=r"cannot merge tensors with different batch"):
        layers.Add()([np.ones((2, 3), "float32"), np.ones((1, 3), "float32")])


def test_merge_of_an_empty_list_is_an_error():
    with pytest.raises(ValueError, match=r"must be called on a list of inputs"):
        layers.Add()([])


def test_subtract_needs_exactly_two_inputs():
    a, b, c = (kg.Input(shape=(2,)) for _ in range(3))
    with pytest.raises(ValueError, match=r"expects exactly 2 inputs. Received: 3"):
        layers.Subtract()([a, b, c])
    with pytest.raises(ValueError, match=r"expects exactly 2 inputs. Received: 1"):
        layers.Subtract()([a])


def test_merge_of_int_inputs_stays_int():
    out = layers.Add()([np.array([[1, 2]], "int32"), np.array([[3, 4]], "int32")])
    assert out.dtype == "int32"
    np.testing.assert_array_equal(out.numpy(), [[4, 6]])


def test_merge_in_a_model_trains(rng):
    a = kg.Input(shape=(3,))
    b = kg.Input(shape=(3,))
    merged = layers.Multiply()([layers.Dense(4)(a), layers.Dense(4)(b)])
    model = kg.Model([a, b], layers.Dense(1)(merged))
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    before = model.get_weights()
    history = model.fit(
        _arrays(rng, (8, 3), (8, 3)), rng.normal(size=(8, 1)), verbose=0
    )
    assert np.isfinite(history.history["loss"][0])
    changed = [
        not np.array_equal(x, y)
        for x, y in zip(before, model.get_weights(), strict=True)
    ]
    assert all(changed)


# -- Concatenate --------------------------------------------------------------


@pytest.mark.parametrize(
    ("axis", "input_shape", "output_shape"),
    [
        (-1, [(2, 3), (2, 4)], (2, 7)),
        (1, [(2, 3, 4), (2, 5, 4)], (2, 8, 4)),
        (-2, [(2, 3, 4), (2, 1, 4), (2, 2, 4)], (2, 6, 4)),
        (2, [(2, 3, 1), (2, 3, 2)], (2, 3, 3)),
    ],
)
def test_concatenate_standard_checks(axis, input_shape, output_shape):
    run_layer_test(
        layers.Concatenate,
        {"axis": axis},
        input_shape=input_shape,
        expected_output_shape=output_shape,
    )


@pytest.mark.parametrize("axis", [-1, 1, 2, -2])
def test_concatenate_matches_numpy(rng, axis):
    shapes = [(2, 3, 4), (2, 3, 4)]
    arrays = _arrays(rng, *shapes)
    expected = np.concatenate(arrays, axis=axis)
    layer = layers.Concatenate(axis=axis)
    np.testing.assert_array_equal(layer(arrays).numpy(), expected)
    np.testing.assert_array_equal(
        _predict(layers.Concatenate(axis=axis), arrays), expected
    )


def test_concatenate_default_axis_is_minus_one():
    assert layers.Concatenate().axis == -1
    assert layers.Concatenate().get_config()["axis"] == -1


def test_concatenate_of_one_input_like_keras3(rng):
    (array,) = _arrays(rng, (2, 3))
    np.testing.assert_array_equal(layers.Concatenate()([array]).numpy(), array)


def test_concatenate_mismatch_names_the_layer():
    with pytest.raises(
        ValueError,
        match=r'Layer "concatenate" \(Concatenate\) requires inputs with matching '
        r"shapes except for the concatenation axis -1",
    ):
        layers.Concatenate()([kg.Input(shape=(3, 2)), kg.Input(shape=(4, 3))])


def test_concatenate_of_different_ranks_is_an_error():
    with pytest.raises(ValueError, match=r"requires inputs with matching shapes"):
        layers.Concatenate()([kg.Input(shape=(3, 2)), kg.Input(shape=(4,))])


def test_concatenate_axis_out_of_range_is_an_error():
    with pytest.raises(
        ValueError, match=r"got axis=3, out of range for inputs of rank"
    ):
        layers.Concatenate(axis=3)([kg.Input(shape=(2,)), kg.Input(shape=(2,))])


def test_concatenate_rejects_a_non_integer_axis():
    with pytest.raises(ValueError, match=r"`axis` must be an integer"):
        layers.Concatenate(axis=1.0)


def test_concatenate_of_a_single_tensor_is_an_error():
    with pytest.raises(ValueError, match=r"must be called on a list of inputs"):
        layers.Concatenate()(kg.Input(shape=(3,)))


# -- Dot ----------------------------------------------------------------------


def _batch_dot(x, y, x_axis, y_axis):
    """A transcription of Keras's ``batch_dot`` output layout: x's axes
    without the summed one, then y's without the batch and summed ones."""
    out = np.stack(
        [np.tensordot(x[i], y[i], axes=(x_axis - 1, y_axis - 1)) for i in range(len(x))]
    )
    return out.reshape(len(x), 1) if out.ndim == 1 else out


@pytest.mark.parametrize(
    ("axes", "input_shape", "output_shape"),
    [
        (1, [(2, 3), (2, 3)], (2, 1)),
        (-1, [(2, 3), (2, 3)], (2, 1)),
        ((1, 2), [(2, 3, 4), (2, 5, 3)], (2, 4, 5)),
        ((2, 2), [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
        ((2, 1), [(2, 3, 4), (2, 4)], (2, 3)),
        ((1, 1), [(2, 4), (2, 4, 5)], (2, 5)),
        ((3, 1), [(2, 3, 4, 5), (2, 5, 6, 2)], (2, 3, 4, 6, 2)),
    ],
)
def test_dot_standard_checks(axes, input_shape, output_shape):
    run_layer_test(
        layers.Dot,
        {"axes": axes},
        input_shape=input_shape,
        expected_output_shape=output_shape,
    )


@pytest.mark.parametrize(
    ("axes", "shapes"),
    [
        (1, [(4, 3), (4, 3)]),
        ((1, 2), [(4, 3, 2), (4, 5, 3)]),
        ((2, 2), [(4, 3, 2), (4, 5, 2)]),
        ((1, 1), [(4, 3, 2), (4, 3, 5)]),
        ((2, 1), [(4, 3, 2), (4, 2)]),
        ((1, 2), [(4, 2), (4, 3, 2)]),
        ((-1, -2), [(4, 3, 2), (4, 2, 5)]),
        ((2, 3), [(4, 3, 2, 6), (4, 5, 6, 2)]),
    ],
)
def test_dot_matches_keras_batch_dot(rng, axes, shapes):
    arrays = _arrays(rng, *shapes)
    pair = axes if isinstance(axes, tuple) else (axes, axes)
    pair = tuple(a % len(s) for a, s in zip(pair, shapes, strict=True))
    expected = _batch_dot(*arrays, *pair)
    np.testing.assert_allclose(
        layers.Dot(axes=axes)(arrays).numpy(), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        _predict(layers.Dot(axes=axes), arrays), expected, rtol=1e-5, atol=1e-6
    )


def test_dot_normalize_gives_the_cosine(rng):
    x, y = _arrays(rng, (5, 4), (5, 4))
    cosine = np.sum(x * y, axis=1) / (
        np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)
    )
    expected = cosine[:, None]
    layer = layers.Dot(axes=1, normalize=True)
    np.testing.assert_allclose(layer([x, y]).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        _predict(layers.Dot(axes=1, normalize=True), [x, y]),
        expected,
        rtol=1e-5,
        atol=1e-6,
    )


def test_dot_normalize_along_the_dot_axis_of_rank3(rng):
    x, y = _arrays(rng, (2, 3, 4), (2, 3, 5))
    out = layers.Dot(axes=1, normalize=True)([x, y]).numpy()
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=1, keepdims=True)
    np.testing.assert_allclose(out, np.einsum("bki,bkj->bij", xn, yn), rtol=1e-5)


def test_dot_normalize_of_zero_vectors_is_zero_like_keras():
    zeros = np.zeros((1, 3), "float32")
    out = layers.Dot(axes=1, normalize=True)([zeros, zeros]).numpy()
    np.testing.assert_array_equal(out, [[0.0]])


def test_dot_normalize_trains_with_finite_gradients(rng):
    run_layer_test(
        layers.Dot,
        {"axes": 1, "normalize": True},
        input_shape=[(2, 3), (2, 3)],
        expected_output_shape=(2, 1),
    )


def test_dot_config():
    config = layers.Dot(axes=(1, 2), normalize=True).get_config()
    assert config["axes"] == (1, 2)
    assert config["normalize"] is True
    assert layers.Dot(axes=1).get_config()["normalize"] is False


def test_dot_rejects_axes_of_the_wrong_type():
    with pytest.raises(TypeError, match=r"Invalid type for argument `axes`"):
        layers.Dot(axes="1")


def test_dot_rejects_axes_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"it should contain two elements"):
        layers.Dot(axes=(1, 2, 3))


def test_dot_rejects_non_integer_axes():
    with pytest.raises(ValueError, match=r"list elements should be integers"):
        layers.Dot(axes=(1, 1.5))


def test_dot_over_the_batch_axis_is_an_error():
    with pytest.raises(ValueError, match=r"cannot take the dot product over the batch"):
        layers.Dot(axes=0)([kg.Input(shape=(3,)), kg.Input(shape=(3,))])


def test_dot_of_mismatched_axes_names_the_sizes():
    with pytest.raises(
        ValueError,
        match=r'Layer "dot" \(Dot\) needs the dot axes to have the same size: 3 '
        r"\(axis 1 of the first input\) and 4",
    ):
        layers.Dot(axes=1)([kg.Input(shape=(3,)), kg.Input(shape=(4,))])


def test_dot_needs_exactly_two_inputs():
    a, b, c = (kg.Input(shape=(2,)) for _ in range(3))
    with pytest.raises(ValueError, match=r"expects exactly 2 inputs. Received: 3"):
        layers.Dot(axes=1)([a, b, c])


def test_dot_of_a_single_tensor_is_an_error():
    with pytest.raises(ValueError, match=r"must be called on a list of inputs"):
        layers.Dot(axes=1)(kg.Input(shape=(3,)))


def test_dot_axis_out_of_range_is_an_error():
    with pytest.raises(ValueError, match=r"axes=3 is out of range"):
        layers.Dot(axes=3)([kg.Input(shape=(3,)), kg.Input(shape=(3,))])


# -- the functional interfaces ------------------------------------------------


@pytest.mark.parametrize(
    ("function", "cls"),
    [
        (layers.add, layers.Add),
        (layers.subtract, layers.Subtract),
        (layers.multiply, layers.Multiply),
        (layers.average, layers.Average),
        (layers.maximum, layers.Maximum),
        (layers.minimum, layers.Minimum),
    ],
)
def test_functional_interfaces_match_the_layers(rng, function, cls):
    arrays = _arrays(rng, (2, 3), (2, 3))
    np.testing.assert_allclose(
        function(arrays).numpy(), ELEMENTWISE[cls](arrays), rtol=1e-6
    )


def test_functional_concatenate_and_dot(rng):
    a, b = _arrays(rng, (2, 3), (2, 3))
    np.testing.assert_array_equal(
        layers.concatenate([a, b], axis=1).numpy(), np.concatenate([a, b], axis=1)
    )
    np.testing.assert_allclose(
        layers.dot([a, b], axes=1).numpy(),
        np.sum(a * b, axis=1, keepdims=True),
        rtol=1e-6,
    )
    x = layers.add([kg.Input(shape=(3,)), kg.Input(shape=(3,))], name="summed")
    assert x.history[0].name == "summed"

"""``depth_to_space`` and ``space_to_depth`` (``ops/depth_space.py``) against
an element-by-element NumPy transcription of Keras's layouts, eagerly and in
models on both backends (unknown batch, gradients, saving)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")
RNG = np.random.default_rng(0)
DEEP = RNG.normal(size=(2, 3, 2, 8)).astype("float32")  # channels last, r=2
WIDE = RNG.normal(size=(2, 4, 6, 3)).astype("float32")


def _depth_to_space(x, r):
    """Output pixel (h*r + i, w*r + j) channel c reads input pixel (h, w)
    channel (i*r + j)*C + c (channels last; c*r*r + i*r + j channels first)."""
    n, h, w, depth = x.shape
    c_out = depth // (r * r)
    out = np.zeros((n, h * r, w * r, c_out), x.dtype)
    for b, y, z, i, j, c in itertools.product(
        range(n), range(h), range(w), range(r), range(r), range(c_out)
    ):
        out[b, y * r + i, z * r + j, c] = x[b, y, z, (i * r + j) * c_out + c]
    return out


def _depth_to_space_first(x, r):
    n, depth, h, w = x.shape
    c_out = depth // (r * r)
    out = np.zeros((n, c_out, h * r, w * r), x.dtype)
    for b, c, y, z, i, j in itertools.product(
        range(n), range(c_out), range(h), range(w), range(r), range(r)
    ):
        out[b, c, y * r + i, z * r + j] = x[b, c * r * r + i * r + j, y, z]
    return out


def _space_to_depth(x, r, channels_first=False):
    """The inverse: input pixel (h*r + i, w*r + j) goes to the same channel
    as above."""
    if channels_first:
        n, c_in, height, width = x.shape
        out = np.zeros((n, c_in * r * r, height // r, width // r), x.dtype)
        for b, c, y, z, i, j in itertools.product(
            range(n),
            range(c_in),
            range(height // r),
            range(width // r),
            range(r),
            range(r),
        ):
            out[b, c * r * r + i * r + j, y, z] = x[b, c, y * r + i, z * r + j]
        return out
    n, height, width, c_in = x.shape
    out = np.zeros((n, height // r, width // r, c_in * r * r), x.dtype)
    for b, y, z, i, j, c in itertools.product(
        range(n), range(height // r), range(width // r), range(r), range(r), range(c_in)
    ):
        out[b, y, z, (i * r + j) * c_in + c] = x[b, y * r + i, z * r + j, c]
    return out


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_eager_results_match_the_transcription(data_format):
    first = data_format == "channels_first"
    deep = np.moveaxis(DEEP, -1, 1) if first else DEEP
    wide = np.moveaxis(WIDE, -1, 1) if first else WIDE
    np.testing.assert_array_equal(
        ops.depth_to_space(deep, 2, data_format=data_format).numpy(),
        _depth_to_space_first(deep, 2) if first else _depth_to_space(deep, 2),
    )
    np.testing.assert_array_equal(
        ops.space_to_depth(wide, 2, data_format=data_format).numpy(),
        _space_to_depth(wide, 2, first),
    )


def test_block_size_three_and_the_round_trip():
    x = RNG.normal(size=(1, 6, 3, 2)).astype("float32")
    packed = ops.space_to_depth(x, 3)
    np.testing.assert_array_equal(packed.numpy(), _space_to_depth(x, 3))
    assert packed.shape == (1, 2, 1, 18)
    np.testing.assert_array_equal(ops.depth_to_space(packed, 3).numpy(), x)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="block_size"):
        ops.depth_to_space(DEEP, 1)
    with pytest.raises(ValueError, match=r"divisible by block_size \*\* 2"):
        ops.depth_to_space(DEEP, 3)
    with pytest.raises(ValueError, match="divisible by block_size"):
        ops.space_to_depth(WIDE, 4)
    with pytest.raises(ValueError, match="4-D"):
        ops.space_to_depth(WIDE[0], 2)
    with pytest.raises(ValueError, match="data_format"):
        ops.space_to_depth(WIDE, 2, data_format="nhwc")


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_a_model_with_an_unknown_batch(backend):
    inputs = kg.Input(shape=DEEP.shape[1:])
    shuffled = ops.depth_to_space(inputs, 2)
    assert shuffled.shape == (None, 6, 4, 2)
    outputs = ops.space_to_depth(layers.Lambda(lambda t: t * 2.0)(shuffled), 2)
    model = kg.Model(inputs, [shuffled, outputs])
    model.compile(loss="mse", backend=backend)
    got_shuffled, got_packed = model.predict(DEEP, batch_size=2, verbose=0)
    np.testing.assert_array_equal(got_shuffled, _depth_to_space(DEEP, 2))
    np.testing.assert_allclose(got_packed, DEEP * 2.0, rtol=1e-6)


def test_gradients_flow_back_through_the_rearrangement():
    # A Dense layer before depth_to_space trains the same on both backends,
    # and as a NumPy SGD step computes (the rearrangement permutes the
    # output gradient back).
    x = RNG.normal(size=(4, 2, 2, 3)).astype("float32")
    target = RNG.normal(size=(4, 4, 4, 1)).astype("float32")
    kernel = RNG.normal(size=(3, 4)).astype("float32") * 0.3
    results = []
    for backend in BACKENDS:
        inputs = kg.Input(shape=(2, 2, 3))
        dense = layers.Dense(4, use_bias=False)
        model = kg.Model(inputs, ops.depth_to_space(dense(inputs), 2))
        model.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse", backend=backend)
        model.set_weights([kernel])
        model.fit(x, target, batch_size=4, epochs=1, shuffle=False, verbose=0)
        results.append(model.get_weights()[0])
    prediction = _depth_to_space(x @ kernel, 2)
    grad_out = 2.0 * (prediction - target) / target.size
    grad_dense = _space_to_depth(grad_out, 2)
    expected = kernel - 0.1 * np.einsum("bhwi,bhwo->io", x, grad_dense)
    for result in results:
        np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)


def test_a_model_using_them_saves_and_loads(tmp_path):
    inputs = kg.Input(shape=WIDE.shape[1:])
    outputs = ops.depth_to_space(ops.space_to_depth(inputs, 2), 2)
    model = kg.Model(inputs, outputs)
    model.save(tmp_path / "model.kgraph")
    loaded = kg.models.load_model(tmp_path / "model.kgraph")
    loaded.compile(loss="mse", backend="llvm")
    np.testing.assert_array_equal(loaded.predict(WIDE, verbose=0), WIDE)

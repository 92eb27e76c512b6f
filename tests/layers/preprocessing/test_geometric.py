"""``RandomPerspective`` and ``RandomElasticTransform``:
Keras's formulas (NumPy transcriptions below) on the values kgraph's
generator draws; identities at inference; both backends; configs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.backends import interpreter
from kgraph.ops.random import normal_bits
from kgraph.ops.random import uniform_bits
from kgraph.testing import image_reference as reference
from kgraph.testing.test_case import run_layer_test

BITS = (1 << 63) - 1
KEY = 7
SHAPE = (3, 10, 12, 2)


def draws(layer, draw, low, high, count=SHAPE[0]):
    values = uniform_bits(KEY, (layer.random_salt + draw) & BITS, count)
    return values * np.float32(high - low) + np.float32(low)


def run_training(layer, data):
    x = kg.ops.placeholder(kg.Graph(), "x", data.shape)
    graph = x.graph.subgraph({"y": layer(x, training=True).node_id})
    return interpreter.run(graph, {"x": data, "seed": np.int64(KEY)})["y"]


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, size=SHAPE).astype("float32")


def keras_homography(start, end):
    """Keras's ``compute_homography_matrix``: an 8x8 solve per image."""
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = np.zeros_like(ex), np.ones_like(ex)
    x_rows = np.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], -1)
    y_rows = np.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], -1)
    matrix = np.concatenate([x_rows, y_rows], axis=1).astype("float64")
    target = np.concatenate([sx, sy], axis=-1)[..., None].astype("float64")
    return np.linalg.solve(matrix, target)[..., 0]


def test_random_perspective(images):
    layer = layers.RandomPerspective(0.8, scale=0.6, fill_value=3.0)
    chosen = draws(layer, 1, 0, 1) < draws(layer, 0, 0, 0.8)
    start = np.float32([[0, 0], [11, 0], [0, 9], [11, 9]])[None].repeat(3, 0)
    moves = np.stack(
        [
            np.stack([draws(layer, 2 + 2 * i + k, -0.3, 0.3) for k in range(2)], -1)
            for i in range(4)
        ],
        axis=1,
    )
    end = start + start * moves
    transforms = keras_homography(start, end)
    warped = reference.affine_transform(images, transforms, fill_value=3.0)
    expected = np.where(chosen[:, None, None, None], warped, images)
    np.testing.assert_allclose(
        run_training(layer, images), expected, rtol=1e-4, atol=5e-2
    )


def sample(images, ys, xs, interpolation, fill_mode, fill_value):
    """Keras's ``map_coordinates`` per image and channel."""
    batch, height, width, _ = images.shape
    out = np.zeros_like(images)
    for b, y, x in itertools.product(range(batch), range(height), range(width)):
        value = np.zeros(images.shape[-1])
        nodes = [
            reference._nodes(float(c), interpolation)
            for c in (ys[b, y, x], xs[b, y, x])
        ]
        for (iy, wy), (ix, wx) in itertools.product(*nodes):
            pixel = images[b, reference.fix_index(iy, height, fill_mode)]
            pixel = pixel[reference.fix_index(ix, width, fill_mode)]
            if fill_mode == "constant" and not (0 <= iy < height and 0 <= ix < width):
                pixel = np.full_like(pixel, fill_value)
            value = value + wy * wx * pixel
        out[b, y, x] = value
    return out


def blur(field, sigma):
    size = int(6 * sigma) | 1
    taps = np.arange(size) - (size - 1) / 2
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    kernel /= kernel.sum()
    half = size // 2
    padded = np.pad(field, [(0, 0), (half, half), (half, half)])
    rows = sum(k * padded[:, :, i : i + field.shape[2]] for i, k in enumerate(kernel))
    return sum(k * rows[:, i : i + field.shape[1]] for i, k in enumerate(kernel))


@pytest.mark.parametrize(
    ("interpolation", "fill_mode"), [("bilinear", "reflect"), ("nearest", "constant")]
)
def test_random_elastic_transform(images, interpolation, fill_mode):
    layer = layers.RandomElasticTransform(
        factor=0.9,
        scale=(0.5, 1.0),
        interpolation=interpolation,
        fill_mode=fill_mode,
        fill_value=5.0,
        value_range=(0, 200),
    )
    chosen = draws(layer, 1, 0, 1) < draws(layer, 0, 0, 0.9)
    distortion = draws(layer, 2, 0.5, 1.0, 1)[0]
    sigma, alpha = distortion * 0.05 * 10, distortion * 0.1 * 12
    fields = [
        blur(
            normal_bits(KEY, (layer.random_salt + d) & BITS, 3 * 10 * 12).reshape(
                3, 10, 12
            )
            * sigma,
            sigma,
        )
        for d in (3, 4)
    ]
    grid_y, grid_x = np.meshgrid(np.arange(10), np.arange(12), indexing="ij")
    warped = sample(
        images,
        grid_y + alpha * fields[1],
        grid_x + alpha * fields[0],
        interpolation,
        fill_mode,
        5.0,
    )
    expected = np.clip(np.where(chosen[:, None, None, None], warped, images), 0, 200)
    out = run_training(layer, images)
    close = np.isclose(out, expected, rtol=1e-4, atol=2e-2)
    # Nearest sampling may round a coordinate near .5 the other way.
    assert close.mean() > (0.99 if interpolation == "nearest" else 0.9999)


def all_layers():
    return [
        layers.RandomPerspective(),
        layers.RandomElasticTransform(),
    ]


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_identity_at_inference(images, layer):
    np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
    x = kg.Input(shape=SHAPE[1:])
    np.testing.assert_array_equal(
        kg.Model(x, layer(x)).predict(images, verbose=0), images
    )


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_native_code_draws_the_same_images(images, layer):
    native = pytest.importorskip("kgraph.testing.native")
    x = kg.ops.placeholder(kg.Graph(), "x", SHAPE)
    graph = x.graph.subgraph({"y": layer(x, training=True).node_id})
    feeds = {"x": images, "seed": np.int64(KEY)}
    expected = interpreter.run(graph, feeds)["y"]
    got = native.run_graph(native.compile_graph(graph), feeds)["y"]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-2)


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_single_images(images, layer):
    assert run_training(layer, images[0]).shape == SHAPE[1:]


def test_geometric_layers_train_on_both_backends(images, backend):
    x = kg.Input(shape=SHAPE[1:])
    y = layers.RandomPerspective(scale=0.3, seed=2)(x)
    y = layers.RandomElasticTransform(scale=0.5)(y)
    y = layers.Rescaling(1.0 / 255)(y)
    model = kg.Model(x, layers.Dense(1)(layers.Flatten()(y)))
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(images, np.ones((3, 1), "float32"), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (layers.RandomPerspective, {"scale": 0.5}),
        (layers.RandomElasticTransform, {"scale": 0.5}),
    ],
)
def test_standard_checks(cls, kwargs):
    with kg.ops.builder.training_scope(False):
        run_layer_test(cls, kwargs, input_shape=SHAPE, expected_output_shape=SHAPE)


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_config_round_trip(layer):
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    assert again.random_salt == layer.random_salt


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: layers.RandomPerspective(scale=2.0), ValueError, r"scale"),
        (
            lambda: layers.RandomPerspective(interpolation="cubic"),
            NotImplementedError,
            "interpolation",
        ),
        (
            lambda: layers.RandomElasticTransform(fill_mode="edge"),
            NotImplementedError,
            "fill_mode",
        ),
    ],
)
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()

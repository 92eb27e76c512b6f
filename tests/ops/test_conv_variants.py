"""Grouped, depthwise, separable and transposed convolutions, and adaptive
pooling: eager results against direct NumPy loops (written here from the
definitions), and the same ops inside a model on both backends. The
primitives' gradients are checked by the conformance tests (``conv`` and
``conv_kernel_grad`` draw grouped examples)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conv_reference import loop_adaptive
from conv_reference import loop_conv
from conv_reference import loop_conv_transpose

import kgraph as kg
from kgraph import dtypes
from kgraph import errors
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients
from kgraph.ir.graph import Graph
from kgraph.ops import sources
from kgraph.ops.adaptive_pooling import adaptive_bins
from kgraph.testing import numerics

BACKENDS = ("numpy", "llvm")


# -- grouped and depthwise convolutions ------------------------------------------


@pytest.mark.parametrize(
    ("shape", "kernel", "groups", "strides", "padding", "dilation"),
    [
        ((2, 7, 6), (3, 2, 6), 3, (1,), "valid", (1,)),
        ((2, 6, 5, 4), (3, 3, 2, 6), 2, (2, 1), "same", (1, 1)),
        ((1, 5, 6, 3), (2, 2, 1, 3), 3, (1, 1), "valid", (2, 1)),
        ((1, 4, 4, 3, 2), (2, 2, 2, 1, 4), 2, (1, 1, 1), "same", (1, 1, 1)),
    ],
)
def test_grouped_conv_matches_the_loops(
    shape, kernel, groups, strides, padding, dilation, rng
):
    x = rng.normal(size=shape).astype("float32")
    w = rng.normal(size=kernel).astype("float32")
    got = ops.conv(x, w, strides, padding, dilation_rate=dilation).numpy()
    expected = loop_conv(x, w, strides, padding, dilation, groups)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_grouped_kernel_gradient_matches_the_loops(rng):
    x = rng.normal(size=(2, 6, 4)).astype("float32")
    g = rng.normal(size=(2, 4, 6)).astype("float32")
    got = ops.conv_kernel_grad(x, g, 3, groups=2).numpy()
    expected = np.zeros((3, 2, 6))
    for k, ci, co in itertools.product(range(3), range(2), range(6)):
        channel = (co // 3) * 2 + ci
        expected[k, ci, co] = np.sum(x[:, k : k + 4, channel] * g[:, :, co])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_grouped_conv_refuses_channels_that_do_not_divide(rng):
    x = np.zeros((1, 5, 5), "float32")
    with pytest.raises(errors.ShapeError, match=r"input channels differ \(5 and 2\)"):
        ops.conv(x, np.zeros((1, 2, 4), "float32"))
    with pytest.raises(errors.ShapeError, match=r"do not divide into 5 groups"):
        ops.apply(
            "conv",
            [x, np.zeros((1, 1, 7), "float32")],
            {"strides": (1,), "padding": ((0, 0),), "dilation": (1,), "groups": 5},
        )


@pytest.mark.parametrize(
    ("shape", "window", "multiplier", "strides", "padding", "dilation"),
    [
        ((2, 8, 3), (3,), 2, (2,), "same", (1,)),
        ((2, 6, 7, 3), (3, 2), 1, (1, 1), "valid", (2, 1)),
        ((1, 5, 5, 2), (2, 2), 3, (2, 2), "same", (1, 1)),
    ],
)
def test_depthwise_and_separable_conv_match_the_loops(
    shape, window, multiplier, strides, padding, dilation, rng
):
    x = rng.normal(size=shape).astype("float32")
    channels = shape[-1]
    w = rng.normal(size=(*window, channels, multiplier)).astype("float32")
    got = ops.depthwise_conv(x, w, strides, padding, dilation_rate=dilation).numpy()
    # Output channel c * multiplier + m: channel c convolved with w[..., c, m].
    expected = np.concatenate(
        [
            loop_conv(
                x[..., c : c + 1], w[..., c : c + 1, :], strides, padding, dilation
            )
            for c in range(channels)
        ],
        axis=-1,
    )
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    pointwise = rng.normal(size=(*(1,) * len(window), channels * multiplier, 4))
    pointwise = pointwise.astype("float32")
    separable = ops.separable_conv(
        x, w, pointwise, strides, padding, dilation_rate=dilation
    ).numpy()
    np.testing.assert_allclose(
        separable, expected @ pointwise.reshape(-1, 4), rtol=1e-4, atol=1e-4
    )


def test_depthwise_conv_checks_the_kernel():
    with pytest.raises(errors.ShapeError, match=r"axis -2 must be the input's 3"):
        ops.depthwise_conv(np.zeros((1, 4, 3), "float32"), np.zeros((2, 2, 1)))


# -- transposed convolutions ------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "kernel", "strides", "padding", "output_padding", "dilation"),
    [
        ((2, 4, 3), (3, 2, 3), (2,), "valid", None, (1,)),
        ((2, 4, 3), (3, 2, 3), (2,), "same", None, (1,)),
        ((2, 5, 2), (4, 3, 2), (3,), "same", (2,), (1,)),
        ((2, 4, 2), (3, 2, 2), (1,), "same", None, (2,)),
        ((1, 3, 4, 2), (3, 2, 3, 2), (2, 1), "valid", (1, 0), (1, 1)),
        ((1, 3, 3, 1), (2, 2, 2, 1), (2, 2), "same", None, (1, 1)),
        ((1, 2, 3, 2, 2), (2, 2, 2, 1, 2), (2, 1, 2), "valid", None, (1, 1, 1)),
    ],
)
def test_conv_transpose_matches_the_loops(
    shape, kernel, strides, padding, output_padding, dilation, rng
):
    x = rng.normal(size=shape).astype("float32")
    w = rng.normal(size=kernel).astype("float32")
    got = ops.conv_transpose(
        x, w, strides, padding, output_padding, dilation_rate=dilation
    ).numpy()
    expected = loop_conv_transpose(x, w, strides, padding, output_padding, dilation)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("size", "window", "stride", "padding", "extra", "expected"),
    [
        (4, 3, 2, "valid", None, 9),
        (4, 2, 3, "valid", None, 12),
        (4, 3, 2, "same", None, 8),
        (4, 4, 2, "same", 1, 7),
        (5, 3, 1, "valid", None, 7),
    ],
)
def test_conv_transpose_output_sizes_are_keras(
    size, window, stride, padding, extra, expected
):
    x = np.ones((1, size, 1), "float32")
    w = np.ones((window, 1, 1), "float32")
    assert ops.conv_transpose(x, w, stride, padding, extra).shape[1] == expected


def test_conv_transpose_is_the_transpose_of_conv(rng):
    # <conv_transpose(y, w), x> == <y, conv(x, w)> for valid padding.
    x = rng.normal(size=(2, 9, 3)).astype("float32")
    w = rng.normal(size=(3, 3, 2)).astype("float32")  # conv: 3 -> 2 channels
    y = rng.normal(size=(2, 4, 2)).astype("float32")
    forward = ops.conv(x, w, strides=2).numpy()
    back = ops.conv_transpose(y, w, strides=2).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(back * x), np.sum(y * forward), rtol=1e-4)


def test_conv_transpose_errors():
    x = np.zeros((1, 4, 3), "float32")
    with pytest.raises(errors.ShapeError, match=r"last axis must be the input's 3"):
        ops.conv_transpose(x, np.zeros((2, 2, 2), "float32"))
    with pytest.raises(ValueError, match=r"one of \('valid', 'same'\).*'causal'"):
        ops.conv_transpose(x, np.zeros((2, 2, 3), "float32"), padding="causal")
    with pytest.raises(ValueError, match=r"channels_last"):
        ops.conv_transpose(
            x, np.zeros((2, 2, 3), "float32"), data_format="channels_first"
        )


# -- adaptive pooling --------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "sizes"),
    [
        ((2, 5, 3), (3,)),
        ((2, 10, 2), (4,)),
        ((2, 8, 1), (4,)),
        ((2, 2, 1), (3,)),
        ((2, 6, 7, 2), (4, 3)),
        ((1, 5, 6, 7, 2), (2, 4, 3)),
    ],
)
def test_adaptive_pooling_matches_the_bins(shape, sizes, rng):
    x = rng.normal(size=shape).astype("float32")
    got = ops.adaptive_average_pool(x, sizes).numpy()
    np.testing.assert_allclose(got, loop_adaptive(x, sizes, np.mean), rtol=1e-5)
    got = ops.adaptive_max_pool(x, sizes).numpy()
    np.testing.assert_array_equal(got, loop_adaptive(x, sizes, np.max))


def test_adaptive_bins():
    starts, lengths = adaptive_bins(7, 3)
    np.testing.assert_array_equal(starts, [0, 2, 4])
    np.testing.assert_array_equal(lengths, [3, 3, 3])
    with pytest.raises(ValueError, match=r"`output_size` must be a positive"):
        ops.adaptive_max_pool(np.zeros((1, 4, 4, 1), "float32"), (2, 0))


# -- inside a model, on both backends ---------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_composed_ops_run_in_a_model(backend, rng):
    x = rng.normal(size=(3, 6, 6, 2)).astype("float32")
    w_t = rng.normal(size=(3, 3, 4, 2)).astype("float32")
    w_d = rng.normal(size=(3, 3, 2, 2)).astype("float32")
    w_p = rng.normal(size=(1, 1, 4, 3)).astype("float32")
    w_g = rng.normal(size=(3, 3, 1, 4)).astype("float32")

    inputs = kg.Input((6, 6, 2))
    outputs = [
        ops.conv_transpose(inputs, w_t, strides=2, padding="same"),
        ops.depthwise_conv(inputs, w_d, strides=2, padding="same"),
        ops.separable_conv(inputs, w_d, w_p),
        ops.conv(inputs, w_g, padding="same"),
        ops.adaptive_average_pool(inputs, (4, 3)),
        ops.adaptive_max_pool(inputs, 4),
    ]
    model = kg.Model(inputs, outputs)
    model.compile(backend=backend)
    got = model.predict(x, batch_size=3, verbose=0)
    expected = [
        ops.conv_transpose(x, w_t, strides=2, padding="same"),
        ops.depthwise_conv(x, w_d, strides=2, padding="same"),
        ops.separable_conv(x, w_d, w_p),
        ops.conv(x, w_g, padding="same"),
        ops.adaptive_average_pool(x, (4, 3)),
        ops.adaptive_max_pool(x, 4),
    ]
    for have, want in zip(got, expected, strict=True):
        np.testing.assert_allclose(have, want.numpy(), rtol=1e-4, atol=1e-4)


def test_ops_on_keras_tensors_are_recorded_whole_and_reload(tmp_path, rng):
    inputs = kg.Input((5, 6, 2))
    outputs = [ops.adaptive_max_pool(inputs, 3), ops.adaptive_average_pool(inputs, 2)]
    model = kg.Model(inputs, outputs)
    x = rng.normal(size=(2, 5, 6, 2)).astype("float32")
    expected = model.predict(x, verbose=0)
    path = tmp_path / "adaptive.kgraph"
    model.save(path)
    loaded = kg.saving.load_model(path)
    for have, want in zip(loaded.predict(x, verbose=0), expected, strict=True):
        np.testing.assert_array_equal(have, want)


@pytest.mark.parametrize("groups", [2, 4])
def test_grouped_training_steps_agree_across_backends(groups, rng):
    # One SGD step moves the weights by the gradients: the native grouped
    # loops (forward, input and kernel gradients) against NumPy.
    x = rng.normal(size=(4, 6, 5, 4)).astype("float32")
    y = rng.normal(size=(4, 2, 3, 8)).astype("float32")
    weights = None
    results = []
    for backend in BACKENDS:
        kg.utils.clear_session()
        inputs = kg.Input((6, 5, 4))
        hidden = kg.layers.DepthwiseConv2D(2, depth_multiplier=2, padding="same")(
            inputs
        )
        outputs = kg.layers.Conv2D(8, 3, strides=(2, 1), groups=groups)(hidden)
        model = kg.Model(inputs, outputs)
        if weights is None:
            weights = [
                rng.normal(size=w.shape).astype("float32") for w in model.get_weights()
            ]
        model.set_weights(weights)
        model.compile(optimizer="sgd", loss="mse", backend=backend)
        model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for native, reference in zip(*results, strict=True):
        np.testing.assert_allclose(native, reference, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("op", "shapes", "kwargs"),
    [
        (
            "conv_transpose",
            ((2, 3, 4, 2), (3, 3, 2, 2)),
            {"strides": 2, "padding": "same"},
        ),
        ("conv_transpose", ((1, 4, 2), (2, 3, 2)), {"strides": 3, "output_padding": 1}),
        ("depthwise_conv", ((2, 5, 4, 3), (2, 3, 3, 2)), {"strides": (2, 1)}),
        ("separable_conv", ((1, 5, 2), (3, 2, 2), (1, 4, 3)), {"padding": "same"}),
    ],
)
def test_gradients_match_finite_differences(op, shapes, kwargs, rng):
    function = getattr(ops, op)
    arrays = [rng.normal(size=shape) for shape in shapes]
    graph = Graph(name=op)
    inputs = [
        sources.placeholder(graph, f"x{i}", a.shape, "float64")
        for i, a in enumerate(arrays)
    ]
    out = function(*inputs, **kwargs)
    weights = rng.uniform(0.5, 1.5, out.shape)
    loss = ops.sum(ops.multiply(out, weights))
    grads = gradients(graph, loss.node_id, [t.node_id for t in inputs])
    for i, grad in enumerate(grads):
        graph.set_output(f"grad{i}", grad)
    results = interpreter.run(graph, {f"x{i}": a for i, a in enumerate(arrays)})

    def loss_fn(point):
        return float(np.sum(np.asarray(function(*point, **kwargs).numpy()) * weights))

    rtol, atol = dtypes.GRAD_TOLERANCE
    for i in range(len(arrays)):
        expected = numerics.numeric_gradient(loss_fn, arrays, i)
        np.testing.assert_allclose(results[f"grad{i}"], expected, rtol=rtol, atol=atol)

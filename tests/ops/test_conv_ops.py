"""Convolution and pooling ops: numbers by hand and against a plain NumPy
transcription of the definitions (strides, dilation, padding, odd sizes),
Keras's padding arithmetic, gradients (max pooling's to the first maximum),
and the errors of the shape rules.

The property tests of ``test_op_conformance.py`` cover the rest for every
op (infer against reference, graph against eager, finite differences, LLVM
against the interpreter).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kgraph import errors
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import sources
from kgraph.ops.convolution import explicit_padding
from kgraph.ops.pooling import window_counts

# -- plain NumPy transcriptions: one output element at a time ------------------


def naive_conv(x, w, strides, padding, dilation):
    """out[n, o, co] = sum over k, ci of x[n, o*s + k*d - low, ci] * w[k, ci, co]."""
    rank = x.ndim - 2
    spatial, window = x.shape[1:-1], w.shape[:rank]
    out_spatial = [
        (size + lo + hi - (k - 1) * d - 1) // s + 1
        for size, k, s, (lo, hi), d in zip(
            spatial, window, strides, padding, dilation, strict=True
        )
    ]
    out = np.zeros((x.shape[0], *out_spatial, w.shape[-1]), dtype=np.float64)
    for n, *o in itertools.product(range(x.shape[0]), *map(range, out_spatial)):
        for k in itertools.product(*map(range, window)):
            i = [
                oo * s + kk * d - lo
                for oo, kk, s, d, (lo, _) in zip(
                    o, k, strides, dilation, padding, strict=True
                )
            ]
            if all(0 <= ii < size for ii, size in zip(i, spatial, strict=True)):
                out[(n, *o)] += x[(n, *i)] @ w[k]
    return out


def naive_pool(x, window, strides, padding, combine):
    """``combine`` over the input elements (not padding) of each window."""
    rank = x.ndim - 2
    spatial = x.shape[1:-1]
    out_spatial = [
        (size + lo + hi - k) // s + 1
        for size, k, s, (lo, hi) in zip(spatial, window, strides, padding, strict=True)
    ]
    out = np.zeros((x.shape[0], *out_spatial, x.shape[-1]), dtype=np.float64)
    for n, *o in itertools.product(range(x.shape[0]), *map(range, out_spatial)):
        ranges = [
            range(max(oo * s - lo, 0), min(oo * s - lo + k, size))
            for oo, s, (lo, _), k, size in zip(
                o, strides, padding, window, spatial, strict=True
            )
        ]
        values = np.array([x[(n, *i)] for i in itertools.product(*ranges)])
        out[(n, *o)] = combine(values.reshape(-1, x.shape[-1]), rank)
    return out


def _same_pairs(spatial, window, strides, dilation):
    """TensorFlow's "same" padding, written out again."""
    pairs = []
    for size, k, s, d in zip(spatial, window, strides, dilation, strict=True):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        pairs.append((total // 2, total - total // 2))
    return tuple(pairs)


# -- conv: numbers by hand -----------------------------------------------------

X5 = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32").reshape(1, 5, 1)
W3 = np.array([1.0, 10.0, 100.0], "float32").reshape(3, 1, 1)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, [321, 432, 543]),
        ({"padding": "same"}, [210, 321, 432, 543, 54]),
        ({"padding": "same", "strides": 2}, [210, 432, 54]),
        ({"strides": 2}, [321, 543]),
        ({"dilation_rate": 2}, [531]),
        ({"padding": "same", "dilation_rate": 2}, [310, 420, 531, 42, 53]),
        ({"padding": "causal"}, [100, 210, 321, 432, 543]),
    ],
)
def test_conv_1d_by_hand(kwargs, expected):
    result = ops.conv(X5, W3, **kwargs).numpy()
    np.testing.assert_array_equal(result[0, :, 0], expected)


def test_conv_same_padding_puts_the_odd_zero_after():
    # 6 steps, window 3, stride 2: total padding 1, all of it after (as in
    # TensorFlow), so the first window starts at the first element.
    x = np.arange(1.0, 7.0, dtype="float32").reshape(1, 6, 1)
    result = ops.conv(x, W3, strides=2, padding="same").numpy()
    np.testing.assert_array_equal(result[0, :, 0], [321, 543, 65])


def test_conv_2d_by_hand():
    x = np.arange(1.0, 10.0, dtype="float32").reshape(1, 3, 3, 1)
    w = np.array([[1.0, 2.0], [3.0, 4.0]], "float32").reshape(2, 2, 1, 1)
    np.testing.assert_array_equal(
        ops.conv(x, w).numpy()[0, :, :, 0], [[37, 47], [67, 77]]
    )
    same = ops.conv(x, w, padding="same").numpy()[0, :, :, 0]
    # Padding (0, 1) on each axis: the last row and column see zeros.
    np.testing.assert_array_equal(same, [[37, 47, 21], [67, 77, 33], [23, 26, 9]])


def test_conv_sums_over_input_channels_per_output_channel():
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]], "float32")  # (1, 2, 2)
    w = np.array([[[1.0, 0.0, 1.0], [0.0, 1.0, 10.0]]], "float32")  # (1, 2, 3)
    np.testing.assert_array_equal(
        ops.conv(x, w).numpy(), [[[1.0, 2.0, 21.0], [3.0, 4.0, 43.0]]]
    )


def test_conv_adds_its_bias_and_trains_it_with_column_sums():
    x = np.arange(1.0, 6.0).reshape(1, 5, 1)
    w = np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]]).reshape(3, 1, 2)
    bias = np.array([0.5, -1.0])
    result = ops.conv(x, w, bias=bias).numpy()
    np.testing.assert_array_equal(
        result[0], [[321.5, 641], [432.5, 863], [543.5, 1085]]
    )
    weights = np.arange(6.0).reshape(1, 3, 2)
    _, _, results = _gradients(
        lambda a, b, c: ops.conv(a, b, bias=c), [x, w, bias], weights
    )
    np.testing.assert_array_equal(results["g2"], [0 + 2 + 4, 1 + 3 + 5])


# -- conv: against the transcription -------------------------------------------

CASES = [
    # input shape, window, strides, padding, dilation
    ((2, 7, 3), (3,), (1,), "valid", (1,)),
    ((2, 7, 3), (3,), (2,), "same", (1,)),
    ((1, 9, 2), (2,), (3,), "same", (1,)),
    ((2, 8, 1), (3,), (1,), "causal", (2,)),
    ((1, 10, 2), (4,), (1,), "same", (3,)),
    ((2, 5, 7, 3), (3, 2), (1, 1), "valid", (1, 1)),
    ((2, 5, 7, 3), (3, 3), (2, 2), "same", (1, 1)),
    ((1, 6, 5, 2), (2, 3), (2, 1), "same", (1, 1)),
    ((1, 7, 9, 2), (3, 2), (1, 1), "same", (2, 3)),
    ((1, 7, 9, 2), (3, 2), (3, 2), "valid", (1, 1)),
    ((1, 4, 4, 1), (4, 4), (1, 1), "valid", (1, 1)),
    ((2, 3, 4, 5, 2), (2, 3, 2), (1, 2, 1), "same", (1, 1, 2)),
]


def _arrays(shape, window, c_out=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype("float32")
    w = rng.normal(size=(*window, shape[-1], c_out)).astype("float32")
    return x, w


@pytest.mark.parametrize(("shape", "window", "strides", "padding", "dilation"), CASES)
def test_conv_matches_the_transcription(shape, window, strides, padding, dilation):
    x, w = _arrays(shape, window)
    result = ops.conv(
        x, w, strides=strides, padding=padding, dilation_rate=dilation
    ).numpy()
    pairs = explicit_padding(padding, shape[1:-1], window, strides, dilation)
    expected = naive_conv(x, w, strides, pairs, dilation)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("shape", "window", "strides", "padding", "dilation"), CASES)
def test_conv_kernel_grad_matches_the_transcription(
    shape, window, strides, padding, dilation
):
    # dw[k, ci, co] = sum over n, o of x[n, o*s + k*d - low, ci] * g[n, o, co]:
    # the derivative of sum(conv(x, w) * g) in w, read off the transcription
    # with one-hot kernels.
    x, w = _arrays(shape, window)
    pairs = explicit_padding(padding, shape[1:-1], window, strides, dilation)
    g = np.random.default_rng(1).normal(
        size=naive_conv(x, w, strides, pairs, dilation).shape
    )
    result = ops.conv_kernel_grad(
        x, g.astype("float32"), window, strides, padding, dilation
    ).numpy()
    expected = np.zeros(w.shape)
    for index in np.ndindex(*w.shape):
        one_hot = np.zeros(w.shape)
        one_hot[index] = 1.0
        expected[index] = np.sum(naive_conv(x, one_hot, strides, pairs, dilation) * g)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("spatial", "window", "strides", "dilation"),
    [
        ((5,), (3,), (1,), (1,)),
        ((6,), (3,), (2,), (1,)),
        ((7, 8), (3, 4), (2, 3), (1, 1)),
        ((10, 9), (3, 3), (1, 1), (2, 3)),
        ((4,), (5,), (1,), (1,)),
        ((1, 1), (3, 3), (2, 2), (1, 1)),
    ],
)
def test_same_padding_is_tensorflows(spatial, window, strides, dilation):
    pairs = explicit_padding("same", spatial, window, strides, dilation)
    assert pairs == _same_pairs(spatial, window, strides, dilation)
    for size, (low, high), k, s, d in zip(
        spatial, pairs, window, strides, dilation, strict=True
    ):
        # The output has ceil(size / stride) positions.
        assert (size + low + high - (k - 1) * d - 1) // s + 1 == -(-size // s)


def test_explicit_padding_valid_causal_and_pairs():
    assert explicit_padding("valid", (5, 5), (3, 3), (1, 1), (1, 1)) == ((0, 0), (0, 0))
    assert explicit_padding("VALID", (5,), (3,), (1,), (1,)) == ((0, 0),)
    assert explicit_padding("causal", (5,), (3,), (1,), (2,)) == ((4, 0),)
    assert explicit_padding([(1, 2)], (5,), (3,), (1,), (1,)) == ((1, 2),)
    with pytest.raises(ValueError, match=r"padding.*Received: padding='full'"):
        explicit_padding("full", (5,), (3,), (1,), (1,))


# -- gradients through graphs --------------------------------------------------


def _gradients(fn, arrays, weights):
    """d sum(fn(*inputs) * weights) / d inputs, by the interpreter."""
    graph = Graph(name="grad")
    inputs = [
        sources.placeholder(graph, f"x{i}", a.shape, str(a.dtype))
        for i, a in enumerate(arrays)
    ]
    output = fn(*inputs)
    loss = ops.sum(ops.multiply(output, weights.astype(str(arrays[0].dtype))))
    grads = gradients(graph, loss.node_id, [t.node_id for t in inputs])
    for i, grad in enumerate(grads):
        graph.set_output(f"g{i}", grad)
    graph.set_output("y", output.node_id)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    return graph, feeds, interpreter.run(graph, feeds)


@pytest.mark.parametrize(("shape", "window", "strides", "padding", "dilation"), CASES)
def test_conv_input_gradient_matches_the_transcription(
    shape, window, strides, padding, dilation
):
    x, w = _arrays(shape, window)
    x, w = x.astype("float64"), w.astype("float64")
    pairs = explicit_padding(padding, shape[1:-1], window, strides, dilation)
    weights = np.random.default_rng(2).normal(
        size=naive_conv(x, w, strides, pairs, dilation).shape
    )
    _, _, results = _gradients(
        lambda a, b: ops.conv(a, b, strides, padding, None, dilation), [x, w], weights
    )
    expected = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        one_hot = np.zeros(x.shape)
        one_hot[index] = 1.0
        expected[index] = np.sum(
            naive_conv(one_hot, w, strides, pairs, dilation) * weights
        )
    np.testing.assert_allclose(results["g0"], expected, rtol=1e-10, atol=1e-10)


def test_max_pool_gradient_goes_to_the_first_maximum():
    # Every window of 2x2 holds three 3s: the first in row-major order wins.
    x = np.array([[1.0, 3.0, 3.0], [3.0, 3.0, 0.0], [3.0, 2.0, 3.0]], "float32")
    x = x.reshape(1, 3, 3, 1)
    weights = np.array([[1.0, 10.0], [100.0, 1000.0]]).reshape(1, 2, 2, 1)
    graph, feeds, results = _gradients(
        lambda a: ops.max_pool(a, 2, strides=1), [x], weights
    )
    np.testing.assert_array_equal(results["y"][0, :, :, 0], [[3, 3], [3, 3]])
    expected = np.array([[0.0, 11.0, 0.0], [100.0, 1000.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(results["g0"][0, :, :, 0], expected)
    llvm = pytest.importorskip("kgraph.testing.native")
    native = llvm.run_graph(llvm.compile_graph(graph), feeds)
    np.testing.assert_array_equal(native["g0"], results["g0"])


def test_max_pool_padding_never_wins():
    x = -np.arange(1.0, 6.0, dtype="float32").reshape(1, 5, 1)
    result = ops.max_pool(x, 2, padding="same").numpy()
    np.testing.assert_array_equal(result[0, :, 0], [-1, -3, -5])
    indices = ops.pool_argmax(x, 2, padding="same").numpy()
    np.testing.assert_array_equal(indices[0, :, 0], [0, 2, 4])


def test_pool_argmax_indexes_the_whole_input():
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype("float32")
    indices = ops.pool_argmax(x, (2, 2)).numpy()
    np.testing.assert_array_equal(
        x.reshape(-1)[indices], naive_pool(x, (2, 2), (2, 2), ((0, 0),) * 2, _max)
    )


def _max(values, rank):
    return values.max(axis=0)


def _mean(values, rank):
    return values.mean(axis=0)


def test_pooling_2d_by_hand():
    x = np.arange(1.0, 10.0, dtype="float32").reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(
        ops.max_pool(x, 2, padding="same").numpy()[0, :, :, 0], [[5, 6], [8, 9]]
    )
    # Same padding (0, 1): edge windows average only their input elements.
    np.testing.assert_array_equal(
        ops.average_pool(x, 2, padding="same").numpy()[0, :, :, 0],
        [[3.0, 4.5], [7.5, 9.0]],
    )
    np.testing.assert_array_equal(ops.max_pool(x, 2).numpy()[0, :, :, 0], [[5]])
    np.testing.assert_array_equal(
        ops.sum_pool(x, 2, 1).numpy()[0, :, :, 0], [[12, 16], [24, 28]]
    )


POOL_CASES = [
    ((2, 7, 3), (2,), None, "valid"),
    ((2, 7, 3), (3,), (2,), "same"),
    ((1, 8, 2), (3,), (1,), "same"),
    ((2, 5, 7, 3), (2, 2), None, "same"),
    ((2, 5, 7, 3), (3, 2), (2, 3), "valid"),
    ((1, 6, 5, 2), (3, 3), (2, 1), "same"),
    ((1, 2, 3, 4, 2), (2, 2, 3), (1, 2, 2), "same"),
]


@pytest.mark.parametrize(("shape", "window", "strides", "padding"), POOL_CASES)
def test_pooling_matches_the_transcription(shape, window, strides, padding):
    x = np.random.default_rng(3).normal(size=shape).astype("float32")
    steps = window if strides is None else strides
    pairs = explicit_padding(padding, shape[1:-1], window, steps, (1,) * len(window))
    for fn, combine in ((ops.max_pool, _max), (ops.average_pool, _mean)):
        result = fn(x, window, strides, padding).numpy()
        expected = naive_pool(x, window, steps, pairs, combine)
        np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-6)


def test_average_pool_gradient_spreads_over_valid_elements():
    x = np.zeros((1, 5, 1))
    weights = np.array([6.0, 12.0, 10.0]).reshape(1, 3, 1)
    _, _, results = _gradients(
        lambda a: ops.average_pool(a, 3, 2, padding="same"), [x], weights
    )
    # Windows (padding (1, 1)): [0, 1] / 2, [1, 2, 3] / 3, [3, 4] / 2.
    np.testing.assert_allclose(results["g0"][0, :, 0], [3, 3 + 4, 4, 4 + 5, 5])


def test_window_counts():
    np.testing.assert_array_equal(
        window_counts((3, 3), (2, 2), (2, 2), ((0, 1), (0, 1))), [[4, 2], [2, 1]]
    )
    np.testing.assert_array_equal(
        window_counts((5,), (3,), (1,), ((1, 1),)), [2, 3, 3, 3, 2]
    )


# -- errors --------------------------------------------------------------------


def test_conv_errors_name_the_op_and_the_shapes():
    x = np.zeros((1, 2, 2, 1), "float32")
    with pytest.raises(errors.ShapeError, match=r"conv: the window is larger.*spans 3"):
        ops.conv(x, np.zeros((3, 3, 1, 2), "float32"))
    with pytest.raises(
        errors.ShapeError, match=r"conv: input channels differ \(1 and 2\)"
    ):
        ops.conv(x, np.zeros((1, 1, 2, 2), "float32"))
    with pytest.raises(errors.ShapeError, match=r"conv: a kernel .* of rank 4 needs"):
        ops.conv(np.zeros((1, 2, 1), "float32"), np.zeros((1, 1, 1, 2), "float32"))
    with pytest.raises(ValueError, match=r"`strides` argument.*Received: strides=0"):
        ops.conv(x, np.zeros((1, 1, 1, 2), "float32"), strides=0)
    with pytest.raises(ValueError, match=r"channels_last.*Received: data_format='ch"):
        ops.conv(x, np.zeros((1, 1, 1, 2), "float32"), data_format="channels_first")
    with pytest.raises(errors.ShapeError, match=r"invalid attribute strides"):
        builder.evaluate(
            "conv",
            [x, np.zeros((1, 1, 1, 2), "float32")],
            {"strides": (0, 1), "padding": ((0, 0), (0, 0)), "dilation": (1, 1)},
        )
    with pytest.raises(errors.ShapeError, match=r"invalid attribute padding"):
        builder.evaluate(
            "conv",
            [x, np.zeros((1, 1, 1, 2), "float32")],
            {"strides": (1, 1), "padding": ((-1, 0), (0, 0)), "dilation": (1, 1)},
        )


def test_conv_kernel_grad_checks_the_cotangent():
    x = np.zeros((2, 5, 1), "float32")
    with pytest.raises(errors.ShapeError, match=r"output sizes along spatial axis 0"):
        ops.conv_kernel_grad(x, np.zeros((2, 4, 3), "float32"), 3)
    with pytest.raises(errors.ShapeError, match=r"batch sizes differ"):
        ops.conv_kernel_grad(x, np.zeros((1, 3, 3), "float32"), 3)


def test_pooling_errors():
    x = np.zeros((1, 2, 2, 1), "float32")
    with pytest.raises(errors.ShapeError, match=r"sum_pool: the window is larger"):
        ops.average_pool(x, 3)
    with pytest.raises(errors.ShapeError, match=r"padding must be smaller than the"):
        builder.evaluate(
            "pool_argmax",
            [x],
            {"window": (2, 2), "strides": (1, 1), "padding": ((2, 0), (0, 0))},
        )
    with pytest.raises(ValueError, match=r"Pooling takes padding 'valid' or 'same'"):
        ops.max_pool(x, 2, padding="causal")
    with pytest.raises(ValueError, match=r"`pool_size` argument.*pool_size=\(2, 0\)"):
        ops.max_pool(x, (2, 0))
    with pytest.raises(ValueError, match=r"data_format='channels_last'"):
        ops.average_pool(x, 2, data_format="channels_first")

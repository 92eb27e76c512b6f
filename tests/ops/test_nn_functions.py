"""Keras's neural-network functions (``kgraph/ops/nn_functions.py``):
each against a NumPy transcription of Keras's formula, eagerly and inside
a model on both backends, and recorded whole so a model saves and reloads."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kgraph as kg
from kgraph import activations
from kgraph import ops

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
ERF = np.vectorize(math.erf)


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softplus(x):
    return np.logaddexp(0.0, x)


def np_hard_sigmoid(x):
    return np.clip(x + 3.0, 0.0, 6.0) / 6.0


def np_gelu(x, approximate=True):
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1.0 + np.tanh(inner))
    return 0.5 * x * (1.0 + ERF(x / math.sqrt(2.0)))


# name -> (kwargs, NumPy transcription of Keras's formula)
ELEMENTWISE = {
    "relu6": ({}, lambda x: np.clip(x, 0.0, 6.0)),
    "gelu": ({}, np_gelu),
    "gelu_exact": ({"approximate": False}, lambda x: np_gelu(x, False)),
    "silu": ({}, lambda x: x * np_sigmoid(x)),
    "swish": ({}, lambda x: x * np_sigmoid(x)),
    "hard_sigmoid": ({}, np_hard_sigmoid),
    "hard_silu": ({}, lambda x: x * np_hard_sigmoid(x)),
    "hard_swish": ({}, lambda x: x * np_hard_sigmoid(x)),
    "hard_tanh": ({}, lambda x: np.clip(x, -1.0, 1.0)),
    "hard_shrink": ({}, lambda x: np.where(np.abs(x) > 0.5, x, 0.0)),
    "soft_shrink": (
        {"threshold": 0.7},
        lambda x: np.where(x > 0.7, x - 0.7, np.where(x < -0.7, x + 0.7, 0.0)),
    ),
    "tanh_shrink": ({}, lambda x: x - np.tanh(x)),
    "softsign": ({}, lambda x: x / (np.abs(x) + 1.0)),
    "selu": (
        {},
        lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    ),
    "celu": ({"alpha": 1.5}, lambda x: np.where(x > 0, x, 1.5 * np.expm1(x / 1.5))),
    "log_sigmoid": ({}, lambda x: -np_softplus(-x)),
    "sparse_plus": (
        {},
        lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    ),
    "sparse_sigmoid": ({}, lambda x: 0.5 * np.clip(x + 1.0, 0.0, 2.0)),
    "squareplus": ({"b": 3}, lambda x: (x + np.sqrt(x * x + 3.0)) / 2.0),
    "threshold": (
        {"threshold": 0.3, "default_value": -2.0},
        lambda x: np.where(x > 0.3, x, -2.0),
    ),
}

X = np.concatenate(
    [np.linspace(-7.0, 7.0, 29), [-1.0, 1.0, 0.5, -0.5, 6.0, -3.0, 3.0]]
).astype("float32")


def _op(name):
    return getattr(ops, "gelu" if name == "gelu_exact" else name)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_functions_follow_keras_formulas(name):
    kwargs, reference = ELEMENTWISE[name]
    got = _op(name)(X, **kwargs).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(
        got, reference(X.astype("float64")), atol=1e-6, rtol=1e-5
    )


def test_elementwise_functions_take_ints_as_float32():
    assert ops.relu6(np.array([1, 9])).dtype == "float32"
    assert ops.gelu([1, 2]).dtype == "float32"


def test_gelu_exact_stays_accurate_far_in_the_tail():
    x = np.array([-9.0, -6.0], "float32")
    expected = 0.5 * x * np.array([math.erfc(v / math.sqrt(2.0)) for v in -x])
    np.testing.assert_allclose(
        ops.gelu(x, approximate=False).numpy(), expected, rtol=1e-5
    )


def test_every_elementwise_function_runs_in_a_model(backend):
    inputs = kg.Input((X.size,))
    outputs = [_op(n)(inputs, **ELEMENTWISE[n][0]) for n in sorted(ELEMENTWISE)]
    model = kg.Model(inputs, outputs)
    model.compile(loss="mse", backend=backend)
    predicted = model.predict(np.stack([X, -X]), verbose=0)
    for name, got in zip(sorted(ELEMENTWISE), predicted, strict=True):
        reference = ELEMENTWISE[name][1]
        expected = reference(np.stack([X, -X]).astype("float64"))
        np.testing.assert_allclose(got, expected, atol=1e-6, rtol=1e-5, err_msg=name)


def test_a_model_with_recorded_functions_saves_and_reloads(tmp_path):
    inputs = kg.Input((4,))
    hidden = kg.layers.Dense(6)(inputs)
    outputs = ops.layer_normalization(ops.gelu(hidden, approximate=False))
    model = kg.Model(inputs, ops.squareplus(outputs, b=2.0))
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.kgraph")
    loaded = kg.models.load_model(tmp_path / "m.kgraph")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-6)


# ---------------------------------------------------------------- activations


@pytest.mark.parametrize(
    "name",
    [
        "glu",
        "hard_shrink",
        "soft_shrink",
        "sparse_plus",
        "sparse_sigmoid",
        "sparsemax",
        "squareplus",
        "threshold",
    ],
)
def test_new_activations_are_the_ops_and_resolve_by_name(name):
    x = np.linspace(-2.0, 2.0, 8).astype("float32").reshape(2, 4)
    args = (0.1, 0.0) if name == "threshold" else ()
    np.testing.assert_array_equal(
        getattr(activations, name)(x, *args).numpy(),
        getattr(ops, name)(x, *args).numpy(),
    )
    assert activations.get(name) is getattr(activations, name)


def test_activations_gelu_keeps_keras_exact_default():
    np.testing.assert_allclose(
        activations.gelu(X).numpy(), np_gelu(X.astype("float64"), False), atol=1e-6
    )


# ---------------------------------------------------------------- glu, sparsemax


def np_sparsemax(x, axis=-1):
    """Keras 3.15's sparsemax, transcribed (its tau sums the cumulative sums
    over the support)."""
    x = np.moveaxis(x, axis, -1)
    z = -np.sort(-x, axis=-1)
    cumsum = np.cumsum(z, axis=-1)
    r = np.arange(1, x.shape[-1] + 1)
    support = z - (cumsum - 1) / r > 0
    k = support.sum(-1, keepdims=True)
    tau = (np.where(support, cumsum, 0.0).sum(-1, keepdims=True) - 1) / k
    return np.moveaxis(np.maximum(x - tau, 0.0), -1, axis)


M = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")


def test_glu_gates_the_first_half_with_the_second():
    np.testing.assert_allclose(
        ops.glu(M).numpy(), M[:, :4] * np_sigmoid(M[:, 4:]), rtol=1e-6
    )
    np.testing.assert_allclose(
        ops.glu(M[:2], axis=0).numpy(), M[:1] * np_sigmoid(M[1:2]), rtol=1e-6
    )
    with pytest.raises(ValueError, match="even size"):
        ops.glu(M[:, :3])


@pytest.mark.parametrize("axis", [-1, 0])
def test_sparsemax_matches_keras_including_ties(axis):
    tied = np.array([[1.0, 1.0, 0.2, 0.2], [0.5, 0.5, 0.5, -3.0]], "float32")
    for x in (M, tied):
        np.testing.assert_allclose(
            ops.sparsemax(x, axis=axis).numpy(), np_sparsemax(x, axis), atol=1e-6
        )


def test_glu_and_sparsemax_run_in_a_model(backend):
    inputs = kg.Input((8,))
    model = kg.Model(inputs, [ops.glu(inputs), ops.sparsemax(inputs)])
    model.compile(loss="mse", backend=backend)
    glu, sparse = model.predict(M, verbose=0)
    np.testing.assert_allclose(glu, M[:, :4] * np_sigmoid(M[:, 4:]), rtol=1e-5)
    np.testing.assert_allclose(sparse, np_sparsemax(M), atol=1e-6)


# ---------------------------------------------------------------- normalization


def test_moments_are_the_mean_and_biased_variance():
    mean, variance = ops.moments(M, axes=[1])
    np.testing.assert_allclose(mean.numpy(), M.mean(1), rtol=1e-6)
    np.testing.assert_allclose(variance.numpy(), M.var(1), rtol=1e-5)
    mean, variance = ops.moments(M, axes=0, keepdims=True)
    assert mean.shape == variance.shape == (1, 8)


def test_normalize_divides_by_the_norm_with_keras_floor():
    l2 = M / np.sqrt((M**2).sum(-1, keepdims=True))
    np.testing.assert_allclose(ops.normalize(M).numpy(), l2, rtol=1e-6)
    l1 = M / np.abs(M).sum(0, keepdims=True)
    np.testing.assert_allclose(ops.normalize(M, axis=0, order=1).numpy(), l1, rtol=1e-6)
    np.testing.assert_array_equal(ops.normalize(np.zeros((1, 3))).numpy(), 0.0)
    with pytest.raises(ValueError, match="order"):
        ops.normalize(M, order=0)


def np_layer_norm(x, gamma, beta, epsilon=1e-7):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def test_batch_layer_and_rms_normalization_follow_keras():
    gamma, beta = np.arange(8, dtype="float32"), np.ones(8, "float32")
    np.testing.assert_allclose(
        ops.layer_normalization(M, gamma=gamma, beta=beta).numpy(),
        np_layer_norm(M.astype("float64"), gamma, beta),
        atol=2e-6,
    )
    rms = M / np.sqrt((M.astype("float64") ** 2).mean(-1, keepdims=True) + 1e-7)
    np.testing.assert_allclose(
        ops.rms_normalization(M, scale=gamma).numpy(), rms * gamma, atol=2e-6
    )
    mean, var = np.arange(8, dtype="float32"), np.arange(1, 9, dtype="float32")
    bn = (M - mean) / np.sqrt(var + 1e-3) * 2.0 + beta
    got = ops.batch_normalization(
        M, mean, var, axis=1, offset=beta, scale=np.full(8, 2.0, "float32")
    )
    np.testing.assert_allclose(got.numpy(), bn, atol=2e-6)


def test_layer_normalization_over_several_axes_and_rms_scaling():
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
    gamma = np.linspace(0.5, 2.0, 12).astype("float32").reshape(3, 4)
    mean = x.mean((1, 2), keepdims=True)
    var = x.var((1, 2), keepdims=True)
    got = ops.layer_normalization(x, gamma=gamma, axis=(1, 2), epsilon=1e-3)
    np.testing.assert_allclose(
        got.numpy(), (x - mean) / np.sqrt(var + 1e-3) * gamma, atol=2e-6
    )
    scaled = ops.layer_normalization(x, axis=-1, rms_scaling=True)
    var = x.var(-1, keepdims=True)
    np.testing.assert_allclose(scaled.numpy(), x / np.sqrt(var + 1e-7), atol=2e-6)


def test_normalizations_run_in_a_model_with_the_batch_axis_unknown(backend):
    inputs = kg.Input((8,))
    mean, variance = ops.moments(inputs, axes=[0])
    gamma, beta = np.arange(8, dtype="float32"), np.ones(8, "float32")
    outputs = [
        ops.layer_normalization(inputs, gamma=gamma, beta=beta),
        ops.rms_normalization(inputs),
        ops.normalize(inputs),
        ops.batch_normalization(inputs, mean, variance, axis=-1),
    ]
    model = kg.Model(inputs, outputs)
    model.compile(loss="mse", backend=backend)
    layer, rms, l2, bn = model.predict(M, batch_size=3, verbose=0)
    x = M.astype("float64")
    np.testing.assert_allclose(layer, np_layer_norm(x, gamma, beta), atol=2e-5)
    np.testing.assert_allclose(
        rms, x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-7), atol=2e-6
    )
    np.testing.assert_allclose(
        l2, x / np.sqrt((x**2).sum(-1, keepdims=True)), atol=2e-6
    )
    np.testing.assert_allclose(
        bn, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), atol=2e-5
    )


# ---------------------------------------------------------------- crossentropies


def np_categorical(target, output, from_logits):
    if from_logits:
        shifted = output - output.max(-1, keepdims=True)
        log_prob = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    else:
        output = output / output.sum(-1, keepdims=True)
        log_prob = np.log(np.clip(output, 1e-7, 1 - 1e-7))
    return -(target * log_prob).sum(-1)


def np_binary(target, output, from_logits):
    if from_logits:
        return -target * -np_softplus(-output) - (1 - target) * -np_softplus(output)
    output = np.clip(output, 1e-7, 1 - 1e-7)
    return -(target * np.log(output) + (1 - target) * np.log(1 - output))


PROBS = np.abs(M) / np.abs(M).sum(1, keepdims=True)
LABELS = np.array([1, 4, 7])
ONE_HOT = np.eye(8, dtype="float32")[LABELS]


@pytest.mark.parametrize("from_logits", [False, True])
def test_crossentropies_follow_keras(from_logits):
    output = M if from_logits else PROBS
    expected = np_categorical(ONE_HOT, output.astype("float64"), from_logits)
    got = ops.categorical_crossentropy(ONE_HOT, output, from_logits=from_logits)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)
    sparse = ops.sparse_categorical_crossentropy(
        LABELS[:, None], output, from_logits=from_logits
    )
    np.testing.assert_allclose(sparse.numpy(), expected, rtol=1e-5)
    target = (M > 0).astype("float32")
    output = M if from_logits else np_sigmoid(M)
    got = ops.binary_crossentropy(target, output, from_logits=from_logits)
    np.testing.assert_allclose(
        got.numpy(), np_binary(target, output.astype("float64"), from_logits), rtol=1e-5
    )


def test_crossentropies_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        ops.categorical_crossentropy(ONE_HOT[:, :4], PROBS)
    with pytest.raises(ValueError, match="same shape"):
        ops.binary_crossentropy(ONE_HOT[:2], PROBS)
    with pytest.raises(ValueError, match="up until its last dimension"):
        ops.sparse_categorical_crossentropy(LABELS[:2], PROBS)


def test_crossentropies_run_in_a_model(backend):
    logits = kg.Input((8,))
    labels = kg.Input((), dtype="int32")
    outputs = [
        ops.sparse_categorical_crossentropy(labels, logits, from_logits=True),
        ops.categorical_crossentropy(ops.one_hot(labels, 8), ops.softmax(logits)),
        ops.binary_crossentropy(ops.sigmoid(logits), ops.sigmoid(logits)),
    ]
    model = kg.Model([logits, labels], outputs)
    model.compile(loss="mse", backend=backend)
    sparse, dense, binary = model.predict([M, LABELS.astype("int32")], verbose=0)
    expected = np_categorical(ONE_HOT, M.astype("float64"), True)
    np.testing.assert_allclose(sparse, expected, rtol=1e-5)
    np.testing.assert_allclose(dense, expected, rtol=1e-4)
    s = np_sigmoid(M.astype("float64"))
    np.testing.assert_allclose(binary, np_binary(s, s, False), rtol=1e-4)


# ---------------------------------------------------------------- encodings


def test_multi_hot_marks_every_class_of_a_row():
    got = ops.multi_hot(np.array([[0, 2], [1, 1]]), 4)
    np.testing.assert_array_equal(got.numpy(), [[1, 0, 1, 0], [0, 1, 0, 0]])
    np.testing.assert_array_equal(
        ops.multi_hot([3, 0], num_tokens=4).numpy(), [1, 0, 0, 1]
    )
    assert ops.multi_hot([[1]], 2, dtype="int32").dtype == "int32"
    with pytest.raises(ValueError, match="num_classes"):
        ops.multi_hot([1])
    with pytest.raises(ValueError, match="sparse"):
        ops.multi_hot([1], 2, sparse=True)


def np_in_top_k(targets, predictions, k):
    at_label = predictions[np.arange(len(targets)), targets][:, None]
    at_label = np.where(np.isnan(at_label), -np.inf, at_label)
    return 1 + (predictions > at_label).sum(-1) <= k


def test_in_top_k_counts_ties_in_and_nan_out():
    predictions = np.array(
        [[0.1, 0.5, 0.5, 0.2], [0.3, np.nan, 0.1, 0.2], [0.4, 0.4, 0.4, 0.4]], "float32"
    )
    for targets in ([2, 1, 3], [0, 0, 0]):
        for k in (1, 2):
            np.testing.assert_array_equal(
                ops.in_top_k(np.array(targets), predictions, k).numpy(),
                np_in_top_k(np.array(targets), predictions, k),
            )


def test_encodings_psnr_and_frames_run_in_a_model(backend):
    scores = kg.Input((8,))
    labels = kg.Input((2,), dtype="int32")
    outputs = [
        ops.in_top_k(labels[:, 0], scores, 3),
        ops.multi_hot(labels, 8),
        ops.extract_sequences(scores, 3, 2),
    ]
    model = kg.Model([scores, labels], outputs)
    model.compile(loss="mse", backend=backend)
    codes = np.array([[1, 1], [4, 0], [7, 2]], "int32")
    top, hot, frames = model.predict([M, codes], verbose=0)
    np.testing.assert_array_equal(top, np_in_top_k(codes[:, 0], M, 3))
    expected = np.zeros((3, 8))
    for row, values in enumerate(codes):
        expected[row, values] = 1
    np.testing.assert_array_equal(hot, expected)
    np.testing.assert_array_equal(
        frames, np.stack([M[:, s : s + 3] for s in (0, 2, 4)], 1)
    )


def test_psnr_and_extract_sequences():
    x1, x2 = M, M * 0.9
    mse = ((x1.astype("float64") - x2) ** 2).mean()
    expected = 20 * np.log10(2.0) - 10 * np.log10(mse)
    np.testing.assert_allclose(
        float(ops.psnr(x1, x2, 2.0).numpy()), expected, rtol=1e-5
    )
    frames = ops.extract_sequences(np.arange(10.0).reshape(1, 10), 4, 3).numpy()
    np.testing.assert_array_equal(frames, [[[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]])


# ---------------------------------------------------------------- attention


def np_attention(q, k, v, bias=None, mask=None, scale=None, is_causal=False):
    """Keras's XLA path for dot_product_attention, transcribed (groups of
    query heads share a key head)."""
    heads, kv_heads = q.shape[2], k.shape[2]
    k = np.repeat(k, heads // kv_heads, axis=2)
    v = np.repeat(v, heads // kv_heads, axis=2)
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    logits = np.einsum("BTNH,BSNH->BNTS", q, k) * scale
    if bias is not None:
        logits = logits + bias
    keep = np.ones_like(logits, dtype=bool)
    if mask is not None:
        keep &= mask
    if is_causal:
        keep &= np.tril(np.ones(logits.shape[-2:], dtype=bool))
    logits = np.where(keep, logits, -0.7 * np.finfo(np.float32).max)
    logits = logits - logits.max(-1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return np.einsum("BNTS,BSNH->BTNH", probs, v)


RNG = np.random.default_rng(2)
Q = RNG.normal(size=(2, 3, 4, 5)).astype("float32")
K = RNG.normal(size=(2, 6, 2, 5)).astype("float32")
V = RNG.normal(size=(2, 6, 2, 3)).astype("float32")
MASK = RNG.random((2, 1, 3, 6)) > 0.3
BIAS = RNG.normal(size=(1, 4, 3, 6)).astype("float32")


def test_dot_product_attention_with_groups_bias_mask_and_scale():
    got = ops.dot_product_attention(Q, K, V, bias=BIAS, mask=MASK, scale=0.3)
    np.testing.assert_allclose(
        got.numpy(), np_attention(Q, K, V, BIAS, MASK, 0.3), atol=1e-5
    )
    square = Q[:, :, :2]
    np.testing.assert_allclose(
        ops.dot_product_attention(square, square, square, is_causal=True).numpy(),
        np_attention(square, square, square, is_causal=True),
        atol=1e-5,
    )


def test_dot_product_attention_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="4D"):
        ops.dot_product_attention(Q[0], K[0], V[0])
    with pytest.raises(ValueError, match="multiple"):
        ops.dot_product_attention(Q[:, :, :3], K, V)
    with pytest.raises(ValueError, match="flash"):
        ops.dot_product_attention(Q, K, V, flash_attention=True)


def test_dot_product_attention_runs_in_a_model(backend):
    query = kg.Input((3, 4, 5))
    key = kg.Input((6, 2, 5))
    value = kg.Input((6, 2, 3))
    mask = kg.Input((1, 3, 6), dtype="bool")
    outputs = [
        ops.dot_product_attention(query, key, value, mask=mask, scale=0.3),
        ops.dot_product_attention(query, query, query, is_causal=True),
    ]
    model = kg.Model([query, key, value, mask], outputs)
    model.compile(loss="mse", backend=backend)
    masked, causal = model.predict([Q, K, V, MASK], verbose=0)
    np.testing.assert_allclose(
        masked, np_attention(Q, K, V, None, MASK, 0.3), atol=1e-5
    )
    np.testing.assert_allclose(causal, np_attention(Q, Q, Q, is_causal=True), atol=1e-5)


def test_gradients_flow_through_a_recorded_function(backend):
    inputs = kg.Input((8,))
    hidden = kg.layers.Dense(8)(inputs)
    outputs = kg.layers.Dense(1)(ops.layer_normalization(ops.gelu(hidden)))
    model = kg.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(M, np.ones((3, 1), "float32"), epochs=3, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


# ---------------------------------------------------------------- fold, unfold


def np_unfold(x, kernel, dilation, padding, stride):
    """PyTorch's Unfold, transcribed with loops."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, w = x.shape
    nh, nw = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c, kh, kw, nh, nw), x.dtype)
    for i in range(kh):
        for j in range(kw):
            for r in range(nh):
                for s in range(nw):
                    out[:, :, i, j, r, s] = x[:, :, i * dh + r * sh, j * dw + s * sw]
    return out.reshape(n, c * kh * kw, nh * nw)


def np_fold(blocks, size, kernel, dilation, padding, stride):
    """PyTorch's Fold (the adjoint of unfold), transcribed with loops."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    n, ckk, _ = blocks.shape
    c = ckk // (kh * kw)
    h, w = size[0] + 2 * ph, size[1] + 2 * pw
    nh, nw = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    blocks = blocks.reshape(n, c, kh, kw, nh, nw)
    out = np.zeros((n, c, h, w), blocks.dtype)
    for i in range(kh):
        for j in range(kw):
            for r in range(nh):
                for s in range(nw):
                    out[:, :, i * dh + r * sh, j * dw + s * sw] += blocks[
                        :, :, i, j, r, s
                    ]
    return out[:, :, ph : ph + size[0], pw : pw + size[1]]


IMAGE = np.random.default_rng(4).normal(size=(2, 3, 7, 6)).astype("float32")
WINDOWS = [
    ((3, 3), (1, 1), (0, 0), (1, 1)),
    ((2, 3), (1, 2), (1, 1), (2, 1)),
]


@pytest.mark.parametrize(("kernel", "dilation", "padding", "stride"), WINDOWS)
def test_unfold_and_fold_follow_pytorch(kernel, dilation, padding, stride):
    blocks = ops.unfold(IMAGE, kernel, dilation, padding, stride)
    np.testing.assert_array_equal(
        blocks.numpy(), np_unfold(IMAGE, kernel, dilation, padding, stride)
    )
    folded = ops.fold(blocks, (7, 6), kernel, dilation, padding, stride)
    np.testing.assert_allclose(
        folded.numpy(),
        np_fold(blocks.numpy(), (7, 6), kernel, dilation, padding, stride),
        rtol=1e-6,
    )
    with pytest.raises(ValueError, match="fold expects"):
        ops.fold(blocks, (5, 5), kernel, dilation, padding, stride)


def test_unfold_and_fold_run_in_a_model(backend):
    kernel, dilation, padding, stride = WINDOWS[1]
    inputs = kg.Input((3, 7, 6))
    blocks = ops.unfold(inputs, kernel, dilation, padding, stride)
    folded = ops.fold(blocks, (7, 6), kernel, dilation, padding, stride)
    model = kg.Model(inputs, [blocks, folded])
    model.compile(loss="mse", backend=backend)
    got_blocks, got_folded = model.predict(IMAGE, verbose=0)
    expected = np_unfold(IMAGE, kernel, dilation, padding, stride)
    np.testing.assert_array_equal(got_blocks, expected)
    np.testing.assert_allclose(
        got_folded,
        np_fold(expected, (7, 6), kernel, dilation, padding, stride),
        rtol=1e-6,
    )


# ---------------------------------------------------------------- gradients

GRADIENT_CASES = {
    "gelu_exact": lambda x: ops.gelu(x, approximate=False),
    "selu": ops.selu,
    "celu": lambda x: ops.celu(x, alpha=1.5),
    "hard_silu": ops.hard_silu,
    "log_sigmoid": ops.log_sigmoid,
    "squareplus": ops.squareplus,
    "glu": ops.glu,
    "sparsemax": ops.sparsemax,
    "layer_normalization": lambda x: ops.layer_normalization(x, epsilon=1e-3),
    "rms_normalization": ops.rms_normalization,
    "normalize": ops.normalize,
    "categorical_crossentropy": lambda x: ops.categorical_crossentropy(
        ONE_HOT[:, :6].astype(x.dtype), x, from_logits=True
    ),
    "attention": lambda x: ops.dot_product_attention(
        ops.reshape(x, (1, 3, 2, 3)),
        ops.reshape(x, (1, 3, 2, 3)),
        ops.reshape(x, (1, 3, 2, 3)),
        is_causal=True,
    ),
    "unfold": lambda x: ops.unfold(ops.reshape(x, (1, 2, 3, 3)), 2),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(name):
    from kgraph.backends import interpreter
    from kgraph.ir.graph import Graph
    from kgraph.ops import sources
    from kgraph.ops.vjp import gradients
    from kgraph.testing import numerics

    fn = GRADIENT_CASES[name]
    x = np.random.default_rng(5).normal(size=(3, 6))
    # Keep away from the kinks of the piecewise functions.
    x = np.where(np.abs(np.abs(x) - 1.0) < 0.05, x + 0.1, x)
    weights = np.random.default_rng(6).uniform(0.5, 1.5, np.asarray(fn(x)).shape)
    graph = Graph(name="gradient")
    placeholder = sources.placeholder(graph, "x", x.shape, "float64")
    total = ops.sum(ops.multiply(fn(placeholder), weights))
    (grad,) = gradients(graph, total.node_id, [placeholder.node_id])
    graph.set_output("g", grad)
    found = interpreter.run(graph, {"x": x})["g"]

    def loss(point):
        return float(np.sum(np.asarray(fn(point[0])) * weights))

    expected = numerics.numeric_gradient(loss, [x], 0, step=1e-6)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5)


def test_one_hot_takes_keras_arguments():
    got = ops.one_hot(np.array([[0, 2], [5, -1]]), 3, axis=0, dtype=None)
    expected = np.moveaxis(
        np.eye(3)[[[0, 2], [0, 0]]] * [[[1], [1]], [[0], [0]]], -1, 0
    )
    np.testing.assert_array_equal(got.numpy(), expected)
    assert got.dtype == "float32"
    assert ops.one_hot([1], 2, dtype="int32").dtype == "int32"
    with pytest.raises(ValueError, match="sparse"):
        ops.one_hot([1], 2, sparse=True)

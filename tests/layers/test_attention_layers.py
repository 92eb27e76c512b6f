"""Attention layers against NumPy transcriptions of Keras's formulas:
``EinsumDense``, ``MultiHeadAttention``, ``GroupedQueryAttention``,
``Attention`` and ``AdditiveAttention``; eagerly, inside models on both
backends, training on LLVM, masks and config round trips."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.testing.test_case import run_layer_test

BACKENDS = ("numpy", "llvm")
TOL = {"rtol": 1e-5, "atol": 1e-5}


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _mha(weights, q, v, mask=None, key_dim=3, fused=True):
    """Keras's multi-head attention on rank-3 inputs; a fully masked row
    gets uniform weights on the fused path, zeros on the other."""
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    query = np.einsum("btd,dhk->bthk", q, wq) + bq
    key = np.einsum("bsd,dhk->bshk", v, wk) + bk
    value = np.einsum("bsd,dhk->bshk", v, wv) + bv
    scores = np.einsum("bthk,bshk->bhts", query / np.sqrt(key_dim), key)
    if mask is not None:
        mask = mask[:, None]
        scores = np.where(mask, scores, -1e9)
    probs = _softmax(scores)
    if mask is not None and not fused:
        probs = np.where(mask, probs, 0.0)
    heads = np.einsum("bhts,bshv->bthv", probs, value)
    return np.einsum("bthv,hvo->bto", heads, wo) + bo, probs


def _randomize(layer, rng):
    layer.set_weights(
        [rng.normal(size=w.shape).astype("float32") * 0.5 for w in layer.weights]
    )


# -- EinsumDense -------------------------------------------------------------------


def test_einsum_dense_standard_checks():
    run_layer_test(
        layers.EinsumDense,
        {"equation": "abc,cd->abd", "output_shape": (None, 4), "bias_axes": "d"},
        input_shape=(2, 3, 5),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=2,
        backends=BACKENDS,
    )


@pytest.mark.parametrize(
    "equation,output_shape,bias_axes,input_shape,kernel,bias",
    [
        ("ab,bc->ac", 4, "c", (3, 5), (5, 4), (4,)),
        ("...b,bc->...c", 4, "c", (2, 3, 5), (5, 4), (4,)),
        ("ab...,bc->ac...", (4,), "c", (2, 5, 3), (5, 4), (4, 1)),
        ("abc,cde->abde", (None, 2, 3), "de", (2, 3, 5), (5, 2, 3), (2, 3)),
        ("abcd,cde->abe", (None, 4), "e", (2, 3, 5, 2), (5, 2, 4), (4,)),
        ("abc,cd->abd", (None, 4), None, (2, 3, 5), (5, 4), None),
    ],
)
def test_einsum_dense_matches_numpy(
    equation, output_shape, bias_axes, input_shape, kernel, bias, rng
):
    layer = layers.EinsumDense(
        equation, output_shape, bias_axes=bias_axes, activation="relu"
    )
    x = rng.normal(size=input_shape).astype("float32")
    layer(x)
    assert tuple(layer.kernel.shape) == kernel
    assert (layer.bias is None and bias is None) or tuple(layer.bias.shape) == bias
    _randomize(layer, rng)
    expected = np.einsum(equation, x, layer.kernel.numpy())
    if bias is not None:
        expected = expected + layer.bias.numpy()
    np.testing.assert_allclose(layer(x).numpy(), np.maximum(expected, 0), **TOL)


def test_einsum_dense_kernel_fans_follow_its_axes():
    layer = layers.EinsumDense("abc,cde->abde", (None, 8, 16), bias_axes="de")
    layer.build((None, 3, 4))
    limit = np.sqrt(6.0 / (4 + 8 * 16))
    kernel = layer.kernel.numpy()
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.8 * limit


def test_einsum_dense_rejects_bad_equations():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        layers.EinsumDense("ab,bc", 4)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="Bias dimension 'x'"):
        layers.EinsumDense("ab,bc->ac", 4, bias_axes="x")(np.ones((2, 3), "float32"))


# -- MultiHeadAttention -------------------------------------------------------------


@pytest.fixture
def qv(rng):
    q = rng.normal(size=(2, 4, 6)).astype("float32")
    v = rng.normal(size=(2, 5, 6)).astype("float32")
    mask = rng.random((2, 4, 5)) > 0.3
    mask[0, 1, :] = False  # a query step that may attend to nothing
    return q, v, mask


def test_multi_head_attention_weights_are_keras_shaped(qv):
    q, v, _ = qv
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    layer(q, v)
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        ("mha/query/kernel", (6, 2, 3)),
        ("mha/query/bias", (2, 3)),
        ("mha/key/kernel", (6, 2, 3)),
        ("mha/key/bias", (2, 3)),
        ("mha/value/kernel", (6, 2, 3)),
        ("mha/value/bias", (2, 3)),
        ("mha/attention_output/kernel", (2, 3, 6)),
        ("mha/attention_output/bias", (6,)),
    ]


@pytest.mark.parametrize("scores", [False, True])
def test_multi_head_attention_matches_numpy(qv, rng, scores):
    q, v, mask = qv
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(q, v)
    _randomize(layer, rng)
    result = layer(q, v, attention_mask=mask, return_attention_scores=scores)
    expected, probs = _mha(layer.get_weights(), q, v, mask, fused=not scores)
    if scores:
        result, weights = result
        np.testing.assert_allclose(weights.numpy(), probs, **TOL)
    np.testing.assert_allclose(result.numpy(), expected, **TOL)


def test_multi_head_attention_causal_mask(qv, rng):
    q, _, _ = qv
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(q, q)
    _randomize(layer, rng)
    causal = np.broadcast_to(np.tril(np.ones((4, 4), bool)), (2, 4, 4))
    expected, _ = _mha(layer.get_weights(), q, q, causal)
    np.testing.assert_allclose(
        layer(q, q, use_causal_mask=True).numpy(), expected, **TOL
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_multi_head_attention_in_a_model(qv, rng, backend):
    q, v, mask = qv
    query = kg.Input(shape=(4, 6))
    value = kg.Input(shape=(5, 6))
    allowed = kg.Input(shape=(4, 5))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    outputs = layer(query, value, attention_mask=allowed)
    model = kg.Model([query, value, allowed], outputs)
    _randomize(layer, rng)
    model.compile(loss="mse", backend=backend)
    expected, _ = _mha(layer.get_weights(), q, v, mask)
    predicted = model.predict([q, v, mask.astype("float32")], verbose=0)
    np.testing.assert_allclose(predicted, expected, **TOL)


def test_multi_head_attention_uses_keras_masks_of_its_inputs(backend, rng):
    tokens = kg.Input(shape=(5,), dtype="int32")
    x = layers.Embedding(10, 6, mask_zero=True)(tokens)
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    y = attention(x, x)
    model = kg.Model(tokens, y)
    model.compile(loss="mse", backend=backend)
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 9]], "int32")
    embedded = model.layers[1].get_weights()[0][ids]
    real = ids != 0
    mask = real[:, :, None] & real[:, None, :]
    expected, _ = _mha(attention.get_weights(), embedded, embedded, mask)
    np.testing.assert_allclose(model.predict(ids, verbose=0), expected, **TOL)


def test_multi_head_attention_trains_on_llvm(rng):
    inputs = kg.Input(shape=(4, 6))
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1)
    x = attention(inputs, inputs)
    x = layers.GlobalAveragePooling1D()(x)
    model = kg.Model(inputs, layers.Dense(1)(x))
    model.compile(optimizer="adam", loss="mse", backend="llvm")
    before = attention.get_weights()
    x = rng.normal(size=(16, 4, 6)).astype("float32")
    history = model.fit(x, x.sum(axis=(1, 2)), epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    after = attention.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_multi_head_attention_dropout_only_in_training(qv):
    q, v, _ = qv
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=3)
    inference = layer(q, v).numpy()
    np.testing.assert_array_equal(layer(q, v, training=False).numpy(), inference)
    assert not np.allclose(layer(q, v, training=True).numpy(), inference)


def test_multi_head_attention_output_shape_and_axes(rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    layer = layers.MultiHeadAttention(2, 3, output_shape=7, attention_axes=(1, 2))
    output, scores = layer(x, x, return_attention_scores=True)
    assert output.shape == (2, 3, 4, 7)
    assert scores.shape == (2, 2, 3, 4, 3, 4)
    np.testing.assert_allclose(scores.numpy().sum(axis=(-2, -1)), 1.0, rtol=1e-5)


def test_multi_head_attention_config_round_trip(qv):
    q, v, _ = qv
    layer = layers.MultiHeadAttention(2, 3, value_dim=4, dropout=0.1, seed=1)
    layer(q, v)
    config = layer.get_config()
    assert config["attention_axes"] == [1]
    assert config["value_dim"] == 4
    again = layers.MultiHeadAttention.from_config(config)
    assert again.get_config() == config


def test_multi_head_attention_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="key_dim"):
        layers.MultiHeadAttention(2, None)


# -- GroupedQueryAttention -------------------------------------------------------------


def _gqa(weights, q, v, mask, head_dim, repeats):
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    query = np.einsum("bqm,muh->bquh", q, wq) + bq
    key = np.repeat(np.einsum("bkm,mvh->bkvh", v, wk) + bk, repeats, axis=2)
    value = np.repeat(np.einsum("bkm,mvh->bkvh", v, wv) + bv, repeats, axis=2)
    scores = np.einsum("bquh,bkuh->buqk", query / np.sqrt(head_dim), key)
    scores = np.where(mask[:, None], scores, -1e9)
    heads = np.einsum("buqk,bkuh->bquh", _softmax(scores), value)
    return np.einsum("bquh,uhm->bqm", heads, wo) + bo


@pytest.mark.parametrize("backend", BACKENDS)
def test_grouped_query_attention_in_a_model(qv, rng, backend):
    q, v, mask = qv
    query = kg.Input(shape=(4, 6))
    value = kg.Input(shape=(5, 6))
    allowed = kg.Input(shape=(4, 5))
    layer = layers.GroupQueryAttention(3, num_query_heads=4, num_key_value_heads=2)
    model = kg.Model(
        [query, value, allowed], layer(query, value, attention_mask=allowed)
    )
    _randomize(layer, rng)
    assert [tuple(w.shape) for w in layer.weights[:4]] == [
        (6, 4, 3),
        (4, 3),
        (6, 2, 3),
        (2, 3),
    ]
    model.compile(loss="mse", backend=backend)
    expected = _gqa(layer.get_weights(), q, v, mask, 3, 2)
    predicted = model.predict([q, v, mask.astype("float32")], verbose=0)
    np.testing.assert_allclose(predicted, expected, **TOL)


def test_grouped_query_attention_config_and_errors():
    layer = layers.GroupQueryAttention(4, 4, 2, dropout=0.2)
    config = layer.get_config()
    assert config["num_query_heads"] == 4 and config["num_key_value_heads"] == 2
    assert layers.GroupQueryAttention.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(4, 3, 2)


# -- Attention and AdditiveAttention ---------------------------------------------------


def _attention(q, v, k, scores, q_mask, v_mask):
    if v_mask is not None:
        scores = np.where(v_mask[:, None, :], scores, scores - 1e9)
    weights = _softmax(scores)
    output = weights @ v
    if q_mask is not None:
        output = np.where(q_mask[:, :, None], output, 0.0)
    return output, weights


@pytest.fixture
def triple(rng):
    q = rng.normal(size=(2, 4, 3)).astype("float32")
    v = rng.normal(size=(2, 5, 3)).astype("float32")
    k = rng.normal(size=(2, 5, 3)).astype("float32")
    q_mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    v_mask = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], bool)
    return q, v, k, q_mask, v_mask


def test_dot_attention_matches_numpy(triple):
    q, v, k, q_mask, v_mask = triple
    layer = layers.Attention(use_scale=True)
    layer([q, v, k])
    layer.set_weights([np.float32(0.7)])
    output, weights = layer(
        [q, v, k], mask=[q_mask, v_mask], return_attention_scores=True
    )
    scores = 0.7 * q @ k.transpose(0, 2, 1)
    expected, expected_weights = _attention(q, v, k, scores, q_mask, v_mask)
    np.testing.assert_allclose(output.numpy(), expected, **TOL)
    np.testing.assert_allclose(weights.numpy(), expected_weights, **TOL)


def test_concat_attention_matches_numpy(triple):
    q, v, k, _, v_mask = triple
    layer = layers.Attention(use_scale=True, score_mode="concat")
    layer([q, v, k])
    layer.set_weights([np.float32(0.5), np.float32(1.5)])
    pairs = np.tanh(0.5 * (q[:, :, None, :] + k[:, None, :, :]))
    scores = 1.5 * pairs.sum(axis=-1)
    expected, _ = _attention(q, v, k, scores, None, v_mask)
    np.testing.assert_allclose(
        layer([q, v, k], mask=[None, v_mask]).numpy(), expected, **TOL
    )


def test_causal_attention(triple):
    q, _, _, _, _ = triple
    output = layers.Attention()([q, q], use_causal_mask=True).numpy()
    scores = q @ q.transpose(0, 2, 1)
    scores = np.where(np.tril(np.ones((4, 4), bool)), scores, scores - 1e9)
    np.testing.assert_allclose(output, _softmax(scores) @ q, **TOL)


def test_additive_attention_matches_numpy(triple):
    q, v, _, q_mask, v_mask = triple
    layer = layers.AdditiveAttention()
    layer([q, v])
    scale = np.array([0.3, -0.2, 0.5], "float32")
    layer.set_weights([scale])
    scores = (scale * np.tanh(q[:, :, None, :] + v[:, None, :, :])).sum(axis=-1)
    expected, _ = _attention(q, v, v, scores, q_mask, v_mask)
    np.testing.assert_allclose(
        layer([q, v], mask=[q_mask, v_mask]).numpy(), expected, **TOL
    )


@pytest.mark.parametrize("cls", [layers.Attention, layers.AdditiveAttention])
@pytest.mark.parametrize("backend", BACKENDS)
def test_attention_in_a_model_with_masks(cls, backend, rng):
    tokens = kg.Input(shape=(5,), dtype="int32")
    x = layers.Embedding(10, 3, mask_zero=True)(tokens)
    layer = cls(use_scale=True)
    y = layer([x, x])
    model = kg.Model(tokens, y)
    model.compile(loss="mse", backend=backend)
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 9]], "int32")
    eager = model.layers[1](ids)
    np.testing.assert_allclose(
        model.predict(ids, verbose=0), layer([eager, eager]).numpy(), **TOL
    )
    assert np.all(model.predict(ids, verbose=0)[0, 3:] == 0.0)


@pytest.mark.parametrize("cls", [layers.Attention, layers.AdditiveAttention])
def test_attention_trains_on_llvm(cls, rng):
    query = kg.Input(shape=(4, 3))
    value = kg.Input(shape=(5, 3))
    layer = cls(use_scale=True, dropout=0.2)
    x = layers.Flatten()(layer([query, value]))
    model = kg.Model([query, value], layers.Dense(1)(x))
    model.compile(optimizer="sgd", loss="mse", backend="llvm")
    before = layer.get_weights()
    q = rng.normal(size=(8, 4, 3)).astype("float32")
    v = rng.normal(size=(8, 5, 3)).astype("float32")
    history = model.fit([q, v], q.sum(axis=(1, 2)), epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert not np.array_equal(before[0], layer.get_weights()[0])


def test_attention_configs_and_errors():
    layer = layers.Attention(use_scale=True, score_mode="concat", dropout=0.1)
    config = layer.get_config()
    assert {"use_scale", "score_mode", "dropout", "seed"} <= set(config)
    assert layers.Attention.from_config(config).get_config() == config
    additive = layers.AdditiveAttention(use_scale=False).get_config()
    assert "score_mode" not in additive
    assert layers.AdditiveAttention.from_config(additive).get_config() == additive
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="cosine")
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(np.ones((1, 2, 3), "float32"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_multi_head_attention_on_sequences_of_unknown_length(rng, backend):
    inputs = kg.Input(shape=(None, 6))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    model = kg.Model(inputs, layer(inputs, inputs))
    _randomize(layer, rng)
    model.compile(loss="mse", backend=backend)
    for steps in (4, 7):
        x = rng.normal(size=(2, steps, 6)).astype("float32")
        expected, _ = _mha(layer.get_weights(), x, x)
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, **TOL)


def test_multi_head_attention_keyword_call_saves_and_loads(rng, tmp_path):
    query = kg.Input(shape=(4, 6))
    value = kg.Input(shape=(5, 6))
    key = kg.Input(shape=(5, 3))
    allowed = kg.Input(shape=(4, 5))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    outputs = layer(query=query, value=value, key=key, attention_mask=allowed)
    model = kg.Model([query, value, key, allowed], outputs)
    data = [
        rng.normal(size=(2, 4, 6)).astype("float32"),
        rng.normal(size=(2, 5, 6)).astype("float32"),
        rng.normal(size=(2, 5, 3)).astype("float32"),
        (rng.random((2, 4, 5)) > 0.3).astype("float32"),
    ]
    expected = model.predict(data, verbose=0)
    for name in ("m.kgraph", "m.keras"):
        if name.endswith(".keras"):
            pytest.importorskip("h5py")
        model.save(tmp_path / name)
        loaded = kg.models.load_model(tmp_path / name)
        np.testing.assert_array_equal(loaded.predict(data, verbose=0), expected)


@pytest.mark.parametrize("backend", BACKENDS)
def test_causal_masks_on_sequences_of_unknown_length(rng, backend):
    inputs = kg.Input(shape=(None, 6))
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    dot = layers.Attention()
    outputs = [mha(inputs, inputs, use_causal_mask=True)]
    outputs.append(dot([inputs, inputs], use_causal_mask=True))
    model = kg.Model(inputs, outputs)
    _randomize(mha, rng)
    model.compile(loss="mse", backend=backend)
    for steps in (3, 6):
        x = rng.normal(size=(2, steps, 6)).astype("float32")
        causal = np.broadcast_to(
            np.tril(np.ones((steps, steps), bool)), (2, steps, steps)
        )
        expected, _ = _mha(mha.get_weights(), x, x, causal)
        scores = np.where(causal, x @ x.transpose(0, 2, 1), -1e9)
        attended, dotted = model.predict(x, verbose=0)
        np.testing.assert_allclose(attended, expected, **TOL)
        np.testing.assert_allclose(dotted, _softmax(scores) @ x, **TOL)


def test_sliding_window(qv, rng):
    q, _, _ = qv
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, sliding_window=2)
    layer(q, q)
    _randomize(layer, rng)
    i, j = np.indices((4, 4))
    band = np.broadcast_to((np.abs(i - j) < 2) & (i >= j), (2, 4, 4))
    expected, _ = _mha(layer.get_weights(), q, q, band)
    np.testing.assert_allclose(
        layer(q, q, use_causal_mask=True).numpy(), expected, **TOL
    )

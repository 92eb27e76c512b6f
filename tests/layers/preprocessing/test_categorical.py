"""``CategoryEncoding``, ``Discretization`` and ``IntegerLookup``: Keras's
formulas (NumPy transcriptions below), ``adapt``, both backends, configs
and saving."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.ops.hashing import fingerprint64
from kgraph.ops.hashing import siphash


def numpy_encode(indices, mode, depth):
    """Keras's encode_categorical_inputs for rank-2 indices."""
    one_hot = (indices[..., None] == np.arange(depth)).astype("float32")
    if mode == "one_hot":
        return one_hot[:, 0] if indices.shape[-1] == 1 else one_hot
    if mode == "multi_hot":
        return one_hot.max(axis=1)
    return one_hot.sum(axis=1)


def numpy_lookup(tokens, vocabulary, num_oov=1, mask_token=None, int_mode=True):
    """Keras's IntegerLookup indices (floormod OOV buckets)."""
    oov_start = 1 if mask_token is not None and int_mode else 0
    start = oov_start + num_oov
    table = {t: start + i for i, t in enumerate(vocabulary)}
    out = np.empty(tokens.shape, dtype=np.int64)
    for position, token in np.ndenumerate(tokens):
        if mask_token is not None and token == mask_token:
            out[position] = 0 if int_mode else -1
        elif token in table:
            out[position] = table[token]
        else:
            out[position] = oov_start + (token % num_oov if num_oov > 1 else 0)
    return out


def _predict(layer, data):
    x = kg.Input(shape=data.shape[1:], dtype=str(data.dtype))
    return kg.Model(x, layer(x)).predict(data, verbose=0)


@pytest.fixture
def tokens(rng):
    return rng.integers(0, 6, size=(5, 4)).astype("int32")


# -- CategoryEncoding ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["multi_hot", "count", "one_hot"])
def test_category_encoding_follows_keras(tokens, backend, mode):
    del backend
    data = tokens[:, :1] if mode == "one_hot" else tokens
    layer = layers.CategoryEncoding(num_tokens=6, output_mode=mode)
    np.testing.assert_array_equal(_predict(layer, data), numpy_encode(data, mode, 6))


def test_category_encoding_count_weights_and_rank_one():
    layer = layers.CategoryEncoding(3, output_mode="count")
    weights = np.array([[0.5, 2.0, 1.0]], "float32")
    out = layer(np.array([[0, 2, 2]]), count_weights=weights).numpy()
    np.testing.assert_allclose(out, [[0.5, 0.0, 3.0]])
    multi = layers.CategoryEncoding(3)(np.array([0, 2, 2])).numpy()
    np.testing.assert_array_equal(multi, [1.0, 0.0, 1.0])
    assert layers.CategoryEncoding(3, output_mode="binary").output_mode == "multi_hot"


def test_category_encoding_ignores_indices_out_of_range():
    out = layers.CategoryEncoding(3, output_mode="count")(np.array([[0, 5, -1]]))
    np.testing.assert_array_equal(out.numpy(), [[1.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"num_tokens must be set"),
        ({"num_tokens": 0}, r">= 1"),
        ({"num_tokens": 3, "output_mode": "tf_idf"}, r"output_mode"),
        ({"num_tokens": 3, "sparse": True}, r"sparse"),
    ],
)
def test_category_encoding_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.CategoryEncoding(**kwargs)


def test_category_encoding_count_weights_need_count_mode():
    with pytest.raises(ValueError, match=r"count_weights"):
        layers.CategoryEncoding(3)(np.array([[0]]), count_weights=np.ones((1, 1)))


# -- Discretization ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["int", "multi_hot", "count"])
def test_discretization_buckets_as_digitize(rng, backend, mode):
    del backend
    data = rng.normal(size=(6, 5)).astype("float32")
    boundaries = [-1.0, 0.0, 0.5]
    layer = layers.Discretization(bin_boundaries=boundaries, output_mode=mode)
    indices = np.digitize(data, boundaries)
    expected = indices if mode == "int" else numpy_encode(indices, mode, 4)
    got = _predict(layer, data)
    assert got.dtype == (np.int32 if mode == "int" else np.float32)
    np.testing.assert_array_equal(got, expected)


def keras_summary_boundaries(batches, num_bins, epsilon):
    """Keras's quantile summary (summarize, merge, compress), transcribed."""

    def compress(summary, eps):
        if summary.shape[1] * eps < 1:
            return summary
        fractions = eps + np.arange(0.0, 1.0, eps)
        cumulative = summary[1].cumsum()
        share = cumulative / cumulative[-1]
        values = np.interp(fractions, share, summary[0])
        cumulative = np.interp(fractions, share, cumulative)
        weights = cumulative - np.concatenate(([0], cumulative[:-1]))
        return np.stack((values, weights)).astype("float32")

    summary = np.zeros((2, 0), "float32")
    for batch in batches:
        values = np.sort(np.asarray(batch, "float32").reshape(-1))
        step = max(values.size * epsilon, 1)
        picked = values[int(step - 1) :: int(step)]
        new = np.stack([picked, np.full_like(picked, step)])
        merged = np.concatenate((new, summary), axis=1)
        summary = compress(merged[:, np.argsort(merged[0])], epsilon)
    return compress(summary, 1.0 / num_bins)[0, :-1]


def test_discretization_adapt_finds_quantiles_as_keras(rng):
    data = rng.normal(size=(500, 3)).astype("float32")
    layer = layers.Discretization(num_bins=5, epsilon=0.02)
    layer.adapt([data[:200], data[200:]])
    expected = keras_summary_boundaries([data[:200], data[200:]], 5, 0.02)
    np.testing.assert_allclose(layer.bin_boundaries, expected, rtol=1e-6)
    # Keras 3.15.1 gave these boundaries for the same data (rng seed 0).
    np.testing.assert_allclose(
        layer.bin_boundaries,
        [
            -0.8299494385719299,
            -0.26580101251602173,
            0.27112823724746704,
            0.8437327742576599,
        ],
        rtol=1e-6,
    )
    whole = layers.Discretization(num_bins=4)
    whole.adapt(np.arange(100.0))
    np.testing.assert_allclose(whole.bin_boundaries, [24.0, 49.0, 74.0], rtol=1e-5)


def test_discretization_config_round_trip_keeps_adapted_boundaries():
    layer = layers.Discretization(num_bins=4, name="bins")
    layer.adapt(np.arange(100.0))
    config = layer.get_config()
    assert "trainable" not in config
    again = layers.Discretization.from_config(config)
    assert again.bin_boundaries == layer.bin_boundaries
    assert again.get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"either `num_bins` or `bin_boundaries`"),
        ({"num_bins": 2, "bin_boundaries": [0.0]}, r"should not be set"),
        ({"num_bins": -1}, r"greater than or equal to 0"),
        ({"num_bins": 2, "output_mode": "tf_idf"}, r"output_mode"),
    ],
)
def test_discretization_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.Discretization(**kwargs)


def test_discretization_needs_boundaries_before_use():
    with pytest.raises(ValueError, match=r"call `adapt"):
        layers.Discretization(num_bins=3)(np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"use `num_bins` instead"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))


# -- IntegerLookup -------------------------------------------------------------------

VOCABULARY = [12, 36, 1138, 42]


def test_integer_lookup_keras_docstring_example(backend):
    del backend
    data = np.array([[12, 1138, 42], [42, 1000, 36]], "int64")
    got = _predict(layers.IntegerLookup(vocabulary=VOCABULARY), data)
    np.testing.assert_array_equal(got, [[1, 3, 4], [4, 0, 2]])


@pytest.mark.parametrize(
    ("num_oov", "mask_token"), [(1, None), (0, None), (3, None), (2, 0)]
)
def test_integer_lookup_indices_follow_keras(rng, num_oov, mask_token):
    data = rng.choice([0, 12, 36, 1138, 42, 7, 1001, 5], size=(4, 6)).astype("int64")
    layer = layers.IntegerLookup(
        vocabulary=VOCABULARY, num_oov_indices=num_oov, mask_token=mask_token
    )
    expected = numpy_lookup(data, VOCABULARY, num_oov, mask_token)
    if num_oov == 0:
        table = {t: i for i, t in enumerate(VOCABULARY)}
        expected = np.vectorize(lambda t: table.get(t, -1))(data)
    np.testing.assert_array_equal(layer(data).numpy(), expected)
    assert layer.vocabulary_size() == len(layer.get_vocabulary())


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_integer_lookup_encoded_outputs(mode):
    data = (
        np.array([[12], [1000], [42]])
        if mode == "one_hot"
        else np.array([[12, 12, 0, 42], [36, 1000, 0, 0]])
    )
    layer = layers.IntegerLookup(vocabulary=VOCABULARY, mask_token=0, output_mode=mode)
    indices = numpy_lookup(data, VOCABULARY, 1, 0, int_mode=False)
    np.testing.assert_array_equal(layer(data).numpy(), numpy_encode(indices, mode, 5))


def test_integer_lookup_tf_idf_weights_counts():
    layer = layers.IntegerLookup(
        vocabulary=[5, 6], idf_weights=[0.5, 2.0], output_mode="tf_idf"
    )
    out = layer(np.array([[5, 5, 6, 9]])).numpy()
    # The OOV index gets the mean weight, as in Keras.
    np.testing.assert_allclose(out, [[1.25, 1.0, 2.0]])


def test_integer_lookup_invert_maps_indices_back(backend):
    del backend
    layer = layers.IntegerLookup(vocabulary=VOCABULARY, invert=True)
    data = np.array([[1, 2, 3], [4, 0, 7]], "int64")
    np.testing.assert_array_equal(_predict(layer, data), [[12, 36, 1138], [42, -1, -1]])
    masked = layers.IntegerLookup(vocabulary=VOCABULARY, mask_token=0, invert=True)
    np.testing.assert_array_equal(masked(np.array([0, 1, 2])).numpy(), [0, -1, 12])


def test_integer_lookup_adapt_orders_by_frequency_then_token():
    layer = layers.IntegerLookup(max_tokens=4)
    layer.adapt([np.array([3, 3, 5, 5, 7, -1]), np.array([1, 1, 1, 9])])
    assert layer.get_vocabulary() == [-1, 1, 5, 3]
    assert layer.get_vocabulary(include_special_tokens=False) == [1, 5, 3]


def test_integer_lookup_accepts_a_vocabulary_with_its_special_tokens():
    layer = layers.IntegerLookup(vocabulary=[0, -1, 12, 36], mask_token=0)
    assert layer.get_vocabulary() == [0, -1, 12, 36]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_tokens": 1}, r"greater than 1"),
        ({"num_oov_indices": -1}, r"num_oov_indices"),
        ({"vocabulary": [1, 1]}, r"repeated term"),
        ({"vocabulary": []}, r"empty vocabulary"),
        ({"vocabulary": [1, 0], "mask_token": 0}, r"reserved mask token"),
        ({"vocabulary": ["a"]}, r"integer tokens"),
        ({"invert": True, "output_mode": "count"}, r"must be `'int'`"),
        ({"oov_method": "farmhash"}, r"floormod"),
        ({"vocabulary_dtype": "string"}, r"int64"),
    ],
)
def test_integer_lookup_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.IntegerLookup(**kwargs)


def test_integer_lookup_rejects_float_inputs_and_a_missing_vocabulary():
    with pytest.raises(TypeError, match=r"integer tokens"):
        layers.IntegerLookup(vocabulary=[1])(np.array([1.5]))
    with pytest.raises(ValueError, match=r"no vocabulary"):
        layers.IntegerLookup()(np.array([1]))


# -- Hashing -------------------------------------------------------------------------


def keras_hash(values, num_bins, mask_value=None):
    """Keras's Hashing of integers: FarmHash of the decimal strings."""
    bins = num_bins - 1 if mask_value is not None and num_bins > 1 else num_bins

    def one(v):
        bucket = fingerprint64(str(int(v)).encode()) % bins
        if bins != num_bins:
            return 0 if v == mask_value else bucket + 1
        return bucket

    return np.vectorize(one)(values).astype(np.int64)


@pytest.mark.parametrize("mask_value", [None, 5])
def test_hashing_integers_as_keras(rng, backend, mask_value):
    del backend
    data = rng.integers(-1000, 1000, size=(4, 6)).astype("int64")
    data[0, :2] = 5
    layer = layers.Hashing(num_bins=7, mask_value=mask_value)
    got = _predict(layer, data)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, keras_hash(data, 7, mask_value))


@pytest.mark.parametrize("salt", [133, [133, 137]])
def test_hashing_with_a_salt_uses_siphash(rng, backend, salt):
    del backend
    data = rng.integers(-(10**12), 10**12, size=(3, 5)).astype("int64")
    layer = layers.Hashing(num_bins=6, salt=salt)
    key = (salt, salt) if isinstance(salt, int) else tuple(salt)
    expected = np.vectorize(lambda v: siphash(key, str(int(v)).encode()) % 6)(data)
    np.testing.assert_array_equal(_predict(layer, data), expected)
    assert layer.get_config()["salt"] == list(key)


def test_hashing_encoded_outputs_and_floats():
    data = np.array([[1, 2, 2], [3, 3, 3]])
    buckets = keras_hash(data, 4)
    got = layers.Hashing(4, output_mode="count")(data).numpy()
    np.testing.assert_array_equal(got, numpy_encode(buckets, "count", 4))
    one_hot = layers.Hashing(4, output_mode="one_hot")(data[:, :1]).numpy()
    np.testing.assert_array_equal(one_hot, numpy_encode(buckets[:, :1], "one_hot", 4))
    floats = layers.Hashing(4)(np.array([[1.7, -2.2]], "float32")).numpy()
    np.testing.assert_array_equal(floats, keras_hash(np.array([[1, -2]]), 4))


def test_hashing_config_and_errors():
    config = layers.Hashing(5, mask_value=0, name="h").get_config()
    assert config["num_bins"] == 5 and config["salt"] is None
    assert config["dtype"] == "int64"
    assert layers.Hashing.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=r"num_bins"):
        layers.Hashing(0)
    with pytest.raises(ValueError, match=r"`salt` argument"):
        layers.Hashing(3, salt=[1, 2, 3])
    with pytest.raises(ValueError, match=r"must be a number"):
        layers.Hashing(3, mask_value="")
    with pytest.raises(ValueError, match=r"integer type"):
        layers.Hashing(3, dtype="float32")


# -- configs and saving --------------------------------------------------------------


def test_lookup_config_round_trip_holds_the_vocabulary():
    layer = layers.IntegerLookup(num_oov_indices=2, mask_token=0)
    layer.adapt(np.array([4, 4, 9]))
    config = layer.get_config()
    assert config["vocabulary"] == [4, 9]
    again = layers.IntegerLookup.from_config(config)
    assert again.get_vocabulary() == layer.get_vocabulary()
    assert again.get_config() == config


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_categorical_layers_save_and_load(tmp_path, suffix):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    ids = kg.Input(shape=(3,), dtype="int64", name="ids")
    values = kg.Input(shape=(2,), name="values")
    looked = layers.IntegerLookup(vocabulary=VOCABULARY, output_mode="multi_hot")(ids)
    buckets = layers.Discretization(bin_boundaries=[0.0, 1.0])(values)
    encoded = layers.CategoryEncoding(3, output_mode="count")(buckets)
    hashed = layers.Hashing(5, mask_value=0)(ids)
    model = kg.Model([ids, values], [looked, encoded, hashed])
    data = [np.array([[12, 5, 0]], "int64"), np.array([[0.5, 2.0]], "float32")]
    expected = model.predict(data, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    loaded = kg.models.load_model(tmp_path / f"m{suffix}")
    for got, want in zip(loaded.predict(data, verbose=0), expected, strict=True):
        np.testing.assert_array_equal(got, want)

"""``kgraph.random`` (Keras's ``keras.random``): seeds as Keras treats
them, the counter-based generator's numbers, the distributions' laws, and
draws inside models on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import random
from kgraph.ops.random import normal_bits
from kgraph.ops.random import uniform_bits
from kgraph.utils.random import set_random_seed


def test_an_integer_seed_gives_the_generator_stream_of_that_key():
    values = random.uniform((2, 3), minval=2.0, maxval=5.0, seed=7).numpy()
    expected = uniform_bits(7, 0, 6).reshape(2, 3) * 3.0 + 2.0
    np.testing.assert_allclose(values, expected, rtol=1e-6)
    normal = random.normal((4,), mean=1.0, stddev=2.0, seed=7).numpy()
    np.testing.assert_allclose(normal, normal_bits(7, 0, 4) * 2.0 + 1.0, rtol=1e-6)
    assert values.dtype == np.float32
    assert random.normal((2,), dtype="float64", seed=1).dtype == "float64"


def test_the_same_integer_seed_repeats_and_another_differs():
    first = random.normal((5,), seed=3).numpy()
    np.testing.assert_array_equal(random.normal((5,), seed=3).numpy(), first)
    assert not np.array_equal(random.normal((5,), seed=4).numpy(), first)


def test_a_seed_generator_advances_and_replays_from_its_seed():
    generator = random.SeedGenerator(11)
    first = random.uniform((4,), seed=generator).numpy()
    second = random.uniform((4,), seed=generator).numpy()
    assert not np.array_equal(first, second)
    again = random.SeedGenerator(11)
    np.testing.assert_array_equal(random.uniform((4,), seed=again).numpy(), first)
    np.testing.assert_array_equal(random.uniform((4,), seed=again).numpy(), second)
    assert random.SeedGenerator(3).get_config()["seed"] == 3
    with pytest.raises(ValueError, match="integer"):
        random.SeedGenerator(1.5)


def test_no_seed_follows_set_random_seed():
    set_random_seed(5)
    first = random.normal((3,)).numpy()
    set_random_seed(5)
    np.testing.assert_array_equal(random.normal((3,)).numpy(), first)


def test_bad_seeds_dtypes_and_shapes_are_refused():
    with pytest.raises(ValueError, match="SeedGenerator"):
        random.normal((2,), seed="a")
    with pytest.raises(ValueError, match="float dtype"):
        random.uniform((2,), dtype="int32", seed=1)
    with pytest.raises(ValueError, match="int dtype"):
        random.randint((2,), 0, 3, dtype="float32", seed=1)
    with pytest.raises(ValueError, match="static"):
        random.normal((None, 2), seed=1)


def test_truncated_normal_stays_within_two_standard_deviations():
    values = random.truncated_normal((20000,), mean=1.0, stddev=0.5, seed=3).numpy()
    assert np.all(np.abs(values - 1.0) <= 1.0 + 1e-6)
    # A standard normal truncated to [-2, 2] has standard deviation 0.8796.
    assert abs(values.std() / 0.5 - 0.8796) < 0.02
    assert abs(values.mean() - 1.0) < 0.02


def test_randint_covers_the_range_uniformly():
    values = random.randint((30000,), -2, 3, seed=2).numpy()
    assert values.dtype == np.int32
    counts = np.bincount(values + 2, minlength=5)
    assert counts.min() > 5700 and counts.max() < 6300
    expected = np.floor(uniform_bits(2, 0, 30000).astype("float64") * 5) - 2
    np.testing.assert_array_equal(values, expected)
    assert random.randint((3,), 0, 9, dtype="int64", seed=1).dtype == "int64"


def test_dropout_zeroes_a_fraction_and_rescales_the_rest():
    x = np.ones((100, 100), "float32")
    out = random.dropout(x, 0.3, seed=1).numpy()
    assert set(np.unique(out).tolist()) <= {0.0, np.float32(1 / 0.7)}
    assert abs((out == 0).mean() - 0.3) < 0.02
    keep = uniform_bits(1, 0, 10000).reshape(100, 100) >= 0.3
    np.testing.assert_array_equal(out != 0, keep)
    shared = random.dropout(x, 0.5, noise_shape=(None, 1), seed=2).numpy()
    assert np.all((shared == 0).all(1) | (shared != 0).all(1))
    with pytest.raises(ValueError, match="rate"):
        random.dropout(x, 1.0)


@pytest.mark.parametrize("axis", [0, 1])
def test_shuffle_permutes_along_an_axis(axis):
    x = np.arange(24).reshape(6, 4)
    out = random.shuffle(x, axis=axis, seed=4).numpy()
    order = np.argsort(uniform_bits(4, 0, x.shape[axis]), kind="stable")
    np.testing.assert_array_equal(out, np.take(x, order, axis=axis))
    np.testing.assert_array_equal(np.sort(out, axis=axis), x)


def test_categorical_draws_by_the_given_probabilities():
    logits = np.log(np.array([[0.2, 0.8, 0.0], [0.5, 0.25, 0.25]], "float32") + 1e-12)
    draws = random.categorical(logits, 20000, seed=1).numpy()
    assert draws.shape == (2, 20000) and draws.dtype == np.int32
    np.testing.assert_allclose(
        np.bincount(draws[0], minlength=3) / 20000, [0.2, 0.8, 0], atol=0.015
    )
    np.testing.assert_allclose(
        np.bincount(draws[1], minlength=3) / 20000, [0.5, 0.25, 0.25], atol=0.015
    )


@pytest.mark.parametrize("alpha", [0.5, 2.0, 7.5])
def test_gamma_has_the_mean_and_variance_of_its_shape(alpha):
    values = random.gamma((40000,), alpha=alpha, seed=0).numpy()
    assert np.all(values >= 0)
    assert abs(values.mean() - alpha) < 0.03 * alpha + 0.01
    assert abs(values.var() - alpha) < 0.06 * alpha + 0.01


def test_beta_and_binomial_have_their_moments():
    values = random.beta((40000,), 2.0, 3.0, seed=0).numpy()
    assert np.all((values > 0) & (values < 1))
    assert abs(values.mean() - 0.4) < 0.01
    assert abs(values.var() - 0.04) < 0.003
    counts = random.binomial((40000,), 10, 0.3, seed=0).numpy()
    assert counts.dtype == np.float32
    assert set(np.unique(counts).tolist()) <= set(range(11))
    assert abs(counts.mean() - 3.0) < 0.03 and abs(counts.var() - 2.1) < 0.06
    mixed = random.binomial((2, 3), np.array([0, 1, 5]), 1.0, seed=0).numpy()
    np.testing.assert_array_equal(mixed, [[0, 1, 5], [0, 1, 5]])


class Noisy(kg.layers.Layer):
    """Adds noise of each kind: a new stream per step from its generator,
    and a constant from an integer seed."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.generator = random.SeedGenerator(5)

    def call(self, x):
        noise = random.normal((4,), seed=self.generator)
        constant = random.uniform((4,), seed=7)
        return [x + noise, x + constant]


def test_draws_inside_a_layer_agree_on_both_backends():
    x = np.zeros((3, 4), "float32")
    predictions = {}
    for backend in ("numpy", "llvm"):
        inputs = kg.Input((4,))
        noisy, constant = Noisy()(inputs)
        dropped = random.dropout(inputs + 1.0, 0.5, seed=random.SeedGenerator(1))
        model = kg.Model(inputs, [noisy, constant, dropped])
        model.compile(loss="mse", backend=backend)
        predictions[backend] = model.predict(x, verbose=0)
    for interpreted, native in zip(
        predictions["numpy"], predictions["llvm"], strict=True
    ):
        np.testing.assert_array_equal(interpreted, native)
    noisy, constant, dropped = predictions["numpy"]
    np.testing.assert_allclose(constant[0], uniform_bits(7, 0, 4), rtol=1e-6)
    assert np.all(np.abs(noisy) > 0)
    assert set(np.unique(dropped).tolist()) <= {0.0, 2.0}


def test_a_generator_in_a_layer_draws_new_noise_every_step(backend):
    inputs = kg.Input((4,))
    noisy, constant = Noisy()(inputs)
    model = kg.Model(inputs, [noisy, constant])
    model.compile(loss="mse", backend=backend)
    noisy, constant = model.predict(
        np.zeros((2, 4), "float32"), batch_size=1, verbose=0
    )
    assert not np.array_equal(noisy[0], noisy[1])
    np.testing.assert_array_equal(constant[0], constant[1])


def test_a_model_with_random_dropout_saves_and_reloads(tmp_path):
    inputs = kg.Input((4,))
    model = kg.Model(inputs, random.dropout(inputs, 0.5, seed=3))
    x = np.ones((2, 4), "float32")
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "dropout.kgraph")
    loaded = kg.models.load_model(tmp_path / "dropout.kgraph")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)

"""Initializers: shapes, dtypes, statistics, limits, seeds and lookup."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kgraph import initializers

TRUNCATED_STD = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]


def test_constant_initializers():
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.Ones()((4,)), np.ones(4))
    np.testing.assert_array_equal(
        initializers.Constant(2.5)((2, 2)), np.full((2, 2), 2.5)
    )
    np.testing.assert_array_equal(
        initializers.Constant([1.0, 2.0])((3, 2))[2], [1.0, 2.0]
    )
    np.testing.assert_array_equal(
        initializers.Identity(gain=2.0)((2, 3)), 2.0 * np.eye(2, 3)
    )
    assert initializers.Zeros()((2,), dtype="int32").dtype == np.int32
    with pytest.raises(ValueError, match=r"2D matrices.*rank 3"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize(
    "name",
    [
        "zeros",
        "ones",
        "constant",
        "random_normal",
        "random_uniform",
        "truncated_normal",
        "variance_scaling",
        "glorot_uniform",
        "glorot_normal",
        "he_uniform",
        "he_normal",
        "lecun_uniform",
        "lecun_normal",
        "orthogonal",
        "identity",
    ],
)
def test_every_initializer_gives_float32_of_the_shape(name):
    shape = (6, 6) if name == "identity" else (3, 4, 5)
    values = initializers.get(name)(shape)
    assert isinstance(values, np.ndarray)
    assert values.shape == shape
    assert values.dtype == np.float32
    assert initializers.get(name)(list(shape), dtype=None).dtype == np.float32
    assert initializers.get(name)(shape, dtype="float64").dtype == np.float64


def test_random_normal_statistics():
    values = initializers.RandomNormal(mean=1.0, stddev=2.0, seed=0)((200_000,))
    assert abs(values.mean() - 1.0) < 0.02
    assert abs(values.std() - 2.0) < 0.02
    default = initializers.RandomNormal(seed=1)((200_000,))
    assert abs(default.std() - 0.05) < 5e-4


def test_random_uniform_statistics_and_limits():
    values = initializers.RandomUniform(minval=-1.0, maxval=3.0, seed=0)((200_000,))
    assert values.min() >= -1.0 and values.max() < 3.0
    assert abs(values.mean() - 1.0) < 0.02
    assert abs(values.std() - 4 / math.sqrt(12)) < 0.01
    default = initializers.RandomUniform(seed=0)((10_000,))
    assert np.abs(default).max() <= 0.05


def test_truncated_normal_is_redrawn_beyond_2_stddev():
    values = initializers.TruncatedNormal(mean=0.5, stddev=0.1, seed=0)((200_000,))
    assert values.min() >= 0.5 - 0.2 - 1e-6 and values.max() <= 0.5 + 0.2 + 1e-6
    assert abs(values.mean() - 0.5) < 1e-3
    assert abs(values.std() - 0.1 * TRUNCATED_STD) < 1e-3


@pytest.mark.parametrize(
    ("shape", "fans"),
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((3, 5), (3, 5)),
        ((3, 4, 5), (12, 15)),
        ((3, 3, 16, 32), (144, 288)),
        ((2, 2, 2, 4, 8), (32, 64)),
    ],
)
def test_compute_fans(shape, fans):
    assert initializers.compute_fans(shape) == fans


def test_compute_fans_with_explicit_axes():
    assert initializers.compute_fans((2, 3, 4), input_axes=[0, 1], output_axes=[2]) == (
        6,
        4,
    )


@pytest.mark.parametrize(
    ("cls", "shape", "limit"),
    [
        (initializers.GlorotUniform, (300, 200), math.sqrt(6 / 500)),
        (initializers.HeUniform, (300, 200), math.sqrt(6 / 300)),
        (initializers.LecunUniform, (300, 200), math.sqrt(3 / 300)),
        (initializers.GlorotUniform, (3, 3, 32, 64), math.sqrt(6 / (9 * 96))),
    ],
)
def test_uniform_variance_scaling_limits(cls, shape, limit):
    values = cls(seed=0)(shape)
    assert np.abs(values).max() <= limit + 1e-7
    assert np.abs(values).max() > 0.99 * limit
    assert abs(values.std() - limit / math.sqrt(3)) < 0.01 * limit


@pytest.mark.parametrize(
    ("cls", "shape", "stddev"),
    [
        (initializers.GlorotNormal, (400, 300), math.sqrt(2 / 700)),
        (initializers.HeNormal, (400, 300), math.sqrt(2 / 400)),
        (initializers.LecunNormal, (400, 300), math.sqrt(1 / 400)),
        (initializers.HeNormal, (3, 3, 64, 32), math.sqrt(2 / (9 * 64))),
    ],
)
def test_truncated_variance_scaling_has_the_target_stddev(cls, shape, stddev):
    values = cls(seed=0)(shape)
    # Keras divides by 0.8796... so that the truncated draw has this stddev.
    assert abs(values.std() - stddev) < 0.01 * stddev
    assert np.abs(values).max() <= 2 * stddev / TRUNCATED_STD + 1e-7


def test_variance_scaling_modes_and_distributions():
    shape = (500, 100)
    fan_out = initializers.VarianceScaling(
        scale=3.0, mode="fan_out", distribution="untruncated_normal", seed=0
    )(shape)
    assert abs(fan_out.std() - math.sqrt(3.0 / 100)) < 0.01 * math.sqrt(3.0 / 100)
    assert np.abs(fan_out).max() > 2 * math.sqrt(3.0 / 100)  # not truncated
    normal = initializers.VarianceScaling(distribution="normal")
    assert normal.distribution == "truncated_normal"
    avg = initializers.VarianceScaling(mode="fan_avg", distribution="uniform", seed=0)
    limit = math.sqrt(3.0 / 300)
    values = avg(shape)
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.99 * limit


def test_variance_scaling_errors():
    with pytest.raises(ValueError, match="scale=0"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="fan_sum"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="gamma"):
        initializers.VarianceScaling(distribution="gamma")
    with pytest.raises(ValueError, match="floating-point"):
        initializers.GlorotUniform()((2, 2), dtype="int32")


@pytest.mark.parametrize("shape", [(5, 5), (8, 3), (3, 8), (2, 3, 4)])
def test_orthogonal(shape):
    values = initializers.Orthogonal(gain=2.0, seed=0)(shape).astype("float64")
    flat = values.reshape(-1, shape[-1])
    if flat.shape[0] >= flat.shape[1]:
        gram = flat.T @ flat
    else:
        gram = flat @ flat.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(len(gram)), atol=1e-5)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((4,))


@pytest.mark.parametrize(
    "cls",
    [
        initializers.RandomNormal,
        initializers.RandomUniform,
        initializers.TruncatedNormal,
        initializers.GlorotUniform,
        initializers.HeNormal,
        initializers.Orthogonal,
    ],
)
def test_seeded_initializers_repeat_and_unseeded_ones_follow_set_seed(cls):
    seeded = cls(seed=7)
    np.testing.assert_array_equal(seeded((4, 4)), seeded((4, 4)))
    np.testing.assert_array_equal(seeded((4, 4)), cls(seed=7)((4, 4)))
    assert not np.array_equal(seeded((4, 4)), cls(seed=8)((4, 4)))
    unseeded = cls()
    initializers.set_seed(123)
    first = [unseeded((4, 4)), unseeded((4, 4))]
    assert not np.array_equal(first[0], first[1])
    initializers.set_seed(123)
    second = [unseeded((4, 4)), cls()((4, 4))]
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_invalid_seed():
    with pytest.raises(ValueError, match="Received: seed='abc'"):
        initializers.RandomNormal(seed="abc")


@pytest.mark.parametrize(
    ("identifier", "cls"),
    [
        ("glorot_uniform", initializers.GlorotUniform),
        ("GlorotUniform", initializers.GlorotUniform),
        ("zeros", initializers.Zeros),
        ("zero", initializers.Zeros),
        ("ones", initializers.Ones),
        ("one", initializers.Ones),
        ("he_normal", initializers.HeNormal),
        ("orthogonal", initializers.Orthogonal),
        ("random_normal", initializers.RandomNormal),
        ("normal", initializers.RandomNormal),
        ("uniform", initializers.RandomUniform),
        ("truncated_normal", initializers.TruncatedNormal),
        ("lecun_uniform", initializers.LecunUniform),
        ("constant", initializers.Constant),
        ("identity", initializers.Identity),
        ("variance_scaling", initializers.VarianceScaling),
    ],
)
def test_get_names(identifier, cls):
    assert type(initializers.get(identifier)) is cls


def test_get_classes_instances_callables():
    assert initializers.get(None) is None
    assert isinstance(initializers.get(initializers.HeUniform), initializers.HeUniform)
    instance = initializers.Constant(3.0)
    assert initializers.get(instance) is instance

    def custom(shape, dtype=None):
        return np.full(shape, 7.0, dtype="float32")

    assert initializers.get(custom) is custom
    assert initializers.glorot_uniform is initializers.GlorotUniform


def test_get_unknown_lists_valid_names():
    with pytest.raises(
        ValueError, match=r"glorot_uniform.*Received: initializer='glorot'$"
    ):
        initializers.get("glorot")
    with pytest.raises(ValueError, match=r"Received: initializer=3$"):
        initializers.get(3)


@pytest.mark.parametrize(
    "initializer",
    [
        initializers.Constant(1.5),
        initializers.RandomNormal(mean=1.0, stddev=0.2, seed=3),
        initializers.RandomUniform(minval=0.0, maxval=1.0),
        initializers.TruncatedNormal(seed=1),
        initializers.VarianceScaling(2.0, "fan_avg", "uniform", seed=4),
        initializers.GlorotUniform(seed=5),
        initializers.HeNormal(),
        initializers.Orthogonal(gain=0.5, seed=2),
        initializers.Identity(gain=3.0),
        initializers.Zeros(),
    ],
    ids=repr,
)
def test_config_round_trip(initializer):
    clone = initializer.clone()
    assert type(clone) is type(initializer)
    assert clone.get_config() == initializer.get_config()
    restored = initializers.get(initializers.serialize(initializer))
    assert restored.get_config() == initializer.get_config()
    if getattr(initializer, "seed", None) is not None:
        np.testing.assert_array_equal(restored((3, 3)), initializer((3, 3)))


def test_config_keys_match_keras():
    assert initializers.GlorotUniform().get_config() == {
        "seed": None,
        "input_axes": None,
        "output_axes": None,
    }
    assert initializers.RandomNormal().get_config() == {
        "mean": 0.0,
        "stddev": 0.05,
        "seed": None,
    }
    assert initializers.VarianceScaling().get_config()["distribution"] == (
        "truncated_normal"
    )


@pytest.mark.parametrize("side", ["real", "imag"])
@pytest.mark.parametrize("scaling", ["density", "spectrum", None])
@pytest.mark.parametrize("periodic", [False, True])
def test_stft_kernels_are_windowed_dft_rows(side, scaling, periodic):
    frame, bins = 16, 9
    kernel = initializers.STFT(side, "hann", scaling, periodic)((frame, 1, bins))
    n = frame + 1 if periodic else frame
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / (n - 1))
    hann = hann[:frame]
    t, f = np.meshgrid(np.arange(frame), np.arange(bins), indexing="ij")
    wave = np.cos if side == "real" else np.sin
    want = wave(-2 * np.pi * t * f / ((bins - 1) * 2)) * hann[:, None]
    if scaling == "density":
        want /= np.sqrt(np.sum(hann**2))
    elif scaling == "spectrum":
        want /= np.sum(hann)
    np.testing.assert_allclose(kernel[:, 0, :], want, atol=1e-6)


def test_stft_checks_and_aliases():
    assert initializers.get("STFTInitializer").__class__ is initializers.STFT
    assert initializers.IdentityInitializer is initializers.Identity
    assert initializers.OrthogonalInitializer is initializers.Orthogonal
    config = initializers.serialize(initializers.stft("imag", "hamming"))
    assert initializers.deserialize(config).get_config() == config["config"]
    with pytest.raises(ValueError, match="Received: side='both'"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match=r"window shape=\(3,\)"):
        initializers.STFT(window=[1.0, 1.0, 1.0])((4, 1, 3))

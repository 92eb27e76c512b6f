"""Random numbers (``kgraph.random``), as ``keras.random``.

Every draw comes from kgraph's counter-based generator
(``kgraph/ops/random.py``): a pure function of a key, a salt and the
element's index, which the NumPy interpreter and native code reproduce bit
for bit. How the key and salt are chosen follows Keras's seeds:

- ``seed=<int>``: the key is the seed, so the same seed gives the same
  numbers at every call, eagerly and inside a model (where the numbers are
  a constant of the graph, as in a Keras function traced with that seed).
- ``seed=SeedGenerator(...)``: eagerly, each call draws the generator's
  next stream (a ``SeedGenerator(1)`` gives the same sequence every run);
  inside a layer's ``call``, the key is the training step's seed (new
  numbers every step, like ``Dropout``) and the generator gives the call
  its own stream.
- ``seed=None``: eagerly, a key from kgraph's seeded generator (so
  ``kgraph.utils.set_random_seed`` makes runs reproducible); inside a
  layer's ``call``, as a ``SeedGenerator``.

Distributions without a closed-form transform of uniform or normal draws
(``truncated_normal``, ``gamma``, ``beta``) draw a fixed number of
candidates per element and keep the first accepted one, so a graph of fixed
shape needs no loop; ``binomial`` adds up Bernoulli trials.

Example:

>>> a = normal((2,), seed=1).numpy()
>>> b = normal((2,), seed=1).numpy()
>>> bool((a == b).all())
True
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import ops
from kgraph.ops import builder
from kgraph.ops import history
from kgraph.ops.random import mix
from kgraph.ops.tensor import SymbolicTensor
from kgraph.tree import flatten
from kgraph.utils import naming
from kgraph.utils import random as random_utils

_SALT_BITS = (1 << 63) - 1
# Candidates per element for the distributions drawn by acceptance
# (truncated normal: each accepted with probability 0.954; Marsaglia and
# Tsang's gamma: at least 0.95): all 8 rejected has probability below 1e-10.
CANDIDATES = 8


def _derive(*parts: int) -> int:
    """A 63-bit salt folded from integers with splitmix64's finalizer."""
    state = np.uint64(0x243F6A8885A308D3)
    with np.errstate(over="ignore"):
        for part in parts:
            state = mix(state ^ np.uint64(int(part) & ((1 << 64) - 1)))
    return int(state) & _SALT_BITS


class SeedGenerator:
    """A stream of seeds for random functions, as ``keras.random.SeedGenerator``.

    Pass it as ``seed=`` to the functions of ``kgraph.random``: each call
    draws the next stream, so repeated calls give different numbers and a
    generator built with the same seed gives the same sequence.

    Args:
        seed: an integer (default: drawn from kgraph's seeded generator).
        name: the generator's name.

    Raises:
        ValueError: for a seed that is not an integer, or unknown keyword
            arguments.

    Example:

    >>> first = uniform((3,), seed=SeedGenerator(7)).numpy()
    >>> again = uniform((3,), seed=SeedGenerator(7)).numpy()
    >>> bool((first == again).all())
    True
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self._initial_seed = seed
        if seed is None:
            seed = int(random_utils.generator().integers(0, 2**31))
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(
                f"Argument `seed` must be an integer. Received: seed={seed!r}"
            )
        self.name = name or naming.unique_name("seed_generator")
        self.seed = int(seed)
        self.counter = 0

    def next(self) -> tuple[int, int]:
        """Returns the next ``(key, salt)`` pair and advances the stream."""
        salt = _derive(self.seed, self.counter)
        self.counter += 1
        return self.seed, salt

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        """Builds a generator from ``get_config``'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator {self.name} seed={self.seed} counter={self.counter}>"


def _graph_of(values: Sequence[Any]) -> Any:
    """The graph being traced: that of a symbolic argument, else the one a
    layer's ``call`` is tracing into, else ``None`` (eager)."""
    for value in flatten(list(values)):
        if isinstance(value, SymbolicTensor) and value.graph is not None:
            return value.graph
    return builder.active_graph()


def _key_and_salt(seed: Any, graph: Any) -> tuple[Any, int]:
    """The generator key (an int, or the graph's step seed) and the salt
    of one draw (see the module's docstring).

    Raises:
        ValueError: for a seed that is neither an int, a SeedGenerator nor
            ``None``.
    """
    if isinstance(seed, SeedGenerator):
        key, salt = seed.next()
        if graph is not None:
            return _step_seed(graph), salt
        return key, salt
    if seed is None:
        if graph is not None:
            salt = int(random_utils.generator().integers(0, _SALT_BITS))
            return _step_seed(graph), salt
        return int(random_utils.generator().integers(0, 2**62)), 0
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(
            "Argument `seed` must be either an integer or an instance of "
            f"`SeedGenerator`. Received: seed={seed!r} (of type {type(seed)})"
        )
    return int(seed), 0


def _step_seed(graph: Any) -> Any:
    from kgraph.layers.layer import scalar_input

    return scalar_input(graph, "seed", "int64")


def _like(shape: Any, name: str) -> np.ndarray:
    """A zero array of ``shape``: the random ops take their shape from it."""
    dims = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if any(d is None or isinstance(d, SymbolicTensor) for d in dims):
        raise ValueError(
            f"kgraph.random.{name}: the shape must be static (ints). Received: "
            f"shape={dims}"
        )
    return np.zeros(tuple(int(d) for d in dims), dtype=np.float32)


def _float_dtype(dtype: Any, name: str) -> str:
    dtype = dtypes.canonical(dtype or "float32")
    if not dtypes.is_float(dtype):
        raise ValueError(
            f"kgraph.random.{name} draws floats; expected a float dtype. "
            f"Received: dtype={dtype}"
        )
    return dtype


def _uniforms(key: Any, like: Any, salt: int, dtype: str = "float32") -> Any:
    return ops.random_uniform(key, like, salt=salt, dtype=dtype)


def _normals(key: Any, like: Any, salt: int, dtype: str = "float32") -> Any:
    return ops.random_normal(key, like, salt=salt, dtype=dtype)


def uniform(
    shape: Any,
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> Any:
    """Uniform values in ``[minval, maxval)``.

    Args:
        shape: the shape of the result (ints).
        minval: the lower bound, included.
        maxval: the upper bound, excluded.
        dtype: a float dtype (default float32).
        seed: an int, a ``SeedGenerator`` or ``None``.

    Returns:
        A tensor of ``shape``.

    Example:

    >>> values = uniform((4,), minval=2.0, maxval=3.0, seed=0).numpy()
    >>> bool(((values >= 2.0) & (values < 3.0)).all())
    True
    """
    dtype = _float_dtype(dtype, "uniform")
    graph = _graph_of([minval, maxval])
    key, salt = _key_and_salt(seed, graph)
    values = _uniforms(key, _like(shape, "uniform"), salt, dtype)
    return ops.add(ops.multiply(values, ops.subtract(maxval, minval)), minval)


def normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> Any:
    """Normally distributed values.

    Args:
        shape: the shape of the result (ints).
        mean: the mean.
        stddev: the standard deviation.
        dtype: a float dtype (default float32).
        seed: an int, a ``SeedGenerator`` or ``None``.

    Example:

    >>> normal((2, 3), seed=1).shape
    (2, 3)
    """
    dtype = _float_dtype(dtype, "normal")
    key, salt = _key_and_salt(seed, _graph_of([mean, stddev]))
    values = _normals(key, _like(shape, "normal"), salt, dtype)
    return ops.add(ops.multiply(values, stddev), mean)


def truncated_normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> Any:
    """Normal values redrawn until within two standard deviations of the
    mean, as Keras.

    Each element takes the first of ``CANDIDATES`` normal draws that lands
    in ``[-2, 2]`` (all fail with probability below 1e-10; the last is then
    clipped).

    Example:

    >>> values = truncated_normal((100,), seed=3).numpy()
    >>> bool((abs(values) <= 2.0).all())
    True
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    key, salt = _key_and_salt(seed, _graph_of([mean, stddev]))
    like = _like(shape, "truncated_normal")
    result = ops.clip(_normals(key, like, _derive(salt, CANDIDATES), dtype), -2.0, 2.0)
    for i in reversed(range(CANDIDATES)):
        candidate = _normals(key, like, _derive(salt, i), dtype)
        inside = ops.less_equal(ops.abs(candidate), 2.0)
        result = ops.where(inside, candidate, result)
    return ops.add(ops.multiply(result, stddev), mean)


def randint(
    shape: Any,
    minval: int,
    maxval: int,
    dtype: Any = "int32",
    seed: Any = None,
) -> Any:
    """Integers uniformly drawn from ``[minval, maxval)``.

    Drawn as ``floor(u * (maxval - minval)) + minval`` from 24-bit uniform
    floats, so ranges wider than 2**24 are not uniform.

    Raises:
        ValueError: for a non-integer dtype.

    Example:

    >>> values = randint((50,), 0, 3, seed=2).numpy()
    >>> sorted(set(values.tolist())) == [0, 1, 2]
    True
    """
    dtype = dtypes.canonical(dtype or "int32")
    if not dtypes.is_int(dtype):
        raise ValueError(
            f"kgraph.random.randint draws integers; expected an int dtype. "
            f"Received: dtype={dtype}"
        )
    key, salt = _key_and_salt(seed, _graph_of([minval, maxval]))
    values = _uniforms(key, _like(shape, "randint"), salt, "float64")
    low = ops.cast(minval, "float64")
    width = ops.subtract(ops.cast(maxval, "float64"), low)
    drawn = ops.floor(ops.multiply(values, width))
    drawn = ops.minimum(drawn, ops.subtract(width, 1.0))
    return ops.cast(ops.add(drawn, low), dtype)


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Any:
    """Sets a fraction ``rate`` of ``inputs`` to 0 and scales the rest by
    ``1 / (1 - rate)`` (always: there is no training switch here).

    Args:
        inputs: the tensor to drop from.
        rate: the fraction to drop, in ``[0, 1)``.
        noise_shape: the mask's shape, broadcast against ``inputs`` (entries
            ``None`` take the input's size).
        seed: an int, a ``SeedGenerator`` or ``None``.

    Example:

    >>> out = dropout(np.ones((1, 8), "float32"), 0.5, seed=1).numpy()
    >>> set(out.ravel().tolist()) <= {0.0, 2.0}
    True
    """
    if history.any_keras([inputs]):
        return history.record_function(
            _recordable_dropout, (inputs, rate, noise_shape, seed), {}
        )
    inputs = ops.as_tensor(inputs)
    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(
            "Invalid value received for argument `rate`. Expected a float value "
            f"between 0 and 1 (1 excluded). Received: rate={rate!r}"
        )
    key, salt = _key_and_salt(seed, _graph_of([inputs]))
    like = (
        inputs
        if noise_shape is None
        else _like(_noise_shape(inputs.shape, noise_shape), "dropout")
    )
    keep = ops.greater_equal(_uniforms(key, like, salt), float(rate))
    scaled = ops.divide(inputs, ops.cast(1.0 - float(rate), inputs.dtype))
    return ops.where(keep, scaled, ops.zeros_like(scaled))


def _recordable_dropout(inputs: Any, rate: float, noise_shape: Any, seed: Any) -> Any:
    return dropout(inputs, rate, noise_shape=noise_shape, seed=seed)


_recordable_dropout.__name__ = "dropout"


def _noise_shape(shape: Sequence[Any], noise_shape: Sequence[Any]) -> tuple:
    noise = tuple(noise_shape)
    if len(noise) != len(shape):
        raise ValueError(
            "kgraph.random.dropout: `noise_shape` needs one entry per input axis. "
            f"Received: noise_shape={noise} for an input of shape {tuple(shape)}"
        )
    return tuple(s if n is None else n for n, s in zip(noise, shape, strict=True))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Any:
    """Shuffles ``x`` along ``axis`` with a uniformly random permutation.

    The permutation sorts one random value per position (ties broken by
    position), computed by pairwise comparison, so the axis must have a
    static size and the cost grows with its square.

    Example:

    >>> sorted(shuffle(np.arange(5), seed=4).numpy().tolist())
    [0, 1, 2, 3, 4]
    """
    x = ops.as_tensor(x)
    axis = axis % x.ndim
    size = x.shape[axis]
    if size is None:
        raise ValueError(
            "kgraph.random.shuffle: the axis to shuffle must have a static size. "
            f"Received: x.shape={x.shape}, axis={axis}"
        )
    key, salt = _key_and_salt(seed, _graph_of([x]))
    values = _uniforms(key, np.zeros((size,), np.float32), salt)
    index = np.arange(size)
    earlier = ops.less(ops.expand_dims(values, 0), ops.expand_dims(values, 1))
    tie = ops.logical_and(
        ops.equal(ops.expand_dims(values, 0), ops.expand_dims(values, 1)),
        index[None, :] < index[:, None],
    )
    # rank[i]: how many positions sort before i; position i goes to rank[i].
    rank = ops.sum(ops.cast(ops.logical_or(earlier, tie), "int32"), axis=1)
    source = ops.argmax(ops.equal(ops.expand_dims(rank, 0), index[:, None]), axis=1)
    return ops.take(x, source, axis=axis)


def categorical(
    logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None
) -> Any:
    """Draws class indices from the categorical distributions given by each
    row of ``logits`` (unnormalized log-probabilities), by the Gumbel-max
    trick.

    Args:
        logits: ``(batch, classes)``.
        num_samples: draws per row.
        dtype: an int dtype.
        seed: an int, a ``SeedGenerator`` or ``None``.

    Returns:
        ``(batch, num_samples)`` indices.

    Example:

    >>> categorical([[0.0, -1e9]], 3, seed=0).numpy()
    array([[0, 0, 0]], dtype=int32)
    """
    logits = ops.as_tensor(logits)
    if logits.ndim != 2:
        raise ValueError(
            "kgraph.random.categorical expects `logits` of shape (batch, classes). "
            f"Received: logits.shape={logits.shape}"
        )
    logits = logits if dtypes.is_float(logits.dtype) else ops.cast(logits, "float32")
    key, salt = _key_and_salt(seed, _graph_of([logits]))
    expanded = ops.expand_dims(logits, 1)
    like = ops.concatenate([expanded] * int(num_samples), axis=1)
    u = _uniforms(key, like, salt, logits.dtype)
    gumbel = ops.negative(ops.log(ops.negative(ops.log(u))))
    choice = ops.argmax(ops.add(expanded, gumbel), axis=-1)
    return ops.cast(choice, dtypes.canonical(dtype or "int32"))


def gamma(shape: Any, alpha: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Gamma-distributed values of shape parameter ``alpha`` (scale 1).

    Marsaglia and Tsang's method: ``d (1 + c z)**3`` for a normal ``z``,
    accepted by a uniform test (first of ``CANDIDATES``); ``alpha < 1`` is
    boosted by ``u**(1 / alpha)``.

    Example:

    >>> values = gamma((1000,), alpha=2.0, seed=0).numpy()
    >>> bool(abs(values.mean() - 2.0) < 0.2)
    True
    """
    dtype = _float_dtype(dtype, "gamma")
    key, salt = _key_and_salt(seed, _graph_of([alpha]))
    return _gamma(key, salt, _like(shape, "gamma"), alpha, dtype)


def _gamma(key: Any, salt: int, like: Any, alpha: Any, dtype: str) -> Any:
    alpha = ops.cast(alpha, dtype)
    boosted = ops.where(ops.less(alpha, 1.0), ops.add(alpha, 1.0), alpha)
    d = ops.subtract(boosted, 1.0 / 3.0)
    c = ops.divide(1.0, ops.sqrt(ops.multiply(d, 9.0)))
    result = None
    for i in reversed(range(CANDIDATES)):
        z = _normals(key, like, _derive(salt, 2 * i), dtype)
        u = _uniforms(key, like, _derive(salt, 2 * i + 1), dtype)
        v = ops.power(ops.add(ops.multiply(c, z), 1.0), 3.0)
        value = ops.multiply(d, v)
        bound = ops.add(
            ops.multiply(ops.square(z), 0.5),
            ops.multiply(d, ops.add(ops.subtract(1.0, v), ops.log(v))),
        )
        accept = ops.logical_and(ops.greater(v, 0.0), ops.less(ops.log(u), bound))
        fallback = ops.maximum(value, 0.0) if result is None else result
        result = ops.where(accept, value, fallback)
    boost_u = _uniforms(key, like, _derive(salt, 2 * CANDIDATES), dtype)
    boost = ops.power(boost_u, ops.divide(1.0, alpha))
    return ops.where(ops.less(alpha, 1.0), ops.multiply(result, boost), result)


def beta(shape: Any, alpha: Any, beta: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Beta-distributed values: ``X / (X + Y)`` for ``X ~ Gamma(alpha)`` and
    ``Y ~ Gamma(beta)``.

    Example:

    >>> values = beta((500,), 2.0, 2.0, seed=0).numpy()
    >>> bool(((values > 0) & (values < 1)).all())
    True
    """
    dtype = _float_dtype(dtype, "beta")
    key, salt = _key_and_salt(seed, _graph_of([alpha, beta]))
    like = _like(shape, "beta")
    x = _gamma(key, _derive(salt, 0), like, alpha, dtype)
    y = _gamma(key, _derive(salt, 1), like, beta, dtype)
    return ops.divide(x, ops.add(x, y))


def binomial(
    shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None
) -> Any:
    """Binomially distributed counts of successes in ``counts`` trials of
    success probability ``probabilities``, as floats (Keras's default dtype).

    Computed as a sum of Bernoulli trials, so ``counts`` must be known when
    the function is called (a number or an array) and the cost grows with
    its largest value.

    Example:

    >>> values = binomial((100,), 10, 0.5, seed=0).numpy()
    >>> bool(((values >= 0) & (values <= 10)).all())
    True
    """
    dtype = _float_dtype(dtype, "binomial")
    if isinstance(counts, SymbolicTensor):
        raise ValueError(
            "kgraph.random.binomial: `counts` must be a number or an array, known "
            f"when the function is called. Received: counts={counts!r}"
        )
    count_array = np.asarray(counts)
    trials = int(count_array.max()) if count_array.size else 0
    key, salt = _key_and_salt(seed, _graph_of([probabilities]))
    like = _like((*_like(shape, "binomial").shape, max(trials, 1)), "binomial")
    u = _uniforms(key, like, salt, dtype)
    index = np.arange(max(trials, 1), dtype=np.float64).astype(dtype)
    counted = ops.less(index, ops.expand_dims(ops.cast(count_array, dtype), -1))
    success = ops.less(u, ops.expand_dims(ops.cast(probabilities, dtype), -1))
    hits = ops.cast(ops.logical_and(counted, success), dtype)
    return ops.sum(hits, axis=-1)


__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

"""Random ops drawn from ONE counter-based generator.

The generator is a pure function of ``(key, salt, element index)``, so the
NumPy reference and native code produce identical bits, in any order and on
any number of threads. All arithmetic is on unsigned 64-bit integers,
wrapping modulo 2**64::

    mix(z):  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
             z = (z ^ (z >> 27)) * 0x94D049BB133111EB
             return z ^ (z >> 31)                  # splitmix64's finalizer
    stream = mix(key * GOLDEN + salt)              # GOLDEN = 0x9E3779B97F4A7C15
    bits(i) = mix(stream + (i + 1) * GOLDEN)       # i: row-major element index

    uniform(i) = (bits(i) >> 40) * 2**-24          # float32 in [0, 1), exact
    normal(i)  = sqrt(-2 log u1) * cos(2 pi u2)    # Box-Muller, in float64
                 u1 = ((bits(2i) >> 11) + 1) * 2**-53,  u2 = (bits(2i+1) >> 11) * 2**-53

``key`` is an int64 scalar operand (the trainer derives it from the seed and
the step); ``salt`` tells apart the random ops of one graph. The shape comes
from a ``like`` operand, so a batch dimension unknown at build time works.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.builder import apply

GOLDEN = 0x9E3779B97F4A7C15
MIX_1 = 0xBF58476D1CE4E5B9
MIX_2 = 0x94D049BB133111EB


def mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX_1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX_2)
    return z ^ (z >> np.uint64(31))


def random_bits(key: int, salt: int, indices: np.ndarray) -> np.ndarray:
    """Returns the generator's 64-bit words for the given element indices."""
    with np.errstate(over="ignore"):
        key64 = np.asarray(key, dtype=np.int64).astype(np.uint64)
        stream = mix(key64 * np.uint64(GOLDEN) + np.uint64(salt))
        counters = indices.astype(np.uint64) + np.uint64(1)
        return mix(stream + counters * np.uint64(GOLDEN))


def uniform_bits(key: int, salt: int, size: int) -> np.ndarray:
    """Returns ``size`` float32 values in [0, 1) for one (key, salt) stream."""
    bits = random_bits(key, salt, np.arange(size, dtype=np.uint64))
    return ((bits >> np.uint64(40)).astype(np.float32)) * np.float32(2.0**-24)


def normal_bits(key: int, salt: int, size: int) -> np.ndarray:
    """Returns ``size`` standard normal float64 values for one stream."""
    index = np.arange(size, dtype=np.uint64) * np.uint64(2)
    first = random_bits(key, salt, index) >> np.uint64(11)
    second = random_bits(key, salt, index + np.uint64(1)) >> np.uint64(11)
    u1 = (first.astype(np.float64) + 1.0) * 2.0**-53
    u2 = second.astype(np.float64) * 2.0**-53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _random_infer(op: str) -> Any:
    def infer(types: Any, attrs: Any) -> TensorType:
        key, like = types
        if key.rank != 0 or not dtypes.is_int(key.dtype):
            raise errors.DTypeError(
                f"{op}: the key must be an integer scalar. Received: {key}"
            )
        return TensorType(like.shape, attrs["dtype"])

    return infer


def _uniform_reference(arrays: Any, attrs: Any) -> np.ndarray:
    key, like = arrays
    values = uniform_bits(int(key), attrs["salt"], like.size)
    return values.reshape(like.shape).astype(attrs["dtype"])


def _normal_reference(arrays: Any, attrs: Any) -> np.ndarray:
    key, like = arrays
    values = normal_bits(int(key), attrs["salt"], like.size)
    return values.reshape(like.shape).astype(attrs["dtype"])


def _random_example(draw: Any) -> registry.Example:
    return registry.Example(
        [((), "int64", "key"), (draw.shape(), "float", "real")],
        {"salt": draw.integer(0, 1000), "dtype": "float32"},
    )


_RANDOM_ATTRS = {
    "salt": registry.Attr(registry.as_int, 0),
    "dtype": registry.Attr(dtypes.canonical, "float32"),
}


def _stream(em: Any, key: Any, salt: int) -> Any:
    """``mix(key * GOLDEN + salt)`` in ``i64`` (wrapping, like uint64)."""
    builder = em.builder
    scaled = builder.mul(key, em.index(_signed(GOLDEN)))
    return _lower_mix(em, builder.add(scaled, em.index(salt)))


def _signed(value: int) -> int:
    """A uint64 constant as the i64 with the same bits."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _lower_mix(em: Any, z: Any) -> Any:
    builder = em.builder
    z = builder.mul(
        builder.xor(z, builder.lshr(z, em.index(30))), em.index(_signed(MIX_1))
    )
    z = builder.mul(
        builder.xor(z, builder.lshr(z, em.index(27))), em.index(_signed(MIX_2))
    )
    return builder.xor(z, builder.lshr(z, em.index(31)))


def _lower_bits(em: Any, stream: Any, counter: Any) -> Any:
    builder = em.builder
    step = builder.mul(builder.add(counter, em.index(1)), em.index(_signed(GOLDEN)))
    return _lower_mix(em, builder.add(stream, step))


def _lower_uniform(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    key = em.convert(em.load(inputs[0], em.index(0)), inputs[0].dtype, "int64")
    stream = _stream(em, key, attrs["salt"])
    builder = em.builder
    with em.loop(output.size, "u") as index:
        top = builder.lshr(_lower_bits(em, stream, index), em.index(40))
        value = builder.fmul(
            builder.uitofp(top, lowering.F32), em.const(2.0**-24, "float32")
        )
        em.store(output, index, em.convert(value, "float32", output.dtype))


def _lower_normal(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    key = em.convert(em.load(inputs[0], em.index(0)), inputs[0].dtype, "int64")
    stream = _stream(em, key, attrs["salt"])
    builder = em.builder
    with em.loop(output.size, "n") as index:
        first = builder.mul(index, em.index(2))
        high = builder.lshr(_lower_bits(em, stream, first), em.index(11))
        low = builder.lshr(
            _lower_bits(em, stream, builder.add(first, em.index(1))), em.index(11)
        )
        u1 = builder.fmul(
            builder.fadd(builder.uitofp(high, lowering.F64), em.const(1.0, "float64")),
            em.const(2.0**-53, "float64"),
        )
        u2 = builder.fmul(
            builder.uitofp(low, lowering.F64), em.const(2.0**-53, "float64")
        )
        radius = em.intrinsic(
            "sqrt",
            [
                builder.fmul(
                    em.const(-2.0, "float64"), em.intrinsic("log", [u1], "float64")
                )
            ],
            "float64",
        )
        angle = builder.fmul(em.const(2.0 * np.pi, "float64"), u2)
        value = builder.fmul(radius, em.intrinsic("cos", [angle], "float64"))
        em.store(output, index, em.convert(value, "float64", output.dtype))


for _name, _reference, _doc, _lower in (
    (
        "random_uniform",
        _uniform_reference,
        "Uniform [0, 1) values shaped like x.",
        _lower_uniform,
    ),
    (
        "random_normal",
        _normal_reference,
        "Standard normal values shaped like x.",
        _lower_normal,
    ),
):
    registry.register(
        registry.OpDef(
            name=_name,
            kind=registry.RANDOM,
            arity=2,
            infer=_random_infer(_name),
            reference=_reference,
            grad=None,
            example=_random_example,
            doc=_doc,
            attrs=_RANDOM_ATTRS,
            differentiable=False,
            lower=_lower,
        )
    )


def random_uniform(key: Any, like: Any, salt: int = 0, dtype: str = "float32") -> Any:
    """Uniform values in [0, 1) with the shape of ``like``.

    Args:
        key: an integer scalar; the same key and salt give the same values.
        like: a tensor whose shape the result takes.
        salt: tells apart several random ops under one key.
        dtype: a float dtype.
    """
    return apply("random_uniform", [_key(key), like], {"salt": salt, "dtype": dtype})


def random_normal(key: Any, like: Any, salt: int = 0, dtype: str = "float32") -> Any:
    """Standard normal values with the shape of ``like`` (see ``random_uniform``)."""
    return apply("random_normal", [_key(key), like], {"salt": salt, "dtype": dtype})


def random_bernoulli(key: Any, like: Any, p: float, salt: int = 0) -> Any:
    """Bools that are true with probability ``p``, shaped like ``like``."""
    from kgraph import ops

    return ops.less(random_uniform(key, like, salt), float(p))


def _key(key: Any) -> Any:
    if isinstance(key, int | np.integer):
        return np.asarray(key, dtype=np.int64)
    return key

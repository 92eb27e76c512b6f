"""Keras's ``HashedCrossing``: crosses integer features by hashing them
together, as TensorFlow's ``sparse.cross_hashed`` (which Keras calls).

For integer features TensorFlow chains ``FingerprintCat64`` over the values
themselves (not their strings), starting from the key ``0xDECAFCAFFE``;
with ``m = 0xC6A4A7935BD1E995`` and ``mix(x) = x ^ (x >> 47)`` (arithmetic
modulo 2**64, unsigned shifts)::

    cat(h, v) = mix(mix(((h ^ m) ^ mix(v * m) * m) * m) * m)

and the bin is the unsigned result modulo ``num_bins``. It is composed here
from int64 elementwise ops (wrapping multiplication, xor, shifts), so both
backends compute it exactly.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing.categorical import encode_categories

HASH_KEY = 0xDECAFCAFFE
_MUL = 0xC6A4A7935BD1E995
_TWO_64 = 1 << 64


def _signed(value: int) -> np.int64:
    return np.int64(value - _TWO_64 if value >= 1 << 63 else value)


def _mix(x: Any) -> Any:
    """``x ^ (x >> 47)`` with an unsigned shift of int64 bits."""
    shifted = ops.bitwise_and(ops.right_shift(x, np.int64(47)), np.int64((1 << 17) - 1))
    return ops.bitwise_xor(x, shifted)


def fingerprint_cat(first: Any, second: Any) -> Any:
    """TensorFlow's ``FingerprintCat64`` of two int64 tensors (their bits as
    unsigned 64-bit words)."""
    mul = _signed(_MUL)
    result = ops.bitwise_xor(first, mul)
    result = ops.bitwise_xor(result, ops.multiply(_mix(ops.multiply(second, mul)), mul))
    result = ops.multiply(result, mul)
    result = ops.multiply(_mix(result), mul)
    return _mix(result)


def unsigned_mod(x: Any, bins: int) -> Any:
    """``x``'s bits read as an unsigned 64-bit number, modulo ``bins``."""
    remainder = ops.mod(x, np.int64(bins))
    wrapped = ops.mod(ops.add(remainder, np.int64(_TWO_64 % bins)), np.int64(bins))
    return ops.where(ops.less(x, np.int64(0)), wrapped, remainder)


def cross_hashed(features: list[Any], num_bins: int) -> Any:
    """The crossed bin of integer features of one shape (int64)."""
    hashed = None
    for feature in features:
        value = ops.cast(feature, "int64") if feature.dtype != "int64" else feature
        start = (
            ops.add(ops.multiply(value, np.int64(0)), _signed(HASH_KEY))
            if hashed is None
            else hashed
        )
        hashed = fingerprint_cat(start, value)
    return unsigned_mod(hashed, num_bins)


class HashedCrossing(Layer):
    """Crosses two or more integer features into ``num_bins`` bins, as
    Keras's ``HashedCrossing`` (TensorFlow's ``sparse.cross_hashed``; see
    the module's notes for the hash). kgraph tensors are numbers: string
    features are not supported. Features are scalars, ``(batch,)`` or
    ``(batch, 1)``.

    Args:
        num_bins: the number of bins.
        output_mode: ``"int"`` (bin indices) or ``"one_hot"``.
        sparse: ``False`` (kgraph has no sparse tensors).
        name: the layer's name.
        dtype: the output dtype (``"int64"`` for ``"int"``, else
            ``"float32"``).
        **kwargs: base layer arguments.

    Raises:
        ValueError: for bad arguments, fewer than two features, features of
            different shapes, or non-integer features.

    Example:

    >>> layer = HashedCrossing(num_bins=1000)
    >>> layer((np.array([1, 5]), np.array([7, 0]))).numpy().tolist()
    [889, 44]
    """

    def __init__(
        self,
        num_bins: int,
        output_mode: str = "int",
        sparse: bool = False,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        if dtype is None:
            dtype = "int64" if output_mode == "int" else "float32"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if (
            isinstance(num_bins, bool)
            or not isinstance(num_bins, numbers.Integral)
            or num_bins < 1
        ):
            raise ValueError(
                "HashedCrossing: `num_bins` must be a positive integer. "
                f"Received: num_bins={num_bins!r}"
            )
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "HashedCrossing: `output_mode` must be one of ('int', 'one_hot'). "
                f"Received: output_mode={output_mode!r}"
            )
        if sparse:
            raise ValueError(
                "HashedCrossing: kgraph has no sparse tensors; `sparse` must be "
                f"False. Received: sparse={sparse!r}"
            )
        self.num_bins = int(num_bins)
        self.output_mode = output_mode
        self.sparse = False

    def _check(self, shapes: list[tuple], kinds: list[str] | None = None) -> None:
        if len(shapes) < 2:
            raise ValueError(
                "HashedCrossing: expected at least two inputs. Received: "
                f"{len(shapes)} input(s)"
            )
        if any(tuple(s) != tuple(shapes[0]) for s in shapes):
            raise ValueError(
                "HashedCrossing: expected the input tensors to have identical "
                f"shapes. Received: input shapes {[tuple(s) for s in shapes]}"
            )
        shape = tuple(shapes[0])
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "HashedCrossing: expected scalars, (batch,) or (batch, 1) inputs. "
                f"Received: input shape {shape}"
            )
        if kinds is not None and not all(dtypes.is_int(k) for k in kinds):
            raise ValueError(
                "HashedCrossing: all inputs should have an integer dtype (kgraph "
                f"has no strings). Received: dtypes {kinds}"
            )

    def call(self, inputs: Any) -> Any:
        """Returns the crossed bins, encoded by ``output_mode``."""
        if not isinstance(inputs, list | tuple):
            raise ValueError(
                "HashedCrossing: expected a list or tuple of at least two inputs. "
                f"Received: {type(inputs).__name__}"
            )
        features = [ops.as_tensor(x) for x in inputs]
        self._check([f.shape for f in features], [f.dtype for f in features])
        bins = cross_hashed(features, self.num_bins)
        return encode_categories(bins, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The features' shape, with the bins' axis for ``"one_hot"``."""
        shapes = [tuple(s) for s in input_shape]
        self._check(shapes)
        shape = shapes[0]
        if self.output_mode == "int":
            return shape
        if not shape:
            return (self.num_bins,)
        if len(shape) > 1 and shape[-1] == 1:
            return (*shape[:-1], self.num_bins)
        return (*shape, self.num_bins)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


__all__ = ["HashedCrossing"]

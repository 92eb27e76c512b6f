"""Hypothesis strategies for ops: shapes, broadcastable shapes and values.

``Draw`` wraps hypothesis's ``data()`` object in the small vocabulary that
``OpDef.example`` functions use (``shape``, ``broadcastable``, ``integer``,
``choice``, ``boolean``, ``permutation``, ``axes``), so op definitions do
not depend on hypothesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

from kgraph.ops import registry


class Draw:
    """Draws the pieces of an op example from a hypothesis ``data()`` object.

    Args:
        data: the object ``hypothesis.strategies.data()`` gives a test.
        max_side: the largest size of a dimension.
        max_rank: the largest rank of a drawn shape.
    """

    def __init__(
        self, data: Any, max_side: int = 5, max_rank: int = 3, empty: bool = False
    ) -> None:
        self.data = data
        self.max_side = max_side
        self.max_rank = max_rank
        # Whether shapes may have a zero-size axis (one in three does).
        self.empty = empty

    def integer(self, low: int, high: int) -> int:
        """An int in ``[low, high]``."""
        return self.data.draw(st.integers(low, high))

    def boolean(self) -> bool:
        """True or False."""
        return self.data.draw(st.booleans())

    def choice(self, options: Sequence[Any]) -> Any:
        """One of ``options``."""
        return self.data.draw(st.sampled_from(list(options)))

    def shape(
        self, min_rank: int = 0, max_rank: int | None = None, min_side: int = 1
    ) -> tuple[int, ...]:
        """A shape of rank ``min_rank..max_rank`` with sides ``min_side..max_side``."""
        top = self.max_rank if max_rank is None else max_rank
        rank = self.integer(min_rank, max(min_rank, top))
        shape = tuple(self.integer(min_side, self.max_side) for _ in range(rank))
        if self.empty and shape and self.integer(0, 2) == 0:
            axis = self.integer(0, rank - 1)
            shape = (*shape[:axis], 0, *shape[axis + 1 :])
        return shape

    def broadcastable(self, count: int, max_rank: int | None = None) -> list[tuple]:
        """``count`` shapes that broadcast together: each drops leading axes
        of a common shape and sets some sides to 1."""
        base = self.shape(max_rank=max_rank)
        shapes = []
        for _ in range(count):
            keep = self.integer(0, len(base))
            shape = list(base[len(base) - keep :])
            for axis in range(len(shape)):
                if self.integer(0, 3) == 0:
                    shape[axis] = 1
            shapes.append(tuple(shape))
        return shapes

    def permutation(self, n: int) -> tuple[int, ...]:
        """A permutation of ``range(n)``."""
        return tuple(self.data.draw(st.permutations(list(range(n)))))

    def axes(self, rank: int) -> tuple[int, ...]:
        """A non-empty tuple of distinct axes, some written negatively."""
        chosen = self.data.draw(
            st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank, unique=True)
        )
        return tuple(a - rank if self.boolean() else a for a in chosen)


def values(
    rng: np.random.Generator, shape: Sequence[int], dtype: str, domain: str
) -> np.ndarray:
    """Returns an array honouring an op input's domain.

    Domains: ``real`` and ``small`` (uniform in [-3, 3]), ``positive``
    ([0.2, 3]), ``nonzero`` (|x| in [0.2, 3]), ``unit`` ([-0.9, 0.9]),
    ``above_one`` ([1.2, 3]), ``bool``, ``index:N`` (ints in [-N, N)) and
    ``key`` (an int64 generator key).
    """
    shape = tuple(shape)
    if domain in ("real", "small"):
        array = rng.uniform(-3.0, 3.0, shape)
    elif domain == "positive":
        array = rng.uniform(0.2, 3.0, shape)
    elif domain == "nonzero":
        array = rng.uniform(0.2, 3.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "unit":
        array = rng.uniform(-0.9, 0.9, shape)
    elif domain == "above_one":
        array = rng.uniform(1.2, 3.0, shape)
    elif domain == "bool":
        array = rng.random(shape) < 0.5
    elif domain.startswith("index:"):
        size = int(domain.split(":")[1])
        # An empty table takes no index: only an empty array of them.
        array = rng.integers(-size, size, shape) if size else np.zeros(shape, int)
    elif domain == "key":
        array = rng.integers(-(2**62), 2**62, shape)
    else:
        raise ValueError(f"Unknown domain. Received: domain={domain!r}")
    return np.asarray(array).astype(dtype)


# What ``special`` mixes into unconstrained float operands: NaN, both
# infinities, both zeros, float32's largest and smallest normal values and
# a denormal.
SPECIAL_VALUES = (
    np.nan,
    np.inf,
    -np.inf,
    0.0,
    -0.0,
    3.4e38,
    -3.4e38,
    1.2e-38,
    -1e-45,
)


def with_special_values(
    rng: np.random.Generator, array: np.ndarray, limits: bool = True
) -> np.ndarray:
    """``array`` with about a third of its elements replaced: by one of
    ``SPECIAL_VALUES`` (without float32's largest values unless ``limits``),
    or by a copy of another element (ties for max, min, argmax and
    sorting)."""
    result = array.copy()
    flat = result.reshape(-1)
    if not flat.size:
        return result
    chosen = rng.random(flat.size) < 0.35
    kept = [v for v in SPECIAL_VALUES if limits or abs(v) < 1e38]
    specials = np.asarray(kept, dtype=flat.dtype)
    picks = rng.integers(0, len(specials) + 3, flat.size)
    for index in np.flatnonzero(chosen):
        pick = picks[index]
        flat[index] = specials[pick] if pick < len(specials) else flat[pick % flat.size]
    return result


def _takes_specials(
    opdef: registry.OpDef, position: int, domain: str, array: np.ndarray
) -> bool:
    """Whether an operand takes special values: floats of an unconstrained
    domain; of a convolution, only its data (native kernels differ on
    padded positions meeting an infinite weight: 0 * inf is NaN where a
    kernel multiplies the padding, nothing where it skips it)."""
    if domain not in ("real", "small") or array.dtype.kind != "f":
        return False
    return opdef.kind != registry.CONV or position == 0


def example_arrays(
    opdef: registry.OpDef,
    data: Any,
    float_dtype: str = "float32",
    special: bool = False,
    empty: bool = False,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Draws an example of ``opdef`` and values for its operands.

    Args:
        opdef: the op.
        data: hypothesis's ``data()`` object.
        float_dtype: the dtype that ``"float"`` inputs take.
        special: mix ``SPECIAL_VALUES`` and ties into the float operands of
            unconstrained domains (``real``, ``small``).
        empty: let shapes have a zero-size axis (``Draw.empty``).

    Returns:
        The operand arrays and the attributes.
    """
    example = opdef.example(Draw(data, empty=empty))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrays = []
    for position, (shape, dtype, domain) in enumerate(example.inputs):
        array = values(rng, shape, float_dtype if dtype == "float" else dtype, domain)
        if special and _takes_specials(opdef, position, domain, array):
            # Contractions sum products in an order of their own: a partial
            # sum that overflows is inf in one order and NaN in another.
            limits = opdef.kind not in (registry.MATMUL, registry.CONV)
            array = with_special_values(rng, array, limits)
        arrays.append(array)
    attrs = dict(example.attrs)
    # Ops that produce floats of an attribute dtype follow the test's dtype.
    if opdef.kind != registry.SOURCE and attrs.get("dtype") == "float32":
        attrs["dtype"] = float_dtype
    return arrays, attrs


# The per-test example count the fixed counts given to ``examples`` are
# written for (``ci`` runs 60, so each as written).
_BASE_EXAMPLES = 60


def examples(count: int) -> int:
    """A property test's example count, scaled by the loaded hypothesis
    profile's ``max_examples`` against ``_BASE_EXAMPLES``: ``count`` itself
    under ``ci``, fewer under ``dev``, ten times ``ci``'s under
    ``explore`` (tests whose examples are costly, each compiling native
    code, state their count through this)."""
    return max(1, round(count * settings.default.max_examples / _BASE_EXAMPLES))

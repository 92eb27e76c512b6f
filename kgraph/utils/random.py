"""kgraph's host-side random state: shuffling, dropout keys and initializers.

``set_random_seed`` makes a run reproducible: weight initialization, the
order of batches and dropout masks are all derived from the seed.
"""

from __future__ import annotations

import random as python_random

import numpy as np

_GENERATOR = np.random.default_rng()


def generator() -> np.random.Generator:
    """Returns the generator kgraph draws host-side randomness from."""
    return _GENERATOR


def set_random_seed(seed: int) -> None:
    """Seeds Python's, NumPy's and kgraph's random generators.

    Args:
        seed: a non-negative integer.

    Raises:
        ValueError: for a negative or non-integer seed.

    Example:

    >>> set_random_seed(1)
    >>> first = generator().integers(100)
    >>> set_random_seed(1)
    >>> bool(generator().integers(100) == first)
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(
            f"set_random_seed expects a non-negative integer. Received: seed={seed!r}"
        )
    global _GENERATOR
    _GENERATOR = np.random.default_rng(int(seed))
    python_random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    from kgraph import initializers

    initializers.set_seed(int(seed))

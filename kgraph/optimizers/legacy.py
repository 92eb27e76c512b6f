"""``kgraph.optimizers.legacy``: Keras 2's optimizers, refused as Keras 3
refuses them.

Keras 3 keeps these names so that old code fails with an explanation:
creating any of them raises ``ImportError``. kgraph does the same, naming
the Keras 3 optimizer to use instead.
"""

from __future__ import annotations

from typing import Any


class _LegacyOptimizer:
    """A Keras 2 optimizer name: creating it raises ``ImportError``.

    Raises:
        ImportError: always, naming ``kgraph.optimizers.<name>`` instead.

    Example:

    >>> Adam()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ImportError: ... Use `kgraph.optimizers.Adam` instead ...
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        raise ImportError(
            "`keras.optimizers.legacy` is not supported in Keras 3 nor in kgraph. "
            f"Use `kgraph.optimizers.{name}` instead (the same arguments, Keras "
            f"3's update rule). Received: keras.optimizers.legacy.{name}"
        )


class Adagrad(_LegacyOptimizer):
    """Keras 2's Adagrad: raises ``ImportError`` (see the module)."""


class Adam(_LegacyOptimizer):
    """Keras 2's Adam: raises ``ImportError`` (see the module)."""


class Ftrl(_LegacyOptimizer):
    """Keras 2's Ftrl: raises ``ImportError`` (see the module)."""


class Optimizer(_LegacyOptimizer):
    """Keras 2's Optimizer: raises ``ImportError`` (see the module)."""


class RMSprop(_LegacyOptimizer):
    """Keras 2's RMSprop: raises ``ImportError`` (see the module)."""


class SGD(_LegacyOptimizer):
    """Keras 2's SGD: raises ``ImportError`` (see the module)."""


__all__ = ["SGD", "Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop"]

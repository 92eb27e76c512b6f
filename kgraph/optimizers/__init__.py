"""``kgraph.optimizers``: Keras 3's optimizers, as graph-op update rules.

Each optimizer's ``apply`` is written with ``kgraph.ops``, so the compiler
inlines it into the training-step graph. Optimizers are found by name with
``get`` (``"adam"``, ``"sgd"``, ...), and configs round-trip through
``serialize`` and ``deserialize`` in Keras 3's format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgraph import objects
from kgraph.optimizers import schedules
from kgraph.optimizers.adagrad import Adagrad
from kgraph.optimizers.adam import Adam
from kgraph.optimizers.adamw import AdamW
from kgraph.optimizers.optimizer import Optimizer
from kgraph.optimizers.rmsprop import RMSprop
from kgraph.optimizers.sgd import SGD

# Keras's lookup table: lower-cased class names.
ALL_OBJECTS_DICT: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls for cls in (Adagrad, Adam, AdamW, RMSprop, SGD)
}


class _Optimizers(objects.ObjectFamily):
    """Optimizers: names match case-insensitively, configs are Keras 3's
    full dicts, schedules come through ``custom_objects``, and callables
    are not optimizers."""

    def make(self, found: Any, name: str | None) -> Any:
        if not isinstance(found, type):
            raise self.unknown(name)
        return self.from_config(found, {}, None)

    def from_callable(self, fn: Any) -> Any:
        raise self.unknown(fn)

    def from_config(self, cls: Any, config: dict[str, Any], custom_objects: Any) -> Any:
        return cls.from_config(config, custom_objects=dict(custom_objects or {}))

    def config_of(self, obj: Any) -> dict[str, Any]:
        return {
            "module": "keras.optimizers",
            "class_name": type(obj).__name__,
            "config": obj.get_config(),
            "registered_name": None,
        }

    def unknown(self, identifier: Any) -> ValueError:
        valid = ", ".join(repr(name) for name in self.names())
        return ValueError(
            "Could not interpret optimizer identifier. Expected an Optimizer, a "
            f"config dict or one of the names {valid} (case-insensitive). "
            f"Received: optimizer={identifier!r}"
        )

    def cannot_deserialize(self, config: Mapping[str, Any]) -> ValueError:
        return self.unknown(config)


FAMILY = _Optimizers("optimizer", Optimizer, ALL_OBJECTS_DICT, case_insensitive=True)
"""The optimizers' ``ObjectFamily``: lower-cased names to classes."""


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Returns an optimizer's configuration as a dict, in Keras 3's format.

    Args:
        optimizer: an ``Optimizer``.

    Returns:
        ``{"module", "class_name", "config", "registered_name"}``.

    Example:

    >>> serialize(SGD())["class_name"]
    'SGD'
    """
    return FAMILY.serialize(optimizer)


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Optimizer:
    """Creates an optimizer from ``serialize``'s output (or Keras's).

    The class name is matched case-insensitively against the built-in
    optimizers, then exactly against ``custom_objects`` and the registered
    custom objects.

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: extra optimizer or schedule classes by name.

    Returns:
        A new optimizer.

    Raises:
        ValueError: for an unknown class name, listing the valid ones.
    """
    return FAMILY.deserialize(config, custom_objects)


def get(identifier: Any) -> Optimizer | None:
    """Retrieves an optimizer.

    Args:
        identifier: a name (``"adam"``, ``"SGD"``, ``"rmsprop"``, ...,
            case-insensitive, or a registered custom name), a config dict
            ``{"class_name": ..., "config": ...}``, an ``Optimizer`` (returned
            unchanged), an ``Optimizer`` class (a new instance) or ``None``.

    Returns:
        An ``Optimizer`` (a new one for names and dicts), or ``None``.

    Raises:
        ValueError: when the identifier names no optimizer.

    Example:

    >>> get("Adam").learning_rate
    0.001
    """
    return FAMILY.get(identifier)


__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

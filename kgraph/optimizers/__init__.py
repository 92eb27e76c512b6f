"""``kgraph.optimizers``: Keras 3's optimizers, as graph-op update rules.

Each optimizer's ``apply`` is written with ``kgraph.ops``, so the compiler
inlines it into the training-step graph. Optimizers are found by name with
``get`` (``"adam"``, ``"sgd"``, ...), and configs round-trip through
``serialize`` and ``deserialize`` in Keras 3's format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    return {
        "module": "keras.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None,
    }


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Optimizer:
    """Creates an optimizer from ``serialize``'s output (or Keras's).

    The class name is matched case-insensitively against the built-in
    optimizers, then exactly against ``custom_objects``.

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: extra optimizer or schedule classes by name.

    Returns:
        A new optimizer.

    Raises:
        ValueError: for an unknown class name, listing the valid ones.
    """
    name = config.get("class_name") if isinstance(config, Mapping) else None
    custom = dict(custom_objects or {})
    if isinstance(name, str) and name.lower() in ALL_OBJECTS_DICT:
        cls: Any = ALL_OBJECTS_DICT[name.lower()]
    elif isinstance(name, str) and name in custom:
        cls = custom[name]
    else:
        raise _unknown(config)
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom)


def get(identifier: Any) -> Optimizer | None:
    """Retrieves an optimizer.

    Args:
        identifier: a name (``"adam"``, ``"SGD"``, ``"rmsprop"``, ...,
            case-insensitive), a config dict ``{"class_name": ...,
            "config": ...}``, an ``Optimizer`` (returned unchanged) or
            ``None``.

    Returns:
        An ``Optimizer`` (a new one for names and dicts), or ``None``.

    Raises:
        ValueError: when the identifier names no optimizer.

    Example:

    >>> get("Adam").learning_rate
    0.001
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() not in ALL_OBJECTS_DICT:
            raise _unknown(identifier)
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, Mapping):
        return deserialize(identifier)
    raise _unknown(identifier)


def _unknown(identifier: Any) -> ValueError:
    valid = ", ".join(repr(name) for name in sorted(ALL_OBJECTS_DICT))
    return ValueError(
        "Could not interpret optimizer identifier. Expected an Optimizer, a "
        f"config dict or one of the names {valid} (case-insensitive). "
        f"Received: optimizer={identifier!r}"
    )


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

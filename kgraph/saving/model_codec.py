"""How model files turn a model into its config entry and back.

The saving package sits below ``kgraph.models`` (models save through it),
so it does not import models: ``kgraph.models`` registers its two functions
here when it is imported (``register``), and the file formats call them.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

_CODEC: dict[str, Callable[..., Any]] = {}


def register(
    serialize: Callable[[Any], dict[str, Any]],
    deserialize: Callable[..., Any],
) -> None:
    """Sets the functions that serialize and rebuild models.

    Args:
        serialize: ``model -> {"module", "class_name", "config", ...}``.
        deserialize: ``(entry, custom_objects, safe_mode) -> model``.
    """
    _CODEC["serialize"] = serialize
    _CODEC["deserialize"] = deserialize


def _function(name: str) -> Callable[..., Any]:
    if name not in _CODEC:
        raise RuntimeError(
            "kgraph.models is not imported, so models cannot be read or written. "
            "Import kgraph (or kgraph.models) first. Received: no model codec"
        )
    return _CODEC[name]


def serialize_model(model: Any) -> dict[str, Any]:
    """The config entry of a model (Keras 3's layout).

    Raises:
        ValueError: for a model whose config cannot be stored.
    """
    return _function("serialize")(model)


def deserialize_model(
    entry: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
) -> Any:
    """Rebuilds a model from its config entry (new weights).

    Raises:
        ValueError: for an unknown model class or layer, naming it.
    """
    return _function("deserialize")(entry, custom_objects, safe_mode)

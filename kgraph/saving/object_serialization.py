"""``serialize_keras_object`` and ``deserialize_keras_object``: any Keras
object (layer, model, loss, metric, optimizer, initializer, regularizer,
activation, constraint, custom class) as Keras 3's config dict and back.

Objects become ``{"module", "class_name", "config", "registered_name"}``
(layers also ``"build_config"`` once built), built-in functions
``{"module": "builtins", "class_name": "function", "config": name,
"registered_name": "function"}`` as Keras writes them, and plain values stay
as they are (NumPy arrays as ``__numpy__`` dicts). Deserializing finds the
class through ``custom_objects``, the registry, ``module_objects`` and then
kgraph's own families, chosen by the entry's ``module`` when it names one.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph.objects import lookup
from kgraph.objects import registered_name
from kgraph.saving import model_codec
from kgraph.saving import serialization

# kgraph's object families, in the order a module-less name is searched.
_FAMILIES = (
    "activations",
    "losses",
    "metrics",
    "optimizers",
    "initializers",
    "regularizers",
    "constraints",
)
_MODEL_CLASSES = ("Functional", "Sequential", "Model")


def serialize_keras_object(obj: Any) -> Any:
    """Returns the config of any Keras object, as JSON-ready data.

    Args:
        obj: a layer, model, loss, metric, optimizer, initializer,
            regularizer, activation, constraint, registered custom object,
            function, or a plain value (or lists, tuples and dicts of them).

    Returns:
        ``{"module", "class_name", "config", "registered_name"}`` for an
        object, the value itself for plain values.

    Raises:
        ValueError: for a value with no config, naming it.

    Example:

    >>> from kgraph import losses
    >>> serialize_keras_object(losses.MeanSquaredError())["class_name"]
    'MeanSquaredError'
    >>> serialize_keras_object((1, [2.0, "a"]))
    (1, [2.0, 'a'])
    """
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return serialization.encode(obj, "an array")
    if isinstance(obj, list | tuple):
        return type(obj)(serialize_keras_object(item) for item in obj)
    if isinstance(obj, Mapping):
        return {str(key): serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, types.FunctionType):
        return _serialize_function(obj)
    if _is_model(obj):
        return model_codec.serialize_model(obj)
    if _is_layer(obj):
        entry = serialization.serialize_layer(obj)
        if getattr(obj, "built", False) and hasattr(obj, "get_build_config"):
            build = obj.get_build_config()
            if build is not None:
                entry["build_config"] = serialization.encode(build, obj.name)
        return entry
    return serialization.encode(obj, f"{type(obj).__name__} object")


def _serialize_function(function: Any) -> Any:
    if function.__name__ == "<lambda>":
        return serialization.encode_function(function, "a lambda")
    name = registered_name(function)
    if name == function.__name__:
        # A built-in function: Keras writes its module as ``builtins``.
        return {
            "module": "builtins",
            "class_name": "function",
            "config": function.__name__,
            "registered_name": "function",
        }
    return {
        "module": function.__module__,
        "class_name": "function",
        "config": function.__name__,
        "registered_name": name,
    }


def deserialize_keras_object(
    config: Any,
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
    **kwargs: Any,
) -> Any:
    """Rebuilds an object from ``serialize_keras_object``'s config (or
    Keras's).

    Args:
        config: the config dict, or a plain value (returned as it is;
            ``module_objects`` may map a name to an object).
        custom_objects: classes and functions by name, looked up first.
        safe_mode: refuse to load Python lambdas (bytecode), as Keras does.
        **kwargs: ``module_objects`` (names to objects, searched after the
            custom objects); Keras's other legacy arguments are ignored.

    Returns:
        The object.

    Raises:
        ValueError: for a class or function kgraph cannot find, naming it.

    Example:

    >>> from kgraph import losses
    >>> config = serialize_keras_object(losses.MeanSquaredError())
    >>> type(deserialize_keras_object(config)).__name__
    'MeanSquaredError'
    """
    module_objects = dict(kwargs.get("module_objects") or {})
    table = {**module_objects, **dict(custom_objects or {})}
    if isinstance(config, str):
        return table.get(config, config)
    if isinstance(config, list | tuple):
        return type(config)(
            deserialize_keras_object(item, table, safe_mode) for item in config
        )
    if not isinstance(config, Mapping) or "class_name" not in config:
        if isinstance(config, Mapping):
            return {
                key: deserialize_keras_object(value, table, safe_mode)
                for key, value in config.items()
            }
        return config
    class_name = config["class_name"]
    if class_name in ("__numpy__", "__tuple__", "__lambda__"):
        return serialization.decode(config, table, safe_mode)
    if class_name == "function":
        return _function(config, table)
    return _object(config, table, safe_mode)


def _function(config: Mapping[str, Any], table: Mapping[str, Any]) -> Any:
    name = config.get("config")
    found = lookup(name, config.get("registered_name"), table)
    if found is not None:
        return found
    for module in _family_modules(config.get("module")):
        found = getattr(module, str(name), None)
        if isinstance(found, types.FunctionType):
            return found
    raise ValueError(
        f"Could not locate function '{name}'. Pass it in `custom_objects` or "
        f"register it with @kgraph.saving.register_keras_serializable(). "
        f"Received: {dict(config)!r}"
    )


def _object(
    config: Mapping[str, Any], table: Mapping[str, Any], safe_mode: bool
) -> Any:
    class_name = config["class_name"]
    module = str(config.get("module") or "")
    custom = lookup(class_name, config.get("registered_name"), table)
    if class_name in _MODEL_CLASSES and custom is None:
        return model_codec.deserialize_model(config, table, safe_mode)
    if _is_layer_entry(custom, class_name, module):
        layer = serialization.deserialize_layer(config, table, safe_mode)
        build = config.get("build_config")
        if build is not None and hasattr(layer, "build_from_config"):
            layer.build_from_config(serialization.decode(build, table, safe_mode))
        return layer
    if custom is not None:
        inner = serialization.decode(config.get("config") or {}, table, safe_mode)
        return custom.from_config(inner)
    for family in _family_modules(module):
        try:
            return family.deserialize(dict(config), table)
        except (ValueError, TypeError):
            continue
    raise ValueError(
        f"Could not locate class '{class_name}' (module {module or 'unknown'}). "
        f"Pass it in `custom_objects` or register it with "
        f"@kgraph.saving.register_keras_serializable(). Received: {dict(config)!r}"
    )


def _family_modules(module: Any) -> list[Any]:
    """kgraph's family modules to search, the one ``module`` names first
    (a family kgraph does not have is skipped)."""
    parts = str(module or "").split(".")
    found = []
    for family in sorted(_FAMILIES, key=lambda family: family not in parts):
        try:
            found.append(importlib.import_module(f"kgraph.{family}"))
        except ModuleNotFoundError:
            continue
    return found


def _is_layer_entry(custom: Any, class_name: str, module: str) -> bool:
    """A layer: a custom layer class, an entry of a ``*.layers`` module, or
    a layer class name with no other family's module."""
    if custom is not None:
        return _is_layer_class(custom)
    parts = module.split(".")
    if "layers" in parts:
        return True
    builtin = serialization.layer_class_named(class_name)
    return builtin is not None and not any(f in parts for f in _FAMILIES)


def _is_layer(obj: Any) -> bool:
    return _is_layer_class(type(obj))


def _is_layer_class(cls: Any) -> bool:
    from kgraph.layers.layer import Layer

    return isinstance(cls, type) and issubclass(cls, Layer)


def _is_model(obj: Any) -> bool:
    return _is_layer(obj) and any(
        base.__name__ == "Model" and base.__module__.startswith("kgraph.models")
        for base in type(obj).__mro__
    )


__all__ = ["deserialize_keras_object", "serialize_keras_object"]

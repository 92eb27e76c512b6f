"""Configs to JSON and back: layers, functions and custom objects.

The custom-object registry (``register_keras_serializable``,
``get_custom_objects``, ``custom_object_scope``, ``lookup``) lives in
``kgraph.objects`` and is re-exported here.

A layer is stored as Keras 3 stores it: ``{"module", "class_name",
"config", "registered_name"}``. Config values become JSON: tuples become
lists, NumPy values plain numbers or ``__numpy__`` dicts, built-in
activations their names, named functions ``{"class_name": "function"}``
dicts found again through ``custom_objects`` and Python lambdas marshalled
bytecode (``__lambda__``), which only ``safe_mode=False`` loads, as in
Keras.
"""

from __future__ import annotations

import base64
import marshal
import types
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph.objects import CustomObjectScope as CustomObjectScope
from kgraph.objects import custom_object_scope as custom_object_scope
from kgraph.objects import get_custom_objects as get_custom_objects
from kgraph.objects import get_registered_name as get_registered_name
from kgraph.objects import get_registered_object as get_registered_object
from kgraph.objects import lookup as lookup
from kgraph.objects import register_keras_serializable as register_keras_serializable
from kgraph.objects import registered_name as registered_name

LAYERS_MODULE = "kgraph.layers"

# -- values to JSON -------------------------------------------------------------


def encode(value: Any, where: str) -> Any:
    """Turns a config value into JSON data.

    Args:
        value: a config value: numbers, strings, lists, tuples, dicts, NumPy
            values, functions, or objects with ``get_config``.
        where: what the value belongs to, for error messages.

    Returns:
        JSON-compatible data that ``decode`` turns back.

    Raises:
        ValueError: for a value that cannot be stored, naming it.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return {
            "class_name": "__numpy__",
            "config": {"value": value.tolist(), "dtype": value.dtype.name},
        }
    if isinstance(value, list | tuple):
        return [encode(item, where) for item in value]
    if isinstance(value, Mapping):
        return {str(key): encode(item, where) for key, item in value.items()}
    if isinstance(value, types.FunctionType):
        return encode_function(value, where)
    if hasattr(value, "get_config"):
        return {
            "module": type(value).__module__,
            "class_name": type(value).__name__,
            "config": encode(value.get_config(), where),
            "registered_name": registered_name(value),
        }
    raise ValueError(
        f"Cannot save {where}: its config holds a value kgraph cannot store in "
        f"JSON. Received: {value!r} of type {type(value).__name__}"
    )


def encode_function(function: Any, where: str) -> dict[str, Any]:
    """A built-in activation by name, a lambda as marshalled bytecode (as
    Keras's ``func_dump``), any other function by name."""
    from kgraph import activations

    name = function.__name__
    if activations.ALL_OBJECTS_DICT.get(name) is function:
        return name
    if name == "<lambda>":
        code = base64.encodebytes(marshal.dumps(function.__code__)).decode("ascii")
        closure = None
        if function.__closure__:
            closure = [
                encode(cell.cell_contents, where) for cell in function.__closure__
            ]
        return {
            "class_name": "__lambda__",
            "config": {
                "code": code,
                "defaults": encode(function.__defaults__, where),
                "closure": closure,
            },
        }
    return {
        "module": function.__module__,
        "class_name": "function",
        "config": name,
        "registered_name": registered_name(function),
    }


# -- JSON to values -------------------------------------------------------------


def decode(
    value: Any, custom_objects: Mapping[str, Any] | None, safe_mode: bool = True
) -> Any:
    """Turns JSON data from ``encode`` (or a Keras config) back into values.

    Functions, lambdas, NumPy arrays, tuples (Keras's ``__tuple__``) and
    registered or custom objects are rebuilt; other dicts (initializer and
    regularizer configs) stay dicts, which the layers' constructors accept.

    Raises:
        ValueError: for a function that cannot be found, or a lambda with
            ``safe_mode=True``.
    """
    if isinstance(value, list):
        return [decode(item, custom_objects, safe_mode) for item in value]
    if not isinstance(value, Mapping):
        return value
    class_name = value.get("class_name")
    inner = value.get("config")
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner["dtype"])
    if class_name == "__tuple__":
        return tuple(decode(inner["value"], custom_objects, safe_mode))
    if class_name == "__lambda__":
        return load_lambda(inner, custom_objects, safe_mode)
    if class_name == "function":
        return find_function(value, custom_objects)
    if isinstance(class_name, str) and "config" in value:
        custom = lookup(class_name, value.get("registered_name"), custom_objects)
        if custom is not None and hasattr(custom, "from_config"):
            config = decode(inner or {}, custom_objects, safe_mode)
            return custom.from_config(config)
    return {key: decode(item, custom_objects, safe_mode) for key, item in value.items()}


def find_function(value: Mapping[str, Any], custom_objects: Any) -> Any:
    """A named function: from ``custom_objects``, the registry or kgraph's
    activations.

    Raises:
        ValueError: naming the function when it cannot be found.
    """
    from kgraph import activations

    name = value.get("config")
    found = lookup(name, value.get("registered_name"), custom_objects)
    if found is None:
        found = activations.ALL_OBJECTS_DICT.get(name)
    if found is None:
        raise ValueError(
            f"Could not locate function '{name}' (module {value.get('module')}). "
            "Pass it in `custom_objects`, e.g. load_model(path, "
            f"custom_objects={{'{name}': {name}}}), or register it with "
            f"@kg.saving.register_keras_serializable(). Received: {dict(value)!r}"
        )
    return found


def load_lambda(
    config: Mapping[str, Any], custom_objects: Any, safe_mode: bool
) -> types.FunctionType:
    """Rebuilds a marshalled lambda (only with ``safe_mode=False``).

    Raises:
        ValueError: with ``safe_mode=True``, or for bytecode this Python
            cannot read.
    """
    if safe_mode:
        raise ValueError(
            "Requested the deserialization of a Python lambda (a Lambda layer's "
            "function, stored as bytecode). This carries a potential risk of "
            "arbitrary code execution and thus it is disallowed by default. If "
            "you trust the source of the file, pass `safe_mode=False` to the "
            "loading function; or use a named function and pass it in "
            "`custom_objects`. Received: a `__lambda__` config"
        )
    try:
        code = marshal.loads(base64.decodebytes(config["code"].encode("ascii")))
    except (ValueError, EOFError, TypeError) as error:
        raise ValueError(
            "Cannot load a Lambda layer's function: its bytecode was written by "
            f"another Python version or is damaged ({error}). Pass the function "
            "in `custom_objects` instead. Received: a `__lambda__` config"
        ) from None
    defaults = config.get("defaults")
    if defaults is not None:
        defaults = tuple(decode(defaults, custom_objects, safe_mode))
    closure = config.get("closure")
    cells = None
    if closure is not None:
        cells = tuple(
            types.CellType(decode(item, custom_objects, safe_mode)) for item in closure
        )
    return types.FunctionType(
        code, _lambda_globals(custom_objects), None, defaults, cells
    )


def _lambda_globals(custom_objects: Any) -> dict[str, Any]:
    """The names a loaded lambda sees: kgraph (also as ``keras``, so Keras
    lambdas written with ``keras.ops`` run), its ops, NumPy and the custom
    objects."""
    import kgraph
    from kgraph import ops

    names: dict[str, Any] = {
        "kgraph": kgraph,
        "kg": kgraph,
        "keras": kgraph,
        "ops": ops,
        "np": np,
        "numpy": np,
        "__builtins__": __builtins__,
    }
    names.update(dict(custom_objects or {}))
    return names


# -- layers -------------------------------------------------------------------------


def serialize_layer(layer: Any) -> dict[str, Any]:
    """Returns a layer's entry: ``{"module", "class_name", "config",
    "registered_name"}`` (Keras 3's layout).

    Raises:
        ValueError: when the config holds a value that cannot be stored.
    """
    cls = type(layer)
    where = f'layer "{layer.name}" ({cls.__name__})'
    builtin = _builtin_layer_class(cls.__name__) is cls
    # A built-in class Keras exports under another name than its class's
    # (GroupedQueryAttention as GroupQueryAttention) is stored under that.
    class_name = cls.__dict__.get("keras_class_name", cls.__name__)
    return {
        "module": LAYERS_MODULE if builtin else cls.__module__,
        "class_name": class_name if builtin else cls.__name__,
        "config": encode(layer.get_config(), where),
        "registered_name": None if builtin else registered_name(layer),
    }


def layer_class_named(class_name: str) -> Any:
    """kgraph's layer class of that name, else ``None``."""
    return _builtin_layer_class(class_name)


def _builtin_layer_class(class_name: str) -> Any:
    from kgraph import layers
    from kgraph.layers.layer import Layer

    cls = getattr(layers, class_name, None)
    if isinstance(cls, type) and issubclass(cls, Layer):
        return cls
    return None


def layer_class(
    entry: Mapping[str, Any], custom_objects: Mapping[str, Any] | None
) -> type:
    """The class a layer entry names: a custom object first (as Keras
    lets ``custom_objects`` override), then kgraph's layers.

    Raises:
        ValueError: naming the layer and its class when kgraph has no such
            layer.
    """
    class_name = entry.get("class_name")
    found = lookup(class_name, entry.get("registered_name"), custom_objects)
    if found is None:
        found = _builtin_layer_class(class_name)
    if found is None:
        from kgraph import layers

        name = (entry.get("config") or {}).get("name", "?")
        supported = sorted(
            n for n in layers.__all__ if _builtin_layer_class(n) is not None
        )
        raise ValueError(
            f'Layer "{name}" is a {class_name}, which kgraph does not have. '
            f"kgraph's layers: {', '.join(supported)}. A custom layer needs "
            f"`custom_objects={{'{class_name}': {class_name}}}`. "
            f"Received: class_name={class_name!r}"
        )
    return found


# The model classes a layer entry may name: built by ``kgraph.models``.
MODEL_CLASSES = ("Sequential", "Functional", "Model")


def deserialize_layer(
    entry: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
) -> Any:
    """Creates a layer from ``serialize_layer``'s entry (or Keras's).

    Entries written by Keras (``module`` starting with ``"keras"``) are
    translated first (``keras_compat``): Keras-only options at their
    defaults are dropped, others raise naming the layer.
    """
    from kgraph.saving import keras_compat
    from kgraph.saving import model_codec

    class_name = entry.get("class_name")
    if class_name in MODEL_CLASSES and (
        lookup(class_name, entry.get("registered_name"), custom_objects) is None
    ):
        # A model nested in a model (Keras writes Sequential stems so).
        return model_codec.deserialize_model(entry, custom_objects, safe_mode)
    cls = layer_class(entry, custom_objects)
    config = dict(entry.get("config") or {})
    if str(entry.get("module") or "").startswith("keras"):
        config = keras_compat.layer_config(cls, entry.get("class_name"), config)
    elif "dtype" in config:
        # A custom layer's config in a .keras file holds Keras's policy dict.
        config["dtype"] = keras_compat.dtype_name(config["dtype"])
    config = decode(config, custom_objects, safe_mode)
    return cls.from_config(config)


def _register_with_layers() -> None:
    from kgraph.layers import layer as layer_module

    layer_module.register_sublayer_codec(serialize_layer, deserialize_layer)


_register_with_layers()

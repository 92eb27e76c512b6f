"""The compile arguments of a model as JSON, and back.

Losses and metrics given by name stay names; kgraph's functions and
classes are stored by name and module; custom functions and classes by
name, found again through ``custom_objects`` (or the registry) when the
model is loaded, as in Keras.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from kgraph.saving import serialization

_WRAPPERS = ("LossFunctionWrapper", "MeanMetricWrapper")


def compile_config(model: Any, with_backend: bool = True) -> dict[str, Any] | None:
    """The arguments ``compile`` got, as JSON data (``None`` when the model
    is not compiled).

    Args:
        model: the model.
        with_backend: include kgraph's ``backend`` (not for ``.keras``).

    Raises:
        ValueError: for a loss or metric that cannot be stored.
    """
    from kgraph import losses
    from kgraph import metrics
    from kgraph import optimizers

    arguments = model.compile_arguments
    if arguments is None:
        return None
    loss, loss_weights = arguments["loss"], arguments["loss_weights"]
    metric_specs, weighted = arguments["metrics"], arguments["weighted_metrics"]
    config = {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": _encode(loss, losses),
        "loss_weights": serialization.encode(loss_weights, "loss_weights"),
        "metrics": _encode(metric_specs, metrics),
        "weighted_metrics": _encode(weighted, metrics),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": True,
    }
    if with_backend:
        config["backend"] = arguments["backend"]
    return config


def _encode(value: Any, module: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(key): _encode(item, module) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item, module) for item in value]
    return _encode_leaf(value, module)


def _encode_leaf(value: Any, module: Any) -> dict[str, Any]:
    where = f"the compiled {module.__name__.rsplit('.', 1)[-1]}"
    if inspect.isclass(value):
        return {
            "module": value.__module__,
            "class_name": value.__name__,
            "config": {},
            "registered_name": serialization.registered_name(value),
        }
    if inspect.isfunction(value):
        if getattr(module, value.__name__, None) is value:
            return {
                "module": module.__name__,
                "class_name": "function",
                "config": value.__name__,
                "registered_name": None,
            }
        return serialization.encode_function(value, where)
    if hasattr(value, "get_config"):
        config = value.get_config()
        if type(value).__name__ in _WRAPPERS:
            fn = value.fn
            config = {**config, "fn": _encode_leaf(fn, module)}
        return {
            "module": type(value).__module__,
            "class_name": type(value).__name__,
            "config": serialization.encode(config, where),
            "registered_name": serialization.registered_name(value),
        }
    raise ValueError(
        f"Cannot save {where}: it is neither a name, a function nor an object "
        f"with get_config. Received: {value!r}"
    )


def decode(value: Any, module: Any, custom_objects: Any) -> Any:
    """Rebuilds ``_encode``'s output: names stay names (``compile``
    resolves them), dicts with a ``class_name`` become objects or
    functions, other dicts and lists keep their structure.

    Raises:
        ValueError: for a function or class that cannot be found.
    """
    if isinstance(value, list):
        return [decode(item, module, custom_objects) for item in value]
    if not isinstance(value, Mapping):
        return value
    if "class_name" not in value:
        return {
            key: decode(item, module, custom_objects) for key, item in value.items()
        }
    class_name = value["class_name"]
    config = dict(value.get("config") or {}) if class_name != "function" else None
    if class_name == "function":
        if str(value.get("module", "")).startswith("kgraph."):
            found = getattr(module, value["config"], None)
            if found is not None:
                return found
        return serialization.find_function(value, custom_objects)
    custom = serialization.lookup(
        class_name, value.get("registered_name"), custom_objects
    )
    if custom is not None:
        return custom.from_config(config) if config else custom()
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls):
        raise ValueError(
            f"Could not find {module.__name__.rsplit('.', 1)[-1]} class "
            f"{class_name}: pass it in `custom_objects`. Received: {dict(value)!r}"
        )
    if class_name in _WRAPPERS:
        fn = decode(config.pop("fn"), module, custom_objects)
        return cls(fn, **config)
    return cls.from_config(config) if config else cls()


def compile_from_config(
    model: Any, config: Mapping[str, Any], custom_objects: Any = None
) -> None:
    """Compiles ``model`` with the stored arguments.

    Raises:
        ValueError: for an optimizer, loss or metric that cannot be found.
    """
    from kgraph import losses
    from kgraph import metrics
    from kgraph import optimizers

    optimizer = config.get("optimizer", "rmsprop")
    if isinstance(optimizer, Mapping):
        optimizer = optimizers.deserialize(optimizer, custom_objects=custom_objects)
    model.compile(
        optimizer=optimizer,
        loss=decode(config.get("loss"), losses, custom_objects),
        loss_weights=config.get("loss_weights"),
        metrics=decode(config.get("metrics"), metrics, custom_objects),
        weighted_metrics=decode(
            config.get("weighted_metrics"), metrics, custom_objects
        ),
        backend=config.get("backend"),
    )

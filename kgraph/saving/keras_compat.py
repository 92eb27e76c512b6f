"""Keras 3 layer configs as kgraph constructor arguments.

A Keras config holds options kgraph does not have (constraints, LoRA,
quantization, sparse inputs...). Each is dropped when it has the value at
which it changes nothing; any other value raises, naming the layer and the
option, rather than building a model that computes something else.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

# Keras options kgraph lacks, with the value at which they are inert.
INERT_OPTIONS: dict[str, Any] = {
    "kernel_constraint": None,
    "bias_constraint": None,
    "quantization_config": None,
    "lora_rank": None,
    "lora_alpha": None,
    "sparse": False,
    "ragged": False,
    "optional": False,
    "groups": 1,
    "activity_regularizer": None,
    "autocast": True,
    "mask_zero": False,
    "stateful": False,
    "unroll": False,
    "go_backwards": False,
    "return_state": False,
    "use_cudnn": "auto",
    "synchronized": False,
    "rms_scaling": False,
    "seed": None,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": 0.99,
}


# Keras options that matter only with masks, which kgraph does not have.
MASK_OPTIONS = ("zero_output_for_mask",)


def _inert(key: str, value: Any) -> bool:
    """Whether a Keras option kgraph lacks has a value that changes nothing
    (any ``*_constraint`` that is ``None``, or one of ``INERT_OPTIONS``)."""
    if key in MASK_OPTIONS or (key.endswith("_constraint") and value is None):
        return True
    return key in INERT_OPTIONS and value == INERT_OPTIONS[key]


def dtype_name(dtype: Any) -> Any:
    """A Keras ``DTypePolicy`` dict as its dtype name (``"float32"``).

    Raises:
        ValueError: for a mixed-precision policy, which kgraph lacks.
    """
    if not isinstance(dtype, Mapping):
        return dtype
    name = (dtype.get("config") or {}).get("name")
    if not isinstance(name, str) or name.startswith("mixed"):
        raise ValueError(
            "kgraph computes in one dtype per layer; mixed-precision policies are "
            f"not supported. Received: dtype={dict(dtype)!r}"
        )
    return name


def accepted_arguments(cls: type) -> set[str]:
    """Every keyword the class's constructors (along its bases) name, and
    those of the classes it passes its other keywords to
    (``argument_classes``: a recurrent layer's cell)."""
    names: set[str] = {"batch_input_shape", *getattr(cls, "keras_config_keys", ())}
    for other in getattr(cls, "argument_classes", ()):
        names |= accepted_arguments(other)
    for base in cls.__mro__:
        init = base.__dict__.get("__init__")
        if init is None or base is object:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind in (
                parameter.POSITIONAL_OR_KEYWORD,
                parameter.KEYWORD_ONLY,
            ):
                names.add(parameter.name)
    names.discard("self")
    return names


def layer_config(cls: type, class_name: Any, config: Mapping[str, Any]) -> dict:
    """Translates a Keras layer config for kgraph's class ``cls``.

    Args:
        cls: the kgraph layer class (a custom class gets only the dtype
            translated).
        class_name: the class name in the file, for messages.
        config: the Keras config.

    Returns:
        The arguments for ``cls.from_config``.

    Raises:
        ValueError: for a Keras option kgraph does not support, set to a
            value that matters.
    """
    from kgraph import layers

    result = dict(config)
    if "dtype" in result:
        result["dtype"] = dtype_name(result["dtype"])
    if getattr(layers, cls.__name__, None) is not cls:
        return result
    accepted = accepted_arguments(cls)
    name = result.get("name", "?")
    for key in list(result):
        if key in accepted:
            continue
        value = result[key]
        if _inert(key, value):
            del result[key]
            continue
        raise ValueError(
            f'Layer "{name}" ({class_name}) uses the Keras option `{key}`, which '
            "kgraph does not support (only at its default, "
            f"{INERT_OPTIONS.get(key, 'absent')!r}). Received: {key}={value!r}"
        )
    return result


# -- kgraph configs as Keras's (for writing .keras files) -----------------------

_KERAS_MODULES = {
    "kgraph.layers": "keras.layers",
    "kgraph.losses": "keras.losses",
    "kgraph.metrics": "keras.metrics",
    "kgraph.optimizers": "keras.optimizers",
}
# kgraph's own config entries that Keras's constructors do not take.
_KGRAPH_ONLY = {"Dropout": ("salt",)}


def dtype_policy(dtype: Any) -> dict[str, Any]:
    """A dtype name as Keras's ``DTypePolicy`` dict."""
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": dtype},
        "registered_name": None,
    }


def _keras_object(value: Any, module: str) -> Any:
    """kgraph's ``{"class_name", "config"}`` of an initializer,
    regularizer or constraint as Keras's four-key dict."""
    if not isinstance(value, Mapping) or "module" in value:
        return value
    return {
        "module": module,
        "class_name": value.get("class_name"),
        "config": value.get("config", {}),
        "registered_name": None,
    }


def _kgraph_only_keys(class_name: Any) -> tuple[str, ...]:
    """Config keys of kgraph's own that Keras's constructor does not take:
    ``_KGRAPH_ONLY``'s, and those a kgraph layer class declares
    (``kgraph_config_keys``: the augmentation layers' ``salt``)."""
    from kgraph import layers

    cls = getattr(layers, str(class_name), None)
    return (
        *_KGRAPH_ONLY.get(class_name, ()),
        *getattr(cls, "kgraph_config_keys", ()),
    )


def to_keras_layer(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A layer entry of a kgraph config as Keras writes it."""
    result = dict(entry)
    result["module"] = _KERAS_MODULES.get(entry.get("module"), entry.get("module"))
    config = dict(entry.get("config") or {})
    for key in _kgraph_only_keys(entry.get("class_name")):
        config.pop(key, None)
    if entry.get("class_name") != "InputLayer" and isinstance(config.get("dtype"), str):
        config["dtype"] = dtype_policy(config["dtype"])
    for key, value in list(config.items()):
        if key.endswith("_initializer"):
            config[key] = _keras_object(value, "keras.initializers")
        elif key.endswith("_regularizer"):
            config[key] = _keras_object(value, "keras.regularizers")
        elif key.endswith("_constraint"):
            config[key] = _keras_object(value, "keras.constraints")
        elif _is_layer_entry(value):
            # A layer held by this one (a wrapper's layer, an RNN's cell).
            config[key] = to_keras_layer(value)
        elif isinstance(value, list) and value and all(map(_is_layer_entry, value)):
            config[key] = [to_keras_layer(item) for item in value]
    result["config"] = config
    return result


def _is_layer_entry(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and value.get("module") == "kgraph.layers"
        and "class_name" in value
    )


def to_keras_model(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A model entry (``model_codec.serialize_model``) as Keras writes it."""
    result = dict(entry)
    config = dict(entry.get("config") or {})
    for layer in config.get("layers", []):
        if layer.get("module") == "kgraph.ops":
            raise ValueError(
                f"Model '{config.get('name')}' uses the op '{layer.get('name')}' "
                "between its layers, which a .keras file cannot hold in a form "
                "Keras reads. Save it as .kgraph, or wrap the op in a "
                f"kg.layers.Lambda. Received: an op entry {layer.get('name')!r}"
            )
    config["layers"] = [to_keras_layer(layer) for layer in config.get("layers", [])]
    if entry.get("class_name") == "Sequential":
        result["module"] = "keras"
        config["dtype"] = dtype_policy(config.get("dtype", "float32"))
    elif entry.get("class_name") == "Functional":
        result["module"] = "keras.src.models.functional"
        result["registered_name"] = "Functional"
    result["config"] = config
    return result


def to_keras_objects(value: Any) -> Any:
    """Renames kgraph modules to Keras's in a compile config."""
    if isinstance(value, list):
        return [to_keras_objects(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    result = {key: to_keras_objects(item) for key, item in value.items()}
    if result.get("module") in _KERAS_MODULES:
        result["module"] = _KERAS_MODULES[result["module"]]
    return result

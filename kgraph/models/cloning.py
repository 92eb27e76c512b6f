"""``clone_model`` and the JSON form of a model's architecture."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from kgraph.layers.input_layer import Input
from kgraph.layers.input_layer import InputLayer
from kgraph.layers.layer import Layer
from kgraph.models.functional import Model
from kgraph.models.sequential import Sequential
from kgraph.tensor import KerasTensor
from kgraph.tree import flatten
from kgraph.tree import map_structure


def _fresh_layer(layer: Layer) -> Layer:
    """Keras's default ``clone_function``: the same config, new weights."""
    if isinstance(layer, Model):
        return clone_model(layer)
    return type(layer).from_config(layer.get_config())


def clone_model(
    model: Model,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    call_function: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> Model:
    """Returns a model of the same architecture with new weights.

    Every layer is replaced by ``clone_function(layer)`` (default: a new
    layer from its config, so with freshly initialized weights; return the
    layer itself to share it) and the calls are made again in the same
    order.

    Args:
        model: a functional, Sequential or subclassed model.
        input_tensors: inputs to call the clone on (functional models),
            structured like ``model.input``; default new ``kg.Input``s.
        clone_function: maps each layer of the model to its replacement.
        call_function: ``call_function(layer, *args, **kwargs)`` makes each
            layer call of a functional model (default: ``layer(*args,
            **kwargs)``).
        **kwargs: ``recursive`` is accepted for Keras compatibility.

    Returns:
        The new, uncompiled model.

    Raises:
        ValueError: for an argument that is not a model.

    Example:

    >>> import kgraph as kg
    >>> x = kg.Input((3,))
    >>> model = kg.Model(x, kg.layers.Dense(2)(x))
    >>> clone = clone_model(model)
    >>> clone.weights[0] is model.weights[0]
    False
    """
    kwargs.pop("recursive", None)
    if kwargs:
        raise ValueError(f"Unknown arguments to clone_model. Received: {kwargs}")
    if not isinstance(model, Model):
        raise ValueError(
            "clone_model takes a kgraph Model. Received: "
            f"{model!r} of type {type(model).__name__}"
        )
    clone = clone_function or _fresh_layer
    if isinstance(model, Sequential):
        return _clone_sequential(model, clone)
    if not model._is_functional:
        new = type(model).from_config(model.get_config())
        if model.built:
            new.build(_shapes_of(model._subclass_inputs))
        return new
    return _clone_functional(model, input_tensors, clone, call_function)


def _shapes_of(structure: Any) -> Any:
    return map_structure(lambda t: tuple(t.shape), structure)


def _clone_sequential(model: Sequential, clone: Callable[[Layer], Layer]) -> Model:
    new = Sequential(name=model.name)
    if model._input_layer is not None:
        source = model._input_layer
        new.add(Input(batch_shape=source.batch_shape, dtype=source.dtype))
    for layer in model.layers:
        new.add(clone(layer))
    return new


def _clone_functional(
    model: Model, input_tensors: Any, clone: Callable[[Layer], Layer], call: Any
) -> Model:
    if input_tensors is None:
        input_tensors = map_structure(_new_input, model._inputs_struct)
    new_inputs = flatten(input_tensors)
    if len(new_inputs) != len(model.inputs):
        raise ValueError(
            f"clone_model: model '{model.name}' has {len(model.inputs)} inputs. "
            f"Received: {len(new_inputs)} input tensors"
        )
    tensors = {id(old): new for old, new in zip(model.inputs, new_inputs, strict=True)}
    layers: dict[int, Any] = {}
    for node in model._nodes:
        operation = node.operation
        if isinstance(operation, Layer):
            if id(operation) not in layers:
                layers[id(operation)] = clone(operation)
            operation = layers[id(operation)]
        args, kwargs = _fill(node.args, tensors), _fill(node.kwargs, tensors)
        if call is not None and isinstance(operation, Layer):
            outputs = call(operation, *args, **kwargs)
        else:
            outputs = operation(*args, **kwargs)
        made = [t for t in flatten(outputs) if isinstance(t, KerasTensor)]
        for old, new in zip(node.output_tensors, made, strict=True):
            tensors[id(old)] = new
    outputs = map_structure(lambda t: tensors[id(t)], model._outputs_struct)
    return Model(input_tensors, outputs, name=model.name)


def _new_input(tensor: KerasTensor) -> KerasTensor:
    layer = tensor.history[0] if tensor.history else None
    name = layer.name if isinstance(layer, InputLayer) else None
    return Input(batch_shape=tensor.shape, dtype=tensor.dtype, name=name)


def _fill(structure: Any, tensors: Mapping[int, Any]) -> Any:
    return map_structure(
        lambda v: tensors[id(v)] if isinstance(v, KerasTensor) else v, structure
    )


def model_to_json(model: Model, **kwargs: Any) -> str:
    """The model's architecture as Keras 3's JSON (``model.to_json()``).

    Args:
        model: the model.
        **kwargs: passed to ``json.dumps``.

    Returns:
        A JSON string; ``model_from_json`` rebuilds the model from it.
    """
    from kgraph.models import config as model_config

    return json.dumps(model_config.serialize_model(model), **kwargs)


def model_from_json(
    json_string: str, custom_objects: Mapping[str, Any] | None = None
) -> Model:
    """Rebuilds a model from ``model.to_json()`` (new weights).

    Args:
        json_string: the JSON text.
        custom_objects: custom layers and functions by name.

    Returns:
        The model, uncompiled, with freshly initialized weights.

    Raises:
        ValueError: for text that is not a model's JSON.
    """
    from kgraph.models import config as model_config

    try:
        entry = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"model_from_json needs the JSON of a model. Received: {error}"
        ) from None
    if not isinstance(entry, dict):
        raise ValueError(
            "model_from_json needs the JSON of a model. Received: "
            f"a JSON {type(entry).__name__}"
        )
    return model_config.deserialize_model(entry, custom_objects)

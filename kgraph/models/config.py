"""Model architectures as configs, in Keras 3's layout, and back.

A functional model's config lists its layers, each with the calls made
inside the model (``inbound_nodes``): the arguments of a call name the
tensors they take as ``[layer name, call index, output index]``
(``keras_history``), so shared layers, several inputs and outputs and any
connectivity are rebuilt by calling the layers again in dependency order.
A Sequential model's config lists its layers (the input layer first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgraph.saving import serialization

MODELS_MODULE = "kgraph.models"
OPS_MODULE = "kgraph.ops"
_TENSOR = "__keras_tensor__"
# Call arguments of Keras configs that kgraph does not take: it has no masks.
_IGNORED_CALL_KWARGS = ("mask",)


# -- model -> config -----------------------------------------------------------------


def serialize_model(model: Any) -> dict[str, Any]:
    """Returns ``{"module", "class_name", "config", "registered_name",
    "build_config"}`` for a functional or Sequential model.

    Raises:
        ValueError: for a model that cannot be described by its layers
            (ops used between layers, values a config cannot store).
    """
    from kgraph.models.functional import Model
    from kgraph.models.sequential import Sequential

    cls = type(model)
    if isinstance(model, Sequential):
        class_name, base = "Sequential", Sequential
    else:
        class_name, base = "Functional", Model
    custom = cls is not base
    return {
        "module": cls.__module__ if custom else MODELS_MODULE,
        "class_name": cls.__name__ if custom else class_name,
        "config": model.get_config(),
        "registered_name": serialization.registered_name(model) if custom else None,
        "build_config": {"input_shape": _build_shape(model)},
    }


def _build_shape(model: Any) -> Any:
    if not model.built:
        return None
    structure = model._input_structure()
    if isinstance(structure, Mapping):
        return {str(key): list(t.shape) for key, t in structure.items()}
    shapes = [list(t.shape) for t in model.inputs]
    return shapes[0] if len(shapes) == 1 else shapes


def functional_config(model: Any) -> dict[str, Any]:
    """The config of a functional model (see the module docstring).

    Ops applied between layers (``x + y`` on symbolic tensors) are entries
    too, as Keras 3 stores its ops: ``{"module": "kgraph.ops", "class_name":
    "Operation", "config": {"name", "op", "attrs"}}`` for a primitive op, or
    ``"class_name": "Function"`` with ``"function"`` for a composite one.

    Raises:
        ValueError: when a tensor of the model comes from nowhere the
            config can describe (an op on a variable outside any layer).
    """
    from kgraph.layers.layer import Layer

    names = {id(layer): layer.name for layer in model.layers}
    taken = set(names.values())
    operations = []
    for node in model._nodes:
        if not isinstance(node.operation, Layer):
            name, count = node.operation.name, 0
            while name in taken:
                count += 1
                name = f"{node.operation.name}_{count}"
            taken.add(name)
            names[id(node.operation)] = name
            operations.append(node)
    layers = []
    for layer in model.layers:
        entry = serialization.serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            _node_config(model, layer, node, names)
            for node in model.nodes_of(layer)
            if node.input_tensors
        ]
        layers.append(entry)
    layers.extend(_operation_entry(model, node, names) for node in operations)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": _structure_refs(model, model._inputs_struct, names),
        "output_layers": _structure_refs(model, model._outputs_struct, names),
    }


def _operation_entry(model: Any, node: Any, names: Mapping[int, str]) -> dict:
    """The config entry of an op applied between layers (one call)."""
    from kgraph.ops.history import FunctionCall

    operation, name = node.operation, names[id(node.operation)]
    if isinstance(operation, FunctionCall):
        class_name, config = "Function", {"function": operation.name}
        if getattr(operation.fn, "__module__", None) == "kgraph.random":
            config["function_module"] = "kgraph.random"  # random.dropout
    else:
        attrs = serialization.encode(operation.attrs, f"op {name}")
        class_name, config = "Operation", {"op": operation.op, "attrs": attrs}
    args = [_argument_config(model, value, names, name) for value in node.args]
    kwargs = serialization.encode(node.kwargs, f"op {name}")
    return {
        "module": OPS_MODULE,
        "class_name": class_name,
        "config": {"name": name, **config},
        "registered_name": None,
        "name": name,
        "inbound_nodes": [{"args": args, "kwargs": kwargs}],
    }


def _argument_config(
    model: Any, value: Any, names: Mapping[int, str], where: str
) -> Any:
    from kgraph.tensor import KerasTensor
    from kgraph.tensor import Variable

    if isinstance(value, KerasTensor):
        return _tensor_config(model, value, names)
    if isinstance(value, list | tuple) and any(
        isinstance(item, KerasTensor) for item in value
    ):  # a pair (real, imag) of kgraph.ops.fft, a list to concatenate...
        return [_argument_config(model, item, names, where) for item in value]
    if isinstance(value, Variable):
        raise ValueError(
            f"Model '{model.name}' cannot be saved as a config: the op '{where}' "
            f"between its layers reads the variable '{value.path}', which no layer "
            "owns. Create it in a custom layer with `add_weight`. Received: a "
            "variable operand"
        )
    return serialization.encode(value, f"op {where}")


def _tensor_config(model: Any, tensor: Any, names: Mapping[int, str]) -> Any:
    operation = tensor.history[0] if tensor.history else None
    if id(operation) not in names:
        raise ValueError(
            f"Model '{model.name}' cannot be saved as a config: one of its tensors "
            f"(shape {tuple(tensor.shape)}) is not made by one of its layers or "
            "ops. Received: a tensor made by "
            f"{getattr(operation, 'name', None)!r}"
        )
    _, index, position = model.tensor_ref(tensor)
    return {
        "class_name": _TENSOR,
        "config": {
            "shape": list(tensor.shape),
            "dtype": tensor.dtype,
            "keras_history": [names[id(operation)], index, position],
        },
    }


def _node_config(
    model: Any, layer: Any, node: Any, names: Mapping[int, str]
) -> dict[str, Any]:
    from kgraph.layers.merging import _Merge
    from kgraph.tensor import KerasTensor

    if len(node.args) > 1:
        # Several positional arguments (MultiHeadAttention's query and
        # value), tensors also among the keywords: each in place, as Keras.
        def entry(value: Any) -> Any:
            if isinstance(value, KerasTensor):
                return _tensor_config(model, value, names)
            if isinstance(value, list | tuple):
                return [entry(item) for item in value]
            return value

        kept = {
            key: entry(value)
            for key, value in node.kwargs.items()
            if key != "mask"
            and (
                isinstance(value, bool | int | float | str | KerasTensor)
                or value is None
            )
        }
        return {"args": [entry(value) for value in node.args], "kwargs": kept}
    args: Any = [_tensor_config(model, t, names) for t in node.input_tensors]
    if len(args) == 1 and not isinstance(layer, _Merge):
        args = args[0]
    kwargs = {
        key: value
        for key, value in node.kwargs.items()
        if isinstance(value, bool | int | float | str) and key != "mask"
    }
    return {"args": [args], "kwargs": kwargs}


def _structure_refs(model: Any, structure: Any, names: Mapping[int, str]) -> Any:
    def ref(tensor: Any) -> list:
        return _tensor_config(model, tensor, names)["config"]["keras_history"]

    if isinstance(structure, Mapping):
        return {str(key): ref(value) for key, value in structure.items()}
    if isinstance(structure, list | tuple):
        return [ref(value) for value in structure]
    return [ref(structure)]


def sequential_config(model: Any) -> dict[str, Any]:
    """The config of a Sequential model: its layers, the input layer first."""
    layers = [serialization.serialize_layer(layer) for layer in model.layers]
    if model._input_layer is not None:
        layers.insert(0, serialization.serialize_layer(model._input_layer))
    shape = model._input_shape()
    return {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": "float32",
        "layers": layers,
        "build_input_shape": None if shape is None else list(shape),
    }


# -- config -> model -----------------------------------------------------------------


def deserialize_model(
    entry: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
) -> Any:
    """Creates a model from ``serialize_model``'s entry (or a Keras
    ``config.json``).

    Raises:
        ValueError: for an unknown model class or layer, naming it.
    """
    from kgraph.models.functional import Model
    from kgraph.models.sequential import Sequential

    class_name = entry.get("class_name")
    cls: Any = serialization.lookup(
        class_name, entry.get("registered_name"), custom_objects
    )
    if cls is None:
        cls = {"Functional": Model, "Model": Model, "Sequential": Sequential}.get(
            class_name
        )
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        raise ValueError(
            f"The file holds a model of class {class_name}, which kgraph cannot "
            "find: a Model subclass must be registered with "
            "`kg.saving.register_keras_serializable` or passed in "
            f"`custom_objects`. Received: class_name={class_name!r}"
        )
    config = dict(entry.get("config") or {})
    model = cls.from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
    shape = (entry.get("build_config") or {}).get("input_shape")
    if not model.built and shape is not None:
        model.build(_shape_tuples(shape))
    return model


def _shape_tuples(shape: Any) -> Any:
    """JSON lists back to shape tuples (a list of shapes for several inputs)."""
    if isinstance(shape, Mapping):
        return {key: _shape_tuples(value) for key, value in shape.items()}
    if shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(shape)


def sequential_from_config(
    cls: type,
    config: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
) -> Any:
    """Rebuilds a Sequential model from ``sequential_config``'s output."""
    entries = list(config.get("layers") or [])
    model = cls(name=config.get("name"))
    for entry in entries:
        model.add(serialization.deserialize_layer(entry, custom_objects, safe_mode))
    shape = config.get("build_input_shape")
    if not model.built and shape is not None and model.layers:
        model.build(tuple(shape))
    if not config.get("trainable", True):
        model.trainable = False
    return model


def functional_from_config(
    cls: type,
    config: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
) -> Any:
    """Rebuilds a functional model: creates every layer, then makes the
    calls in dependency order (a call waits until its inputs exist).

    Raises:
        ValueError: when the calls refer to layers or calls that do not
            exist.
    """
    from kgraph.layers.input_layer import InputLayer

    entries = list(config.get("layers") or [])
    layers: dict[str, Any] = {}
    pending: dict[str, list[Any]] = {}
    made: dict[tuple[str, int], list[Any]] = {}
    for entry in entries:
        layer = _operation(entry, custom_objects, safe_mode)
        if layer is None:
            layer = serialization.deserialize_layer(entry, custom_objects, safe_mode)
        name = entry.get("name") or layer.name
        layers[name] = layer
        pending[name] = list(entry.get("inbound_nodes") or [])
        if isinstance(layer, InputLayer):
            made[(name, 0)] = [layer.output]
    _make_calls(layers, pending, made, custom_objects, safe_mode)
    inputs = _unwrap(_resolve_structure(config.get("input_layers"), made))
    outputs = _unwrap(_resolve_structure(config.get("output_layers"), made))
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
    if not config.get("trainable", True):
        model.trainable = False
    return model


def _operation(entry: Mapping[str, Any], custom: Any, safe: bool) -> Any:
    """An op entry of a functional config as a callable, else ``None``.

    Raises:
        ValueError: for an op or function kgraph does not have.
    """
    from kgraph import ops
    from kgraph.ops import registry
    from kgraph.ops.history import FunctionCall
    from kgraph.ops.history import OpCall

    module = str(entry.get("module") or "")
    if module.startswith(("keras.src.ops", "keras.ops")):
        return _keras_operation(entry)
    if module != OPS_MODULE:
        return None
    config = dict(entry.get("config") or {})
    if entry.get("class_name") == "Operation" and config.get("op") in _op_names(
        registry
    ):
        attrs = serialization.decode(config.get("attrs") or {}, custom, safe)
        return OpCall(config["op"], _tuples(attrs))
    namespace: Any = ops
    if config.get("function_module") == "kgraph.random":
        from kgraph import random

        namespace = random
    function = getattr(namespace, str(config.get("function")), None)
    if entry.get("class_name") == "Function" and callable(function):
        return FunctionCall(function)
    raise ValueError(
        "The model config holds an op kgraph does not have. Received: "
        f"{entry.get('class_name')} {config!r}"
    )


def _keras_operation(entry: Mapping[str, Any]) -> Any:
    """A Keras op of a functional config (``NotEqual``, which Keras records
    for ``Embedding(mask_zero=True)``'s mask, ``Add``...): kgraph's op
    function of the same snake-case name, with the op's own arguments.

    Raises:
        ValueError: for an op kgraph does not have.
    """
    import functools

    from kgraph import objects
    from kgraph import ops
    from kgraph.ops.history import FunctionCall

    class_name = str(entry.get("class_name"))
    function = getattr(ops, objects.snake_case(class_name), None)
    if not callable(function):
        raise ValueError(
            f"The Keras model holds the op {class_name}, which kgraph.ops does not "
            f"have. Received: {class_name} {entry.get('config')!r}"
        )
    arguments = {
        k: _tuples(v) for k, v in (entry.get("config") or {}).items() if k != "name"
    }
    call = FunctionCall(function)
    if arguments:
        call.fn = functools.partial(function, **arguments)
    return call


def _op_names(registry: Any) -> set[str]:
    return {opdef.name for opdef in registry.all_ops()}


def _tuples(value: Any) -> Any:
    """JSON lists back to the tuples op attributes are made of."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


def _make_calls(
    layers: Mapping[str, Any],
    pending: dict[str, list[Any]],
    made: dict[tuple[str, int], list[Any]],
    custom_objects: Any,
    safe_mode: bool,
) -> None:
    from kgraph.layers.layer import flatten

    counts = {name: sum(1 for key in made if key[0] == name) for name in layers}
    while any(pending.values()):
        progressed = False
        for name, layer in layers.items():
            while pending[name]:
                call = _call_arguments(
                    pending[name][0], made, custom_objects, safe_mode
                )
                if call is None:
                    break
                args, kwargs = call
                made[(name, counts[name])] = flatten(layer(*args, **kwargs))
                counts[name] += 1
                pending[name].pop(0)
                progressed = True
        if not progressed:
            waiting = sorted(name for name, nodes in pending.items() if nodes)
            raise ValueError(
                "The model config is inconsistent: the calls of layers "
                f"{waiting} take tensors that no layer of the config makes. "
                f"Received: layers {sorted(layers)}"
            )


def _call_arguments(
    node: Any, made: Mapping[tuple[str, int], list[Any]], custom: Any, safe: bool
) -> tuple[list[Any], dict[str, Any]] | None:
    """The call's arguments with tensors filled in, or ``None`` while one
    of them is not made yet."""
    if isinstance(node, list):  # Keras 2: [[layer, node, tensor, kwargs], ...]
        tensors = [
            made.get((ref[0], ref[1]), [None] * (ref[2] + 1))[ref[2]] for ref in node
        ]
        if any(t is None for t in tensors):
            return None
        return [tensors[0] if len(tensors) == 1 else tensors], {}
    missing: list[bool] = []

    def fill(value: Any) -> Any:
        if isinstance(value, Mapping) and value.get("class_name") == _TENSOR:
            name, index, position = value["config"]["keras_history"]
            outputs = made.get((name, index))
            if outputs is None or position >= len(outputs):
                missing.append(True)
                return None
            return outputs[position]
        if isinstance(value, list):
            return [fill(item) for item in value]
        return serialization.decode(value, custom, safe)

    args = fill(list(node.get("args") or []))
    kwargs = {
        key: fill(value)
        for key, value in (node.get("kwargs") or {}).items()
        if key not in _IGNORED_CALL_KWARGS
    }
    return None if missing else (args, kwargs)


def _is_ref(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(v, int) for v in value[1:])
    )


def _resolve_structure(structure: Any, made: Mapping[tuple[str, int], list]) -> Any:
    if _is_ref(structure):
        name, index, position = structure
        outputs = made.get((name, index))
        if outputs is None or position >= len(outputs):
            raise ValueError(
                "The model config names an input or output that no layer call "
                f"makes. Received: {structure!r}"
            )
        return outputs[position]
    if isinstance(structure, Mapping):
        return {
            key: _resolve_structure(value, made) for key, value in structure.items()
        }
    if isinstance(structure, list | tuple):
        return [_resolve_structure(value, made) for value in structure]
    raise ValueError(
        f"The model config's inputs or outputs are malformed. Received: {structure!r}"
    )


def _unwrap(structure: Any) -> Any:
    """As Keras: a list of one tensor is that tensor."""
    single = isinstance(structure, list) and len(structure) == 1
    if single and not isinstance(structure[0], Mapping):
        return structure[0]
    return structure

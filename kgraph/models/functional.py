"""``Model``: a functional model, frozen from the trace into an ``ir.Graph``.

``Model(inputs, outputs)`` walks back from the outputs to the inputs in the
session's trace graph, keeps that part as its own graph (ids renumbered,
outputs named after the layers that produce them) and finds the layers that
took part, in order. Training (``compile``, ``fit``...) comes from
``Trainer``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import errors
from kgraph.ir.graph import Graph
from kgraph.layers import layer as layer_module
from kgraph.layers.input_layer import InputLayer
from kgraph.layers.layer import Layer
from kgraph.layers.layer import flatten
from kgraph.models.trainer import Trainer
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Variable
from kgraph.utils import naming
from kgraph.utils import summary as summary_utils


class Model(Trainer, Layer):
    """A model: layers connected from inputs to outputs, trained as one graph.

    Args:
        inputs: the model's input tensor(s) from ``kg.Input``: a tensor, a
            list or a dict.
        outputs: the output tensor(s): a tensor, a list or a dict.
        name: the model's name.

    Example:

    >>> import kgraph as kg
    >>> x = kg.Input(shape=(3,))
    >>> y = kg.layers.Dense(2)(x)
    >>> model = kg.Model(x, y)
    >>> model.count_params()
    8
    """

    def __init__(
        self,
        inputs: Any = None,
        outputs: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        prefix = naming.to_snake_case(type(self).__name__)
        default = "functional" if prefix == "model" else prefix
        Layer.__init__(self, name=name or naming.unique_name(default), **kwargs)
        Trainer.__init__(self)
        if inputs is None or outputs is None:
            if type(self) is Model:
                raise ValueError(
                    "Model needs `inputs` and `outputs` (the functional API); "
                    "subclassed models are not supported. Received: "
                    f"inputs={inputs!r}, outputs={outputs!r}"
                )
            return
        self._set_graph(inputs, outputs)

    # -- freezing the trace ---------------------------------------------------------

    def _set_graph(self, inputs: Any, outputs: Any) -> None:
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs = _symbolic_list("inputs", inputs)
        self.outputs = _symbolic_list("outputs", outputs)
        trace = self.inputs[0].graph
        if any(t.graph is not trace for t in self.inputs + self.outputs):
            raise ValueError(
                "All inputs and outputs of a model must come from the same trace "
                "(build it after one kg.utils.clear_session()). Received: tensors "
                "from different graphs"
            )
        self.output_names = _output_names(outputs, self.outputs, trace)
        self.input_names = [trace.node(t.node_id).name for t in self.inputs]
        selected = {
            name: t.node_id
            for name, t in zip(self.output_names, self.outputs, strict=True)
        }
        extracted = trace.subgraph(selected, name=self.name)
        _check_connected(extracted, {t.node_id for t in self.inputs})
        self._node_ids = set(extracted.topo_order())
        # Activity penalties on the model's tensors become ``aux:activity``
        # outputs, which the training graph adds to the loss.
        penalties = layer_module.activity_outputs(trace, self._node_ids)
        # State updates (BatchNormalization's moving statistics) become
        # ``aux:update:<path>`` outputs, applied by training programs only.
        penalties.update(layer_module.state_update_outputs(trace, self._node_ids))
        if penalties:
            extracted = trace.subgraph({**selected, **penalties}, name=self.name)
            _check_connected(extracted, {t.node_id for t in self.inputs})
        self.graph = extracted.renumbered()
        self._all_layers = _layers_of(self._node_ids, trace, self.outputs)
        self.built = True
        # A new graph (Sequential.add/pop): programs of the old one are stale.
        self._programs = {}
        self._executables = {}
        self._objectives = {}
        if getattr(self, "compiled", False):
            self._apply_compile_config()

    @property
    def layers(self) -> list[Layer]:
        """The model's layers in order (input layers included)."""
        return list(self._all_layers)

    @property
    def _weight_layers(self) -> list[Layer]:
        return list(getattr(self, "_all_layers", None) or self.layers)

    @property
    def weights(self) -> list[Variable]:
        """Every variable of the model: layers in order, each in creation order."""
        seen: set[int] = set()
        result = []
        for layer in self._weight_layers:
            for variable in layer.weights:
                if id(variable) not in seen:
                    seen.add(id(variable))
                    result.append(variable)
        return result

    @property
    def trainable_weights(self) -> list[Variable]:
        """The variables that training updates."""
        if not self.trainable:
            return []
        seen: set[int] = set()
        result = []
        for layer in self._weight_layers:
            for variable in layer.trainable_weights:
                if id(variable) not in seen:
                    seen.add(id(variable))
                    result.append(variable)
        return result

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Returns a layer by name or by index in ``layers``.

        Raises:
            ValueError: when no layer matches or neither argument is given.
        """
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"Model '{self.name}' has {len(self.layers)} layers. "
                    f"Received: index={index}"
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: "
            f"{[layer.name for layer in self.layers]}. Received: name={name!r}"
        )

    def count_params(self) -> int:
        """Returns the number of scalars in the model's weights."""
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if any(isinstance(t, SymbolicTensor) for t in flatten(inputs)):
            raise NotImplementedError(
                f"Calling model '{self.name}' on symbolic tensors (nesting models) "
                "is not supported yet. Received: symbolic inputs"
            )
        return self.predict_on_batch(inputs)

    # -- description --------------------------------------------------------------

    def summary(self, line_length: int | None = None, print_fn: Any = None) -> None:
        """Prints a table of the layers, their output shapes and parameters.

        As in Keras, once the model is compiled the totals include the
        optimizer's state, also shown on its own line.
        """
        rows = [self._summary_row(layer) for layer in self._summary_layers()]
        trainable = sum(int(np.prod(v.shape)) for v in self.trainable_weights)
        model_params = self.count_params()
        optimizer_params = self._optimizer_params()
        total: Any = model_params
        if optimizer_params is not None:
            count, nbytes = optimizer_params
            total = (model_params + count, model_params * 4 + nbytes)
        summary_utils.print_summary(
            self.name,
            rows,
            total,
            trainable,
            model_params - trainable,
            optimizer_params=optimizer_params,
            connected=self._shows_connections(),
            line_length=line_length,
            print_fn=print_fn,
        )

    def _optimizer_params(self) -> tuple[int, int] | None:
        """(count, bytes) of the optimizer's state as Keras counts it: the
        slots, the int64 step counter and the learning rate."""
        if self.optimizer is None or not self.optimizer.built:
            return None
        slots = sum(
            int(np.prod(v.shape))
            for v in self.optimizer.variables
            if v is not self.optimizer.iterations
        )
        return slots + 2, slots * 4 + 8 + 4

    def _summary_layers(self) -> list[Layer]:
        return self.layers

    def _shows_connections(self) -> bool:
        return True

    def _summary_row(self, layer: Layer) -> tuple[str, str, int | str, list[str]]:
        title = f"{layer.name} ({type(layer).__name__})"
        if not self.built:
            # As Keras shows the layers of a Sequential model not built yet.
            return title, "?", "0 (unbuilt)", []
        inputs, outputs = self._call_in_model(layer)
        shapes = [errors.format_shape(t.shape) for t in outputs]
        shown = shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"
        params = sum(int(np.prod(v.shape)) for v in layer.weights)
        connected = [f"{self._producer(t)}[0][0]" for t in inputs]
        return title, shown, params, connected

    def _call_in_model(self, layer: Layer) -> tuple[list, list]:
        for inputs, outputs in layer._calls:
            if outputs and all(t.node_id in self._node_ids for t in outputs):
                return inputs, outputs
        return [], []

    def _producer(self, tensor: SymbolicTensor) -> str:
        for layer in self.layers:
            _, outputs = self._call_in_model(layer)
            if any(t.node_id == tensor.node_id for t in outputs):
                return layer.name
        return "?"

    def get_config(self) -> dict[str, Any]:
        """Returns the model's config in Keras 3's functional layout: its
        name, its layers with the calls made inside the model
        (``inbound_nodes``), and its ``input_layers`` and ``output_layers``.

        Raises:
            ValueError: when a tensor of the model is made by ops outside
                any layer (wrap them in a ``Lambda``).
        """
        from kgraph.saving import model_config

        return model_config.functional_config(self)

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        custom_objects: dict[str, Any] | None = None,
        safe_mode: bool = True,
    ) -> Model:
        """Rebuilds a model from ``get_config``'s output (or Keras's).

        Args:
            config: the config.
            custom_objects: custom layers and functions by name.
            safe_mode: refuse to load Lambda bytecode (as Keras).

        Returns:
            A new model with freshly initialized weights.
        """
        from kgraph.saving import model_config

        return model_config.functional_from_config(
            cls, config, custom_objects, safe_mode
        )


def _keras_flatten(structure: Any) -> list[Any]:
    """Flattens like Keras's ``tree.flatten``: dict values by sorted key."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return flatten(structure)


def _symbolic_list(what: str, structure: Any) -> list[SymbolicTensor]:
    tensors = _keras_flatten(structure)
    for tensor in tensors:
        if not isinstance(tensor, SymbolicTensor):
            raise ValueError(
                f"All `{what}` of a Model must be tensors from kg.Input or from "
                f"layers called on them. Received: {what}={structure!r} including "
                f"invalid value {tensor!r} of type {type(tensor).__name__}"
            )
    if not tensors:
        raise ValueError(
            f"A Model needs at least one of `{what}`. Received: {structure!r}"
        )
    return tensors


def _output_names(
    structure: Any, outputs: list[SymbolicTensor], trace: Graph
) -> list[str]:
    if isinstance(structure, dict):
        return [str(key) for key in sorted(structure)]
    names: list[str] = []
    for index, tensor in enumerate(outputs):
        name = trace.node(tensor.node_id).layer or f"output_{index}"
        while name in names:
            name = f"{name}_{index}"
        names.append(name)
    return names


def _check_connected(graph: Graph, input_ids: set[int]) -> None:
    for node in graph.placeholders("data"):
        if node.id not in input_ids:
            raise ValueError(
                f"Output of the model is not connected to its inputs: it needs the "
                f"input '{node.name}', which is not among the model's inputs. "
                f"Received: an input named {node.name!r} outside `inputs`"
            )


def _layers_of(
    node_ids: set[int], trace: Graph, outputs: list[SymbolicTensor]
) -> list[Layer]:
    """The live layers with a call inside the model, in Keras's order.

    Keras (``keras/src/ops/function.py``, ``map_graph``) walks the calls
    depth first from the outputs, numbering layers as it first meets them,
    gives every call a depth (one more than the largest depth of the calls
    that consume it) and every layer the largest depth of its calls, then
    orders layers by decreasing depth, ties by that number. The weight order
    of ``get_weights`` follows it, so Keras weights load as they are.

    Keras counts ops used between layers (``keras.ops.add(a, b)``) as calls
    too. kgraph does not know where one op ends when it is made of several
    nodes, so nodes outside layers between two layer calls count as one
    call together: the same as Keras for one op, as for ``a + b``.
    """
    calls: list[tuple[Layer, list[SymbolicTensor]]] = []
    producer: dict[int, int] = {}
    for layer in list(layer_module._LAYERS.values()):
        for inputs, call_outputs in layer._calls:
            inside = [
                t for t in call_outputs if t.graph is trace and t.node_id in node_ids
            ]
            if not inside:
                continue
            for tensor in inside:
                producer.setdefault(tensor.node_id, len(calls))
            calls.append((layer, [t for t in inputs if t.graph is trace]))

    parents_cache: dict[int, dict[int, int]] = {}

    def parents(call: int) -> dict[int, int]:
        if call not in parents_cache:
            node_ids = [t.node_id for t in calls[call][1]]
            parents_cache[call] = _producing_calls(node_ids, producer, trace)
        return parents_cache[call]

    index: dict[int, int] = {}  # layer id -> traversal number
    finished: set[int] = set()
    post_order: list[int] = []

    def visit(call: int) -> None:
        if call in finished:
            return
        index.setdefault(id(calls[call][0]), len(index))
        for parent in parents(call):
            visit(parent)
        finished.add(call)
        post_order.append(call)

    call_depth: dict[int, int] = {}
    for tensor in outputs:
        roots = _producing_calls([tensor.node_id], producer, trace)
        for call, gap in roots.items():
            call_depth[call] = max(call_depth.get(call, 0), gap)
            visit(call)

    layer_depth: dict[int, int] = {}
    for call in reversed(post_order):
        key = id(calls[call][0])
        depth = max(call_depth.setdefault(call, 0), layer_depth.get(key, 0))
        layer_depth[key] = depth
        call_depth[call] = depth
        for parent, gap in parents(call).items():
            call_depth[parent] = max(depth + 1 + gap, call_depth.get(parent, 0))

    layers = {id(layer): layer for layer, _ in calls}
    ordered = sorted(layer_depth, key=lambda key: (-layer_depth[key], index[key]))
    return [layers[key] for key in ordered]


def _producing_calls(
    node_ids: list[int], producer: dict[int, int], trace: Graph
) -> dict[int, int]:
    """The layer calls that produce some tensors, in depth-first operand
    order, looking through nodes that no layer call produced (ops used
    between layers). Each call maps to 1 if such nodes lie between, else 0.
    """
    found: dict[int, int] = {}
    seen: set[tuple[int, int]] = set()
    stack = [(node_id, 0) for node_id in reversed(node_ids)]
    while stack:
        current, gap = stack.pop()
        if (current, gap) in seen:
            continue
        seen.add((current, gap))
        if current in producer:
            call = producer[current]
            found[call] = max(found.get(call, 0), gap)
            continue
        stack.extend((i, 1) for i in reversed(trace.node(current).inputs))
    return found


__all__ = ["InputLayer", "Model"]

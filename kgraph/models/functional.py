"""``Model``: a functional or subclassed model, and the graph it traces.

A functional model, ``Model(inputs, outputs)``, walks the call histories of
its outputs back to its inputs (``kgraph.ops.history``): the calls between
them, in order, are the model. A subclassed model (``class M(kg.Model)``
with ``call``) is its ``call``. Either way the model traces itself into a
graph of its own (``graph``, made on first use): a placeholder per input,
the nodes of every layer and op call, the outputs named after the layers
that make them, plus the losses (``aux:loss/<i>``) and state updates
(``aux:update:<variable>``) the calls recorded. Variables are bound to the
graph's parameter inputs by identity (``Graph.bindings``). A model called
on tensors is a layer: it traces its calls into the caller's graph, so a
nested model shares its weights. Training (``compile``, ``fit``...) comes
from ``Trainer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph import errors
from kgraph import ops
from kgraph.ir.graph import Graph
from kgraph.ir.types import TensorType
from kgraph.layers.input_layer import InputLayer
from kgraph.layers.input_layer import is_input
from kgraph.layers.layer import Layer
from kgraph.models import serving
from kgraph.models.trainer import Trainer
from kgraph.ops import builder
from kgraph.ops import history
from kgraph.tensor import KerasTensor
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Variable
from kgraph.tree import flatten
from kgraph.tree import map_structure
from kgraph.utils import naming
from kgraph.utils import summary as summary_utils


class Model(Trainer, Layer):
    """A model: layers connected from inputs to outputs, trained as one graph.

    Functional: ``Model(inputs, outputs)``. Subclassed: a subclass that
    creates its layers in ``__init__`` and computes with them in
    ``call(inputs, training=None)``; it is traced on first use (``build``,
    ``fit``, ``predict``, a call) into the same kind of graph. Python
    control flow on static values is traced as it runs; a choice that
    depends on a tensor's value must use ``kg.ops.where``.

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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        inputs = kwargs.pop("inputs", args[0] if args else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        name = kwargs.pop("name", None)
        prefix = naming.to_snake_case(type(self).__name__)
        default = "functional" if prefix == "model" else prefix
        Layer.__init__(self, name=name or naming.unique_name(default), **kwargs)
        Trainer.__init__(self)
        self._graphs: dict[bool | None, Graph] = {}
        self._subclass_inputs: Any = None
        if inputs is None and outputs is None and type(self) is not Model:
            self.built = False
            return
        if inputs is None or outputs is None:
            raise ValueError(
                "Model needs `inputs` and `outputs` (the functional API), or a "
                "subclass that defines `call()`. Received: "
                f"inputs={inputs!r}, outputs={outputs!r}"
            )
        self._set_graph(inputs, outputs)

    # -- the functional structure ---------------------------------------------------

    def _set_graph(self, inputs: Any, outputs: Any) -> None:
        """Takes the calls between ``inputs`` and ``outputs`` as the model."""
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs = _symbolic_list("inputs", inputs)
        self.outputs = _symbolic_list("outputs", outputs)
        self._nodes = history.walk(self.outputs, self.inputs)
        _check_connected(self._nodes)
        self.input_names = [_input_name(t, i) for i, t in enumerate(self.inputs)]
        self.output_names = _output_names(outputs, self.outputs)
        self._all_layers = _layers_of(self.inputs, self.outputs)
        _check_unique_names(self._all_layers)
        self._node_set = {id(node) for node in self._nodes}
        self.built = True
        self._invalidate()

    def _invalidate(self) -> None:
        """Forgets the graph and everything compiled from it (the model
        changed: ``Sequential.add``, a new build)."""
        self._graphs = {}
        self._programs = {}
        self._executables = {}
        self._objectives = {}
        if getattr(self, "compiled", False) and hasattr(self, "output_names"):
            self._apply_compile_config()

    @property
    def _is_functional(self) -> bool:
        return hasattr(self, "_nodes")

    @property
    def graph(self) -> Graph:
        """The model's forward graph, traced on first use, with the training
        mode left to the graph's ``training`` input."""
        return self.graph_for(None)

    def graph_for(self, training: bool | None) -> Graph:
        """The model's forward graph traced in one training mode.

        As in Keras, ``call`` receives ``training=True`` for training steps
        and ``False`` for evaluation and prediction, so Python code that
        branches on it (``if training:``) is traced for each mode;
        ``None`` leaves the choice to the graph's ``training`` input.

        Args:
            training: ``True``, ``False`` or ``None``.

        Returns:
            The graph (kept until the model changes).

        Raises:
            ValueError: when a subclassed model has not seen its input
                shapes yet (call ``build`` or pass data first).
        """
        if training not in self._graphs:
            if not self.built:
                raise ValueError(
                    f"Model '{self.name}' has not been built yet: call "
                    "`model.build(input_shape)` or use it on data first. "
                    "Received: a model without input shapes"
                )
            self._graphs[training] = self._trace_graph(training)
        return self._graphs[training]

    def _trace_graph(self, training: bool | None) -> Graph:
        """Traces the model into a new graph with its inputs, outputs,
        losses and state updates (see the module docstring)."""
        graph = Graph(name=self.name)
        placeholders = [
            ops.placeholder(graph, name, t.shape, t.dtype)
            for name, t in zip(self.input_names, self._input_types(), strict=True)
        ]
        structure = _pack(self._input_structure(), placeholders)
        raw = Layer.__call__(self, structure, training=training)
        if not self._is_functional:
            self._set_subclass_outputs(raw)
        outputs = _keras_flatten(raw)
        for name, tensor in zip(self.output_names, outputs, strict=True):
            graph.set_output(name, tensor.node_id)
        # The outputs' Keras masks (losses drop masked steps) survive the
        # renumbering below as temporary outputs.
        masks = {}
        for name, tensor in zip(self.output_names, outputs, strict=True):
            mask = builder.mask_of(tensor)
            if mask is not None:
                masks[name] = f"mask:{name}"
                graph.set_output(masks[name], mask.node_id)
        trace = builder.trace_of(graph)
        for index, loss in enumerate(trace.losses):
            graph.set_output(f"aux:loss/{index}", loss.node_id, "penalty", str(index))
        names = {id(v): name for name, v in graph.bindings.items()}
        for variable, value in trace.updates.values():
            name = names.get(id(variable))
            if name is None:
                name = graph.node(builder.variable_node(graph, variable)).name
            if id(variable) in trace.carried:
                graph.set_output(
                    f"aux:carry:{name}", value.node_id, "carry_update", name
                )
            else:
                graph.set_output(
                    f"aux:update:{name}", value.node_id, "state_update", name
                )
        result = graph.subgraph(graph.outputs).renumbered()
        for name, temporary in masks.items():
            mask = SymbolicTensor(result, result.remove_output(temporary))
            builder.set_mask(SymbolicTensor(result, result.outputs[name]), mask)
        # A variable only written (never read) keeps its placeholder: the
        # update is made in place.
        for name, variable in graph.bindings.items():
            if name not in result.bindings:
                builder.variable_node(result, variable)
        return result

    def _trace(self, inputs: Any, training: Any = None) -> Any:
        """Emits the model's computation on graph tensors (the current
        graph): the recorded calls (functional) or ``call`` (subclassed)."""
        if not self._is_functional:
            kwargs = {"training": training} if self._takes("training") else {}
            return self.call(inputs, **kwargs)
        # Calls without their own ``training`` take ``training`` from the
        # call context (``Layer.__call__`` opened it for this model).
        flat = _keras_flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(
                f'Model "{self.name}" expects {len(self.inputs)} input(s) '
                f"{self.input_names}, but it was called on {len(flat)}. "
                f"Received: {len(flat)} tensors"
            )
        self._check_input_shapes(flat)
        tensors = {id(k): t for k, t in zip(self.inputs, flat, strict=True)}
        for node in self._nodes:
            outputs = node.replay(tensors, context={"training": training})
            for keras, tensor in zip(node.output_tensors, outputs, strict=True):
                tensors[id(keras)] = tensor
        return map_structure(lambda k: tensors[id(k)], self._outputs_struct)

    def _check_input_shapes(self, tensors: list[Any]) -> None:
        for index, (tensor, expected) in enumerate(
            zip(tensors, self.inputs, strict=True)
        ):
            got, want = tuple(tensor.shape), tuple(expected.shape)
            if len(got) == len(want) and all(
                a is None or b is None or a == b for a, b in zip(want, got, strict=True)
            ):
                continue
            raise ValueError(
                f'Input {index} ("{self.input_names[index]}") of model '
                f'"{self.name}" is incompatible with the model: expected '
                f"shape={errors.format_shape(want)}, found "
                f"shape={errors.format_shape(got)}. Received: a tensor of shape "
                f"{errors.format_shape(got)}"
            )

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Computes the model's outputs from ``inputs``: the recorded layer
        calls of a functional model; subclasses define their own."""
        return self._trace(inputs, training)

    def _input_types(self) -> list[TensorType]:
        if self._is_functional:
            return [t.type for t in self.inputs]
        return [t.type for t in _keras_flatten(self._subclass_inputs)]

    def _input_structure(self) -> Any:
        if self._is_functional:
            return self._inputs_struct
        return self._subclass_inputs

    def _input_struct_of(self, by_name: Mapping[str, Any]) -> Any:
        """The model's input structure holding ``by_name[input name]``."""
        return _pack(self._input_structure(), [by_name[n] for n in self.input_names])

    # -- subclassed models ----------------------------------------------------------

    def build(self, input_shape: Any = None) -> None:
        """Builds a subclassed model for inputs of ``input_shape`` (batch
        dimension first; a list or dict of shapes for several inputs): its
        graph is traced from these shapes.

        Raises:
            ValueError: when no shape is given to a model that needs one.
        """
        if self._is_functional:
            self.built = True
            return
        if input_shape is None:
            raise ValueError(
                f"Model '{self.name}' needs an input shape to be built. "
                "Received: input_shape=None"
            )
        self._define_inputs(_shape_structure(input_shape))

    def _define_inputs(self, types: Any, trace: bool = True) -> None:
        """Sets a subclassed model's inputs (a structure of TensorTypes) and,
        with ``trace``, traces its graph (not when a call on tensors is
        building it, inside another trace)."""
        self._subclass_inputs = map_structure(lambda t: KerasTensor(t), types)
        self.input_names = _subclass_input_names(self._subclass_inputs)
        self.inputs = _keras_flatten(self._subclass_inputs)
        self.built = True
        if not trace:
            return
        self._graphs = {}
        self._programs, self._executables, self._objectives = {}, {}, {}
        self.graph_for(None)
        if getattr(self, "compiled", False):
            self._apply_compile_config()

    def _set_subclass_outputs(self, raw: Any) -> None:
        """Names a subclassed model's outputs from what ``call`` returned:
        dict keys, else ``output_0``, ``output_1``..."""
        self._outputs_struct = map_structure(lambda _: None, raw)
        if isinstance(raw, dict):
            self.output_names = sorted(str(key) for key in raw)
        else:
            count = len(_keras_flatten(raw))
            self.output_names = [f"output_{i}" for i in range(count)]

    def _ensure_built(self, x: Any) -> None:
        """Builds a subclassed model from the first data it sees."""
        if self.built or x is None or self._is_functional:
            return
        self._define_inputs(_types_of_data(x))

    def _maybe_build(self, inputs: Any) -> None:
        if self.built:
            return
        if not self._is_functional:
            self._define_inputs(map_structure(lambda t: t.type, inputs), trace=False)
            return
        super()._maybe_build(inputs)

    # -- layers and weights ---------------------------------------------------------

    @property
    def layers(self) -> list[Layer]:
        """The model's layers in order (input layers included)."""
        if self._is_functional:
            return list(self._all_layers)
        return self._sublayers()

    @property
    def trainable(self) -> bool:
        """Whether the model's weights are trained; setting it sets every
        layer's flag, as in Keras (effective at the next ``compile``)."""
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self.layers if self._is_functional else self._sublayers():
            layer.trainable = value

    @property
    def weights(self) -> list[Variable]:
        """Every variable of the model: layers in order, each in creation order."""
        if not self._is_functional:
            return Layer.weights.fget(self)  # type: ignore[attr-defined]
        return _unique(v for layer in self.layers for v in layer.weights)

    @property
    def trainable_weights(self) -> list[Variable]:
        """The variables that training updates."""
        if not self.trainable:
            return []
        if not self._is_functional:
            return Layer.trainable_weights.fget(self)  # type: ignore[attr-defined]
        return _unique(v for layer in self.layers for v in layer.trainable_weights)

    @property
    def losses(self) -> list[Any]:
        """The layers' eager ``add_loss`` losses and weight penalties; while
        an overridden ``compute_loss`` is traced, the step's symbolic ones."""
        graph = builder.active_graph()
        if graph is not None and graph.__dict__.get("_computes_loss_of") is self:
            from kgraph.models import training

            return training.penalties(self, graph)
        found = []
        for layer in self.layers:
            found.extend(layer.losses)
        return found

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

    @property
    def input(self) -> Any:
        """The model's input tensor(s), as passed to ``Model``."""
        self._require_inputs("input")
        return self._input_structure()

    @property
    def output(self) -> Any:
        """The model's output tensor(s), as passed to ``Model``."""
        self._require_inputs("output")
        if not self._is_functional:
            raise AttributeError(
                f"Model '{self.name}' is subclassed: it has no symbolic output. "
                "Call it on kg.Input tensors to get one. Received: a subclassed "
                "model"
            )
        return self._outputs_struct

    def _require_inputs(self, what: str) -> None:
        if not self.built:
            raise AttributeError(
                f"Model '{self.name}' has no {what} yet: it is not built. "
                "Received: an unbuilt model"
            )

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Calls the model: on symbolic tensors it is a layer (its calls are
        traced where it is called); on arrays it predicts with the compiled
        program, or, with ``training=True``, runs its layers eagerly in
        training mode (dropout active, normalization statistics updated), as
        Keras does."""
        if not args and not kwargs:
            planned = serving.predict(self, inputs)
            if planned is not None:
                return planned
        if any(isinstance(t, SymbolicTensor) for t in flatten([inputs, args, kwargs])):
            return Layer.__call__(self, inputs, *args, **kwargs)
        if kwargs.get("training"):
            self._ensure_built(inputs)
            return Layer.__call__(self, inputs, *args, **kwargs)
        return self.predict_on_batch(inputs)

    # -- description --------------------------------------------------------------

    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Prints a table of the layers, their output shapes and parameters.

        As in Keras, once the model is compiled the totals include the
        optimizer's state, also shown on its own line.

        Args:
            line_length: the width of the table.
            positions: the right edge of each column, as fractions.
            print_fn: called with the text (default: print it).
            expand_nested: also list the layers of nested models, indented
                under theirs.
            show_trainable: add a "Trainable" column (Y, N, or - for a
                layer without weights).
            layer_range: ``[first, last]`` layer names: only rows from the
                first to the last (inclusive).

        Raises:
            ValueError: for a ``layer_range`` naming no layer.
        """
        rows = []
        for layer in self._summary_layers():
            rows.extend(self._summary_rows(layer, expand_nested, 0))
        rows = _in_range(rows, layer_range)
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
            positions=positions,
            print_fn=print_fn,
            show_trainable=show_trainable,
        )

    def _summary_rows(self, layer: Layer, expand: bool, level: int) -> list[tuple]:
        """The row of a layer (with its trainable mark), then, when
        ``expand``, the rows of a nested model's layers under it."""
        title, shape, params, connected = self._summary_row(layer)
        if level:
            title = "   " * level + "└ " + title
        mark = ("Y" if layer.trainable else "N") if layer.weights else "-"
        rows = [(title, shape, params, connected, mark, layer.name)]
        if expand and isinstance(layer, Model) and layer.built:
            for inner in layer._summary_layers():
                rows.extend(layer._summary_rows(inner, expand, level + 1))
        return rows

    def _optimizer_params(self) -> tuple[int, int] | None:
        """(count, bytes) of the optimizer's state as Keras counts it: the
        slots, the int64 step counter and the learning rate."""
        if self.optimizer is None or not self.optimizer.built:
            return None
        slots = sum(
            int(np.prod(v.shape))
            for v in self.optimizer.variables
            if v is not self.optimizer.iterations_variable
        )
        return slots + 2, slots * 4 + 8 + 4

    def _summary_layers(self) -> list[Layer]:
        return self.layers

    def _shows_connections(self) -> bool:
        return self._is_functional

    def _summary_row(self, layer: Layer) -> tuple[str, str, int | str, list[str]]:
        kind = type(layer).__name__
        if type(layer) is Model and layer._is_functional:
            kind = "Functional"  # as Keras names the class of Model(inputs, outputs)
        title = f"{layer.name} ({kind})"
        if not self.built:
            # As Keras shows the layers of a Sequential model not built yet.
            return title, "?", "0 (unbuilt)", []
        params = sum(int(np.prod(v.shape)) for v in layer.weights)
        nodes = self.nodes_of(layer)
        if not nodes:
            return title, "?", params, []
        shapes = [errors.format_shape(t.shape) for t in nodes[0].output_tensors]
        shown = shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"
        connected = [self.tensor_ref(t) for t in nodes[0].input_tensors]
        return title, shown, params, [f"{a}[{b}][{c}]" for a, b, c in connected]

    def nodes_of(self, operation: Any) -> list[history.CallNode]:
        """The calls of a layer (or op) inside this model, in order.

        Args:
            operation: a layer of the model, or an op call between layers.

        Returns:
            Its ``CallNode``s that belong to the model (an input layer's
            call when its tensor is a model input).
        """
        if not self._is_functional:
            return []
        inputs = {id(t) for t in self.inputs}
        return [
            node
            for node in operation.inbound_nodes
            if id(node) in self._node_set
            or any(id(t) in inputs for t in node.output_tensors)
        ]

    def tensor_ref(self, tensor: KerasTensor) -> tuple[str, int, int]:
        """``(operation name, call index in the model, output index)`` of a
        tensor of the model: Keras's ``keras_history`` in configs."""
        operation, _, position = tensor.history
        nodes = self.nodes_of(operation)
        index = next(
            i
            for i, node in enumerate(nodes)
            if any(t is tensor for t in node.output_tensors)
        )
        return operation.name, index, position

    def get_config(self) -> dict[str, Any]:
        """Returns the model's config in Keras 3's functional layout: its
        name, its layers with the calls made inside the model
        (``inbound_nodes``), and its ``input_layers`` and ``output_layers``.

        A subclassed model's config is its name and, unless the class
        defines ``get_config``, its constructor's plain arguments (Keras's
        auto config).

        Raises:
            ValueError: when a tensor of the model is made by ops outside
                any layer (wrap them in a ``Lambda``).
        """
        from kgraph.layers.layer import with_auto_config
        from kgraph.models import config as model_config

        if not self._is_functional:
            return with_auto_config(
                self, {"name": self.name, "trainable": self.trainable}
            )
        return model_config.functional_config(self)

    def to_json(self, **kwargs: Any) -> str:
        """Returns the architecture as JSON (``kg.models.model_from_json``
        rebuilds it).

        Args:
            **kwargs: passed to ``json.dumps``.
        """
        from kgraph.models.cloning import model_to_json

        return model_to_json(self, **kwargs)

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

        Raises:
            TypeError: when a subclass's constructor does not take its
                config.
        """
        from kgraph.models import config as model_config

        if "layers" in config and "input_layers" in config:
            return model_config.functional_from_config(
                cls, config, custom_objects, safe_mode
            )
        config = dict(config)
        trainable = config.pop("trainable", True)
        try:
            model = cls(**config)
        except TypeError as error:
            raise TypeError(
                f"Unable to revive model {cls.__name__} from its config: its "
                "constructor does not take it. Define `get_config()` returning "
                "the constructor's arguments (and `from_config` if they need "
                f"conversion). Received: config keys {sorted(config)}: {error}"
            ) from None
        if not trainable:
            model.trainable = False
        return model


def _in_range(rows: list[tuple], layer_range: Any) -> list[tuple]:
    """The rows from the layer named ``layer_range[0]`` to the one named
    ``layer_range[1]`` (each row ends with its layer's name)."""
    if layer_range is None:
        return rows
    names = [row[-1] for row in rows]
    if len(layer_range) != 2 or any(name not in names for name in layer_range):
        raise ValueError(
            "`layer_range` must name two layers of the model, first and last. "
            f"Layers: {names}. Received: layer_range={layer_range!r}"
        )
    first = names.index(layer_range[0])
    last = len(names) - 1 - names[::-1].index(layer_range[1])
    return rows[first : last + 1]


def _unique(variables: Any) -> list[Variable]:
    seen: set[int] = set()
    result = []
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            result.append(variable)
    return result


def _keras_flatten(structure: Any) -> list[Any]:
    """Flattens like Keras's ``tree.flatten``: dict values by sorted key."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return flatten(structure)


def _pack(structure: Any, leaves: list[Any]) -> Any:
    """Puts ``leaves`` (in ``_keras_flatten`` order) into ``structure``."""
    position = iter(leaves)
    if isinstance(structure, dict):
        return {key: next(position) for key in sorted(structure)}
    return map_structure(lambda _: next(position), structure)


def _shape_structure(input_shape: Any) -> Any:
    """Shapes (tuples of ints or None, batch first) as TensorTypes; a list
    or dict of shapes for several inputs."""
    if isinstance(input_shape, dict):
        return {k: _shape_structure(v) for k, v in input_shape.items()}
    if isinstance(input_shape, list | tuple) and all(
        d is None or isinstance(d, int) for d in input_shape
    ):
        return TensorType(tuple(input_shape), "float32")
    if isinstance(input_shape, list | tuple):
        return [_shape_structure(s) for s in input_shape]
    raise ValueError(
        f"An input shape must be a tuple of ints (batch dimension first). "
        f"Received: input_shape={input_shape!r}"
    )


def _types_of_data(x: Any) -> Any:
    """The input types of a subclassed model from its first data (batch
    dimension unknown; floats as float32, integers as int32)."""

    def kind(value: Any) -> TensorType:
        array = np.asarray(value)
        if array.ndim == 0:
            raise ValueError(
                "Model inputs need a batch dimension. Received: an input of "
                f"shape {array.shape}"
            )
        dtype = "int32" if array.dtype.kind in "iub" else "float32"
        return TensorType((None, *array.shape[1:]), dtype)

    if isinstance(x, dict):
        return {key: kind(value) for key, value in x.items()}
    if isinstance(x, list | tuple) and not all(
        isinstance(v, int | float) for v in flatten(x)
    ):
        return [kind(value) for value in x]
    return kind(x)


def _subclass_input_names(inputs: Any) -> list[str]:
    if isinstance(inputs, dict):
        return sorted(str(key) for key in inputs)
    count = len(_keras_flatten(inputs))
    return ["input_layer"] if count == 1 else [f"input_layer_{i}" for i in range(count)]


def _symbolic_list(what: str, structure: Any) -> list[KerasTensor]:
    tensors = _keras_flatten(structure)
    for tensor in tensors:
        if not isinstance(tensor, KerasTensor):
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


def _input_name(tensor: KerasTensor, index: int) -> str:
    operation = tensor.history[0] if tensor.history else None
    if is_input(operation):
        return operation.name
    return tensor.name or f"input_{index}"


def _output_names(structure: Any, outputs: list[KerasTensor]) -> list[str]:
    if isinstance(structure, dict):
        return [str(key) for key in sorted(structure)]
    names: list[str] = []
    for index, tensor in enumerate(outputs):
        operation = tensor.history[0] if tensor.history else None
        name = operation.name if isinstance(operation, Layer) else f"output_{index}"
        while name in names:
            name = f"{name}_{index}"
        names.append(name)
    return names


def _check_connected(nodes: list[history.CallNode]) -> None:
    for node in nodes:
        if is_input(node.operation):
            raise ValueError(
                "Output of the model is not connected to its inputs: it needs the "
                f"input '{node.operation.name}', which is not among the model's "
                f"inputs. Received: an input named {node.operation.name!r} outside "
                "`inputs`"
            )


def _check_unique_names(layers: list[Layer]) -> None:
    names = [layer.name for layer in layers]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(
                f'The name "{name}" is used {names.count(name)} times in the '
                "model. All operation names should be unique. Received: layers "
                f"{names}"
            )


def _layers_of(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[Layer]:
    """The layers with a call inside the model, in Keras's order.

    Keras (``map_graph``) walks the calls depth first from the outputs,
    numbering layers as it first meets them, gives every call a depth (one
    more than the largest depth of the calls that consume it) and every
    layer the largest depth of its calls, then orders layers by decreasing
    depth, ties by that number. The weight order of ``get_weights``
    follows it, so Keras weights load as they are.

    Keras counts ops used between layers (``keras.ops.add(a, b)``) as calls
    too. A kgraph op may be made of several primitive calls, so the op
    calls between two layer calls count as one call together: the same as
    Keras for one op, as for ``a + b``.
    """
    stop = {id(t) for t in inputs}
    nodes: dict[int, history.CallNode] = {}
    parents_cache: dict[int, dict[int, int]] = {}

    def parents(node: history.CallNode) -> dict[int, int]:
        if id(node) not in parents_cache:
            parents_cache[id(node)] = _producing_calls(node.input_tensors, stop, nodes)
        return parents_cache[id(node)]

    index: dict[int, int] = {}  # id(layer) -> traversal number
    finished: set[int] = set()
    post_order: list[int] = []

    def visit(key: int) -> None:
        stack = [(key, False)]
        while stack:
            current, expanded = stack.pop()
            if expanded:
                if current not in finished:
                    finished.add(current)
                    post_order.append(current)
                continue
            if current in finished:
                continue
            index.setdefault(id(nodes[current].operation), len(index))
            stack.append((current, True))
            stack.extend((p, False) for p in reversed(list(parents(nodes[current]))))

    call_depth: dict[int, int] = {}
    for tensor in outputs:
        for key, gap in _producing_calls([tensor], stop, nodes).items():
            call_depth[key] = max(call_depth.get(key, 0), gap)
            visit(key)

    layer_depth: dict[int, int] = {}
    for key in reversed(post_order):
        layer = id(nodes[key].operation)
        depth = max(call_depth.setdefault(key, 0), layer_depth.get(layer, 0))
        layer_depth[layer] = depth
        call_depth[key] = depth
        for parent, gap in parents(nodes[key]).items():
            call_depth[parent] = max(depth + 1 + gap, call_depth.get(parent, 0))

    layers = {id(node.operation): node.operation for node in nodes.values()}
    ordered = sorted(layer_depth, key=lambda key: (-layer_depth[key], index[key]))
    return [layers[key] for key in ordered]


def _producing_calls(
    tensors: list[KerasTensor], stop: set[int], nodes: dict[int, history.CallNode]
) -> dict[int, int]:
    """The layer calls that make some tensors, in depth-first argument
    order, looking through op calls between layers (and stopping at the
    model's inputs, whose input layers count). Each call maps to 1 if op
    calls lie between, else 0; ``nodes`` collects the calls by id."""
    found: dict[int, int] = {}
    seen: set[tuple[int, int]] = set()
    stack = [(tensor, 0) for tensor in reversed(tensors)]
    while stack:
        tensor, gap = stack.pop()
        if (id(tensor), gap) in seen:
            continue
        seen.add((id(tensor), gap))
        node = tensor.node
        if node is None:
            continue
        if isinstance(node.operation, Layer):
            if id(tensor) in stop and not is_input(node.operation):
                continue
            nodes[id(node)] = node
            found[id(node)] = max(found.get(id(node), 0), gap)
            continue
        if id(tensor) in stop:
            continue
        stack.extend((t, 1) for t in reversed(node.input_tensors))
    return found


__all__ = ["InputLayer", "Model"]

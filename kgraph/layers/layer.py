"""``Layer``: the base of every layer.

A layer owns variables (``add_weight``), is built once from the shape of its
first input (``build``), and computes with ``kgraph.ops`` in ``call``. Called
on symbolic tensors it adds nodes to their graph, tagged with its name;
called on arrays it computes eagerly. ``__call__`` is a short list of steps.
"""

from __future__ import annotations

import contextlib
import inspect
import zlib
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph import ops
from kgraph.ir.graph import Graph
from kgraph.layers.layer_members import LayerMembers
from kgraph.ops import builder
from kgraph.ops import history
from kgraph.tensor import KerasTensor
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Tensor
from kgraph.tensor import Variable
from kgraph.tree import flatten
from kgraph.tree import map_structure
from kgraph.utils import naming


def _tracing(graph: Graph | None) -> Any:
    """The builder's tracing context for a symbolic call, else nothing."""
    return builder.tracing(graph) if graph is not None else contextlib.nullcontext()


def _all_numbers(structure: Any) -> bool:
    return isinstance(structure, list | tuple) and all(
        isinstance(leaf, int | float | bool | np.number) for leaf in flatten(structure)
    )


# How a layer's config holds another layer (an RNN's cell, a wrapper's
# layer) in Keras's ``{"module", "class_name", "config"}`` form: kgraph.saving
# sits above the layers and registers its functions when imported.
_SUBLAYER_CODEC: dict[str, Callable[..., Any]] = {}


def register_sublayer_codec(
    serialize: Callable[[Any], dict[str, Any]], deserialize: Callable[..., Any]
) -> None:
    """Sets how layers serialize the layers they hold (``kgraph.saving``
    calls this).

    Args:
        serialize: ``layer -> {"module", "class_name", "config", ...}``.
        deserialize: ``(entry, custom_objects=None) -> layer``.
    """
    _SUBLAYER_CODEC["serialize"] = serialize
    _SUBLAYER_CODEC["deserialize"] = deserialize


def serialize(layer: Any) -> dict[str, Any]:
    """Returns a layer's ``{"module", "class_name", "config",
    "registered_name"}`` entry, as ``keras.layers.serialize``.

    Args:
        layer: the layer.

    Returns:
        The entry ``deserialize`` reads.

    Example:

    >>> serialize(Layer(name="plain"))["class_name"]
    'Layer'
    """
    return _SUBLAYER_CODEC["serialize"](layer)


def deserialize(config: Any, custom_objects: Any = None) -> Any:
    """Creates a layer from ``serialize``'s entry (or Keras's), as
    ``keras.layers.deserialize``.

    Args:
        config: the entry.
        custom_objects: custom layer classes by name.

    Returns:
        The new layer.
    """
    return _SUBLAYER_CODEC["deserialize"](config, custom_objects)


def _input_mask(inputs: Any) -> Any:
    """The mask of a call's inputs: one tensor's, or a list for several."""
    tensors = flatten(inputs)
    masks = [builder.mask_of(t) for t in tensors]
    if all(m is None for m in masks):
        return None
    return masks[0] if len(tensors) == 1 else masks


def _attach_masks(outputs: Any, masks: Any) -> None:
    """Attaches ``compute_mask``'s result to the outputs (one mask for all
    of them, or one per output)."""
    if masks is None:
        return
    tensors = flatten(outputs)
    listed = isinstance(masks, list | tuple)
    for index, tensor in enumerate(tensors):
        mask = masks[index] if listed and index < len(masks) else masks
        if listed and index >= len(masks):
            mask = None
        builder.set_mask(tensor, mask)


def serialize_object(value: Any, module: Any) -> Any:
    """Serializes an initializer or regularizer for ``get_config``.

    ``None`` stays ``None`` (as in Keras), an object with ``get_config``
    becomes ``module.serialize(value)`` and a plain function is kept by
    reference (like ``Lambda``'s function).

    Args:
        value: the initializer or regularizer, or ``None``.
        module: ``kgraph.initializers`` or ``kgraph.regularizers``.

    Returns:
        What ``module.get`` turns back into an equivalent object.
    """
    if value is None:
        return None
    if hasattr(value, "get_config"):
        return module.serialize(value)
    return value


def scalar_input(graph: Graph, name: str, dtype: str) -> SymbolicTensor:
    """Returns the graph's scalar input ``name`` (``training``, ``seed``),
    adding it once. The trainer feeds it, or a pass specializes it away."""
    for node in graph.placeholders("scalar"):
        if node.name == name:
            return SymbolicTensor(graph, node.id)
    return ops.placeholder(graph, name, (), dtype, role="scalar")


class InputSpec:
    """What a layer accepts: a rank (exact or minimum) and fixed axis sizes.

    Args:
        ndim: the exact rank, if any.
        min_ndim: the smallest rank, if any.
        axes: fixed sizes by axis, e.g. ``{-1: 784}``.
    """

    def __init__(
        self,
        ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int] | None = None,
    ) -> None:
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})

    def check(self, layer: Layer, shape: Sequence[int | None]) -> None:
        """Raises ``ValueError`` naming the layer if ``shape`` does not fit."""
        where = f'Layer "{layer.name}" ({type(layer).__name__})'
        shown = errors.format_shape(shape)
        if self.ndim is not None and len(shape) != self.ndim:
            raise errors.ShapeError(
                f"{where} is incompatible with its input: expected "
                f"ndim={self.ndim}, found ndim={len(shape)}. "
                f"Received: input_shape={shown}"
            )
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise errors.ShapeError(
                f"{where} is incompatible with its input: expected "
                f"min_ndim={self.min_ndim}, found ndim={len(shape)}. "
                f"Received: input_shape={shown}"
            )
        for axis, size in self.axes.items():
            if len(shape) < abs(axis) + (axis >= 0):
                continue
            if shape[axis] is not None and shape[axis] != size:
                raise errors.ShapeError(
                    f"{where} expected axis {axis} of the input to have size "
                    f"{size}, but received an input of shape {shown}: check the "
                    "output size of the layer before it (the layer was built for "
                    f"inputs of size {size}). Received: input_shape={shown}"
                )


class Layer(LayerMembers):
    """The base class of layers.

    Args:
        name: a unique name (default: from the class name, numbered).
        trainable: whether the layer's weights are trained.
        dtype: the dtype of its weights and computations (``"float32"``).
        input_shape: Keras 2 style: the shape of the input without the batch
            dimension, for the first layer of a ``Sequential`` model.
        input_dim: the same as ``input_shape=(input_dim,)``.
        activity_regularizer: a penalty on the layer's output, added to the
            training loss.

    Example:

    >>> class Double(Layer):
    ...     def call(self, inputs):
    ...         return inputs * 2.0
    >>> Double()([1.0, 2.0]).numpy()
    array([2., 4.], dtype=float32)
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        instance = super().__new__(cls)
        instance.__dict__["_auto_config"] = _auto_config(cls, args, kwargs)
        return instance

    def __init__(
        self,
        name: str | None = None,
        trainable: bool = True,
        dtype: str | None = None,
        input_shape: Sequence[int | None] | None = None,
        input_dim: int | None = None,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{kwargs}"
            )
        if not isinstance(trainable, bool | np.bool_):
            raise ValueError(
                "Expected `trainable` to be a boolean. Received: "
                f"trainable={trainable!r} (of type {type(trainable).__name__})"
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(
                f"A layer's name must be a non-empty string. Received: name={name!r}"
            )
        self.name = name or naming.unique_name(
            naming.to_snake_case(type(self).__name__)
        )
        self._trainable = bool(trainable)
        self.dtype = dtypes.canonical(dtype or "float32")
        self.built = False
        self.input_spec: InputSpec | None = None
        if input_dim is not None:
            input_shape = (input_dim,)
        elif input_shape is None and batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self._input_shape_arg = None if input_shape is None else tuple(input_shape)
        from kgraph import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._weights: list[Variable] = []
        # The calls on model definitions' tensors (``CallNode``s), in order.
        self.inbound_nodes: list[history.CallNode] = []
        # The losses of the last eager call (``add_loss``).
        self._eager_losses: list[Any] = []

    def __setattr__(self, name: str, value: Any) -> None:
        # As Keras: layers assigned to attributes (alone, or in lists, tuples
        # and dicts) are tracked, so their weights are this layer's too.
        if isinstance(value, Layer | list | tuple | dict) and name != "_tracked":
            tracked = self.__dict__.setdefault("_tracked", [])
            for item in flatten(value):
                known = any(item is layer for layer in tracked)
                if isinstance(item, Layer) and item is not self and not known:
                    tracked.append(item)
        object.__setattr__(self, name, value)

    @property
    def trainable(self) -> bool:
        """Whether the layer's weights are trained (set before ``compile``)."""
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = value

    def _training_default(self) -> bool:
        """The default of ``call``'s ``training`` argument when it is a
        bool, else ``False``."""
        try:
            parameter = inspect.signature(self.call).parameters.get("training")
        except (TypeError, ValueError):
            return False
        default = None if parameter is None else parameter.default
        return default if isinstance(default, bool) else False

    def _sublayers(self) -> list[Layer]:
        """The layers assigned to this layer's attributes, in order."""
        return list(self.__dict__.get("_tracked", []))

    @property
    def input(self) -> Any:
        """The input of the layer's first call on a model definition.

        Raises:
            AttributeError: when the layer was never called on one.
        """
        return self._node_attribute("input")

    @property
    def output(self) -> Any:
        """The output of the layer's first call on a model definition
        (feature extraction reads ``model.get_layer(name).output``).

        Raises:
            AttributeError: when the layer was never called on one.
        """
        return self._node_attribute("output")

    def _node_attribute(self, what: str) -> Any:
        if not self.inbound_nodes:
            raise AttributeError(
                f'Layer "{self.name}" has no defined {what}: it was never called '
                "on a model's symbolic inputs (from kg.Input). Received: a layer "
                "with no calls"
            )
        node = self.inbound_nodes[0]
        if what == "output":
            return node.outputs
        tensors = node.input_tensors
        return tensors[0] if len(tensors) == 1 else list(tensors)

    # -- weights --------------------------------------------------------------

    def add_weight(
        self,
        shape: Sequence[int] | None = None,
        initializer: Any = None,
        dtype: str | None = None,
        trainable: bool = True,
        regularizer: Any = None,
        name: str | None = None,
        autocast: bool = True,
        constraint: Any = None,
        aggregation: str = "none",
    ) -> Variable:
        """Creates a variable owned by this layer.

        Args:
            shape: the variable's shape (default ``()``, a scalar).
            initializer: an initializer, its name or a callable
                ``(shape, dtype) -> array`` (default: ``"glorot_uniform"``
                for float variables, ``"zeros"`` for the others, as Keras).
            dtype: the dtype (the layer's by default).
            trainable: whether gradients update it.
            regularizer: a penalty on the variable added to the loss.
            name: the variable's name inside the layer.
            autocast: accepted for Keras compatibility (kgraph computes in
                the variable's dtype).
            constraint: a constraint (``kgraph.constraints``), its name, or a
                function of the variable written with ``kgraph.ops``; the
                training step applies it after every optimizer update.
            aggregation: accepted for Keras compatibility (one replica).

        Returns:
            The new ``Variable``, whose path is ``"<layer>/<name>"`` (for a
            recurrent layer's cell ``"<layer>/<cell>/<name>"``, as Keras).

        Raises:
            ValueError: for an unknown constraint name.
        """
        from kgraph import constraints
        from kgraph import initializers
        from kgraph import regularizers

        name = name or f"variable_{len(self._weights)}"
        dtype = dtypes.canonical(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtypes.is_float(dtype) else "zeros"
        shape = () if shape is None else tuple(int(d) for d in shape)
        value = initializers.get(initializer)(shape, dtype=dtype)
        path = f"{self.__dict__.get('_path', self.name)}/{name}"
        variable = Variable(value, name, path, trainable, dtype)
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        variable.aggregation = aggregation
        self._weights.append(variable)
        return variable

    def add_variable(
        self,
        shape: Sequence[int] | None = None,
        initializer: Any = None,
        dtype: str | None = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        name: str | None = None,
    ) -> Variable:
        """Creates a variable owned by this layer (Keras 3's alias of
        ``add_weight``, with ``initializer`` second).

        Returns:
            The new ``Variable``.
        """
        return self.add_weight(
            shape,
            initializer,
            dtype,
            trainable,
            regularizer,
            name,
            autocast=autocast,
            constraint=constraint,
        )

    def _add_kernel(self, shape: Sequence[int]) -> Variable:
        """The ``kernel`` of a layer with ``kernel_initializer``,
        ``kernel_regularizer`` and, if it has one, ``kernel_constraint``
        (Dense, convolutions, recurrent layers)."""
        return self.add_weight(
            shape,
            self.kernel_initializer,  # type: ignore[attr-defined]
            regularizer=self.kernel_regularizer,  # type: ignore[attr-defined]
            name="kernel",
            constraint=getattr(self, "kernel_constraint", None),
        )

    def _add_bias(
        self, shape: Sequence[int], initializer: Any = None
    ) -> Variable | None:
        """The ``bias`` of a layer with ``use_bias``, ``bias_initializer``
        (unless ``initializer`` is given), ``bias_regularizer`` and, if it
        has one, ``bias_constraint``; ``None`` without ``use_bias``."""
        if not self.use_bias:  # type: ignore[attr-defined]
            return None
        return self.add_weight(
            shape,
            initializer or self.bias_initializer,  # type: ignore[attr-defined]
            regularizer=self.bias_regularizer,  # type: ignore[attr-defined]
            name="bias",
            constraint=getattr(self, "bias_constraint", None),
        )

    def add_state_update(self, variable: Variable, value: Any) -> None:
        """Records a new value for a (non-trainable) variable, from ``call``:
        the same as ``variable.assign(value)``.

        In a model, the training step writes ``value`` into ``variable``
        after each batch (inside the compiled step, on every backend);
        ``evaluate`` and ``predict`` never update. Eager calls assign at
        once. ``BatchNormalization`` updates its moving statistics this way.

        Args:
            variable: a variable of this layer.
            value: its new value, of the variable's shape and dtype: write
                it with the training switch (``training_flag``) so that it
                is the variable itself when not training.
        """
        variable.assign(value)

    def add_loss(self, loss: Any) -> None:
        """Adds a loss computed in ``call`` to the model's training loss.

        Symbolic losses (in a model) are summed to a scalar and added to
        the training loss of every step, as Keras does; eager ones are
        kept in ``losses`` until the next eager call.

        Args:
            loss: a tensor; a non-scalar one is summed.
        """
        if isinstance(loss, SymbolicTensor):
            if loss.ndim:
                loss = ops.sum(loss)
            builder.record_loss(ops.cast(loss, "float32"))
        else:
            self._eager_losses.append(Tensor(np.sum(np.asarray(loss, "float32"))))

    @property
    def losses(self) -> list[Any]:
        """The losses of the last eager call (``add_loss``), this layer's and
        its sublayers' at any depth, then the regularization penalties of its
        weights."""
        found = list(self._eager_losses)
        seen = {id(self)}
        stack = list(reversed(self._sublayers()))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            found.extend(layer._eager_losses)
            stack.extend(reversed(layer._sublayers()))
        for variable in self.weights:
            regularizer = getattr(variable, "regularizer", None)
            if regularizer is not None:
                found.append(Tensor(np.asarray(regularizer(variable), "float32")))
        return found

    @property
    def weights(self) -> list[Variable]:
        """Every variable of the layer (its own in creation order, then its
        sublayers')."""
        result = list(self._weights)
        seen = {id(v) for v in result}
        for layer in self._sublayers():
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
        result = [v for v in self._weights if v.trainable]
        seen = {id(v) for v in result}
        for layer in self._sublayers():
            for variable in layer.trainable_weights:
                if id(variable) not in seen:
                    seen.add(id(variable))
                    result.append(variable)
        return result

    @property
    def non_trainable_weights(self) -> list[Variable]:
        """The variables that training does not update by gradient."""
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    @property
    def variables(self) -> list[Variable]:
        """Every variable of the layer (the same as ``weights``)."""
        return self.weights

    @property
    def trainable_variables(self) -> list[Variable]:
        """The same as ``trainable_weights``."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        """The same as ``non_trainable_weights``."""
        return self.non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """Returns copies of the weights' values, in creation order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the weights' values from arrays, in creation order.

        Raises:
            ValueError: when the count or a shape differs.
        """
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f'Layer "{self.name}" expects {len(own)} weight arrays, but '
                f"received {len(weights)}. Received: weights of length {len(weights)}"
            )
        for variable, value in zip(own, weights, strict=True):
            variable.assign(value)

    def count_params(self) -> int:
        """Returns the number of scalars in the layer's weights.

        Raises:
            ValueError: when the layer is not built yet.
        """
        if not self.built:
            raise ValueError(
                f'Layer "{self.name}" is not built yet, so it has no weights to '
                "count. Call it on an input first. Received: built=False"
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    # -- building and calling ---------------------------------------------------

    def build(self, input_shape: Any) -> None:
        """Creates the weights for inputs of ``input_shape``."""
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation, written with ``kgraph.ops``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(inputs). Received: a layer "
            "without call()"
        )

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        # A call on a model definition's tensors is traced into a scratch
        # graph for its output types and recorded (``history``); the model
        # traces it again into its own graph.
        if any(isinstance(t, KerasTensor) for t in flatten([inputs, args, kwargs])):
            return history.symbolic_call(self, self.__call__, (inputs, *args), kwargs)
        symbolic = any(isinstance(t, SymbolicTensor) for t in flatten(inputs))
        # 1. Convert arrays to tensors of the layer's dtype (eager calls); a
        #    nested list of plain numbers is one array, not a list of inputs.
        if not symbolic:
            if _all_numbers(inputs):
                inputs = np.asarray(inputs)
            inputs = map_structure(self._to_tensor, inputs)
            self._eager_losses = []
        # 2. Build from the input shapes, once.
        self._maybe_build(inputs)
        # 3. Check the input against the layer's spec.
        if self.input_spec is not None:
            for tensor in flatten(inputs):
                self.input_spec.check(self, tensor.shape)
        # 4. Call, tagging the nodes with the layer's name. ``training`` goes
        #    only to layers whose ``call`` takes it (as in Keras); eager calls
        #    run in inference mode unless told otherwise.
        #    A layer called without it inside another call takes the
        #    caller's mode (Keras's call context).
        training = kwargs.pop("training", None)
        if training is None:
            training = builder.current_training()
        if training is None and not symbolic:
            # Eager and outside any call: the default of ``call``'s own
            # ``training`` argument (``Pipeline`` trains), else inference.
            training = self._training_default()
        if self._takes("training"):
            kwargs["training"] = training
        # Keras masks: the inputs' mask goes to a ``call`` that takes one.
        if "mask" in kwargs:
            mask = kwargs["mask"]
        else:
            mask = _input_mask(inputs)
            if mask is not None and self._takes("mask"):
                kwargs["mask"] = mask
        if "mask" in kwargs and not self._takes("mask"):
            kwargs.pop("mask")
        graph = (
            next(t.graph for t in flatten(inputs) if isinstance(t, SymbolicTensor))
            if symbolic
            else None
        )
        with (
            ops.layer_scope(self.name),
            _tracing(graph),
            builder.training_scope(training),
        ):
            outputs = self.call(inputs, *args, **kwargs)
            if symbolic:
                outputs = self._own_outputs(inputs, outputs)
            # 5. Activity regularization: a penalty on the outputs, a loss of
            #    the model being traced.
            if symbolic and self.activity_regularizer is not None:
                for output in flatten(outputs):
                    builder.record_loss(self._activity_penalty(output))
            # 6. The outputs' mask (Keras's ``compute_mask``).
            if mask is not None or type(self).compute_mask is not Layer.compute_mask:
                _attach_masks(outputs, self.compute_mask(inputs, mask))
        return outputs

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask of the outputs (Keras's ``compute_mask``): the input's
        for a layer that ``supports_masking``, else ``None``.

        Args:
            inputs: the call's inputs.
            mask: the inputs' mask, or ``None``.

        Returns:
            The outputs' mask (a structure like the outputs), or ``None``.
        """
        del inputs
        return mask if self.supports_masking else None

    # Whether instances pass their input's mask on by default (Keras's
    # ``supports_masking`` of the layers that do: Dense, Dropout, ...).
    _passes_masks = False

    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes its input's mask on unchanged."""
        return bool(self.__dict__.get("_supports_masking", self._passes_masks))

    @supports_masking.setter
    def supports_masking(self, value: bool) -> None:
        self.__dict__["_supports_masking"] = bool(value)

    def _takes(self, argument: str) -> bool:
        """Whether ``call`` takes a keyword argument of this name."""
        return argument in inspect.signature(self.call).parameters

    @staticmethod
    def _own_outputs(inputs: Any, outputs: Any) -> Any:
        """Gives every symbolic output a node of this call: an input passed
        through unchanged (``Identity``, ``Dropout`` at rate 0) becomes a
        same-type ``cast`` tagged with the layer, as Keras gives every layer
        call new tensors. The compiler removes the cast. A variable becomes
        its (updated) value in the graph."""
        passed = {t.node_id for t in flatten(inputs) if isinstance(t, SymbolicTensor)}
        graph = next(t.graph for t in flatten(inputs) if isinstance(t, SymbolicTensor))

        def own(tensor: Any) -> Any:
            if isinstance(tensor, Variable):
                # A variable returned by ``call``: its value after the call's
                # state updates.
                return SymbolicTensor(graph, builder.node_of(graph, tensor))
            if isinstance(tensor, SymbolicTensor) and tensor.node_id in passed:
                return ops.apply("cast", [tensor], {"dtype": tensor.dtype})
            return tensor

        return map_structure(own, outputs)

    def _activity_penalty(self, output: SymbolicTensor) -> SymbolicTensor:
        """The activity penalty of one output, divided by the batch size as
        Keras 3 does (the graph's ``batch_size`` input, which the trainer
        feeds or specializes)."""
        penalty = self.activity_regularizer(output)
        if output.ndim > 0:
            batch = scalar_input(output.graph, "batch_size", "float32")
            penalty = ops.divide(penalty, batch)
        return penalty

    def _to_tensor(self, value: Any) -> Any:
        if isinstance(value, Tensor | Variable):
            return value
        array = np.asarray(value)
        if array.dtype.kind == "f" and array.dtype.name != self.dtype:
            array = array.astype(self.dtype)
        return Tensor(array)

    def _maybe_build(self, inputs: Any) -> None:
        if self.built:
            return
        shapes = map_structure(lambda t: tuple(t.shape), inputs)
        self.build(shapes)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Returns the output shape for an input shape, by tracing the layer."""
        graph = Graph(name="shape")
        is_single = isinstance(input_shape, tuple) and all(
            d is None or isinstance(d, int) for d in input_shape
        )
        shapes = [input_shape] if is_single else list(input_shape)
        inputs = [ops.placeholder(graph, f"x{i}", s) for i, s in enumerate(shapes)]
        outputs = self(inputs[0] if is_single else inputs)
        return map_structure(lambda t: tuple(t.shape), outputs)

    # -- randomness and training mode, for layers such as Dropout ----------------

    @property
    def salt(self) -> int:
        """A number that tells apart the random ops of different layers."""
        return zlib.crc32(self.name.encode())

    # -- configuration ------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments that recreate this layer.

        A custom layer that does not define ``get_config`` gets, as in
        Keras, the arguments its constructor was called with when they are
        plain values (strings, numbers, booleans, ``None``, lists, dicts).
        """
        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype,
        }
        if self.activity_regularizer is not None:
            from kgraph import regularizers

            config["activity_regularizer"] = serialize_object(
                self.activity_regularizer, regularizers
            )
        return with_auto_config(self, config)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Creates a layer from ``get_config``'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


_PLAIN = (str, int, float, bool, type(None))


def _auto_config(cls: type, args: tuple, kwargs: dict) -> dict[str, Any] | None:
    """The constructor arguments of a custom class, by name, when all are
    plain values (Keras's auto config); ``None`` otherwise."""
    if cls.__module__.startswith("kgraph."):
        return None
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except TypeError:
        return None
    config: dict[str, Any] = {}
    for key, value in list(bound.arguments.items())[1:]:
        parameter = bound.signature.parameters[key]
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            config.update(value)
        elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
            config[key] = value
    if not all(isinstance(leaf, _PLAIN) for leaf in flatten(config)):
        return None
    return config


def with_auto_config(obj: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Adds a custom class's auto config (see ``Layer.get_config``) to the
    base config when the class does not define ``get_config`` itself;
    base keys the constructor cannot take are dropped, as in Keras."""
    auto = obj.__dict__.get("_auto_config")
    if auto is None or "get_config" in _own_methods(type(obj)):
        return config
    config = {**config, **auto}
    parameters = inspect.signature(type(obj).__init__).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        for key in list(config):
            if key not in parameters:
                del config[key]
    return config


def _own_methods(cls: type) -> set[str]:
    """Names defined by the user's classes between ``cls`` and kgraph's."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("kgraph.") or klass is object:
            break
        names.update(vars(klass))
    return names


def training_flag(inputs: Any, training: Any) -> Any:
    """Returns the training switch for a symbolic call: the graph's
    ``training`` input when ``training`` is ``None``, else the given value."""
    graph = next(t.graph for t in flatten(inputs) if isinstance(t, SymbolicTensor))
    if training is None:
        return scalar_input(graph, "training", "bool")
    if isinstance(training, SymbolicTensor):
        return training
    return np.asarray(bool(training))


def random_key(inputs: Any) -> Any:
    """Returns the key random layers draw from: the graph's ``seed`` input
    for symbolic calls (the trainer feeds a new one every step), else a
    fresh key from kgraph's seeded generator."""
    for tensor in flatten(inputs):
        if isinstance(tensor, SymbolicTensor):
            return scalar_input(tensor.graph, "seed", "int64")
    from kgraph.utils import random as random_utils

    return np.int64(random_utils.generator().integers(0, 2**62))

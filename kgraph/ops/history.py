"""Call histories of model definitions: which layer or op made a tensor.

A model is defined on ``KerasTensor``s, which belong to no graph. Every
call of a layer, or of an op outside any layer, on them is recorded as a
``CallNode`` (Keras's ``Node``) in the operation's ``inbound_nodes``, and
every output tensor points back at it through its ``history``:
``(operation, node_index, tensor_index)``. A model finds its calls by
walking these back from its outputs (``walk``) and traces them, in order,
into a graph of its own (``CallNode.replay``). Nothing is kept in any
session-wide structure: a definition no model holds is garbage.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from kgraph import errors
from kgraph.ir.graph import Graph
from kgraph.ir.types import TensorType
from kgraph.ops import registry
from kgraph.ops.tensor import KerasTensor
from kgraph.ops.tensor import SymbolicTensor
from kgraph.ops.tensor import Tensor
from kgraph.ops.tensor import Variable
from kgraph.tree import flatten
from kgraph.tree import map_structure


class CallNode:
    """One call of an operation (a layer, a model or an op) on KerasTensors.

    Creating it appends it to ``operation.inbound_nodes`` and sets the
    ``history`` of every output tensor.

    Args:
        operation: the layer, model or ``OpCall`` called.
        args: the positional arguments (structures holding KerasTensors).
        kwargs: the keyword arguments.
        outputs: the outputs (a structure of KerasTensors).
    """

    def __init__(
        self,
        operation: Any,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        outputs: Any,
    ) -> None:
        self.operation = operation
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.outputs = outputs
        self.input_tensors = [
            t for t in flatten([list(self.args), self.kwargs]) if _is_keras(t)
        ]
        self.output_tensors = [t for t in flatten(outputs) if _is_keras(t)]
        self.index = len(operation.inbound_nodes)
        operation.inbound_nodes.append(self)
        for position, tensor in enumerate(self.output_tensors):
            tensor.history = (operation, self.index, position)

    @property
    def parent_nodes(self) -> list[CallNode]:
        """The calls that made this call's inputs, in argument order."""
        return [t.node for t in self.input_tensors if t.history is not None]

    def replay(
        self,
        tensors: Mapping[int, Any],
        context: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> list[Any]:
        """Makes the call again on the tensors standing for its inputs.

        Args:
            tensors: ``id(KerasTensor) -> tensor`` for every input.
            context: the enclosing model call's call-context arguments
                (``training``): as in Keras, a value that is not ``None``
                replaces the recorded one for an operation whose ``call``
                takes it (Keras records ``training=True`` for its
                augmentation layers; ``predict`` still runs them in
                inference mode).
            **extra: keyword arguments added when the call has none of that
                name (``training`` from an enclosing model call).

        Returns:
            The flat outputs of the call standing for ``output_tensors``
            (graph tensors, or eager ones when replayed on arrays).

        Raises:
            ValueError: when the call returns another number of outputs.
        """

        def fill(value: Any) -> Any:
            return tensors[id(value)] if _is_keras(value) else value

        args = map_structure(fill, list(self.args))
        kwargs = map_structure(fill, self.kwargs)
        for key, value in extra.items():
            kwargs.setdefault(key, value)
        takes = getattr(self.operation, "_takes", None)
        for key, value in (context or {}).items():
            if value is not None and key in kwargs and takes is not None and takes(key):
                kwargs[key] = value
        outputs = flatten(self.operation(*args, **kwargs))
        defined = flatten(self.outputs)
        if len(outputs) != len(defined):
            raise ValueError(
                f"{self.operation.name}: called again, it returned "
                f"{len(outputs)} outputs where its first call returned "
                f"{len(defined)}. Received: {len(outputs)} outputs"
            )
        return [out for out, d in zip(outputs, defined, strict=True) if _is_keras(d)]

    def __repr__(self) -> str:
        return f"<CallNode {self.operation.name}[{self.index}]>"


class OpCall:
    """A primitive op applied outside any layer, as an operation of a model
    (``x + y`` on KerasTensors), as Keras 3 records its ops.

    Args:
        op: the registered op name.
        attrs: its checked attributes.
    """

    def __init__(self, op: str, attrs: Mapping[str, Any]) -> None:
        self.op = op
        self.attrs = dict(attrs)
        self.name = op
        self.inbound_nodes: list[CallNode] = []

    def __call__(self, *operands: Any) -> Any:
        from kgraph.ops.builder import apply

        return apply(self.op, operands, self.attrs)

    def __repr__(self) -> str:
        return f"<OpCall {self.op}>"


class FunctionCall:
    """A composite op function applied to KerasTensors outside any layer,
    recorded whole, for functions that need the graph they run in (a mean
    over the unknown batch dimension divides by the graph's batch size).

    Args:
        fn: the public op function.
    """

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.inbound_nodes: list[CallNode] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<FunctionCall {self.name}>"


def record_function(fn: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """Applies a composite op function to KerasTensors: traces it for the
    output types and records the call (see ``FunctionCall``)."""
    return symbolic_call(FunctionCall(fn), fn, args, kwargs)


def recorded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Makes a composed op function record itself whole on KerasTensors (one
    ``FunctionCall``, saved by the function's name), and run as usual on
    anything else. The arguments are bound to ``fn``'s signature (defaults
    filled in, all passed by position) so the recorded call saves as plain
    values."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if any_keras(flatten([list(args), kwargs])):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return record_function(wrapper, bound.args, bound.kwargs)
        return fn(*args, **kwargs)

    return wrapper


def any_keras(values: Sequence[Any]) -> bool:
    """Whether any of ``values`` is a KerasTensor."""
    return any(_is_keras(v) for v in values)


def _is_keras(value: Any) -> bool:
    return isinstance(value, KerasTensor)


def _type_of(value: Any) -> TensorType:
    if isinstance(value, SymbolicTensor | Tensor | Variable):
        return value.type
    from kgraph.ops.builder import to_array

    return TensorType.of(to_array(value))


def record_op(
    op: str, operands: Sequence[Any], attrs: Mapping[str, Any]
) -> KerasTensor:
    """Applies an op to KerasTensors: infers the output type and records
    the call.

    Raises:
        GraphError: when KerasTensors meet tensors of a graph being traced.
    """
    if any(isinstance(o, SymbolicTensor) and not _is_keras(o) for o in operands):
        raise errors.GraphError(
            f"{op}: a tensor of a model definition (from kg.Input) cannot be "
            "combined with a tensor of a graph being traced (inside a layer's "
            "call). Pass it to the layer as an input instead. "
            f"Received: {list(operands)}"
        )
    opdef = registry.get(op)
    checked = opdef.check_attrs(attrs)
    opdef.check_arity(len(operands))
    out_type = opdef.infer([_type_of(o) for o in operands], checked)
    output = KerasTensor(out_type)
    CallNode(OpCall(op, checked), operands, {}, output)
    return output


def symbolic_call(operation: Any, fn: Any, args: Sequence[Any], kwargs: Any) -> Any:
    """Calls ``fn`` (a layer's or model's graph call) for KerasTensor
    arguments: traces it into a scratch graph, with a placeholder for every
    KerasTensor, to learn the output types, then records the call.

    Args:
        operation: the layer or model, owner of the new ``CallNode``.
        fn: ``fn(*args, **kwargs)`` on graph tensors.
        args: positional arguments holding KerasTensors.
        kwargs: keyword arguments.

    Returns:
        The outputs, as KerasTensors in the structure ``fn`` returned.
    """
    graph = Graph(name=f"{operation.name}:definition")
    count = iter(range(1 << 30))

    def stand_in(value: Any) -> Any:
        if not _is_keras(value):
            return value
        from kgraph.ops.sources import placeholder

        return placeholder(graph, f"input_{next(count)}", value.shape, value.dtype)

    traced = fn(*map_structure(stand_in, list(args)), **map_structure(stand_in, kwargs))

    def keras(value: Any) -> Any:
        if isinstance(value, SymbolicTensor):
            return KerasTensor(value.type)
        return value

    outputs = map_structure(keras, traced)
    CallNode(operation, args, kwargs, outputs)
    return outputs


def walk(outputs: Sequence[KerasTensor], inputs: Sequence[KerasTensor]) -> list:
    """Returns the calls between ``inputs`` and ``outputs`` in an order
    that makes every call after the calls it takes tensors from.

    Args:
        outputs: the model's output tensors.
        inputs: the model's input tensors (the walk stops at them).

    Returns:
        The ``CallNode``s, inputs' own calls excluded.

    Raises:
        ValueError: when an output depends on a tensor that is not among
            ``inputs`` and was made by no call (an ``Input`` left out).
    """
    stop = {id(t) for t in inputs}
    order: list[CallNode] = []
    state: dict[int, int] = {}  # id(node) -> 1 visiting, 2 done
    for output in outputs:
        stack: list[tuple[Any, bool]] = [(output, False)]
        while stack:
            tensor, expanded = stack.pop()
            if id(tensor) in stop:
                continue
            node = tensor.node
            if node is None:
                raise ValueError(
                    "A model output depends on a tensor that is neither an input "
                    "of the model nor made by a layer or op. Received: "
                    f"{tensor!r}"
                )
            if expanded:
                if state.get(id(node)) != 2:
                    state[id(node)] = 2
                    order.append(node)
                continue
            if id(node) in state:
                continue
            state[id(node)] = 1
            stack.append((tensor, True))
            stack.extend((t, False) for t in reversed(node.input_tensors))
    return order

"""Dispatch of op calls: evaluate eagerly, or add a node to a graph.

``apply(op, operands, attrs)`` is the one door every public op function goes
through. If any operand is a ``SymbolicTensor`` the op is added to that
tensor's graph (other operands become constants, variables become parameter
placeholders) and its type is inferred at once, so shape errors surface while
the model is being defined. Otherwise the op's ``reference`` runs right away.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.graph import Graph
from kgraph.ir.types import TensorType
from kgraph.ops import registry
from kgraph.ops.tensor import KerasTensor
from kgraph.ops.tensor import SymbolicTensor
from kgraph.ops.tensor import Tensor
from kgraph.ops.tensor import Variable

_LAYER_STACK: list[str] = []
# The graphs symbolic layer calls are tracing into, innermost last.
_GRAPH_STACK: list[Graph] = []


class BodyScope:
    """A loop body being traced (``scan``'s): its graph, the graph it is
    nested in, and the tensors of enclosing graphs (and variables) it uses,
    which become its ``const`` inputs.

    Args:
        graph: the body graph.
        parent: the graph the loop is emitted into.
    """

    def __init__(self, graph: Graph, parent: Graph) -> None:
        self.graph = graph
        self.parent = parent
        # The captured tensors, in the parent graph, in input order.
        self.captured: list[SymbolicTensor] = []
        self._placeholders: dict[int, int] = {}

    def capture(self, tensor: SymbolicTensor) -> int:
        """The body placeholder standing for a tensor of the parent graph."""
        if tensor.node_id not in self._placeholders:
            attrs = {
                "name": f"const_{len(self.captured)}",
                "role": "data",
                "shape": tuple(tensor.shape),
                "dtype": str(tensor.dtype),
            }
            node_id = emit(self.graph, "placeholder", [], attrs)
            self._placeholders[tensor.node_id] = node_id
            self.captured.append(tensor)
        return self._placeholders[tensor.node_id]


# The loop bodies being traced, innermost last.
_BODY_STACK: list[BodyScope] = []


@contextlib.contextmanager
def body_scope(scope: BodyScope) -> Iterator[BodyScope]:
    """Traces a loop body: ops mixing its tensors with those of enclosing
    graphs (or with variables) add nodes to the body, which captures the
    others as inputs."""
    _BODY_STACK.append(scope)
    try:
        yield scope
    finally:
        _BODY_STACK.pop()


def _scope_of(graph: Graph) -> BodyScope | None:
    for scope in reversed(_BODY_STACK):
        if scope.graph is graph:
            return scope
    return None


def _capture(graph: Graph, tensor: SymbolicTensor) -> int:
    """Brings a tensor of an enclosing graph into the body ``graph``."""
    scope = _scope_of(graph)
    if scope is None:
        raise errors.GraphError(
            "Symbolic tensors from different graphs cannot be combined. "
            f"Received: {tensor!r} in graph '{graph.name}'"
        )
    if tensor.graph is not scope.parent:
        tensor = SymbolicTensor(scope.parent, _capture(scope.parent, tensor))
    return scope.capture(tensor)


def _deepest(graphs: list[Graph]) -> Graph | None:
    """Among graphs of one chain of nested loop bodies, the innermost."""
    if not _BODY_STACK:
        return None
    chain = [_BODY_STACK[0].parent, *(scope.graph for scope in _BODY_STACK)]
    depths = []
    for graph in graphs:
        depth = next((i for i, g in enumerate(chain) if g is graph), None)
        if depth is None:
            return None
        depths.append(depth)
    return chain[max(depths)]


@contextlib.contextmanager
def layer_scope(name: str) -> Iterator[None]:
    """Tags every node emitted inside the block with a layer name."""
    _LAYER_STACK.append(name)
    try:
        yield
    finally:
        _LAYER_STACK.pop()


@contextlib.contextmanager
def tracing(graph: Graph) -> Iterator[None]:
    """While a layer traces into ``graph``, ops on its variables alone (a
    slice of a bias, say) add nodes there instead of computing a constant,
    so they stay trainable."""
    _GRAPH_STACK.append(graph)
    try:
        yield
    finally:
        _GRAPH_STACK.pop()


class GraphTrace:
    """What tracing into one graph collects besides the outputs.

    ``updates`` maps ``id(variable)`` to ``(variable, new value)``: the
    state updates (``Variable.assign``, ``Layer.add_state_update``), the
    last one of each variable; later reads of the variable in the same
    graph see its new value. ``losses`` holds scalar losses
    (``Layer.add_loss``, activity penalties) in the order they were added.
    ``carried`` holds the ids of the variables whose updates every program
    applies (a stateful recurrent layer's states), not training alone.
    """

    def __init__(self) -> None:
        self.updates: dict[int, tuple[Variable, SymbolicTensor]] = {}
        self.losses: list[SymbolicTensor] = []
        self.carried: set[int] = set()


def trace_of(graph: Graph) -> GraphTrace:
    """Returns the updates and losses traced into ``graph`` so far (kept on
    the graph object itself; copies of the graph start without)."""
    trace = graph.__dict__.get("_trace")
    if trace is None:
        trace = graph.__dict__["_trace"] = GraphTrace()
    return trace


def active_graph() -> Graph | None:
    """The graph a layer call is tracing into right now, if any."""
    return _GRAPH_STACK[-1] if _GRAPH_STACK else None


def records_updates(value: Any) -> bool:
    """Whether assigning ``value`` to a variable is a traced state update:
    ``value`` is symbolic, or a layer call is being traced."""
    return isinstance(value, SymbolicTensor) or active_graph() is not None


def record_update(variable: Variable, value: Any, every_program: bool = False) -> None:
    """Records a traced state update: ``variable`` takes ``value`` after the
    step (inside the compiled training step; after every batch of every
    program with ``every_program``, as a stateful layer's states).

    Raises:
        ValueError: when the shape differs from the variable's, or when
            called on a model definition's tensor (outside a layer call).
    """
    if isinstance(value, KerasTensor):
        raise ValueError(
            f"Variable '{variable.path}' cannot be assigned a tensor of a model "
            "definition: assign inside a layer's `call` (or a metric's "
            f"`update_state`). Received: {value!r}"
        )
    graph = value.graph if isinstance(value, SymbolicTensor) else active_graph()
    assert graph is not None
    if not isinstance(value, SymbolicTensor):
        value = SymbolicTensor(graph, node_of(graph, np.asarray(value)))
    if tuple(value.shape) != tuple(variable.shape):
        raise ValueError(
            f'The state update of variable "{variable.path}" has shape '
            f"{tuple(value.shape)}; the variable {tuple(variable.shape)}. "
            f"Received: value of shape {tuple(value.shape)}"
        )
    if str(value.dtype) != str(variable.dtype):
        value = apply("cast", [value], {"dtype": variable.dtype})
    trace = trace_of(graph)
    trace.updates[id(variable)] = (variable, value)
    if every_program:
        trace.carried.add(id(variable))


def set_mask(tensor: Any, mask: Any) -> None:
    """Attaches a Keras mask (a boolean tensor of the leading axes: which
    time steps are real) to a tensor, as Keras's ``_keras_mask``: on the
    graph for a graph tensor (any handle of the node finds it), on the
    object for an eager one."""
    if isinstance(tensor, SymbolicTensor):
        masks = tensor.graph.__dict__.setdefault("_masks", {})
        if mask is None:
            masks.pop(tensor.node_id, None)
        else:
            masks[tensor.node_id] = node_of(tensor.graph, mask)
    elif isinstance(tensor, Tensor):
        tensor.__dict__["_keras_mask"] = mask


def mask_of(tensor: Any) -> Any:
    """The Keras mask attached to a tensor, or ``None``."""
    if isinstance(tensor, SymbolicTensor) and not isinstance(tensor, KerasTensor):
        node = tensor.graph.__dict__.get("_masks", {}).get(tensor.node_id)
        return None if node is None else SymbolicTensor(tensor.graph, node)
    if isinstance(tensor, Tensor):
        return tensor.__dict__.get("_keras_mask")
    return None


def record_loss(value: SymbolicTensor) -> None:
    """Records a scalar loss traced into ``value``'s graph (``add_loss``)."""
    trace_of(value.graph).losses.append(value)


def batch_size_input(graph: Graph) -> SymbolicTensor:
    """The graph's ``batch_size`` input (float32 scalar), added once: the
    trainer feeds it, or a pass specializes it to the static batch size."""
    for node in graph.placeholders("scalar"):
        if node.name == "batch_size":
            return SymbolicTensor(graph, node.id)
    attrs = {"name": "batch_size", "role": "scalar", "shape": (), "dtype": "float32"}
    return SymbolicTensor(graph, emit(graph, "placeholder", [], attrs))


# The training mode of the calls being traced, innermost last (Keras's call
# context): a layer called without ``training`` takes its caller's.
_TRAINING_STACK: list[Any] = []


@contextlib.contextmanager
def training_scope(training: Any) -> Iterator[None]:
    """Calls inside the block that get no ``training`` argument take this
    one (``None``: the graph's ``training`` input decides)."""
    _TRAINING_STACK.append(training)
    try:
        yield
    finally:
        _TRAINING_STACK.pop()


def current_training() -> Any:
    """The training mode of the enclosing call, ``None`` if there is none."""
    return _TRAINING_STACK[-1] if _TRAINING_STACK else None


def current_layer() -> str | None:
    """Returns the innermost layer name being traced, if any."""
    return _LAYER_STACK[-1] if _LAYER_STACK else None


def find_graph(operands: Sequence[Any]) -> Graph | None:
    """Returns the graph of the symbolic operands, or ``None`` if all are eager.

    Raises:
        GraphError: when symbolic operands come from different graphs.
    """
    graphs: list[Graph] = []
    symbolic = [
        o
        for o in operands
        if isinstance(o, SymbolicTensor) and not isinstance(o, KerasTensor)
    ]
    for operand in symbolic:
        if not any(operand.graph is g for g in graphs):
            graphs.append(operand.graph)
    graph = graphs[0] if graphs else None
    if len(graphs) > 1:
        graph = _deepest(graphs)
        if graph is None:
            raise errors.GraphError(
                "Symbolic tensors from different graphs cannot be combined. "
                f"Received: {operands}"
            )
    if (
        graph is None
        and _GRAPH_STACK
        and any(isinstance(o, Variable) for o in operands)
    ):
        return _GRAPH_STACK[-1]
    return graph


def to_array(value: Any, dtype: str | None = None) -> np.ndarray:
    """Converts an eager operand to a NumPy array of kgraph's dtypes."""
    if isinstance(value, Tensor | Variable):
        array = np.asarray(value)
    else:
        array = np.asarray(value, dtype=dtypes.to_numpy(dtypes.of_value(value)))
    if dtype is not None and array.dtype.name != dtype:
        array = array.astype(dtype)
    dtypes.canonical(array.dtype)
    return array


def emit(graph: Graph, op: str, inputs: Sequence[int], attrs: Mapping[str, Any]) -> int:
    """Adds a node after checking attributes, arity and types.

    Returns:
        The new node's id.
    """
    opdef = registry.get(op)
    checked = opdef.check_attrs(attrs)
    opdef.check_arity(len(inputs))
    types = [graph.node(i).type for i in inputs]
    out_type = opdef.infer(types, checked)
    return graph.add(op, inputs, checked, out_type, current_layer())


def node_of(graph: Graph, operand: Any) -> int:
    """Returns the node id standing for ``operand`` in ``graph``.

    Symbolic tensors are used as they are; variables become parameter (or
    slot) placeholders, made once per graph (or their new value, after a
    state update traced into the graph); anything else a constant.
    """
    if isinstance(operand, SymbolicTensor):
        if operand.graph is graph:
            return operand.node_id
        return _capture(graph, operand)
    if isinstance(operand, Variable):
        scope = _scope_of(graph)
        if scope is not None:
            outer = node_of(scope.parent, operand)
            return scope.capture(SymbolicTensor(scope.parent, outer))
        trace = graph.__dict__.get("_trace")
        if trace is not None and id(operand) in trace.updates:
            return trace.updates[id(operand)][1].node_id
        return variable_node(graph, operand)
    return emit(graph, "constant", [], {"value": to_array(operand)})


def variable_node(graph: Graph, variable: Variable, role: str | None = None) -> int:
    """Returns the placeholder of a variable in a graph, adding it once.

    Variables are bound by identity: ``graph.bindings`` maps the
    placeholder's name to the variable. The name is the variable's path,
    made unique in the graph with a suffix when another variable of the
    same path is bound already (two nested models with layers of the same
    name). A placeholder of the path made beforehand by hand is bound to
    the first variable that asks for it.
    """
    for name, bound in graph.bindings.items():
        if bound is variable:
            return graph.placeholder(name).id
    name, count = variable.path, 0
    while name in graph.bindings:
        count += 1
        name = f"{variable.path}_{count}"
    for node in graph.placeholders():
        if node.name == name and node.role in ("parameter", "slot"):
            graph.bindings[name] = variable
            return node.id
    attrs = {
        "name": name,
        "role": role or "parameter",
        "shape": variable.shape,
        "dtype": variable.dtype,
    }
    node_id = emit(graph, "placeholder", [], attrs)
    graph.bindings[name] = variable
    return node_id


def apply(
    op: str, operands: Sequence[Any], attrs: Mapping[str, Any] | None = None
) -> Any:
    """Applies a registered op: a new node if symbolic, else evaluated now.

    Args:
        op: the registered op name.
        operands: tensors, variables, arrays or Python scalars.
        attrs: the op's attributes.

    Returns:
        A ``SymbolicTensor`` or an eager ``Tensor``.
    """
    attrs = dict(attrs or {})
    if any(isinstance(operand, KerasTensor) for operand in operands):
        from kgraph.ops import history

        return history.record_op(op, operands, attrs)
    graph = find_graph(operands)
    if graph is not None:
        inputs = [node_of(graph, operand) for operand in operands]
        return SymbolicTensor(graph, emit(graph, op, inputs, attrs))
    return Tensor(evaluate(op, [to_array(x) for x in operands], attrs))


def evaluate(
    op: str, arrays: Sequence[np.ndarray], attrs: Mapping[str, Any]
) -> np.ndarray:
    """Runs an op's reference on arrays after the same checks a graph makes.

    Returns:
        The result, with exactly the shape and dtype the op's rule infers.
    """
    opdef = registry.get(op)
    checked = opdef.check_attrs(attrs)
    opdef.check_arity(len(arrays))
    out_type = opdef.infer([TensorType.of(a) for a in arrays], checked)
    # NaN and infinities are values like any other: no warnings.
    with np.errstate(all="ignore"):
        result = opdef.reference(arrays, checked)
    return conform(op, result, out_type)


def conform(op: str, result: Any, out_type: TensorType) -> np.ndarray:
    """Checks a reference result against the inferred type.

    Raises:
        GraphError: when an op's reference and its shape rule disagree (a
            bug in the op's definition).
    """
    array = np.asarray(result)
    if not out_type.accepts(array.shape):
        raise errors.GraphError(
            f"{op}: reference produced shape {array.shape} but the shape rule "
            f"says {out_type}. Received: shape={array.shape}"
        )
    array = array.astype(dtypes.to_numpy(out_type.dtype), copy=False)
    return array if array.flags.c_contiguous else array.copy()

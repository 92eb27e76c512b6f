"""Loops in the graph: ``scan``, a loop over steps whose body is a graph.

A ``scan`` node runs its ``body`` once per step (``jax.lax.scan``'s
semantics). Its operands are the initial carries, the per-step inputs
(sliced along axis 0) and the constants the body reads; the body graph has
one placeholder per operand (``carry_i``, ``x_i``, ``const_i``, all of the
per-step types) and the outputs ``carry_i`` (the new carries, of the carries'
types) and ``y_i`` (the per-step outputs). A node holds one result, chosen
by its ``result`` attribute:

- ``0 .. C-1``: the final carries;
- ``C .. C+Y-1``: the per-step outputs, stacked along a new axis 0;
- ``C+Y .. 2C+Y-1``: the carries *before* each step, stacked (what the
  gradient reads: the residuals of the loop).

Nodes that differ only in ``result`` are one loop: the schedule runs them
together. With ``reverse`` the steps run from last to first; outputs stay
stacked in step order.

The gradient is a reverse scan over the residuals whose body is the
vector-Jacobian product of the forward body (``kgraph.ops.vjp``); it
carries the carries' cotangents and sums the constants' cotangents.

Example:

>>> import numpy as np
>>> def step(total, x):
...     total = total + x
...     return total, total * 2.0
>>> final, doubled = scan(step, np.zeros(2, "float32"), np.ones((3, 2), "float32"))
>>> final.numpy(), doubled.numpy()[:, 0]
(array([3., 3.], dtype=float32), array([2., 4., 6.], dtype=float32))
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph import tree
from kgraph.ir.graph import Graph
from kgraph.ir.types import TensorType
from kgraph.ops import builder
from kgraph.ops import evaluate
from kgraph.ops import registry
from kgraph.ops import vjp as vjp_module
from kgraph.ops.tensor import KerasTensor
from kgraph.ops.tensor import SymbolicTensor
from kgraph.ops.tensor import Tensor

# -- the body's interface --------------------------------------------------------


def _names(graph: Graph, prefix: str) -> list[str]:
    count = 0
    names = {node.name for node in graph.placeholders()} | set(graph.outputs)
    while f"{prefix}_{count}" in names:
        count += 1
    return [f"{prefix}_{i}" for i in range(count)]


def body_interface(body: Graph) -> tuple[int, int, int, int]:
    """The counts ``(carries, xs, consts, ys)`` of a scan body.

    Raises:
        GraphError: when the placeholders and outputs do not follow the
            ``carry_i``/``x_i``/``const_i`` and ``carry_i``/``y_i`` naming.
    """
    names = {node.name for node in body.placeholders()}
    carries = sum(1 for n in _names(body, "carry") if n in names)
    xs = sum(1 for n in _names(body, "x") if n in names)
    consts = sum(1 for n in _names(body, "const") if n in names)
    ys = sum(1 for n in _names(body, "y") if n in body.outputs)
    expected_inputs = carries + xs + consts
    expected_outputs = carries + ys
    if len(names) != expected_inputs or len(body.outputs) != expected_outputs:
        raise errors.GraphError(
            "scan: a body has the inputs carry_i, x_i, const_i and the outputs "
            "carry_i, y_i, numbered from 0. Received: inputs "
            f"{sorted(names)}, outputs {sorted(body.outputs)}"
        )
    return carries, xs, consts, ys


def _input_names(body: Graph) -> list[str]:
    carries, xs, consts, _ = body_interface(body)
    return (
        [f"carry_{i}" for i in range(carries)]
        + [f"x_{i}" for i in range(xs)]
        + [f"const_{i}" for i in range(consts)]
    )


def _output_names(body: Graph) -> list[str]:
    carries, _, _, ys = body_interface(body)
    return [f"carry_{i}" for i in range(carries)] + [f"y_{i}" for i in range(ys)]


def retype(body: Graph, types: Sequence[TensorType]) -> Graph:
    """The body with its inputs of ``types`` (operand order) and every node's
    type derived again: the body the loop runs for those operands.

    Results are cached on the body (bodies are never mutated once built).
    """
    key = tuple(types)
    cache = body.__dict__.setdefault("_retyped", {})
    if key in cache:
        return cache[key]
    by_name = dict(zip(_input_names(body), types, strict=True))
    if all(by_name[n.name] == n.type for n in body.placeholders()):
        cache[key] = body
        return body
    result = body.copy()
    for node in result.nodes():
        attrs = dict(node.attrs)
        if node.op == "placeholder":
            attrs["shape"] = tuple(by_name[node.name].shape)
            attrs["dtype"] = by_name[node.name].dtype
        opdef = registry.get(node.op)
        operand_types = [result.node(i).type for i in node.inputs]
        if opdef.specialize is not None:
            attrs = opdef.specialize(operand_types, attrs)
        result.replace_node(
            node.id, attrs=attrs, type=opdef.infer(operand_types, attrs)
        )
    cache[key] = result
    return result


def _step_types(
    types: Sequence[TensorType], carries: int, xs: int
) -> tuple[list[TensorType], int | None]:
    """Each body input's type for the operand types, and the step count."""
    result = list(types)
    length = None
    for index in range(carries, carries + xs):
        sequence = types[index]
        if sequence.rank == 0:
            raise errors.ShapeError(
                f"scan: the per-step input x_{index - carries} needs a step axis "
                f"(axis 0). Received: {sequence}"
            )
        if sequence.shape[0] is not None:
            if length is not None and sequence.shape[0] != length:
                raise errors.ShapeError(
                    "scan: every per-step input needs the same number of steps. "
                    f"Received: {length} and {sequence.shape[0]} steps "
                    f"(x_{index - carries}: {sequence})"
                )
            length = sequence.shape[0]
        result[index] = sequence.with_shape(sequence.shape[1:])
    return result, length


def _check_types(body: Graph, types: Sequence[TensorType], what: str) -> None:
    """Checks operand types against the body's placeholders (the ranks: the
    body is derived again for the operands' shapes and dtypes)."""
    for name, given in zip(_input_names(body), types, strict=True):
        declared = body.placeholder(name).type
        if given.rank != declared.rank:
            raise errors.ShapeError(
                f"scan: {what} {name} of the body is {declared}; the operand is "
                f"{given}. Received: {given}"
            )


def _results(body: Graph, length: int | None) -> list[TensorType]:
    """The types of every result of a scan of a (retyped) body."""
    carries, _, _, ys = body_interface(body)
    carry_types = [body.placeholder(f"carry_{i}").type for i in range(carries)]
    for i, declared in enumerate(carry_types):
        new = body.node(body.outputs[f"carry_{i}"]).type
        if new.dtype != declared.dtype or new.shape != declared.shape:
            raise errors.ShapeError(
                f"scan: the body changes carry_{i} from {declared} to {new}; a "
                f"carry keeps its shape and dtype. Received: {new}"
            )
    y_types = [body.node(body.outputs[f"y_{j}"]).type for j in range(ys)]
    stacked = [t.with_shape((length, *t.shape)) for t in y_types]
    before = [t.with_shape((length, *t.shape)) for t in carry_types]
    return carry_types + stacked + before


def _length(types: Sequence[TensorType], attrs: Mapping[str, Any]) -> int | None:
    carries, xs = attrs["num_carries"], attrs["num_xs"]
    _, length = _step_types(types, carries, xs)
    if xs == 0:
        return attrs["length"]
    if attrs["length"] is not None and length not in (None, attrs["length"]):
        raise errors.ShapeError(
            f"scan: length={attrs['length']} but the per-step inputs have "
            f"{length} steps. Received: length={attrs['length']}"
        )
    return length


def _specialized(types: Sequence[TensorType], attrs: Mapping[str, Any]) -> Graph:
    step_types, _ = _step_types(types, attrs["num_carries"], attrs["num_xs"])
    body = attrs["body"]
    if len(step_types) != len(_input_names(body)):
        raise errors.GraphError(
            f"scan: the body takes {len(_input_names(body))} inputs "
            f"({', '.join(_input_names(body))}). Received: {len(types)} operands"
        )
    _check_types(body, step_types, "input")
    return retype(body, step_types)


# -- the op's rules --------------------------------------------------------------


def _infer(types: Sequence[TensorType], attrs: Mapping[str, Any]) -> TensorType:
    body = _specialized(types, attrs)
    results = _results(body, _length(types, attrs))
    if not 0 <= attrs["result"] < len(results):
        raise errors.ShapeError(
            f"scan: result {attrs['result']} does not exist; the loop has "
            f"{len(results)} results. Received: result={attrs['result']}"
        )
    return results[attrs["result"]]


def _specialize(types: Sequence[TensorType], attrs: Mapping[str, Any]) -> dict:
    return {**attrs, "body": _specialized(types, attrs)}


def run_loop(
    arrays: Sequence[np.ndarray], attrs: Mapping[str, Any]
) -> list[np.ndarray]:
    """Every result of a scan on arrays, by running its body per step."""
    types = [TensorType.of(a) for a in arrays]
    body = _specialized(types, attrs)
    carries, xs, _, ys = body_interface(body)
    length = _length(types, attrs) or 0
    carry = list(arrays[:carries])
    sequences = list(arrays[carries : carries + xs])
    consts = list(arrays[carries + xs :])
    names = _input_names(body)
    outputs = _output_names(body)
    y_types = _results(body, length)[carries : carries + ys]
    stacked = [np.zeros(t.dims, dtypes.to_numpy(t.dtype)) for t in y_types]
    before = [np.zeros((length, *c.shape), c.dtype) for c in carry]
    steps = range(length - 1, -1, -1) if attrs["reverse"] else range(length)
    for t in steps:
        for i, value in enumerate(carry):
            before[i][t] = value
        step = [*carry, *(x[t] for x in sequences), *consts]
        feeds = dict(zip(names, step, strict=True))
        values = evaluate.run(body, feeds, outputs)
        carry = [values[f"carry_{i}"] for i in range(carries)]
        for j in range(ys):
            stacked[j][t] = values[f"y_{j}"]
    return carry + stacked + before


def _reference(arrays: Sequence[np.ndarray], attrs: Mapping[str, Any]) -> np.ndarray:
    return run_loop(arrays, attrs)[attrs["result"]]


def _grad(
    inputs: Sequence[SymbolicTensor],
    output: SymbolicTensor,
    cotangent: SymbolicTensor,
    attrs: Mapping[str, Any],
) -> list[Any]:
    from kgraph.ops import composite

    body = _specialized([x.type for x in inputs], attrs)
    carries, xs, consts, ys = body_interface(body)
    result = attrs["result"]
    init = list(inputs[:carries])
    sequences = list(inputs[carries : carries + xs])
    constants = list(inputs[carries + xs :])
    # The carries before each step: a sibling result of the same loop.
    before = [
        builder.apply("scan", inputs, {**attrs, "result": carries + ys + i})
        for i in range(carries)
    ]
    final = [composite.zeros_like(c) for c in init]
    if result < carries:
        final[result] = cotangent
    step_cotangent = {}
    if carries <= result < carries + ys:
        step_cotangent[f"y_{result - carries}"] = cotangent
    direct = {}
    if result >= carries + ys:
        direct[result - carries - ys] = cotangent
    backward = _backward_body(body, sorted(step_cotangent), sorted(direct))
    operands = [
        *final,
        *(composite.zeros_like(k) for k in constants),
        *before,
        *sequences,
        *(step_cotangent[name] for name in sorted(step_cotangent)),
        *(direct[i] for i in sorted(direct)),
        *constants,
    ]
    b_attrs = {
        "body": backward,
        "num_carries": carries + consts,
        "num_xs": carries + xs + len(step_cotangent) + len(direct),
        "reverse": not attrs["reverse"],
        "length": attrs["length"],
    }

    def result_of(index: int) -> Any:
        return builder.apply("scan", operands, {**b_attrs, "result": index})

    grads: list[Any] = [result_of(i) for i in range(carries)]
    grads += [result_of(carries + consts + j) for j in range(xs)]
    grads += [result_of(carries + m) for m in range(consts)]
    return grads


def _backward_body(body: Graph, step_outputs: list[str], direct: list[int]) -> Graph:
    """The body of the gradient's reverse scan.

    Inputs: carries ``a_i`` (the cotangents of the carries after the step)
    and ``g_m`` (the constants' cotangents so far); per step the carries
    before the step, the inputs, the cotangents of ``step_outputs`` and the
    direct cotangents of the carries before the step (``direct``); the
    constants. Outputs: the carries' cotangents before the step, the
    constants' sums, and per step the inputs' cotangents.
    """
    from kgraph.ops import composite
    from kgraph.ops import elementwise
    from kgraph.ops import sources

    carries, xs, consts, _ = body_interface(body)
    graph = Graph(name=f"{body.name}_grad")

    def placeholder(name: str, like: TensorType) -> SymbolicTensor:
        return sources.placeholder(graph, name, like.shape, like.dtype)

    carry_types = [body.placeholder(f"carry_{i}").type for i in range(carries)]
    const_types = [body.placeholder(f"const_{m}").type for m in range(consts)]
    x_types = [body.placeholder(f"x_{j}").type for j in range(xs)]
    after = [placeholder(f"carry_{i}", t) for i, t in enumerate(carry_types)]
    sums = [placeholder(f"carry_{carries + m}", t) for m, t in enumerate(const_types)]
    step: list[SymbolicTensor] = []
    names = [f"carry_{i}" for i in range(carries)] + [f"x_{j}" for j in range(xs)]
    types = carry_types + x_types
    for name in step_outputs:
        names.append(name)
        types.append(body.node(body.outputs[name]).type)
    for i in direct:
        names.append(f"direct_{i}")
        types.append(carry_types[i])
    for index, t in enumerate(types):
        step.append(placeholder(f"x_{index}", t))
    constants = [placeholder(f"const_{m}", t) for m, t in enumerate(const_types)]
    feeds = dict(zip(names, step, strict=True))
    mapping = {f"carry_{i}": feeds[f"carry_{i}"] for i in range(carries)}
    mapping |= {f"x_{j}": feeds[f"x_{j}"] for j in range(xs)}
    mapping |= {f"const_{m}": constants[m] for m in range(consts)}
    values = inline(graph, body, mapping)
    targets = [values[f"carry_{i}"].node_id for i in range(carries)]
    cotangents = list(after)
    for name in step_outputs:
        targets.append(values[name].node_id)
        cotangents.append(feeds[name])
    wrt = [mapping[name].node_id for name in _input_names(body)]
    found = vjp_module.vjp(graph, targets, cotangents, wrt)

    def grad_or_zeros(index: int, like: SymbolicTensor) -> SymbolicTensor:
        grad = found[index]
        return composite.zeros_like(like) if grad is None else grad

    for i in range(carries):
        total = grad_or_zeros(i, mapping[f"carry_{i}"])
        if i in direct:
            total = elementwise.add(total, feeds[f"direct_{i}"])
        graph.set_output(f"carry_{i}", total.node_id)
    for m in range(consts):
        grad = grad_or_zeros(carries + xs + m, constants[m])
        graph.set_output(f"carry_{carries + m}", elementwise.add(sums[m], grad).node_id)
    for j in range(xs):
        grad = grad_or_zeros(carries + j, mapping[f"x_{j}"])
        graph.set_output(f"y_{j}", grad.node_id)
    return graph


def inline(
    graph: Graph, body: Graph, inputs: Mapping[str, SymbolicTensor]
) -> dict[str, SymbolicTensor]:
    """Copies a body's nodes into ``graph`` with its placeholders bound to
    ``inputs``; returns its outputs by name."""
    ids: dict[int, int] = {}
    for node_id in body.topo_order():
        node = body.node(node_id)
        if node.op == "placeholder":
            ids[node_id] = inputs[node.input_name].node_id
            continue
        operands = [ids[i] for i in node.inputs]
        ids[node_id] = graph.add(node.op, operands, node.attrs, node.type, node.layer)
    return {name: SymbolicTensor(graph, ids[i]) for name, i in body.outputs.items()}


def _example(draw: Any) -> registry.Example:
    from kgraph.ops import sources

    width = draw.integer(1, 3)
    steps = draw.integer(1, 3)
    body = Graph(name="scan_body")
    carry = sources.placeholder(body, "carry_0", (width,), "float32")
    x = sources.placeholder(body, "x_0", (width,), "float32")
    weight = sources.placeholder(body, "const_0", (width,), "float32")
    from kgraph import ops

    new = ops.tanh(ops.add(ops.multiply(carry, weight), x))
    body.set_output("carry_0", new.node_id)
    body.set_output("y_0", ops.multiply(new, x).node_id)
    return registry.Example(
        [
            ((width,), "float", "real"),
            ((steps, width), "float", "real"),
            ((width,), "float", "real"),
        ],
        {
            "body": body,
            "num_carries": 1,
            "num_xs": 1,
            "reverse": draw.boolean(),
            "result": draw.integer(0, 2),
        },
    )


def _as_graph(value: Any) -> Graph:
    if not isinstance(value, Graph):
        raise ValueError("expected a Graph.")
    body_interface(value)
    return value


def _as_length(value: Any) -> int | None:
    if value is None:
        return None
    length = registry.as_int(value)
    if length < 0:
        raise ValueError("expected a non-negative number of steps.")
    return length


registry.register(
    registry.OpDef(
        name="scan",
        kind=registry.LOOP,
        arity=None,
        infer=_infer,
        reference=_reference,
        grad=_grad,
        example=_example,
        doc="A loop over steps running a body graph with carried state.",
        attrs={
            "body": registry.Attr(_as_graph),
            "num_carries": registry.Attr(registry.as_int),
            "num_xs": registry.Attr(registry.as_int),
            "reverse": registry.Attr(registry.as_bool, False),
            "length": registry.Attr(_as_length, None),
            "result": registry.Attr(registry.as_int, 0),
        },
        specialize=_specialize,
    )
)


# -- the public function -------------------------------------------------------


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """Loops ``f`` over the leading axis of ``xs``, carrying state, as
    ``keras.ops.scan``.

    ``f(carry, x) -> (new_carry, y)``: ``carry`` has ``init``'s structure
    (a tensor, or lists, tuples and dicts of them), ``x`` is one step of
    ``xs`` (``None`` when ``xs`` is), and ``y`` any structure of tensors (or
    ``None``). On eager tensors the loop runs at once; on graph tensors it
    becomes one ``scan`` node (whatever the number of steps) whose body is
    ``f`` traced once; tensors ``f`` reads from around it become the
    loop's constants.

    Args:
        f: the step function.
        init: the initial carry.
        xs: the per-step inputs, stacked along axis 0, or ``None``.
        length: the number of steps (required when ``xs`` is ``None``).
        reverse: run the steps from last to first (outputs stay in step
            order).
        unroll: accepted for Keras compatibility; the loop is one native
            loop either way.

    Returns:
        ``(final_carry, stacked_ys)``.

    Raises:
        ValueError: for a missing ``length``, or a carry whose structure,
            shape or dtype the step changes.

    Example:

    >>> import numpy as np
    >>> final, ys = scan(lambda c, x: (c + x, c), 0.0, np.arange(4.0))
    >>> float(final.numpy()), ys.numpy().tolist()
    (6.0, [0.0, 0.0, 1.0, 3.0])
    """
    from kgraph.ops import shaping as shape_ops

    del unroll
    init_leaves = [shape_ops.as_tensor(c) for c in tree.flatten(init)]
    x_leaves = [] if xs is None else [shape_ops.as_tensor(x) for x in tree.flatten(xs)]
    if xs is None and length is None:
        raise ValueError(
            "scan: `length` is required when `xs` is None. Received: length=None"
        )
    operands = [*init_leaves, *x_leaves]
    if any(isinstance(o, KerasTensor) for o in operands):
        raise ValueError(
            "scan: call it inside a layer's `call` (or on eager tensors), not on "
            f"the tensors of a model definition. Received: {operands}"
        )
    graph = builder.find_graph(operands) or builder.active_graph()
    if graph is None:
        return _eager_scan(f, init, xs, length, reverse)
    return _traced_scan(graph, f, init, xs, init_leaves, x_leaves, length, reverse)


def _eager_scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any,
    length: int | None,
    reverse: bool,
) -> tuple[Any, Any]:
    from kgraph.ops import shaping as shape_ops

    x_leaves = [] if xs is None else [np.asarray(x) for x in tree.flatten(xs)]
    steps = length if not x_leaves else x_leaves[0].shape[0]
    carry = tree.map_structure(shape_ops.as_tensor, init)
    outputs: list[Any] = [None] * int(steps)
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        x = None if xs is None else tree.pack_sequence_as(xs, [v[t] for v in x_leaves])
        x = tree.map_structure(Tensor, x) if x is not None else None
        carry, y = f(carry, x)
        outputs[t] = y
    if steps == 0 or outputs[0] is None:
        return carry, None
    leaves = [tree.flatten(y) for y in outputs]
    stacked = [
        Tensor(np.stack([np.asarray(step[k]) for step in leaves]))
        for k in range(len(leaves[0]))
    ]
    return carry, tree.pack_sequence_as(outputs[0], stacked)


def _traced_scan(
    graph: Graph,
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any,
    init_leaves: list[Any],
    x_leaves: list[Any],
    length: int | None,
    reverse: bool,
) -> tuple[Any, Any]:
    from kgraph.ops import sources

    body = Graph(name="scan_body")
    inits = [_in_graph(graph, c) for c in init_leaves]
    sequences = [_in_graph(graph, x) for x in x_leaves]
    carries = [
        sources.placeholder(body, f"carry_{i}", c.shape, c.dtype)
        for i, c in enumerate(inits)
    ]
    steps = [
        sources.placeholder(body, f"x_{j}", x.shape[1:], x.dtype)
        for j, x in enumerate(sequences)
    ]
    with builder.body_scope(builder.BodyScope(body, graph)) as scope:
        carry_in = tree.pack_sequence_as(init, carries)
        x_in = None if xs is None else tree.pack_sequence_as(xs, steps)
        new_carry, y = f(carry_in, x_in)
        new_leaves = tree.flatten(new_carry)
        if len(new_leaves) != len(carries):
            raise ValueError(
                f"scan: the step returns a carry of {len(new_leaves)} tensors for "
                f"an initial carry of {len(carries)}. Received: {new_carry!r}"
            )
        y_leaves = [] if y is None else tree.flatten(y)
        for i, (old, new) in enumerate(zip(carries, new_leaves, strict=True)):
            new = _body_value(body, new, old.dtype)
            body.set_output(f"carry_{i}", new.node_id)
        for j, leaf in enumerate(y_leaves):
            body.set_output(f"y_{j}", _body_value(body, leaf, None).node_id)
    operands = [*inits, *sequences, *scope.captured]
    attrs = {
        "body": body,
        "num_carries": len(inits),
        "num_xs": len(sequences),
        "reverse": bool(reverse),
        "length": length,
    }
    results = [
        builder.apply("scan", operands, {**attrs, "result": index})
        for index in range(len(inits) + len(y_leaves))
    ]
    final = tree.pack_sequence_as(init, results[: len(inits)])
    stacked = None if y is None else tree.pack_sequence_as(y, results[len(inits) :])
    return final, stacked


def _in_graph(graph: Graph, value: Any) -> SymbolicTensor:
    return SymbolicTensor(graph, builder.node_of(graph, value))


def _body_value(body: Graph, value: Any, dtype: str | None) -> SymbolicTensor:
    from kgraph.ops import elementwise

    tensor = SymbolicTensor(body, builder.node_of(body, value))
    if dtype is not None and tensor.dtype != dtype:
        tensor = elementwise.cast(tensor, dtype)
    return tensor


__all__ = ["body_interface", "inline", "retype", "run_loop", "scan"]

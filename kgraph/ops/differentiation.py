"""Differentiation as Keras offers it to users: ``custom_gradient`` (a
function whose gradient is the user's rule) and ``jvp`` (forward-mode
Jacobian-vector products).

**custom_gradient.** Called on the tensors of a graph being traced (a
layer's call, a model), the decorated function runs as usual, so its
forward ops join the graph; its result then passes through the
``custom_gradient`` op: ``custom_gradient(stop_gradient(y), x_1..x_n,
r_1..r_m)`` is ``y``, and its gradient rule gives ``x_i`` the user's
``grad_fn`` applied to the cotangent of ``y`` (and ``y``'s own operand, cut
by ``stop_gradient``, the cotangent unchanged). ``grad_fn`` is traced once,
when the function is called, into the op's ``backward`` graph: its input
``x_0`` is the cotangent, ``const_j`` stand for the tensors of the
enclosing graph it reads (the residuals ``r_j``, as a ``scan`` body captures
them), its outputs ``y_i`` are the cotangents of ``x_i``. ``autodiff``
inlines that graph where the cotangent is known; after it,
``remove_identities`` bypasses the op (it is ``y``, a view).

**jvp.** Forward mode from reverse mode: ``fun`` is traced into a graph on
placeholders for the primals, and the VJP ``g(u) = J^T u`` of its outputs,
linear in the cotangent ``u``, is differentiated again with respect to
``u``: the VJP of ``g`` with cotangent ``t`` is ``J t``. The graph then runs
on the NumPy evaluator.
"""

from __future__ import annotations

import functools
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
from kgraph.ops import composite
from kgraph.ops import control
from kgraph.ops import elementwise as ew
from kgraph.ops import evaluate
from kgraph.ops import history
from kgraph.ops import registry
from kgraph.ops import sources
from kgraph.ops import vjp as vjp_module
from kgraph.ops.shaping import as_tensor
from kgraph.ops.tensor import KerasTensor
from kgraph.ops.tensor import SymbolicTensor
from kgraph.ops.tensor import Tensor
from kgraph.ops.tensor import Variable

# -- the custom_gradient op ----------------------------------------------------


def _infer(types: Sequence[TensorType], attrs: Mapping[str, Any]) -> TensorType:
    _, upstream, residuals, grads = control.body_interface(attrs["backward"])
    count = attrs["num_inputs"]
    if upstream != 1 or grads != count or len(types) != 1 + count + residuals:
        raise errors.GraphError(
            "custom_gradient: the operands are the value, the inputs and the "
            "residuals, and the backward graph takes x_0 (the cotangent) and one "
            "const_j per residual and gives one y_i per input. Received: "
            f"{len(types)} operands, num_inputs={count}, a backward graph with "
            f"{upstream} x, {residuals} const and {grads} y"
        )
    return types[0]


def _reference(arrays: Sequence[np.ndarray], attrs: Mapping[str, Any]) -> np.ndarray:
    return arrays[0]


def _grad(
    inputs: Sequence[SymbolicTensor],
    output: SymbolicTensor,
    cotangent: SymbolicTensor,
    attrs: Mapping[str, Any],
) -> list[Any]:
    count = attrs["num_inputs"]
    residuals = list(inputs[1 + count :])
    types = [cotangent.type, *(r.type for r in residuals)]
    backward = control.retype(attrs["backward"], types)
    feeds = {"x_0": cotangent} | {f"const_{j}": r for j, r in enumerate(residuals)}
    values = control.inline(cotangent.graph, backward, feeds)
    grads = [values[f"y_{i}"] for i in range(count)]
    return [cotangent, *grads, *([None] * len(residuals))]


def _example(draw: Any) -> registry.Example:
    # The rule is exact here: the op is its first operand, so the other
    # operands' cotangent is zero, which this backward graph computes from
    # the cotangent and the residual (u * r - u * r).
    shape = draw.shape(max_rank=2)
    backward = Graph(name="custom_gradient_backward")
    upstream = sources.placeholder(backward, "x_0", shape, "float32")
    residual = sources.placeholder(backward, "const_0", shape, "float32")
    product = ew.multiply(upstream, residual)
    backward.set_output("y_0", ew.subtract(product, product).node_id)
    float_input = (shape, "float", "real")
    return registry.Example(
        [float_input, float_input, float_input],
        {"backward": backward, "num_inputs": 1},
    )


def _as_backward(value: Any) -> Graph:
    if not isinstance(value, Graph):
        raise ValueError("expected a Graph.")
    control.body_interface(value)
    return value


def _as_count(value: Any) -> int:
    count = registry.as_int(value)
    if count < 0:
        raise ValueError("expected a non-negative number of inputs.")
    return count


registry.register(
    registry.OpDef(
        name="custom_gradient",
        kind=registry.SHAPE,
        arity=None,
        infer=_infer,
        reference=_reference,
        grad=_grad,
        example=_example,
        doc="Its first operand, with a user-given gradient for the other inputs.",
        attrs={
            "backward": registry.Attr(_as_backward),
            "num_inputs": registry.Attr(_as_count),
        },
        view=True,
    )
)


# -- the public decorator ------------------------------------------------------


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorates a function to give it a gradient of its own, as
    ``keras.ops.custom_gradient``.

    ``f(*args)`` returns ``(y, grad_fn)``: ``y`` the result, and
    ``grad_fn(upstream)`` (or ``grad_fn(*args, upstream=None)``, Keras's
    documented form, which gets ``upstream`` positionally) the gradient:
    given the cotangent of ``y`` (of ``y``'s structure), it returns the
    cotangent of each positional argument of ``f`` (one tensor for a single
    argument, else a sequence; ``None`` for an argument with no gradient).
    The decorated function returns ``y``. Eagerly that is all; inside a
    layer's call or a model, training differentiates ``y`` with
    ``grad_fn`` instead of through ``f``'s operations: ``grad_fn`` is traced
    once per call, and the tensors it reads from ``f`` (``x``, an
    intermediate result) are kept for it. Tensors and variables ``f`` reads
    without taking them as arguments get no gradient through ``y``.

    Args:
        f: the function, ``f(*args) -> (y, grad_fn)``.

    Returns:
        The decorated function, returning ``y``.

    Raises:
        ValueError: when ``f`` does not return a pair, or ``grad_fn`` returns
            another number of gradients than ``f`` has positional arguments.

    Example:

    >>> import numpy as np
    >>> @custom_gradient
    ... def clip_gradient(x):
    ...     def grad(upstream):
    ...         return composite.clip(upstream, -0.1, 0.1)
    ...     return x, grad
    >>> np.asarray(clip_gradient(np.array([1.0, 2.0], "float32")))
    array([1., 2.], dtype=float32)
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        leaves = tree.flatten([list(args), kwargs])
        if history.any_keras(leaves):
            return history.record_function(wrapper, args, kwargs)
        graph = builder.find_graph(leaves)
        result = f(*args, **kwargs)
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise ValueError(
                f"custom_gradient: {_name(f)} must return a pair (y, grad_fn). "
                f"Received: {result!r}"
            )
        y, grad_fn = result
        if graph is None:
            return y
        return _attach(graph, f, args, y, grad_fn)

    return wrapper


def _name(f: Any) -> str:
    return getattr(f, "__name__", repr(f))


def _attach(
    graph: Graph, f: Any, args: Sequence[Any], y: Any, grad_fn: Callable[..., Any]
) -> Any:
    """``y`` with every float leaf in ``graph`` passed through a
    ``custom_gradient`` node whose backward graph is ``grad_fn``'s."""
    leaves = tree.flatten(y)
    marked = list(leaves)
    for k, leaf in enumerate(leaves):
        if not isinstance(leaf, SymbolicTensor) or leaf.graph is not graph:
            continue
        if not dtypes.is_float(leaf.dtype):
            continue
        marked[k] = _mark(graph, f, args, y, leaves, k, grad_fn)
    return tree.pack_sequence_as(y, marked)


def _mark(
    graph: Graph,
    f: Any,
    args: Sequence[Any],
    y: Any,
    leaves: list[Any],
    k: int,
    grad_fn: Callable[..., Any],
) -> SymbolicTensor:
    """The ``custom_gradient`` node for output leaf ``k``: ``grad_fn`` is
    traced with the cotangent of that leaf and zeros for the others (it is
    linear in the cotangent, so the nodes of all leaves add up to it)."""
    leaf = leaves[k]
    backward = Graph(name=f"{_name(f)}_grad")
    upstream = sources.placeholder(backward, "x_0", leaf.shape, leaf.dtype)
    with builder.body_scope(builder.BodyScope(backward, graph)) as scope:
        parts = [
            upstream if j == k else _zeros_of(other) for j, other in enumerate(leaves)
        ]
        grads = _per_argument(f, grad_fn(tree.pack_sequence_as(y, parts)), len(args))
        inputs = []
        for index, (arg, grad) in enumerate(zip(args, grads, strict=True)):
            target = _differentiable(graph, arg)
            if target is None or grad is None:
                continue
            value = SymbolicTensor(backward, builder.node_of(backward, grad))
            if value.dtype != target.dtype:
                value = ew.cast(value, target.dtype)
            backward.set_output(f"y_{len(inputs)}", value.node_id)
            inputs.append((index, target))
    operands = [
        ew.stop_gradient(leaf),
        *(target for _, target in inputs),
        *scope.captured,
    ]
    attrs = {"backward": backward, "num_inputs": len(inputs)}
    return builder.apply("custom_gradient", operands, attrs)


def _zeros_of(value: Any) -> Any:
    return composite.zeros_like(value) if value is not None else None


def _differentiable(graph: Graph, arg: Any) -> SymbolicTensor | None:
    """The graph tensor of a positional argument that can have a gradient."""
    if not isinstance(arg, SymbolicTensor | Variable):
        return None
    tensor = SymbolicTensor(graph, builder.node_of(graph, arg))
    return tensor if dtypes.is_float(tensor.dtype) else None


def _per_argument(f: Any, grads: Any, count: int) -> list[Any]:
    """``grad_fn``'s result as one entry per positional argument."""
    if count == 1:
        single = isinstance(grads, tuple | list) and len(grads) == 1
        return [grads[0]] if single else [grads]
    if not isinstance(grads, tuple | list) or len(grads) != count:
        raise ValueError(
            f"custom_gradient: the gradient function of {_name(f)} must return "
            f"one gradient per positional argument ({count}). Received: {grads!r}"
        )
    return list(grads)


# -- jvp -------------------------------------------------------------------------


def jvp(
    fun: Callable[..., Any], primals: Any, tangents: Any, has_aux: bool = False
) -> tuple[Any, ...]:
    """Computes a Jacobian-vector product (forward mode), as
    ``keras.ops.jvp``.

    Evaluates ``fun(*primals)`` and the derivative of its outputs in the
    direction ``tangents``: ``J(primals) @ tangents``. Computed eagerly, by
    tracing ``fun`` into a graph and transposing its vector-Jacobian product
    (see the module's doc). Integer primals and outputs have no tangent
    (zeros come out for integer outputs).

    Args:
        fun: a function of tensors returning a tensor or a structure of them
            (with ``has_aux``, a pair ``(output, aux)``).
        primals: the arguments of ``fun``, a tuple or list.
        tangents: one tangent per primal, of the same structure and shapes.
        has_aux: whether ``fun`` returns ``(output, aux)``; ``aux`` is
            returned as computed, not differentiated.

    Returns:
        ``(outputs, tangent_outputs)``, or ``(outputs, tangent_outputs,
        aux)`` with ``has_aux``; eager tensors in ``fun``'s structures.

    Raises:
        ValueError: when primals and tangents differ in structure or shape,
            or when called on symbolic tensors.

    Example:

    >>> import numpy as np
    >>> out, tangent = jvp(lambda x: x * x, (np.array([3.0], "float32"),),
    ...                    (np.array([1.0], "float32"),))
    >>> out.numpy(), tangent.numpy()
    (array([9.], dtype=float32), array([6.], dtype=float32))
    """
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise ValueError(
            "jvp: `primals` and `tangents` must be tuples or lists of the "
            f"arguments of `fun`. Received: primals={type(primals).__name__}, "
            f"tangents={type(tangents).__name__}"
        )
    primal_leaves = [_eager_array("primals", p) for p in tree.flatten(primals)]
    tangent_leaves = [_eager_array("tangents", t) for t in tree.flatten(tangents)]
    _check_tangents(primal_leaves, tangent_leaves)
    graph = Graph(name="jvp")
    holders = [
        sources.placeholder(graph, f"primal_{i}", p.shape, dtypes.canonical(p.dtype))
        for i, p in enumerate(primal_leaves)
    ]
    result = fun(*tree.pack_sequence_as(list(primals), holders))
    output, aux = result if has_aux else (result, None)
    out_leaves = tree.flatten(output)
    feeds = {f"primal_{i}": p for i, p in enumerate(primal_leaves)}
    tangent_out = _forward_tangents(graph, holders, tangent_leaves, out_leaves, feeds)
    aux_leaves = tree.flatten(aux) if has_aux else []
    values = _run(graph, [*out_leaves, *tangent_out, *aux_leaves], feeds)
    count = len(out_leaves)
    outputs = tree.pack_sequence_as(output, values[:count])
    tangents_out = tree.pack_sequence_as(output, values[count : 2 * count])
    if has_aux:
        return outputs, tangents_out, tree.pack_sequence_as(aux, values[2 * count :])
    return outputs, tangents_out


def _eager_array(what: str, value: Any) -> np.ndarray:
    if isinstance(value, KerasTensor | SymbolicTensor):
        raise ValueError(
            f"jvp: runs eagerly, on arrays and eager tensors; `{what}` holds a "
            f"symbolic tensor. Received: {value!r}"
        )
    return builder.to_array(value)


def _check_tangents(primals: list[np.ndarray], tangents: list[np.ndarray]) -> None:
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: `tangents` must match `primals` one to one. Received: "
            f"{len(primals)} primals and {len(tangents)} tangents"
        )
    for i, (p, t) in enumerate(zip(primals, tangents, strict=True)):
        if p.shape != t.shape:
            raise ValueError(
                f"jvp: tangent {i} must have its primal's shape {p.shape}. "
                f"Received: shape={t.shape}"
            )


def _forward_tangents(
    graph: Graph,
    holders: list[SymbolicTensor],
    tangents: list[np.ndarray],
    outputs: list[Any],
    feeds: dict[str, Any],
) -> list[Any]:
    """Adds ``J @ tangents`` for each output leaf; feeds the cotangent and
    tangent placeholders it makes."""
    wrt = [i for i, h in enumerate(holders) if dtypes.is_float(h.dtype)]
    flowing = [
        (k, leaf)
        for k, leaf in enumerate(outputs)
        if isinstance(leaf, SymbolicTensor)
        and leaf.graph is graph
        and dtypes.is_float(leaf.dtype)
    ]
    cotangents = []
    for k, leaf in flowing:
        name = f"cotangent_{k}"
        cotangents.append(sources.placeholder(graph, name, leaf.shape, leaf.dtype))
        feeds[name] = np.zeros(leaf.shape, dtypes.to_numpy(leaf.dtype))
    pulled = vjp_module.vjp(
        graph,
        [leaf.node_id for _, leaf in flowing],
        cotangents,
        [holders[i].node_id for i in wrt],
    )
    targets, directions = [], []
    for index, grad in zip(wrt, pulled, strict=True):
        if grad is None:
            continue
        holder = holders[index]
        name = f"tangent_{index}"
        directions.append(sources.placeholder(graph, name, holder.shape, holder.dtype))
        feeds[name] = tangents[index].astype(dtypes.to_numpy(holder.dtype))
        targets.append(grad.node_id)
    pushed = vjp_module.vjp(graph, targets, directions, [c.node_id for c in cotangents])
    result: list[Any] = [_zeros_of(as_tensor(leaf)) for leaf in outputs]
    for (k, _), tangent in zip(flowing, pushed, strict=True):
        if tangent is not None:
            result[k] = tangent
    return result


def _run(graph: Graph, values: list[Any], feeds: dict[str, Any]) -> list[Tensor]:
    """Evaluates graph tensors (others pass through as eager tensors)."""
    names = []
    for i, value in enumerate(values):
        if isinstance(value, SymbolicTensor) and value.graph is graph:
            graph.set_output(f"value_{i}", value.node_id)
            names.append(f"value_{i}")
    for name, variable in graph.bindings.items():
        feeds[name] = np.asarray(variable)
    computed = evaluate.run(graph, feeds, names)
    return [
        Tensor(computed[f"value_{i}"]) if f"value_{i}" in computed else as_tensor(v)
        for i, v in enumerate(values)
    ]


__all__ = ["custom_gradient", "jvp"]

"""``fused``: the one structural op, a node that computes a small elementwise
graph in one loop (the fusion pass makes them; users never do).

Its ``body`` attribute lists entries ``(op, refs, attrs)`` computed in order;
a ref ``r >= 0`` is the fused node's operand ``r`` and ``r < 0`` the result
of entry ``-r - 1``; the last entry is the node's value. The first entry may
be a ``matmul`` or a ``conv`` (then the rest is its epilogue, applied as the
product's tiles are stored), and the last a ``sum`` or ``max`` over leading
axes (then the entries before it are computed as the rows are folded, so
their values never go through memory: ``sum((x - mean) ** 2)``); every other
entry is elementwise. Attributes are stored as ``((key, value), ...)``
pairs so the body stays hashable and serializable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ir.types import broadcast_shapes
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.reduce import fold
from kgraph.ops.reduce import normalize_axes

Entry = tuple[str, tuple[int, ...], tuple[tuple[str, Any], ...]]


def _as_body(value: Any) -> tuple[Entry, ...]:
    body = []
    for entry in value:
        op, refs, attrs = entry
        registry.get(op)
        body.append(
            (str(op), tuple(int(r) for r in refs), tuple((str(k), v) for k, v in attrs))
        )
    if not body:
        raise ValueError("a fused body needs at least one entry.")
    return tuple(body)


def _walk(body: Sequence[Entry], leaves: Sequence[Any], step: Any) -> Any:
    """Evaluates the body in order: ``step(opdef, values, attrs)`` per entry."""
    results: list[Any] = []
    for op, refs, attrs in body:
        values = [leaves[r] if r >= 0 else results[-r - 1] for r in refs]
        results.append(step(registry.get(op), values, dict(attrs)))
    return results[-1]


def _fused_infer(types: Any, attrs: Any) -> TensorType:
    def step(opdef: registry.OpDef, values: list, entry_attrs: dict) -> TensorType:
        if opdef.kind not in (
            registry.ELEMENTWISE,
            registry.MATMUL,
            registry.REDUCE,
            registry.CONV,
        ):
            raise errors.GraphError(f"fused: cannot hold {opdef.name}.")
        return opdef.infer(values, opdef.check_attrs(entry_attrs))

    return _walk(attrs["body"], types, step)


def _fused_reference(arrays: Any, attrs: Any) -> np.ndarray:
    def step(opdef: registry.OpDef, values: list, entry_attrs: dict) -> np.ndarray:
        checked = opdef.check_attrs(entry_attrs)
        out_type = opdef.infer([TensorType.of(v) for v in values], checked)
        with np.errstate(all="ignore"):
            result = np.asarray(opdef.reference(values, checked))
        return result.astype(out_type.dtype, copy=False)

    return _walk(attrs["body"], arrays, step)


def scalar_body(
    em: Any,
    body: Sequence[Entry],
    leaves: Sequence[Any],
    leaf_dtypes: Sequence[str],
    skip_first: bool = False,
) -> Any:
    """Composes the scalar (or vector) lowerings of elementwise entries.

    Args:
        em: the emitter.
        body: the entries.
        leaves: register values of the fused node's operands (for a body
            whose first entry is skipped, ``leaves[-1]`` is that entry's
            value, passed as ref ``-1``).
        leaf_dtypes: their dtypes.
        skip_first: the first entry (a matmul or reduction) is computed by
            the caller; its value is the last leaf.

    Returns:
        The body's value.
    """
    results: list[Any] = []
    dtypes: list[str] = []
    entries = list(body)
    if skip_first:
        results.append(leaves[-1])
        dtypes.append(leaf_dtypes[-1])
        entries = entries[1:]
    for op, refs, attrs in entries:
        opdef = registry.get(op)
        values = [leaves[r] if r >= 0 else results[-r - 1] for r in refs]
        in_dtypes = [leaf_dtypes[r] if r >= 0 else dtypes[-r - 1] for r in refs]
        checked = opdef.check_attrs(dict(attrs))
        out_dtype = opdef.infer([TensorType((), d) for d in in_dtypes], checked).dtype
        results.append(opdef.lower(em, values, in_dtypes, out_dtype, checked))
        dtypes.append(out_dtype)
    return results[-1]


# Reductions a body may end with (over leading axes: see ``row_steps``).
REDUCTIONS = ("sum", "max")


def leading_count(axes: Sequence[int], rank: int) -> int | None:
    """How many leading axes ``axes`` are, when they are exactly the
    leading ones and leave some axis; ``None`` otherwise."""
    count = len(axes)
    if 0 < count < rank and sorted(axes) == list(range(count)):
        return count
    return None


def row_steps(
    operand: Sequence[int], shape: Sequence[int], count: int
) -> tuple[int, int] | None:
    """An operand of a body folded over the ``count`` leading axes of
    ``shape``, read as a ``rows x width`` matrix: its steps per row and per
    column (each 0, or the contiguous one), or ``None`` when it cannot be
    read that way (broadcast along some of the leading axes only)."""
    steps = lowering.broadcast_steps(operand, shape)
    width = math.prod(shape[count:])

    def step(part: range, scale: int) -> int | None:
        used = [(steps[a], shape[a]) for a in part if shape[a] > 1]
        if all(s == 0 for s, _ in used):
            return 0
        contiguous = lowering.strides([n for _, n in used])
        return (
            scale if [s for s, _ in used] == [scale * c for c in contiguous] else None
        )

    row = step(range(count), width)
    column = step(range(count, len(shape)), 1)
    return None if row is None or column is None else (row, column)


def _lower_reduce_tail(em: Any, body: Any, inputs: Any, output: Any) -> None:
    """A body ending with a leading-axis reduction: the entries before it
    computed for each element as the rows are folded."""
    op, _, pairs = body[-1]
    prologue = body[:-1]
    used = sorted({r for _, refs, _ in prologue for r in refs if r >= 0})
    shape = [int(d) for d in broadcast_shapes(*(inputs[r].shape for r in used))]
    axis = dict(pairs)["axis"]
    count = leading_count(normalize_axes(op, axis, len(shape)), len(shape))
    views = {r: row_steps(inputs[r].shape, shape, count or 0) for r in used}
    if count is None or any(v is None for v in views.values()):
        raise errors.CompileError(
            f"fused: a {op} over {axis} of {tuple(shape)} cannot fold its body "
            "row by row. Received: operands of shapes "
            f"{[inputs[r].shape for r in used]}"
        )
    width = math.prod(shape[count:])
    dtypes = [b.dtype for b in inputs]
    builder = em.builder

    def element(row: Any, column: Any, count: int | None) -> Any:
        leaves: list[Any] = [None] * len(inputs)
        for r in used:
            row_step, column_step = views[r]
            index = builder.add(
                builder.mul(row, em.index(row_step)),
                builder.mul(column, em.index(column_step)),
            )
            if column_step:
                leaves[r] = lowering.load_lanes(em, inputs[r], index, count)
            else:
                leaves[r] = lowering.splat(em, em.load(inputs[r], index), count)
        return scalar_body(em, prologue, leaves, dtypes)

    rows = math.prod(shape[:count])
    initial, combine = fold(em, op, output.dtype)
    lowering.fold_rows(em, rows, width, output, initial, combine, element)


def _lower_fused(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    body = attrs["body"]
    first = registry.get(body[0][0])
    if len(body) > 1 and body[-1][0] in REDUCTIONS:
        _lower_reduce_tail(em, body, inputs, output)
        return
    if first.name == "conv":
        _lower_conv_head(em, body, inputs, output)
        return
    if first.kind != registry.ELEMENTWISE:
        raise errors.CompileError(
            f"fused: a {first.name} body needs the backend's kernel generator. "
            f"Received: body starting with {first.name}"
        )
    dtypes = [b.dtype for b in inputs]
    lowering.elementwise(
        em, inputs, output, lambda values: scalar_body(em, body, values, dtypes)
    )


def _lower_conv_head(em: Any, body: Any, inputs: Any, output: Any) -> None:
    """A body starting with a ``conv``, on the op's own loops: the
    convolution into the output, then the rest in place, over the same
    output positions (a shared kernel's threads each finish theirs)."""
    op, refs, pairs = body[0]
    conv = registry.get(op)
    assert conv.lower is not None  # every op lowers (registry test)
    conv.lower(em, [inputs[r] for r in refs], output, conv.check_attrs(dict(pairs)))
    shape = output.shape
    channels = shape[-1]
    dtypes = [b.dtype for b in inputs] + [output.dtype]
    # The operands of the entries after the convolution (its own are not
    # read here, and need not have the output's shape).
    used = sorted({r for _, refs_, _ in body[1:] for r in refs_ if r >= 0})
    steps = {r: lowering.broadcast_steps(inputs[r].shape, shape) for r in used}
    out_steps = lowering.strides(shape)
    start, stop = em.share(output.size // max(channels, 1))
    with em.loop(stop, "o", start) as row:
        outer = em.unflatten(row, shape[1:-1])
        with em.loop(channels, "c") as channel:
            index = [*outer, channel]
            leaves: list[Any] = [None] * len(inputs)
            for r in used:
                leaves[r] = em.load(inputs[r], em.flat_index(index, steps[r]))
            flat = em.flat_index(index, out_steps)
            leaves.append(em.load(output, flat))
            value = scalar_body(em, body, leaves, dtypes, skip_first=True)
            em.store(output, flat, value)


def _fused_example(draw: Any) -> registry.Example:
    first, second = draw.broadcastable(2)
    unary = draw.choice(["exp", "tanh", "negative", "sqrt", "abs"])
    binary = draw.choice(["add", "multiply", "subtract", "maximum"])
    body = (
        (binary, (0, 1), ()),
        ("abs", (-1,), ()),
        (unary, (-2,), ()),
        ("multiply", (-3, 0), ()),
    )
    return registry.Example(
        [(first, "float", "real"), (second, "float", "real")], {"body": body}
    )


registry.register(
    registry.OpDef(
        name="fused",
        kind=registry.FUSED,
        arity=None,
        infer=_fused_infer,
        reference=_fused_reference,
        grad=None,
        example=_fused_example,
        doc="Several elementwise ops (after a matmul or a reduction) in one loop.",
        attrs={"body": registry.Attr(_as_body)},
        differentiable=False,
        lower=_lower_fused,
    )
)


def fused(inputs: Sequence[Any], body: Sequence[Entry]) -> Any:
    """Applies a fused body to operands (the fusion pass's building block)."""
    from kgraph.ops.builder import apply

    return apply("fused", list(inputs), {"body": tuple(body)})

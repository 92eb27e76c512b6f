"""Batched matmul on the GEMM generator, with a fused elementwise epilogue.

A ``matmul`` node, or a ``fused`` node whose body starts with one, becomes a
loop over the broadcast batch axes around ``emit_gemm``. The epilogue (the
rest of the fused body: bias, activation, optimizer arithmetic...) runs on
each vector of results before it is stored: its other operands are loaded
at the same (batch, row, columns), as vectors where their columns are
contiguous, splatted where they are broadcast.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llvmlite import ir

from kgraph.backends.llvm.kernels.gemm import Epilogue
from kgraph.backends.llvm.kernels.gemm import choose_plan
from kgraph.backends.llvm.kernels.gemm import emit_gemm
from kgraph.backends.llvm.kernels.gemm import panel_count
from kgraph.ops import lowering
from kgraph.ops.fused import scalar_body
from kgraph.ops.lowering import I32
from kgraph.ops.lowering import Buffer
from kgraph.ops.lowering import Emitter


@dataclass
class Tail:
    """Pointwise values computed from each vector of results and stored by
    the epilogue, in place of the product (a product group).

    Args:
        inputs: their operands other than the product, broadcast to its shape.
        outputs: one buffer of the product's shape per value.
        body: ``(product, operand values) -> values``, in register form.
    """

    inputs: Sequence[Buffer]
    outputs: Sequence[Buffer]
    body: Callable[[ir.Value, list[ir.Value]], list[ir.Value]]


def supported(dtype: str) -> bool:
    """Whether the GEMM generator handles this dtype (floats)."""
    return lowering.is_float(dtype)


def emit_matmul(
    em: Emitter,
    a: Buffer,
    b: Buffer,
    output: Buffer,
    attrs: Mapping[str, Any],
    epilogue_body: tuple | None = None,
    epilogue_inputs: Sequence[Buffer] = (),
    tail: Tail | None = None,
) -> None:
    """Emits ``output = epilogue(op(a) @ op(b))`` over the batch axes.

    Args:
        em: the emitter.
        a, b: the matmul operands.
        output: the output buffer.
        attrs: the matmul's attributes (transpose flags).
        epilogue_body: a fused body whose first entry is this matmul, or
            ``None`` for a plain product.
        epilogue_inputs: the fused node's operands (the body's refs >= 0).
        tail: values computed from the epilogue's result and stored instead
            of it (``output`` then holds only the k blocks' partial sums).
    """
    transpose_a, transpose_b = attrs["transpose_a"], attrs["transpose_b"]
    m, n = output.shape[-2], output.shape[-1]
    k = a.shape[-2] if transpose_a else a.shape[-1]
    batch = output.shape[:-2]
    a_steps = lowering.broadcast_steps(a.shape[:-2], batch)
    b_steps = lowering.broadcast_steps(b.shape[:-2], batch)
    out_steps = lowering.strides(batch)
    builder = em.builder
    element = lowering.memory_type(output.dtype)
    with em.loops(batch, "batch") as outer:

        def at(buffer: Buffer, steps: list[int], size: int) -> ir.Value:
            offset = builder.mul(em.flat_index(outer, steps), em.index(size))
            return builder.gep(buffer.ptr, [offset], source_etype=element)

        epilogue = None
        if epilogue_body is not None:
            epilogue = body_epilogue(em, epilogue_body, epilogue_inputs, output, outer)
        if tail is not None:
            epilogue = _tail_epilogue(em, tail, epilogue, output, outer)
        rows = panels = None
        plan = choose_plan(m, n, k, transpose_a, transpose_b, output.dtype, stream=True)
        if em.split is not None:
            count = panel_count(plan, n)
            if not plan.dot and (count % 2 == 0 or count >= 8):
                # Threads take whole column panels when they divide evenly
                # (or are many): each packs only its own panels, and a
                # layer's weights stay with the same core from the forward
                # product to the update in the gradient's epilogue.
                panels = em.share(count)
            else:
                # Otherwise whole row blocks of the micro-kernel when there
                # are many; few rows (a batch of 32) are split evenly, in
                # fours.
                rows = em.share(m, plan.mr if m >= 8 * plan.mr else 4)
        emit_gemm(
            em,
            at(a, a_steps, m * k),
            at(b, b_steps, k * n),
            at(output, out_steps, m * n),
            m,
            n,
            k,
            transpose_a,
            transpose_b,
            output.dtype,
            rows=rows,
            panels=panels,
            epilogue=epilogue,
            # A product group's epilogue (an optimizer update, with its
            # square root and division) overlaps the next tile's FMAs.
            overlap=tail is not None,
            plan=plan,
        )


def body_epilogue(
    em: Emitter,
    body: tuple,
    inputs: Sequence[Buffer],
    output: Buffer,
    batch_indices: list[ir.Value],
) -> Epilogue:
    """The epilogue computing a fused body's entries after its first (a
    product) on each vector of results: the body's operands are loaded at
    the same (batch, row, columns) of the output's shape."""
    used = sorted({r for _, refs, _ in body[1:] for r in refs if r >= 0})
    dtypes = [buffer.dtype for buffer in inputs] + [output.dtype]
    out_shape = output.shape
    steps = {r: lowering.broadcast_steps(inputs[r].shape, out_shape) for r in used}

    def apply(values: ir.Value, row: ir.Value, col: ir.Value) -> ir.Value:
        count = lowering.lanes(values)
        leaves: list[ir.Value | None] = [None] * len(inputs)
        for r in used:
            leaves[r] = _load(em, inputs[r], steps[r], batch_indices, row, col, count)
        return scalar_body(em, body, [*leaves, values], dtypes, skip_first=True)

    return apply


def _tail_epilogue(
    em: Emitter,
    tail: Tail,
    first: Epilogue | None,
    output: Buffer,
    batch_indices: list[ir.Value],
) -> Epilogue:
    """An epilogue that stores the tail's values and nothing for the product."""
    out_shape = output.shape
    steps = [lowering.broadcast_steps(b.shape, out_shape) for b in tail.inputs]
    out_steps = lowering.strides(out_shape)
    builder = em.builder

    def apply(values: ir.Value, row: ir.Value, col: ir.Value) -> None:
        if first is not None:
            values = first(values, row, col)
        count = lowering.lanes(values)
        leaves = [
            _load(em, buffer, step, batch_indices, row, col, count)
            for buffer, step in zip(tail.inputs, steps, strict=True)
        ]
        where = builder.add(em.flat_index([*batch_indices, row], out_steps[:-1]), col)
        for buffer, value in zip(tail.outputs, tail.body(values, leaves), strict=True):
            if buffer.dtype == "bool":
                value = builder.zext(value, _widened(value, lowering.I8))
            builder.store(value, em.element_ptr(buffer, where), align=1)

    return apply


def _widened(value: ir.Value, element: ir.Type) -> ir.Type:
    """``element``, or a vector of it as wide as ``value``."""
    count = lowering.lanes(value)
    return element if count is None else ir.VectorType(element, count)


def _load(
    em: Emitter,
    buffer: Buffer,
    steps: list[int],
    batch_indices: list[ir.Value],
    row: ir.Value,
    col: ir.Value,
    count: int | None,
) -> ir.Value:
    """Loads an epilogue operand at (batch, row, col..col+count-1)."""
    builder = em.builder
    base = em.flat_index([*batch_indices, row], steps[:-1])
    column_step = steps[-1]
    if count is None or column_step == 0:
        index = (
            base
            if column_step == 0
            else builder.add(base, builder.mul(col, em.index(column_step)))
        )
        scalar = em.load(buffer, index)
        return scalar if count is None else lowering.splat(em, scalar, count)
    if column_step == 1:
        element = lowering.memory_type(buffer.dtype)
        pointer = em.element_ptr(buffer, builder.add(base, col))
        loaded = builder.load(pointer, typ=ir.VectorType(element, count), align=1)
        if buffer.dtype == "bool":
            zeros = ir.Constant(loaded.type, [ir.Constant(element, 0)] * count)
            return builder.icmp_unsigned("!=", loaded, zeros)
        return loaded
    lanes = [
        em.load(
            buffer,
            builder.add(
                base,
                builder.mul(builder.add(col, em.index(lane)), em.index(column_step)),
            ),
        )
        for lane in range(count)
    ]
    result = ir.Constant(ir.VectorType(lanes[0].type, count), ir.Undefined)
    for lane, value in enumerate(lanes):
        result = builder.insert_element(result, value, ir.Constant(I32, lane))
    return result

"""Convolutions on the GEMM generator: im2col into a stack buffer, then
``emit_gemm``.

A channels-last convolution is a matrix product once its input is unrolled
into *patches*: one row per output position (batch element and output
coordinates, in the output's row-major order), holding the window's input
elements in the kernel's order (window offsets row-major, then input
channels), zeros where the window hangs over the padding. The kernel
``(*window, in_channels, out_channels)`` is already that product's right
operand, a ``depth x out_channels`` matrix (``depth = prod(window) *
in_channels``), and the output ``(batch, *out_spatial, out_channels)`` its
``rows x out_channels`` result.

The patches of every output position would not fit on the stack (a batch of
64 28x28 images and a 3x3 window: 1.5 MB), so the rows go in blocks of at
most 64 KiB of patches (``_PATCH_BYTES``):

- ``conv``: for each block, copy its patches, then one GEMM writes the
  block's output rows: ``out[rows] = patches @ kernel (+ bias)``, the bias
  added in the GEMM's epilogue as the results are stored.
- ``conv_kernel_grad``: the same patches times the cotangent's rows, with
  the patches transposed (``transpose_a``), summed over the blocks:
  ``dw = sum of patches^T @ g[rows]``. The output starts at zero and each
  block's GEMM adds what it holds in its epilogue; a block is never longer
  than the GEMM's k block, so the epilogue sees the block's whole sum and
  the output still the previous blocks' total.

The gradient with respect to the input is a ``conv`` of the dilated, padded
cotangent (see ``ops/convolution.py``), so it takes the first path.
Both paths accumulate in another order than the direct loops of the ops'
own ``lower`` (the oracle): results agree within the float tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

from llvmlite import ir

from kgraph import errors
from kgraph.backends.llvm.kernels.gemm import Epilogue
from kgraph.backends.llvm.kernels.gemm import choose_plan
from kgraph.backends.llvm.kernels.gemm import emit_gemm
from kgraph.ir.graph import Node
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.convolution import input_position
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Buffer
from kgraph.ops.lowering import Emitter

# Bytes of patches a block copies (a stack buffer, next to the GEMM's own
# 64 KiB panel): large enough that a block's GEMM runs long, small enough to
# stay in L2.
_PATCH_BYTES = 64 * 1024
# A patch row longer than this (huge windows times channels) is left to the
# direct loops: even one row would crowd the stack.
_MAX_ROW_BYTES = 256 * 1024


@dataclass(frozen=True)
class Geometry:
    """The shapes and attributes of one convolution.

    Args:
        batch: the batch size.
        spatial: the input's spatial sizes.
        channels: the input channels.
        window: the kernel's spatial sizes.
        out_spatial: the output's spatial sizes.
        out_channels: the output channels.
        strides, padding, dilation: the convolution's attributes.
    """

    batch: int
    spatial: tuple[int, ...]
    channels: int
    window: tuple[int, ...]
    out_spatial: tuple[int, ...]
    out_channels: int
    strides: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]

    @property
    def rows(self) -> int:
        """Output positions: the rows of the patch matrix."""
        return self.batch * math.prod(self.out_spatial)

    @property
    def depth(self) -> int:
        """Elements of one patch: the product's inner dimension."""
        return math.prod(self.window) * self.channels


def _window(node: Node, inputs: Sequence[Buffer]) -> tuple[int, ...]:
    """The kernel's spatial sizes: from the kernel operand of a ``conv``,
    from the attributes of a ``conv_kernel_grad``."""
    if node.op == "conv":
        return tuple(inputs[1].shape[: len(node.attrs["strides"])])
    return tuple(node.attrs["kernel_size"])


def geometry(node: Node, inputs: Sequence[Buffer], output: Buffer) -> Geometry:
    """The geometry of a ``conv`` or ``conv_kernel_grad`` node."""
    x, other = inputs[:2]
    attrs = node.attrs
    # conv writes the output positions; conv_kernel_grad reads them (g).
    out_shape = output.shape if node.op == "conv" else other.shape
    return Geometry(
        batch=x.shape[0],
        spatial=x.shape[1:-1],
        channels=x.shape[-1],
        window=_window(node, inputs),
        out_spatial=out_shape[1:-1],
        out_channels=out_shape[-1],
        strides=tuple(attrs["strides"]),
        padding=tuple(tuple(pair) for pair in attrs["padding"]),
        dilation=tuple(attrs["dilation"]),
    )


def handles(node: Node, opdef: registry.OpDef, inputs: Sequence[Buffer]) -> bool:
    """Whether a node goes to these kernels: a float ``conv`` or
    ``conv_kernel_grad`` with static shapes whose patch rows fit on the
    stack (others keep the op's own loops, as grouped and depthwise
    convolutions do: their patches would meet one group's kernel columns
    only)."""
    if opdef.kind != registry.CONV or node.op not in _EMITTERS:
        return False
    if node.attrs.get("groups", 1) != 1:
        return False
    if not lowering.is_float(node.type.dtype) or not node.type.is_static:
        return False
    depth = math.prod(_window(node, inputs)) * inputs[0].shape[-1]
    return depth * lowering.itemsize(node.type.dtype) <= _MAX_ROW_BYTES


def emit(em: Emitter, node: Node, inputs: Sequence[Buffer], output: Buffer) -> None:
    """Emits a ``conv`` or ``conv_kernel_grad`` node's kernel (see the
    module docstring)."""
    _EMITTERS[node.op](em, geometry(node, inputs, output), inputs, output)


# -- the two products ----------------------------------------------------------


def _emit_conv(
    em: Emitter, geo: Geometry, inputs: Sequence[Buffer], output: Buffer
) -> None:
    x, w = inputs[:2]
    epilogue = _add_bias(em, inputs[2]) if len(inputs) == 3 else None
    dtype = output.dtype
    rows = _block_rows(geo, dtype)
    # Whole register tiles per block: the block's GEMM then needs no
    # remainder kernel (only the last, shorter block does).
    mr = choose_plan(rows, geo.out_channels, geo.depth, False, False, dtype).mr
    if rows > mr:
        rows -= rows % mr
    patches = _stack_buffer(em, dtype, rows * geo.depth)

    def block(row0: ir.Value, count: int) -> None:
        _emit_patches(em, x, geo, patches, row0, count)
        target = _offset(em, output, em.builder.mul(row0, em.index(geo.out_channels)))
        emit_gemm(
            em,
            patches.ptr,
            w.ptr,
            target,
            count,
            geo.out_channels,
            geo.depth,
            False,
            False,
            dtype,
            epilogue=epilogue,
        )

    _blocks(em, geo.rows, rows, block)


def _emit_kernel_grad(
    em: Emitter, geo: Geometry, inputs: Sequence[Buffer], output: Buffer
) -> None:
    x, g = inputs
    dtype = output.dtype
    rows = _block_rows(geo, dtype)
    plan = choose_plan(geo.depth, geo.out_channels, rows, True, False, dtype)
    if plan.pack_b:
        # One k block per GEMM (see the module docstring).
        rows = min(rows, plan.kc)
    patches = _stack_buffer(em, dtype, rows * geo.depth)
    with em.loop(output.size, "z") as index:
        em.store(output, index, em.const(0, dtype))
    accumulate = _accumulate(em, output, geo.out_channels)

    def block(row0: ir.Value, count: int) -> None:
        _check_one_k_block(geo, count, dtype)
        _emit_patches(em, x, geo, patches, row0, count)
        source = _offset(em, g, em.builder.mul(row0, em.index(geo.out_channels)))
        emit_gemm(
            em,
            patches.ptr,
            source,
            output.ptr,
            geo.depth,
            geo.out_channels,
            count,
            True,
            False,
            dtype,
            epilogue=accumulate,
        )

    _blocks(em, geo.rows, rows, block)


_EMITTERS: dict[str, Callable[..., None]] = {
    "conv": _emit_conv,
    "conv_kernel_grad": _emit_kernel_grad,
}


def _check_one_k_block(geo: Geometry, count: int, dtype: str) -> None:
    plan = choose_plan(geo.depth, geo.out_channels, count, True, False, dtype)
    if plan.pack_b and plan.kc < count:
        raise errors.CompileError(
            "conv_kernel_grad: a block spans several k blocks of its GEMM, so "
            "the accumulating epilogue would see partial sums. Received: "
            f"rows={count}, kc={plan.kc}"
        )


def _add_bias(em: Emitter, bias: Buffer) -> Epilogue:
    """An epilogue adding ``bias[col]`` to column ``col``."""
    builder = em.builder

    def apply(values: ir.Value, row: ir.Value, col: ir.Value) -> ir.Value:
        return builder.fadd(values, _load(em, bias, col, lowering.lanes(values)))

    return apply


def _load(em: Emitter, buffer: Buffer, index: ir.Value, count: int | None) -> ir.Value:
    """Element ``index``, or ``count`` elements from it as a vector."""
    element = lowering.memory_type(buffer.dtype)
    kind = element if count is None else ir.VectorType(element, count)
    pointer = em.element_ptr(buffer, index)
    align = lowering.itemsize(buffer.dtype)
    return em.builder.load(pointer, typ=kind, align=align)


def _accumulate(em: Emitter, output: Buffer, columns: int) -> Epilogue:
    """An epilogue adding what ``output`` holds at the same place."""
    builder = em.builder

    def apply(values: ir.Value, row: ir.Value, col: ir.Value) -> ir.Value:
        index = builder.add(builder.mul(row, em.index(columns)), col)
        return builder.fadd(values, _load(em, output, index, lowering.lanes(values)))

    return apply


# -- blocks and patches --------------------------------------------------------


def _block_rows(geo: Geometry, dtype: str) -> int:
    per_row = geo.depth * lowering.itemsize(dtype)
    return max(1, min(geo.rows, _PATCH_BYTES // max(per_row, 1)))


def _blocks(
    em: Emitter, total: int, rows: int, block: Callable[[ir.Value, int], None]
) -> None:
    """Calls ``block(first row, rows)`` for full blocks in a loop, then once
    for the shorter last block (its length is static too)."""
    full, rest = divmod(total, rows)
    if full:
        with em.loop(full, "block") as index:
            block(em.builder.mul(index, em.index(rows)), rows)
    if rest:
        block(em.index(full * rows), rest)


def _emit_patches(
    em: Emitter,
    x: Buffer,
    geo: Geometry,
    patches: Buffer,
    row0: ir.Value,
    count: int,
) -> None:
    """Copies the patches of rows ``row0 .. row0 + count - 1`` into
    ``patches`` (``count x depth``, row-major; zeros for padding)."""
    builder = em.builder
    x_steps = lowering.strides(x.shape)
    window_steps = [s * geo.channels for s in lowering.strides(geo.window)]
    zero = em.const(0, x.dtype)
    with em.loop(count, "row") as local:
        rest = builder.add(row0, local)
        outs: list[ir.Value] = []
        for size in reversed(geo.out_spatial):
            outs.insert(0, builder.urem(rest, em.index(size)))
            rest = builder.udiv(rest, em.index(size))
        batch = rest
        target_row = builder.mul(local, em.index(geo.depth))
        with em.loops(geo.window, "k") as offsets:
            coords, inside = input_position(
                em, outs, offsets, geo.spatial, geo.strides, geo.padding, geo.dilation
            )
            # Outside the input, read element 0 (always there) and store 0.
            source = em.flat_index([batch, *coords], x_steps[:-1])
            source = builder.select(inside, source, em.index(0))
            target = builder.add(target_row, em.flat_index(offsets, window_steps))
            with em.loop(geo.channels, "c") as channel:
                value = em.load(x, builder.add(source, channel))
                value = builder.select(inside, value, zero)
                em.store(patches, builder.add(target, channel), value)


def _offset(em: Emitter, buffer: Buffer, elements: ir.Value) -> ir.Value:
    """The address ``elements`` elements into a buffer."""
    return em.element_ptr(buffer, elements)


def _stack_buffer(em: Emitter, dtype: str, count: int) -> Buffer:
    """A 64-byte aligned stack buffer of ``count`` elements, of its own (the
    GEMM shares its scratch among the GEMMs of a function: patches must not
    be among them)."""
    builder = em.builder
    element = lowering.memory_type(dtype)
    with builder.goto_entry_block():
        slot = builder.alloca(ir.ArrayType(element, count))
        slot.align = 64
        # As in gemm._scratch: an explicit no-op cast gives the opaque
        # ``ptr`` that loads and stores expect.
        cast = ir.instructions.CastInstr(builder.block, "bitcast", slot, PTR)
        builder._insert(cast)
    return Buffer(cast, TensorType((count,), dtype))

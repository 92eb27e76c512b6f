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
most 64 KiB of patches (``_PATCH_BYTES``). A block keeps at least
``_MIN_ROWS`` rows when the kernel does not stay in L2, or each GEMM would
stream the whole kernel from memory for a handful of rows: such deep
patches (512 channels times a 3x3 window) are copied and multiplied in
chunks of depth, whose products the output sums.

- ``conv``: for each block, copy its patches, then one GEMM writes the
  block's output rows: ``out[rows] = patches @ kernel (+ bias)``, the bias
  added in the GEMM's epilogue as the results are stored.
  With chunks, the block's output rows start at zero, each chunk's GEMM
  adds what they hold, and the last one also applies the bias (and a fused
  body: ``body_epilogue``). Threads split the blocks.
- ``conv_kernel_grad``: the same patches times the cotangent's rows, with
  the patches transposed (``transpose_a``), summed over the blocks:
  ``dw = sum of patches^T @ g[rows]``. The output starts at zero and each
  block's GEMM adds what it holds in its epilogue; a block is never longer
  than the GEMM's k block, so the epilogue sees the block's whole sum and
  the output still the previous blocks' total. Threads split the depth
  positions (the output's rows); each copies only its columns of the
  patches, a chunk at a time.

A pointwise ``conv`` (1x1 window, unit strides, no padding) has its input's
rows as patches: the GEMM reads them in place. A float32 3x3 ``conv`` with
unit strides and enough output tiles takes the Winograd kernel instead
(``kernels/winograd.py``: ``emit`` chooses, ``workspace_bytes`` says what
it needs of the arena).

A ``conv`` whose kernel is a parameter the program never updates (predict,
evaluate) keeps it *prepared* (``kernels/prepared.py``): packed for its
full blocks' GEMM plan (``gemm.emit_pack``, threads sharing the panels),
once per weights; every block's products (a shorter last block's and each
chunk of depth's too) then take that plan and read the packed panels
(``gemm.PackedB``) instead of packing the kernel on every call, with the
same results bit for bit.

The gradient with respect to the input is a ``conv`` of the dilated, padded
cotangent (see ``ops/convolution.py``), so it takes the first path.
Both paths accumulate in another order than the direct loops of the ops'
own ``lower`` (the oracle): results agree within the float tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import replace

from llvmlite import ir

from kgraph import config
from kgraph import errors
from kgraph.backends.llvm.kernels import winograd
from kgraph.backends.llvm.kernels.gemm import Epilogue
from kgraph.backends.llvm.kernels.gemm import GemmPlan
from kgraph.backends.llvm.kernels.gemm import PackedB
from kgraph.backends.llvm.kernels.gemm import choose_plan
from kgraph.backends.llvm.kernels.gemm import emit_gemm
from kgraph.backends.llvm.kernels.gemm import emit_pack
from kgraph.backends.llvm.kernels.gemm import packed_elements
from kgraph.backends.llvm.kernels.gemm import panel_count
from kgraph.backends.llvm.kernels.geometry import Geometry
from kgraph.backends.llvm.kernels.matmul import body_epilogue as matmul_body_epilogue
from kgraph.backends.llvm.kernels.prepared import Prepared
from kgraph.backends.llvm.kernels.prepared import unless_ready
from kgraph.ir.graph import Node
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.convolution import input_position
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Buffer
from kgraph.ops.lowering import Emitter

# Bytes of patches a block copies (a stack buffer, next to the GEMM's own
# 64 KiB panel): large enough that a block's GEMM runs long, small enough to
# stay in L2.
_PATCH_BYTES = 64 * 1024
# A block has at least this many rows (when the output has them): fewer
# would make each GEMM stream the whole kernel for a handful of rows. Deep
# patches (many channels times a big window) then go in chunks of depth.
_MIN_ROWS = 96
# ... unless the kernel is small enough to stay in L2 between blocks.
_RESIDENT_KERNEL_BYTES = 256 * 1024
# Fewer blocks than this split each block's columns among the threads
# (unless there is one per thread: see _by_columns).
_MIN_SHARED_BLOCKS = 8
# Rows per thread from which deep blocks come in a multiple of the threads.
_MIN_THREAD_ROWS = 48
# Rows of a kernel gradient's block when its patches go in chunks (the
# GEMM's k: each pass over the chunk's output sums this many rows).
_KERNEL_GRAD_ROWS = 256


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
    ``conv_kernel_grad`` with static shapes (others keep the op's own
    loops, as grouped and depthwise convolutions do: their patches would
    meet one group's kernel columns only)."""
    if opdef.kind != registry.CONV or node.op not in _OPS:
        return False
    if node.attrs.get("groups", 1) != 1:
        return False
    return lowering.is_float(node.type.dtype) and node.type.is_static


def work(node: Node, inputs: Sequence[Buffer]) -> int:
    """Multiply-adds of a ``conv`` or ``conv_kernel_grad`` node: what
    decides whether its kernel is shared among threads."""
    x, other = inputs[:2]
    out_shape = node.type.dims if node.op == "conv" else other.shape
    group_in = x.shape[-1] // node.attrs.get("groups", 1)
    return math.prod(out_shape) * math.prod(_window(node, inputs)) * group_in


def emit(
    em: Emitter,
    node: Node,
    inputs: Sequence[Buffer],
    output: Buffer,
    epilogue: Epilogue | None = None,
    workspace: ir.Value | None = None,
    slots: int = 1,
    prepared: Prepared | None = None,
) -> None:
    """Emits a ``conv`` or ``conv_kernel_grad`` node's kernel (see the
    module docstring); a ``conv`` applies ``epilogue`` (``row`` being the
    output position) to its results before they are stored. A kernel with
    ``workspace_bytes`` takes ``workspace``: that many bytes for each of
    ``slots`` threads; one with ``prepared_bytes`` may keep what it derives
    from its kernel in ``prepared`` (then its workspace is
    ``workspace_bytes(..., prepared=True)``)."""
    geo = geometry(node, inputs, output)
    if node.op != "conv":
        _emit_kernel_grad(em, geo, inputs, output)
    elif winograd.applies(geo, output.dtype, prepared is not None):
        if workspace is None:
            raise ValueError(f"conv {node.id}: the Winograd kernel needs a workspace")
        winograd.emit(em, geo, inputs, output, workspace, slots, epilogue, prepared)
    else:
        _emit_conv(em, geo, inputs, output, epilogue, prepared)


def _winograd_geometry(
    node: Node, inputs: Sequence[Buffer], prepared: bool
) -> Geometry | None:
    """The geometry of a ``conv`` that takes the Winograd kernel (with its
    transformed kernel ``prepared`` or not), or None."""
    if node.op != "conv":
        return None
    geo = geometry(node, inputs, Buffer(None, node.type))
    return geo if winograd.applies(geo, node.type.dtype, prepared) else None


def workspace_bytes(
    node: Node, inputs: Sequence[Buffer], prepared: bool = False
) -> int:
    """Bytes of workspace a thread running the node's kernel needs (0: its
    stack buffers do), when it keeps its derived kernel ``prepared``."""
    geo = _winograd_geometry(node, inputs, prepared)
    return (
        0 if geo is None else winograd.workspace_bytes(geo, node.type.dtype, prepared)
    )


def prepared_bytes(node: Node, inputs: Sequence[Buffer]) -> int:
    """Bytes the node's kernel can keep derived from its kernel operand
    between calls (a Winograd kernel's ``U``, or the GEMM's packed panels
    of the kernel), or 0."""
    dtype = node.type.dtype
    geo = _winograd_geometry(node, inputs, True)
    if geo is not None:
        return winograd.prepared_bytes(geo, dtype)
    if node.op != "conv":
        return 0
    geo = geometry(node, inputs, Buffer(None, node.type))
    plan = _packing_plan(geo, dtype)
    if plan is None:
        return 0
    elements = packed_elements(plan, geo.out_channels, geo.depth)
    return elements * lowering.itemsize(dtype)


def _packing_plan(geo: Geometry, dtype: str) -> GemmPlan | None:
    """The plan of a ``conv``'s full blocks when they pack the kernel (so
    that keeping it packed saves that), else None. Every block's products
    then take it, so they read one layout of the packed kernel."""
    rows, chunk = _conv_blocking(geo, dtype)
    plan = _panel_plan(rows, geo.out_channels, chunk, dtype)
    return plan if plan.pack_b and geo.depth > 0 else None


def row_steps(operand: Sequence[int], output: Sequence[int]) -> tuple[int, int] | None:
    """An epilogue operand's steps per output position and per channel, or
    ``None`` when it cannot be read that way (broadcast along some of the
    spatial axes only)."""
    steps = lowering.broadcast_steps(operand, output)
    channel = steps[-1] if output[-1] > 1 else 0
    # Axes of size 1 are never stepped along.
    lead = [(s, n) for s, n in zip(steps[:-1], output[:-1], strict=True) if n > 1]
    factor = lead[-1][0] if lead else 0
    expected = lowering.strides([n for _, n in lead])
    if [s for s, _ in lead] != [factor * e for e in expected]:
        return None
    return factor, channel


def body_epilogue(
    em: Emitter, body: tuple, inputs: Sequence[Buffer], output: Buffer
) -> Epilogue:
    """The epilogue computing a fused body's entries after its ``conv``:
    the operands are read as ``(positions, channels)`` matrices (see
    ``row_steps``, which must accept each of them)."""
    channels = output.shape[-1]
    positions = output.size // max(channels, 1)
    views = []
    for buffer in inputs:
        steps = row_steps(buffer.shape, output.shape)
        rows, columns = (1, 1) if steps is None else steps
        shape = (positions if rows else 1, channels if columns else 1)
        views.append(Buffer(buffer.ptr, TensorType(shape, buffer.dtype)))
    matrix = Buffer(output.ptr, TensorType((positions, channels), output.dtype))
    return matmul_body_epilogue(em, body, views, matrix, [])


# -- the two products ----------------------------------------------------------


def _emit_conv(
    em: Emitter,
    geo: Geometry,
    inputs: Sequence[Buffer],
    output: Buffer,
    after: Epilogue | None = None,
    prepared: Prepared | None = None,
) -> None:
    x, w = inputs[:2]
    bias = _add_bias(em, inputs[2]) if len(inputs) == 3 else None
    dtype = output.dtype
    columns = geo.out_channels
    rows, chunk = _conv_blocking(geo, dtype)
    # With ``prepared``, the kernel stays packed for the full blocks' plan
    # between calls (``prepared_bytes``) and every product takes that plan.
    layout = _packing_plan(geo, dtype) if prepared is not None else None
    if prepared is not None:
        if layout is None:
            raise ValueError("conv: the prepared kernel needs a packing plan")
        with unless_ready(em, prepared):
            share = em.share(panel_count(layout, columns))
            emit_pack(
                em,
                w.ptr,
                prepared.region,
                columns,
                geo.depth,
                False,
                layout,
                dtype,
                share,
            )
    # A pointwise convolution's patches are its input's rows: the GEMM
    # reads them where they are.
    patches = None if _pointwise(geo) else _stack_buffer(em, dtype, rows * chunk)
    builder = em.builder
    # Threads take contiguous runs of blocks, or, when there are too few
    # blocks to go round (one image, a small feature map), each block's
    # column panels; every output element is computed the same way
    # whoever computes it.
    by_columns = em.split is not None and _by_columns(geo, rows)

    def left(row0: ir.Value, count: int, d0: ir.Value, width: int) -> tuple:
        """The GEMM's ``a`` for ``count`` rows from ``row0`` and depth
        ``d0 .. d0 + width - 1``: a pointer and its row stride."""
        if patches is None:
            start = builder.add(builder.mul(row0, em.index(geo.channels)), d0)
            return _offset(em, x, start), geo.channels
        if width == geo.depth:
            _emit_patches(em, x, geo, patches, row0, count)
        else:
            span = (d0, builder.add(d0, em.index(width)))
            _emit_patches(em, x, geo, patches, row0, count, span, width)
        return patches.ptr, width

    def block(row0: ir.Value, count: int) -> None:
        target = _offset(em, output, builder.mul(row0, em.index(columns)))
        epilogue = _chain(em, bias, after, row0)
        plan = layout or _panel_plan(count, columns, chunk, dtype)
        panels = em.share(panel_count(plan, columns)) if by_columns else None

        def product(d0: ir.Value, width: int, epilogue: Epilogue | None) -> None:
            a, stride = left(row0, count, d0, width)
            weights = _offset(em, w, builder.mul(d0, em.index(columns)))
            packed = None
            if prepared is not None:
                packed = PackedB(prepared.region, geo.depth, d0)
            emit_gemm(
                em,
                a,
                weights,
                target,
                count,
                columns,
                width,
                False,
                False,
                dtype,
                epilogue=epilogue,
                panels=panels,
                plan=layout or _panel_plan(count, columns, width, dtype),
                a_stride=stride,
                packed_b=packed,
            )

        if chunk >= geo.depth:
            product(em.index(0), geo.depth, epilogue)
            return
        # Deep patches: the block's rows start at zero and every chunk of
        # depth adds its product; the last one applies the epilogue.
        rows_buffer = Buffer(target, TensorType((count, columns), dtype))
        first, stop = em.index(0), em.index(columns)
        if panels is not None:
            width = em.index(plan.nr * plan.width)
            first = builder.mul(panels[0], width)
            stop = lowering.minimum_index(builder, builder.mul(panels[1], width), stop)
        with em.loop(count, "zr") as row:
            base = builder.mul(row, em.index(columns))
            with em.loop(stop, "zc", first) as column:
                em.store(rows_buffer, builder.add(base, column), em.const(0, dtype))
        accumulate = _accumulate(em, rows_buffer, columns)
        full, last = divmod(geo.depth, chunk)
        if not last:
            full, last = full - 1, chunk
        if full:
            with em.loop(full, "chunk") as index:
                product(builder.mul(index, em.index(chunk)), chunk, accumulate)
        product(em.index(full * chunk), last, _then(accumulate, epilogue))

    _blocks(em, geo.rows, rows, block, shared=not by_columns)


def _by_columns(geo: Geometry, rows: int) -> bool:
    """Whether threads split each block's column panels: too few blocks go
    round (fewer than _MIN_SHARED_BLOCKS, and not one per thread)."""
    blocks = -(-geo.rows // rows)
    return blocks < _MIN_SHARED_BLOCKS and blocks % config.num_threads() != 0


def _pointwise(geo: Geometry) -> bool:
    """Whether each output position reads one input position, the same:
    a 1x1 window, unit strides, no padding."""
    return (
        all(size == 1 for size in geo.window)
        and all(step == 1 for step in geo.strides)
        and all(pair == (0, 0) for pair in geo.padding)
    )


def _emit_kernel_grad(
    em: Emitter, geo: Geometry, inputs: Sequence[Buffer], output: Buffer
) -> None:
    x, g = inputs
    dtype = output.dtype
    columns = geo.out_channels
    rows, chunk = _kernel_grad_blocking(geo, dtype)
    plan = choose_plan(chunk, columns, rows, True, False, dtype)
    # Threads own whole rows of the kernel's matrix (depth positions): each
    # copies its columns of the patches and sums its rows over every block,
    # in the same order whatever the thread count.
    first, stop = em.share(geo.depth, plan.mr)
    patches = _stack_buffer(em, dtype, rows * chunk)
    builder = em.builder
    start = builder.mul(first, em.index(columns))
    with em.loop(builder.mul(stop, em.index(columns)), "z", start) as index:
        em.store(output, index, em.const(0, dtype))
    span = builder.sub(stop, first)
    chunks = builder.udiv(builder.add(span, em.index(chunk - 1)), em.index(chunk))

    def block(row0: ir.Value, count: int) -> None:
        _check_one_k_block(chunk, columns, count, dtype)
        source = _offset(em, g, builder.mul(row0, em.index(columns)))
        with em.loop(chunks, "chunk") as index:
            d0 = builder.add(first, builder.mul(index, em.index(chunk)))
            d1 = lowering.minimum_index(builder, builder.add(d0, em.index(chunk)), stop)
            _emit_patches(em, x, geo, patches, row0, count, (d0, d1), chunk)
            target = _offset(em, output, builder.mul(d0, em.index(columns)))
            rows_buffer = Buffer(target, TensorType((chunk, columns), dtype))
            emit_gemm(
                em,
                patches.ptr,
                source,
                target,
                chunk,
                columns,
                count,
                True,
                False,
                dtype,
                rows=(em.index(0), builder.sub(d1, d0)),
                epilogue=_accumulate(em, rows_buffer, columns),
            )

    _blocks(em, geo.rows, rows, block, shared=False)


# Patches of at most this many channels per window offset are copied as
# straight-line vectors.
_UNROLLED_CHANNELS = 64

# The ops these kernels compute.
_OPS = ("conv", "conv_kernel_grad")


def _chain(
    em: Emitter, bias: Epilogue | None, after: Epilogue | None, row0: ir.Value
) -> Epilogue | None:
    """The bias, then ``after`` at the output position (a block's GEMM
    numbers its rows from the block's first)."""
    if after is None:
        return bias

    def apply(values: ir.Value, row: ir.Value, col: ir.Value) -> ir.Value:
        if bias is not None:
            values = bias(values, row, col)
        return after(values, em.builder.add(row0, row), col)

    return apply


def _panel_plan(m: int, n: int, k: int, dtype: str) -> GemmPlan:
    """The GEMM's plan for a block, on its panel path (threads may split
    its column panels; a block's chunks all have the same panels)."""
    return replace(choose_plan(m, n, k, False, False, dtype), dot=False)


def _then(first: Epilogue, second: Epilogue | None) -> Epilogue:
    """``first``, then ``second`` on its values."""
    if second is None:
        return first

    def apply(values: ir.Value, row: ir.Value, col: ir.Value) -> ir.Value:
        return second(first(values, row, col), row, col)

    return apply


def _check_one_k_block(m: int, n: int, count: int, dtype: str) -> None:
    plan = choose_plan(m, n, count, True, False, dtype)
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
        return builder.fadd(
            values, lowering.load_lanes(em, bias, col, lowering.lanes(values))
        )

    return apply


def _accumulate(em: Emitter, output: Buffer, columns: int) -> Epilogue:
    """An epilogue adding what ``output`` holds at the same place."""
    builder = em.builder

    def apply(values: ir.Value, row: ir.Value, col: ir.Value) -> ir.Value:
        index = builder.add(builder.mul(row, em.index(columns)), col)
        return builder.fadd(
            values, lowering.load_lanes(em, output, index, lowering.lanes(values))
        )

    return apply


# -- blocks and patches --------------------------------------------------------


def _block_rows(geo: Geometry, dtype: str) -> int:
    """Rows of whole patches that fit the patch buffer."""
    per_row = geo.depth * lowering.itemsize(dtype)
    return max(1, min(geo.rows, _PATCH_BYTES // max(per_row, 1)))


def _deep(geo: Geometry, rows: int, dtype: str) -> bool:
    """Whether patches go in chunks of depth: too few whole rows fit the
    buffer, and the kernel does not stay in L2."""
    kernel_bytes = geo.depth * geo.out_channels * lowering.itemsize(dtype)
    return rows < min(geo.rows, _MIN_ROWS) and kernel_bytes > _RESIDENT_KERNEL_BYTES


def _conv_blocking(geo: Geometry, dtype: str) -> tuple[int, int]:
    """A ``conv``'s rows per block and depth per chunk (the whole depth
    when enough rows of whole patches fit the buffer). Blocks are whole
    register tiles, so only the last, shorter block needs the GEMM's
    remainder kernel."""
    rows = _block_rows(geo, dtype)
    chunk = geo.depth
    if _deep(geo, rows, dtype):
        # Blocks of about _MIN_ROWS rows, as even as whole register tiles
        # allow: a short last block would stream the whole kernel again
        # for a few rows.
        blocks = -(-geo.rows // _MIN_ROWS)
        threads = config.num_threads()
        if geo.rows >= threads * _MIN_THREAD_ROWS:
            # A multiple of the threads, so that each takes whole blocks
            # of its own (its rows' patches, the whole kernel once each).
            blocks = max(threads, blocks // threads * threads)
        rows = -(-geo.rows // blocks)
        mr = choose_plan(rows, geo.out_channels, 1, False, False, dtype).mr
        rows = min(geo.rows, -(-rows // mr) * mr)
        chunk = max(1, _PATCH_BYTES // (rows * lowering.itemsize(dtype)))
        # A chunk's product is one k block of its GEMM: the accumulating
        # epilogue must see the chunk's whole sum (as the kernel gradient's
        # blocks, _check_one_k_block).
        plan = choose_plan(rows, geo.out_channels, chunk, False, False, dtype)
        if plan.pack_b:
            chunk = min(chunk, plan.kc)
        return rows, _even(geo.depth, chunk)
    mr = choose_plan(rows, geo.out_channels, chunk, False, False, dtype).mr
    if rows > mr:
        rows -= rows % mr
    return rows, min(chunk, geo.depth)


def _even(depth: int, chunk: int) -> int:
    """Chunks of at most about ``chunk`` that split ``depth`` evenly, in
    whole 16-element runs where that is not longer: a short last chunk
    would load and store the block's rows for a few k steps."""
    count = -(-depth // chunk)
    even = -(-depth // count)
    rounded = -(-even // 16) * 16
    last = depth - (count - 1) * rounded
    return min(depth, rounded if 2 * last >= rounded else even)


def _kernel_grad_blocking(geo: Geometry, dtype: str) -> tuple[int, int]:
    """A ``conv_kernel_grad``'s rows per block (the GEMM's k, at most one k
    block of it: see the module docstring) and depth per chunk."""
    rows = _block_rows(geo, dtype)
    chunk = geo.depth
    if _deep(geo, rows, dtype):
        rows = min(geo.rows, _KERNEL_GRAD_ROWS)
        chunk = max(
            1, min(geo.depth, _PATCH_BYTES // (rows * lowering.itemsize(dtype)))
        )
    plan = choose_plan(chunk, geo.out_channels, rows, True, False, dtype)
    if plan.pack_b:
        rows = min(rows, plan.kc)
    return rows, chunk


def _blocks(
    em: Emitter,
    total: int,
    rows: int,
    block: Callable[[ir.Value, int], None],
    shared: bool,
) -> None:
    """Calls ``block(first row, rows)`` for full blocks in a loop, then once
    for the shorter last block (its length is static too). ``shared``: the
    threads of a shared kernel split the blocks, the last thread taking the
    shorter one."""
    builder = em.builder
    full, rest = divmod(total, rows)
    split = em.split if shared else None
    if full:
        start, stop = em.share(full) if split is not None else (0, full)
        with em.loop(stop, "block", start) as index:
            block(builder.mul(index, em.index(rows)), rows)
    if not rest:
        return
    if split is None:
        block(em.index(full * rows), rest)
        return
    tid, threads = split
    last = builder.icmp_unsigned("==", tid, builder.sub(threads, em.index(1)))
    with builder.if_then(last):
        block(em.index(full * rows), rest)


def _emit_patches(
    em: Emitter,
    x: Buffer,
    geo: Geometry,
    patches: Buffer,
    row0: ir.Value,
    count: int,
    columns: tuple[ir.Value, ir.Value] | None = None,
    width: int | None = None,
) -> None:
    """Copies the patches of rows ``row0 .. row0 + count - 1`` into
    ``patches`` (``count x depth``, row-major; zeros for padding); only the
    depth positions in ``[start, stop)`` of ``columns`` when given, and
    then, with a ``width``, packed as ``count x width`` rows starting at
    ``start``."""
    builder = em.builder
    x_steps = lowering.strides(x.shape)
    window_steps = [s * geo.channels for s in lowering.strides(geo.window)]
    row_width = geo.depth if width is None else width
    shift = em.index(0) if width is None or columns is None else columns[0]
    with em.loop(count, "row") as local:
        rest = builder.add(row0, local)
        outs: list[ir.Value] = []
        for size in reversed(geo.out_spatial):
            outs.insert(0, builder.urem(rest, em.index(size)))
            rest = builder.udiv(rest, em.index(size))
        batch = rest
        target_row = builder.sub(builder.mul(local, em.index(row_width)), shift)
        with em.loops(geo.window, "k") as offsets:
            coords, inside = input_position(
                em, outs, offsets, geo.spatial, geo.strides, geo.padding, geo.dilation
            )
            # Outside the input, read element 0 (always there) and store 0.
            source = em.flat_index([batch, *coords], x_steps[:-1])
            source = builder.select(inside, source, em.index(0))
            column = em.flat_index(offsets, window_steps)
            target = builder.add(target_row, column)
            if geo.channels <= _UNROLLED_CHANNELS:
                spans = (column, columns)
                _copy_channels(
                    em, x, source, patches, target, geo.channels, inside, spans
                )
            else:
                _copy_channel_range(
                    em, x, geo, source, patches, target, column, columns, inside
                )


def _copy_channel_range(
    em: Emitter,
    x: Buffer,
    geo: Geometry,
    source: ir.Value,
    patches: Buffer,
    target: ir.Value,
    column: ir.Value,
    columns: tuple[ir.Value, ir.Value] | None,
    inside: ir.Value,
) -> None:
    """Copies one window offset's channels in a loop (zeros outside the
    input), only those within ``columns`` when given."""
    builder = em.builder
    low, high = em.index(0), em.index(geo.channels)
    if columns is not None:
        # This window offset's channels within [start, stop).
        low = _clamp(em, builder.sub(columns[0], column), geo.channels)
        high = _clamp(em, builder.sub(columns[1], column), geo.channels)
    zero = em.const(0, x.dtype)
    with em.loop(high, "c", low) as channel:
        value = em.load(x, builder.add(source, channel))
        value = builder.select(inside, value, zero)
        em.store(patches, builder.add(target, channel), value)


def _copy_channels(
    em: Emitter,
    x: Buffer,
    source: ir.Value,
    patches: Buffer,
    target: ir.Value,
    channels: int,
    inside: ir.Value,
    spans: tuple[ir.Value, tuple[ir.Value, ir.Value] | None],
) -> None:
    """Copies one window offset's channels as a few vectors (zeros outside
    the input): a loop there would become a call to ``memcpy`` per offset.
    ``spans`` is the offset's first depth position and the ``[start,
    stop)`` of those to copy (``None``: all), by masked loads and stores."""
    builder = em.builder
    column, columns = spans
    if columns is not None:
        # Offsets whose channels all lie within [start, stop) (all but at
        # most two per range) take the copy without masks.
        end = builder.add(column, em.index(channels))
        whole = builder.and_(
            builder.icmp_signed(">=", column, columns[0]),
            builder.icmp_signed("<=", end, columns[1]),
        )
        with builder.if_else(whole) as (then, otherwise):
            with then:
                _copy_channels(
                    em, x, source, patches, target, channels, inside, (column, None)
                )
            with otherwise:
                _copy_channels_masked(
                    em, x, source, patches, target, channels, inside, (column, columns)
                )
        return
    for start, lanes in _vector_runs(channels):
        offset = em.index(start)
        here = builder.add(source, offset)
        there = builder.add(target, offset)
        count = None if lanes == 1 else lanes
        value = lowering.load_lanes(em, x, here, count)
        value = builder.select(inside, value, em.const(0, x.dtype, value))
        lowering.store_lanes(em, patches, there, value)


def _vector_runs(channels: int) -> list[tuple[int, int]]:
    """``(first channel, lanes)`` of the vectors copying ``channels``
    elements: 16 lanes while they last, then powers of two."""
    runs = []
    start = 0
    while start < channels:
        lanes = 1 << ((min(channels - start, 16)).bit_length() - 1)
        runs.append((start, lanes))
        start += lanes
    return runs


def _copy_channels_masked(
    em: Emitter,
    x: Buffer,
    source: ir.Value,
    patches: Buffer,
    target: ir.Value,
    channels: int,
    inside: ir.Value,
    spans: tuple[ir.Value, tuple[ir.Value, ir.Value]],
) -> None:
    """``_copy_channels`` of the channels whose depth positions lie in
    ``spans[1]``, by masked loads and stores."""
    builder = em.builder
    column, columns = spans
    for start, lanes in _vector_runs(channels):
        offset = em.index(start)
        where = (builder.add(source, offset), builder.add(target, offset))
        first = builder.add(column, offset)
        _masked_copy(em, x, where, patches, lanes, inside, first, columns)


def _masked_copy(
    em: Emitter,
    x: Buffer,
    where: tuple[ir.Value, ir.Value],
    patches: Buffer,
    lanes: int,
    inside: ir.Value,
    first: ir.Value,
    columns: tuple[ir.Value, ir.Value],
) -> None:
    """Copies the ``lanes`` elements from ``x`` at ``where[0]`` to
    ``patches`` at ``where[1]`` whose depth positions (``first`` + lane) lie
    in ``columns`` (zeros outside the input); the others are not touched."""
    builder = em.builder
    here, there = where
    kind = ir.VectorType(lowering.memory_type(x.dtype), lanes)
    mask_kind = ir.VectorType(lowering.I1, lanes)
    positions = builder.add(
        lowering.splat(em, first, lanes),
        ir.Constant(ir.VectorType(I64, lanes), list(range(lanes))),
    )
    mask = builder.and_(
        builder.icmp_signed(">=", positions, lowering.splat(em, columns[0], lanes)),
        builder.icmp_signed("<", positions, lowering.splat(em, columns[1], lanes)),
    )
    suffix = f"v{lanes}{'f32' if x.dtype == 'float32' else 'f64'}.p0"
    align = ir.Constant(lowering.I32, lowering.itemsize(x.dtype))
    zeros = em.const(0, x.dtype, ir.Constant(kind, ir.Undefined))
    load = em.declare(
        f"llvm.masked.load.{suffix}", kind, [PTR, align.type, mask_kind, kind]
    )
    value = builder.call(load, [em.element_ptr(x, here), align, mask, zeros])
    value = builder.select(inside, value, zeros)
    store = em.declare(
        f"llvm.masked.store.{suffix}",
        ir.VoidType(),
        [kind, PTR, align.type, mask_kind],
    )
    builder.call(store, [value, em.element_ptr(patches, there), align, mask])


def _clamp(em: Emitter, value: ir.Value, high: int) -> ir.Value:
    """``value`` clamped to ``[0, high]`` (signed)."""
    builder = em.builder
    value = builder.select(
        builder.icmp_signed("<", value, em.index(0)), em.index(0), value
    )
    return builder.select(
        builder.icmp_signed(">", value, em.index(high)), em.index(high), value
    )


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

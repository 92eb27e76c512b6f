"""The LLVM IR vocabulary op authors lower with (``llvmlite.ir`` only).

``Emitter`` wraps an ``IRBuilder`` positioned inside a kernel function and
offers typed constants, loops, element loads and stores, casts and calls to
intrinsics or libm. ``Buffer`` is a tensor in memory: a pointer and its
static type, row-major and contiguous. Elementwise ops lower to a scalar body
``lower(emitter, values, in_dtypes, out_dtype, attrs) -> value``; the other
kinds to ``lower(emitter, inputs, output, attrs)`` that writes ``output``.

Values in registers use their memory type, except bools, which are ``i1`` in
registers and one byte (``i8``, like NumPy) in memory.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llvmlite import ir

from kgraph.ir.types import TensorType

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
F32 = ir.FloatType()
F64 = ir.DoubleType()
PTR = ir.PointerType()

_MEMORY_TYPES = {"bool": I8, "int32": I32, "int64": I64, "float32": F32, "float64": F64}
_ITEMSIZE = {"bool": 1, "int32": 4, "int64": 8, "float32": 4, "float64": 8}
_LIBM_SUFFIX = {"float32": "f", "float64": ""}
_INTRINSIC_SUFFIX = {"float32": "f32", "float64": "f64"}


def minimum_index(builder: ir.IRBuilder, left: ir.Value, right: ir.Value) -> ir.Value:
    """The smaller of two ``i64`` values (signed)."""
    return builder.select(builder.icmp_signed("<", left, right), left, right)


def lanes(value: ir.Value | None) -> int | None:
    """The lane count of a vector value, ``None`` for a scalar."""
    if value is not None and isinstance(value.type, ir.VectorType):
        return value.type.count
    return None


def _vector_of(kind: ir.Type, count: int | None) -> ir.Type:
    return kind if count is None else ir.VectorType(kind, count)


def memory_type(dtype: str) -> ir.Type:
    """The LLVM type a dtype has in memory."""
    return _MEMORY_TYPES[dtype]


def register_type(dtype: str) -> ir.Type:
    """The LLVM type a dtype has in registers (``i1`` for bools)."""
    return I1 if dtype == "bool" else _MEMORY_TYPES[dtype]


def itemsize(dtype: str) -> int:
    """Bytes per element."""
    return _ITEMSIZE[dtype]


def is_float(dtype: str) -> bool:
    """Whether the dtype is a float."""
    return dtype in ("float32", "float64")


def strides(shape: Sequence[int]) -> list[int]:
    """Row-major element strides of a static shape."""
    result = [1] * len(shape)
    for axis in range(len(shape) - 2, -1, -1):
        result[axis] = result[axis + 1] * shape[axis + 1]
    return result


@dataclass(frozen=True)
class Buffer:
    """A tensor in memory: a pointer to row-major contiguous elements.

    Args:
        ptr: the pointer (an ``llvmlite.ir`` value of pointer type).
        type: the static ``TensorType``.
    """

    ptr: Any
    type: TensorType

    @property
    def shape(self) -> tuple[int, ...]:
        """The static shape."""
        return tuple(int(d) for d in self.type.shape)  # type: ignore[arg-type]

    @property
    def size(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)

    @property
    def dtype(self) -> str:
        """The dtype."""
        return self.type.dtype


class Emitter:
    """Builds IR inside one kernel function.

    Args:
        builder: an ``IRBuilder`` positioned in the function's entry block.
    """

    def __init__(
        self, builder: ir.IRBuilder, split: tuple[ir.Value, ir.Value] | None = None
    ) -> None:
        self.builder = builder
        # (thread id, thread count) when the kernel shares its work among
        # threads; ``None`` when one thread does it all.
        self.split = split

    @property
    def module(self) -> ir.Module:
        """The module being built."""
        return self.builder.module

    # -- constants and types -------------------------------------------------

    def const(
        self, value: Any, dtype: str, like: ir.Value | None = None
    ) -> ir.Constant:
        """A constant of ``dtype`` in register form; a vector of the same
        constant when ``like`` is a vector (bodies run on vectors in GEMM
        epilogues)."""
        kind = register_type(dtype)
        if dtype == "bool":
            scalar = ir.Constant(I1, int(bool(value)))
        elif is_float(dtype):
            scalar = ir.Constant(kind, float(value))
        else:
            scalar = ir.Constant(kind, int(value))
        count = lanes(like)
        if count is None:
            return scalar
        # One element constant in every lane (llvmlite would wrap a list's
        # values one by one; the text is the same).
        return ir.Constant(ir.VectorType(kind, count), scalar.constant)

    def index(self, value: int) -> ir.Constant:
        """An ``i64`` constant."""
        return ir.Constant(I64, int(value))

    # -- memory ----------------------------------------------------------------

    def element_ptr(self, buffer: Buffer, index: ir.Value) -> ir.Value:
        """The address of element ``index`` (an ``i64``) of a buffer."""
        return self.builder.gep(
            buffer.ptr, [index], inbounds=True, source_etype=memory_type(buffer.dtype)
        )

    def load(self, buffer: Buffer, index: ir.Value) -> ir.Value:
        """Loads element ``index`` in register form."""
        value = self.builder.load(
            self.element_ptr(buffer, index), typ=memory_type(buffer.dtype)
        )
        if buffer.dtype == "bool":
            return self.builder.icmp_unsigned("!=", value, ir.Constant(I8, 0))
        return value

    def store(self, buffer: Buffer, index: ir.Value, value: ir.Value) -> None:
        """Stores a register-form value at element ``index``."""
        if buffer.dtype == "bool":
            value = self.builder.zext(value, I8)
        self.builder.store(value, self.element_ptr(buffer, index))

    def variable(self, dtype: str, initial: ir.Value) -> ir.Value:
        """A stack slot (``alloca`` in the entry block) holding ``initial``."""
        kind = initial.type
        with self.builder.goto_entry_block():
            slot = self.builder.alloca(kind)
        self.builder.store(initial, slot)
        return slot

    def read(self, slot: ir.Value, kind: ir.Type) -> ir.Value:
        """Reads a stack slot."""
        return self.builder.load(slot, typ=kind)

    # -- control flow ---------------------------------------------------------

    @contextlib.contextmanager
    def loop(
        self,
        count: int | ir.Value,
        name: str = "i",
        start: int | ir.Value = 0,
    ) -> Iterator[ir.Value]:
        """Emits ``for (i = start; i < count; i++)``; yields ``i`` (``i64``)."""
        builder = self.builder
        count = self.index(count) if isinstance(count, int) else count
        start = self.index(start) if isinstance(start, int) else start
        before = builder.block
        header = builder.append_basic_block(f"{name}.head")
        body = builder.append_basic_block(f"{name}.body")
        done = builder.append_basic_block(f"{name}.done")
        builder.branch(header)
        builder.position_at_end(header)
        counter = builder.phi(I64, name=name)
        counter.add_incoming(start, before)
        builder.cbranch(builder.icmp_signed("<", counter, count), body, done)
        builder.position_at_end(body)
        yield counter
        following = builder.add(counter, self.index(1), name=f"{name}.next")
        counter.add_incoming(following, builder.block)
        builder.branch(header)
        builder.position_at_end(done)

    @contextlib.contextmanager
    def loops(self, shape: Sequence[int], name: str = "i") -> Iterator[list[ir.Value]]:
        """Nested loops over a static shape; yields one index per axis."""
        with contextlib.ExitStack() as stack:
            indices = [
                stack.enter_context(self.loop(size, f"{name}{axis}"))
                for axis, size in enumerate(shape)
            ]
            yield indices

    def share(self, count: int, multiple: int = 1) -> tuple[ir.Value, ir.Value]:
        """This thread's ``[start, stop)`` of ``count`` items: contiguous
        chunks, a multiple of ``multiple`` long (all items without a split).
        The split depends only on the thread count, so results do not."""
        if self.split is None:
            return self.index(0), self.index(count)
        builder = self.builder
        tid, threads = self.split
        per_thread = builder.udiv(
            builder.add(self.index(count), builder.sub(threads, self.index(1))), threads
        )
        units = builder.udiv(
            builder.add(per_thread, self.index(multiple - 1)), self.index(multiple)
        )
        chunk = builder.mul(units, self.index(multiple))
        start = minimum_index(builder, builder.mul(tid, chunk), self.index(count))
        stop = minimum_index(builder, builder.add(start, chunk), self.index(count))
        return start, stop

    def unflatten(self, flat: ir.Value, sizes: Sequence[int]) -> list[ir.Value]:
        """Row-major indices of ``flat`` over axes ``(leading, *sizes)``:
        ``flat // prod(sizes)``, then one index per size."""
        indices: list[ir.Value] = []
        for size in reversed(sizes):
            indices.insert(0, self.builder.urem(flat, self.index(size)))
            flat = self.builder.udiv(flat, self.index(size))
        return [flat, *indices]

    def flat_index(self, indices: Sequence[ir.Value], steps: Sequence[int]) -> ir.Value:
        """``sum(index * step)`` as an ``i64`` (steps of 0 are skipped)."""
        total: ir.Value = self.index(0)
        for index, step in zip(indices, steps, strict=True):
            if step == 0:
                continue
            term = index if step == 1 else self.builder.mul(index, self.index(step))
            total = self.builder.add(total, term)
        return total

    # -- arithmetic ---------------------------------------------------------------

    def intrinsic(self, name: str, args: Sequence[ir.Value], dtype: str) -> ir.Value:
        """Calls ``llvm.<name>.f32`` / ``.f64`` (``.v16f32`` on vectors)."""
        kind = args[0].type
        count = lanes(args[0])
        suffix = _INTRINSIC_SUFFIX[dtype]
        full = f"llvm.{name}.{suffix if count is None else f'v{count}{suffix}'}"
        fn = self.declare(full, kind, [kind] * len(args))
        return self.builder.call(fn, list(args))

    def libm(self, name: str, args: Sequence[ir.Value], dtype: str) -> ir.Value:
        """Calls the C math library (``tanhf`` for float32, ``tanh`` for
        float64), one lane at a time on vectors."""
        kind = register_type(dtype)
        fn = self.declare(f"{name}{_LIBM_SUFFIX[dtype]}", kind, [kind] * len(args))
        count = lanes(args[0])
        if count is None:
            return self.builder.call(fn, list(args))
        result = ir.Constant(args[0].type, ir.Undefined)
        for lane in range(count):
            position = ir.Constant(I32, lane)
            scalars = [self.builder.extract_element(a, position) for a in args]
            value = self.builder.call(fn, scalars)
            result = self.builder.insert_element(result, value, position)
        return result

    def declare(self, name: str, result: ir.Type, args: list[ir.Type]) -> ir.Function:
        """The module's function ``name`` (an intrinsic, a C library
        function), declared on first use."""
        existing = self.module.globals.get(name)
        if existing is not None:
            return existing
        return ir.Function(self.module, ir.FunctionType(result, args), name=name)

    def convert(self, value: ir.Value, source: str, target: str) -> ir.Value:
        """Converts a register value between dtypes with NumPy's ``astype``
        semantics (float to int truncates toward zero, saturating)."""
        builder = self.builder
        if source == target:
            return value
        count = lanes(value)
        kind = _vector_of(register_type(target), count)
        if target == "bool":
            zero = self.const(0, source, like=value)
            if is_float(source):
                return builder.fcmp_unordered("!=", value, zero)
            return builder.icmp_unsigned("!=", value, zero)
        if source == "bool":
            return (
                builder.uitofp(value, kind)
                if is_float(target)
                else builder.zext(value, kind)
            )
        if is_float(source) and is_float(target):
            if itemsize(target) > itemsize(source):
                return builder.fpext(value, kind)
            return builder.fptrunc(value, kind)
        if is_float(source):
            width = register_type(target).width
            suffix = _INTRINSIC_SUFFIX[source]
            name = (
                f"llvm.fptosi.sat.i{width}.{suffix}"
                if count is None
                else f"llvm.fptosi.sat.v{count}i{width}.v{count}{suffix}"
            )
            return builder.call(self.declare(name, kind, [value.type]), [value])
        if is_float(target):
            return builder.sitofp(value, kind)
        if itemsize(target) > itemsize(source):
            return builder.sext(value, kind)
        return builder.trunc(value, kind)


# -- loop-nest helpers shared by the op families ----------------------------------


def broadcast_steps(shape: Sequence[int], out_shape: Sequence[int]) -> list[int]:
    """Element steps of an operand broadcast to ``out_shape`` (0 on
    broadcast axes), one per output axis."""
    padded = [1] * (len(out_shape) - len(shape)) + list(shape)
    own = strides(padded)
    return [
        0 if size == 1 and out != 1 else step
        for size, out, step in zip(padded, out_shape, own, strict=True)
    ]


def collapse(
    shape: Sequence[int], steps: Sequence[Sequence[int]]
) -> tuple[list[int], list[list[int]]]:
    """Merges adjacent axes that every operand walks contiguously, and drops
    size-1 axes, so loops are fewer and inner loops longer."""
    axes = [axis for axis, size in enumerate(shape) if size != 1]
    merged_shape: list[int] = []
    merged_steps: list[list[int]] = [[] for _ in steps]
    for axis in axes:
        size = shape[axis]
        if merged_shape and all(
            operand[-1] == own[axis] * size
            for operand, own in zip(merged_steps, steps, strict=True)
        ):
            merged_shape[-1] *= size
            for operand, own in zip(merged_steps, steps, strict=True):
                operand[-1] = own[axis]
            continue
        merged_shape.append(size)
        for operand, own in zip(merged_steps, steps, strict=True):
            operand.append(own[axis])
    return merged_shape, merged_steps


def elementwise(
    em: Emitter, inputs: Sequence[Buffer], output: Buffer, body: Any
) -> None:
    """Writes ``output[i] = body([input[i] ...])`` with NumPy broadcasting.

    Args:
        em: the emitter.
        inputs: the operand buffers (broadcastable to the output).
        output: the output buffer.
        body: ``(list of register values) -> register value``.
    """
    out_shape = output.shape
    steps = [strides(out_shape)] + [broadcast_steps(b.shape, out_shape) for b in inputs]
    shape, steps = collapse(out_shape, steps)
    with contextlib.ExitStack() as stack:
        indices = []
        for axis, size in enumerate(shape):
            # A shared kernel splits its outermost loop among the threads.
            start, stop = em.share(size) if axis == 0 else (0, size)
            indices.append(stack.enter_context(em.loop(stop, f"e{axis}", start)))
        values = [
            em.load(buffer, em.flat_index(indices, step))
            for buffer, step in zip(inputs, steps[1:], strict=True)
        ]
        em.store(output, em.flat_index(indices, steps[0]), body(values))


def elementwise_group(
    em: Emitter, inputs: Sequence[Buffer], outputs: Sequence[Buffer], body: Any
) -> None:
    """One loop writing several outputs of the same shape:
    ``outputs[k][i] = body([input[i] ...])[k]``, inputs broadcast.

    Every input element of an index is loaded before any output element is
    stored, so an output may overwrite an input of the same shape.
    """
    out_shape = outputs[0].shape
    out_steps = strides(out_shape)
    steps = [out_steps] * len(outputs) + [
        broadcast_steps(b.shape, out_shape) for b in inputs
    ]
    shape, steps = collapse(out_shape, steps)
    with contextlib.ExitStack() as stack:
        indices = []
        for axis, size in enumerate(shape):
            start, stop = em.share(size) if axis == 0 else (0, size)
            indices.append(stack.enter_context(em.loop(stop, f"g{axis}", start)))
        values = [
            em.load(buffer, em.flat_index(indices, step))
            for buffer, step in zip(inputs, steps[len(outputs) :], strict=True)
        ]
        results = body(values)
        where = em.flat_index(indices, steps[0])
        for buffer, value in zip(outputs, results, strict=True):
            em.store(buffer, where, value)


def reduction(
    em: Emitter,
    source: Buffer,
    axes: Sequence[int],
    output: Buffer,
    initial: ir.Value,
    combine: Any,
) -> None:
    """Writes each output element as a fold of its input elements.

    Args:
        em: the emitter.
        source: the input buffer.
        axes: the reduced axes (non-negative).
        output: the output buffer (kept axes in order; keepdims or not).
        initial: the accumulator's starting value.
        combine: ``(accumulator, element) -> accumulator`` in register form.
    """
    shape = source.shape
    steps = strides(shape)
    kept = [axis for axis in range(len(shape)) if axis not in axes]
    kept_shape = [shape[axis] for axis in kept]
    out_steps = strides(kept_shape)
    if kept and sorted(axes) == list(range(len(axes))):
        _leading_reduction(em, source, len(axes), output, initial, combine)
        return
    # A shared kernel splits the outermost kept axis among the threads.
    start, stop = em.share(kept_shape[0]) if kept_shape else (0, 1)
    with contextlib.ExitStack() as stack:
        outer = [
            stack.enter_context(
                em.loop(stop, "o0", start) if axis == 0 else em.loop(size, f"o{axis}")
            )
            for axis, size in enumerate(kept_shape)
        ]
        slot = em.variable(source.dtype, initial)
        with em.loops([shape[axis] for axis in axes], "r") as inner:
            index = em.flat_index(
                [*outer, *inner], [steps[a] for a in kept] + [steps[a] for a in axes]
            )
            value = combine(em.read(slot, initial.type), em.load(source, index))
            em.builder.store(value, slot)
        em.store(output, em.flat_index(outer, out_steps), em.read(slot, initial.type))


def _leading_reduction(
    em: Emitter,
    source: Buffer,
    count: int,
    output: Buffer,
    initial: ir.Value,
    combine: Any,
) -> None:
    """A fold over the ``count`` leading axes (see ``fold_rows``)."""
    shape = source.shape
    width = math.prod(shape[count:])

    def element(row: ir.Value, column: ir.Value, count: int | None) -> ir.Value:
        base = em.builder.mul(row, em.index(width))
        return load_lanes(em, source, em.builder.add(base, column), count)

    fold_rows(em, math.prod(shape[:count]), width, output, initial, combine, element)


def fold_rows(
    em: Emitter,
    rows: int,
    width: int,
    output: Buffer,
    initial: ir.Value,
    combine: Any,
    element: Any,
) -> None:
    """Folds the rows of a ``rows x width`` matrix into the ``width``
    outputs: each run of ``lanes`` columns accumulates in a vector register
    down the rows (the last columns one at a time), so each output element
    folds its inputs in row order, as one accumulator would. A shared
    kernel splits the output's elements among the threads (runs of
    ``_SHARED_COLUMNS``), so the results do not depend on the thread count.

    Args:
        em: the emitter.
        rows, width: the matrix's shape.
        output: the ``width`` results.
        initial: the accumulator's starting value (a scalar).
        combine: ``(accumulator, element) -> accumulator``, on scalars and
            on vectors.
        element: ``(row, column, lanes) -> value`` (``i64`` indices): the
            matrix's element, or with ``lanes`` a vector of the elements
            from ``column`` on.
    """
    builder = em.builder
    lanes = max(1, 64 // itemsize(output.dtype))
    first, stop = em.share(width, _SHARED_COLUMNS)
    vectors = builder.udiv(builder.sub(stop, first), em.index(lanes))
    vector = ir.VectorType(register_type(output.dtype), lanes)
    with em.loop(vectors, "v") as index:
        column = builder.add(first, builder.mul(index, em.index(lanes)))
        slot = _entry_slot(em, vector)
        builder.store(em.const(initial.constant, output.dtype, _like(vector)), slot)
        with em.loop(rows, "r") as row:
            value = element(row, column, lanes)
            builder.store(combine(builder.load(slot), value), slot)
        store_lanes(em, output, column, builder.load(slot))
    rest = builder.add(first, builder.mul(vectors, em.index(lanes)))
    with em.loop(stop, "c", rest) as column:
        slot = em.variable(output.dtype, initial)
        with em.loop(rows, "r") as row:
            value = element(row, column, None)
            builder.store(combine(em.read(slot, initial.type), value), slot)
        em.store(output, column, em.read(slot, initial.type))


def _like(kind: ir.VectorType) -> ir.Value:
    """A value of a vector type, for ``Emitter.const``'s ``like``."""
    return ir.Constant(kind, ir.Undefined)


def _entry_slot(em: Emitter, kind: ir.Type) -> ir.Value:
    """A stack slot in the function's entry block (LLVM keeps it in a
    register)."""
    with em.builder.goto_entry_block():
        return em.builder.alloca(kind)


def load_lanes(
    em: Emitter, buffer: Buffer, index: ir.Value, count: int | None
) -> ir.Value:
    """Element ``index`` of a buffer, or ``count`` elements from it as a
    vector."""
    if count is None:
        return em.load(buffer, index)
    kind = ir.VectorType(memory_type(buffer.dtype), count)
    value = em.builder.load(
        em.element_ptr(buffer, index), typ=kind, align=itemsize(buffer.dtype)
    )
    if buffer.dtype == "bool":
        zeros = ir.Constant(kind, [ir.Constant(memory_type("bool"), 0)] * count)
        return em.builder.icmp_unsigned("!=", value, zeros)
    return value


def store_lanes(em: Emitter, buffer: Buffer, index: ir.Value, value: ir.Value) -> None:
    """Stores a vector at element ``index`` on (a scalar there)."""
    if lanes(value) is None:
        em.store(buffer, index, value)
        return
    em.builder.store(value, em.element_ptr(buffer, index), align=itemsize(buffer.dtype))


def splat(em: Emitter, value: ir.Value, count: int | None) -> ir.Value:
    """A scalar repeated in ``count`` lanes (itself without ``count``)."""
    if count is None:
        return value
    kind = ir.VectorType(value.type, count)
    single = em.builder.insert_element(
        ir.Constant(kind, ir.Undefined), value, ir.Constant(I32, 0)
    )
    mask = ir.Constant(ir.VectorType(I32, count), 0)
    return em.builder.shuffle_vector(single, ir.Constant(kind, ir.Undefined), mask)


# Threads split a leading reduction's columns in runs of this many (a cache
# line of float32): no two threads write one line.
_SHARED_COLUMNS = 16


# The flag a gather raises when an index falls outside its table: a global
# of every module that gathers (merged into one when the modules are
# linked), which the runtime reads and clears after each native call.
INDEX_ERROR_FLAG = "kgraph_index_error"


def index_error_flag(module: ir.Module) -> ir.GlobalVariable:
    """The module's out-of-range flag (``INDEX_ERROR_FLAG``)."""
    existing = module.globals.get(INDEX_ERROR_FLAG)
    if existing is not None:
        return existing
    flag = ir.GlobalVariable(module, I32, INDEX_ERROR_FLAG)
    flag.linkage = "common"
    flag.initializer = ir.Constant(I32, 0)
    flag.align = 4
    return flag


def gather_index(em: Emitter, index: ir.Value, size: int, dtype: str) -> ir.Value:
    """Turns an integer index into a safe ``i64`` position in ``[0, size)``:
    negative indices count from the end, and anything still out of range is
    clamped so native code never reads or writes outside a buffer, and
    raises the module's out-of-range flag (the runtime then raises, as the
    NumPy backend does)."""
    builder = em.builder
    wide = em.convert(index, dtype, "int64")
    negative = builder.icmp_signed("<", wide, em.index(0))
    wrapped = builder.select(negative, builder.add(wide, em.index(size)), wide)
    below = builder.icmp_signed("<", wrapped, em.index(0))
    low = builder.select(below, em.index(0), wrapped)
    high = builder.icmp_signed(">", low, em.index(size - 1))
    with builder.if_then(builder.or_(below, high), likely=False):
        builder.store(ir.Constant(I32, 1), index_error_flag(em.module))
    return builder.select(high, em.index(max(size - 1, 0)), low)


def replaces_maximum(
    em: Emitter, value: ir.Value, best: ir.Value, dtype: str
) -> ir.Value:
    """Whether ``value`` replaces the running maximum ``best`` (scalars or
    vectors): greater, or NaN where ``best`` is not. NaN counts as the
    largest, so the first NaN wins, as in NumPy's ``max`` and ``argmax``.
    """
    builder = em.builder
    if not is_float(dtype):
        return builder.icmp_signed(">", value, best)
    greater_or_nan = builder.fcmp_unordered(">", value, best)
    return builder.and_(greater_or_nan, builder.fcmp_ordered("==", best, best))

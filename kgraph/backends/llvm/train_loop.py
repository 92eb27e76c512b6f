"""The batch loops of fit, evaluate and predict, emitted as native code.

One exported function per compiled loop, with one signature for all kinds::

    i64 loop(ptr state, ptr data, ptr order, i64 n, i64 b0, i64 b1,
             i64 step, i64 seed, float learning_rate, ptr results,
             ptr arena_full, ptr arena_partial, i64 tid, i64 threads,
             ptr barrier)

It runs batches ``b0 .. b1-1``. ``state[i]`` points to the i-th parameter or
slot (``LoopSpec.state``), ``data[i]`` to the i-th batched array
(``LoopSpec.data``). Training gathers each batch's rows through ``order``
into staging space, feeds ``iterations = step + k``, ``seed = seed + step +
k`` and the learning rate, copies every ``new:<path>`` output over its state
entry and adds the statistics into ``results`` (float64). Evaluation reads
batches in order and adds statistics; prediction copies each batch's outputs
into ``results[i]`` at the batch's rows. The last batch has its own step
function when it is partial. Python is entered only between calls.

Every thread calls the loop with the same arguments but ``tid`` (see
``threads.py``): each gathers its share of the rows, thread 0 feeds the
scalars, uses the outputs (statistics, copies, predictions) and the others
wait at the next barrier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field

from llvmlite import ir

from kgraph.backends.llvm import fpenv
from kgraph.backends.llvm import threads as threads_module
from kgraph.backends.llvm.codegen import STEP_TYPE
from kgraph.backends.llvm.codegen import StepLayout
from kgraph.backends.llvm.codegen import add_kernel_parts
from kgraph.backends.llvm.codegen import align
from kgraph.backends.llvm.codegen import emit_step
from kgraph.backends.llvm.codegen import kernel_parts
from kgraph.backends.llvm.codegen import raises_index_flag
from kgraph.compiler.program import EVAL
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import TRAIN
from kgraph.compiler.program import Program
from kgraph.ops import lowering
from kgraph.ops.lowering import F32
from kgraph.ops.lowering import F64
from kgraph.ops.lowering import I8
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Emitter

_BATCHED = ("data", "target", "sample_weight")

# Modules a big step's kernels are spread over, so that jit.compile_ir can
# give some to its helper process: the results are the same for any count
# (kernels are never inlined into the step).
_KERNEL_PARTS = 2
SIGNATURE = ir.FunctionType(
    I64, [PTR, PTR, PTR, I64, I64, I64, I64, I64, F32, PTR, PTR, PTR, I64, I64, PTR]
)


@dataclass
class LoopSpec:
    """What the runtime must pass to a compiled loop, and how to read it back.

    Args:
        kind: ``"train"``, ``"eval"`` or ``"predict"``.
        entry: the exported symbol.
        batch_size: rows of a full batch.
        partial: rows of the last batch (equal to ``batch_size`` if full).
        data: names of the batched arrays, in ``data`` order.
        state: names of the state arrays, in ``state`` order.
        results: for train and eval, statistic names with their offset and
            size in the float64 ``results`` array; for predict, prediction
            names in ``results`` order.
        shapes: for train and eval, the shape of each statistic (its
            ``size`` elements are stored flat, in C order).
        arena_sizes: bytes of the two arenas.
        prepared: the offset of each arena's *ready* word (-1: none), which
            the caller clears when the state may have changed since the
            arena's last call (see ``codegen.emit_step``).
        step_modules: the modules of the step functions the loop calls.
    """

    kind: str
    entry: str
    batch_size: int
    partial: int
    data: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    results: dict[str, tuple[int, int]] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    arena_sizes: tuple[int, int] = (0, 0)
    prepared: tuple[int, int] = (-1, -1)
    step_modules: list[ir.Module] = field(default_factory=list)

    @property
    def results_size(self) -> int:
        """Elements of the float64 statistics array."""
        return sum(size for _, size in self.results.values())


def _names(programs: list[Program]) -> tuple[list[str], list[str]]:
    data: set[str] = set()
    state: set[str] = set()
    for program in programs:
        for node in program.graph.placeholders():
            if node.role in _BATCHED:
                data.add(node.input_name)
            elif node.role in ("parameter", "slot"):
                state.add(node.input_name)
        state.update(program.updates.values())
    return sorted(data), sorted(state)


def skeleton(kind: str, full: Program, partial: Program, entry: str) -> LoopSpec:
    """The loop's spec as the programs decide it, before any code is
    generated (the arena sizes come with the code); what a cached spec is
    checked against.

    Args:
        kind: ``"train"``, ``"eval"`` or ``"predict"``.
        full: the program for full batches.
        partial: the program for the last batch (may be ``full``).
        entry: the exported symbol.

    Returns:
        The ``LoopSpec`` without arena sizes and step modules.
    """
    programs = [full] if partial is full else [full, partial]
    data, state = _names(programs)
    spec = LoopSpec(kind, entry, full.batch_size, partial.batch_size, data, state)
    if kind in (TRAIN, EVAL):
        offset = 0
        for name in full.stats:
            shape = full.graph.node(full.graph.outputs[name]).type.dims
            size = math.prod(shape)
            spec.results[name] = (offset, size)
            spec.shapes[name] = shape
            offset += size
    else:
        spec.results = {name: (i, 0) for i, name in enumerate(full.predictions)}
    return spec


def emit_loop(
    module: ir.Module, kind: str, full: Program, partial: Program, entry: str
) -> LoopSpec:
    """Adds a loop to ``module``; its step functions go to modules of their
    own (``LoopSpec.step_modules``) so they compile in parallel.

    Args:
        module: the module.
        kind: ``"train"``, ``"eval"`` or ``"predict"``.
        full: the program for full batches.
        partial: the program for the last batch (may be ``full``).
        entry: the exported symbol.

    Returns:
        The ``LoopSpec`` the runtime calls it with.
    """
    programs = [full] if partial is full else [full, partial]
    spec = skeleton(kind, full, partial, entry)
    bodies = []
    sizes = []
    ready = []
    for index, program in enumerate(programs):
        step_module = ir.Module(name=f"{entry}_step{index}")
        add_kernel_parts(step_module, _KERNEL_PARTS)
        # Training updates the parameters every step: nothing derived from
        # them keeps.
        layout = emit_step(
            step_module, program, f"{entry}_step{index}", prepare=kind != TRAIN
        )
        spec.step_modules.append(step_module)
        spec.step_modules.extend(kernel_parts(step_module))
        gathers = raises_index_flag(step_module)
        body, size = _emit_body(module, spec, layout, f"{entry}_batch{index}", gathers)
        bodies.append(body)
        sizes.append(size)
        ready.append(-1 if layout.prepared is None else layout.prepared)
    spec.arena_sizes = (sizes[0], sizes[-1])
    spec.prepared = (ready[0], ready[-1])
    _emit_entry(module, spec, bodies[0], bodies[-1])
    return spec


def _emit_entry(
    module: ir.Module, spec: LoopSpec, full: ir.Function, partial: ir.Function
) -> None:
    function = ir.Function(module, SIGNATURE, spec.entry)
    (
        state,
        data,
        order,
        n,
        first,
        last,
        step,
        seed,
        rate,
        results,
        arena_full,
        arena_partial,
        tid,
        threads,
        words,
    ) = function.args
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    em = Emitter(builder)
    saved_mode = fpenv.enter(em)
    count = builder.sub(last, first)
    with em.loop(count, "b") as k:
        batch = builder.add(first, k)
        start = builder.mul(batch, em.index(spec.batch_size))
        rows = builder.sub(n, start)
        is_full = builder.icmp_signed(">=", rows, em.index(spec.batch_size))
        arguments = [
            state,
            data,
            order,
            start,
            builder.add(step, k),
            seed,
            rate,
            results,
        ]
        threading = [tid, threads, words]
        with builder.if_else(is_full) as (then, otherwise):
            with then:
                builder.call(full, [*arguments, arena_full, *threading])
            with otherwise:
                builder.call(partial, [*arguments, arena_partial, *threading])
    fpenv.leave(em, saved_mode)
    builder.ret(em.index(0))


def _emit_body(
    module: ir.Module, spec: LoopSpec, layout: StepLayout, name: str, gathers: bool
) -> tuple[ir.Function, int]:
    """One batch: feed the step's inputs, run it, use its outputs (unless
    the step ``gathers`` and met an index outside a table: then it wrote
    no state and its outputs are not whole; the runtime raises)."""
    program = layout.program
    graph = program.graph
    kind = ir.FunctionType(
        ir.VoidType(), [PTR, PTR, PTR, I64, I64, I64, F32, PTR, PTR, I64, I64, PTR]
    )
    function = ir.Function(module, kind, name)
    function.linkage = "internal"
    (
        state,
        data,
        order,
        start,
        step,
        seed,
        rate,
        results,
        arena,
        tid,
        threads,
        words,
    ) = function.args
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    em = Emitter(builder, (tid, threads))
    zero = threads_module.on_thread_zero(em, tid)
    rows = program.batch_size
    inputs = builder.alloca(PTR, size=em.index(max(len(layout.inputs), 1)))
    outputs = builder.alloca(PTR, size=em.index(max(len(layout.outputs), 1)))
    offset = align(layout.arena_size)
    for position, input_name in enumerate(layout.inputs):
        node = graph.placeholder(input_name)
        if node.role in _BATCHED:
            row_bytes = int(math.prod(node.type.dims[1:])) * lowering.itemsize(
                node.type.dtype
            )
            source = _pointer_at(em, data, spec.data.index(input_name))
            if spec.kind == TRAIN:
                pointer = _at(em, arena, offset)
                # Each thread gathers its share of the rows.
                _gather(em, pointer, source, order, start, rows, row_bytes)
                offset += align(rows * row_bytes)
            else:
                pointer = builder.gep(
                    source, [builder.mul(start, em.index(row_bytes))], source_etype=I8
                )
        elif node.role in ("parameter", "slot"):
            pointer = _pointer_at(em, state, spec.state.index(input_name))
        else:
            pointer = _at(em, arena, offset)
            offset += align(8)
            with builder.if_then(zero):
                _store_scalar(
                    em, pointer, input_name, node.type.dtype, step, seed, rate
                )
        _set_pointer(em, inputs, position, pointer)
    # The batch's inputs are in place for every thread before the step runs.
    threads_module.barrier(em, words, threads)
    # The step lives in its own module (compiled in parallel with the loop's).
    step_function = ir.Function(module, STEP_TYPE, layout.name)
    builder.call(step_function, [arena, inputs, outputs, tid, threads, words])
    # The step ends with a barrier; thread 0 then reads its outputs.
    if gathers:
        flag = builder.load(lowering.index_error_flag(module))
        zero = builder.and_(zero, builder.icmp_signed("==", flag, flag.type(0)))
    with builder.if_then(zero):
        serial = Emitter(builder)
        for position, output_name in enumerate(layout.outputs):
            _use_output(
                serial,
                spec,
                program,
                outputs,
                position,
                output_name,
                state,
                results,
                start,
            )
    builder.ret_void()
    return function, offset


def _at(em: Emitter, base: ir.Value, offset: int) -> ir.Value:
    return em.builder.gep(base, [em.index(offset)], source_etype=I8)


def _pointer_at(em: Emitter, table: ir.Value, index: int) -> ir.Value:
    slot = em.builder.gep(table, [em.index(index)], source_etype=PTR)
    return em.builder.load(slot, typ=PTR)


def _set_pointer(em: Emitter, array: ir.Value, index: int, pointer: ir.Value) -> None:
    slot = em.builder.gep(array, [em.index(index)], source_etype=PTR)
    em.builder.store(pointer, slot)


def _memcpy(em: Emitter, target: ir.Value, source: ir.Value, size: ir.Value) -> None:
    name = "llvm.memcpy.p0.p0.i64"
    function = em.module.globals.get(name) or ir.Function(
        em.module, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, lowering.I1]), name
    )
    em.builder.call(function, [target, source, size, ir.Constant(lowering.I1, 0)])


# Rows of a gathered batch requested ahead of the one being copied.
_GATHER_AHEAD = 4


def _gather(
    em: Emitter,
    target: ir.Value,
    source: ir.Value,
    order: ir.Value,
    start: ir.Value,
    rows: int,
    row_bytes: int,
) -> None:
    builder = em.builder
    first, last = em.share(rows)

    def row_address(row: ir.Value) -> ir.Value:
        slot = builder.gep(order, [builder.add(start, row)], source_etype=I64)
        picked = builder.load(slot, typ=I64)
        return builder.gep(
            source, [builder.mul(picked, em.index(row_bytes))], source_etype=I8
        )

    with em.loop(last, "g", first) as row:
        # Rows are scattered over the data: the lines of a row a few ahead
        # are requested before this one is copied, so several rows' memory
        # latency overlaps instead of adding up.
        ahead = builder.add(row, em.index(_GATHER_AHEAD))
        with builder.if_then(builder.icmp_signed("<", ahead, last)):
            _prefetch(em, row_address(ahead), row_bytes)
        here = builder.gep(
            target, [builder.mul(row, em.index(row_bytes))], source_etype=I8
        )
        _memcpy(em, here, row_address(row), em.index(row_bytes))


# Cache lines of a row requested ahead: the first ones only, since the
# hardware's stream prefetcher follows a long row once it has started (and
# the code stays the same size however long the rows are).
_PREFETCH_LINES = 16


def _prefetch(em: Emitter, address: ir.Value, size: int) -> None:
    """Requests the first cache lines of ``size`` bytes at ``address`` (at
    most ``_PREFETCH_LINES``; for reading, into all cache levels)."""
    name = "llvm.prefetch.p0"
    function = em.module.globals.get(name) or ir.Function(
        em.module,
        ir.FunctionType(ir.VoidType(), [PTR, lowering.I32, lowering.I32, lowering.I32]),
        name,
    )
    flags = [ir.Constant(lowering.I32, value) for value in (0, 3, 1)]
    for offset in range(0, min(size, 64 * _PREFETCH_LINES), 64):
        line = em.builder.gep(address, [em.index(offset)], source_etype=I8)
        em.builder.call(function, [line, *flags])


def _store_scalar(
    em: Emitter,
    pointer: ir.Value,
    name: str,
    dtype: str,
    step: ir.Value,
    seed: ir.Value,
    rate: ir.Value,
) -> None:
    builder = em.builder
    if name == "iterations":
        value, source = step, "int64"
    elif name == "seed":
        value, source = builder.add(seed, step), "int64"
    elif name == "learning_rate":
        value, source = rate, "float32"
    else:
        raise ValueError(f"No value for the scalar input '{name}'. Received: {name}")
    converted = em.convert(value, source, dtype)
    if dtype == "bool":
        converted = builder.zext(converted, I8)
    builder.store(converted, pointer)


def _use_output(
    em: Emitter,
    spec: LoopSpec,
    program: Program,
    outputs: ir.Value,
    position: int,
    name: str,
    state: ir.Value,
    results: ir.Value,
    start: ir.Value,
) -> None:
    builder = em.builder
    node = program.graph.node(program.graph.outputs[name])
    pointer = _pointer_at(em, outputs, position)
    size = int(node.type.size or 0)
    nbytes = size * lowering.itemsize(node.type.dtype)
    plan = program.plan
    written = plan.in_place.get(program.graph.outputs[name]) if plan else None
    if name in program.updates and written == program.updates[name]:
        return  # The step wrote it in place.
    if name in program.updates:
        target = _pointer_at(em, state, spec.state.index(program.updates[name]))
        _memcpy(em, target, pointer, em.index(nbytes))
    elif spec.kind in (TRAIN, EVAL) and name in spec.results:
        offset, _ = spec.results[name]
        source = lowering.Buffer(pointer, node.type)
        total = lowering.Buffer(results, lowering_type(size))
        with em.loop(size, "s") as index:
            value = em.convert(em.load(source, index), node.type.dtype, "float64")
            here = builder.add(index, em.index(offset))
            em.store(total, here, builder.fadd(em.load(total, here), value))
    elif spec.kind == PREDICT and name in spec.results:
        target = _pointer_at(em, results, spec.results[name][0])
        row_bytes = nbytes // program.batch_size
        where = builder.gep(
            target, [builder.mul(start, em.index(row_bytes))], source_etype=I8
        )
        _memcpy(em, where, pointer, em.index(nbytes))


def lowering_type(size: int) -> lowering.TensorType:
    """The type of the float64 results array as a buffer."""
    return lowering.TensorType((max(size, 1),), "float64")


__all__ = ["F64", "SIGNATURE", "LoopSpec", "emit_loop", "skeleton"]

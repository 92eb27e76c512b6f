"""Program -> LLVM IR: one step function per program, one kernel per node.

The step function ``void <name>(ptr arena, ptr inputs, ptr outputs, i64 tid,
i64 threads, ptr barrier)`` reads the placeholder pointers from ``inputs``
(in ``StepLayout.inputs`` order), runs every node's kernel in topological
order and writes a pointer to each graph output into ``outputs`` (in
``StepLayout.outputs`` order). Every thread calls it (see ``threads.py``):
big kernels share their work, small ones run on thread 0, with barriers
where a kernel must see another's results. Computed
nodes live in the arena at the offsets of the program's buffer plan (or one
after another without one), and state updates the plan marks in place are
written straight into the state array; ``reshape`` and other views share
their operand's bytes; constants are module globals.

Each kernel is an internal function named after its layer and node
(``dense_1_matmul_7``) taking ``(out, in0, in1, ...)``, so IR dumps read like
the graph. A kernel depends only on its nodes' ops, attributes and types
(and whether threads share it), never on where its buffers are: kernels
with the same canonical form (``kernel_key``) are emitted once per module,
under the name of the first, and called from every place that needs them
(the steps of an unrolled recurrent layer share theirs).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import TypeVar
from typing import cast

import numpy as np
from llvmlite import ir

from kgraph import config
from kgraph import errors
from kgraph.backends.llvm import loops
from kgraph.backends.llvm import threads as threads_module
from kgraph.backends.llvm.kernels import conv as conv_kernel
from kgraph.backends.llvm.kernels import matmul as matmul_kernel
from kgraph.backends.llvm.kernels.prepared import Prepared
from kgraph.compiler import schedule
from kgraph.compiler.memory_plan import BufferPlan
from kgraph.compiler.program import Program
from kgraph.ir.graph import Graph
from kgraph.ir.graph import Node
from kgraph.ir.graph import attr_key
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.fused import REDUCTIONS
from kgraph.ops.fused import scalar_body
from kgraph.ops.lowering import I8
from kgraph.ops.lowering import I32
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Buffer
from kgraph.ops.lowering import Emitter

ALIGNMENT = 64
# Kernels share their work among threads above these sizes (elements of an
# elementwise output; multiply-adds of a product): below, a barrier costs
# more than the split saves.
SHARED_ELEMENTS = 1 << 14
SHARED_GEMM_WORK = 1 << 20
STEP_TYPE = ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, I64, I64, PTR])


def align(size: int) -> int:
    """Rounds a byte size up to the arena alignment."""
    return -(-size // ALIGNMENT) * ALIGNMENT


def nbytes(node: Node) -> int:
    """Bytes of a node's output."""
    return int(node.type.size or 0) * lowering.itemsize(node.type.dtype)


@dataclass
class StepLayout:
    """Where a step function finds and puts things.

    Args:
        name: the step function's symbol.
        program: the program it runs.
        inputs: placeholder names, in the order of the ``inputs`` array.
        outputs: output names, in the order of the ``outputs`` array.
        arena_size: bytes of arena the step needs (the loops add their own
            staging space after ``arena_size``).
        prepared: the arena offset of the step's *ready* word, or ``None``
            when no kernel keeps prepared state (see ``prepared_bytes``).
    """

    name: str
    program: Program
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    arena_size: int = 0
    prepared: int | None = None


def _symbol(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def kernel_name(node: Node) -> str:
    """``<layer>_<op>_<id>``, the readable name of a node's kernel."""
    layer = _symbol(node.layer) + "_" if node.layer else ""
    return f"{layer}{node.op}_{node.id}"


def emit_step(
    module: ir.Module, program: Program, name: str, prepare: bool = False
) -> StepLayout:
    """Adds a program's step function (and its kernels) to ``module``.

    With ``prepare``, kernels that derive state from parameters the program
    never updates (``prepared_bytes``) keep it in the arena between steps
    and calls, behind one *ready* word (``StepLayout.prepared``): 0 makes
    them derive it again, and the step sets it once it has run. The caller
    clears it whenever the parameters may have changed.

    Raises:
        CompileError: naming the op and node whose lowering failed.
    """
    graph = program.graph
    layout = StepLayout(name=name, program=program)
    layout.inputs = [node.input_name for node in graph.placeholders()]
    layout.outputs = list(graph.outputs)
    function = ir.Function(module, STEP_TYPE, name)
    arena, inputs, outputs, tid, threads, words = function.args
    for argument in (arena, inputs, outputs):
        argument.add_attribute("noalias")
    # NOTE: inlining a whole step into the batch loop, where every address
    # becomes a constant, sends LLVM's loop unroller into unbounded growth;
    # one call per batch costs nothing.
    function.attributes.add("noinline")
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    em = Emitter(builder)
    pointers: dict[int, ir.Value] = {}
    offset = 0
    # What ran since the last barrier: nothing, thread 0 only, or everyone.
    since_barrier = None
    for position, node_name in enumerate(layout.inputs):
        slot = builder.gep(inputs, [ir.Constant(I64, position)], source_etype=PTR)
        pointers[graph.placeholder(node_name).id] = builder.load(slot, typ=PTR)
    plan = program.plan
    units = plan.units if plan is not None else [(i,) for i in graph.topo_order()]
    base = (
        plan.arena_size
        if plan is not None
        else sum(align(nbytes(n)) for n in graph.nodes())
    )
    # Prepared state (the ready word, then each kernel's region) follows the
    # arena; loops' workspaces (their bodies' arenas and carries) follow it.
    prepared = _prepared_regions(program, units, base) if prepare else {}
    loop_base = max([base, *(end for _, end in prepared.values())])
    ready = None
    if prepared:
        layout.prepared = base
        ready = builder.gep(arena, [ir.Constant(I64, base)], source_etype=I8)
    loop_bytes = 0
    # Where the step goes when a gather met an index outside its table
    # before anything wrote state: its end (see _guard_state_writes).
    skip: ir.Block | None = None
    guarded = False
    # Kernels' workspaces (one per thread) share that space with the loops:
    # everything there runs one at a time.
    workspace = builder.gep(arena, [ir.Constant(I64, loop_base)], source_etype=I8)
    for unit in units:
        kernel_nodes = []
        for node_id in unit:
            node = graph.node(node_id)
            opdef = registry.get(node.op)
            if node.op == "placeholder":
                continue
            if node.op == "constant":
                pointers[node.id] = _constant(module, name, node)
                continue
            if opdef.view:
                pointers[node.id] = pointers[node.inputs[0]]
                continue
            if plan is not None and node.id in plan.in_place:
                here = pointers[graph.placeholder(plan.in_place[node.id]).id]
            else:
                where = plan.offsets[node.id] if plan is not None else offset
                here = builder.gep(arena, [ir.Constant(I64, where)], source_etype=I8)
                offset += align(nbytes(node))
            pointers[node.id] = here
            kernel_nodes.append(node)
        if kernel_nodes and all(_is_loop(n) for n in kernel_nodes):
            if since_barrier is not None:
                threads_module.barrier(em, words, threads)
            loop_node = kernel_nodes[0]
            used = loops.emit_scan(
                em,
                graph,
                kernel_nodes,
                pointers,
                workspace,
                loops.Threads(tid, threads, words),
                lambda body, symbol: emit_step(module, body, symbol),
                f"{name}_scan_{loop_node.id}",
            )
            # Loops run one after another: they share one workspace.
            loop_bytes = max(loop_bytes, align(used))
            since_barrier = None
            continue
        if not guarded and _writes_state(plan, kernel_nodes):
            guarded = True
            skip = _guard_state_writes(em, module, words, threads)
            if skip is not None:
                since_barrier = None
        keeps = {}
        for node in kernel_nodes:
            if ready is not None and node.id in prepared:
                start = ir.Constant(I64, prepared[node.id][0])
                region = builder.gep(arena, [start], source_etype=I8)
                keeps[node.id] = (region, ready, words)
        for node in kernel_nodes:
            scratch = workspace_bytes(graph, node, node.id in keeps)
            loop_bytes = max(loop_bytes, align(scratch))
        for kernel, arguments, shared in _unit_kernels(
            module, name, program, kernel_nodes, pointers, workspace, keeps
        ):
            # A kernel waits for everyone unless it and all it follows since
            # the last barrier ran on thread 0 alone.
            if since_barrier == "all" or (since_barrier == "zero" and shared):
                threads_module.barrier(em, words, threads)
                since_barrier = None
            if shared:
                builder.call(kernel, [*arguments, tid, threads])
                since_barrier = "all"
            else:
                with builder.if_then(threads_module.on_thread_zero(em, tid)):
                    builder.call(kernel, arguments)
                since_barrier = "zero"
    if since_barrier is not None:
        threads_module.barrier(em, words, threads)
    if ready is not None:
        # Everyone is past the kernels: the prepared state is whole.
        with builder.if_then(threads_module.on_thread_zero(em, tid)):
            builder.store(ir.Constant(I64, 1), ready)
    for position, output_name in enumerate(layout.outputs):
        slot = builder.gep(outputs, [ir.Constant(I64, position)], source_etype=PTR)
        builder.store(pointers[graph.outputs[output_name]], slot)
    if skip is not None:
        # A skipped step gives no outputs (its loop does not read them).
        builder.branch(skip)
        builder.position_at_start(skip)
    builder.ret_void()
    layout.arena_size = program.plan.arena_size if program.plan is not None else offset
    if loop_bytes or prepared:
        layout.arena_size = loop_base + loop_bytes
    return layout


def _writes_state(plan: BufferPlan | None, nodes: list[Node]) -> bool:
    """Whether a unit writes state in place (a parameter, slot or
    statistic the program updates)."""
    return plan is not None and any(node.id in plan.in_place for node in nodes)


def _guard_state_writes(
    em: Emitter, module: ir.Module, words: ir.Value, threads: ir.Value
) -> ir.Block | None:
    """Before the first kernel that writes state: when a gather has raised
    the module's index flag (in this step or an earlier one of the call),
    every thread jumps to the step's end, so a batch holding an index
    outside its table leaves the state as it was, as the NumPy backend does
    (which raises before updating). Returns that end block, or ``None``
    when nothing gathers before the state is written.

    The flag is read between two barriers: after every gather so far,
    before any later kernel could raise it, so all threads agree."""
    if not raises_index_flag(module):
        return None
    builder = em.builder
    threads_module.barrier(em, words, threads)
    flag = lowering.index_error_flag(module)
    clear = builder.icmp_signed("==", builder.load(flag), ir.Constant(I32, 0))
    threads_module.barrier(em, words, threads)
    function = builder.function
    writes = function.append_basic_block("writes")
    end = function.append_basic_block("end")
    builder.cbranch(clear, writes, end)
    builder.position_at_start(writes)
    return end


def _is_loop(node: Node) -> bool:
    return registry.get(node.op).kind == registry.LOOP


def _prepared_regions(
    program: Program, units: Sequence[tuple[int, ...]], base: int
) -> dict[int, tuple[int, int]]:
    """Node id -> arena ``(start, stop)`` of each kernel's prepared state,
    after the ready word at ``base``; empty when no kernel keeps any."""
    regions: dict[int, tuple[int, int]] = {}
    offset = base + ALIGNMENT
    for unit in units:
        if len(unit) != 1:
            continue
        size = prepared_bytes(program, program.graph.node(unit[0]))
        if size:
            regions[unit[0]] = (offset, offset + align(size))
            offset += align(size)
    return regions


def prepared_bytes(program: Program, node: Node) -> int:
    """Bytes a node's kernel keeps derived from a parameter between steps
    and calls (a Winograd convolution's transformed kernel), or 0: only
    for a parameter the program reads but never updates."""
    graph = program.graph
    plan = _conv_plan(graph, node, registry.get(node.op))
    if plan is None or plan[0] != "gemm":
        return 0
    _, head, inputs = plan
    kernel = graph.node(head.inputs[1])
    if kernel.op != "placeholder" or kernel.role != "parameter":
        return 0
    if kernel.input_name in program.updates.values():
        return 0
    return conv_kernel.prepared_bytes(head, inputs)


Call = tuple[ir.Function, list[ir.Value], bool]


def kernel_key(
    graph: Graph,
    kind: str | tuple[str, tuple[int, ...]],
    nodes: list[Node],
    external: list[int],
    shared: bool,
) -> tuple:
    """The canonical form of a unit's kernel: its kind (with the members
    written in place, for groups), its members' ops, attributes, types and
    operands (as positions among the members and the external operands),
    the external operands' types, and whether it is shared. Two units with
    one key compile to the same function."""
    position = {node.id: ("member", k) for k, node in enumerate(nodes)}
    position.update({i: ("input", k) for k, i in enumerate(external)})
    members = tuple(
        (
            node.op,
            attr_key(node.attrs),
            node.type,
            tuple(position[i] for i in node.inputs),
        )
        for node in nodes
    )
    types = tuple(graph.node(i).type for i in external)
    return (kind, members, types, shared)


# A kernel function, or a kernel with what its emitter returned beside it.
_Kernel = TypeVar("_Kernel")


def _kernels(module: ir.Module) -> dict[tuple, Any]:
    """The kernels emitted into ``module`` so far, by ``kernel_key``."""
    cache = getattr(module, "kgraph_kernels", None)
    if cache is None:
        cache = {}
        module.kgraph_kernels = cache
    return cache


@dataclass
class _Part:
    """A module that takes kernels, and their instructions so far."""

    module: ir.Module
    instructions: int = 0


def add_kernel_parts(module: ir.Module, count: int) -> None:
    """Gives a step's module ``count`` modules of its own for its kernels,
    which can compile in parallel (``kernel_parts``); the step calls them
    through declarations. Kernels stay in the step's module until they
    hold ``_UNSPLIT_INSTRUCTIONS`` (a small step stays one module), then
    each goes to the part with the least code so far."""
    names = (f"{module.name}_part{index}" for index in range(count))
    module.kgraph_parts = [_Part(module), *(_Part(ir.Module(name=n)) for n in names)]


def kernel_parts(module: ir.Module) -> list[ir.Module]:
    """The parts of ``module`` (``add_kernel_parts``) that took kernels:
    the modules to compile beside it."""
    parts = getattr(module, "kgraph_parts", ())[1:]
    return [part.module for part in parts if part.instructions]


# Kernel instructions a step's own module takes before its parts get any:
# about 100 kB of IR, below which a helper process does not pay.
_UNSPLIT_INSTRUCTIONS = 1500


def _reuse(
    module: ir.Module, key: tuple, emit: Callable[[ir.Module], _Kernel]
) -> _Kernel:
    """The kernel of ``key`` for ``module``'s step: emitted by
    ``emit(target)`` once, into ``module`` or into its lightest part (see
    ``add_kernel_parts``), and then declared in ``module``."""
    cache = _kernels(module)
    if key in cache:
        return cache[key]
    parts = getattr(module, "kgraph_parts", None)
    if not parts:
        cache[key] = emit(module)
        return cache[key]
    chosen = parts[0]
    if chosen.instructions >= _UNSPLIT_INSTRUCTIONS:
        chosen = min(parts[1:], key=lambda part: part.instructions)
    target = chosen.module
    before = len(target.globals)
    result = emit(target)
    added = list(target.globals.values())[before:]
    chosen.instructions += sum(_instructions(value) for value in added)
    if target is module:
        cache[key] = result
        return result
    kernel = cast(ir.Function, result[0] if isinstance(result, tuple) else result)
    kernel.linkage = ""
    declared = module.globals.get(kernel.name) or ir.Function(
        module, kernel.ftype, kernel.name
    )
    reused = (declared, *result[1:]) if isinstance(result, tuple) else declared
    cache[key] = cast(_Kernel, reused)
    return cache[key]


def raises_index_flag(module: ir.Module) -> bool:
    """Whether a kernel of ``module``'s step (in it or in one of its parts)
    gathers, and so may raise the index flag (``lowering.gather_index``)."""
    return any(
        lowering.INDEX_ERROR_FLAG in m.globals for m in [module, *kernel_parts(module)]
    )


def _instructions(value: ir.GlobalValue) -> int:
    """The instructions of a function (0 for a declaration or a global)."""
    blocks = getattr(value, "blocks", ())
    return sum(len(block.instructions) for block in blocks)


def _unit_kernels(
    module: ir.Module,
    prefix: str,
    program: Program,
    nodes: list[Node],
    pointers: dict[int, ir.Value],
    workspace: ir.Value,
    keeps: dict[int, tuple[ir.Value, ir.Value, ir.Value]] | None = None,
) -> list[Call]:
    """The kernels of one schedule unit, with their arguments and whether
    they are shared among threads: one kernel for a single node, a loop
    group, or a product group whose product goes to the GEMM generator (any
    other product runs before its group). ``keeps`` gives a kernel that
    keeps prepared state its region, the ready word and the barrier
    words."""
    keeps = keeps or {}
    if not nodes:
        return []
    graph = program.graph
    first = nodes[0]
    opdef = registry.get(first.op)
    kind = schedule.unit_kind(graph, tuple(n.id for n in nodes))
    if kind == "rows":
        external = _external(nodes)
        kernel, _ = _reuse(
            module,
            kernel_key(graph, "rows", nodes, external, False),
            lambda target: _emit_row_group_kernel(target, prefix, program, nodes),
        )
        arguments = [*(pointers[n.id] for n in nodes), *map(pointers.get, external)]
        return [(kernel, arguments, False)]
    if kind == "product":
        if not _is_gemm(first, opdef):
            return [
                *_unit_kernels(module, prefix, program, nodes[:1], pointers, workspace),
                *_unit_kernels(module, prefix, program, nodes[1:], pointers, workspace),
            ]
        shared = _shared(graph, first, opdef)
        external = _external(nodes)
        kernel, _ = _reuse(
            module,
            kernel_key(
                graph, ("product", _in_place(program, nodes)), nodes, external, shared
            ),
            lambda target: _emit_product_group_kernel(
                target, prefix, program, nodes, shared
            ),
        )
    elif len(nodes) == 1:
        shared = _shared(graph, first, opdef)
        keep = keeps.get(first.id)
        kernel = _reuse(
            module,
            kernel_key(
                graph, "prepared" if keep else "node", nodes, list(first.inputs), shared
            ),
            lambda target: _emit_kernel(
                target, prefix, program, first, opdef, shared, keep is not None
            ),
        )
        arguments = [pointers[first.id], *map(pointers.get, first.inputs)]
        if workspace_bytes(graph, first, keep is not None):
            arguments.append(workspace)
        if keep is not None:
            arguments.extend(keep)
        return [(kernel, arguments, shared)]
    else:
        shared = _shared_group(nodes)
        external = _external(nodes)
        kernel, _ = _reuse(
            module,
            kernel_key(
                graph, ("group", _in_place(program, nodes)), nodes, external, shared
            ),
            lambda target: _emit_group_kernel(target, prefix, program, nodes, shared),
        )
    arguments = [*(pointers[n.id] for n in nodes), *(pointers[i] for i in external)]
    return [(kernel, arguments, shared)]


def _shared(graph: Graph, node: Node, opdef: registry.OpDef) -> bool:
    """Whether a kernel is big enough to share among threads (and of a kind
    that splits without changing results: elementwise loops by their
    outermost axis, 2-D products by rows)."""
    size = int(node.type.size or 0)
    plan = _conv_plan(graph, node, opdef)
    if plan is not None:
        # Convolutions on the GEMM generator split their blocks (the
        # product's rows or the kernel gradient's depth positions); grouped
        # ones (the ops' own loops) split output positions or channels.
        kind, head, inputs = plan
        work = conv_kernel.work(head, inputs)
        if kind == "gemm":
            return work >= SHARED_GEMM_WORK
        return kind == "grouped" and work >= SHARED_ELEMENTS * 16
    if _is_gemm(node, opdef):
        return node.type.rank == 2 and size * _inner_size(graph, node, opdef) >= (
            SHARED_GEMM_WORK
        )
    if node.op in _SPLIT_POOLS:
        return size >= SHARED_ELEMENTS
    if node.op == "pad":
        # Without interior padding, threads split the output's rows.
        return (
            node.type.rank >= 1
            and size >= SHARED_ELEMENTS
            and not any(node.attrs["interior"])
        )
    folded = opdef.kind == registry.FUSED and _ends_with_reduction(node)
    if node.op in _SPLIT_REDUCTIONS or folded:
        # Elements folded: the operand's, or the largest operand's of a
        # body ending with a reduction.
        elements = max(int(graph.node(i).type.size or 0) for i in node.inputs)
        return elements >= SHARED_ELEMENTS * 4 and size >= 32
    elementwise = opdef.kind == registry.ELEMENTWISE or (
        opdef.kind == registry.FUSED
        and all(
            registry.get(op).kind == registry.ELEMENTWISE
            for op, _, _ in node.attrs["body"]
        )
    )
    return elementwise and node.type.rank >= 1 and size >= SHARED_ELEMENTS


def workspace_bytes(graph: Graph, node: Node, prepared: bool = False) -> int:
    """Bytes of the arena's workspace a node's kernel takes: one region
    per thread it may run on (``config.num_threads``), or 0; ``prepared``:
    when it keeps its prepared state elsewhere."""
    if not node.type.is_static:
        return 0
    plan = _conv_plan(graph, node, registry.get(node.op))
    if plan is None or plan[0] != "gemm":
        return 0
    _, head, inputs = plan
    return conv_kernel.workspace_bytes(head, inputs, prepared) * config.num_threads()


def _ends_with_reduction(node: Node) -> bool:
    """Whether a fused node's body ends with a leading-axis reduction."""
    op, _, _ = node.attrs["body"][-1]
    return op in REDUCTIONS


# Reductions whose lowering (``lowering.reduction``) splits its output
# among threads.
_SPLIT_REDUCTIONS = ("sum", "max", "prod")
# Pools whose lowering splits its output positions among threads.
_SPLIT_POOLS = ("max_pool",)


def shares_work(program: Program) -> bool:
    """Whether a step has a kernel big enough to share among threads (a
    convolution over an image, say): then a call on a few rows still runs
    on every thread."""
    graph = program.graph
    return any(
        _shared(graph, node, registry.get(node.op))
        for node in graph.nodes()
        if node.type.is_static
    )


def _shared_group(nodes: list[Node]) -> bool:
    """Whether a loop group is big enough to share among threads."""
    return int(nodes[0].type.size or 0) >= SHARED_ELEMENTS


def _emit_group_kernel(
    module: ir.Module, prefix: str, program: Program, nodes: list[Node], shared: bool
) -> tuple[ir.Function, list[int]]:
    """One loop computing several pointwise nodes of one shape (a loop
    group of the schedule): ``(out_1, ..., out_k, in_1, ..., in_m[, tid,
    threads])``. Values of earlier members stay in registers."""
    graph = program.graph
    function, external, emitter = _unit_function(
        module, prefix, nodes, shared, aliased=_in_place(program, nodes)
    )
    outputs, inputs = _unit_buffers(graph, function, nodes, external)
    body = _group_body(emitter, graph, nodes, external)
    with _lowering_unit(graph, "loop group", nodes):
        lowering.elementwise_group(emitter, inputs, outputs, body)
    emitter.builder.ret_void()
    return function, external


def _emit_product_group_kernel(
    module: ir.Module, prefix: str, program: Program, nodes: list[Node], shared: bool
) -> tuple[ir.Function, list[int]]:
    """A product group (see ``schedule.py``): the GEMM of ``nodes[0]`` whose
    epilogue computes the loop group ``nodes[1:]`` on each vector of results
    and stores the members; the product itself is stored only for the k
    blocks' partial sums. Arguments as for a loop group."""
    graph = program.graph
    product, members = nodes[0], nodes[1:]
    function, external, emitter = _unit_function(
        module, prefix, nodes, shared, aliased=_in_place(program, nodes)
    )
    outputs, inputs = _unit_buffers(graph, function, nodes, external)
    buffers = dict(zip(external, inputs, strict=True))
    own = [buffers[i] for i in product.inputs]
    outer = [i for i in external if any(i in m.inputs for m in members)]
    body = _group_body(emitter, graph, members, [product.id, *outer])
    tail = matmul_kernel.Tail(
        [buffers[i] for i in outer],
        outputs[1:],
        lambda value, values: body([value, *values]),
    )
    with _lowering_unit(graph, "product group", nodes):
        _emit_gemm_node(
            emitter, product, registry.get(product.op), own, outputs[0], tail
        )
    emitter.builder.ret_void()
    return function, external


def _emit_row_group_kernel(
    module: ir.Module, prefix: str, program: Program, nodes: list[Node]
) -> tuple[ir.Function, list[int]]:
    """A row group (see ``schedule.py``): one loop over the rows of the outer
    shape, running every member's own kernel on its row (reductions along
    the row), on thread 0. Arguments as for a loop group."""
    graph = program.graph
    function, external, emitter = _unit_function(module, prefix, nodes, False, False)
    outputs, inputs = _unit_buffers(graph, function, nodes, external)
    buffers = {n.id: b for n, b in zip(nodes, outputs, strict=True)}
    buffers.update(zip(external, inputs, strict=True))
    outer = next(
        tuple(graph.node(n.inputs[0]).type.shape[:-1])
        for n in nodes
        if registry.get(n.op).kind == registry.REDUCE
    )
    with emitter.loop(math.prod(outer), "row") as row:
        for node in nodes:
            opdef = registry.get(node.op)
            rank = node.type.rank
            output = _row_of(emitter, buffers[node.id], outer, rank, row)
            operands = [
                _row_of(emitter, buffers[i], outer, rank, row) for i in node.inputs
            ]
            attrs = node.attrs
            if opdef.kind == registry.REDUCE:  # along the row
                attrs = {**attrs, "axis": (-1,)}
            with _lowering_node(graph, node):
                _lower_node(emitter, node, opdef, operands, output, attrs)
    emitter.builder.ret_void()
    return function, external


def _row_of(
    em: Emitter, buffer: Buffer, outer: tuple, rank: int, row: ir.Value
) -> Buffer:
    """The part of ``buffer`` row ``row`` of a row group reads or writes: its
    row when its (right-aligned) leading axes are ``outer``, else all of it
    (broadcast over the rows)."""
    shape = buffer.shape
    padded = (1,) * max(0, rank - len(shape)) + shape
    head, rest = padded[: len(outer)], padded[len(outer) :]
    row_type = TensorType(rest, buffer.dtype)
    if head != tuple(outer):
        return Buffer(buffer.ptr, row_type)
    offset = em.builder.mul(row, em.index(math.prod(rest)))
    return Buffer(em.element_ptr(buffer, offset), row_type)


@contextlib.contextmanager
def _lowering_node(graph: Graph, node: Node) -> Iterator[None]:
    """Turns a failure to lower a node into a ``CompileError`` naming it."""
    try:
        yield
    except Exception as error:
        raise errors.CompileError(
            f"Lowering {node.op} to LLVM failed: {error}. "
            f"Received: {graph.format_node(node.id)}"
        ) from error


@contextlib.contextmanager
def _lowering_unit(graph: Graph, what: str, nodes: list[Node]) -> Iterator[None]:
    """Turns a failure to lower a multi-node unit into a ``CompileError``
    naming the unit and its first node."""
    try:
        yield
    except Exception as error:
        raise errors.CompileError(
            f"Lowering the {what} {[n.id for n in nodes]} to LLVM failed: "
            f"{error}. Received: {graph.format_node(nodes[0].id)}"
        ) from error


def _external(nodes: list[Node]) -> list[int]:
    """The operands a unit reads from outside it, in order of first use."""
    members = {node.id for node in nodes}
    external: list[int] = []
    for node in nodes:
        for operand in node.inputs:
            if operand not in members and operand not in external:
                external.append(operand)
    return external


def _in_place(program: Program, nodes: list[Node]) -> tuple[int, ...]:
    """Positions of the unit's members written in place over a state input."""
    plan = program.plan
    if plan is None:
        return ()
    return tuple(k for k, node in enumerate(nodes) if node.id in plan.in_place)


def _unit_function(
    module: ir.Module,
    prefix: str,
    nodes: list[Node],
    shared: bool,
    distinct: bool = True,
    aliased: tuple[int, ...] = (),
) -> tuple[ir.Function, list[int], Emitter]:
    """The function of a multi-node unit: ``(out_1, ..., out_k, in_1, ...,
    in_m[, tid, threads])``, the inputs being the operands computed outside
    the unit (or views of members, in a row group: then ``distinct`` is
    false and the outputs are not marked ``noalias``); and an emitter at its
    entry. The outputs at the positions in ``aliased`` are written in place
    over an input (a state update): they are not ``noalias`` either, or
    LLVM could reload that input after the store."""
    external = _external(nodes)
    extra = [I64, I64] if shared else []
    kind = ir.FunctionType(ir.VoidType(), [PTR] * (len(nodes) + len(external)) + extra)
    names = "_".join(str(node.id) for node in nodes)
    function = ir.Function(
        module, kind, f"{prefix}_{_symbol(nodes[0].layer or '')}_group_{names}"
    )
    function.linkage = "internal"
    function.attributes.add("noinline")
    for position, argument in enumerate(function.args[: len(nodes)]):
        if distinct and position not in aliased:
            argument.add_attribute("noalias")
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    emitter = Emitter(builder, tuple(function.args[-2:]) if shared else None)
    return function, external, emitter


def _unit_buffers(
    graph: Graph, function: ir.Function, nodes: list[Node], external: list[int]
) -> tuple[list[Buffer], list[Buffer]]:
    """The output and input buffers of a multi-node unit's function."""
    outputs = [Buffer(a, n.type) for a, n in zip(function.args, nodes, strict=False)]
    arguments = function.args[len(nodes) : len(nodes) + len(external)]
    inputs = [
        Buffer(a, graph.node(i).type) for a, i in zip(arguments, external, strict=True)
    ]
    return outputs, inputs


def _group_body(
    emitter: Emitter, graph: Graph, nodes: list[Node], external: list[int]
) -> Callable[[list[ir.Value]], list[ir.Value]]:
    """``values of external -> values of nodes``: a loop group's members
    computed in order in registers."""

    def body(values: list[ir.Value]) -> list[ir.Value]:
        known = dict(zip(external, values, strict=True))
        dtypes = {i: graph.node(i).type.dtype for i in external}
        results = []
        for node in nodes:
            operands = [known[i] for i in node.inputs]
            in_dtypes = [dtypes[i] for i in node.inputs]
            opdef = registry.get(node.op)
            if opdef.kind == registry.FUSED:
                value = scalar_body(emitter, node.attrs["body"], operands, in_dtypes)
            else:
                assert opdef.lower is not None  # every op lowers (registry test)
                value = opdef.lower(
                    emitter, operands, in_dtypes, node.type.dtype, node.attrs
                )
            known[node.id] = value
            dtypes[node.id] = node.type.dtype
            results.append(value)
        return results

    return body


def _inner_size(graph: Graph, node: Node, opdef: registry.OpDef) -> int:
    """The k dimension of a (fused) matmul node."""
    if opdef.kind == registry.MATMUL:
        attrs, first = node.attrs, node.inputs[0]
    else:
        _, refs, pairs = node.attrs["body"][0]
        attrs, first = dict(pairs), node.inputs[refs[0]]
    shape = graph.node(first).type.dims
    return shape[-2] if attrs["transpose_a"] else shape[-1]


def _conv_plan(
    graph: Graph, node: Node, opdef: registry.OpDef
) -> tuple[str, Node, list[Buffer]] | None:
    """How a convolution (or a fused node headed by one) is computed:
    ``"gemm"`` (``kernels/conv.py``, a fused body in the GEMM's epilogue),
    ``"grouped"`` (the op's own loops, shared by output positions or
    channels) or ``"direct"`` (the op's own loops on one thread); with the
    convolution as a node of its own and its operands' (pointerless)
    buffers. ``None`` for other nodes."""
    head = _conv_head(graph, node, opdef)
    if head is None or not node.type.is_static:
        return None
    inputs = [Buffer(None, graph.node(i).type) for i in head.inputs]
    if head.attrs.get("groups", 1) > 1:
        return "grouped", head, inputs
    conv = registry.get(head.op)
    if not conv_kernel.handles(head, conv, inputs):
        return "direct", head, inputs
    if node is not head:
        out = node.type.dims
        operands = [graph.node(i).type.dims for i in node.inputs]
        used = {r for _, refs, _ in node.attrs["body"][1:] for r in refs if r >= 0}
        if any(conv_kernel.row_steps(operands[r], out) is None for r in used):
            return "direct", head, inputs
    return "gemm", head, inputs


def _conv_head(graph: Graph, node: Node, opdef: registry.OpDef) -> Node | None:
    """A ``conv``/``conv_kernel_grad`` node itself, the ``conv`` heading a
    fused node's body (as a node with the fused node's id), or ``None``."""
    if opdef.kind == registry.CONV:
        return node
    if opdef.kind != registry.FUSED or node.attrs["body"][0][0] != "conv":
        return None
    op, refs, pairs = node.attrs["body"][0]
    conv = registry.get(op)
    return Node(
        id=node.id,
        op=op,
        inputs=tuple(node.inputs[r] for r in refs),
        attrs=conv.check_attrs(dict(pairs)),
        type=node.type,
        layer=node.layer,
    )


def _is_gemm(node: Node, opdef: registry.OpDef) -> bool:
    """A float matmul, or a fused node whose body starts with one: these go
    to the GEMM generator (matmul's own lowering is the plain loop)."""
    if not matmul_kernel.supported(node.type.dtype):
        return False
    if opdef.kind == registry.MATMUL:
        return True
    return opdef.kind == registry.FUSED and node.attrs["body"][0][0] == "matmul"


def _emit_gemm_node(
    em: Emitter,
    node: Node,
    opdef: registry.OpDef,
    inputs: list[Buffer],
    output: Buffer,
    tail: matmul_kernel.Tail | None = None,
) -> None:
    if opdef.kind == registry.MATMUL:
        matmul_kernel.emit_matmul(
            em, inputs[0], inputs[1], output, node.attrs, tail=tail
        )
        return
    body = node.attrs["body"]
    _, refs, attrs = body[0]
    checked = registry.get("matmul").check_attrs(dict(attrs))
    matmul_kernel.emit_matmul(
        em, inputs[refs[0]], inputs[refs[1]], output, checked, body, inputs, tail
    )


def _lower_node(
    em: Emitter,
    node: Node,
    opdef: registry.OpDef,
    inputs: list[Buffer],
    output: Buffer,
    attrs: Mapping[str, Any],
) -> None:
    """A node's own lowering on buffers: a loop of its scalar lowering for
    an elementwise op, the op's buffer lowering otherwise."""
    lower = opdef.lower
    assert lower is not None  # every op lowers (registry test)
    if opdef.kind != registry.ELEMENTWISE:
        lower(em, inputs, output, attrs)
        return
    in_dtypes = [buffer.dtype for buffer in inputs]
    lowering.elementwise(
        em,
        inputs,
        output,
        lambda values: lower(em, values, in_dtypes, node.type.dtype, attrs),
    )


def _constant(module: ir.Module, prefix: str, node: Node) -> ir.Value:
    value = np.ascontiguousarray(node.attrs["value"], dtype=node.type.dtype)
    return constant_data(module, f"{prefix}_const_{node.id}", value)


def constant_data(module: ir.Module, name: str, array: np.ndarray) -> ir.GlobalVariable:
    """An array's bytes as an internal, aligned constant of the module."""
    data = bytearray(np.ascontiguousarray(array).tobytes()) or bytearray(1)
    kind = ir.ArrayType(I8, len(data))
    variable = ir.GlobalVariable(module, kind, name)
    variable.global_constant = True
    variable.linkage = "internal"
    variable.align = ALIGNMENT
    variable.initializer = ir.Constant(kind, data)
    return variable


def _emit_kernel(
    module: ir.Module,
    prefix: str,
    program: Program,
    node: Node,
    opdef: registry.OpDef,
    shared: bool = False,
    keep: bool = False,
) -> ir.Function:
    graph = program.graph
    operands = [graph.node(i) for i in node.inputs]
    scratch = workspace_bytes(graph, node, keep) > 0
    extra = [I64, I64] if shared else []
    # A kernel that keeps prepared state: its region, the ready word and
    # the barrier words.
    pointer_count = 1 + len(operands) + int(scratch) + 3 * int(keep)
    kind = ir.FunctionType(ir.VoidType(), [PTR] * pointer_count + extra)
    function = ir.Function(module, kind, f"{prefix}_{kernel_name(node)}")
    function.linkage = "internal"
    # Kernels stay separate functions: LLVM optimizes many small functions
    # much faster than one huge step, and dumps keep their names.
    function.attributes.add("noinline")
    function.args[0].add_attribute("noalias")
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    split = tuple(function.args[-2:]) if shared else None
    emitter = Emitter(builder, split)
    output = Buffer(function.args[0], node.type)
    inputs = [
        Buffer(argument, operand.type)
        for argument, operand in zip(
            function.args[1 : 1 + len(operands)], operands, strict=True
        )
    ]
    with _lowering_node(graph, node):
        if _is_gemm(node, opdef):
            _emit_gemm_node(emitter, node, opdef, inputs, output)
        elif (plan := _conv_plan(graph, node, opdef)) and plan[0] == "gemm":
            # Convolutions: im2col and the GEMM generator, a fused body in
            # its epilogue.
            head = plan[1]
            head_inputs = [inputs[node.inputs.index(i)] for i in head.inputs]
            epilogue = None
            if head is not node:
                body = node.attrs["body"]
                epilogue = conv_kernel.body_epilogue(emitter, body, inputs, output)
            workspace = function.args[1 + len(operands)] if scratch else None
            prepared = None
            if keep:
                first = 1 + len(operands) + int(scratch)
                prepared = Prepared(*function.args[first : first + 3])
            conv_kernel.emit(
                emitter,
                head,
                head_inputs,
                output,
                epilogue,
                workspace,
                config.num_threads(),
                prepared,
            )
        else:
            _lower_node(emitter, node, opdef, inputs, output, node.attrs)
    builder.ret_void()
    return function

"""The native loop of a ``scan`` node, inside the step function.

The body's program (``compiler.loops.body_program``) becomes a step
function of its own, with its own arena, called once per step from a loop
emitted in place of the node. Every thread runs the loop (the body's big
kernels split among them as in any step); between steps thread 0 copies
the per-step results out and the new carries into the other of two carry
buffers, so a body whose new carry reads another carry never overwrites
what it reads. The body's arena and the carry buffers are the node's
workspace, after the step's own arena.

A node computes one result (``control`` numbers them): a final carry, a
stacked per-step output or the stacked carries before each step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llvmlite import ir

from kgraph import errors
from kgraph.backends.llvm import threads as threads_module
from kgraph.compiler.loops import body_program
from kgraph.compiler.program import Program
from kgraph.ir.graph import Graph
from kgraph.ir.graph import Node
from kgraph.ops import control
from kgraph.ops import lowering
from kgraph.ops.lowering import I8
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Emitter

ALIGNMENT = 64


def _align(size: int) -> int:
    return -(-size // ALIGNMENT) * ALIGNMENT


@dataclass
class Threads:
    """The step function's thread arguments: id, count, barrier words."""

    tid: ir.Value
    count: ir.Value
    words: ir.Value


# (program, symbol) -> the step layout of the body's step function.
EmitBody = Callable[[Program, str], object]


def memcpy(em: Emitter, target: ir.Value, source: ir.Value, size: int) -> None:
    """Copies ``size`` bytes (the regions do not overlap)."""
    name = "llvm.memcpy.p0.p0.i64"
    function = em.module.globals.get(name) or ir.Function(
        em.module, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, lowering.I1]), name
    )
    em.builder.call(
        function, [target, source, em.index(size), ir.Constant(lowering.I1, 0)]
    )


def _steps(graph: Graph, node: Node) -> int:
    carries, xs = node.attrs["num_carries"], node.attrs["num_xs"]
    length = node.attrs["length"]
    if xs:
        length = graph.node(node.inputs[carries]).type.shape[0]
    if length is None:
        raise errors.CompileError(
            f"scan: the native loop needs the number of steps. Received: "
            f"{graph.format_node(node.id)}"
        )
    return int(length)


def _byte_offset(em: Emitter, base: ir.Value, index: ir.Value, size: int) -> ir.Value:
    offset = em.builder.mul(index, em.index(size))
    return em.builder.gep(base, [offset], source_etype=I8)


def _entry_alloca(em: Emitter, count: int) -> ir.Value:
    """A table of ``count`` pointers on the step function's stack."""
    function = em.builder.function
    entry = ir.IRBuilder()
    entry.position_at_start(function.entry_basic_block)
    table = entry.alloca(PTR, size=count)
    # The emitter's builder keeps its place by index: put it back at the end
    # of its block, which may be the entry block just grown.
    em.builder.position_at_end(em.builder.block)
    return table


def _slot(em: Emitter, table: ir.Value, index: int) -> ir.Value:
    return em.builder.gep(table, [em.index(index)], source_etype=PTR)


def emit_scan(
    em: Emitter,
    graph: Graph,
    nodes: list[Node],
    pointers: dict[int, ir.Value],
    workspace: ir.Value,
    threads: Threads,
    emit_body: EmitBody,
    symbol: str,
) -> int:
    """Emits the loop of a scan group at the builder's position.

    Args:
        em: the step function's emitter.
        graph: the step's graph.
        nodes: the group's ``scan`` nodes (one loop, one result each).
        pointers: the buffers of the step's values (the nodes' included).
        workspace: where the loop's workspace starts.
        threads: the step function's thread arguments.
        emit_body: emits a program as a step function and returns its layout.
        symbol: the body step function's symbol.

    Returns:
        The workspace bytes the loop uses.
    """
    builder = em.builder
    node = nodes[0]
    body = node.attrs["body"]
    targets = {n.attrs["result"]: pointers[n.id] for n in nodes}
    carries, xs, _, ys = control.body_interface(body)
    layout = emit_body(body_program(body), symbol)
    body_function = em.module.globals[symbol]
    carry_sizes = [_nbytes(body.placeholder(f"carry_{i}")) for i in range(carries)]
    y_sizes = [_nbytes(body.node(body.outputs[f"y_{j}"])) for j in range(ys)]
    x_sizes = [_nbytes(body.placeholder(f"x_{j}")) for j in range(xs)]
    offset = _align(int(layout.arena_size))  # type: ignore[attr-defined]
    buffers: list[list[ir.Value]] = [[], []]
    for copy in (0, 1):
        for size in carry_sizes:
            buffers[copy].append(
                builder.gep(workspace, [em.index(offset)], source_etype=I8)
            )
            offset += _align(size)
    inputs = list(layout.inputs)  # type: ignore[attr-defined]
    outputs = list(layout.outputs)  # type: ignore[attr-defined]
    in_table = _entry_alloca(em, max(len(inputs), 1))
    out_table = _entry_alloca(em, max(len(outputs), 1))
    steps = _steps(graph, node)
    with builder.if_then(threads_module.on_thread_zero(em, threads.tid)):
        for i in range(carries):
            memcpy(em, buffers[0][i], pointers[node.inputs[i]], carry_sizes[i])
    threads_module.barrier(em, threads.words, threads.count)
    with em.loop(steps, "step") as s:
        t = builder.sub(em.index(steps - 1), s) if node.attrs["reverse"] else s
        even = builder.icmp_unsigned("==", builder.and_(s, em.index(1)), em.index(0))
        current = [builder.select(even, a, b) for a, b in zip(*buffers, strict=True)]
        following = [builder.select(even, b, a) for a, b in zip(*buffers, strict=True)]
        for position, name in enumerate(inputs):
            kind, index = name.rsplit("_", 1)
            k = int(index)
            if kind == "carry":
                pointer = current[k]
            elif kind == "x":
                sequence = pointers[node.inputs[carries + k]]
                pointer = _byte_offset(em, sequence, t, x_sizes[k])
            else:
                pointer = pointers[node.inputs[carries + xs + k]]
            builder.store(pointer, _slot(em, in_table, position))
        builder.call(
            body_function,
            [workspace, in_table, out_table, threads.tid, threads.count, threads.words],
        )

        def produced(name: str) -> ir.Value:
            slot = _slot(em, out_table, outputs.index(name))
            return builder.load(slot, typ=PTR)

        with builder.if_then(threads_module.on_thread_zero(em, threads.tid)):
            for result, target in targets.items():
                if carries + ys <= result:
                    i = result - carries - ys
                    here = _byte_offset(em, target, t, carry_sizes[i])
                    memcpy(em, here, current[i], carry_sizes[i])
                elif carries <= result:
                    j = result - carries
                    here = _byte_offset(em, target, t, y_sizes[j])
                    memcpy(em, here, produced(f"y_{j}"), y_sizes[j])
            for i in range(carries):
                memcpy(em, following[i], produced(f"carry_{i}"), carry_sizes[i])
        threads_module.barrier(em, threads.words, threads.count)
    finals = {r: target for r, target in targets.items() if r < carries}
    if finals:
        with builder.if_then(threads_module.on_thread_zero(em, threads.tid)):
            for result, target in finals.items():
                memcpy(em, target, buffers[steps % 2][result], carry_sizes[result])
        threads_module.barrier(em, threads.words, threads.count)
    return offset


def _nbytes(node: Node) -> int:
    return int(node.type.size or 0) * lowering.itemsize(node.type.dtype)


__all__ = ["Threads", "emit_scan", "memcpy"]

"""Native code for tests and tools: one graph compiled as a single step
function and run on arrays (``compile_graph``, ``run_graph``), and one GEMM
compiled on its own (``compile_gemm``). The product's loops live in
``kgraph.backends.llvm.runtime``; these entry points serve the conformance
tests and ``tools/gemm_bench.py``.
"""

from __future__ import annotations

import ctypes
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from llvmlite import ir

from kgraph import errors
from kgraph.backends.llvm import jit
from kgraph.backends.llvm import parallel
from kgraph.backends.llvm import runtime
from kgraph.backends.llvm import threads
from kgraph.backends.llvm.kernels.gemm import GemmPlan
from kgraph.backends.llvm.kernels.gemm import emit_gemm
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import Program
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Emitter


@dataclass
class CompiledGraph:
    """A graph compiled as one step function, to run on given inputs."""

    graph: Any
    layout: Any
    library: jit.Library
    function: Any
    arena: np.ndarray
    ir_text: str
    barrier: np.ndarray = dataclasses.field(
        default_factory=lambda: runtime.arena(threads.BARRIER_BYTES).view(np.int64)
    )


_STEP = ctypes.CFUNCTYPE(
    None,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_void_p,
)


def compile_graph(graph: Any, prepare: bool = False) -> CompiledGraph:
    """Compiles a graph with static shapes into one native step function.

    With ``prepare``, kernels keep what they derive from ``parameter``
    inputs in the arena between runs (``codegen.emit_step``): after a
    parameter changes, ``unprepare`` makes them derive it again.

    Raises:
        CompileError: when a node cannot be lowered.
    """
    from kgraph.backends.llvm.codegen import emit_step

    module = ir.Module(name="kgraph_graph")
    program = Program(graph=graph, kind=PREDICT, batch_size=0)
    layout = emit_step(module, program, "kgraph_graph_step", prepare=prepare)
    text = str(module)
    library = jit.compile_ir(text)
    function = _STEP(library.address(layout.name))
    return CompiledGraph(
        graph, layout, library, function, runtime.arena(layout.arena_size), text
    )


def unprepare(compiled: CompiledGraph) -> None:
    """Clears the ready word of a graph compiled with ``prepare``: its next
    run derives its prepared state from the parameters again."""
    if compiled.layout.prepared is not None:
        start = compiled.layout.prepared
        compiled.arena[start : start + 8] = 0


def run_graph(
    compiled: CompiledGraph, feeds: Mapping[str, Any], threads: int = 1
) -> dict[str, np.ndarray]:
    """Runs a compiled graph on inputs by name, like the interpreter's ``run``,
    on ``threads`` threads (its shared kernels split their work).

    Raises:
        GraphError: for a missing input; TypeError or ValueError for an input
            of the wrong dtype or shape.
    """
    graph = compiled.graph
    arrays = []
    for name in compiled.layout.inputs:
        node = graph.placeholder(name)
        if name not in feeds:
            raise errors.GraphError(f"Input '{name}' ({node.type}) was not fed.")
        # Inputs are only read: any dtype, layout or alignment is copied into
        # the one native code expects.
        array = np.require(feeds[name], node.type.dtype, ["C_CONTIGUOUS", "ALIGNED"])
        runtime.check_array(name, array, node.type, None, writable=False)
        arrays.append(array)
    table = np.zeros(max(len(compiled.layout.outputs), 1), dtype=np.uintp)
    pointers = runtime.pointers(arrays)
    compiled.barrier[:] = 0
    parallel.run(
        lambda tid: compiled.function(
            compiled.arena.ctypes.data,
            pointers.ctypes.data,
            table.ctypes.data,
            tid,
            threads,
            compiled.barrier.ctypes.data,
        ),
        threads,
    )
    results = {}
    for position, name in enumerate(compiled.layout.outputs):
        node_type = graph.node(graph.outputs[name]).type
        count = int(node_type.size or 0)
        dtype = np.dtype(node_type.dtype)
        if count == 0:
            results[name] = np.zeros(node_type.shape, dtype)
            continue
        buffer = (ctypes.c_char * (count * dtype.itemsize)).from_address(
            int(table[position])
        )
        results[name] = (
            np.frombuffer(buffer, dtype=dtype).reshape(node_type.shape).copy()
        )
    return results


def build_gemm_module(
    m: int,
    n: int,
    k: int,
    transpose_a: bool,
    transpose_b: bool,
    dtype: str = "float32",
    plan: GemmPlan | None = None,
    with_rows: bool = False,
) -> ir.Module:
    """A module with ``void gemm(a, b, out[, start, stop])`` running one GEMM
    (``emit_gemm``, or the given ``plan``) and, without rows,
    ``void gemm_repeat(a, b, out, count)`` calling it ``count`` times."""
    module = ir.Module(name="kgraph_gemm")
    args = [PTR] * 3 + ([I64, I64] if with_rows else [])
    function = ir.Function(module, ir.FunctionType(ir.VoidType(), args), "gemm")
    for argument in function.args[:3]:
        argument.add_attribute("noalias")
    function.attributes.add("noinline")
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    em = Emitter(builder)
    a, b, out = function.args[:3]
    rows = (function.args[3], function.args[4]) if with_rows else None
    emit_gemm(em, a, b, out, m, n, k, transpose_a, transpose_b, dtype, rows, plan=plan)
    builder.ret_void()
    if not with_rows:
        kind = ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, I64])
        repeat = ir.Function(module, kind, "gemm_repeat")
        builder = ir.IRBuilder(repeat.append_basic_block("entry"))
        with Emitter(builder).loop(repeat.args[3], "r"):
            builder.call(function, list(repeat.args[:3]))
        builder.ret_void()
    return module


@dataclass
class CompiledGemm:
    """A compiled standalone GEMM (see ``compile_gemm``)."""

    library: Any
    function: Any
    repeat: Any
    ir_text: str


def compile_gemm(
    m: int,
    n: int,
    k: int,
    transpose_a: bool,
    transpose_b: bool,
    dtype: str = "float32",
    plan: GemmPlan | None = None,
) -> CompiledGemm:
    """Compiles ``gemm(a, b, out)`` and ``gemm_repeat(a, b, out, count)``."""
    module = build_gemm_module(m, n, k, transpose_a, transpose_b, dtype, plan)
    text = str(module)
    library = jit.compile_ir(text)
    function = ctypes.CFUNCTYPE(
        None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p
    )(library.address("gemm"))
    repeat = ctypes.CFUNCTYPE(
        None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64
    )(library.address("gemm_repeat"))
    return CompiledGemm(library, function, repeat, text)

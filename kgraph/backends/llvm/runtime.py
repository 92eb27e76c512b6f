"""The ctypes ABI: the LLVM backend's executable.

``LLVMExecutable`` compiles one native loop per (kind, batch size, size of
the last batch), keeps it, and calls it with pointers to the state and data
arrays. Every array is checked before native code runs: contiguous, the
dtype and per-row shape the program expects, writable where it is written,
indices in range; anything else is a ``TypeError`` or ``ValueError``.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from llvmlite import ir

from kgraph import errors
from kgraph.backends.base import ProgramSource
from kgraph.backends.llvm import jit
from kgraph.backends.llvm.train_loop import LoopSpec
from kgraph.backends.llvm.train_loop import emit_loop
from kgraph.compiler.program import EVAL
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import TRAIN
from kgraph.compiler.program import Program

_SIGNATURE = ctypes.CFUNCTYPE(
    ctypes.c_int64,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_float,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
)


def _arena(size: int) -> np.ndarray:
    """A zeroed byte array whose data is 64-byte aligned."""
    raw = np.zeros(size + 64, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64
    return raw[start : start + size]


@dataclass
class CompiledLoop:
    """A loaded native loop and everything needed to call it."""

    spec: LoopSpec
    library: jit.Library
    function: Any
    arenas: tuple[np.ndarray, np.ndarray]
    programs: tuple[Program, Program]
    ir_text: str


def build_module(kind: str, full: Program, partial: Program) -> tuple[str, LoopSpec]:
    """Returns the IR text of a loop module and its ``LoopSpec``."""
    module = ir.Module(name=f"kgraph_{kind}")
    spec = emit_loop(module, kind, full, partial, f"kgraph_{kind}_loop")
    return str(module), spec


class LLVMExecutable:
    """Runs programs as native loops (see ``backends.base.Executable``).

    Args:
        programs: gives the program for a kind and a batch size.
    """

    def __init__(self, programs: ProgramSource) -> None:
        self.programs = programs
        self.loops: dict[tuple[str, int, int], CompiledLoop] = {}

    def loop(self, kind: str, batch_size: int, count: int) -> CompiledLoop:
        """The compiled loop for ``count`` samples in batches of ``batch_size``."""
        partial = count - (math.ceil(count / batch_size) - 1) * batch_size
        key = (kind, batch_size, partial)
        if key not in self.loops:
            full_program = self.programs(kind, batch_size)
            partial_program = (
                full_program if partial == batch_size else self.programs(kind, partial)
            )
            text, spec = build_module(kind, full_program, partial_program)
            library = jit.compile_ir(text)
            function = _SIGNATURE(library.address(spec.entry))
            arenas = (_arena(spec.arena_sizes[0]), _arena(spec.arena_sizes[1]))
            self.loops[key] = CompiledLoop(
                spec, library, function, arenas, (full_program, partial_program), text
            )
        return self.loops[key]

    def train(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        order: np.ndarray,
        batch_size: int,
        batches: range,
        step: int,
        seed: int,
        learning_rate: float,
    ) -> dict[str, np.ndarray]:
        """Trains on a range of batches (see ``Executable.train``)."""
        count = len(order)
        order = np.ascontiguousarray(order, dtype=np.int64)
        if count and (order.min() < 0 or order.max() >= _rows(data)):
            raise ValueError(
                f"The batch order indexes outside the data's {_rows(data)} rows. "
                f"Received: order with min {order.min()} and max {order.max()}"
            )
        compiled = self.loop(TRAIN, batch_size, count)
        results = np.zeros(compiled.spec.results_size, dtype=np.float64)
        self._call(
            compiled,
            state,
            data,
            order,
            count,
            batches.start,
            batches.stop,
            step,
            seed,
            learning_rate,
            results,
        )
        return _statistics(compiled.spec, results)

    def evaluate(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
    ) -> dict[str, np.ndarray]:
        """Sums the evaluation statistics over all batches."""
        count = _rows(data)
        compiled = self.loop(EVAL, batch_size, count)
        results = np.zeros(compiled.spec.results_size, dtype=np.float64)
        self._call(
            compiled,
            state,
            data,
            None,
            count,
            0,
            math.ceil(count / batch_size),
            0,
            0,
            0.0,
            results,
        )
        return _statistics(compiled.spec, results)

    def predict(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
    ) -> dict[str, np.ndarray]:
        """Runs the prediction loop over all samples."""
        count = _rows(data)
        compiled = self.loop(PREDICT, batch_size, count)
        graph = compiled.programs[0].graph
        outputs = {}
        for name in compiled.spec.results:
            node_type = graph.node(graph.outputs[name]).type
            outputs[name] = np.empty((count, *node_type.shape[1:]), node_type.dtype)
        table = _pointers([outputs[name] for name in compiled.spec.results])
        self._call(
            compiled,
            state,
            data,
            None,
            count,
            0,
            math.ceil(count / batch_size),
            0,
            0,
            0.0,
            table,
        )
        return outputs

    def _call(
        self,
        compiled: CompiledLoop,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        order: np.ndarray | None,
        count: int,
        first: int,
        last: int,
        step: int,
        seed: int,
        rate: float,
        results: Any,
    ) -> None:
        _check(compiled, state, data)
        state_table = _pointers([state[name] for name in compiled.spec.state])
        data_table = _pointers([data[name] for name in compiled.spec.data])
        status = compiled.function(
            state_table.ctypes.data,
            data_table.ctypes.data,
            None if order is None else order.ctypes.data,
            count,
            first,
            last,
            step,
            seed,
            ctypes.c_float(rate),
            results.ctypes.data,
            compiled.arenas[0].ctypes.data,
            compiled.arenas[1].ctypes.data,
        )
        if status != 0:
            raise errors.KGraphError(f"The native {compiled.spec.kind} loop failed.")


def _rows(data: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(data.values())))


def _pointers(arrays: list[np.ndarray]) -> np.ndarray:
    return np.array([a.ctypes.data for a in arrays] or [0], dtype=np.uintp)


def _statistics(spec: LoopSpec, results: np.ndarray) -> dict[str, np.ndarray]:
    return {
        name: results[offset : offset + size].reshape(())
        if size == 1
        else results[offset : offset + size].copy()
        for name, (offset, size) in spec.results.items()
    }


def _check(
    compiled: CompiledLoop,
    state: Mapping[str, np.ndarray],
    data: Mapping[str, np.ndarray],
) -> None:
    """Rejects any array native code must not see."""
    graph = compiled.programs[0].graph
    expected = {node.name: node.type for node in graph.placeholders()}
    for other in compiled.programs[1:]:
        expected.update(
            {
                n.name: n.type
                for n in other.graph.placeholders()
                if n.name not in expected
            }
        )
    rows = _rows(data)
    for name in compiled.spec.data:
        _check_array(name, data.get(name), expected[name], rows, writable=False)
    written = set(compiled.programs[0].updates.values())
    for name in compiled.spec.state:
        if name in expected:
            _check_array(name, state.get(name), expected[name], None, name in written)


def _check_array(
    name: str, array: Any, expected: Any, rows: int | None, writable: bool
) -> None:
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"'{name}' must be a NumPy array. Received: {type(array).__name__}"
        )
    if array.dtype.name != expected.dtype:
        raise TypeError(
            f"'{name}' must have dtype {expected.dtype}. Received: dtype={array.dtype}"
        )
    shape = (rows, *expected.shape[1:]) if rows is not None else expected.shape
    if tuple(array.shape) != tuple(shape):
        raise ValueError(
            f"'{name}' must have shape {tuple(shape)}. Received: shape={array.shape}"
        )
    if not array.flags.c_contiguous:
        raise ValueError(f"'{name}' must be C-contiguous. Received: a strided array")
    if writable and not array.flags.writeable:
        raise ValueError(
            f"'{name}' is updated in place but is read-only. Received: "
            "a read-only array"
        )


@dataclass
class CompiledGraph:
    """A graph compiled as one step function, to run on given inputs."""

    graph: Any
    layout: Any
    library: jit.Library
    function: Any
    arena: np.ndarray
    ir_text: str


_STEP = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


def compile_graph(graph: Any) -> CompiledGraph:
    """Compiles a graph with static shapes into one native step function.

    Raises:
        CompileError: when a node cannot be lowered.
    """
    from kgraph.backends.llvm.codegen import emit_step

    module = ir.Module(name="kgraph_graph")
    program = Program(graph=graph, kind=PREDICT, batch_size=0)
    layout = emit_step(module, program, "kgraph_graph_step")
    text = str(module)
    library = jit.compile_ir(text)
    function = _STEP(library.address(layout.name))
    return CompiledGraph(
        graph, layout, library, function, _arena(layout.arena_size), text
    )


def run_graph(
    compiled: CompiledGraph, feeds: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Runs a compiled graph on inputs by name, like the interpreter's ``run``.

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
        array = np.asarray(feeds[name], dtype=node.type.dtype)
        if not array.flags.c_contiguous:
            array = array.copy()
        _check_array(name, array, node.type, None, writable=False)
        arrays.append(array)
    table = np.zeros(max(len(compiled.layout.outputs), 1), dtype=np.uintp)
    compiled.function(
        compiled.arena.ctypes.data, _pointers(arrays).ctypes.data, table.ctypes.data
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

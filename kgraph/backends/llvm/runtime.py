"""The ctypes ABI: the LLVM backend's executable.

``LLVMExecutable`` compiles one native loop per (kind, batch size, size of
the last batch), keeps it, and calls it with pointers to the state and data
arrays. Every array is checked before native code runs: C-contiguous and
aligned, the dtype (in native byte order) and per-row shape the program
expects, writable where it is written; the batch order and the range of
batches inside the data. Anything else is a ``TypeError`` or ``ValueError``.
Class indices inside the data (sparse labels) are not checked here: native
gathers clamp them (``ops.lowering.gather_index``), the trainer rejects them.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import mmap
import threading
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import cast

import numpy as np
from llvmlite import ir

from kgraph import config
from kgraph import errors
from kgraph.backends.base import ProgramSource
from kgraph.backends.base import check_batch_first
from kgraph.backends.llvm import fpenv
from kgraph.backends.llvm import jit
from kgraph.backends.llvm import parallel
from kgraph.backends.llvm import threads
from kgraph.backends.llvm.codegen import shares_work
from kgraph.backends.llvm.train_loop import LoopSpec
from kgraph.backends.llvm.train_loop import emit_loop
from kgraph.backends.llvm.train_loop import skeleton
from kgraph.compiler.program import EVAL
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import TRAIN
from kgraph.compiler.program import Program
from kgraph.ir.types import TensorType
from kgraph.ops import collective
from kgraph.ops import lowering

_ARGUMENTS = (
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
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_void_p,
)
# The loops' ctypes signatures: one releases the GIL during the call (other
# Python threads run meanwhile), the other keeps it, for calls so short that
# handing the GIL over and back costs more than the call (one-row
# predictions from several threads would otherwise queue for it).
_SIGNATURE = ctypes.CFUNCTYPE(*_ARGUMENTS)
_SIGNATURE_HOLDING_GIL = ctypes.PYFUNCTYPE(*_ARGUMENTS)
# Below this many samples a call runs on one thread: waking the others
# costs more than they save.
_MIN_SHARED_SAMPLES = 64


# State arrays and arenas start on a cache line: threads that update
# different columns of a weight in place then never write the same line.
ALIGNMENT = 64


# What an arena pair's prepared state was derived from: the state version
# and the state arrays' pointer table (``None``: nothing known).
Derived = tuple[int, np.ndarray] | None


def arena(size: int) -> np.ndarray:
    """A zeroed byte array whose data is 64-byte aligned.

    A big one is an anonymous mapping of its own (page aligned, zero
    pages the kernel fills on first touch): NumPy asks for transparent
    huge pages for big arrays, and where the kernel cannot give them it
    compacts memory on every fault, which made the first step of a long
    sequence model several times slower than the next ones.
    """
    if size >= _MAPPED_ARENA_BYTES:
        return np.frombuffer(mmap.mmap(-1, size), dtype=np.uint8)
    raw = np.zeros(size + ALIGNMENT, dtype=np.uint8)
    start = (-raw.ctypes.data) % ALIGNMENT
    return raw[start : start + size]


# Arenas from this size on are mappings of their own (see ``arena``).
_MAPPED_ARENA_BYTES = 1 << 22


@dataclass
class CompiledLoop:
    """A loaded native loop and everything needed to call it."""

    spec: LoopSpec
    library: jit.Library
    function: Callable[..., None]
    arenas: tuple[np.ndarray, np.ndarray]
    programs: tuple[Program, Program]
    ir_text: str
    # The threads' shared barrier words (see threads.py).
    barrier: np.ndarray = dataclasses.field(
        default_factory=lambda: arena(threads.BARRIER_BYTES).view(np.int64)
    )
    # Filled on first use: the checked types, the state written in place, and
    # the last pointer tables (state arrays stay put between calls).
    expected: dict[str, TensorType] | None = None
    tables: dict[str, tuple[tuple[np.ndarray, ...], np.ndarray]] = dataclasses.field(
        default_factory=dict
    )
    # The same loop called keeping the GIL (``_SIGNATURE_HOLDING_GIL``).
    short_call: Callable[..., int] | None = None
    # Whether its steps have kernels shared among threads however few the
    # rows (``codegen.shares_work``).
    heavy: bool = False
    # The addresses of the module's words the runtime reads or writes, by
    # symbol (0: the loop has none): its out-of-range flag and its reducer.
    addresses: dict[str, int] = dataclasses.field(default_factory=dict)
    # Arena pairs not in use, each with what its prepared state was derived
    # from (see ``take_arenas``). A call takes one (a new pair when every
    # pair is in use) and gives it back, so calls from several Python
    # threads never share scratch memory or prepared state.
    spare: list[tuple[tuple[np.ndarray, np.ndarray], Derived]] = dataclasses.field(
        default_factory=list
    )

    def __post_init__(self) -> None:
        self.spare.append((self.arenas, None))

    def take_arenas(self, derived: Derived) -> tuple[np.ndarray, np.ndarray]:
        """A pair of arenas for one call (see ``spare``). Its prepared state
        is cleared unless it was derived from the same ``(version, state
        pointer table)`` (``None``: unknown, always cleared). ``list.pop``
        and ``append`` are atomic, so the pool needs no lock (a lock held
        across a switch of the GIL would make concurrent callers queue)."""
        try:
            arenas, before = self.spare.pop()
        except IndexError:
            first, second = self.arenas
            arenas, before = (arena(first.nbytes), arena(second.nbytes)), None
        same = (
            derived is not None
            and before is not None
            and before[0] == derived[0]
            and before[1] is derived[1]
        )
        if not same:
            for storage, ready in zip(arenas, self.spec.prepared, strict=True):
                if ready >= 0:
                    storage[ready : ready + 8] = 0
        return arenas

    def give_back(
        self, arenas: tuple[np.ndarray, np.ndarray], derived: Derived
    ) -> None:
        """Returns a call's arenas to the pool, with what their prepared
        state was derived from."""
        self.spare.append((arenas, derived))

    @property
    def written(self) -> set[str]:
        """The state entries the loop writes."""
        return set(self.programs[0].updates.values())


def write_dumps(stem: str, ir_texts: list[str]) -> None:
    """Writes the IR, the optimized IR and the assembly of a loop's modules
    to ``KGRAPH_DUMP_DIR`` when it is set (one file of each kind)."""
    folder = config.dump_dir()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.ll").write_text(join_modules(ir_texts))
    optimized = [jit.optimized_ir(text) for text in ir_texts]
    (folder / f"{stem}.opt.ll").write_text(join_modules(optimized))
    assembly = [jit.assembly(text) for text in ir_texts]
    (folder / f"{stem}.s").write_text(join_modules(assembly))


def join_modules(texts: list[str]) -> str:
    """Several modules' text as one dump, each under a separator line."""
    return "\n".join(f"; ---- module {i} ----\n{text}" for i, text in enumerate(texts))


def _compile_loop(
    kind: str, full: Program, partial: Program, stem: str
) -> tuple[LoopSpec, jit.Library, str]:
    """A loop's spec, loaded code and IR text (empty when it came from the
    cache by the programs' key, without generating IR)."""
    index_key = jit.cache_key(_programs_description(kind, full, partial))
    if config.dump_dir() is None:
        cached = _cached_loop(index_key, kind, full, partial)
        if cached is not None:
            return cached
    text, spec = build_module(kind, full, partial)
    write_dumps(stem, text)
    library = jit.compile_ir(text)
    library.key = index_key
    jit.write_index(
        index_key, {"spec": _spec_record(spec), "modules": library.module_keys}
    )
    return spec, library, join_modules(text)


def _cached_loop(
    index_key: str, kind: str, full: Program, partial: Program
) -> tuple[LoopSpec, jit.Library, str] | None:
    """A loop from the cache, only when its record is whole and agrees with
    the programs (names, shapes, offsets, sizes); anything else is rebuilt,
    never trusted (see ``jit``'s trust model)."""
    record = jit.read_index(index_key)
    spec = _checked_spec(record, kind, full, partial)
    if spec is None:
        return None
    modules = record.get("modules") if isinstance(record, dict) else None
    if not isinstance(modules, list) or not all(
        isinstance(m, str) and len(m) == 64 for m in modules
    ):
        return None
    library = jit.load_cached(index_key, modules)
    return None if library is None else (spec, library, "")


def _checked_spec(
    record: object, kind: str, full: Program, partial: Program
) -> LoopSpec | None:
    if not isinstance(record, dict) or not isinstance(record.get("spec"), dict):
        return None
    try:
        spec = _spec_from_record(record["spec"])
    except (KeyError, TypeError, ValueError):
        return None
    expected = skeleton(kind, full, partial, f"kgraph_{kind}_loop")
    same = (
        spec.kind == expected.kind
        and spec.entry == expected.entry
        and spec.batch_size == expected.batch_size
        and spec.partial == expected.partial
        and spec.data == expected.data
        and spec.state == expected.state
        and spec.results == expected.results
        and spec.shapes == expected.shapes
    )
    planned = max(
        (p.plan.arena_size for p in (full, partial) if p.plan is not None), default=0
    )
    sizes = spec.arena_sizes
    ready = spec.prepared
    sane = (
        len(sizes) == 2
        and all(isinstance(n, int) and 0 <= n < 1 << 40 for n in sizes)
        and sizes[0] >= planned
        and len(ready) == 2
        and all(
            isinstance(r, int) and (r == -1 or (0 <= r <= n - 8 and r % 8 == 0))
            for r, n in zip(ready, sizes, strict=True)
        )
    )
    return spec if same and sane else None


def _programs_description(kind: str, full: Program, partial: Program) -> str:
    """Everything the generated code depends on, for the loop cache's key."""
    parts = [kind, jit.source_fingerprint(), str(threads.SPINS), str(fpenv.applies())]
    # Kernels with workspaces have one per thread (codegen.workspace_bytes).
    parts.append(str(config.num_threads()))
    for program in (full, partial):
        plan = program.plan
        parts += [
            program.graph.to_json(),
            str(program.batch_size),
            repr(sorted(program.updates.items())),
            repr(program.stats),
            repr(program.predictions),
            repr(
                None
                if plan is None
                else (
                    sorted(plan.offsets.items()),
                    sorted(plan.in_place.items()),
                    plan.arena_size,
                    plan.units,
                )
            ),
        ]
    return "\n".join(parts)


def _spec_record(spec: LoopSpec) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "entry": spec.entry,
        "batch_size": spec.batch_size,
        "partial": spec.partial,
        "data": spec.data,
        "state": spec.state,
        # A list, not a dict: the order of the results is the order of the
        # prediction outputs (and the cache's JSON sorts dict keys).
        "results": [[name, *value] for name, value in spec.results.items()],
        "shapes": [[name, list(shape)] for name, shape in spec.shapes.items()],
        "arena_sizes": list(spec.arena_sizes),
        "prepared": list(spec.prepared),
    }


def _spec_from_record(record: dict[str, Any]) -> LoopSpec:
    return LoopSpec(
        kind=record["kind"],
        entry=record["entry"],
        batch_size=record["batch_size"],
        partial=record["partial"],
        data=list(record["data"]),
        state=list(record["state"]),
        results={name: (offset, size) for name, offset, size in record["results"]},
        shapes={name: tuple(shape) for name, shape in record["shapes"]},
        arena_sizes=tuple(record["arena_sizes"]),
        prepared=tuple(record["prepared"]),
    )


def build_module(
    kind: str, full: Program, partial: Program
) -> tuple[list[str], LoopSpec]:
    """Returns the IR texts of a loop (the loop's module first, then one per
    step function) and its ``LoopSpec``."""
    module = ir.Module(name=f"kgraph_{kind}")
    spec = emit_loop(module, kind, full, partial, f"kgraph_{kind}_loop")
    return [str(module), *(str(step) for step in spec.step_modules)], spec


class LLVMExecutable:
    """Runs programs as native loops (see ``backends.base.Executable``).

    Args:
        programs: gives the program for a kind and a batch size.
    """

    def __init__(self, programs: ProgramSource, threads: int | None = None) -> None:
        self.programs = programs
        self.threads = max(1, threads or config.num_threads())
        self.loops: dict[tuple[str, int, int], CompiledLoop] = {}
        # Compiling a loop happens once even when several threads ask.
        self._compiling = threading.Lock()

    def placement(self, array: np.ndarray) -> np.ndarray | None:
        """A cache-line aligned array for state that is not on a cache line
        (see ``Executable.placement``)."""
        if array.ctypes.data % ALIGNMENT == 0:
            return None
        storage = arena(max(array.nbytes, 1))[: array.nbytes]
        return storage.view(array.dtype).reshape(array.shape)

    def loop(self, kind: str, batch_size: int, count: int) -> CompiledLoop:
        """The compiled loop for ``count`` samples in batches of ``batch_size``."""
        if 0 < count < batch_size:
            # One short batch: a step for full batches would never run.
            batch_size = count
        partial = count - (math.ceil(count / batch_size) - 1) * batch_size
        key = (kind, batch_size, partial)
        found = self.loops.get(key)
        if found is not None:
            return found
        with self._compiling:
            return self._compile(kind, batch_size, partial)

    def _compile(self, kind: str, batch_size: int, partial: int) -> CompiledLoop:
        key = (kind, batch_size, partial)
        if key not in self.loops:
            full_program = self.programs(kind, batch_size)
            partial_program = (
                full_program if partial == batch_size else self.programs(kind, partial)
            )
            _check_static(full_program)
            spec, library, text = _compile_loop(
                kind, full_program, partial_program, f"{kind}_b{batch_size}_p{partial}"
            )
            function = _SIGNATURE(library.address(spec.entry))
            short_call = _SIGNATURE_HOLDING_GIL(library.address(spec.entry))
            arenas = (arena(spec.arena_sizes[0]), arena(spec.arena_sizes[1]))
            self.loops[key] = CompiledLoop(
                spec,
                library,
                function,
                arenas,
                (full_program, partial_program),
                text,
                short_call=short_call,
                heavy=any(map(shares_work, (full_program, partial_program))),
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
        """Trains on a range of batches (see ``Executable.train``).

        Raises:
            TypeError: for an ``order`` that is not integers, or a bad array.
            ValueError: for batches outside the ``order``, an ``order``
                indexing outside the data, or a bad array.
        """
        _check_batch_size(batch_size)
        order = _check_order(order, _rows(data))
        count = len(order)
        _check_batches(batches, count, batch_size)
        _check_int64("step", step, step + len(batches))
        _check_int64("seed", seed, seed + step + len(batches))
        if not len(batches):
            return {}
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
        version: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Sums the evaluation statistics over all batches (``version``: see
        ``Executable.predict``)."""
        _check_batch_size(batch_size)
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
            version,
        )
        return _statistics(compiled.spec, results)

    def predict(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
        version: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Runs the prediction loop over all samples (``version``: see
        ``Executable.predict``)."""
        _check_batch_size(batch_size)
        count = _rows(data)
        compiled = self.loop(PREDICT, batch_size, count)
        rows = min(batch_size, count) if count else batch_size
        partial = count - (math.ceil(count / rows) - 1) * rows if count else rows
        check_batch_first(compiled.programs[0], rows)
        check_batch_first(compiled.programs[1], partial)
        outputs = {
            name: np.empty(shape, dtype)
            for name, (shape, dtype) in _output_types(compiled, count).items()
        }
        table = pointers([outputs[name] for name in compiled.spec.results])
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
            version,
        )
        return outputs

    def predict_plan(
        self, state: Mapping[str, np.ndarray], data: Mapping[str, np.ndarray]
    ) -> Any:
        """A ``serving.PredictPlan`` for one batch of data of the signature
        of ``data`` (every check of ``predict`` made once), or ``None`` for a
        loop that sums across processes."""
        from kgraph.backends.llvm.serving import PredictPlan

        count = _rows(data)
        compiled = self.loop(PREDICT, count, count)
        if _address_of(compiled, collective.REDUCER_SYMBOL):
            return None
        check_batch_first(compiled.programs[0], count)
        _check(compiled, state, data)
        few = count < _MIN_SHARED_SAMPLES and not compiled.heavy
        return PredictPlan(
            compiled,
            state,
            [(data[n].shape, data[n].dtype) for n in compiled.spec.data],
            list(_output_types(compiled, count).values()),
            count,
            1 if few else self.threads,
        )

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
        results: np.ndarray,
        version: int | None = None,
    ) -> None:
        _check(compiled, state, data)
        _install_reducer(compiled)
        note_native_call()
        state_table = _table(compiled, "state", [state[n] for n in compiled.spec.state])
        data_table = _table(compiled, "data", [data[n] for n in compiled.spec.data])
        # Prepared state holds for the same state arrays at the same version.
        derived = None if version is None else (version, state_table)
        arenas = compiled.take_arenas(derived)
        arguments = (
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
            arenas[0].ctypes.data,
            arenas[1].ctypes.data,
        )
        rows = count * (last - first)
        few = rows < _MIN_SHARED_SAMPLES and not compiled.heavy
        threads = 1 if few else self.threads
        words = compiled.barrier.ctypes.data
        # A call on a few rows keeps the GIL (see _SIGNATURE_HOLDING_GIL).
        function: Callable[..., Any] = compiled.function
        if few and compiled.short_call is not None:
            function = compiled.short_call
        try:
            statuses = parallel.run(
                lambda tid: function(*arguments, tid, threads, words), threads
            )
        finally:
            compiled.give_back(arenas, derived)
        if any(status != 0 for status in statuses):
            raise errors.KGraphError(f"The native {compiled.spec.kind} loop failed.")
        _check_index_flag(compiled)


# Calls of native loops so far (``native_calls``).
_NATIVE_CALLS = 0


def native_calls() -> int:
    """How many times this process has called a native loop (tests use it
    to prove that an ``[llvm]`` variant ran native code)."""
    return _NATIVE_CALLS


def note_native_call() -> None:
    """Counts one call of a native loop (see ``native_calls``)."""
    global _NATIVE_CALLS
    _NATIVE_CALLS += 1


def _output_types(
    compiled: CompiledLoop, count: int
) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """The shape and dtype of each prediction output for ``count`` samples,
    in the order of ``spec.results``."""
    graph = compiled.programs[0].graph
    types = {}
    for name in compiled.spec.results:
        node_type = graph.node(graph.outputs[name]).type
        row = cast(tuple[int, ...], node_type.shape[1:])  # static after the batch
        types[name] = ((count, *row), np.dtype(node_type.dtype))
    return types


def _address_of(compiled: CompiledLoop, symbol: str) -> int:
    """The address of one of the module's words (0 if it has none), looked
    up once: llvmlite serializes its calls behind one lock."""
    address = compiled.addresses.get(symbol)
    if address is None:
        address = compiled.library.engine.get_global_value_address(symbol)
        compiled.addresses[symbol] = address
    return address


def _install_reducer(compiled: CompiledLoop) -> None:
    """Points the loop's reducer word at the process's reducer (a training
    step of a data-parallel job sums its gradients through it), or at
    nothing (one process: the sum is the operand)."""
    address = _address_of(compiled, collective.REDUCER_SYMBOL)
    if not address:
        return
    reducer = collective.reducer()
    entry = reducer.native() if reducer is not None else 0
    ctypes.c_void_p.from_address(address).value = entry or None


def _check_index_flag(compiled: CompiledLoop) -> None:
    """Raises when a gather of the loop met an index outside its table (the
    native code clamped it to stay in bounds; the NumPy backend raises too).

    Raises:
        ShapeError: naming the loop (the NumPy backend's error for it).
    """
    address = _address_of(compiled, lowering.INDEX_ERROR_FLAG)
    if not address:
        return
    flag = ctypes.c_int32.from_address(address)
    if flag.value:
        flag.value = 0
        raise errors.ShapeError(
            f"take: an index of a gather (an Embedding, ops.take) in the native "
            f"{compiled.spec.kind} loop is outside its table: indices must lie "
            "in [-size, size) (the NumPy backend raises for the same data). "
            "Received: an out-of-range index"
        )


def _check_static(program: Program) -> None:
    """Native loops need every dimension but the batch's known.

    Raises:
        CompileError: naming the first input of unknown shape.
    """
    for node in program.graph.placeholders():
        if not node.type.is_static:
            raise errors.CompileError(
                f"The LLVM backend compiles graphs whose dimensions are known "
                f"once the batch size is: input '{node.name}' has shape "
                f"{node.type.shape}. Give the input a fixed shape, or use "
                "compile(backend='numpy') for sequences of any length. "
                f"Received: an input of shape {node.type.shape}"
            )


def _rows(data: Mapping[str, np.ndarray]) -> int:
    if not data:
        raise ValueError("No data arrays were given. Received: data={}")
    return len(next(iter(data.values())))


def _check_batch_size(batch_size: Any) -> None:
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int | np.integer)
        or batch_size <= 0
    ):
        raise ValueError(
            "`batch_size` must be a positive integer. "
            f"Received: batch_size={batch_size!r}"
        )


def _check_order(order: Any, rows: int) -> np.ndarray:
    """The epoch's order as contiguous int64 row indices into the data."""
    order = np.asarray(order)
    if order.dtype.kind not in "iu":
        raise TypeError(
            f"The batch order must be integer row indices. Received: "
            f"dtype={order.dtype}"
        )
    if order.ndim != 1:
        raise ValueError(
            f"The batch order must be one-dimensional. Received: shape={order.shape}"
        )
    if len(order) and (order.min() < 0 or order.max() >= rows):
        raise ValueError(
            f"The batch order indexes outside the data's {rows} rows. "
            f"Received: order with min {order.min()} and max {order.max()}"
        )
    return np.ascontiguousarray(order, dtype=np.int64)


def _check_batches(batches: Any, count: int, batch_size: int) -> None:
    """Every batch must start inside the order, or native code reads past it."""
    total = math.ceil(count / batch_size)
    if not isinstance(batches, range) or batches.step != 1:
        raise TypeError(f"`batches` must be a range with step 1. Received: {batches!r}")
    if len(batches) and (batches.start < 0 or batches.stop > total):
        raise ValueError(
            f"`batches` must lie in range(0, {total}) for {count} samples in "
            f"batches of {batch_size}. Received: {batches!r}"
        )


def _check_int64(name: str, *values: int) -> None:
    if any(not -(2**63) <= int(value) < 2**63 for value in values):
        raise ValueError(
            f"`{name}` does not fit a 64-bit integer. Received: {name}={values[0]}"
        )


def _table(compiled: CompiledLoop, which: str, arrays: list[np.ndarray]) -> np.ndarray:
    """The pointer table of ``arrays``, reused while they are the same
    arrays (the cache holds them, so their memory cannot be reused)."""
    cached = compiled.tables.get(which)
    if (
        cached is not None
        and len(cached[0]) == len(arrays)
        and all(a is b for a, b in zip(cached[0], arrays, strict=True))
    ):
        return cached[1]
    table = pointers(arrays)
    compiled.tables[which] = (tuple(arrays), table)
    return table


def pointers(arrays: list[np.ndarray]) -> np.ndarray:
    return np.array([a.ctypes.data for a in arrays] or [0], dtype=np.uintp)


def _statistics(spec: LoopSpec, results: np.ndarray) -> dict[str, np.ndarray]:
    """Each statistic's slice of the flat results, in the statistic's shape
    (a ``(1,)`` count stays ``(1,)``, a ``(T, L)`` one stays 2-D), as the
    interpreter returns it."""
    return {
        name: results[offset : offset + size].reshape(spec.shapes[name]).copy()
        for name, (offset, size) in spec.results.items()
    }


def _check(
    compiled: CompiledLoop,
    state: Mapping[str, np.ndarray],
    data: Mapping[str, np.ndarray],
) -> None:
    """Rejects any array native code must not see."""
    expected = compiled.expected
    if expected is None:
        expected = compiled.expected = _expected_types(compiled)
    rows = _rows(data)
    for name in compiled.spec.data:
        check_array(name, data.get(name), expected[name], rows, writable=False)
    written = compiled.written
    for name in compiled.spec.state:
        check_array(name, state.get(name), expected[name], None, name in written)


def _expected_types(compiled: CompiledLoop) -> dict[str, TensorType]:
    """The type of every array a loop reads or writes, by name."""
    graph = compiled.programs[0].graph
    expected = {node.input_name: node.type for node in graph.placeholders()}
    for other in compiled.programs[1:]:
        expected.update(
            {
                n.input_name: n.type
                for n in other.graph.placeholders()
                if n.input_name not in expected
            }
        )
    # A state entry the program overwrites without reading it has the type
    # of the output written over it.
    for program in compiled.programs:
        for output, path in program.updates.items():
            if path not in expected:
                graph = program.graph
                expected[path] = graph.node(graph.outputs[output]).type
    return expected


def check_array(
    name: str, array: Any, expected: Any, rows: int | None, writable: bool
) -> None:
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"'{name}' must be a NumPy array. Received: {type(array).__name__}"
        )
    # ``!=`` on dtypes, not on names: a byte-swapped float32 is named float32.
    if array.dtype != np.dtype(expected.dtype):
        raise TypeError(
            f"'{name}' must have dtype {expected.dtype} in native byte order. "
            f"Received: dtype={array.dtype.str}"
        )
    shape = (rows, *expected.shape[1:]) if rows is not None else expected.shape
    if tuple(array.shape) != tuple(shape):
        raise ValueError(
            f"'{name}' must have shape {tuple(shape)}. Received: shape={array.shape}"
        )
    if not array.flags.c_contiguous:
        raise ValueError(f"'{name}' must be C-contiguous. Received: a strided array")
    if not array.flags.aligned:
        raise ValueError(
            f"'{name}' must be aligned to its itemsize. Received: an array at "
            f"address {array.ctypes.data:#x}"
        )
    if writable and not array.flags.writeable:
        raise ValueError(
            f"'{name}' is updated in place but is read-only. Received: "
            "a read-only array"
        )

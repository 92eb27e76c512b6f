"""A model's predict loop as a library of its own: one object file with the
weights as constant data and a C entry point, for ``model.export(path,
format="c")``.

The object holds the predict loop and its steps (generated for one thread:
no barriers, no thread library), the weights, a zero-filled scratch buffer
and two functions per model (``NAME`` is the library's name)::

    int NAME_predict(const float *x0, ..., float *y0, ..., int64_t count);
    int NAME_predict_with_scratch(const float *x0, ..., float *y0, ...,
                                  int64_t count, void *scratch);

one pointer per input and per output, each ``count`` samples in C order.
The first uses the object's own scratch buffer (one caller at a time); the
second the caller's, ``NAME_SCRATCH_BYTES`` bytes aligned to 64 and
zero-filled before its first use, so threads with a buffer each may call
it at once. Neither allocates. Both return 0, or 1 when an index of a
gather (an ``Embedding``) was outside its table (clamped, as native
predict does before it raises).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import numpy as np
from llvmlite import ir

from kgraph.backends.llvm import jit
from kgraph.backends.llvm import target
from kgraph.backends.llvm import threads as threads_module
from kgraph.backends.llvm.codegen import align
from kgraph.backends.llvm.codegen import constant_data
from kgraph.backends.llvm.train_loop import LoopSpec
from kgraph.backends.llvm.train_loop import emit_loop
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import Program
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops.lowering import I8
from kgraph.ops.lowering import I32
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR

# Alignment of the weights and of the scratch regions.
_ALIGN = 64


@dataclass
class ExportedLibrary:
    """An exported predict loop.

    Args:
        name: the C prefix of its symbols.
        object_code: the relocatable object file.
        batch_size: the rows of the loop's step (any ``count`` works).
        inputs: ``(name, per-sample shape, dtype)`` of each input, in
            argument order.
        outputs: the same for each output.
        scratch_bytes: the scratch buffer ``NAME_predict_with_scratch``
            takes.
        triple: the target.
        externals: the C library functions it may call: math functions
            (its copies and fills are its own functions, local to it).
    """

    name: str
    object_code: bytes
    batch_size: int
    inputs: list[tuple[str, tuple[int, ...], str]] = field(default_factory=list)
    outputs: list[tuple[str, tuple[int, ...], str]] = field(default_factory=list)
    scratch_bytes: int = 0
    triple: str = ""
    externals: list[str] = field(default_factory=list)


def export_predict(
    name: str,
    full: Program,
    partial: Program,
    weights: dict[str, np.ndarray],
    triple: str | None = None,
    cpu: str | None = None,
    features: str | None = None,
    order: tuple[list[str], list[str]] | None = None,
) -> ExportedLibrary:
    """Compiles a predict loop and its weights into one object file.

    Args:
        name: the C prefix (an identifier).
        full: the predict program for full batches.
        partial: the program for a last, shorter batch (may be ``full``).
        weights: every state array the programs read, by input name.
        triple: the target triple (default: this machine's).
        cpu: the target CPU (default: this machine's for the host triple,
            the generic one otherwise).
        features: the target's features (LLVM's ``+avx2,...`` form).
        order: the inputs' and the outputs' names in the order of the C
            function's arguments (default: the loop's, by name).

    Returns:
        The ``ExportedLibrary``.

    Raises:
        ValueError: for a name that is not a C identifier or a missing
            weight.
        CompileError: when LLVM rejects the code.
    """
    if not name.isidentifier() or not name.isascii():
        raise ValueError(
            "export: the library's name must be a C identifier (letters, digits "
            f"and underscores, not starting with a digit). Received: name={name!r}"
        )
    triple, cpu, features = jit.target_options(triple, cpu, features)
    machine = target.Target(triple, target.vector_bytes_for(triple, features))
    module = ir.Module(name=name)
    with threads_module.single_threaded(), target.generating_for(machine):
        spec = emit_loop(module, PREDICT, full, partial, f"{name}_loop")
    missing = [state for state in spec.state if state not in weights]
    if missing:
        raise ValueError(
            f"export: the predict program reads weights that were not given. "
            f"Received: missing {missing}"
        )
    inputs_order, outputs_order = order or (spec.data, list(spec.results))
    if sorted(inputs_order) != sorted(spec.data) or sorted(outputs_order) != sorted(
        spec.results
    ):
        raise ValueError(
            f"export: the argument order must name every input and output once. "
            f"Received: inputs {inputs_order} for {spec.data}, outputs "
            f"{outputs_order} for {list(spec.results)}"
        )
    table = _weights_table(module, name, spec, weights)
    arenas = [align(size) for size in spec.arena_sizes]
    scratch_bytes = arenas[0] + arenas[1] + threads_module.BARRIER_BYTES
    with_scratch = _emit_entry(
        module, name, spec, table, arenas, (inputs_order, outputs_order)
    )
    _emit_static_entry(module, name, spec, with_scratch, scratch_bytes)
    texts = [str(module), *(str(step) for step in spec.step_modules)]
    code, externals = jit.export_object(texts, triple, cpu, features)
    graph = full.graph
    inputs = [_signature(graph.placeholder(n).type, n) for n in inputs_order]
    outputs = [_signature(graph.node(graph.outputs[n]).type, n) for n in outputs_order]
    return ExportedLibrary(
        name,
        code,
        full.batch_size,
        inputs,
        outputs,
        scratch_bytes,
        triple,
        externals,
    )


def _signature(node_type: TensorType, name: str) -> tuple[str, tuple[int, ...], str]:
    return name, node_type.dims[1:], node_type.dtype


def _weights_table(
    module: ir.Module, name: str, spec: LoopSpec, weights: dict[str, np.ndarray]
) -> ir.GlobalVariable:
    """Each weight as constant data, and the table of their addresses in
    the loop's ``state`` order."""
    pointers = [
        constant_data(module, f"{name}_weight_{index}", weights[state])
        for index, state in enumerate(spec.state)
    ]
    kind = ir.ArrayType(PTR, max(len(pointers), 1))
    table = ir.GlobalVariable(module, kind, f"{name}_weights")
    table.global_constant = True
    table.linkage = "internal"
    table.initializer = ir.Constant(kind, pointers or [ir.Constant(PTR, None)])
    return table


def _arguments(spec: LoopSpec) -> list[ir.Type]:
    return [PTR] * (len(spec.data) + len(spec.results)) + [I64]


def _emit_entry(
    module: ir.Module,
    name: str,
    spec: LoopSpec,
    table: ir.GlobalVariable,
    arenas: list[int],
    order: tuple[list[str], list[str]],
) -> ir.Function:
    """``int NAME_predict_with_scratch(inputs..., outputs..., count,
    scratch)``: the loop over ``count`` samples in the caller's scratch."""
    kind = ir.FunctionType(I32, [*_arguments(spec), PTR])
    function = ir.Function(module, kind, f"{name}_predict_with_scratch")
    arguments = list(function.args)
    given = dict(zip(order[0], arguments[: len(spec.data)], strict=True))
    made = dict(zip(order[1], arguments[len(spec.data) : -2], strict=True))
    # The loop's tables list its inputs and outputs in its own order.
    data = [given[name] for name in spec.data]
    results = [made[name] for name in spec.results]
    count, scratch = arguments[-2], arguments[-1]
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    data_table = _stack_table(builder, data)
    results_table = _stack_table(builder, results)
    arena_full = scratch
    arena_partial = builder.gep(scratch, [ir.Constant(I64, arenas[0])], source_etype=I8)
    words = builder.gep(
        scratch, [ir.Constant(I64, arenas[0] + arenas[1])], source_etype=I8
    )
    batch = ir.Constant(I64, spec.batch_size)
    if spec.batch_size > 1:
        # The loop's steps are for whole batches.
        uneven = builder.icmp_signed(
            "!=", builder.srem(count, batch), ir.Constant(I64, 0)
        )
        with builder.if_then(uneven):
            builder.ret(ir.Constant(I32, 2))
    last = builder.sdiv(
        builder.add(count, ir.Constant(I64, spec.batch_size - 1)), batch
    )
    loop = module.globals[spec.entry]
    zero = ir.Constant(I64, 0)
    builder.call(
        loop,
        [
            table,
            data_table,
            ir.Constant(PTR, None),
            count,
            zero,
            last,
            zero,
            zero,
            ir.Constant(ir.FloatType(), 0.0),
            results_table,
            arena_full,
            arena_partial,
            zero,
            ir.Constant(I64, 1),
            words,
        ],
    )
    builder.ret(_take_index_flag(builder, module))
    return function


def _take_index_flag(builder: ir.IRBuilder, module: ir.Module) -> ir.Value:
    """The out-of-range flag of the module's gathers (cleared), or 0."""
    if lowering.INDEX_ERROR_FLAG not in module.globals:
        return ir.Constant(I32, 0)
    flag = lowering.index_error_flag(module)
    value = builder.load(flag)
    builder.store(ir.Constant(I32, 0), flag)
    return builder.zext(builder.icmp_signed("!=", value, ir.Constant(I32, 0)), I32)


def _stack_table(builder: ir.IRBuilder, pointers: list[ir.Value]) -> ir.Value:
    table = builder.alloca(PTR, size=ir.Constant(I64, max(len(pointers), 1)))
    for index, pointer in enumerate(pointers):
        slot = builder.gep(table, [ir.Constant(I64, index)], source_etype=PTR)
        builder.store(pointer, slot)
    return table


def _emit_static_entry(
    module: ir.Module,
    name: str,
    spec: LoopSpec,
    with_scratch: ir.Function,
    scratch_bytes: int,
) -> None:
    """``int NAME_predict(inputs..., outputs..., count)`` on the object's
    own zero-filled scratch buffer."""
    kind = ir.ArrayType(I8, scratch_bytes)
    scratch = ir.GlobalVariable(module, kind, f"{name}_scratch")
    scratch.linkage = "internal"
    scratch.align = _ALIGN
    scratch.initializer = ir.Constant(kind, None)
    function = ir.Function(
        module, ir.FunctionType(I32, _arguments(spec)), f"{name}_predict"
    )
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    status = builder.call(with_scratch, [*function.args, scratch])
    builder.ret(status)

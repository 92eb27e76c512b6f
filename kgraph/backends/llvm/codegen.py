"""Program -> LLVM IR: one step function per program, one kernel per node.

The step function ``void <name>(ptr arena, ptr inputs, ptr outputs)`` reads
the placeholder pointers from ``inputs`` (in ``StepLayout.inputs`` order),
runs every node's kernel in topological order and writes a pointer to each
graph output into ``outputs`` (in ``StepLayout.outputs`` order). Computed
nodes live in the arena at static, 64-byte aligned offsets; ``reshape`` and
other views share their operand's bytes; constants are module globals.

Each kernel is an internal function named after its layer and node
(``dense_1_matmul_7``) taking ``(out, in0, in1, ...)``, so IR dumps read like
the graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

import numpy as np
from llvmlite import ir

from kgraph import errors
from kgraph.compiler.program import Program
from kgraph.ir.graph import Node
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.lowering import I8
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Buffer
from kgraph.ops.fused import scalar_body
from kgraph.ops.lowering import Emitter

ALIGNMENT = 64


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
    """

    name: str
    program: Program
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    arena_size: int = 0


def _symbol(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def kernel_name(node: Node) -> str:
    """``<layer>_<op>_<id>``, the readable name of a node's kernel."""
    layer = _symbol(node.layer) + "_" if node.layer else ""
    return f"{layer}{node.op}_{node.id}"


def emit_step(module: ir.Module, program: Program, name: str) -> StepLayout:
    """Adds a program's step function (and its kernels) to ``module``.

    Raises:
        CompileError: naming the op and node whose lowering failed.
    """
    graph = program.graph
    layout = StepLayout(name=name, program=program)
    layout.inputs = [node.name for node in graph.placeholders()]
    layout.outputs = list(graph.outputs)
    function = ir.Function(
        module, ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR]), name
    )
    arena, inputs, outputs = function.args
    for argument in function.args:
        argument.add_attribute("noalias")
    # NOTE: inlining a whole step into the batch loop, where every address
    # becomes a constant, sends LLVM's loop unroller into unbounded growth;
    # one call per batch costs nothing.
    function.attributes.add("noinline")
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    pointers: dict[int, ir.Value] = {}
    offset = 0
    for position, node_name in enumerate(layout.inputs):
        slot = builder.gep(inputs, [ir.Constant(I64, position)], source_etype=PTR)
        pointers[graph.placeholder(node_name).id] = builder.load(slot, typ=PTR)
    for node in graph.nodes():
        if node.op == "placeholder":
            continue
        if node.op == "constant":
            pointers[node.id] = _constant(module, name, node)
            continue
        opdef = registry.get(node.op)
        if opdef.view:
            pointers[node.id] = pointers[node.inputs[0]]
            continue
        here = builder.gep(arena, [ir.Constant(I64, offset)], source_etype=I8)
        pointers[node.id] = here
        offset += align(nbytes(node))
        kernel = _emit_kernel(module, name, program, node, opdef)
        builder.call(kernel, [here, *(pointers[i] for i in node.inputs)])
    for position, output_name in enumerate(layout.outputs):
        slot = builder.gep(outputs, [ir.Constant(I64, position)], source_etype=PTR)
        builder.store(pointers[graph.outputs[output_name]], slot)
    builder.ret_void()
    layout.arena_size = offset
    return layout


def _emit_matmul_epilogue(
    em: Emitter, inputs: list[Buffer], output: Buffer, body: tuple
) -> None:
    """A fused matmul: the product, then the epilogue entries applied to each
    element in place, reading only the operands the epilogue uses."""
    op, refs, attrs = body[0]
    matmul = registry.get(op)
    matmul.lower(em, [inputs[r] for r in refs], output, matmul.check_attrs(dict(attrs)))
    used = sorted({r for _, entry_refs, _ in body[1:] for r in entry_refs if r >= 0})
    buffers = [inputs[r] for r in used] + [output]
    dtypes = [b.dtype for b in inputs] + [output.dtype]

    def epilogue(values: list) -> ir.Value:
        leaves: list = [None] * len(inputs)
        for position, r in enumerate(used):
            leaves[r] = values[position]
        return scalar_body(em, body, [*leaves, values[-1]], dtypes, skip_first=True)

    lowering.elementwise(em, buffers, output, epilogue)


def _constant(module: ir.Module, prefix: str, node: Node) -> ir.Value:
    value = np.ascontiguousarray(node.attrs["value"], dtype=node.type.dtype)
    data = bytearray(value.tobytes()) or bytearray(1)
    kind = ir.ArrayType(I8, len(data))
    variable = ir.GlobalVariable(module, kind, f"{prefix}_const_{node.id}")
    variable.global_constant = True
    variable.linkage = "internal"
    variable.align = ALIGNMENT
    variable.initializer = ir.Constant(kind, data)
    return variable


def _emit_kernel(
    module: ir.Module, prefix: str, program: Program, node: Node, opdef: registry.OpDef
) -> ir.Function:
    graph = program.graph
    operands = [graph.node(i) for i in node.inputs]
    kind = ir.FunctionType(ir.VoidType(), [PTR] * (1 + len(operands)))
    function = ir.Function(module, kind, f"{prefix}_{kernel_name(node)}")
    function.linkage = "internal"
    function.args[0].add_attribute("noalias")
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    emitter = Emitter(builder)
    output = Buffer(function.args[0], node.type)
    inputs = [
        Buffer(argument, operand.type)
        for argument, operand in zip(function.args[1:], operands, strict=True)
    ]
    try:
        if opdef.kind == registry.FUSED and node.attrs["body"][0][0] == "matmul":
            _emit_matmul_epilogue(emitter, inputs, output, node.attrs["body"])
        elif opdef.kind == registry.ELEMENTWISE:
            in_dtypes = [operand.type.dtype for operand in operands]
            lowering.elementwise(
                emitter,
                inputs,
                output,
                lambda values: opdef.lower(
                    emitter, values, in_dtypes, node.type.dtype, node.attrs
                ),
            )
        else:
            opdef.lower(emitter, inputs, output, node.attrs)
    except Exception as error:
        raise errors.CompileError(
            f"Lowering {node.op} to LLVM failed: {error}. "
            f"Received: {graph.format_node(node.id)}"
        ) from error
    builder.ret_void()
    return function

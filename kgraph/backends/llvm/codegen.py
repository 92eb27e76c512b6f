"""Program -> LLVM IR: one step function per program, one kernel per node.

The step function ``void <name>(ptr arena, ptr inputs, ptr outputs)`` reads
the placeholder pointers from ``inputs`` (in ``StepLayout.inputs`` order),
runs every node's kernel in topological order and writes a pointer to each
graph output into ``outputs`` (in ``StepLayout.outputs`` order). Computed
nodes live in the arena at the offsets of the program's buffer plan (or one
after another without one), and state updates the plan marks in place are
written straight into the state array; ``reshape`` and other views share
their operand's bytes; constants are module globals.

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
from kgraph.backends.llvm.kernels import matmul as matmul_kernel
from kgraph.compiler.program import Program
from kgraph.ir.graph import Node
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.lowering import I8
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Buffer
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
        plan = program.plan
        if plan is not None and node.id in plan.in_place:
            here = pointers[graph.placeholder(plan.in_place[node.id]).id]
        else:
            where = plan.offsets[node.id] if plan is not None else offset
            here = builder.gep(arena, [ir.Constant(I64, where)], source_etype=I8)
            offset += align(nbytes(node))
        pointers[node.id] = here
        kernel = _emit_kernel(module, name, program, node, opdef)
        builder.call(kernel, [here, *(pointers[i] for i in node.inputs)])
    for position, output_name in enumerate(layout.outputs):
        slot = builder.gep(outputs, [ir.Constant(I64, position)], source_etype=PTR)
        builder.store(pointers[graph.outputs[output_name]], slot)
    builder.ret_void()
    layout.arena_size = program.plan.arena_size if program.plan is not None else offset
    return layout


def _is_gemm(node: Node, opdef: registry.OpDef) -> bool:
    """A float matmul, or a fused node whose body starts with one: these go
    to the GEMM generator (matmul's own lowering is the plain loop)."""
    if not matmul_kernel.supported(node.type.dtype):
        return False
    if opdef.kind == registry.MATMUL:
        return True
    return opdef.kind == registry.FUSED and node.attrs["body"][0][0] == "matmul"


def _emit_gemm_node(
    em: Emitter, node: Node, opdef: registry.OpDef, inputs: list[Buffer], output: Buffer
) -> None:
    if opdef.kind == registry.MATMUL:
        matmul_kernel.emit_matmul(em, inputs[0], inputs[1], output, node.attrs)
        return
    body = node.attrs["body"]
    _, refs, attrs = body[0]
    checked = registry.get("matmul").check_attrs(dict(attrs))
    matmul_kernel.emit_matmul(
        em, inputs[refs[0]], inputs[refs[1]], output, checked, body, inputs
    )


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
    # Kernels stay separate functions: LLVM optimizes many small functions
    # much faster than one huge step, and dumps keep their names.
    function.attributes.add("noinline")
    function.args[0].add_attribute("noalias")
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    emitter = Emitter(builder)
    output = Buffer(function.args[0], node.type)
    inputs = [
        Buffer(argument, operand.type)
        for argument, operand in zip(function.args[1:], operands, strict=True)
    ]
    try:
        if _is_gemm(node, opdef):
            _emit_gemm_node(emitter, node, opdef, inputs, output)
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

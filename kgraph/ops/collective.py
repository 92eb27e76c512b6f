"""``all_reduce``: the sum of a tensor over the processes of a job.

Data-parallel training (``kg.distribution.DataParallel``) puts one of these
in every training step, on the gradients of all parameters in one buffer.
The op computes through a *reducer* that the distribution installs for the
process (``set_reducer``): the NumPy backend calls its ``all_reduce``, and
native code calls its C entry point (``native``), whose address the LLVM
runtime writes into the module's ``REDUCER_SYMBOL`` word before each call.
Without a reducer the process is a job of one, and the sum is the operand
itself.
"""

from __future__ import annotations

from typing import Any
from typing import Protocol

import numpy as np
from llvmlite import ir

from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.builder import apply

# The module-level word native code reads the reducer's entry point from:
# ``int32 reduce(const float *send, float *receive, int64 count)``.
REDUCER_SYMBOL = "kgraph_all_reduce"


class Reducer(Protocol):
    """What a distribution gives the op: the sum over processes."""

    def all_reduce(self, array: np.ndarray) -> np.ndarray:
        """The element-wise sum of ``array`` over every process."""
        ...

    def native(self) -> int:
        """The address of the C entry point (see ``REDUCER_SYMBOL``)."""
        ...


_REDUCER: Reducer | None = None


def set_reducer(reducer: Reducer | None) -> None:
    """Installs the process's reducer (``None``: a job of one process)."""
    global _REDUCER
    _REDUCER = reducer


def reducer() -> Reducer | None:
    """The installed reducer, or ``None``."""
    return _REDUCER


def _infer(types: Any, attrs: Any) -> TensorType:
    (operand,) = types
    if operand.dtype != "float32":
        raise errors.DTypeError(
            f"all_reduce: sums float32 tensors only. Received: dtype={operand.dtype}"
        )
    return operand


def _reference(arrays: Any, attrs: Any) -> np.ndarray:
    (array,) = arrays
    array = np.ascontiguousarray(array, dtype=np.float32)
    if _REDUCER is None:
        return array.copy()
    return _REDUCER.all_reduce(array)


def _example(draw: Any) -> registry.Example:
    return registry.Example([(draw.shape(min_rank=1), "float", "real")])


def reducer_word(module: ir.Module) -> ir.GlobalVariable:
    """The module's reducer word (``REDUCER_SYMBOL``), zero until set."""
    existing = module.globals.get(REDUCER_SYMBOL)
    if existing is not None:
        return existing
    word = ir.GlobalVariable(module, lowering.PTR, REDUCER_SYMBOL)
    word.linkage = "common"
    word.initializer = ir.Constant(lowering.PTR, None)
    word.align = 8
    return word


class _FunctionLoad(ir.instructions.LoadInstr):
    """A pointer loaded from memory that is called as a function of
    ``signature`` (llvmlite calls take the callee's function type from
    it)."""

    def __init__(self, block: ir.Block, pointer: ir.Value, signature: ir.FunctionType):
        super().__init__(block, pointer, name="reducer", typ=lowering.PTR)
        self.signature = signature

    @property
    def function_type(self) -> ir.FunctionType:
        return self.signature


_SIGNATURE = ir.FunctionType(lowering.I32, [lowering.PTR, lowering.PTR, lowering.I64])


def _lower(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    """Calls the reducer from input to output; without one, copies."""
    (source,) = inputs
    builder = em.builder
    function = _FunctionLoad(builder.block, reducer_word(em.module), _SIGNATURE)
    builder._insert(function)
    absent = builder.icmp_unsigned("==", function, ir.Constant(lowering.PTR, None))
    with builder.if_else(absent) as (alone, together):
        with alone, em.loop(output.size, "n") as index:
            em.store(output, index, em.load(source, index))
        with together:
            builder.call(function, [source.ptr, output.ptr, em.index(output.size)])


registry.register(
    registry.OpDef(
        name="all_reduce",
        kind=registry.GATHER,
        arity=1,
        infer=_infer,
        reference=_reference,
        grad=None,
        example=_example,
        doc="The element-wise sum of a float32 tensor over the processes of a job.",
        lower=_lower,
        differentiable=False,
        effects=True,
    )
)


def all_reduce(x: Any) -> Any:
    """Returns the element-wise sum of ``x`` over the processes of the job.

    Args:
        x: a float32 tensor.

    Returns:
        A tensor like ``x``: ``x`` itself in a job of one process.

    Example:

    >>> all_reduce(np.ones(3, "float32")).numpy()
    array([1., 1., 1.], dtype=float32)
    """
    return apply("all_reduce", [x], {})

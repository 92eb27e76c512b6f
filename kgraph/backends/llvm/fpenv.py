"""The floating-point environment of the native loops: flush to zero.

A result too small for a normal float (a *denormal*, below 1.18e-38 in
magnitude for ``float32``) takes the slow path of many CPUs: on Zen a
multiply or a division that produces one costs tens of cycles instead of
one. Training makes them as a matter of course: Adam's first moment decays
by ``beta_1`` every step where a weight's gradient is zero (a dead ReLU
unit), down into the denormals, where rounding keeps it forever; on the MNIST
MLP of ``tools/bench.py`` most of ``dense/kernel``'s momentum ends there and
the update loop runs at half speed.

So the train, evaluate and predict loops set the CPU's flush-to-zero mode
(FTZ, bit 15 of MXCSR on x86-64) on entry, in every thread, and restore the
caller's mode on return: results that would be denormal become zero of the
same sign. TensorFlow runs all its CPU kernels this way (with
denormals-are-zero as well); denormal *inputs* here keep their value. The
NumPy reference does not flush: the two can differ by less than the smallest
normal number, far inside the tolerances (``kgraph.dtypes.TOLERANCES``).
``KGRAPH_FLUSH_DENORMALS=0`` keeps IEEE denormals (``config.flush_denormals``);
on other architectures the loops leave the mode alone.
"""

from __future__ import annotations

from llvmlite import ir

from kgraph import config
from kgraph.ops.lowering import I32
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Emitter

FLUSH_TO_ZERO = 1 << 15


def applies() -> bool:
    """Whether the loops flush denormals: asked for, and x86-64 code."""
    from kgraph.backends.llvm import jit
    from kgraph.backends.llvm import target

    other = target.current()
    triple = jit.process_triple() if other is None else other.triple
    return config.flush_denormals() and triple.startswith(("x86_64", "amd64"))


def _intrinsic(em: Emitter, name: str) -> ir.Function:
    module = em.builder.module
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    return ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR]), name)


def enter(em: Emitter) -> ir.Value | None:
    """Sets flush-to-zero; returns the slot holding the caller's mode (for
    ``leave``), or ``None`` where the mode is left alone."""
    if not applies():
        return None
    builder = em.builder
    with builder.goto_entry_block():
        saved = builder.alloca(I32)
        wanted = builder.alloca(I32)
    builder.call(_intrinsic(em, "llvm.x86.sse.stmxcsr"), [saved])
    mode = builder.or_(builder.load(saved, typ=I32), ir.Constant(I32, FLUSH_TO_ZERO))
    builder.store(mode, wanted)
    builder.call(_intrinsic(em, "llvm.x86.sse.ldmxcsr"), [wanted])
    return saved


def leave(em: Emitter, saved: ir.Value | None) -> None:
    """Restores the mode ``enter`` saved."""
    if saved is not None:
        em.builder.call(_intrinsic(em, "llvm.x86.sse.ldmxcsr"), [saved])

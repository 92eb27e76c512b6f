"""Threads in generated code: every thread runs the same loop function
(SPMD); big kernels share their outermost loop among the threads, small ones
run on thread 0, and a spin barrier in shared memory separates kernels that
depend on each other.

The barrier is two ``i64`` words (arrivals, generation): the last thread to
arrive resets the count and advances the generation; the others spin until
the generation changes. With one thread it returns at once.

Work is split by thread id in contiguous chunks that depend only on the
thread count, and reductions run on one thread, so results are the same
with any number of threads.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from llvmlite import ir

from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Emitter

BARRIER_NAME = "kgraph_barrier"
# Bytes of the barrier's shared memory (two words, each on its own line).
BARRIER_BYTES = 128
# Tries a waiting thread spins before it starts yielding its core.
SPINS = 2000
# Set while emitting code that always runs on one thread (an exported
# library): no barriers, and thread 0 is every thread.
_SINGLE = contextvars.ContextVar("kgraph_single_thread", default=False)


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Emits code for one thread inside the ``with`` block: barriers vanish
    (so nothing calls ``sched_yield``) and ``on_thread_zero`` is true."""
    token = _SINGLE.set(True)
    try:
        yield
    finally:
        _SINGLE.reset(token)


def barrier_function(module: ir.Module) -> ir.Function:
    """The module's barrier ``void kgraph_barrier(ptr words, i64 threads)``."""
    existing = module.globals.get(BARRIER_NAME)
    if existing is not None:
        return existing
    function = ir.Function(
        module, ir.FunctionType(ir.VoidType(), [PTR, I64]), BARRIER_NAME
    )
    function.linkage = "internal"
    words, threads = function.args
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    em = Emitter(builder)
    alone = builder.icmp_signed("<=", threads, em.index(1))
    with builder.if_then(alone):
        builder.ret_void()
    generation_slot = builder.gep(words, [em.index(8)], source_etype=I64)
    generation = builder.load_atomic(generation_slot, "acquire", 8, typ=I64)
    arrived = builder.atomic_rmw("add", words, em.index(1), "acq_rel")
    last = builder.icmp_signed("==", arrived, builder.sub(threads, em.index(1)))
    with builder.if_else(last) as (then, otherwise):
        with then:
            builder.atomic_rmw("xchg", words, em.index(0), "monotonic")
            builder.atomic_rmw("add", generation_slot, em.index(1), "release")
        with otherwise:
            _wait(em, generation_slot, generation)
    builder.ret_void()
    return function


def _wait(em: Emitter, slot: ir.Value, generation: ir.Value) -> None:
    """Spins until the generation moves on; after ``SPINS`` tries each try
    also yields the core (``sched_yield``), so a thread the OS has
    descheduled on a busy machine gets to run instead of being waited on."""
    builder = em.builder
    module = em.module
    yield_cpu = module.globals.get("sched_yield") or ir.Function(
        module, ir.FunctionType(ir.IntType(32), []), "sched_yield"
    )
    before = builder.block
    spin = builder.append_basic_block("spin")
    relax = builder.append_basic_block("relax")
    done = builder.append_basic_block("done")
    builder.branch(spin)
    builder.position_at_end(spin)
    tries = builder.phi(I64, name="tries")
    tries.add_incoming(em.index(0), before)
    now = builder.load_atomic(slot, "acquire", 8, typ=I64)
    builder.cbranch(builder.icmp_signed("==", now, generation), relax, done)
    builder.position_at_end(relax)
    patient = builder.icmp_signed(">=", tries, em.index(SPINS))
    with builder.if_then(patient):
        builder.call(yield_cpu, [])
    tries.add_incoming(builder.add(tries, em.index(1)), builder.block)
    builder.branch(spin)
    builder.position_at_end(done)


def barrier(em: Emitter, words: ir.Value, threads: ir.Value) -> None:
    """Emits a call to the module's barrier (nothing for one thread)."""
    if _SINGLE.get():
        return
    em.builder.call(barrier_function(em.module), [words, threads])


def on_thread_zero(em: Emitter, tid: ir.Value) -> ir.Value:
    """The condition ``tid == 0`` (always true for one thread)."""
    if _SINGLE.get():
        return ir.Constant(ir.IntType(1), 1)
    return em.builder.icmp_signed("==", tid, em.index(0))

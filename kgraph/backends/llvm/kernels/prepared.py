"""State a kernel derives from its parameters and keeps between steps and
calls (``codegen.emit_step``'s prepared regions), such as a Winograd
kernel's transformed kernel."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from llvmlite import ir

from kgraph.backends.llvm import threads as threads_module
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import Emitter


@dataclass(frozen=True)
class Prepared:
    """Where a kernel keeps what it derives from a parameter.

    Args:
        region: the kernel's bytes of prepared state.
        ready: an ``i64`` word, nonzero while the region holds what the
            current parameters give (the step sets it after its first run;
            the runtime clears it when they may have changed).
        words: the threads' barrier words.
    """

    region: ir.Value
    ready: ir.Value
    words: ir.Value


@contextlib.contextmanager
def unless_ready(em: Emitter, prepared: Prepared) -> Iterator[None]:
    """Runs the body (each thread deriving its share of the state) only
    while the ready word is 0, then waits for every thread. All threads
    read the same word, which changes only between steps, so all take the
    same branch and meet at the barrier."""
    builder = em.builder
    ready = builder.load(prepared.ready, typ=I64)
    with builder.if_then(builder.icmp_unsigned("==", ready, em.index(0))):
        yield
        if em.split is not None:
            threads_module.barrier(em, prepared.words, em.split[1])

"""The programs of loop bodies: a ``scan``'s body goes through the ``BODY``
pipeline once, and the backend runs the resulting program every step."""

from __future__ import annotations

from kgraph.compiler import pipeline
from kgraph.compiler.passes import PassContext
from kgraph.compiler.passes import run_pipeline
from kgraph.compiler.program import Program
from kgraph.ir.graph import Graph

BODY = "body"


def body_program(body: Graph) -> Program:
    """The program of one step of a loop whose body is ``body`` (static
    shapes: the body of a specialized ``scan`` node). Kept on the body, which
    is never mutated once built.

    Args:
        body: the body graph.

    Returns:
        The optimized, memory-planned program of one step.
    """
    cached = body.__dict__.get("_program")
    if cached is not None:
        return cached
    ctx = PassContext(name=BODY)
    graph = run_pipeline(body, pipeline.BODY, ctx)
    program = Program(graph=graph, kind=BODY, batch_size=0, plan=ctx.plan)
    body.__dict__["_program"] = program
    return program


__all__ = ["BODY", "body_program"]

"""The pass runner: context, verification, timing and dumps around passes.

A pass is a plain function ``name(graph, ctx) -> graph``. It may change the
graph it is given and return it (or return a new one): the runner hands the
first pass a copy of the pipeline's input and never reuses a graph a pass
has seen. The runner, not the passes, verifies the graph after each pass,
names the pass in any error, times it, keeps a snapshot of every stage only
when asked (``ctx.keep_stages``: ``kg.dump(model, stage=...)``) and writes
text dumps when ``KGRAPH_DUMP_DIR`` is set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Protocol

from kgraph import config
from kgraph import errors
from kgraph.compiler.program import BufferPlan
from kgraph.ir.graph import Graph
from kgraph.ops.verify import Checked
from kgraph.ops.verify import verify_graph
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Variable

Pass = Callable[[Graph, "PassContext"], Graph]


class GraphOptimizer(Protocol):
    """What ``inline_optimizer`` needs of an optimizer: its name, the slot
    variables of a parameter, and its update written with ``kgraph.ops``."""

    name: str

    def slots(self, param: Variable) -> Mapping[str, Variable]:
        """The slot variables of one parameter, by slot name."""
        ...

    def apply(
        self,
        step: SymbolicTensor,
        lr: SymbolicTensor,
        params: Sequence[SymbolicTensor],
        grads: Sequence[SymbolicTensor],
        slots: Sequence[Mapping[str, SymbolicTensor]],
    ) -> tuple[Sequence[SymbolicTensor], Sequence[Mapping[str, SymbolicTensor]]]:
        """The new parameters and slots after one step."""
        ...


@dataclass(frozen=True)
class Replicas:
    """A data-parallel training step's setting (``reduce_across_replicas``).

    Args:
        averaged: the keys of the state updates averaged over the processes
            with the gradients (layer state training updates, such as
            BatchNormalization's moving statistics).
    """

    averaged: tuple[str, ...] = ()


@dataclass
class PassContext:
    """What the passes of one pipeline run share.

    Args:
        name: the pipeline's name (``train``, ``eval``, ``predict``).
        batch_size: the concrete batch size, once known.
        input_shapes: concrete per-sample shapes of data inputs declared
            with unknown dimensions (``Input(shape=(None, 16))``), by name.
        loss: the name of the scalar output to differentiate.
        trainable: the names of the parameters to differentiate.
        optimizer: the optimizer, as data: an object with ``apply`` and
            ``slots`` (see ``inline_optimizer``).
        variables: the variables by path (parameters and slots), as data.
        constants: scalar inputs to specialize by name (``training``).
        verify: verify the graph after every pass (``KGRAPH_VERIFY``; the
            test suite always does).
        keep_stages: keep a copy of the graph after every pass in
            ``stages`` (for ``kg.dump``); off by default, copies cost.
        replicas: set in a data-parallel job's training step: its
            gradients are summed over the processes
            (``reduce_across_replicas``).
    """

    name: str = "pipeline"
    batch_size: int | None = None
    input_shapes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    loss: str | None = None
    trainable: tuple[str, ...] = ()
    optimizer: GraphOptimizer | None = None
    variables: Mapping[str, Variable] = field(default_factory=dict)
    constants: Mapping[str, bool | int | float] = field(default_factory=dict)
    verify: bool = field(default_factory=config.verify_passes)
    keep_stages: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    stages: dict[str, Graph] = field(default_factory=dict)
    plan: BufferPlan | None = None
    replicas: Replicas | None = None


def run_pipeline(graph: Graph, pipeline: Sequence[Pass], ctx: PassContext) -> Graph:
    """Runs passes in order.

    Args:
        graph: the input graph (not modified).
        pipeline: the pass functions.
        ctx: the shared context; ``ctx.timings`` receives each pass's
            duration in seconds, and with ``ctx.keep_stages`` ``ctx.stages``
            a snapshot of the graph after it.

    Returns:
        The final graph.

    Raises:
        CompileError: naming the pass that failed or produced an invalid graph.
    """
    graph = graph.copy()
    if ctx.keep_stages:
        ctx.stages["input"] = graph.copy()
    dump_dir = config.dump_dir()
    checked: Checked = {}
    for index, step in enumerate(pipeline):
        name = step.__name__
        started = time.perf_counter()
        try:
            graph = step(graph, ctx)
            if ctx.verify:
                verify_graph(graph, checked)
        except errors.KGraphError as error:
            raise errors.CompileError(
                f"Pass '{name}' of the {ctx.name} pipeline failed: {error}"
            ) from error
        ctx.timings[name] = time.perf_counter() - started
        if ctx.keep_stages:
            ctx.stages[name] = graph.copy()
        if dump_dir is not None:
            _dump(dump_dir, ctx, index, name, graph)
    return graph


def _dump(
    dump_dir: Path, ctx: PassContext, index: int, name: str, graph: Graph
) -> None:
    folder = dump_dir / f"{ctx.name}_b{ctx.batch_size}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{index:02d}_{name}.txt").write_text(graph.format() + "\n")

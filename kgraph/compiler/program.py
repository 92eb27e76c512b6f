"""``Program``: a compiled step graph and how to run it; all a backend reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from kgraph.ir.graph import Graph

TRAIN = "train"
EVAL = "eval"
PREDICT = "predict"


def slot_input(optimizer: str, param: str, slot: str) -> str:
    """The graph input name of an optimizer slot: ``<optimizer>/<param>/<slot>``
    where ``param`` is its parameter's input name in the model's graph."""
    return f"{optimizer}/{param}/{slot}"


@dataclass
class BufferPlan:
    """The memory plan of one step graph.

    Args:
        offsets: arena byte offset of every computed value in the arena.
        in_place: node id -> name of the state input it overwrites.
        arena_size: bytes of arena the step needs.
        units: the schedule: node ids in run order, a tuple of several being
            a loop group (one loop computing several elementwise outputs),
            possibly headed by the matrix product it reads (see
            ``schedule.py``).
    """

    offsets: dict[int, int] = field(default_factory=dict)
    in_place: dict[int, str] = field(default_factory=dict)
    arena_size: int = 0
    units: list[tuple[int, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Program:
    """One optimized step graph for one batch size.

    Args:
        graph: the graph after the pipeline.
        kind: ``"train"``, ``"eval"`` or ``"predict"``.
        batch_size: the static batch size of the graph.
        updates: output name (``new:<path>``) to the state entry it replaces.
        stats: output names of additive statistics (``stat:<log>/<name>``),
            summed over batches.
        predictions: output names of the model's predictions.
        stages: the graph after every pass, by pass name (for ``kg.dump``).
        timings: seconds spent in every pass.
        plan: the ``BufferPlan`` (arena offsets, in-place updates), if planned.

    Feeds are the graph's placeholders, by role: ``data``, ``target`` and
    ``sample_weight`` are sliced per batch; ``parameter`` and ``slot`` read
    the state; ``scalar`` inputs are ``iterations``, ``learning_rate`` and
    ``seed``.
    """

    graph: Graph
    kind: str
    batch_size: int
    updates: Mapping[str, str] = field(default_factory=dict)
    stats: tuple[str, ...] = ()
    predictions: tuple[str, ...] = ()
    stages: Mapping[str, Graph] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    plan: BufferPlan | None = None

    @property
    def batched_inputs(self) -> list[str]:
        """Names of the inputs sliced per batch."""
        return [
            node.input_name
            for node in self.graph.placeholders()
            if node.role in ("data", "target", "sample_weight")
        ]

    @property
    def state_inputs(self) -> list[str]:
        """Names of the parameters and slots the program reads."""
        return [
            node.input_name
            for node in self.graph.placeholders()
            if node.role in ("parameter", "slot")
        ]

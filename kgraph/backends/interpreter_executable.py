"""The reference executable: the batch loop in plain Python over the
interpreter, with the same batch order and keys as any compiled loop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph.backends import interpreter
from kgraph.backends.base import ProgramSource
from kgraph.backends.base import check_batch_first
from kgraph.compiler.program import EVAL
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import TRAIN
from kgraph.compiler.program import Program


class InterpreterExecutable:
    """Runs programs with the NumPy interpreter (see ``backends.base``).

    Args:
        programs: gives the program for a kind and a batch size.
    """

    def __init__(self, programs: ProgramSource) -> None:
        self.programs = programs

    def placement(self, array: np.ndarray) -> np.ndarray | None:
        """NumPy takes any array as it is (see ``Executable.placement``)."""
        return None

    def train(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        order: np.ndarray,
        batch_size: int,
        batches: range,
        step: int,
        seed: int,
        learning_rate: float,
    ) -> dict[str, np.ndarray]:
        """Trains on a range of batches (see ``Executable.train``)."""
        totals: dict[str, np.ndarray] = {}
        for offset, batch in enumerate(batches):
            indices = order[batch * batch_size : (batch + 1) * batch_size]
            program = self.programs(TRAIN, len(indices))
            scalars: dict[str, Any] = {
                "iterations": np.int64(step + offset),
                "learning_rate": np.float32(learning_rate),
                "seed": np.int64(seed + step + offset),
            }
            outputs = _run(program, state, data, indices, scalars)
            for name, path in program.updates.items():
                state[path][...] = outputs[name]
            _accumulate(totals, program, outputs)
        return totals

    def evaluate(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
        version: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Sums the evaluation statistics over all batches (the interpreter
        keeps nothing between calls: ``version`` is not needed)."""
        totals: dict[str, np.ndarray] = {}
        for batch, indices in enumerate(_batches(_count(data), batch_size)):
            program = self.programs(EVAL, len(indices))
            outputs = _run(program, state, data, indices, _scalars(batch))
            # Metric state updates (Keras-style metrics).
            for name, path in program.updates.items():
                state[path][...] = outputs[name]
            _accumulate(totals, program, outputs)
        return totals

    def predict(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
        version: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Runs the prediction program over all samples (the interpreter
        keeps nothing between calls: ``version`` is not needed)."""
        pieces: dict[str, list[np.ndarray]] = {}
        for batch, indices in enumerate(_batches(_count(data), batch_size)):
            program = self.programs(PREDICT, len(indices))
            check_batch_first(program, len(indices))
            outputs = _run(program, state, data, indices, _scalars(batch))
            # Stateful layers' states, carried to the next batch.
            for name, path in program.updates.items():
                state[path][...] = outputs[name]
            for name in program.predictions:
                pieces.setdefault(name, []).append(outputs[name])
        return {name: np.concatenate(parts) for name, parts in pieces.items()}


def _scalars(batch: int) -> dict[str, np.generic]:
    """The scalar inputs of evaluation and prediction batch ``batch``, as the
    compiled loops feed them (step 0, seed 0): random ops that run outside
    training (a VAE's sampling) draw with the key ``batch``."""
    return {
        "iterations": np.int64(batch),
        "seed": np.int64(batch),
        "learning_rate": np.float32(0.0),
    }


def _count(data: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(data.values())))


def _batches(count: int, batch_size: int) -> list[np.ndarray]:
    return [
        np.arange(start, min(start + batch_size, count))
        for start in range(0, count, batch_size)
    ]


def _run(
    program: Program,
    state: Mapping[str, np.ndarray],
    data: Mapping[str, np.ndarray],
    indices: np.ndarray,
    scalars: Mapping[str, np.generic],
) -> dict[str, np.ndarray]:
    feeds: dict[str, np.ndarray | np.generic] = {
        name: data[name][indices] for name in program.batched_inputs
    }
    feeds.update({name: state[name] for name in program.state_inputs})
    feeds.update(scalars)
    return interpreter.run(program.graph, feeds)


def _accumulate(
    totals: dict[str, np.ndarray], program: Program, outputs: Mapping[str, np.ndarray]
) -> None:
    for name in program.stats:
        value = outputs[name].astype(np.float64)
        totals[name] = totals[name] + value if name in totals else value

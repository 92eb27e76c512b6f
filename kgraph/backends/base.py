"""The interface every backend's executable implements, so the trainer
cannot tell backends apart."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Protocol

import numpy as np

from kgraph.compiler.program import Program

# (kind, batch size) -> the compiled program for it.
ProgramSource = Callable[[str, int], Program]


class Executable(Protocol):
    """Runs a model's programs over whole ranges of batches."""

    def placement(self, array: np.ndarray) -> np.ndarray | None:
        """Where the backend wants a state array it updates in place.

        Args:
            array: a variable's current storage.

        Returns:
            ``None`` when ``array`` suits the backend, else new (empty)
            storage of the same shape and dtype for the variable to move
            into (``Variable.relocate``).
        """
        ...

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
        """Trains on ``batches`` of the epoch's ``order``.

        Updates the state arrays in place; batch ``b`` uses the samples
        ``order[b * batch_size:(b + 1) * batch_size]`` (the last one may be
        partial), step number ``step + i`` and dropout key ``seed + step + i``.

        Returns:
            The statistics summed over the batches.
        """
        ...

    def evaluate(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
    ) -> dict[str, np.ndarray]:
        """Returns the evaluation statistics summed over all batches."""
        ...

    def predict(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
    ) -> dict[str, np.ndarray]:
        """Returns every prediction output over all samples."""
        ...

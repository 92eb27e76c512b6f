"""The interface every backend's executable implements, so the trainer
cannot tell backends apart."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Protocol

import numpy as np

from kgraph import errors
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
        version: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Returns the evaluation statistics summed over all batches
        (``version``: as ``predict``'s)."""
        ...

    def predict(
        self,
        state: Mapping[str, np.ndarray],
        data: Mapping[str, np.ndarray],
        batch_size: int,
        version: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Returns every prediction output over all samples.

        ``version`` names the state's values: while the same arrays come
        with the same version, the backend may keep what it derived from
        them in an earlier call (a convolution's transformed kernel);
        ``None`` says nothing, so it derives everything again.
        """
        ...


def check_batch_first(program: Program, rows: int) -> None:
    """Refuses prediction outputs whose first axis is not the batch's.

    ``predict`` stacks the outputs of its batches along their first axis
    (as Keras concatenates them); an output laid out otherwise (a
    transposed batch axis) would interleave batches wrongly, and the native
    loop would write past the rows it was given.

    Args:
        program: a prediction program.
        rows: the number of samples its batches hold.

    Raises:
        ShapeError: naming the output and its shape.
    """
    for name in program.predictions:
        shape = program.graph.node(program.graph.outputs[name]).type.shape
        if not shape or shape[0] != rows:
            raise errors.ShapeError(
                f"predict stacks each output's batches along its first axis, which "
                f"must be the batch: output {name!r} has shape {tuple(shape)} for a "
                f"batch of {rows} samples. Put the batch axis first (for example with "
                f"ops.transpose) or compute this output outside predict. Received: "
                f"output shape {tuple(shape)}"
            )

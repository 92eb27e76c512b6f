"""``fit``, ``evaluate`` and ``predict`` over batches that Python code
computes (a ``PyDataset``, a generator or an iterator).

Arrays train by whole native epochs; here the batches arrive one by one,
so each step could run the compiled step alone. kgraph gathers instead:
consecutive batches of one batch size and shapes are concatenated into
one set of arrays (a *chunk*, at most about a twentieth of an epoch, the
granularity at which the array path reports to callbacks) and the native
loop runs over the chunk's batches in one call, in the order they came.
The steps, their batches, the dropout keys and the optimizer's step
numbers are exactly those of the array path, so a dataset whose batches
are the arrays' batches gives the same ``History``; memory holds one chunk,
never the epoch (datasets may be larger than memory, or endless). A batch
of another size or shape (the last, short one; sequences padded per batch)
closes a chunk and starts the next.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import numpy as np

from kgraph.compiler.program import EVAL
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import TRAIN
from kgraph.models import batches as batch_utils
from kgraph.models import data as data_utils
from kgraph.ops.tensor import Variable
from kgraph.utils import data_utils as packing
from kgraph.utils import random as random_utils

# Progress and batch callbacks run about this many times per epoch, as for arrays.
_CHUNKS_PER_EPOCH = 20


class Chunk:
    """Consecutive batches as one set of arrays.

    Attributes:
        arrays: the data by graph input name, batches concatenated.
        specs: the targets' (and variable-length inputs') specs.
        batch_size: the size of every batch but possibly the last.
        batches: how many batches.
        first: the index of the first batch in the epoch.
    """

    def __init__(
        self, parts: list[dict[str, np.ndarray]], specs: dict[str, Any], first: int
    ) -> None:
        self.specs = specs
        self.first = first
        self.batches = len(parts)
        self.batch_size = len(next(iter(parts[0].values())))
        if len(parts) == 1:
            self.arrays = parts[0]
        else:
            self.arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    @property
    def last(self) -> int:
        """The index of the last batch in the epoch."""
        return self.first + self.batches - 1

    @property
    def count(self) -> int:
        """How many samples."""
        return len(next(iter(self.arrays.values())))


def chunks(
    batches: Iterator[Any],
    prepare: Callable[[Any], tuple[dict[str, np.ndarray], dict[str, Any], int]],
    limit: int,
) -> Iterator[Chunk]:
    """Groups prepared batches into chunks of at most ``limit`` batches.

    Args:
        batches: the epoch's raw batches.
        prepare: turns a raw batch into ``(arrays, specs, samples)``.
        limit: the most batches in a chunk.

    Returns:
        An iterator of ``Chunk``s, in the batches' order.
    """
    parts: list[dict[str, np.ndarray]] = []
    key: Any = None
    key_specs: dict[str, Any] = {}
    size = 0
    first = 0
    for index, batch in enumerate(batches):
        arrays, specs, count = prepare(batch)
        this_key = (tuple(sorted(specs.items())), tuple(sorted(arrays)))
        fits = parts and this_key == key and count <= size
        if parts and not fits:
            yield Chunk(parts, key_specs, first)
            parts = []
        if not parts:
            key, key_specs, size, first = this_key, specs, count, index
        parts.append(arrays)
        # A short batch ends a chunk: only the last batch of a loop may be short.
        if len(parts) >= limit or count < size:
            yield Chunk(parts, key_specs, first)
            parts = []
    if parts:
        yield Chunk(parts, key_specs, first)


def chunk_limit(steps: int | None) -> int:
    """The most batches per chunk for an epoch of ``steps`` batches (one
    at a time while the epoch's length is unknown)."""
    if steps is None:
        return 1
    return max(1, math.ceil(steps / _CHUNKS_PER_EPOCH))


def train_preparer(model: Any, class_weight: Any) -> Callable[[Any], tuple]:
    """Turns a training batch into arrays (the sample weights of
    ``class_weight`` included)."""

    def prepare(batch: Any) -> tuple:
        x, y, weights = packing.unpack_x_y_sample_weight(
            batch_utils.check_batch(batch, "The training data")
        )
        return model._prepare(x, y, weights, class_weight)

    return prepare


def eval_preparer(model: Any) -> Callable[[Any], tuple]:
    """Turns an evaluation batch into arrays."""

    def prepare(batch: Any) -> tuple:
        x, y, weights = packing.unpack_x_y_sample_weight(
            batch_utils.check_batch(batch, "The evaluation data")
        )
        return model._prepare(x, y, weights)

    return prepare


def predict_preparer(model: Any) -> Callable[[Any], tuple]:
    """Turns a prediction batch into input arrays (targets are ignored)."""

    def prepare(batch: Any) -> tuple:
        x = packing.unpack_x_y_sample_weight(
            batch_utils.check_batch(batch, "The prediction data")
        )[0]
        model._ensure_built(x)
        arrays = data_utils.inputs(model, x)
        return arrays, data_utils.length_specs(model, arrays), data_utils.count(arrays)

    return prepare


def train_epoch(
    model: Any,
    source: batch_utils.BatchSource,
    class_weight: Any,
    seed: int,
    callback_list: Any,
) -> dict[str, np.ndarray] | None:
    """Trains on one epoch of batches.

    Returns:
        The statistics summed over the epoch, ``None`` when the data gave
        no batch.
    """
    totals: dict[str, np.ndarray] | None = None
    iterations = model.optimizer.iterations_variable
    limit = chunk_limit(source.steps_per_epoch)
    for chunk in chunks(source.epoch(), train_preparer(model, class_weight), limit):
        callback_list.on_train_batch_begin(chunk.first)
        model._last_specs = chunk.specs
        step = int(iterations.value)
        sums = model._executable(chunk.specs).train(
            model._state(TRAIN, chunk.specs),
            chunk.arrays,
            np.arange(chunk.count),
            chunk.batch_size,
            range(chunk.batches),
            step,
            seed,
            model._learning_rate(),
        )
        # The native loop updated the weights in place.
        Variable.note_writes()
        iterations.assign(step + chunk.batches)
        totals = _add(totals or {}, sums)
        callback_list.on_train_batch_end(chunk.last, model._logs(totals))
        if model.stop_training:
            break
    return totals


def evaluate(
    model: Any, source: batch_utils.BatchSource, callback_list: Any = None
) -> dict[str, float] | None:
    """Evaluates one pass over the batches.

    Returns:
        The logs, ``None`` when the data gave no batch.
    """
    totals: dict[str, np.ndarray] | None = None
    model.reset_metrics()
    limit = chunk_limit(source.steps_per_epoch)
    for chunk in chunks(source.epoch(), eval_preparer(model), limit):
        if callback_list is not None:
            callback_list.on_test_batch_begin(chunk.first)
        sums = model._executable(chunk.specs).evaluate(
            model._state(EVAL, chunk.specs),
            chunk.arrays,
            chunk.batch_size,
            Variable.writes(),
        )
        # Metrics' state is updated in place.
        Variable.note_writes()
        totals = _add(totals or {}, sums)
        if callback_list is not None:
            callback_list.on_test_batch_end(chunk.last, model._logs(totals))
    if totals is None:
        return None
    logs = model._logs(totals)
    model._last_logs = dict(logs)
    return logs


def predict(
    model: Any, source: batch_utils.BatchSource, callback_list: Any = None
) -> dict[str, np.ndarray]:
    """Predicts every batch; returns the outputs by name, concatenated.

    Raises:
        ValueError: when the data gave no batch.
    """
    pieces: dict[str, list[np.ndarray]] = {}
    limit = chunk_limit(source.steps_per_epoch)
    for chunk in chunks(source.epoch(), predict_preparer(model), limit):
        if callback_list is not None:
            callback_list.on_predict_batch_begin(chunk.first)
        outputs = model._executable(chunk.specs).predict(
            model._state(PREDICT, chunk.specs),
            chunk.arrays,
            chunk.batch_size,
            Variable.writes(),
        )
        for name, value in outputs.items():
            pieces.setdefault(name, []).append(value)
        if callback_list is not None:
            callback_list.on_predict_batch_end(chunk.last, {"outputs": outputs})
    if not pieces:
        raise ValueError(
            "The data to predict on gave no batches. Received: an empty "
            f"{type(source.data).__name__}"
        )
    return {name: np.concatenate(parts) for name, parts in pieces.items()}


def _add(
    totals: dict[str, np.ndarray], sums: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    for name, value in sums.items():
        totals[name] = totals[name] + value if name in totals else value
    return totals


def warn_ran_out(what: str) -> None:
    """Warns, as Keras does, that the data ended before the epochs did."""
    warnings.warn(
        f"Your input ran out of data; interrupting {what}. Make sure that your "
        "dataset or generator can generate at least `steps_per_epoch * epochs` "
        "batches.",
        stacklevel=3,
    )


def new_seed() -> int:
    """The dropout key of a training run, drawn as the array path draws it."""
    return int(random_utils.generator().integers(0, 2**31))


__all__ = [
    "Chunk",
    "chunk_limit",
    "chunks",
    "evaluate",
    "new_seed",
    "predict",
    "train_epoch",
    "warn_ran_out",
]

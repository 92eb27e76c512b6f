"""A data-parallel job the tests launch with ``mpiexec -n N``.

Usage: ``python dp_job.py MODE OUT [BACKEND]``. Modes:

- ``train``: trains the models of ``build`` on the data of ``data``, checks
  after every epoch that every process holds the same weights bit for bit,
  and (process 0) saves the weights, History, evaluation and predictions
  to ``OUT/result.npz``.
- ``raise``: process 1 raises in a callback during the second epoch.
- ``mismatch``: process 1 builds its model for one feature more.
- ``fewer``: process 1 has ten samples fewer.
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

import kgraph as kg

SAMPLES = 203  # the last batch of 32 has 11 rows: uneven shares
FEATURES = 12
BATCH = 32
EPOCHS = 3


def data(features: int = FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """Seeded features and one-hot labels of 3 classes."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((SAMPLES, features)).astype("float32")
    labels = (x[:, :3].argmax(axis=1)).astype("int64")
    return x, np.eye(3, dtype="float32")[labels]


def build(features: int = FEATURES, regularized: bool = False) -> kg.Model:
    """The MLP every process and the one-process run train alike; with
    ``regularized``, Dropout, BatchNormalization and an L2 penalty too."""
    kg.utils.set_random_seed(3)
    layers = [kg.Input((features,)), kg.layers.Dense(16, activation="relu")]
    if regularized:
        layers += [
            kg.layers.BatchNormalization(),
            kg.layers.Dropout(0.2),
            kg.layers.Dense(
                8, activation="tanh", kernel_regularizer=kg.regularizers.L2(1e-3)
            ),
        ]
    layers.append(kg.layers.Dense(3, activation="softmax"))
    model = kg.Sequential(layers)
    return model


def compile_model(model: kg.Model, backend: str) -> None:
    model.compile(
        optimizer=kg.optimizers.Adam(0.01),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        backend=backend,
    )


def digest(model: kg.Model) -> str:
    """A hash of every weight's bytes."""
    hasher = hashlib.sha256()
    for array in model.get_weights():
        hasher.update(np.ascontiguousarray(array).tobytes())
    return hasher.hexdigest()


class SameWeights(kg.callbacks.Callback):
    """Records, after every epoch, whether every process holds the same
    weights (gathered over the job's processes)."""

    def __init__(self, world: object) -> None:
        super().__init__()
        self.world = world
        self.same: list[bool] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        digests = self.world.comm.allgather(digest(self.model))
        self.same.append(len(set(digests)) == 1)


class RaiseOnRank1(kg.callbacks.Callback):
    def __init__(self, rank: int) -> None:
        super().__init__()
        self.rank = rank

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if epoch == 1 and self.rank == 1:
            raise ValueError("boom on purpose")


def main() -> None:
    mode, out = sys.argv[1], sys.argv[2]
    backend = sys.argv[3] if len(sys.argv) > 3 else "llvm"
    strategy = kg.distribution.DataParallel()
    kg.distribution.set_distribution(strategy)
    world = strategy.world
    features = FEATURES + 1 if mode == "mismatch" and world.rank == 1 else FEATURES
    x, y = data(features)
    if mode == "fewer" and world.rank == 1:
        x, y = x[:-10], y[:-10]
    model = build(features)
    compile_model(model, backend)
    same = SameWeights(world)
    callbacks: list = [same]
    if mode == "raise":
        callbacks.append(RaiseOnRank1(world.rank))
    # Each process draws its own epoch orders: process 0's are used.
    kg.utils.set_random_seed(100 + world.rank)
    history = model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=EPOCHS,
        verbose=0,
        validation_data=(x[:50], y[:50]),
        callbacks=callbacks,
    )
    evaluation = model.evaluate(x, y, batch_size=BATCH, verbose=0)
    predictions = model.predict(x[:37], verbose=0)
    regularized = build(regularized=True)
    compile_model(regularized, backend)
    checked = SameWeights(world)
    regularized.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[checked])
    if world.rank == 0:
        np.savez(
            f"{out}/result.npz",
            *model.get_weights(),
            history=json.dumps(history.history),
            evaluation=np.asarray(evaluation),
            predictions=predictions,
            same=np.asarray(same.same + checked.same),
            processes=world.size,
        )


if __name__ == "__main__":
    main()

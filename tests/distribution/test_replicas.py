"""Data parallelism inside one process: the shares of a batch, the gradient
sum of a training step (through a stand-in reducer), and the errors."""

from __future__ import annotations

import ctypes
import itertools
import sys

import numpy as np
import pytest

import kgraph as kg
from kgraph import distribution
from kgraph import dtypes
from kgraph.distribution import world as world_module
from kgraph.ops import collective


def test_shares_are_contiguous_cover_the_rows_and_never_shrink():
    for size in range(1, 9):
        for total in range(0, 60):
            shares = [world_module.shard(total, size, rank) for rank in range(size)]
            assert shares[0][0] == 0 and shares[-1][1] == total
            assert all(a[1] == b[0] for a, b in itertools.pairwise(shares))
            for rank in range(size):
                grown = world_module.shard(total + 1, size, rank)
                assert grown[1] - grown[0] >= shares[rank][1] - shares[rank][0]


def test_a_batch_with_fewer_rows_than_processes_is_an_error():
    with pytest.raises(ValueError, match="fewer than the 3 processes"):
        world_module.check_rows(2, 3, "the batch of samples 64..")


def test_without_mpi4py_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setattr(distribution, "_WORLD", None)
    with pytest.raises(ImportError, match=r"kgraph\[distributed\]"):
        distribution.DataParallel()


def _model(backend: str) -> kg.Model:
    kg.utils.set_random_seed(5)
    model = kg.Sequential(
        [
            kg.Input((6,)),
            kg.layers.Dense(8, activation="relu"),
            kg.layers.BatchNormalization(),
            kg.layers.Dense(2),
        ]
    )
    model.compile(optimizer=kg.optimizers.Adam(0.02), loss="mse", backend=backend)
    return model


class _Identical:
    """A reducer that sums over ``copies`` processes holding the same
    values (each value times ``copies``), counting its native calls."""

    def __init__(self, copies: int) -> None:
        self.copies = copies
        self.calls = 0
        signature = ctypes.CFUNCTYPE(
            ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64
        )
        self.entry = signature(self._native)

    def all_reduce(self, array: np.ndarray) -> np.ndarray:
        return (array * np.float32(self.copies)).astype(np.float32)

    def native(self) -> int:
        return ctypes.cast(self.entry, ctypes.c_void_p).value

    def _native(self, send: int, receive: int, count: int) -> int:
        self.calls += 1
        source = np.ctypeslib.as_array((ctypes.c_float * count).from_address(send))
        target = np.ctypeslib.as_array((ctypes.c_float * count).from_address(receive))
        target[:] = source * np.float32(self.copies)
        return 0


@pytest.mark.parametrize("backend", ["llvm", "numpy"])
def test_a_job_of_identical_processes_trains_as_one(backend, monkeypatch):
    pytest.importorskip("mpi4py")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((70, 6)).astype("float32")
    y = rng.standard_normal((70, 2)).astype("float32")
    alone = _model(backend)
    alone.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    reducer = _Identical(3)
    with distribution.DataParallel().scope():
        # This process is the whole job; the stand-in sums as if two more
        # processes held the same rows (so the mean is unchanged).
        monkeypatch.setattr(collective, "_REDUCER", reducer)
        model = _model(backend)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
        program = model.compiled_program("train", 16)
    ops = [program.graph.node(i).op for i in program.graph.topo_order()]
    assert ops.count("all_reduce") == 1
    if backend == "llvm":
        assert reducer.calls == 2 * 5  # one sum per step
    rtol, atol = dtypes.REPLICA_TOLERANCE
    for got, want in zip(model.get_weights(), alone.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def test_one_process_programs_sum_nothing():
    model = _model("llvm")
    program = model.compiled_program("train", 16)
    ops = {program.graph.node(i).op for i in program.graph.topo_order()}
    assert "all_reduce" not in ops


def test_set_distribution_takes_data_parallel_or_none():
    with pytest.raises(TypeError, match="DataParallel or None"):
        distribution.set_distribution("mirrored")
    distribution.set_distribution(None)
    assert distribution.distribution() is None
    assert distribution.is_chief()

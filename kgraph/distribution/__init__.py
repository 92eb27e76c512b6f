"""``kg.distribution``: data-parallel training over the processes of an MPI
job (Keras 3's names).

Run the same program as several processes, on one machine or many::

    mpiexec -n 2 python train.py

and ask for data parallelism before ``fit``::

    kg.distribution.set_distribution(kg.distribution.DataParallel())

``fit``'s ``batch_size`` is then the global batch: every process trains on
its contiguous share of each batch, the gradients are summed over the
processes inside the native training step (one ``MPI_Allreduce`` of one
buffer), and every process applies the same update, so the weights stay
identical everywhere. The logs are the global ones; ``evaluate`` and
``predict`` share out the rows and gather the results; only process 0
prints progress and writes the files of callbacks. A program that does not
ask for a distribution runs as it always did.

Needs ``pip install "kgraph[distributed]"`` (mpi4py and an MPI library).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from kgraph import config
from kgraph.distribution.world import World
from kgraph.ops import collective

_WORLD: World | None = None
_CURRENT: DataParallel | None = None


def _world() -> World:
    """The job's processes (MPI starts on first use)."""
    global _WORLD
    if _WORLD is None:
        _WORLD = World()
    return _WORLD


def initialize(
    job_addresses: Any = None, num_processes: int | None = None, process_id: Any = None
) -> None:
    """Starts the job's communication (MPI), as Keras's ``initialize``.

    ``mpiexec`` says where the processes run, so the arguments only check
    it: ``num_processes`` must be the job's process count and
    ``process_id`` this process's rank.

    Args:
        job_addresses: not used (the MPI launcher knows the machines).
        num_processes: the expected number of processes, or ``None``.
        process_id: the expected rank of this process, or ``None``.

    Raises:
        ImportError: without mpi4py.
        ValueError: when the job differs from what the arguments say.
    """
    del job_addresses
    world = _world()
    if num_processes is not None and int(num_processes) != world.size:
        raise ValueError(
            f"initialize: the MPI job has {world.size} process(es). "
            f"Received: num_processes={num_processes}"
        )
    if process_id is not None and int(process_id) != world.rank:
        raise ValueError(
            f"initialize: this process has rank {world.rank}. "
            f"Received: process_id={process_id}"
        )


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of the job: one ``"cpu:<rank>"`` per process.

    Args:
        device_type: ``None`` or ``"cpu"``.

    Returns:
        The device names, by rank.
    """
    if device_type not in (None, "cpu", "CPU"):
        raise ValueError(
            "list_devices: kgraph runs on CPUs only. "
            f"Received: device_type={device_type!r}"
        )
    return [f"cpu:{rank}" for rank in range(_world().size)]


def get_device_count(device_type: str | None = None) -> int:
    """The number of devices of the job (its processes)."""
    return len(list_devices(device_type))


class DataParallel:
    """Synchronous data parallelism over the processes of an MPI job.

    Args:
        device_mesh: not supported (``None``): the mesh is the job's
            processes.
        devices: ``None`` (every process) or the names ``list_devices()``
            gives, all of them.
        auto_shard_dataset: accepted for Keras's signature; every process
            takes its share of each batch of the arrays or batches it is
            given.

    Raises:
        ImportError: without mpi4py (`pip install "kgraph[distributed]"`).
        ValueError: for a device mesh, or devices other than the job's.

    Example:

    ```python
    kg.distribution.set_distribution(kg.distribution.DataParallel())
    model.fit(x, y, batch_size=256)  # 256 rows per step over all processes
    ```
    """

    def __init__(
        self,
        device_mesh: Any = None,
        devices: Any = None,
        auto_shard_dataset: bool = True,
    ) -> None:
        if device_mesh is not None:
            raise ValueError(
                "DataParallel: kgraph's data parallelism runs over the processes "
                "of an MPI job; a device mesh is not supported. "
                f"Received: device_mesh={device_mesh!r}"
            )
        world = _world()
        if devices is not None and list(devices) != list_devices():
            raise ValueError(
                f"DataParallel: the devices are the job's processes, "
                f"{list_devices()}. Received: devices={devices!r}"
            )
        self.world = world
        self.auto_shard_dataset = auto_shard_dataset

    @property
    def num_processes(self) -> int:
        """The number of processes of the job."""
        return self.world.size

    @property
    def process_id(self) -> int:
        """This process's rank."""
        return self.world.rank

    @property
    def is_chief(self) -> bool:
        """Whether this process prints and writes files (rank 0)."""
        return self.world.rank == 0

    @contextlib.contextmanager
    def scope(self) -> Iterator[DataParallel]:
        """Makes this the distribution inside a ``with`` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield self
        finally:
            set_distribution(previous)


def set_distribution(value: DataParallel | None) -> None:
    """Sets the distribution of everything that follows (``None``: one
    process, as without a distribution).

    Args:
        value: a ``DataParallel``, or ``None``.

    Raises:
        TypeError: for anything else.
    """
    global _CURRENT
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            "set_distribution: expected a kg.distribution.DataParallel or None. "
            f"Received: {value!r}"
        )
    _CURRENT = value
    collective.set_reducer(value.world if value is not None else None)
    # Processes on one machine share its cores.
    config.share_cores(value.world.local_size if value is not None else 1)


def distribution() -> DataParallel | None:
    """The current distribution, or ``None``."""
    return _CURRENT


def is_chief() -> bool:
    """Whether this process prints progress and writes files: always true
    without a distribution, rank 0's with one."""
    return _CURRENT is None or _CURRENT.is_chief


__all__ = [
    "DataParallel",
    "distribution",
    "get_device_count",
    "initialize",
    "is_chief",
    "list_devices",
    "set_distribution",
]

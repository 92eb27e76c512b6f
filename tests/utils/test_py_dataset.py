"""kg.utils.PyDataset (and its alias Sequence): Keras's constructor
arguments, num_batches, iteration and the prefetching thread pool."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import kgraph as kg
from kgraph.utils import py_dataset


class Squares(kg.utils.PyDataset):
    def __init__(self, count=5, **kwargs):
        super().__init__(**kwargs)
        self.count = count
        self.threads = set()

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        self.threads.add(threading.get_ident())
        return np.full((2, 1), index * index, "float32")


def test_sequence_is_the_same_class():
    assert kg.utils.Sequence is kg.utils.PyDataset


def test_keras_constructor_arguments_are_kept():
    data = Squares(workers=3, use_multiprocessing=True, max_queue_size=4)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (3, True, 4)
    default = Squares()
    assert (default.workers, default.use_multiprocessing, default.max_queue_size) == (
        1,
        False,
        10,
    )


def test_num_batches_is_the_length_and_iteration_gives_every_batch():
    data = Squares(4)
    assert data.num_batches == 4
    assert [int(batch[0, 0]) for batch in data] == [0, 1, 4, 9]


def test_a_class_without_super_init_warns_and_gets_the_defaults():
    class NoInit(kg.utils.PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

    with pytest.warns(UserWarning, match="super\\(\\).__init__"):
        assert NoInit().workers == 1


def test_without_len_num_batches_raises():
    class NoLength(kg.utils.PyDataset):
        pass

    with pytest.raises(NotImplementedError, match="num_batches"):
        NoLength().num_batches  # noqa: B018
    with pytest.raises(NotImplementedError, match="__getitem__"):
        NoLength()[0]


def test_workers_prefetch_in_order_on_other_threads():
    data = Squares(20, workers=4, max_queue_size=3)
    batches = list(py_dataset.iterate(data, range(20)))
    assert [int(b[0, 0]) for b in batches] == [i * i for i in range(20)]
    assert threading.get_ident() not in data.threads


def test_an_abandoned_prefetching_iteration_stops():
    data = Squares(100, workers=2, max_queue_size=2)
    iterator = py_dataset.iterate(data, range(100))
    assert int(next(iterator)[0, 0]) == 0
    iterator.close()


def test_shuffled_batches_come_in_a_new_order_every_epoch(backend):
    seen = []

    class Recorded(kg.utils.PyDataset):
        def __len__(self):
            return 6

        def __getitem__(self, index):
            seen.append(index)
            return np.zeros((1, 2), "float32"), np.zeros((1, 1), "float32")

    kg.utils.set_random_seed(0)
    model = kg.Sequential([kg.Input((2,)), kg.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(Recorded(), epochs=2, verbose=0)
    first, second = seen[:6], seen[6:]
    assert sorted(first) == sorted(second) == list(range(6))
    assert first != list(range(6)) or second != list(range(6))

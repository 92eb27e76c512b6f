"""A compiled model called from several Python threads: concurrent
``predict``, ``predict_on_batch`` and ``evaluate`` give the one-thread
results (each native call has scratch memory of its own), and concurrent
``fit`` calls take turns, losing no update."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers

BACKENDS = ("numpy", "llvm")


def _model(backend):
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [
            kg.Input((64,)),
            layers.Dense(512, activation="relu"),
            layers.Dense(512, activation="relu"),
            layers.Dense(4),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    return model


def _data(seed, rows):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 64)).astype("float32")
    return x, rng.normal(size=(rows, 4)).astype("float32")


def _in_threads(count, work):
    errors = []

    def run(index):
        try:
            work(index)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_predictions_equal_the_one_thread_results(backend):
    model = _model(backend)
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(16, 64)).astype("float32") for _ in range(8)]
    expected = [model.predict(x, verbose=0) for x in inputs]
    got: dict[tuple[int, int], np.ndarray] = {}

    def work(index):
        for repeat in range(10):
            x = inputs[index]
            if repeat % 2:
                got[index, repeat] = np.asarray(model.predict_on_batch(x))
            else:
                got[index, repeat] = model.predict(x, verbose=0)

    _in_threads(8, work)
    for (index, _), value in got.items():
        np.testing.assert_array_equal(value, expected[index])


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_evaluations_equal_the_one_thread_result(backend):
    model = _model(backend)
    x, y = _data(1, 24)
    expected = model.evaluate(x, y, batch_size=8, verbose=0)
    results = []
    _in_threads(
        6, lambda _: results.append(model.evaluate(x, y, batch_size=8, verbose=0))
    )
    np.testing.assert_allclose(results, [expected] * 6, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_fits_take_turns(backend):
    model = _model(backend)
    x, y = _data(2, 32)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    start = int(model.optimizer.iterations.numpy())
    _in_threads(2, lambda _: model.fit(x, y, batch_size=8, epochs=3, verbose=0))
    # 2 calls x 3 epochs x 4 batches: every step counted.
    assert int(model.optimizer.iterations.numpy()) == start + 24


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_train_on_batch_calls_count_every_step(backend):
    model = _model(backend)
    x, y = _data(3, 8)
    model.train_on_batch(x, y)
    start = int(model.optimizer.iterations.numpy())

    def work(_):
        for _ in range(10):
            model.train_on_batch(x, y)

    _in_threads(4, work)
    assert int(model.optimizer.iterations.numpy()) == start + 40


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_predict_started_during_a_fit_waits_for_it(backend):
    model = _model(backend)
    x, y = _data(4, 32)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    started = threading.Event()

    class Slow(kg.callbacks.Callback):
        def on_train_begin(self, logs=None):
            started.set()

        def on_epoch_end(self, epoch, logs=None):
            threading.Event().wait(0.1)

    fit = threading.Thread(
        target=lambda: model.fit(
            x, y, batch_size=8, epochs=3, verbose=0, callbacks=[Slow()]
        )
    )
    fit.start()
    started.wait()
    during = model.predict(x, verbose=0)
    fit.join()
    np.testing.assert_array_equal(during, model.predict(x, verbose=0))

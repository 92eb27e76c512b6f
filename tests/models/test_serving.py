"""The planned path of small predictions (``models.serving``): once
``predict_on_batch`` has seen an input signature, ``model(x)``,
``predict_on_batch`` and a silent one-batch ``predict`` of it skip the
general path, and give its results bit for bit, whatever changed since the
plan was made."""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph.backends.llvm import runtime
from kgraph.models import data as data_utils
from kgraph.models import serving


def _mlp(backend="llvm"):
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [
            kg.Input((20,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", backend=backend)
    return model


def _cnn():
    # 16 channels in, 32 out: the convolution keeps its kernel transformed
    # between calls (prepared state).
    kg.utils.set_random_seed(1)
    model = kg.Sequential(
        [
            kg.Input((16, 16, 16)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(4),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    return model


def _general(model, x):
    """The general path's outputs for ``x`` (no plan is used or made)."""
    saved = model.__dict__.pop("_serving", None)
    remember = serving.remember
    serving.remember = lambda *args: None
    try:
        return model.predict_on_batch(x)
    finally:
        serving.remember = remember
        if saved is not None:
            model._serving = saved


def _planned_only(monkeypatch):
    """Makes the general path fail: what still runs took a plan."""

    def refuse(*args):
        raise AssertionError("the general path ran")

    monkeypatch.setattr(data_utils, "inputs", refuse)


def _x(rows, seed=0, shape=(20,)):
    return np.random.default_rng(seed).normal(size=(rows, *shape)).astype("float32")


def test_calls_after_the_first_take_the_plan_and_equal_the_general_path(
    monkeypatch,
):
    model = _mlp()
    x = _x(1)
    expected = _general(model, x)
    first = model.predict_on_batch(x)
    calls = runtime.native_calls()
    _planned_only(monkeypatch)
    for result in (model(x), model.predict_on_batch(x), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(result, expected)
        assert result.dtype == np.float32 and result.shape == (1, 3)
    np.testing.assert_array_equal(first, expected)
    assert runtime.native_calls() == calls + 3


def test_each_result_is_a_fresh_array():
    model = _mlp()
    x = _x(2)
    model(x)
    first = model(x)
    second = model(x)
    assert first is not second
    first[...] = 0
    np.testing.assert_array_equal(second, model(x))


def test_inputs_are_converted_as_the_general_path_converts_them(monkeypatch):
    model = _mlp()
    x = _x(3)
    wide = np.asfortranarray(x.astype(np.float64))
    strided = np.repeat(x, 2, axis=1)[:, ::2]
    swapped = x.astype(x.dtype.newbyteorder(">"))
    cases = [wide, strided, swapped]
    expected = [_general(model, case) for case in cases]
    for case in cases:
        model.predict_on_batch(case)
    _planned_only(monkeypatch)
    for case, want in zip(cases, expected, strict=True):
        np.testing.assert_array_equal(model(case), want)


def test_each_batch_size_has_its_own_plan_and_their_number_is_bounded(
    monkeypatch,
):
    model = _mlp()
    for rows in range(1, serving.MAX_PLANS + 3):
        model(_x(rows))
    assert len(model._serving.by_signature) == serving.MAX_PLANS
    calls = []
    original = data_utils.inputs
    monkeypatch.setattr(
        data_utils, "inputs", lambda *a: calls.append(1) or original(*a)
    )
    model(_x(1))
    model(_x(serving.MAX_PLANS + 2))
    assert len(calls) == 1  # only the unplanned batch size


def test_plans_follow_new_weights_and_a_new_compile():
    model = _mlp()
    x, y = _x(2), np.eye(3, dtype="float32")[[0, 2]]
    model(x)
    before = model(x)
    model.fit(x, y, epochs=3, verbose=0)
    after_fit = model(x)
    assert not np.array_equal(before, after_fit)
    np.testing.assert_array_equal(after_fit, _general(model, x))
    model.set_weights([w * 0.5 for w in model.get_weights()])
    np.testing.assert_array_equal(model(x), _general(model, x))
    plans = model._serving
    model.compile(optimizer="sgd", loss="mse")
    np.testing.assert_array_equal(model(x), _general(model, x))
    assert model._serving is not plans


def test_plans_are_dropped_when_a_variable_moves():
    model = _mlp()
    x = _x(1)
    model(x)
    plans = model._serving
    variable = model.layers[0].kernel
    storage = runtime.arena(variable.value.nbytes).view(np.float32)
    variable.relocate(storage.reshape(variable.shape))
    assert serving.plans_of(model) is None
    variable.assign(variable.numpy() + 1.0)
    np.testing.assert_array_equal(model(x), _general(model, x))
    assert model._serving is not plans


def test_prepared_state_of_a_convolution_follows_new_weights():
    model = _cnn()
    x = _x(1, shape=(16, 16, 16))
    model(x)
    model(x)
    assert model._serving.by_signature[x.shape, x.dtype].prepares
    for scale in (2.0, -1.0):
        model.set_weights([w * scale for w in model.get_weights()])
        np.testing.assert_array_equal(model(x), _general(model, x))
        np.testing.assert_array_equal(model.predict(x, verbose=0), model(x))


def test_several_inputs_and_outputs_in_lists_and_dicts(monkeypatch):
    kg.utils.set_random_seed(2)
    left = kg.Input((4,), name="left")
    right = kg.Input((3,), name="right")
    joined = layers.Concatenate()([left, right])
    model = kg.Model(
        {"left": left, "right": right},
        {"score": layers.Dense(1)(joined), "probs": layers.Dense(2)(joined)},
    )
    a, b = _x(2, 1, (4,)), _x(2, 2, (3,))
    cases = [[a, b], (a, b), {"right": b, "left": a}]
    expected = [_general(model, case) for case in cases]
    for case in cases:
        model(case)
    _planned_only(monkeypatch)
    for case, want in zip(cases, expected, strict=True):
        got = model(case)
        assert set(got) == {"score", "probs"}
        for name in got:
            np.testing.assert_array_equal(got[name], want[name])


def test_a_list_stacked_into_one_input_is_not_planned():
    model = _mlp()
    rows = [_x(1)[0], _x(1, 1)[0]]  # two samples of the one input
    np.testing.assert_array_equal(model.predict_on_batch(rows), _general(model, rows))
    np.testing.assert_array_equal(model.predict_on_batch(rows), _general(model, rows))
    assert not model.__dict__.get("_serving") or not model._serving.by_signature


def test_embedding_indices_are_checked_on_the_planned_path():
    kg.utils.set_random_seed(3)
    model = kg.Sequential(
        [kg.Input((4,), dtype="int32"), layers.Embedding(10, 3), layers.Flatten()]
    )
    good = np.array([[1, 2, 3, 9]], dtype="int32")
    model(good)
    np.testing.assert_array_equal(model(good), _general(model, good))
    with pytest.raises(ValueError, match="input_dim=10"):
        model(np.array([[1, 2, 3, 10]], dtype="int32"))


def test_predict_with_progress_callbacks_or_small_batches_keeps_the_general_path(
    capsys,
):
    model = _mlp()
    x = _x(4)
    model(x)
    model.predict(x, verbose=1)
    assert "1/1" in capsys.readouterr().out

    seen = []

    class Spy(kg.callbacks.Callback):
        def on_predict_end(self, logs=None):
            seen.append(True)

    model.predict(x, verbose=0, callbacks=[Spy()])
    assert seen == [True]
    np.testing.assert_array_equal(
        model.predict(x, batch_size=3, verbose=0), _general(model, x)
    )


def test_the_reference_backend_makes_no_plans():
    model = _mlp("numpy")
    x = _x(1)
    model(x)
    model(x)
    assert "_serving" not in model.__dict__


@pytest.mark.parametrize("rows", [1, 96])
def test_concurrent_calls_from_threads_get_their_own_results(rows):
    # One row keeps the GIL through the native call; 96 rows on two threads
    # release it, so the calls overlap inside native code.
    model = _mlp()
    model.compile(optimizer="adam", loss="mse", threads=2)
    inputs = [_x(rows, seed) for seed in range(4)]
    expected = [_general(model, x) for x in inputs]
    for x in inputs:
        model(x)
    failures = []

    def serve(index):
        for _ in range(200):
            if not np.array_equal(model(inputs[index]), expected[index]):
                failures.append(index)

    threads = [threading.Thread(target=serve, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def _traced(call, count=200):
    """Peak and retained bytes ``count`` calls allocate (``tracemalloc``
    traces NumPy's data buffers too)."""
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(count):
            call()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - start, current - start


def test_the_planned_path_allocates_only_its_result():
    """Counted, not timed: a planned call allocates its output (here 12
    bytes of data and the array object) and a few small objects, and keeps
    nothing; the general path builds pointer tables, dicts of arrays and
    output buffers on every call."""
    kg.utils.set_random_seed(0)
    model = kg.Sequential([kg.Input((4096,)), layers.Dense(3)])
    x = _x(1, shape=(4096,))
    model(x)
    model(x)
    peak, kept = _traced(lambda: model(x))
    assert peak < 1536 and kept < 512, (peak, kept)
    general_peak, _ = _traced(lambda: _general(model, x))
    assert general_peak > 2 * peak


def test_a_batch_shared_among_threads_is_planned_too(monkeypatch):
    model = _mlp()
    model.compile(optimizer="adam", loss="mse", threads=2)
    x = _x(96)
    expected = _general(model, x)
    model(x)
    plan = model._serving.by_signature[x.shape, x.dtype]
    assert plan.backend_plan.threads == 2
    _planned_only(monkeypatch)
    np.testing.assert_array_equal(model(x), expected)


def test_a_silent_one_batch_predict_leaves_a_plan_too(monkeypatch):
    model = _mlp()
    x, many = _x(3), _x(40)
    expected = _general(model, x)
    model.predict(x, verbose=0)
    model.predict(many, verbose=0)  # two batches of 32: the general path only
    model.predict(_x(5), verbose=0, steps=1)
    assert list(model._serving.by_signature) == [(x.shape, x.dtype)]
    _planned_only(monkeypatch)
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    np.testing.assert_array_equal(model(x), expected)


@pytest.mark.parametrize("slower_than", [0.0, float("inf")])
def test_the_first_calls_choose_whether_the_loop_releases_the_gil(
    monkeypatch, slower_than
):
    from kgraph.backends.llvm import serving as native_serving

    monkeypatch.setattr(native_serving, "RELEASE_GIL_SECONDS", slower_than)
    model = _mlp()
    x = _x(1)
    expected = _general(model, x)
    model(x)
    plan = model._serving.by_signature[x.shape, x.dtype].backend_plan
    compiled = plan.compiled
    for _ in range(native_serving._TIMED_CALLS + 2):
        np.testing.assert_array_equal(model(x), expected)
    released = plan.function is compiled.function
    assert released == (slower_than == 0.0)
    assert released != (plan.function is compiled.short_call)

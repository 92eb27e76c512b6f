"""CallbackList dispatch, History, LambdaCallback and the Callback base."""

import numpy as np

from kgraph.callbacks import Callback
from kgraph.callbacks import CallbackList
from kgraph.callbacks import History
from kgraph.callbacks import LambdaCallback
from kgraph.callbacks import ProgbarLogger

HOOKS_WITHOUT_INDEX = [
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
]
HOOKS_WITH_INDEX = [
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_batch_begin",
    "on_batch_end",
]


class Recorder(Callback):
    """Records every hook call into a shared list."""

    def __init__(self, name, calls):
        super().__init__()
        self.name = name
        self.calls = calls

    def __getattribute__(self, attr):
        if attr.startswith("on_"):
            calls = object.__getattribute__(self, "calls")
            name = object.__getattribute__(self, "name")
            return lambda *args, **kwargs: calls.append((name, attr, args, kwargs))
        return object.__getattribute__(self, attr)


def test_every_hook_reaches_every_callback_in_order():
    calls = []
    callbacks = CallbackList([Recorder("a", calls), [Recorder("b", calls)]])
    for hook in HOOKS_WITHOUT_INDEX:
        getattr(callbacks, hook)({"x": 1})
    for hook in HOOKS_WITH_INDEX:
        getattr(callbacks, hook)(3, {"x": 1})
    expected = [
        (name, hook) for hook in HOOKS_WITHOUT_INDEX + HOOKS_WITH_INDEX for name in "ab"
    ]
    assert [(name, hook) for name, hook, _, _ in calls] == expected
    for _, hook, args, kwargs in calls:
        logs = kwargs.get("logs", args[-1])
        assert logs == {"x": 1.0}
        if hook in HOOKS_WITH_INDEX:
            assert args[0] == 3


def test_logs_are_sorted_flattened_and_made_float():
    seen = []
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs))
    callbacks = CallbackList([callback])
    logs = {"loss": np.float32(0.5), "acc": np.array(1.0), "nested": {"b": 2}}
    callbacks.on_epoch_end(0, logs)
    assert seen == [{"acc": 1.0, "b": 2.0, "loss": 0.5}]
    # Sorted by outer key; a nested dict's keys come where the dict was.
    assert list(seen[0]) == ["acc", "loss", "b"]
    assert all(type(v) is float for v in seen[0].values())


def test_defaults_are_added_once_and_params_and_model_are_set(model):
    history = History()
    callbacks = CallbackList(
        [history],
        add_history=True,
        add_progbar=True,
        model=model,
        verbose=2,
        epochs=3,
        steps=7,
    )
    assert callbacks.callbacks[0] is history
    assert isinstance(callbacks.callbacks[1], ProgbarLogger)
    assert len(callbacks.callbacks) == 2
    assert model.history is history
    for callback in callbacks.callbacks:
        assert callback.model is model
        assert callback.params == {"verbose": 2, "epochs": 3, "steps": 7}


def test_no_defaults_unless_asked():
    assert CallbackList().callbacks == []
    assert CallbackList(None, add_history=False).callbacks == []


def test_append_sets_model_and_params(model):
    callbacks = CallbackList([], model=model, verbose=0, epochs=1, steps=1)
    history = History()
    callbacks.append(history)
    assert history.model is model
    assert history.params["epochs"] == 1


def test_base_train_batch_hooks_call_legacy_aliases():
    calls = []

    class Legacy(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs))

    callbacks = CallbackList([Legacy()])
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(1, {"loss": 2})
    assert calls == [("begin", 0), ("end", 1, {"loss": 2.0})]


def test_base_callback_defaults(model):
    callback = Callback()
    assert callback.model is None
    assert callback.params == {}
    callback.set_model(model)
    callback.set_params({"epochs": 2})
    assert callback.model is model
    assert callback.params == {"epochs": 2}
    callback.on_epoch_end(0, {"loss": 1.0})  # Does nothing.


def test_history_records_each_epoch(model, fit):
    epochs = [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.5}]
    callbacks = fit(model, [], epochs)
    history = model.history
    assert history is callbacks.callbacks[-1]
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.5]}
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 4}


def test_lambda_callback_hooks_and_kwargs(model, fit):
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch}"),
        on_train_end=lambda logs: calls.append("train_end"),
        on_test_begin=lambda logs: calls.append("test_begin"),
    )
    fit(model, [callback], [{"loss": 1.0}], steps=3, chunk=2)
    CallbackList([callback]).on_test_begin()
    assert calls == [
        "train_begin",
        "epoch_begin 0",
        "batch_end 1",
        "batch_end 2",
        "epoch_end 0",
        "train_end",
        "test_begin",
    ]

"""ProgbarLogger drives the progress bar for fit, evaluate and predict."""

import pytest

from kgraph.callbacks import CallbackList
from kgraph.callbacks import ProgbarLogger
from kgraph.utils import progbar as progbar_module

EPOCH_LOGS = {
    "loss": 2.3603,
    "accuracy": 0.0913,
    "val_loss": 2.3206,
    "val_accuracy": 0.105,
}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progbar_module, "_now", clock)
    return clock


def make_list(verbose, epochs=2, steps=25):
    return CallbackList(
        [], add_progbar=True, verbose=verbose, epochs=epochs, steps=steps
    )


def run_epoch(callbacks, clock, epoch):
    """One epoch of 25 steps in two chunks, with a silent validation pass."""
    clock.now = 0.0
    callbacks.on_epoch_begin(epoch)
    clock.now = 0.3
    callbacks.on_train_batch_end(11, {"loss": 2.4, "accuracy": 0.08})
    callbacks.on_test_begin()
    callbacks.on_test_batch_end(3, {"loss": 9.0})
    callbacks.on_test_end({"loss": 2.3206, "accuracy": 0.105})
    clock.now = 0.725
    callbacks.on_epoch_end(epoch, EPOCH_LOGS)


def test_fit_verbose_2_prints_one_line_per_epoch(clock, capsys):
    callbacks = make_list(verbose=2)
    callbacks.on_train_begin()
    run_epoch(callbacks, clock, 0)
    run_epoch(callbacks, clock, 1)
    callbacks.on_train_end(EPOCH_LOGS)
    line = (
        "25/25 - 1s - 29ms/step - accuracy: 0.0913 - loss: 2.3603"
        " - val_accuracy: 0.1050 - val_loss: 2.3206\n"
    )
    assert capsys.readouterr().out == f"Epoch 1/2\n{line}Epoch 2/2\n{line}"


def test_fit_verbose_1_prints_the_bar(clock, capsys):
    callbacks = make_list(verbose="auto", epochs=1)
    callbacks.on_train_begin()
    run_epoch(callbacks, clock, 0)
    callbacks.on_train_end(EPOCH_LOGS)
    out = capsys.readouterr().out
    first, final = out.split("\r")[1:]
    assert first.startswith("12/25 " + "━" * 9 + "─" * 11 + " 0s 25ms/step")
    assert first.rstrip().endswith("- accuracy: 0.0800 - loss: 2.4000")
    assert final == (
        "25/25 " + "━" * 20 + " 1s 29ms/step - accuracy: 0.0913 - loss: 2.3603"
        " - val_accuracy: 0.1050 - val_loss: 2.3206\n"
    )
    assert "Epoch" not in out  # Only printed when epochs > 1.


def test_verbose_0_prints_nothing(clock, capsys):
    callbacks = CallbackList([ProgbarLogger()], verbose=0, epochs=2, steps=25)
    callbacks.on_train_begin()
    run_epoch(callbacks, clock, 0)
    callbacks.on_train_end()
    assert capsys.readouterr().out == ""


def test_evaluate_prints_the_bar(clock, capsys):
    callbacks = make_list(verbose=2, epochs=1, steps=4)
    callbacks.on_test_begin()
    callbacks.on_test_batch_end(1, {"loss": 1.0})
    clock.now = 0.4
    callbacks.on_test_end({"loss": 0.5})
    assert capsys.readouterr().out == "4/4 - 0s - 100ms/step - loss: 0.5000\n"


def test_predict_prints_the_bar_without_values(clock, capsys):
    callbacks = make_list(verbose=1, epochs=1, steps=2)
    callbacks.on_predict_begin()
    clock.now = 0.002
    callbacks.on_predict_batch_end(1, {"outputs": [1, 2]})
    callbacks.on_predict_end()
    out = capsys.readouterr().out
    assert out.endswith("\r2/2 " + "━" * 20 + " 0s 1ms/step\n")


def test_unknown_steps_use_the_batches_seen(clock, capsys):
    callbacks = make_list(verbose=2, epochs=1, steps=None)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_end(6, {"loss": 1.0})
    clock.now = 0.7
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert capsys.readouterr().out == "7/7 - 1s - 100ms/step - loss: 1.0000\n"

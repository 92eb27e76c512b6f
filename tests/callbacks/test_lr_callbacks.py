"""LearningRateScheduler and ReduceLROnPlateau write optimizer.learning_rate."""

import numpy as np
import pytest

from kgraph.callbacks import LearningRateScheduler
from kgraph.callbacks import ReduceLROnPlateau


def test_scheduler_sets_learning_rate_each_epoch(model, fit):
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr * 0.5 if epoch >= 1 else lr

    fit(model, [LearningRateScheduler(schedule)], [{"loss": 1.0}] * 3)
    assert seen == [(0, 0.01), (1, 0.01), (2, 0.005)]
    assert model.optimizer.learning_rate == pytest.approx(0.0025)
    assert type(model.optimizer.learning_rate) is float
    assert model.history.history["learning_rate"] == pytest.approx(
        [0.01, 0.005, 0.0025]
    )


def test_scheduler_accepts_old_one_argument_api_and_numpy(model, fit):
    callback = LearningRateScheduler(lambda epoch: np.float32(0.1 * (epoch + 1)))
    fit(model, [callback], [{"loss": 1.0}] * 2)
    assert model.optimizer.learning_rate == pytest.approx(0.2)


def test_scheduler_verbose_message(model, fit, capsys):
    fit(model, [LearningRateScheduler(lambda e, lr: 0.5, verbose=1)], [{}])
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.5.\n"
    )


def test_scheduler_rejects_non_numbers(model, fit):
    with pytest.raises(ValueError, match="should be a float"):
        fit(model, [LearningRateScheduler(lambda e, lr: "fast")], [{}])


def test_plateau_reduces_after_patience(model, fit):
    callback = ReduceLROnPlateau(factor=0.5, patience=2)
    epochs = [{"val_loss": v} for v in (1.0, 1.0, 1.0, 1.0, 1.0, 0.5)]
    fit(model, [callback], epochs)
    # Reduced at the end of epochs 2 and 4.
    assert model.history.history["learning_rate"] == pytest.approx(
        [0.01, 0.01, 0.01, 0.005, 0.005, 0.0025]
    )
    assert model.optimizer.learning_rate == pytest.approx(0.0025)


def test_plateau_min_delta(model, fit):
    callback = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.1)
    fit(model, [callback], [{"val_loss": v} for v in (1.0, 0.95)])
    assert model.optimizer.learning_rate == pytest.approx(0.005)


def test_plateau_cooldown(model, fit):
    callback = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)
    fit(model, [callback], [{"val_loss": 1.0}] * 6)
    # Keras's counting: reduced at the end of epoch 1; the cooldown counter
    # drops to 1 at epoch 2 (no wait counted) and to 0 at epoch 3, which
    # counts again, so the next reduction is at the end of epoch 3.
    assert model.history.history["learning_rate"] == pytest.approx(
        [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025]
    )


def test_plateau_min_lr(model, fit, capsys):
    callback = ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.005, verbose=1)
    fit(model, [callback], [{"val_loss": 1.0}] * 4)
    assert model.optimizer.learning_rate == 0.005
    assert capsys.readouterr().out == (
        "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.005.\n"
    )


def test_plateau_max_mode_for_accuracy(model, fit):
    callback = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    fit(model, [callback], [{"val_accuracy": v} for v in (0.5, 0.6, 0.7)])
    assert model.optimizer.learning_rate == 0.01


def test_plateau_missing_monitor_warns(model, fit):
    callback = ReduceLROnPlateau(patience=0)
    with pytest.warns(UserWarning, match="not available"):
        fit(model, [callback], [{"loss": 1.0}] * 2)
    assert model.optimizer.learning_rate == 0.01


def test_plateau_rejects_factor_one():
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.0)


def test_plateau_is_reset_on_train_begin(model, fit):
    callback = ReduceLROnPlateau(factor=0.5, patience=1)
    fit(model, [callback], [{"val_loss": 1.0}])
    fit(model, [callback], [{"val_loss": 2.0}])  # A new best, not a plateau.
    assert model.optimizer.learning_rate == 0.01


def test_schedule_learning_rate_is_logged_at_the_current_step(model, fit):
    model.optimizer.learning_rate = lambda step: 0.1 / (1 + step)
    model.optimizer.iterations = np.int64(4)
    fit(model, [ReduceLROnPlateau(patience=10)], [{"val_loss": 1.0}])
    assert model.history.history["learning_rate"] == [pytest.approx(0.02)]

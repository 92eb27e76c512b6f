"""EarlyStopping: Keras 3's patience counting, baseline and restoring."""

import pytest

from kgraph.callbacks import EarlyStopping


def losses(*values, key="val_loss"):
    return [{key: v, "loss": v} for v in values]


def test_stops_after_patience_epochs_without_improvement(model, fit):
    callback = EarlyStopping(patience=2)
    callbacks = fit(model, [callback], losses(1.0, 0.9, 0.95, 0.96, 0.5, 0.4))
    # Epochs 2 and 3 do not improve on 0.9: stop at the end of epoch 3.
    assert callbacks.callbacks[-1].epoch == [0, 1, 2, 3]
    assert callback.stopped_epoch == 3
    assert callback.best == 0.9
    assert callback.best_epoch == 1
    assert model.stop_training


def test_patience_zero_stops_at_first_non_improvement(model, fit):
    callback = EarlyStopping(monitor="loss")
    fit(model, [callback], losses(1.0, 0.5, 0.5, 0.1))
    assert callback.stopped_epoch == 2
    assert model.history.epoch == [0, 1, 2]


def test_baseline_with_zero_patience(model, fit):
    callback = EarlyStopping(patience=0, baseline=0.1)
    fit(model, [callback], losses(1.0, 2.0))
    assert callback.stopped_epoch == 1
    assert model.history.epoch == [0, 1]


def test_min_delta_counts_small_changes_as_no_improvement(model, fit):
    callback = EarlyStopping(patience=1, min_delta=0.1)
    fit(model, [callback], losses(1.0, 0.95, 0.5))
    assert callback.stopped_epoch == 1
    assert callback.best == 1.0


def test_auto_mode_maximizes_accuracy(model, fit):
    callback = EarlyStopping(monitor="val_accuracy", patience=1)
    fit(model, [callback], losses(0.5, 0.6, 0.55, 0.7, key="val_accuracy"))
    assert callback.stopped_epoch == 2
    assert callback.best == 0.6


def test_explicit_mode_max(model, fit):
    callback = EarlyStopping(monitor="val_loss", mode="max", patience=1)
    fit(model, [callback], losses(0.5, 0.4, 0.3))
    assert callback.stopped_epoch == 1


def test_restore_best_weights(model, fit, capsys):
    callback = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    fit(model, [callback], losses(1.0, 0.5, 0.7, 0.8, 0.1))
    assert callback.stopped_epoch == 3
    assert model.calls[-1] == ("set_weights", 2.0)  # Weights of epoch 1.
    assert float(model.weights[0][0]) == 2.0
    assert capsys.readouterr().out == (
        "Epoch 4: early stopping\n"
        "Restoring model weights from the end of the best epoch: 2.\n"
    )


def test_restore_without_stopping_restores_too(model, fit):
    callback = EarlyStopping(patience=5, restore_best_weights=True)
    fit(model, [callback], losses(1.0, 0.5, 0.7))
    assert callback.stopped_epoch == 0
    assert model.calls[-1] == ("set_weights", 2.0)


def test_baseline_not_beaten_stops_after_patience(model, fit):
    callback = EarlyStopping(patience=2, baseline=0.5, restore_best_weights=True)
    fit(model, [callback], losses(1.0, 0.9, 0.95, 0.2))
    # Epochs 0 and 1 improve on the best but not on the baseline, so the
    # wait is never reset: epoch 2 exhausts the patience.
    assert callback.stopped_epoch == 2
    assert callback.best_epoch == 1
    assert model.calls[-1] == ("set_weights", 2.0)


def test_start_from_epoch_skips_warm_up(model, fit):
    callback = EarlyStopping(patience=0, start_from_epoch=2)
    fit(model, [callback], losses(1.0, 2.0, 3.0, 4.0, 5.0))
    assert callback.stopped_epoch == 3


def test_missing_monitor_warns_and_does_not_stop(model, fit):
    callback = EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning, match="val_loss.*not available"):
        fit(model, [callback], [{"loss": 1.0}, {"loss": 2.0}])
    assert callback.stopped_epoch == 0


def test_state_is_reset_between_fits(model, fit):
    callback = EarlyStopping(monitor="loss", patience=0)
    fit(model, [callback], losses(1.0, 2.0))
    assert callback.stopped_epoch == 1
    fit(model, [callback], losses(5.0, 4.0, 3.0))
    assert callback.stopped_epoch == 0
    assert callback.best == 3.0


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="unknown"):
        callback = EarlyStopping(mode="bogus")
    assert callback.mode == "auto"

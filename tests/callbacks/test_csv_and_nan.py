"""CSVLogger file content and TerminateOnNaN."""

import pytest

from kgraph.callbacks import CSVLogger
from kgraph.callbacks import TerminateOnNaN


def test_csv_logger_writes_header_and_rows(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    epochs = [
        {"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75, "val_accuracy": 0.125},
        {"loss": 0.25, "accuracy": 0.5, "val_loss": 0.5, "val_accuracy": 0.25},
    ]
    fit(model, [CSVLogger(path)], epochs)
    assert path.read_bytes().decode() == (
        "epoch,accuracy,loss,val_accuracy,val_loss\r\n"
        "0,0.25,0.5,0.125,0.75\r\n"
        "1,0.5,0.25,0.25,0.5\r\n"
    )


def test_csv_logger_adds_val_columns_when_absent(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, [CSVLogger(path, separator=";")], [{"loss": 1.0}])
    assert path.read_text().splitlines() == ["epoch;loss;val_loss", "0;1.0;NA"]


def test_csv_logger_append(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, [CSVLogger(path)], [{"loss": 1.0, "val_loss": 2.0}])
    fit(model, [CSVLogger(path, append=True)], [{"loss": 3.0, "val_loss": 4.0}])
    assert path.read_text().splitlines() == [
        "epoch,loss,val_loss",
        "0,1.0,2.0",
        "0,3.0,4.0",
    ]


def test_csv_logger_overwrites_by_default(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, [CSVLogger(path)], [{"loss": 1.0, "val_loss": 2.0}])
    fit(model, [CSVLogger(path)], [{"loss": 3.0, "val_loss": 4.0}])
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,3.0,4.0"]


def test_csv_logger_formats_lists(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, [CSVLogger(path)], [{"loss": 1.0, "val_loss": 2.0, "v": [1, 2]}])
    assert path.read_text().splitlines()[1] == '0,1.0,"""[1, 2]""",2.0'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_terminate_on_nan_at_chunk_end(model, fit, capsys, bad):
    fit(model, [TerminateOnNaN()], [{"loss": bad}, {"loss": 1.0}], steps=4, chunk=2)
    assert model.stop_training
    assert model.history.epoch == [0]
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


def test_terminate_on_nan_at_epoch_end(model, capsys):
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_begin()
    callback.on_epoch_end(2, {"loss": float("nan")})
    assert model.stop_training
    assert capsys.readouterr().out == "Epoch 3: Invalid loss, terminating training\n"


def test_terminate_on_nan_leaves_finite_losses(model, fit):
    fit(model, [TerminateOnNaN()], [{"loss": 1.0}, {"loss": 2.0}])
    assert not model.stop_training
    assert model.history.epoch == [0, 1]


def test_terminate_on_nan_raise_error(model, fit):
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        fit(model, [TerminateOnNaN(raise_error=True)], [{"loss": float("nan")}])

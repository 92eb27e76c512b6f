"""ModelCheckpoint: file names, save_best_only, weights vs model, save_freq."""

import pytest

from kgraph.callbacks import ModelCheckpoint


def saved(model):
    return [(kind, path) for kind, path in model.calls if kind.startswith("save")]


def test_saves_every_epoch_with_formatted_names(model, fit, tmp_path):
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5")
    callback = ModelCheckpoint(pattern, save_weights_only=True)
    fit(model, [callback], [{"val_loss": 0.5}, {"val_loss": 0.25}])
    names = [tmp_path / "ckpt-01-0.50.weights.h5", tmp_path / "ckpt-02-0.25.weights.h5"]
    assert saved(model) == [("save_weights", str(name)) for name in names]
    assert all(name.exists() for name in names)


def test_saves_whole_model_when_not_weights_only(model, fit, tmp_path):
    path = str(tmp_path / "model.kgraph")
    fit(model, [ModelCheckpoint(path)], [{"val_loss": 1.0}])
    assert saved(model) == [("save", path)]


def test_save_best_only_min(model, fit, tmp_path, capsys):
    pattern = str(tmp_path / "best-{epoch}.keras")
    callback = ModelCheckpoint(pattern, save_best_only=True, verbose=1)
    fit(model, [callback], [{"val_loss": v} for v in (1.0, 0.5, 0.7, 0.4, 0.4)])
    assert [path for _, path in saved(model)] == [
        pattern.format(epoch=e) for e in (1, 2, 4)
    ]
    assert callback.best == 0.4
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to 1.00000" in out
    assert "Epoch 2: val_loss improved from 1.00000 to 0.50000" in out
    assert "Epoch 3: val_loss did not improve from 0.50000" in out
    assert f"Epoch 4: finished saving model to {pattern.format(epoch=4)}" in out


def test_save_best_only_auto_max_for_accuracy(model, fit, tmp_path):
    path = str(tmp_path / "best.weights.npz")
    callback = ModelCheckpoint(
        path, monitor="val_accuracy", save_best_only=True, save_weights_only=True
    )
    fit(model, [callback], [{"val_accuracy": v} for v in (0.5, 0.4, 0.6)])
    assert len(saved(model)) == 2
    assert callback.best == 0.6


def test_initial_value_threshold(model, fit, tmp_path):
    path = str(tmp_path / "best.keras")
    callback = ModelCheckpoint(path, save_best_only=True, initial_value_threshold=0.45)
    fit(model, [callback], [{"val_loss": v} for v in (0.5, 0.4)])
    assert saved(model) == [("save", path)]


def test_save_best_only_without_monitor_saves_and_warns(model, fit, tmp_path):
    path = str(tmp_path / "m.keras")
    callback = ModelCheckpoint(path, save_best_only=True)
    with pytest.warns(UserWarning, match="val_loss available"):
        fit(model, [callback], [{"loss": 1.0}])
    assert saved(model) == [("save", path)]


def test_integer_save_freq_counts_batches_across_chunks(model, fit, tmp_path):
    pattern = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    callback = ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)
    # 4 steps in chunks of 2: the hook runs after batches 1 and 3 of each
    # epoch, so 3 batches are first reached (then counted as 4) at batch 3.
    fit(model, [callback], [{"loss": 1.0}] * 2, steps=4, chunk=2)
    names = [path.rsplit("/", 1)[1] for _, path in saved(model)]
    assert names == ["e1-b4.weights.h5", "e2-b4.weights.h5"]


def test_creates_missing_directories(model, fit, tmp_path):
    path = tmp_path / "a" / "b" / "m.keras"
    fit(model, [ModelCheckpoint(str(path))], [{"val_loss": 1.0}])
    assert path.exists()


def test_missing_format_key_raises(model, fit, tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "{nope}.keras"))
    with pytest.raises(KeyError, match="Failed to format"):
        fit(model, [callback], [{"val_loss": 1.0}])


@pytest.mark.parametrize(
    ("path", "weights_only"),
    [("m.keras", True), ("m.weights.npz", False), ("m.txt", False)],
)
def test_bad_suffix_raises(path, weights_only):
    with pytest.raises(ValueError, match="must end in"):
        ModelCheckpoint(path, save_weights_only=weights_only)


def test_bad_save_freq_raises():
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("m.keras", save_freq="batch")

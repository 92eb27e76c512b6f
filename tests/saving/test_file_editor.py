"""KerasFileEditor: reading .keras and .weights.h5 files, comparing with a
model, editing and saving weights that load back."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg

pytest.importorskip("h5py")


@pytest.fixture
def model():
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [kg.Input((3,)), kg.layers.Dense(4), kg.layers.Dropout(0.1), kg.layers.Dense(2)]
    )
    model.compile("adam", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    return model


def test_a_keras_file_is_read_with_its_config(model, tmp_path, capsys):
    path = tmp_path / "model.keras"
    model.save(path)
    editor = kg.saving.KerasFileEditor(path)
    assert editor.config["class_name"] == "Sequential"
    layers = editor.weights_dict["layers"]
    np.testing.assert_array_equal(layers["dense"]["0"], model.layers[0].kernel.numpy())
    assert set(layers) == {"dense", "dense_1"}
    editor.summary()
    printed = capsys.readouterr().out
    assert "dense_1 ('dense_1')" in printed and "shape=(4, 2)" in printed
    assert editor.compare(model) == {
        "status": "success",
        "error_count": 0,
        "match_count": 14,
    }


def test_edits_are_saved_and_load_back(model, tmp_path):
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    editor = kg.saving.KerasFileEditor(path)
    editor.add_weights("dense_1", {"0": np.zeros((4, 2))})
    editor.rename_object("dense", "first")
    assert editor.compare(model)["status"] == "error"
    editor.rename_object("layers/first", "dense")
    edited = tmp_path / "edited.weights.h5"
    editor.save(edited)
    model.load_weights(edited)
    np.testing.assert_array_equal(model.layers[-1].kernel.numpy(), 0.0)


def test_objects_and_weights_are_added_and_deleted(model, tmp_path):
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    editor = kg.saving.KerasFileEditor(path)
    editor.delete_object("dense_1")
    result = editor.compare(model)
    assert result["status"] == "error" and result["error_count"] == 1
    editor.add_object("layers/dense_1", {"0": np.ones((4, 2)), "1": np.ones(2)})
    assert editor.compare(model)["status"] == "success"
    editor.delete_weight("dense_1", "1")
    assert editor.compare(model)["error_count"] == 1
    with pytest.raises(ValueError, match="Weight 7 not found"):
        editor.delete_weight("dense_1", "7")
    with pytest.raises(ValueError, match="does not appear"):
        editor.delete_object("nothing")
    with pytest.raises(ValueError, match="should be a dict"):
        editor.add_weights("dense_1", [np.ones(2)])
    with pytest.raises(ValueError, match="leaf name"):
        editor.rename_object("dense_1", "a/b")


def test_other_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="extension"):
        kg.saving.KerasFileEditor(tmp_path / "weights.npz")

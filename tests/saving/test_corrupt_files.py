"""Bad files give a clear ValueError and change nothing; an interrupted save
leaves the previous file whole."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers as L
from kgraph.saving import model_file


@pytest.fixture
def saved(tmp_path):
    x = kg.Input((3,))
    model = kg.Model(x, L.Dense(2)(x))
    model.compile("adam", "mse", backend="numpy")
    path = tmp_path / "m.kgraph"
    model.save(path)
    return model, path


def _rewrite(path, replace):
    """Copies the zip at ``path`` with entries changed by ``replace``."""
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries = replace(entries)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def test_newer_format_version(saved):
    _, path = saved

    def newer(entries):
        metadata = json.loads(entries["metadata.json"])
        metadata["format_version"] = 99
        return {**entries, "metadata.json": json.dumps(metadata)}

    _rewrite(path, newer)
    with pytest.raises(ValueError, match=r"newer kgraph.*format version 99"):
        kg.models.load_model(path)


@pytest.mark.parametrize("keep", [0.95, 0.5, 0.1])
def test_truncated_file(saved, keep):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match="truncated"):
        kg.models.load_model(path)


def test_corrupt_array_entry(saved):
    _, path = saved

    def damage(entries):
        return {**entries, "weights/00000.npy": b"\x93NUMPY junk"}

    _rewrite(path, damage)
    with pytest.raises(ValueError, match="corrupt"):
        kg.models.load_model(path)


def test_files_that_are_not_models(tmp_path):
    text = tmp_path / "notes.kgraph"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"not a kgraph.*or Keras"):
        kg.models.load_model(text)
    other_zip = tmp_path / "other.kgraph"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(ValueError, match="not a kgraph"):
        kg.models.load_model(other_zip)
    wrong = tmp_path / "wrong.kgraph"
    with zipfile.ZipFile(wrong, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"format": "something.else"}))
        archive.writestr("variables.json", "{}")
    with pytest.raises(ValueError, match="not a kgraph model file"):
        kg.models.load_model(wrong)
    with pytest.raises(ValueError, match="File not found"):
        kg.models.load_model(tmp_path / "missing.kgraph")
    legacy = tmp_path / "old.h5"
    legacy.write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(ValueError, match="Legacy HDF5"):
        kg.models.load_model(legacy)


def test_weights_that_do_not_fit_the_architecture(saved):
    _, path = saved

    def swap(entries):
        index = json.loads(entries["variables.json"])
        index["weights"][0]["path"] = "elsewhere/kernel"
        return {**entries, "variables.json": json.dumps(index)}

    _rewrite(path, swap)
    with pytest.raises(
        ValueError, match="does not match the stored 'elsewhere/kernel'"
    ):
        kg.models.load_model(path)


def test_bad_load_weights_leaves_the_model_unchanged(saved, tmp_path):
    model, path = saved
    before = model.get_weights()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError):
        model.load_weights(path)
    bad = tmp_path / "bad.weights.npz"
    np.savez(bad, a=np.zeros(3))
    with pytest.raises(ValueError, match="holds 1 weights"):
        model.load_weights(bad)
    with pytest.raises(ValueError, match=r"\.weights\.h5.*\.weights\.npz"):
        model.load_weights(tmp_path / "weights.bin")
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_interrupted_save_keeps_the_previous_file(saved, monkeypatch):
    model, path = saved
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(model_file, "_write_array", fail)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    kg.models.load_model(path)


def test_failed_config_keeps_the_previous_file(saved):
    model, path = saved
    before = path.read_bytes()
    model.get_layer(index=1).units = object()
    with pytest.raises(ValueError, match="cannot store"):
        model.save(path)
    assert path.read_bytes() == before

"""Malformed model files: every one raises ``FileFormatError`` (a
``ValueError``) naming the file, and nothing is allocated from a forged
size; saving cleans stale temporaries and writes through symbolic links.
The fuzz pass mutates saved files at random (bit flips, truncation,
overwritten and inserted bytes) and loads them."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile

import numpy as np
import pytest

import kgraph as kg
from kgraph import errors
from kgraph import layers as L

MUTATIONS = 300  # in the suite; the note reports a run of 1,000


def _saved(folder, suffix):
    model = kg.Sequential([kg.Input((3,)), L.Dense(4, activation="relu"), L.Dense(2)])
    model.compile("adam", "mse", backend="numpy")
    model.fit(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    path = folder / f"m{suffix}"
    model.save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    return _saved(tmp_path_factory.mktemp("fuzz"), ".kgraph")


def _entries(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(entries, path):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def _mutate(data, rng):
    data = bytearray(data)
    kind = rng.integers(4)
    where = int(rng.integers(len(data)))
    if kind == 0:
        data[where] ^= 1 << int(rng.integers(8))
    elif kind == 1:
        del data[where:]
    elif kind == 2:
        data[where : where + 8] = rng.bytes(8)
    else:
        data[where:where] = rng.bytes(int(rng.integers(1, 16)))
    return bytes(data)


@pytest.mark.parametrize("suffix", [".kgraph", ".keras"])
def test_random_mutations_raise_only_file_format_errors(suffix, tmp_path):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    original = _saved(tmp_path, suffix)
    rng = np.random.default_rng(0)
    path = tmp_path / f"mutant{suffix}"
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(MUTATIONS):
        path.write_bytes(_mutate(original, rng))
        try:
            kg.models.load_model(path)
            outcomes["loaded"] += 1
        except errors.FileFormatError as error:
            assert str(path) in str(error)
            outcomes["refused"] += 1
    assert outcomes["refused"] > MUTATIONS // 2


def test_a_damaged_metadata_entry_is_refused(model_bytes, tmp_path):
    entries = _entries(model_bytes)
    entries["metadata.json"] = b"{not json"
    path = tmp_path / "damaged.kgraph"
    _zip(entries, path)
    with pytest.raises(errors.FileFormatError, match=r"damaged\.kgraph"):
        kg.models.load_model(path)
    del entries["metadata.json"]
    _zip(entries, path)
    with pytest.raises(errors.FileFormatError, match=r"metadata\.json is missing"):
        kg.models.load_model(path)


def test_a_keras_file_without_weights_is_refused(tmp_path):
    pytest.importorskip("h5py")
    model = kg.Sequential([kg.Input((3,)), L.Dense(2)])
    path = tmp_path / "m.keras"
    model.save(path)
    entries = _entries(path.read_bytes())
    del entries["model.weights.h5"]
    _zip(entries, path)
    with pytest.raises(errors.FileFormatError, match="holds no weights"):
        kg.models.load_model(path)


def test_deep_and_huge_declarations_are_refused_before_allocating(
    model_bytes, tmp_path
):
    entries = _entries(model_bytes)
    deep = dict(entries)
    deep["config.json"] = ("[" * 100_000 + "]" * 100_000).encode()
    path = tmp_path / "deep.kgraph"
    _zip(deep, path)
    with pytest.raises(errors.FileFormatError, match=r"deep\.kgraph"):
        kg.models.load_model(path)
    huge = dict(entries)
    index = json.loads(huge["variables.json"])
    index["weights"][0]["shape"] = [200_000, 250_000]  # 186 GiB of float32
    huge["variables.json"] = json.dumps(index).encode()
    path = tmp_path / "huge.kgraph"
    _zip(huge, path)
    with pytest.raises(errors.FileFormatError, match="truncated"):
        kg.models.load_model(path)


def test_saving_cleans_stale_temporaries_and_writes_through_links(tmp_path):
    model = kg.Sequential([kg.Input((3,)), L.Dense(2)])
    target = tmp_path / "real.kgraph"
    stale = tmp_path / ".real.kgraph.abc123.tmp"
    stale.write_bytes(b"left by a killed save")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / ".real.kgraph.def456.tmp"
    fresh.write_bytes(b"a save in progress")
    model.save(target)
    assert not stale.exists() and fresh.exists()
    link = tmp_path / "link.kgraph"
    link.symlink_to(target)
    before = target.stat().st_mtime_ns
    model.save(link)
    assert link.is_symlink() and target.stat().st_mtime_ns >= before
    assert kg.models.load_model(link).get_weights()[0].shape == (3, 2)

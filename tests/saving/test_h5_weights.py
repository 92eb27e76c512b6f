"""``.weights.h5`` in Keras 3's HDF5 layout (h5py is optional), the
dependency-free ``.weights.npz``, and ModelCheckpoint with real files."""

from __future__ import annotations

import sys
import zipfile

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers as L


def _model(backend="numpy"):
    a, b = kg.Input((4,), name="a"), kg.Input((4,), name="b")
    shared = L.Dense(3, activation="relu")
    x = L.Add()([shared(a), shared(b)])
    out = L.Dense(2)(L.Concatenate()([x, a]))
    model = kg.Model([a, b], out)
    model.compile("adam", "mse", backend=backend)
    return model


def _data(rng):
    return [rng.random((8, 4), dtype="float32") for _ in range(2)], rng.random(
        (8, 2), dtype="float32"
    )


def test_layout_is_keras_3s(tmp_path, rng):
    h5py = pytest.importorskip("h5py")
    model = _model()
    x, y = _data(rng)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert sorted(f["layers"]) == [
            "add",
            "concatenate",
            "dense",
            "dense_1",
            "input_layer",
            "input_layer_1",
        ]
        assert f["layers/dense_1/vars"].attrs["name"] == "dense_1"
        assert f["layers/input_layer_1/vars"].attrs["name"] == "b"
        np.testing.assert_array_equal(
            f["layers/dense/vars/0"][()], model.get_layer("dense").kernel.numpy()
        )
        opt = f["optimizer/vars"]
        assert opt.attrs["name"] == "adam"
        assert int(opt["0"][()]) == 2  # iterations
        assert np.float32(opt["1"][()]) == np.float32(0.001)  # learning rate
        assert len(opt) == 2 + 2 * 4  # m and v of 4 variables
        assert f["vars"].attrs["name"] == model.name


def test_round_trip_with_optimizer_state(tmp_path, rng):
    pytest.importorskip("h5py")
    x, y = _data(rng)
    model = _model()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.optimizer.learning_rate = 0.05
    model.save_weights(tmp_path / "m.weights.h5")
    kg.utils.clear_session()
    fresh = _model()
    fresh.load_weights(tmp_path / "m.weights.h5")
    for got, want in zip(fresh.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(
        fresh.optimizer.variables, model.optimizer.variables, strict=True
    ):
        np.testing.assert_array_equal(got.value, want.value)
    assert np.float32(fresh.optimizer.learning_rate) == np.float32(0.05)


def test_mismatches_change_nothing(tmp_path):
    pytest.importorskip("h5py")
    _model().save_weights(tmp_path / "m.weights.h5")
    kg.utils.clear_session()
    x = kg.Input((4,))
    other = kg.Model(x, L.Dense(5)(x))
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"has shape .4, 5. but layers/dense holds"):
        other.load_weights(tmp_path / "m.weights.h5")
    for got, want in zip(other.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)
    (tmp_path / "junk.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        other.load_weights(tmp_path / "junk.weights.h5")


def test_missing_h5py_names_pip_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    model = _model()
    with pytest.raises(ImportError, match="pip install h5py"):
        model.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ImportError, match="pip install h5py"):
        model.load_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ImportError, match="pip install h5py"):
        model.save(tmp_path / "m.keras")
    assert list(tmp_path.iterdir()) == []
    model.save_weights(tmp_path / "m.weights.npz")  # needs nothing
    model.load_weights(tmp_path / "m.weights.npz")


def test_keras_weights_file_from_a_keras_archive(tmp_path, data_dir, fixed):
    """The model.weights.h5 Keras wrote loads into the same architecture
    built with kgraph."""
    pytest.importorskip("h5py")
    with zipfile.ZipFile(data_dir / "keras_mlp.keras") as archive:
        (tmp_path / "k.weights.h5").write_bytes(archive.read("model.weights.h5"))
    # Uncompiled, both predict with the same backend (the interpreter).
    reference = kg.models.load_model(data_dir / "keras_mlp.keras", compile=False)
    kg.utils.clear_session()
    model = kg.Sequential(
        [
            kg.Input((8,)),
            L.Dense(16, activation="relu"),
            L.Dropout(0.25),
            L.Dense(8),
            L.LeakyReLU(negative_slope=0.1),
            L.Activation("tanh"),
            L.Identity(),
            L.Reshape((2, 4)),
            L.Flatten(),
            L.ReLU(max_value=0.8, negative_slope=0.05, threshold=0.1),
            L.Dense(3),
            L.Softmax(),
        ]
    )
    model.load_weights(tmp_path / "k.weights.h5")
    x = fixed((4, 8), 3.0)
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), reference.predict(x, verbose=0)
    )


@pytest.mark.parametrize(
    ("name", "weights_only"),
    [
        ("ckpt-{epoch}.kgraph", False),
        ("ckpt-{epoch}.keras", False),
        ("ckpt-{epoch}.weights.h5", True),
        ("ckpt-{epoch}.weights.npz", True),
    ],
)
def test_model_checkpoint_writes_loadable_files(name, weights_only, tmp_path, rng):
    if "h5" in name or "keras" in name:
        pytest.importorskip("h5py")
    x, y = _data(rng)
    model = _model()
    checkpoint = kg.callbacks.ModelCheckpoint(
        str(tmp_path / name), save_weights_only=weights_only
    )
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[checkpoint])
    last = tmp_path / name.format(epoch=2)
    assert (tmp_path / name.format(epoch=1)).exists() and last.exists()
    kg.utils.clear_session()
    if weights_only:
        restored = _model()
        restored.load_weights(last)
    else:
        restored = kg.models.load_model(last)
    np.testing.assert_array_equal(
        restored.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    if not name.endswith(".npz"):
        assert int(restored.optimizer.iterations.value) == 4


def test_checkpoint_rejects_legacy_h5_models(tmp_path):
    with pytest.raises(ValueError, match=r"`\.kgraph` or `\.keras`"):
        kg.callbacks.ModelCheckpoint(str(tmp_path / "m.h5"))

"""Keras 3 ``.keras`` files in (and out).

``tests/data/keras_*.keras`` were written by Keras 3.15.1 (JAX backend)
after a little training (``keras_bilstm.keras``: Embedding(20, 6,
mask_zero=True) -> Bidirectional(LSTM(5)) -> Dense(2) on pre-padded token
sequences); the predictions Keras made for the fixed inputs
(``fixed(shape, phase)``, see conftest) are recorded below, and kgraph must
reproduce them on both backends. When Keras itself is importable, files
also go both ways between Keras and kgraph live.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile

import numpy as np
import pytest

import kgraph as kg
from kgraph.models import config as model_config

# What Keras predicted (rounded to 7 decimals).
KERAS_MLP = [
    [0.2942979, 0.3897621, 0.3159399],
    [0.3552186, 0.3944205, 0.2503609],
    [0.2718447, 0.4137112, 0.3144441],
    [0.3583449, 0.3832728, 0.2583823],
]
KERAS_MERGE_SCORE = [[-0.2702436], [-0.156964], [-0.134327]]
KERAS_MERGE_KLASS = [
    [0.0622062, 0.4410666, 0.342358, 0.1543692],
    [0.0965769, 0.2994806, 0.3038768, 0.3000657],
    [0.0804897, 0.3874179, 0.3843258, 0.1477666],
]
KERAS_CNN = [[0.8103903, -0.0729838], [0.5362097, -0.2402276]]
KERAS_SEQ = [[0.9829406, 1.5410926], [1.9522361, 1.1337526], [-1.2354389, -1.468015]]
KERAS_BILSTM = [
    [0.010114, -0.0056543],
    [-0.0088488, -0.0018468],
    [0.0056122, -0.004401],
]
TOLERANCE = {"rtol": 1e-5, "atol": 2e-6}


@pytest.fixture
def use_backend(backend, monkeypatch):
    monkeypatch.setenv("KGRAPH_BACKEND", backend)
    return backend


def test_sequential_mlp(data_dir, fixed, use_backend):
    pytest.importorskip("h5py")
    model = kg.models.load_model(data_dir / "keras_mlp.keras")
    assert isinstance(model, kg.Sequential) and model.name == "keras_mlp"
    assert [type(layer).__name__ for layer in model.layers] == [
        "Dense",
        "Dropout",
        "Dense",
        "LeakyReLU",
        "Activation",
        "Identity",
        "Reshape",
        "Flatten",
        "ReLU",
        "Dense",
        "Softmax",
    ]
    np.testing.assert_allclose(
        model.predict(fixed((4, 8), 3.0), verbose=0), KERAS_MLP, **TOLERANCE
    )
    assert model.compiled and model._backend == use_backend
    assert type(model.optimizer).__name__ == "Adam"
    assert int(model.optimizer.iterations.value) == 8  # 2 epochs of 4 steps
    assert any(np.any(v.value) for v in model.optimizer.variables[1:])


def test_functional_with_shared_and_merging_layers(data_dir, fixed, use_backend):
    pytest.importorskip("h5py")
    model = kg.models.load_model(data_dir / "keras_merge.keras")
    assert model.input_names == ["left", "right"]
    assert model.output_names == ["score", "klass"]
    assert len(model.nodes_of(model.get_layer("shared"))) == 2
    score, klass = model.predict([fixed((3, 6), 4.0), fixed((3, 6), 5.0)], verbose=0)
    np.testing.assert_allclose(score, KERAS_MERGE_SCORE, **TOLERANCE)
    np.testing.assert_allclose(klass, KERAS_MERGE_KLASS, **TOLERANCE)
    optimizer = model.optimizer
    assert type(optimizer).__name__ == "SGD" and optimizer.momentum == 0.9
    assert [entry.weight for entry in model._losses] == [0.5, 1.0]
    assert int(optimizer.iterations.value) == 8


def test_convolutions_and_pooling(data_dir, fixed, use_backend):
    pytest.importorskip("h5py")
    model = kg.models.load_model(data_dir / "keras_cnn.keras")
    names = [layer.name for layer in model.layers]
    assert names[:5] == ["image", "conv_a", "series", "max2d", "conv1d"]
    out = model.predict([fixed((2, 8, 8, 2), 6.0), fixed((2, 12, 3), 7.0)], verbose=0)
    np.testing.assert_allclose(out, KERAS_CNN, **TOLERANCE)


def test_embedding_recurrent_and_normalization(data_dir, fixed, use_backend):
    """Keras keeps a recurrent layer's variables in its cell
    (``layers/lstm/cell/vars``); BatchNormalization's moving statistics
    are weights too."""
    pytest.importorskip("h5py")
    model = kg.models.load_model(data_dir / "keras_seq.keras")
    # Keras's own layer order (``keras_model.layers``), which kgraph keeps.
    assert [layer.name for layer in model.layers] == [
        "tokens",
        "embed",
        "simple",
        "feats",
        "lstm",
        "bn",
        "gru",
        "ln",
        "concatenate",
        "head",
    ]
    tokens = (np.arange(3 * 7) * 3 % 20).reshape(3, 7).astype("int32")
    out = model.predict([tokens, fixed((3, 5), 8.0)], verbose=0)
    np.testing.assert_allclose(out, KERAS_SEQ, **TOLERANCE)


def test_masked_bidirectional_lstm_on_variable_length_tokens(
    data_dir, use_backend, tmp_path
):
    """Embedding(mask_zero=True) -> Bidirectional(LSTM) -> Dense, written by
    Keras (its config holds the ``NotEqual`` op of the mask and the call's
    ``mask`` argument; the weights are under ``forward_layer/cell`` and
    ``backward_layer/cell``). Any padded length gives Keras's predictions."""
    pytest.importorskip("h5py")
    model = kg.models.load_model(data_dir / "keras_bilstm.keras")
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer",
        "Embedding",
        "Bidirectional",
        "Dense",
    ]
    queries = [[3, 9, 4], [11, 2, 17, 5, 8, 1, 6], [19]]
    for length in (7, 9):
        tokens = kg.utils.pad_sequences(queries, maxlen=length)
        np.testing.assert_allclose(
            model.predict(tokens, verbose=0), KERAS_BILSTM, **TOLERANCE
        )
    model.save(tmp_path / "again.keras")
    again = kg.models.load_model(tmp_path / "again.keras")
    tokens = kg.utils.pad_sequences(queries, maxlen=7)
    np.testing.assert_array_equal(
        again.predict(tokens, verbose=0), model.predict(tokens, verbose=0)
    )


def test_loaded_keras_model_trains_and_saves_as_kgraph(data_dir, fixed, tmp_path):
    pytest.importorskip("h5py")
    model = kg.models.load_model(data_dir / "keras_mlp.keras")
    y = np.eye(3, dtype="float32")[np.arange(8) % 3]
    model.fit(fixed((8, 8), 1.0), y, epochs=1, verbose=0)
    model.save(tmp_path / "m.kgraph")
    again = kg.models.load_model(tmp_path / "m.kgraph")
    x = fixed((4, 8), 3.0)
    np.testing.assert_array_equal(
        again.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def _config(data_dir, name):
    with zipfile.ZipFile(data_dir / name) as archive:
        return json.loads(archive.read("config.json"))


def test_architecture_reads_without_h5py(data_dir):
    """The config alone (no weights) needs no optional dependency."""
    model = model_config.deserialize_model(_config(data_dir, "keras_merge.keras"))
    assert [layer.name for layer in model.layers][-2:] == ["score", "klass"]
    assert model.get_layer("dot").axes == 1


def test_missing_h5py_is_named(data_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match="pip install h5py"):
        kg.models.load_model(data_dir / "keras_mlp.keras")


def _rewrite_config(data_dir, tmp_path, change):
    source = data_dir / "keras_mlp.keras"
    target = tmp_path / "changed.keras"
    with zipfile.ZipFile(source) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(entries["config.json"])
    change(config["config"]["layers"])
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return target


def test_unsupported_layer_is_named(data_dir, tmp_path):
    # A class kgraph does not have (a made-up one: Keras's own keep arriving).
    def unknown(layers):
        layers[2]["class_name"] = "HypotheticalLayer"

    path = _rewrite_config(data_dir, tmp_path, unknown)
    with pytest.raises(ValueError, match='"dropout" is a HypotheticalLayer'):
        kg.models.load_model(path)


def test_unsupported_keras_option_is_named(data_dir, tmp_path):
    def low_rank(layers):
        layers[1]["config"]["lora_rank"] = 4

    path = _rewrite_config(data_dir, tmp_path, low_rank)
    with pytest.raises(ValueError, match=r"Dense.*`lora_rank`"):
        kg.models.load_model(path)


def test_keras_weight_constraint_is_loaded(data_dir, tmp_path):
    def constrained(layers):
        layers[1]["config"]["kernel_constraint"] = {
            "module": "keras.constraints",
            "class_name": "NonNeg",
            "config": {},
            "registered_name": None,
        }

    path = _rewrite_config(data_dir, tmp_path, constrained)
    model = kg.models.load_model(path)
    dense = next(layer for layer in model.layers if layer.weights)
    assert isinstance(dense.kernel_constraint, kg.constraints.NonNeg)


# -- with Keras itself (a test-only dependency) -----------------------------------


@pytest.fixture
def keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _keras_model(keras):
    layers = keras.layers
    keras.utils.set_random_seed(0)
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    shared = layers.Dense(4, activation="relu")
    x = layers.Concatenate()([shared(a), shared(b), layers.Multiply()([a, b])])
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(3, activation="softmax")(layers.Reshape((13,))(x))
    model = keras.Model([a, b], out)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


def test_keras_to_kgraph(keras, tmp_path, fixed):
    model = _keras_model(keras)
    x = [fixed((6, 5), 0.0), fixed((6, 5), 1.0)]
    model.fit(x, np.eye(3)[np.arange(6) % 3], epochs=1, verbose=0)
    model.save(tmp_path / "k.keras")
    model.save_weights(tmp_path / "k.weights.h5")
    loaded = kg.models.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), **TOLERANCE
    )
    loaded.set_weights([np.zeros_like(w) for w in loaded.get_weights()])
    loaded.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), **TOLERANCE
    )


def test_kgraph_to_keras(keras, tmp_path, fixed):
    pytest.importorskip("h5py")
    model = kg.models.load_model(tmp_path_model := _save_keras(keras, tmp_path))
    x = [fixed((6, 5), 2.0), fixed((6, 5), 3.0)]
    model.fit(x, np.eye(3)[np.arange(6) % 3], epochs=2, verbose=0)
    model.save(tmp_path / "from_kgraph.keras")
    model.save_weights(tmp_path / "from_kgraph.weights.h5")
    again = keras.models.load_model(tmp_path / "from_kgraph.keras")
    np.testing.assert_allclose(
        again.predict(x, verbose=0), model.predict(x, verbose=0), **TOLERANCE
    )
    # One step in Keras before the file, two epochs of one batch here.
    assert int(again.optimizer.iterations.numpy()) == 3
    other = keras.models.load_model(tmp_path_model)
    other.load_weights(tmp_path / "from_kgraph.weights.h5")
    np.testing.assert_allclose(
        other.predict(x, verbose=0), model.predict(x, verbose=0), **TOLERANCE
    )


def _save_keras(keras, tmp_path):
    """A Keras model trained one step (so the file holds the optimizer's
    whole state: an untrained one's has only its step count and learning
    rate, which Keras and kgraph skip with a warning), saved."""
    path = tmp_path / "start.keras"
    model = _keras_model(keras)
    x = [np.full((3, 5), 0.5, "float32"), np.full((3, 5), -0.5, "float32")]
    model.fit(x, np.eye(3), epochs=1, verbose=0)
    model.save(path)
    return path

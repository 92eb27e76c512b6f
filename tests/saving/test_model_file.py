"""``model.save("m.kgraph")`` and ``kg.models.load_model``: architecture,
weights, compile arguments and optimizer state in one file; identical
predictions and identical continued training on both backends."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers as L


def _mlp(backend: str) -> kg.Model:
    model = kg.Sequential(
        [kg.Input((6,)), L.Dense(8, activation="relu"), L.Dropout(0.3), L.Dense(2)]
    )
    model.compile("adam", "mse", metrics=["mae"], backend=backend)
    return model


def _two_towers(backend: str) -> kg.Model:
    left, right = kg.Input((4,), name="left"), kg.Input((4,), name="right")
    shared = L.Dense(3, activation="tanh", name="shared")
    merged = L.Concatenate()([L.Add()([shared(left), shared(right)]), left])
    merged = L.Dropout(0.2)(merged)
    outputs = {"score": L.Dense(1, name="score")(merged)}
    outputs["klass"] = L.Dense(3, activation="softmax", name="klass")(merged)
    model = kg.Model([left, right], outputs, name="towers")
    model.compile(
        kg.optimizers.SGD(0.05, momentum=0.9),
        loss={"score": "mse", "klass": kg.losses.SparseCategoricalCrossentropy()},
        loss_weights={"score": 0.5, "klass": 1.0},
        metrics={
            "klass": ["accuracy", kg.metrics.SparseCategoricalAccuracy(name="acc2")]
        },
        backend=backend,
    )
    return model


def _towers_data(rng):
    x = [rng.random((24, 4), dtype="float32"), rng.random((24, 4), dtype="float32")]
    y = {"score": rng.random((24, 1), dtype="float32"), "klass": np.arange(24) % 3}
    return x, y


def test_file_is_one_zip_with_config_weights_and_state(tmp_path, rng):
    model = _mlp("numpy")
    model.fit(rng.random((16, 6)), rng.random((16, 2)), epochs=1, verbose=0)
    path = tmp_path / "m.kgraph"
    model.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.kgraph"]
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        metadata = json.loads(archive.read("metadata.json"))
        config = json.loads(archive.read("config.json"))
        index = json.loads(archive.read("variables.json"))
    assert metadata["format"] == "kgraph.model" and metadata["format_version"] == 1
    assert config["class_name"] == "Sequential"
    assert [e["class_name"] for e in config["config"]["layers"]] == [
        "InputLayer",
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert config["compile_config"]["backend"] == "numpy"
    assert config["compile_config"]["loss"] == "mse"
    assert [v["path"] for v in index["weights"]] == [v.path for v in model.weights]
    assert index["optimizer"][0]["path"] == "adam/iterations"
    assert "weights/00000.npy" in names and "optimizer/00000.npy" in names


@pytest.mark.parametrize("build", [_mlp, _two_towers])
def test_predictions_identical_after_loading(build, backend, tmp_path, rng):
    model = build(backend)
    x = rng.random((10, 6), dtype="float32") if build is _mlp else _towers_data(rng)[0]
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.kgraph")
    kg.utils.clear_session()
    loaded = kg.models.load_model(tmp_path / "m.kgraph")
    after = loaded.predict(x, verbose=0)
    assert type(loaded) is type(model)
    assert [layer.name for layer in loaded.layers] == [
        layer.name for layer in model.layers
    ]
    assert loaded.compiled and loaded._backend == backend
    for want, got in zip(
        np.atleast_1d(before) if not isinstance(before, dict) else before.values(),
        np.atleast_1d(after) if not isinstance(after, dict) else after.values(),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)


def _train(model, x, y, epochs, initial_epoch=0):
    # The same seed before every fit: fit draws its dropout seed from it, and
    # dropout masks then depend on the seed and the global step only.
    kg.utils.set_random_seed(99)
    return model.fit(
        x,
        y,
        epochs=epochs,
        initial_epoch=initial_epoch,
        batch_size=8,
        shuffle=False,
        verbose=0,
    )


@pytest.mark.parametrize("build", [_mlp, _two_towers])
def test_training_resumes_exactly(build, backend, tmp_path, rng):
    if build is _mlp:
        x, y = (
            rng.random((24, 6), dtype="float32"),
            rng.random((24, 2), dtype="float32"),
        )
    else:
        x, y = _towers_data(rng)
    kg.utils.set_random_seed(5)
    model = build(backend)
    _train(model, x, y, epochs=2)
    model.save(tmp_path / "m.kgraph")
    kg.utils.clear_session()
    resumed = kg.models.load_model(tmp_path / "m.kgraph")
    assert int(resumed.optimizer.iterations.value) == 6
    history = _train(resumed, x, y, epochs=3, initial_epoch=2)

    kg.utils.clear_session()
    kg.utils.set_random_seed(5)
    straight = build(backend)
    reference = _train(straight, x, y, epochs=3)
    for got, want in zip(resumed.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    for name, values in history.history.items():
        assert values == reference.history[name][2:], name
    for got, want in zip(
        resumed.optimizer.variables, straight.optimizer.variables, strict=True
    ):
        np.testing.assert_array_equal(got.value, want.value)


def test_compile_false_gives_an_uncompiled_model(tmp_path):
    _mlp("numpy").save(tmp_path / "m.kgraph")
    loaded = kg.models.load_model(tmp_path / "m.kgraph", compile=False)
    assert not loaded.compiled and loaded.optimizer is None


def test_uncompiled_and_unbuilt_models(tmp_path):
    unbuilt = kg.Sequential([L.Dense(3), L.Dense(1)], name="later")
    unbuilt.save(tmp_path / "u.kgraph")
    loaded = kg.models.load_model(tmp_path / "u.kgraph")
    assert not loaded.built and not loaded.compiled
    assert [layer.name for layer in loaded.layers] == ["dense", "dense_1"]
    assert loaded.predict(np.ones((2, 5)), verbose=0).shape == (2, 1)

    x = kg.Input((3,))
    plain = kg.Model(x, L.Dense(2)(x))
    plain.save(tmp_path / "p.kgraph")
    again = kg.models.load_model(tmp_path / "p.kgraph")
    assert not again.compiled
    np.testing.assert_array_equal(again.get_weights()[0], plain.get_weights()[0])


def test_learning_rate_schedule_and_changed_rate_are_kept(tmp_path, rng):
    schedule = kg.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    x = kg.Input((3,))
    model = kg.Model(x, L.Dense(1)(x))
    model.compile(kg.optimizers.Adam(schedule), "mse", backend="numpy")
    model.save(tmp_path / "s.kgraph")
    loaded = kg.models.load_model(tmp_path / "s.kgraph")
    rate = loaded.optimizer.learning_rate_schedule
    assert isinstance(rate, kg.optimizers.schedules.ExponentialDecay)
    assert rate.get_config() == schedule.get_config()

    other = _mlp("numpy")
    other.optimizer.learning_rate = 0.0123
    other.save(tmp_path / "r.kgraph")
    assert kg.models.load_model(tmp_path / "r.kgraph").optimizer.learning_rate == 0.0123


def test_trainable_flags_and_layer_options_survive(tmp_path):
    x = kg.Input((5,))
    frozen = L.Dense(
        4,
        activation="relu",
        use_bias=False,
        kernel_regularizer=kg.regularizers.L2(0.1),
        activity_regularizer="l1",
        name="frozen",
    )
    frozen.trainable = False
    y = L.Reshape((2, 2))(frozen(x))
    y = L.Flatten()(y)
    y = L.LeakyReLU(0.2)(y)
    model = kg.Model(x, L.Dense(1, kernel_initializer="he_normal")(y))
    model.save(tmp_path / "t.kgraph")
    loaded = kg.models.load_model(tmp_path / "t.kgraph")
    again = loaded.get_layer("frozen")
    assert not again.trainable and again.use_bias is False
    assert again.get_config() == frozen.get_config()
    assert len(loaded.trainable_weights) == 2
    assert loaded.get_config() == model.get_config()


def test_custom_layer_needs_custom_objects(tmp_path):
    class Scale(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    x = kg.Input((3,))
    model = kg.Model(x, Scale(3.0)(x))
    model.save(tmp_path / "c.kgraph")
    with pytest.raises(ValueError, match=r"Scale.*custom_objects"):
        kg.models.load_model(tmp_path / "c.kgraph")
    loaded = kg.models.load_model(
        tmp_path / "c.kgraph", custom_objects={"Scale": Scale}
    )
    np.testing.assert_array_equal(
        loaded.predict(np.ones((1, 3)), verbose=0), [[3, 3, 3]]
    )


def test_registered_custom_objects_need_no_argument(tmp_path):
    @kg.saving.register_keras_serializable(package="tests")
    def cube(x):
        return x * x * x

    x = kg.Input((2,))
    model = kg.Model(x, L.Dense(2, activation=cube, kernel_initializer="ones")(x))
    model.compile("sgd", loss=cube, backend="numpy")
    model.save(tmp_path / "r.kgraph")
    loaded = kg.models.load_model(tmp_path / "r.kgraph")
    assert loaded.get_layer(index=1).activation is cube
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2)), verbose=0), [[8, 8]])


def test_lambda_layers_follow_keras_conventions(tmp_path):
    def plus_one(t):
        return t + 1.0

    x = kg.Input((2,))
    named = kg.Model(x, L.Lambda(plus_one)(x))
    named.save(tmp_path / "named.kgraph")
    with pytest.raises(ValueError, match=r"plus_one.*custom_objects"):
        kg.models.load_model(tmp_path / "named.kgraph")
    loaded = kg.models.load_model(
        tmp_path / "named.kgraph", custom_objects={"plus_one": plus_one}
    )
    np.testing.assert_array_equal(loaded.predict(np.zeros((1, 2)), verbose=0), [[1, 1]])

    kg.utils.clear_session()
    x = kg.Input((2,))
    anonymous = kg.Model(x, L.Lambda(lambda t: t * 3.0 - 1.0)(x))
    anonymous.save(tmp_path / "lambda.kgraph")
    with pytest.raises(ValueError, match="safe_mode=False"):
        kg.models.load_model(tmp_path / "lambda.kgraph")
    unsafe = kg.models.load_model(tmp_path / "lambda.kgraph", safe_mode=False)
    np.testing.assert_array_equal(unsafe.predict(np.ones((1, 2)), verbose=0), [[2, 2]])


def test_ops_between_layers_save_to_kgraph_files_only(tmp_path):
    x = kg.Input((2,))
    model = kg.Model(x, L.Dense(2)(x * 2.0))
    model.save(tmp_path / "ops.kgraph")
    data = np.ones((3, 2), "float32")
    np.testing.assert_array_equal(
        kg.models.load_model(tmp_path / "ops.kgraph").predict(data, verbose=0),
        model.predict(data, verbose=0),
    )
    with pytest.raises(ValueError, match=r"between its layers.*Lambda"):
        model.save(tmp_path / "ops.keras")
    assert not (tmp_path / "ops.keras").exists()


def test_an_op_on_a_variable_no_layer_owns_cannot_be_saved(tmp_path):
    x = kg.Input((2,))
    scale = kg.Variable(np.ones(2, "float32"), "scale")
    model = kg.Model(x, L.Dense(2)(x * scale))
    with pytest.raises(ValueError, match=r"reads the variable 'scale'"):
        model.save(tmp_path / "ops.kgraph")
    assert list(tmp_path.iterdir()) == []


def test_save_names_and_overwrite(tmp_path):
    model = _mlp("numpy")
    with pytest.raises(ValueError, match=r"`.kgraph` or a `.keras` extension"):
        model.save(tmp_path / "m.bin")
    with pytest.raises(ValueError, match="legacy HDF5"):
        model.save(tmp_path / "m.h5")
    model.save(tmp_path / "m.kgraph")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.kgraph", overwrite=False)
    assert kg.saving.load_model is kg.models.load_model


def test_load_weights_from_a_model_file(tmp_path):
    model = _mlp("numpy")
    model.save(tmp_path / "m.kgraph")
    kg.utils.clear_session()
    fresh = _mlp("numpy")
    fresh.load_weights(tmp_path / "m.kgraph")
    for got, want in zip(fresh.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_embedding_recurrent_and_normalization_resume_exactly(backend, tmp_path, rng):
    """Moving statistics (BatchNormalization) are weights, so they are saved
    and training goes on identically."""
    tokens = rng.integers(0, 12, (24, 5))
    features = rng.random((24, 3), dtype="float32")
    y = rng.random((24, 2), dtype="float32")

    def build():
        t, f = kg.Input((5,), dtype="int32"), kg.Input((3,))
        h = L.LSTM(4)(L.Embedding(12, 3)(t))
        g = L.LayerNormalization()(L.BatchNormalization()(f))
        model = kg.Model([t, f], L.Dense(2)(L.Concatenate()([h, g])))
        model.compile("adam", "mse", backend=backend)
        return model

    kg.utils.set_random_seed(5)
    model = build()
    _train(model, [tokens, features], y, epochs=2)
    model.save(tmp_path / "m.kgraph")
    kg.utils.clear_session()
    resumed = kg.models.load_model(tmp_path / "m.kgraph")
    _train(resumed, [tokens, features], y, epochs=3, initial_epoch=2)
    kg.utils.clear_session()
    kg.utils.set_random_seed(5)
    straight = build()
    _train(straight, [tokens, features], y, epochs=3)
    moving = resumed.get_layer("batch_normalization").weights[2]
    assert moving.name == "moving_mean" and np.any(moving.value)
    for got, want in zip(resumed.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)

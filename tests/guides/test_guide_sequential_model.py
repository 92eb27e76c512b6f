"""The keras.io guide "The Sequential model", as a kgraph program.

Each test is one section of the guide, written as the guide writes it with
``import kgraph as keras``. The images are smaller than the guide's
250x250 where the model computes on them; the summaries keep the guide's
shapes. The pretrained ``keras.applications.Xception`` of the last
section is replaced by a small model pretrained in the test. Tests that
train or predict run on both backends (``backend`` fixture); models used
for inference only are compiled (``model.compile()``), as uncompiled
models predict with the interpreter.
"""

from __future__ import annotations

import importlib.util

import numpy as np

import kgraph as keras
from kgraph import layers
from kgraph import ops

# The guide saves Keras's ".weights.h5", which needs h5py (optional); kgraph's
# own ".weights.npz" needs nothing.
WEIGHTS_SUFFIX = ".weights.h5" if importlib.util.find_spec("h5py") else ".weights.npz"


def summary_text(model: keras.Model) -> str:
    """What ``model.summary()`` prints."""
    lines: list[str] = []
    model.summary(line_length=100, print_fn=lines.append)
    return "".join(lines)


def relu(x):
    return np.maximum(x, 0.0)


# -- When to use a Sequential model ----------------------------------------------------


def test_a_sequential_model_is_a_stack_of_layers():
    # Define Sequential model with 3 layers
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu", name="layer1"),
            layers.Dense(3, activation="relu", name="layer2"),
            layers.Dense(4, name="layer3"),
        ]
    )
    # Call model on a test input
    x = ops.ones((3, 3))
    y = model(x)
    assert y.shape == (3, 4)

    # is equivalent to this function: the same layers, called in order.
    layer1, layer2, layer3 = model.layers
    (w1, b1), (w2, b2), (w3, b3) = (
        layer.get_weights() for layer in (layer1, layer2, layer3)
    )
    expected = relu(relu(np.ones((3, 3)) @ w1 + b1) @ w2 + b2) @ w3 + b3
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-5, atol=1e-6)
    y2 = layer3(layer2(layer1(x)))
    np.testing.assert_allclose(y2.numpy(), expected, rtol=1e-5, atol=1e-6)


# -- Creating a Sequential model -------------------------------------------------------


def test_creating_a_sequential_model_add_and_pop():
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu"),
            layers.Dense(3, activation="relu"),
            layers.Dense(4),
        ]
    )
    # Its layers are accessible via the `layers` attribute.
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "dense_2"]

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    assert len(model.layers) == 3

    # There's also a corresponding pop() method to remove layers.
    model.pop()
    assert len(model.layers) == 2
    assert [layer.units for layer in model.layers] == [2, 3]

    # The constructor takes a name, like any layer or model in Keras.
    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    model.add(layers.Dense(3, activation="relu", name="layer2"))
    model.add(layers.Dense(4, name="layer3"))
    assert model.name == "my_sequential"
    assert [layer.name for layer in model.layers] == ["layer1", "layer2", "layer3"]


# -- Specifying the input shape in advance ---------------------------------------------


def test_weights_are_created_when_the_input_shape_is_known():
    layer = layers.Dense(3)
    assert layer.weights == []  # Empty
    # Call layer on a test input
    x = ops.ones((1, 4))
    y = layer(x)
    assert y.shape == (1, 3)
    assert [tuple(w.shape) for w in layer.weights] == [(4, 3), (3,)]

    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu"),
            layers.Dense(3, activation="relu"),
            layers.Dense(4),
        ]
    )  # No weights at this stage!
    assert not model.built
    assert len(model.weights) == 0

    # Call the model on a test input
    x = ops.ones((1, 4))
    y = model(x)
    assert len(model.weights) == 6
    assert y.shape == (1, 4)
    assert "Total params: 35" in summary_text(model)  # 10 + 9 + 16


def test_a_leading_input_object_builds_the_model():
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    # Models built with a predefined input shape always have weights.
    assert len(model.weights) == 2
    text = summary_text(model)
    assert "(None, 2)" in text and "Total params: 10" in text
    # The Input object is not displayed as part of model.layers.
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"]

    # The Keras 2 style: an `input_shape` argument on the first layer.
    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu", input_shape=(4,)))
    assert len(model.weights) == 2
    assert model.layers[0].get_weights()[0].shape == (4, 2)


# -- A common debugging workflow: add() + summary() ------------------------------------


def test_debugging_with_add_and_summary():
    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))  # 250x250 RGB images
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))

    # Can you guess what the current output shape is at this point? Probably not.
    # Let's just print it:
    text = summary_text(model)
    assert "(None, 123, 123, 32)" in text
    assert "(None, 121, 121, 32)" in text
    assert "(None, 40, 40, 32)" in text
    assert "Total params: 11,680" in text  # 5*5*3*32+32 + 3*3*32*32+32

    # The answer was: (40, 40, 32), so we can keep downsampling...
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))

    # And now?
    text = summary_text(model)
    assert "(None, 12, 12, 32)" in text
    assert "(None, 4, 4, 32)" in text
    assert model.output.shape == (None, 4, 4, 32)
    assert text.count("Conv2D") == 6 and text.count("MaxPooling2D") == 3

    # Now that we have 4x4 feature maps, time to apply global max pooling.
    model.add(layers.GlobalMaxPooling2D())
    # Finally, we add a classification layer.
    model.add(layers.Dense(10))
    assert model.output.shape == (None, 10)
    assert model.count_params() == 11_680 + 4 * (9 * 32 * 32 + 32) + 330


# -- Feature extraction with a Sequential model ----------------------------------------


def test_feature_extraction_from_every_layer(backend):
    initial_model = keras.Sequential(
        [
            keras.Input(shape=(40, 40, 3)),
            layers.Conv2D(8, 5, strides=2, activation="relu"),
            layers.Conv2D(8, 3, activation="relu"),
            layers.Conv2D(8, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=[layer.output for layer in initial_model.layers],
    )

    # Uncompiled models predict with the interpreter; compiled ones with the
    # backend under test.
    initial_model.compile()
    feature_extractor.compile()
    # Call feature extractor on test input.
    x = ops.ones((1, 40, 40, 3))
    features = feature_extractor(x)
    assert [f.shape for f in features] == [
        (1, 18, 18, 8),
        (1, 16, 16, 8),
        (1, 14, 14, 8),
    ]
    np.testing.assert_allclose(
        features[-1], initial_model.predict(np.ones((1, 40, 40, 3)), verbose=0)
    )
    # A 5x5 window, stride 2, on an image of ones: every output position
    # sums the whole kernel, plus the bias.
    kernel, bias = initial_model.layers[0].get_weights()
    np.testing.assert_allclose(
        features[0][0, 3, 3], relu(kernel.sum(axis=(0, 1, 2)) + bias), rtol=1e-5
    )


def test_feature_extraction_from_one_layer(backend, rng):
    initial_model = keras.Sequential(
        [
            keras.Input(shape=(40, 40, 3)),
            layers.Conv2D(8, 5, strides=2, activation="relu"),
            layers.Conv2D(8, 3, activation="relu", name="my_intermediate_layer"),
            layers.Conv2D(8, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=initial_model.get_layer(name="my_intermediate_layer").output,
    )
    assert len(feature_extractor.layers) == 3
    feature_extractor.compile()
    # Call feature extractor on test input.
    x = rng.random((2, 40, 40, 3)).astype("float32")
    features = feature_extractor(x)
    assert features.shape == (2, 16, 16, 8)
    # The same features as the full model's last layer consumes.
    full = keras.Model(initial_model.inputs, initial_model.layers[-1].output)
    full.compile()
    (kernel, bias) = initial_model.layers[-1].get_weights()
    window = features[:, :3, :3, :].reshape(2, -1)
    np.testing.assert_allclose(
        full.predict(x, verbose=0)[:, 0, 0, :],
        relu(window @ kernel.reshape(-1, 8) + bias),
        rtol=1e-4,
        atol=1e-5,
    )


# -- Transfer learning with a Sequential model -----------------------------------------


def pretrain(model, x, y, epochs=3):
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)


def test_transfer_learning_freezes_all_layers_but_the_last(backend, rng, tmp_path):
    def make_model():
        return keras.Sequential(
            [
                keras.Input(shape=(784,)),
                layers.Dense(32, activation="relu"),
                layers.Dense(32, activation="relu"),
                layers.Dense(32, activation="relu"),
                layers.Dense(10),
            ]
        )

    x = rng.random((128, 784)).astype("float32")
    y = (x[:, :10].argmax(axis=1)).astype("int32")
    pretrained = make_model()
    pretrain(pretrained, x, y)
    pretrained.save_weights(tmp_path / f"pretrained{WEIGHTS_SUFFIX}")

    model = make_model()
    # Presumably you would want to first load pre-trained weights.
    model.load_weights(tmp_path / f"pretrained{WEIGHTS_SUFFIX}")
    for got, want in zip(model.get_weights(), pretrained.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)

    # Freeze all layers except the last one.
    for layer in model.layers[:-1]:
        layer.trainable = False
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 6

    frozen = [w.copy() for w in model.get_weights()[:-2]]
    last = [w.copy() for w in model.get_weights()[-2:]]
    # Recompile and train (this will only update the weights of the last layer).
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for got, want in zip(model.get_weights()[:-2], frozen, strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(model.get_weights()[-2:], last, strict=True):
        assert not np.array_equal(got, want)


def test_transfer_learning_stacks_a_frozen_base_model(backend, rng):
    # A small pretrained base stands in for keras.applications.Xception.
    base_model = keras.Sequential(
        [
            keras.Input(shape=(16, 16, 3)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.GlobalAveragePooling2D(),
        ],
        name="base",
    )
    x = rng.random((64, 16, 16, 3)).astype("float32")
    y = x[:, :, :, 0].mean(axis=(1, 2)) > x[:, :, :, 1].mean(axis=(1, 2))
    pretrain(keras.Sequential([base_model, layers.Dense(2)]), x, y.astype("int32"), 2)
    base_weights = [w.copy() for w in base_model.get_weights()]

    base_model.trainable = False
    # Add a trainable classifier on top.
    model = keras.Sequential([base_model, layers.Dense(10)])

    # Compile & train
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(x, y.astype("int32"), batch_size=32, epochs=3, verbose=0)
    # The base is frozen: the loss went down by training the head alone.
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 2
    text = summary_text(model)
    assert "Trainable params: 90" in text and "Non-trainable params: 224" in text
    assert history.history["loss"][-1] < history.history["loss"][0]
    for got, want in zip(base_model.get_weights(), base_weights, strict=True):
        np.testing.assert_array_equal(got, want)


def test_sequential_model_trains_after_pop_and_add(backend, rng):
    # pop() then add() rebuilds the model: the new stack is what trains.
    model = keras.Sequential([keras.Input(shape=(4,))])
    for units in (2, 3, 4):
        model.add(layers.Dense(units, activation="tanh"))
    model.pop()
    model.add(layers.Dense(1))
    assert [layer.units for layer in model.layers] == [2, 3, 1]
    assert model.output.shape == (None, 1)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = x[:, :1] * 0.5
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]

"""The keras.io guide "Transfer learning & fine-tuning", its freezing parts,
as a kgraph program.

Each test is one section of the guide, written as the guide writes it with
``import kgraph as keras``. The pretrained ``keras.applications.Xception``
is replaced by a small convolutional base with ``BatchNormalization``,
pretrained in the test on generated images; the cats-vs-dogs end-to-end
example (downloads, image augmentation layers) is left out. Tests that
train run on both backends (``backend`` fixture).
"""

from __future__ import annotations

import numpy as np

import kgraph as keras

# -- Freezing layers: understanding the trainable attribute ----------------------------


def test_dense_has_two_trainable_weights():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))  # Create the weights

    assert len(layer.weights) == 2
    assert len(layer.trainable_weights) == 2
    assert len(layer.non_trainable_weights) == 0
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(4, 3), (3,)]


def test_batch_normalization_has_two_trainable_and_two_non_trainable_weights():
    layer = keras.layers.BatchNormalization()
    layer.build((None, 4))  # Create the weights

    assert len(layer.weights) == 4
    assert len(layer.trainable_weights) == 2
    assert len(layer.non_trainable_weights) == 2
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == [
        "moving_mean",
        "moving_variance",
    ]


def test_setting_trainable_to_false_moves_the_weights():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))  # Create the weights
    layer.trainable = False  # Freeze the layer

    assert len(layer.weights) == 2
    assert len(layer.trainable_weights) == 0
    assert len(layer.non_trainable_weights) == 2

    layer = keras.layers.BatchNormalization()
    layer.build((None, 4))
    layer.trainable = False
    assert len(layer.trainable_weights) == 0
    assert len(layer.non_trainable_weights) == 4
    layer.trainable = True
    assert len(layer.trainable_weights) == 2


def test_a_frozen_layer_is_not_updated_by_training(backend, rng):
    # Make a model with 2 layers
    layer1 = keras.layers.Dense(3, activation="relu")
    layer2 = keras.layers.Dense(3, activation="sigmoid")
    model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])

    # Freeze the first layer
    layer1.trainable = False

    # Keep a copy of the weights of layer1 for later reference
    initial_layer1_weights_values = layer1.get_weights()
    initial_layer2_weights_values = layer2.get_weights()

    # Train the model
    model.compile(optimizer="adam", loss="mse")
    model.fit(rng.random((2, 3)), rng.random((2, 3)), verbose=0)

    # Check that the weights of layer1 have not changed during training
    final_layer1_weights_values = layer1.get_weights()
    np.testing.assert_array_equal(
        initial_layer1_weights_values[0], final_layer1_weights_values[0]
    )
    np.testing.assert_array_equal(
        initial_layer1_weights_values[1], final_layer1_weights_values[1]
    )
    # ... while layer2's have.
    assert not np.array_equal(initial_layer2_weights_values[0], layer2.get_weights()[0])
    assert not np.array_equal(initial_layer2_weights_values[1], layer2.get_weights()[1])


# -- Recursive setting of the trainable attribute --------------------------------------


def test_trainable_is_set_recursively():
    inner_model = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            keras.layers.Dense(3, activation="relu"),
            keras.layers.Dense(3, activation="relu"),
        ]
    )

    model = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            inner_model,
            keras.layers.Dense(3, activation="sigmoid"),
        ]
    )

    model.trainable = False  # Freeze the outer model

    assert inner_model.trainable is False  # All layers in `model` are now frozen
    # `trainable` is propagated recursively
    assert inner_model.layers[0].trainable is False
    assert all(not layer.trainable for layer in model.layers)
    assert model.trainable_weights == []
    assert len(model.non_trainable_weights) == 6

    # Unfreezing is recursive too.
    model.trainable = True
    assert inner_model.layers[1].trainable
    assert len(model.trainable_weights) == 6


# -- The typical transfer-learning workflow --------------------------------------------


def make_base_model():
    """A small convolutional base, no classifier on top (include_top=False)."""
    inputs = keras.Input(shape=(12, 12, 3))
    x = keras.layers.Conv2D(8, 3, use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(8, 3, activation="relu")(x)
    return keras.Model(inputs, x, name="base_model")


def images(rng, n):
    """Images whose class is whether the red channel outweighs the green."""
    x = rng.random((n, 12, 12, 3)).astype("float32")
    labels = (x[..., 0].mean(axis=(1, 2)) > x[..., 1].mean(axis=(1, 2))).astype(
        "float32"
    )
    return x, labels[:, None]


def pretrain(base_model, rng):
    """Trains the base on another task (which channel is the darkest), as
    ImageNet pretraining would, so that its weights and batch statistics
    are not the initial ones."""
    x = rng.random((96, 12, 12, 3)).astype("float32") * 2.0 + 1.0
    y = x.mean(axis=(1, 2)).argmin(axis=1)
    inputs = keras.Input(shape=(12, 12, 3))
    features = keras.layers.GlobalAveragePooling2D()(base_model(inputs))
    pretraining = keras.Model(inputs, keras.layers.Dense(3)(features))
    pretraining.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    pretraining.fit(x, y, batch_size=32, epochs=2, verbose=0)


def test_the_typical_transfer_learning_and_fine_tuning_workflow(backend, rng):
    # First, instantiate a base model with pre-trained weights.
    base_model = make_base_model()
    pretrain(base_model, rng)
    bn = base_model.layers[2]
    assert isinstance(bn, keras.layers.BatchNormalization)
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)
    pretrained = [w.copy() for w in base_model.get_weights()]

    # Then, freeze the base model.
    base_model.trainable = False

    # Create a new model on top.
    inputs = keras.Input(shape=(12, 12, 3))
    # We make sure that the base_model is running in inference mode here, by
    # passing `training=False`. This is important for fine-tuning.
    x = base_model(inputs, training=False)
    # Convert features of shape `base_model.output_shape[1:]` to vectors
    x = keras.layers.GlobalAveragePooling2D()(x)
    # A Dense classifier with a single unit (binary classification)
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)

    assert len(model.trainable_weights) == 2  # the head's kernel and bias
    assert len(model.non_trainable_weights) == len(base_model.weights) == 7

    # Train the model on new data.
    x_new, y_new = images(rng, 128)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    history = model.fit(
        x_new, y_new, batch_size=32, epochs=4, validation_split=0.25, verbose=0
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    # The base, moving statistics included, is bit for bit the pretrained one.
    for got, want in zip(base_model.get_weights(), pretrained, strict=True):
        np.testing.assert_array_equal(got, want)

    # Fine-tuning: unfreeze the base model.
    base_model.trainable = True
    assert len(model.trainable_weights) == 2 + 5
    # It's important to recompile your model after you make any changes to
    # the `trainable` attribute of any inner layer, so that your changes are
    # taken into account.
    model.compile(
        optimizer=keras.optimizers.Adam(1e-5),  # Very low learning rate
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    moving = [bn.moving_mean.numpy(), bn.moving_variance.numpy()]
    # Train end-to-end. Be careful to stop before you overfit!
    model.fit(x_new, y_new, batch_size=32, epochs=2, verbose=0)

    # The trainable weights of the base moved, a little ...
    conv_1 = base_model.layers[1]
    kernel_change = np.abs(conv_1.get_weights()[0] - pretrained[0]).max()
    assert 0.0 < kernel_change < 1e-3
    assert not np.array_equal(bn.gamma.numpy(), pretrained[1])
    assert not np.array_equal(bn.beta.numpy(), pretrained[2])
    # ... but BatchNormalization ran in inference mode (the base was called
    # with training=False): its moving statistics did not move.
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moving[0])
    np.testing.assert_array_equal(bn.moving_variance.numpy(), moving[1])


def test_batch_normalization_called_in_training_mode_updates_its_statistics(
    backend, rng
):
    # The counterpart of the workflow above: the same base called without
    # training=False trains its batch statistics during fit.
    base_model = make_base_model()
    bn = base_model.layers[2]
    inputs = keras.Input(shape=(12, 12, 3))
    x = keras.layers.GlobalAveragePooling2D()(base_model(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-5),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    x_new, y_new = images(rng, 64)
    kernel = base_model.layers[1].get_weights()[0]
    model.fit(x_new, y_new, batch_size=64, epochs=1, verbose=0)

    # One step on one batch: moving = 0.99 * initial + 0.01 * the batch's
    # statistics of the first convolution's output (before the step).
    windows = np.lib.stride_tricks.sliding_window_view(x_new, (3, 3), axis=(1, 2))
    features = np.einsum("nhwcij,ijco->nhwo", windows, kernel)
    mean = features.mean(axis=(0, 1, 2))
    variance = features.var(axis=(0, 1, 2))
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, atol=1e-6)
    np.testing.assert_allclose(
        bn.moving_variance.numpy(), 0.99 + 0.01 * variance, rtol=1e-5
    )


def test_a_frozen_batch_normalization_runs_in_inference_mode(backend, rng):
    # "When you set bn_layer.trainable = False, the BatchNormalization layer
    # will run in inference mode, and will not update its mean & variance."
    base_model = make_base_model()
    pretrain(base_model, rng)
    bn = base_model.layers[2]
    bn.trainable = False
    moving = [bn.moving_mean.numpy(), bn.moving_variance.numpy()]

    inputs = keras.Input(shape=(12, 12, 3))
    # Called without training=False: the frozen layer decides by itself.
    x = keras.layers.GlobalAveragePooling2D()(base_model(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(
        optimizer=keras.optimizers.SGD(0.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    x_new, y_new = images(rng, 64)
    before = model.evaluate(x_new, y_new, batch_size=64, verbose=0)
    history = model.fit(x_new, y_new, batch_size=64, epochs=1, verbose=0)
    # With a learning rate of 0, a training step computes the inference
    # loss: the frozen layer normalized with its moving statistics.
    np.testing.assert_allclose(history.history["loss"][0], before, rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moving[0])
    np.testing.assert_array_equal(bn.moving_variance.numpy(), moving[1])

"""Images whose height and width are known only when the model runs:
zero padding and batch normalization specialize to each size, as
convolutions and pooling do, on both backends."""

from __future__ import annotations

import numpy as np

import kgraph as kg
from kgraph import layers


def test_padding_and_batch_norm_take_any_image_size(backend):
    inputs = kg.Input(shape=(None, None, 3))
    x = layers.ZeroPadding2D(((1, 2), (0, 1)))(inputs)
    x = layers.Conv2D(4, 3)(x)
    x = layers.BatchNormalization()(x)
    model = kg.Model(inputs, layers.GlobalAveragePooling2D()(x))
    assert model.output.shape == (None, 4)
    model.compile(optimizer="sgd", loss="mse")
    for height, width in ((8, 8), (11, 7)):
        images = np.random.default_rng(height).random((4, height, width, 3))
        images = images.astype("float32")
        history = model.fit(images, np.ones((4, 4), "float32"), epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        # Inference normalizes with the moving statistics, as an eager call.
        np.testing.assert_allclose(
            model.predict(images, verbose=0),
            np.asarray(model(images)),
            rtol=1e-4,
            atol=1e-5,
        )


def test_training_statistics_count_every_pixel():
    layer = layers.BatchNormalization(
        momentum=0.0, epsilon=0.0, center=False, scale=False
    )
    inputs = kg.Input(shape=(None, None, 2))
    model = kg.Model(inputs, layer(inputs))
    model.compile(optimizer="sgd", loss="mse")
    images = np.random.default_rng(0).random((3, 5, 6, 2)).astype("float32")
    model.fit(images, np.zeros_like(images), batch_size=3, epochs=1, verbose=0)
    np.testing.assert_allclose(
        layer.moving_mean.numpy(), images.mean(axis=(0, 1, 2)), rtol=1e-5
    )
    np.testing.assert_allclose(
        layer.moving_variance.numpy(), images.var(axis=(0, 1, 2)), rtol=1e-4
    )


def test_a_headless_application_takes_any_size():
    model = kg.applications.MobileNetV3Small(
        weights=None, include_top=False, pooling="avg"
    )
    assert model.input.shape == (None, None, None, 3)
    features = model.predict(np.full((1, 64, 80, 3), 128.0, "float32"), verbose=0)
    assert features.shape == (1, 576)


def test_same_pooling_of_any_size_equals_pooling_of_a_known_size(backend):
    images = np.random.default_rng(1).random((2, 7, 9, 2)).astype("float32")
    for pool in (layers.AveragePooling2D, layers.MaxPooling2D):
        known = kg.Input(shape=(7, 9, 2))
        reference = kg.Model(known, pool(3, strides=2, padding="same")(known))
        reference.compile()
        unknown = kg.Input(shape=(None, None, 2))
        model = kg.Model(unknown, pool(3, strides=2, padding="same")(unknown))
        model.compile()
        np.testing.assert_array_equal(
            model.predict(images, verbose=0), reference.predict(images, verbose=0)
        )

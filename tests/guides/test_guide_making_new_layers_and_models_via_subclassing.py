"""The keras.io guide "Making new layers and models via subclassing", as a
kgraph program.

Each test is one section of the guide, written as the guide writes it with
``import kgraph as keras``; the VAE trains on generated "digits" instead of
MNIST. Tests that train run on both backends (``backend`` fixture).

Left out or changed, and why:

- kgraph has no ``keras.random`` (no ``SeedGenerator``, ``normal`` or
  ``dropout``). ``Sampling`` and ``CustomDropout`` draw from kgraph's
  counter-based generator instead: ``ops.random_normal`` and
  ``ops.random_uniform`` take a key (``random_key(inputs)``: the training
  step's seed in a model, a fresh one eagerly) and a per-layer salt.
  ``ops.shape`` is not needed then: the noise takes its shape from a
  ``like`` tensor, whatever the batch size.
- The ``mask`` argument of ``call`` is not covered: kgraph has no masking.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers
from kgraph import ops
from kgraph.layers.layer import random_key
from kgraph.layers.layer import training_flag

# The guide saves Keras's ".weights.h5", which needs h5py (optional); kgraph's
# own ".weights.npz" needs nothing.
WEIGHTS_SUFFIX = ".weights.h5" if importlib.util.find_spec("h5py") else ".weights.npz"

# -- The Layer class: the combination of state (weights) and some computation ----------


class Linear(keras.layers.Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(
            shape=(input_dim, units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


def test_a_layer_with_weights_created_in_init():
    x = ops.ones((2, 2))
    linear_layer = Linear(4, 2)
    y = linear_layer(x)
    assert y.shape == (2, 4)
    # The weights w and b are tracked by the layer as they are set as
    # attributes.
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]
    w = linear_layer.w.numpy()
    np.testing.assert_allclose(y.numpy(), np.ones((2, 2)) @ w, rtol=1e-6)
    # "random_normal" draws with a standard deviation of 0.05, as Keras.
    assert 0.0 < np.abs(w).max() < 0.3


# -- Layers can have non-trainable weights ---------------------------------------------


class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(
            initializer="zeros", shape=(input_dim,), trainable=False
        )

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


def test_a_layer_with_a_non_trainable_weight():
    x = ops.ones((2, 2))
    my_sum = ComputeSum(2)
    y = my_sum(x)
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0])
    y = my_sum(x)
    np.testing.assert_array_equal(y.numpy(), [4.0, 4.0])

    # It's part of layer.weights, but it gets categorized as a non-trainable
    # weight.
    assert len(my_sum.weights) == 1
    assert len(my_sum.non_trainable_weights) == 1
    # It's not included in the trainable weights.
    assert my_sum.trainable_weights == []


def test_a_non_trainable_weight_updated_in_a_model(backend, rng):
    # In a model the assign_add is a state update of the compiled step.
    class SumAndPass(ComputeSum):
        def call(self, inputs):
            super().call(inputs)
            return inputs

    inputs = keras.Input(shape=(3,))
    my_sum = SumAndPass(3)
    outputs = layers.Dense(1)(my_sum(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(32, 3)).astype("float32")
    model.fit(x, np.zeros((32, 1)), batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(my_sum.total.numpy(), 2 * x.sum(axis=0), rtol=1e-5)


# -- Best practice: deferring weight creation until the shape of the inputs is known ---


class LazyLinear(keras.layers.Layer):
    """The guide's second ``Linear``: weights made in ``build``."""

    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="random_normal", trainable=True
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


def test_weights_are_created_in_build():
    # At instantiation, we don't know on what inputs this is going to get called
    linear_layer = LazyLinear(32)
    assert linear_layer.weights == []
    # The layer's weights are created dynamically the first time the layer is
    # called
    x = ops.ones((2, 2))
    y = linear_layer(x)
    assert y.shape == (2, 32)
    assert [tuple(w.shape) for w in linear_layer.weights] == [(2, 32), (32,)]
    assert linear_layer.built
    np.testing.assert_allclose(
        y.numpy(),
        np.ones((2, 2)) @ linear_layer.w.numpy() + linear_layer.b.numpy(),
        rtol=1e-6,
    )
    # A second call reuses the weights.
    linear_layer(x)
    assert len(linear_layer.weights) == 2


# -- Layers are recursively composable -------------------------------------------------


class MLPBlock(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = LazyLinear(32)
        self.linear_2 = LazyLinear(32)
        self.linear_3 = LazyLinear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = keras.activations.relu(x)
        x = self.linear_2(x)
        x = keras.activations.relu(x)
        return self.linear_3(x)


def test_layers_are_recursively_composable(backend, rng):
    mlp = MLPBlock()
    # The first call to the `mlp` will create the weights
    y = mlp(ops.ones(shape=(3, 64)))
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6
    assert len(mlp.trainable_weights) == 6
    assert [tuple(w.shape) for w in mlp.weights] == [
        (64, 32),
        (32,),
        (32, 32),
        (32,),
        (32, 1),
        (1,),
    ]
    w1, b1, w2, b2, w3, b3 = (w.numpy() for w in mlp.weights)
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    x = rng.normal(size=(5, 64)).astype("float32")
    np.testing.assert_allclose(
        mlp(x).numpy(),
        relu(relu(x @ w1 + b1) @ w2 + b2) @ w3 + b3,
        rtol=1e-4,
        atol=1e-6,
    )
    # Nested in a model, all six weights train.
    inputs = keras.Input(shape=(64,))
    model = keras.Model(inputs, mlp(inputs))
    assert len(model.trainable_weights) == 6
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    history = model.fit(x, x[:, :1], batch_size=5, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.array_equal(mlp.weights[0].numpy(), w1)


# -- The add_loss() method -------------------------------------------------------------


# A layer that creates an activity regularization loss
class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class OuterLayer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.activity_reg = ActivityRegularizationLayer(1e-2)

    def call(self, inputs):
        return self.activity_reg(inputs)


def test_layer_losses_are_reset_at_each_call():
    layer = OuterLayer()
    # No losses yet since the layer has never been called
    assert len(layer.losses) == 0

    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1  # We created one loss value

    # `layer.losses` gets reset at the start of each __call__
    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1  # This is the loss created during the call above
    _ = layer(3.0 * ops.ones((2, 2)))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(np.asarray(layer.losses[0]), 1e-2 * 3.0, rtol=1e-6)


def test_layer_losses_are_collected_from_any_depth():
    # "These losses (including those created by any inner layer) can be
    # retrieved via layer.losses."
    class OuterOuterLayer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.outer = OuterLayer()

        def call(self, inputs):
            return self.outer(inputs)

    layer = OuterOuterLayer()
    _ = layer(ops.ones((1, 1)))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(np.asarray(layer.losses[0]), 1e-2, rtol=1e-6)


class OuterLayerWithKernelRegularizer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(
            32, kernel_regularizer=keras.regularizers.l2(1e-3)
        )

    def call(self, inputs):
        return self.dense(inputs)


def test_layer_losses_include_weight_regularization():
    layer = OuterLayerWithKernelRegularizer()
    _ = layer(ops.zeros((1, 1)))
    # This is `1e-3 * sum(layer.dense.kernel ** 2)`, created by the
    # `kernel_regularizer` above.
    assert len(layer.losses) == 1
    kernel = layer.dense.get_weights()[0]
    np.testing.assert_allclose(
        np.asarray(layer.losses[0]), 1e-3 * np.sum(kernel**2), rtol=1e-5
    )


def test_add_loss_works_with_fit(backend, rng):
    inputs = keras.Input(shape=(3,))
    outputs = ActivityRegularizationLayer()(inputs)
    model = keras.Model(inputs, outputs)
    x, y = rng.random((2, 3)), rng.random((2, 3))

    # If there is a loss passed in `compile`, the regularization losses get
    # added to it
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, verbose=0)
    expected = np.mean((x - y) ** 2) + 1e-2 * np.mean(x)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)

    # It's also possible not to pass any loss in `compile`, since the model
    # already has a loss to minimize, via the `add_loss` call during the
    # forward pass!
    model.compile(optimizer="adam")
    history = model.fit(x, y, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], 1e-2 * np.mean(x), rtol=1e-5)


# -- You can optionally enable serialization on your layers ----------------------------


def test_get_config_and_from_config():
    class Linear(keras.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(
                shape=(self.units,), initializer="random_normal", trainable=True
            )

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {"units": self.units}

    # Now you can recreate the layer from its config:
    layer = Linear(64)
    config = layer.get_config()
    assert config == {"units": 64}
    new_layer = Linear.from_config(config)
    assert new_layer.units == 64
    assert new_layer(ops.ones((2, 3))).shape == (2, 64)


def test_get_config_with_the_base_arguments():
    class Linear(keras.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(
                shape=(self.units,), initializer="random_normal", trainable=True
            )

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.units})
            return config

    layer = Linear(64, name="my_linear", trainable=False)
    config = layer.get_config()
    assert config["units"] == 64
    assert config["name"] == "my_linear"
    assert config["trainable"] is False
    new_layer = Linear.from_config(config)
    assert new_layer.units == 64
    assert new_layer.name == "my_linear"
    assert not new_layer.trainable


# -- Privileged training argument in the call() method ---------------------------------


class CustomDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs, training=None):
        if training:
            # kgraph has no keras.random.dropout: the same inverted dropout
            # from kgraph's generator.
            keep = ops.greater_equal(
                ops.random_uniform(random_key(inputs), inputs, salt=self.salt),
                self.rate,
            )
            return ops.where(keep, inputs / (1.0 - self.rate), 0.0)
        return inputs


def test_the_training_argument_in_eager_calls():
    layer = CustomDropout(0.5)
    x = np.ones((20, 50), "float32")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    dropped = layer(x, training=True).numpy()
    assert set(np.unique(dropped)) == {0.0, 2.0}
    assert 0.4 < np.mean(dropped == 0.0) < 0.6


def test_the_training_argument_in_fit(backend):
    # The model's output is all dropped or kept; the loss is its mean square
    # (with the target 0), so training with dropout changes the loss.
    inputs = keras.Input(shape=(50,))
    outputs = CustomDropout(0.5)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((64, 50), "float32")
    y = np.zeros((64, 50), "float32")
    history = model.fit(x, y, batch_size=64, verbose=0)
    # Inference: the input unchanged, a loss of 1. Training: half the units
    # dropped, the others doubled: a loss of about 2.
    assert model.evaluate(x, y, verbose=0) == pytest.approx(1.0)
    assert history.history["loss"][0] == pytest.approx(2.0, rel=0.1)


def test_the_training_argument_as_a_graph_switch(backend):
    # kgraph's way to branch on the mode inside a model: `training_flag`
    # is the graph's training input when `training` is None, and the
    # compiled programs specialize it (fit trains, evaluate does not).
    class GraphCustomDropout(CustomDropout):
        def call(self, inputs, training=None):
            dropped = super().call(inputs, training=True)
            return ops.where(training_flag(inputs, training), dropped, inputs)

    inputs = keras.Input(shape=(50,))
    model = keras.Model(inputs, GraphCustomDropout(0.5)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((64, 50), "float32")
    y = np.zeros((64, 50), "float32")
    history = model.fit(x, y, batch_size=64, verbose=0)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(1.0)
    assert history.history["loss"][0] == pytest.approx(2.0, rel=0.1)


# -- The Model class -------------------------------------------------------------------


class ResNetBlock(keras.layers.Layer):
    """A small residual block: two convolutions and a shortcut."""

    def __init__(self, filters=4):
        super().__init__()
        self.conv_1 = layers.Conv2D(filters, 3, padding="same", activation="relu")
        self.conv_2 = layers.Conv2D(filters, 3, padding="same")

    def call(self, inputs):
        x = self.conv_2(self.conv_1(inputs))
        return keras.activations.relu(x + inputs)


class ResNet(keras.Model):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.block_1 = ResNetBlock()
        self.block_2 = ResNetBlock()
        self.global_pool = layers.GlobalAveragePooling2D()
        self.classifier = layers.Dense(num_classes)

    def call(self, inputs):
        x = self.block_1(inputs)
        x = self.block_2(x)
        x = self.global_pool(x)
        return self.classifier(x)


def test_a_subclassed_model_trains_and_saves_its_weights(backend, rng, tmp_path):
    resnet = ResNet(num_classes=3)
    x = rng.random((48, 8, 8, 4)).astype("float32")
    y = x.mean(axis=(1, 2))[:, :3].argmax(axis=1)
    resnet.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = resnet.fit(x, y, batch_size=16, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(resnet.weights) == 2 * 4 + 2
    resnet.save_weights(tmp_path / f"resnet{WEIGHTS_SUFFIX}")

    restored = ResNet(num_classes=3)
    restored.build((None, 8, 8, 4))
    restored.load_weights(tmp_path / f"resnet{WEIGHTS_SUFFIX}")
    np.testing.assert_allclose(
        restored.predict(x, verbose=0), resnet.predict(x, verbose=0), rtol=1e-5
    )


# -- Putting it all together: an end-to-end example ------------------------------------


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        # keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        # in Keras: kgraph draws from its generator, keyed by the training
        # step, shaped like z_mean.
        epsilon = ops.random_normal(random_key(z_mean), z_mean, salt=self.salt)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    """Maps MNIST digits to a triplet (z_mean, z_log_var, z)."""

    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    """Converts z, the encoded digit vector, back into a readable digit."""

    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    """Combines the encoder and decoder into an end-to-end model for training."""

    def __init__(
        self,
        original_dim,
        intermediate_dim=64,
        latent_dim=32,
        name="autoencoder",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # Add KL divergence regularization loss.
        kl_loss = -0.5 * ops.mean(
            z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1
        )
        self.add_loss(kl_loss)
        return reconstructed


def digits(rng: np.random.Generator, n: int, original_dim: int = 196):
    """Generated 14x14 "digits": one of ten stroke templates, blurred by
    noise, in [0, 1] (MNIST scaled down)."""
    templates = rng.random((10, original_dim)) > 0.75
    labels = rng.integers(0, 10, size=n)
    noise = rng.random((n, original_dim)) * 0.3
    return np.clip(templates[labels] * 0.8 + noise, 0.0, 1.0).astype("float32")


def numpy_kl(vae, x):
    """The VAE's KL term, in NumPy from its encoder's weights."""
    encoder = vae.encoder
    w, b = encoder.dense_proj.get_weights()
    h = np.maximum(x @ w + b, 0.0)
    z_mean = (
        h @ encoder.dense_mean.get_weights()[0] + encoder.dense_mean.get_weights()[1]
    )
    w_v, b_v = encoder.dense_log_var.get_weights()
    z_log_var = h @ w_v + b_v
    return -0.5 * np.mean(z_log_var - z_mean**2 - np.exp(z_log_var) + 1)


def test_the_variational_autoencoder(backend, rng):
    original_dim = 196
    x_train = digits(rng, 256, original_dim)

    vae = VariationalAutoEncoder(original_dim, 32, 8)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    history = vae.fit(x_train, x_train, epochs=3, batch_size=64, verbose=0)

    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert np.isfinite(losses).all()
    # Encoder, decoder and the sampling layer are tracked by the model.
    assert len(vae.weights) == 3 * 2 + 2 * 2
    reconstructed = vae.predict(x_train, verbose=0)
    assert reconstructed.shape == (256, original_dim)
    assert ((reconstructed > 0.0) & (reconstructed < 1.0)).all()

    # With no loss in compile, the loss is the KL term of add_loss alone,
    # the same in NumPy from the weights (the sample does not enter it).
    vae.compile(optimizer)
    kl = vae.evaluate(x_train, batch_size=64, verbose=0)
    np.testing.assert_allclose(kl, numpy_kl(vae, x_train), rtol=1e-4, atol=1e-6)


def test_the_sampling_layer_draws_new_noise_each_call():
    # z = mean + exp(log_var / 2) * epsilon, epsilon standard normal.
    z_mean = np.full((2000, 4), 3.0, "float32")
    z_log_var = np.full((2000, 4), np.log(0.25), "float32")
    z = Sampling()((z_mean, z_log_var)).numpy()
    assert abs(z.mean() - 3.0) < 0.05
    assert abs(z.std() - 0.5) < 0.05
    second = Sampling()((z_mean, z_log_var)).numpy()
    assert not np.array_equal(z, second)

"""The keras.io guide "The Functional API", as a kgraph program.

Each test is one section of the guide, written as the guide writes it with
``import kgraph as keras``, on generated data of small sizes instead of the
downloaded datasets (MNIST, CIFAR-10) and pretrained applications (VGG19).
Tests that train or predict run on both backends (``backend`` fixture).

Left out or changed, and why:

- The guide's text inputs have a variable length (``shape=(None,)``);
  kgraph unrolls recurrent layers over a static number of time steps, so
  the inputs that feed an ``LSTM`` have a fixed length.
- ``keras.applications.VGG19`` is replaced by a small CNN built here.
- Dimensions other than the batch's that are unknown (``shape=(None,)``)
  work for inference with the interpreter only: the native backend and
  training need static shapes. The shared-layers section predicts on such
  inputs, then trains on fixed lengths; the mixed-styles section uses a
  fixed number of time steps.
- Uncompiled models predict with the interpreter, so models used for
  inference only are compiled (``model.compile()``) to run on the backend
  under test.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers
from kgraph import ops


def summary_text(model: keras.Model) -> str:
    """What ``model.summary()`` prints."""
    lines: list[str] = []
    model.summary(line_length=120, print_fn=lines.append)
    return "".join(lines)


def mnist_like(rng: np.random.Generator, n: int, features: int = 784):
    """Flattened "images" of ten classes: a class template plus noise,
    in [0, 1], with integer labels."""
    templates = rng.random((10, features)) > 0.7
    labels = rng.integers(0, 10, size=n)
    noise = rng.random((n, features)) < 0.1
    images = np.logical_xor(templates[labels], noise).astype("float32")
    return images, labels


def build_mnist_model() -> keras.Model:
    """The guide's first model: 784 -> 64 -> 64 -> 10 logits."""
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")


# -- Introduction ----------------------------------------------------------------------


def test_introduction_builds_a_model_and_summarizes_it():
    inputs = keras.Input(shape=(784,))
    img_inputs = keras.Input(shape=(32, 32, 3))
    assert inputs.shape == (None, 784)
    assert inputs.dtype == "float32"
    assert img_inputs.shape == (None, 32, 32, 3)

    dense = layers.Dense(64, activation="relu")
    x = dense(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")

    text = summary_text(model)
    assert 'Model: "mnist_model"' in text
    for name in ("input_layer", "dense", "dense_1", "dense_2"):
        assert f"{name} (" in text
    # 784*64 + 64 + 64*64 + 64 + 64*10 + 10, as the guide prints.
    assert "Total params: 55,050" in text
    assert model.count_params() == 55_050
    assert [layer.name for layer in model.layers] == [
        "input_layer",
        "dense",
        "dense_1",
        "dense_2",
    ]


def test_plot_model_writes_the_layer_graph(tmp_path):
    model = build_mnist_model()
    # A .dot file needs no Graphviz: kgraph writes the DOT text itself.
    path = keras.utils.plot_model(
        model, tmp_path / "my_first_model_with_shape_info.dot", show_shapes=True
    )
    text = Path(path).read_text()
    assert text.startswith("digraph")
    assert "(None, 784)" in text and "(None, 10)" in text
    assert text.count("->") == 3
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: no PNG rendering")
    png = keras.utils.plot_model(model, tmp_path / "my_first_model.png")
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- Training, evaluation, and inference -----------------------------------------------


def test_training_evaluation_and_inference(backend, rng):
    x_all, y_all = mnist_like(rng, 640 + 128)
    x_train, y_train = x_all[:640], y_all[:640]
    x_test, y_test = x_all[640:], y_all[640:]

    model = build_mnist_model()
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train, y_train, batch_size=64, epochs=3, validation_split=0.2, verbose=0
    )
    test_scores = model.evaluate(x_test, y_test, verbose=0)

    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert history.history["val_accuracy"][-1] > 0.8
    test_loss, test_accuracy = test_scores
    assert test_accuracy > 0.8
    # The reported loss is the mean crossentropy of the predicted logits.
    logits = model.predict(x_test, verbose=0)
    assert logits.shape == (128, 10)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = -log_probs[np.arange(128), y_test].mean()
    np.testing.assert_allclose(test_loss, expected, rtol=1e-4)
    assert test_accuracy == pytest.approx(np.mean(logits.argmax(axis=1) == y_test))


# -- Save and serialize ----------------------------------------------------------------


def test_save_and_serialize(backend, rng, tmp_path):
    x_train, y_train = mnist_like(rng, 128)
    model = build_mnist_model()
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
    expected = model.predict(x_train, verbose=0)
    scores = model.evaluate(x_train, y_train, verbose=0)

    # The guide saves to "my_model.keras", which needs h5py here.
    has_h5py = importlib.util.find_spec("h5py") is not None
    path = tmp_path / ("my_model.keras" if has_h5py else "my_model.kgraph")
    model.save(path)
    del model
    # Recreate the exact same model purely from the file:
    model = keras.models.load_model(path)

    assert model.name == "mnist_model"
    np.testing.assert_allclose(model.predict(x_train, verbose=0), expected, rtol=1e-6)
    # The compile config (loss, metrics) is saved too.
    np.testing.assert_allclose(
        model.evaluate(x_train, y_train, verbose=0), scores, rtol=1e-6
    )


# -- Use the same graph of layers to define multiple models ----------------------------


def build_encoder_layers():
    """The guide's convolutional encoder: 28x28x1 images to 16 features."""
    encoder_input = keras.Input(shape=(28, 28, 1), name="img")
    x = layers.Conv2D(4, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(8, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(8, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)
    return encoder_input, encoder_output


def upsample_to_image(code):
    """The guide's decoder: 16 features back to a 28x28x1 image."""
    x = layers.Reshape((4, 4, 1))(code)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    return layers.Conv2DTranspose(1, 3, activation="relu")(x)


# Parameters of the decoder's four transposed convolutions.
DECODER_PARAMS = (9 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 16 + 16) + (9 * 16 + 1)


def test_one_graph_of_layers_defines_several_models(backend, rng):
    encoder_input, encoder_output = build_encoder_layers()
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    decoder_output = upsample_to_image(encoder_output)
    autoencoder = keras.Model(encoder_input, decoder_output, name="autoencoder")

    assert "Total params" in summary_text(encoder)
    assert encoder_output.shape == (None, 16)
    assert decoder_output.shape == (None, 28, 28, 1)
    # The autoencoder holds the encoder's layers, and so its weights.
    encoder_layers = [layer.name for layer in encoder.layers]
    assert [layer.name for layer in autoencoder.layers][: len(encoder_layers)] == (
        encoder_layers
    )
    assert autoencoder.count_params() == encoder.count_params() + DECODER_PARAMS

    images = (rng.random((64, 28, 28, 1)) > 0.8).astype("float32")
    before = encoder.get_weights()
    autoencoder.compile(optimizer="adam", loss="mse")
    history = autoencoder.fit(images, images, batch_size=32, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # Training the autoencoder trained the encoder it shares layers with.
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(encoder.get_weights(), before, strict=True)
    )
    codes = encoder.predict(images, verbose=0)
    assert codes.shape == (64, 16)
    # The decoder's half, called eagerly on the codes.
    decoded = codes
    for layer in autoencoder.layers[len(encoder_layers) :]:
        decoded = layer(decoded)
    np.testing.assert_allclose(
        autoencoder.predict(images, verbose=0),
        np.asarray(decoded),
        rtol=1e-4,
        atol=1e-5,
    )


# -- All models are callable, just like layers -----------------------------------------


def test_models_are_callable_like_layers(backend, rng):
    encoder_input, encoder_output = build_encoder_layers()
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")

    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    decoder_output = upsample_to_image(decoder_input)
    decoder = keras.Model(decoder_input, decoder_output, name="decoder")

    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")

    assert [layer.name for layer in autoencoder.layers] == [
        "img",
        "encoder",
        "decoder",
    ]
    text = summary_text(autoencoder)
    assert "encoder (Functional)" in text and "decoder (Functional)" in text
    assert autoencoder.count_params() == encoder.count_params() + (
        decoder.count_params()
    )
    # Uncompiled models predict with the interpreter; compiled ones with the
    # backend under test.
    for model in (encoder, decoder, autoencoder):
        model.compile()
    images = (rng.random((32, 28, 28, 1)) > 0.8).astype("float32")
    codes = encoder.predict(images, verbose=0)
    np.testing.assert_allclose(
        autoencoder.predict(images, verbose=0),
        decoder.predict(codes, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


def test_ensembling_models_with_average(backend, rng):
    def get_model():
        inputs = keras.Input(shape=(128,))
        outputs = layers.Dense(1)(inputs)
        return keras.Model(inputs, outputs)

    model1 = get_model()
    model2 = get_model()
    model3 = get_model()

    inputs = keras.Input(shape=(128,))
    y1 = model1(inputs)
    y2 = model2(inputs)
    y3 = model3(inputs)
    outputs = layers.average([y1, y2, y3])
    ensemble_model = keras.Model(inputs=inputs, outputs=outputs)

    assert len(ensemble_model.weights) == 6
    for model in (model1, model2, model3, ensemble_model):
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    x = rng.normal(size=(64, 128)).astype("float32")
    mean = np.mean([m.predict(x, verbose=0) for m in (model1, model2, model3)], axis=0)
    np.testing.assert_allclose(
        ensemble_model.predict(x, verbose=0), mean, rtol=1e-5, atol=1e-6
    )
    # Training the ensemble trains each member.
    y = x[:, :1] - x[:, 1:2]
    before = [m.get_weights()[0].copy() for m in (model1, model2, model3)]
    history = ensemble_model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for member, kernel in zip((model1, model2, model3), before, strict=True):
        assert not np.array_equal(member.get_weights()[0], kernel)


# -- Manipulate complex graph topologies -----------------------------------------------

NUM_TAGS = 12  # Number of unique issue tags
NUM_WORDS = 100  # Size of vocabulary obtained when preprocessing text data
NUM_DEPARTMENTS = 4  # Number of departments for predictions
TITLE_LENGTH, BODY_LENGTH = 3, 4  # kgraph's recurrent layers need fixed lengths


def build_ticket_model() -> keras.Model:
    title_input = keras.Input(shape=(TITLE_LENGTH,), name="title")
    body_input = keras.Input(shape=(BODY_LENGTH,), name="body")
    tags_input = keras.Input(shape=(NUM_TAGS,), name="tags")

    # Embed each word in the title and the body into a 8-dimensional vector
    title_features = layers.Embedding(NUM_WORDS, 8)(title_input)
    body_features = layers.Embedding(NUM_WORDS, 8)(body_input)
    # Reduce sequence of embedded words into a single vector
    title_features = layers.LSTM(16)(title_features)
    body_features = layers.LSTM(8)(body_features)
    # Merge all available features into a single large vector
    x = layers.concatenate([title_features, body_features, tags_input])
    # Stick a logistic regression for priority prediction on top
    priority_pred = layers.Dense(1, name="priority")(x)
    # Stick a department classifier on top of the features
    department_pred = layers.Dense(NUM_DEPARTMENTS, name="department")(x)

    return keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs={"priority": priority_pred, "department": department_pred},
    )


def test_multi_input_multi_output_model(backend, rng):
    model = build_ticket_model()
    assert model.input_names == ["title", "body", "tags"]
    assert model.output_names == ["department", "priority"]
    text = summary_text(model)
    assert "concatenate (Concatenate)" in text
    assert "lstm[0][0]" in text and "tags[0][0]" in text

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-2),
        loss={
            "priority": keras.losses.BinaryCrossentropy(from_logits=True),
            "department": keras.losses.CategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"priority": 1.0, "department": 0.2},
    )

    # Dummy input data
    n = 128
    title_data = rng.integers(NUM_WORDS, size=(n, TITLE_LENGTH))
    body_data = rng.integers(NUM_WORDS, size=(n, BODY_LENGTH))
    tags_data = rng.integers(2, size=(n, NUM_TAGS)).astype("float32")
    # Dummy target data, learnable from the tags
    priority_targets = (tags_data[:, :1] > 0).astype("float32")
    dept_targets = np.eye(NUM_DEPARTMENTS, dtype="float32")[
        tags_data[:, 1:3].astype(int) @ [1, 2]
    ]
    inputs = {"title": title_data, "body": body_data, "tags": tags_data}
    targets = {"priority": priority_targets, "department": dept_targets}
    history = model.fit(inputs, targets, epochs=4, batch_size=32, verbose=0)

    logs = history.history
    assert sorted(logs) == ["department_loss", "loss", "priority_loss"]
    assert logs["loss"][-1] < logs["loss"][0]
    assert logs["department_loss"][-1] < logs["department_loss"][0]

    # evaluate's total is the weighted sum of the two losses, in NumPy.
    results = model.evaluate(inputs, targets, batch_size=32, return_dict=True)
    predictions = model.predict(inputs, verbose=0)
    assert sorted(predictions) == ["department", "priority"]
    logit = predictions["priority"]
    bce = np.mean(
        np.maximum(logit, 0) - logit * priority_targets + np.log1p(np.exp(-abs(logit)))
    )
    logits = predictions["department"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    cce = np.mean(-(dept_targets * log_probs).sum(axis=1))
    np.testing.assert_allclose(results["priority_loss"], bce, rtol=1e-4)
    np.testing.assert_allclose(results["department_loss"], cce, rtol=1e-4)
    np.testing.assert_allclose(results["loss"], bce + 0.2 * cce, rtol=1e-4)


def test_a_toy_resnet_model(backend, rng):
    inputs = keras.Input(shape=(16, 16, 3), name="img")
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)

    x = layers.Conv2D(16, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])

    x = layers.Conv2D(16, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])

    x = layers.Conv2D(16, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)

    model = keras.Model(inputs, outputs, name="toy_resnet")
    text = summary_text(model)
    assert 'Model: "toy_resnet"' in text
    # Each add joins a block's output with the block's input.
    assert "conv2d_3[0][0]," in text and "max_pooling2d[0][0]" in text
    assert block_1_output.shape == (None, 4, 4, 16)
    assert block_3_output.shape == (None, 4, 4, 16)
    convs = 3 * 3 * 3 * 8 + 8 + 3 * 3 * 8 * 16 + 16 + 5 * (3 * 3 * 16 * 16 + 16)
    assert model.count_params() == convs + 16 * 32 + 32 + 32 * 10 + 10

    # CIFAR-10-like data: the class is which colour channel is brightest.
    n = 96
    y_train = rng.integers(0, 3, size=n)
    x_train = rng.random((n, 16, 16, 3)).astype("float32") * 0.5
    x_train[np.arange(n), :, :, y_train] += 0.5
    y_train = keras.utils.to_categorical(y_train, 10)

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )
    history = model.fit(
        x_train, y_train, batch_size=16, epochs=4, validation_split=1 / 6, verbose=0
    )
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(history.history["val_loss"]).all()


# -- Shared layers ---------------------------------------------------------------------


def test_shared_layers(backend, rng):
    # Embedding for 1000 unique words mapped to 16-dimensional vectors
    shared_embedding = layers.Embedding(1000, 16)
    # Variable-length sequence of integers
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    # Variable-length sequence of integers
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    # Reuse the same layer to encode both inputs
    encoded_input_a = shared_embedding(text_input_a)
    encoded_input_b = shared_embedding(text_input_b)
    assert encoded_input_a.shape == (None, None, 16)
    assert encoded_input_b.shape == (None, None, 16)

    def similarity_model(a_input, b_input, encoded_a, encoded_b):
        pooled_a = layers.GlobalAveragePooling1D()(encoded_a)
        pooled_b = layers.GlobalAveragePooling1D()(encoded_b)
        score = layers.Dense(1, name="score")(layers.concatenate([pooled_a, pooled_b]))
        return keras.Model([a_input, b_input], score)

    model = similarity_model(
        text_input_a, text_input_b, encoded_input_a, encoded_input_b
    )
    # One table, used twice.
    assert len(model.weights) == 3
    assert model.get_weights()[0].shape == (1000, 16)

    def expected_scores(model, a, b):
        table = shared_embedding.get_weights()[0]
        kernel, bias = model.get_layer("score").get_weights()
        pooled = np.concatenate([table[a].mean(axis=1), table[b].mean(axis=1)], 1)
        return pooled @ kernel + bias

    # Sequences of any length, as in the guide: the programs specialize to
    # the lengths they meet, on both backends; training updates the rows
    # both calls looked up.
    a = rng.integers(0, 1000, size=(64, 5)).astype("int32")
    b = rng.integers(0, 1000, size=(64, 7)).astype("int32")
    model.compile(optimizer="adam", loss="mse", backend=backend)
    np.testing.assert_allclose(
        model.predict([a, b], verbose=0),
        expected_scores(model, a, b),
        rtol=1e-4,
        atol=1e-6,
    )
    longer = rng.integers(0, 1000, size=(8, 11)).astype("int32")
    np.testing.assert_allclose(
        model.predict([longer, b[:8]], verbose=0),
        expected_scores(model, longer, b[:8]),
        rtol=1e-4,
        atol=1e-6,
    )
    table = shared_embedding.get_weights()[0]
    y = (a[:, :1] < 500).astype("float32")
    model.fit([a, b], y, batch_size=16, epochs=2, verbose=0)
    changed = np.any(shared_embedding.get_weights()[0] != table, axis=1)
    assert changed[np.unique(a)].all() and changed[np.unique(b)].all()
    untouched = np.setdiff1d(np.arange(1000), np.union1d(a, b))
    assert not changed[untouched].any()


# -- Extract and reuse nodes in the graph of layers ------------------------------------


def test_feature_extraction_from_every_layer(backend, rng):
    # The guide uses keras.applications.VGG19(); a small CNN stands in.
    inputs = keras.Input(shape=(8, 8, 3), name="input_1")
    x = layers.Conv2D(4, 3, activation="relu", padding="same", name="block1_conv1")(
        inputs
    )
    x = layers.MaxPooling2D(2, name="block1_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(8, activation="relu", name="fc1")(x)
    outputs = layers.Dense(3, activation="softmax", name="predictions")(x)
    vgg19 = keras.Model(inputs, outputs, name="vgg19")

    features_list = [layer.output for layer in vgg19.layers]
    feat_extraction_model = keras.Model(inputs=vgg19.input, outputs=features_list)

    vgg19.compile()
    feat_extraction_model.compile()
    img = rng.random((1, 8, 8, 3)).astype("float32")
    extracted_features = feat_extraction_model(img)

    assert len(extracted_features) == 6
    assert [f.shape for f in extracted_features] == [
        (1, 8, 8, 3),
        (1, 8, 8, 4),
        (1, 4, 4, 4),
        (1, 64),
        (1, 8),
        (1, 3),
    ]
    np.testing.assert_allclose(extracted_features[0], img)
    np.testing.assert_allclose(extracted_features[-1], vgg19.predict(img, verbose=0))
    kernel, bias = vgg19.get_layer("fc1").get_weights()
    np.testing.assert_allclose(
        extracted_features[4],
        np.maximum(extracted_features[3] @ kernel + bias, 0.0),
        rtol=1e-5,
        atol=1e-6,
    )


# -- Extend the API using custom layers ------------------------------------------------


class CustomDense(layers.Layer):
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


def test_custom_layers_and_their_config(backend, rng):
    inputs = keras.Input((4,))
    outputs = CustomDense(10)(inputs)

    model = keras.Model(inputs, outputs)
    config = model.get_config()

    new_model = keras.Model.from_config(
        config, custom_objects={"CustomDense": CustomDense}
    )
    assert [type(layer).__name__ for layer in new_model.layers] == [
        "InputLayer",
        "CustomDense",
    ]
    assert new_model.layers[1].units == 10
    new_model.set_weights(model.get_weights())
    new_model.compile()
    x = rng.normal(size=(8, 4)).astype("float32")
    w, b = model.get_weights()
    np.testing.assert_allclose(new_model.predict(x, verbose=0), x @ w + b, rtol=1e-5)

    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    y = rng.normal(size=(8, 10)).astype("float32")
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# -- Mix-and-match API styles ----------------------------------------------------------

UNITS = 8
TIMESTEPS = 5
INPUT_DIM = 3


def numpy_custom_rnn(x, projection_1, projection_2):
    """The guide's CustomRNN recurrence, in NumPy: the stacked states."""
    (w1, b1), (w2, b2) = projection_1.get_weights(), projection_2.get_weights()
    state = np.zeros((x.shape[0], w1.shape[1]), "float32")
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t, :] @ w1 + b1)
        state = h + np.tanh(state @ w2 + b2)
        outputs.append(state)
    return np.stack(outputs, axis=1)


def test_a_subclassed_layer_calls_a_functional_model(backend, rng):
    # Define a Functional model (on sequences of TIMESTEPS: the guide's
    # (None, units) compiles to native code only with a static length)
    inputs = keras.Input((TIMESTEPS, UNITS))
    x = layers.GlobalAveragePooling1D()(inputs)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    model.compile()  # its eager calls then run on the backend under test

    class CustomRNN(layers.Layer):
        def __init__(self):
            super().__init__()
            self.units = UNITS
            self.projection_1 = layers.Dense(units=UNITS, activation="tanh")
            self.projection_2 = layers.Dense(units=UNITS, activation="tanh")
            # Our previously-defined Functional model
            self.classifier = model

        def call(self, inputs):
            outputs = []
            state = ops.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = ops.stack(outputs, axis=1)
            return self.classifier(features)

    rnn_model = CustomRNN()
    data = rng.normal(size=(1, TIMESTEPS, INPUT_DIM)).astype("float32")
    result = rnn_model(data)

    assert tuple(result.shape) == (1, 1)
    # The layer's weights include the functional model's.
    assert len(rnn_model.weights) == 6
    features = numpy_custom_rnn(data, rnn_model.projection_1, rnn_model.projection_2)
    kernel, bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(
        np.asarray(result), features.mean(axis=1) @ kernel + bias, rtol=1e-4
    )


def test_a_functional_model_uses_a_subclassed_layer(backend, rng):
    batch_size = 16

    class CustomRNN(layers.Layer):
        def __init__(self):
            super().__init__()
            self.units = UNITS
            self.projection_1 = layers.Dense(units=UNITS, activation="tanh")
            self.projection_2 = layers.Dense(units=UNITS, activation="tanh")
            self.classifier = layers.Dense(1)

        def call(self, inputs):
            outputs = []
            state = ops.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = ops.stack(outputs, axis=1)
            return self.classifier(features)

    # Note that you specify a static batch size for the inputs with the
    # `batch_shape` arg, because the inner computation of `CustomRNN`
    # requires a static batch size (when you create the `state` zeros
    # tensor).
    inputs = keras.Input(batch_shape=(batch_size, TIMESTEPS + 2, INPUT_DIM))
    x = layers.Conv1D(UNITS, 3)(inputs)
    outputs = CustomRNN()(x)
    model = keras.Model(inputs, outputs)
    assert outputs.shape == (batch_size, TIMESTEPS, 1)

    rnn_model = CustomRNN()
    _ = rnn_model(ops.zeros((1, 10, 5)))
    assert tuple(_.shape) == (1, 10, 1)

    data = rng.normal(size=(4 * batch_size, TIMESTEPS + 2, INPUT_DIM))
    data = data.astype("float32")
    target = np.cumsum(data[:, 2:, :1], axis=1) * 0.3
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(data, target, batch_size=batch_size, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(data, batch_size=batch_size, verbose=0).shape == (
        4 * batch_size,
        TIMESTEPS,
        1,
    )

"""Writes the Keras Applications fixtures the loading tests compare against.

Run with Keras 3 installed (not a kgraph dependency)::

    KERAS_BACKEND=jax python tools/keras_fixture_applications.py [name ...]

With names (keys of ``MODELS``), only those fixtures are written. For each
model it builds the Keras Application with ``weights=None``, gives every
weight a deterministic low-entropy pattern (so the saved file compresses to
a few hundred kilobytes while every weight still differs from its
neighbours), for the models in ``CALIBRATED`` sets the batch
normalizations' moving statistics to those of a calibration batch (with a
gain of 0.9), saves it as a deflated ``.keras`` file under
``tests/data/applications/`` and stores an input batch with the logits Keras
computes from the saved file next to it in a ``.npz`` file.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

import keras
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "applications"

# name -> (builder, input side)
MODELS = {
    "mobilenet_v2": (keras.applications.MobileNetV2, 96),
    "resnet50": (keras.applications.ResNet50, 32),
    "efficientnet_b0": (keras.applications.EfficientNetB0, 32),
    "densenet121": (keras.applications.DenseNet121, 32),
    "convnext_tiny": (keras.applications.ConvNeXtTiny, 32),
    "mobilenet_v3_small": (keras.applications.MobileNetV3Small, 32),
    "xception": (keras.applications.Xception, 71),
    "inception_v3": (keras.applications.InceptionV3, 75),
}
# Models whose preprocess_input scales images to [-1, 1] ("tf" mode) get
# such inputs, as a user feeds them; the others take pixels in [0, 255].
SCALED_INPUTS = {"mobilenet_v2"}


def images(name: str, count: int, side: int, seed: int) -> np.ndarray:
    """Random images in the range the model expects."""
    low, high = (-1.0, 1.0) if name in SCALED_INPUTS else (0.0, 255.0)
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, (count, side, side, 3)).astype("float32")


# With the pattern alone, the activations of these deep networks saturate or
# average out and the logits hardly depend on the input; calibrated batch
# normalizations keep every activation at unit scale, as in a trained model.
GAIN = 0.9
CALIBRATED = {
    "mobilenet_v2",
    "efficientnet_b0",
    "mobilenet_v3_small",
    "xception",
    "inception_v3",
}


def pattern_weights(model: keras.Model) -> list[np.ndarray]:
    """A periodic pattern per weight, scaled like a fan-in initializer."""
    values = []
    for i, weight in enumerate(model.weights):
        shape = tuple(weight.shape)
        k = np.arange(int(np.prod(shape)))
        v = ((k * 7919 + i * 31) % 251 - 125) / 125.0
        path = weight.path
        if "variance" in path:
            v = 1.0 + 0.25 * np.abs(v)
        elif "gamma" in path:
            v = 1.0 + 0.1 * v
        elif len(shape) > 1:
            v = v * np.sqrt(3.0 / int(np.prod(shape[:-1])))
        else:
            v = 0.05 * v
        values.append(v.reshape(shape).astype(weight.dtype))
    return values


def calibrate_batch_norms(model: keras.Model, batch: np.ndarray) -> None:
    """Sets every batch normalization's moving mean and variance to the
    statistics of its input on a calibration batch (one training-mode pass
    with momentum 0: each layer normalizes the batch before the next sees
    it)."""
    norms = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    momentums = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    model(batch, training=True)
    for layer, momentum in zip(norms, momentums, strict=True):
        layer.momentum = momentum
        if layer.scale:
            # A gain a little below one: the random network stays out of the
            # chaotic regime, where float32 rounding in another summation
            # order (XLA's, kgraph's) would double every few blocks.
            layer.gamma.assign(layer.gamma.numpy() * GAIN)
        else:
            variance = layer.moving_variance.numpy()
            layer.moving_variance.assign(variance / GAIN**2)


def deflate(path: Path) -> None:
    """Rewrites a ``.keras`` zip with deflated entries (Keras stores them)."""
    tmp = path.with_suffix(".tmp")
    with (
        zipfile.ZipFile(path) as src,
        zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    tmp.replace(path)


def main() -> None:
    """Writes the fixtures named on the command line, or all of them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(MODELS)}")
    names = parser.parse_args().names or list(MODELS)
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        parser.error(f"unknown fixtures {unknown}; choose from {list(MODELS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        builder, side = MODELS[name]
        keras.utils.clear_session()  # unnamed layers get the names Keras gives
        keras.utils.set_random_seed(0)
        model = builder(
            weights=None,
            input_shape=(side, side, 3),
            classes=10,
            classifier_activation=None,
        )
        model.set_weights(pattern_weights(model))
        if name in CALIBRATED:
            calibrate_batch_norms(model, images(name, 64, side, seed=1))
        x = images(name, 2, side, seed=0)
        path = OUT / f"{name}.keras"
        model.save(path)
        deflate(path)
        # What the file holds is what the tests load: predict with it.
        y = np.asarray(keras.models.load_model(path).predict(x, verbose=0))
        np.savez_compressed(OUT / f"{name}.npz", x=x, y=y)
        print(f"{name}: {model.count_params()} parameters, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()

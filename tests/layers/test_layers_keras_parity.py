"""Every layer kgraph and Keras both export, against Keras itself.

Generated from the names (``keras_oracle``). Each layer is made with its
default arguments (and the required ones from one table, by argument name)
and put after an input of the first shape, from rank 1 up, that Keras
builds it for. kgraph's model, on the reference backend (native code
equals it, in the conformance and layer tests), takes Keras's weights;
their predictions must agree, and a layer with trainable weights must
train alike: one SGD step on a mean squared error moves both libraries'
weights the same way.

Layers made of other layers are made by ``_COMPOSED``. Those that take
several tensors, strings or data to adapt are covered by their own test
files, which ``_ELSEWHERE`` names; a layer neither made here nor listed
there fails.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from keras_oracle import keras
from keras_oracle import keras_twin
from keras_oracle import required_arguments
from keras_oracle import shared_classes

import kgraph as kg
from kgraph import dtypes

VALUE_RTOL, VALUE_ATOL = dtypes.KERAS_VALUE_TOLERANCE
STEP_RTOL, STEP_ATOL = dtypes.KERAS_TRAINING_TOLERANCE

SHARED = shared_classes(kg.layers, kg.layers.Layer, "layers")

# Layers made of other layers: how to make each, in either library.
_COMPOSED = {
    # A short FFT: the default 2048 points on a few samples cost seconds.
    "MelSpectrogram": lambda lib: lib.layers.MelSpectrogram(
        fft_length=16, sequence_stride=4, sequence_length=16, num_mel_bins=8
    ),
    "RNN": lambda lib: lib.layers.RNN(lib.layers.LSTMCell(3)),
    "SimpleRNNCell": lambda lib: lib.layers.RNN(lib.layers.SimpleRNNCell(3)),
    "GRUCell": lambda lib: lib.layers.RNN(lib.layers.GRUCell(3)),
    "LSTMCell": lambda lib: lib.layers.RNN(lib.layers.LSTMCell(3)),
    "StackedRNNCells": lambda lib: lib.layers.RNN(
        lib.layers.StackedRNNCells([lib.layers.SimpleRNNCell(3), lib.layers.GRUCell(2)])
    ),
    "Bidirectional": lambda lib: lib.layers.Bidirectional(lib.layers.LSTM(2)),
    "TimeDistributed": lambda lib: lib.layers.TimeDistributed(lib.layers.Dense(2)),
    "GroupNormalization": lambda lib: lib.layers.GroupNormalization(groups=3),
}

# The tests that cover the layers no name or builder here makes (several
# inputs, strings, data to adapt, a layer to wrap), by file.
_ELSEWHERE = {
    "tests/layers/test_merging_layers.py": (
        "Add",
        "Average",
        "Concatenate",
        "Dot",
        "Maximum",
        "Minimum",
        "Multiply",
        "Subtract",
    ),
    "tests/layers/test_attention_layers.py": (
        "AdditiveAttention",
        "Attention",
        "GroupQueryAttention",
        "MultiHeadAttention",
    ),
    "tests/layers/preprocessing/test_categorical.py": (
        "CategoryEncoding",
        "Discretization",
        "Hashing",
        "IntegerLookup",
    ),
    "tests/layers/preprocessing/test_crossing.py": ("HashedCrossing",),
    "tests/layers/preprocessing/test_text.py": ("StringLookup", "TextVectorization"),
    "tests/layers/preprocessing/test_color.py": ("Equalization", "RandomPosterization"),
    "tests/layers/test_input_layer.py": ("InputLayer",),
    "tests/layers/test_core_layers.py": ("Lambda",),
    "tests/layers/test_pipeline.py": ("Pipeline",),
    "tests/layers/test_wrapper_base.py": ("Wrapper",),
    "tests/layers/test_spectral_normalization.py": ("SpectralNormalization",),
    "tests/layers/test_spectrogram.py": ("STFTSpectrogram",),
}

# Where kgraph follows Keras's documentation and Keras does otherwise, by
# layer, with what differs; their predictions must still have the shape
# Keras's own model declares.
_KERAS_DIFFERS = {
    "RandomCrop": "at inference Keras 3.15 returns the images unchanged, "
    "against its docstring and its model's output shape; kgraph crops the "
    "centre and resizes, as documented",
}

# Predictions compared at other tolerances than KERAS_VALUE_TOLERANCE, by
# layer: MelSpectrogram gives decibels, logs of powers summed over
# 2048-point FFTs, where bins far below the peak carry float32 rounding of
# the peak (a thousandth of a decibel).
_VALUE_TOLERANCE = {"MelSpectrogram": (VALUE_RTOL, 1e-2)}

# Values of required arguments, by argument name.
_REQUIRED = {
    "activation": "tanh",
    "output_size": 2,
    "rate": 0.3,
    "pool_size": 2,
    "height": 2,
    "width": 2,
    "filters": 2,
    "kernel_size": 2,
    "units": 3,
    "input_dim": 4,
    "output_dim": 3,
    "stddev": 0.1,
    "n": 2,
    "factor": 0.2,
    "height_factor": 0.2,
    "width_factor": 0.2,
    "scale": 0.5,
    "target_shape": (-1,),
    "dims": (2, 1),
    "equation": "ab,bc->ac",
    "output_shape": 3,
    "num_bins": 4,
}

# Input shapes tried in turn (without the batch), lowest rank first; a
# name ending in 1D, 2D or 3D, or an image preprocessing layer, starts at
# its own rank (Keras also takes unbatched images of lower rank).
_SHAPES = ((6,), (5, 3), (6, 6, 3), (4, 4, 4, 2), (2, 3, 3, 3, 2))


def _shapes(name, twin):
    rank = {"1D": 1, "2D": 2, "3D": 3}.get(name[-2:])
    if rank is None and "image_preprocessing" in twin.__module__:
        rank = 2
    return _SHAPES if rank is None else _SHAPES[rank:]


def _keras_model(name, make):
    """Keras's layer (from ``make(keras)``) after the first input shape it
    builds for, with that shape (``None, None`` when none does)."""
    for shape in _shapes(name, keras_twin("layers", name)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Building traces the layer: shapes it refuses fail here.
                model = keras.Sequential([keras.Input(shape), make(keras)])
        except Exception:  # Keras refuses shapes in many ways
            continue
        return model, shape
    return None, None


def _inputs(shape, seed):
    rng = np.random.default_rng(seed)
    # In [0, 4): valid indices for Embedding, values for the rest.
    return rng.uniform(0.0, 4.0, (3, *shape)).astype("float32")


def _maker(name):
    """How to make the layer in either library, or ``None``."""
    if name in _COMPOSED:
        return _COMPOSED[name]
    arguments = required_arguments(keras_twin("layers", name), _REQUIRED)
    if arguments is None:
        return None
    return lambda lib: getattr(lib.layers, name)(**arguments)


def _generated(name):
    """Keras's model, kgraph's with Keras's weights, and the input shape;
    ``None`` for a layer compared elsewhere (listed in ``_ELSEWHERE``)."""
    keras_twin("layers", name)
    make = _maker(name)
    theirs, shape = (None, None) if make is None else _keras_model(name, make)
    listed = any(name in names for names in _ELSEWHERE.values())
    if theirs is None:
        assert listed, f"{name}: no generic construction, and not in _ELSEWHERE"
        return None
    assert not listed, f"{name} is made here: take it out of _ELSEWHERE"
    ours = kg.Sequential([kg.Input(shape), make(kg)])
    ours.set_weights(theirs.get_weights())
    # The reference backend: native code equals it (the conformance and
    # layer tests), and it needs no compiling.
    ours.compile(
        optimizer=kg.optimizers.SGD(learning_rate=0.1), loss="mse", backend="numpy"
    )
    return theirs, ours, shape


@pytest.mark.parametrize("name", SHARED)
def test_layers_equal_keras(name):
    """The prediction with Keras's weights, then, for a layer with
    trainable weights, one SGD step: the loss and every weight after it."""
    made = _generated(name)
    if made is None:
        return  # listed in _ELSEWHERE, compared there
    theirs, ours, shape = made
    _same_prediction(name, theirs, ours, _inputs(shape, 1))
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    if theirs.trainable_weights:
        _same_step(theirs, ours, _inputs(shape, 2))


def _same_prediction(name, theirs, ours, x):
    actual = ours.predict(x, verbose=0)
    if name in _KERAS_DIFFERS:
        assert actual.shape[1:] == tuple(theirs.output_shape[1:])
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.asarray(theirs.predict(x, verbose=0))
    assert actual.shape == expected.shape
    rtol, atol = _VALUE_TOLERANCE.get(name, (VALUE_RTOL, VALUE_ATOL))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def _same_step(theirs, ours, x):
    y = np.random.default_rng(3).normal(size=theirs.output_shape[1:]).astype("float32")
    y = np.broadcast_to(y, (len(x), *y.shape)).copy()
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = float(np.asarray(theirs.train_on_batch(x, y)))
    actual = float(ours.train_on_batch(x, y))
    np.testing.assert_allclose(actual, expected, rtol=STEP_RTOL, atol=STEP_ATOL)
    for index, (a, e) in enumerate(
        zip(ours.get_weights(), theirs.get_weights(), strict=True)
    ):
        np.testing.assert_allclose(
            a, e, rtol=STEP_RTOL, atol=STEP_ATOL, err_msg=f"weight {index}"
        )


def test_the_files_named_for_other_layers_exist():
    root = Path(__file__).resolve().parents[2]
    for path in _ELSEWHERE:
        assert (root / path).is_file(), path

"""Preprocessing and decoding shared by the image applications, as
``keras.applications.imagenet_utils``.

kgraph downloads nothing: `decode_predictions` reads the class names from a
file or list the caller gives (Keras's ``imagenet_class_index.json`` works
as it is).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kgraph import ops

MODES = ("caffe", "tf", "torch")
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)


def preprocess_input(
    x: Any, data_format: str | None = None, mode: str = "caffe"
) -> Any:
    """Preprocesses a batch of RGB images with values in [0, 255].

    Args:
        x: A float array or tensor, 3-D or 4-D, channels last.
        data_format: ``None`` or ``"channels_last"`` (kgraph's only layout).
        mode: ``"caffe"``: RGB to BGR, then minus ImageNet's per-channel
            mean, no scaling; ``"tf"``: scaled to [-1, 1]; ``"torch"``:
            scaled to [0, 1], then normalized with ImageNet's per-channel
            mean and standard deviation.

    Returns:
        The preprocessed images, as float32 (a NumPy array for a NumPy
        input, a tensor otherwise).

    Raises:
        ValueError: for an unknown ``mode`` or ``data_format``.

    Example:

    >>> preprocess_input(np.full((1, 1, 1, 3), 255.0), mode="tf")
    array([[[[1., 1., 1.]]]], dtype=float32)
    """
    if mode not in MODES:
        raise ValueError(
            "Expected mode to be one of `caffe`, `tf` or `torch`. "
            f"Received: mode={mode}"
        )
    check_data_format(data_format)
    if isinstance(x, np.ndarray) or not hasattr(x, "shape"):
        return _preprocess_array(np.asarray(x, dtype="float32"), mode)
    return _preprocess_tensor(x, mode)


def check_data_format(data_format: str | None) -> None:
    """Accepts ``None`` and ``"channels_last"``.

    Raises:
        ValueError: for ``"channels_first"`` or anything else.
    """
    if data_format not in (None, "channels_last"):
        raise ValueError(
            "kgraph's applications take channels-last images: data_format must be "
            f"None or 'channels_last'. Received: data_format={data_format}"
        )


def _preprocess_array(x: np.ndarray, mode: str) -> np.ndarray:
    if mode == "tf":
        return (x / np.float32(127.5) - np.float32(1.0)).astype("float32")
    if mode == "torch":
        mean = np.asarray(TORCH_MEAN, dtype="float32")
        std = np.asarray(TORCH_STD, dtype="float32")
        return ((x / np.float32(255.0) - mean) / std).astype("float32")
    return (x[..., ::-1] - np.asarray(CAFFE_MEAN_BGR, dtype="float32")).astype(
        "float32"
    )


def _preprocess_tensor(x: Any, mode: str) -> Any:
    x = ops.cast(x, "float32")
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        mean = np.asarray(TORCH_MEAN, dtype="float32")
        std = np.asarray(TORCH_STD, dtype="float32")
        return (x / 255.0 - mean) / std
    return ops.flip(x, axis=-1) - np.asarray(CAFFE_MEAN_BGR, dtype="float32")


def decode_predictions(
    preds: Any, top: int = 5, class_names: str | Path | Sequence[Any] | None = None
) -> list[list[tuple[str, str, float]]]:
    """The ``top`` classes of each row of predictions, with their names.

    Args:
        preds: Predictions of shape ``(samples, classes)``.
        top: How many classes per row.
        class_names: Where the names come from: a path to a JSON file in
            Keras's ``imagenet_class_index.json`` format (``{"0": ["n01440764",
            "tench"], ...}``), a path to a text file with one name per line,
            or a list of names or ``(id, name)`` pairs. kgraph does not
            download Keras's file: give it here.

    Returns:
        One list per row of ``(class_id, class_name, score)``, best first.

    Raises:
        ValueError: without ``class_names``, for predictions that are not
            2-D, or when the number of names differs from the classes.

    Example:

    >>> decode_predictions(np.array([[0.1, 0.9]]), top=1, class_names=["cat", "dog"])
    [[('1', 'dog', 0.9)]]
    """
    preds = np.asarray(preds)
    if class_names is None:
        raise ValueError(
            "decode_predictions needs the class names: kgraph downloads nothing. "
            "Pass class_names= a path to imagenet_class_index.json, a text file "
            "with one name per line, or a list of names. Received: class_names=None"
        )
    table = _class_table(class_names)
    if preds.ndim != 2 or preds.shape[1] != len(table):
        raise ValueError(
            "decode_predictions expects predictions of shape (samples, "
            f"{len(table)}) for {len(table)} class names. Received: shape={preds.shape}"
        )
    decoded = []
    for row in preds:
        best = np.argsort(row)[::-1][:top]
        decoded.append([(*table[i], float(row[i])) for i in best])
    return decoded


def _class_table(class_names: Any) -> list[tuple[str, str]]:
    if isinstance(class_names, (str, Path)):
        path = Path(class_names)
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            index = json.loads(text)
            return [tuple(index[str(i)]) for i in range(len(index))]  # type: ignore[misc]
        class_names = [line.strip() for line in text.splitlines() if line.strip()]
    table = []
    for i, entry in enumerate(class_names):
        if isinstance(entry, (tuple, list)):
            table.append((str(entry[0]), str(entry[1])))
        else:
            table.append((str(i), str(entry)))
    return table

"""``save_model``, ``load_model``, ``save_weights`` and ``load_weights``:
the file formats chosen by name (saving) or by content (loading).

Whole models: ``.kgraph`` (kgraph's own, no extra dependency) and
``.keras`` (Keras 3's; needs h5py). Weights: ``.weights.npz`` (no extra
dependency) and ``.weights.h5`` (Keras 3's layout; needs h5py).
"""

from __future__ import annotations

import contextlib
import lzma
import os
import struct
import tokenize
import zipfile
import zlib
from collections.abc import Iterator
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kgraph import errors
from kgraph.saving import h5_weights
from kgraph.saving import keras_file
from kgraph.saving import model_file
from kgraph.saving import weights_file
from kgraph.saving.model_file import names_layers

_LEGACY_H5 = (".h5", ".hdf5")


def save_model(
    model: Any,
    filepath: str | os.PathLike[str],
    overwrite: bool = True,
    zipped: bool | None = None,
    **kwargs: Any,
) -> None:
    """Saves a whole model: architecture, weights, compile arguments and
    optimizer state, in one file written atomically.

    Args:
        model: the model.
        filepath: ends in ``.kgraph`` (kgraph's format) or ``.keras``
            (Keras 3's, readable by Keras; needs h5py).
        overwrite: replace an existing file.
        zipped: accepted for Keras compatibility; files are always zipped.
        **kwargs: accepted for Keras compatibility.

    Raises:
        ValueError: for another extension, or a model whose config cannot
            be stored (e.g. ops used between layers).
        FileExistsError: when the file exists and ``overwrite`` is false.
    """
    name = str(os.fspath(filepath))
    if zipped is False:
        raise ValueError(
            "kgraph always saves models as one zip file. Received: zipped=False"
        )
    if name.endswith(model_file.SUFFIX):
        model_file.save_model(model, name, overwrite)
    elif name.endswith(keras_file.SUFFIX):
        keras_file.save_model(model, name, overwrite)
    elif name.endswith(_LEGACY_H5):
        raise ValueError(
            "The legacy HDF5 full-model format (`.h5`) is not supported: save the "
            "model to a `.kgraph` (kgraph's format) or `.keras` file, or its "
            f"weights with save_weights('....weights.h5'). Received: filepath={name}"
        )
    else:
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.kgraph` "
            "or a `.keras` extension for the saved model. "
            f"Received: filepath={name}"
        )


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Loads a model saved by ``model.save`` (``.kgraph``) or by Keras
    (``.keras``).

    Args:
        filepath: the file; its content, not its name, tells the format.
        custom_objects: custom layers, functions, losses and metrics by
            (class) name.
        compile: compile the model as it was (and restore the optimizer
            state); with ``False`` the model only predicts until compiled.
        safe_mode: refuse to load Lambda layers' bytecode (as Keras).

    Returns:
        The model, predicting as the saved one did and, compiled, able to
        resume training where it stopped.

    Raises:
        ValueError: for a missing, truncated or unknown file, a newer format
            version, or a layer kgraph does not have.
        ImportError: for a ``.keras`` file when h5py is missing.

    Example:

    ```python
    model.save("model.kgraph")
    model = kg.models.load_model("model.kgraph")
    ```
    """
    path = Path(os.fspath(filepath))
    if not path.is_file():
        raise ValueError(
            f"File not found: filepath={path}. Please ensure the file is an "
            "accessible `.kgraph` or `.keras` zip file."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            is_kgraph = model_file.is_model_file(archive)
            is_keras = keras_file.is_keras_file(archive)
    except _READ_ERRORS:
        is_kgraph = is_keras = False
        if path.name.endswith(_LEGACY_H5):
            raise ValueError(
                "Legacy HDF5 (`.h5`) model files are not supported; kgraph loads "
                f"`.kgraph` and Keras 3 `.keras` files. Received: filepath={path}"
            ) from None
    if is_kgraph:
        with reading(path):
            return model_file.load_model(path, custom_objects, compile, safe_mode)
    if is_keras:
        with reading(path):
            return keras_file.load_model(path, custom_objects, compile, safe_mode)
    raise errors.FileFormatError(
        f"{path} is not a kgraph (`.kgraph`) or Keras (`.keras`) model file, or it "
        "is truncated: it is not a zip archive holding a model config. "
        f"Received: filepath={path}"
    )


def save_weights(
    model: Any,
    filepath: str | os.PathLike[str],
    overwrite: bool = True,
    max_shard_size: Any = None,
    **kwargs: Any,
) -> None:
    """Saves the model's weights (and, for ``.weights.h5``, the optimizer
    state, as Keras) atomically.

    Args:
        model: the model.
        filepath: ``*.weights.h5`` or ``*.weights.npz``.
        overwrite: replace an existing file.
        max_shard_size: Keras's sharding of large files; kgraph writes one
            file, so only ``None``.
        **kwargs: none are recognized.

    Raises:
        ValueError: for a name not ending in ``.weights.h5`` or
            ``.weights.npz``, a ``max_shard_size``, or unknown arguments.
        ImportError: for ``.weights.h5`` when h5py is missing.
    """
    if max_shard_size is not None:
        raise ValueError(
            "kgraph writes weights to one file: sharding is not supported. "
            f"Received: max_shard_size={max_shard_size!r}"
        )
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}. Received: {kwargs}")
    name = str(os.fspath(filepath))
    if name.endswith(h5_weights.SUFFIX):
        h5_weights.save_weights(model, name, overwrite)
    elif name.endswith(weights_file.SUFFIX):
        weights_file.save(model, name, overwrite)
    else:
        raise ValueError(_weights_name_error(name))


def load_weights(
    model: Any,
    filepath: str | os.PathLike[str],
    skip_mismatch: bool = False,
    **kwargs: Any,
) -> None:
    """Loads weights saved by ``save_weights`` (kgraph's or Keras's), or the
    weights of a ``.kgraph`` or ``.keras`` model file; the model is unchanged
    unless every weight fits.

    Args:
        model: the model.
        filepath: the file.
        skip_mismatch: leave out, with a warning, what does not fit: the
            layers whose arrays differ in count or shape (``.weights.h5``,
            ``.keras``), the weights of another shape (``.weights.npz``,
            ``.kgraph``), as Keras does.
        **kwargs: none are recognized (Keras's are for its legacy files).

    Raises:
        ValueError: for an unknown name, a bad file, weights that do not
            fit the model, or unknown arguments.
        ImportError: for Keras's HDF5 files when h5py is missing.
    """
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}. Received: {kwargs}")
    name = str(os.fspath(filepath))
    with reading(name):
        if name.endswith(h5_weights.SUFFIX):
            h5_weights.load_weights(model, name, skip_mismatch)
        elif name.endswith(weights_file.SUFFIX):
            weights_file.load(model, name, skip_mismatch)
        elif name.endswith(model_file.SUFFIX):
            contents = model_file.read(name)
            model_file.assign(
                model.weights,
                contents.arrays["weights"],
                name,
                names_layers(model),
                skip_mismatch,
            )
        elif name.endswith(keras_file.SUFFIX):
            keras_file.load_weights(model, name, skip_mismatch)
        else:
            raise ValueError(_weights_name_error(name))


# What reading a malformed file can raise, from the zip, JSON, NumPy, h5py
# and config layers; loading turns each into one FileFormatError. (NumPy's
# header parser raises the tokenizer's errors, a zip entry may claim LZMA,
# and h5py reports a damaged HDF5 structure as a RuntimeError.)
_READ_ERRORS = (
    RuntimeError,
    SyntaxError,
    tokenize.TokenError,
    lzma.LZMAError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    LookupError,
    RecursionError,
    MemoryError,
    OverflowError,
    NotImplementedError,
    UnicodeError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
)


@contextlib.contextmanager
def reading(path: Any) -> Iterator[None]:
    """Turns any failure to load ``path`` into a ``FileFormatError`` (a
    ``ValueError``) naming the file, with the reason's message: corrupt or
    malformed contents, and weights that do not fit the model alike. A
    missing optional dependency stays an ``ImportError``.

    Raises:
        FileFormatError: for a truncated, corrupt or malformed file.
    """
    try:
        yield
    except (errors.FileFormatError, ImportError, FileExistsError):
        raise
    except RecursionError:
        raise errors.FileFormatError(
            f"Cannot load {path}: its JSON is nested too deeply. "
            f"Received: filepath={path}"
        ) from None
    except MemoryError:
        raise errors.FileFormatError(
            f"Cannot load {path}: it declares more data than fits in memory. "
            f"Received: filepath={path}"
        ) from None
    except _READ_ERRORS as error:
        if isinstance(error, ValueError) and str(path) in str(error):
            raise errors.FileFormatError(str(error)) from None
        raise errors.FileFormatError(
            f"Cannot load {path}: {error} ({type(error).__name__}). "
            f"Received: filepath={path}"
        ) from None


def _weights_name_error(name: str) -> str:
    return (
        "The filename must end in `.weights.h5` (Keras's HDF5 layout; needs h5py) "
        "or `.weights.npz` (no dependency); `load_weights` also reads `.kgraph` "
        f"and `.keras` files. Received: filepath={name}"
    )

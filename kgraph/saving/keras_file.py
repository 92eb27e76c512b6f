"""``.keras`` files: Keras 3's zip of ``metadata.json``, ``config.json``
and ``model.weights.h5``, read and written for the layers kgraph has.

Reading translates each Keras layer config (``keras_compat``); a layer
kgraph lacks raises naming it. The weights need h5py (an optional
dependency).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kgraph.config import VERSION
from kgraph.saving import atomic
from kgraph.saving import compile_config
from kgraph.saving import h5_weights
from kgraph.saving import keras_compat
from kgraph.saving import model_codec

SUFFIX = ".keras"
WEIGHTS_ENTRY = "model.weights.h5"


def save_model(
    model: Any, filepath: str | os.PathLike[str], overwrite: bool = True
) -> None:
    """Writes a Keras 3 ``.keras`` file, atomically.

    Raises:
        ImportError: when h5py is missing.
        ValueError: for a model whose config cannot be stored.
        FileExistsError: when the file exists and ``overwrite`` is false.
    """
    path = Path(filepath)
    atomic.check_overwrite(path, overwrite)
    # The architecture first: what a .keras file cannot hold is named even
    # without h5py.
    config = keras_compat.to_keras_model(model_codec.serialize_model(model))
    h5py = require()
    compiled = compile_config.compile_config(model, with_backend=False)
    config["compile_config"] = keras_compat.to_keras_objects(compiled)
    metadata = {
        "keras_version": "3.0.0",
        "kgraph_version": VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5file:
        h5_weights.write(model, h5file)
    with (
        atomic.atomic_path(path) as temporary,
        zipfile.ZipFile(temporary, "w") as archive,
    ):
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr(WEIGHTS_ENTRY, buffer.getvalue())


def require() -> Any:
    """h5py, or an ImportError naming ``pip install h5py``."""
    return h5_weights.require_h5py()


def is_keras_file(archive: zipfile.ZipFile) -> bool:
    """Whether an open zip archive looks like a ``.keras`` file."""
    return "config.json" in archive.namelist()


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Rebuilds a model from a ``.keras`` file.

    As Keras does, a compile config that cannot be restored (a loss or
    metric kgraph lacks) only warns: the model is returned uncompiled.

    Raises:
        ImportError: when h5py is missing.
        ValueError: for a layer kgraph lacks, a Keras option it does not
            support, or a truncated or mismatching file.
    """
    try:
        with zipfile.ZipFile(filepath) as archive:
            config = json.loads(archive.read("config.json"))
            names = archive.namelist()
            weights = archive.read(WEIGHTS_ENTRY) if WEIGHTS_ENTRY in names else None
    except (zipfile.BadZipFile, EOFError, OSError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Cannot read the Keras file {filepath}: it is truncated or corrupt "
            f"({type(error).__name__}: {error}). Received: filepath={filepath}"
        ) from None
    if weights is None:
        raise ValueError(
            f"{filepath} is not a complete Keras model file: it holds no "
            f"weights ({WEIGHTS_ENTRY}). Received: entries {sorted(names)[:8]}"
        )
    # The architecture first: a layer kgraph lacks is named even without h5py.
    model = model_codec.deserialize_model(config, custom_objects, safe_mode)
    h5py = require() if weights is not None else None
    compiled = config.get("compile_config")
    if compile and compiled:
        _compile(model, compiled, custom_objects, str(filepath))
    if weights is not None:
        try:
            h5file = h5py.File(io.BytesIO(weights), "r")
        except OSError as error:
            raise ValueError(
                f"Cannot read the weights in {filepath}: {error}. "
                f"Received: filepath={filepath}"
            ) from None
        with h5file:
            pairs = h5_weights.read(model, h5file, f"{filepath} ({WEIGHTS_ENTRY})")
            pairs += h5_weights.read_optimizer(model, h5file, str(filepath))
        h5_weights.apply(model, pairs)
    return model


def _compile(
    model: Any, config: Mapping[str, Any], custom_objects: Any, where: str
) -> None:
    try:
        compile_config.compile_from_config(model, config, custom_objects)
    except (ValueError, TypeError) as error:
        warnings.warn(
            f"{where}: the model is returned uncompiled, because its compile config "
            f"could not be restored: {error}",
            stacklevel=3,
        )
        model.compiled = False
        model.optimizer = None


def load_weights(
    model: Any, filepath: str | os.PathLike[str], skip_mismatch: bool = False
) -> None:
    """Loads the weights of a ``.keras`` file into ``model`` (as Keras's
    ``load_weights`` accepts ``.keras`` files); with ``skip_mismatch`` the
    layers whose arrays do not fit are left out, with a warning.

    Raises:
        ImportError: when h5py is missing.
        ValueError: for a bad file or weights that do not fit.
    """
    h5py = require()
    try:
        with zipfile.ZipFile(filepath) as archive:
            weights = archive.read(WEIGHTS_ENTRY)
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        raise ValueError(
            f"Cannot read the weights in {filepath}: {error}. Received: "
            f"filepath={filepath}"
        ) from None
    with h5py.File(io.BytesIO(weights), "r") as h5file:
        pairs = h5_weights.read(model, h5file, str(filepath), skip_mismatch)
        pairs += h5_weights.read_optimizer(model, h5file, str(filepath))
    h5_weights.apply(model, pairs)

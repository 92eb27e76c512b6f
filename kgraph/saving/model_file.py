"""``.kgraph`` files: a whole model in one zip archive.

Entries:

- ``metadata.json``: ``{"format": "kgraph.model", "format_version": 1,
  "kgraph_version", "date_saved"}``;
- ``config.json``: the architecture in Keras 3's layout (``kgraph.models.config``)
  with ``compile_config`` (optimizer, loss, loss weights, metrics, backend);
- ``variables.json``: the path, shape and dtype of every stored array;
- ``weights/NNNNN.npy``: the model's weights, in Keras's order;
- ``optimizer/NNNNN.npy``: the optimizer's variables (the step counter,
  then the slots), so training resumes where it stopped.

Saving writes a temporary file next to the target and renames it; loading
reads and checks everything before it builds the model.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kgraph.config import VERSION
from kgraph.saving import atomic
from kgraph.saving import compile_config
from kgraph.saving import model_codec

SUFFIX = ".kgraph"
FORMAT = "kgraph.model"
FORMAT_VERSION = 1
GROUPS = ("weights", "optimizer")


@dataclass
class Contents:
    """What a model file holds, read and checked."""

    config: dict[str, Any]
    arrays: dict[str, list[tuple[str, np.ndarray]]]  # group -> [(path, array)]


# -- saving ------------------------------------------------------------------------


def save_model(
    model: Any, filepath: str | os.PathLike[str], overwrite: bool = True
) -> None:
    """Writes ``model`` to a ``.kgraph`` file, atomically.

    Raises:
        ValueError: for a model whose config cannot be stored.
        FileExistsError: when the file exists and ``overwrite`` is false.
    """

    path = Path(filepath)
    atomic.check_overwrite(path, overwrite)
    config = model_codec.serialize_model(model)
    config["compile_config"] = compile_config.compile_config(model)
    arrays = {
        "weights": [(v.path, v.value) for v in model.weights],
        "optimizer": _optimizer_arrays(model),
    }
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kgraph_version": VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    with (
        atomic.atomic_path(path) as temporary,
        zipfile.ZipFile(temporary, "w") as archive,
    ):
        _write_json(archive, "metadata.json", metadata)
        _write_json(archive, "config.json", config)
        _write_json(archive, "variables.json", _index(arrays))
        for group, entries in arrays.items():
            for index, (_, array) in enumerate(entries):
                _write_array(archive, f"{group}/{index:05d}.npy", array)


def _optimizer_arrays(model: Any) -> list[tuple[str, np.ndarray]]:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "compiled", False):
        return []
    return [(v.path, v.value) for v in optimizer.variables]


def _index(arrays: Mapping[str, list[tuple[str, np.ndarray]]]) -> dict[str, Any]:
    return {
        group: [
            {"path": path, "shape": list(array.shape), "dtype": array.dtype.name}
            for path, array in entries
        ]
        for group, entries in arrays.items()
    }


def _write_json(archive: zipfile.ZipFile, name: str, data: Any) -> None:
    text = json.dumps(data, indent=1, allow_nan=True)
    archive.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)


def _write_array(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with archive.open(name, "w") as stream:
        np.lib.format.write_array(
            stream, np.array(array, order="C"), allow_pickle=False
        )


# -- loading -----------------------------------------------------------------------


def is_model_file(archive: zipfile.ZipFile) -> bool:
    """Whether an open zip archive is a kgraph model file."""
    return (
        "metadata.json" in archive.namelist() and "variables.json" in archive.namelist()
    )


def read(filepath: str | os.PathLike[str]) -> Contents:
    """Reads and checks a ``.kgraph`` file.

    Raises:
        ValueError: for a missing, truncated or corrupt file, a file that is
            not a kgraph model, or one from a newer format version.
    """
    try:
        with zipfile.ZipFile(filepath) as archive:
            return _read_archive(archive, str(filepath))
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        KeyError,
        json.JSONDecodeError,
    ) as error:
        raise ValueError(
            f"Cannot read the kgraph model file {filepath}: it is truncated or "
            f"corrupt ({type(error).__name__}: {error}). Received: "
            f"filepath={filepath}"
        ) from None


def _read_archive(archive: zipfile.ZipFile, filepath: str) -> Contents:
    if not is_model_file(archive):
        raise ValueError(
            f"{filepath} is not a kgraph model file (no metadata.json and "
            f"variables.json). Received: entries {sorted(archive.namelist())[:8]}"
        )
    metadata = json.loads(archive.read("metadata.json"))
    check_metadata(metadata, filepath)
    config = json.loads(archive.read("config.json"))
    index = json.loads(archive.read("variables.json"))
    arrays: dict[str, list[tuple[str, np.ndarray]]] = {}
    for group in GROUPS:
        arrays[group] = []
        for position, spec in enumerate(index.get(group, [])):
            name = f"{group}/{position:05d}.npy"
            array = _read_array(archive, name)
            if list(array.shape) != list(spec["shape"]):
                raise ValueError(
                    f"{filepath} is corrupt: {name} ({spec['path']}) has shape "
                    f"{array.shape}, its index says {tuple(spec['shape'])}. "
                    f"Received: shape {array.shape}"
                )
            arrays[group].append((spec["path"], array))
    return Contents(config, arrays)


def check_metadata(metadata: Any, filepath: str) -> None:
    """Raises ``ValueError`` unless the metadata is a kgraph model's of a
    format version this kgraph reads."""
    if not isinstance(metadata, Mapping) or metadata.get("format") != FORMAT:
        raise ValueError(
            f"{filepath} is not a kgraph model file. Received: metadata={metadata!r}"
        )
    version = metadata.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{filepath} was written by a newer kgraph "
            f"({metadata.get('kgraph_version')}, format version {version}); this "
            f"kgraph reads format versions up to {FORMAT_VERSION}. Upgrade kgraph "
            f"to load it. Received: format_version={version!r}"
        )


def _read_array(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    data = archive.read(name)
    try:
        return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        raise zipfile.BadZipFile(f"{name}: {error}") from None


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Rebuilds the model saved in a ``.kgraph`` file: architecture,
    weights and, with ``compile=True``, its compile arguments and optimizer
    state.

    Raises:
        ValueError: for a bad file, a layer kgraph lacks, or weights that do
            not fit the architecture.
    """
    contents = read(filepath)
    config = contents.config
    model = model_codec.deserialize_model(config, custom_objects, safe_mode)
    assign(
        model.weights,
        contents.arrays["weights"],
        f"{filepath} (weights)",
        exact=names_layers(model),
    )
    compiled = config.get("compile_config")
    if compile and compiled:
        compile_config.compile_from_config(model, compiled, custom_objects)
        optimizer_arrays = contents.arrays["optimizer"]
        if optimizer_arrays:
            assign(
                model.optimizer.variables,
                optimizer_arrays,
                f"{filepath} (optimizer)",
                exact=names_layers(model),
            )
    return model


def names_layers(model: Any) -> bool:
    """Whether a model's config names its layers (functional and Sequential
    models), so its variables' paths are known before it is built; a
    subclassed model names them as its constructor runs."""
    try:
        return "layers" in model.get_config()
    except ValueError:  # a functional model with ops no config can hold
        return True


def assign(
    variables: list[Any],
    arrays: list[tuple[str, np.ndarray]],
    where: str,
    exact: bool = True,
) -> None:
    """Checks every (path, array) against the variables, then assigns.

    A variable matches its array by position, shape and path; with
    ``exact=False`` only the variable's own name (the last part of the
    path) must match: a subclassed model's layers are named when it is
    constructed, so they may be numbered differently in the loading
    session (``dense_3/kernel``).

    Raises:
        ValueError: when the count, a path or a shape differs.
    """
    if len(variables) != len(arrays):
        raise ValueError(
            f"{where} holds {len(arrays)} arrays but the model has "
            f"{len(variables)} variables. Received: {len(arrays)} arrays"
        )
    for variable, (path, array) in zip(variables, arrays, strict=True):
        ours, theirs = variable.path, path
        if not exact:
            ours, theirs = ours.rsplit("/", 1)[-1], theirs.rsplit("/", 1)[-1]
        if ours != theirs or tuple(array.shape) != tuple(variable.shape):
            raise ValueError(
                f"{where}: variable '{variable.path}' of shape {variable.shape} "
                f"does not match the stored '{path}' of shape {array.shape}. "
                f"Received: '{path}' {array.shape}"
            )
    for variable, (_, array) in zip(variables, arrays, strict=True):
        variable.assign(array)

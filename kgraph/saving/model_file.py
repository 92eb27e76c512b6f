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
import warnings
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
    """Whether an open zip archive is a kgraph model file (its
    ``variables.json`` says so; Keras files have none)."""
    return "variables.json" in archive.namelist()


# The largest JSON entry read (a config of thousands of layers is a few MB).
MAX_JSON_BYTES = 64 << 20
# Room for a .npy header besides the data.
_NPY_HEADER_BYTES = 65536


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
    names = set(archive.namelist())
    for required in ("metadata.json", "config.json", "variables.json"):
        if required not in names:
            raise ValueError(
                f"{filepath} is not a complete kgraph model file: the entry "
                f"{required} is missing. Received: entries {sorted(names)[:8]}"
            )
        if required == "metadata.json":
            check_metadata(_read_json(archive, required, filepath), filepath)
    config = _read_json(archive, "config.json", filepath)
    if not isinstance(config, Mapping):
        raise ValueError(
            f"{filepath}: config.json holds no model config. Received: "
            f"{type(config).__name__}"
        )
    index = _read_json(archive, "variables.json", filepath)
    arrays: dict[str, list[tuple[str, np.ndarray]]] = {}
    for group in GROUPS:
        arrays[group] = []
        for position, spec in enumerate(_specs(index, group, filepath)):
            name = f"{group}/{position:05d}.npy"
            array = _read_array(archive, name, spec, filepath)
            arrays[group].append((spec["path"], array))
    return Contents(dict(config), arrays)


def _read_json(archive: zipfile.ZipFile, name: str, filepath: str) -> Any:
    """A JSON entry, refused before reading when larger than the limit."""
    size = archive.getinfo(name).file_size
    if size > MAX_JSON_BYTES:
        raise ValueError(
            f"{filepath}: {name} declares {size} bytes, more than the "
            f"{MAX_JSON_BYTES} a model file's JSON may hold. Received: {size} bytes"
        )
    return json.loads(archive.read(name))


def _specs(index: Any, group: str, filepath: str) -> list[dict[str, Any]]:
    """The checked entries of one group of ``variables.json``."""
    if not isinstance(index, Mapping):
        raise ValueError(f"{filepath}: variables.json is not an object.")
    specs = index.get(group, [])
    if not isinstance(specs, list):
        raise ValueError(f"{filepath}: variables.json's {group!r} is not a list.")
    for spec in specs:
        shape = spec.get("shape") if isinstance(spec, Mapping) else None
        good = (
            isinstance(spec, Mapping)
            and isinstance(spec.get("path"), str)
            and isinstance(shape, list)
            and all(isinstance(d, int) and d >= 0 for d in shape)
            and spec.get("dtype") in ("bool", "int32", "int64", "float32", "float64")
        )
        if not good:
            raise ValueError(
                f"{filepath}: an entry of variables.json's {group!r} is not a "
                f"path, shape and dtype. Received: {spec!r}"[:400]
            )
    return specs


def _read_array(
    archive: zipfile.ZipFile, name: str, spec: Mapping[str, Any], filepath: str
) -> np.ndarray:
    """One stored array, its size checked against the index before any
    data is read (a forged header cannot make kgraph allocate)."""
    if name not in archive.namelist():
        raise ValueError(f"{filepath}: the entry {name} ({spec['path']}) is missing.")
    expected = (
        int(np.prod(spec["shape"], dtype=np.int64)) * np.dtype(spec["dtype"]).itemsize
    )
    size = archive.getinfo(name).file_size
    if size < expected:
        raise ValueError(
            f"{filepath}: {name} ({spec['path']}) is truncated: {size} bytes for "
            f"{tuple(spec['shape'])} {spec['dtype']}. Received: {size} bytes"
        )
    if size > expected + _NPY_HEADER_BYTES:
        raise ValueError(
            f"{filepath}: {name} ({spec['path']}) declares {size} bytes; its "
            f"index says {tuple(spec['shape'])} {spec['dtype']}. Received: "
            f"{size} bytes"
        )
    with archive.open(name) as stream:
        version = np.lib.format.read_magic(stream)
        readers = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }
        if version not in readers:
            raise ValueError(f"{filepath}: {name} is an .npy of version {version}.")
        shape, _, dtype = readers[version](stream)
        if list(shape) != list(spec["shape"]) or dtype != np.dtype(spec["dtype"]):
            raise ValueError(
                f"{filepath} is corrupt: {name} ({spec['path']}) holds {shape} "
                f"{dtype}, its index says {tuple(spec['shape'])} {spec['dtype']}. "
                f"Received: shape {shape}"
            )
    data = archive.read(name)
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


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
    skip_mismatch: bool = False,
) -> None:
    """Checks every (path, array) against the variables, then assigns
    (with ``skip_mismatch``, an array of another shape is left out, with a
    warning).

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
    kept = []
    for variable, (path, array) in zip(variables, arrays, strict=True):
        ours, theirs = variable.path, path
        if not exact:
            ours, theirs = ours.rsplit("/", 1)[-1], theirs.rsplit("/", 1)[-1]
        mismatch = tuple(array.shape) != tuple(variable.shape)
        if ours == theirs and mismatch and skip_mismatch:
            warnings.warn(
                f"{where}: skipping variable '{variable.path}' (skip_mismatch=True): "
                f"shape {variable.shape} in the model, {array.shape} stored",
                stacklevel=3,
            )
            continue
        kept.append((variable, array))
        if ours != theirs or mismatch:
            raise ValueError(
                f"{where}: variable '{variable.path}' of shape {variable.shape} "
                f"does not match the stored '{path}' of shape {array.shape}. "
                f"Received: '{path}' {array.shape}"
            )
    for variable, array in kept:
        variable.assign(array)

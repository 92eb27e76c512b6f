"""``.weights.npz``: every weight of a model in one dependency-free file.

Entries are named by position and path (``0000:dense/kernel``) so Keras's
order is kept; writing goes to a temporary file that is then renamed, so an
interrupted save never destroys the previous file.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from kgraph.saving import atomic

SUFFIX = ".weights.npz"


def _check_name(filepath: str) -> Path:
    path = Path(filepath)
    if not path.name.endswith(SUFFIX):
        raise ValueError(
            f"The filename must end in `{SUFFIX}`. Received: filepath={filepath}"
        )
    return path


def save(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Writes the model's weights to ``filepath`` atomically.

    Raises:
        ValueError: for a wrong suffix.
        FileExistsError: when the file exists and ``overwrite`` is false.
    """
    path = _check_name(filepath)
    atomic.check_overwrite(path, overwrite)
    arrays = {f"{i:04d}:{v.path}": v.numpy() for i, v in enumerate(model.weights)}
    with atomic.atomic_path(path) as temporary, open(temporary, "wb") as stream:
        np.savez(stream, **arrays)


def load(model: Any, filepath: str, skip_mismatch: bool = False) -> None:
    """Reads weights written by ``save`` into the model.

    Every array is checked before any weight changes, so a bad file leaves
    the model as it was; with ``skip_mismatch`` a weight of another shape
    is left as it is, with a warning.

    Raises:
        ValueError: for a missing, corrupt or mismatching file.
    """
    path = _check_name(filepath)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = [archive[name] for name in sorted(archive.files)]
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"Cannot read weights from {filepath}: {error}") from None
    own = model.weights
    if len(arrays) != len(own):
        raise ValueError(
            f"{filepath} holds {len(arrays)} weights but model '{model.name}' has "
            f"{len(own)}. Received: {len(arrays)} arrays"
        )
    kept = []
    for variable, array in zip(own, arrays, strict=True):
        if array.shape != variable.shape and skip_mismatch:
            warnings.warn(
                f"Skipping weight '{variable.path}' (skip_mismatch=True): shape "
                f"{variable.shape} in the model, {array.shape} in {filepath}",
                stacklevel=3,
            )
            continue
        kept.append((variable, array))
        if array.shape != variable.shape:
            raise ValueError(
                f"Weight '{variable.path}' has shape {variable.shape} but the file "
                f"holds shape {array.shape}. Received: shape {array.shape}"
            )
    for variable, array in kept:
        variable.assign(array)

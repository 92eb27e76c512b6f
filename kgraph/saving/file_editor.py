"""``KerasFileEditor``: inspect the weights of a ``.keras`` or
``.weights.h5`` file, compare them with a model, edit them and save them
again as ``.weights.h5`` (Keras's ``keras.saving.KerasFileEditor``; needs
h5py, as every HDF5 file does)."""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

from kgraph.saving import h5_weights
from kgraph.saving.atomic import atomic_path

# The most bytes one array of an opened file may declare (as Keras).
_MAX_BYTES = 1 << 32


class KerasFileEditor:
    """Inspects and edits the weights of a Keras weights or model file.

    The weights are read into ``weights_dict``: nested dicts following the
    file's groups (``{"layers": {"dense": {"0": kernel, "1": bias}}}``,
    ``vars`` groups left out), NumPy arrays at the leaves. Objects are named
    by their key (``"dense"``) when it is unique, else by their path
    (``"layers/dense"``).

    Args:
        filepath: a ``.keras`` or ``.weights.h5`` file.

    Raises:
        ValueError: for another extension, or an HDF5 file with links or
            arrays kgraph refuses to read.
        ImportError: without h5py.

    Example:

    >>> editor = KerasFileEditor("model.keras")  # doctest: +SKIP
    >>> editor.delete_object("dense_2")  # doctest: +SKIP
    >>> editor.save("edited.weights.h5")  # doctest: +SKIP
    """

    def __init__(self, filepath: str | os.PathLike[str]) -> None:
        h5py = h5_weights.require_h5py()
        self.filepath = os.fspath(filepath)
        self.config: Any = None
        self.metadata: Any = None
        if self.filepath.endswith(".keras"):
            with zipfile.ZipFile(self.filepath) as archive:
                self.config = json.loads(archive.read("config.json"))
                self.metadata = json.loads(archive.read("metadata.json"))
                data = io.BytesIO(archive.read("model.weights.h5"))
            with h5py.File(data, "r") as h5file:
                self.weights_dict, self.object_metadata = _extract(h5py, h5file)
        elif self.filepath.endswith(".weights.h5"):
            with h5py.File(self.filepath, "r") as h5file:
                self.weights_dict, self.object_metadata = _extract(h5py, h5file)
        else:
            raise ValueError(
                "Invalid filename: expected a `.keras` `.weights.h5` extension. "
                f"Received: filepath={self.filepath}"
            )

    # -- inspection ------------------------------------------------------------------

    def summary(self) -> None:
        """Prints the file's weights: every object and the shape and dtype
        of each of its arrays."""
        print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            print(
                f"Saved with Keras {self.metadata.get('keras_version')} - date: "
                f"{self.metadata.get('date_saved')}"
            )
        print("Weights structure")
        for line in _tree_lines(self.weights_dict, self.object_metadata, "  ", ""):
            print(line)

    def compare(self, reference_model: Any) -> dict[str, Any]:
        """Compares the file's weights with a model's, printing every
        mismatch (missing or extra objects and arrays, other shapes).

        Args:
            reference_model: the model whose weights the file should hold.

        Returns:
            ``{"status": "success" | "error", "error_count", "match_count"}``.
        """
        h5py = h5_weights.require_h5py()
        with h5py.File(io.BytesIO(), "w") as h5file:
            h5_weights.write(reference_model, h5file)
            reference, _ = _extract(h5py, h5file)
        errors, matches = _compare(self.weights_dict, reference, "")
        for message in errors:
            print(message)
        status = "error" if errors else "success"
        print(
            f"Comparison: {status}: {len(matches)} matching weights, "
            f"{len(errors)} mismatches"
        )
        return {
            "status": status,
            "error_count": len(errors),
            "match_count": len(matches),
        }

    # -- editing ---------------------------------------------------------------

    def rename_object(self, object_name: str, new_name: str) -> None:
        """Renames an object (``"dense_2"`` or ``"layers/dense_2"``).

        Raises:
            ValueError: for an object that is missing or ambiguous, or a
                ``new_name`` that is a path.
        """

        def rename(owner: dict[str, Any], key: str) -> None:
            owner[new_name] = owner.pop(key)

        self._edit(rename, object_name, new_name)

    def delete_object(self, object_name: str) -> None:
        """Removes an object and its weights.

        Raises:
            ValueError: for an object that is missing or ambiguous.
        """
        self._edit(lambda owner, key: owner.pop(key), object_name)

    def add_object(self, object_path: str, weights: dict[str, Any]) -> None:
        """Adds an object with its weights at ``object_path``.

        Args:
            object_path: e.g. ``"layers/dense_3"``.
            weights: arrays by weight name (``{"0": kernel, "1": bias}``).

        Raises:
            ValueError: when ``weights`` is not a dict or the path's parent
                is missing.
        """
        _check_weights(weights)
        *parents, leaf = object_path.split("/")
        owner = self.weights_dict
        for part in parents:
            if part not in owner:
                raise ValueError(
                    f"Path '{'/'.join(parents)}' not found in model. "
                    f"Received: object_path={object_path!r}"
                )
            owner = owner[part]
        owner[leaf] = {k: np.asarray(v) for k, v in weights.items()}

    def delete_weight(self, object_name: str, weight_name: str) -> None:
        """Removes one weight (``"0"``, ``"1"``...) of an object.

        Raises:
            ValueError: for a missing object or weight.
        """

        def delete(owner: dict[str, Any], key: str) -> None:
            if weight_name not in owner[key]:
                raise ValueError(
                    f"Weight {weight_name} not found in object {object_name}. "
                    f"Weights found: {list(owner[key])}. Received: "
                    f"weight_name={weight_name!r}"
                )
            owner[key].pop(weight_name)

        self._edit(delete, object_name)

    def add_weights(self, object_name: str, weights: dict[str, Any]) -> None:
        """Adds (or replaces) weights of an existing object.

        Raises:
            ValueError: when ``weights`` is not a dict, or for a missing
                object.
        """
        _check_weights(weights)
        self._edit(
            lambda owner, key: owner[key].update(
                {k: np.asarray(v) for k, v in weights.items()}
            ),
            object_name,
        )

    def _edit(
        self,
        edit: Callable[[dict[str, Any], str], Any],
        name: str,
        target: str | None = None,
    ) -> None:
        if target is not None and "/" in target:
            raise ValueError(
                "Argument `target_name` should be a leaf name, not a full path "
                f"name. Received: target_name='{target}'"
            )
        if "/" in name:
            *parents, leaf = name.split("/")
            owner = self.weights_dict
            for part in parents:
                owner = owner.get(part) if isinstance(owner, dict) else None
                if owner is None:
                    break
            if not isinstance(owner, dict) or leaf not in owner:
                raise ValueError(
                    f"Path '{name}' not found in model. Received: {name!r}"
                )
            edit(owner, leaf)
            return
        owners = list(_owners_of(self.weights_dict, name))
        if len(owners) > 1:
            raise ValueError(
                f"Name '{name}' occurs more than once in the model; try passing a "
                f"complete path. Received: {name!r}"
            )
        if not owners:
            raise ValueError(
                f"Source name '{name}' does not appear in the model. Use "
                f"`editor.summary()` to list all objects. Received: {name!r}"
            )
        edit(owners[0], name)

    # -- saving ---------------------------------------------------------------------

    def save(self, filepath: str | os.PathLike[str]) -> None:
        """Writes the (edited) weights to a ``.weights.h5`` file, in Keras's
        layout (each object's arrays in its ``vars`` group), atomically.

        Raises:
            ValueError: for another extension.
        """
        filepath = os.fspath(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "Invalid `filepath` argument: expected a `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )
        h5py = h5_weights.require_h5py()
        with atomic_path(filepath) as path, h5py.File(path, "w") as h5file:
            _write(h5file, self.weights_dict, "")

    def resave_weights(self, filepath: str | os.PathLike[str]) -> None:
        """The same as ``save``."""
        self.save(filepath)


def _extract(h5py: Any, group: Any, inner: str = "") -> tuple[dict, dict]:
    """The arrays of an HDF5 group as nested dicts, a ``vars`` group's
    arrays at the level of the group holding it, empty groups left out;
    and each group's attributes by path."""
    metadata: dict[str, Any] = {}
    if group.attrs:
        metadata[inner] = dict(group.attrs)
    result: dict[str, Any] = {}
    for key in group:
        link = group.get(key, getclass=True, getlink=True)
        if link in (h5py.ExternalLink, h5py.SoftLink):
            raise ValueError(
                f"Not allowed: H5 file with {link.__name__}. Received: a link at "
                f"{inner}/{key}"
            )
        value = group[key]
        if isinstance(value, h5py.Dataset):
            result[key] = _read_dataset(value, f"{inner}/{key}")
        elif isinstance(value, h5py.Group) and key == "vars":
            arrays, own = _extract(h5py, value, inner)
            result.update(arrays)
            metadata.update(own)
        elif isinstance(value, h5py.Group):
            children, inner_metadata = _extract(h5py, value, f"{inner}/{key}")
            metadata.update(inner_metadata)
            if children:
                result[key] = children
    return result, metadata


def _read_dataset(dataset: Any, path: str) -> np.ndarray:
    if dataset.external or dataset.is_virtual:
        raise ValueError(
            f"Not allowed: H5 file dataset with external or virtual storage. "
            f"Received: a dataset at {path}"
        )
    shape = dataset.shape
    if len(shape) > 64 or math.prod(shape) * dataset.dtype.itemsize > _MAX_BYTES:
        raise ValueError(
            f"HDF5 dataset too large to load safely. Received: shape {shape} at {path}"
        )
    return dataset[()]


def _owners_of(tree: dict[str, Any], name: str) -> Any:
    """Every dict (at any depth) holding the key ``name``."""
    if name in tree:
        yield tree
    for value in tree.values():
        if isinstance(value, dict):
            yield from _owners_of(value, name)


def _check_weights(weights: Any) -> None:
    if not isinstance(weights, dict):
        raise ValueError(
            "Argument `weights` should be a dict where keys are weight names "
            "(usually '0', '1', etc.) and values are NumPy arrays. "
            f"Received: type(weights)={type(weights)}"
        )


def _compare(
    found: dict[str, Any], reference: dict[str, Any], path: str
) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    matches: list[str] = []
    for key in reference:
        where = f"{path}/{key}"
        if key not in found:
            errors.append(f"Object {where} missing from file")
            continue
        mine, theirs = found[key], reference[key]
        if isinstance(theirs, dict) != isinstance(mine, dict):
            errors.append(
                f"Object {where} is a weight in one and an object in the other"
            )
        elif isinstance(theirs, dict):
            more_errors, more_matches = _compare(mine, theirs, where)
            errors += more_errors
            matches += more_matches
        elif np.shape(mine) != np.shape(theirs):
            errors.append(
                f"Weight shape mismatch for {where}: file {np.shape(mine)}, "
                f"model {np.shape(theirs)}"
            )
        else:
            matches.append(where)
    for key in found:
        if key not in reference:
            errors.append(f"Object {path}/{key} in file but not in the model")
    return errors, matches


def _write(h5file: Any, tree: dict[str, Any], path: str) -> None:
    arrays = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    if arrays:
        group = h5file.require_group(f"{path}/vars" if path else "vars")
        for name, value in arrays.items():
            group.create_dataset(name, data=np.asarray(value))
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            _write(h5file, value, f"{path}/{key}" if path else key)


def _tree_lines(
    tree: dict[str, Any], metadata: dict[str, Any], prefix: str, path: str
) -> list[str]:
    lines = []
    items = list(tree.items())
    for index, (key, value) in enumerate(items):
        last = index == len(items) - 1
        connector = "└─ " if last else "├─ "
        where = f"{path}/{key}"
        if isinstance(value, dict):
            name = metadata.get(where, {}).get("name")
            label = f" ('{name}')" if name is not None else ""
            lines.append(f"{prefix}{connector}{key}{label}")
            lines += _tree_lines(
                value, metadata, prefix + ("    " if last else "│   "), where
            )
        else:
            lines.append(
                f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}"
            )
    return lines


__all__ = ["KerasFileEditor"]

"""``.weights.h5``: weights in Keras 3's HDF5 layout, through h5py.

The layout (what ``keras.Model.save_weights`` writes, and the
``model.weights.h5`` inside a ``.keras`` file)::

    layers/<key>/vars/0, 1, ...   a layer's variables in creation order
    optimizer/vars/0, 1, ...      the step counter, the learning rate (when
                                  it is a number), then the slots
    vars                          the model's own (none)

``<key>`` is not the layer's name but its class in snake case made unique
in layer order (``dense``, ``dense_1``, ``input_layer``...); the ``vars``
group's ``name`` attribute holds the layer's name. A layer that holds other
layers keeps their variables under their attribute names, as Keras does: a
recurrent layer's under ``layers/<key>/cell/vars``, a ``Bidirectional``'s
under ``forward_layer/cell/vars`` and ``backward_layer/cell/vars``, a
``TimeDistributed``'s under ``layer/vars``. h5py is an optional dependency
(``pip install h5py``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from kgraph.saving import atomic
from kgraph.utils import naming

SUFFIX = ".weights.h5"


def weight_groups(path: str, layer: Any) -> list[tuple[str, Any]]:
    """Where a layer's variables are: ``(group path, sublayer)`` pairs, the
    sublayer owning the variables stored in that group, in weight order."""
    if hasattr(layer, "forward_layer") and hasattr(layer, "backward_layer"):
        return [
            *weight_groups(f"{path}/forward_layer", layer.forward_layer),
            *weight_groups(f"{path}/backward_layer", layer.backward_layer),
        ]
    if hasattr(layer, "compile") and hasattr(layer, "layers"):
        # A model nested in a model: its layers under ``layers/<key>``.
        return [
            entry
            for key, sublayer in layer_keys(layer)
            for entry in weight_groups(f"{path}/layers/{key}", sublayer)
        ]
    groups = getattr(layer, "keras_weight_groups", None)
    if groups is not None:
        # A layer whose sublayers Keras keeps under their attribute names
        # (MultiHeadAttention's ``query_dense``...); "" is the layer's own.
        return [
            entry
            for name, owner in groups()
            for entry in weight_groups(f"{path}/{name}" if name else path, owner)
        ]
    inner = getattr(layer, "cell", None)
    if inner is not None:
        return [(f"{path}/cell/vars", inner)]
    inner = getattr(layer, "layer", None)
    if type(layer).__name__ == "TimeDistributed" and inner is not None:
        return weight_groups(f"{path}/layer", inner)
    return [(f"{path}/vars", layer)]


def require_h5py() -> Any:
    """Imports h5py.

    Raises:
        ImportError: naming ``pip install h5py`` when it is missing.
    """
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Reading and writing Keras's HDF5 files (`.weights.h5`, and the "
            "weights inside `.keras` files) needs h5py, an optional dependency of "
            "kgraph: `pip install h5py` (or `pip install kgraph[h5]`). kgraph's own "
            "`.weights.npz` and `.kgraph` files need nothing. Received: h5py is not "
            "installed"
        ) from None
    return h5py


def layer_keys(model: Any) -> list[tuple[str, Any]]:
    """``(key, layer)`` in the model's layer order, keys as Keras makes them
    (``saving_lib._save_container_state``): the class name in snake case,
    numbered when repeated."""
    used: dict[str, int] = {}
    keys = []
    for layer in model.layers:
        key = naming.to_snake_case(type(layer).__name__)
        if key in used:
            used[key] += 1
            key = f"{key}_{used[key]}"
        else:
            used[key] = 0
        keys.append((key, layer))
    return keys


# -- writing -----------------------------------------------------------------------


def write(model: Any, h5file: Any) -> None:
    """Writes the model's weights and optimizer state into an open h5py
    file, in Keras's layout."""
    layers = h5file.create_group("layers")
    for key, layer in layer_keys(model):
        layers.create_group(f"{key}/vars").attrs["name"] = layer.name
        for path, owner in weight_groups(key, layer):
            group = layers.require_group(path)
            group.attrs["name"] = owner.name
            for index, variable in enumerate(owner.weights):
                group.create_dataset(str(index), data=variable.value)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(model, "compiled", False):
        group = h5file.create_group("optimizer").create_group("vars")
        group.attrs["name"] = optimizer.name
        for index, value in enumerate(_optimizer_values(optimizer)):
            group.create_dataset(str(index), data=value)
    h5file.create_group("vars").attrs["name"] = model.name


def _optimizer_values(optimizer: Any) -> list[np.ndarray]:
    values = [v.value for v in optimizer.variables]
    if _has_learning_rate_variable(optimizer):
        values.insert(1, np.asarray(optimizer.learning_rate, dtype="float32"))
    return values


def _has_learning_rate_variable(optimizer: Any) -> bool:
    """Whether Keras keeps the learning rate among the optimizer's
    variables: when it is a number, not a schedule."""
    if hasattr(optimizer, "learning_rate_schedule"):
        return optimizer.learning_rate_schedule is None
    return isinstance(optimizer.learning_rate, int | float | np.floating)


def save_weights(
    model: Any, filepath: str | os.PathLike[str], overwrite: bool = True
) -> None:
    """Writes a ``.weights.h5`` file atomically.

    Raises:
        ImportError: when h5py is missing.
        FileExistsError: when the file exists and ``overwrite`` is false.
    """
    h5py = require_h5py()
    path = Path(filepath)
    atomic.check_overwrite(path, overwrite)
    with atomic.atomic_path(path) as temporary, h5py.File(temporary, "w") as h5file:
        write(model, h5file)


# -- reading -----------------------------------------------------------------------


def read(
    model: Any, h5file: Any, where: str, skip_mismatch: bool = False
) -> list[tuple[Any, np.ndarray]]:
    """Reads and checks the weights for every layer of ``model``.

    Args:
        model: the model.
        h5file: the open file.
        where: the file, for messages.
        skip_mismatch: leave out (with a warning) the layers whose arrays
            differ in count or shape, and ignore the file's other layers,
            as Keras's ``skip_mismatch``.

    Returns:
        ``(variable, array)`` pairs, nothing assigned yet.

    Raises:
        ValueError: for a missing layer, or a count or shape that differs.
    """
    layers = h5file.get("layers")
    if layers is None:
        raise ValueError(
            f"{where} holds no `layers` group: it is not a Keras 3 weights file. "
            f"Received: groups {sorted(h5file.keys())}"
        )
    pairs = []
    expected = set()
    for key, layer in layer_keys(model):
        expected.add(key)
        try:
            pairs.extend(_layer_pairs(layers, key, layer, where))
        except ValueError as error:
            if not skip_mismatch:
                raise
            warnings.warn(
                f"Skipping the weights of layer '{layer.name}' (skip_mismatch=True): "
                f"{error}",
                stacklevel=3,
            )
    extra = [k for k in layers if k not in expected and _holds_arrays(layers[k])]
    if extra and not skip_mismatch:
        raise ValueError(
            f"{where} holds weights of layers the model does not have: "
            f"{sorted(extra)}. Received: layers {sorted(layers.keys())}"
        )
    return pairs


def _layer_pairs(layers: Any, key: str, layer: Any, where: str) -> list[tuple]:
    """One layer's ``(variable, array)`` pairs, checked."""
    pairs = []
    for path, owner in weight_groups(key, layer):
        arrays = _group_arrays(layers.get(path))
        if len(arrays) != len(owner.weights):
            raise ValueError(
                f"{where}: layer '{layer.name}' ({type(layer).__name__}) has "
                f"{len(owner.weights)} variables in {owner.name} but the file holds "
                f"{len(arrays)} under layers/{path}. Received: {len(arrays)} arrays"
            )
        for variable, array in zip(owner.weights, arrays, strict=True):
            if array.shape != variable.shape:
                raise ValueError(
                    f"{where}: weight '{variable.path}' has shape {variable.shape} "
                    f"but layers/{key} holds shape {array.shape}. "
                    f"Received: shape {array.shape}"
                )
            pairs.append((variable, array))
    return pairs


def _holds_arrays(group: Any) -> bool:
    found: list[bool] = []
    group.visititems(lambda _, item: found.append(hasattr(item, "shape")))
    return any(found)


def _group_arrays(group: Any) -> list[np.ndarray]:
    if group is None:
        return []
    names = sorted((k for k in group if k.isdigit()), key=int)
    return [np.asarray(group[name][()]) for name in names]


def read_optimizer(model: Any, h5file: Any, where: str) -> list[tuple[Any, np.ndarray]]:
    """The optimizer state in the file as ``(variable, array)`` pairs; the
    learning rate comes as ``(None, value)``. Empty (with a warning, as in
    Keras) when the file's state does not fit the model's optimizer."""
    group = h5file.get("optimizer/vars")
    optimizer = getattr(model, "optimizer", None)
    if group is None or optimizer is None or not getattr(model, "compiled", False):
        return []
    arrays = _group_arrays(group)
    variables: list[Any] = list(optimizer.variables)
    if _has_learning_rate_variable(optimizer):
        variables.insert(1, None)
    fits = len(arrays) == len(variables) and all(
        v is None or v.shape == a.shape for v, a in zip(variables, arrays, strict=False)
    )
    if not fits:
        warnings.warn(
            f"Skipping the optimizer state in {where}: it holds {len(arrays)} "
            f"variables, the model's optimizer '{optimizer.name}' has "
            f"{len(variables)}.",
            stacklevel=3,
        )
        return []
    return list(zip(variables, arrays, strict=True))


def apply(model: Any, pairs: list[tuple[Any, np.ndarray]]) -> None:
    """Assigns checked pairs; ``None`` stands for the learning rate."""
    for variable, array in pairs:
        if variable is None:
            # The learning rate a callback may have changed; Keras stores it
            # as float32, so a number it rounds to is left as it is.
            current = model.optimizer.learning_rate
            if np.float32(current) != np.float32(array):
                model.optimizer.learning_rate = float(array)
        else:
            variable.assign(array)


def load_weights(
    model: Any, filepath: str | os.PathLike[str], skip_mismatch: bool = False
) -> None:
    """Loads a ``.weights.h5`` file (Keras's or kgraph's) into the model;
    nothing changes unless every weight fits (or, with ``skip_mismatch``,
    the layers that do not fit are left as they are).

    Raises:
        ImportError: when h5py is missing.
        ValueError: for an unreadable file or weights that do not fit.
    """
    h5py = require_h5py()
    try:
        h5file = h5py.File(filepath, "r")
    except OSError as error:
        raise ValueError(
            f"Cannot read weights from {filepath}: it is missing, truncated or not "
            f"an HDF5 file ({error}). Received: filepath={filepath}"
        ) from None
    with h5file:
        pairs = read(model, h5file, str(filepath), skip_mismatch)
        pairs += read_optimizer(model, h5file, str(filepath))
    apply(model, pairs)

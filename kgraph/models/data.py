"""Checks and converts the arrays given to ``fit``, ``evaluate`` and
``predict``, before any graph runs: structure, lengths, shapes and dtypes."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.models.training import TargetSpec
from kgraph.models.training import target_name


def _array(value: Any, what: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{what}` could not be read as an array: {error}") from None
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(
            f"`{what}` must hold numbers. Received: an array of dtype {array.dtype}"
        )
    return array


def _by_name(value: Any, names: Sequence[str], what: str) -> dict[str, Any]:
    if isinstance(value, Mapping):
        missing = [n for n in names if n not in value]
        if missing:
            raise ValueError(
                f"`{what}` is missing entries for {missing}. Expected keys: "
                f"{list(names)}. Received: keys {sorted(value)}"
            )
        return {name: value[name] for name in names}
    if len(names) == 1:
        if isinstance(value, list | tuple) and len(value) == 1:
            value = value[0]
        return {names[0]: value}
    if not isinstance(value, list | tuple) or len(value) != len(names):
        count = len(value) if isinstance(value, list | tuple) else 1
        raise ValueError(
            f"The model has {len(names)} {what} entries ({list(names)}); pass a "
            f"list or dict of {len(names)} arrays. Received: {count}"
        )
    return dict(zip(names, value, strict=True))


def inputs(model: Any, x: Any) -> dict[str, np.ndarray]:
    """Returns the model's inputs as arrays of the input dtypes.

    Raises:
        ValueError: for a missing input or a shape that does not fit,
            naming the input, the expected and the received shapes.
    """
    if x is None:
        raise ValueError("`x` is required. Received: x=None")
    result = {}
    types = _input_types(model)
    for index, (name, value) in enumerate(_by_name(x, model.input_names, "x").items()):
        array = _array(value, "x")
        node_type = types[name]
        # The data's first dimension counts samples: a static batch size
        # (``Input(batch_shape=...)``) is the size of each batch, not of x.
        shape = array.shape
        if array.ndim and node_type.rank:
            shape = (node_type.shape[0], *shape[1:])
        if not node_type.accepts(shape):
            expected = errors.format_shape(node_type.shape)
            raise ValueError(
                f'Input {index} ("{name}") of model "{model.name}" is incompatible: '
                f"expected shape={expected}, found shape={array.shape}. "
                f"Received: x with shape {array.shape}"
            )
        check_embedding_indices(model, name, array)
        result[name] = _cast(array, node_type.dtype)
    return result


def length_specs(model: Any, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The concrete per-sample shapes of the inputs whose declared shape has
    unknown dimensions besides the batch (``Input(shape=(None, 16))``): the
    programs are specialized to them, as to the batch size.

    Returns:
        ``{training.input_key(name): TargetSpec(shape, dtype)}`` for those
        inputs only.
    """
    from kgraph.models import training

    types = _input_types(model)
    specs = {}
    for name, array in arrays.items():
        node_type = types[name]
        if node_type.rank > 1 and None in node_type.shape[1:]:
            specs[training.input_key(name)] = training.TargetSpec(
                tuple(int(d) for d in array.shape[1:]), node_type.dtype
            )
    return specs


def check_embedding_indices(model: Any, name: str, array: np.ndarray) -> None:
    """Checks the indices fed to input ``name`` against every row gather
    (``Embedding``) that takes that input as its indices, directly or
    through casts: native code would read outside the table.

    Raises:
        ValueError: for an index outside ``[0, input_dim)`` (floats are
            truncated to integers first, as the layer casts them).
    """
    if not array.size:
        return
    for node, rows in _gathers_of(model, name):
        values = np.trunc(array) if array.dtype.kind == "f" else array
        valid = (values >= 0) & (values < rows)
        if not np.all(valid):
            bad = values[~valid].reshape(-1)[0]
            raise ValueError(
                f'Input "{name}" feeds Embedding layer "{node.layer}", whose indices '
                f"must lie in [0, {rows}) (input_dim={rows}). "
                f"Received: an index of {bad} (indices with min {values.min()} and "
                f"max {values.max()})"
            )


def _gathers_of(model: Any, name: str) -> list[tuple[Any, int]]:
    """The ``take`` nodes along axis 0 whose indices are input ``name``
    (through casts), with their tables' row counts; once per graph. Any
    traced graph of the model has them: one already traced is used (tracing
    a big model takes a while), the inference graph otherwise."""
    traced = getattr(model, "_graphs", None)
    graph = next(iter(traced.values())) if traced else model.graph_for(False)
    cached = model.__dict__.setdefault("_gathers_cache", {})
    key = (id(graph), name)
    if key not in cached:
        found = []
        for node in graph.nodes():
            if node.op != "take" or node.attrs.get("axis", 0) != 0:
                continue
            source = graph.node(node.inputs[1])
            while source.op == "cast":
                source = graph.node(source.inputs[0])
            if source.op == "placeholder" and source.name == name:
                found.append((node, graph.node(node.inputs[0]).type.shape[0]))
        cached[key] = found
    return cached[key]


def _input_types(model: Any) -> dict[str, Any]:
    """The type of each model input by name: the inputs' own types (an
    input no output uses is not in the graph), read without tracing it."""
    return {
        name: tensor.type
        for name, tensor in zip(model.input_names, model.inputs, strict=True)
    }


def targets(
    model: Any, y: Any, outputs: Sequence[str]
) -> tuple[dict[str, np.ndarray], dict[str, TargetSpec]]:
    """Returns the targets of the outputs that have a loss or metric.

    Integer targets stay integers (class indices, ``int32``) when they fit
    in ``int32``; the others become ``float32``, the predictions' dtype
    (``3_000_000_000`` as a regression target is a float, not a wrapped
    integer).
    """
    if y is None and not outputs:
        # No output has a loss or metric: the model trains on the losses
        # its layers add (``add_loss``), as Keras allows.
        return {}, {}
    if y is None:
        raise ValueError(
            f"`y` is required to train or evaluate model '{model.name}'. "
            "Received: y=None"
        )
    arrays, specs = {}, {}
    given = _by_name(y, list(model.output_names), "y")
    for name in outputs:
        array = _array(given[name], "y")
        if array.ndim == 0:
            raise ValueError(
                f"`y` needs a batch dimension. Received: shape {array.shape}"
            )
        dtype = "int32" if _fits_int32(array) else "float32"
        arrays[target_name(name)] = _cast(array, dtype)
        specs[name] = TargetSpec(tuple(array.shape[1:]), dtype)
    return arrays, specs


def _fits_int32(array: np.ndarray) -> bool:
    if array.dtype.kind not in "iub":
        return False
    if array.dtype.kind == "b" or not array.size:
        return True
    limits = np.iinfo(np.int32)
    return bool(limits.min <= array.min() and array.max() <= limits.max)


def _cast(array: np.ndarray, dtype: str) -> np.ndarray:
    """A C-contiguous, aligned array of ``dtype`` (a copy only if needed):
    native code reads the data without checks."""
    result = np.ascontiguousarray(array, dtype=dtypes.to_numpy(dtype))
    if not result.flags.aligned:
        result = result.copy()
    return result


def count(*groups: Mapping[str, np.ndarray]) -> int:
    """Returns the common number of samples.

    Raises:
        ValueError: when arrays have different lengths or no samples.
    """
    sizes = {name: len(array) for group in groups for name, array in group.items()}
    if len(set(sizes.values())) > 1:
        shown = ", ".join(f"{_data_label(k)}: {v}" for k, v in sizes.items())
        raise ValueError(
            "Data cardinality is ambiguous. Make sure all arrays contain the same "
            f"number of samples. Received: sizes {shown}"
        )
    total = next(iter(sizes.values()))
    if total == 0:
        raise ValueError("The data is empty. Received: 0 samples")
    return total


def _data_label(name: str) -> str:
    """``x['input']`` for an input, ``y['output']`` for an output's targets."""
    prefix = target_name("")
    if name.startswith(prefix):
        return f"y[{name[len(prefix) :]!r}]"
    return f"x[{name!r}]"


def check_class_indices(
    labels: np.ndarray, classes: int | None, output: str, ignore_class: Any = None
) -> None:
    """Checks that sparse labels are class indices of an output.

    Raises:
        ValueError: for a label outside ``[0, classes)`` (other than
            ``ignore_class``), naming the first one; TensorFlow raises the
            same at run time, where kgraph would silently train on zeros.
    """
    values = labels[~np.isnan(labels)] if labels.dtype.kind == "f" else labels
    valid = (values >= 0) & (values == np.round(values))
    if classes is not None:
        valid &= values < classes
    if ignore_class is not None:
        valid |= values == ignore_class
    if not np.all(valid):
        bad = values[~valid].reshape(-1)[0]
        upper = classes if classes is not None else "num_classes"
        raise ValueError(
            f"Received a label value of {bad} which is outside the valid range of "
            f"[0, {upper}) for output '{output}' (sparse categorical labels are "
            f"class indices). Received: labels with min {values.min()} and max "
            f"{values.max()}"
        )


def sample_weights(
    n: int,
    sample_weight: Any,
    class_weight: Mapping[int, float] | None,
    labels: np.ndarray | None,
) -> np.ndarray:
    """Returns one float32 weight per sample: ``sample_weight`` times the
    weight of each sample's class (1.0 for a class ``class_weight`` does
    not name, as in Keras).

    Raises:
        ValueError: for a wrong length, or ``class_weight`` without labels.
    """
    weights = np.ones(n, dtype=np.float32)
    if sample_weight is not None:
        given = _array(sample_weight, "sample_weight").astype(np.float32)
        if given.shape == (n, 1):  # a column of weights, as Keras accepts
            given = given[:, 0]
        if given.shape != (n,):
            raise ValueError(
                f"`sample_weight` needs one value per sample, shape ({n},). "
                f"Received: shape {given.shape}"
            )
        weights = weights * given
    if class_weight is not None:
        if labels is None:
            raise ValueError("`class_weight` needs `y`. Received: y=None")
        classes = _classes(labels)
        table = {int(k): float(v) for k, v in class_weight.items()}
        weights = weights * np.array(
            [table.get(int(c), 1.0) for c in classes], dtype=np.float32
        )
    return weights


def _classes(labels: np.ndarray) -> np.ndarray:
    if labels.ndim > 1 and labels.shape[-1] > 1:
        return np.argmax(labels, axis=-1).reshape(len(labels))
    if labels.dtype.kind == "f":
        rounded = np.round(labels).reshape(len(labels))
        return rounded.astype(np.int64)
    return labels.reshape(len(labels)).astype(np.int64)


def split_last(data: Mapping[str, np.ndarray], fraction: float) -> tuple[dict, dict]:
    """Splits off the last ``fraction`` of the samples (before shuffling).

    Raises:
        ValueError: when the fraction is outside (0, 1) or leaves no samples.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(
            f"`validation_split` must be between 0 and 1. Received: "
            f"validation_split={fraction}"
        )
    n = len(next(iter(data.values())))
    cut = int(n * (1.0 - fraction))
    if cut == 0 or cut == n:
        raise ValueError(
            f"`validation_split={fraction}` leaves no training or no validation "
            f"samples out of {n}. Received: validation_split={fraction}"
        )
    first = {k: v[:cut] for k, v in data.items()}
    second = {k: v[cut:] for k, v in data.items()}
    return first, second

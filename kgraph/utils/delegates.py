"""Names Keras exports from ``keras.utils`` whose homes sit above
``kgraph.utils`` (``kgraph.backend`` and ``kgraph.saving`` import
``kgraph.utils``): each function here finds its home module when called, so
``kgraph.utils`` stays below them and every name is defined once."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def _home(module: str) -> Any:
    return importlib.import_module(module)


def clear_session(free_memory: bool = True) -> None:
    """Resets kgraph's global state (``kgraph.backend.clear_session``):
    layer names (``dense``, ``dense_1``...) and ``get_uid``'s counters
    start afresh; models built before keep working.

    Args:
        free_memory: Keras's flag to collect garbage (kgraph keeps no
            session memory).

    Example:

    >>> clear_session()
    """
    _home("kgraph.backend").clear_session(free_memory)


def standardize_dtype(dtype: Any) -> str:
    """Returns Keras's name of a dtype (``kgraph.backend.standardize_dtype``).

    Args:
        dtype: a name, a NumPy dtype or a Python type (``None`` is
            ``floatx()``).

    Returns:
        The dtype's name.

    Raises:
        ValueError: for a dtype Keras does not know.

    Example:

    >>> import numpy as np
    >>> standardize_dtype(np.float64), standardize_dtype(int)
    ('float64', 'int32')
    """
    return _home("kgraph.backend").standardize_dtype(dtype)


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor of a model definition
    (``kgraph.backend.is_keras_tensor``).

    Example:

    >>> import kgraph
    >>> is_keras_tensor(kgraph.Input((3,))), is_keras_tensor(1.0)
    (True, False)
    """
    return _home("kgraph.backend").is_keras_tensor(x)


def serialize_keras_object(obj: Any) -> Any:
    """Returns the config of any Keras object
    (``kgraph.saving.serialize_keras_object``).

    Example:

    >>> serialize_keras_object([1, "a"])
    [1, 'a']
    """
    return _home("kgraph.saving.object_serialization").serialize_keras_object(obj)


def deserialize_keras_object(
    config: Any,
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
    **kwargs: Any,
) -> Any:
    """Rebuilds an object from its config
    (``kgraph.saving.deserialize_keras_object``).

    Example:

    >>> deserialize_keras_object("relu")
    'relu'
    """
    home = _home("kgraph.saving.object_serialization")
    return home.deserialize_keras_object(config, custom_objects, safe_mode, **kwargs)


__all__ = [
    "clear_session",
    "deserialize_keras_object",
    "is_keras_tensor",
    "serialize_keras_object",
    "standardize_dtype",
]

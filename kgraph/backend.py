"""``kgraph.backend``: Keras's backend utilities (``keras.backend``).

kgraph is its own backend: ``backend()`` returns ``"kgraph"`` (Keras
returns ``"jax"``, ``"tensorflow"``, ``"torch"`` or ``"numpy"``), so code
that branches on the backend name takes its generic path. Floats are
``float32`` and images channels-last: the setters accept those values and
refuse others with an error naming what kgraph supports.

Example:

>>> backend()
'kgraph'
>>> floatx(), image_data_format(), epsilon()
('float32', 'channels_last', 1e-07)
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np

from kgraph import config
from kgraph import dtypes
from kgraph.ops.tensor import KerasTensor

# Keras's dtype names (``standardize_dtype`` accepts them all; kgraph's
# tensors hold the five of ``kgraph.dtypes.DTYPES``).
ALLOWED_DTYPES = (
    "float16",
    "float32",
    "float64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "bfloat16",
    "bool",
    "string",
    "float8_e4m3fn",
    "float8_e5m2",
    "complex64",
    "complex128",
)
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string"}
_DATA_FORMATS = ("channels_last", "channels_first")
_UIDS: collections.defaultdict[str, int] = collections.defaultdict(int)


def backend() -> str:
    """Returns the name of the backend: ``"kgraph"``.

    Example:

    >>> backend()
    'kgraph'
    """
    return "kgraph"


def clear_session(free_memory: bool = True) -> None:
    """Resets kgraph's global state: layer names start afresh (``dense``,
    ``dense_1``...) and so do ``get_uid``'s counters. Models built before
    keep working: each owns its graph.

    Args:
        free_memory: Keras's flag to collect garbage; kgraph keeps no
            session memory, so it changes nothing.

    Example:

    >>> clear_session()
    >>> get_uid("example")
    1
    """
    from kgraph.utils import session

    session.clear_session()
    _UIDS.clear()


def epsilon() -> float:
    """Returns the fuzz factor used to avoid dividing by zero (1e-7).

    Example:

    >>> epsilon()
    1e-07
    """
    return config.epsilon()


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor that ``kgraph.ops`` uses (the crossentropies'
    clipping and the floor of ``normalize``).

    Example:

    >>> set_epsilon(1e-5); epsilon()
    1e-05
    >>> set_epsilon(1e-7)
    """
    config.set_epsilon(value)


def floatx() -> str:
    """Returns the default float dtype: ``"float32"``.

    Example:

    >>> floatx()
    'float32'
    """
    return "float32"


def set_floatx(value: str) -> None:
    """Sets the default float dtype; kgraph's layers compute in float32, so
    only ``"float32"`` is accepted.

    Raises:
        ValueError: for any other value.

    Example:

    >>> set_floatx("float32")
    """
    accepted = {"float16", "bfloat16", "float32", "float64"}
    if value not in accepted:
        raise ValueError(
            f"Unknown `floatx` value: {value}. Expected one of {sorted(accepted)}"
        )
    if value != "float32":
        raise ValueError(
            "kgraph's layers and compiled code compute in float32; the default "
            f"float dtype cannot be changed. Received: value={value!r}"
        )


def image_data_format() -> str:
    """Returns the image layout: ``"channels_last"``.

    Example:

    >>> image_data_format()
    'channels_last'
    """
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Sets the image layout; kgraph's convolutions and pooling are
    channels-last, so only ``"channels_last"`` is accepted.

    Raises:
        ValueError: for ``"channels_first"`` or an unknown value.

    Example:

    >>> set_image_data_format("channels_last")
    """
    value = str(data_format).lower()
    if value not in _DATA_FORMATS:
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', "
            f"'channels_last'}}. Received: data_format={data_format}"
        )
    if value != "channels_last":
        raise ValueError(
            "kgraph's convolution and pooling layers are channels_last only; "
            "transpose images to (batch, height, width, channels). Received: "
            f"data_format={data_format!r}"
        )


def get_uid(prefix: str = "") -> int:
    """Returns 1, 2, 3... for successive calls with the same ``prefix``
    (reset by ``clear_session``).

    Example:

    >>> clear_session()
    >>> get_uid("dense"), get_uid("dense")
    (1, 2)
    """
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def standardize_dtype(dtype: Any) -> str:
    """Returns Keras's name of a dtype given as a name, a NumPy dtype or a
    Python type (``None`` is ``floatx()``, ``int`` is ``"int32"``).

    Raises:
        ValueError: for a dtype Keras does not know.

    Example:

    >>> standardize_dtype(np.float64), standardize_dtype(int)
    ('float64', 'int32')
    """
    if dtype is None:
        return floatx()
    if isinstance(dtype, str) and dtype == "int":
        dtype = "int32"
    elif isinstance(dtype, type) and dtype in _PYTHON_DTYPES:
        dtype = _PYTHON_DTYPES[dtype]
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return str(dtype)


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating-point dtype.

    Example:

    >>> is_float_dtype("float32"), is_float_dtype("int32")
    (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith(("float", "bfloat"))


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is an (unsigned) integer dtype.

    Example:

    >>> is_int_dtype("int64"), is_int_dtype("bool")
    (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith(("int", "uint"))


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor of a model definition (what
    ``kgraph.Input`` and layers called on it return).

    Example:

    >>> import kgraph
    >>> is_keras_tensor(kgraph.Input((3,))), is_keras_tensor(np.ones(3))
    (True, False)
    """
    return isinstance(x, KerasTensor)


def result_type(*dtypes_: Any) -> str:
    """Returns the dtype operands of ``dtypes_`` promote to, as Keras's
    ``result_type``: a float wins over any int at its width (``int64`` with
    ``float32`` is ``float32``); Python ``int`` and ``float`` are weak, taking
    the other operands' kind and width. With no argument, ``floatx()``.

    Example:

    >>> result_type("int32", "float32"), result_type("int64", float)
    ('float32', 'float32')
    """
    if not dtypes_:
        return floatx()
    python = (bool, int, float)
    strong = [standardize_dtype(d) for d in dtypes_ if not _is_python(d)]
    weak = [d for d in dtypes_ if _is_python(d)]
    if not strong:
        strong = [_PYTHON_DTYPES[max(weak, key=list(python).index)]]
        weak = []
    if all(name in dtypes.DTYPES for name in strong):
        result = dtypes.result_type(*strong)
    else:
        result = np.result_type(*strong).name
    if float in weak and not is_float_dtype(result):
        return floatx()
    if int in weak and result == "bool":
        return "int32"
    return result


def _is_python(dtype: Any) -> bool:
    return isinstance(dtype, type) and dtype in (int, float, bool)


__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]

"""The one dtype table: names, NumPy dtypes, promotion, and test tolerances.

kgraph supports five dtypes. ``float32`` is the default float (Keras's
``floatx``); Python ints become ``int32`` like Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import errors

DTYPES: tuple[str, ...] = ("bool", "int32", "int64", "float32", "float64")
FLOAT_DTYPES = ("float32", "float64")
INT_DTYPES = ("int32", "int64")

_SHORT = {
    "bool": "bool",
    "int32": "i32",
    "int64": "i64",
    "float32": "f32",
    "float64": "f64",
}
_FROM_SHORT = {v: k for k, v in _SHORT.items()}
_NAMES = frozenset(DTYPES)
# NumPy dtypes by kgraph name, looked up without NumPy's slow ``.name``.
_BY_NUMPY = {np.dtype(name): name for name in DTYPES}

# Promotion order: bool < int32 < int64 < float32 < float64, except that any
# float wins over any int at its own width (int64 + float32 -> float32, as in
# JAX and Keras), so float32 models stay float32.
_RANK = {"bool": 0, "int32": 1, "int64": 2, "float32": 3, "float64": 4}

# Tolerances (rtol, atol) by dtype for comparing a result with the reference.
# float32: a handful of ulps of accumulated rounding over the small sizes the
# tests draw; float64 is used for finite-difference checks only.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float32": (1e-5, 1e-6),
    "float64": (1e-12, 1e-13),
    "int32": (0.0, 0.0),
    "int64": (0.0, 0.0),
    "bool": (0.0, 0.0),
}
# Finite differences in float64 with a central step h = 1e-6: truncation
# O(h^2) and rounding O(eps/h) errors are near 1e-10 relative, so graph
# gradients agree to well inside 1e-6 (every gradient test passes at this
# tolerance under the ci profile; a dropped or doubled term misses by far).
GRAD_TOLERANCE: tuple[float, float] = (1e-6, 1e-7)
# Whole models (losses, metrics, weights after a few epochs) on two backends:
# the native code sums float32 in its own loop order where NumPy sums
# pairwise or calls BLAS, and the few-ulp differences of every step feed the
# next steps (Adam and RMSprop divide by small square roots). Over 150 drawn
# models trained 2 epochs the worst difference was 1/60 of this tolerance.
MODEL_TOLERANCE: tuple[float, float] = (1e-4, 1e-5)
# A data-parallel job against one process: the job sums each process's mean
# gradient weighted by its rows where one process takes one mean over the
# batch, so the gradients differ by a few ulps, which feed the next steps
# as between two backends.
REPLICA_TOLERANCE: tuple[float, float] = MODEL_TOLERANCE
# Against Keras itself (the parity tests), one evaluation of a formula (a
# loss, a metric's result, an activation, a layer's prediction): the same
# float32 arithmetic in another library, which sums in its own order (XLA's
# reductions, its fused kernels), a few ulps apart.
KERAS_VALUE_TOLERANCE: tuple[float, float] = (1e-5, 1e-6)
# Against Keras after training: those differences feed the next steps, as
# between two backends.
KERAS_TRAINING_TOLERANCE: tuple[float, float] = MODEL_TOLERANCE
# Metrics that count arg-max hits (accuracy) on two backends: those few-ulp
# differences flip a prediction whose top two classes lie within an ulp of
# each other (seen on a drawn model whose biases after one Adam step differed
# by 6e-8), so a count may differ by this many samples.
ARGMAX_SLACK_SAMPLES = 1


def canonical(dtype: Any) -> str:
    """Returns kgraph's name for a dtype given as a name, NumPy dtype or type.

    Args:
        dtype: ``"float32"``, ``"f32"``, ``np.float32``, ``np.dtype("int32")``...

    Returns:
        One of ``DTYPES``.

    Raises:
        DTypeError: for a dtype kgraph does not support.
    """
    if isinstance(dtype, str):
        if dtype in _FROM_SHORT:
            return _FROM_SHORT[dtype]
        if dtype in _NAMES:
            return dtype
    elif isinstance(dtype, np.dtype) and dtype in _BY_NUMPY:
        return _BY_NUMPY[dtype]
    try:
        name = np.dtype(dtype).name
    except TypeError as error:
        raise errors.DTypeError(
            f"Unknown dtype. Expected one of {DTYPES}. Received: dtype={dtype!r}"
        ) from error
    if name not in DTYPES:
        raise errors.DTypeError(
            f"Unsupported dtype. Expected one of {DTYPES}. Received: dtype={name}"
        )
    return name


def short(dtype: str) -> str:
    """Returns the short printed form of a dtype (``f32``)."""
    return _SHORT[dtype]


def to_numpy(dtype: str) -> np.dtype:
    """Returns the NumPy dtype of a kgraph dtype name."""
    return np.dtype(dtype)


def is_float(dtype: str) -> bool:
    """Whether ``dtype`` is a floating-point dtype."""
    return dtype in FLOAT_DTYPES


def is_int(dtype: str) -> bool:
    """Whether ``dtype`` is an integer dtype."""
    return dtype in INT_DTYPES


def result_type(*dtypes: str) -> str:
    """Returns the dtype two or more operands are promoted to.

    Args:
        *dtypes: kgraph dtype names.

    Returns:
        The promoted dtype name.
    """
    best = dtypes[0]
    for dtype in dtypes[1:]:
        if is_float(best) and is_int(dtype):
            continue
        if (is_float(dtype) and is_int(best)) or _RANK[dtype] > _RANK[best]:
            best = dtype
    return best


def of_value(value: Any) -> str:
    """Returns the dtype kgraph gives a Python or NumPy value.

    Python ints become ``int32`` and floats ``float32`` (Keras's choice);
    NumPy arrays keep their dtype.
    """
    if isinstance(value, np.ndarray | np.generic):
        return canonical(value.dtype)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int32"
    if isinstance(value, float):
        return "float32"
    array = np.asarray(value)
    if array.dtype == np.bool_:
        return "bool"
    if array.dtype.kind in "iu":
        return "int32"
    if array.dtype.kind == "f":
        return "float32"
    return canonical(array.dtype)

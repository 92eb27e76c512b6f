"""Loss functions and classes (``kgraph.losses``), as in ``keras.losses``.

The functions (``mean_squared_error``, ``binary_crossentropy``, ...) return
the per-sample loss: one value per sample, the mean over the last axis, with
Keras 3's exact formulas. The classes (``MeanSquaredError``, ...) wrap them
and reduce the per-sample values to the scalar a model trains on, weighting
by ``sample_weight``. Everything is written with ``kgraph.ops``, so it runs
eagerly on arrays and builds graph nodes on symbolic tensors: the native
training loop computes the loss inside its one static graph.

The modules hold the groups: ``base`` (helpers, reductions, ``Loss``),
``regression``, ``crossentropy``, ``focal``, ``probabilistic``, ``hinge_losses``,
``segmentation`` and ``similarity``; this package gathers them and keeps
the registry.

Example:

>>> import numpy as np
>>> y_true = np.array([[0.0, 1.0], [0.0, 0.0]], dtype="float32")
>>> y_pred = np.array([[1.0, 1.0], [1.0, 0.0]], dtype="float32")
>>> mean_squared_error(y_true, y_pred).numpy()
array([0.5, 0.5], dtype=float32)
>>> float(MeanSquaredError()(y_true, y_pred))
0.5
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from kgraph import objects
from kgraph.losses.base import EPSILON as EPSILON
from kgraph.losses.base import REDUCTIONS as REDUCTIONS
from kgraph.losses.base import Loss
from kgraph.losses.base import LossFunctionWrapper
from kgraph.losses.base import _with_shape_context as _with_shape_context
from kgraph.losses.base import cast_like as cast_like
from kgraph.losses.base import count as count
from kgraph.losses.base import divide_no_nan as divide_no_nan
from kgraph.losses.base import mean as mean
from kgraph.losses.base import ones_like as ones_like
from kgraph.losses.base import reduce_weighted_values as reduce_weighted_values
from kgraph.losses.base import shape_of as shape_of
from kgraph.losses.base import (
    squeeze_or_expand_to_same_rank as squeeze_or_expand_to_same_rank,
)
from kgraph.losses.base import standardize_reduction as standardize_reduction
from kgraph.losses.base import to_float as to_float
from kgraph.losses.crossentropy import BinaryCrossentropy
from kgraph.losses.crossentropy import CategoricalCrossentropy
from kgraph.losses.crossentropy import SparseCategoricalCrossentropy
from kgraph.losses.crossentropy import binary_crossentropy
from kgraph.losses.crossentropy import categorical_crossentropy
from kgraph.losses.crossentropy import sparse_categorical_crossentropy
from kgraph.losses.focal import BinaryFocalCrossentropy
from kgraph.losses.focal import CategoricalFocalCrossentropy
from kgraph.losses.focal import CategoricalGeneralizedCrossEntropy
from kgraph.losses.focal import binary_focal_crossentropy
from kgraph.losses.focal import categorical_focal_crossentropy
from kgraph.losses.focal import categorical_generalized_cross_entropy
from kgraph.losses.hinge_losses import CategoricalHinge
from kgraph.losses.hinge_losses import Hinge
from kgraph.losses.hinge_losses import SquaredHinge
from kgraph.losses.hinge_losses import categorical_hinge
from kgraph.losses.hinge_losses import hinge
from kgraph.losses.hinge_losses import squared_hinge
from kgraph.losses.probabilistic import KLD
from kgraph.losses.probabilistic import KLDivergence
from kgraph.losses.probabilistic import Poisson
from kgraph.losses.probabilistic import kl_divergence
from kgraph.losses.probabilistic import kld
from kgraph.losses.probabilistic import poisson
from kgraph.losses.regression import MAE
from kgraph.losses.regression import MAPE
from kgraph.losses.regression import MSE
from kgraph.losses.regression import MSLE
from kgraph.losses.regression import Huber
from kgraph.losses.regression import LogCosh
from kgraph.losses.regression import MeanAbsoluteError
from kgraph.losses.regression import MeanAbsolutePercentageError
from kgraph.losses.regression import MeanSquaredError
from kgraph.losses.regression import MeanSquaredLogarithmicError
from kgraph.losses.regression import huber
from kgraph.losses.regression import log_cosh
from kgraph.losses.regression import mae
from kgraph.losses.regression import mape
from kgraph.losses.regression import mean_absolute_error
from kgraph.losses.regression import mean_absolute_percentage_error
from kgraph.losses.regression import mean_squared_error
from kgraph.losses.regression import mean_squared_logarithmic_error
from kgraph.losses.regression import mse
from kgraph.losses.regression import msle
from kgraph.losses.segmentation import Dice
from kgraph.losses.segmentation import Tversky
from kgraph.losses.segmentation import dice
from kgraph.losses.segmentation import tversky
from kgraph.losses.similarity import Circle
from kgraph.losses.similarity import CosineSimilarity
from kgraph.losses.similarity import circle
from kgraph.losses.similarity import cosine_similarity

# -- lookup --

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        huber,
        mean_squared_logarithmic_error,
        log_cosh,
        cosine_similarity,
        kl_divergence,
        poisson,
        binary_focal_crossentropy,
        categorical_focal_crossentropy,
        categorical_generalized_cross_entropy,
        hinge,
        squared_hinge,
        categorical_hinge,
        dice,
        tversky,
        circle,
    )
}
_FUNCTIONS.update(
    {"mse": mean_squared_error, "MSE": mean_squared_error}
    | {"mae": mean_absolute_error, "MAE": mean_absolute_error}
    | {
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
    }
    | {"bce": binary_crossentropy, "BCE": binary_crossentropy}
    | {"kld": kl_divergence, "KLD": kl_divergence}
    | {
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
    }
)

_CLASSES: dict[str, type[Loss]] = {
    cls.__name__: cls
    for cls in (
        Loss,
        LossFunctionWrapper,
        MeanSquaredError,
        MeanAbsoluteError,
        MeanAbsolutePercentageError,
        BinaryCrossentropy,
        CategoricalCrossentropy,
        SparseCategoricalCrossentropy,
        Huber,
        MeanSquaredLogarithmicError,
        LogCosh,
        CosineSimilarity,
        KLDivergence,
        Poisson,
        BinaryFocalCrossentropy,
        CategoricalFocalCrossentropy,
        CategoricalGeneralizedCrossEntropy,
        Hinge,
        SquaredHinge,
        CategoricalHinge,
        Dice,
        Tversky,
        Circle,
    )
}

_BY_FUNCTION: dict[Callable[..., Any], type[Loss]] = {
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    huber: Huber,
}


class _Losses(objects.ObjectFamily):
    """Losses: a function (by name or as a callable) is wrapped in a
    ``LossFunctionWrapper`` named as written."""

    def make(self, found: Any, name: str | None) -> Any:
        if inspect.isclass(found):
            return found()
        return LossFunctionWrapper(found, name=name or found.__name__)

    def from_callable(self, fn: Any) -> Any:
        name = getattr(fn, "__name__", None) or objects.snake_case(type(fn).__name__)
        return LossFunctionWrapper(fn, name=name)


LossFunctionWrapper._FUNCTIONS = _FUNCTIONS

FAMILY = _Losses(
    "loss",
    Loss,
    _FUNCTIONS
    | {k: v for k, v in _CLASSES.items() if k not in ("Loss", "LossFunctionWrapper")}
    # The function needs ``q``: its name gives the class, with q=0.5.
    | {"categorical_generalized_cross_entropy": CategoricalGeneralizedCrossEntropy},
    config_table={k: v for k, v in _CLASSES.items() if k != "Loss"},
    plural="losses",
    accepts="a Loss class or instance, or a callable",
)
"""The losses' ``ObjectFamily``: function names, class names and aliases."""


get, serialize, deserialize = FAMILY.public_functions(
    __name__,
    {
        "get": """>>> get("mse").name
'mse'
>>> type(get("BinaryCrossentropy")).__name__
'BinaryCrossentropy'""",
        "serialize": """>>> serialize(mean_squared_error)
{'class_name': 'function', 'config': 'mean_squared_error'}""",
    },
)


def crossentropy_kind(identifier: Any) -> str | None:
    """Tells which crossentropy a loss identifier is, for ``"accuracy"``.

    Args:
        identifier: anything ``get`` accepts.

    Returns:
        ``"binary"``, ``"categorical"``, ``"sparse"`` or ``None``.
    """
    kinds = {
        binary_crossentropy: "binary",
        categorical_crossentropy: "categorical",
        sparse_categorical_crossentropy: "sparse",
    }
    if isinstance(identifier, str):
        identifier = _FUNCTIONS.get(identifier) or _CLASSES.get(identifier)
    if inspect.isclass(identifier):
        for fn, cls in _BY_FUNCTION.items():
            if issubclass(identifier, cls):
                return kinds.get(fn)
        return None
    if isinstance(identifier, LossFunctionWrapper):
        identifier = identifier.fn
    return kinds.get(identifier)


__all__ = [
    "KLD",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "log_cosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]

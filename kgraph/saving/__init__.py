"""Saving and loading models and weights.

``save_model``/``load_model`` for whole models (``.kgraph``, ``.keras``),
``save_weights``/``load_weights`` for weights (``.weights.npz``,
``.weights.h5``), and ``register_keras_serializable`` for custom objects.
"""

from kgraph.saving.api import load_model
from kgraph.saving.api import load_weights
from kgraph.saving.api import save_model
from kgraph.saving.api import save_weights
from kgraph.saving.serialization import register_keras_serializable

__all__ = [
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
]

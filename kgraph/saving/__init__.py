"""Saving and loading models and weights.

``save_model``/``load_model`` for whole models (``.kgraph``, ``.keras``),
``save_weights``/``load_weights`` for weights (``.weights.npz``,
``.weights.h5``), and ``register_keras_serializable`` for custom objects.
"""

from kgraph.saving.api import load_model
from kgraph.saving.api import load_weights
from kgraph.saving.api import save_model
from kgraph.saving.api import save_weights
from kgraph.saving.file_editor import KerasFileEditor
from kgraph.saving.object_serialization import deserialize_keras_object
from kgraph.saving.object_serialization import serialize_keras_object
from kgraph.saving.serialization import CustomObjectScope
from kgraph.saving.serialization import custom_object_scope
from kgraph.saving.serialization import get_custom_objects
from kgraph.saving.serialization import get_registered_name
from kgraph.saving.serialization import get_registered_object
from kgraph.saving.serialization import register_keras_serializable

__all__ = [
    "CustomObjectScope",
    "KerasFileEditor",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]

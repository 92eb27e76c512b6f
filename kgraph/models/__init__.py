"""``kgraph.models``: functional and sequential models, and ``load_model``."""

from kgraph.models import config
from kgraph.models.cloning import clone_model
from kgraph.models.cloning import model_from_json
from kgraph.models.functional import Model
from kgraph.models.sequential import Sequential
from kgraph.saving import model_codec
from kgraph.saving.api import load_model
from kgraph.saving.api import save_model

# The saving package builds on models' configs without importing models.
model_codec.register(config.serialize_model, config.deserialize_model)

__all__ = [
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]

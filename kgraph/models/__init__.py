"""``kgraph.models``: functional and sequential models, and ``load_model``."""

from kgraph.models.cloning import clone_model
from kgraph.models.cloning import model_from_json
from kgraph.models.functional import Model
from kgraph.models.sequential import Sequential
from kgraph.saving.api import load_model

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json"]

"""``kgraph.models``: functional and sequential models, and ``load_model``."""

from kgraph.models.functional import Model
from kgraph.models.sequential import Sequential
from kgraph.saving.api import load_model

__all__ = ["Model", "Sequential", "load_model"]

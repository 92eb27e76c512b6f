"""``kgraph.models``: functional and sequential models."""

from kgraph.models.functional import Model
from kgraph.models.sequential import Sequential

__all__ = ["Model", "Sequential"]

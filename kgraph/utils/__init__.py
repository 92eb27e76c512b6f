"""Utilities."""

from kgraph.utils.numerical import to_categorical
from kgraph.utils.random import set_random_seed
from kgraph.utils.session import clear_session

__all__ = ["clear_session", "set_random_seed", "to_categorical"]

"""Utilities."""

from kgraph.utils.history_plot import plot_history
from kgraph.utils.numerical import to_categorical
from kgraph.utils.plot import model_to_dot
from kgraph.utils.plot import plot_model
from kgraph.utils.random import set_random_seed
from kgraph.utils.sequence import pad_sequences
from kgraph.utils.session import clear_session

__all__ = [
    "clear_session",
    "model_to_dot",
    "pad_sequences",
    "plot_history",
    "plot_model",
    "set_random_seed",
    "to_categorical",
]

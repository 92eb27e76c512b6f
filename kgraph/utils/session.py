"""``clear_session``: forget the layer names and the trace of earlier models."""

from __future__ import annotations


def clear_session() -> None:
    """Resets layer numbering and starts a new trace graph.

    Models built before keep working; new layers are numbered from
    ``dense``, ``dense_1``... again.
    """
    from kgraph.layers import input_layer
    from kgraph.layers import layer
    from kgraph.utils import naming

    naming.reset()
    input_layer.reset_trace()
    layer.forget_layers()

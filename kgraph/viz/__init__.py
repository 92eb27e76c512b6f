"""``kgraph.viz``: a graph or a model as one self-contained HTML page.

``to_html(model, stage="train-step")`` lays the graph out in Python
(layered, no Graphviz) and returns a page with inline SVG, CSS and
JavaScript: pan, zoom, search, and a node's attributes on click. The
``kgraph viz`` command writes it for a saved model.
"""

from __future__ import annotations

import os
from typing import Any

from kgraph.viz import page
from kgraph.viz import view


def to_html(obj: Any, stage: str | None = None, batch_size: int = 32) -> str:
    """Returns the HTML page of a graph, or of a model at a stage.

    Args:
        obj: a ``kg.Graph`` or a model.
        stage: for a model: ``"layers"`` (the layer graph), ``"forward"``
            (default), ``"train-step"``, ``"eval-step"``, ``"predict-step"``
            or the name of a pass of the training pipeline (as
            ``kg.dump``).
        batch_size: the batch size step graphs are compiled for.

    Returns:
        The page, as a string.

    Raises:
        ValueError: for an unknown stage, or one that is not a graph
            (``llvm-ir``, ``asm``).
    """
    from kgraph.dump import NATIVE_STAGES
    from kgraph.dump import model_graph
    from kgraph.ir.graph import Graph

    if isinstance(obj, Graph):
        if stage is not None:
            raise ValueError(f"viz: a Graph has no stages. Received: stage={stage!r}")
        return page.render(view.from_graph(obj, obj.name, "graph"))
    if stage == "layers":
        return page.render(view.from_model_layers(obj))
    if stage in NATIVE_STAGES:
        raise ValueError(
            f"viz draws graphs; stage {stage!r} is text (use `kgraph dump`). "
            f"Received: stage={stage!r}"
        )
    graph = model_graph(obj, stage, batch_size)
    return page.render(view.from_graph(graph, obj.name, stage or "forward"))


def write_html(
    obj: Any,
    path: str | os.PathLike[str],
    stage: str | None = None,
    batch_size: int = 32,
) -> str:
    """Writes ``to_html(obj, stage, batch_size)`` to ``path``; returns it."""
    from pathlib import Path

    Path(path).write_text(to_html(obj, stage, batch_size), encoding="utf-8")
    return os.fspath(path)


__all__ = ["to_html", "write_html"]

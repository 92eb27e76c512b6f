"""``kg.dump``: a graph, or a model's graph at any compiler stage, as text,
DOT or JSON."""

from __future__ import annotations

from typing import Any

from kgraph.ir import printer
from kgraph.ir.graph import Graph

FORMATS = ("text", "dot", "json")
# The model's layer graph (one node per layer) rather than a compiler graph.
LAYERS_STAGE = "layers"
# Stages of a model that are not pass names.
MODEL_STAGES = ("forward", "train-step", "eval-step", "predict-step")
# Stages that are text of the native code rather than graphs.
NATIVE_STAGES = ("llvm-ir", "llvm-ir-optimized", "asm")


def _native(model: Any, stage: str, batch_size: int) -> str:
    """The LLVM IR (before or after optimization) or the assembly of the
    model's native training loop."""
    from kgraph.backends.llvm import jit
    from kgraph.backends.llvm import runtime

    program = model.compiled_program("train", batch_size)
    texts, _ = runtime.build_module("train", program, program)
    if stage == "llvm-ir":
        return runtime.join_modules(texts)
    if stage == "llvm-ir-optimized":
        return runtime.join_modules([jit.optimized_ir(text) for text in texts])
    return runtime.join_modules([jit.assembly(text) for text in texts])


def model_graph(model: Any, stage: str | None, batch_size: int = 32) -> Graph:
    """The graph of a model at a stage (see ``dump``).

    Raises:
        ValueError: for an unknown stage, listing the valid ones.
    """
    if stage in (None, "forward"):
        return model.graph
    kinds = {"train-step": "train", "eval-step": "eval", "predict-step": "predict"}
    if stage in kinds:
        return model.compiled_program(kinds[stage], batch_size).graph
    program = model.compiled_program("train", batch_size)
    if stage not in program.stages:
        valid = [LAYERS_STAGE, *MODEL_STAGES, *NATIVE_STAGES, *program.stages]
        raise ValueError(
            f"There is no graph stage {stage!r} (an unknown stage). Valid stages: "
            f"{valid}. Received: stage={stage!r}"
        )
    return program.stages[stage]


def _layers(model: Any, format: str) -> str:
    """The layer graph as text, DOT (``plot_model``'s) or the config JSON."""
    import json

    from kgraph.utils import layer_graph
    from kgraph.utils import plot

    if format == "text":
        return layer_graph.format_layers(layer_graph.layer_graph(model))
    if format == "dot":
        return plot.model_to_dot(model, show_shapes=True, show_layer_names=True)
    if format == "json":
        from kgraph.models import config as model_config

        return json.dumps(model_config.serialize_model(model), indent=1)
    raise ValueError(
        f"dump: format must be one of {FORMATS}. Received: format={format!r}"
    )


def dump(
    obj: Any, format: str = "text", stage: str | None = None, batch_size: int = 32
) -> str:
    """Returns a graph in one of the dump formats.

    Args:
        obj: a ``Graph``, or a model.
        format: ``"text"`` (the canonical one-line-per-node form), ``"dot"``
            (Graphviz) or ``"json"`` (round-trips through ``Graph.from_json``).
        stage: for a model: ``"layers"`` (the layer graph: one line or
            box per layer; its JSON is the model's config), ``"forward"``
            (default), ``"train-step"``,
            ``"eval-step"``, ``"predict-step"`` (the graphs a backend runs),
            the name of a pass of the training pipeline (the training graph
            right after that pass, e.g. ``"inline_optimizer"``), or the
            native training loop as ``"llvm-ir"``, ``"llvm-ir-optimized"``
            or ``"asm"`` (text only).
        batch_size: for a model's step graphs, the batch size to compile for.

    Returns:
        The dump as a string.

    Raises:
        ValueError: for an unknown format or stage, or an object that is not
            a graph or a model.

    Example:

    >>> from kgraph import ops
    >>> g = Graph()
    >>> _ = g.set_output("y", ops.exp(ops.placeholder(g, "x", (2,))).node_id)
    >>> print(dump(g))
    %0 = placeholder() {dtype="float32", name="x", role="data", shape=(2,)} : f32[2]
    %1 = exp(%0) : f32[2]
    return y=%1
    """
    if stage in NATIVE_STAGES and not isinstance(obj, Graph):
        if format != "text":
            raise ValueError(
                f"dump: stage {stage!r} is text only. Received: format={format!r}"
            )
        return _native(obj, stage, batch_size)
    if isinstance(obj, Graph):
        if stage is not None:
            raise ValueError(f"dump: a Graph has no stages. Received: stage={stage!r}")
        graph = obj
    elif stage == LAYERS_STAGE and hasattr(obj, "layers"):
        return _layers(obj, format)
    elif isinstance(getattr(obj, "graph", None), Graph):
        graph = model_graph(obj, stage, batch_size)
    else:
        raise ValueError(
            f"dump: expected a kgraph Graph or model. Received: {type(obj).__name__}"
        )
    if format == "text":
        return printer.format_graph(graph)
    if format == "dot":
        return printer.to_dot(graph)
    if format == "json":
        return graph.to_json(indent=1)
    raise ValueError(
        f"dump: format must be one of {FORMATS}. Received: format={format!r}"
    )

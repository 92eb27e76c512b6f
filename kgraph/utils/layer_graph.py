"""The layer graph of a model: one node per layer, an edge from the layer
that makes a tensor to each layer that takes it (what ``plot_model`` draws
and ``kgraph dump --stage layers`` prints).

Tensors made by ops used between layers (``x + y`` on symbolic tensors)
are followed back to the layers that made their operands.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np

from kgraph import errors
from kgraph.ops.history import FunctionCall
from kgraph.ops.history import OpCall


@dataclass
class LayerNode:
    """One layer of the model, as drawn."""

    name: str
    class_name: str
    input_shapes: list[tuple[int | None, ...]] = field(default_factory=list)
    output_shapes: list[tuple[int | None, ...]] = field(default_factory=list)
    dtype: str = "float32"
    params: int = 0
    trainable: bool = True
    activation: str | None = None
    inputs: list[str] = field(default_factory=list)

    def shapes_text(self, which: str) -> str:
        """``(None, 10)``, or a list of shapes for several tensors."""
        shapes = self.input_shapes if which == "input" else self.output_shapes
        shown = [errors.format_shape(s) for s in shapes]
        if not shown:
            return "?"
        return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def layer_graph(model: Any, with_sequential_input: bool = True) -> list[LayerNode]:
    """The model's layers in order, each naming the layers it takes
    tensors from (``LayerNode.inputs``, one entry per tensor).

    Args:
        model: a functional or Sequential model.
        with_sequential_input: include a Sequential model's input layer
            (Keras's ``plot_model`` leaves it out).

    A Sequential model not built yet gives its layers as a chain.
    """
    if not model.built:
        nodes = [LayerNode(layer.name, type(layer).__name__) for layer in model.layers]
        for before, after in itertools.pairwise(nodes):
            after.inputs.append(before.name)
        return nodes
    layers = _drawn_layers(model) if with_sequential_input else list(model.layers)
    nodes = [_node(layer, model.nodes_of(layer)) for layer in layers]
    drawn = {node.name for node in nodes}
    for node in nodes:
        node.inputs = [name for name in node.inputs if name in drawn]
    return nodes


def _drawn_layers(model: Any) -> list[Any]:
    """All layers, the input layer of a Sequential model included."""
    layers = list(model.layers)
    input_layer = getattr(model, "_input_layer", None)
    if input_layer is not None and input_layer not in layers:
        layers.insert(0, input_layer)
    return layers


def _node(layer: Any, calls: list) -> LayerNode:
    inputs = calls[0].input_tensors if calls else []
    outputs = calls[0].output_tensors if calls else []
    node = LayerNode(
        name=layer.name,
        class_name=type(layer).__name__,
        input_shapes=[tuple(t.shape) for t in inputs],
        output_shapes=[tuple(t.shape) for t in outputs],
        dtype=layer.dtype,
        params=int(sum(int(np.prod(v.shape)) for v in layer.weights)),
        trainable=bool(layer.trainable),
        activation=_activation_name(layer),
    )
    if not inputs and outputs:
        node.input_shapes = list(node.output_shapes)
    for call in calls:
        for tensor in call.input_tensors:
            node.inputs.extend(_sources(tensor))
    return node


def _sources(tensor: Any) -> list[str]:
    """The layers that made a tensor, looking through ops between layers."""
    found: list[str] = []
    stack, seen = [tensor], set()
    while stack:
        current = stack.pop()
        if id(current) in seen or current.history is None:
            continue
        seen.add(id(current))
        operation = current.history[0]
        if not isinstance(operation, OpCall | FunctionCall):
            if operation.name not in found:
                found.append(operation.name)
            continue
        stack.extend(reversed(current.node.input_tensors))
    return found


def _activation_name(layer: Any) -> str | None:
    activation = getattr(layer, "activation", None)
    if activation is None or isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", type(activation).__name__)


def format_layers(nodes: list[LayerNode]) -> str:
    """The layer graph as text, one line per layer::

    dense_1 (Dense) <- dense : (None, 32) -> (None, 10)  params=330
    """
    lines = []
    for node in nodes:
        sources = ", ".join(node.inputs) if node.inputs else "-"
        lines.append(
            f"{node.name} ({node.class_name}) <- {sources} : "
            f"{node.shapes_text('input')} -> {node.shapes_text('output')}"
            f"  params={node.params}"
        )
    return "\n".join(lines)

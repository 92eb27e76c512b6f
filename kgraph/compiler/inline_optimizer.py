"""``inline_optimizer``: the optimizer's update becomes part of the graph.

After this pass one graph is the whole training step: parameters and
optimizer slots go in, their updated values come out as ``new:<path>``.
The optimizer arrives as data (the compiler never imports optimizers): any
object with ``slots(variable) -> {name: slot variable}`` and
``apply(step, learning_rate, params, grads, slots) -> (new_params, new_slots)``
written with ``kgraph.ops``; one that also has ``state() -> {name: variable}``
and ``apply_with_state(step, learning_rate, params, grads, slots, state,
variables) -> (new_params, new_slots, new_state)`` keeps optimizer-level
variables (Nadam's) in the step too. Each parameter's ``constraint`` (a
function written with ``kgraph.ops``) is applied to its new value inside
the step, after the update, as Keras applies it after ``apply``.
"""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.compiler.passes import PassContext
from kgraph.compiler.program import slot_input
from kgraph.ir.graph import Graph
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Variable


def _input(
    graph: Graph, name: str, shape: tuple, dtype: str, role: str
) -> SymbolicTensor:
    for node in graph.placeholders():
        if node.name == name:
            return SymbolicTensor(graph, node.id)
    return ops.placeholder(graph, name, shape, dtype, role=role)


def _take_grad(graph: Graph, name: str) -> int:
    """Removes the ``grad`` output of the parameter ``name``; its node id."""
    output = next(n for n in graph.names_with("grad") if graph.role_of(n)[1] == name)
    return graph.remove_output(output)


def inline_optimizer(graph: Graph, ctx: PassContext) -> Graph:
    """Replaces the ``grad:<name>`` outputs with the optimizer's updates.

    Requires: ``differentiate`` ran (a ``grad`` output for every trainable
    parameter); ``ctx.optimizer`` and ``ctx.variables`` (paths to variables).
    Guarantees: ``update`` outputs (``new:<path>``) for every trainable
    parameter and every optimizer slot (named ``program.slot_input``); scalar
    inputs
    ``iterations`` (int64, the step count before this step) and
    ``learning_rate`` (float32); no ``grad`` outputs left.
    """
    optimizer = ctx.optimizer
    if optimizer is None:
        raise ValueError(
            "inline_optimizer needs an optimizer in the pass context. "
            "Received: optimizer=None"
        )
    step = _input(graph, "iterations", (), "int64", "scalar")
    learning_rate = _input(graph, "learning_rate", (), "float32", "scalar")
    params, grads, slots, slot_paths = [], [], [], []
    for name in ctx.trainable:
        params.append(SymbolicTensor(graph, graph.placeholder(name).id))
        grads.append(SymbolicTensor(graph, _take_grad(graph, name)))
        variables = optimizer.slots(ctx.variables[name])
        paths = {key: slot_input(optimizer.name, name, key) for key in variables}
        slots.append(
            {
                key: _input(graph, paths[key], var.shape, var.dtype, "slot")
                for key, var in variables.items()
            }
        )
        slot_paths.append(paths)
    with ops.layer_scope("optimizer"):
        new_params, new_slots, new_state = _apply(
            graph, optimizer, ctx, step, learning_rate, params, grads, slots
        )
        new_params = [
            _constrained(ctx.variables[name], value)
            for name, value in zip(ctx.trainable, new_params, strict=True)
        ]
    for name, value in zip(ctx.trainable, new_params, strict=True):
        graph.set_output(f"new:{name}", value.node_id, "update", name)
    for paths, values in zip(slot_paths, new_slots, strict=True):
        for key, value in values.items():
            graph.set_output(f"new:{paths[key]}", value.node_id, "update", paths[key])
    for path, value in new_state.items():
        graph.set_output(f"new:{path}", value.node_id, "update", path)
    return graph


def _apply(
    graph: Graph,
    optimizer: Any,
    ctx: PassContext,
    step: SymbolicTensor,
    learning_rate: SymbolicTensor,
    params: list[SymbolicTensor],
    grads: list[SymbolicTensor],
    slots: list[dict[str, SymbolicTensor]],
) -> tuple[list[Any], list[dict[str, Any]], dict[str, Any]]:
    """Runs the optimizer's update; its new state comes keyed by path."""
    scale = getattr(optimizer, "loss_scale_factor", None)
    if scale is not None:
        # The gradient of `scale * loss`, which the update divides back:
        # scaling the gradient is scaling the loss (a gradient is linear).
        grads = [ops.multiply(grad, scale) for grad in grads]
    if not hasattr(optimizer, "apply_with_state"):
        new_params, new_slots = optimizer.apply(
            step, learning_rate, params, grads, slots
        )
        return new_params, new_slots, {}
    state_variables = optimizer.state()
    state = {
        key: _input(graph, var.path, var.shape, var.dtype, "slot")
        for key, var in state_variables.items()
    }
    variables = [ctx.variables[name] for name in ctx.trainable]
    new_params, new_slots, new_state = optimizer.apply_with_state(
        step, learning_rate, params, grads, slots, state, variables
    )
    by_path = {state_variables[key].path: value for key, value in new_state.items()}
    return new_params, new_slots, by_path


def _constrained(variable: Variable, value: SymbolicTensor) -> SymbolicTensor:
    """The parameter's constraint applied to its new value, if it has one."""
    constraint = getattr(variable, "constraint", None)
    return value if constraint is None else constraint(value)

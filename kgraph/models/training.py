"""The training graph: the model's forward graph plus targets, losses,
regularization penalties and metric statistics; then the pipelines that turn
it into the programs a backend runs.

Statistics are additive so a native loop can sum them over batches: the
loss contributes ``stat:loss/total`` (loss times batch size) and
``stat:loss/count``; every metric its own ``stat:<name>/<key>`` values.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kgraph import errors
from kgraph import ops
from kgraph.compiler import pipeline
from kgraph.compiler.passes import PassContext
from kgraph.compiler.passes import Replicas
from kgraph.compiler.passes import run_pipeline
from kgraph.compiler.program import EVAL
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import TRAIN
from kgraph.compiler.program import Program
from kgraph.ir.graph import Graph
from kgraph.layers.layer import scalar_input
from kgraph.layers.layer_members import LayerMembers
from kgraph.ops import builder
from kgraph.tensor import SymbolicTensor


@dataclass(frozen=True)
class LossEntry:
    """The loss of one output: its name in logs, the loss and its weight."""

    output: str
    loss: Any
    weight: float


@dataclass(frozen=True)
class MetricEntry:
    """One metric of one output, under its log name; ``weighted`` metrics
    (``weighted_metrics``) see the sample weights."""

    log_name: str
    output: str
    metric: Any
    weighted: bool = False


@dataclass(frozen=True)
class TargetSpec:
    """The per-sample shape and dtype of one output's targets."""

    shape: tuple[int, ...]
    dtype: str


def input_key(name: str) -> str:
    """The spec key of an input's concrete per-sample shape."""
    return f"input:{name}"


def split_specs(
    specs: Mapping[str, TargetSpec],
) -> tuple[dict[str, TargetSpec], dict[str, tuple[int, ...]]]:
    """Splits specs into the targets' (by output) and the inputs' concrete
    per-sample shapes (by input name)."""
    targets = {k: v for k, v in specs.items() if not k.startswith("input:")}
    inputs = {
        k.removeprefix("input:"): v.shape
        for k, v in specs.items()
        if k.startswith("input:")
    }
    return targets, inputs


def target_name(output: str) -> str:
    """The input name of an output's targets."""
    return f"target:{output}"


def stat_name(log_name: str, key: str) -> str:
    """The output name of one statistic."""
    return f"stat:{log_name}/{key}"


def build_objective(
    model: Any,
    forward: Graph,
    losses: list[LossEntry],
    metrics: list[MetricEntry],
    targets: Mapping[str, TargetSpec],
    training: bool = True,
) -> Graph:
    """Returns the model's graph with the loss and the statistics as outputs.

    A model whose class overrides ``compute_loss`` has that method traced
    for the loss (with ``kgraph.ops``), instead of the compiled losses and
    penalties.

    Args:
        model: the model (output names, weights).
        forward: the model's graph in the objective's training mode.
        losses: one entry per output that has a loss.
        metrics: the metrics.
        targets: the target spec of every output with a loss or metric.
        training: whether the objective is for training (what an
            overridden ``compute_loss`` is told).

    Returns:
        A graph with outputs ``loss`` and ``stat:...`` (and the predictions).
    """
    graph = forward.copy()
    # The outputs' Keras masks (losses drop masked steps) stay with the copy.
    graph.__dict__["_masks"] = dict(forward.__dict__.get("_masks", {}))
    predictions = {
        name: SymbolicTensor(graph, graph.outputs[name]) for name in model.output_names
    }
    batch = scalar_input(graph, "batch_size", "float32")
    sample_weight = ops.placeholder(
        graph, "sample_weight", (None,), role="sample_weight"
    )
    trues = {
        name: ops.placeholder(
            graph, target_name(name), (None, *spec.shape), spec.dtype, role="target"
        )
        for name, spec in targets.items()
    }
    custom = model._custom_loss()
    if custom:
        # The override computes the whole loss (penalties included).
        total = _traced_compute_loss(
            model, graph, trues, predictions, sample_weight, training
        )
        losses = []
    else:
        total = None
    for entry in losses:
        with ops.layer_scope(f"loss/{entry.output}"):
            value = loss_value(
                entry, trues[entry.output], predictions[entry.output], sample_weight
            )
        if len(losses) > 1:
            _mean_stat(graph, f"{entry.output}_loss", value, batch)
        weighted = ops.multiply(value, float(entry.weight))
        total = weighted if total is None else ops.add(total, weighted)
    with ops.layer_scope("regularization"):
        for penalty in [] if custom else penalties(model, graph):
            total = penalty if total is None else ops.add(total, penalty)
    if total is None:
        raise ValueError(
            f"Model '{model.name}' has no loss to train on: pass `loss` to compile(). "
            "Received: loss=None"
        )
    graph.set_output("loss", total.node_id, "loss")
    if stat_name("loss", "total") not in graph.outputs:
        # (A metric named "loss" that compute_loss updates logs the loss.)
        _mean_stat(graph, "loss", total, batch)
    for entry in metrics:
        weights = sample_weight if entry.weighted else None
        y_true, y_pred = trues[entry.output], predictions[entry.output]
        with ops.layer_scope(f"metric/{entry.log_name}"):
            if getattr(entry.metric, "stateful", False):
                _trace_metric_update(graph, entry, y_true, y_pred, weights)
                continue
            stats = entry.metric.batch_statistics(y_true, y_pred, weights)
        for key, value in stats.items():
            _set_stat(graph, entry.log_name, key, value)
    return graph


def _traced_compute_loss(
    model: Any,
    graph: Graph,
    trues: Mapping[str, Any],
    predictions: Mapping[str, Any],
    sample_weight: Any,
    training: bool,
) -> Any:
    """The loss of an overridden ``compute_loss``, traced into ``graph``:
    ``x`` and ``y``/``y_pred`` structured as the model's inputs and outputs.
    Variable updates it makes (a Keras-style metric's ``update_state``)
    become ``metric_update`` outputs.

    Raises:
        TypeError: naming the model, when the method cannot be traced or
            does not return a scalar.
    """
    x = model._input_struct_of(
        {n.name: SymbolicTensor(graph, n.id) for n in graph.placeholders("data")}
    )
    y = model._structure_outputs(trues)
    y_pred = model._structure_outputs(predictions)
    tracked: list[Any] = []
    # ``model.losses`` gives the symbolic penalties while this traces.
    graph.__dict__["_computes_loss_of"] = model
    try:
        with (
            builder.tracing(graph),
            ops.layer_scope("compute_loss"),
            _recording_trackers(model, graph, tracked),
        ):
            total = model.compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
            )
    except errors.ShapeError:
        raise
    except (TypeError, AttributeError, NotImplementedError, ValueError) as error:
        raise TypeError(
            f"The compute_loss of model '{model.name}' ({type(model).__name__}) "
            "cannot be compiled: it must compute with kgraph.ops on the symbolic "
            "tensors it is given (not NumPy), and metrics updated in it must keep "
            "their state in variables (add_variable, assign). Received: "
            f"{type(error).__name__}: {error}"
        ) from None
    if not isinstance(total, SymbolicTensor) or total.shape != ():
        raise TypeError(
            f"The compute_loss of model '{model.name}' must return a scalar "
            f"tensor. Received: {total!r}"
        )
    names = {id(v): name for name, v in graph.bindings.items()}
    for variable, value in builder.trace_of(graph).updates.values():
        name = names.get(id(variable))
        if name is None:
            name = graph.node(builder.variable_node(graph, variable)).name
        graph.set_output(f"aux:metric:{name}", value.node_id, "metric_update", name)
    return total


@contextlib.contextmanager
def _recording_trackers(model: Any, graph: Graph, tracked: list[Any]) -> Iterator[None]:
    """While ``compute_loss`` is traced, the ``update_state`` of a kgraph
    metric assigned to the model (a loss tracker, as in Keras's example of
    ``compute_loss``) adds the batch's statistics as ``stat:<name>/...``
    outputs, which the loops sum; the logs then show its ``result``. The
    metrics updated are kept in ``model._tracked_metrics``."""
    metrics = [
        m
        for m in LayerMembers.metrics.fget(model)  # type: ignore[attr-defined]
        if not getattr(m, "stateful", True) and hasattr(m, "batch_statistics")
    ]

    def recorder(metric: Any) -> Any:
        def update_state(*args: Any, **kwargs: Any) -> None:
            for key, value in metric.batch_statistics(*args, **kwargs).items():
                _set_stat(graph, metric.name, key, ops.cast(value, "float32"))
            if not any(metric is m for m in tracked):
                tracked.append(metric)

        return update_state

    for metric in metrics:
        metric.__dict__["update_state"] = recorder(metric)
    try:
        yield
    finally:
        for metric in metrics:
            metric.__dict__.pop("update_state", None)
        model.__dict__["_tracked_metrics"] = list(tracked)


def _trace_metric_update(
    graph: Graph, entry: MetricEntry, y_true: Any, y_pred: Any, weights: Any
) -> None:
    """Traces a Keras-style metric's ``update_state``: its variable updates
    become ``aux:metric:<variable>`` outputs, which training and evaluation
    programs apply after every batch.

    Raises:
        TypeError: naming the metric, when ``update_state`` cannot be traced
            (NumPy on symbolic tensors, a Python ``if`` on a tensor).
    """
    kwargs = {} if weights is None else {"sample_weight": weights}
    try:
        with builder.tracing(graph):
            entry.metric.update_state(y_true, y_pred, **kwargs)
    except (TypeError, AttributeError) as error:
        raise TypeError(
            f"The update_state of metric '{entry.metric.name}' cannot be compiled: "
            "it must compute with kgraph.ops (not NumPy) and assign its variables "
            "with `assign`/`assign_add`; choices on tensor values need "
            f"kgraph.ops.where. Received: {type(error).__name__}: {error}"
        ) from None
    names = {id(v): name for name, v in graph.bindings.items()}
    for variable, value in builder.trace_of(graph).updates.values():
        name = names.get(id(variable))
        if name is None:
            name = graph.node(builder.variable_node(graph, variable)).name
        graph.set_output(f"aux:metric:{name}", value.node_id, "metric_update", name)


def loss_value(entry: LossEntry, y_true: Any, y_pred: Any, sample_weight: Any) -> Any:
    """One output's loss (symbolic or eager), naming the output when the
    targets and predictions do not fit.

    Raises:
        ValueError: for shapes the loss cannot take.
    """
    try:
        return entry.loss(y_true, y_pred, sample_weight=sample_weight)
    except errors.ShapeError as error:
        name = getattr(entry.loss, "name", type(entry.loss).__name__)
        raise ValueError(
            f"The loss '{name}' of output '{entry.output}' does not fit the output: "
            f"targets {errors.format_shape(y_true.shape)} against predictions "
            f"{errors.format_shape(y_pred.shape)}: {error}"
        ) from None


def _mean_stat(graph: Graph, log_name: str, value: Any, batch: Any) -> None:
    _set_stat(graph, log_name, "total", ops.multiply(value, batch))
    _set_stat(graph, log_name, "count", batch)


def _set_stat(graph: Graph, log_name: str, key: str, value: Any) -> None:
    """Adds a summable statistic output (role ``stat``)."""
    name = stat_name(log_name, key)
    graph.set_output(name, value.node_id, "stat", name.removeprefix("stat:"))


def penalties(model: Any, graph: Graph) -> list[Any]:
    """The regularization penalties of the model's weights and the losses
    its layers added (``penalty`` outputs), traced into ``graph``."""
    found = []
    for variable in model.weights:
        regularizer = getattr(variable, "regularizer", None)
        if regularizer is None:
            continue
        param = SymbolicTensor(graph, builder.variable_node(graph, variable))
        found.append(regularizer(param))
    for node_id in graph.outputs_with("penalty").values():
        found.append(SymbolicTensor(graph, node_id))
    return found


def _without_aux(graph: Graph, keep: list[str]) -> Graph:
    result = graph.copy()
    result.keep_outputs(keep)
    return result


def compile_program(
    kind: str,
    batch_size: int,
    model: Any,
    objective: Graph,
    optimizer: Any = None,
    variables: Mapping[str, Any] | None = None,
    keep_stages: bool = False,
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
    replicated: bool = False,
) -> Program:
    """Runs the pipeline of ``kind`` for one batch size (and the concrete
    per-sample shapes of inputs declared with unknown dimensions).

    Args:
        kind: ``"train"``, ``"eval"`` or ``"predict"``.
        batch_size: the static batch size.
        model: the model (its output names and weights).
        objective: the graph from ``build_objective`` (train and eval), or
            the model's graph in inference mode (predict).
        optimizer: the optimizer (train).
        variables: every variable the graphs read, by graph input name.
        keep_stages: keep the graph after every pass (``Program.stages``).
        input_shapes: per-sample shapes by input name, for inputs whose
            declared shape has unknown dimensions.
        replicated: a training step of one process of a data-parallel
            job: it sums its gradients (and averages the layer state it
            updates) over the processes.

    Returns:
        The ``Program``.
    """
    constants = {"training": kind == TRAIN, "batch_size": float(batch_size)}
    if kind == PREDICT:
        graph = _without_aux(objective, list(model.output_names))
        # Stateful layers carry their states from batch to batch here too.
        for key, node_id in objective.outputs_with("carry_update").items():
            graph.set_output(f"new:{key}", node_id, "update", key)
        passes = pipeline.PREDICT
    else:
        stats = objective.names_with("stat")
        keep = [*objective.names_with("loss"), *stats] if kind == TRAIN else stats
        graph = _without_aux(objective, keep)
        # Layer state updates (training only) and metric state updates
        # become in-place updates of their variables.
        roles = (
            ("state_update", "metric_update", "carry_update")
            if kind == TRAIN
            else ("metric_update", "carry_update")
        )
        for role in roles:
            for key, node_id in objective.outputs_with(role).items():
                graph.set_output(f"new:{key}", node_id, "update", key)
        passes = pipeline.TRAIN if kind == TRAIN else pipeline.EVAL
    used = {n.name for n in graph.placeholders("parameter")}
    names = {id(v): name for name, v in (variables or {}).items()}
    trainable = (
        tuple(names[id(v)] for v in model.trainable_weights if names.get(id(v)) in used)
        if kind == TRAIN
        else ()
    )
    replicas = None
    if replicated and kind == TRAIN:
        replicas = Replicas(tuple(objective.outputs_with("state_update")))
    ctx = PassContext(
        name=kind,
        replicas=replicas,
        batch_size=batch_size,
        loss="loss",
        trainable=trainable,
        optimizer=optimizer,
        variables=variables or {},
        constants=constants,
        keep_stages=keep_stages,
        input_shapes=dict(input_shapes or {}),
    )
    result = run_pipeline(graph, passes, ctx)
    updates = {name: result.role_of(name)[1] for name in result.names_with("update")}
    return Program(
        graph=result,
        kind=kind,
        batch_size=batch_size,
        updates=updates,
        stats=tuple(result.names_with("stat")),
        predictions=tuple(model.output_names) if kind == PREDICT else (),
        stages=dict(ctx.stages),
        timings=dict(ctx.timings),
        plan=ctx.plan,
    )


__all__ = [
    "EVAL",
    "PREDICT",
    "TRAIN",
    "LossEntry",
    "MetricEntry",
    "TargetSpec",
    "build_objective",
    "compile_program",
]

"""Keras 3's ``Model`` members around training that kgraph's compiled
steps answer: the step methods and their ``make_*_function``s, eager
``compute_loss`` and ``compute_metrics``, the metrics' names and results,
the state tree, and the settings that only keep Keras's values.

**Custom steps.** Keras lets a subclass override ``train_step`` (Python
code around a backend's gradient tape). kgraph compiles one training step
from the model's ``call``, the compiled loss (or an overridden
``compute_loss``, traced with ``kgraph.ops``; kgraph metrics it updates,
such as Keras's loss tracker, are logged) and the optimizer, and runs
whole epochs natively; Python code between gradient and update cannot be
compiled, so ``fit`` refuses a model whose class overrides ``train_step``
(``evaluate`` one overriding ``test_step``, ``predict`` one overriding
``predict_step``) with an error saying so. Calling the base methods
directly runs one compiled step.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph.models import training as objective
from kgraph.utils import data_utils as packing


class ModelMembers:
    """Keras's ``Model`` training members that ``Trainer`` gets from here."""

    # Set by ``compile``; the class defaults before it.
    loss: Any = None
    train_function: Any = None
    test_function: Any = None
    predict_function: Any = None

    # -- the steps ---------------------------------------------------------------

    def train_step(self, data: Any) -> dict[str, Any]:
        """Runs one compiled training step on a batch.

        Args:
            data: ``(x, y)`` or ``(x, y, sample_weight)`` (or ``x`` alone
                for a model trained on its ``add_loss`` losses).

        Returns:
            The step's logs, ``{name: value}``.
        """
        x, y, sample_weight = packing.unpack_x_y_sample_weight(data)
        return self.train_on_batch(x, y, sample_weight, return_dict=True)  # type: ignore[attr-defined]

    def test_step(self, data: Any) -> dict[str, Any]:
        """Evaluates one batch with the compiled evaluation step.

        Args:
            data: ``(x, y)`` or ``(x, y, sample_weight)``.

        Returns:
            The logs, ``{name: value}``.
        """
        x, y, sample_weight = packing.unpack_x_y_sample_weight(data)
        return self.test_on_batch(x, y, sample_weight, return_dict=True)  # type: ignore[attr-defined]

    def predict_step(self, data: Any) -> Any:
        """Predicts one batch with the compiled prediction step.

        Args:
            data: ``x``, or ``(x,)`` (targets, if any, are ignored).

        Returns:
            The outputs, structured as ``predict`` returns them.
        """
        x, _, _ = packing.unpack_x_y_sample_weight(data)
        return self.predict_on_batch(x)  # type: ignore[attr-defined]

    def make_train_function(self, force: bool = False) -> Callable[[Any], Any]:
        """Returns (and keeps as ``train_function``) the function that runs
        one training step on a batch: ``train_step``, compiled."""
        if self.train_function is None or force:
            self.train_function = self.train_step
        return self.train_function

    def make_test_function(self, force: bool = False) -> Callable[[Any], Any]:
        """Returns (and keeps as ``test_function``) ``test_step``, compiled."""
        if self.test_function is None or force:
            self.test_function = self.test_step
        return self.test_function

    def make_predict_function(self, force: bool = False) -> Callable[[Any], Any]:
        """Returns (and keeps as ``predict_function``) ``predict_step``,
        compiled."""
        if self.predict_function is None or force:
            self.predict_function = self.predict_step
        return self.predict_function

    def _check_steps(self, method: str) -> None:
        """Refuses a class that overrides the step ``method`` uses.

        Raises:
            NotImplementedError: naming the step and what kgraph compiles.
        """
        step = {"fit": "train_step", "evaluate": "test_step", "predict": "predict_step"}
        name = step[method]
        if getattr(type(self), name) is getattr(ModelMembers, name):
            return
        raise NotImplementedError(
            f"Model '{getattr(self, 'name', '')}' ({type(self).__name__}) overrides "
            f"`{name}`, which kgraph cannot compile: `{method}()` runs one native "
            "step compiled from the model's `call`, its compiled loss (or an "
            "overridden `compute_loss`, written with kgraph.ops) and its "
            "optimizer, and Python code around gradients has no place in it. "
            "Move the custom computation into `call` (with `add_loss`) or "
            "`compute_loss`, or drive training yourself with `train_on_batch`. "
            f"Received: {type(self).__name__}.{name}"
        )

    # -- losses and metrics, eagerly ---------------------------------------------------

    def _custom_loss(self) -> bool:
        """Whether the model's class overrides ``compute_loss`` (which the
        training objective then traces)."""
        return not getattr(type(self).compute_loss, "_kgraph_default", False)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """Returns the total loss: the compiled losses (weighted) plus the
        weights' regularization penalties and the model's ``losses``.

        Eagerly (arrays) it returns a number. A subclass may override it
        with ``kgraph.ops`` code (calling ``super().compute_loss(...)`` if
        it likes): ``fit`` traces the override into the compiled step.

        Args:
            x: the inputs (unused by the default; for overrides).
            y: the targets, structured as the outputs.
            y_pred: the predictions, structured as the outputs.
            sample_weight: a weight per sample.
            training: whether the loss is for training (unused by the
                default).

        Returns:
            The loss (a scalar).
        """
        del x, training
        trues = self._by_output(y, "y")
        preds = self._by_output(y_pred, "y_pred")
        from kgraph import ops

        total: Any = None
        for entry in self._losses:  # type: ignore[attr-defined]
            value = objective.loss_value(
                entry, trues[entry.output], preds[entry.output], sample_weight
            )
            weighted = ops.multiply(value, float(entry.weight))
            total = weighted if total is None else ops.add(total, weighted)
        for penalty in self._loss_penalties(preds):
            total = penalty if total is None else ops.add(total, penalty)
        if total is None:
            return np.float32(0.0)
        return total

    def _loss_penalties(self, preds: Mapping[str, Any]) -> list[Any]:
        """The regularization penalties: traced into the graph of the
        predictions when they are symbolic, else eager values."""
        graph = next(
            (getattr(p, "graph", None) for p in preds.values() if hasattr(p, "graph")),
            None,
        )
        if graph is not None:
            return objective.penalties(self, graph)
        # Eagerly, ``losses`` holds the weights' penalties and the last
        # call's ``add_loss`` losses, as Keras's does.
        return [np.asarray(loss) for loss in self.losses]  # type: ignore[attr-defined]

    def _by_output(self, value: Any, what: str) -> dict[str, Any]:
        names = list(self.output_names)  # type: ignore[attr-defined]
        if isinstance(value, Mapping):
            return {name: value[name] for name in names if name in value}
        if len(names) == 1:
            if isinstance(value, list | tuple) and len(value) == 1:
                value = value[0]
            return {names[0]: value}
        if isinstance(value, list | tuple) and len(value) == len(names):
            return dict(zip(names, value, strict=True))
        raise ValueError(
            f"`{what}` must hold one entry per output {names}. Received: "
            f"{type(value).__name__}"
        )

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Updates the compiled metrics with a batch, eagerly, and returns
        their results (accumulated since ``reset_metrics``).

        Args:
            x: the inputs (unused; for overrides).
            y: the targets, structured as the outputs.
            y_pred: the predictions, structured as the outputs.
            sample_weight: a weight per sample (for ``weighted_metrics``).

        Returns:
            ``get_metrics_result()``.
        """
        del x
        trues = self._by_output(y, "y")
        preds = self._by_output(y_pred, "y_pred")
        totals = self.__dict__.setdefault("_eager_totals", {})
        for entry in self._metrics or []:  # type: ignore[attr-defined]
            weights = sample_weight if entry.weighted else None
            y_true = np.asarray(trues[entry.output])
            y_hat = np.asarray(preds[entry.output], dtype=np.float32)
            if getattr(entry.metric, "stateful", False):
                kwargs = {} if weights is None else {"sample_weight": weights}
                entry.metric.update_state(y_true, y_hat, **kwargs)
                continue
            stats = entry.metric.batch_statistics(y_true, y_hat, weights)
            for key, value in stats.items():
                name = objective.stat_name(entry.log_name, key)
                value = np.asarray(value, dtype=np.float64)
                totals[name] = totals[name] + value if name in totals else value
        logs = self._logs(totals)  # type: ignore[attr-defined]
        self._last_logs = {**self.__dict__.get("_last_logs", {}), **logs}
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict[str, Any]:
        """Returns the metrics' current results: those of the last training
        epoch or evaluation (or ``compute_metrics`` since)."""
        return dict(self.__dict__.get("_last_logs", {}))

    @property
    def metrics_names(self) -> list[str]:
        """The names of the logged values: ``"loss"``, the outputs' losses
        (several outputs), then the compiled metrics' log names."""
        if not getattr(self, "compiled", False):
            return []
        return self._log_names()  # type: ignore[attr-defined]

    @property
    def metrics_variables(self) -> list[Any]:
        """The variables of the compiled metrics that keep state (Keras-style
        metrics); kgraph's built-in metrics sum statistics instead."""
        return [v for metric in self.metrics for v in getattr(metric, "variables", [])]  # type: ignore[attr-defined]

    def compiled_loss(
        self,
        y: Any,
        y_pred: Any,
        sample_weight: Any = None,
        regularization_losses: Any = None,
    ) -> Any:
        """Deprecated in Keras: ``compute_loss(None, y, y_pred, sample_weight)``."""
        del regularization_losses
        warnings.warn(
            "`model.compiled_loss()` is deprecated. Instead, use "
            "`model.compute_loss(x, y, y_pred, sample_weight, training)`.",
            stacklevel=2,
        )
        return self.compute_loss(None, y, y_pred, sample_weight)

    @property
    def compiled_metrics(self) -> Any:
        """Deprecated in Keras: an object whose ``update_state(y, y_pred,
        sample_weight)`` is ``compute_metrics``."""
        model = self

        class DeprecatedCompiledMetric:
            def update_state(
                self, y: Any, y_pred: Any, sample_weight: Any = None
            ) -> Any:
                warnings.warn(
                    "`model.compiled_metrics()` is deprecated. Instead, use e.g.:\n"
                    "```\nfor metric in self.metrics:\n"
                    "    metric.update_state(y, y_pred)\n```\n",
                    stacklevel=2,
                )
                return model.compute_metrics(None, y, y_pred, sample_weight)

        return DeprecatedCompiledMetric()

    # -- settings kept for Keras -------------------------------------------------------

    @property
    def run_eagerly(self) -> bool:
        """Keras's eager-debugging switch, kept as set: kgraph always runs
        the compiled step (``compile(backend="numpy")`` interprets it with
        NumPy, the way to step through)."""
        return bool(self.__dict__.get("_run_eagerly", False))

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        self.__dict__["_run_eagerly"] = bool(value)

    @property
    def jit_compile(self) -> bool:
        """Whether the steps are compiled: always ``True`` in kgraph (a value
        set is accepted and changes nothing)."""
        return True

    @jit_compile.setter
    def jit_compile(self, value: Any) -> None:
        self.__dict__["_jit_compile_arg"] = value

    @property
    def distribute_strategy(self) -> None:
        """``None``: kgraph trains on one CPU (its native loops use threads)."""
        return None

    @property
    def distribute_reduction_method(self) -> str:
        """How values are reduced across replicas: ``"auto"`` unless set
        (kgraph has one replica)."""
        return self.__dict__.get("_distribute_reduction_method") or "auto"

    @distribute_reduction_method.setter
    def distribute_reduction_method(self, value: str | None) -> None:
        self.__dict__["_distribute_reduction_method"] = value

    # -- build config of subclassed models ------------------------------------------

    def get_build_config(self) -> dict[str, Any] | None:
        """Returns ``{"input_shape": ...}`` for a subclassed model built from
        shapes or data (``None`` for a functional model, which its config
        rebuilds)."""
        if getattr(self, "_is_functional", True) or not getattr(self, "built", False):
            return None
        from kgraph.tree import map_structure

        return {
            "input_shape": map_structure(
                lambda t: tuple(t.shape),
                self._subclass_inputs,  # type: ignore[attr-defined]
            )
        }

    # -- state tree ----------------------------------------------------------------

    def get_state_tree(self, value_format: str = "backend_tensor") -> dict[str, Any]:
        """Returns every variable's value, nested by the parts of its path.

        Args:
            value_format: ``"backend_tensor"`` (the arrays themselves) or
                ``"numpy_array"`` (copies).

        Returns:
            ``{"trainable_variables", "non_trainable_variables",
            "optimizer_variables", "metrics_variables"}``, each a nested dict.

        Raises:
            ValueError: for another ``value_format`` or a path found twice.
        """
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError(
                "Invalid `value_format` argument. Expected one of "
                "{'numpy_array', 'backend_tensor'}. Received: "
                f"value_format={value_format}"
            )
        optimizer = getattr(self, "optimizer", None)
        groups = {
            "trainable_variables": self.trainable_variables,  # type: ignore[attr-defined]
            "non_trainable_variables": self.non_trainable_variables,  # type: ignore[attr-defined]
            "optimizer_variables": optimizer.variables if optimizer else [],
            "metrics_variables": self.metrics_variables,
        }
        return {key: _nested(group, value_format) for key, group in groups.items()}

    def set_state_tree(self, state_tree: Mapping[str, Any]) -> None:
        """Assigns the values of ``get_state_tree``'s output to the variables.

        Raises:
            ValueError: for an unknown group name.
        """
        optimizer = getattr(self, "optimizer", None)
        groups = {
            "trainable_variables": self.trainable_variables,  # type: ignore[attr-defined]
            "non_trainable_variables": self.non_trainable_variables,  # type: ignore[attr-defined]
            "optimizer_variables": optimizer.variables if optimizer else [],
            "metrics_variables": self.metrics_variables,
        }
        for key, tree in state_tree.items():
            if key not in groups:
                raise ValueError(f"Unknown variable name: {key}. Received: {key!r}")
            by_path = {v.path: v for v in groups[key]}
            for path, value in _flat(tree).items():
                if path in by_path:
                    by_path[path].assign(np.asarray(value))

    def stateless_compute_loss(
        self,
        trainable_variables: Any,
        non_trainable_variables: Any,
        metrics_variables: Any,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> tuple[Any, tuple[list[Any], list[Any], list[Any]]]:
        """``compute_loss`` with the given variable values instead of the
        model's own (left unchanged).

        Returns:
            ``(loss, (trainable, non_trainable, metrics_variables))``, the
            values after the computation.
        """
        groups = [
            (self.trainable_variables, trainable_variables),  # type: ignore[attr-defined]
            (self.non_trainable_variables, non_trainable_variables),  # type: ignore[attr-defined]
            (self.metrics_variables, metrics_variables),
        ]
        variables = [v for own, _ in groups for v in own]
        values = [value for _, given in groups for value in given]
        if len(values) != len(variables):
            raise ValueError(
                f"stateless_compute_loss needs one value per variable: "
                f"{len(variables)}. Received: {len(values)} values"
            )
        saved = [v.numpy() for v in variables]
        try:
            for variable, value in zip(variables, values, strict=True):
                variable.assign(np.asarray(value))
            loss = self.compute_loss(x, y, y_pred, sample_weight, training)
            after = [[v.numpy() for v in own] for own, _ in groups]
        finally:
            for variable, value in zip(variables, saved, strict=True):
                variable.assign(value)
        return loss, (after[0], after[1], after[2])


ModelMembers.compute_loss._kgraph_default = True  # type: ignore[attr-defined]


def _nested(variables: list[Any], value_format: str) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    seen: set[str] = set()
    for variable in variables:
        if variable.path in seen:
            raise ValueError(
                "The following variable path is found twice in the model: "
                f"'{variable.path}'. `get_state_tree()` can only be called when "
                "all variable paths are unique. Make sure to give unique names "
                "to your layers (and other objects)."
            )
        seen.add(variable.path)
        *parents, leaf = variable.path.split("/")
        current = nested
        for part in parents:
            current = current.setdefault(part, {})
        current[leaf] = (
            variable.value if value_format == "backend_tensor" else variable.numpy()
        )
    return nested


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(tree, Mapping):
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat.update(_flat(value, f"{prefix}/{key}" if prefix else str(key)))
    return flat


__all__ = ["ModelMembers"]

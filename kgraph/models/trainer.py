"""``Trainer``: ``compile``, ``fit``, ``evaluate``, ``predict`` and the
``*_on_batch`` methods of ``Model``.

``compile`` records the loss, metrics and optimizer; the first call that
needs a program builds the training graph (``models.training``), runs the
compiler pipeline for the batch size and hands the programs to the backend.
The epoch loop lives here, in Python: it calls the backend's executable for
chunks of batches and runs the callbacks between them.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph import config
from kgraph import distribution as distribution_module
from kgraph import errors
from kgraph.compiler.program import EVAL
from kgraph.compiler.program import PREDICT
from kgraph.compiler.program import TRAIN
from kgraph.compiler.program import Program
from kgraph.compiler.program import slot_input
from kgraph.distribution.executable import DataParallelExecutable
from kgraph.models import batches as batch_utils
from kgraph.models import data as data_utils
from kgraph.models import dataset_loops
from kgraph.models import serving
from kgraph.models import training
from kgraph.models.model_members import ModelMembers
from kgraph.ops.tensor import Variable
from kgraph.utils import random as random_utils

BACKENDS = ("numpy", "llvm")
# Progress and batch callbacks run about this many times per epoch.
_CHUNKS_PER_EPOCH = 20


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    """Runs a method that trains or evaluates under the model's lock: calls
    from several threads take turns (as Keras's do), so none loses another's
    updates of the weights, the optimizer or the metrics."""

    @functools.wraps(method)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self._run_lock():
            return method(self, *args, **kwargs)

    return locked


class Trainer(ModelMembers):
    """Training methods shared by functional and sequential models."""

    def __init__(self) -> None:
        self.optimizer: Any = None
        self.loss: Any = None
        self.compiled = False
        self.stop_training = False
        self.history: Any = None
        self._losses: list[training.LossEntry] = []
        self._metric_specs: dict[str, list[Any]] = {}
        self._weighted_metric_specs: dict[str, list[Any]] = {}
        self._metrics: list[training.MetricEntry] | None = None
        self._objectives: dict[Any, Any] = {}
        self._programs: dict[Any, Program] = {}
        self._executables: dict[Any, Any] = {}
        self._threads: int | None = None
        self._backend = config.default_backend()

    def _run_lock(self) -> Any:
        """The lock training and evaluation take (made on first use)."""
        return self.__dict__.setdefault("_lock", threading.RLock())

    # -- compile -------------------------------------------------------------------

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        backend: str | None = "llvm",
        run_eagerly: bool = False,
        jit_compile: Any = "auto",
        steps_per_execution: int = 1,
        threads: int | None = None,
    ) -> None:
        """Configures the model for training.

        Args:
            optimizer: an optimizer or its name (default ``"rmsprop"``).
            loss: a loss (name, function or object); for several outputs a
                list or a dict keyed by output name.
            loss_weights: weights of the outputs' losses (list or dict).
            metrics: metrics (names or objects); a list applies to every
                output, a dict maps output names to lists.
            weighted_metrics: like ``metrics``, but weighted by
                ``sample_weight`` and ``class_weight``.
            backend: ``"llvm"`` (native code, the default) or ``"numpy"``
                (the reference interpreter). ``KGRAPH_BACKEND`` replaces the
                default for the whole process.
            run_eagerly: accepted for Keras compatibility; kgraph always runs
                the compiled graph.
            jit_compile: accepted for Keras compatibility; kgraph always
                compiles.
            steps_per_execution: accepted for Keras compatibility.
            threads: kgraph's own: how many threads the native loops use
                (default ``KGRAPH_NUM_THREADS``, else every core). Results do
                not depend on it.

        Raises:
            ValueError: for unknown names, a loss structure that does not
                match the outputs, or an unknown backend.
        """
        from kgraph import optimizers

        if backend in ("llvm", None):
            # KGRAPH_BACKEND=numpy moves models compiled for the default
            # backend to the reference interpreter (as KERAS_BACKEND picks
            # Keras's backend for a whole process).
            backend = config.default_backend()
        if backend not in BACKENDS:
            raise ValueError(
                f"Unknown backend. Expected one of {BACKENDS}. "
                f"Received: backend={backend!r}"
            )
        if threads is not None and (
            isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
        ):
            raise ValueError(
                f"`threads` must be a positive integer. Received: threads={threads!r}"
            )
        self._backend = backend
        self._threads = threads
        self.run_eagerly = run_eagerly
        self._executables = {}
        self.optimizer = optimizers.get(optimizer)
        self._compile_config = (loss, loss_weights, metrics, weighted_metrics)
        self.loss = loss
        if hasattr(self, "output_names"):
            self._apply_compile_config()
        else:
            # A Sequential model without its input shape yet: the loss and
            # metrics are resolved against its output once it is built (as in
            # Keras, compile may come first); unknown names fail now.
            from kgraph import losses

            for value in _leaves(loss):
                losses.get(value)
        self.compiled = True

    def _apply_compile_config(self) -> None:
        """Resolves the compiled loss and metrics against the outputs the
        model has now, and forgets every program built for another graph.

        Called by ``compile`` and again whenever the model's graph is
        (re)built after it, e.g. by ``Sequential.add``."""
        loss, loss_weights, metrics, weighted_metrics = self._compile_config
        self.optimizer.build(self.trainable_weights)
        self._losses = self._resolve_losses(loss, loss_weights)
        self._metric_specs = self._per_output(metrics, "metrics")
        self._weighted_metric_specs = self._per_output(
            weighted_metrics, "weighted_metrics"
        )
        self._metrics = None
        self._last_specs = None
        self._objectives.clear()
        self._programs = {}
        self._executables = {}

    def _per_output(self, value: Any, what: str) -> dict[str, list[Any]]:
        names = list(self.output_names)
        if value is None:
            return {name: [] for name in names}
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(
                    f"`{what}` names outputs {unknown} that the model does not have. "
                    f"Outputs: {names}. Received: {what} keys {sorted(value)}"
                )
            return {name: _as_list(value.get(name)) for name in names}
        if not isinstance(value, list | tuple):
            raise ValueError(
                f"`{what}` must be a list or a dict. Received: {what}={value!r}"
            )
        nested = len(value) == len(names) > 1 and all(
            isinstance(v, list | tuple) for v in value
        )
        if nested:
            return {name: list(v) for name, v in zip(names, value, strict=True)}
        return {name: list(value) for name in names}

    def _resolve_losses(self, loss: Any, loss_weights: Any) -> list[training.LossEntry]:
        from kgraph import losses

        names = list(self.output_names)
        if loss is None:
            return []
        if isinstance(loss, Mapping):
            unknown = sorted(set(loss) - set(names))
            if unknown:
                raise ValueError(
                    f"`loss` names outputs {unknown} that the model does not have. "
                    f"Outputs: {names}. Received: loss keys {sorted(loss)}"
                )
            # Keras keeps the dict's order: it orders the per-output losses.
            chosen = {name: value for name, value in loss.items() if value is not None}
        elif isinstance(loss, list | tuple):
            if len(loss) != len(names):
                raise ValueError(
                    f"`loss` has {len(loss)} entries but the model has {len(names)} "
                    f"outputs {names}. Received: loss={loss!r}"
                )
            chosen = {n: v for n, v in zip(names, loss, strict=True) if v is not None}
        else:
            chosen = {name: loss for name in names}
        weights = self._loss_weights(loss_weights, names)
        return [
            training.LossEntry(name, losses.get(value), weights[name])
            for name, value in chosen.items()
        ]

    @staticmethod
    def _loss_weights(loss_weights: Any, names: list[str]) -> dict[str, float]:
        if loss_weights is None:
            return {name: 1.0 for name in names}
        if isinstance(loss_weights, Mapping):
            return {name: float(loss_weights.get(name, 1.0)) for name in names}
        if isinstance(loss_weights, list | tuple):
            if len(loss_weights) != len(names):
                raise ValueError(
                    f"`loss_weights` needs one weight per output {names}. "
                    f"Received: loss_weights={loss_weights!r}"
                )
            return {n: float(w) for n, w in zip(names, loss_weights, strict=True)}
        return {name: float(loss_weights) for name in names}

    # -- programs ------------------------------------------------------------------

    @property
    def compile_arguments(self) -> dict[str, Any] | None:
        """What ``compile`` was given (``loss``, ``loss_weights``,
        ``metrics``, ``weighted_metrics``) and the backend it chose;
        ``None`` before ``compile``."""
        if not self.compiled:
            return None
        loss, loss_weights, metrics, weighted_metrics = self._compile_config
        return {
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "backend": self._backend,
        }

    def get_compile_config(self) -> dict[str, Any] | None:
        """Returns ``compile``'s arguments as JSON data (Keras's
        ``get_compile_config``); ``None`` before ``compile``."""
        from kgraph.saving import compile_config

        return compile_config.compile_config(self)

    def compile_from_config(self, config: Mapping[str, Any]) -> None:
        """Compiles with ``get_compile_config``'s output."""
        from kgraph.saving import compile_config

        compile_config.compile_from_config(self, config)

    def _ensure_built(self, x: Any) -> None:
        """Builds the model from the first data when it needs that
        (Sequential and subclassed models without input shapes)."""

    def _fixed_batch(self) -> int | None:
        """The batch size an input fixes (``Input(batch_shape=...)``), if any."""
        if not getattr(self, "built", False):
            return None
        inputs = getattr(self, "inputs", [])
        cached = self.__dict__.get("_fixed_batch_cache")
        if cached is not None and cached[0] is inputs:
            return cached[1]
        sizes = {t.shape[0] for t in inputs if t.shape}
        sizes.discard(None)
        fixed = next(iter(sizes)) if len(sizes) == 1 else None
        self._fixed_batch_cache = (inputs, fixed)
        return fixed

    def _resolve_batch_size(self, batch_size: int | None) -> int:
        """The batch size to run with: the one given (checked), else the
        one the inputs fix, else 32.

        Raises:
            ValueError: for a batch size that is not a positive integer or
                differs from the one the inputs fix.
        """
        fixed = self._fixed_batch()  # cached: this is on predict's short path
        batch_size = _batch_size(batch_size, fixed)
        if fixed is not None and batch_size != fixed:
            raise ValueError(
                f"Model '{getattr(self, 'name', '')}' has inputs of a fixed batch "
                f"size {fixed} (Input(batch_shape=...)): pass batch_size={fixed} "
                f"or leave it out. Received: batch_size={batch_size}"
            )
        return batch_size

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before using the model for {what}. "
                f"Received: a model that is not compiled"
            )

    def _target_outputs(self) -> list[str]:
        if self._custom_loss():
            # An overridden ``compute_loss`` may read every output's targets.
            return list(self.output_names)
        with_loss = {entry.output for entry in self._losses}
        with_metrics = {
            name
            for name in self.output_names
            if self._metric_specs.get(name) or self._weighted_metric_specs.get(name)
        }
        return [name for name in self.output_names if name in with_loss | with_metrics]

    def _resolve_metrics(self, specs: Mapping[str, Any]) -> list[training.MetricEntry]:
        from kgraph import metrics as metrics_module

        losses = {entry.output: entry.loss for entry in self._losses}
        several = len(self.output_names) > 1
        entries = []
        for weighted, table in (
            (False, self._metric_specs),
            (True, self._weighted_metric_specs),
        ):
            for output, identifiers in table.items():
                for identifier in identifiers:
                    metric = metrics_module.get(
                        identifier,
                        loss=losses.get(output),
                        output_shape=self.graph.node(
                            self.graph.outputs[output]
                        ).type.shape,
                        target_shape=(None, *specs[output].shape),
                    )
                    name = f"{output}_{metric.name}" if several else metric.name
                    entries.append(training.MetricEntry(name, output, metric, weighted))
        return entries

    def _objective(self, specs: Mapping[str, Any], kind: str = TRAIN) -> Any:
        """The training graph of a kind (``TRAIN`` from the model traced in
        training mode, ``EVAL`` in inference mode) for targets ``specs``."""
        key = (kind, tuple(sorted(specs.items())))
        if key not in self._objectives:
            if self._metrics is None:
                self._metrics = self._resolve_metrics(training.split_specs(specs)[0])
            self._objectives[key] = training.build_objective(
                self,
                self.graph_for(kind == TRAIN),
                self._losses,
                self._metrics,
                training.split_specs(specs)[0],
                training=kind == TRAIN,
            )
        return self._objectives[key]

    def _forward(self, kind: str, specs: Mapping[str, Any]) -> Any:
        """The graph programs of ``kind`` start from: the objective, or the
        model traced in inference mode for prediction."""
        if kind == PREDICT:
            return self.graph_for(False)
        return self._objective(specs, kind)

    def _program(
        self,
        kind: str,
        batch_size: int,
        specs: Mapping[str, Any],
        stages: bool = False,
    ) -> Program:
        # Only training steps sum over a data-parallel job's processes.
        replicated = kind == TRAIN and distribution_module.distribution() is not None
        key = (kind, batch_size, tuple(sorted(specs.items())), replicated)
        if key not in self._programs or (stages and not self._programs[key].stages):
            graph = self._forward(kind, specs)
            self._programs[key] = training.compile_program(
                kind,
                batch_size,
                self,
                graph,
                self.optimizer,
                dict(graph.bindings),
                keep_stages=stages,
                input_shapes=training.split_specs(specs)[1],
                replicated=replicated,
            )
            self._last_program = self._programs[key]
        return self._programs[key]

    def _default_specs(self) -> dict[str, Any]:
        """Targets like the outputs, before any data is seen: class indices
        (the output without its class axis, ``int32``) for a sparse
        crossentropy, floats of the output's shape otherwise."""
        from kgraph import losses as losses_module

        sparse = {
            entry.output
            for entry in self._losses
            if losses_module.crossentropy_kind(entry.loss) == "sparse"
        }
        specs = {}
        for name in self._target_outputs():
            shape = tuple(self.graph.node(self.graph.outputs[name]).type.shape[1:])
            if name in sparse:
                specs[name] = training.TargetSpec(shape[:-1], "int32")
            else:
                specs[name] = training.TargetSpec(shape, "float32")
        return specs

    def compiled_program(
        self, kind: str = TRAIN, batch_size: int = 32, stages: bool = True
    ) -> Program:
        """Returns the compiled program of one kind for one batch size.

        Targets take the shape and dtype of the data last trained on, or
        else the output's shape as floats.

        Args:
            kind: ``"train"``, ``"eval"`` or ``"predict"``.
            batch_size: the static batch size.
            stages: keep the graph after every pass in ``Program.stages``
                (compiling again if the program was built without).

        Returns:
            The ``Program``.
        """
        if kind != PREDICT:
            self._require_compiled("building a training program")
        batch_size = self._resolve_batch_size(batch_size)
        specs = getattr(self, "_last_specs", None) or self._default_specs()
        specs = specs if kind != PREDICT else {}
        return self._program(kind, batch_size, specs, stages)

    def _executable(self, specs: Mapping[str, Any]) -> Any:
        """The backend's executable for targets of ``specs``, kept until the
        next ``compile`` so native loops are compiled once."""
        current = distribution_module.distribution()
        key: tuple = (self._backend, tuple(sorted(specs.items())))
        if current is not None:
            key += (current,)
        if key not in self._executables:
            executable = self._new_executable(specs)
            if current is not None:
                executable = DataParallelExecutable(executable, current.world)
            self._executables[key] = executable
        return self._executables[key]

    def _new_executable(self, specs: Mapping[str, Any]) -> Any:
        def programs(kind: str, batch_size: int) -> Program:
            return self._program(kind, batch_size, specs)

        if self._backend == "llvm":
            from kgraph.backends.llvm import LLVMExecutable

            return LLVMExecutable(programs, threads=self._threads)
        from kgraph.backends.interpreter_executable import InterpreterExecutable

        return InterpreterExecutable(programs)

    def _state(
        self, kind: str = PREDICT, specs: Mapping[str, Any] | None = None
    ) -> dict[str, np.ndarray]:
        """Every variable's array by its graph input name in the programs of
        ``kind`` (kept: the arrays never move, they are updated in place).

        Args:
            kind: ``"train"``, ``"eval"`` or ``"predict"``.
            specs: the targets of a training or evaluation run.
        """
        graph = self._forward(kind, specs or {})
        optimizer_variables = self.optimizer.variables if self.optimizer else []
        # The cache holds the graph, so its id is not reused while cached.
        key = (id(graph), id(self.optimizer), len(optimizer_variables))
        found = self.__dict__.get("_state_cache", {}).get(key)
        if found is not None:
            # Built once: reading it needs no lock (a state is never
            # changed, only replaced).
            return found[1]
        with self._run_lock():
            return self._state_unlocked(graph, key)

    def _state_unlocked(self, graph: Any, key: tuple) -> dict[str, np.ndarray]:
        cached = self.__dict__.setdefault("_state_cache", {})
        if key in cached:
            return cached[key][1]
        table = self._variable_table(graph)
        executable = self._executable({})
        for variable in table.values():
            storage = executable.placement(variable.value)
            if storage is not None:
                # Another kind's cached state may hold the old array.
                variable.relocate(storage)
                cached.clear()
        state = {name: variable.value for name, variable in table.items()}
        cached[key] = (graph, state)
        return state

    def _variable_table(self, graph: Any) -> dict[str, Any]:
        """Every variable programs of ``graph`` read or update, by input
        name: the graph's bindings, then the optimizer's slots of each
        trainable parameter (``program.slot_input``) and its other
        variables by path."""
        table = dict(graph.bindings)
        optimizer = self.optimizer
        if optimizer is None:
            return table
        for variable in optimizer.variables:
            table.setdefault(variable.path, variable)
        for name, variable in list(graph.bindings.items()):
            if not variable.trainable or not optimizer.has_slots(variable):
                continue
            for key, slot in optimizer.slots(variable).items():
                table[slot_input(optimizer.name, name, key)] = slot
        return table

    # -- logs ------------------------------------------------------------------------

    def _log_names(self) -> list[str]:
        names = ["loss"]
        if len(self._losses) > 1:
            names += [f"{entry.output}_loss" for entry in self._losses]
        names += [entry.log_name for entry in self._metrics or []]
        # Metrics an overridden ``compute_loss`` updates (loss trackers);
        # a class listing its ``metrics`` itself logs those only, as Keras.
        tracked = self.__dict__.get("_tracked_metrics", [])
        if type(self).metrics is not Trainer.metrics:
            tracked = [m for m in tracked if any(m is n for n in self.metrics)]
        names += [m.name for m in tracked if m.name not in names]
        return names

    def _logs(self, totals: Mapping[str, np.ndarray]) -> dict[str, float]:
        def stats_of(log_name: str) -> dict[str, np.ndarray]:
            prefix = training.stat_name(log_name, "")
            return {
                k[len(prefix) :]: v for k, v in totals.items() if k.startswith(prefix)
            }

        logs: dict[str, float] = {}
        tracked = {m.name: m for m in self.__dict__.get("_tracked_metrics", [])}
        for name in self._log_names():
            stats = stats_of(name)
            metric = next(
                (m.metric for m in self._metrics or [] if m.log_name == name),
                tracked.get(name),
            )
            if getattr(metric, "stateful", False):
                value = np.asarray(metric.result())
                logs[name] = float(value) if value.ndim == 0 else value
                continue
            if not stats:
                continue
            if metric is None:
                logs[name] = (
                    float(stats["total"] / stats["count"]) if stats["count"] else 0.0
                )
            else:
                # Several thresholds give an array, logged as it is (Keras).
                value = metric.result(stats)
                logs[name] = value if isinstance(value, np.ndarray) else float(value)
        return logs

    # -- fit -------------------------------------------------------------------------

    def _prepare(
        self, x: Any, y: Any, sample_weight: Any = None, class_weight: Any = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any], int]:
        self._ensure_built(x)
        arrays = data_utils.inputs(self, x)
        outputs = self._target_outputs()
        targets, specs = data_utils.targets(self, y, outputs)
        n = data_utils.count(arrays, targets)
        if self._metrics is None and self.compiled:
            self._metrics = self._resolve_metrics(specs)
        self._check_sparse_labels(targets)
        labels = None
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(
                    "You cannot `class_weight` and `sample_weight` at the same "
                    "time. Received: both class_weight and sample_weight"
                )
            if len(outputs) != 1:
                raise ValueError(
                    "`class_weight` is only supported for models with one output. "
                    f"Received: {len(outputs)} outputs"
                )
            labels = targets[training.target_name(outputs[0])]
        weights = data_utils.sample_weights(n, sample_weight, class_weight, labels)
        specs = {**specs, **data_utils.length_specs(self, arrays)}
        return {**arrays, **targets, "sample_weight": weights}, specs, n

    def _check_sparse_labels(self, targets: Mapping[str, np.ndarray]) -> None:
        """Class indices of sparse losses and metrics in ``[0, classes)``,
        checked before native code runs, as on the NumPy backend."""
        from kgraph import losses

        wrapped = [(entry.output, entry.loss) for entry in self._losses]
        wrapped += [(entry.output, entry.metric) for entry in self._metrics or []]
        for output, wrapper in wrapped:
            fn = getattr(wrapper, "fn", None)
            sparse = fn is losses.sparse_categorical_crossentropy or (
                getattr(fn, "__name__", "").startswith("sparse_categorical")
            )
            kwargs = getattr(wrapper, "_fn_kwargs", {})
            if not sparse or kwargs.get("axis", -1) != -1:
                continue
            shape = self.graph.node(self.graph.outputs[output]).type.shape
            data_utils.check_class_indices(
                targets[training.target_name(output)],
                shape[-1] if shape else None,
                output,
                kwargs.get("ignore_class"),
            )

    @_serialized
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: Mapping[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ) -> Any:
        """Trains the model for a number of epochs.

        Args:
            x: input arrays (an array, a list or a dict by input name), or a
                ``kg.utils.PyDataset``, generator or iterator giving batches
                ``(x, y)`` or ``(x, y, sample_weight)`` (then ``y``,
                ``batch_size`` and ``sample_weight`` are not given).
            y: target arrays, structured like the outputs.
            batch_size: samples per step (default 32); the last partial
                batch is trained on too.
            epochs: the epoch to stop at (counting from 0 up to ``epochs``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch,
                ``"auto"`` means 1.
            callbacks: ``kg.callbacks.Callback`` instances.
            validation_split: the last fraction of the data, taken before
                shuffling, to validate on (arrays only).
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val,
                sample_weight_val)``, or a ``PyDataset``, generator or
                iterator of such batches; overrides ``validation_split``.
            shuffle: reshuffle the training data every epoch (for a
                ``PyDataset``: the order of its batches; a generator's
                order is its own).
            class_weight: a weight per class index, scaling the loss of the
                training samples (not of the validation samples); it cannot
                be combined with ``sample_weight``, as in Keras.
            sample_weight: a weight per sample, scaling the loss.
            initial_epoch: the epoch to start from.
            steps_per_epoch: batches per epoch. Required for endless data;
                for a generator, each epoch reads this many more batches;
                for arrays and datasets, epochs continue through the data
                and start over once it is used up, as in Keras.
            validation_steps: batches per validation (default: all).
            validation_batch_size: samples per validation step (default
                ``batch_size``; arrays only).
            validation_freq: validate every this many epochs, or at the
                epochs (counting from 1) in a list.

        Returns:
            A ``History`` whose ``history`` maps ``loss``, the metrics and
            their ``val_`` versions to per-epoch values.

        Raises:
            ValueError: for data that does not fit the model, before any
                training step runs.
        """
        from kgraph.callbacks import CallbackList

        self._require_compiled("training")
        self._check_steps("fit")
        streamed = batch_utils.is_batch_source(x)
        if streamed:
            _no_arrays_with_batches(
                "fit", x, y=y, sample_weight=sample_weight, class_weight=class_weight
            )
            source = batch_utils.BatchSource(x, steps_per_epoch, shuffle)
        else:
            self._ensure_built(x)
            batch_size = self._resolve_batch_size(batch_size)
            train, specs, n = self._prepare(x, y, sample_weight, class_weight)
        validation = None
        val_batch_size = validation_batch_size or batch_size
        if validation_data is not None:
            validation = self._validation_source(
                validation_data, validation_steps, val_batch_size
            )
        elif validation_split and streamed:
            raise ValueError(
                "`validation_split` is only supported for arrays, not for a "
                f"{type(x).__name__}: pass `validation_data` instead. "
                f"Received: validation_split={validation_split}"
            )
        elif validation_split:
            train, held_out = data_utils.split_last(train, validation_split)
            if class_weight is not None:
                # As in Keras, class weights weight the training samples only.
                held_out["sample_weight"] = np.ones_like(held_out["sample_weight"])
            validation = _limited(
                (held_out, specs, len(next(iter(held_out.values())))),
                validation_steps,
                self._resolve_batch_size(val_batch_size),
            )
            n = len(next(iter(train.values())))
        verbose = _verbosity(verbose)
        if streamed:
            steps = source.steps_per_epoch
        else:
            cursor = _EpochCursor(n, batch_size, steps_per_epoch, shuffle)
            steps = cursor.steps
        callback_list = CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )
        if not streamed:
            self._last_specs = specs
            executable = self._executable(specs)
            state = self._state(TRAIN, specs)
        seed = dataset_loops.new_seed()
        self.stop_training = False
        callback_list.on_train_begin()
        # A callback restoring a backup (BackupAndRestore) says where the
        # interrupted training stopped, as in Keras.
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
        self._initial_epoch = None
        if not streamed:
            # After on_train_begin: a restored backup is process 0's too.
            initial_epoch = _synchronize(executable, state, initial_epoch)
        epoch_logs: dict[str, float] = {}
        for epoch in range(initial_epoch, epochs):
            if streamed and source.exhausted:
                dataset_loops.warn_ran_out("training")
                break
            callback_list.on_epoch_begin(epoch)
            self.reset_metrics()
            if streamed:
                totals = dataset_loops.train_epoch(
                    self, source, class_weight, seed, callback_list
                )
                if totals is None:
                    raise ValueError(
                        f"The training data gave no batches in epoch {epoch + 1}. "
                        f"Received: an empty {type(x).__name__}"
                    )
            else:
                totals = self._train_epoch(
                    executable, state, train, cursor, seed, callback_list
                )
            epoch_logs = self._logs(totals)
            # What ``get_metrics_result`` gives, until validation replaces it
            # (as Keras's metrics hold the last run's state).
            self._last_logs = dict(epoch_logs)
            # As in Keras, an epoch cut short by ``stop_training`` is still
            # validated and ended.
            if validation is not None and _validates(epoch, validation_freq):
                val_logs = self._validation_logs(validation)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        if epochs > 0:
            # Keras overwrites the weights with their moving average here
            # (``use_ema``); other optimizers do nothing.
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.on_train_end(epoch_logs)
        return self.history

    def _validation_source(
        self, validation_data: Any, steps: int | None, batch_size: int | None
    ) -> Any:
        """``fit``'s validation data: prepared arrays, or a ``BatchSource``
        kept across epochs (a generator reads on, as in Keras)."""
        if batch_utils.is_batch_source(validation_data):
            return batch_utils.BatchSource(
                validation_data, steps, argument="validation_steps"
            )
        prepared = self._prepare(*_unpack_validation(validation_data))
        return _limited(prepared, steps, self._resolve_batch_size(batch_size))

    def _validation_logs(self, validation: Any) -> dict[str, float]:
        if isinstance(validation, batch_utils.BatchSource):
            logs = dataset_loops.evaluate(self, validation)
            if logs is None:
                dataset_loops.warn_ran_out("validation")
                return {}
            return logs
        val_data, val_specs, _, val_batch_size = validation
        return self._evaluate_arrays(val_data, val_specs, val_batch_size)

    def _train_epoch(
        self,
        executable: Any,
        state: dict[str, np.ndarray],
        train: Mapping[str, np.ndarray],
        cursor: _EpochCursor,
        seed: int,
        callback_list: Any,
    ) -> dict[str, np.ndarray]:
        totals: dict[str, np.ndarray] = {}
        order, epoch_batches = cursor.next_epoch()
        steps = len(epoch_batches)
        chunk = max(1, math.ceil(steps / _CHUNKS_PER_EPOCH))
        iterations = self.optimizer.iterations_variable
        for start in range(0, steps, chunk):
            batches = epoch_batches[start : start + chunk]
            callback_list.on_train_batch_begin(start)
            step = int(iterations.value)
            sums = executable.train(
                state,
                train,
                order,
                cursor.batch_size,
                batches,
                step,
                seed,
                self._learning_rate(),
            )
            # The native loop updated the weights in place.
            Variable.note_writes()
            iterations.assign(step + len(batches))
            for name, value in sums.items():
                totals[name] = totals[name] + value if name in totals else value
            callback_list.on_train_batch_end(
                start + len(batches) - 1, self._logs(totals)
            )
            if self.stop_training:
                break
        return totals

    @property
    def metrics(self) -> list[Any]:
        """The compiled metrics (known once a program was built)."""
        return [entry.metric for entry in self._metrics or []]

    def reset_metrics(self) -> None:
        """Resets the state of every compiled metric (``fit`` and
        ``evaluate`` do it before each epoch and run)."""
        self.__dict__.pop("_eager_totals", None)
        for entry in self._metrics or []:
            if getattr(entry.metric, "stateful", False):
                entry.metric.reset_state()

    def _learning_rate(self) -> float:
        rate = self.optimizer.learning_rate
        return float(rate) if isinstance(rate, int | float | np.floating) else 0.0

    # -- evaluate and predict --------------------------------------------------------

    def _evaluate_arrays(
        self,
        arrays: Mapping[str, np.ndarray],
        specs: Mapping[str, Any],
        batch_size: int,
    ) -> dict[str, float]:
        executable = self._executable(specs)
        state = self._state(EVAL, specs)
        self.reset_metrics()
        sums = executable.evaluate(state, arrays, batch_size, Variable.writes())
        # Metrics' state is updated in place.
        Variable.note_writes()
        logs = self._logs(sums)
        self._last_logs = dict(logs)
        return logs

    @_serialized
    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Returns the loss and metrics of the model on data.

        Args:
            x: input arrays, or a ``kg.utils.PyDataset``, generator or
                iterator giving batches ``(x, y)`` or ``(x, y,
                sample_weight)``.
            y: target arrays.
            batch_size: samples per step (default 32).
            verbose: 0 silent, 1 progress bar (``"auto"``).
            sample_weight: a weight per sample for the loss.
            steps: batches to evaluate (default: all of them, until a
                generator ends).
            callbacks: callbacks with ``on_test_*`` hooks.
            return_dict: return ``{name: value}`` instead of a list.
            **kwargs: none are recognized (Keras's are internal).

        Returns:
            The loss if there are no metrics, else ``[loss, *metrics]``, or a
            dict with ``return_dict=True``.

        Raises:
            ValueError: for data that does not fit the model, an unknown
                keyword argument, or data that gave no batch.
        """
        from kgraph.callbacks import CallbackList

        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}. Received: {kwargs}")
        self._require_compiled("evaluation")
        self._check_steps("evaluate")
        verbose = _verbosity(verbose)
        if batch_utils.is_batch_source(x):
            _no_arrays_with_batches("evaluate", x, y=y, sample_weight=sample_weight)
            source = batch_utils.BatchSource(x, steps, argument="steps")
            callback_list = CallbackList(
                callbacks,
                add_progbar=verbose != 0,
                model=self,
                verbose=verbose,
                epochs=1,
                steps=source.steps_per_epoch,
            )
            callback_list.on_test_begin()
            logs = dataset_loops.evaluate(self, source, callback_list)
            if logs is None:
                raise ValueError(
                    "The data to evaluate on gave no batches. Received: an empty "
                    f"{type(x).__name__}"
                )
            callback_list.on_test_end(logs)
            return self._format_results(logs, return_dict)
        batch_size = self._resolve_batch_size(batch_size)
        arrays, specs, n, batch_size = _limited(
            self._prepare(x, y, sample_weight), steps, batch_size
        )
        callback_list = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=math.ceil(n / batch_size),
        )
        callback_list.on_test_begin()
        logs = self._evaluate_arrays(arrays, specs, batch_size)
        callback_list.on_test_batch_end(math.ceil(n / batch_size) - 1, logs)
        callback_list.on_test_end(logs)
        return self._format_results(logs, return_dict)

    def _result_names(self) -> list[str]:
        """The order of evaluate's list, as Keras's ``_flatten_metrics_in_order``
        gives it: the loss, the per-output losses, then the metrics in compile
        order for one output but sorted by name for several (Keras matches the
        unprefixed names of compiled metrics only for a single output)."""
        names = ["loss"]
        if len(self._losses) > 1:
            names += [f"{entry.output}_loss" for entry in self._losses]
        metric_names = [entry.log_name for entry in self._metrics or []]
        if len(self.output_names) > 1:
            metric_names = sorted(metric_names)
        return names + metric_names

    def _format_results(self, logs: Mapping[str, float], return_dict: bool) -> Any:
        if return_dict:
            return dict(sorted(logs.items()))
        values = [logs[name] for name in self._result_names() if name in logs]
        return values[0] if len(values) == 1 else values

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        """Returns the model's outputs for the inputs ``x``.

        Args:
            x: input arrays (an array, a list or a dict by input name), or a
                ``kg.utils.PyDataset``, generator or iterator giving batches
                ``x`` or ``(x,)`` (targets in them are ignored).
            batch_size: samples per step (default 32).
            verbose: 0 silent, 1 progress bar (``"auto"``).
            steps: batches to predict (default: all of them, until a
                generator ends).
            callbacks: callbacks with ``on_predict_*`` hooks.

        Returns:
            A NumPy array, or a list (or dict) of arrays for several outputs.
        """
        from kgraph.callbacks import CallbackList

        self._check_steps("predict")
        if verbose == 0 and not callbacks and steps is None:
            planned = self._planned_predict(x, batch_size)
            if planned is not None:
                return planned
        _check_batch_first_outputs(self)
        verbose = _verbosity(verbose)
        if batch_utils.is_batch_source(x):
            source = batch_utils.BatchSource(x, steps, argument="steps")
            callback_list = CallbackList(
                callbacks,
                add_progbar=verbose != 0,
                model=self,
                verbose=verbose,
                epochs=1,
                steps=source.steps_per_epoch,
            )
            callback_list.on_predict_begin()
            outputs = dataset_loops.predict(self, source, callback_list)
            callback_list.on_predict_end()
            return self._structure_outputs(outputs)
        batch_size = self._resolve_batch_size(batch_size)
        self._ensure_built(x)
        arrays = data_utils.inputs(self, x)
        n = data_utils.count(arrays)
        if steps is not None:
            arrays, _, n, _ = _limited((arrays, {}, n), steps, batch_size)
        specs = data_utils.length_specs(self, arrays)
        if verbose == 0 and not callbacks:
            # Nothing to report: straight to the native loop (the path a
            # service predicting one sample at a time takes); one batch
            # leaves a plan for the next of its signature, as
            # ``predict_on_batch`` does.
            executable = self._executable(specs)
            state = self._state(PREDICT, specs)
            outputs = executable.predict(state, arrays, batch_size, Variable.writes())
            if steps is None and n <= batch_size:
                serving.remember(self, x, arrays, specs, executable, state)
            return self._structure_outputs(outputs)
        steps = math.ceil(n / batch_size)
        callback_list = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=steps,
        )
        callback_list.on_predict_begin()
        outputs = self._executable(specs).predict(
            self._state(PREDICT, specs), arrays, batch_size, Variable.writes()
        )
        callback_list.on_predict_batch_end(steps - 1, {"outputs": outputs})
        callback_list.on_predict_end()
        return self._structure_outputs(outputs)

    def _planned_predict(self, x: Any, batch_size: int | None) -> Any:
        """A silent ``predict`` of one batch through ``predict_on_batch``'s
        plan for ``x`` (``None`` when there is none: the general path)."""
        plan = serving.find(self, x)
        if plan is None or plan.rows > self._resolve_batch_size(batch_size):
            return None
        if not plan.predict_checked:
            _check_batch_first_outputs(self)
            plan.predict_checked = True
        return plan(self, x)

    def _structure_outputs(self, outputs: Mapping[str, np.ndarray]) -> Any:
        if isinstance(getattr(self, "_outputs_struct", None), dict):
            return {name: outputs[name] for name in self.output_names}
        if len(self.output_names) == 1:
            return outputs[self.output_names[0]]
        return [outputs[name] for name in self.output_names]

    # -- single batches ----------------------------------------------------------------

    @_serialized
    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: Any = None,
        return_dict: bool = False,
    ) -> Any:
        """Runs one training step on one batch; returns its loss (and metrics)."""
        self._require_compiled("training")
        train, specs, n = self._prepare(x, y, sample_weight, class_weight)
        seed = int(random_utils.generator().integers(0, 2**31))
        step = int(self.optimizer.iterations_variable.value)
        state = self._state(TRAIN, specs)
        self.reset_metrics()
        executable = self._executable(specs)
        totals = executable.train(
            state,
            train,
            np.arange(n),
            n,
            range(1),
            step,
            seed,
            self._learning_rate(),
        )
        # The native loop updated the weights in place.
        Variable.note_writes()
        self.optimizer.iterations_variable.assign(step + 1)
        return self._format_results(self._logs(totals), return_dict)

    @_serialized
    def test_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        return_dict: bool = False,
    ) -> Any:
        """Evaluates one batch; returns its loss (and metrics)."""
        self._require_compiled("evaluation")
        arrays, specs, n = self._prepare(x, y, sample_weight)
        return self._format_results(
            self._evaluate_arrays(arrays, specs, n), return_dict
        )

    def predict_on_batch(self, x: Any) -> Any:
        """Returns the outputs for one batch of inputs.

        A small batch of a signature (shapes and dtypes) seen before runs
        through the plan its first call left (``models.serving``).
        """
        planned = serving.predict(self, x)
        if planned is not None:
            return planned
        self._ensure_built(x)
        arrays = data_utils.inputs(self, x)
        n = data_utils.count(arrays)
        specs = data_utils.length_specs(self, arrays)
        executable = self._executable(specs)
        state = self._state(PREDICT, specs)
        outputs = executable.predict(state, arrays, n, Variable.writes())
        serving.remember(self, x, arrays, specs, executable, state)
        return self._structure_outputs(outputs)

    # -- weights ---------------------------------------------------------------------

    def get_weights(self) -> list[np.ndarray]:
        """Returns copies of every weight, in Keras's order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights: Any) -> None:
        """Sets every weight from a list of arrays, in Keras's order.

        Raises:
            ValueError: when the count or a shape differs.
        """
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Model '{self.name}' has {len(own)} weights, but {len(weights)} "
                f"arrays were given. Received: {len(weights)} arrays"
            )
        for variable, value in zip(own, weights, strict=True):
            variable.assign(value)

    def save(
        self,
        filepath: str,
        overwrite: bool = True,
        zipped: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Saves the whole model in one file, written atomically.

        The file holds the architecture, the weights, the compile arguments
        and the optimizer's state: ``kg.models.load_model`` restores a model
        that predicts identically and resumes training where it stopped.

        Args:
            filepath: ``*.kgraph`` (kgraph's format) or ``*.keras`` (Keras 3's;
                needs h5py).
            overwrite: replace an existing file.
            zipped: accepted for Keras compatibility (always zipped).
            **kwargs: accepted for Keras compatibility.

        Raises:
            ValueError: for another extension, or a model that cannot be
                described by its layers' configs.
        """
        from kgraph.saving import api

        api.save_model(self, filepath, overwrite, zipped, **kwargs)

    def export(
        self,
        filepath: str,
        format: str = "c",
        verbose: Any = None,
        input_signature: Any = None,
        **kwargs: Any,
    ) -> None:
        """Exports the predict loop as a C library: ``NAME.o`` (the loop and
        its weights, for a target CPU, nothing to link but the C functions
        its header lists) and ``NAME.h`` in the folder ``filepath``.

        Args:
            filepath: the folder to write.
            format: ``"c"`` (the one format kgraph writes).
            verbose: print where the files went (default: yes).
            input_signature: must be ``None`` (the model's inputs decide).
            **kwargs: ``name`` (the C prefix; the model's name),
                ``target`` (an LLVM triple; this machine's), ``cpu``,
                ``features`` (``"+avx2,-avx512f"``) and ``batch_size`` (rows
                per step, 1).

        Raises:
            ValueError: for another format, an input signature, or an
                unknown argument.

        Example:

        ```python
        model.export("digits_c", format="c")  # digits_c/<name>.o and .h
        ```
        """
        from kgraph.models.export import export_c

        if format != "c":
            raise ValueError(
                "export: kgraph writes format='c' (a C header and an object file "
                f"of the predict loop). Received: format={format!r}"
            )
        if input_signature is not None:
            raise ValueError(
                "export: the model's inputs give the signature. Received: "
                f"input_signature={input_signature!r}"
            )
        allowed = {"name", "target", "cpu", "features", "batch_size"}
        unknown = sorted(set(kwargs) - allowed)
        if unknown:
            raise ValueError(
                f"export: unknown argument(s) {unknown}; expected some of "
                f"{sorted(allowed)}. Received: {unknown}"
            )
        folder = export_c(self, filepath, **kwargs)
        if verbose is None or verbose:
            print(f"Exported the predict loop of '{self.name}' to {folder}")

    def save_weights(
        self, filepath: str, overwrite: bool = True, max_shard_size: Any = None
    ) -> None:
        """Saves every weight, atomically: ``*.weights.h5`` in Keras 3's HDF5
        layout (with the optimizer state; needs h5py) or ``*.weights.npz``
        (no dependency). ``max_shard_size`` must be ``None`` (one file)."""
        from kgraph.saving import api

        api.save_weights(self, filepath, overwrite, max_shard_size)

    def load_weights(
        self, filepath: str, skip_mismatch: bool = False, **kwargs: Any
    ) -> None:
        """Loads weights from ``*.weights.h5`` (kgraph's or Keras's),
        ``*.weights.npz``, or a ``.kgraph`` or ``.keras`` model file; the
        model is unchanged unless every weight fits, or, with
        ``skip_mismatch``, what does not fit is left out with a warning."""
        from kgraph.saving import api

        api.load_weights(self, filepath, skip_mismatch, **kwargs)


def _leaves(value: Any) -> list[Any]:
    """The entries of a loss given as one value, a list or a dict."""
    if isinstance(value, Mapping):
        return [v for v in value.values() if v is not None]
    if isinstance(value, list | tuple):
        return [v for v in value if v is not None]
    return [] if value is None else [value]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _verbosity(verbose: Any) -> int:
    """``verbose`` as a number (``"auto"`` is 1); 0 on the processes of a
    data-parallel job other than process 0, which alone prints."""
    level = 1 if verbose == "auto" else int(verbose)
    return level if distribution_module.is_chief() else 0


def _synchronize(
    executable: Any, state: Mapping[str, np.ndarray], epoch: int = 0
) -> int:
    """Gives every process of a data-parallel job process 0's weights,
    optimizer state and first epoch before training; returns the epoch
    (nothing changes without a distribution)."""
    synchronize = getattr(executable, "synchronize", None)
    return epoch if synchronize is None else synchronize(state, epoch)


def _batch_size(batch_size: int | None, fixed: int | None = None) -> int:
    if batch_size is None:
        return fixed or 32
    if (
        isinstance(batch_size, bool | np.bool_)
        or not isinstance(batch_size, int | np.integer)
        or batch_size <= 0
    ):
        raise ValueError(
            "`batch_size` must be a positive integer. "
            f"Received: batch_size={batch_size!r}"
        )
    return int(batch_size)


class _EpochCursor:
    """The batches of each epoch over arrays: all of them in a new order,
    or with ``steps_per_epoch`` that many, continuing through one order
    across epochs and starting a new one once it is used up (Keras's
    ``EpochIterator``)."""

    def __init__(
        self, samples: int, batch_size: int, steps_per_epoch: int | None, shuffle: bool
    ) -> None:
        if steps_per_epoch is not None and (
            isinstance(steps_per_epoch, bool)
            or not isinstance(steps_per_epoch, int | np.integer)
            or steps_per_epoch < 1
        ):
            raise ValueError(
                "`steps_per_epoch` must be a positive integer or None. "
                f"Received: steps_per_epoch={steps_per_epoch!r}"
            )
        self.samples = samples
        self.batch_size = batch_size
        self.total = math.ceil(samples / batch_size)
        self.wanted = None if steps_per_epoch is None else int(steps_per_epoch)
        self.shuffle = shuffle
        self.position = 0
        self.order = np.arange(samples)

    @property
    def steps(self) -> int:
        """Batches per epoch, as callbacks are told."""
        return self.wanted or self.total

    def next_epoch(self) -> tuple[np.ndarray, range]:
        """The order of the samples and the batches of the next epoch."""
        if self.wanted is None or self.position == 0 or self.position >= self.total:
            generator = random_utils.generator()
            shuffled = generator.permutation(self.samples) if self.shuffle else None
            self.order = np.arange(self.samples) if shuffled is None else shuffled
            self.position = 0
        wanted = self.wanted or self.total
        stop = min(self.position + wanted, self.total)
        batches = range(self.position, stop)
        self.position = stop
        if len(batches) < wanted:
            dataset_loops.warn_ran_out("training")
        return self.order, batches


def _limited(
    prepared: tuple[dict[str, np.ndarray], dict[str, Any], int],
    steps: int | None,
    batch_size: int,
) -> tuple[dict[str, np.ndarray], dict[str, Any], int, int]:
    """Validation arrays cut to ``steps`` batches, with their batch size."""
    arrays, specs, n = prepared
    if steps is not None:
        if (
            isinstance(steps, bool)
            or not isinstance(steps, int | np.integer)
            or steps < 1
        ):
            raise ValueError(
                "`validation_steps` must be a positive integer or None. "
                f"Received: validation_steps={steps!r}"
            )
        n = min(n, int(steps) * batch_size)
        arrays = {k: v[:n] for k, v in arrays.items()}
    return arrays, specs, n, batch_size


def _validates(epoch: int, validation_freq: Any) -> bool:
    """Whether epoch ``epoch`` (from 0) is validated, as Keras's
    ``validation_freq`` says: every n epochs, or the epochs of a list
    (counting from 1)."""
    if isinstance(validation_freq, int) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError(
                "`validation_freq` must be a positive integer or a list of "
                f"epochs. Received: validation_freq={validation_freq}"
            )
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, list | tuple | set | range):
        return epoch + 1 in validation_freq
    raise ValueError(
        "`validation_freq` must be a positive integer or a list of epochs. "
        f"Received: validation_freq={validation_freq!r}"
    )


def _no_arrays_with_batches(method: str, x: Any, **given: Any) -> None:
    """Raises, as Keras does, for arguments that batches carry themselves.

    Raises:
        ValueError: naming the argument and the kind of data.
    """
    kind = "PyDataset" if batch_utils.is_dataset(x) else "generator"
    what = {"y": "the targets", "sample_weight": "the sample weights"}
    for name, value in given.items():
        if value is None:
            continue
        if name == "class_weight":
            if kind == "generator":
                raise ValueError(
                    "Argument `class_weight` is not supported for Python "
                    f"generator inputs. Received: class_weight={value}"
                )
            continue
        raise ValueError(
            f"When providing `x` as a {kind}, `{name}` should not be passed to "
            f"`{method}()`. Instead, {what[name]} should be included as part of "
            f"the {kind}. Received: {name} of type {type(value).__name__}"
        )


def _unpack_validation(validation_data: Any) -> tuple[Any, Any, Any]:
    if not isinstance(validation_data, list | tuple) or len(validation_data) not in (
        2,
        3,
    ):
        raise ValueError(
            "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"val_sample_weight). Received: {type(validation_data).__name__}"
        )
    x_val, y_val, *rest = validation_data
    return x_val, y_val, rest[0] if rest else None


__all__ = ["BACKENDS", "Trainer"]


def _check_batch_first_outputs(model: Any) -> None:
    """Refuses, before compiling, a functional model's output whose first
    axis is static while every input's batch axis is unknown: the batch is
    elsewhere, and predict stacks batches along the first axis."""
    try:
        inputs = _flat(model.inputs)
        outputs = _flat(model.outputs)
    except (AttributeError, ValueError):
        return
    if not inputs or not outputs:
        return
    if any(not t.shape or t.shape[0] is not None for t in inputs):
        return
    for tensor in outputs:
        if tensor.shape and tensor.shape[0] is not None:
            raise errors.ShapeError(
                "predict stacks each output's batches along its first axis, which "
                f"must be the batch: an output of model {model.name!r} has shape "
                f"{tuple(tensor.shape)} whose first axis is not the batch's (None). "
                f"Received: output shape {tuple(tensor.shape)}"
            )


def _flat(structure: Any) -> list[Any]:
    if structure is None:
        return []
    if isinstance(structure, dict):
        return list(structure.values())
    if isinstance(structure, list | tuple):
        return list(structure)
    return [structure]

"""Keras 3's ``Layer`` members beyond building and calling: dtypes, the
build config, a layer's own variables in a store, stateless and symbolic
calls, and the metrics a layer tracks. ``Layer`` inherits them."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import ops
from kgraph.ir.graph import Graph
from kgraph.tensor import KerasTensor
from kgraph.tensor import SymbolicTensor
from kgraph.tree import flatten
from kgraph.tree import map_structure


class LayerMembers:
    """Keras's ``Layer`` members that kgraph's ``Layer`` gets from here."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every class's own ``build`` records the shapes it was called with
        # (``get_build_config``), as Keras's wrapper around ``build`` does.
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_records_shapes", False):
            cls.build = _recording(build)  # type: ignore[method-assign]

    # Instances set both in ``Layer.__init__``; these are the class defaults.
    dtype: str = "float32"
    input_spec: Any = None

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations (its ``dtype``: kgraph has
        no mixed precision)."""
        return self.dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights (its ``dtype``)."""
        return self.dtype

    @property
    def input_dtype(self) -> str:
        """The dtype floating-point inputs are cast to (its ``dtype``)."""
        return self.dtype

    @property
    def path(self) -> str:
        """The prefix of the layer's weights' paths (its name, or
        ``"<layer>/<cell>"`` for a recurrent layer's cell)."""
        return self.__dict__.get("_path", self.name)  # type: ignore[attr-defined]

    # -- build config --------------------------------------------------------------

    def get_build_config(self) -> dict[str, Any] | None:
        """Returns the input shape the layer was built for, as Keras's
        ``{"input_shape": ...}``; ``None`` before it is built from data."""
        if not getattr(self, "built", False):
            return None
        return self.__dict__.get("_build_config")

    def build_from_config(self, config: Mapping[str, Any] | None) -> None:
        """Builds the layer from ``get_build_config``'s output.

        Args:
            config: ``{"input_shape": shape}`` (or Keras's ``{"shapes_dict":
                {...}}``), or ``None`` (nothing to do).
        """
        if not config:
            return
        if "input_shape" in config:
            self.build(_tuples(config["input_shape"]))  # type: ignore[attr-defined]
        elif "shapes_dict" in config:
            shapes = {k: _tuples(v) for k, v in config["shapes_dict"].items()}
            self.build(**shapes)  # type: ignore[attr-defined]
        self.built = True

    # -- own variables -------------------------------------------------------------

    def _own_variables(self) -> list[Any]:
        """The layer's own weights (not its sublayers'): trainable first,
        as Keras stores them."""
        own = list(self.__dict__.get("_weights", []))
        return [v for v in own if v.trainable] + [v for v in own if not v.trainable]

    def save_own_variables(self, store: Any) -> None:
        """Writes the layer's own weights into ``store`` under ``"0"``,
        ``"1"``, ... (Keras's layout in ``.keras`` files).

        Args:
            store: a dict-like object.
        """
        for index, variable in enumerate(self._own_variables()):
            store[f"{index}"] = variable.numpy()

    def load_own_variables(self, store: Any) -> None:
        """Reads the layer's own weights from ``save_own_variables``'s store.

        Raises:
            ValueError: when the store holds another number of arrays.
        """
        own = self._own_variables()
        if len(store.keys()) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expected {len(own)} variables, but received "  # type: ignore[attr-defined]
                f"{len(store.keys())} variables during loading. Expected: "
                f"{[v.name for v in own]}. Received: keys {list(store.keys())}"
            )
        for index, variable in enumerate(own):
            variable.assign(np.asarray(store[f"{index}"]))

    # -- calls -----------------------------------------------------------------------

    def symbolic_call(self, *args: Any, **kwargs: Any) -> Any:
        """Calls the layer on symbolic tensors (``KerasTensor``s), recording
        the call as ``__call__`` does."""
        return self(*args, **kwargs)  # type: ignore[operator]

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Returns ``KerasTensor``s of the outputs' shapes and dtypes for
        inputs given as ``KerasTensor``s, without recording a call.

        Raises:
            ValueError: for inputs the layer cannot take (as a call).
        """
        graph = Graph(name="spec")
        counter = iter(range(1 << 30))

        def as_placeholder(value: Any) -> Any:
            if isinstance(value, KerasTensor):
                return ops.placeholder(
                    graph, f"x{next(counter)}", value.shape, value.dtype
                )
            return value

        args = map_structure(as_placeholder, list(args))
        kwargs = map_structure(as_placeholder, dict(kwargs))
        outputs = self(*args, **kwargs)  # type: ignore[operator]
        return map_structure(
            lambda t: KerasTensor(t.type) if isinstance(t, SymbolicTensor) else t,
            outputs,
        )

    def stateless_call(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        *args: Any,
        return_losses: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Calls the layer eagerly with the given weight values instead of
        its own, which are left unchanged.

        Args:
            trainable_variables: values for ``trainable_variables``, in order.
            non_trainable_variables: values for ``non_trainable_variables``.
            *args: the call's inputs.
            return_losses: also return the losses the call added.
            **kwargs: the call's keyword arguments (``training``...).

        Returns:
            ``(outputs, non_trainable_values)`` (the non-trainable values
            after the call, e.g. updated statistics), and the losses last
            with ``return_losses=True``.

        Raises:
            ValueError: for value lists of the wrong length.
        """
        groups = (
            (self.trainable_variables, trainable_variables, "trainable_variables"),  # type: ignore[attr-defined]
            (
                self.non_trainable_variables,
                non_trainable_variables,
                "non_trainable_variables",
            ),  # type: ignore[attr-defined]
        )
        for own, given, what in groups:
            if len(own) != len(given):
                raise ValueError(
                    f"Layer '{self.name}' has {len(own)} {what}; stateless_call "  # type: ignore[attr-defined]
                    f"needs one value each. Received: {len(given)} values"
                )
        variables = [v for own, _, _ in groups for v in own]
        saved = [v.numpy() for v in variables]
        try:
            for variable, value in zip(
                variables, [*trainable_variables, *non_trainable_variables], strict=True
            ):
                variable.assign(np.asarray(value))
            outputs = self(*args, **kwargs)  # type: ignore[operator]
            after = [v.numpy() for v in self.non_trainable_variables]  # type: ignore[attr-defined]
            losses = list(self.losses) if return_losses else None  # type: ignore[attr-defined]
        finally:
            for variable, value in zip(variables, saved, strict=True):
                variable.assign(value)
        if return_losses:
            return outputs, after, losses
        return outputs, after

    def rematerialized_call(self, layer_call: Any, *args: Any, **kwargs: Any) -> Any:
        """Returns ``layer_call`` itself: Keras recomputes a call's
        activations during the backward pass to save memory under a
        ``RematScope``; kgraph's compiler plans each step's memory itself
        and does not rematerialize, so the call and its results are
        unchanged.

        Args:
            layer_call: the function to wrap (usually ``self.call``).

        Returns:
            ``layer_call``.
        """
        del args, kwargs
        return layer_call

    # -- metrics ---------------------------------------------------------------------

    @property
    def metrics(self) -> list[Any]:
        """The metrics assigned to the layer's attributes (and its
        sublayers'), which Keras tracks."""
        found: list[Any] = []
        for value in flatten(list(self.__dict__.values())):
            if _is_metric(value) and not any(value is m for m in found):
                found.append(value)
        for layer in self._sublayers():  # type: ignore[attr-defined]
            found += [m for m in layer.metrics if not any(m is f for f in found)]
        return found

    @property
    def metrics_variables(self) -> list[Any]:
        """The variables of ``metrics``."""
        return [v for metric in self.metrics for v in getattr(metric, "variables", [])]

    def add_metric(self, *args: Any, **kwargs: Any) -> None:
        """Removed in Keras 3, as here.

        Raises:
            NotImplementedError: always, with Keras's advice.
        """
        raise NotImplementedError(
            "Layer `add_metric()` method is deprecated. Add your metric in "
            "`Model.compile(metrics=[...])`, or create metric trackers in init() "
            "or build() when subclassing the layer or model, then call "
            "`metric.update_state()` whenever necessary."
        )


def _recording(build: Callable[..., None]) -> Callable[..., None]:
    """``build`` that first records its shapes on the layer: ``{"input_shape":
    shape}`` for one argument, else ``{"shapes_dict": {name: shape}}``
    (Keras's build config); the outermost call of a chain of ``super().build``
    records."""
    signature = inspect.signature(build)

    @functools.wraps(build)
    def recording(self: Any, *args: Any, **kwargs: Any) -> None:
        first = "_build_config" not in self.__dict__
        if first:
            try:
                bound = signature.bind(self, *args, **kwargs)
            except TypeError:
                bound = None
            if bound is not None:
                shapes = dict(list(bound.arguments.items())[1:])
                if len(shapes) == 1:
                    config = {"input_shape": next(iter(shapes.values()))}
                else:
                    config = {"shapes_dict": shapes}
                self.__dict__["_build_config"] = config
        try:
            build(self, *args, **kwargs)
        except BaseException:
            if first:
                self.__dict__.pop("_build_config", None)
            raise

    recording._records_shapes = True  # type: ignore[attr-defined]
    return recording


def _is_metric(value: Any) -> bool:
    """A metric object (the layers cannot import ``kgraph.metrics``)."""
    return all(
        callable(getattr(value, name, None))
        for name in ("update_state", "result", "reset_state")
    ) and not isinstance(value, type)


def _tuples(shape: Any) -> Any:
    """A shape read from JSON: lists become tuples (nested shapes too)."""
    if isinstance(shape, list | tuple):
        if all(d is None or isinstance(d, int) for d in shape):
            return tuple(shape)
        return type(shape)(_tuples(s) for s in shape)
    if isinstance(shape, dict):
        return {k: _tuples(v) for k, v in shape.items()}
    return shape


__all__ = ["LayerMembers"]

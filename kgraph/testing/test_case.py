"""``run_layer_test``: the checks every layer should pass, in the spirit of
Keras's ``testing.TestCase.run_layer_test``.

One call checks a layer class from its constructor arguments: the config
round trip, the symbolic output shape, weight counts, eager results against
a compiled model's ``predict`` on each backend, and (optionally) that a tiny
model around the layer trains. It raises ``AssertionError`` with a message
that says which check failed, so it works under any test runner.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes

Shape = tuple[int, ...]

__all__ = ["run_layer_test"]


def run_layer_test(
    layer_cls: type,
    init_kwargs: Mapping[str, Any],
    input_shape: Shape | Sequence[Shape],
    expected_output_shape: Shape,
    expected_num_trainable_weights: int = 0,
    expected_num_non_trainable_weights: int = 0,
    input_dtype: str = "float32",
    run_training_check: bool = True,
    backends: Sequence[str] = ("numpy", "llvm"),
) -> None:
    """Runs the standard checks of a layer class.

    1. ``get_config`` / ``from_config`` round-trips to the same config.
    2. Called on ``kg.Input`` tensors, a new layer gives
       ``expected_output_shape`` with ``None`` for the batch, and
       ``compute_output_shape`` agrees.
    3. The layer has the expected numbers of trainable and non-trainable
       weights.
    4. Called eagerly on random arrays, it gives an output of
       ``expected_output_shape`` equal to what a functional model
       ``Input -> layer`` returns from ``predict``, on every backend.
    5. If ``run_training_check`` and the layer has trainable weights or a
       float output: ``Input -> layer -> (Flatten) -> Dense(1)`` compiled
       with SGD and mse trains one epoch on random data to a finite loss,
       and every trainable weight of the layer changes (for a layer without
       weights, some weight of the head).

    Args:
        layer_cls: the layer class.
        init_kwargs: its constructor arguments.
        input_shape: the input shape with the batch dimension, e.g.
            ``(2, 3)``, or a list of shapes for a layer taking a list.
        expected_output_shape: the output shape for ``input_shape``, with
            the batch dimension.
        expected_num_trainable_weights: how many trainable variables.
        expected_num_non_trainable_weights: how many non-trainable ones.
        input_dtype: the dtype of the inputs (floats are drawn from a normal
            distribution, ints from ``[0, 5)``).
        run_training_check: whether to run check 5.
        backends: the backends ``model.compile(backend=...)`` is given for
            checks 4 and 5 (both: the reference and native code).

    Raises:
        AssertionError: naming the check that failed.

    Example:

    >>> from kgraph import layers
    >>> run_layer_test(
    ...     layers.Dense,
    ...     {"units": 4},
    ...     input_shape=(2, 3),
    ...     expected_output_shape=(2, 4),
    ...     expected_num_trainable_weights=2,
    ... )
    """
    name = layer_cls.__name__
    several = _is_shape_list(input_shape)
    shapes = [tuple(s) for s in input_shape] if several else [tuple(input_shape)]
    expected_output_shape = tuple(expected_output_shape)
    symbolic_shape = (None, *expected_output_shape[1:])

    _check_config_round_trip(layer_cls, init_kwargs)

    # 2-3. Symbolic call, output shape, weights.
    layer = layer_cls(**init_kwargs)
    inputs = _symbolic_inputs(shapes, input_dtype)
    output = layer(inputs if several else inputs[0])
    _expect(
        tuple(output.shape) == symbolic_shape,
        f"{name}: called on inputs of shape {[tuple(t.shape) for t in inputs]}, "
        f"the output has shape {tuple(output.shape)}; expected {symbolic_shape}",
    )
    traced = layer.compute_output_shape(
        [tuple(t.shape) for t in inputs] if several else tuple(inputs[0].shape)
    )
    _expect(
        tuple(traced) == symbolic_shape,
        f"{name}: compute_output_shape gives {traced}; expected {symbolic_shape}",
    )
    _check_weight_counts(
        layer, expected_num_trainable_weights, expected_num_non_trainable_weights
    )

    # 4. Eager call against the model's predict.
    arrays = _random_arrays(shapes, input_dtype, seed=0)
    eager = np.asarray(layer(arrays if several else arrays[0]))
    _expect(
        eager.shape == expected_output_shape,
        f"{name}: the eager call gives shape {eager.shape}; expected "
        f"{expected_output_shape}",
    )
    _check_predict(layer, inputs, output, arrays, eager, backends, several)

    # 5. Training.
    float_output = dtypes.is_float(str(output.dtype))
    if run_training_check and (expected_num_trainable_weights or float_output):
        for backend in backends:
            _check_training(layer_cls, init_kwargs, shapes, input_dtype, backend)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _is_shape_list(shape: Any) -> bool:
    return isinstance(shape, list | tuple) and any(
        isinstance(d, list | tuple) for d in shape
    )


def _symbolic_inputs(shapes: Sequence[Shape], dtype: str) -> list[Any]:
    from kgraph.layers import Input

    return [Input(shape=s[1:], dtype=dtype) for s in shapes]


def _random_arrays(shapes: Sequence[Shape], dtype: str, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    if dtypes.is_float(dtype):
        return [rng.normal(size=s).astype(dtype) for s in shapes]
    return [rng.integers(0, 5, size=s).astype(dtype) for s in shapes]


def _same_config(a: Any, b: Any) -> bool:
    """Config equality that treats tuples and lists alike and compares
    arrays by value."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same_config(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(
            _same_config(x, y) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)


def _check_config_round_trip(layer_cls: type, init_kwargs: Mapping[str, Any]) -> None:
    name = layer_cls.__name__
    original = layer_cls(**init_kwargs)
    config = original.get_config()
    _expect(isinstance(config, dict), f"{name}: get_config must return a dict")
    for key in ("name", "trainable", "dtype"):
        _expect(key in config, f"{name}: get_config lacks {key!r}: {config}")
    clone = layer_cls.from_config(config)
    _expect(
        type(clone) is layer_cls,
        f"{name}: from_config made a {type(clone).__name__}",
    )
    again = clone.get_config()
    _expect(
        _same_config(config, again),
        f"{name}: from_config(get_config()) changes the config:\n  {config}\n  "
        f"-> {again}",
    )


def _check_weight_counts(layer: Any, trainable: int, non_trainable: int) -> None:
    name = type(layer).__name__
    _expect(
        len(layer.trainable_weights) == trainable,
        f"{name}: {len(layer.trainable_weights)} trainable weights; expected "
        f"{trainable}",
    )
    _expect(
        len(layer.non_trainable_weights) == non_trainable,
        f"{name}: {len(layer.non_trainable_weights)} non-trainable weights; "
        f"expected {non_trainable}",
    )
    _expect(
        len(layer.weights) == trainable + non_trainable,
        f"{name}: {len(layer.weights)} weights; expected {trainable + non_trainable}",
    )


def _check_predict(
    layer: Any,
    inputs: list[Any],
    output: Any,
    arrays: list[Any],
    eager: np.ndarray,
    backends: Sequence[str],
    several: bool,
) -> None:
    from kgraph.models import Model

    name = type(layer).__name__
    model = Model(inputs if several else inputs[0], output)
    rtol, atol = dtypes.TOLERANCES.get(str(eager.dtype), (1e-5, 1e-6))
    for backend in backends:
        model.compile(optimizer="sgd", loss="mse", backend=backend)
        predicted = np.asarray(
            model.predict(arrays if several else arrays[0], verbose=0)
        )
        _expect(
            predicted.shape == eager.shape,
            f"{name}: predict ({backend}) gives shape {predicted.shape}, the eager "
            f"call {eager.shape}",
        )
        if not np.allclose(predicted, eager, rtol=rtol, atol=atol, equal_nan=True):
            worst = float(np.max(np.abs(predicted.astype(float) - eager)))
            raise AssertionError(
                f"{name}: predict ({backend}) differs from the eager call by up to "
                f"{worst} (rtol={rtol}, atol={atol})"
            )


def _check_training(
    layer_cls: type,
    init_kwargs: Mapping[str, Any],
    shapes: list[Shape],
    input_dtype: str,
    backend: str,
) -> None:
    from kgraph import optimizers
    from kgraph.layers import Dense
    from kgraph.layers import Flatten
    from kgraph.models import Model

    name = layer_cls.__name__
    layer = layer_cls(**init_kwargs)
    inputs = _symbolic_inputs(shapes, input_dtype)
    hidden = layer(inputs if len(shapes) > 1 else inputs[0])
    if hidden.ndim != 2:
        hidden = Flatten()(hidden)
    head = Dense(1)
    model = Model(inputs if len(shapes) > 1 else inputs[0], head(hidden))
    model.compile(
        optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", backend=backend
    )
    samples = 8
    arrays = _random_arrays([(samples, *s[1:]) for s in shapes], input_dtype, seed=1)
    targets = np.random.default_rng(2).normal(size=(samples, 1)).astype("float32")
    watched = layer.trainable_weights or head.trainable_weights
    before = [v.numpy() for v in watched]
    history = model.fit(
        arrays if len(shapes) > 1 else arrays[0],
        targets,
        batch_size=samples,
        epochs=1,
        verbose=0,
    )
    loss = history.history["loss"][-1]
    _expect(
        bool(np.isfinite(loss)),
        f"{name}: one epoch of fit ({backend}) gives the loss {loss}",
    )
    unchanged = [
        variable.path
        for variable, old in zip(watched, before, strict=True)
        if np.array_equal(variable.numpy(), old)
    ]
    # Every weight of the layer must move; for a layer without weights, the
    # head must learn something.
    stuck = unchanged
    if not layer.trainable_weights and len(unchanged) < len(watched):
        stuck = []
    _expect(
        not stuck,
        f"{name}: one epoch of fit ({backend}) leaves {', '.join(stuck)} unchanged",
    )

"""Normalization layers: ``LayerNormalization`` and ``BatchNormalization``,
written with ``kgraph.ops`` (no primitive of their own)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from kgraph import constraints
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import scalar_input
from kgraph.layers.layer import serialize_object
from kgraph.layers.layer import training_flag
from kgraph.ops import builder
from kgraph.tensor import SymbolicTensor


def _normalize_axes(
    layer: Layer, axes: Sequence[int], rank: int, what: str = "axis"
) -> list[int]:
    result = []
    for axis in axes:
        if not -rank <= axis < rank:
            raise ValueError(
                f'Layer "{layer.name}" ({type(layer).__name__}): `{what}` {axis} is '
                f"out of range for inputs of rank {rank}. Received: {what}={axis}"
            )
        result.append(axis % rank)
    if len(set(result)) != len(result):
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}): duplicate axes. '
            f"Received: {what}={list(axes)}"
        )
    return sorted(result)


def _check_axis_arg(layer_name: str, axis: Any) -> None:
    items = axis if isinstance(axis, list | tuple) else [axis]
    if not items or any(
        isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in items
    ):
        raise ValueError(
            f"{layer_name}: `axis` must be an int or a list of ints. "
            f"Received: axis={axis!r}"
        )


def _mean(x: Any, axes: list[int]) -> Any:
    """The mean over ``axes`` keeping them; an unknown batch axis counts
    with the graph's ``batch_size`` input (fed or specialized), other
    unknown axes from the data."""
    if isinstance(x, SymbolicTensor) and any(x.shape[a] is None for a in axes):
        unknown = [a for a in axes if x.shape[a] is None]
        if unknown != [0]:
            # Other sizes known only when the model runs (images of any
            # size): ``ops.mean`` counts the elements from the data.
            return ops.mean(x, axis=tuple(axes), keepdims=True)
        count = 1
        for a in axes:
            if a != 0:
                count *= x.shape[a]
        total = ops.sum(x, axis=tuple(axes), keepdims=True)
        batch = scalar_input(x.graph, "batch_size", "float32")
        return ops.divide(ops.divide(total, batch), float(count))
    return ops.mean(x, axis=tuple(axes), keepdims=True)


def _moments(x: Any, axes: list[int]) -> tuple[Any, Any]:
    """The mean and the biased variance over ``axes`` (kept)."""
    mean = _mean(x, axes)
    variance = _mean(ops.square(ops.subtract(x, mean)), axes)
    return mean, variance


def _inverse_count(x: Any, axes: list[int]) -> Any:
    """``1 / (elements summed over axes)``: a number, a tensor of the graph
    when only the batch size is unknown (its ``batch_size`` input), ``None``
    when other sizes are known only from the data."""
    unknown = [a for a in axes if x.shape[a] is None]
    count = 1
    for a in axes:
        if x.shape[a] is not None:
            count *= x.shape[a]
    if not unknown:
        return 1.0 / count
    if unknown != [0] or not isinstance(x, SymbolicTensor):
        return None
    batch = scalar_input(x.graph, "batch_size", "float32")
    return ops.divide(1.0 / count, batch)


def _read(variable: Any, like: Any) -> Any:
    """The variable as a node of ``like``'s graph when ``like`` is symbolic
    (an op on a variable alone would run eagerly and bake its current value
    into the graph as a constant)."""
    if isinstance(like, SymbolicTensor):
        return SymbolicTensor(like.graph, builder.variable_node(like.graph, variable))
    return variable


def _broadcast(param: Any, shape: tuple[int, ...], like: Any) -> Any:
    """A parameter shaped to broadcast against the input ``like``."""
    param = _read(param, like)
    if tuple(param.shape) == shape:
        return param
    return ops.reshape(param, shape)


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis``: ``(x - mean) / sqrt(var + eps)``,
    then scales by ``gamma`` and shifts by ``beta`` (Keras 3 semantics: the
    variance is biased).

    Args:
        axis: the axis or axes to normalize over (``-1``).
        epsilon: added to the variance (``1e-3``).
        center: whether to add the learned offset ``beta``.
        scale: whether to multiply by the learned ``gamma``.
        beta_initializer: ``beta``'s initializer (``"zeros"``).
        gamma_initializer: ``gamma``'s initializer (``"ones"``).
        beta_regularizer: a penalty on ``beta``.
        gamma_regularizer: a penalty on ``gamma``.
        beta_constraint, gamma_constraint: constraints applied to the
            weights after each optimizer update.

    Example:

    >>> LayerNormalization()([[1.0, 3.0]]).numpy().round(3)
    array([[-1.,  1.]], dtype=float32)
    """

    _passes_masks = True

    def __init__(
        self,
        axis: int | Sequence[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_axis_arg("LayerNormalization", axis)
        self.axis = list(axis) if isinstance(axis, list | tuple) else int(axis)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape: Any) -> None:
        """Creates ``gamma`` and ``beta`` of the normalized axes' sizes."""
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self._axes = _normalize_axes(self, axes, rank)
        sizes = [input_shape[a] for a in self._axes]
        if any(size is None for size in sizes):
            raise ValueError(
                f'Layer "{self.name}" (LayerNormalization) needs the normalized '
                f"axes to be known. Received: input_shape={tuple(input_shape)}"
            )
        shape = tuple(sizes)
        self._param_shape = tuple(
            input_shape[a] if a in self._axes else 1 for a in range(rank)
        )
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                shape,
                self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                name="gamma",
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                shape,
                self.beta_initializer,
                regularizer=self.beta_regularizer,
                name="beta",
                constraint=self.beta_constraint,
            )
        self.input_spec = InputSpec(
            ndim=rank, axes={a: input_shape[a] for a in self._axes}
        )
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Normalizes, scales and shifts."""
        mean, variance = _moments(inputs, self._axes)
        inverse = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
        outputs = ops.multiply(ops.subtract(inputs, mean), inverse)
        if self.gamma is not None:
            outputs = ops.multiply(
                outputs, _broadcast(self.gamma, self._param_shape, inputs)
            )
        if self.beta is not None:
            outputs = ops.add(outputs, _broadcast(self.beta, self._param_shape, inputs))
        return outputs

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_object(self.beta_initializer, initializers),
            "gamma_initializer": serialize_object(self.gamma_initializer, initializers),
            "beta_regularizer": serialize_object(self.beta_regularizer, regularizers),
            "gamma_regularizer": serialize_object(self.gamma_regularizer, regularizers),
            "beta_constraint": serialize_object(self.beta_constraint, constraints),
            "gamma_constraint": serialize_object(self.gamma_constraint, constraints),
        }


class BatchNormalization(Layer):
    """Normalizes over the batch (and every axis but ``axis``).

    In training it uses the batch's mean and biased variance and moves
    ``moving_mean`` and ``moving_variance`` towards them:
    ``moving = momentum * moving + (1 - momentum) * batch_statistic``, inside
    the compiled training step (``Layer.add_state_update``). At inference
    (``predict``, ``evaluate``, eager calls) it uses the moving statistics.
    As in Keras 3, a non-trainable layer always runs in inference mode.

    Args:
        axis: the features axis (``-1``).
        momentum: the moving average's momentum (``0.99``).
        epsilon: added to the variance (``1e-3``).
        center: whether to add the learned offset ``beta``.
        scale: whether to multiply by the learned ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: the weights' initializers
            (``"zeros"``, ``"ones"``, ``"zeros"``, ``"ones"``).
        beta_regularizer, gamma_regularizer: penalties on the weights.
        beta_constraint, gamma_constraint: constraints applied to the
            weights after each optimizer update.

    Call arguments:
        inputs: the input tensor.
        training: ``True`` for batch statistics, ``False`` for the moving
            ones, ``None`` in a model: whatever the model runs.

    Example:

    >>> BatchNormalization()([[1.0, 3.0]]).numpy().round(4)
    array([[0.9995, 2.9985]], dtype=float32)
    """

    _passes_masks = True

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(
                f"BatchNormalization: `axis` must be an int. Received: axis={axis!r}"
            )
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape: Any) -> None:
        """Creates ``gamma``, ``beta``, ``moving_mean`` and ``moving_variance``."""
        rank = len(input_shape)
        (axis,) = _normalize_axes(self, [self.axis], rank)
        size = input_shape[axis]
        if size is None:
            raise ValueError(
                f'Layer "{self.name}" (BatchNormalization) needs the size of axis '
                f"{self.axis} to be known. Received: input_shape={tuple(input_shape)}"
            )
        self._reduction_axes = [a for a in range(rank) if a != axis]
        self._param_shape = tuple(size if a == axis else 1 for a in range(rank))
        shape = (size,)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                shape,
                self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                name="gamma",
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                shape,
                self.beta_initializer,
                regularizer=self.beta_regularizer,
                name="beta",
                constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            shape, self.moving_mean_initializer, trainable=False, name="moving_mean"
        )
        self.moving_variance = self.add_weight(
            shape,
            self.moving_variance_initializer,
            trainable=False,
            name="moving_variance",
        )
        self.input_spec = InputSpec(ndim=rank, axes={axis: size})
        self.built = True

    def _normalize(self, inputs: Any, mean: Any, variance: Any) -> Any:
        inverse = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
        outputs = ops.multiply(ops.subtract(inputs, mean), inverse)
        if self.gamma is not None:
            outputs = ops.multiply(
                outputs, _broadcast(self.gamma, self._param_shape, inputs)
            )
        if self.beta is not None:
            outputs = ops.add(outputs, _broadcast(self.beta, self._param_shape, inputs))
        return outputs

    def _normalize_batch(self, inputs: Any, mean: Any, variance: Any) -> Any:
        """``_normalize`` with the batch's own statistics, differentiated in
        closed form: with ``x_hat`` the normalized input, ``r`` the inverse
        standard deviation and means over the batch axes, ``dx = gamma * r *
        (dy - mean(dy) - x_hat * mean(dy * x_hat))``, ``dgamma = sum(dy *
        x_hat)``, ``dbeta = sum(dy)``: two reductions and one pass, where
        differentiating the statistics op by op takes five and eight."""
        axes = self._reduction_axes
        inverse_count = _inverse_count(inputs, axes)
        if inverse_count is None:
            # Sizes known only from the data: differentiated op by op.
            return self._normalize(inputs, mean, variance)
        params = [
            _broadcast(param, self._param_shape, inputs)
            for param in (self.gamma, self.beta)
            if param is not None
        ]
        scaled, centered = self.gamma is not None, self.beta is not None

        @ops.custom_gradient
        def normalize(x: Any, *weights: Any) -> Any:
            inverse = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
            x_hat = ops.multiply(ops.subtract(x, mean), inverse)
            y = ops.multiply(x_hat, weights[0]) if scaled else x_hat
            y = ops.add(y, weights[-1]) if centered else y

            def grad(upstream: Any) -> list[Any]:
                dy_x_hat = ops.multiply(upstream, x_hat)
                sum_dy = ops.sum(upstream, axis=axes, keepdims=True)
                sum_dy_x_hat = ops.sum(dy_x_hat, axis=axes, keepdims=True)
                mean_dy = ops.multiply(sum_dy, inverse_count)
                mean_dy_x_hat = ops.multiply(sum_dy_x_hat, inverse_count)
                scale = ops.multiply(weights[0], inverse) if scaled else inverse
                dx = ops.multiply(
                    scale,
                    ops.subtract(
                        ops.subtract(upstream, mean_dy),
                        ops.multiply(x_hat, mean_dy_x_hat),
                    ),
                )
                grads = [dx]
                if scaled:
                    grads.append(sum_dy_x_hat)
                if centered:
                    grads.append(sum_dy)
                return grads

            return y, grad

        return normalize(inputs, *params)

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Batch statistics in training (updating the moving ones), moving
        statistics otherwise."""
        if training is not None and not isinstance(training, SymbolicTensor):
            training = bool(training)
        if not self.trainable:
            training = False
        moving_mean = _broadcast(self.moving_mean, self._param_shape, inputs)
        moving_variance = _broadcast(self.moving_variance, self._param_shape, inputs)
        inference = self._normalize(inputs, moving_mean, moving_variance)
        if training is False:
            return inference
        mean, variance = _moments(inputs, self._reduction_axes)
        trained = self._normalize_batch(inputs, mean, variance)
        stored_mean = _read(self.moving_mean, inputs)
        stored_variance = _read(self.moving_variance, inputs)
        shape = tuple(self.moving_mean.shape)
        new_mean = ops.add(
            ops.multiply(stored_mean, self.momentum),
            ops.multiply(ops.reshape(mean, shape), 1.0 - self.momentum),
        )
        new_variance = ops.add(
            ops.multiply(stored_variance, self.momentum),
            ops.multiply(ops.reshape(variance, shape), 1.0 - self.momentum),
        )
        if training is True:
            self.add_state_update(self.moving_mean, new_mean)
            self.add_state_update(self.moving_variance, new_variance)
            return trained
        flag = training_flag(inputs, training)
        self.add_state_update(self.moving_mean, ops.where(flag, new_mean, stored_mean))
        self.add_state_update(
            self.moving_variance, ops.where(flag, new_variance, stored_variance)
        )
        return ops.where(flag, trained, inference)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_object(self.beta_initializer, initializers),
            "gamma_initializer": serialize_object(self.gamma_initializer, initializers),
            "moving_mean_initializer": serialize_object(
                self.moving_mean_initializer, initializers
            ),
            "moving_variance_initializer": serialize_object(
                self.moving_variance_initializer, initializers
            ),
            "beta_regularizer": serialize_object(self.beta_regularizer, regularizers),
            "gamma_regularizer": serialize_object(self.gamma_regularizer, regularizers),
            "beta_constraint": serialize_object(self.beta_constraint, constraints),
            "gamma_constraint": serialize_object(self.gamma_constraint, constraints),
        }

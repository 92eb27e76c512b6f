"""``GroupNormalization``, ``UnitNormalization`` and ``RMSNormalization``,
written with ``kgraph.ops`` (no primitive of their own)."""

from __future__ import annotations

from typing import Any

from kgraph import constraints
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object
from kgraph.ops.shaping import axis_code


def _axes_in_range(layer: Layer, axes: list[int], rank: int) -> list[int]:
    for axis in axes:
        if not -rank <= axis < rank:
            raise ValueError(
                f'Layer "{layer.name}" ({type(layer).__name__}): axis {axis} is out '
                f"of bounds for inputs of rank {rank}. Received: axis={axes}"
            )
    return sorted(a % rank for a in axes)


def _reshape(x: Any, target: list[int]) -> Any:
    """A reshape whose target may hold axis codes (``kgraph.ops.shaping.axis_code``)."""
    return ops.apply("reshape", [x], {"shape": tuple(target)})


class GroupNormalization(Layer):
    """Group normalization (Wu and He, 2018): the channels (``axis``) are
    split into ``groups``; each group of each sample is normalized over
    its channels and all other non-batch axes, then scaled by ``gamma``
    and shifted by ``beta`` per channel.

    Args:
        groups: the number of groups (divides the channels); ``-1`` for
            one channel per group (instance normalization).
        axis: the channels axis (-1).
        epsilon: added to the variance (1e-3).
        center: whether to learn the shift ``beta``.
        scale: whether to learn the scale ``gamma``.
        beta_initializer: ``beta``'s initializer.
        gamma_initializer: ``gamma``'s initializer.
        beta_regularizer: a penalty on ``beta``.
        gamma_regularizer: a penalty on ``gamma``.
        beta_constraint: a constraint applied to ``beta`` after each
            optimizer update.
        gamma_constraint: a constraint applied to ``gamma`` after each update.

    Raises:
        ValueError: for groups that do not divide the channels.

    Example:

    >>> GroupNormalization(groups=2)([[[0.0, 1.0, 2.0, 3.0]]]).numpy().round(3)
    array([[[-0.998,  0.998, -0.998,  0.998]]], dtype=float32)
    """

    _passes_masks = True

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
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
        if (
            isinstance(groups, bool)
            or not isinstance(groups, int)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "Received an invalid value for argument `groups`, expected a "
                "positive integer (or `-1` for instance normalization). "
                f"Received: groups={groups}"
            )
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma: Any = None
        self.beta: Any = None

    def build(self, input_shape: Any) -> None:
        """Creates ``gamma`` and ``beta`` of the channels' size."""
        _axes_in_range(self, [self.axis], len(input_shape))
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension "
                f"but the layer received an input with shape {tuple(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(
                f"Number of groups ({self.groups}) cannot be more than the number of "
                f"channels ({dim}). Received: groups={self.groups}"
            )
        if dim % self.groups:
            raise ValueError(
                f"Number of groups ({self.groups}) must be a multiple of the number "
                f"of channels ({dim}). Received: groups={self.groups}"
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        if self.scale:
            self.gamma = self.add_weight(
                (dim,),
                self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                name="gamma",
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                (dim,),
                self.beta_initializer,
                regularizer=self.beta_regularizer,
                name="beta",
                constraint=self.beta_constraint,
            )
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Normalizes each group."""
        rank = inputs.ndim
        axis = self.axis % rank
        shape = list(inputs.shape)
        channels = shape[axis]
        size = channels // self.groups
        # Unknown sizes (the batch, a sequence or image of any size) stay
        # as the input's axes (reshape axis codes).
        kept = [d if d is not None else axis_code(i) for i, d in enumerate(shape)]
        x = _reshape(inputs, [*kept[:axis], self.groups, size, *kept[axis + 1 :]])
        reduce = tuple(i for i in range(1, rank + 1) if i != axis)
        mean = ops.mean(x, axis=reduce, keepdims=True)
        variance = ops.mean(
            ops.square(ops.subtract(x, mean)), axis=reduce, keepdims=True
        )
        inv = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
        broadcast = [1] * (rank + 1)
        broadcast[axis : axis + 2] = [self.groups, size]
        if self.gamma is not None:
            inv = ops.multiply(inv, ops.reshape(self.gamma, broadcast))
        shift = ops.negative(ops.multiply(mean, inv))
        if self.beta is not None:
            shift = ops.add(shift, ops.reshape(self.beta, broadcast))
        outputs = ops.add(ops.multiply(x, inv), shift)
        # Back: the grouped tensor's axes before and after the two group axes.
        back = [
            d if d is not None else axis_code(i + (i > axis))
            for i, d in enumerate(shape)
        ]
        back[axis] = channels
        return _reshape(outputs, back)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "groups": self.groups,
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


class UnitNormalization(Layer):
    """Scales each vector along ``axis`` to unit L2 norm:
    ``x * min(1 / sqrt(sum(x**2)), 1e12)``.

    Args:
        axis: the axis or axes of the vectors (-1).

    Raises:
        TypeError: for an ``axis`` that is not an int or a list of ints.

    Example:

    >>> UnitNormalization()([[3.0, 4.0]]).numpy()
    array([[0.6, 0.8]], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, list | tuple):
            self.axis: Any = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "Invalid value for `axis` argument: expected an int or a list/tuple "
                f"of ints. Received: axis={axis}"
            )

    def call(self, inputs: Any) -> Any:
        """Divides by the L2 norm."""
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        axes = _axes_in_range(self, axes, inputs.ndim)
        total = ops.sum(ops.square(inputs), axis=tuple(axes), keepdims=True)
        inv_norm = ops.minimum(ops.divide(1.0, ops.sqrt(total)), 1e12)
        return ops.multiply(inputs, inv_norm)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang and Sennrich, 2019):
    ``x / sqrt(mean(x**2) + epsilon) * scale`` over ``axis``, ``scale``
    a trainable weight of the normalized axes' shape.

    Args:
        axis: the axis or axes to normalize (-1).
        epsilon: added to the mean square (1e-6).

    Example:

    >>> RMSNormalization()([[3.0, 4.0]]).numpy().round(4)
    array([[0.8485, 1.1314]], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, axis: Any = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis
        self.epsilon = epsilon

    def build(self, input_shape: Any) -> None:
        """Creates ``scale`` (ones) of the normalized axes' shape."""
        if isinstance(self.axis, list):
            self.axis = sorted(self.axis)
            shape = tuple(input_shape[a] for a in self.axis)
        else:
            shape = (input_shape[self.axis],)
            self.axis = [self.axis]
        self.scale = self.add_weight(shape, "ones", name="scale")
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Normalizes by the root mean square and scales."""
        axes = tuple(_axes_in_range(self, list(self.axis), inputs.ndim))
        mean_square = ops.mean(ops.square(inputs), axis=axes, keepdims=True)
        rrms = ops.divide(1.0, ops.sqrt(ops.add(mean_square, self.epsilon)))
        return ops.multiply(ops.multiply(inputs, rrms), self.scale)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}

"""Activation layers: ``ReLU``, ``LeakyReLU``, ``ELU``, ``PReLU`` and
``Softmax``."""

from __future__ import annotations

import warnings
from typing import Any

from kgraph import constraints
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object


class ReLU(Layer):
    """Rectified linear unit with Keras's options.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for
    ``threshold <= x < max_value``, ``negative_slope * (x - threshold)``
    otherwise.

    Args:
        max_value: an upper bound, or ``None``.
        negative_slope: the slope below the threshold (>= 0).
        threshold: the threshold (>= 0).

    Example:

    >>> ReLU(max_value=1.0)([-1.0, 0.5, 3.0]).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """

    _passes_masks = True

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, value in (
            ("negative_slope", negative_slope),
            ("threshold", threshold),
        ):
            if value is None or value < 0:
                raise ValueError(
                    f"ReLU: {name} must be a non-negative float. Received: "
                    f"{name}={value!r}"
                )
        if max_value is not None and max_value < 0:
            raise ValueError(
                f"ReLU: max_value must be non-negative. "
                f"Received: max_value={max_value!r}"
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs: Any) -> Any:
        """Applies the rectifier."""
        x = ops.cast(inputs, "float32") if inputs.dtype != "float64" else inputs
        above = ops.greater(x, self.threshold)
        below: Any = 0.0
        if self.negative_slope:
            below = ops.multiply(ops.subtract(x, self.threshold), self.negative_slope)
        result = ops.where(above, x, below)
        if self.max_value is not None:
            result = ops.minimum(result, float(self.max_value))
        return result

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(Layer):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    Args:
        negative_slope: the slope for negative inputs (Keras's default 0.3).
            Keras 2's name ``alpha`` is accepted with a warning, as Keras 3
            does.

    Example:

    >>> LeakyReLU()([-10.0, 2.0]).numpy()
    array([-3.,  2.], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` is deprecated. Use `negative_slope` instead.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "LeakyReLU: negative_slope must be a non-negative float. "
                f"Received: negative_slope={negative_slope!r}"
            )
        self.negative_slope = negative_slope

    def call(self, inputs: Any) -> Any:
        """Applies the leaky rectifier."""
        return ops.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """Exponential linear unit: ``x`` where positive,
    ``alpha * (exp(x) - 1)`` elsewhere.

    Args:
        alpha: the scale of the negative part (1.0).

    Example:

    >>> ELU()([-1.0, 2.0]).numpy().round(4)
    array([-0.6321,  2.    ], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs: Any) -> Any:
        """Applies the exponential linear unit."""
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Parametric rectifier: ``x`` where positive, ``alpha * x`` elsewhere,
    with ``alpha`` a trainable weight of the input's shape (without the
    batch axis), shared along ``shared_axes``.

    Args:
        alpha_initializer: the initializer of ``alpha`` (zeros).
        alpha_regularizer: a penalty on ``alpha``.
        alpha_constraint: a constraint applied to ``alpha`` after each
            optimizer update.
        shared_axes: the axes (1 is the first after the batch) along which
            ``alpha`` is one value, e.g. ``[1, 2]`` for feature maps
            ``(batch, height, width, channels)``.

    Example:

    >>> PReLU(alpha_initializer="ones")([[-1.0, 2.0]]).numpy()
    array([[-1.,  2.]], dtype=float32)
    """

    _passes_masks = True

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha_constraint = constraints.get(alpha_constraint)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, list | tuple):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape: Any) -> None:
        """Creates ``alpha``."""
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis <= len(shape):
                raise ValueError(
                    f'Layer "{self.name}" (PReLU): `shared_axes` holds axes 1 to '
                    f"{len(shape)} for inputs of rank {len(input_shape)}. "
                    f"Received: shared_axes={self.shared_axes}"
                )
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                f'Layer "{self.name}" (PReLU): alpha needs every non-batch input '
                "axis known or shared. Received: "
                f"input_shape={tuple(input_shape)}"
            )
        self.alpha = self.add_weight(
            shape,
            self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            name="alpha",
            constraint=self.alpha_constraint,
        )
        shared = set(self.shared_axes or [])
        axes = {
            i: input_shape[i] for i in range(1, len(input_shape)) if i not in shared
        }
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Computes ``relu(x) - alpha * relu(-x)``."""
        positive = ops.relu(inputs)
        negative = ops.multiply(
            ops.negative(self.alpha), ops.relu(ops.negative(inputs))
        )
        return ops.add(positive, negative)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "alpha_initializer": serialize_object(self.alpha_initializer, initializers),
            "alpha_regularizer": serialize_object(self.alpha_regularizer, regularizers),
            "alpha_constraint": serialize_object(self.alpha_constraint, constraints),
            "shared_axes": self.shared_axes,
        }


class Softmax(Layer):
    """Softmax along ``axis``, optionally masked as Keras's layer is.

    Args:
        axis: the axis, or a list of axes, to normalize (default -1).

    Call arguments:
        inputs: the logits.
        mask: an optional mask broadcastable to ``inputs`` (true or 1
            keeps): masked logits become ``-1e9`` before the softmax and
            masked outputs 0 after it, as in Keras.

    Example:

    >>> Softmax()([[0.0, 0.0]]).numpy()
    array([[0.5, 0.5]], dtype=float32)
    >>> Softmax()([[0.0, 0.0]], mask=[[True, False]]).numpy()
    array([[1., 0.]], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """Applies softmax, masked when ``mask`` is given."""
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        if mask is None:
            return ops.softmax(inputs, axis=axis)
        mask = ops.as_tensor(mask)
        if mask.ndim > inputs.ndim:
            raise ValueError(
                "The `mask` must be broadcastable to `inputs` and must not have "
                f"more dimensions. Received: inputs.shape={tuple(inputs.shape)}, "
                f"mask.shape={tuple(mask.shape)}"
            )
        if mask.dtype != "bool":
            mask = ops.greater(mask, 0.5)
        outputs = ops.softmax(ops.where(mask, inputs, -1e9), axis=axis)
        return ops.where(mask, outputs, 0.0)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "axis": self.axis}

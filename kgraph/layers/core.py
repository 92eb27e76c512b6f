"""Core layers: ``Dense``, ``Activation``, ``Identity`` and ``Lambda``."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from kgraph import activations
from kgraph import constraints
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object


def serialize_activation(activation: Any) -> Any:
    """Returns a built-in activation's name, or a custom callable itself
    (kept by reference, like ``Lambda``'s function); ``activations.get``
    turns either back into the activation."""
    name = getattr(activation, "__name__", None)
    if activation is None or activations.ALL_OBJECTS_DICT.get(name) is activation:
        return activations.serialize(activation)
    return activation


class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)``.

    Args:
        units: the output size, a positive integer.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        kernel_initializer: the kernel's initializer (``"glorot_uniform"``).
        bias_initializer: the bias's initializer (``"zeros"``).
        kernel_regularizer: a penalty on the kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        kernel_constraint: a constraint applied to the kernel after each
            optimizer update (``kgraph.constraints``).
        bias_constraint: a constraint applied to the bias after each update.

    Input shape:
        ``(batch_size, ..., input_dim)``.

    Output shape:
        ``(batch_size, ..., units)``.

    Example:

    >>> layer = Dense(2, kernel_initializer="ones")
    >>> layer([[1.0, 2.0]]).numpy()
    array([[3., 3.]], dtype=float32)
    """

    _passes_masks = True

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if (
            isinstance(units, bool)
            or not isinstance(units, numbers.Integral)
            or units <= 0
        ):
            raise ValueError(
                "Received an invalid value for `units`, expected a positive "
                f"integer. Received: units={units!r}"
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` of shape ``(input_dim, units)`` and ``bias``."""
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Layer "{self.name}" (Dense) needs the last dimension of its '
                f"input to be known. Received: input_shape={input_shape}"
            )
        self.kernel = self._add_kernel((input_dim, self.units))
        self.bias = self._add_bias((self.units,))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Computes ``activation(inputs @ kernel + bias)``."""
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        return self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "units": self.units,
            "activation": serialize_activation(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize_object(
                self.kernel_initializer, initializers
            ),
            "bias_initializer": serialize_object(self.bias_initializer, initializers),
            "kernel_regularizer": serialize_object(
                self.kernel_regularizer, regularizers
            ),
            "bias_regularizer": serialize_object(self.bias_regularizer, regularizers),
            "kernel_constraint": serialize_object(self.kernel_constraint, constraints),
            "bias_constraint": serialize_object(self.bias_constraint, constraints),
        }


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: a name (``"relu"``) or a callable.

    Example:

    >>> Activation("relu")([-1.0, 2.0]).numpy()
    array([0., 2.], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: Any) -> Any:
        """Applies the activation."""
        return self.activation(inputs)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "activation": serialize_activation(self.activation),
        }


class Identity(Layer):
    """Returns its input unchanged.

    Example:

    >>> Identity()([1.0, 2.0]).numpy()
    array([1., 2.], dtype=float32)
    """

    _passes_masks = True

    def call(self, inputs: Any) -> Any:
        """Returns ``inputs``."""
        return inputs


class Lambda(Layer):
    """Wraps a function of tensors as a layer.

    Args:
        function: a callable written with ``kgraph.ops``.
        output_shape: accepted for Keras compatibility; kgraph infers the
            output shape by tracing the function.
        mask: accepted for Keras compatibility; masking is not supported, so
            it must be ``None``.
        arguments: extra keyword arguments for the function.

    Example:

    >>> Lambda(lambda x: x + 1.0)([1.0]).numpy()
    array([2.], dtype=float32)
    """

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(
                f"Lambda needs a callable. Received: function={function!r}"
            )
        if mask is not None:
            raise ValueError(
                f"Lambda: masking is not supported. Received: mask={mask!r}"
            )
        self.function = function
        self.output_shape = output_shape
        self.arguments = dict(arguments or {})

    def call(self, inputs: Any) -> Any:
        """Calls the function."""
        return self.function(inputs, **self.arguments)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (the function by reference)."""
        return {
            **super().get_config(),
            "function": self.function,
            "output_shape": self.output_shape,
            "arguments": self.arguments,
        }

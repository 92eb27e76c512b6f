"""Core layers: ``Dense``, ``Activation``, ``Identity`` and ``Lambda``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kgraph import activations
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer


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

    Input shape:
        ``(batch_size, ..., input_dim)``.

    Output shape:
        ``(batch_size, ..., units)``.

    Example:

    >>> layer = Dense(2, kernel_initializer="ones")
    >>> layer([[1.0, 2.0]]).numpy()
    array([[3., 3.]], dtype=float32)
    """

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
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive "
                f"integer. Received: units={units!r}"
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` of shape ``(input_dim, units)`` and ``bias``."""
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Layer "{self.name}" (Dense) needs the last dimension of its '
                f"input to be known. Received: input_shape={input_shape}"
            )
        self.kernel = self.add_weight(
            (input_dim, self.units),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (self.units,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                name="bias",
            )
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
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
        }


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: a name (``"relu"``) or a callable.

    Example:

    >>> Activation("relu")([-1.0, 2.0]).numpy()
    array([0., 2.], dtype=float32)
    """

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
            "activation": activations.serialize(self.activation),
        }


class Identity(Layer):
    """Returns its input unchanged."""

    def call(self, inputs: Any) -> Any:
        """Returns ``inputs``."""
        return inputs


class Lambda(Layer):
    """Wraps a function of tensors as a layer.

    Args:
        function: a callable written with ``kgraph.ops``.
        arguments: extra keyword arguments for the function.

    Example:

    >>> Lambda(lambda x: x + 1.0)([1.0]).numpy()
    array([2.], dtype=float32)
    """

    def __init__(
        self,
        function: Callable[..., Any],
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(
                f"Lambda needs a callable. Received: function={function!r}"
            )
        self.function = function
        self.arguments = dict(arguments or {})

    def call(self, inputs: Any) -> Any:
        """Calls the function."""
        return self.function(inputs, **self.arguments)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (the function by reference)."""
        return {
            **super().get_config(),
            "function": self.function,
            "arguments": self.arguments,
        }

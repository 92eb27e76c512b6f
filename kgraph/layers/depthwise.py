"""Depthwise convolution layers, channels last: ``DepthwiseConv1D/2D``
(the separable ones, built on them, are in ``layers/separable.py``).

A depthwise convolution convolves each input channel on its own with
``depth_multiplier`` filters (``ops.depthwise_conv``, a grouped ``conv``
with one group per channel: no dense kernel full of zeros). A separable
convolution follows it with a pointwise (window 1) convolution. Weights,
their names and order are Keras's: ``DepthwiseConv*`` has ``kernel``
``(*kernel_size, in_channels, depth_multiplier)`` and ``bias``
``(in_channels * depth_multiplier,)``; ``SeparableConv*`` has
``depthwise_kernel`` (the same shape), ``pointwise_kernel`` ``(*ones,
in_channels * depth_multiplier, filters)`` and ``bias`` ``(filters,)``.
"""

from __future__ import annotations

from typing import Any

from kgraph import activations
from kgraph import constraints
from kgraph import errors
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.convolutional import check_window_fits
from kgraph.layers.convolutional import describe
from kgraph.layers.convolutional import is_int
from kgraph.layers.convolutional import standardize_data_format
from kgraph.layers.convolutional import standardize_padding
from kgraph.layers.convolutional import standardize_tuple
from kgraph.layers.core import serialize_activation
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object


def positive_int(value: Any, name: str, where: str) -> int:
    """A strictly positive integer argument.

    Raises:
        ValueError: naming the layer and the argument otherwise.
    """
    if not is_int(value) or value <= 0:
        raise ValueError(
            f"{where}: invalid value for argument `{name}`, expected a strictly "
            f"positive integer. Received: {name}={value!r}"
        )
    return int(value)


class DepthwiseBase(Layer):
    """What depthwise and separable convolutions share: the window geometry,
    the activation, the bias and the input checks."""

    def __init__(
        self,
        rank: int,
        kernel_size: Any,
        strides: Any,
        padding: str,
        depth_multiplier: int,
        data_format: str | None,
        dilation_rate: Any,
        activation: Any,
        use_bias: bool,
        depthwise_initializer: Any,
        bias_initializer: Any,
        depthwise_regularizer: Any,
        bias_regularizer: Any,
        activity_regularizer: Any,
        depthwise_constraint: Any,
        bias_constraint: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        where = describe(self)
        self.rank = rank
        self.depth_multiplier = positive_int(
            depth_multiplier, "depth_multiplier", where
        )
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", where)
        self.strides = standardize_tuple(strides, rank, "strides", where)
        self.dilation_rate = standardize_tuple(
            dilation_rate, rank, "dilation_rate", where
        )
        self.padding = standardize_padding(padding, False, where)
        self.data_format = standardize_data_format(data_format, where)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _channels(self, input_shape: Any) -> int:
        """Checks the input and returns its (known) channel count."""
        self.input_spec.check(self, input_shape)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"{describe(self)} needs the channel dimension (the last) of its "
                f"input to be known. Received: input_shape="
                f"{errors.format_shape(input_shape)}"
            )
        self._check_fits(input_shape)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        return int(channels)

    def _check_fits(self, input_shape: Any) -> None:
        check_window_fits(
            self,
            tuple(input_shape),
            self.kernel_size,
            self.dilation_rate,
            self.padding,
            "kernel_size",
        )

    def _add_depthwise(self, name: str, channels: int) -> Any:
        return self.add_weight(
            (*self.kernel_size, channels, self.depth_multiplier),
            self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            name=name,
            constraint=self.depthwise_constraint,
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": serialize_activation(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": serialize_object(
                self.depthwise_initializer, initializers
            ),
            "bias_initializer": serialize_object(self.bias_initializer, initializers),
            "depthwise_regularizer": serialize_object(
                self.depthwise_regularizer, regularizers
            ),
            "bias_regularizer": serialize_object(self.bias_regularizer, regularizers),
            "depthwise_constraint": serialize_object(
                self.depthwise_constraint, constraints
            ),
            "bias_constraint": serialize_object(self.bias_constraint, constraints),
        }


class BaseDepthwiseConv(DepthwiseBase):
    """A depthwise convolution over ``rank`` spatial axes, channels last.

    Args:
        rank: the number of spatial axes.
        kernel_size: the window, an int or one per spatial axis.
        strides: the steps, an int or one per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: the filters per input channel.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or one per spatial axis.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        depthwise_initializer: the kernel's initializer.
        bias_initializer: the bias's initializer.
        depthwise_regularizer: a penalty on the kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        depthwise_constraint: a constraint on the kernel after each update.
        bias_constraint: a constraint on the bias after each update.

    Raises:
        ValueError: for a bad argument, an input of the wrong rank or unknown
            channels, or a kernel larger than the padded input.
    """

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` ``(*kernel_size, in_channels,
        depth_multiplier)`` and ``bias`` ``(in_channels *
        depth_multiplier,)``."""
        channels = self._channels(input_shape)
        self.kernel = self._add_depthwise("kernel", channels)
        self.bias = self._add_bias((channels * self.depth_multiplier,))
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Computes ``activation(depthwise_conv(inputs, kernel) + bias)``."""
        self._check_fits(inputs.shape)
        outputs = ops.depthwise_conv(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            bias=self.bias,
        )
        return self.activation(outputs)


class DepthwiseConv1D(BaseDepthwiseConv):
    """A 1-D depthwise convolution: each channel convolved on its own with
    ``depth_multiplier`` filters, channels last.

    Args:
        kernel_size: the window length, an int or a 1-tuple.
        strides: the step, an int or a 1-tuple.
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: the filters per input channel.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or a 1-tuple.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        depthwise_initializer: the kernel's initializer
            (``"glorot_uniform"``).
        bias_initializer: the bias's initializer (``"zeros"``).
        depthwise_regularizer: a penalty on the kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        depthwise_constraint: a constraint on the kernel after each update.
        bias_constraint: a constraint on the bias after each update.

    Input shape:
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, new_steps, channels * depth_multiplier)``, the steps
        as ``Conv1D``'s; output channel ``c * depth_multiplier + m`` comes
        from input channel ``c``.

    Example:

    >>> import numpy as np
    >>> layer = DepthwiseConv1D(3, depth_multiplier=2)
    >>> layer(np.ones((1, 5, 4), "float32")).shape
    (1, 3, 8)
    >>> tuple(layer.kernel.shape)
    (3, 4, 2)
    """

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1,
            kernel_size,
            strides,
            padding,
            depth_multiplier,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            depthwise_initializer,
            bias_initializer,
            depthwise_regularizer,
            bias_regularizer,
            activity_regularizer,
            depthwise_constraint,
            bias_constraint,
            **kwargs,
        )


class DepthwiseConv2D(BaseDepthwiseConv):
    """A 2-D depthwise convolution: each channel convolved on its own with
    ``depth_multiplier`` filters, channels last.

    Args:
        kernel_size: the window, an int or a pair.
        strides: the steps, an int or a pair.
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: the filters per input channel.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or a pair.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        depthwise_initializer: the kernel's initializer
            (``"glorot_uniform"``).
        bias_initializer: the bias's initializer (``"zeros"``).
        depthwise_regularizer: a penalty on the kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        depthwise_constraint: a constraint on the kernel after each update.
        bias_constraint: a constraint on the bias after each update.

    Input shape:
        ``(batch_size, height, width, channels)``.

    Output shape:
        ``(batch_size, new_height, new_width, channels *
        depth_multiplier)``, the spatial sizes as ``Conv2D``'s.

    Example:

    >>> import numpy as np
    >>> layer = DepthwiseConv2D(3, strides=2, padding="same")
    >>> layer(np.ones((1, 6, 6, 3), "float32")).shape
    (1, 3, 3, 3)
    >>> [tuple(w.shape) for w in layer.weights]
    [(3, 3, 3, 1), (3,)]
    """

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2,
            kernel_size,
            strides,
            padding,
            depth_multiplier,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            depthwise_initializer,
            bias_initializer,
            depthwise_regularizer,
            bias_regularizer,
            activity_regularizer,
            depthwise_constraint,
            bias_constraint,
            **kwargs,
        )

"""Separable convolution layers, channels last: ``SeparableConv1D/2D`` (and
the ``SeparableConvolution*`` aliases).

A depthwise convolution (``layers/depthwise.py``) followed by a pointwise
(window 1) one mixing the channels (``ops.separable_conv``). Weights, names
and order are Keras's: ``depthwise_kernel`` ``(*kernel_size, in_channels,
depth_multiplier)``, ``pointwise_kernel`` ``(*ones, in_channels *
depth_multiplier, filters)`` and ``bias`` ``(filters,)``.
"""

from __future__ import annotations

from typing import Any

from kgraph import constraints
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.convolutional import describe
from kgraph.layers.depthwise import DepthwiseBase
from kgraph.layers.depthwise import positive_int
from kgraph.layers.layer import serialize_object


class BaseSeparableConv(DepthwiseBase):
    """A depthwise then pointwise convolution over ``rank`` spatial axes.

    Args:
        rank: the number of spatial axes.
        filters: the output channels, a positive integer.
        kernel_size: the window, an int or one per spatial axis.
        strides: the steps, an int or one per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or one per spatial axis.
        depth_multiplier: the depthwise filters per input channel.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        depthwise_initializer: the depthwise kernel's initializer.
        pointwise_initializer: the pointwise kernel's initializer.
        bias_initializer: the bias's initializer.
        depthwise_regularizer: a penalty on the depthwise kernel.
        pointwise_regularizer: a penalty on the pointwise kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        depthwise_constraint: a constraint on the depthwise kernel.
        pointwise_constraint: a constraint on the pointwise kernel.
        bias_constraint: a constraint on the bias.

    Raises:
        ValueError: for a bad argument, an input of the wrong rank or unknown
            channels, or a kernel larger than the padded input.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            rank,
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
        self.filters = positive_int(filters, "filters", describe(self))
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape: Any) -> None:
        """Creates ``depthwise_kernel``, ``pointwise_kernel`` and ``bias``
        (in that order, as Keras)."""
        channels = self._channels(input_shape)
        self.depthwise_kernel = self._add_depthwise("depthwise_kernel", channels)
        self.pointwise_kernel = self.add_weight(
            (*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            name="pointwise_kernel",
            constraint=self.pointwise_constraint,
        )
        self.bias = self._add_bias((self.filters,))
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Computes ``activation(separable_conv(inputs, ...) + bias)``."""
        self._check_fits(inputs.shape)
        outputs = ops.separable_conv(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            bias=self.bias,
        )
        return self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "filters": self.filters,
            "pointwise_initializer": serialize_object(
                self.pointwise_initializer, initializers
            ),
            "pointwise_regularizer": serialize_object(
                self.pointwise_regularizer, regularizers
            ),
            "pointwise_constraint": serialize_object(
                self.pointwise_constraint, constraints
            ),
        }


class SeparableConv1D(BaseSeparableConv):
    """A 1-D separable convolution: a depthwise convolution then a pointwise
    one mixing the channels, channels last.

    Args:
        filters: the output channels, a positive integer.
        kernel_size: the window length, an int or a 1-tuple.
        strides: the step, an int or a 1-tuple.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or a 1-tuple.
        depth_multiplier: the depthwise filters per input channel.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        depthwise_initializer: the depthwise kernel's initializer.
        pointwise_initializer: the pointwise kernel's initializer.
        bias_initializer: the bias's initializer (``"zeros"``).
        depthwise_regularizer: a penalty on the depthwise kernel.
        pointwise_regularizer: a penalty on the pointwise kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        depthwise_constraint: a constraint on the depthwise kernel.
        pointwise_constraint: a constraint on the pointwise kernel.
        bias_constraint: a constraint on the bias.

    Input shape:
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, new_steps, filters)``, the steps as ``Conv1D``'s.

    Example:

    >>> import numpy as np
    >>> layer = SeparableConv1D(4, 3, depth_multiplier=2)
    >>> layer(np.ones((1, 5, 3), "float32")).shape
    (1, 3, 4)
    >>> [tuple(w.shape) for w in layer.weights]
    [(3, 3, 2), (1, 6, 4), (4,)]
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1,
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            depth_multiplier,
            activation,
            use_bias,
            depthwise_initializer,
            pointwise_initializer,
            bias_initializer,
            depthwise_regularizer,
            pointwise_regularizer,
            bias_regularizer,
            activity_regularizer,
            depthwise_constraint,
            pointwise_constraint,
            bias_constraint,
            **kwargs,
        )


class SeparableConv2D(BaseSeparableConv):
    """A 2-D separable convolution: a depthwise convolution then a pointwise
    one mixing the channels, channels last.

    Args:
        filters: the output channels, a positive integer.
        kernel_size: the window, an int or a pair.
        strides: the steps, an int or a pair.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or a pair.
        depth_multiplier: the depthwise filters per input channel.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        depthwise_initializer: the depthwise kernel's initializer.
        pointwise_initializer: the pointwise kernel's initializer.
        bias_initializer: the bias's initializer (``"zeros"``).
        depthwise_regularizer: a penalty on the depthwise kernel.
        pointwise_regularizer: a penalty on the pointwise kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        depthwise_constraint: a constraint on the depthwise kernel.
        pointwise_constraint: a constraint on the pointwise kernel.
        bias_constraint: a constraint on the bias.

    Input shape:
        ``(batch_size, height, width, channels)``.

    Output shape:
        ``(batch_size, new_height, new_width, filters)``, the spatial sizes
        as ``Conv2D``'s.

    Example:

    >>> import numpy as np
    >>> layer = SeparableConv2D(8, 3, padding="same")
    >>> layer(np.ones((1, 5, 5, 3), "float32")).shape
    (1, 5, 5, 8)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = (1, 1),
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2,
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            depth_multiplier,
            activation,
            use_bias,
            depthwise_initializer,
            pointwise_initializer,
            bias_initializer,
            depthwise_regularizer,
            pointwise_regularizer,
            bias_regularizer,
            activity_regularizer,
            depthwise_constraint,
            pointwise_constraint,
            bias_constraint,
            **kwargs,
        )


# Keras's aliases: the same classes under their long names.
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D

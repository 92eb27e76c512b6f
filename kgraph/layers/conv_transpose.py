"""Transposed convolution layers, channels last: ``Conv1DTranspose``,
``Conv2DTranspose`` and ``Conv3DTranspose`` (and their ``Convolution*``
aliases).

``activation(conv_transpose(inputs, kernel) + bias)`` with Keras's
arguments, defaults, weight layout (kernel ``(*kernel_size, filters,
in_channels)``, then bias ``(filters,)``) and output sizes
(``ops.conv_variants.transpose_output_size``).
"""

from __future__ import annotations

from typing import Any

from kgraph import errors
from kgraph import ops
from kgraph.layers.convolutional import BaseConv
from kgraph.layers.convolutional import describe
from kgraph.layers.convolutional import is_int
from kgraph.layers.convolutional import standardize_padding
from kgraph.layers.layer import InputSpec


def _output_padding(value: Any, strides: tuple[int, ...], where: str) -> Any:
    """``None``, or one non-negative int per axis, each below its stride.

    Raises:
        ValueError: naming the layer otherwise.
    """
    if value is None:
        return None
    rank = len(strides)
    values = (value,) * rank if is_int(value) else value
    try:
        result = tuple(values)
    except TypeError:
        result = ()
    if len(result) != rank or not all(is_int(v) and v >= 0 for v in result):
        raise ValueError(
            f"{where}: the `output_padding` argument must be a non-negative "
            f"integer or a tuple of {rank} of them. Received: "
            f"output_padding={value!r}"
        )
    for axis, (extra, stride) in enumerate(zip(result, strides, strict=True)):
        if extra >= stride:
            raise ValueError(
                f"{where}: `output_padding` must be strictly less than `strides` "
                f"for all dimensions. At dimension {axis}, `output_padding` is "
                f"{extra} but `strides` is {stride}. Received: "
                f"output_padding={result}, strides={strides}"
            )
    return tuple(int(v) for v in result)


class BaseConvTranspose(BaseConv):
    """A transposed convolution over ``rank`` spatial axes, channels last.

    Args:
        rank: the number of spatial axes.
        filters: the number of output channels, a positive integer.
        kernel_size: the window, an int or one per spatial axis.
        strides: the steps, an int or one per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None``, or an int or one per spatial axis (each
            less than its stride): extra output positions at the end.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or one per spatial axis; more
            than 1 cannot go with strides of more than 1.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        kernel_initializer: the kernel's initializer (``"glorot_uniform"``).
        bias_initializer: the bias's initializer (``"zeros"``).
        kernel_regularizer: a penalty on the kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        kernel_constraint: a constraint on the kernel after each update.
        bias_constraint: a constraint on the bias after each update.

    Raises:
        ValueError: for a bad argument, an input of the wrong rank or unknown
            channels.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        super().__init__(
            rank,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        # BaseConv lets a 1-D convolution be causal; a transposed one is not.
        self.padding = standardize_padding(padding, False, describe(self))
        self.output_padding = _output_padding(
            output_padding, self.strides, describe(self)
        )

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` ``(*kernel_size, filters, in_channels)`` and
        ``bias`` ``(filters,)``."""
        self.input_spec.check(self, input_shape)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"{describe(self)} needs the channel dimension (the last) of its "
                f"input to be known. Received: input_shape="
                f"{errors.format_shape(input_shape)}"
            )
        self.kernel = self._add_kernel((*self.kernel_size, self.filters, channels))
        self.bias = self._add_bias((self.filters,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Computes ``activation(conv_transpose(inputs, kernel) + bias)``."""
        outputs = ops.conv_transpose(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            dilation_rate=self.dilation_rate,
            bias=self.bias,
        )
        return self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = super().get_config()
        del config["groups"]
        return {**config, "output_padding": self.output_padding}


class Conv1DTranspose(BaseConvTranspose):
    """A 1-D transposed convolution, channels last.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window length, an int or a 1-tuple.
        strides: the step, an int or a 1-tuple.
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None``, an int or a 1-tuple, less than the stride.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or a 1-tuple.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        kernel_initializer: the kernel's initializer (``"glorot_uniform"``).
        bias_initializer: the bias's initializer (``"zeros"``).
        kernel_regularizer: a penalty on the kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        kernel_constraint: a constraint on the kernel after each update.
        bias_constraint: a constraint on the bias after each update.

    Input shape:
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, new_steps, filters)``: ``new_steps`` is ``(steps - 1)
        * strides + span + output_padding`` with ``"valid"`` padding (``span
        = (kernel_size - 1) * dilation_rate + 1``; ``output_padding``
        defaults to ``max(span, strides) - span``), ``steps * strides`` with
        ``"same"`` (``(steps - 1) * strides + span % 2 + output_padding``
        when ``output_padding`` is given).

    Example:

    >>> import numpy as np
    >>> layer = Conv1DTranspose(2, 3, strides=2)
    >>> layer(np.ones((1, 4, 3), "float32")).shape
    (1, 9, 2)
    >>> tuple(layer.kernel.shape)
    (3, 2, 3)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        super().__init__(
            1,
            filters,
            kernel_size,
            strides,
            padding,
            output_padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            activity_regularizer,
            kernel_constraint,
            bias_constraint,
            **kwargs,
        )


class Conv2DTranspose(BaseConvTranspose):
    """A 2-D transposed convolution (a learned upsampling), channels last.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window, an int or a pair.
        strides: the steps, an int or a pair.
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None``, an int or a pair, each less than its
            stride.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or a pair.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        kernel_initializer: the kernel's initializer (``"glorot_uniform"``).
        bias_initializer: the bias's initializer (``"zeros"``).
        kernel_regularizer: a penalty on the kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        kernel_constraint: a constraint on the kernel after each update.
        bias_constraint: a constraint on the bias after each update.

    Input shape:
        ``(batch_size, height, width, channels)``.

    Output shape:
        ``(batch_size, new_height, new_width, filters)``, per spatial axis
        as ``Conv1DTranspose``.

    Example:

    >>> import numpy as np
    >>> layer = Conv2DTranspose(4, 3, strides=2, padding="same")
    >>> layer(np.ones((1, 5, 5, 3), "float32")).shape
    (1, 10, 10, 4)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = (1, 1),
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
        super().__init__(
            2,
            filters,
            kernel_size,
            strides,
            padding,
            output_padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            activity_regularizer,
            kernel_constraint,
            bias_constraint,
            **kwargs,
        )


class Conv3DTranspose(BaseConvTranspose):
    """A 3-D transposed convolution, channels last.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window, an int or a triple.
        strides: the steps, an int or a triple.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.
        output_padding: ``None``, an int or a triple, each less than its
            stride.
        dilation_rate: the dilation, an int or a triple.
        activation: the activation (default: none, i.e. linear).
        use_bias: whether to add a bias.
        kernel_initializer: the kernel's initializer (``"glorot_uniform"``).
        bias_initializer: the bias's initializer (``"zeros"``).
        kernel_regularizer: a penalty on the kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        kernel_constraint: a constraint on the kernel after each update.
        bias_constraint: a constraint on the bias after each update.

    Input shape:
        ``(batch_size, depth, height, width, channels)``.

    Output shape:
        ``(batch_size, new_depth, new_height, new_width, filters)``, per
        spatial axis as ``Conv1DTranspose``.

    Example:

    >>> import numpy as np
    >>> layer = Conv3DTranspose(2, 2, strides=2)
    >>> layer(np.ones((1, 2, 2, 2, 3), "float32")).shape
    (1, 4, 4, 4, 2)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        output_padding: Any = None,
        dilation_rate: Any = (1, 1, 1),
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
        super().__init__(
            3,
            filters,
            kernel_size,
            strides,
            padding,
            output_padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            activity_regularizer,
            kernel_constraint,
            bias_constraint,
            **kwargs,
        )


# Keras's aliases: the same classes under their long names.
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose

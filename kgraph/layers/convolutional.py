"""Convolution layers, channels last: ``Conv1D``, ``Conv2D`` and ``Conv3D``
(and their ``Convolution*`` aliases).

All are ``BaseConv`` over ``rank`` spatial axes: ``activation(conv(inputs,
kernel) + bias)`` with Keras's arguments, defaults, weight layout (kernel
``(*kernel_size, in_channels, filters)``, then bias ``(filters,)``) and
output-shape arithmetic. The argument helpers here (``standardize_tuple``,
``standardize_padding``, ``standardize_data_format``) serve the pooling
layers too.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from kgraph import activations
from kgraph import constraints
from kgraph import errors
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.core import serialize_activation
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object


def describe(layer: Layer) -> str:
    """``Layer "conv2d" (Conv2D)``: how error messages name a layer."""
    return f'Layer "{layer.name}" ({type(layer).__name__})'


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (a bool is not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def standardize_tuple(value: Any, rank: int, name: str, where: str) -> tuple[int, ...]:
    """An int, or ``rank`` ints, as a tuple of positive ints.

    Raises:
        ValueError: naming the layer and the argument otherwise.
    """
    values = (value,) * rank if is_int(value) else value
    try:
        result = tuple(values)
    except TypeError:
        result = ()
    if len(result) != rank or not all(is_int(v) and v > 0 for v in result):
        raise ValueError(
            f"{where}: the `{name}` argument must be a positive integer or a tuple "
            f"of {rank} positive integers. Received: {name}={value!r}"
        )
    return tuple(int(v) for v in result)


def standardize_padding(padding: Any, allow_causal: bool, where: str) -> str:
    """``"valid"``, ``"same"`` (or ``"causal"`` where allowed), lowercased.

    Raises:
        ValueError: naming the layer for anything else.
    """
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in allowed:
        raise ValueError(
            f"{where}: the `padding` argument must be one of {allowed}. "
            f"Received: padding={padding!r}"
        )
    return mode


def standardize_data_format(data_format: Any, where: str) -> str:
    """``None`` or ``"channels_last"`` as ``"channels_last"``.

    Raises:
        ValueError: naming the layer for ``"channels_first"`` or anything else:
            kgraph's convolutions and pooling are channels last.
    """
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{where} supports only data_format='channels_last' (or None): "
            "kgraph's convolutions and pooling are channels last. Received: "
            f"data_format={data_format!r}"
        )
    return "channels_last"


def check_window_fits(
    layer: Layer,
    input_shape: Sequence[int | None],
    window: Sequence[int],
    dilation: Sequence[int],
    padding: str,
    what: str,
) -> None:
    """Raises if a window (dilated) is larger than the padded input.

    Only ``"valid"`` padding can fail: ``"same"`` and ``"causal"`` pad
    enough for one window at least.

    Raises:
        ValueError: naming the layer, the window and the input shape.
    """
    if padding != "valid":
        return
    spatial = tuple(input_shape[1:-1])
    spans = tuple((k - 1) * d + 1 for k, d in zip(window, dilation, strict=True))
    if all(s is None or s >= span for s, span in zip(spatial, spans, strict=True)):
        return
    dilated = "" if set(dilation) == {1} else f" with dilation_rate={tuple(dilation)}"
    raise ValueError(
        f"{describe(layer)}: the {what} is larger than the input: "
        f"{what}={tuple(window)}{dilated} spans {spans}, but the input's spatial "
        f'shape is {spatial} and padding="valid" adds nothing. Use a smaller '
        f'{what} or padding="same". Received: '
        f"input_shape={errors.format_shape(input_shape)}"
    )


class BaseConv(Layer):
    """A convolution over ``rank`` spatial axes, channels last.

    Args:
        rank: the number of spatial axes.
        filters: the number of output channels, a positive integer.
        kernel_size: the window, an int or one per spatial axis.
        strides: the steps, an int or one per spatial axis.
        padding: ``"valid"`` (no padding) or ``"same"`` (the output has
            ``ceil(size / stride)`` positions); ``Conv1D`` also takes
            ``"causal"``.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or one per spatial axis; more
            than 1 cannot go with strides of more than 1.
        groups: split the input channels into this many groups, each
            convolved with its own ``filters // groups`` filters (the kernel
            is ``(*kernel_size, in_channels // groups, filters)``).
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
        groups: int = 1,
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
        where = describe(self)
        if not is_int(filters) or filters <= 0:
            raise ValueError(
                f"{where}: invalid value for argument `filters`, expected a "
                f"strictly positive integer. Received: filters={filters!r}"
            )
        if not is_int(groups) or groups <= 0 or filters % groups:
            raise ValueError(
                f"{where}: the number of filters must be evenly divisible by the "
                f"number of groups (a positive integer). Received: groups={groups!r}, "
                f"filters={filters}"
            )
        self.rank = rank
        self.filters = int(filters)
        self.groups = int(groups)
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", where)
        self.strides = standardize_tuple(strides, rank, "strides", where)
        self.dilation_rate = standardize_tuple(
            dilation_rate, rank, "dilation_rate", where
        )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{where}: strides > 1 are not supported together with "
                f"dilation_rate > 1. Received: strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}"
            )
        self.padding = standardize_padding(padding, rank == 1, where)
        self.data_format = standardize_data_format(data_format, where)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` ``(*kernel_size, in_channels, filters)`` and
        ``bias`` ``(filters,)``."""
        self.input_spec.check(self, input_shape)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"{describe(self)} needs the channel dimension (the last) of its "
                f"input to be known. Received: input_shape="
                f"{errors.format_shape(input_shape)}"
            )
        check_window_fits(
            self,
            input_shape,
            self.kernel_size,
            self.dilation_rate,
            self.padding,
            "kernel_size",
        )
        if channels % self.groups:
            raise ValueError(
                f"{describe(self)}: the number of input channels must be evenly "
                f"divisible by the number of groups. Received: groups={self.groups}, "
                f"input_shape={errors.format_shape(input_shape)}"
            )
        kernel_shape = (*self.kernel_size, channels // self.groups, self.filters)
        self.kernel = self._add_kernel(kernel_shape)
        self.bias = self._add_bias((self.filters,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Computes ``activation(conv(inputs, kernel) + bias)``."""
        check_window_fits(
            self,
            tuple(inputs.shape),
            self.kernel_size,
            self.dilation_rate,
            self.padding,
            "kernel_size",
        )
        outputs = ops.conv(
            inputs,
            self.kernel,
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
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
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


class Conv1D(BaseConv):
    """A 1-D convolution (temporal), channels last.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window length, an int or a 1-tuple.
        strides: the step, an int or a 1-tuple.
        padding: ``"valid"`` (no padding), ``"same"`` (``ceil(steps /
            stride)`` outputs) or ``"causal"`` (``(kernel_size - 1) *
            dilation_rate`` zeros before the sequence only, so output ``t``
            sees inputs up to ``t``).
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or a 1-tuple.
        groups: split the channels into this many groups, each convolved
            with its own ``filters // groups`` filters.
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
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, new_steps, filters)``: ``new_steps`` is
        ``(steps - dilation_rate * (kernel_size - 1) - 1) // strides + 1``
        with ``"valid"`` padding, ``(steps - 1) // strides + 1`` with
        ``"same"`` or ``"causal"``.

    Raises:
        ValueError: for a bad argument, an input of rank other than 3 or a
            kernel longer than the padded input.

    Example:

    >>> import numpy as np
    >>> layer = Conv1D(2, 3, kernel_initializer="ones")
    >>> layer(np.ones((1, 5, 1), "float32")).numpy()[0]
    array([[3., 3.],
           [3., 3.],
           [3., 3.]], dtype=float32)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
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
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
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


class Conv2D(BaseConv):
    """A 2-D convolution (spatial, over images), channels last.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window, an int or a pair (height, width).
        strides: the steps, an int or a pair.
        padding: ``"valid"`` (no padding) or ``"same"`` (``ceil(size /
            stride)`` outputs per axis, TensorFlow's padding: the extra
            zero, when the total is odd, goes after).
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or a pair.
        groups: split the channels into this many groups, each convolved
            with its own ``filters // groups`` filters.
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
        ``(batch_size, height, width, channels)``.

    Output shape:
        ``(batch_size, new_height, new_width, filters)``: per spatial axis
        ``(size - dilation_rate * (kernel_size - 1) - 1) // strides + 1`` with
        ``"valid"`` padding, ``(size - 1) // strides + 1`` with ``"same"``.

    Raises:
        ValueError: for a bad argument, an input of rank other than 4 or a
            kernel larger than the padded input.

    Example:

    >>> import numpy as np
    >>> layer = Conv2D(4, (3, 3), strides=2, padding="same")
    >>> layer(np.ones((1, 7, 7, 3), "float32")).shape
    (1, 4, 4, 4)
    >>> [tuple(w.shape) for w in layer.weights]
    [(3, 3, 3, 4), (4,)]
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = (1, 1),
        groups: int = 1,
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
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
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


class Conv3D(BaseConv):
    """A 3-D convolution (spatial over volumes), channels last.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window, an int or a triple.
        strides: the steps, an int or a triple.
        padding: ``"valid"`` (no padding) or ``"same"`` (``ceil(size /
            stride)`` outputs per axis).
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the dilation, an int or a triple.
        groups: split the channels into this many groups, each convolved
            with its own ``filters // groups`` filters.
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
        ``(batch_size, depth, height, width, channels)``.

    Output shape:
        ``(batch_size, new_depth, new_height, new_width, filters)``, per
        spatial axis as ``Conv2D``.

    Raises:
        ValueError: for a bad argument, an input of rank other than 5 or a
            kernel larger than the padded input.

    Example:

    >>> import numpy as np
    >>> layer = Conv3D(2, 3, padding="same")
    >>> layer(np.ones((1, 4, 4, 4, 3), "float32")).shape
    (1, 4, 4, 4, 2)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = (1, 1, 1),
        groups: int = 1,
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
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
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


# Keras's aliases: the same classes under their long names.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D

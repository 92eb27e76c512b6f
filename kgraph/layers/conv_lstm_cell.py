"""``ConvLSTMCell``: one step of a convolutional LSTM, the weights of
``ConvLSTM1D/2D/3D`` (``layers/conv_lstm.py``).

Keras's names, shapes and order: ``kernel`` ``(*kernel_size, channels, 4 *
filters)``, ``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``
and ``bias`` ``(4 * filters,)``, the gates in the order ``i, f, c, o``.
"""

from __future__ import annotations

import numbers
import zlib
from typing import Any

import numpy as np

from kgraph import activations
from kgraph import constraints
from kgraph import errors
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.convolutional import describe
from kgraph.layers.convolutional import is_int
from kgraph.layers.convolutional import standardize_data_format
from kgraph.layers.convolutional import standardize_padding
from kgraph.layers.convolutional import standardize_tuple
from kgraph.layers.core import serialize_activation
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object
from kgraph.ops.convolution import explicit_padding
from kgraph.ops.convolution import output_spatial as conv_output_spatial
from kgraph.utils import random as random_utils


def _rate(name: str, value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{where}: `{name}` must be a float in [0, 1). Received: {name}={value!r}"
        )
    return min(1.0, max(0.0, float(value)))


class ConvLSTMCell(Layer):
    """One step of a convolutional LSTM (the weights of ``ConvLSTM*D``).

    Args:
        rank: the number of spatial axes.
        filters: the output channels, a positive integer.
        kernel_size: the window, an int or one per spatial axis.
        strides: the input convolution's steps.
        padding: the input convolution's padding, ``"valid"`` or ``"same"``
            (the recurrent one is always ``"same"``).
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the input convolution's dilation.
        activation: the activation of the candidate and the output.
        recurrent_activation: the gates' activation.
        use_bias: whether to add a bias.
        kernel_initializer: the kernel's initializer.
        recurrent_initializer: the recurrent kernel's initializer.
        bias_initializer: the bias's initializer.
        unit_forget_bias: start the forget gate's bias at one.
        kernel_regularizer: a penalty on the kernel.
        recurrent_regularizer: a penalty on the recurrent kernel.
        bias_regularizer: a penalty on the bias.
        kernel_constraint: a constraint on the kernel.
        recurrent_constraint: a constraint on the recurrent kernel.
        bias_constraint: a constraint on the bias.
        dropout: the fraction of the inputs dropped (training only).
        recurrent_dropout: the fraction of the previous output dropped.
        seed: the dropout masks' seed.

    Raises:
        ValueError: for a bad argument.
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
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = describe(self)
        if not is_int(filters) or filters <= 0:
            raise ValueError(
                f"{where}: invalid value for argument `filters`, expected a "
                f"strictly positive integer. Received: filters={filters!r}"
            )
        self.rank = rank
        self.filters = int(filters)
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", where)
        self.strides = standardize_tuple(strides, rank, "strides", where)
        self.dilation_rate = standardize_tuple(
            dilation_rate, rank, "dilation_rate", where
        )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{where}: `strides > 1` is not compatible with `dilation_rate > "
                f"1`. Received: strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}"
            )
        self.padding = standardize_padding(padding, False, where)
        self.data_format = standardize_data_format(data_format, where)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate("dropout", dropout, where)
        self.recurrent_dropout = _rate("recurrent_dropout", recurrent_dropout, where)
        self.seed = seed
        if seed is not None:
            self.mask_salt = zlib.crc32(str(seed).encode())
        else:
            self.mask_salt = int(random_utils.generator().integers(0, 2**31))
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def state_size(self) -> list[int]:
        """The channels of the two states, ``h`` and ``c``."""
        return [self.filters, self.filters]

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        filters, base = self.filters, self.bias_initializer

        def initializer(shape: Any, dtype: Any = None) -> Any:
            del shape
            return np.concatenate(
                [
                    np.asarray(base((filters,), dtype=dtype)),
                    np.ones((filters,), dtype=dtype),
                    np.asarray(base((2 * filters,), dtype=dtype)),
                ]
            )

        return initializer

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel``, ``recurrent_kernel`` and ``bias`` for one
        step's input ``(batch, *spatial, channels)``."""
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"{describe(self)} needs the channel dimension (the last) of its "
                f"input to be known. Received: input_shape="
                f"{errors.format_shape(input_shape)}"
            )
        width = 4 * self.filters
        self.kernel = self._add_kernel((*self.kernel_size, int(channels), width))
        self.recurrent_kernel = self.add_weight(
            (*self.kernel_size, self.filters, width),
            self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            name="recurrent_kernel",
            constraint=self.recurrent_constraint,
        )
        self.bias = self._add_bias((width,), self._bias_initializer())
        self.built = True

    def output_spatial(self, spatial: Any) -> tuple[Any, ...]:
        """The spatial shape of the states for an input's spatial shape."""
        pads = explicit_padding(
            self.padding, spatial, self.kernel_size, self.strides, self.dilation_rate
        )
        return conv_output_spatial(
            "ConvLSTM",
            spatial,
            self.kernel_size,
            self.strides,
            pads,
            self.dilation_rate,
        )

    def input_conv(self, x: Any, masks: list[Any] | None = None) -> Any:
        """The input part of a step (bias included); with dropout masks,
        each gate's columns from its own masked input."""
        convolve = lambda inputs: ops.conv(  # noqa: E731
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            bias=self.bias,
        )
        if masks is None:
            return convolve(x)
        return self.by_gate([convolve(ops.multiply(x, m)) for m in masks])

    def recurrent_conv(self, h: Any, masks: list[Any] | None = None) -> Any:
        """The recurrent part of a step (``"same"`` padding, stride 1)."""
        convolve = lambda inputs: ops.conv(  # noqa: E731
            inputs, self.recurrent_kernel, padding="same"
        )
        if masks is None:
            return convolve(h)
        return self.by_gate([convolve(ops.multiply(h, m)) for m in masks])

    def by_gate(self, parts: list[Any]) -> Any:
        """Each gate's channels from its own part (one part per gate)."""
        n = self.filters
        return ops.concatenate(
            [part[..., g * n : (g + 1) * n] for g, part in enumerate(parts)], -1
        )

    def step(self, z: Any, c_prev: Any) -> list[Any]:
        """The gates from the summed convolutions ``z``: ``[h, c]``."""
        n = self.filters
        i = self.recurrent_activation(z[..., :n])
        f = self.recurrent_activation(z[..., n : 2 * n])
        candidate = self.activation(z[..., 2 * n : 3 * n])
        c = ops.add(ops.multiply(f, c_prev), ops.multiply(i, candidate))
        o = self.recurrent_activation(z[..., 3 * n :])
        return [ops.multiply(o, self.activation(c)), c]

    def call(self, inputs: Any, states: Any, training: Any = None) -> Any:
        """One step without dropout: ``(h, [h, c])``."""
        del training
        h_prev, c_prev = states
        z = ops.add(self.input_conv(inputs), self.recurrent_conv(h_prev))
        h, c = self.step(z, c_prev)
        return h, [h, c]

    def dropout_masks(
        self, step_input: Any, state: Any, training: Any
    ) -> tuple[list[Any] | None, list[Any] | None]:
        """The per-gate dropout multipliers of one call, or ``None``."""
        from kgraph.layers.rnn_cells import _dropout_mask

        if isinstance(training, bool | np.bool_) and not training:
            return None, None
        inputs = recurrent = None
        if self.dropout > 0:
            inputs = [
                _dropout_mask(step_input, self.dropout, self.mask_salt + g, training)
                for g in range(4)
            ]
        if self.recurrent_dropout > 0:
            salt = self.mask_salt + 101
            recurrent = [
                _dropout_mask(state, self.recurrent_dropout, salt + g, training)
                for g in range(4)
            ]
        return inputs, recurrent

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "rank": self.rank,
            **cell_arguments(self),
        }


def cell_arguments(cell: ConvLSTMCell) -> dict[str, Any]:
    """The cell's arguments as Keras's ``ConvLSTM*D`` configs hold them."""
    return {
        "filters": cell.filters,
        "kernel_size": cell.kernel_size,
        "strides": cell.strides,
        "padding": cell.padding,
        "data_format": cell.data_format,
        "dilation_rate": cell.dilation_rate,
        "activation": serialize_activation(cell.activation),
        "recurrent_activation": serialize_activation(cell.recurrent_activation),
        "use_bias": cell.use_bias,
        "kernel_initializer": serialize_object(cell.kernel_initializer, initializers),
        "recurrent_initializer": serialize_object(
            cell.recurrent_initializer, initializers
        ),
        "bias_initializer": serialize_object(cell.bias_initializer, initializers),
        "unit_forget_bias": cell.unit_forget_bias,
        "kernel_regularizer": serialize_object(cell.kernel_regularizer, regularizers),
        "recurrent_regularizer": serialize_object(
            cell.recurrent_regularizer, regularizers
        ),
        "bias_regularizer": serialize_object(cell.bias_regularizer, regularizers),
        "kernel_constraint": serialize_object(cell.kernel_constraint, constraints),
        "recurrent_constraint": serialize_object(
            cell.recurrent_constraint, constraints
        ),
        "bias_constraint": serialize_object(cell.bias_constraint, constraints),
        "dropout": cell.dropout,
        "recurrent_dropout": cell.recurrent_dropout,
        "seed": cell.seed,
    }

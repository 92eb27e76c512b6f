"""Convolutional LSTM layers, channels last: ``ConvLSTM1D``, ``ConvLSTM2D`` and
``ConvLSTM3D``.

An LSTM whose input and recurrent transformations are convolutions: for
inputs ``(batch, time, *spatial, channels)`` each step computes, with
Keras's gate order ``i, f, c, o``::

    z = conv(x_t, kernel, strides, padding, dilation) + bias
        + conv(h, recurrent_kernel, padding="same")
    c = sigmoid(z_f) * c + sigmoid(z_i) * tanh(z_c)
    h = sigmoid(z_o) * tanh(c)

The recurrence is one ``scan`` over the time steps (its body traced once),
whose carries are ``h`` and ``c``, ``(batch, *out_spatial, filters)``. The
weights live in the layer's ``cell`` (``conv_lstm2d/conv_lstm_cell/kernel``)
with Keras's names, shapes and order: ``kernel`` ``(*kernel_size,
channels, 4 * filters)``, ``recurrent_kernel`` ``(*kernel_size, filters, 4
* filters)`` and ``bias`` ``(4 * filters,)``, so Keras's files load.
Dropout masks are drawn once per call (one per gate), as Keras's.
"""

from __future__ import annotations

from typing import Any

from kgraph import errors
from kgraph import ops
from kgraph.layers.conv_lstm_cell import ConvLSTMCell
from kgraph.layers.conv_lstm_cell import cell_arguments
from kgraph.layers.convolutional import describe
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer

_CELL_ATTRIBUTES = frozenset(
    {
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "data_format",
        "dilation_rate",
        "activation",
        "recurrent_activation",
        "use_bias",
        "kernel_initializer",
        "recurrent_initializer",
        "bias_initializer",
        "unit_forget_bias",
        "kernel_regularizer",
        "recurrent_regularizer",
        "bias_regularizer",
        "kernel_constraint",
        "recurrent_constraint",
        "bias_constraint",
        "dropout",
        "recurrent_dropout",
        "seed",
        "kernel",
        "recurrent_kernel",
        "bias",
    }
)


class ConvLSTM(Layer):
    """A convolutional LSTM over ``rank`` spatial axes (see the module
    docstring); ``ConvLSTM1D/2D/3D`` fix ``rank``.

    Args:
        rank: the number of spatial axes.
        filters: the output channels.
        kernel_size: the window, an int or one per spatial axis.
        return_sequences: return every step's ``h``, ``(batch, time,
            *out_spatial, filters)``, instead of the last.
        return_state: also return the final ``h`` and ``c``.
        go_backwards: process the sequence from its end.
        stateful: not supported by kgraph's convolutional LSTMs (must be
            false).
        unroll: accepted for Keras compatibility (the recurrence is one
            native loop either way).
        zero_output_for_mask: accepted for Keras compatibility.
        **kwargs: the cell's arguments (``ConvLSTMCell``) and the layer's.

    Raises:
        ValueError: for a bad argument, ``stateful=True``, or an input of
            the wrong rank or with unknown spatial sizes or channels.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        cell_keys = set(_CELL_ATTRIBUTES) - {"kernel", "recurrent_kernel", "bias"}
        cell_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in cell_keys}
        super().__init__(**kwargs)
        if stateful:
            raise ValueError(
                f"{describe(self)}: stateful convolutional LSTMs are not supported "
                "by kgraph. Received: stateful=True"
            )
        self.rank = rank
        self.cell = ConvLSTMCell(
            rank,
            filters,
            kernel_size,
            name="conv_lstm_cell",
            dtype=kwargs.get("dtype"),
            **cell_kwargs,
        )
        self.cell.__dict__["_path"] = f"{self.name}/{self.cell.name}"
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(ndim=rank + 3)

    def __getattr__(self, name: str) -> Any:
        # Keras's ConvLSTM layers answer their cell's attributes.
        cell = self.__dict__.get("cell")
        if name in _CELL_ATTRIBUTES and cell is not None:
            return getattr(cell, name)
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}'"
        )

    def build(self, input_shape: Any) -> None:
        """Builds the cell for one step, ``(batch, *spatial, channels)``."""
        self.input_spec.check(self, input_shape)
        if any(size is None for size in input_shape[2:-1]):
            raise ValueError(
                f"{describe(self)} needs static spatial sizes. Received: "
                f"input_shape={errors.format_shape(input_shape)}"
            )
        if not self.cell.built:
            self.cell.build((input_shape[0], *input_shape[2:]))
        self.built = True

    def call(
        self,
        inputs: Any,
        initial_state: Any = None,
        mask: Any = None,
        training: Any = None,
    ) -> Any:
        """Runs the cell over the time steps: the last ``h`` (or all of
        them), then ``h`` and ``c`` with ``return_state``. A masked step
        keeps the states (``mask``: ``(batch, time)``)."""
        cell = self.cell
        rank = self.rank
        spatial = tuple(inputs.shape[2:-1])
        out_spatial = cell.output_spatial(spatial)
        corner = (slice(None), 0, *(slice(0, 1),) * rank, slice(0, 1))
        column = ops.zeros_like(inputs[corner])  # (batch, 1, ..., 1)
        zeros = ops.multiply(column, ops.zeros((*out_spatial, cell.filters)))
        if initial_state is None:
            states = [zeros, zeros]
        else:
            states = [ops.cast(ops.as_tensor(s), inputs.dtype) for s in initial_state]
        x_masks, h_masks = cell.dropout_masks(inputs[:, 0], zeros, training)
        order = (1, 0, *range(2, rank + 3))
        # With a known number of steps, the input convolution of all steps
        # runs at once, before the loop (one larger product).
        projected = inputs.shape[1] is not None
        sequence = self._project(inputs, x_masks) if projected else inputs
        steps = ops.transpose(sequence, order)
        keep = None
        if mask is not None:
            mask = mask[0] if isinstance(mask, list | tuple) else mask
            keep = ops.transpose(ops.cast(ops.not_equal(mask, 0), "bool"), (1, 0))
            keep = ops.reshape(keep, (*keep.shape[:2], *(1,) * (rank + 1)))
        if self.go_backwards:
            steps = ops.flip(steps, axis=0)
            keep = None if keep is None else ops.flip(keep, axis=0)

        def body(carried: list[Any], x: Any) -> tuple[list[Any], Any]:
            x_t, keep_t = (x, None) if keep is None else x
            h_prev, c_prev = carried
            z_x = x_t if projected else cell.input_conv(x_t, x_masks)
            z = ops.add(z_x, cell.recurrent_conv(h_prev, h_masks))
            h, c = cell.step(z, c_prev)
            if keep_t is not None:
                h = ops.where(keep_t, h, h_prev)
                c = ops.where(keep_t, c, c_prev)
            return [h, c], h

        xs = steps if keep is None else (steps, keep)
        final, outputs = ops.scan(body, states, xs)
        if self.return_sequences:
            output = ops.transpose(outputs, order)
        else:
            output = final[0]
        if self.return_state:
            return [output, *final]
        return output

    def _project(self, inputs: Any, masks: list[Any] | None) -> Any:
        """The input convolution of every step, ``(batch, time,
        *out_spatial, 4 * filters)``: the steps folded into the batch."""
        steps = inputs.shape[1]

        def project(x: Any) -> Any:
            folded = ops.reshape(x, (-1, *x.shape[2:]))
            return self.cell.input_conv(folded)

        if masks is None:
            projected = project(inputs)
        else:
            parts = [
                project(ops.multiply(inputs, ops.expand_dims(m, 1))) for m in masks
            ]
            projected = self.cell.by_gate(parts)
        return ops.reshape(projected, (-1, steps, *projected.shape[1:]))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input's mask for a sequence output, none for the states."""
        mask = mask[0] if isinstance(mask, list | tuple) else mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, flat as Keras's."""
        return {
            **super().get_config(),
            **cell_arguments(self.cell),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }


class _KerasConvLSTM(ConvLSTM):
    """``ConvLSTM1D/2D/3D``'s constructor: Keras's arguments, the rank from
    the class."""

    spatial_rank = 2

    def __init__(
        self,
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
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            self.spatial_rank,
            filters,
            kernel_size,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )


class ConvLSTM1D(_KerasConvLSTM):
    """A 1-D convolutional LSTM over a sequence, channels last.

    Args:
        filters: the output channels, a positive integer.
        kernel_size: the window, an int or a 1-tuple.
        strides: the input convolution's steps.
        padding: the input convolution's padding, ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the input convolution's dilation.
        activation: the candidate's and the output's activation (``tanh``).
        recurrent_activation: the gates' activation (``sigmoid``).
        use_bias: whether to add a bias.
        kernel_initializer: the kernel's initializer.
        recurrent_initializer: the recurrent kernel's initializer.
        bias_initializer: the bias's initializer.
        unit_forget_bias: start the forget gate's bias at one.
        kernel_regularizer: a penalty on the kernel.
        recurrent_regularizer: a penalty on the recurrent kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        kernel_constraint: a constraint on the kernel.
        recurrent_constraint: a constraint on the recurrent kernel.
        bias_constraint: a constraint on the bias.
        dropout: the fraction of the inputs dropped (training only).
        recurrent_dropout: the fraction of the previous output dropped.
        seed: the dropout masks' seed.
        return_sequences: return every step's output.
        return_state: also return the final ``h`` and ``c``.
        go_backwards: process the sequence from its end.
        stateful: must be false (not supported by kgraph).

    Input shape:
        ``(batch, time, steps, channels)``, spatial sizes known.

    Output shape:
        ``(batch, *out_spatial, filters)`` (``(batch, time, *out_spatial,
        filters)`` with ``return_sequences``), the spatial sizes as
        ``Conv1D``'s.

    Example:

    >>> import numpy as np
    >>> layer = ConvLSTM1D(2, 3, padding="same", return_sequences=True)
    >>> layer(np.ones((1, 4, 5, 3), "float32")).shape
    (1, 4, 5, 2)
    """

    spatial_rank = 1


class ConvLSTM2D(_KerasConvLSTM):
    """A 2-D convolutional LSTM over a sequence, channels last.

    Args:
        filters: the output channels, a positive integer.
        kernel_size: the window, an int or a pair.
        strides: the input convolution's steps.
        padding: the input convolution's padding, ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the input convolution's dilation.
        activation: the candidate's and the output's activation (``tanh``).
        recurrent_activation: the gates' activation (``sigmoid``).
        use_bias: whether to add a bias.
        kernel_initializer: the kernel's initializer.
        recurrent_initializer: the recurrent kernel's initializer.
        bias_initializer: the bias's initializer.
        unit_forget_bias: start the forget gate's bias at one.
        kernel_regularizer: a penalty on the kernel.
        recurrent_regularizer: a penalty on the recurrent kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        kernel_constraint: a constraint on the kernel.
        recurrent_constraint: a constraint on the recurrent kernel.
        bias_constraint: a constraint on the bias.
        dropout: the fraction of the inputs dropped (training only).
        recurrent_dropout: the fraction of the previous output dropped.
        seed: the dropout masks' seed.
        return_sequences: return every step's output.
        return_state: also return the final ``h`` and ``c``.
        go_backwards: process the sequence from its end.
        stateful: must be false (not supported by kgraph).

    Input shape:
        ``(batch, time, height, width, channels)``, spatial sizes known.

    Output shape:
        ``(batch, *out_spatial, filters)`` (``(batch, time, *out_spatial,
        filters)`` with ``return_sequences``), the spatial sizes as
        ``Conv2D``'s.

    Example:

    >>> import numpy as np
    >>> layer = ConvLSTM2D(2, 3, padding="same", return_sequences=True)
    >>> layer(np.ones((1, 4, 5, 5, 3), "float32")).shape
    (1, 4, 5, 5, 2)
    """

    spatial_rank = 2


class ConvLSTM3D(_KerasConvLSTM):
    """A 3-D convolutional LSTM over a sequence, channels last.

    Args:
        filters: the output channels, a positive integer.
        kernel_size: the window, an int or a triple.
        strides: the input convolution's steps.
        padding: the input convolution's padding, ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: the input convolution's dilation.
        activation: the candidate's and the output's activation (``tanh``).
        recurrent_activation: the gates' activation (``sigmoid``).
        use_bias: whether to add a bias.
        kernel_initializer: the kernel's initializer.
        recurrent_initializer: the recurrent kernel's initializer.
        bias_initializer: the bias's initializer.
        unit_forget_bias: start the forget gate's bias at one.
        kernel_regularizer: a penalty on the kernel.
        recurrent_regularizer: a penalty on the recurrent kernel.
        bias_regularizer: a penalty on the bias.
        activity_regularizer: a penalty on the output.
        kernel_constraint: a constraint on the kernel.
        recurrent_constraint: a constraint on the recurrent kernel.
        bias_constraint: a constraint on the bias.
        dropout: the fraction of the inputs dropped (training only).
        recurrent_dropout: the fraction of the previous output dropped.
        seed: the dropout masks' seed.
        return_sequences: return every step's output.
        return_state: also return the final ``h`` and ``c``.
        go_backwards: process the sequence from its end.
        stateful: must be false (not supported by kgraph).

    Input shape:
        ``(batch, time, depth, height, width, channels)``, spatial sizes known.

    Output shape:
        ``(batch, *out_spatial, filters)`` (``(batch, time, *out_spatial,
        filters)`` with ``return_sequences``), the spatial sizes as
        ``Conv3D``'s.

    Example:

    >>> import numpy as np
    >>> layer = ConvLSTM3D(2, 3, padding="same", return_sequences=True)
    >>> layer(np.ones((1, 2, 3, 3, 3, 1), "float32")).shape
    (1, 2, 3, 3, 3, 2)
    """

    spatial_rank = 3

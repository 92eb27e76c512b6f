"""Recurrent layers: ``SimpleRNN``, ``LSTM`` and ``GRU``, as in Keras 3.

Lowering: the recurrence is one ``scan`` (``kgraph.ops.scan``) whose body
is the cell's step, traced once: the graph, the native code and the
compile time do not grow with the sequence length, and the gradient is the
scan's (a reverse loop over the steps). The input projection ``inputs @
kernel + bias`` is computed once for all time steps (one batched
``matmul``) before the loop; each step adds the recurrent product. The
initial state is zeros, as in Keras.

With ``unroll=True`` (Keras's argument for short sequences) the recurrence
is unrolled instead: every step becomes ordinary graph nodes, the first
one using the zero state algebraically (no recurrent ``matmul``).

Weights have Keras's names, shapes, gate orders and creation order, so
weights from Keras load with ``set_weights``:

- ``SimpleRNN``: ``kernel (input_dim, units)``, ``recurrent_kernel (units,
  units)``, ``bias (units,)``.
- ``LSTM``: gates ``i, f, c, o``; ``kernel (input_dim, 4 * units)``,
  ``recurrent_kernel (units, 4 * units)``, ``bias (4 * units,)``.
- ``GRU``: gates ``z, r, h``; ``kernel (input_dim, 3 * units)``,
  ``recurrent_kernel (units, 3 * units)``, ``bias (2, 3 * units)`` with
  ``reset_after=True`` (input and recurrent biases), ``(3 * units,)``
  otherwise.

Not supported: ``dropout`` and ``recurrent_dropout`` other than 0, masking,
``initial_state``, ``stateful`` and constraints.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from kgraph import activations
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.core import serialize_activation
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object
from kgraph.ops.builder import node_of
from kgraph.tensor import SymbolicTensor

__all__ = ["GRU", "LSTM", "SimpleRNN"]


def _columns(x: Any, start: int, stop: int) -> Any:
    """``x[..., start:stop]``."""
    return x[..., start:stop]


def _traced(variable: Any, like: Any) -> Any:
    """The variable as a tensor of ``like``'s graph when tracing, so that
    slicing it adds graph nodes (slicing a ``Variable`` alone would compute
    eagerly and freeze its value into a constant, with no gradient)."""
    if isinstance(like, SymbolicTensor):
        return SymbolicTensor(like.graph, node_of(like.graph, variable))
    return variable


class _RNN(Layer):
    """What the three recurrent layers share: arguments, checks, weights and
    the loop over the steps. Subclasses set ``gates`` and implement ``step``."""

    gates = 1
    has_cell_state = False

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        unroll: bool = False,
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
        for arg, value in (
            ("dropout", dropout),
            ("recurrent_dropout", recurrent_dropout),
        ):
            if value != 0.0:
                raise ValueError(
                    f"{type(self).__name__}: kgraph supports only {arg}=0.0 for "
                    f"now (use a Dropout layer before or after the recurrent "
                    f"layer instead). Received: {arg}={value!r}"
                )
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.unroll = bool(unroll)
        self.input_spec = InputSpec(ndim=3)

    # -- weights ------------------------------------------------------------

    def _check_input_shape(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        kind = type(self).__name__
        if len(shape) != 3:
            raise ValueError(
                f'Layer "{self.name}" ({kind}) expects inputs of rank 3, '
                f"(batch_size, timesteps, features). Received: input_shape={shape}"
            )
        if shape[1] is None:
            raise ValueError(
                f'Layer "{self.name}" ({kind}) needs the number of time steps '
                "to be known: kgraph unrolls the recurrence over a static "
                "sequence length. Give the Input a fixed length, e.g. "
                f"shape=(timesteps, features). Received: input_shape={shape}"
            )
        if shape[2] is None:
            raise ValueError(
                f'Layer "{self.name}" ({kind}) needs the last dimension of its '
                f"input to be known. Received: input_shape={shape}"
            )

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel``, ``recurrent_kernel`` and ``bias`` (Keras's
        names, shapes and order)."""
        self._check_input_shape(input_shape)
        input_dim = int(input_shape[-1])
        width = self.gates * self.units
        self.kernel = self._add_kernel((input_dim, width))
        self.recurrent_kernel = self.add_weight(
            (self.units, width),
            self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            name="recurrent_kernel",
        )
        self.bias = self._add_bias(self._bias_shape(), self._bias_initializer())
        self.input_spec = InputSpec(ndim=3, axes={-1: input_dim})
        self.built = True

    # -- the recurrence -----------------------------------------------------------

    def _input_bias(self, like: Any) -> Any:
        del like
        return self.bias

    def step(self, x_t: Any, states: list[Any] | None) -> list[Any]:
        """One time step: the input projection of this step ``x_t`` and the
        previous states (``None`` at the first step: zeros) give the new
        states; the first is the output."""
        raise NotImplementedError

    def call(self, inputs: Any) -> Any:
        """Runs the recurrence over the time steps and returns the last output
        or the sequence, followed by the final states if ``return_state``."""
        self._check_input_shape(inputs.shape)
        projected = ops.matmul(inputs, self.kernel)
        bias = self._input_bias(inputs)
        if bias is not None:
            projected = ops.add(projected, bias)
        if self.unroll:
            output, states = self._unrolled(projected)
        else:
            output, states = self._scanned(projected)
        if self.return_state:
            return [output, *states]
        return output

    def _scanned(self, projected: Any) -> tuple[Any, list[Any]]:
        """The recurrence as one loop over the time-major projection."""
        steps = ops.transpose(projected, (1, 0, 2))
        if self.go_backwards:
            steps = steps[::-1]
        zero = ops.zeros_like(steps[0][:, : self.units])
        init = [zero] * (2 if self.has_cell_state else 1)

        def step(states: list[Any], x_t: Any) -> tuple[list[Any], Any]:
            new = self.step(x_t, list(states))
            return new, new[0]

        states, outputs = ops.scan(step, init, steps)
        if not self.return_sequences:
            return states[0], list(states)
        return ops.transpose(outputs, (1, 0, 2)), list(states)

    def _unrolled(self, projected: Any) -> tuple[Any, list[Any]]:
        """The recurrence over the time steps."""
        timesteps = int(projected.shape[1])
        order = range(timesteps - 1, -1, -1) if self.go_backwards else range(timesteps)
        states: list[Any] | None = None
        outputs = []
        for t in order:
            states = self.step(projected[:, t, :], states)
            outputs.append(states[0])
        assert states is not None
        output = ops.stack(outputs, axis=1) if self.return_sequences else states[0]
        return output, states

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Returns the output shape (a list of shapes with ``return_state``)."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        batch, timesteps = shape[0], shape[1]
        if self.return_sequences:
            output = (batch, timesteps, self.units)
        else:
            output = (batch, self.units)
        if self.return_state:
            count = 2 if self.has_cell_state else 1
            return [output] + [(batch, self.units)] * count
        return output

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
            "recurrent_initializer": serialize_object(
                self.recurrent_initializer, initializers
            ),
            "bias_initializer": serialize_object(self.bias_initializer, initializers),
            "kernel_regularizer": serialize_object(
                self.kernel_regularizer, regularizers
            ),
            "recurrent_regularizer": serialize_object(
                self.recurrent_regularizer, regularizers
            ),
            "bias_regularizer": serialize_object(self.bias_regularizer, regularizers),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "unroll": self.unroll,
        }


class SimpleRNN(_RNN):
    """A fully connected recurrence: ``h_t = activation(x_t @ kernel + bias +
    h_{t-1} @ recurrent_kernel)``, over the time steps.

    Args:
        units: the size of the state and output.
        activation: the activation (``"tanh"``).
        use_bias: whether to add a bias.
        kernel_initializer: for ``kernel`` (``"glorot_uniform"``).
        recurrent_initializer: for ``recurrent_kernel`` (``"orthogonal"``).
        bias_initializer: for ``bias`` (``"zeros"``).
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            penalties on the weights.
        activity_regularizer: a penalty on the output.
        dropout, recurrent_dropout: only ``0.0`` is supported.
        return_sequences: return every step's output, ``(batch, timesteps,
            units)``, instead of the last one, ``(batch, units)``.
        return_state: also return the final state: ``[output, h]``.
        go_backwards: process the sequence from its end (the returned
            sequence is in processing order, as in Keras).
        unroll: unroll the recurrence into graph nodes per step instead of
            one loop (for short sequences; the default is the loop).

    Example:

    >>> import numpy as np
    >>> layer = SimpleRNN(2, kernel_initializer="ones",
    ...                   recurrent_initializer="zeros")
    >>> layer(np.zeros((1, 3, 4), "float32")).numpy()
    array([[0., 0.]], dtype=float32)
    """

    gates = 1

    def step(self, x_t: Any, states: list[Any] | None) -> list[Any]:
        """``h = activation(x_t + h_prev @ recurrent_kernel)``."""
        if states is not None:
            x_t = ops.add(x_t, ops.matmul(states[0], self.recurrent_kernel))
        return [self.activation(x_t)]


class LSTM(_RNN):
    """Long short-term memory (Hochreiter and Schmidhuber, 1997), as Keras
    computes it, over the time steps.

    With ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`` split into
    the gates ``i, f, c, o``: ``c_t = sigmoid(f) * c_{t-1} + sigmoid(i) *
    tanh(c)`` and ``h_t = sigmoid(o) * tanh(c_t)`` (with the configured
    ``recurrent_activation`` and ``activation`` in place of sigmoid and tanh).

    Args:
        units: the size of the state and output.
        activation: for the candidate and the output (``"tanh"``).
        recurrent_activation: for the gates (``"sigmoid"``).
        use_bias: whether to add a bias.
        kernel_initializer: for ``kernel`` (``"glorot_uniform"``).
        recurrent_initializer: for ``recurrent_kernel`` (``"orthogonal"``).
        bias_initializer: for ``bias`` (``"zeros"``).
        unit_forget_bias: start the forget gate's bias at 1 (Keras's
            default ``True``; then ``bias_initializer`` fills the others).
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            penalties on the weights.
        activity_regularizer: a penalty on the output.
        dropout, recurrent_dropout: only ``0.0`` is supported.
        return_sequences: return every step's output instead of the last.
        return_state: also return the final states: ``[output, h, c]``.
        go_backwards: process the sequence from its end.
        unroll: unroll the recurrence into graph nodes per step instead of
            one loop (for short sequences; the default is the loop).

    Example:

    >>> import numpy as np
    >>> LSTM(3)(np.zeros((2, 4, 5), "float32")).shape
    (2, 3)
    """

    gates = 4
    has_cell_state = True

    def __init__(
        self,
        units: int,
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
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def initializer(shape: Any, dtype: Any = None) -> Any:
            del shape
            return np.concatenate(
                [
                    np.asarray(base((units,), dtype=dtype)),
                    np.ones((units,), dtype=dtype),
                    np.asarray(base((2 * units,), dtype=dtype)),
                ]
            )

        return initializer

    def step(self, x_t: Any, states: list[Any] | None) -> list[Any]:
        """The LSTM cell: gates ``i, f, c, o``; returns ``[h, c]``."""
        n = self.units
        z = x_t
        if states is not None:
            z = ops.add(z, ops.matmul(states[0], self.recurrent_kernel))
        i = self.recurrent_activation(_columns(z, 0, n))
        candidate = ops.multiply(i, self.activation(_columns(z, 2 * n, 3 * n)))
        if states is None:
            c = candidate
        else:
            f = self.recurrent_activation(_columns(z, n, 2 * n))
            c = ops.add(ops.multiply(f, states[1]), candidate)
        o = self.recurrent_activation(_columns(z, 3 * n, 4 * n))
        h = ops.multiply(o, self.activation(c))
        return [h, c]

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "recurrent_activation": serialize_activation(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


class GRU(_RNN):
    """Gated recurrent unit (Cho et al., 2014), as Keras computes it.

    Gates ``z, r, h``. With ``reset_after=True`` (Keras 3's default) the bias
    has shape ``(2, 3 * units)`` (input and recurrent biases) and the reset
    gate multiplies the recurrent projection: ``hh = tanh(x_h + r * (h_{t-1}
    @ U_h + b_h'))``; with ``False``, ``hh = tanh(x_h + (r * h_{t-1}) @
    U_h)``. Then ``h_t = z * h_{t-1} + (1 - z) * hh``.

    Args:
        units: the size of the state and output.
        activation: for the candidate (``"tanh"``).
        recurrent_activation: for the gates (``"sigmoid"``).
        use_bias: whether to add a bias.
        kernel_initializer: for ``kernel`` (``"glorot_uniform"``).
        recurrent_initializer: for ``recurrent_kernel`` (``"orthogonal"``).
        bias_initializer: for ``bias`` (``"zeros"``).
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            penalties on the weights.
        activity_regularizer: a penalty on the output.
        dropout, recurrent_dropout: only ``0.0`` is supported.
        return_sequences: return every step's output instead of the last.
        return_state: also return the final state: ``[output, h]``.
        go_backwards: process the sequence from its end.
        unroll: unroll the recurrence into graph nodes per step instead of
            one loop (for short sequences; the default is the loop).
        reset_after: where the reset gate applies (see above).

    Example:

    >>> import numpy as np
    >>> GRU(3, return_sequences=True)(np.zeros((2, 4, 5), "float32")).shape
    (2, 4, 3)
    """

    gates = 3

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        reset_after: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple[int, ...]:
        if self.reset_after:
            return (2, 3 * self.units)
        return (3 * self.units,)

    def _input_bias(self, like: Any) -> Any:
        if self.bias is None or not self.reset_after:
            return self.bias
        return _traced(self.bias, like)[0]

    def step(self, x_t: Any, states: list[Any] | None) -> list[Any]:
        """The GRU cell: gates ``z, r, h``; returns ``[h]``."""
        n = self.units
        h_prev = None if states is None else states[0]
        recurrent_bias = None
        if self.bias is not None and self.reset_after:
            recurrent_bias = _traced(self.bias, x_t)[1]
        recurrent_kernel = _traced(self.recurrent_kernel, x_t)
        # The recurrent projection of the update and reset gates (and, with
        # reset_after, of the candidate): h_prev @ U (+ recurrent bias).
        if self.reset_after:
            inner = None
            if h_prev is not None:
                inner = ops.matmul(h_prev, self.recurrent_kernel)
            if recurrent_bias is not None:
                inner = (
                    recurrent_bias if inner is None else ops.add(inner, recurrent_bias)
                )
        else:
            inner = None
            if h_prev is not None:
                inner = ops.matmul(h_prev, _columns(recurrent_kernel, 0, 2 * n))

        def gate(start: int, stop: int) -> Any:
            pre = _columns(x_t, start, stop)
            if inner is not None:
                pre = ops.add(pre, _columns(inner, start, stop))
            return self.recurrent_activation(pre)

        z = gate(0, n)
        r = gate(n, 2 * n)
        x_h = _columns(x_t, 2 * n, 3 * n)
        if self.reset_after:
            if inner is not None:
                x_h = ops.add(x_h, ops.multiply(r, _columns(inner, 2 * n, 3 * n)))
        elif h_prev is not None:
            x_h = ops.add(
                x_h,
                ops.matmul(
                    ops.multiply(r, h_prev),
                    _columns(recurrent_kernel, 2 * n, 3 * n),
                ),
            )
        hh = self.activation(x_h)
        h = ops.multiply(ops.subtract(1.0, z), hh)
        if h_prev is not None:
            h = ops.add(ops.multiply(z, h_prev), h)
        return [h]

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "recurrent_activation": serialize_activation(self.recurrent_activation),
            "reset_after": self.reset_after,
        }

"""Recurrent layers: ``RNN`` (any cell over a sequence) and ``SimpleRNN``,
``LSTM`` and ``GRU``, as in Keras 3.

Lowering: the recurrence is one ``scan`` (``kgraph.ops.scan``) whose body
is the cell's step, traced once: the graph, the native code and the
compile time do not grow with the sequence length, and the gradient is the
scan's (a reverse loop over the steps). For kgraph's own cells
(``rnn_cells``) the input projection ``inputs @ kernel + bias`` is computed
once for all time steps (one batched ``matmul``) before the loop, and each
step adds only the recurrent product; any other cell (a Keras-style custom
cell with ``call(inputs, states)`` and ``state_size``) runs whole inside
the loop. The initial state is zeros, as in Keras, or ``initial_state``.

With ``unroll=True`` (Keras's argument for short sequences) the recurrence
is unrolled instead: every step becomes ordinary graph nodes (the first
step of kgraph's cells uses the zero state algebraically).

Keras keeps the weights of ``SimpleRNN``, ``LSTM`` and ``GRU`` in their
``cell`` (``lstm/lstm_cell/kernel``); so does kgraph, and the layers also
answer ``kernel``, ``units`` and the other cell attributes as Keras's do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import ops
from kgraph.layers import layer as layer_module
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.rnn_cells import GRUCell
from kgraph.layers.rnn_cells import LSTMCell
from kgraph.layers.rnn_cells import SimpleRNNCell
from kgraph.layers.rnn_cells import StackedRNNCells
from kgraph.layers.rnn_cells import _Cell
from kgraph.ops import builder
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Variable

__all__ = ["GRU", "LSTM", "RNN", "SimpleRNN"]


def _sizes(cell: Any) -> list[int]:
    size = cell.state_size
    return [int(s) for s in size] if isinstance(size, list | tuple) else [int(size)]


class RNN(Layer):
    """Runs a recurrent cell over the time axis of ``(batch, timesteps,
    features)`` inputs.

    Args:
        cell: a cell (``call(inputs, states) -> (output, new_states)`` and
            ``state_size``), or a list of cells (``StackedRNNCells``).
        return_sequences: return every step's output, ``(batch, timesteps,
            units)``, instead of the last one, ``(batch, units)``.
        return_state: also return the final states: ``[output, *states]``.
        go_backwards: process the sequence from its end (the returned
            sequence is in processing order, as in Keras).
        stateful: start each batch from the final states of the previous
            one (sample ``i`` of a batch continues sample ``i`` of the
            last), in ``fit``, ``evaluate`` and ``predict``, until
            ``reset_state``; needs a fixed batch size
            (``Input(batch_shape=...)``).
        unroll: unroll the recurrence into graph nodes per step instead of
            one loop (for short sequences; the default is the loop).
        zero_output_for_mask: accepted for Keras compatibility.

    Raises:
        ValueError: for an object that is not a cell.

    Example:

    >>> import numpy as np
    >>> layer = RNN(LSTMCell(4), return_sequences=True)
    >>> layer(np.zeros((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(cell, list | tuple):
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)) or not hasattr(cell, "state_size"):
            raise ValueError(
                f'Layer "{self.name}" (RNN): the cell needs a `call(inputs, '
                "states)` method and a `state_size` attribute. "
                f"Received: cell={cell!r}"
            )
        self.cell = cell
        cell.__dict__["_path"] = f"{self.name}/{cell.name}"
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        # A stateful layer's states: variables of the fixed batch size, made
        # when the layer is built (not weights: they are not saved).
        self.states: list[Any] | None = None
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(ndim=3)

    @property
    def state_size(self) -> Any:
        """The cell's state sizes."""
        return self.cell.state_size

    def _check_input_shape(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        kind = type(self).__name__
        if len(shape) != 3:
            raise ValueError(
                f'Layer "{self.name}" ({kind}) expects inputs of rank 3, '
                f"(batch_size, timesteps, features). Received: input_shape={shape}"
            )
        if shape[2] is None:
            raise ValueError(
                f'Layer "{self.name}" ({kind}) needs the last dimension of its '
                f"input to be known. Received: input_shape={shape}"
            )
        if self.unroll and shape[1] is None:
            raise ValueError(
                f'Layer "{self.name}" ({kind}) with unroll=True needs the number '
                "of time steps to be known. Received: "
                f"input_shape={shape}"
            )

    def build(self, input_shape: Any) -> None:
        """Builds the cell for one step's input, ``(batch, features)``."""
        self._check_input_shape(input_shape)
        if not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
            self.cell.built = True
        if self.stateful and self.states is None:
            self._create_states(input_shape[0])
        self.input_spec = InputSpec(ndim=3, axes={-1: int(input_shape[-1])})
        self.built = True

    def _create_states(self, batch: Any) -> None:
        if batch is None:
            raise ValueError(
                "When using `stateful=True` in a RNN, the batch size must be "
                f'static (layer "{self.name}"). Give the input a batch size: '
                "keras.Input(batch_shape=(batch, timesteps, features)). "
                "Received: a dynamic batch size"
            )
        self.states = [
            Variable(
                np.zeros((int(batch), size), dtype=self.dtype),
                "rnn_state",
                f"{self.name}/rnn_state_{index}",
                trainable=False,
            )
            for index, size in enumerate(_sizes(self.cell))
        ]

    def reset_state(self) -> None:
        """Zeroes a stateful layer's states."""
        for state in self.states or []:
            state.assign(np.zeros(state.shape, dtype=state.dtype))

    def reset_states(self) -> None:
        """Zeroes a stateful layer's states (Keras's older name)."""
        self.reset_state()

    # -- the recurrence -----------------------------------------------------------

    def call(
        self,
        inputs: Any,
        initial_state: Any = None,
        mask: Any = None,
        training: Any = None,
    ) -> Any:
        """Runs the cell over the time steps and returns the last output or
        the sequence, followed by the final states if ``return_state``.

        With a ``mask`` (``(batch, timesteps)`` booleans, from
        ``Embedding(mask_zero=True)`` or ``Masking``), a masked step keeps
        the states and repeats the previous output, as in Keras.
        """
        self._check_input_shape(inputs.shape)
        fast = isinstance(self.cell, _Cell)
        states = self._initial_states(inputs, initial_state)
        if self.stateful and states is None:
            states = self._carried_states(inputs)
        if mask is not None:
            mask = self._check_mask(inputs, mask)
        if not fast:
            return self._run(inputs, states, fast, training, mask)
        # kgraph's cells: the dropout masks of this call (the same at every
        # step), the input projection of every step at once, then the loop.
        like = self._zeros(inputs, [self.cell.units])[0]
        masks, recurrent = self.cell.dropout_masks(inputs[:, 0, :], like, training)
        self.cell.__dict__["_recurrent_masks"] = recurrent
        try:
            return self._run(
                self.cell.project(inputs, masks), states, fast, training, mask
            )
        finally:
            self.cell.__dict__.pop("_recurrent_masks", None)

    def _run(
        self, sequence: Any, states: Any, fast: bool, training: Any, mask: Any
    ) -> Any:
        if self.unroll:
            output, final = self._unrolled(sequence, states, fast, training, mask)
        else:
            output, final = self._scanned(sequence, states, fast, training, mask)
        if self.stateful:
            self._carry(final)
        if self.return_state:
            return [output, *final]
        return output

    def _carried_states(self, inputs: Any) -> list[Any]:
        """A stateful layer's states, checked against the batch."""
        assert self.states is not None
        expected = self.states[0].shape[0]
        batch = inputs.shape[0]
        if batch is not None and batch != expected:
            raise ValueError(
                "If an RNN is stateful, the batch size of the input sequences "
                "must be the same as the batch size of the initial state "
                f'(layer "{self.name}").\n- Expected batch size: {expected}\n'
                f"- Received batch size: {batch}"
            )
        return list(self.states)

    def _carry(self, final: list[Any]) -> None:
        """The final states become the states of the next batch: after every
        batch of every program when traced, at once when eager."""
        assert self.states is not None
        for state, value in zip(self.states, final, strict=True):
            if isinstance(value, SymbolicTensor):
                builder.record_update(state, value, every_program=True)
            else:
                state.assign(value)

    def _check_mask(self, inputs: Any, mask: Any) -> Any:
        mask = mask[0] if isinstance(mask, list | tuple) else mask
        expected = tuple(inputs.shape[:2])
        shape = tuple(mask.shape)
        fits = len(shape) == 2 and all(
            a is None or b is None or a == b
            for a, b in zip(shape, expected, strict=True)
        )
        if not fits:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects a mask of '
                f"shape (batch, timesteps) = {expected}. Received: mask of "
                f"shape {shape}"
            )
        return mask if mask.dtype == "bool" else ops.not_equal(mask, 0)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input's mask for the sequence output, none for the states."""
        mask = mask[0] if isinstance(mask, list | tuple) else mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_sizes(self.cell))
        return output_mask

    def _initial_states(self, inputs: Any, initial_state: Any) -> list[Any] | None:
        """The given initial states, or ``None`` for zeros."""
        if initial_state is None:
            return None
        given = (
            list(initial_state)
            if isinstance(initial_state, list | tuple)
            else [initial_state]
        )
        sizes = _sizes(self.cell)
        if len(given) != len(sizes):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) has {len(sizes)} '
                f"states; initial_state gives {len(given)}. Received: "
                f"{len(given)} initial states"
            )
        for size, state in zip(sizes, given, strict=True):
            if tuple(state.shape)[-1] != size:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}) expects '
                    f"initial states of shape (batch, {size}). Received: "
                    f"shape={tuple(state.shape)}"
                )
        return [ops.cast(ops.as_tensor(s), inputs.dtype) for s in given]

    def _zeros(self, inputs: Any, sizes: list[int] | None = None) -> list[Any]:
        """Zero states of the batch's size (known only when the graph runs)."""
        column = ops.zeros_like(inputs[:, 0, :1])
        sizes = _sizes(self.cell) if sizes is None else sizes
        return [ops.multiply(column, ops.zeros((size,))) for size in sizes]

    def _step(self, fast: bool, training: Any) -> Any:
        """``(x_t, states) -> (output, new_states)``."""
        if fast:

            def step(x_t: Any, states: list[Any]) -> tuple[Any, list[Any]]:
                new = self.cell.step(x_t, states)
                return new[0], new

            return step

        def cell_step(x_t: Any, states: list[Any]) -> tuple[Any, list[Any]]:
            output, new = self.cell(x_t, states, training=training)
            return output, list(new) if isinstance(new, list | tuple) else [new]

        return cell_step

    def _scanned(
        self,
        sequence: Any,
        states: list[Any] | None,
        fast: bool,
        training: Any,
        mask: Any = None,
    ) -> tuple[Any, list[Any]]:
        """The recurrence as one loop over the time-major sequence."""
        steps = ops.transpose(sequence, (1, 0, 2))
        keep = None
        if mask is not None:
            keep = ops.expand_dims(ops.transpose(mask, (1, 0)), -1)
        if self.go_backwards:
            steps = ops.flip(steps, axis=0)
            keep = None if keep is None else ops.flip(keep, axis=0)
        init = states if states is not None else self._zeros(sequence)
        count = len(init)
        # A masked step repeats the previous output: a carry of its own
        # unless the output is the first state (kgraph's cells).
        carry_output = keep is not None and not fast
        if carry_output:
            init = [*init, self._zeros(sequence, [self._output_size()])[0]]
        step = self._step(fast, training)

        def body(carried: list[Any], x: Any) -> tuple[list[Any], Any]:
            x_t, keep_t = (x, None) if keep is None else x
            old = list(carried)
            output, new = step(x_t, old[:count])
            if keep_t is not None:
                new = [ops.where(keep_t, n, o) for n, o in zip(new, old, strict=False)]
                previous = old[count] if carry_output else old[0]
                output = ops.where(keep_t, output, previous)
            return ([*new, output] if carry_output else new), output

        xs = steps if keep is None else (steps, keep)
        final, outputs = ops.scan(body, init, xs)
        final = list(final)[:count]
        if self.return_sequences:
            return ops.transpose(outputs, (1, 0, 2)), final
        return outputs[-1] if not fast else final[0], final

    def _output_size(self) -> int:
        return int(getattr(self.cell, "output_size", _sizes(self.cell)[0]))

    def _unrolled(
        self,
        sequence: Any,
        states: list[Any] | None,
        fast: bool,
        training: Any,
        mask: Any = None,
    ) -> tuple[Any, list[Any]]:
        """The recurrence unrolled over the static time steps."""
        timesteps = int(sequence.shape[1])
        order = range(timesteps - 1, -1, -1) if self.go_backwards else range(timesteps)
        if states is None and (not fast or mask is not None):
            states = self._zeros(sequence)
        step = self._step(fast, training)
        outputs = []
        output = None
        previous = None
        if mask is not None:
            previous = self._zeros(sequence, [self._output_size()])[0]
        for t in order:
            x_t = sequence[:, t, :]
            if fast and states is None:
                states = self.cell.step(x_t, None)
                output = states[0]
            else:
                assert states is not None
                new_output, new_states = step(x_t, states)
                if mask is None:
                    output, states = new_output, new_states
                else:
                    keep_t = ops.expand_dims(mask[:, t], -1)
                    states = [
                        ops.where(keep_t, n, o)
                        for n, o in zip(new_states, states, strict=True)
                    ]
                    output = ops.where(keep_t, new_output, previous)
                    previous = output
            outputs.append(output)
        assert states is not None
        result = ops.stack(outputs, axis=1) if self.return_sequences else output
        return result, list(states)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Returns the output shape (a list of shapes with ``return_state``)."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        batch, timesteps = shape[0], shape[1]
        units = int(getattr(self.cell, "output_size", _sizes(self.cell)[0]))
        output = (batch, timesteps, units) if self.return_sequences else (batch, units)
        if self.return_state:
            return [output] + [(batch, size) for size in _sizes(self.cell)]
        return output

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (the cell's config included)."""
        return {
            **super().get_config(),
            "cell": layer_module.serialize(self.cell),
            **self._loop_config(),
        }

    def _loop_config(self) -> dict[str, Any]:
        return {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RNN:
        """Creates the layer (and its cell) from ``get_config``'s result."""
        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict):
            cell = layer_module.deserialize(cell)
        return cls(cell, **config)


# The cell attributes Keras's SimpleRNN, LSTM and GRU answer themselves.
_CELL_ATTRIBUTES = frozenset(
    {
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        "kernel_initializer",
        "recurrent_initializer",
        "bias_initializer",
        "kernel_regularizer",
        "recurrent_regularizer",
        "bias_regularizer",
        "dropout",
        "recurrent_dropout",
        "unit_forget_bias",
        "reset_after",
        "kernel",
        "recurrent_kernel",
        "bias",
        "seed",
    }
)


class _CellLayer(RNN):
    """``SimpleRNN``, ``LSTM`` and ``GRU``: an ``RNN`` of one of kgraph's
    cells, made from the cell's arguments and configured with them flat."""

    cell_class: type[_Cell] = SimpleRNNCell
    cell_name = "simple_rnn_cell"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The constructor passes the cell's arguments on (saving reads this).
        cls.argument_classes = (cls.cell_class,)

    def __init__(
        self,
        units: int,
        activity_regularizer: Any = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        **kwargs: Any,
    ) -> None:
        layer_keys = ("name", "dtype", "trainable", "input_shape", "batch_size")
        layer_kwargs = {k: kwargs.pop(k) for k in layer_keys if k in kwargs}
        kwargs.pop("use_cudnn", None)
        kwargs.pop("zero_output_for_mask", None)
        cell = self.cell_class(
            units, name=self.cell_name, dtype=layer_kwargs.get("dtype"), **kwargs
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **layer_kwargs,
        )

    def __getattr__(self, name: str) -> Any:
        cell = self.__dict__.get("cell")
        if name in _CELL_ATTRIBUTES and cell is not None:
            return getattr(cell, name)
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}'"
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments: the cell's, flat, and the
        loop's (Keras's layout)."""
        cell_config = self.cell.get_config()
        for key in ("name", "dtype", "trainable"):
            cell_config.pop(key, None)
        base = Layer.get_config(self)
        return {**base, **cell_config, **self._loop_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RNN:
        """Creates the layer from ``get_config``'s result."""
        config = dict(config)
        config.pop("zero_output_for_mask", None)
        return cls(**config)


class SimpleRNN(_CellLayer):
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
        dropout: the fraction of the inputs to drop in training (the same
            units at every step).
        recurrent_dropout: the fraction of the previous output to drop in
            training (the same units at every step; a mask per gate).
        return_sequences: return every step's output, ``(batch, timesteps,
            units)``, instead of the last one, ``(batch, units)``.
        return_state: also return the final state: ``[output, h]``.
        go_backwards: process the sequence from its end (the returned
            sequence is in processing order, as in Keras).
        stateful: carry the final states into the next batch (see
            ``RNN``); needs a fixed batch size.
        unroll: unroll the recurrence into graph nodes per step instead of
            one loop (for short sequences; the default is the loop).

    Example:

    >>> import numpy as np
    >>> layer = SimpleRNN(2, kernel_initializer="ones",
    ...                   recurrent_initializer="zeros")
    >>> layer(np.zeros((1, 3, 4), "float32")).numpy()
    array([[0., 0.]], dtype=float32)
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"


class LSTM(_CellLayer):
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
        dropout: the fraction of the inputs to drop in training (the same
            units at every step).
        recurrent_dropout: the fraction of the previous output to drop in
            training (the same units at every step; a mask per gate).
        return_sequences: return every step's output instead of the last.
        return_state: also return the final states: ``[output, h, c]``.
        go_backwards: process the sequence from its end.
        stateful: carry the final states into the next batch (see
            ``RNN``); needs a fixed batch size.
        unroll: unroll the recurrence into graph nodes per step instead of
            one loop (for short sequences; the default is the loop).

    Example:

    >>> import numpy as np
    >>> out, h, c = LSTM(3, return_state=True)(np.zeros((2, 4, 5), "float32"))
    >>> out.shape, c.shape
    ((2, 3), (2, 3))
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"


class GRU(_CellLayer):
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
        dropout: the fraction of the inputs to drop in training (the same
            units at every step).
        recurrent_dropout: the fraction of the previous output to drop in
            training (the same units at every step; a mask per gate).
        return_sequences: return every step's output instead of the last.
        return_state: also return the final state: ``[output, h]``.
        go_backwards: process the sequence from its end.
        stateful: carry the final states into the next batch (see
            ``RNN``); needs a fixed batch size.
        unroll: unroll the recurrence into graph nodes per step instead of
            one loop (for short sequences; the default is the loop).
        reset_after: where the reset gate applies (see above).

    Example:

    >>> import numpy as np
    >>> GRU(3, return_sequences=True)(np.zeros((2, 4, 5), "float32")).shape
    (2, 4, 3)
    """

    cell_class = GRUCell
    cell_name = "gru_cell"

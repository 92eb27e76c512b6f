"""Recurrent cells: one time step of ``SimpleRNN``, ``LSTM`` and ``GRU``, and
``StackedRNNCells``, as in Keras 3.

A cell's ``call(inputs, states)`` computes one step: ``(output,
new_states)``. ``RNN`` runs a cell over a sequence; for kgraph's own cells it
first projects the whole sequence with the input kernel (``project``, one
batched ``matmul``) and then runs only ``step`` (the recurrent part) per
step.

Weights have Keras's names, shapes, gate orders and creation order, so
weights from Keras load with ``set_weights``:

- ``SimpleRNNCell``: ``kernel (input_dim, units)``, ``recurrent_kernel
  (units, units)``, ``bias (units,)``.
- ``LSTMCell``: gates ``i, f, c, o``; ``kernel (input_dim, 4 * units)``,
  ``recurrent_kernel (units, 4 * units)``, ``bias (4 * units,)``.
- ``GRUCell``: gates ``z, r, h``; ``kernel (input_dim, 3 * units)``,
  ``recurrent_kernel (units, 3 * units)``, ``bias (2, 3 * units)`` with
  ``reset_after=True`` (input and recurrent biases), ``(3 * units,)``
  otherwise.
"""

from __future__ import annotations

import numbers
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import activations
from kgraph import constraints
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers import layer as layer_module
from kgraph.layers.core import serialize_activation
from kgraph.layers.layer import Layer
from kgraph.layers.layer import random_key
from kgraph.layers.layer import serialize_object
from kgraph.layers.layer import training_flag
from kgraph.ops.builder import node_of
from kgraph.tensor import SymbolicTensor
from kgraph.utils import random as random_utils

__all__ = ["GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells"]

SALT_BITS = (1 << 63) - 1


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


def _rate(name: str, value: Any, cell: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{type(cell).__name__}: `{name}` must be a float in [0, 1). "
            f"Received: {name}={value!r}"
        )
    rate = float(value)
    if not 0.0 <= rate < 1.0:
        raise ValueError(
            f"{type(cell).__name__}: `{name}` must be in [0, 1). "
            f"Received: {name}={value!r}"
        )
    return rate


def _dropout_mask(like: Any, rate: float, salt: int, training: Any) -> Any:
    """Inverted dropout's multiplier for a tensor shaped like ``like``:
    ``1 / (1 - rate)`` kept, 0 dropped; ones outside training."""
    keep = ops.greater_equal(
        ops.random_uniform(random_key(like), like, salt=salt & SALT_BITS), rate
    )
    mask = ops.where(keep, 1.0 / (1.0 - rate), 0.0)
    if training is True:
        return mask
    return ops.where(training_flag(like, training), mask, 1.0)


def check_units(units: Any) -> int:
    """Validates ``units``.

    Raises:
        ValueError: for anything but a positive integer.
    """
    if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
        raise ValueError(
            "Received an invalid value for `units`, expected a positive "
            f"integer. Received: units={units!r}"
        )
    return int(units)


class _Cell(Layer):
    """What kgraph's three cells share: arguments, weights, and the split of
    a step into the input projection and the recurrent part. Subclasses set
    ``gates`` and implement ``step``."""

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
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = _rate("dropout", dropout, self)
        self.recurrent_dropout = _rate("recurrent_dropout", recurrent_dropout, self)
        self.seed = seed
        # The masks' streams: from the seed when given, else from kgraph's
        # seeded generator (as Dropout's).
        if seed is not None:
            base = zlib.crc32(str(seed).encode())
        else:
            base = int(random_utils.generator().integers(0, 2**31))
        self.mask_salt = base

    @property
    def state_size(self) -> Any:
        """The size of each state (a list for the LSTM's ``[h, c]``)."""
        return [self.units, self.units] if self.has_cell_state else self.units

    @property
    def output_size(self) -> int:
        """The size of the output."""
        return self.units

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel``, ``recurrent_kernel`` and ``bias`` (Keras's
        names, shapes and order) for inputs of ``(batch, input_dim)``."""
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) needs the last '
                f"dimension of its input to be known. Received: "
                f"input_shape={tuple(input_shape)}"
            )
        width = self.gates * self.units
        self.kernel = self._add_kernel((int(input_dim), width))
        self.recurrent_kernel = self.add_weight(
            (self.units, width),
            self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            name="recurrent_kernel",
            constraint=self.recurrent_constraint,
        )
        self.bias = self._add_bias(self._bias_shape(), self._bias_initializer())
        self.built = True

    def _input_bias(self, like: Any) -> Any:
        del like
        return self.bias

    def dropout_masks(
        self, step_input: Any, state: Any, training: Any
    ) -> tuple[list[Any] | None, list[Any] | None]:
        """The dropout multipliers of one call of the recurrence (the same
        at every step, as Keras's): for the inputs (``(batch, features)``)
        and for the previous output (``(batch, units)``); one per gate with
        ``recurrent_dropout`` (Keras's implementation 1), else one; ``None``
        for no dropout or outside training."""
        if isinstance(training, bool | np.bool_) and not training:
            return None, None
        count = self.gates if self.recurrent_dropout > 0 else 1
        inputs = recurrent = None
        if self.dropout > 0:
            inputs = [
                _dropout_mask(step_input, self.dropout, self.mask_salt + g, training)
                for g in range(count)
            ]
        if self.recurrent_dropout > 0:
            salt = self.mask_salt + 101
            recurrent = [
                _dropout_mask(state, self.recurrent_dropout, salt + g, training)
                for g in range(count)
            ]
        return inputs, recurrent

    def project(self, inputs: Any, masks: list[Any] | None = None) -> Any:
        """The input part of every step at once: ``inputs @ kernel + bias``
        (the input bias), for inputs of any rank; with dropout ``masks``
        (``(batch, features)``, one or one per gate) the inputs are masked
        first, the same at every step."""
        if masks is None:
            projected = ops.matmul(inputs, self.kernel)
        else:
            kernel = _traced(self.kernel, inputs)
            width = self.units if len(masks) > 1 else self.gates * self.units
            parts = []
            for g, mask in enumerate(masks):
                while len(mask.shape) < len(inputs.shape):
                    mask = ops.expand_dims(mask, -2)
                columns = _columns(kernel, g * width, (g + 1) * width)
                parts.append(ops.matmul(ops.multiply(inputs, mask), columns))
            projected = parts[0] if len(parts) == 1 else ops.concatenate(parts, -1)
        bias = self._input_bias(inputs)
        return projected if bias is None else ops.add(projected, bias)

    def _recurrent(self, h_prev: Any, like: Any) -> Any:
        """``h_prev @ recurrent_kernel``; with recurrent dropout (masks set by
        ``RNN`` for the call) each gate's block from its masked ``h_prev``."""
        masks = self.__dict__.get("_recurrent_masks")
        if masks is None:
            return ops.matmul(h_prev, self.recurrent_kernel)
        kernel = _traced(self.recurrent_kernel, like)
        n = self.units
        parts = [
            ops.matmul(ops.multiply(h_prev, mask), _columns(kernel, g * n, (g + 1) * n))
            for g, mask in enumerate(masks)
        ]
        return parts[0] if len(parts) == 1 else ops.concatenate(parts, -1)

    def step(self, x_t: Any, states: list[Any] | None) -> list[Any]:
        """One step from its input projection ``x_t`` and the previous
        states (``None`` at the first step of an unrolled loop: zeros);
        returns the new states, the first being the output."""
        raise NotImplementedError

    def call(self, inputs: Any, states: Any, training: Any = None) -> Any:
        """One step: ``(output, new_states)``."""
        del training
        listed = list(states) if isinstance(states, list | tuple) else [states]
        new = self.step(self.project(inputs), listed)
        return new[0], new

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        """Zero states for a batch (Keras's ``get_initial_state``)."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.units]
        return [ops.zeros((batch_size, size)) for size in sizes]

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
            "kernel_constraint": serialize_object(self.kernel_constraint, constraints),
            "recurrent_constraint": serialize_object(
                self.recurrent_constraint, constraints
            ),
            "bias_constraint": serialize_object(self.bias_constraint, constraints),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class _GatedCell(_Cell):
    """A cell with gates (LSTM, GRU): their ``recurrent_activation``."""

    def __init__(
        self, units: int, recurrent_activation: Any = "sigmoid", **kwargs: Any
    ) -> None:
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "recurrent_activation": serialize_activation(self.recurrent_activation),
        }


class SimpleRNNCell(_Cell):
    """One step of ``SimpleRNN``: ``h = activation(x @ kernel + bias + h_prev
    @ recurrent_kernel)``.

    Args:
        units: the size of the state and output.
        activation: the activation (``"tanh"``).
        use_bias: whether to add a bias.
        kernel_initializer: for ``kernel`` (``"glorot_uniform"``).
        recurrent_initializer: for ``recurrent_kernel`` (``"orthogonal"``).
        bias_initializer: for ``bias`` (``"zeros"``).
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            penalties on the weights.
        kernel_constraint, recurrent_constraint, bias_constraint:
            constraints applied to the weights after each optimizer update.
        dropout: the fraction of the inputs to drop in training (the same
            units at every step).
        recurrent_dropout: the fraction of the previous output to drop in
            training (the same units at every step; a mask per gate).
        seed: seeds the dropout masks.

    Example:

    >>> import numpy as np
    >>> cell = SimpleRNNCell(2, kernel_initializer="ones")
    >>> output, states = cell(np.ones((1, 3), "float32"), [np.zeros((1, 2))])
    >>> output.shape, len(states)
    ((1, 2), 1)
    """

    gates = 1

    def step(self, x_t: Any, states: list[Any] | None) -> list[Any]:
        """``h = activation(x_t + h_prev @ recurrent_kernel)``."""
        if states is not None:
            x_t = ops.add(x_t, self._recurrent(states[0], x_t))
        return [self.activation(x_t)]


class LSTMCell(_GatedCell):
    """One step of ``LSTM`` (gates ``i, f, c, o``): with ``z = x @ kernel +
    h_prev @ recurrent_kernel + bias``, ``c = sigmoid(f) * c_prev +
    sigmoid(i) * tanh(c)`` and ``h = sigmoid(o) * tanh(c)`` (with the
    configured ``recurrent_activation`` and ``activation``).

    Args:
        units: the size of the states and output.
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
        kernel_constraint, recurrent_constraint, bias_constraint:
            constraints applied to the weights after each optimizer update.
        dropout: the fraction of the inputs to drop in training (the same
            units at every step).
        recurrent_dropout: the fraction of the previous output to drop in
            training (the same units at every step; a mask per gate).
        seed: seeds the dropout masks.

    Example:

    >>> import numpy as np
    >>> cell = LSTMCell(2)
    >>> output, (h, c) = cell(np.ones((1, 3), "float32"),
    ...                       [np.zeros((1, 2)), np.zeros((1, 2))])
    >>> output.shape, c.shape
    ((1, 2), (1, 2))
    """

    gates = 4
    has_cell_state = True

    def __init__(
        self, units: int, unit_forget_bias: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(units, **kwargs)
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
            z = ops.add(z, self._recurrent(states[0], x_t))
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
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_GatedCell):
    """One step of ``GRU`` (gates ``z, r, h``). With ``reset_after=True``
    (Keras 3's default) the bias has shape ``(2, 3 * units)`` (input and
    recurrent biases) and ``hh = tanh(x_h + r * (h_prev @ U_h + b_h'))``;
    with ``False``, ``hh = tanh(x_h + (r * h_prev) @ U_h)``. Then ``h = z *
    h_prev + (1 - z) * hh``.

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
        kernel_constraint, recurrent_constraint, bias_constraint:
            constraints applied to the weights after each optimizer update.
        dropout: the fraction of the inputs to drop in training (the same
            units at every step).
        recurrent_dropout: the fraction of the previous output to drop in
            training (the same units at every step; a mask per gate).
        reset_after: where the reset gate applies (see above).
        seed: seeds the dropout masks.

    Example:

    >>> import numpy as np
    >>> cell = GRUCell(2)
    >>> output, states = cell(np.ones((1, 3), "float32"), [np.zeros((1, 2))])
    >>> output.shape
    (1, 2)
    """

    gates = 3

    def __init__(self, units: int, reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
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
        masks = self.__dict__.get("_recurrent_masks")
        recurrent_bias = None
        if self.bias is not None and self.reset_after:
            recurrent_bias = _traced(self.bias, x_t)[1]
        recurrent_kernel = _traced(self.recurrent_kernel, x_t)

        def source(gate: int) -> Any:
            """``h_prev`` as gate ``gate``'s recurrent product sees it."""
            assert h_prev is not None
            return h_prev if masks is None else ops.multiply(h_prev, masks[gate])

        # The recurrent projection of the update and reset gates (and, with
        # reset_after, of the candidate): h_prev @ U (+ recurrent bias).
        inner = None
        if self.reset_after:
            if h_prev is not None:
                inner = self._recurrent(h_prev, x_t)
            if recurrent_bias is not None:
                inner = (
                    recurrent_bias if inner is None else ops.add(inner, recurrent_bias)
                )
        elif h_prev is not None:
            blocks = [
                ops.matmul(source(g), _columns(recurrent_kernel, g * n, (g + 1) * n))
                for g in range(2)
            ]
            inner = (
                ops.matmul(h_prev, _columns(recurrent_kernel, 0, 2 * n))
                if masks is None
                else ops.concatenate(blocks, -1)
            )

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
                    ops.multiply(r, source(2)),
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
        return {**super().get_config(), "reset_after": self.reset_after}


class StackedRNNCells(Layer):
    """Cells run one after another within each step: each cell's output is
    the next one's input; the states are all the cells' states in order.

    Args:
        cells: the cells.

    Example:

    >>> import numpy as np
    >>> cells = StackedRNNCells([SimpleRNNCell(3), SimpleRNNCell(2)])
    >>> cells.state_size
    [3, 2]
    """

    def __init__(self, cells: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self) -> list[Any]:
        """Every cell's state sizes, in order."""
        sizes: list[Any] = []
        for cell in self.cells:
            size = cell.state_size
            sizes.extend(size if isinstance(size, list | tuple) else [size])
        return sizes

    @property
    def output_size(self) -> int:
        """The last cell's output size."""
        last = self.cells[-1]
        return int(getattr(last, "output_size", _first(last.state_size)))

    def build(self, input_shape: Any) -> None:
        """Builds each cell on the previous one's output size."""
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
                cell.built = True
            size = getattr(cell, "output_size", _first(cell.state_size))
            shape = (*shape[:-1], int(size))
        self.built = True

    def call(self, inputs: Any, states: Any, training: Any = None) -> Any:
        """One step through every cell: ``(output, new_states)``."""
        states = list(states)
        new_states: list[Any] = []
        for cell in self.cells:
            size = cell.state_size
            count = len(size) if isinstance(size, list | tuple) else 1
            own, states = states[:count], states[count:]
            inputs, produced = cell(inputs, own, training=training)
            listed = isinstance(produced, list | tuple)
            produced = list(produced) if listed else [produced]
            new_states.extend(produced)
        return inputs, new_states

    def get_config(self) -> dict[str, Any]:
        """Returns the cells' configs."""
        return {
            **super().get_config(),
            "cells": [layer_module.serialize(cell) for cell in self.cells],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> StackedRNNCells:
        """Creates the stack from ``get_config``'s result."""
        config = dict(config)
        cells = [layer_module.deserialize(c) for c in config.pop("cells")]
        return cls(cells, **config)


def _first(size: Any) -> int:
    return int(size[0] if isinstance(size, list | tuple) else size)

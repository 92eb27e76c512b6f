"""``EinsumDense``: a dense layer whose product is an ``einsum``."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

from kgraph import activations
from kgraph import constraints
from kgraph import initializers
from kgraph import ops
from kgraph import regularizers
from kgraph.layers.core import serialize_activation
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import serialize_object

# The three forms Keras accepts: no ellipsis, one on the left of the input
# and output, one on their right.
_FORMS = (
    (re.compile(r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), "none"),
    (re.compile(r"^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$"), "left"),
    (re.compile(r"^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$"), "right"),
)


def analyze_equation(
    equation: str,
    bias_axes: str | None,
    input_shape: Sequence[int | None],
    output_shape: Sequence[int | None],
) -> dict[str, Any]:
    """The weight shapes of an ``EinsumDense``, as Keras derives them.

    Args:
        equation: ``"ab,bc->ac"``, ``"...b,bc->...c"`` or ``"ab...,bc->ac..."``.
        bias_axes: output letters that get a bias, or ``None``.
        input_shape: the input's shape, batch first.
        output_shape: the output's shape without the batch axis and the
            ellipsis axes (``None`` where unknown).

    Returns:
        ``kernel``, ``bias`` (or ``None``), ``output`` (the full output
        shape), ``input_axes`` and ``output_axes`` (the kernel axes of input
        and output units, for the initializer's fans).

    Raises:
        ValueError: for another form, or letters that do not match.
    """
    found = [
        (match, side)
        for pattern, side in _FORMS
        if (match := pattern.match(equation.replace(" ", ""))) is not None
    ]
    if not found:
        raise ValueError(
            f"Invalid einsum equation '{equation}'. Equations must be in the form "
            "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z].... "
            f"Received: equation={equation!r}"
        )
    match, elided_side = found[0]
    input_spec, weight_spec, output_spec = match.groups()
    rank = len(input_shape)
    elided = rank - len(input_spec)
    full = [input_shape[0], *output_shape]
    if elided > 0 and elided_side == "left":
        full[1:1] = list(input_shape[1:elided])
    elif elided > 0 and elided_side == "right":
        full.extend(input_shape[rank - elided :])
    shift = elided if elided_side == "left" else 0
    input_map = {c: i + shift for i, c in enumerate(input_spec)}
    output_map = {c: i + shift for i, c in enumerate(output_spec)}
    for c in input_spec:
        if c in output_map:
            want, have = full[output_map[c]], input_shape[input_map[c]]
            if want is not None and want != have:
                raise ValueError(
                    f"Input shape and output shape do not match at shared dimension "
                    f"'{c}'. Input shape is {have}, and output shape is {want}. "
                    f"Received: equation={equation!r}, input_shape={tuple(input_shape)}"
                )
    for c in output_spec:
        if c not in input_spec and c not in weight_spec:
            raise ValueError(
                f"Dimension '{c}' was specified in the output '{output_spec}' but "
                f"has no corresponding dim in the input spec '{input_spec}' or "
                f"weight spec '{weight_spec}'. Received: equation={equation!r}"
            )
    kernel, input_axes, output_axes = [], [], []
    for i, c in enumerate(weight_spec):
        if c in output_map:
            kernel.append(full[output_map[c]])
            output_axes.append(i)
        elif c in input_map:
            kernel.append(input_shape[input_map[c]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{c}' did not have a match in either the input "
                f"spec '{input_spec}' or the output spec '{output_spec}'. For this "
                f"layer, the weight must be fully specified. Received: "
                f"equation={equation!r}"
            )
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(
                    f"Bias dimension '{c}' was requested, but is not part of the "
                    f"output spec '{output_spec}'. Received: bias_axes={bias_axes!r}"
                )
        first = min(output_spec.find(c) for c in bias_axes)
        bias = [
            full[output_map[c]] if c in bias_axes else 1 for c in output_spec[first:]
        ]
        if elided_side != "left":
            bias.extend([1] * elided)
    return {
        "kernel": kernel,
        "bias": bias,
        "output": full,
        "input_axes": input_axes,
        "output_axes": output_axes,
    }


class EinsumDense(Layer):
    """A dense layer whose product with its kernel is an ``einsum``.

    ``EinsumDense("ab,bc->ac", output_shape=64, bias_axes="c")`` is
    ``Dense(64)``; ``"abc,cde->abde"`` projects every step of a sequence
    onto heads (as ``MultiHeadAttention`` does).

    Args:
        equation: ``"<input>,<kernel>-><output>"``, where an ellipsis may
            stand for leading (``"...b,bc->...c"``) or trailing axes.
        output_shape: the output's shape without the batch axis and the
            ellipsis axes; an int for one axis; ``None`` where it follows
            the input.
        activation: the activation (default: none).
        bias_axes: the output letters that get a bias (default: no bias).
        kernel_initializer: the kernel's initializer; a variance-scaling
            one counts its fans over the kernel's input and output axes.
        bias_initializer: the bias's initializer.
        kernel_regularizer: a penalty on the kernel.
        bias_regularizer: a penalty on the bias.
        kernel_constraint: a constraint applied to the kernel after each
            optimizer update.
        bias_constraint: a constraint applied to the bias after each update.
        **kwargs: the base layer's arguments (``name``, ``dtype``...).

    Raises:
        ValueError: (when built) for an equation that does not fit the
            input.

    Example:

    >>> layer = EinsumDense("ab,bc->ac", output_shape=2, kernel_initializer="ones")
    >>> layer([[1.0, 2.0]]).numpy()
    array([[3., 3.]], dtype=float32)
    """

    _passes_masks = False

    def __init__(
        self,
        equation: str,
        output_shape: Any,
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if not isinstance(equation, str):
            raise ValueError(
                f'Layer "{self.name}" (EinsumDense): `equation` must be a string. '
                f"Received: equation={equation!r}"
            )
        self.equation = equation
        if isinstance(output_shape, int):
            self.partial_output_shape: tuple[Any, ...] = (output_shape,)
        else:
            self.partial_output_shape = tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias: Any = None

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` and, with ``bias_axes``, ``bias``."""
        shapes = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        if any(d is None for d in shapes["kernel"]):
            raise ValueError(
                f'Layer "{self.name}" (EinsumDense): the kernel shape '
                f"{shapes['kernel']} has unknown dimensions; give them in "
                f"`output_shape` or the input's shape. Received: "
                f"input_shape={tuple(input_shape)}"
            )
        self.input_spec = InputSpec(ndim=len(input_shape))
        initializer = self.kernel_initializer
        if isinstance(initializer, initializers.VarianceScaling) and (
            initializer.input_axes is None or initializer.output_axes is None
        ):
            initializer = copy.copy(initializer)
            initializer.input_axes = shapes["input_axes"]
            initializer.output_axes = shapes["output_axes"]
        self.kernel = self.add_weight(
            shapes["kernel"],
            initializer,
            regularizer=self.kernel_regularizer,
            name="kernel",
            constraint=self.kernel_constraint,
        )
        if shapes["bias"] is not None:
            self.bias = self.add_weight(
                shapes["bias"],
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                name="bias",
                constraint=self.bias_constraint,
            )
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Computes ``activation(einsum(equation, inputs, kernel) + bias)``."""
        outputs = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        return self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": serialize_activation(self.activation),
            "bias_axes": self.bias_axes,
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

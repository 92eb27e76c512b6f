"""Activation functions (``kgraph.activations``), as in ``keras.activations``.

Each activation is written with ``kgraph.ops``, so it evaluates eagerly on
arrays and ``kgraph.Tensor``s and adds graph nodes on symbolic tensors; its
gradient comes from the primitives it is made of. ``get`` resolves the names
a layer's ``activation=`` argument accepts.

Example:

>>> import numpy as np
>>> relu(np.array([-1.0, 2.0], dtype="float32")).numpy()
array([0., 2.], dtype=float32)
>>> get("relu") is relu
True
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from kgraph import dtypes
from kgraph import objects
from kgraph import ops


def _float(x: Any) -> Any:
    """Returns ``x`` as a tensor of a float dtype (ints become float32)."""
    x = ops.as_tensor(x)
    return x if dtypes.is_float(x.dtype) else ops.cast(x, "float32")


def relu(
    x: Any,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> Any:
    """Applies the rectified linear unit activation function.

    With the defaults this is ``max(x, 0)``; the arguments give a leaky,
    capped or thresholded variant, as in Keras.

    Args:
        x: input tensor.
        negative_slope: slope for values below ``threshold``.
        max_value: the largest value returned, if given.
        threshold: values below it are damped or set to zero.

    Returns:
        A tensor of the same shape and dtype as ``x``.

    Example:

    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0).numpy()
    array([0., 0., 0., 5., 5.], dtype=float32)
    """
    x = _float(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    negative_part = None
    if negative_slope != 0.0:
        negative_part = ops.relu(ops.add(ops.negative(x), threshold))
    clip_max = max_value is not None
    if threshold != 0:
        x = ops.where(ops.less_equal(x, threshold), 0.0, x)
    elif max_value == 6:
        x = relu6(x)
        clip_max = False
    else:
        x = ops.relu(x)
    if clip_max:
        x = ops.clip(x, 0.0, float(max_value))  # type: ignore[arg-type]
    if negative_part is not None:
        x = ops.subtract(x, ops.multiply(negative_part, negative_slope))
    return x


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """Leaky ReLU: ``x`` where positive, ``negative_slope * x`` elsewhere.

    Args:
        x: input tensor.
        negative_slope: slope for negative values.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.leaky_relu(_float(x), negative_slope=negative_slope)


def relu6(x: Any) -> Any:
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    The gradient is 1 strictly between 0 and 6 and 0 elsewhere, as in
    TensorFlow's ``relu6``.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.relu6(x)


def sigmoid(x: Any) -> Any:
    """Sigmoid: ``1 / (1 + exp(-x))``.

    Args:
        x: input tensor.

    Returns:
        A tensor of values in ``[0, 1]``.
    """
    return ops.sigmoid(_float(x))


def tanh(x: Any) -> Any:
    """Hyperbolic tangent.

    Args:
        x: input tensor.

    Returns:
        A tensor of values in ``[-1, 1]``.
    """
    return ops.tanh(_float(x))


def softmax(x: Any, axis: int = -1) -> Any:
    """Softmax: ``exp(x) / sum(exp(x))`` along ``axis``, computed stably.

    Args:
        x: input tensor.
        axis: the axis the probabilities sum to 1 along.

    Returns:
        A tensor of the same shape as ``x``.

    Example:

    >>> softmax([[0.0, 0.0]]).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """
    return ops.softmax(_float(x), axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """Log-softmax: ``x - logsumexp(x)`` along ``axis``, computed stably.

    Args:
        x: input tensor.
        axis: the axis the softmax is taken along.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.log_softmax(_float(x), axis=axis)


def linear(x: Any) -> Any:
    """Linear activation: returns ``x`` unchanged.

    Args:
        x: input tensor.

    Returns:
        ``x`` itself.
    """
    return x


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: ``x`` if ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        x: input tensor.
        alpha: the scale of the negative part.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.elu(_float(x), alpha=alpha)


def selu(x: Any) -> Any:
    """Scaled ELU: ``scale * elu(x, alpha)`` with Keras's constants.

    ``alpha = 1.67326324`` and ``scale = 1.05070098``.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.selu(x)


def gelu(x: Any, approximate: bool = False) -> Any:
    """Gaussian error linear unit: ``x * P(X <= x)`` for ``X ~ N(0, 1)``.

    Exact form (``approximate=False``, Keras's default here, unlike
    ``kgraph.ops.gelu``): ``0.5 * x * (1 + erf(x / sqrt(2)))``. Approximate
    form:
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.

    Args:
        x: input tensor.
        approximate: whether to use the tanh approximation.

    Returns:
        A tensor of the same shape as ``x``.

    Example:

    >>> round(float(gelu([1.0]).numpy()[0]), 5)
    0.84134
    """
    return ops.gelu(x, approximate=approximate)


def silu(x: Any) -> Any:
    """SiLU (swish): ``x * sigmoid(x)``.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.silu(x)


swish = silu


def softplus(x: Any) -> Any:
    """Softplus: ``log(exp(x) + 1)``, stable for large ``|x|``.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.softplus(_float(x))


def softsign(x: Any) -> Any:
    """Softsign: ``x / (abs(x) + 1)``.

    Args:
        x: input tensor.

    Returns:
        A tensor of values in ``(-1, 1)``.
    """
    return ops.softsign(x)


def exponential(x: Any) -> Any:
    """Exponential activation: ``exp(x)``.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.exp(_float(x))


def hard_sigmoid(x: Any) -> Any:
    """Hard sigmoid (Keras 3): ``relu6(x + 3) / 6``.

    That is 0 for ``x <= -3``, 1 for ``x >= 3`` and ``x / 6 + 0.5`` between.

    Args:
        x: input tensor.

    Returns:
        A tensor of values in ``[0, 1]``.
    """
    return ops.hard_sigmoid(x)


def hard_silu(x: Any) -> Any:
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)``.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.hard_silu(x)


hard_swish = hard_silu


def hard_tanh(x: Any) -> Any:
    """Hard tanh: ``x`` clipped to ``[-1, 1]``.

    Args:
        x: input tensor.

    Returns:
        A tensor of values in ``[-1, 1]``.
    """
    return ops.hard_tanh(x)


def log_sigmoid(x: Any) -> Any:
    """Log of the sigmoid: ``-softplus(-x)``, stable for large ``|x|``.

    Args:
        x: input tensor.

    Returns:
        A tensor of non-positive values.
    """
    return ops.log_sigmoid(x)


def tanh_shrink(x: Any) -> Any:
    """Tanh shrink: ``x - tanh(x)``.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.tanh_shrink(x)


def celu(x: Any, alpha: float = 1.0) -> Any:
    """CELU: ``x`` if ``x >= 0``, else ``alpha * (exp(x / alpha) - 1)``.

    Args:
        x: input tensor.
        alpha: the scale of the negative part.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.celu(x, alpha=alpha)


def mish(x: Any) -> Any:
    """Mish: ``x * tanh(softplus(x))``.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape as ``x``.
    """
    x = _float(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: ``a * sigmoid(b)`` for the halves ``a, b`` of
    ``x`` along ``axis``.

    Args:
        x: input tensor, of even size along ``axis``.
        axis: the axis to split.

    Returns:
        A tensor half the size of ``x`` along ``axis``.
    """
    return ops.glu(x, axis=axis)


def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """Hard shrink: ``x`` where ``|x| > threshold``, else 0.

    Args:
        x: input tensor.
        threshold: the half-width of the zeroed band.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.hard_shrink(x, threshold=threshold)


def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """Soft shrink: ``x - threshold`` above ``threshold``, ``x + threshold``
    below ``-threshold``, 0 between.

    Args:
        x: input tensor.
        threshold: the half-width of the zeroed band.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.soft_shrink(x, threshold=threshold)


def sparse_plus(x: Any) -> Any:
    """Sparse plus: 0 for ``x <= -1``, ``(x + 1)**2 / 4`` on ``(-1, 1)``,
    ``x`` for ``x >= 1``.

    Args:
        x: input tensor.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.sparse_plus(x)


def sparse_sigmoid(x: Any) -> Any:
    """Sparse sigmoid: ``clip((x + 1) / 2, 0, 1)``.

    Args:
        x: input tensor.

    Returns:
        A tensor of values in ``[0, 1]``.
    """
    return ops.sparse_sigmoid(x)


def sparsemax(x: Any, axis: int = -1) -> Any:
    """Sparsemax: ``max(x - tau, 0)`` along ``axis`` with Keras 3's ``tau``
    (see ``kgraph.ops.sparsemax``).

    Args:
        x: input tensor.
        axis: the axis to normalize.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.sparsemax(x, axis=axis)


def squareplus(x: Any, b: float = 4) -> Any:
    """Squareplus: ``(x + sqrt(x**2 + b)) / 2``.

    Args:
        x: input tensor.
        b: the smoothness near 0.

    Returns:
        A tensor of positive values.
    """
    return ops.squareplus(x, b=b)


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: input tensor.
        threshold: the bound below which values are replaced.
        default_value: the replacement.

    Returns:
        A tensor of the same shape as ``x``.
    """
    return ops.threshold(x, threshold, default_value)


ALL_OBJECTS: tuple[Callable[..., Any], ...] = (
    relu,
    leaky_relu,
    relu6,
    softmax,
    celu,
    elu,
    selu,
    softplus,
    softsign,
    silu,
    gelu,
    tanh,
    tanh_shrink,
    sigmoid,
    exponential,
    hard_sigmoid,
    hard_silu,
    hard_tanh,
    linear,
    mish,
    log_softmax,
    log_sigmoid,
    glu,
    hard_shrink,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    threshold,
)

ALL_OBJECTS_DICT: dict[str, Callable[..., Any]] = {
    fn.__name__: fn for fn in ALL_OBJECTS
}
ALL_OBJECTS_DICT["swish"] = silu
ALL_OBJECTS_DICT["hard_swish"] = hard_silu


class _Activations(objects.ObjectFamily):
    """Activations are functions: a config dict names one by its
    ``config``, whatever its ``class_name`` says."""

    def deserialize(
        self, config: Any, custom_objects: Mapping[str, Any] | None = None
    ) -> Any:
        if isinstance(config, Mapping) and isinstance(config.get("config"), str):
            config = {**config, "class_name": "function"}
        return super().deserialize(config, custom_objects)

    def serialize_function(self, name: str) -> Any:
        return name

    def cannot_deserialize(self, config: Mapping[str, Any]) -> ValueError:
        return self.unknown(config)


FAMILY = _Activations(
    "activation", None, ALL_OBJECTS_DICT, default=linear, label="activation function"
)
"""The activations' ``ObjectFamily``: names and aliases to functions."""


get, serialize, deserialize = FAMILY.public_functions(
    __name__,
    {
        "get": """>>> get(None) is linear
True
>>> get("swish") is silu
True""",
        "serialize": """>>> serialize(relu)
'relu'""",
    },
)


__all__ = [
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]

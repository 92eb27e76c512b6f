"""Keras's neural-network functions (``keras.ops.nn``), composed from
primitives: activations, normalizations, crossentropies, encodings and
dot-product attention.

Every public function here works eagerly on arrays and tensors; called on
KerasTensors it is recorded whole as one operation of the model (as Keras
records its ops), so it saves and reloads by name. Gradients, fusion and
native code come from the primitives each is made of.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kgraph import config
from kgraph import dtypes
from kgraph.ops import composite
from kgraph.ops import elementwise as ew
from kgraph.ops import elementwise_math
from kgraph.ops import linalg_primitives as linalg_ops
from kgraph.ops import nn_primitives
from kgraph.ops import reduce
from kgraph.ops import shaping as shape_ops
from kgraph.ops.history import recorded
from kgraph.ops.reduce import normalize_axes

# SELU constants (Klambauer et al., 2017), as in Keras.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _float(x: Any) -> Any:
    """``x`` as a tensor of a float dtype (ints and bools become float32)."""
    x = shape_ops.as_tensor(x)
    return x if dtypes.is_float(x.dtype) else ew.cast(x, "float32")


# ---------------------------------------------------------------- activations


@recorded
def relu6(x: Any) -> Any:
    """Rectified linear unit capped at 6: ``min(max(x, 0), 6)``.

    Example:

    >>> relu6([-1.0, 3.0, 7.0]).numpy()
    array([0., 3., 6.], dtype=float32)
    """
    x = _float(x)
    return ew.where(ew.greater_equal(x, 6.0), 6.0, composite.relu(x))


@recorded
def gelu(x: Any, approximate: bool = True) -> Any:
    """Gaussian error linear unit: ``x * P(X <= x)`` for ``X ~ N(0, 1)``.

    Exact form (``approximate=False``): ``0.5 * x * (1 + erf(x / sqrt(2)))``,
    computed as ``0.5 * x * erfc(-x / sqrt(2))`` (``kgraph.ops.erfc``), so
    it stays accurate where the result is tiny. Approximate form (Keras's
    default for ``ops.gelu``):
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.

    Args:
        x: input tensor.
        approximate: whether to use the tanh approximation.

    Returns:
        A tensor of the same shape as ``x``.

    Example:

    >>> round(float(gelu([1.0], approximate=False).numpy()[0]), 5)
    0.84134
    """
    x = _float(x)
    if approximate:
        cube = ew.multiply(ew.multiply(x, x), x)
        inner = ew.multiply(
            ew.add(x, ew.multiply(cube, 0.044715)), math.sqrt(2.0 / math.pi)
        )
        cdf = ew.multiply(ew.add(ew.tanh(inner), 1.0), 0.5)
        return ew.multiply(x, cdf)
    cdf = ew.multiply(elementwise_math.erfc(ew.multiply(x, -1.0 / math.sqrt(2.0))), 0.5)
    return ew.multiply(x, cdf)


@recorded
def silu(x: Any) -> Any:
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``.

    Example:

    >>> silu([0.0]).numpy()
    array([0.], dtype=float32)
    """
    x = _float(x)
    return ew.multiply(x, composite.sigmoid(x))


@recorded
def swish(x: Any) -> Any:
    """Swish, the same function as ``silu``: ``x * sigmoid(x)``.

    Example:

    >>> swish([0.0]).numpy()
    array([0.], dtype=float32)
    """
    return silu(x)


@recorded
def hard_sigmoid(x: Any) -> Any:
    """Piecewise-linear sigmoid: ``relu6(x + 3) / 6``.

    Example:

    >>> hard_sigmoid([-4.0, 0.0, 4.0]).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    return ew.divide(relu6(ew.add(_float(x), 3.0)), 6.0)


@recorded
def hard_silu(x: Any) -> Any:
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)``.

    Example:

    >>> hard_silu([-4.0, 4.0]).numpy()
    array([-0.,  4.], dtype=float32)
    """
    x = _float(x)
    return ew.multiply(x, hard_sigmoid(x))


@recorded
def hard_swish(x: Any) -> Any:
    """Hard swish, the same function as ``hard_silu``.

    Example:

    >>> hard_swish([4.0]).numpy()
    array([4.], dtype=float32)
    """
    return hard_silu(x)


@recorded
def hard_tanh(x: Any) -> Any:
    """Piecewise-linear tanh: ``x`` clipped to ``[-1, 1]``.

    Example:

    >>> hard_tanh([-2.0, 0.5, 2.0]).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return composite.clip(_float(x), -1.0, 1.0)


@recorded
def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """``x`` where ``|x| > threshold``, else 0.

    Example:

    >>> hard_shrink([-1.0, 0.2, 0.7]).numpy()
    array([-1. ,  0. ,  0.7], dtype=float32)
    """
    x = _float(x)
    return ew.where(ew.greater(ew.abs(x), threshold), x, 0.0)


@recorded
def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """Shrinks ``x`` towards 0 by ``threshold``; 0 where ``|x| <= threshold``.

    Example:

    >>> soft_shrink([-1.0, 0.2, 0.75]).numpy()
    array([-0.5 ,  0.  ,  0.25], dtype=float32)
    """
    x = _float(x)
    below = ew.where(ew.less(x, -threshold), ew.add(x, threshold), 0.0)
    return ew.where(ew.greater(x, threshold), ew.subtract(x, threshold), below)


@recorded
def tanh_shrink(x: Any) -> Any:
    """``x - tanh(x)``.

    Example:

    >>> tanh_shrink([0.0]).numpy()
    array([0.], dtype=float32)
    """
    x = _float(x)
    return ew.subtract(x, ew.tanh(x))


@recorded
def softsign(x: Any) -> Any:
    """``x / (|x| + 1)``.

    Example:

    >>> softsign([1.0, -3.0]).numpy()
    array([ 0.5 , -0.75], dtype=float32)
    """
    x = _float(x)
    return ew.divide(x, ew.add(ew.abs(x), 1.0))


@recorded
def selu(x: Any) -> Any:
    """Scaled ELU: ``scale * elu(x, alpha)`` with ``alpha = 1.67326324``
    and ``scale = 1.05070098``.

    Example:

    >>> selu([0.0, 1.0]).numpy()
    array([0.      , 1.050701], dtype=float32)
    """
    return ew.multiply(composite.elu(_float(x), alpha=SELU_ALPHA), SELU_SCALE)


@recorded
def celu(x: Any, alpha: float = 1.0) -> Any:
    """Continuously differentiable ELU: ``x`` where ``x >= 0``, else
    ``alpha * (exp(x / alpha) - 1)``.

    Example:

    >>> celu([1.0, 0.0]).numpy()
    array([1., 0.], dtype=float32)
    """
    x = _float(x)
    scaled = ew.divide(ew.minimum(x, 0.0), alpha)
    negative = ew.multiply(ew.subtract(ew.exp(scaled), 1.0), alpha)
    return ew.where(ew.greater_equal(x, 0.0), x, negative)


@recorded
def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: splits ``x`` in two halves ``a, b`` along ``axis``
    and returns ``a * sigmoid(b)``.

    Raises:
        ValueError: when the size of ``axis`` is odd or unknown.

    Example:

    >>> glu([1.0, 0.0]).numpy()
    array([0.5], dtype=float32)
    """
    x = _float(x)
    axis = normalize_axes("glu", (axis,), x.ndim)[0]
    size = x.shape[axis]
    if size is None or size % 2:
        raise ValueError(
            "glu expects an even size along `axis`, the halves being the value "
            f"and the gate. Received: x.shape={x.shape}, axis={axis}"
        )
    first = [slice(None)] * x.ndim
    second = [slice(None)] * x.ndim
    first[axis], second[axis] = slice(0, size // 2), slice(size // 2, size)
    a = shape_ops.get_item(x, tuple(first))
    b = shape_ops.get_item(x, tuple(second))
    return ew.multiply(a, composite.sigmoid(b))


@recorded
def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``.

    Example:

    >>> log_sigmoid([0.0]).numpy()
    array([-0.6931472], dtype=float32)
    """
    return ew.negative(composite.softplus(ew.negative(_float(x))))


@recorded
def sparse_plus(x: Any) -> Any:
    """0 for ``x <= -1``, ``(x + 1)**2 / 4`` for ``-1 < x < 1``, ``x`` for
    ``x >= 1``.

    Example:

    >>> sparse_plus([-2.0, 0.0, 2.0]).numpy()
    array([0.  , 0.25, 2.  ], dtype=float32)
    """
    x = _float(x)
    middle = ew.multiply(ew.square(ew.add(x, 1.0)), 0.25)
    inner = ew.where(ew.less_equal(x, -1.0), 0.0, middle)
    return ew.where(ew.greater_equal(x, 1.0), x, inner)


@recorded
def sparse_sigmoid(x: Any) -> Any:
    """Piecewise-linear sigmoid: ``clip((x + 1) / 2, 0, 1)``.

    Example:

    >>> sparse_sigmoid([-2.0, 0.0, 2.0]).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    return ew.multiply(composite.clip(ew.add(_float(x), 1.0), 0.0, 2.0), 0.5)


@recorded
def squareplus(x: Any, b: float = 4) -> Any:
    """Smooth ReLU: ``(x + sqrt(x**2 + b)) / 2``.

    Example:

    >>> squareplus([0.0]).numpy()
    array([1.], dtype=float32)
    """
    x = _float(x)
    return ew.multiply(ew.add(x, ew.sqrt(ew.add(ew.square(x), float(b)))), 0.5)


@recorded
def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """``x`` where ``x > threshold``, else ``default_value``.

    Example:

    >>> threshold([0.5, 2.0], 1.0, -1.0).numpy()
    array([-1.,  2.], dtype=float32)
    """
    x = _float(x)
    return ew.where(ew.greater(x, threshold), x, default_value)


@recorded
def sparsemax(x: Any, axis: int = -1) -> Any:
    """Sparsemax: ``max(x - tau, 0)`` along ``axis``, with Keras 3's ``tau``.

    Keras sorts ``x`` in decreasing order ``z``, keeps the support
    ``z_k - (cumsum(z)_k - 1) / k > 0`` and sets ``tau = (sum over the
    support of cumsum(z)_k - 1) / |support|``. NOTE: that sums the
    cumulative sums (not the support's values), so the outputs need not sum
    to 1; kgraph follows Keras's numbers. Computed without sorting, by
    pairwise comparisons along ``axis`` (ties share their sorted positions'
    sums), so the cost grows with the square of the axis's size.

    Example:

    >>> sparsemax([1.0, 0.5, 0.0]).numpy()
    array([0.25, 0.  , 0.  ], dtype=float32)
    """
    x = _float(x)
    axis = normalize_axes("sparsemax", (axis,), x.ndim)[0]
    z_j = shape_ops.expand_dims(x, axis + 1)  # the element, on axis + 1
    z_i = shape_ops.expand_dims(x, axis)  # the others, on axis + 1
    above = ew.cast(ew.greater(z_i, z_j), x.dtype)
    tied = ew.cast(ew.equal(z_i, z_j), x.dtype)
    at_or_above = ew.add(above, tied)
    rank = reduce.sum(at_or_above, axis=axis + 1)
    total = reduce.sum(ew.multiply(at_or_above, z_i), axis=axis + 1)
    support = ew.greater(ew.subtract(x, ew.divide(ew.subtract(total, 1.0), rank)), 0)
    count = reduce.sum(ew.cast(support, x.dtype), axis=axis, keepdims=True)
    greater_sum = reduce.sum(ew.multiply(above, z_i), axis=axis + 1)
    ties = reduce.sum(tied, axis=axis + 1)
    share = ew.add(greater_sum, ew.multiply(x, ew.multiply(ew.add(ties, 1.0), 0.5)))
    shares = reduce.sum(ew.where(support, share, 0.0), axis=axis, keepdims=True)
    tau = ew.divide(ew.subtract(shares, 1.0), count)
    return ew.maximum(ew.subtract(x, tau), 0.0)


# ------------------------------------------------------------ normalizations


@recorded
def moments(
    x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False
) -> tuple[Any, Any]:
    """Mean and variance of ``x`` over ``axes``.

    Args:
        x: input tensor.
        axes: the axes (an int or a sequence of ints) to reduce.
        keepdims: keep the reduced axes with size 1.
        synchronized: Keras's cross-device flag; a single-process kgraph
            has nothing to synchronize, so it changes nothing.

    Returns:
        A tuple ``(mean, variance)``.

    Example:

    >>> mean, variance = moments([1.0, 2.0, 3.0], axes=0)
    >>> float(mean.numpy()), round(float(variance.numpy()), 4)
    (2.0, 0.6667)
    """
    x = _float(x)
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    mean = composite.mean(x, axis=axes, keepdims=True)
    variance = composite.mean(
        ew.square(ew.subtract(x, mean)), axis=axes, keepdims=keepdims
    )
    if not keepdims:
        mean = shape_ops.squeeze(mean, normalize_axes("moments", axes, x.ndim))
    return mean, variance


@recorded
def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: Any = None) -> Any:
    """Divides ``x`` by its ``order``-norm along ``axis``.

    For ``order=2``: ``x * min(1 / sqrt(sum(x**2)), 1 / epsilon)``; other
    orders divide by ``max(norm, epsilon)``.

    Args:
        x: input tensor.
        axis: the axis (or axes) of the norm.
        order: an int >= 1.
        epsilon: the floor of the norm (default ``kgraph.backend.epsilon()``).

    Raises:
        ValueError: for an ``order`` that is not an int >= 1.

    Example:

    >>> normalize([3.0, 4.0]).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(
            f"Argument `order` must be an int >= 1. Received: order={order}"
        )
    x = _float(x)
    if x.ndim == 0:
        x = shape_ops.expand_dims(x, 0)
    epsilon = config.epsilon() if epsilon is None else float(epsilon)
    if order == 2:
        squares = reduce.sum(ew.square(x), axis=axis, keepdims=True)
        inverse = ew.minimum(ew.divide(1.0, ew.sqrt(squares)), 1.0 / epsilon)
        return ew.multiply(x, inverse)
    from kgraph.ops import linalg_functions

    norm = linalg_functions.norm(x, ord=order, axis=axis, keepdims=True)
    return ew.divide(x, ew.maximum(norm, epsilon))


def _broadcast_along(value: Any, ndim: int, axes: list[int], sizes: list) -> Any:
    """A 1-D (or matching) parameter reshaped to broadcast along ``axes``."""
    value = shape_ops.as_tensor(value)
    if value.ndim == ndim or axes == [ndim - 1]:
        return value
    shape = [1] * ndim
    for axis, size in zip(axes, sizes, strict=True):
        shape[axis] = size
    return shape_ops.reshape(value, tuple(-1 if s is None else s for s in shape))


@recorded
def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    axis: int,
    offset: Any = None,
    scale: Any = None,
    epsilon: float = 1e-3,
) -> Any:
    """Normalizes ``x`` with given statistics along the feature ``axis``:
    ``(x - mean) / sqrt(variance + epsilon) * scale + offset``.

    Args:
        x: input tensor.
        mean: the mean, a 1-D tensor of ``x.shape[axis]`` entries.
        variance: the variance, shaped like ``mean``.
        axis: the feature axis.
        offset: optional ``beta``, shaped like ``mean``.
        scale: optional ``gamma``, shaped like ``mean``.
        epsilon: added to the variance.

    Example:

    >>> batch_normalization([[1.0, 2.0]], [1.0, 0.0], [1.0, 4.0], axis=1,
    ...                     epsilon=0.0).numpy()
    array([[0., 1.]], dtype=float32)
    """
    x = _float(x)
    axis = normalize_axes("batch_normalization", (axis,), x.ndim)[0]
    size = shape_ops.as_tensor(mean).shape[0]

    def along(value: Any) -> Any:
        return _broadcast_along(ew.cast(value, x.dtype), x.ndim, [axis], [size])

    inverse = ew.divide(1.0, ew.sqrt(ew.add(along(variance), epsilon)))
    if scale is not None:
        inverse = ew.multiply(inverse, along(scale))
    shift = ew.negative(ew.multiply(along(mean), inverse))
    if offset is not None:
        shift = ew.add(shift, along(offset))
    return ew.add(ew.multiply(x, inverse), shift)


@recorded
def layer_normalization(
    x: Any,
    gamma: Any = None,
    beta: Any = None,
    axis: Any = -1,
    epsilon: Any = None,
    **kwargs: Any,
) -> Any:
    """Normalizes ``x`` over ``axis`` by its own mean and variance, then
    scales by ``gamma`` and shifts by ``beta``, as Keras's
    ``ops.layer_normalization``.

    Args:
        x: input tensor.
        gamma: optional scale, shaped like the normalized axes.
        beta: optional offset, shaped like the normalized axes.
        axis: an int or a sequence of ints.
        epsilon: added to the variance (default ``kgraph.backend.epsilon()``).
        **kwargs: ``rms_scaling=True`` (deprecated in Keras) divides by
            ``sqrt(variance + epsilon)`` without centering and ignores ``beta``.

    Raises:
        TypeError: for another keyword argument.

    Example:

    >>> layer_normalization([[1.0, 3.0]], epsilon=0.0).numpy()
    array([[-1.,  1.]], dtype=float32)
    """
    rms_scaling = bool(kwargs.pop("rms_scaling", False))
    if kwargs:
        raise TypeError(
            "layer_normalization got unexpected keyword arguments. "
            f"Received: {sorted(kwargs)}"
        )
    x = _float(x)
    epsilon = config.epsilon() if epsilon is None else float(epsilon)
    axes = sorted(normalize_axes("layer_normalization", _axes(axis), x.ndim))
    sizes = [x.shape[a] for a in axes]
    mean, variance = moments(x, axes=tuple(axes), keepdims=True)
    inverse = ew.divide(1.0, ew.sqrt(ew.add(variance, epsilon)))
    if rms_scaling:
        result = ew.multiply(x, inverse)
        if gamma is not None:
            result = ew.multiply(result, _param(gamma, x, axes, sizes))
        return result
    if gamma is not None:
        inverse = ew.multiply(inverse, _param(gamma, x, axes, sizes))
    shift = ew.negative(ew.multiply(mean, inverse))
    if beta is not None:
        shift = ew.add(shift, _param(beta, x, axes, sizes))
    return ew.add(ew.multiply(x, inverse), shift)


def _axes(axis: Any) -> tuple[int, ...]:
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _param(value: Any, x: Any, axes: list[int], sizes: list) -> Any:
    return _broadcast_along(ew.cast(value, x.dtype), x.ndim, axes, sizes)


@recorded
def rms_normalization(
    x: Any, scale: Any = None, axis: Any = -1, epsilon: Any = None
) -> Any:
    """Divides ``x`` by its root mean square over ``axis``:
    ``x / sqrt(mean(x**2) + epsilon) * scale``.

    Args:
        x: input tensor.
        scale: optional multiplier, broadcast against ``x``.
        axis: an int or a sequence of ints.
        epsilon: added to the mean square (default
            ``kgraph.backend.epsilon()``).

    Example:

    >>> rms_normalization([[3.0, 4.0]], epsilon=0.0).numpy().round(4)
    array([[0.8485, 1.1314]], dtype=float32)
    """
    x = _float(x)
    if x.ndim == 0:
        x = shape_ops.expand_dims(x, 0)
    epsilon = config.epsilon() if epsilon is None else float(epsilon)
    axes = tuple(sorted(normalize_axes("rms_normalization", _axes(axis), x.ndim)))
    square = composite.mean(ew.square(x), axis=axes, keepdims=True)
    result = ew.multiply(x, ew.divide(1.0, ew.sqrt(ew.add(square, epsilon))))
    if scale is not None:
        result = ew.multiply(result, ew.cast(scale, x.dtype))
    return result


# ------------------------------------------------------------ crossentropies


def _same_shapes(name: str, target: Any, output: Any) -> None:
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(
            f"{name}: arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={target.shape}, output.shape={output.shape}"
        )


@recorded
def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """Elementwise binary crossentropy, as Keras's ``ops.binary_crossentropy``.

    Probabilities are clipped to ``[epsilon, 1 - epsilon]``; logits go
    through ``log_sigmoid``.

    Raises:
        ValueError: when ``target`` and ``output`` differ in shape.

    Example:

    >>> binary_crossentropy([1.0], [0.5]).numpy().round(4)
    array([0.6931], dtype=float32)
    """
    target, output = _float(target), _float(output)
    _same_shapes("binary_crossentropy", target, output)
    target = ew.cast(target, output.dtype)
    if from_logits:
        positive = ew.multiply(target, log_sigmoid(output))
        negative = ew.multiply(
            ew.subtract(1.0, target), log_sigmoid(ew.negative(output))
        )
        return ew.negative(ew.add(positive, negative))
    eps = config.epsilon()
    output = composite.clip(output, eps, 1.0 - eps)
    positive = ew.multiply(target, ew.log(output))
    negative = ew.multiply(ew.subtract(1.0, target), ew.log(ew.subtract(1.0, output)))
    return ew.negative(ew.add(positive, negative))


def _log_probabilities(output: Any, from_logits: bool, axis: int) -> Any:
    if from_logits:
        return nn_primitives.log_softmax(output, axis=axis)
    output = ew.divide(output, reduce.sum(output, axis=axis, keepdims=True))
    eps = config.epsilon()
    return ew.log(composite.clip(output, eps, 1.0 - eps))


@recorded
def categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> Any:
    """Crossentropy between one-hot (or soft) targets and predictions along
    ``axis``; probabilities are rescaled to sum to 1 and clipped.

    Raises:
        ValueError: when ``target`` and ``output`` differ in shape or are
            scalars.

    Example:

    >>> categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).numpy().round(4)
    array([0.6931], dtype=float32)
    """
    target, output = _float(target), _float(output)
    _same_shapes("categorical_crossentropy", target, output)
    if output.ndim < 1:
        raise ValueError(
            "categorical_crossentropy: `target` and `output` must be at least "
            f"rank 1. Received: output.shape={output.shape}"
        )
    log_prob = _log_probabilities(output, from_logits, axis)
    product = ew.multiply(ew.cast(target, output.dtype), log_prob)
    return ew.negative(reduce.sum(product, axis=axis))


@recorded
def sparse_categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> Any:
    """Crossentropy between integer class targets and predictions along
    ``axis`` (a trailing target axis of size 1 is dropped).

    Raises:
        ValueError: when ``target``'s shape is not ``output``'s without its
            last axis.

    Example:

    >>> sparse_categorical_crossentropy([1], [[0.5, 0.5]]).numpy().round(4)
    array([0.6931], dtype=float32)
    """
    target, output = shape_ops.as_tensor(target), _float(output)
    if target.ndim == output.ndim and target.ndim and target.shape[-1] == 1:
        target = shape_ops.squeeze(target, -1)
    if output.ndim < 1 or tuple(target.shape) != tuple(output.shape[:-1]):
        raise ValueError(
            "sparse_categorical_crossentropy: `target` must have `output`'s "
            f"shape up until its last dimension. Received: target.shape="
            f"{target.shape}, output.shape={output.shape}"
        )
    log_prob = _log_probabilities(output, from_logits, axis)
    classes = output.shape[axis]
    hot = composite.one_hot(ew.cast(target, "int32"), classes, axis=axis)
    product = ew.multiply(ew.cast(hot, output.dtype), log_prob)
    return ew.negative(reduce.sum(product, axis=axis))


# ------------------------------------------------------------ encodings


@recorded
def multi_hot(
    inputs: Any,
    num_classes: Any = None,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    **kwargs: Any,
) -> Any:
    """Encodes integer class lists as multi-hot vectors: each row of
    ``inputs`` becomes one vector with 1 at every class it holds.

    Args:
        inputs: integer class indices, ``(batch, n)`` or ``(n,)``.
        num_classes: the number of classes (Keras's old ``num_tokens``
            keyword is accepted too).
        axis: where the class axis goes.
        dtype: the result's dtype (default float32).
        sparse: kgraph has no sparse tensors, so only ``False``.

    Raises:
        ValueError: without ``num_classes``, or with ``sparse=True``.

    Example:

    >>> multi_hot([[0, 2], [1, 1]], 3).numpy()
    array([[1., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    _dense_only("multi_hot", sparse)
    inputs = shape_ops.as_tensor(inputs)
    hot = composite.one_hot(
        ew.cast(inputs, "int32"), int(num_classes), axis=axis, dtype="float32"
    )
    result = reduce.max(hot, axis=1 if inputs.ndim > 1 else 0)
    return ew.cast(result, dtypes.canonical(dtype or "float32"))


def _dense_only(name: str, sparse: bool) -> None:
    if sparse:
        raise ValueError(
            f"{name}: kgraph has no sparse tensors; pass sparse=False. "
            f"Received: sparse={sparse}"
        )


@recorded
def in_top_k(targets: Any, predictions: Any, k: int) -> Any:
    """Whether each target class is among the ``k`` highest predictions of
    its row (ties count in; a NaN prediction for the target never does).

    Args:
        targets: integer classes, shape ``(batch,)``.
        predictions: scores, shape ``(batch, classes)``.
        k: how many top classes count.

    Returns:
        A boolean tensor of shape ``(batch,)``.

    Example:

    >>> in_top_k([0, 1], [[0.9, 0.1, 0.0], [0.5, 0.2, 0.3]], k=2).numpy()
    array([ True, False])
    """
    predictions = _float(predictions)
    targets = ew.cast(shape_ops.as_tensor(targets), "int32")
    classes = predictions.shape[-1]
    hot = composite.one_hot(targets, classes, dtype="bool")
    at_label = reduce.sum(ew.where(hot, predictions, 0.0), axis=-1, keepdims=True)
    at_label = ew.where(ew.not_equal(at_label, at_label), -np.inf, at_label)
    above = reduce.sum(ew.cast(ew.greater(predictions, at_label), "int32"), axis=-1)
    return ew.less_equal(ew.add(above, 1), int(k))


@recorded
def psnr(x1: Any, x2: Any, max_val: Any) -> Any:
    """Peak signal-to-noise ratio in decibels:
    ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))`` over all elements.

    Raises:
        ValueError: when ``x1`` and ``x2`` differ in shape.

    Example:

    >>> round(float(psnr([0.0, 1.0], [0.0, 0.9], 1.0).numpy()), 3)
    23.01
    """
    x1, x2 = _float(x1), _float(x2)
    if tuple(x1.shape) != tuple(x2.shape):
        raise ValueError(
            f"psnr: input shapes must match. Received: {x1.shape} and {x2.shape}"
        )
    error = composite.mean(ew.square(ew.subtract(x1, ew.cast(x2, x1.dtype))))
    ln10 = math.log(10.0)
    peak = ew.multiply(
        ew.log(ew.cast(shape_ops.as_tensor(max_val), x1.dtype)), 20.0 / ln10
    )
    return ew.subtract(peak, ew.multiply(ew.log(error), 10.0 / ln10))


@recorded
def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> Any:
    """Frames of ``sequence_length`` samples every ``sequence_stride`` along
    the last axis: ``(..., n)`` becomes ``(..., frames, sequence_length)``
    with ``frames = 1 + (n - sequence_length) // sequence_stride``.

    Raises:
        ValueError: when the last axis is unknown or shorter than a frame.

    Example:

    >>> extract_sequences([1.0, 2.0, 3.0, 4.0], 2, 2).numpy()
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    x = shape_ops.as_tensor(x)
    size = x.shape[-1] if x.ndim else None
    if size is None or size < sequence_length or sequence_stride < 1:
        raise ValueError(
            "extract_sequences needs a known last axis at least one frame long "
            f"and a positive stride. Received: x.shape={x.shape}, "
            f"sequence_length={sequence_length}, sequence_stride={sequence_stride}"
        )
    count = 1 + (size - sequence_length) // sequence_stride
    lead = (Ellipsis,)
    frames = [
        shape_ops.get_item(x, (*lead, slice(s, s + sequence_length)))
        for s in range(0, count * sequence_stride, sequence_stride)
    ]
    return shape_ops.stack(frames, axis=-2)


def _pair(value: Any, name: str, argument: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(
            f"{name}: `{argument}` must be an int or a pair of ints. "
            f"Received: {argument}={value!r}"
        )
    return int(pair[0]), int(pair[1])


def _windows(
    name: str, size: tuple, kernel: Any, dilation: Any, padding: Any, stride: Any
) -> tuple:
    """The kernel, dilation, padding and stride pairs and the number of
    windows along each spatial axis of an ``(N, C, H, W)`` image."""
    k, d = _pair(kernel, name, "kernel_size"), _pair(dilation, name, "dilation")
    p, s = _pair(padding, name, "padding"), _pair(stride, name, "stride")
    counts = tuple(
        (size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)
    )
    if min(counts) < 1:
        raise ValueError(
            f"{name}: the kernel does not fit the padded image. Received: "
            f"size={size}, kernel_size={k}, dilation={d}, padding={p}"
        )
    return k, d, p, s, counts


@recorded
def unfold(
    x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Any:
    """Extracts sliding blocks of a channels-first image batch (PyTorch's
    ``Unfold``, as Keras's ``ops.unfold``).

    Args:
        x: ``(N, C, H, W)``.
        kernel_size: an int or a pair.
        dilation: an int or a pair.
        padding: zeros added on both sides of H and W (an int or a pair).
        stride: an int or a pair.

    Returns:
        ``(N, C * kH * kW, L)``: for each channel, the ``kH * kW`` kernel
        positions in row-major order; ``L`` windows in row-major order.

    Example:

    >>> unfold(np.arange(4.0).reshape(1, 1, 2, 2), 1).numpy()
    array([[[0., 1., 2., 3.]]])
    """
    x = shape_ops.as_tensor(x)
    if x.ndim != 4 or None in x.shape[1:]:
        raise ValueError(
            "unfold expects a (N, C, H, W) tensor with C, H and W known. "
            f"Received: x.shape={x.shape}"
        )
    (kh, kw), (dh, dw), (ph, pw), (sh, sw), (nh, nw) = _windows(
        "unfold", x.shape[2:], kernel_size, dilation, padding, stride
    )
    if ph or pw:
        x = shape_ops.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    blocks = []
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (nh - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (nw - 1) + 1, sw)
            blocks.append(shape_ops.get_item(x, (slice(None), slice(None), rows, cols)))
    stacked = shape_ops.stack(blocks, axis=2)  # (N, C, kh * kw, nh, nw)
    batch = -1 if x.shape[0] is None else x.shape[0]
    return shape_ops.reshape(stacked, (batch, x.shape[1] * kh * kw, nh * nw))


@recorded
def fold(
    x: Any,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Any:
    """Sums sliding blocks back into a channels-first image batch, the
    adjoint of ``unfold`` (PyTorch's ``Fold``, as Keras's ``ops.fold``):
    overlapping positions add up.

    Args:
        x: ``(N, C * kH * kW, L)``, as ``unfold`` returns.
        output_size: the image's ``(H, W)`` (an int or a pair).
        kernel_size: an int or a pair.
        dilation: an int or a pair.
        padding: an int or a pair.
        stride: an int or a pair.

    Returns:
        ``(N, C, H, W)``.

    Example:

    >>> fold(np.ones((1, 4, 1)), (2, 2), 2).numpy()
    array([[[[1., 1.],
             [1., 1.]]]])
    """
    x = shape_ops.as_tensor(x)
    height, width = _pair(output_size, "fold", "output_size")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw), (nh, nw) = _windows(
        "fold", (height, width), kernel_size, dilation, padding, stride
    )
    if (
        x.ndim != 3
        or x.shape[1] is None
        or x.shape[1] % (kh * kw)
        or (x.shape[2] != nh * nw)
    ):
        raise ValueError(
            f"fold expects (N, C * {kh * kw}, {nh * nw}) blocks for this kernel and "
            f"output size. Received: x.shape={x.shape}"
        )
    channels = x.shape[1] // (kh * kw)
    batch = -1 if x.shape[0] is None else x.shape[0]
    blocks = shape_ops.reshape(x, (batch, channels, kh * kw, nh, nw))
    full_h, full_w = height + 2 * ph, width + 2 * pw
    total = None
    for i in range(kh):
        for j in range(kw):
            block = shape_ops.get_item(blocks, (slice(None), slice(None), i * kw + j))
            top, left = i * dh, j * dw
            placed = shape_ops.pad_general(
                block,
                (0, 0, top, left),
                (
                    0,
                    0,
                    full_h - top - sh * (nh - 1) - 1,
                    full_w - left - sw * (nw - 1) - 1,
                ),
                (0, 0, sh - 1, sw - 1),
            )
            total = placed if total is None else ew.add(total, placed)
    return shape_ops.get_item(
        total, (slice(None), slice(None), slice(ph, ph + height), slice(pw, pw + width))
    )


# ------------------------------------------------------------ attention


def _attention_mask_shape(t: Any, heads: int) -> Any:
    """Keras's rule for a bias or mask of rank < 4: a rank-3 tensor whose
    axis 1 is the number of heads gains the query axis, else a head axis."""
    while t.ndim < 4:
        if t.ndim == 3 and t.shape[1] == heads:
            t = shape_ops.expand_dims(t, 2)
        else:
            t = shape_ops.expand_dims(t, 1)
    return t


@recorded
def dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    bias: Any = None,
    mask: Any = None,
    scale: Any = None,
    is_causal: bool = False,
    flash_attention: Any = None,
    attn_logits_soft_cap: Any = None,
) -> Any:
    """Scaled dot-product attention, as Keras's ``ops.dot_product_attention``:
    ``softmax(query @ key^T * scale + bias, masked) @ value`` per head.

    Args:
        query: ``(batch, target, heads, depth)``.
        key: ``(batch, source, kv_heads, depth)``; ``heads`` must be a
            multiple of ``kv_heads`` (grouped-query attention).
        value: ``(batch, source, kv_heads, value_depth)``.
        bias: optional, broadcastable to ``(batch, heads, target, source)``.
        mask: optional booleans of the same shape rule: ``False`` hides a
            key (its logit becomes ``-0.7 * float32 max``).
        scale: the logits' scale (default ``1 / sqrt(depth)``).
        is_causal: hide keys after each query position.
        flash_attention: ``None`` or ``False`` (no flash kernels on CPU).
        attn_logits_soft_cap: must be ``None`` (Keras applies it only in
            its TPU flash kernels).

    Returns:
        ``(batch, target, heads, value_depth)``.

    Raises:
        ValueError: for inputs that are not 4-D, heads that do not group,
            ``flash_attention=True`` or a soft cap.

    Example:

    >>> q = np.ones((1, 2, 1, 4), "float32")
    >>> dot_product_attention(q, q, q).shape
    (1, 2, 1, 4)
    """
    if flash_attention or attn_logits_soft_cap is not None:
        raise ValueError(
            "dot_product_attention: kgraph runs on the CPU without flash "
            "attention kernels; pass flash_attention=None and "
            "attn_logits_soft_cap=None. Received: "
            f"flash_attention={flash_attention}, "
            f"attn_logits_soft_cap={attn_logits_soft_cap}"
        )
    query, key, value = ew.promote(_float(query), _float(key), _float(value))
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            "dot_product_attention only supports 4D inputs. Received: "
            f"query.shape={query.shape}, key.shape={key.shape}, "
            f"value.shape={value.shape}"
        )
    heads, kv_heads, depth = query.shape[2], key.shape[2], key.shape[3]
    if heads % kv_heads:
        raise ValueError(
            "dot_product_attention: the query's heads must be a multiple of the "
            f"key's. Received: query.shape={query.shape}, key.shape={key.shape}"
        )
    group = heads // kv_heads
    if group > 1:
        key = _repeat_heads(key, group)
        value = _repeat_heads(value, group)
    scale = 1.0 / math.sqrt(depth) if scale is None else float(scale)
    q = linalg_ops.transpose(query, (0, 2, 1, 3))
    k = linalg_ops.transpose(key, (0, 2, 1, 3))
    v = linalg_ops.transpose(value, (0, 2, 1, 3))
    logits = ew.multiply(linalg_ops.matmul_t(q, k, False, True), scale)
    if bias is not None:
        bias = _attention_mask_shape(ew.cast(shape_ops.as_tensor(bias), q.dtype), heads)
        logits = ew.add(logits, bias)
    logits = _apply_masks(logits, mask, is_causal, heads)
    probs = composite.softmax(logits, axis=-1)
    return linalg_ops.transpose(linalg_ops.matmul(probs, v), (0, 2, 1, 3))


def _repeat_heads(t: Any, group: int) -> Any:
    """``(b, s, k, h)`` with every head repeated ``group`` times in place."""
    expanded = shape_ops.expand_dims(t, 3)
    tiled = shape_ops.concatenate([expanded] * group, axis=3)
    dims = [-1 if d is None else d for d in t.shape]
    return shape_ops.reshape(tiled, (dims[0], dims[1], dims[2] * group, dims[3]))


def _apply_masks(logits: Any, mask: Any, is_causal: bool, heads: int) -> Any:
    keep = None
    if mask is not None:
        keep = _attention_mask_shape(ew.cast(shape_ops.as_tensor(mask), "bool"), heads)
    if is_causal:
        targets, sources = logits.shape[2], logits.shape[3]
        if targets is None or sources is None:
            raise ValueError(
                "dot_product_attention(is_causal=True) needs static sequence "
                f"lengths. Received: logits of shape {logits.shape}"
            )
        causal = np.tril(np.ones((targets, sources), dtype=bool))[None, None]
        keep = causal if keep is None else ew.logical_and(keep, causal)
    if keep is None:
        return logits
    low = -0.7 * float(np.finfo(dtypes.to_numpy(logits.dtype)).max)
    return ew.where(keep, logits, low)


__all__ = [
    "batch_normalization",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "dot_product_attention",
    "extract_sequences",
    "fold",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "in_top_k",
    "layer_normalization",
    "log_sigmoid",
    "moments",
    "multi_hot",
    "normalize",
    "psnr",
    "relu6",
    "rms_normalization",
    "selu",
    "silu",
    "soft_shrink",
    "softsign",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
    "unfold",
]

"""Linear algebra: batched ``matmul`` and ``transpose``."""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ir.types import broadcast_shapes
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.builder import apply

_NUMERIC = ("int32", "int64", "float32", "float64")


def _matmul_infer(types: Any, attrs: Any) -> TensorType:
    a, b = types
    if a.rank < 2 or b.rank < 2:
        raise errors.ShapeError(
            f"matmul: both operands need rank >= 2 (use kgraph.ops.matmul for "
            f"vectors). Received: {a} and {b}"
        )
    if a.dtype != b.dtype or a.dtype not in _NUMERIC:
        raise errors.DTypeError(
            f"matmul: operands must share a numeric dtype. Received: {a} and {b}"
        )
    inner_a, inner_b = a.shape[-1], b.shape[-2]
    if inner_a is not None and inner_b is not None and inner_a != inner_b:
        raise errors.ShapeError(
            f"matmul: cannot multiply {a} by {b}: inner dimensions {inner_a} "
            f"and {inner_b} differ. Received: shapes {a.shape} and {b.shape}"
        )
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], op="matmul")
    return TensorType((*batch, a.shape[-2], b.shape[-1]), a.dtype)


def _swap_last(x: Any) -> Any:
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return transpose(x, tuple(axes))


def _matmul_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    a, b = inputs
    return [matmul(cotangent, _swap_last(b)), matmul(_swap_last(a), cotangent)]


def _matmul_example(draw: Any) -> registry.Example:
    m, k, n = draw.integer(1, 5), draw.integer(1, 5), draw.integer(1, 5)
    batch_a, batch_b = draw.broadcastable(2, max_rank=2)
    return registry.Example(
        [((*batch_a, m, k), "float", "real"), ((*batch_b, k, n), "float", "real")]
    )


def _lower_matmul(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    # i-k-j order: the innermost loop walks rows of b and out contiguously.
    a, b = inputs
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = output.shape[:-2]
    a_steps = lowering.broadcast_steps(a.shape[:-2], batch)
    b_steps = lowering.broadcast_steps(b.shape[:-2], batch)
    out_steps = lowering.strides(batch)
    builder = em.builder
    is_float = lowering.is_float(output.dtype)
    add, mul = (builder.fadd, builder.fmul) if is_float else (builder.add, builder.mul)
    with em.loops(batch, "b") as outer:
        a_base = builder.mul(em.flat_index(outer, a_steps), em.index(m * k))
        b_base = builder.mul(em.flat_index(outer, b_steps), em.index(k * n))
        out_base = builder.mul(em.flat_index(outer, out_steps), em.index(m * n))
        with em.loop(m, "i") as i:
            row = builder.add(out_base, builder.mul(i, em.index(n)))
            with em.loop(n, "z") as j:
                em.store(output, builder.add(row, j), em.const(0, output.dtype))
            with em.loop(k, "k") as kk:
                a_index = builder.add(
                    a_base, builder.add(builder.mul(i, em.index(k)), kk)
                )
                scale = em.load(a, a_index)
                b_row = builder.add(b_base, builder.mul(kk, em.index(n)))
                with em.loop(n, "j") as j:
                    here = builder.add(row, j)
                    product = mul(scale, em.load(b, builder.add(b_row, j)))
                    em.store(output, here, add(em.load(output, here), product))


registry.register(
    registry.OpDef(
        name="matmul",
        kind=registry.MATMUL,
        arity=2,
        infer=_matmul_infer,
        reference=lambda arrays, attrs: np.matmul(arrays[0], arrays[1]),
        grad=_matmul_grad,
        example=_matmul_example,
        doc="Matrix product over the last two axes, batch axes broadcast.",
        lower=_lower_matmul,
    )
)


def _transpose_infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    axes = attrs["axes"]
    if sorted(axes) != list(range(x.rank)):
        raise errors.ShapeError(
            f"transpose: axes must be a permutation of 0..{x.rank - 1}. "
            f"Received: axes={axes} for {x}"
        )
    return x.with_shape(tuple(x.shape[a] for a in axes))


def _transpose_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    inverse = tuple(int(i) for i in np.argsort(attrs["axes"]))
    return [transpose(cotangent, inverse)]


def _transpose_example(draw: Any) -> registry.Example:
    shape = draw.shape()
    return registry.Example(
        [(shape, "float", "real")], {"axes": draw.permutation(len(shape))}
    )


def _lower_transpose(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    (x,) = inputs
    source = lowering.strides(x.shape)
    steps = [source[axis] for axis in attrs["axes"]]
    out_steps = lowering.strides(output.shape)
    with em.loops(output.shape) as indices:
        value = em.load(x, em.flat_index(indices, steps))
        em.store(output, em.flat_index(indices, out_steps), value)


registry.register(
    registry.OpDef(
        name="transpose",
        kind=registry.SHAPE,
        arity=1,
        infer=_transpose_infer,
        reference=lambda arrays, attrs: np.transpose(arrays[0], attrs["axes"]),
        grad=_transpose_grad,
        example=_transpose_example,
        doc="Permutes the axes.",
        lower=_lower_transpose,
        attrs={"axes": registry.Attr(registry.as_int_tuple)},
    )
)


def matmul(x1: Any, x2: Any) -> Any:
    """Matrix product with NumPy's rules (1-D operands are vectors).

    Args:
        x1: a tensor of rank >= 1.
        x2: a tensor of rank >= 1.

    Returns:
        The product; batch axes broadcast.

    Example:

    >>> matmul([[1.0, 2.0]], [[3.0], [4.0]]).numpy()
    array([[11.]], dtype=float32)
    """
    from kgraph import ops

    x1, x2 = ops.promote(x1, x2)
    x1, x2 = ops.as_tensor(x1), ops.as_tensor(x2)
    left_vector, right_vector = x1.ndim == 1, x2.ndim == 1
    if x1.ndim == 0 or x2.ndim == 0:
        raise errors.ShapeError(
            f"matmul: operands must have rank >= 1. Received: shapes "
            f"{x1.shape} and {x2.shape}"
        )
    if left_vector:
        x1 = ops.expand_dims(x1, 0)
    if right_vector:
        x2 = ops.expand_dims(x2, -1)
    result = apply("matmul", [x1, x2])
    if left_vector:
        result = ops.squeeze(result, -2)
    if right_vector:
        result = ops.squeeze(result, -1)
    return result


def transpose(x: Any, axes: Any = None) -> Any:
    """Permutes the axes of ``x`` (reverses them when ``axes`` is ``None``).

    Example:

    >>> transpose([[1, 2, 3], [4, 5, 6]]).shape
    (3, 2)
    """
    from kgraph import ops

    x = ops.as_tensor(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    return apply("transpose", [x], {"axes": axes})

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


def _operand_dims(shape: Any, transposed: bool) -> tuple[Any, Any]:
    """(rows, columns) of an operand as the product sees it."""
    return (shape[-1], shape[-2]) if transposed else (shape[-2], shape[-1])


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
    rows, inner_a = _operand_dims(a.shape, attrs["transpose_a"])
    inner_b, columns = _operand_dims(b.shape, attrs["transpose_b"])
    if inner_a is not None and inner_b is not None and inner_a != inner_b:
        raise errors.ShapeError(
            f"matmul: cannot multiply {a} by {b}: inner dimensions {inner_a} "
            f"and {inner_b} differ. Received: shapes {a.shape} and {b.shape}"
        )
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], op="matmul")
    return TensorType((*batch, rows, columns), a.dtype)


def _matmul_reference(arrays: Any, attrs: Any) -> np.ndarray:
    a, b = arrays
    if attrs["transpose_a"]:
        a = np.swapaxes(a, -1, -2)
    if attrs["transpose_b"]:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


def _matmul_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    # With op(X) = X or X^T by the flags, C = op(A) op(B) gives
    # dop(A) = G op(B)^T and dop(B) = op(A)^T G; a transposed operand takes
    # the transpose of that. The flags keep every transpose out of memory.
    a, b = inputs
    ta, tb = attrs["transpose_a"], attrs["transpose_b"]
    g = cotangent
    grad_a = matmul_t(b, g, tb, True) if ta else matmul_t(g, b, False, not tb)
    grad_b = matmul_t(g, a, True, ta) if tb else matmul_t(a, g, not ta, False)
    return [grad_a, grad_b]


def _matmul_example(draw: Any) -> registry.Example:
    m, k, n = draw.integer(1, 5), draw.integer(1, 5), draw.integer(1, 5)
    ta, tb = draw.boolean(), draw.boolean()
    batch_a, batch_b = draw.broadcastable(2, max_rank=2)
    a = (*batch_a, k, m) if ta else (*batch_a, m, k)
    b = (*batch_b, n, k) if tb else (*batch_b, k, n)
    return registry.Example(
        [(a, "float", "real"), (b, "float", "real")],
        {"transpose_a": ta, "transpose_b": tb},
    )


def _lower_matmul(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    # The plain triple loop (i-k-j: the innermost loop walks rows of b and of
    # the output contiguously when b is not transposed).
    a, b = inputs
    m, n = output.shape[-2], output.shape[-1]
    k = a.shape[-2] if attrs["transpose_a"] else a.shape[-1]
    # Element steps of a[i, kk] and b[kk, j] inside one matrix.
    a_i, a_k = (1, m) if attrs["transpose_a"] else (k, 1)
    b_k, b_j = (1, k) if attrs["transpose_b"] else (n, 1)
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
                a_index = builder.add(a_base, em.flat_index([i, kk], [a_i, a_k]))
                scale = em.load(a, a_index)
                with em.loop(n, "j") as j:
                    here = builder.add(row, j)
                    b_index = builder.add(b_base, em.flat_index([kk, j], [b_k, b_j]))
                    product = mul(scale, em.load(b, b_index))
                    em.store(output, here, add(em.load(output, here), product))


registry.register(
    registry.OpDef(
        name="matmul",
        kind=registry.MATMUL,
        arity=2,
        infer=_matmul_infer,
        reference=_matmul_reference,
        grad=_matmul_grad,
        example=_matmul_example,
        doc="Matrix product over the last two axes (optionally of transposed "
        "operands), batch axes broadcast.",
        lower=_lower_matmul,
        attrs={
            "transpose_a": registry.Attr(registry.as_bool, False),
            "transpose_b": registry.Attr(registry.as_bool, False),
        },
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


def matmul_t(a: Any, b: Any, transpose_a: bool, transpose_b: bool) -> Any:
    """``op(a) @ op(b)`` where ``op`` transposes the last two axes when its
    flag is set; the transposes are never materialized."""
    attrs = {"transpose_a": transpose_a, "transpose_b": transpose_b}
    return apply("matmul", [a, b], attrs)


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

"""Neural-network primitives kept whole for numerical stability: ``log_softmax``."""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.builder import apply


def _log_softmax_infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    if not dtypes.is_float(x.dtype) or x.rank == 0:
        raise errors.DTypeError(
            f"log_softmax: expected a float tensor of rank >= 1. Received: {x}"
        )
    registry.normalize_axis("log_softmax", attrs["axis"], x.rank)
    return x


def _log_softmax_reference(arrays: Any, attrs: Any) -> np.ndarray:
    x = arrays[0]
    axis = attrs["axis"]
    if not x.size:
        return x.copy()  # nothing to normalize (an empty axis has no maximum)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    with np.errstate(all="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _log_softmax_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    from kgraph import ops

    total = ops.sum(cotangent, axis=attrs["axis"], keepdims=True)
    return [ops.subtract(cotangent, ops.multiply(ops.exp(output), total))]


def _log_softmax_example(draw: Any) -> registry.Example:
    shape = draw.shape(min_rank=1)
    return registry.Example(
        [(shape, "float", "real")],
        {"axis": draw.integer(-len(shape), len(shape) - 1)},
    )


def _lower_log_softmax(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    (x,) = inputs
    shape = x.shape
    axis = attrs["axis"] % len(shape)
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    size, dtype, builder = shape[axis], x.dtype, em.builder
    with em.loops([outer, inner], "o") as (o, i):
        base = em.flat_index([o, i], [size * inner, 1])

        def at(k: Any) -> Any:
            return builder.add(base, builder.mul(k, em.index(inner)))

        peak = em.variable(dtype, em.const(float("-inf"), dtype))
        with em.loop(size, "m") as k:
            value = em.intrinsic(
                "maximum",
                [em.read(peak, value_type(em, dtype)), em.load(x, at(k))],
                dtype,
            )
            builder.store(value, peak)
        top = em.read(peak, value_type(em, dtype))
        total = em.variable(dtype, em.const(0.0, dtype))
        with em.loop(size, "s") as k:
            term = em.intrinsic("exp", [builder.fsub(em.load(x, at(k)), top)], dtype)
            builder.store(builder.fadd(em.read(total, top.type), term), total)
        # (x - max) - log(total), as the reference: x - (max + log(total))
        # would lose the log beside a large maximum (3.4e38 + log 2 is
        # 3.4e38).
        log_total = em.intrinsic("log", [em.read(total, top.type)], dtype)
        with em.loop(size, "w") as k:
            shifted = builder.fsub(em.load(x, at(k)), top)
            em.store(output, at(k), builder.fsub(shifted, log_total))


def value_type(em: Any, dtype: str) -> Any:
    """The register type of a dtype."""
    return lowering.register_type(dtype)


registry.register(
    registry.OpDef(
        name="log_softmax",
        kind=registry.REDUCE,
        arity=1,
        infer=_log_softmax_infer,
        reference=_log_softmax_reference,
        grad=_log_softmax_grad,
        example=_log_softmax_example,
        doc="x - logsumexp(x) along an axis, computed stably.",
        lower=_lower_log_softmax,
        attrs={"axis": registry.Attr(registry.as_int, -1)},
    )
)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """Returns ``log(softmax(x))`` along ``axis``, computed stably."""
    from kgraph import ops

    x = ops.as_tensor(x)
    if not dtypes.is_float(x.dtype):
        x = ops.cast(x, "float32")
    return apply("log_softmax", [x], {"axis": axis})

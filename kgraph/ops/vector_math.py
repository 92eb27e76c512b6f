"""``exp`` and ``tanh`` in float32 as straight-line arithmetic, so the loops
around them vectorize (a C math library call runs one lane at a time).

``exp``: with ``n = round(x / ln 2)`` and ``r = x - n ln 2`` (``ln 2`` split
in two parts so the product is exact), ``exp(x) = 2**n * exp(r)`` where
``|r| <= ln(2) / 2``; ``exp(r)`` is its Taylor polynomial to ``r**7``
(truncation below 1e-8 relative), and ``2**n`` is built from the exponent
bits in two halves so that results below the normal range come out as
subnormals. Beyond ``ln(FLT_MAX)`` the result is ``inf``; NaN stays NaN.

``tanh``: for ``|x| < 0.25`` the odd Taylor polynomial to ``x**11``
(truncation below 1e-9 relative); above, ``1 - 2 / (exp(2|x|) + 1)`` with
the sign of ``x`` (the cancellation near 0.25 costs under 2 bits).

Both agree with NumPy within the float32 tolerance of ``dtypes.TOLERANCES``
(special values included: signed zeros, infinities, NaN); float64 keeps the
C library.
"""

from __future__ import annotations

import math

from llvmlite import ir

from kgraph.ops.lowering import F32
from kgraph.ops.lowering import I32
from kgraph.ops.lowering import Emitter
from kgraph.ops.lowering import lanes

# ln 2 = _LN2_HIGH + _LN2_LOW; _LN2_HIGH has few enough bits that n * it is
# exact for the n that occur.
_LN2_HIGH = 0.693359375
_LN2_LOW = math.log(2.0) - 0.693359375
# The largest float32 whose exp is finite, and a point below which exp is 0.
_EXP_HIGH = 88.72283935546875
_EXP_LOW = -104.0
_TANH_SMALL = 0.25
# tanh(x) / x - 1 = z * (c1 + z * (c2 + ...)) with z = x * x.
_TANH_SERIES = (
    -1.0 / 3.0,
    2.0 / 15.0,
    -17.0 / 315.0,
    62.0 / 2835.0,
    -1382.0 / 155925.0,
)


def _const(em: Emitter, value: float, like: ir.Value) -> ir.Value:
    return em.const(value, "float32", like)


def _int_type(like: ir.Value) -> ir.Type:
    count = lanes(like)
    return I32 if count is None else ir.VectorType(I32, count)


def _power_of_two(em: Emitter, n: ir.Value) -> ir.Value:
    """``2.0 ** n`` for integer ``n`` in ``[-126, 127]``, from the bits."""
    builder = em.builder
    kind = n.type
    biased = builder.add(n, _int_const(kind, 127))
    bits = builder.shl(biased, _int_const(kind, 23))
    float_kind = (
        F32 if not isinstance(kind, ir.VectorType) else ir.VectorType(F32, kind.count)
    )
    return builder.bitcast(bits, float_kind)


def _int_const(kind: ir.Type, value: int) -> ir.Constant:
    if isinstance(kind, ir.VectorType):
        return ir.Constant(kind, [ir.Constant(I32, value)] * kind.count)
    return ir.Constant(kind, value)


def _polynomial(em: Emitter, x: ir.Value, coefficients: list[float]) -> ir.Value:
    """``c0 + x * (c1 + x * (...))``, highest degree last."""
    builder = em.builder
    result = _const(em, coefficients[-1], x)
    for coefficient in reversed(coefficients[:-1]):
        result = builder.fadd(builder.fmul(result, x), _const(em, coefficient, x))
    return result


def exp(em: Emitter, x: ir.Value) -> ir.Value:
    """``exp(x)`` of a float32 scalar or vector."""
    builder = em.builder
    clamped = em.intrinsic("maxnum", [x, _const(em, _EXP_LOW, x)], "float32")
    clamped = em.intrinsic("minnum", [clamped, _const(em, 89.0, x)], "float32")
    scaled = builder.fmul(clamped, _const(em, 1.0 / math.log(2.0), x))
    n_float = em.intrinsic(
        "floor", [builder.fadd(scaled, _const(em, 0.5, x))], "float32"
    )
    r = builder.fsub(clamped, builder.fmul(n_float, _const(em, _LN2_HIGH, x)))
    r = builder.fsub(r, builder.fmul(n_float, _const(em, _LN2_LOW, x)))
    taylor = [1.0 / math.factorial(k) for k in range(8)]
    p = _polynomial(em, r, taylor)
    n = builder.fptosi(n_float, _int_type(x))
    half = builder.ashr(n, _int_const(n.type, 1))
    rest = builder.sub(n, half)
    value = builder.fmul(
        builder.fmul(p, _power_of_two(em, half)), _power_of_two(em, rest)
    )
    overflow = builder.fcmp_ordered(">", x, _const(em, _EXP_HIGH, x))
    value = builder.select(overflow, _const(em, math.inf, x), value)
    is_nan = builder.fcmp_unordered("uno", x, x)
    return builder.select(is_nan, x, value)


def tanh(em: Emitter, x: ir.Value) -> ir.Value:
    """``tanh(x)`` of a float32 scalar or vector."""
    builder = em.builder
    magnitude = em.intrinsic("fabs", [x], "float32")
    z = builder.fmul(x, x)
    series = _polynomial(em, z, [0.0, *_TANH_SERIES])
    small = builder.fadd(x, builder.fmul(x, series))
    grown = exp(em, builder.fmul(magnitude, _const(em, 2.0, x)))
    denominator = builder.fadd(grown, _const(em, 1.0, x))
    large = builder.fsub(
        _const(em, 1.0, x), builder.fdiv(_const(em, 2.0, x), denominator)
    )
    large = em.intrinsic("copysign", [large, x], "float32")
    is_small = builder.fcmp_ordered("<", magnitude, _const(em, _TANH_SMALL, x))
    return builder.select(is_small, small, large)


__all__ = ["exp", "tanh"]

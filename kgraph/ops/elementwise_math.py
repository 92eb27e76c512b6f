"""More elementwise primitives, NumPy's math beyond ``elementwise.py``:
trigonometric and hyperbolic functions and their inverses, ``erf``,
``expm1``, rounding, ``floor_divide``, ``mod``, ``fmod`` and the bitwise
operations on integers.

Float functions lower to LLVM intrinsics or the C math library (NumPy's
special values: NaN and infinities pass through as in C); integer division
and shifts follow NumPy exactly, including division by zero (0) and shifts
by a negative or too large count.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import elementwise as ew
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.builder import apply
from kgraph.ops.history import recorded

_INTS = ("int32", "int64")
_BITS = ("bool", "int32", "int64")
_NUMERIC = ("int32", "int64", "float32", "float64")
_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)

# -- NumPy references numpy lacks ----------------------------------------------

_ERF = np.vectorize(math.erf, otypes=[np.float64])
_ERFC = np.vectorize(math.erfc, otypes=[np.float64])


def _via_float64(fn: Any) -> Any:
    """A reference computed in float64 and rounded to the input's dtype."""
    return lambda x: fn(np.asarray(x, dtype=np.float64)).astype(x.dtype)


# -- lowerings -----------------------------------------------------------------


def _libm(name: str) -> Any:
    return lambda em, values, in_dtypes, out_dtype, attrs: em.libm(
        name, values, out_dtype
    )


def _intrinsic(name: str) -> Any:
    return lambda em, values, in_dtypes, out_dtype, attrs: em.intrinsic(
        name, values, out_dtype
    )


def _is_zero(em: Any, value: Any, dtype: str) -> Any:
    return em.builder.icmp_signed("==", value, em.const(0, dtype, value))


def _float_divmod(em: Any, x: Any, y: Any, dtype: str) -> tuple[Any, Any]:
    """NumPy's ``divmod`` of floats (``npy_divmod``): the floored quotient
    and the remainder with the divisor's sign."""
    builder = em.builder
    zero = em.const(0, dtype, x)
    mod = builder.frem(x, y)
    div = builder.fdiv(builder.fsub(x, mod), y)
    nonzero = builder.fcmp_unordered("!=", mod, zero)
    flips = builder.xor(
        builder.fcmp_ordered("<", y, zero), builder.fcmp_ordered("<", mod, zero)
    )
    adjust = builder.and_(nonzero, flips)
    mod = builder.select(adjust, builder.fadd(mod, y), mod)
    div = builder.select(adjust, builder.fsub(div, em.const(1, dtype, x)), div)
    signed_zero = em.intrinsic("copysign", [zero, y], dtype)
    mod = builder.select(nonzero, mod, signed_zero)
    floor = em.intrinsic("floor", [div], dtype)
    half = em.const(0.5, dtype, x)
    up = builder.fcmp_ordered(">", builder.fsub(div, floor), half)
    floor = builder.select(up, builder.fadd(floor, em.const(1, dtype, x)), floor)
    exact = builder.fcmp_unordered("!=", div, zero)
    quotient = builder.select(
        exact, floor, em.intrinsic("copysign", [zero, builder.fdiv(x, y)], dtype)
    )
    is_zero = builder.fcmp_ordered("==", y, zero)
    quotient = builder.select(is_zero, builder.fdiv(x, y), quotient)
    return quotient, mod


def _int_divmod(em: Any, x: Any, y: Any, dtype: str) -> tuple[Any, Any]:
    """NumPy's floored ``divmod`` of integers; dividing by zero gives 0 and 0."""
    builder = em.builder
    zero, one = em.const(0, dtype, x), em.const(1, dtype, x)
    by_zero = _is_zero(em, y, dtype)
    safe = builder.select(by_zero, one, y)
    quotient = builder.sdiv(x, safe)
    remainder = builder.srem(x, safe)
    flips = builder.xor(
        builder.icmp_signed("<", remainder, zero), builder.icmp_signed("<", safe, zero)
    )
    adjust = builder.and_(builder.icmp_signed("!=", remainder, zero), flips)
    quotient = builder.select(adjust, builder.sub(quotient, one), quotient)
    remainder = builder.select(adjust, builder.add(remainder, safe), remainder)
    return (
        builder.select(by_zero, zero, quotient),
        builder.select(by_zero, zero, remainder),
    )


def _lower_floor_divide(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    divmod_ = _float_divmod if lowering.is_float(out_dtype) else _int_divmod
    return divmod_(em, *values, out_dtype)[0]


def _lower_mod(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    divmod_ = _float_divmod if lowering.is_float(out_dtype) else _int_divmod
    return divmod_(em, *values, out_dtype)[1]


def _lower_fmod(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    x, y = values
    if lowering.is_float(out_dtype):
        return em.builder.frem(x, y)
    by_zero = _is_zero(em, y, out_dtype)
    safe = em.builder.select(by_zero, em.const(1, out_dtype, y), y)
    remainder = em.builder.srem(x, safe)
    return em.builder.select(by_zero, em.const(0, out_dtype, x), remainder)


def _lower_bitwise(method: str) -> Any:
    return lambda em, values, in_dtypes, out_dtype, attrs: getattr(em.builder, method)(
        *values
    )


def _lower_shift(left: bool) -> Any:
    """NumPy's shifts: a count outside ``[0, bits)`` gives 0 (or -1 when
    shifting a negative number right)."""

    def lower(
        em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
    ) -> Any:
        x, count = values
        builder = em.builder
        bits = em.const(lowering.register_type(out_dtype).width, out_dtype, x)
        inside = builder.icmp_unsigned("<", count, bits)
        safe = builder.select(inside, count, em.const(0, out_dtype, x))
        zero = em.const(0, out_dtype, x)
        if left:
            return builder.select(inside, builder.shl(x, safe), zero)
        negative = builder.icmp_signed("<", x, zero)
        outside = builder.select(negative, em.const(-1, out_dtype, x), zero)
        return builder.select(inside, builder.ashr(x, safe), outside)

    return lower


def _lower_invert(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    return em.builder.not_(values[0])


def _lower_signbit(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    (x,) = values
    dtype = in_dtypes[0]
    if not lowering.is_float(dtype):
        return em.builder.icmp_signed("<", x, em.const(0, dtype, x))
    width = lowering.itemsize(dtype) * 8
    count = lowering.lanes(x)
    kind = ir.IntType(width)
    if count is not None:
        kind = ir.VectorType(kind, count)
    bits = em.builder.bitcast(x, kind)
    zero = ir.Constant(kind, 0 if count is None else [0] * count)
    return em.builder.icmp_signed("<", bits, zero)


# -- unary float primitives ----------------------------------------------------


def _zero_grad(x: Any, y: Any, g: Any) -> Any:
    return ew.multiply(g, 0.0)


def _rsqrt_of(value: Any) -> Any:
    return ew.divide(1.0, ew.sqrt(value))


_UNARY = (
    (
        "tan",
        np.tan,
        lambda x, y, g: ew.multiply(g, ew.add(ew.square(y), 1.0)),
        "Tangent.",
        "unit",
        _libm("tan"),
    ),
    (
        "arcsin",
        np.arcsin,
        lambda x, y, g: ew.multiply(g, _rsqrt_of(ew.subtract(1.0, ew.square(x)))),
        "Inverse sine.",
        "unit",
        _libm("asin"),
    ),
    (
        "arccos",
        np.arccos,
        lambda x, y, g: ew.negative(
            ew.multiply(g, _rsqrt_of(ew.subtract(1.0, ew.square(x))))
        ),
        "Inverse cosine.",
        "unit",
        _libm("acos"),
    ),
    (
        "arctan",
        np.arctan,
        lambda x, y, g: ew.divide(g, ew.add(ew.square(x), 1.0)),
        "Inverse tangent.",
        "real",
        _libm("atan"),
    ),
    (
        "sinh",
        np.sinh,
        lambda x, y, g: ew.multiply(g, cosh(x)),
        "Hyperbolic sine.",
        "real",
        _libm("sinh"),
    ),
    (
        "cosh",
        np.cosh,
        lambda x, y, g: ew.multiply(g, sinh(x)),
        "Hyperbolic cosine.",
        "real",
        _libm("cosh"),
    ),
    (
        "arcsinh",
        np.arcsinh,
        lambda x, y, g: ew.multiply(g, _rsqrt_of(ew.add(ew.square(x), 1.0))),
        "Inverse hyperbolic sine.",
        "real",
        _libm("asinh"),
    ),
    (
        "arccosh",
        np.arccosh,
        lambda x, y, g: ew.multiply(g, _rsqrt_of(ew.subtract(ew.square(x), 1.0))),
        "Inverse hyperbolic cosine.",
        "above_one",
        _libm("acosh"),
    ),
    (
        "arctanh",
        np.arctanh,
        lambda x, y, g: ew.divide(g, ew.subtract(1.0, ew.square(x))),
        "Inverse hyperbolic tangent.",
        "unit",
        _libm("atanh"),
    ),
    (
        "erf",
        _via_float64(_ERF),
        lambda x, y, g: ew.multiply(
            g, ew.multiply(ew.exp(ew.negative(ew.square(x))), _TWO_OVER_ROOT_PI)
        ),
        "The error function.",
        "real",
        _libm("erf"),
    ),
    (
        "erfc",
        _via_float64(_ERFC),
        lambda x, y, g: ew.multiply(
            g, ew.multiply(ew.exp(ew.negative(ew.square(x))), -_TWO_OVER_ROOT_PI)
        ),
        "The complementary error function 1 - erf(x).",
        "real",
        _libm("erfc"),
    ),
    (
        "expm1",
        np.expm1,
        lambda x, y, g: ew.multiply(g, ew.add(y, 1.0)),
        "exp(x) - 1, accurate for small x.",
        "small",
        _libm("expm1"),
    ),
    (
        "cbrt",
        np.cbrt,
        lambda x, y, g: ew.divide(g, ew.multiply(ew.square(y), 3.0)),
        "Cube root.",
        "nonzero",
        _libm("cbrt"),
    ),
    (
        "exp2",
        np.exp2,
        lambda x, y, g: ew.multiply(g, ew.multiply(y, math.log(2.0))),
        "Elementwise 2**x.",
        "small",
        _intrinsic("exp2"),
    ),
    (
        "log2",
        np.log2,
        lambda x, y, g: ew.divide(g, ew.multiply(x, math.log(2.0))),
        "Base-2 logarithm.",
        "positive",
        _intrinsic("log2"),
    ),
    (
        "log10",
        np.log10,
        lambda x, y, g: ew.divide(g, ew.multiply(x, math.log(10.0))),
        "Base-10 logarithm.",
        "positive",
        _intrinsic("log10"),
    ),
    (
        "ceil",
        np.ceil,
        _zero_grad,
        "Smallest integer not below x (zero gradient).",
        "nonzero",
        _intrinsic("ceil"),
    ),
    (
        "trunc",
        np.trunc,
        _zero_grad,
        "Rounds toward zero (zero gradient).",
        "nonzero",
        _intrinsic("trunc"),
    ),
    (
        "round",
        np.round,
        _zero_grad,
        "Rounds to the nearest integer, halves to even (zero gradient).",
        "nonzero",
        _intrinsic("roundeven"),
    ),
)

for _name, _fn, _derivative, _doc, _domain, _lower in _UNARY:
    ew._unary(_name, _fn, _derivative, _doc, domain=_domain, lower=_lower)


# -- binary primitives ---------------------------------------------------------


def _atan2_grad(y: Any, x: Any, out: Any, g: Any) -> list:
    scale = ew.divide(g, ew.add(ew.square(x), ew.square(y)))
    return [ew.multiply(scale, x), ew.negative(ew.multiply(scale, y))]


ew._binary(
    "arctan2",
    np.arctan2,
    _atan2_grad,
    "Elementwise arctan(x1 / x2) in the quadrant of (x2, x1).",
    allowed=dtypes.FLOAT_DTYPES,
    domains=("nonzero", "nonzero"),
    lower=_libm("atan2"),
)
ew._binary(
    "hypot",
    np.hypot,
    lambda x, y, out, g: [
        ew.multiply(g, ew.divide(x, out)),
        ew.multiply(g, ew.divide(y, out)),
    ],
    "Elementwise sqrt(x1**2 + x2**2) without overflow.",
    allowed=dtypes.FLOAT_DTYPES,
    domains=("nonzero", "nonzero"),
    lower=_libm("hypot"),
)
ew._binary(
    "nextafter",
    np.nextafter,
    None,
    "The next float after x1 towards x2.",
    allowed=dtypes.FLOAT_DTYPES,
    lower=_libm("nextafter"),
)
ew._binary(
    "fmod",
    np.fmod,
    lambda x, y, out, g: [g, ew.negative(ew.multiply(g, trunc(ew.divide(x, y))))],
    "Remainder of division toward zero (C's fmod: the sign of x1).",
    allowed=_NUMERIC,
    domains=("real", "nonzero"),
    lower=_lower_fmod,
)
ew._binary(
    "mod",
    np.remainder,
    lambda x, y, out, g: [
        g,
        ew.negative(ew.multiply(g, ew.floor(ew.divide(x, y)))),
    ],
    "Remainder of floored division (the sign of x2), as NumPy's mod.",
    allowed=_NUMERIC,
    domains=("real", "nonzero"),
    lower=_lower_mod,
)
ew._binary(
    "floor_divide",
    np.floor_divide,
    None,
    "Floored division, as NumPy's // (integers: 0 when dividing by 0).",
    allowed=_NUMERIC,
    domains=("real", "nonzero"),
    lower=_lower_floor_divide,
)

for _name, _fn, _method, _doc in (
    ("bitwise_and", np.bitwise_and, "and_", "Bitwise and of integers."),
    ("bitwise_or", np.bitwise_or, "or_", "Bitwise or of integers."),
    ("bitwise_xor", np.bitwise_xor, "xor", "Bitwise exclusive or of integers."),
):
    ew._binary(
        _name,
        _fn,
        None,
        _doc,
        allowed=_BITS,
        domains=("index:64", "index:64"),
        example_dtype="int32",
        lower=_lower_bitwise(_method),
    )


def _shift_reference(left: bool) -> Any:
    def reference(x: np.ndarray, count: np.ndarray) -> np.ndarray:
        bits = x.dtype.itemsize * 8
        x, count = np.broadcast_arrays(x, count)
        inside = (count >= 0) & (count < bits)
        safe = np.where(inside, count, 0)
        if left:
            return np.where(inside, np.left_shift(x, safe), 0).astype(x.dtype)
        outside = np.where(x < 0, -1, 0)
        return np.where(inside, np.right_shift(x, safe), outside).astype(x.dtype)

    return reference


ew._binary(
    "left_shift",
    _shift_reference(True),
    None,
    "Shifts the bits of x1 left by x2 (0 beyond the width).",
    allowed=_INTS,
    domains=("index:64", "index:40"),
    example_dtype="int32",
    lower=_lower_shift(True),
)
ew._binary(
    "right_shift",
    _shift_reference(False),
    None,
    "Shifts the bits of x1 right by x2, keeping the sign.",
    allowed=_INTS,
    domains=("index:64", "index:40"),
    example_dtype="int32",
    lower=_lower_shift(False),
)


def _bits_infer(name: str, allowed: tuple[str, ...], out: str | None) -> Any:
    def infer(types: Any, attrs: Any) -> TensorType:
        (x,) = types
        if x.dtype not in allowed:
            raise errors.DTypeError(
                f"{name}: expected a tensor of dtype {' or '.join(allowed)}. "
                f"Received: {x}"
            )
        return TensorType(x.shape, out or x.dtype)

    return infer


def _int_example(draw: Any) -> registry.Example:
    return registry.Example([(draw.shape(), "int32", "index:64")])


registry.register(
    registry.OpDef(
        name="bitwise_invert",
        kind=registry.ELEMENTWISE,
        arity=1,
        infer=_bits_infer("bitwise_invert", _BITS, None),
        reference=lambda arrays, attrs: np.invert(arrays[0]),
        grad=None,
        example=_int_example,
        doc="Flips every bit of an integer (not of a bool).",
        differentiable=False,
        lower=_lower_invert,
    )
)
registry.register(
    registry.OpDef(
        name="signbit",
        kind=registry.ELEMENTWISE,
        arity=1,
        infer=_bits_infer("signbit", _NUMERIC, "bool"),
        reference=lambda arrays, attrs: np.signbit(arrays[0]),
        grad=None,
        example=lambda draw: registry.Example([(draw.shape(), "float", "real")]),
        doc="Whether the sign bit is set (true for -0.0 and negative NaN).",
        differentiable=False,
        lower=_lower_signbit,
    )
)


# -- public functions ----------------------------------------------------------


def _unary_float(op: str, x: Any) -> Any:
    return ew._apply_unary(op, x)


def tan(x: Any) -> Any:
    """Returns the tangent elementwise, as ``keras.ops.tan``."""
    return _unary_float("tan", x)


def arcsin(x: Any) -> Any:
    """Returns the inverse sine elementwise (NaN outside ``[-1, 1]``)."""
    return _unary_float("arcsin", x)


def arccos(x: Any) -> Any:
    """Returns the inverse cosine elementwise (NaN outside ``[-1, 1]``)."""
    return _unary_float("arccos", x)


def arctan(x: Any) -> Any:
    """Returns the inverse tangent elementwise."""
    return _unary_float("arctan", x)


def sinh(x: Any) -> Any:
    """Returns the hyperbolic sine elementwise."""
    return _unary_float("sinh", x)


def cosh(x: Any) -> Any:
    """Returns the hyperbolic cosine elementwise."""
    return _unary_float("cosh", x)


def arcsinh(x: Any) -> Any:
    """Returns the inverse hyperbolic sine elementwise."""
    return _unary_float("arcsinh", x)


def arccosh(x: Any) -> Any:
    """Returns the inverse hyperbolic cosine elementwise (NaN below 1)."""
    return _unary_float("arccosh", x)


def arctanh(x: Any) -> Any:
    """Returns the inverse hyperbolic tangent elementwise."""
    return _unary_float("arctanh", x)


def erf(x: Any) -> Any:
    """Returns the error function ``2/sqrt(pi) * integral_0^x exp(-t**2) dt``.

    Example:

    >>> erf([0.0]).numpy()
    array([0.], dtype=float32)
    """
    return _unary_float("erf", x)


def erfc(x: Any) -> Any:
    """Returns ``1 - erf(x)`` elementwise, accurate where ``erf`` is near 1."""
    return _unary_float("erfc", x)


def expm1(x: Any) -> Any:
    """Returns ``exp(x) - 1`` elementwise, accurate for small ``x``."""
    return _unary_float("expm1", x)


def cbrt(x: Any) -> Any:
    """Returns the cube root elementwise (negative for negative ``x``)."""
    return _unary_float("cbrt", x)


def exp2(x: Any) -> Any:
    """Returns ``2 ** x`` elementwise."""
    return _unary_float("exp2", x)


def log2(x: Any) -> Any:
    """Returns the base-2 logarithm elementwise."""
    return _unary_float("log2", x)


def log10(x: Any) -> Any:
    """Returns the base-10 logarithm elementwise."""
    return _unary_float("log10", x)


def _rounding(op: str, x: Any) -> Any:
    """Integers are already whole: they come back unchanged."""
    if dtypes.is_int(ew._dtype_of(x)) or ew._dtype_of(x) == "bool":
        return ew.cast(x, ew._dtype_of(x))
    return apply(op, [x])


def ceil(x: Any) -> Any:
    """Returns the smallest integer not below ``x``, elementwise.

    Example:

    >>> ceil([1.2, -1.5]).numpy()
    array([ 2., -1.], dtype=float32)
    """
    return _unary_float("ceil", x)


@recorded
def trunc(x: Any) -> Any:
    """Returns ``x`` rounded toward zero (integers unchanged)."""
    return _rounding("trunc", x)


@recorded
def round(x: Any, decimals: int = 0) -> Any:
    """Rounds to ``decimals`` decimal places, halves to even (as NumPy).

    Args:
        x: a tensor.
        decimals: the number of decimal places (negative: tens, hundreds...).

    Returns:
        The rounded tensor, of ``x``'s dtype.

    Example:

    >>> round([0.5, 1.5, 2.675], decimals=0).numpy()
    array([0., 2., 3.], dtype=float32)
    """
    dtype = ew._dtype_of(x)
    if dtypes.is_int(dtype) or dtype == "bool":
        if decimals >= 0:
            return ew.cast(x, dtype)
        scale = 10 ** (-decimals)
        rounded = _rounding("round", ew.divide(x, float(scale)))
        return ew.cast(ew.multiply(rounded, float(scale)), dtype)
    if decimals == 0:
        return apply("round", [x])
    scale = 10.0**decimals
    return ew.divide(apply("round", [ew.multiply(x, scale)]), scale)


def arctan2(x1: Any, x2: Any) -> Any:
    """Returns the angle of the point ``(x2, x1)``, in ``[-pi, pi]``.

    Example:

    >>> arctan2([1.0], [0.0]).numpy()
    array([1.5707964], dtype=float32)
    """
    return ew._apply_binary("arctan2", x1, x2, floating=True)


def hypot(x1: Any, x2: Any) -> Any:
    """Returns ``sqrt(x1**2 + x2**2)`` elementwise, without overflow."""
    return ew._apply_binary("hypot", x1, x2, floating=True)


def nextafter(x1: Any, x2: Any) -> Any:
    """Returns the next representable float after ``x1`` towards ``x2``."""
    return ew._apply_binary("nextafter", x1, x2, floating=True)


@recorded
def fmod(x1: Any, x2: Any) -> Any:
    """Returns the remainder of division toward zero (the sign of ``x1``)."""
    return ew._apply_binary("fmod", *_numeric(x1, x2))


@recorded
def mod(x1: Any, x2: Any) -> Any:
    """Returns the remainder of floored division (the sign of ``x2``).

    Example:

    >>> mod([5, -5], 3).numpy()
    array([2, 1], dtype=int32)
    """
    return ew._apply_binary("mod", *_numeric(x1, x2))


@recorded
def floor_divide(x1: Any, x2: Any) -> Any:
    """Returns ``x1 // x2`` elementwise (floored; integers give 0 for a 0
    divisor, as NumPy).

    Example:

    >>> floor_divide([7, -7], 2).numpy()
    array([ 3, -4], dtype=int32)
    """
    return ew._apply_binary("floor_divide", *_numeric(x1, x2))


def _numeric(x1: Any, x2: Any) -> list[Any]:
    """Bools are counted as int32 (NumPy's bool arithmetic)."""
    return [
        ew.cast(v, "int32") if ew._dtype_of(v) == "bool" and not ew._is_weak(v) else v
        for v in (x1, x2)
    ]


def _bits(op: str, x: Any, y: Any) -> Any:
    x, y = ew.promote(x, y)
    dtype = ew._dtype_of(x)
    if dtype not in _BITS:
        raise errors.DTypeError(
            f"{op}: expected integer or boolean tensors. Received: dtype={dtype}"
        )
    return apply(op, [x, y])


def bitwise_and(x: Any, y: Any) -> Any:
    """Returns the bitwise and of integers (logical and of bools)."""
    return _bits("bitwise_and", x, y)


def bitwise_or(x: Any, y: Any) -> Any:
    """Returns the bitwise or of integers (logical or of bools)."""
    return _bits("bitwise_or", x, y)


def bitwise_xor(x: Any, y: Any) -> Any:
    """Returns the bitwise exclusive or of integers (or bools).

    Example:

    >>> bitwise_xor([12], [10]).numpy()
    array([6], dtype=int32)
    """
    return _bits("bitwise_xor", x, y)


@recorded
def bitwise_invert(x: Any) -> Any:
    """Returns ``~x``: every bit flipped (logical not of bools)."""
    if ew._dtype_of(x) == "bool":
        return ew.logical_not(x)
    return apply("bitwise_invert", [x])


@recorded
def bitwise_not(x: Any) -> Any:
    """Alias of ``bitwise_invert``."""
    return bitwise_invert(x)


def _shift(op: str, x: Any, y: Any) -> Any:
    x, y = ew.promote(x, y)
    if ew._dtype_of(x) not in _INTS:
        raise errors.DTypeError(
            f"{op}: expected integer tensors. Received: dtype={ew._dtype_of(x)}"
        )
    return apply(op, [x, y])


def left_shift(x: Any, y: Any) -> Any:
    """Returns ``x << y`` elementwise (0 when shifting by the width or more).

    Example:

    >>> left_shift([1, 3], 2).numpy()
    array([ 4, 12], dtype=int32)
    """
    return _shift("left_shift", x, y)


def right_shift(x: Any, y: Any) -> Any:
    """Returns ``x >> y`` elementwise, an arithmetic shift keeping the sign."""
    return _shift("right_shift", x, y)


def bitwise_left_shift(x: Any, y: Any) -> Any:
    """Alias of ``left_shift``."""
    return left_shift(x, y)


def bitwise_right_shift(x: Any, y: Any) -> Any:
    """Alias of ``right_shift``."""
    return right_shift(x, y)


@recorded
def signbit(x: Any) -> Any:
    """Returns whether the sign bit is set, elementwise (true for ``-0.0``).

    Example:

    >>> signbit([-1.0, 0.0, -0.0]).numpy()
    array([ True, False,  True])
    """
    x = ew._cast_to(x, ew._dtype_of(x)) if ew._is_weak(x) else x
    if ew._dtype_of(x) == "bool":
        x = ew.cast(x, "int32")
    return apply("signbit", [x])

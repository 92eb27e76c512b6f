"""NumPy's elementwise math composed from primitives: predicates on floats
(``isnan``, ``isfinite``...), ``logaddexp``, ``sinc``, ``heaviside``,
``nan_to_num``, ``isclose``, ``gcd``, ``erfinv`` and the complex-number
functions on real tensors (kgraph has no complex dtype: ``real`` is the
tensor itself, ``imag`` zeros, ``angle`` 0 or pi).

They have no rules of their own: gradients, fusion and native code come
from the primitives they are made of.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ops import composite
from kgraph.ops import elementwise as ew
from kgraph.ops import elementwise_math as em
from kgraph.ops import shaping as shape_ops
from kgraph.ops.history import recorded


def _float(x: Any) -> Any:
    x = shape_ops.as_tensor(x)
    return x if dtypes.is_float(x.dtype) else ew.cast(x, "float32")


def _dtype(x: Any) -> str:
    return ew._dtype_of(x)


@recorded
def absolute(x: Any) -> Any:
    """Returns ``|x|`` elementwise (alias of ``abs``).

    Example:

    >>> absolute([-1, 2]).numpy()
    array([1, 2], dtype=int32)
    """
    return ew.abs(x)


@recorded
def fabs(x: Any) -> Any:
    """Returns ``|x|`` elementwise as floats."""
    return ew.abs(_float(x))


@recorded
def reciprocal(x: Any) -> Any:
    """Returns ``1 / x`` elementwise (as floats)."""
    return ew.divide(1.0, _float(x))


@recorded
def rsqrt(x: Any) -> Any:
    """Returns ``1 / sqrt(x)`` elementwise.

    Example:

    >>> rsqrt([4.0]).numpy()
    array([0.5], dtype=float32)
    """
    return ew.divide(1.0, ew.sqrt(_float(x)))


@recorded
def deg2rad(x: Any) -> Any:
    """Converts degrees to radians."""
    return ew.multiply(_float(x), math.pi / 180.0)


@recorded
def rad2deg(x: Any) -> Any:
    """Converts radians to degrees."""
    return ew.multiply(_float(x), 180.0 / math.pi)


@recorded
def sinc(x: Any) -> Any:
    """Returns ``sin(pi x) / (pi x)``, 1 at 0 (the normalized sinc).

    Example:

    >>> sinc([0.0, 0.5]).numpy()
    array([1.        , 0.63661975], dtype=float32)
    """
    x = _float(x)
    zero = ew.equal(x, 0.0)
    safe = ew.where(zero, 1.0, ew.multiply(x, math.pi))
    return ew.where(zero, 1.0, ew.divide(ew.sin(safe), safe))


@recorded
def heaviside(x1: Any, x2: Any) -> Any:
    """Returns 0 where ``x1 < 0``, ``x2`` where ``x1 == 0`` and 1 where
    ``x1 > 0`` (NaN stays NaN)."""
    x1, x2 = ew.promote(x1, x2)
    x1, x2 = _float(x1), _float(x2)
    step = ew.where(ew.greater(x1, 0.0), 1.0, ew.where(ew.equal(x1, 0.0), x2, 0.0))
    return ew.where(isnan(x1), x1, step)


@recorded
def logaddexp(x1: Any, x2: Any) -> Any:
    """Returns ``log(exp(x1) + exp(x2))`` without overflow.

    Example:

    >>> logaddexp([0.0], [0.0]).numpy()
    array([0.6931472], dtype=float32)
    """
    x1, x2 = ew.promote(x1, x2, floating=True)
    peak = ew.maximum(x1, x2)
    gap = ew.negative(ew.abs(ew.subtract(x1, x2)))
    result = ew.add(peak, ew.log1p(ew.exp(gap)))
    # Equal infinities: their difference is NaN, the answer is the infinity.
    return ew.where(ew.equal(x1, x2), ew.add(x1, math.log(2.0)), result)


@recorded
def logaddexp2(x1: Any, x2: Any) -> Any:
    """Returns ``log2(2**x1 + 2**x2)`` without overflow."""
    x1, x2 = ew.promote(x1, x2, floating=True)
    peak = ew.maximum(x1, x2)
    gap = ew.negative(ew.abs(ew.subtract(x1, x2)))
    result = ew.add(peak, ew.divide(ew.log1p(em.exp2(gap)), math.log(2.0)))
    return ew.where(ew.equal(x1, x2), ew.add(x1, 1.0), result)


@recorded
def ldexp(x1: Any, x2: Any) -> Any:
    """Returns ``x1 * 2**x2`` (``x2`` integers)."""
    x1 = _float(x1)
    x2 = shape_ops.as_tensor(x2)
    if not dtypes.is_int(x2.dtype):
        raise errors.DTypeError(
            f"ldexp: the exponents must be integers. Received: dtype={x2.dtype}"
        )
    return ew.multiply(x1, em.exp2(ew.cast(x2, x1.dtype)))


@recorded
def isnan(x: Any) -> Any:
    """Returns whether each element is NaN.

    Example:

    >>> isnan([1.0, float("nan")]).numpy()
    array([False,  True])
    """
    x = shape_ops.as_tensor(x)
    if not dtypes.is_float(x.dtype):
        return ew.not_equal(composite.zeros_like(x, "int32"), 0)
    return ew.not_equal(x, x)


@recorded
def isinf(x: Any) -> Any:
    """Returns whether each element is infinite (either sign)."""
    x = shape_ops.as_tensor(x)
    if not dtypes.is_float(x.dtype):
        return isnan(x)
    return ew.equal(ew.abs(x), math.inf)


@recorded
def isposinf(x: Any) -> Any:
    """Returns whether each element is ``+inf``."""
    x = shape_ops.as_tensor(x)
    if not dtypes.is_float(x.dtype):
        return isnan(x)
    return ew.equal(x, math.inf)


@recorded
def isneginf(x: Any) -> Any:
    """Returns whether each element is ``-inf``."""
    x = shape_ops.as_tensor(x)
    if not dtypes.is_float(x.dtype):
        return isnan(x)
    return ew.equal(x, -math.inf)


@recorded
def isfinite(x: Any) -> Any:
    """Returns whether each element is neither infinite nor NaN.

    Example:

    >>> isfinite([1.0, float("inf")]).numpy()
    array([ True, False])
    """
    x = shape_ops.as_tensor(x)
    if not dtypes.is_float(x.dtype):
        return ew.logical_not(isnan(x))
    return ew.less(ew.abs(x), math.inf)


@recorded
def isreal(x: Any) -> Any:
    """Returns whether each element has a zero imaginary part: always true,
    kgraph's tensors being real."""
    return ew.logical_not(isnan(composite.zeros_like(x, "float32")))


@recorded
def real(x: Any) -> Any:
    """Returns the real part: ``x`` itself (kgraph has no complex dtype)."""
    return shape_ops.as_tensor(x)


@recorded
def imag(x: Any) -> Any:
    """Returns the imaginary part: zeros (kgraph has no complex dtype)."""
    return composite.zeros_like(x)


@recorded
def conjugate(x: Any) -> Any:
    """Returns the complex conjugate: ``x`` itself for real tensors."""
    return shape_ops.as_tensor(x)


@recorded
def conj(x: Any) -> Any:
    """Alias of ``conjugate``."""
    return conjugate(x)


@recorded
def angle(x: Any) -> Any:
    """Returns the argument of each element: 0 for ``x >= 0``, pi below."""
    x = _float(x)
    return em.arctan2(composite.zeros_like(x), x)


@recorded
def logical_xor(x1: Any, x2: Any) -> Any:
    """Returns the elementwise exclusive or of the truth values.

    Example:

    >>> logical_xor([True, True], [True, False]).numpy()
    array([False,  True])
    """
    return ew.not_equal(ew._as_bool(x1), ew._as_bool(x2))


@recorded
def divide_no_nan(x1: Any, x2: Any) -> Any:
    """Returns ``x1 / x2``, and 0 where ``x2`` is 0.

    Example:

    >>> divide_no_nan([1.0, 1.0], [2.0, 0.0]).numpy()
    array([0.5, 0. ], dtype=float32)
    """
    x1, x2 = ew.promote(x1, x2, floating=True)
    zero = ew.equal(x2, 0.0)
    return ew.where(zero, 0.0, ew.divide(x1, ew.where(zero, 1.0, x2)))


@recorded
def fmax(x1: Any, x2: Any) -> Any:
    """Returns the elementwise maximum, ignoring a NaN (NaN if both are)."""
    x1, x2 = ew.promote(x1, x2)
    if not dtypes.is_float(_dtype(x1)):
        return ew.maximum(x1, x2)
    return ew.where(isnan(x1), x2, ew.where(isnan(x2), x1, ew.maximum(x1, x2)))


@recorded
def fmin(x1: Any, x2: Any) -> Any:
    """Returns the elementwise minimum, ignoring a NaN (NaN if both are)."""
    x1, x2 = ew.promote(x1, x2)
    if not dtypes.is_float(_dtype(x1)):
        return ew.minimum(x1, x2)
    return ew.where(isnan(x1), x2, ew.where(isnan(x2), x1, ew.minimum(x1, x2)))


@recorded
def nan_to_num(
    x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Any:
    """Replaces NaN by ``nan`` and infinities by ``posinf``/``neginf``
    (default: the dtype's largest and smallest finite values).

    Example:

    >>> nan_to_num([float("nan"), 1.0]).numpy()
    array([0., 1.], dtype=float32)
    """
    x = shape_ops.as_tensor(x)
    if not dtypes.is_float(x.dtype):
        return x
    info = np.finfo(x.dtype)
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf
    x = ew.where(isnan(x), nan, x)
    x = ew.where(ew.equal(x, math.inf), high, x)
    return ew.where(ew.equal(x, -math.inf), low, x)


@recorded
def isclose(
    x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Any:
    """Returns whether ``|x1 - x2| <= atol + rtol * |x2|`` elementwise
    (equal infinities are close; NaNs only with ``equal_nan``).

    Example:

    >>> isclose([1.0, 1.0], [1.0 + 1e-9, 1.1]).numpy()
    array([ True, False])
    """
    x1, x2 = ew.promote(x1, x2)
    x1, x2 = _float(x1), _float(x2)
    gap = ew.abs(ew.subtract(x1, x2))
    close = ew.less_equal(gap, ew.add(ew.multiply(ew.abs(x2), rtol), atol))
    close = ew.logical_or(ew.logical_and(close, isfinite(x2)), ew.equal(x1, x2))
    if equal_nan:
        close = ew.logical_or(close, ew.logical_and(isnan(x1), isnan(x2)))
    return close


@recorded
def allclose(
    x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Any:
    """Returns whether every element pair is close (see ``isclose``)."""
    return composite.all(isclose(x1, x2, rtol, atol, equal_nan))


@recorded
def saturate_cast(x: Any, dtype: Any) -> Any:
    """Casts to ``dtype``, first clipping to its range (no wrap-around).

    Example:

    >>> saturate_cast([3e10, -1.5], "int32").numpy()
    array([2147483647,         -1], dtype=int32)
    """
    x = shape_ops.as_tensor(x)
    target = dtypes.canonical(dtype)
    if dtypes.is_int(target) and dtypes.is_int(x.dtype):
        info = np.iinfo(target)
        low = np.asarray(max(info.min, np.iinfo(x.dtype).min), x.dtype)
        high = np.asarray(min(info.max, np.iinfo(x.dtype).max), x.dtype)
        return ew.cast(composite.clip(x, low, high), target)
    if dtypes.is_int(target) and dtypes.is_float(x.dtype):
        info = np.iinfo(target)
        kind = dtypes.to_numpy(x.dtype)
        low, high = np.asarray(info.min, kind), np.asarray(info.max, kind)
        if int(high) <= info.max:
            return ew.cast(composite.clip(x, low, high), target)
        # The top of the range rounds up in x's dtype: clip below it, and
        # send what reaches it to the largest integer.
        inside = np.nextafter(high, np.asarray(0, kind))
        result = ew.cast(composite.clip(x, low, inside), target)
        top = np.asarray(info.max, dtypes.to_numpy(target))
        return ew.where(ew.greater_equal(x, high), top, result)
    if dtypes.is_float(target) and dtypes.is_float(x.dtype):
        info = np.finfo(target)
        return ew.cast(composite.clip(x, float(info.min), float(info.max)), target)
    return ew.cast(x, target)


# Euclid's algorithm needs at most this many steps for 64-bit integers
# (consecutive Fibonacci numbers are the worst case).
_EUCLID_STEPS = {"int32": 46, "int64": 92}


@recorded
def gcd(x1: Any, x2: Any) -> Any:
    """Returns the greatest common divisor of integers (non-negative).

    Example:

    >>> gcd([12, 7], [18, 0]).numpy()
    array([6, 7], dtype=int32)
    """
    a, b = _integers("gcd", x1, x2)
    a, b = ew.abs(a), ew.abs(b)
    for _ in range(_EUCLID_STEPS[_dtype(a)]):
        done = ew.equal(b, 0)
        a, b = ew.where(done, a, b), ew.where(done, b, em.mod(a, b))
    return a


@recorded
def lcm(x1: Any, x2: Any) -> Any:
    """Returns the least common multiple of integers (non-negative).

    Example:

    >>> lcm([4, 0], [6, 5]).numpy()
    array([12,  0], dtype=int32)
    """
    a, b = _integers("lcm", x1, x2)
    divisor = gcd(a, b)
    safe = ew.where(ew.equal(divisor, 0), 1, divisor)
    return ew.abs(ew.multiply(em.floor_divide(a, safe), b))


def _integers(op: str, x1: Any, x2: Any) -> list[Any]:
    x1, x2 = ew.promote(x1, x2)
    x1, x2 = shape_ops.as_tensor(x1), shape_ops.as_tensor(x2)
    if x1.dtype == "bool":
        x1, x2 = ew.cast(x1, "int32"), ew.cast(x2, "int32")
    if not dtypes.is_int(x1.dtype):
        raise errors.DTypeError(
            f"{op}: expected integer tensors. Received: dtype={x1.dtype}"
        )
    return [x1, x2]


# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011):
# single-precision polynomials in w = -log(1 - x^2), refined below by Newton.
_GILES_CENTRAL = (
    2.81022636e-08,
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
)
_GILES_TAIL = (
    -0.000200214257,
    0.000100950558,
    0.00134934322,
    -0.00367342844,
    0.00573950773,
    -0.0076224613,
    0.00943887047,
    1.00167406,
    2.83297682,
)


def _horner(coefficients: tuple[float, ...], w: Any) -> Any:
    result = coefficients[0]
    for c in coefficients[1:]:
        result = ew.add(ew.multiply(result, w), c)
    return result


@recorded
def erfinv(x: Any) -> Any:
    """Returns the inverse error function: ``erf(erfinv(x)) == x`` on
    ``(-1, 1)``, +-inf at +-1, NaN outside.

    Example:

    >>> erfinv([0.0, 0.5]).numpy()
    array([0.        , 0.47693628], dtype=float32)
    """
    x = _float(x)
    w = ew.negative(ew.log(ew.multiply(ew.subtract(1.0, x), ew.add(1.0, x))))
    central = _horner(_GILES_CENTRAL, ew.subtract(w, 2.5))
    tail = _horner(_GILES_TAIL, ew.subtract(ew.sqrt(ew.maximum(w, 5.0)), 3.0))
    guess = ew.multiply(ew.where(ew.less(w, 5.0), central, tail), x)
    finite = ew.less(ew.abs(x), 1.0)
    guess = ew.where(finite, guess, 0.0)
    # Two Newton steps on erf(y) = x reach the float64 precision.
    for _ in range(2):
        slope = ew.multiply(
            ew.exp(ew.negative(ew.square(guess))), 2 / math.sqrt(math.pi)
        )
        guess = ew.subtract(guess, ew.divide(ew.subtract(em.erf(guess), x), slope))
    edge = ew.where(
        ew.equal(x, 1.0), math.inf, ew.where(ew.equal(x, -1.0), -math.inf, math.nan)
    )
    return ew.where(finite, guess, edge)


# Chebyshev coefficients of exp(-x) I0(x) on [0, 8] and of
# exp(-x) sqrt(x) I0(x) on (8, inf), from the Cephes library (public domain),
# as NumPy's ``i0`` uses them.
_I0_BELOW_8 = (
    -4.4153416464793395e-18,
    3.3307945188222384e-17,
    -2.431279846547955e-16,
    1.715391285555133e-15,
    -1.1685332877993451e-14,
    7.676185498604936e-14,
    -4.856446783111929e-13,
    2.95505266312964e-12,
    -1.726826291441556e-11,
    9.675809035373237e-11,
    -5.189795601635263e-10,
    2.6598237246823866e-09,
    -1.300025009986248e-08,
    6.046995022541919e-08,
    -2.670793853940612e-07,
    1.1173875391201037e-06,
    -4.4167383584587505e-06,
    1.6448448070728896e-05,
    -5.754195010082104e-05,
    0.00018850288509584165,
    -0.0005763755745385824,
    0.0016394756169413357,
    -0.004324309995050576,
    0.010546460394594998,
    -0.02373741480589947,
    0.04930528423967071,
    -0.09490109704804764,
    0.17162090152220877,
    -0.3046826723431984,
    0.6767952744094761,
)
_I0_ABOVE_8 = (
    -7.233180487874754e-18,
    -4.830504485944182e-18,
    4.46562142029676e-17,
    3.461222867697461e-17,
    -2.8276239805165836e-16,
    -3.425485619677219e-16,
    1.7725601330565263e-15,
    3.8116806693526224e-15,
    -9.554846698828307e-15,
    -4.150569347287222e-14,
    1.54008621752141e-14,
    3.8527783827421426e-13,
    7.180124451383666e-13,
    -1.7941785315068062e-12,
    -1.3215811840447713e-11,
    -3.1499165279632416e-11,
    1.1889147107846439e-11,
    4.94060238822497e-10,
    3.3962320257083865e-09,
    2.266668990498178e-08,
    2.0489185894690638e-07,
    2.8913705208347567e-06,
    6.889758346916825e-05,
    0.0033691164782556943,
    0.8044904110141088,
)


def _chebyshev(coefficients: tuple[float, ...], x: Any) -> Any:
    """Clenshaw's recurrence for a Chebyshev series at ``x``."""
    b0: Any = coefficients[0]
    b1: Any = 0.0
    b2: Any = 0.0
    for c in coefficients[1:]:
        b2 = b1
        b1 = b0
        b0 = ew.add(ew.subtract(ew.multiply(x, b1), b2), c)
    return ew.multiply(ew.subtract(b0, b2), 0.5)


@recorded
def i0(x: Any) -> Any:
    """Returns the modified Bessel function of the first kind of order 0,
    elementwise (NumPy's Chebyshev approximation).

    Example:

    >>> i0([0.0, 1.0]).numpy()
    array([1.       , 1.2660658], dtype=float32)
    """
    x = _float(x)
    kind = x.dtype
    x = ew.abs(ew.cast(x, "float64"))  # the series sums in float64, as NumPy
    small = ew.less_equal(x, 8.0)
    near = _chebyshev(_I0_BELOW_8, ew.subtract(ew.divide(ew.minimum(x, 8.0), 2.0), 2.0))
    far_x = ew.maximum(x, 8.0)
    far = ew.divide(
        _chebyshev(_I0_ABOVE_8, ew.subtract(ew.divide(32.0, far_x), 2.0)),
        ew.sqrt(far_x),
    )
    return ew.cast(ew.multiply(ew.exp(x), ew.where(small, near, far)), kind)

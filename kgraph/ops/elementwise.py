"""Elementwise primitives: unary math, binary arithmetic, comparisons, logic,
``where``, ``cast`` and ``stop_gradient``.

Each op is declared by a helper constructor from its NumPy function and its
derivative; binary ops broadcast, and the autodiff pass sums their
cotangents back to each operand's shape. The public functions promote dtypes
(Python scalars adopt the tensor's dtype, like Keras) before the primitive,
which requires equal dtypes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ir.types import broadcast_shapes
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops import vector_math
from kgraph.ops.builder import apply
from kgraph.ops.builder import find_graph
from kgraph.ops.tensor import SymbolicTensor
from kgraph.ops.tensor import Tensor
from kgraph.ops.tensor import Variable

_FLOAT_ONLY = dtypes.FLOAT_DTYPES
_NUMERIC = ("int32", "int64", "float32", "float64")
_ALL = dtypes.DTYPES


def _check_dtype(op: str, type_: TensorType, allowed: tuple[str, ...]) -> None:
    if type_.dtype not in allowed:
        raise errors.DTypeError(
            f"{op}: expected a tensor of dtype {' or '.join(allowed)}. "
            f"Received: {type_}"
        )


def _unary_example(domain: str) -> Callable[[Any], registry.Example]:
    def example(draw: Any) -> registry.Example:
        dtype = "bool" if domain == "bool" else "float"
        return registry.Example([(draw.shape(), dtype, domain)])

    return example


def _binary_example(domains: tuple[str, str], dtype: str = "float") -> Callable:
    def example(draw: Any) -> registry.Example:
        first, second = draw.broadcastable(2)
        return registry.Example(
            [(first, dtype, domains[0]), (second, dtype, domains[1])]
        )

    return example


def _unary(
    name: str,
    numpy_fn: Callable[[np.ndarray], np.ndarray],
    derivative: Callable[[Any, Any, Any], Any] | None,
    doc: str,
    domain: str = "real",
    allowed: tuple[str, ...] = _FLOAT_ONLY,
    lower: Callable[..., Any] | None = None,
) -> registry.OpDef:
    """Declares a unary elementwise op.

    ``derivative(x, y, g)`` returns the input cotangent from the input ``x``,
    the output ``y`` and the output cotangent ``g``.
    """

    def infer(types: Any, attrs: Any) -> TensorType:
        _check_dtype(name, types[0], allowed)
        return types[0]

    def reference(arrays: Any, attrs: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return numpy_fn(arrays[0])

    grad = None
    if derivative is not None:

        def grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
            return [derivative(inputs[0], output, cotangent)]

    return registry.register(
        registry.OpDef(
            name=name,
            kind=registry.ELEMENTWISE,
            arity=1,
            infer=infer,
            reference=reference,
            grad=grad,
            example=_unary_example(domain),
            doc=doc,
            differentiable=derivative is not None,
            lower=lower,
        )
    )


def _binary(
    name: str,
    numpy_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    derivative: Callable[[Any, Any, Any, Any], list] | None,
    doc: str,
    allowed: tuple[str, ...] = _NUMERIC,
    out_dtype: str | None = None,
    domains: tuple[str, str] = ("real", "real"),
    example_dtype: str = "float",
    lower: Callable[..., Any] | None = None,
) -> registry.OpDef:
    """Declares a broadcasting binary elementwise op.

    ``derivative(x, y, out, g)`` returns both cotangents at the broadcast
    shape; the autodiff pass reduces them to the operands' shapes.
    """

    def infer(types: Any, attrs: Any) -> TensorType:
        left, right = types
        _check_dtype(name, left, allowed)
        if left.dtype != right.dtype:
            raise errors.DTypeError(
                f"{name}: both operands must have the same dtype: {left} and "
                f"{right}. Cast one of them first. Received: {left.dtype} and "
                f"{right.dtype}"
            )
        shape = broadcast_shapes(left.shape, right.shape, op=name)
        return TensorType(shape, out_dtype or left.dtype)

    def reference(arrays: Any, attrs: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return numpy_fn(arrays[0], arrays[1])

    grad = None
    if derivative is not None:

        def grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
            return derivative(inputs[0], inputs[1], output, cotangent)

    return registry.register(
        registry.OpDef(
            name=name,
            kind=registry.ELEMENTWISE,
            arity=2,
            infer=infer,
            reference=reference,
            grad=grad,
            example=_binary_example(domains, example_dtype),
            doc=doc,
            differentiable=derivative is not None,
            lower=lower,
        )
    )


# -- scalar lowerings (LLVM) ------------------------------------------------
# Each takes (emitter, values, in_dtypes, out_dtype, attrs) and returns the
# result in register form; see kgraph/ops/lowering.py.


def _by_kind(float_op: str, int_op: str) -> Callable[..., Any]:
    """Lowers to one IRBuilder method for floats and another for ints."""

    def lower(
        em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
    ) -> Any:
        op = float_op if lowering.is_float(in_dtypes[0]) else int_op
        return getattr(em.builder, op)(*values)

    return lower


def _intrinsic(name: str) -> Callable[..., Any]:
    """Lowers to an LLVM intrinsic such as ``llvm.exp.f32``."""
    return lambda em, values, in_dtypes, out_dtype, attrs: em.intrinsic(
        name, values, out_dtype
    )


def _vectorized(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    """Lowers float32 to straight-line arithmetic that vectorizes
    (``ops.vector_math``), other dtypes through ``fallback``."""

    def lower(
        em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
    ) -> Any:
        if out_dtype == "float32":
            return getattr(vector_math, name)(em, values[0])
        return fallback(em, values, in_dtypes, out_dtype, attrs)

    return lower


def _libm(name: str) -> Callable[..., Any]:
    """Lowers to a C math library call such as ``tanhf``."""
    return lambda em, values, in_dtypes, out_dtype, attrs: em.libm(
        name, values, out_dtype
    )


def _lower_abs(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    if lowering.is_float(out_dtype):
        return em.intrinsic("fabs", values, out_dtype)
    (x,) = values
    negative_x = em.builder.neg(x)
    return em.builder.select(
        em.builder.icmp_signed("<", x, em.const(0, out_dtype, x)), negative_x, x
    )


def _lower_relu(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    (x,) = values
    zero = em.const(0, out_dtype, x)
    # ``x <= 0`` is false for NaN, which passes through.
    return em.builder.select(em.builder.fcmp_ordered("<=", x, zero), zero, x)


def _relu_reference(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0, np.zeros((), x.dtype), x)


def _lower_sign(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    # NumPy: 1 above zero, -1 below, +0.0 for either zero, NaN stays NaN.
    (x,) = values
    builder, zero = em.builder, em.const(0, out_dtype, x)
    if lowering.is_float(out_dtype):
        above = builder.fcmp_ordered(">", x, zero)
        below = builder.fcmp_ordered("<", x, zero)
        nan = builder.fcmp_unordered("uno", x, x)
        rest = builder.select(nan, x, zero)
    else:
        above = builder.icmp_signed(">", x, zero)
        below = builder.icmp_signed("<", x, zero)
        rest = zero
    rest = builder.select(below, em.const(-1, out_dtype, x), rest)
    return builder.select(above, em.const(1, out_dtype, x), rest)


def _lower_extremum(name: str, predicate: str) -> Callable[..., Any]:
    """``maximum``/``minimum`` as NumPy computes them: the first operand
    when it is strictly larger (smaller) or NaN, else the second, so NaN
    propagates and a tie of zeros gives the second zero's sign (x86's
    ``maxps`` order; a compare and select for ints)."""
    strict = predicate.rstrip("=")

    def lower(
        em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
    ) -> Any:
        left, right = values
        builder = em.builder
        if lowering.is_float(out_dtype):
            wins = builder.fcmp_ordered(strict, left, right)
            wins = builder.or_(wins, builder.fcmp_unordered("uno", left, left))
            return builder.select(wins, left, right)
        chosen = builder.icmp_signed(predicate, left, right)
        return builder.select(chosen, left, right)

    return lower


def _lower_compare(predicate: str) -> Callable[..., Any]:
    """Comparisons: ordered for floats (false with NaN) except ``!=``."""

    def lower(
        em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
    ) -> Any:
        if lowering.is_float(in_dtypes[0]):
            if predicate == "!=":
                return em.builder.fcmp_unordered("!=", *values)
            return em.builder.fcmp_ordered(predicate, *values)
        if in_dtypes[0] == "bool":
            return em.builder.icmp_unsigned(predicate, *values)
        return em.builder.icmp_signed(predicate, *values)

    return lower


def _lower_negative(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    if lowering.is_float(out_dtype):
        return em.builder.fneg(values[0])
    return em.builder.neg(values[0])


def _lower_identity(
    em: Any, values: list, in_dtypes: list, out_dtype: str, attrs: Any
) -> Any:
    return values[0]


# -- unary primitives ---------------------------------------------------------

_unary(
    "negative",
    np.negative,
    lambda x, y, g: negative(g),
    "Elementwise -x.",
    allowed=_NUMERIC,
    lower=_lower_negative,
)
_unary(
    "exp",
    np.exp,
    lambda x, y, g: multiply(g, y),
    "Elementwise e**x.",
    domain="small",
    lower=_vectorized("exp", _intrinsic("exp")),
)
_unary(
    "log",
    np.log,
    lambda x, y, g: divide(g, x),
    "Natural logarithm.",
    domain="positive",
    lower=_intrinsic("log"),
)
_unary(
    "log1p",
    np.log1p,
    lambda x, y, g: divide(g, add(x, 1.0)),
    "log(1 + x), accurate for small x.",
    domain="positive",
    lower=_libm("log1p"),
)
_unary(
    "sqrt",
    np.sqrt,
    lambda x, y, g: divide(multiply(g, 0.5), y),
    "Square root.",
    domain="positive",
    lower=_intrinsic("sqrt"),
)
_unary(
    "tanh",
    np.tanh,
    lambda x, y, g: multiply(g, subtract(1.0, square(y))),
    "Hyperbolic tangent.",
    lower=_vectorized("tanh", _libm("tanh")),
)
_unary(
    "relu",
    _relu_reference,
    # From the output: a convolution or product feeding a ReLU then has no
    # other reader, and its epilogue computes the ReLU.
    lambda x, y, g: where(less_equal(y, 0.0), 0.0, g),
    "``max(x, 0)``, NaN passing through; the gradient is 0 where ``x <= 0``.",
    domain="nonzero",
    lower=_lower_relu,
)
_unary(
    "abs",
    np.abs,
    lambda x, y, g: multiply(g, sign(x)),
    "Absolute value.",
    domain="nonzero",
    allowed=_NUMERIC,
    lower=_lower_abs,
)
_unary(
    "sign",
    np.sign,
    lambda x, y, g: multiply(g, 0.0),
    "Sign: -1, 0 or 1 (zero gradient).",
    domain="nonzero",
    allowed=_NUMERIC,
    lower=_lower_sign,
)
_unary(
    "floor",
    np.floor,
    lambda x, y, g: multiply(g, 0.0),
    "Largest integer not above x (zero gradient).",
    domain="nonzero",
    lower=_intrinsic("floor"),
)
_unary(
    "sin", np.sin, lambda x, y, g: multiply(g, cos(x)), "Sine.", lower=_intrinsic("sin")
)
_unary(
    "cos",
    np.cos,
    lambda x, y, g: negative(multiply(g, sin(x))),
    "Cosine.",
    lower=_intrinsic("cos"),
)
_unary(
    "logical_not",
    np.logical_not,
    None,
    "Boolean not.",
    domain="bool",
    allowed=("bool",),
    lower=lambda em, values, in_dtypes, out_dtype, attrs: em.builder.not_(values[0]),
)


def _stop_gradient_infer(types: Any, attrs: Any) -> TensorType:
    return types[0]


registry.register(
    registry.OpDef(
        name="stop_gradient",
        kind=registry.ELEMENTWISE,
        arity=1,
        infer=_stop_gradient_infer,
        reference=lambda arrays, attrs: arrays[0],
        grad=None,
        example=_unary_example("real"),
        doc="Identity whose gradient is zero.",
        differentiable=False,
        lower=_lower_identity,
    )
)

# -- binary primitives --------------------------------------------------------

_binary(
    "add",
    np.add,
    lambda x, y, out, g: [g, g],
    "Elementwise x + y.",
    lower=_by_kind("fadd", "add"),
)
_binary(
    "subtract",
    np.subtract,
    lambda x, y, out, g: [g, negative(g)],
    "Elementwise x - y.",
    lower=_by_kind("fsub", "sub"),
)
_binary(
    "multiply",
    np.multiply,
    lambda x, y, out, g: [multiply(g, y), multiply(g, x)],
    "Elementwise x * y.",
    lower=_by_kind("fmul", "mul"),
)
_binary(
    "divide",
    np.divide,
    lambda x, y, out, g: [divide(g, y), negative(divide(multiply(g, out), y))],
    "Elementwise x / y (true division; floats only).",
    allowed=_FLOAT_ONLY,
    domains=("real", "nonzero"),
    lower=_by_kind("fdiv", "sdiv"),
)
_binary(
    "power",
    np.power,
    lambda x, y, out, g: [
        multiply(g, multiply(y, power(x, subtract(y, 1.0)))),
        multiply(g, multiply(out, log(x))),
    ],
    "Elementwise x ** y (floats only).",
    allowed=_FLOAT_ONLY,
    domains=("positive", "real"),
    lower=_intrinsic("pow"),
)
# NOTE: ties send the whole cotangent to the first operand (x >= y), so
# maximum(x, 0) has gradient 1 at 0; relu is written with `where` instead.
_binary(
    "maximum",
    np.maximum,
    lambda x, y, out, g: [
        where(greater_equal(x, y), g, 0.0),
        where(greater_equal(x, y), 0.0, g),
    ],
    "Elementwise maximum.",
    lower=_lower_extremum("maximum", ">="),
)
_binary(
    "minimum",
    np.minimum,
    lambda x, y, out, g: [
        where(less_equal(x, y), g, 0.0),
        where(less_equal(x, y), 0.0, g),
    ],
    "Elementwise minimum.",
    lower=_lower_extremum("minimum", "<="),
)

for _name, _fn, _doc, _predicate in (
    ("equal", np.equal, "x == y", "=="),
    ("not_equal", np.not_equal, "x != y", "!="),
    ("less", np.less, "x < y", "<"),
    ("less_equal", np.less_equal, "x <= y", "<="),
    ("greater", np.greater, "x > y", ">"),
    ("greater_equal", np.greater_equal, "x >= y", ">="),
):
    _binary(
        _name,
        _fn,
        None,
        f"Elementwise comparison {_doc}, giving bools.",
        allowed=_ALL,
        out_dtype="bool",
        lower=_lower_compare(_predicate),
    )

_binary(
    "logical_and",
    np.logical_and,
    None,
    "Boolean and.",
    allowed=("bool",),
    domains=("bool", "bool"),
    example_dtype="bool",
    lower=_by_kind("and_", "and_"),
)
_binary(
    "logical_or",
    np.logical_or,
    None,
    "Boolean or.",
    allowed=("bool",),
    domains=("bool", "bool"),
    example_dtype="bool",
    lower=_by_kind("or_", "or_"),
)


# -- where and cast -------------------------------------------------------------


def _where_infer(types: Any, attrs: Any) -> TensorType:
    condition, left, right = types
    _check_dtype("where", condition, ("bool",))
    if left.dtype != right.dtype:
        raise errors.DTypeError(
            f"where: both branches must have the same dtype. Received: {left} "
            f"and {right}"
        )
    shape = broadcast_shapes(condition.shape, left.shape, right.shape, op="where")
    return TensorType(shape, left.dtype)


def _where_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    condition = inputs[0]
    return [None, where(condition, cotangent, 0.0), where(condition, 0.0, cotangent)]


def _where_example(draw: Any) -> registry.Example:
    shapes = draw.broadcastable(3)
    return registry.Example(
        [
            (shapes[0], "bool", "bool"),
            (shapes[1], "float", "real"),
            (shapes[2], "float", "real"),
        ]
    )


registry.register(
    registry.OpDef(
        name="where",
        kind=registry.ELEMENTWISE,
        arity=3,
        infer=_where_infer,
        reference=lambda arrays, attrs: np.where(*arrays),
        grad=_where_grad,
        example=_where_example,
        doc="Chooses x where the condition holds, else y.",
        lower=lambda em, values, in_dtypes, out_dtype, attrs: em.builder.select(
            *values
        ),
    )
)


def _cast_infer(types: Any, attrs: Any) -> TensorType:
    return types[0].with_dtype(attrs["dtype"])


def _cast_reference(arrays: Any, attrs: Any) -> np.ndarray:
    with np.errstate(all="ignore"):
        return arrays[0].astype(attrs["dtype"])


def _cast_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    source = inputs[0].dtype
    if not dtypes.is_float(source) or not dtypes.is_float(output.dtype):
        return [None]
    return [cast(cotangent, source)]


def _cast_example(draw: Any) -> registry.Example:
    return registry.Example(
        [(draw.shape(), "float", "real")],
        {"dtype": draw.choice(["float32", "float64"])},
    )


registry.register(
    registry.OpDef(
        name="cast",
        kind=registry.ELEMENTWISE,
        arity=1,
        infer=_cast_infer,
        reference=_cast_reference,
        grad=_cast_grad,
        example=_cast_example,
        doc="Converts to another dtype (floats to ints truncate toward zero).",
        attrs={"dtype": registry.Attr(dtypes.canonical)},
        lower=lambda em, values, in_dtypes, out_dtype, attrs: em.convert(
            values[0], in_dtypes[0], out_dtype
        ),
    )
)


# -- public functions -----------------------------------------------------------


def _is_weak(value: Any) -> bool:
    """Python scalars are 'weakly typed': they adopt the other operand's dtype."""
    return isinstance(value, bool | int | float) and not isinstance(value, np.generic)


def _dtype_of(value: Any) -> str:
    if isinstance(value, SymbolicTensor | Tensor | Variable):
        return value.dtype
    return dtypes.of_value(value)


def promote(*operands: Any, floating: bool = False) -> list[Any]:
    """Casts operands to one dtype, the way Keras's ops do.

    Python scalars adopt the dtype of the tensors beside them (a float scalar
    with an int tensor gives ``float32``); tensors promote by
    ``kgraph.dtypes.result_type``.

    Args:
        *operands: tensors, arrays or Python scalars.
        floating: promote ints and bools to ``float32`` too (true division).

    Returns:
        The operands, cast where needed.
    """
    strong = [_dtype_of(x) for x in operands if not _is_weak(x)]
    weak = [_dtype_of(x) for x in operands if _is_weak(x)]
    if strong:
        target = dtypes.result_type(*strong)
        if any(dtypes.is_float(w) for w in weak) and not dtypes.is_float(target):
            target = "float32"
    else:
        target = dtypes.result_type(*weak)
    if floating and not dtypes.is_float(target):
        target = "float32"
    return [_cast_to(x, target) for x in operands]


def _cast_to(value: Any, dtype: str) -> Any:
    if isinstance(value, SymbolicTensor | Tensor | Variable):
        return value if value.dtype == dtype else cast(value, dtype)
    return np.asarray(value, dtype=dtype)


def _apply_binary(op: str, x: Any, y: Any, floating: bool = False) -> Any:
    x, y = promote(x, y, floating=floating)
    return apply(op, [x, y])


def _apply_unary(op: str, x: Any, floating: bool = True) -> Any:
    if floating and not dtypes.is_float(_dtype_of(x)):
        x = cast(x, "float32")
    return apply(op, [x])


def negative(x: Any) -> Any:
    """Returns ``-x`` elementwise."""
    return apply("negative", [x])


def exp(x: Any) -> Any:
    """Returns ``e ** x`` elementwise (ints are cast to float32)."""
    return _apply_unary("exp", x)


def log(x: Any) -> Any:
    """Returns the natural logarithm elementwise."""
    return _apply_unary("log", x)


def log1p(x: Any) -> Any:
    """Returns ``log(1 + x)`` elementwise, accurate for small ``x``."""
    return _apply_unary("log1p", x)


def sqrt(x: Any) -> Any:
    """Returns the square root elementwise."""
    return _apply_unary("sqrt", x)


def tanh(x: Any) -> Any:
    """Returns the hyperbolic tangent elementwise."""
    return _apply_unary("tanh", x)


def relu(x: Any) -> Any:
    """Returns ``max(x, 0)`` elementwise; NaN stays NaN (as in Keras and
    NumPy). The gradient at 0 is 0, as in Keras. Integers are cast to
    float32."""
    return _apply_unary("relu", x)


def abs(x: Any) -> Any:
    """Returns the absolute value elementwise."""
    return apply("abs", [x])


def sign(x: Any) -> Any:
    """Returns -1, 0 or 1 elementwise."""
    return apply("sign", [x])


def floor(x: Any) -> Any:
    """Returns the largest integer not above ``x``, elementwise, as floats."""
    return _apply_unary("floor", x)


def sin(x: Any) -> Any:
    """Returns the sine elementwise."""
    return _apply_unary("sin", x)


def cos(x: Any) -> Any:
    """Returns the cosine elementwise."""
    return _apply_unary("cos", x)


def logical_not(x: Any) -> Any:
    """Returns the boolean negation elementwise."""
    return apply("logical_not", [cast(x, "bool") if _dtype_of(x) != "bool" else x])


def stop_gradient(x: Any) -> Any:
    """Returns ``x``, with a zero gradient."""
    return apply("stop_gradient", [x])


def square(x: Any) -> Any:
    """Returns ``x * x`` elementwise."""
    return multiply(x, x)


def add(x: Any, y: Any) -> Any:
    """Returns ``x + y`` elementwise, broadcasting like NumPy.

    Example:

    >>> add([1, 2], 1).numpy()
    array([2, 3], dtype=int32)
    """
    return _apply_binary("add", x, y)


def subtract(x: Any, y: Any) -> Any:
    """Returns ``x - y`` elementwise, broadcasting like NumPy."""
    return _apply_binary("subtract", x, y)


def multiply(x: Any, y: Any) -> Any:
    """Returns ``x * y`` elementwise, broadcasting like NumPy."""
    return _apply_binary("multiply", x, y)


def divide(x: Any, y: Any) -> Any:
    """Returns ``x / y`` elementwise (true division: ints give float32)."""
    return _apply_binary("divide", x, y, floating=True)


def true_divide(x: Any, y: Any) -> Any:
    """Alias of ``divide``."""
    return divide(x, y)


def power(x: Any, y: Any) -> Any:
    """Returns ``x ** y`` elementwise (computed in floating point)."""
    return _apply_binary("power", x, y, floating=True)


def maximum(x: Any, y: Any) -> Any:
    """Returns the elementwise maximum."""
    return _apply_binary("maximum", x, y)


def minimum(x: Any, y: Any) -> Any:
    """Returns the elementwise minimum."""
    return _apply_binary("minimum", x, y)


def equal(x: Any, y: Any) -> Any:
    """Returns ``x == y`` elementwise, as bools."""
    return _apply_binary("equal", x, y)


def not_equal(x: Any, y: Any) -> Any:
    """Returns ``x != y`` elementwise, as bools."""
    return _apply_binary("not_equal", x, y)


def less(x: Any, y: Any) -> Any:
    """Returns ``x < y`` elementwise, as bools."""
    return _apply_binary("less", x, y)


def less_equal(x: Any, y: Any) -> Any:
    """Returns ``x <= y`` elementwise, as bools."""
    return _apply_binary("less_equal", x, y)


def greater(x: Any, y: Any) -> Any:
    """Returns ``x > y`` elementwise, as bools."""
    return _apply_binary("greater", x, y)


def greater_equal(x: Any, y: Any) -> Any:
    """Returns ``x >= y`` elementwise, as bools."""
    return _apply_binary("greater_equal", x, y)


def logical_and(x: Any, y: Any) -> Any:
    """Returns the elementwise boolean and."""
    return apply("logical_and", [_as_bool(x), _as_bool(y)])


def logical_or(x: Any, y: Any) -> Any:
    """Returns the elementwise boolean or."""
    return apply("logical_or", [_as_bool(x), _as_bool(y)])


def _as_bool(x: Any) -> Any:
    if _dtype_of(x) == "bool":
        return x if not _is_weak(x) else np.asarray(x)
    return cast(x, "bool")


def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """Returns ``x1`` where ``condition`` holds, else ``x2`` (broadcasting),
    as ``keras.ops.where``; with neither, the indices of the true elements
    (one int32 tensor per axis, eager tensors only, as ``nonzero``).

    Example:

    >>> where([True, False], 1.0, 2.0).numpy()
    array([1., 2.], dtype=float32)
    """
    if x1 is None and x2 is None:
        from kgraph.ops import statistics

        return statistics.nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError(
            f"where: give both x1 and x2, or neither. Received: x1={x1!r}, x2={x2!r}"
        )
    x1, x2 = promote(x1, x2)
    return apply("where", [_as_bool(condition), x1, x2])


def cast(x: Any, dtype: Any) -> Any:
    """Returns ``x`` converted to ``dtype``.

    Args:
        x: a tensor.
        dtype: the target dtype, e.g. ``"float32"``.
    """
    dtype = dtypes.canonical(dtype)
    if isinstance(x, SymbolicTensor) and x.dtype == dtype:
        return x
    if find_graph([x]) is None and _dtype_of(x) == dtype and not _is_weak(x):
        return x if isinstance(x, Tensor) else Tensor(x, dtype)
    return apply("cast", [x], {"dtype": dtype})

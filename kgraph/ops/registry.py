"""The op registry: each primitive op is one ``OpDef`` holding all its rules.

An ``OpDef`` cannot be built without a shape rule, a reference semantics, a
gradient rule (or ``differentiable=False``), an example generator for the
property tests and a one-line doc, so "forgot a rule" fails at import time.
Passes and backends ask an op's ``kind``, never its name.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from kgraph import errors
from kgraph.ir.types import TensorType

# Op kinds, as data: fusion, dead-code elimination and codegen dispatch on them.
ELEMENTWISE = "elementwise"
REDUCE = "reduce"
MATMUL = "matmul"
SHAPE = "shape"
GATHER = "gather"
SOURCE = "source"
RANDOM = "random"
FUSED = "fused"
# Convolutions: the LLVM backend lowers them to im2col and GEMM.
CONV = "conv"
# Loops whose body is a graph (``scan``): the code generator lowers the body.
LOOP = "loop"
KINDS = (ELEMENTWISE, REDUCE, MATMUL, SHAPE, GATHER, SOURCE, RANDOM, FUSED, CONV, LOOP)

_REQUIRED = object()


@dataclass(frozen=True)
class Attr:
    """One attribute of an op: its default and a converter that validates it.

    Args:
        convert: called as ``convert(value)``; returns the normalized value or
            raises ``ValueError`` with a message saying what was expected.
        default: the value used when the attribute is omitted; omit for a
            required attribute.
    """

    convert: Callable[[Any], Any]
    default: Any = _REQUIRED

    @property
    def required(self) -> bool:
        """Whether the attribute must be given."""
        return self.default is _REQUIRED


@dataclass(frozen=True)
class Example:
    """Inputs and attributes the property tests can run an op on.

    Args:
        inputs: one ``(shape, dtype, domain)`` per operand. ``dtype`` may be
            ``"float"``, meaning the float dtype the test runs in. ``domain``
            says which values are valid: ``"real"``, ``"positive"``,
            ``"nonzero"``, ``"unit"`` (inside (-1, 1)), ``"above_one"``,
            ``"bool"``, ``"index:N"`` (ints in ``[0, N)``) or
            ``"key"`` (a random-generator key).
        attrs: the attributes.
    """

    inputs: Sequence[tuple[tuple[int, ...], str, str]]
    attrs: Mapping[str, Any] = field(default_factory=dict)


InferFn = Callable[[Sequence[TensorType], Mapping[str, Any]], TensorType]
ReferenceFn = Callable[[Sequence[Any], Mapping[str, Any]], Any]
GradFn = Callable[..., Sequence[Any]]
ExampleFn = Callable[[Any], Example]


@dataclass(frozen=True)
class OpDef:
    """The complete definition of one primitive op.

    Args:
        name: unique snake_case name, equal to its public function's name.
        kind: one of ``KINDS``.
        arity: the operand count, or ``None`` for one or more.
        infer: ``(input types, attrs) -> output type``; raises ``ShapeError``
            or ``DTypeError`` naming the op and the shapes.
        reference: ``(input arrays, attrs) -> array``: the NumPy semantics.
        grad: ``(inputs, output, cotangent, attrs) -> [cotangent or None per
            input]``, written with the public op functions on symbolic
            tensors; ``None`` when ``differentiable`` is false.
        example: ``(draw) -> Example`` for the property tests; ``draw``
            offers ``shape``, ``broadcastable``, ``integer``, ``choice``,
            ``boolean`` and ``permutation``.
        doc: one line describing the op.
        attrs: the allowed attributes by name.
        differentiable: whether the op has a gradient.
        effects: true for ops a pass must never remove, merge or evaluate
            at compile time (``all_reduce`` talks to other processes).
        lower: how the LLVM backend computes the op (``ops/lowering.py``):
            for elementwise ops a scalar body ``(emitter, values, in_dtypes,
            out_dtype, attrs) -> value``; for the others a loop-nest emitter
            ``(emitter, input buffers, output buffer, attrs)``. Source ops are
            bound by the code generator and have none.
        view: the output is the first operand's bytes, reinterpreted
            (``reshape``): nothing is computed.
        specialize: for ops whose attributes depend on their operands'
            types (``scan``'s body), ``(input types, attrs) -> attrs`` for
            the types a pass has just derived; ``None`` for the others.
    """

    name: str
    kind: str
    arity: int | None
    infer: InferFn
    reference: ReferenceFn
    grad: GradFn | None
    example: ExampleFn
    doc: str
    attrs: Mapping[str, Attr] = field(default_factory=dict)
    differentiable: bool = True
    effects: bool = False
    lower: Callable[..., Any] | None = None
    view: bool = False
    specialize: Callable[..., dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind. Received: kind={self.kind}")
        if self.differentiable != (self.grad is not None):
            raise ValueError(
                f"{self.name}: a differentiable op needs a grad rule and a "
                "non-differentiable one must not have one. Received: "
                f"differentiable={self.differentiable}, grad={self.grad}"
            )
        if not self.doc:
            raise ValueError(f"{self.name}: every op needs a doc line.")

    def check_arity(self, count: int) -> None:
        """Raises ``GraphError`` if ``count`` operands do not fit the op."""
        if self.arity is None:
            if count < 1:
                raise errors.GraphError(
                    f"{self.name}: expected at least one operand. Received: {count}"
                )
        elif count != self.arity:
            raise errors.GraphError(
                f"{self.name}: expected {self.arity} operand(s). Received: {count}"
            )

    def check_attrs(self, attrs: Mapping[str, Any]) -> dict[str, Any]:
        """Validates attributes and fills defaults.

        Returns:
            The normalized attributes.

        Raises:
            GraphError: for an unknown or missing attribute.
            ValueError: (a ``ShapeError``) for a bad value, naming the op.
        """
        unknown = sorted(set(attrs) - set(self.attrs))
        if unknown:
            raise errors.GraphError(
                f"{self.name}: unknown attribute(s) {unknown}. Valid attributes: "
                f"{sorted(self.attrs)}. Received: {dict(attrs)}"
            )
        result: dict[str, Any] = {}
        for key, spec in self.attrs.items():
            if key not in attrs:
                if spec.required:
                    raise errors.GraphError(
                        f"{self.name}: missing required attribute '{key}'. "
                        f"Received: {dict(attrs)}"
                    )
                result[key] = spec.default
                continue
            try:
                result[key] = spec.convert(attrs[key])
            except (TypeError, ValueError) as error:
                raise errors.ShapeError(
                    f"{self.name}: invalid attribute {key}: {error} "
                    f"Received: {key}={attrs[key]!r}"
                ) from None
        return result


_REGISTRY: dict[str, OpDef] = {}


def register(opdef: OpDef) -> OpDef:
    """Adds an op to the registry; a second op of the same name is an error."""
    if opdef.name in _REGISTRY:
        raise ValueError(f"Op '{opdef.name}' is registered twice.")
    _REGISTRY[opdef.name] = opdef
    return opdef


def get(name: str) -> OpDef:
    """Returns the op named ``name``.

    Raises:
        GraphError: listing the registered ops when ``name`` is unknown.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise errors.GraphError(
            f"Unknown op '{name}'. Registered ops: {sorted(_REGISTRY)}. "
            f"Received: op={name!r}"
        ) from None


def all_ops() -> list[OpDef]:
    """Returns every registered op, sorted by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


# -- attribute converters shared by the op families ---------------------------


def as_int(value: Any) -> int:
    """Converts an integer attribute (bools are rejected)."""
    if isinstance(value, bool) or int(value) != value:
        raise ValueError("expected an integer.")
    return int(value)


def as_bool(value: Any) -> bool:
    """Converts a boolean attribute."""
    if not isinstance(value, bool):
        raise ValueError("expected True or False.")
    return value


def as_float(value: Any) -> float:
    """Converts a float attribute."""
    return float(value)


def as_str(value: Any) -> str:
    """Converts a string attribute."""
    if not isinstance(value, str):
        raise ValueError("expected a string.")
    return value


def as_int_tuple(value: Any) -> tuple[int, ...]:
    """Converts a tuple of ints (a single int becomes a 1-tuple)."""
    if isinstance(value, int | bool) and not isinstance(value, bool):
        return (int(value),)
    return tuple(as_int(v) for v in value)


def as_axes(value: Any) -> tuple[int, ...] | None:
    """Converts an axis attribute: ``None`` (all axes), an int or ints."""
    if value is None:
        return None
    return as_int_tuple(value)


def normalize_axis(op: str, axis: int, rank: int) -> int:
    """Turns a possibly negative axis into ``0 <= axis < rank``.

    Raises:
        ShapeError: naming the op when the axis is out of range.
    """
    if not -rank <= axis < rank:
        raise errors.ShapeError(
            f"{op}: axis {axis} is out of range for a tensor of rank {rank}. "
            f"Received: axis={axis}"
        )
    return axis % rank

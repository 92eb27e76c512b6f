"""Source ops: graph inputs (``placeholder``) and literal values (``constant``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.graph import ROLES
from kgraph.ir.graph import Graph
from kgraph.ir.types import TensorType
from kgraph.ops import registry
from kgraph.ops.builder import emit
from kgraph.ops.tensor import SymbolicTensor


def _as_role(value: Any) -> str:
    if value not in ROLES:
        raise ValueError(f"expected one of {ROLES}.")
    return value


def _as_shape(value: Any) -> tuple[int | None, ...]:
    shape = tuple(None if d is None else registry.as_int(d) for d in value)
    if any(d is not None and d < 0 for d in shape):
        raise ValueError("dimensions must be non-negative or None.")
    return shape


def _as_array(value: Any) -> np.ndarray:
    array = np.asarray(value)
    dtypes.canonical(array.dtype)
    return array


def _placeholder_reference(arrays: Any, attrs: Any) -> np.ndarray:
    raise errors.GraphError(
        f"placeholder '{attrs['name']}' has no value: it must be fed. "
        f"Received: role={attrs['role']}"
    )


def _placeholder_example(draw: Any) -> registry.Example:
    attrs = {"name": "x", "role": "data", "shape": draw.shape(), "dtype": "float32"}
    return registry.Example([], attrs)


registry.register(
    registry.OpDef(
        name="placeholder",
        kind=registry.SOURCE,
        arity=0,
        infer=lambda types, attrs: TensorType(attrs["shape"], attrs["dtype"]),
        reference=_placeholder_reference,
        grad=None,
        example=_placeholder_example,
        doc="A graph input, fed by the caller (data, parameter, slot, ...).",
        attrs={
            "name": registry.Attr(registry.as_str),
            "role": registry.Attr(_as_role, "data"),
            "shape": registry.Attr(_as_shape),
            "dtype": registry.Attr(dtypes.canonical, "float32"),
        },
        differentiable=False,
    )
)


def _constant_example(draw: Any) -> registry.Example:
    value = np.arange(int(np.prod(draw.shape(max_rank=2))), dtype="float32")
    return registry.Example([], {"value": value})


registry.register(
    registry.OpDef(
        name="constant",
        kind=registry.SOURCE,
        arity=0,
        infer=lambda types, attrs: TensorType.of(attrs["value"]),
        reference=lambda arrays, attrs: attrs["value"],
        grad=None,
        example=_constant_example,
        doc="A literal array embedded in the graph.",
        attrs={"value": registry.Attr(_as_array)},
        differentiable=False,
    )
)


def placeholder(
    graph: Graph,
    name: str,
    shape: tuple[int | None, ...],
    dtype: str = "float32",
    role: str = "data",
) -> SymbolicTensor:
    """Adds a graph input.

    Args:
        graph: the graph to add it to.
        name: the input's name, unique in the graph; the caller feeds it.
        shape: the static shape; ``None`` marks the batch dimension.
        dtype: the dtype.
        role: one of ``kgraph.ir.ROLES``.

    Returns:
        The placeholder as a ``SymbolicTensor``.
    """
    for node in graph.placeholders():
        if node.name == name:
            raise errors.GraphError(
                f"Graph '{graph.name}' already has an input named '{name}'. "
                f"Received: name={name!r}"
            )
    attrs = {"name": name, "role": role, "shape": tuple(shape), "dtype": dtype}
    return SymbolicTensor(graph, emit(graph, "placeholder", [], attrs))


def graph_constant(graph: Graph, value: Any, dtype: Any = None) -> SymbolicTensor:
    """Adds a constant node holding ``value`` to ``graph``."""
    kind = dtypes.of_value(value) if dtype is None else dtypes.canonical(dtype)
    array = np.asarray(value, dtype=dtypes.to_numpy(kind))
    return SymbolicTensor(graph, emit(graph, "constant", [], {"value": array}))

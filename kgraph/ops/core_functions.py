"""``keras.ops``'s core functions on tensors themselves: conversion
(``convert_to_tensor``, ``convert_to_numpy``, ``array``, ``copy``,
``view``), introspection (``is_tensor``, ``dtype``, ``shape``, ``ndim``,
``size``) and control flow (``cond``, ``switch``, ``fori_loop``,
``while_loop``).

Control flow on graph tensors has no branches in kgraph's graphs: ``cond``
and ``switch`` compute every branch and choose elementwise with ``where``
(branches must return the same structure, shapes and dtypes, as in JAX);
``fori_loop`` is a ``scan`` over the step numbers, and ``while_loop`` a
``scan`` of ``maximum_iterations`` steps that stops changing its variables
once the condition fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import tree
from kgraph.ops import builder
from kgraph.ops import control
from kgraph.ops import elementwise as ew
from kgraph.ops import shaping as shape_ops
from kgraph.ops.tensor import KerasTensor
from kgraph.ops.tensor import SymbolicTensor
from kgraph.ops.tensor import Tensor
from kgraph.ops.tensor import Variable


def convert_to_tensor(
    x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None
) -> Any:
    """Returns ``x`` as a tensor (arrays and Python values become eager
    ``Tensor``s), cast to ``dtype`` if given.

    Raises:
        ValueError: for ``sparse=True`` or ``ragged=True`` (kgraph's tensors
            are dense).

    Example:

    >>> convert_to_tensor([1, 2], dtype="float32").numpy()
    array([1., 2.], dtype=float32)
    """
    if sparse or ragged:
        raise ValueError(
            "convert_to_tensor: kgraph has only dense tensors. "
            f"Received: sparse={sparse}, ragged={ragged}"
        )
    if isinstance(x, Variable):
        x = Tensor(x.numpy())
    x = shape_ops.as_tensor(x)
    return x if dtype is None else ew.cast(x, dtype)


def convert_to_numpy(x: Any) -> np.ndarray:
    """Returns the values of an eager tensor (or array) as a NumPy array.

    Raises:
        ValueError: for a symbolic tensor, which has no values yet.

    Example:

    >>> convert_to_numpy(convert_to_tensor([1, 2]))
    array([1, 2], dtype=int32)
    """
    if isinstance(x, SymbolicTensor):
        raise ValueError(
            "convert_to_numpy: a symbolic tensor has no values until the model "
            f"runs. Received: {x!r}"
        )
    return np.array(x)


def array(x: Any, dtype: Any = None) -> Any:
    """Returns a new tensor of the values of ``x`` (of ``dtype`` if given)."""
    return convert_to_tensor(x, dtype=dtype)


def copy(x: Any) -> Any:
    """Returns a copy of ``x`` (an eager tensor owning its values)."""
    if isinstance(x, SymbolicTensor):
        return x
    return Tensor(np.array(x))


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a kgraph tensor (eager, or of a graph being traced);
    arrays, variables and the ``KerasTensor``s of model definitions are not.

    Example:

    >>> is_tensor(convert_to_tensor(1.0)), is_tensor(1.0)
    (True, False)
    """
    return isinstance(x, Tensor | SymbolicTensor) and not isinstance(x, KerasTensor)


def dtype(x: Any) -> str:
    """Returns the dtype name of ``x`` (``"float32"``...).

    Example:

    >>> dtype([1.0])
    'float32'
    """
    return (
        ew._dtype_of(x)
        if not isinstance(x, np.ndarray)
        else (dtypes.canonical(x.dtype))
    )


def shape(x: Any) -> tuple[int | None, ...]:
    """Returns the shape of ``x`` as a tuple (``None`` for a dimension
    known only when the model runs)."""
    if isinstance(x, SymbolicTensor | Tensor | Variable) or (
        hasattr(x, "shape") and not isinstance(x, np.ndarray | np.generic)
    ):
        return tuple(x.shape)
    return tuple(np.shape(x))


def ndim(x: Any) -> int:
    """Returns the rank of ``x``."""
    return len(shape(x))


def size(x: Any) -> int:
    """Returns the number of elements of ``x``.

    Raises:
        ValueError: when a dimension is unknown.
    """
    dims = shape(x)
    if any(d is None for d in dims):
        raise ValueError(
            f"size: the shape {dims} has an unknown dimension. Received: {x!r}"
        )
    return math.prod(int(d) for d in dims)


def view(x: Any, dtype: Any = None) -> Any:
    """Reinterprets the bytes of an eager tensor as another dtype (the last
    axis scales by the ratio of the item sizes).

    Raises:
        ValueError: for a symbolic tensor.

    Example:

    >>> view(np.array([1.0], "float32"), "int32").numpy()
    array([1065353216], dtype=int32)
    """
    values = convert_to_numpy(x)
    if dtype is None:
        return Tensor(values.copy())
    return Tensor(
        np.ascontiguousarray(values).view(dtypes.to_numpy(dtypes.canonical(dtype)))
    )


# -- control flow --------------------------------------------------------------------


def _symbolic(*values: Any) -> bool:
    return any(isinstance(v, SymbolicTensor) for v in tree.flatten(list(values)))


def _choose(condition: Any, first: Any, second: Any) -> Any:
    left, right = tree.flatten(first), tree.flatten(second)
    if len(left) != len(right):
        raise ValueError(
            "cond/switch: the branches must return the same structure. "
            f"Received: {first!r} and {second!r}"
        )
    chosen = [ew.where(condition, a, b) for a, b in zip(left, right, strict=True)]
    return tree.pack_sequence_as(first, chosen)


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """Returns ``true_fn()`` if ``pred`` holds, else ``false_fn()``, as
    ``keras.ops.cond``. On a graph tensor both branches run and the result
    is chosen with ``where``.

    Example:

    >>> cond(True, lambda: 1, lambda: 2)
    1
    """
    if not _symbolic(pred):
        return true_fn() if bool(np.asarray(pred)) else false_fn()
    pred = ew.cast(pred, "bool") if pred.dtype != "bool" else pred
    return _choose(pred, true_fn(), false_fn())


def switch(index: Any, branches: list[Callable[..., Any]], *operands: Any) -> Any:
    """Returns ``branches[index](*operands)`` (``index`` clamped to the
    branches, as ``jax.lax.switch``), as ``keras.ops.switch``.

    Example:

    >>> switch(1, [lambda x: x + 1, lambda x: x * 10], 3)
    30
    """
    if not branches:
        raise ValueError("switch: branches must not be empty. Received: []")
    if not _symbolic(index):
        chosen = int(np.clip(int(np.asarray(index)), 0, len(branches) - 1))
        return branches[chosen](*operands)
    results = [branch(*operands) for branch in branches]
    result = results[-1]
    for i in range(len(results) - 2, -1, -1):
        result = _choose(ew.less_equal(index, i), results[i], result)
    return result


def fori_loop(
    lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any
) -> Any:
    """Returns ``init_val`` after ``val = body_fun(i, val)`` for ``i`` from
    ``lower`` to ``upper - 1``, as ``keras.ops.fori_loop``. Bounds must be
    known when the model is defined; on graph tensors the loop is one
    ``scan``.

    Example:

    >>> fori_loop(0, 4, lambda i, v: v + i, 0)
    6
    """
    start = int(np.asarray(_bound(lower)))
    stop = int(np.asarray(_bound(upper)))
    leaves = tree.flatten(init_val)
    if builder.find_graph(leaves) is None and builder.active_graph() is None:
        value = init_val
        for i in range(start, stop):
            value = body_fun(i, value)
        return value
    steps = np.arange(start, max(start, stop), dtype="int32")

    def step(carry: Any, i: Any) -> tuple[Any, None]:
        return body_fun(i, carry), None

    final, _ = control.scan(step, init_val, steps)
    return final


def _bound(value: Any) -> Any:
    if isinstance(value, SymbolicTensor):
        raise ValueError(
            "fori_loop: the bounds must be known when the model is defined. "
            f"Received: {value!r}"
        )
    return value


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    maximum_iterations: int | None = None,
) -> Any:
    """Repeats ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``
    holds (at most ``maximum_iterations`` times), as ``keras.ops.while_loop``.

    Eagerly it is a Python loop. On graph tensors the number of steps must
    be bounded: it runs ``maximum_iterations`` steps of a ``scan`` that
    keeps the variables once ``cond`` fails.

    Raises:
        ValueError: on graph tensors without ``maximum_iterations``.

    Example:

    >>> while_loop(lambda i: i < 5, lambda i: i + 2, 0)
    6
    """
    is_tuple = isinstance(loop_vars, tuple | list)
    packed = tuple(loop_vars) if is_tuple else (loop_vars,)

    def call(fn: Callable[..., Any], values: tuple) -> Any:
        return fn(*values)

    def run_body(values: tuple) -> tuple:
        outputs = call(body, values)
        return tuple(outputs) if is_tuple else (outputs,)

    leaves = tree.flatten(list(packed))
    if builder.find_graph(leaves) is None and builder.active_graph() is None:
        count = 0
        while bool(np.asarray(call(cond, packed))):
            if maximum_iterations is not None and count >= maximum_iterations:
                break
            packed = run_body(packed)
            count += 1
        return packed if is_tuple else packed[0]
    if maximum_iterations is None:
        raise ValueError(
            "while_loop: on graph tensors the number of steps must be bounded: "
            "pass maximum_iterations. Received: maximum_iterations=None"
        )
    init = tuple(shape_ops.as_tensor(v) for v in packed)

    def step(carry: Any, _: Any) -> tuple[Any, None]:
        values = tuple(carry)
        going = ew.cast(call(cond, values), "bool")
        updated = run_body(values)
        kept = tuple(
            tree.pack_sequence_as(
                old,
                [
                    ew.where(going, ew.cast(n, o.dtype), o)
                    for n, o in zip(tree.flatten(new), tree.flatten(old), strict=True)
                ],
            )
            for new, old in zip(updated, values, strict=True)
        )
        return kept, None

    final, _ = control.scan(step, init, None, length=int(maximum_iterations))
    final = tuple(final)
    return final if is_tuple else final[0]


# -- mapping over the leading axis ---------------------------------------------------


def _is_graph(leaves: list[Any]) -> bool:
    return builder.find_graph(leaves) is not None or builder.active_graph() is not None


def map(f: Callable[[Any], Any], xs: Any) -> Any:
    """Applies ``f`` to each slice of ``xs`` along its leading axis and
    stacks the results, as ``keras.ops.map`` (``xs`` may be a structure of
    tensors sliced together). On graph tensors it is one ``scan``.

    Example:

    >>> map(lambda x: x * 2, np.array([1, 2, 3], "int32")).numpy()
    array([2, 4, 6], dtype=int32)
    """
    leaves = [shape_ops.as_tensor(x) for x in tree.flatten(xs)]
    if not _is_graph(leaves):
        count = leaves[0].shape[0]
        results = [
            f(tree.pack_sequence_as(xs, [leaf[i] for leaf in leaves]))
            for i in range(count)
        ]
        stacked = [
            shape_ops.stack([tree.flatten(r)[k] for r in results])
            for k in range(len(tree.flatten(results[0])))
        ]
        return tree.pack_sequence_as(results[0], stacked)

    def step(carry: Any, x: Any) -> tuple[Any, Any]:
        return carry, f(x)

    _, ys = control.scan(step, np.zeros((), "float32"), xs)
    return ys


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """Applies ``function`` to each slice of ``elements`` along the leading
    axis and stacks the results (``jax.vmap``'s meaning; kgraph runs it as
    ``map``)."""
    return map(function, elements)


def vectorize(
    pyfunc: Callable[..., Any], *, excluded: Any = None, signature: str | None = None
) -> Callable[..., Any]:
    """Returns a function that broadcasts its tensor arguments and applies
    ``pyfunc`` to each element (``numpy.vectorize`` without a signature).

    Raises:
        ValueError: for a ``signature`` (generalized universal functions are
            not supported by kgraph).

    Example:

    >>> f = vectorize(lambda a, b: a * b + 1)
    >>> f(np.array([1, 2], "int32"), np.array(3, "int32")).numpy()
    array([4, 7], dtype=int32)
    """
    if signature is not None:
        raise ValueError(
            "vectorize: kgraph supports signature=None only. "
            f"Received: signature={signature!r}"
        )
    skipped = set(excluded or ())

    def vectorized(*args: Any, **kwargs: Any) -> Any:
        positions = [i for i in range(len(args)) if i not in skipped]
        tensors = [shape_ops.as_tensor(args[i]) for i in positions]
        target = shape_ops.broadcast_shapes_check([t.shape for t in tensors])
        flat = [
            shape_ops.reshape(
                t
                if tuple(t.shape) == tuple(target)
                else shape_ops.broadcast_to(t, target),
                (-1,),
            )
            for t in tensors
        ]

        def one(elements: Any) -> Any:
            call = list(args)
            for i, value in zip(positions, elements, strict=True):
                call[i] = value
            return pyfunc(*call, **kwargs)

        result = map(one, tuple(flat))
        return tree.map_structure(
            lambda r: shape_ops.reshape(r, [-1 if d is None else d for d in target]),
            result,
        )

    return vectorized


def associative_scan(
    f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0
) -> Any:
    """Returns the running combination ``f(f(e0, e1), e2)...`` of the
    slices of ``elems`` along ``axis`` (a structure of tensors is scanned
    together), as ``keras.ops.associative_scan``; ``reverse`` runs from the
    end. kgraph runs it as one sequential ``scan``.

    Example:

    >>> associative_scan(lambda a, b: a + b, np.array([1, 2, 3], "int32")).numpy()
    array([1, 3, 6], dtype=int32)
    """
    from kgraph.ops import manipulation

    leaves = [shape_ops.as_tensor(e) for e in tree.flatten(elems)]
    leaves = [manipulation.moveaxis(e, axis, 0) for e in leaves]
    if reverse:
        leaves = [shape_ops.flip(e, 0) for e in leaves]
    first = [e[0] for e in leaves]
    rest = [e[1:] for e in leaves]

    def step(carry: Any, x: Any) -> tuple[Any, Any]:
        combined = f(
            tree.pack_sequence_as(elems, carry), tree.pack_sequence_as(elems, x)
        )
        combined = tree.flatten(combined)
        return combined, combined

    if leaves[0].shape[0] == 1:
        outputs = leaves
    else:
        _, ys = control.scan(step, first, rest)
        outputs = [
            shape_ops.concatenate([shape_ops.expand_dims(a, 0), b], axis=0)
            for a, b in zip(first, ys, strict=True)
        ]
    if reverse:
        outputs = [shape_ops.flip(o, 0) for o in outputs]
    outputs = [manipulation.moveaxis(o, 0, axis) for o in outputs]
    return tree.pack_sequence_as(elems, outputs)

"""Pooling, channels last: ``sum_pool``, ``max_pool`` and ``pool_argmax``.

``sum_pool`` adds each window (zero padding); its gradient is a stride-1
``sum_pool`` of the cotangent dilated by the strides (``pad``'s interior
padding), the transpose of a window sum, so it closes on itself.
``pool_argmax`` gives, for each window, the flat index into the whole input
of its first maximum (row-major over the window; padding never wins; NaN
counts as the largest, so a window holding one gives NaN as NumPy does).
``max_pool`` gives that maximum itself, in one pass (the input's element at
``pool_argmax``, bit for bit); its gradient sends each cotangent to exactly
that first maximum (a ``scatter_add`` at ``pool_argmax``), as TensorFlow's
max-pool gradient does. ``average_pool(x) = sum_pool(x) / count``, with
``count`` the number of input elements (not padding) in each window, a
constant: with ``padding="same"`` the edges divide by fewer, as in Keras.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.builder import apply
from kgraph.ops.convolution import Pairs
from kgraph.ops.convolution import as_padding
from kgraph.ops.convolution import as_positive_tuple
from kgraph.ops.convolution import check_channels_last
from kgraph.ops.convolution import draw_geometry
from kgraph.ops.convolution import explicit_padding
from kgraph.ops.convolution import input_position
from kgraph.ops.convolution import normalize_tuple
from kgraph.ops.convolution import output_spatial
from kgraph.ops.convolution import padded_input
from kgraph.ops.convolution import resolve_same
from kgraph.ops.convolution import transposed_window
from kgraph.ops.convolution import window_slices
from kgraph.ops.reduce import static_shape

_NUMERIC = ("int32", "int64", "float32", "float64")
# Flat indices are int32: inputs must have fewer elements.
_INDEX_LIMIT = 2**31


def _pool_infer(op: str, allowed: tuple[str, ...]) -> Any:
    def infer(types: Any, attrs: Any) -> TensorType:
        (x,) = types
        window = attrs["window"]
        rank = len(window)
        if x.dtype not in allowed:
            raise errors.DTypeError(
                f"{op}: expected a tensor of dtype {' or '.join(allowed)}. "
                f"Received: {x}"
            )
        if x.rank != rank + 2:
            raise errors.ShapeError(
                f"{op}: a {rank}-D window needs an input (batch, *spatial, "
                f"channels) of rank {rank + 2}. Received: {x}, window={window}"
            )
        for name in ("strides", "padding"):
            if len(attrs[name]) != rank:
                raise errors.ShapeError(
                    f"{op}: {name} needs one entry per spatial axis ({rank}). "
                    f"Received: {name}={attrs[name]}"
                )
        spatial = output_spatial(
            op, x.shape[1:-1], window, attrs["strides"], attrs["padding"], (1,) * rank
        )
        if op == "sum_pool":
            return x.with_shape((x.shape[0], *spatial, x.shape[-1]))
        _check_argmax(op, x, attrs)
        if op == "max_pool":
            return x.with_shape((x.shape[0], *spatial, x.shape[-1]))
        return TensorType((x.shape[0], *spatial, x.shape[-1]), "int32")

    return infer


def _check_argmax(op: str, x: TensorType, attrs: Any) -> None:
    window, padding = attrs["window"], attrs["padding"]
    explicit = [(k, pair) for k, pair in zip(window, padding, strict=True)]
    # "same" (an axis of unknown size) pads less than the window: checked
    # once specialized.
    if any(not isinstance(pair, str) and max(pair) >= k for k, pair in explicit):
        raise errors.ShapeError(
            f"{op}: padding must be smaller than the window on each side, "
            "so that every window holds an input element. Received: "
            f"window={window}, padding={padding}"
        )
    if x.is_static and (x.size or 0) >= _INDEX_LIMIT:
        raise errors.ShapeError(
            f"{op}: flat int32 indices need fewer than 2**31 elements. Received: {x}"
        )


# -- NumPy reference -----------------------------------------------------------


def _slices(x: np.ndarray, attrs: Any) -> tuple[list, tuple]:
    window = attrs["window"]
    rank = len(window)
    out = output_spatial(
        "pool", x.shape[1:-1], window, attrs["strides"], attrs["padding"], (1,) * rank
    )
    return window_slices(window, attrs["strides"], (1,) * rank, out), out


def _sum_pool_reference(arrays: Any, attrs: Any) -> np.ndarray:
    (x,) = arrays
    slices, out = _slices(x, attrs)
    xp = padded_input(x, attrs["padding"])
    total = np.zeros((x.shape[0], *out, x.shape[-1]), dtype=x.dtype)
    for _, index in slices:
        total += xp[index]
    return total


def _pool_argmax_reference(arrays: Any, attrs: Any) -> np.ndarray:
    (x,) = arrays
    slices, out = _slices(x, attrs)
    xp = padded_input(x, attrs["padding"])
    flat = padded_input(np.arange(x.size).reshape(x.shape), attrs["padding"], -1)
    shape = (x.shape[0], *out, x.shape[-1])
    best = np.zeros(shape, dtype=x.dtype)
    found = np.zeros(shape, dtype=np.int64)
    seen = np.zeros(shape, dtype=bool)
    for _, index in slices:
        values, positions = xp[index], flat[index]
        inside = positions >= 0
        beats = (values > best) | (np.isnan(values) & ~np.isnan(best))
        take = inside & (~seen | beats)
        best = np.where(take, values, best)
        found = np.where(take, positions, found)
        seen |= inside
    return found.astype(np.int32)


def _max_pool_reference(arrays: Any, attrs: Any) -> np.ndarray:
    (x,) = arrays
    return x.reshape(-1)[_pool_argmax_reference(arrays, attrs)]


# -- gradients -----------------------------------------------------------------


def sum_pool_transpose(g: Any, input_shape: Sequence[int | None], attrs: Any) -> Any:
    """The gradient of ``sum_pool``: each input element receives the sum of
    the cotangents of the windows that hold it.

    The cotangent dilated by the strides and padded (``transposed_window``),
    summed over windows of the same size at stride 1 (a window sum needs no
    flip).

    Args:
        g: the cotangent ``(batch, *out_spatial, channels)``.
        input_shape: the pooled input's shape (spatial sizes static).
        attrs: the pooling's ``window``, ``strides`` and ``padding``.

    Returns:
        The input's cotangent.
    """
    window = attrs["window"]
    g, pairs = transposed_window(
        g, input_shape, window, attrs["strides"], attrs["padding"]
    )
    stride_one = {"window": window, "strides": (1,) * len(window), "padding": pairs}
    return apply("sum_pool", [g], stride_one)


def _sum_pool_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    return [sum_pool_transpose(cotangent, inputs[0].shape, attrs)]


def _max_pool_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    from kgraph import ops
    from kgraph.ops.shaping import scatter_add

    (x,) = inputs
    shape = static_shape("max_pool gradient", x.shape)
    indices = apply("pool_argmax", [x], attrs)
    flat = scatter_add(cotangent, indices, axis=0, size=math.prod(shape))
    return [ops.reshape(flat, shape)]


# -- examples ------------------------------------------------------------------


def _pool_example(argmax: bool) -> Any:
    def example(draw: Any) -> registry.Example:
        geo = draw_geometry(draw)
        padding = geo["padding"]
        if argmax:
            padding = tuple(
                (min(low, k - 1), min(high, k - 1))
                for (low, high), k in zip(padding, geo["window"], strict=True)
            )
        spatial = tuple(
            max(size, k - low - high)
            for size, k, (low, high) in zip(
                geo["spatial"], geo["window"], padding, strict=True
            )
        )
        shape = (draw.integer(1, 2), *spatial, draw.integer(1, 3))
        attrs = {"window": geo["window"], "strides": geo["strides"], "padding": padding}
        return registry.Example([(shape, "float", "real")], attrs)

    return example


# -- LLVM: the direct loop nests -----------------------------------------------


def _window_position(
    em: Any, x: Any, outs: Any, offsets: Any, attrs: Any
) -> tuple[list[Any], Any]:
    """The input coordinates of window element ``offsets`` of output
    position ``outs``, and whether it lies inside the input."""
    rank = len(attrs["window"])
    strides, padding = attrs["strides"], attrs["padding"]
    spatial = x.shape[1:-1]
    return input_position(em, outs, offsets, spatial, strides, padding, (1,) * rank)


def _window_loop(em: Any, x: Any, output: Any, attrs: Any, visit: Any) -> None:
    """For each output element, calls ``visit(flat input index)`` for each
    window element inside the input (row-major), between ``start()`` and
    ``finish(output index)``."""
    x_steps = lowering.strides(x.shape)
    out_steps = lowering.strides(output.shape)
    with em.loops(output.shape, "o") as index:
        n, outs, c = index[0], index[1:-1], index[-1]
        state = visit.start()
        with em.loops(attrs["window"], "k") as offsets:
            coords, inside = _window_position(em, x, outs, offsets, attrs)
            with em.builder.if_then(inside):
                visit.element(state, em.flat_index([n, *coords, c], x_steps))
        visit.finish(state, em.flat_index(index, out_steps))


class _SumVisit:
    def __init__(self, em: Any, x: Any, output: Any) -> None:
        self.em, self.x, self.output = em, x, output
        self.kind = lowering.register_type(x.dtype)

    def start(self) -> Any:
        return self.em.variable(self.x.dtype, self.em.const(0, self.x.dtype))

    def element(self, total: Any, flat: Any) -> None:
        builder = self.em.builder
        value = builder.fadd(self.em.read(total, self.kind), self.em.load(self.x, flat))
        builder.store(value, total)

    def finish(self, total: Any, index: Any) -> None:
        self.em.store(self.output, index, self.em.read(total, self.kind))


class _ArgmaxVisit:
    def __init__(self, em: Any, x: Any, output: Any) -> None:
        self.em, self.x, self.output = em, x, output
        self.kind = lowering.register_type(x.dtype)

    def start(self) -> tuple[Any, Any, Any]:
        em = self.em
        return (
            em.variable("bool", em.const(False, "bool")),
            em.variable(self.x.dtype, em.const(0, self.x.dtype)),
            em.variable("int64", em.index(0)),
        )

    def element(self, state: tuple[Any, Any, Any], flat: Any) -> None:
        em, builder = self.em, self.em.builder
        seen, best, found = state
        value = em.load(self.x, flat)
        current = em.read(best, self.kind)
        better = lowering.replaces_maximum(em, value, current, self.x.dtype)
        first = builder.not_(em.read(seen, lowering.I1))
        take = builder.or_(first, better)
        builder.store(builder.select(take, value, current), best)
        builder.store(builder.select(take, flat, em.read(found, lowering.I64)), found)
        builder.store(em.const(True, "bool"), seen)

    def finish(self, state: tuple[Any, Any, Any], index: Any) -> None:
        em = self.em
        found = em.builder.trunc(em.read(state[2], lowering.I64), lowering.I32)
        em.store(self.output, index, found)


def _lower_sum_pool(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    _window_loop(em, inputs[0], output, attrs, _SumVisit(em, inputs[0], output))


def _lower_pool_argmax(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    _window_loop(em, inputs[0], output, attrs, _ArgmaxVisit(em, inputs[0], output))


# Lanes of the channel vectors of ``max_pool``'s kernel: a 64-byte vector
# (LLVM splits it where the host's are narrower).
_VECTOR_BYTES = 64


def _lower_max_pool(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    """Each output position's channels as vectors, the output itself the
    running maximum: the first window element inside the input starts it,
    a later one replaces it where strictly greater (so it is the element
    ``pool_argmax`` picks). A shared kernel splits the positions."""
    (x,) = inputs
    builder = em.builder
    channels = x.shape[-1]
    positions = output.size // max(channels, 1)
    out_spatial = output.shape[1:-1]
    x_steps = lowering.strides(x.shape[:-1])
    lanes = max(1, _VECTOR_BYTES // lowering.itemsize(x.dtype))
    start, stop = em.share(positions)
    with em.loop(stop, "pos", start) as position:
        rest, *outs = em.unflatten(position, out_spatial)
        target = builder.mul(position, em.index(channels))
        first = em.variable("bool", em.const(True, "bool"))
        with em.loops(attrs["window"], "k") as offsets:
            coords, inside = _window_position(em, x, outs, offsets, attrs)
            with builder.if_then(inside):
                source = builder.mul(
                    em.flat_index([rest, *coords], x_steps), em.index(channels)
                )
                starts = em.read(first, lowering.I1)
                _max_channels(em, x, output, (source, target), starts, lanes)
                builder.store(em.const(False, "bool"), first)


def _max_channels(
    em: Any, x: Any, output: Any, at: tuple[Any, Any], starts: Any, lanes: int
) -> None:
    """``output[target + c] = x[source + c]`` where ``starts`` or greater,
    for every channel: whole vectors, then single elements."""
    builder = em.builder
    source, target = at
    channels = x.shape[-1]

    def update(offset: Any, count: int | None) -> None:
        value = lowering.load_lanes(em, x, builder.add(source, offset), count)
        where = builder.add(target, offset)
        best = lowering.load_lanes(em, output, where, count)
        greater = lowering.replaces_maximum(em, value, best, x.dtype)
        take = builder.or_(greater, lowering.splat(em, starts, count))
        lowering.store_lanes(em, output, where, builder.select(take, value, best))

    vectors = channels // lanes
    if vectors:
        with em.loop(vectors, "cv") as q:
            update(builder.mul(q, em.index(lanes)), lanes)
    if channels % lanes:
        with em.loop(channels, "cs", vectors * lanes) as c:
            update(c, None)


def _pool_specialize(types: Any, attrs: Any) -> dict[str, Any]:
    """``"same"`` padding made explicit once the sizes are known (images
    whose size the model learns only when it runs)."""
    (x,) = types
    window = attrs["window"]
    geometry = {**attrs, "dilation": (1,) * len(window)}
    return {**attrs, "padding": resolve_same(x.shape[1:-1], window, geometry)}


_POOL_ATTRS = {
    "window": registry.Attr(as_positive_tuple),
    "strides": registry.Attr(as_positive_tuple),
    "padding": registry.Attr(as_padding),
}

registry.register(
    registry.OpDef(
        name="sum_pool",
        kind=registry.REDUCE,
        arity=1,
        infer=_pool_infer("sum_pool", dtypes.FLOAT_DTYPES),
        reference=_sum_pool_reference,
        grad=_sum_pool_grad,
        example=_pool_example(argmax=False),
        doc="Sums each window of the spatial axes (channels last, zero padding).",
        lower=_lower_sum_pool,
        attrs=_POOL_ATTRS,
        specialize=_pool_specialize,
    )
)

registry.register(
    registry.OpDef(
        name="max_pool",
        kind=registry.REDUCE,
        arity=1,
        infer=_pool_infer("max_pool", _NUMERIC),
        reference=_max_pool_reference,
        grad=_max_pool_grad,
        example=_pool_example(argmax=True),
        doc="The first maximum of each window (channels last; padding never wins).",
        lower=_lower_max_pool,
        attrs=_POOL_ATTRS,
        specialize=_pool_specialize,
    )
)

registry.register(
    registry.OpDef(
        name="pool_argmax",
        kind=registry.REDUCE,
        arity=1,
        infer=_pool_infer("pool_argmax", _NUMERIC),
        reference=_pool_argmax_reference,
        grad=None,
        differentiable=False,
        example=_pool_example(argmax=True),
        doc="The flat int32 index into the input of each window's first maximum "
        "(channels last; padding never wins).",
        lower=_lower_pool_argmax,
        attrs=_POOL_ATTRS,
        specialize=_pool_specialize,
    )
)


# -- public functions ----------------------------------------------------------


def pool_attrs(x: Any, pool_size: Any, strides: Any, padding: Any) -> dict[str, tuple]:
    """The attributes of a pooling op from Keras's arguments.

    Args:
        x: the input ``(batch, *spatial, channels)``.
        pool_size: an int or one per spatial axis.
        strides: likewise; ``None`` means ``pool_size``.
        padding: ``"valid"``, ``"same"`` or explicit ``(low, high)`` pairs.

    Returns:
        ``{"window", "strides", "padding"}``.
    """
    rank = x.ndim - 2
    if rank < 1:
        raise errors.ShapeError(
            "Pooling needs an input (batch, *spatial, channels) with at least one "
            f"spatial axis. Received: input shape {tuple(x.shape)}"
        )
    window = normalize_tuple(pool_size, rank, "pool_size")
    steps = window if strides is None else normalize_tuple(strides, rank, "strides")
    if isinstance(padding, str) and padding.lower() == "causal":
        raise ValueError(
            f"Pooling takes padding 'valid' or 'same'. Received: padding={padding!r}"
        )
    pairs = explicit_padding(padding, x.shape[1:-1], window, steps, (1,) * rank)
    return {"window": window, "strides": steps, "padding": pairs}


def sum_pool(
    inputs: Any, pool_size: Any, strides: Any = None, padding: Any = "valid"
) -> Any:
    """Sums each pooling window (channels last; padding adds zeros).

    Args:
        inputs: ``(batch, *spatial, channels)``, floats.
        pool_size: the window, an int or one per spatial axis.
        strides: the steps between windows (``None``: ``pool_size``).
        padding: ``"valid"``, ``"same"`` or explicit ``(low, high)`` pairs.

    Returns:
        ``(batch, *out_spatial, channels)``.

    Example:

    >>> sum_pool(np.arange(6.0, dtype="float32").reshape(1, 6, 1), 2)[0, :, 0].numpy()
    array([1., 5., 9.], dtype=float32)
    """
    from kgraph import ops

    x = ops.as_tensor(inputs)
    if not dtypes.is_float(x.dtype):
        x = ops.cast(x, "float32")
    return apply("sum_pool", [x], pool_attrs(x, pool_size, strides, padding))


def pool_argmax(
    inputs: Any, pool_size: Any, strides: Any = None, padding: Any = "valid"
) -> Any:
    """The flat index (into the whole input) of each window's first maximum.

    Args:
        inputs: ``(batch, *spatial, channels)``.
        pool_size: the window, an int or one per spatial axis.
        strides: the steps between windows (``None``: ``pool_size``).
        padding: ``"valid"``, ``"same"`` or explicit ``(low, high)`` pairs.

    Returns:
        ``int32`` indices of shape ``(batch, *out_spatial, channels)``.

    Example:

    >>> x = np.array([[[1.0], [3.0], [3.0], [2.0]]], "float32")
    >>> pool_argmax(x, 2)[0, :, 0].numpy()
    array([1, 2], dtype=int32)
    """
    from kgraph import ops

    x = ops.as_tensor(inputs)
    return apply("pool_argmax", [x], pool_attrs(x, pool_size, strides, padding))


def max_pool(
    inputs: Any,
    pool_size: Any,
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Any:
    """Max pooling, channels last (Keras's ``ops.max_pool``).

    The gradient goes to the first maximum of each window (row-major).

    Args:
        inputs: ``(batch, *spatial, channels)``.
        pool_size: the window, an int or one per spatial axis.
        strides: the steps between windows (``None``: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (padding never wins).
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        ``(batch, *out_spatial, channels)``.

    Example:

    >>> x = np.array([[[1.0], [3.0], [2.0], [5.0], [4.0]]], "float32")
    >>> max_pool(x, 2)[0, :, 0].numpy()
    array([3., 5.], dtype=float32)
    >>> max_pool(x, 2, padding="same")[0, :, 0].numpy()
    array([3., 5., 4.], dtype=float32)
    """
    from kgraph import ops

    check_channels_last(data_format, "max_pool")
    x = ops.as_tensor(inputs)
    return apply("max_pool", [x], pool_attrs(x, pool_size, strides, padding))


def average_pool(
    inputs: Any,
    pool_size: Any,
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Any:
    """Average pooling, channels last (Keras's ``ops.average_pool``).

    Each window is averaged over its input elements: with
    ``padding="same"``, edge windows divide by fewer, as in Keras.

    Args:
        inputs: ``(batch, *spatial, channels)``.
        pool_size: the window, an int or one per spatial axis.
        strides: the steps between windows (``None``: ``pool_size``).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        ``(batch, *out_spatial, channels)``, floats.

    Example:

    >>> x = np.array([[[1.0], [3.0], [2.0], [5.0], [4.0]]], "float32")
    >>> average_pool(x, 2, padding="same")[0, :, 0].numpy()
    array([2. , 3.5, 4. ], dtype=float32)
    """
    from kgraph import ops

    check_channels_last(data_format, "average_pool")
    x = ops.as_tensor(inputs)
    if not dtypes.is_float(x.dtype):
        x = ops.cast(x, "float32")
    attrs = pool_attrs(x, pool_size, strides, padding)
    total = apply("sum_pool", [x], attrs)
    if any(dim is None for dim in x.shape[1:-1]):
        # Sizes known only when the model runs: each window's count of
        # input elements (not padding) is the sum pool of ones.
        ones = ops.ones_like(x[..., :1])
        return ops.divide(total, apply("sum_pool", [ones], attrs))
    spatial = static_shape("average_pool", x.shape[1:-1])
    counts = window_counts(spatial, attrs["window"], attrs["strides"], attrs["padding"])
    if np.all(counts == counts.flat[0]):
        return ops.divide(total, float(counts.flat[0]))
    return ops.divide(total, counts[..., None].astype(x.dtype))


def window_counts(
    spatial: Sequence[int],
    window: Sequence[int],
    strides: Sequence[int],
    padding: Pairs,
) -> np.ndarray:
    """How many input elements (not padding) each window holds.

    Returns:
        An int array of shape ``out_spatial``.

    Example:

    >>> window_counts((5,), (2,), (2,), ((0, 1),))
    array([2, 2, 1])
    """
    counts = []
    for size, k, s, (low, high) in zip(spatial, window, strides, padding, strict=True):
        out = (size + low + high - k) // s + 1
        starts = np.arange(out) * s - low
        counts.append(np.minimum(starts + k, size) - np.maximum(starts, 0))
    return math.prod(np.ix_(*counts))

"""Convolution, channels last: ``conv`` and its kernel gradient
``conv_kernel_grad``.

An input ``(batch, *spatial, in_channels)`` and a kernel ``(*window,
in_channels, out_channels)`` (Keras's layout), over any number of spatial
axes. With explicit padding ``((low, high), ...)`` per spatial axis (zeros),
strides ``s`` and dilation ``d``::

    out[n, o, co] = sum over k, ci of xpad[n, o * s + k * d, ci] * w[k, ci, co]

plus, when a third operand is given, a bias ``b[co]`` (the native kernel
adds it as it stores the products; its gradient is one GEMM).

The gradient with respect to the input is a convolution too: the
cotangent, dilated by the strides (``pad``'s interior padding) and padded,
convolved with the kernel flipped in space with its channel axes swapped
(``conv_input_grad``: the same products, summed in another order). The
gradient with respect to the kernel, ``conv_kernel_grad``, is a primitive:
its contraction runs over the batch and the output positions, which no
convolution of the kernel's shape expresses without huge windows. The two
primitives' gradients are each other and ``conv`` again, so every gradient
is a graph that can be differentiated once more.

The public ``conv`` takes Keras's ``padding="valid"`` or ``"same"`` and
computes the explicit padding exactly as Keras and TensorFlow do
(``explicit_padding``). The LLVM backend lowers both primitives to im2col
and GEMM (``backends/llvm/kernels/conv.py``); their ``lower`` here is the
direct loop nest, the oracle those kernels are tested against.
"""

from __future__ import annotations

import itertools
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
from kgraph.ops.linalg_primitives import matmul_t
from kgraph.ops.reduce import static_shape

Dim = int | None
Pairs = tuple[tuple[int, int], ...]

PADDINGS = ("valid", "same", "causal")


# -- attributes and window geometry --------------------------------------------


def as_positive_tuple(value: Any) -> tuple[int, ...]:
    """Converts a tuple of positive ints (a single int becomes a 1-tuple)."""
    result = registry.as_int_tuple(value)
    if any(v < 1 for v in result):
        raise ValueError("expected positive integers.")
    return result


SAME = "same"


def as_padding(value: Any) -> Pairs:
    """Converts explicit padding: one ``(low, high)`` pair of non-negative ints
    per spatial axis, or ``"same"`` for an axis whose size is known only
    when the graph runs (resolved when shapes are inferred)."""
    pairs = tuple(
        SAME if pair == SAME else tuple(registry.as_int(v) for v in pair)
        for pair in value
    )
    if any(p != SAME and (len(p) != 2 or min(p) < 0) for p in pairs):
        raise ValueError("expected (low, high) pairs of non-negative integers.")
    return pairs  # type: ignore[return-value]


def same_pair(size: int, window: int, stride: int, dilation: int) -> tuple[int, int]:
    """Keras's (and TensorFlow's) ``"same"`` padding of one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (window - 1) * dilation + 1 - size, 0)
    return (total // 2, total - total // 2)


def resolve_same(spatial: Sequence[Dim], window: Sequence[int], attrs: Any) -> Any:
    """The padding with every ``"same"`` axis of known size made explicit."""
    pairs = []
    for size, k, s, d, pad in zip(
        spatial,
        window,
        attrs["strides"],
        attrs["dilation"],
        attrs["padding"],
        strict=True,
    ):
        pairs.append(same_pair(size, k, s, d) if pad == SAME and size else pad)
    return tuple(pairs)


def output_size(
    op: str, axis: int, size: Dim, window: int, stride: int, pads: tuple, dilation: int
) -> Dim:
    """The number of window positions along one spatial axis.

    Raises:
        ShapeError: when the window (dilated) is larger than the padded input.
    """
    if size is None:
        return None
    if pads == SAME:
        return -(-size // stride)
    span = (window - 1) * dilation + 1
    padded = size + pads[0] + pads[1]
    if padded < span:
        raise errors.ShapeError(
            f"{op}: the window is larger than the padded input along spatial axis "
            f"{axis}: a window of {window} with dilation {dilation} spans {span}, "
            f"the input of size {size} padded by {pads} has {padded}. Received: "
            f"size={size}, window={window}, padding={pads}, dilation={dilation}"
        )
    return (padded - span) // stride + 1


def output_spatial(
    op: str,
    spatial: Sequence[Dim],
    window: Sequence[int],
    strides: Sequence[int],
    padding: Pairs,
    dilation: Sequence[int],
) -> tuple[Dim, ...]:
    """The output's spatial shape (``None`` where the input's is unknown)."""
    return tuple(
        output_size(op, axis, *values)
        for axis, values in enumerate(
            zip(spatial, window, strides, padding, dilation, strict=True)
        )
    )


def explicit_padding(
    padding: Any,
    spatial: Sequence[Dim],
    window: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
) -> Pairs:
    """Turns Keras's padding mode into ``(low, high)`` pairs per spatial axis.

    ``"valid"`` pads nothing. ``"same"`` pads so that the output has
    ``ceil(size / stride)`` positions, as TensorFlow and Keras do: the total
    is ``max((out - 1) * stride + (window - 1) * dilation + 1 - size, 0)``,
    ``total // 2`` before and the rest (one more when odd) after.
    ``"causal"`` pads ``(window - 1) * dilation`` before only. Explicit pairs
    pass through.

    Args:
        padding: ``"valid"``, ``"same"``, ``"causal"`` or pairs.
        spatial: the input's spatial sizes.
        window: the window (kernel or pool) sizes.
        strides: the strides.
        dilation: the dilation rates.

    Returns:
        One ``(low, high)`` pair per spatial axis.

    Raises:
        ValueError: for an unknown mode, or ``"same"`` with an unknown size.

    Example:

    >>> explicit_padding("same", (5, 6), (3, 3), (2, 2), (1, 1))
    ((1, 1), (0, 1))
    """
    if not isinstance(padding, str):
        return as_padding(padding)
    mode = padding.lower()
    if mode == "valid":
        return tuple((0, 0) for _ in window)
    if mode == "causal":
        return tuple(((k - 1) * d, 0) for k, d in zip(window, dilation, strict=True))
    if mode != "same":
        raise ValueError(
            f"The `padding` argument must be one of {PADDINGS} or explicit (low, "
            f"high) pairs. Received: padding={padding!r}"
        )
    pairs: list[Any] = []
    for size, k, s, d in zip(spatial, window, strides, dilation, strict=True):
        if size is None and s == 1:
            # Stride 1: the padding does not depend on the size.
            pairs.append(same_pair(k, k, 1, d))
        elif size is None:
            pairs.append(SAME)
        else:
            pairs.append(same_pair(size, k, s, d))
    return tuple(pairs)


def normalize_tuple(value: Any, rank: int, name: str) -> tuple[int, ...]:
    """An int or ``rank`` ints as a tuple of positive ints.

    Raises:
        ValueError: naming the argument when a value is not a positive int.
    """
    values = (value,) * rank if isinstance(value, int | np.integer) else value
    try:
        result = tuple(values)
    except TypeError:
        result = ()
    good = len(result) == rank and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v > 0
        for v in result
    )
    if not good:
        raise ValueError(
            f"The `{name}` argument must be a positive integer or a tuple of "
            f"{rank} positive integers. Received: {name}={value!r}"
        )
    return tuple(int(v) for v in result)


def _check_lengths(op: str, attrs: Any, rank: int, names: Sequence[str]) -> None:
    for name in names:
        if len(attrs[name]) != rank:
            raise errors.ShapeError(
                f"{op}: {name} needs one entry per spatial axis ({rank}). "
                f"Received: {name}={attrs[name]}"
            )


def _check_floats(op: str, *types: TensorType) -> None:
    first = types[0]
    if not dtypes.is_float(first.dtype) or any(t.dtype != first.dtype for t in types):
        raise errors.DTypeError(
            f"{op}: operands must share a float dtype. Received: "
            f"{', '.join(str(t) for t in types)}"
        )


def _same_dim(op: str, what: str, a: Dim, b: Dim, types: Sequence[TensorType]) -> None:
    if a is not None and b is not None and a != b:
        raise errors.ShapeError(
            f"{op}: {what} differ ({a} and {b}). Received: "
            f"{', '.join(str(t) for t in types)}"
        )


# -- NumPy reference -----------------------------------------------------------


def padded_input(x: np.ndarray, padding: Pairs, value: float = 0.0) -> np.ndarray:
    """Pads the spatial axes of a channels-last array."""
    widths = ((0, 0), *padding, (0, 0))
    return np.pad(x, widths, constant_values=value)


def window_slices(
    window: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    out_spatial: Sequence[int],
) -> list[tuple[tuple[int, ...], tuple[slice, ...]]]:
    """For each window offset (row-major), the index of the padded input's
    elements it meets at every output position: ``xpad[index]`` has shape
    ``(batch, *out_spatial, channels)``."""
    result = []
    for offset in itertools.product(*(range(k) for k in window)):
        spatial = tuple(
            slice(k * d, k * d + (o - 1) * s + 1, s)
            for k, d, o, s in zip(offset, dilation, out_spatial, strides, strict=True)
        )
        result.append((offset, (slice(None), *spatial, slice(None))))
    return result


def _conv_reference(arrays: Any, attrs: Any) -> np.ndarray:
    x, w = arrays[:2]
    rank = w.ndim - 2
    window = w.shape[:rank]
    attrs = {**attrs, "padding": resolve_same(x.shape[1:-1], window, attrs)}
    out_spatial = output_spatial(
        "conv",
        x.shape[1:-1],
        window,
        attrs["strides"],
        attrs["padding"],
        attrs["dilation"],
    )
    xp = padded_input(x, attrs["padding"])
    groups = attrs.get("groups", 1)
    out = np.zeros((x.shape[0] * math.prod(out_spatial), w.shape[-1]), dtype=x.dtype)
    for offset, index in window_slices(
        window, attrs["strides"], attrs["dilation"], out_spatial
    ):
        if groups == 1:
            out += _rows(xp[index]) @ w[offset]
        else:
            out += _grouped_product(_rows(xp[index]), w[offset], groups)
    if len(arrays) == 3:
        out += arrays[2]
    return out.reshape((x.shape[0], *out_spatial, w.shape[-1]))


def _by_group(matrix: np.ndarray, groups: int) -> np.ndarray:
    """A ``(rows, groups * width)`` matrix as ``(groups, rows, width)``."""
    rows = matrix.shape[0]
    return matrix.reshape(rows, groups, -1).transpose(1, 0, 2)


def _grouped_product(patch: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """``(positions, groups * cin)`` rows times a grouped kernel slice ``(cin,
    groups * cout)``: group ``g``'s input channels meet only its own output
    channels. Returns ``(positions, groups * cout)``."""
    kernel = _by_group(w, groups)  # (groups, cin, cout)
    product = _by_group(patch, groups) @ kernel  # (groups, positions, cout)
    return product.transpose(1, 0, 2).reshape(patch.shape[0], -1)


def _rows(patch: np.ndarray) -> np.ndarray:
    """A ``(..., channels)`` array as a contiguous ``(positions, channels)``
    matrix (so the products run in BLAS)."""
    return np.ascontiguousarray(patch).reshape(-1, patch.shape[-1])


def _kernel_grad_reference(arrays: Any, attrs: Any) -> np.ndarray:
    x, g = arrays
    window = attrs["kernel_size"]
    out_spatial = g.shape[1:-1]
    xp = padded_input(x, attrs["padding"])
    groups = attrs.get("groups", 1)
    dw = np.zeros((*window, x.shape[-1] // groups, g.shape[-1]), dtype=x.dtype)
    g_rows = _rows(g)
    g_groups = _by_group(g_rows, groups)
    for offset, index in window_slices(
        window, attrs["strides"], attrs["dilation"], out_spatial
    ):
        if groups == 1:
            dw[offset] = _rows(xp[index]).T @ g_rows
        else:
            # (groups, cin, cout) -> (cin, groups * cout)
            block = _by_group(_rows(xp[index]), groups).transpose(0, 2, 1) @ g_groups
            dw[offset] = block.transpose(1, 0, 2).reshape(block.shape[1], -1)
    return dw


# -- shape rules ---------------------------------------------------------------


def _conv_infer(types: Any, attrs: Any) -> TensorType:
    if len(types) not in (2, 3):
        raise errors.GraphError(
            f"conv: expected an input, a kernel and optionally a bias. Received: "
            f"{len(types)} operands"
        )
    x, w = types[:2]
    _check_floats("conv", *types)
    rank = w.rank - 2
    if rank < 1 or x.rank != rank + 2:
        raise errors.ShapeError(
            f"conv: a kernel (*window, in_channels, out_channels) of rank {w.rank} "
            f"needs an input (batch, *spatial, channels) of rank {w.rank}. "
            f"Received: input {x}, kernel {w}"
        )
    _check_lengths("conv", attrs, rank, ("strides", "padding", "dilation"))
    _check_groups(x.shape[-1], w.shape[-2], w.shape[-1], attrs["groups"], types)
    if len(types) == 3:
        bias = types[2]
        if bias.rank != 1:
            raise errors.ShapeError(
                f"conv: the bias must be a vector (out_channels,). Received: {bias}"
            )
        _same_dim("conv", "output channels", w.shape[-1], bias.shape[0], types)
    window = static_shape("conv kernel", w.shape[:rank])
    spatial = output_spatial(
        "conv",
        x.shape[1:-1],
        window,
        attrs["strides"],
        attrs["padding"],
        attrs["dilation"],
    )
    return TensorType((x.shape[0], *spatial, w.shape[-1]), x.dtype)


def _check_groups(
    c_in: Dim, group_in: Dim, c_out: Dim, groups: int, types: Sequence[TensorType]
) -> None:
    """Input channels must be ``groups`` times the kernel's, and output
    channels a multiple of ``groups``."""
    shown = ", ".join(str(t) for t in types)
    if c_in is not None and group_in is not None and c_in != groups * group_in:
        raise errors.ShapeError(
            f"conv: the input has {c_in} channels, but the kernel takes {group_in} "
            f"per group and there are {groups} group(s) ({groups * group_in} in "
            f"all). Received: {shown}"
        )
    if c_out is not None and c_out % groups:
        raise errors.ShapeError(
            f"conv: the {c_out} output channels do not divide into {groups} "
            f"groups. Received: {shown}"
        )


def _kernel_grad_infer(types: Any, attrs: Any) -> TensorType:
    x, g = types
    _check_floats("conv_kernel_grad", x, g)
    window = attrs["kernel_size"]
    rank = len(window)
    if x.rank != rank + 2 or g.rank != rank + 2:
        raise errors.ShapeError(
            f"conv_kernel_grad: a {rank}-D window needs an input and a cotangent "
            f"of rank {rank + 2}. Received: input {x}, cotangent {g}"
        )
    _check_lengths("conv_kernel_grad", attrs, rank, ("strides", "padding", "dilation"))
    _same_dim("conv_kernel_grad", "batch sizes", x.shape[0], g.shape[0], types)
    spatial = output_spatial(
        "conv_kernel_grad",
        x.shape[1:-1],
        window,
        attrs["strides"],
        attrs["padding"],
        attrs["dilation"],
    )
    for axis, (want, have) in enumerate(zip(spatial, g.shape[1:-1], strict=True)):
        _same_dim(
            "conv_kernel_grad",
            f"output sizes along spatial axis {axis}",
            want,
            have,
            types,
        )
    groups = attrs["groups"]
    for what, dim in (("input", x.shape[-1]), ("cotangent", g.shape[-1])):
        if dim is not None and dim % groups:
            raise errors.ShapeError(
                f"conv_kernel_grad: the {what}'s {dim} channels do not divide into "
                f"{groups} groups. Received: input {x}, cotangent {g}"
            )
    c_in = None if x.shape[-1] is None else x.shape[-1] // groups
    return TensorType((*window, c_in, g.shape[-1]), x.dtype)


def _conv_specialize(types: Any, attrs: Any) -> dict[str, Any]:
    """``"same"`` padding made explicit once the sizes are known."""
    x, w = types[:2]
    window = w.shape[: w.rank - 2]
    return {**attrs, "padding": resolve_same(x.shape[1:-1], window, attrs)}


# -- gradients -----------------------------------------------------------------


def _geometry(attrs: Any) -> dict[str, Any]:
    keys = ("strides", "padding", "dilation", "groups")
    return {key: attrs[key] for key in keys if key in attrs}


def transposed_window(
    g: Any,
    input_shape: Sequence[Dim],
    spans: Sequence[int],
    strides: Sequence[int],
    padding: Pairs,
) -> tuple[Any, Pairs]:
    """Prepares a cotangent for the transpose of a strided window op.

    Input element ``i`` of a window op is met by output ``o`` at window
    offset ``k`` when ``o * s + k * d - low = i``. Dilating the cotangent by
    the strides (``s - 1`` zeros between elements) and padding it by
    ``span - 1 - low`` before and ``size + low - (out - 1) * s - 1`` after
    turns that into a stride-1 window op over it whose output has the
    input's size (``span = (window - 1) * d + 1``). Negative paddings crop.

    Args:
        g: the cotangent ``(batch, *out_spatial, channels)``.
        input_shape: the window op's input shape (spatial sizes static).
        spans: the dilated window sizes.
        strides: the window op's strides.
        padding: its ``(low, high)`` padding.

    Returns:
        The dilated, cropped cotangent and the padding for the stride-1 op.
    """
    from kgraph import ops

    rank = len(strides)
    spatial = static_shape("window gradient", input_shape[1:-1])
    out_spatial = static_shape("window gradient", g.shape[1:-1])
    if any(s > 1 for s in strides):
        zeros = [0] * (rank + 2)
        g = ops.pad_general(g, zeros, zeros, [0, *(s - 1 for s in strides), 0])
    pairs, starts, stops = [], [None], [None]
    for size, span, s, (low, _), out in zip(
        spatial, spans, strides, padding, out_spatial, strict=True
    ):
        before = span - 1 - low
        after = size + low - (out - 1) * s - 1
        starts.append(-before if before < 0 else None)
        stops.append(after if after < 0 else None)
        pairs.append((max(before, 0), max(after, 0)))
    if any(v is not None for v in (*starts, *stops)):
        g = ops.strided_slice(g, [*starts, None], [*stops, None], [1] * (rank + 2))
    return g, tuple(pairs)


def conv_input_grad(g: Any, w: Any, input_shape: Sequence[Dim], attrs: Any) -> Any:
    """The gradient of ``conv`` with respect to its input, as a convolution.

    ``dx[n, i, ci] = sum of g[n, o, co] * w[k, ci, co]`` over the ``(o, k)``
    with ``o * s + k * d - low = i``: the cotangent dilated by the strides
    and padded (``transposed_window``), convolved at stride 1 and dilation
    ``d`` with the kernel flipped in space, its channel axes swapped.

    Args:
        g: the cotangent ``(batch, *out_spatial, out_channels)``.
        w: the kernel ``(*window, in_channels, out_channels)``.
        input_shape: the input's shape (spatial sizes static).
        attrs: the convolution's ``strides``, ``padding`` and ``dilation``.

    Returns:
        The input's cotangent ``(batch, *spatial, in_channels)``.
    """

    rank = len(attrs["strides"])
    window = static_shape("conv gradient", w.shape[:rank])
    dilation = attrs["dilation"]
    spans = [(k - 1) * d + 1 for k, d in zip(window, dilation, strict=True)]
    g, pairs = transposed_window(
        g, input_shape, spans, attrs["strides"], attrs["padding"]
    )
    groups = attrs.get("groups", 1)
    geometry = {
        "strides": (1,) * rank,
        "padding": pairs,
        "dilation": dilation,
        "groups": groups,
    }
    return apply("conv", [g, transposed_kernel(w, groups)], geometry)


def transposed_kernel(w: Any, groups: int = 1) -> Any:
    """A kernel flipped in space with its channel axes swapped within each
    group: ``(*window, cin, groups * cout)`` becomes ``(*window, cout,
    groups * cin)``, so that convolving with it sends output channels back to
    input channels (the transpose of the convolution, up to the window's
    placement).

    Args:
        w: the kernel ``(*window, cin, groups * cout)`` (static shape).
        groups: the number of groups.

    Returns:
        The kernel of the transposed convolution.
    """
    from kgraph import ops

    rank = w.ndim - 2
    flipped = ops.strided_slice(
        w, [None] * (rank + 2), [None] * (rank + 2), [-1] * rank + [1, 1]
    )
    if groups == 1:
        return ops.transpose(flipped, (*range(rank), rank + 1, rank))
    window = static_shape("conv gradient", w.shape[:rank])
    c_in, c_out = w.shape[-2], w.shape[-1] // groups
    split = ops.reshape(flipped, (*window, c_in, groups, c_out))
    swapped = ops.transpose(split, (*range(rank), rank + 2, rank + 1, rank))
    return ops.reshape(swapped, (*window, c_out, groups * c_in))


def _conv_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    x, w = inputs[:2]
    rank = w.ndim - 2
    grad_x = conv_input_grad(cotangent, w, x.shape, attrs)
    kernel_attrs = {**_geometry(attrs), "kernel_size": tuple(w.shape[:rank])}
    grad_w = apply("conv_kernel_grad", [x, cotangent], kernel_attrs)
    if len(inputs) == 2:
        return [grad_x, grad_w]
    return [grad_x, grad_w, bias_grad(cotangent)]


def bias_grad(g: Any) -> Any:
    """The gradient of a bias added to every position: the column sums of
    the cotangent as a ``(positions, channels)`` matrix, computed as
    ``ones(1, positions) @ g`` (a GEMM streams it with vector FMAs, where a
    ``sum`` over the positions would add one element at a time)."""
    from kgraph import ops

    dims = static_shape("conv bias gradient", g.shape)
    rows = math.prod(dims[:-1])
    ones = ops.broadcast_to(np.ones((1, 1), dtype=g.dtype), (1, rows))
    total = matmul_t(ones, ops.reshape(g, (rows, dims[-1])), False, False)
    return ops.reshape(total, (dims[-1],))


def _kernel_grad_grad(inputs: Any, output: Any, cotangent: Any, attrs: Any) -> list:
    # conv_kernel_grad is bilinear: <H, dW(x, g)> = <g, conv(x, H)> and
    # = <x, conv_input_grad(g, H)>.
    x, g = inputs
    grad_x = conv_input_grad(g, cotangent, x.shape, attrs)
    grad_g = apply("conv", [x, cotangent], _geometry(attrs))
    return [grad_x, grad_g]


# -- examples for the property tests -------------------------------------------


def draw_geometry(draw: Any, max_rank: int = 2) -> dict[str, Any]:
    """Draws a window geometry and an input spatial shape that fits it."""
    rank = draw.integer(1, max_rank)
    window = tuple(draw.integer(1, 3) for _ in range(rank))
    strides = tuple(draw.integer(1, 2) for _ in range(rank))
    dilation = tuple(draw.integer(1, 2) for _ in range(rank))
    padding = tuple((draw.integer(0, 2), draw.integer(0, 2)) for _ in range(rank))
    spatial = []
    for k, d, (low, high) in zip(window, dilation, padding, strict=True):
        span = (k - 1) * d + 1
        spatial.append(max(draw.integer(1, 5), span - low - high, 1))
    return {
        "window": window,
        "strides": strides,
        "dilation": dilation,
        "padding": padding,
        "spatial": tuple(spatial),
    }


def _draw_channels(draw: Any) -> tuple[int, int, int]:
    """Input channels, output channels and groups (half the draws are
    grouped convolutions, depthwise ones when a group has one channel)."""
    groups = draw.choice((1, 1, 2, 3))
    if groups == 1:
        return draw.integer(1, 3), draw.integer(1, 3), 1
    return groups * draw.integer(1, 2), groups * draw.integer(1, 2), groups


def _conv_example(draw: Any) -> registry.Example:
    geo = draw_geometry(draw)
    batch = draw.integer(1, 2)
    c_in, c_out, groups = _draw_channels(draw)
    inputs = [
        ((batch, *geo["spatial"], c_in), "float", "real"),
        ((*geo["window"], c_in // groups, c_out), "float", "real"),
    ]
    if draw.boolean():
        inputs.append(((c_out,), "float", "real"))
    attrs = {k: geo[k] for k in ("strides", "padding", "dilation")}
    return registry.Example(inputs, {**attrs, "groups": groups})


def _kernel_grad_example(draw: Any) -> registry.Example:
    geo = draw_geometry(draw)
    batch = draw.integer(1, 2)
    c_in, c_out, groups = _draw_channels(draw)
    out = output_spatial(
        "conv_kernel_grad",
        geo["spatial"],
        geo["window"],
        geo["strides"],
        geo["padding"],
        geo["dilation"],
    )
    return registry.Example(
        [
            ((batch, *geo["spatial"], c_in), "float", "real"),
            ((batch, *out, c_out), "float", "real"),
        ],
        {
            "kernel_size": geo["window"],
            **{k: geo[k] for k in ("strides", "padding", "dilation")},
            "groups": groups,
        },
    )


# -- LLVM: the direct loop nests -----------------------------------------------


def input_position(
    em: Any,
    outs: Sequence[Any],
    offsets: Sequence[Any],
    spatial: Sequence[int],
    strides: Sequence[int],
    padding: Pairs,
    dilation: Sequence[int],
) -> tuple[list[Any], Any]:
    """The input coordinates ``o * s - low + k * d`` of output position
    ``outs`` and window offset ``offsets`` (``i64`` values), and an ``i1``
    that is true when all lie inside the input."""
    builder = em.builder
    coords, inside = [], lowering.I1(1)
    for o, k, size, s, (low, _), d in zip(
        outs, offsets, spatial, strides, padding, dilation, strict=True
    ):
        coord = builder.sub(
            builder.add(builder.mul(o, em.index(s)), builder.mul(k, em.index(d))),
            em.index(low),
        )
        coords.append(coord)
        fits = builder.and_(
            builder.icmp_signed(">=", coord, em.index(0)),
            builder.icmp_signed("<", coord, em.index(size)),
        )
        inside = builder.and_(inside, fits)
    return coords, inside


def _lower_conv(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    if attrs["groups"] > 1:
        _lower_grouped_conv(em, inputs, output, attrs)
        return
    x, w = inputs[:2]
    rank = len(attrs["strides"])
    window, c_in = w.shape[:rank], x.shape[-1]
    builder = em.builder
    x_steps, w_steps = lowering.strides(x.shape), lowering.strides(w.shape)
    out_steps = lowering.strides(output.shape)
    with em.loops(output.shape, "o") as index:
        n, outs, co = index[0], index[1:-1], index[-1]
        if len(inputs) == 3:
            start = em.load(inputs[2], co)
        else:
            start = em.const(0, output.dtype)
        total = em.variable(output.dtype, start)
        with em.loops(window, "k") as offsets:
            coords, inside = input_position(
                em,
                outs,
                offsets,
                x.shape[1:-1],
                attrs["strides"],
                attrs["padding"],
                attrs["dilation"],
            )
            with builder.if_then(inside), em.loop(c_in, "c") as ci:
                value = em.load(x, em.flat_index([n, *coords, ci], x_steps))
                weight = em.load(w, em.flat_index([*offsets, ci, co], w_steps))
                kind = value.type
                product = builder.fmul(value, weight)
                builder.store(builder.fadd(em.read(total, kind), product), total)
        result = em.read(total, lowering.register_type(output.dtype))
        em.store(output, em.flat_index(index, out_steps), result)


def _lower_kernel_grad(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    if attrs["groups"] > 1:
        _lower_grouped_kernel_grad(em, inputs, output, attrs)
        return
    x, g = inputs
    rank = len(attrs["strides"])
    builder = em.builder
    x_steps, g_steps = lowering.strides(x.shape), lowering.strides(g.shape)
    out_steps = lowering.strides(output.shape)
    kind = lowering.register_type(output.dtype)
    with em.loops(output.shape, "w") as index:
        offsets, ci, co = index[:rank], index[rank], index[rank + 1]
        total = em.variable(output.dtype, em.const(0, output.dtype))
        with em.loops(g.shape[:-1], "p") as position:
            n, outs = position[0], position[1:]
            coords, inside = input_position(
                em,
                outs,
                offsets,
                x.shape[1:-1],
                attrs["strides"],
                attrs["padding"],
                attrs["dilation"],
            )
            with builder.if_then(inside):
                value = em.load(x, em.flat_index([n, *coords, ci], x_steps))
                grad = em.load(g, em.flat_index([*position, co], g_steps))
                product = builder.fmul(value, grad)
                builder.store(builder.fadd(em.read(total, kind), product), total)
        em.store(output, em.flat_index(index, out_steps), em.read(total, kind))


# -- LLVM: grouped convolutions ------------------------------------------------
#
# Window offset outside, output channels inside: each (position, offset)
# checks the padding once, then runs over the output channels, whose
# elements (and, depthwise, the input's) are contiguous, so the inner loop
# vectorizes. The output accumulates in memory (a kernel gradient is small).


def _grouped_channels(
    em: Any, co: Any, group_out: int, group_in: int, x_base: Any
) -> Any:
    """The flat index of the first input channel of ``co``'s group."""
    builder = em.builder
    group = builder.sdiv(co, em.index(group_out))
    return builder.add(x_base, builder.mul(group, em.index(group_in)))


def _fill_row(em: Any, output: Any, base: Any, bias: Any = None) -> None:
    """Zeros one output position's channels, or sets them to the bias."""
    with em.loop(output.shape[-1], "c") as c:
        value = em.const(0, output.dtype) if bias is None else em.load(bias, c)
        em.store(output, em.builder.add(base, c), value)


def _accumulate(em: Any, buffer: Any, flat: Any, product: Any) -> None:
    em.store(buffer, flat, em.builder.fadd(em.load(buffer, flat), product))


def _lower_grouped_conv(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    # A shared kernel splits the output positions among the threads; each
    # position is computed the same way whoever computes it.
    x, w = inputs[:2]
    rank = len(attrs["strides"])
    window, group_in, c_out = w.shape[:rank], w.shape[-2], w.shape[-1]
    group_out = c_out // attrs["groups"]
    builder = em.builder
    x_steps, w_steps = lowering.strides(x.shape), lowering.strides(w.shape)
    positions = output.shape[:-1]
    start, stop = em.share(math.prod(positions))
    with em.loop(stop, "o", start) as row:
        n, *outs = em.unflatten(row, positions[1:])
        out_base = builder.mul(row, em.index(c_out))
        _fill_row(em, output, out_base, inputs[2] if len(inputs) == 3 else None)
        with em.loops(window, "k") as offsets:
            coords, inside = input_position(
                em,
                outs,
                offsets,
                x.shape[1:-1],
                attrs["strides"],
                attrs["padding"],
                attrs["dilation"],
            )
            with builder.if_then(inside):
                x_base = em.flat_index([n, *coords, em.index(0)], x_steps)
                w_base = em.flat_index([*offsets, em.index(0), em.index(0)], w_steps)
                with em.loop(c_out, "co") as co:
                    first = _grouped_channels(em, co, group_out, group_in, x_base)
                    target = builder.add(out_base, co)
                    with em.loop(group_in, "ci") as ci:
                        value = em.load(x, builder.add(first, ci))
                        at = builder.add(builder.mul(ci, em.index(c_out)), co)
                        weight = em.load(w, builder.add(w_base, at))
                        _accumulate(em, output, target, builder.fmul(value, weight))


def _lower_grouped_kernel_grad(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    # A shared kernel splits the output channels among the threads (whole
    # vectors of them); each sums over every position in the same order.
    x, g = inputs
    group_in, c_out = output.shape[-2], output.shape[-1]
    group_out = c_out // attrs["groups"]
    builder = em.builder
    x_steps, g_steps = lowering.strides(x.shape), lowering.strides(g.shape)
    w_steps = lowering.strides(output.shape)
    first_co, stop_co = em.share(c_out, 16)
    with em.loop(output.size // c_out, "r") as row:
        base = builder.mul(row, em.index(c_out))
        with em.loop(stop_co, "c", first_co) as c:
            em.store(output, builder.add(base, c), em.const(0, output.dtype))
    with (
        em.loops(g.shape[:-1], "p") as position,
        em.loops(attrs["kernel_size"], "k") as offsets,
    ):
        n, outs = position[0], position[1:]
        coords, inside = input_position(
            em,
            outs,
            offsets,
            x.shape[1:-1],
            attrs["strides"],
            attrs["padding"],
            attrs["dilation"],
        )
        with builder.if_then(inside):
            x_base = em.flat_index([n, *coords, em.index(0)], x_steps)
            g_base = em.flat_index([*position, em.index(0)], g_steps)
            w_base = em.flat_index([*offsets, em.index(0), em.index(0)], w_steps)
            with em.loop(stop_co, "co", first_co) as co:
                first = _grouped_channels(em, co, group_out, group_in, x_base)
                grad = em.load(g, builder.add(g_base, co))
                with em.loop(group_in, "ci") as ci:
                    value = em.load(x, builder.add(first, ci))
                    at = builder.add(builder.mul(ci, em.index(c_out)), co)
                    target = builder.add(w_base, at)
                    _accumulate(em, output, target, builder.fmul(value, grad))


def as_positive_int(value: Any) -> int:
    """Converts a positive int."""
    result = registry.as_int(value)
    if result < 1:
        raise ValueError("expected a positive integer.")
    return result


_GEOMETRY_ATTRS = {
    "strides": registry.Attr(as_positive_tuple),
    "padding": registry.Attr(as_padding),
    "dilation": registry.Attr(as_positive_tuple),
    # Grouped convolution: input and output channels split into this many
    # groups, each convolved on its own (depthwise: one input channel each).
    "groups": registry.Attr(as_positive_int, default=1),
}

registry.register(
    registry.OpDef(
        name="conv",
        kind=registry.CONV,
        arity=None,
        infer=_conv_infer,
        reference=_conv_reference,
        grad=_conv_grad,
        example=_conv_example,
        doc="Channels-last convolution with explicit padding, strides and "
        "dilation; the kernel is (*window, in_channels, out_channels), and an "
        "optional third operand is a bias (out_channels,).",
        lower=_lower_conv,
        attrs=_GEOMETRY_ATTRS,
        specialize=_conv_specialize,
    )
)

registry.register(
    registry.OpDef(
        name="conv_kernel_grad",
        kind=registry.CONV,
        arity=2,
        infer=_kernel_grad_infer,
        reference=_kernel_grad_reference,
        grad=_kernel_grad_grad,
        example=_kernel_grad_example,
        doc="The gradient of conv with respect to its kernel, from the input "
        "and the output's cotangent.",
        lower=_lower_kernel_grad,
        attrs={
            "kernel_size": registry.Attr(as_positive_tuple),
            **_GEOMETRY_ATTRS,
        },
    )
)


# -- public functions ----------------------------------------------------------


def _float_operands(*operands: Any) -> list[Any]:
    from kgraph import ops

    return ops.promote(*(ops.as_tensor(x) for x in operands), floating=True)


def conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: Any = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
    bias: Any = None,
) -> Any:
    """A channels-last convolution (Keras's ``ops.conv``).

    A kernel taking fewer input channels than the input has makes a
    grouped convolution, as in Keras: with ``groups = in_channels //
    kernel_in_channels``, output channel ``co`` sums over the input channels
    of group ``co // (out_channels // groups)`` only.

    Args:
        inputs: ``(batch, *spatial, in_channels)``.
        kernel: ``(*window, in_channels // groups, out_channels)``.
        strides: an int or one per spatial axis.
        padding: ``"valid"``, ``"same"`` (Keras's arithmetic), or kgraph's
            explicit ``((low, high), ...)`` per spatial axis.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: an int or one per spatial axis.
        bias: kgraph's own: an optional ``(out_channels,)`` vector added to
            every output position inside the convolution (the native kernel
            adds it as the products are stored, and its gradient is one
            GEMM), what ``Conv1D`` and ``Conv2D`` use.

    Returns:
        ``(batch, *out_spatial, out_channels)``.

    Raises:
        ValueError: for another data format, bad strides or dilation rates,
            or a kernel larger than the padded input.

    Example:

    >>> x = np.arange(5.0, dtype="float32").reshape(1, 5, 1)
    >>> conv(x, np.ones((3, 1, 1), "float32"))[0, :, 0].numpy()
    array([3., 6., 9.], dtype=float32)
    >>> conv(x, np.ones((3, 1, 1), "float32"), padding="same")[0, :, 0].numpy()
    array([1., 3., 6., 9., 7.], dtype=float32)
    >>> bias = np.array([10.0], "float32")
    >>> conv(x, np.ones((3, 1, 1), "float32"), bias=bias)[0, :, 0].numpy()
    array([13., 16., 19.], dtype=float32)
    """
    check_channels_last(data_format, "conv")
    operands = _float_operands(inputs, kernel, *([] if bias is None else [bias]))
    inputs, kernel = operands[:2]
    rank = kernel.ndim - 2
    if rank < 1:
        raise errors.ShapeError(
            "conv: the kernel must be (*window, in_channels, out_channels). "
            f"Received: kernel shape {kernel.shape}"
        )
    strides = normalize_tuple(strides, rank, "strides")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate")
    window = static_shape("conv kernel", kernel.shape[:rank])
    pairs = explicit_padding(padding, inputs.shape[1:-1], window, strides, dilation)
    attrs = {
        "strides": strides,
        "padding": pairs,
        "dilation": dilation,
        "groups": infer_groups(inputs.shape[-1], kernel.shape[-2], "conv"),
    }
    return apply("conv", operands, attrs)


def infer_groups(channels: Dim, kernel_channels: Dim, where: str) -> int:
    """The number of groups of a convolution, as Keras infers it: the
    input's channels over the kernel's input channels.

    Raises:
        ShapeError: when the kernel's do not divide the input's.
    """
    if channels is None or kernel_channels is None or channels == kernel_channels:
        return 1
    if kernel_channels < 1 or channels % kernel_channels:
        raise errors.ShapeError(
            f"{where}: input channels differ ({channels} and {kernel_channels}): "
            "the input's channels must be a multiple of the kernel's input "
            "channels (their ratio is the number of groups). Received: "
            f"{channels} input channels and a kernel taking {kernel_channels}"
        )
    return channels // kernel_channels


def conv_kernel_grad(
    inputs: Any,
    cotangent: Any,
    kernel_size: Any,
    strides: Any = 1,
    padding: Any = "valid",
    dilation_rate: Any = 1,
    groups: int = 1,
) -> Any:
    """The gradient of ``conv`` with respect to its kernel.

    ``dw[k, ci, co] = sum over n, o of xpad[n, o * s + k * d, ci] *
    cotangent[n, o, co]``.

    Args:
        inputs: the convolution's input ``(batch, *spatial, in_channels)``.
        cotangent: the output's cotangent ``(batch, *out_spatial,
            out_channels)``.
        kernel_size: the window, one int per spatial axis.
        strides: the convolution's strides.
        padding: its padding (as ``conv`` takes it).
        dilation_rate: its dilation rates.
        groups: its number of groups (each output channel's group sums over
            the input channels of that group only).

    Returns:
        ``(*kernel_size, in_channels // groups, out_channels)``.

    Example:

    >>> x = np.arange(4.0, dtype="float32").reshape(1, 4, 1)
    >>> conv_kernel_grad(x, np.ones((1, 3, 1), "float32"), 2)[:, 0, 0].numpy()
    array([3., 6.], dtype=float32)
    """
    inputs, cotangent = _float_operands(inputs, cotangent)
    rank = inputs.ndim - 2
    window = normalize_tuple(kernel_size, rank, "kernel_size")
    strides = normalize_tuple(strides, rank, "strides")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate")
    pairs = explicit_padding(padding, inputs.shape[1:-1], window, strides, dilation)
    attrs = {
        "kernel_size": window,
        "strides": strides,
        "padding": pairs,
        "dilation": dilation,
        "groups": groups,
    }
    return apply("conv_kernel_grad", [inputs, cotangent], attrs)


def check_channels_last(data_format: str | None, where: str) -> None:
    """Raises ``ValueError`` unless ``data_format`` is ``None`` or
    ``"channels_last"`` (the only layout kgraph's convolutions take)."""
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{where} supports only data_format='channels_last' (or None). "
            f"Received: data_format={data_format!r}"
        )

"""Transposed, depthwise and separable convolutions, composed from ``conv``.

- ``conv_transpose``: by definition, the input dilated by the strides
  (``pad``'s interior padding), then a stride-1 ``conv`` with the kernel
  flipped in space and its channel axes swapped, padded as Keras computes
  it from ``padding`` and ``output_padding`` (the same arithmetic as JAX's
  and TensorFlow's). With strides, it is computed without the dilation's
  zeros: one stride-1 ``conv`` per phase of the output (the kernel's taps
  ``r, r + s, ...``), interleaved by ``stack`` and ``reshape``, then
  cropped (``_by_phases``); the dilated form remains for an axis with both
  a stride and a dilation. Gradients are those of the ops composed.
- ``depthwise_conv``: a grouped ``conv`` with one group per input channel;
  the kernel ``(*window, channels, multiplier)`` read as ``(*window, 1,
  channels * multiplier)``, so output channel ``c * multiplier + m`` is
  input channel ``c`` convolved with ``kernel[..., c, m]``, as in Keras. No
  dense kernel with zeros is ever built: the grouped ``conv`` sums over one
  input channel per output channel.
- ``separable_conv``: ``depthwise_conv`` then a pointwise (window 1)
  ``conv``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from kgraph import errors
from kgraph.ops import history
from kgraph.ops.convolution import check_channels_last
from kgraph.ops.convolution import conv
from kgraph.ops.convolution import normalize_tuple
from kgraph.ops.convolution import transposed_kernel
from kgraph.ops.reduce import static_shape


def transpose_padding(
    window: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """The ``(low, high)`` padding of the stride-dilated input of a transposed
    convolution along one axis, from Keras's arguments.

    With ``span = (window - 1) * dilation + 1``: ``"valid"`` pads ``span -
    1`` on both sides plus ``output_padding`` after (by default
    ``max(span, stride) - span``), for ``(size - 1) * stride + span +
    output_padding`` outputs. ``"same"`` pads ``stride + span - 2`` in all
    (``size * stride`` outputs), or ``span + span % 2 - 2 +
    output_padding`` when ``output_padding`` is given; the low side gets the
    larger half, at most ``span - 1``.

    Args:
        window: the kernel's size along the axis.
        stride: the stride.
        dilation: the dilation rate.
        padding: ``"valid"`` or ``"same"``.
        output_padding: extra outputs at the end, or ``None``.

    Returns:
        ``(low, high)``.

    Example:

    >>> transpose_padding(3, 2, 1, "same", None)
    (2, 1)
    >>> transpose_padding(3, 2, 1, "valid", None)
    (2, 2)
    """
    span = (window - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    low = min(total // 2 + total % 2, span - 1)
    return low, total - low


def transpose_output_size(
    size: int | None,
    window: int,
    stride: int,
    dilation: int,
    padding: str,
    output_padding: int | None,
) -> int | None:
    """The output size of a transposed convolution along one axis (Keras's
    formula): ``(size - 1) * stride + span + output_padding`` for
    ``"valid"``, ``size * stride`` for ``"same"`` without
    ``output_padding``, ``(size - 1) * stride + span % 2 + output_padding``
    with it (``span = (window - 1) * dilation + 1``; ``None`` stays
    ``None``).

    Example:

    >>> transpose_output_size(4, 3, 2, 1, "valid", None)
    9
    """
    if size is None:
        return None
    low, high = transpose_padding(window, stride, dilation, padding, output_padding)
    span = (window - 1) * dilation + 1
    return (size - 1) * stride + 1 + low + high - span + 1


def _padding_mode(padding: Any, where: str) -> str:
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(
            f"{where}: the `padding` argument must be one of ('valid', 'same'). "
            f"Received: padding={padding!r}"
        )
    return mode


def _output_paddings(output_padding: Any, rank: int) -> Sequence[int | None]:
    if output_padding is None:
        return (None,) * rank
    values = (
        (output_padding,) * rank if isinstance(output_padding, int) else output_padding
    )
    values = tuple(int(v) for v in values)
    if len(values) != rank or min(values) < 0:
        raise ValueError(
            f"conv_transpose: `output_padding` must be a non-negative integer or "
            f"{rank} of them. Received: output_padding={output_padding!r}"
        )
    return values


def conv_transpose(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    output_padding: Any = None,
    data_format: str | None = None,
    dilation_rate: Any = 1,
    bias: Any = None,
) -> Any:
    """A transposed convolution, channels last (Keras's ``ops.conv_transpose``).

    The transpose of ``conv`` with the same kernel: each input position
    spreads its values, weighted by the kernel, over a window of the output,
    ``strides`` apart.

    Args:
        inputs: ``(batch, *spatial, in_channels)``.
        kernel: ``(*window, out_channels, in_channels)`` (Keras's layout).
        strides: an int or one per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None``, an int or one per spatial axis: extra
            output positions at the end of each axis (see
            ``transpose_output_size``).
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: an int or one per spatial axis.
        bias: kgraph's own: an optional ``(out_channels,)`` vector added to
            every output position inside the convolution.

    Returns:
        ``(batch, *out_spatial, out_channels)``.

    Raises:
        ValueError: for another data format or padding, bad strides, or a
            kernel whose last axis is not the input's channels.

    Example:

    >>> import numpy as np
    >>> x = np.ones((1, 3, 1), "float32")
    >>> conv_transpose(x, np.ones((2, 1, 1), "float32"), strides=2)[0, :, 0].numpy()
    array([1., 1., 1., 1., 1., 1.], dtype=float32)
    """
    from kgraph import ops

    if history.any_keras([inputs, kernel, bias]):
        arguments = (inputs, kernel, strides, padding, output_padding)
        options = {"data_format": data_format, "dilation_rate": dilation_rate}
        return history.record_function(
            conv_transpose, arguments, {**options, "bias": bias}
        )
    check_channels_last(data_format, "conv_transpose")
    x, w = ops.promote(ops.as_tensor(inputs), ops.as_tensor(kernel), floating=True)
    rank = w.ndim - 2
    if rank < 1 or x.ndim != rank + 2:
        raise errors.ShapeError(
            "conv_transpose: a kernel (*window, out_channels, in_channels) of rank "
            f"{w.ndim} needs an input (batch, *spatial, in_channels) of rank "
            f"{w.ndim}. Received: input shape {tuple(x.shape)}, kernel shape "
            f"{tuple(w.shape)}"
        )
    if x.shape[-1] is not None and x.shape[-1] != w.shape[-1]:
        raise errors.ShapeError(
            f"conv_transpose: the kernel's last axis must be the input's "
            f"{x.shape[-1]} channels. Received: input shape {tuple(x.shape)}, "
            f"kernel shape {tuple(w.shape)}"
        )
    strides = normalize_tuple(strides, rank, "strides")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate")
    mode = _padding_mode(padding, "conv_transpose")
    window = static_shape("conv_transpose kernel", w.shape[:rank])
    extras = _output_paddings(output_padding, rank)
    pairs = tuple(
        transpose_padding(k, s, d, mode, extra)
        for k, s, d, extra in zip(window, strides, dilation, extras, strict=True)
    )
    if any(s > 1 for s in strides):
        spatial = tuple(x.shape[1:-1])
        if None in spatial:
            raise errors.ShapeError(
                "conv_transpose: strides > 1 need the input's spatial sizes to be "
                f"known. Received: input shape {tuple(x.shape)}, strides={strides}"
            )
        phased = all(s == 1 or d == 1 for s, d in zip(strides, dilation, strict=True))
        if phased:
            out = _by_phases(x, w, window, strides, dilation, spatial, pairs)
            return out if bias is None else ops.add(out, bias)
        zeros = [0] * (rank + 2)
        x = ops.pad_general(x, zeros, zeros, [0, *(s - 1 for s in strides), 0])
    return conv(
        x,
        transposed_kernel(w),
        padding=pairs,
        dilation_rate=dilation,
        bias=bias,
    )


def _by_phases(
    x: Any,
    w: Any,
    window: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    spatial: Sequence[int],
    pairs: Sequence[tuple[int, int]],
) -> Any:
    """A strided transposed convolution without the stride-dilated input's
    zeros: output position ``q`` of an axis with stride ``s`` (before the
    padding's crop) gathers ``x[j - m] * w[r + m * s]`` with ``q = j * s +
    r``, so each phase ``r`` (per axis) is a stride-1 convolution of ``x``
    with the kernel's taps ``r, r + s, ...``; the phases are interleaved
    (stacked after each axis, then reshaped) and cropped where Keras's
    padding puts the output. A phase without taps is zeros."""
    from kgraph import ops

    rank = len(window)
    spans = [(k - 1) * d + 1 for k, d in zip(window, dilation, strict=True)]
    crops = [span - 1 - low for span, (low, _) in zip(spans, pairs, strict=True)]
    sizes = [
        (n - 1) * s + 1 + low + high - span + 1
        for n, s, span, (low, high) in zip(spatial, strides, spans, pairs, strict=True)
    ]
    lengths = [-(-(c + n) // s) for c, n, s in zip(crops, sizes, strides, strict=True)]
    ends = [None] * (rank + 2)
    phases: dict[tuple[int, ...], Any] = {}
    for phase in itertools.product(*(range(s) for s in strides)):
        taps = [
            -(-(k - r) // s) for k, r, s in zip(window, phase, strides, strict=True)
        ]
        if min(taps) <= 0:
            continue
        sub = ops.strided_slice(w, [*phase, None, None], ends, [*strides, 1, 1])
        pads = [
            (t - 1 if s > 1 else span - 1, max(length - n, 0))
            for t, s, span, length, n in zip(
                taps, strides, spans, lengths, spatial, strict=True
            )
        ]
        rates = [1 if s > 1 else d for s, d in zip(strides, dilation, strict=True)]
        y = conv(x, transposed_kernel(sub), padding=pads, dilation_rate=rates)
        stops = [None, *(length for length in lengths), None]
        phases[phase] = ops.strided_slice(
            y, [None] * (rank + 2), stops, [1] * (rank + 2)
        )
    like = next(iter(phases.values()))
    full = _interleave(phases, like, strides, (), 0)
    out_shape = [n * s for n, s in zip(lengths, strides, strict=True)]
    full = ops.reshape(full, (-1, *out_shape, like.shape[-1]))
    starts = [None, *crops, None]
    stops = [None, *(c + n for c, n in zip(crops, sizes, strict=True)), None]
    return ops.strided_slice(full, starts, stops, [1] * (rank + 2))


def _interleave(
    phases: dict[tuple[int, ...], Any],
    like: Any,
    strides: Sequence[int],
    prefix: tuple[int, ...],
    axis: int,
) -> Any:
    """The phases of axes ``axis..`` stacked after each of those axes,
    innermost first: ``(batch, J0, s0, J1, s1, ..., channels)`` at the
    top."""
    from kgraph import ops

    if axis == len(strides):
        found = phases.get(prefix)
        return ops.zeros_like(like) if found is None else found
    parts = [
        _interleave(phases, like, strides, (*prefix, r), axis + 1)
        for r in range(strides[axis])
    ]
    # Each part is (batch, J0, ..., J_axis, J_axis+1, s_axis+1, ...): the
    # axes after this one are interleaved already; the new one goes right
    # after J_axis.
    return ops.stack(parts, axis=axis + 2)


def depthwise_conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
    bias: Any = None,
) -> Any:
    """A depthwise convolution, channels last (Keras's ``ops.depthwise_conv``).

    Each input channel is convolved on its own with ``depth_multiplier``
    filters: output channel ``c * depth_multiplier + m`` is input channel
    ``c`` convolved with ``kernel[..., c, m]`` (a grouped ``conv`` with one
    group per channel).

    Args:
        inputs: ``(batch, *spatial, channels)``.
        kernel: ``(*window, channels, depth_multiplier)``.
        strides: an int or one per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: an int or one per spatial axis.
        bias: kgraph's own: an optional ``(channels * depth_multiplier,)``
            vector added inside the convolution.

    Returns:
        ``(batch, *out_spatial, channels * depth_multiplier)``.

    Raises:
        ValueError: for another data format, bad strides, or a kernel whose
            axis -2 is not the input's channels.

    Example:

    >>> import numpy as np
    >>> x = np.ones((1, 3, 2), "float32")
    >>> kernel = np.array([[[1.0], [10.0]], [[1.0], [10.0]]], "float32")
    >>> depthwise_conv(x, kernel)[0].numpy()
    array([[ 2., 20.],
           [ 2., 20.]], dtype=float32)
    """
    from kgraph import ops

    if history.any_keras([inputs, kernel, bias]):
        arguments = (inputs, kernel, strides, padding, data_format, dilation_rate)
        return history.record_function(depthwise_conv, arguments, {"bias": bias})
    check_channels_last(data_format, "depthwise_conv")
    x, w = ops.promote(ops.as_tensor(inputs), ops.as_tensor(kernel), floating=True)
    rank = w.ndim - 2
    if rank < 1:
        raise errors.ShapeError(
            "depthwise_conv: the kernel must be (*window, channels, "
            f"depth_multiplier). Received: kernel shape {tuple(w.shape)}"
        )
    dims = static_shape("depthwise_conv kernel", w.shape)
    if x.shape[-1] is not None and x.shape[-1] != dims[-2]:
        raise errors.ShapeError(
            f"depthwise_conv: the kernel's axis -2 must be the input's "
            f"{x.shape[-1]} channels. Received: input shape {tuple(x.shape)}, "
            f"kernel shape {dims}"
        )
    grouped = ops.reshape(w, (*dims[:rank], 1, dims[-2] * dims[-1]))
    return conv(
        x,
        grouped,
        strides=strides,
        padding=padding,
        dilation_rate=dilation_rate,
        bias=bias,
    )


def separable_conv(
    inputs: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
    bias: Any = None,
) -> Any:
    """A depthwise convolution followed by a pointwise one (Keras's
    ``ops.separable_conv``).

    Args:
        inputs: ``(batch, *spatial, channels)``.
        depthwise_kernel: ``(*window, channels, depth_multiplier)``.
        pointwise_kernel: ``(*ones, channels * depth_multiplier, filters)``.
        strides: the depthwise convolution's strides.
        padding: its padding, ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.
        dilation_rate: its dilation rates.
        bias: kgraph's own: an optional ``(filters,)`` vector added by the
            pointwise convolution.

    Returns:
        ``(batch, *out_spatial, filters)``.

    Example:

    >>> import numpy as np
    >>> x = np.ones((1, 3, 1), "float32")
    >>> depthwise = np.ones((2, 1, 2), "float32")
    >>> pointwise = np.array([[[1.0], [-0.5]]], "float32")
    >>> separable_conv(x, depthwise, pointwise)[0, :, 0].numpy()
    array([1., 1.], dtype=float32)
    """
    if history.any_keras([inputs, depthwise_kernel, pointwise_kernel, bias]):
        arguments = (inputs, depthwise_kernel, pointwise_kernel, strides, padding)
        options = {"data_format": data_format, "dilation_rate": dilation_rate}
        return history.record_function(
            separable_conv, arguments, {**options, "bias": bias}
        )
    check_channels_last(data_format, "separable_conv")
    depthwise = depthwise_conv(
        inputs,
        depthwise_kernel,
        strides=strides,
        padding=padding,
        dilation_rate=dilation_rate,
    )
    return conv(depthwise, pointwise_kernel, bias=bias)

"""NumPy transcriptions of the convolution family, written as direct loops
from the definitions (Keras's arithmetic for the padding and the bins): the
oracles of tests/ops/test_conv_variants.py and the layer tests."""

from __future__ import annotations

import itertools
import math

import numpy as np


def transpose_padding(window, stride, dilation, padding, output_padding):
    """Keras's padding of the stride-dilated input of a transposed
    convolution (backend_utils: the JAX conversion)."""
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


def same_pads(size, window, stride, dilation):
    span = (window - 1) * dilation + 1
    total = max((-(-size // stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def loop_conv(x, w, strides, padding, dilation, groups=1):
    """Direct loops: out[n, o, co] = sum over k and the group's ci."""
    rank = x.ndim - 2
    window = w.shape[:rank]
    pads = [
        same_pads(n, k, s, d) if padding == "same" else (0, 0)
        for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation, strict=True)
    ]
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    outs = [
        (n + lo + hi - (k - 1) * d - 1) // s + 1
        for n, (lo, hi), k, s, d in zip(
            x.shape[1:-1], pads, window, strides, dilation, strict=True
        )
    ]
    c_in, c_out = w.shape[-2], w.shape[-1]
    per_group = c_out // groups
    out = np.zeros((x.shape[0], *outs, c_out))
    for o in itertools.product(*(range(n) for n in outs)):
        for k in itertools.product(*(range(n) for n in window)):
            index = tuple(
                oi * s + ki * d
                for oi, ki, s, d in zip(o, k, strides, dilation, strict=True)
            )
            for co in range(c_out):
                first = (co // per_group) * c_in
                patch = xp[(slice(None), *index, slice(first, first + c_in))]
                out[(slice(None), *o, co)] += patch @ w[(*k, slice(None), co)]
    return out


def loop_conv_transpose(x, w, strides, padding, output_padding, dilation):
    """Each input position adds its kernel-weighted window to the output,
    then the full result is cut where Keras's padding puts the output."""
    rank = x.ndim - 2
    window = w.shape[:rank]
    spans = [(k - 1) * d + 1 for k, d in zip(window, dilation, strict=True)]
    full = [
        (n - 1) * s + span
        for n, s, span in zip(x.shape[1:-1], strides, spans, strict=True)
    ]
    extra = 8
    y = np.zeros((x.shape[0], *(f + extra for f in full), w.shape[-2]))
    for i in itertools.product(*(range(n) for n in x.shape[1:-1])):
        for k in itertools.product(*(range(n) for n in window)):
            at = tuple(
                ii * s + kk * d
                for ii, kk, s, d in zip(i, k, strides, dilation, strict=True)
            )
            y[(slice(None), *at)] += x[(slice(None), *i)] @ w[k].T
    extras = output_padding or (None,) * rank
    index = [slice(None)]
    for axis in range(rank):
        low, high = transpose_padding(
            window[axis], strides[axis], dilation[axis], padding, extras[axis]
        )
        start = spans[axis] - 1 - low
        size = full[axis] - (spans[axis] - 1 - low) - (spans[axis] - 1 - high)
        index.append(slice(start, start + size))
    return y[tuple(index)]


def loop_adaptive(x, sizes, reduce):
    """Bin i of an axis of n elements: [floor(i n / out), ceil((i + 1) n / out))."""
    rank = x.ndim - 2
    out = np.zeros((x.shape[0], *sizes, x.shape[-1]))
    for index in itertools.product(*(range(n) for n in sizes)):
        window = [slice(None)]
        for axis, i in enumerate(index):
            n, bins = x.shape[axis + 1], sizes[axis]
            window.append(slice(i * n // bins, math.ceil((i + 1) * n / bins)))
        block = x[(*window, slice(None))]
        out[(slice(None), *index)] = reduce(block, axis=tuple(range(1, rank + 1)))
    return out

"""Gradients of NumPy's composed functions (sorting, statistics,
rearrangements, products, special functions) agree with central finite
differences in float64: they come from the primitives' rules, and this
checks the compositions use them correctly (ties and zeros avoided)."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from kgraph.backends import interpreter
from kgraph.compiler.autodiff import gradients
from kgraph.ir.graph import Graph
from kgraph.ops import sources
from kgraph.testing import numerics

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4, 5))
WEIGHTS = RNG.uniform(0.5, 1.5, size=4096)

CASES = {
    "sort": lambda t: ops.sort(t, axis=1),
    "top_k": lambda t: ops.top_k(t, 3)[0],
    "take_along_axis": lambda t: ops.take_along_axis(t, ops.argsort(t, axis=2), axis=2),
    "median": lambda t: ops.median(t, axis=-1),
    "quantile": lambda t: ops.quantile(t, [0.3, 0.9], axis=(0, 2)),
    "nanquantile": lambda t: ops.nanquantile(t, 0.4, axis=1),
    "cumprod": lambda t: ops.cumprod(t, axis=1),
    "prod": lambda t: ops.prod(t, axis=(0, 2)),
    "tile": lambda t: ops.tile(t, (1, 2, 1)),
    "repeat": lambda t: ops.repeat(t, [1, 0, 2, 1], axis=1),
    "roll": lambda t: ops.roll(t, (1, 2), (1, 2)),
    "diagonal": lambda t: ops.diagonal(t, 1, 1, 2),
    "rot90": lambda t: ops.rot90(t, 1, (1, 2)),
    "rearrange": lambda t: ops.rearrange(t, "a (b c) d -> (a c) d b", c=2),
    "pad_reflect": lambda t: ops.pad(t, ((0, 0), (2, 1), (0, 3)), mode="reflect"),
    "scatter_update": lambda t: ops.scatter_update(t, [[0, 1], [2, 3]], t[0, :2] * 2.0),
    "slice_update": lambda t: ops.slice_update(t, [0, 1, 1], t[:, :2, :3] * 3.0),
    "segment_max": lambda t: ops.segment_max(t, [0, 2, 0], num_segments=3)[::2],
    "tensordot": lambda t: ops.tensordot(t, t, ([0, 1], [0, 1])),
    "cross": lambda t: ops.cross(t[..., :3], t[..., 2:]),
    "erfinv": lambda t: ops.erfinv(ops.tanh(t)),
    "i0": ops.i0,
    "logaddexp": lambda t: ops.logaddexp(t, ops.flip(t, 0)),
    "sinc": ops.sinc,
    "nanstd": lambda t: ops.nanstd(t, axis=1),
    "corrcoef": lambda t: ops.corrcoef(t[0]),
    "trapezoid": lambda t: ops.trapezoid(t, axis=1),
    "average": lambda t: ops.average(t, axis=1, weights=ops.exp(t[0, :, 0])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences(name):
    fn = CASES[name]
    graph = Graph(name=name)
    x = sources.placeholder(graph, "x", X.shape, "float64")
    flat = ops.reshape(fn(x), (-1,))
    count = flat.shape[0]
    loss = ops.sum(ops.multiply(flat, WEIGHTS[:count]))
    (grad,) = gradients(graph, loss.node_id, [x.node_id])
    graph.set_output("grad", grad)
    result = interpreter.run(graph, {"x": X})["grad"]

    def weighted(point):
        values = np.asarray(fn(ops.convert_to_tensor(point[0]))).reshape(-1)
        return float(np.sum(values * WEIGHTS[:count]))

    expected = numerics.numeric_gradient(weighted, [X], 0)
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-5)

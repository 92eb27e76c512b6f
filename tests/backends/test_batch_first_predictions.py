"""Prediction outputs whose first axis is not the batch are refused before
any native code runs: the loop stacks batches along the first axis, and
would otherwise write past the rows it was given."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import kgraph as kg
from kgraph import errors


@pytest.mark.no_native
@pytest.mark.parametrize(("count", "batch_size"), [(10, 4), (5, 1), (3, 8)])
def test_a_transposed_batch_axis_is_refused(backend, count, batch_size):
    inputs = kg.Input(shape=(3, 4))
    model = kg.Model(inputs, kg.ops.transpose(inputs, (1, 0, 2)))
    x = np.random.default_rng(0).random((count, 3, 4)).astype("float32")
    with pytest.raises(
        errors.ShapeError, match=r"must be the batch.*Received: output shape"
    ):
        model.predict(x, batch_size=batch_size, verbose=0)
    gc.collect()


def test_batch_first_outputs_of_every_length_still_predict(backend):
    inputs = kg.Input(shape=(3,))
    model = kg.Model(inputs, kg.layers.Dense(2)(inputs))
    for count in (1, 5, 7, 8):
        assert model.predict(
            np.ones((count, 3), "float32"), batch_size=4, verbose=0
        ).shape == (
            count,
            2,
        )

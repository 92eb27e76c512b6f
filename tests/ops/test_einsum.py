"""``kgraph.ops.einsum`` against ``numpy.einsum``: eagerly, and inside a
model on both backends (with the batch size unknown when it is built)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import ops

CASES = [
    ("ab,bc->ac", [(2, 3), (3, 4)]),
    ("abc,cd->abd", [(2, 5, 3), (3, 4)]),
    ("abc,cde->abde", [(2, 5, 3), (3, 4, 6)]),
    ("abcd,cde->abe", [(2, 5, 3, 4), (3, 4, 6)]),
    ("aecd,abcd->acbe", [(2, 5, 3, 4), (2, 6, 3, 4)]),
    ("acbe,aecd->abcd", [(2, 3, 6, 5), (2, 5, 3, 4)]),
    ("bquh,bkuh->buqk", [(2, 3, 4, 5), (2, 6, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4, 5), (3, 5, 6)]),
    ("ab...,bc->ac...", [(2, 3, 4), (3, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("i,i", [(3,), (3,)]),
    ("a,b->ab", [(3,), (4,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ab,bc", [(2, 3), (3, 4)]),
    ("abc,b->ac", [(2, 3, 4), (3,)]),
    ("bij,bjk->bik", [(1, 3, 4), (5, 4, 2)]),
    ("ijk,ik->j", [(2, 3, 4), (2, 4)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
]


@pytest.mark.parametrize("equation,shapes", CASES)
def test_eager_matches_numpy(equation, shapes, rng):
    operands = [rng.normal(size=s).astype("float32") for s in shapes]
    result = ops.einsum(equation, *operands)
    expected = np.einsum(equation, *operands)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_integer_operands_keep_their_dtype():
    result = ops.einsum("ij,jk->ik", np.arange(6).reshape(2, 3), np.ones((3, 2), int))
    np.testing.assert_array_equal(result.numpy(), [[3, 3], [12, 12]])


@pytest.mark.parametrize(
    "equation,shapes,message",
    [
        ("ab,bc->ac", [(2, 3)], "2 operand terms"),
        ("ab,bc->ad", [(2, 3), (3, 4)], "output letter"),
        ("aa->a", [(2, 2)], "repeated"),
        ("abc,cd->abd", [(2, 3), (3, 4)], "rank"),
        ("ab,bc->ac", [(2, 3), (4, 5)], "sizes"),
    ],
)
def test_malformed_equations_are_named(equation, shapes, message):
    operands = [np.ones(s, "float32") for s in shapes]
    with pytest.raises(ValueError, match=message):
        ops.einsum(equation, *operands)


@pytest.mark.parametrize(
    "equation,kernel_shape",
    [("abc,cd->abd", (4, 6)), ("abc,cde->abde", (4, 2, 3)), ("abc,cd->adb", (4, 6))],
)
def test_in_a_model_with_unknown_batch(equation, kernel_shape, backend, rng):
    kernel = rng.normal(size=kernel_shape).astype("float32")
    inputs = kg.Input(shape=(5, 4))
    outputs = ops.einsum(equation, inputs, kernel)
    model = kg.Model(inputs, outputs)
    model.compile(loss="mse", backend=backend)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    np.testing.assert_allclose(
        model.predict(x, verbose=0),
        np.einsum(equation, x, kernel),
        rtol=1e-5,
        atol=1e-5,
    )


def test_two_graph_tensors_in_a_model(backend, rng):
    query = kg.Input(shape=(5, 2, 3))
    key = kg.Input(shape=(4, 2, 3))
    scores = ops.einsum("aecd,abcd->acbe", key, query)
    model = kg.Model([query, key], scores)
    model.compile(loss="mse", backend=backend)
    q = rng.normal(size=(2, 5, 2, 3)).astype("float32")
    k = rng.normal(size=(2, 4, 2, 3)).astype("float32")
    np.testing.assert_allclose(
        model.predict([q, k], verbose=0),
        np.einsum("aecd,abcd->acbe", k, q),
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.parametrize(
    "equation,kernel_shape",
    [("abc,cde->abde", (4, 2, 3)), ("abc,cd->abd", (4, 6)), ("abc,cd->adb", (4, 6))],
)
def test_sequences_of_unknown_length(equation, kernel_shape, backend, rng):
    kernel = rng.normal(size=kernel_shape).astype("float32")
    inputs = kg.Input(shape=(None, 4))
    model = kg.Model(inputs, ops.einsum(equation, inputs, kernel))
    model.compile(loss="mse", backend=backend)
    for steps in (5, 2):
        x = rng.normal(size=(3, steps, 4)).astype("float32")
        np.testing.assert_allclose(
            model.predict(x, verbose=0),
            np.einsum(equation, x, kernel),
            rtol=1e-5,
            atol=1e-5,
        )

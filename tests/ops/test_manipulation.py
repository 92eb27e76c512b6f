"""Rearranging tensors (``ops/manipulation.py``) against NumPy, eagerly and
in models on both backends, with an unknown batch dimension."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")
X = np.arange(24, dtype="float32").reshape(2, 3, 4)
M = np.arange(12, dtype="int32").reshape(3, 4)


def _predict(fn, x, backend):
    inputs = kg.Input(shape=x.shape[1:], dtype=str(x.dtype))
    model = kg.Model(inputs, layers.Lambda(fn)(inputs))
    model.compile(loss="mse", backend=backend)
    return model.predict(x, batch_size=len(x), verbose=0)


def _same(result, expected):
    result = np.asarray(result)
    assert result.shape == np.shape(expected)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize(
    ("ours", "reference"),
    [
        (lambda: ops.tile(M, (2, 1)), lambda: np.tile(M, (2, 1))),
        (lambda: ops.tile(M, 3), lambda: np.tile(M, 3)),
        (lambda: ops.tile([1, 2], (2, 2)), lambda: np.tile([1, 2], (2, 2))),
        (lambda: ops.repeat(M, 2), lambda: np.repeat(M, 2)),
        (lambda: ops.repeat(M, [1, 0, 2], axis=0), lambda: np.repeat(M, [1, 0, 2], 0)),
        (lambda: ops.hstack([M, M]), lambda: np.hstack([M, M])),
        (lambda: ops.vstack([[1, 2], [3, 4]]), lambda: np.vstack([[1, 2], [3, 4]])),
        (lambda: ops.dstack([M, M]), lambda: np.dstack([M, M])),
        (
            lambda: ops.moveaxis(X, [0, 1], [-1, 0]),
            lambda: np.moveaxis(X, [0, 1], [-1, 0]),
        ),
        (lambda: ops.ravel(M), lambda: M.ravel()),
        (lambda: ops.roll(M, 5), lambda: np.roll(M, 5)),
        (lambda: ops.roll(M, (1, -5), (0, 1)), lambda: np.roll(M, (1, -5), (0, 1))),
        (lambda: ops.rot90(M), lambda: np.rot90(M)),
        (lambda: ops.rot90(X, 3, (2, 0)), lambda: np.rot90(X, 3, (2, 0))),
        (lambda: ops.rot90(M, -2), lambda: np.rot90(M, -2)),
        (lambda: ops.fliplr(M), lambda: np.fliplr(M)),
        (lambda: ops.flipud(M), lambda: np.flipud(M)),
        (lambda: ops.tril(M, -1), lambda: np.tril(M, -1)),
        (lambda: ops.triu(X, 1), lambda: np.triu(X, 1)),
        (lambda: ops.diagonal(M, 1), lambda: np.diagonal(M, 1)),
        (lambda: ops.diagonal(X, -1, 2, 1), lambda: np.diagonal(X, -1, 2, 1)),
        (lambda: ops.trace(M, -1), lambda: np.trace(M, -1)),
        (lambda: ops.diag([1, 2, 3], -1), lambda: np.diag([1, 2, 3], -1)),
        (lambda: ops.diag(M, 2), lambda: np.diag(M, 2)),
        (
            lambda: ops.diagflat([[1, 2], [3, 4]], 1),
            lambda: np.diagflat([[1, 2], [3, 4]], 1),
        ),
        (lambda: ops.append([1, 2], [[3]]), lambda: np.append([1, 2], [[3]])),
        (lambda: ops.append(M, M, axis=1), lambda: np.append(M, M, axis=1)),
        (
            lambda: ops.select([M > 6, M > 2], [M, -M], 7),
            lambda: np.select([M > 6, M > 2], [M, -M], 7),
        ),
    ],
)
def test_matches_numpy(ours, reference):
    _same(ours(), reference())


def test_splits_match_numpy():
    for ours, theirs in (
        (ops.split(M, 2, axis=1), np.split(M, 2, axis=1)),
        (ops.split(M, [1, 3]), np.split(M, [1, 3])),
        (ops.array_split(np.arange(7), 3), np.array_split(np.arange(7), 3)),
        (ops.hsplit(M, 4), np.hsplit(M, 4)),
        (ops.vsplit(M, 3), np.vsplit(M, 3)),
        (ops.dsplit(X, [1]), np.dsplit(X, [1])),
        (ops.unstack(M, axis=1), list(M.T)),
        (ops.meshgrid([1, 2], [3, 4, 5]), np.meshgrid([1, 2], [3, 4, 5])),
        (
            ops.meshgrid([1, 2], [3], [4, 5], indexing="ij"),
            np.meshgrid([1, 2], [3], [4, 5], indexing="ij"),
        ),
    ):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _same(a, b)
    with pytest.raises(ValueError, match="equal parts"):
        ops.split(M, 3, axis=1)


def test_writes_into_parts_of_a_tensor():
    _same(
        ops.slice_update(M, [1, 1], np.full((2, 2), -1, "int32")),
        np.where(np.pad(np.ones((2, 2)), ((1, 0), (1, 1))) > 0, -1, M),
    )
    _same(
        ops.scatter(
            [[0, 1], [2, 3], [0, 1]], np.array([1.0, 2.0, 3.0], "float32"), (3, 4)
        ),
        np.array([[0, 4, 0, 0], [0, 0, 0, 0], [0, 0, 0, 2]], "float32"),
    )
    rows = np.array([[1.0] * 4, [2.0] * 4, [3.0] * 4], "float32")
    _same(
        ops.scatter_update(np.zeros((3, 4), "float32"), [[0], [2], [0]], rows),
        np.array([[3.0] * 4, [0.0] * 4, [2.0] * 4], "float32"),
    )
    _same(
        ops.scatter_update(
            np.zeros(4, "float32"), [[0], [0], [1]], np.ones(3, "float32"), "add"
        ),
        [2.0, 1.0, 0.0, 0.0],
    )
    inputs = np.array([1.0, 5.0, 3.0, 2.0], "float32")
    updates = np.array([4.0, 7.0, -1.0], "float32")
    for reduction, expected in (
        ("max", [7.0, 5.0, 3.0, 2.0]),
        ("min", [1.0, 5.0, -1.0, 2.0]),
        ("mul", [28.0, 5.0, -3.0, 2.0]),
    ):
        _same(
            ops.scatter_update(inputs, [[0], [0], [2]], updates, reduction=reduction),
            np.array(expected, "float32"),
        )
    with pytest.raises(ValueError, match="reduction"):
        ops.scatter_update(np.zeros(2), [[0]], np.ones(1), reduction="mean")


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_a_model_with_an_unknown_batch(backend):
    def fn(t):
        first, second = ops.split(t, [1], axis=1)
        parts = [
            ops.tile(t, (1, 2, 1)),
            ops.repeat(t, 2, axis=1),
            ops.roll(t, 1, axis=2)[:, :, None, :][:, :, 0, :],
            ops.concatenate([second, first], axis=1),
            ops.tril(t),
            ops.triu(t, 1),
            ops.slice_update(t, [0, 1, 2], ops.zeros_like(t[:, 1:, 2:])),
        ]
        return ops.concatenate(parts, axis=1)

    expected = np.concatenate(
        [
            np.tile(X, (1, 2, 1)),
            np.repeat(X, 2, axis=1),
            np.roll(X, 1, axis=2),
            np.concatenate([X[:, 1:], X[:, :1]], axis=1),
            np.tril(X),
            np.triu(X, 1),
            np.where((np.arange(3)[:, None] >= 1) & (np.arange(4)[None] >= 2), 0.0, X),
        ],
        axis=1,
    )
    _same(_predict(fn, X, backend), expected)


@pytest.mark.parametrize("backend", BACKENDS)
def test_diagonals_and_scatter_in_a_model(backend):
    def fn(t):
        return ops.concatenate(
            [
                ops.diagonal(t, 1, 1, 2),
                ops.trace(t, 0, 1, 2)[:, None],
                ops.stack(ops.unstack(t[:, 0, :], axis=1), axis=1),
                ops.moveaxis(t, 1, 2)[:, 0, :],
            ],
            axis=1,
        )

    expected = np.concatenate(
        [
            np.diagonal(X, 1, 1, 2),
            np.trace(X, 0, 1, 2)[:, None],
            X[:, 0, :],
            np.moveaxis(X, 1, 2)[:, 0, :],
        ],
        axis=1,
    )
    _same(_predict(fn, X, backend), expected)


def test_gradients_flow_through_rearrangements():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 3, 4)).astype("float32")
    y = rng.normal(size=(8, 6)).astype("float32")
    models = []
    for backend in BACKENDS:
        inputs = kg.Input(shape=(3, 4))
        hidden = layers.Dense(4)(inputs)
        out = layers.Lambda(
            lambda t: ops.concatenate(
                [
                    ops.diagonal(ops.roll(t, 1, 2), 0, 1, 2),
                    ops.trace(ops.tril(t), 0, 1, 2)[:, None],
                    ops.sum(ops.repeat(t, 2, axis=1), axis=(1, 2))[:, None],
                    ops.sum(ops.tile(t, (1, 1, 2)), axis=(1, 2))[:, None],
                ],
                axis=1,
            )
        )(hidden)
        model = kg.Model(inputs, out)
        model.compile(optimizer=kg.optimizers.SGD(0.01), loss="mse", backend=backend)
        if models:
            model.set_weights(models[0].get_weights())
        models.append(model)
    for model in models:
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(models[0].get_weights(), models[1].get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric", "wrap"])
def test_pad_modes_that_repeat_elements(mode):
    widths = ((2, 1), (0, 5))
    _same(ops.pad(M, widths, mode=mode), np.pad(M, widths, mode=mode))
    for backend in BACKENDS:
        result = _predict(
            lambda t: ops.pad(t, ((0, 0), (1, 2), (3, 0)), mode=mode), X, backend
        )
        _same(result, np.pad(X, ((0, 0), (1, 2), (3, 0)), mode=mode))
    with pytest.raises(ValueError, match="mode"):
        ops.pad(M, 1, mode="mean")


def test_where_with_a_condition_only_gives_indices():
    rows, columns = ops.where(M > 8)
    expected_rows, expected_columns = np.where(M > 8)
    _same(rows, expected_rows)
    _same(columns, expected_columns)
    _same(ops.where(M > 8, x1=M, x2=0), np.where(M > 8, M, 0))


def test_rearrange_reorders_splits_and_merges_axes():
    x = np.arange(2 * 6 * 4 * 3).reshape(2, 6, 4, 3)
    _same(ops.rearrange(x, "b h w c -> b c h w"), x.transpose(0, 3, 1, 2))
    _same(
        ops.rearrange(x, "b h w c -> h (b w) c"),
        x.transpose(1, 0, 2, 3).reshape(6, 8, 3),
    )
    _same(ops.rearrange(x, "b (h p) w c -> b h (p w c)", p=2), x.reshape(2, 3, 24))
    _same(
        ops.rearrange(x, "b (h p) w c -> (b h) w (c p)", h=3),
        x.reshape(2, 3, 2, 4, 3).transpose(0, 1, 3, 4, 2).reshape(6, 4, 6),
    )
    with pytest.raises(ValueError, match="same axes"):
        ops.rearrange(x, "b h w c -> b h w")
    for backend in BACKENDS:
        _same(
            _predict(
                lambda t: ops.rearrange(t, "b (h p) w -> b h (w p)", p=3), X, backend
            ),
            X.reshape(2, 1, 3, 4).transpose(0, 1, 3, 2).reshape(2, 1, 12),
        )


def test_composed_ops_record_whole_and_a_model_using_them_saves(tmp_path):
    inputs = kg.Input(shape=(3, 4))
    first, second = ops.split(inputs, [1], axis=1)
    values, _ = ops.top_k(inputs, 2)
    outputs = ops.concatenate(
        [
            ops.reshape(ops.tril(inputs), (-1, 12)),
            ops.reshape(ops.cumsum(inputs, axis=2), (-1, 12)),
            ops.reshape(values, (-1, 6)),
            ops.reshape(ops.median(inputs, axis=-1), (-1, 3)),
            ops.reshape(ops.erf(second), (-1, 8)),
            ops.reshape(first, (-1, 4)),
        ],
        axis=1,
    )
    model = kg.Model(inputs, outputs)
    names = [node.operation.name for node in kg.ops.history.walk([outputs], [inputs])]
    assert {"tril", "cumsum", "top_k", "median", "split"} <= set(names)
    model.compile(loss="mse", backend="llvm")
    expected = model.predict(X, verbose=0)
    model.save(tmp_path / "model.kgraph")
    loaded = kg.models.load_model(tmp_path / "model.kgraph")
    loaded.compile(loss="mse", backend="llvm")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), expected, rtol=1e-6)

"""The Winograd kernel (``kernels/winograd.py``) equals the interpreter's
direct convolution over drawn 3x3 geometries (sizes that are not multiples
of the tile, both paddings, a bias, channels that are not whole vectors),
with either transform (F(2x2) and F(4x4)) and on every path: one block or
many, blocks split by rows or by column panels, more threads than
workspaces; and whatever the thread count, every bit is the same."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import kgraph as kg
from kgraph import dtypes
from kgraph.backends import interpreter
from kgraph.backends.llvm import codegen
from kgraph.backends.llvm.kernels import conv as conv_kernel
from kgraph.backends.llvm.kernels import winograd
from kgraph.ir.graph import Graph
from kgraph.ops import builder
from kgraph.ops import sources
from kgraph.ops.convolution import explicit_padding
from kgraph.testing import native
from kgraph.testing.strategies import examples


def _graph(arrays, attrs, prepared=False):
    # With ``prepared`` the kernel is a parameter, which the compiled step
    # transforms once and keeps.
    graph = Graph(name="conv")
    roles = ["data", "parameter" if prepared else "data", "data"]
    inputs = [
        sources.placeholder(graph, f"x{i}", a.shape, dtypes.canonical(a.dtype), role)
        for (i, a), role in zip(enumerate(arrays), roles, strict=False)
    ]
    node = builder.emit(graph, "conv", [t.node_id for t in inputs], attrs)
    graph.set_output("y", node)
    return graph


def _geometry(graph):
    node = graph.node(graph.outputs["y"])
    buffers = [codegen.Buffer(None, graph.node(i).type) for i in node.inputs]
    return conv_kernel.geometry(node, buffers, codegen.Buffer(None, node.type))


def _case(draw_or_values, rng):
    batch, height, width, cin, cout, padding, bias = draw_or_values
    x = rng.normal(size=(batch, height, width, cin)).astype("float32")
    w = rng.normal(size=(3, 3, cin, cout)).astype("float32")
    pairs = explicit_padding(padding, (height, width), (3, 3), (1, 1), (1, 1))
    attrs = {"strides": (1, 1), "padding": pairs, "dilation": (1, 1)}
    arrays = [x, w] + ([rng.normal(size=cout).astype("float32")] if bias else [])
    return arrays, attrs


def _prepare_any_map(patch) -> None:
    """Lets a prepared kernel take the Winograd path however small its map."""
    patch.setattr(winograd, "_MIN_PREPARED_TILES", 1)
    patch.setattr(winograd, "_MIN_PREPARED_OUTPUTS", 1)


def _check(arrays, attrs, patch, prepared=False):
    """Compiles with the Winograd kernel on every conv (``prepared``: its
    transformed kernel kept), runs on 1, 2 and 3 threads (each deriving the
    prepared kernel anew), then again on 2 (reusing it); returns the
    one-thread result after checking it."""
    patch.setattr(winograd, "_MIN_TILES", 1)
    _prepare_any_map(patch)
    patch.setattr(codegen, "SHARED_GEMM_WORK", 0)
    graph = _graph(arrays, attrs, prepared)
    geo = _geometry(graph)
    assert winograd.applies(geo, "float32"), geo
    compiled = native.compile_graph(graph, prepare=prepared)
    assert (compiled.layout.prepared is not None) == prepared
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    one = native.run_graph(compiled, feeds, threads=1)["y"]
    for threads, fresh in ((2, True), (3, True), (2, False)):
        if fresh:
            native.unprepare(compiled)
        many = native.run_graph(compiled, feeds, threads=threads)["y"]
        np.testing.assert_array_equal(many, one, err_msg=f"{threads} threads")
    expected = interpreter.run(graph, feeds)["y"]
    scale = max(float(np.max(np.abs(expected))), 1.0)
    # As the im2col kernel's tests: float32 sums of 9 x in_channels
    # products in another order (F(2x2)'s constants are exact; F(4x4)'s
    # rounding error stays below 1e-5 of the outputs' scale).
    np.testing.assert_allclose(one, expected, rtol=2e-5, atol=2e-5 * scale)
    return one


@settings(max_examples=examples(24), deadline=None)
@given(
    values=st.tuples(
        st.integers(1, 3),
        st.integers(2, 13),
        st.integers(2, 13),
        st.integers(16, 37),
        st.integers(16, 40),
        st.sampled_from(["same", "valid"]),
        st.booleans(),
    ).filter(lambda v: v[5] == "same" or min(v[1], v[2]) >= 3),
    single=st.sampled_from([0, 256]),
    block_bytes=st.sampled_from([1, 1 << 20]),
    form=st.sampled_from([winograd.F2, winograd.F4]),
    prepared=st.booleans(),
)
def test_drawn_winograd_convolutions_equal_the_interpreter(
    values, single, block_bytes, form, prepared
):
    # A single block (split by column panels) or blocks of a few tiles
    # (split by rows, or by panels when too few to go round).
    arrays, attrs = _case(values, np.random.default_rng(0))
    with pytest.MonkeyPatch.context() as patch:
        # F(4x4) whatever the tiles, or never.
        least = 1 if form is winograd.F4 else 1 << 40
        for name in ("_MIN_F4_TILES", "_MIN_PREPARED_F4_TILES", "_MANY_F4_TILES"):
            patch.setattr(winograd, name, least)
        patch.setattr(winograd, "_SINGLE_BLOCK_TILES", single)
        patch.setattr(winograd, "_BLOCK_BYTES", block_bytes)
        patch.setattr(winograd, "_REUSE_TILES", 12)
        graph = _graph(arrays, attrs)
        assert winograd.transform(_geometry(graph), prepared) is form
        _check(arrays, attrs, patch, prepared)


def test_blocks_split_by_rows_and_columns_keep_every_bit(monkeypatch):
    # 2 x 20 x 18 maps: 180 tiles in blocks of 12 (15 blocks, split by
    # rows) or in one block (split by column panels, the thread past the
    # panels idle).
    rng = np.random.default_rng(1)
    arrays, attrs = _case((2, 20, 18, 24, 70, "same", True), rng)
    monkeypatch.setattr(winograd, "_REUSE_TILES", 12)
    monkeypatch.setattr(winograd, "_BLOCK_BYTES", 1)
    monkeypatch.setattr(winograd, "_SINGLE_BLOCK_TILES", 0)
    by_rows = _check(arrays, attrs, monkeypatch)
    monkeypatch.setattr(winograd, "_SINGLE_BLOCK_TILES", 256)
    by_columns = _check(arrays, attrs, monkeypatch)
    assert winograd.block_tiles(_geometry(_graph(arrays, attrs)), "float32") == 180
    np.testing.assert_allclose(by_rows, by_columns, rtol=1e-5, atol=1e-4)


def test_what_takes_the_winograd_kernel():
    def geometry(window=3, strides=(1, 1), dilation=(1, 1), cin=64, cout=64, size=56):
        pad = ((window // 2, window // 2),) * 2
        return conv_kernel.Geometry(
            1,
            (size, size),
            cin,
            (window,) * 2,
            (size, size),
            cout,
            strides,
            pad,
            dilation,
        )

    assert winograd.applies(geometry(), "float32")
    assert not winograd.applies(geometry(), "float64")
    assert not winograd.applies(geometry(window=5), "float32")
    assert not winograd.applies(geometry(strides=(2, 2)), "float32")
    assert not winograd.applies(geometry(dilation=(2, 2)), "float32")
    assert not winograd.applies(geometry(cin=3), "float32")
    # ResNet50's 14x14 and 7x7 maps of one image: too few tiles to pay for
    # transforming the kernel on every call.
    assert not winograd.applies(geometry(size=14, cin=256, cout=256), "float32")
    # With the kernel prepared, maps from 4x4 (4 tiles, every output used)
    # take it; 3x3 ones (9 of 16 outputs) and smaller do not.
    for size, takes in ((14, True), (7, True), (4, True), (3, False), (2, False)):
        prepared = geometry(size=size, cin=512, cout=512)
        assert winograd.applies(prepared, "float32", prepared=True) == takes, size
    # A small map is one block; a large one blocks of whole register tiles
    # that go round the threads.
    assert winograd.block_tiles(geometry(size=28, cin=128, cout=128), "float32") == 196
    # F(4x4) where its tiles go round the threads: VGG16's 224x224 to 56x56
    # maps; not one image's 56x56x64 map (one column panel) or 28x28 maps.
    assert winograd.transform(geometry(size=224)) is winograd.F4
    assert winograd.transform(geometry(size=56, cin=256, cout=256)) is winograd.F4
    assert winograd.transform(geometry(size=56)) is winograd.F2
    assert winograd.transform(geometry(size=28, cin=512, cout=512)) is winograd.F2
    big = winograd.block_tiles(geometry(size=224), "float32")
    assert big % 12 == 0 and 96 <= big <= 12544 // 8


def test_a_model_with_fused_batch_norm_and_residual_through_winograd(monkeypatch):
    # Conv2D -> BatchNormalization -> ReLU -> + input: the body runs in the
    # output transform's epilogue; predictions equal the interpreter's.
    monkeypatch.setattr(winograd, "_MIN_TILES", 1)
    inputs = kg.Input((9, 10, 16))
    y = kg.layers.Conv2D(16, 3, padding="same")(inputs)
    y = kg.layers.BatchNormalization()(y)
    y = kg.layers.Activation("relu")(y)
    outputs = kg.layers.Add()([y, inputs])
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 9, 10, 16)).astype("float32")
    fast = kg.Model(inputs, outputs)
    for layer in fast.layers:
        if isinstance(layer, kg.layers.BatchNormalization):
            weights = [rng.uniform(0.5, 1.5, 16).astype("float32") for _ in range(4)]
            layer.set_weights(weights)
    reference = kg.models.clone_model(fast)
    reference.set_weights(fast.get_weights())
    fast.compile(loss="mse")
    reference.compile(loss="mse", backend="numpy")
    np.testing.assert_allclose(
        fast.predict_on_batch(x), reference.predict_on_batch(x), rtol=2e-5, atol=2e-4
    )


def test_a_prepared_kernel_is_kept_until_its_ready_word_is_cleared(monkeypatch):
    # The step keeps U between runs: a changed kernel is not seen until the
    # ready word is cleared (the runtime clears it when weights change).
    _prepare_any_map(monkeypatch)
    rng = np.random.default_rng(3)
    arrays, attrs = _case((1, 12, 12, 16, 24, "same", False), rng)
    compiled = native.compile_graph(_graph(arrays, attrs, True), prepare=True)
    first = native.run_graph(compiled, {"x0": arrays[0], "x1": arrays[1]})["y"]
    doubled = {"x0": arrays[0], "x1": arrays[1] * 2}
    kept = native.run_graph(compiled, doubled)["y"]
    np.testing.assert_array_equal(kept, first)
    native.unprepare(compiled)
    fresh = native.run_graph(compiled, doubled)["y"]
    np.testing.assert_allclose(fresh, 2 * first, rtol=1e-5, atol=1e-5)


def _prepared_model(rng):
    # Two Winograd convolutions, and between them a pointwise one whose
    # kernel predict keeps packed for the GEMM.
    inputs = kg.Input((12, 12, 16))
    y = kg.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    y = kg.layers.Conv2D(24, 1)(y)
    y = kg.layers.Conv2D(16, 3, padding="same")(y)
    outputs = kg.layers.GlobalAveragePooling2D()(y)
    model = kg.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(4, 12, 12, 16)).astype("float32")
    return model, x


def _interpreted(model, x):
    reference = kg.models.clone_model(model)
    reference.set_weights(model.get_weights())
    reference.compile(loss="mse", backend="numpy")
    return reference.predict_on_batch(x)


def test_predictions_follow_every_change_of_the_weights(monkeypatch):
    # Prepared kernels (predict and evaluate keep U between calls) are
    # derived again after assign, set_weights, fit and train_on_batch.
    _prepare_any_map(monkeypatch)
    rng = np.random.default_rng(4)
    model, x = _prepared_model(rng)
    y = rng.normal(size=(4, 16)).astype("float32")
    kernel, pointwise = model.layers[1].kernel, model.layers[2].kernel
    changes = [
        lambda: kernel.assign(kernel.numpy() * -0.5),
        lambda: pointwise.assign(pointwise.numpy() * 1.5),
        lambda: model.set_weights([w + 0.01 for w in model.get_weights()]),
        lambda: model.fit(x, y, epochs=1, batch_size=2, verbose=0),
        lambda: model.train_on_batch(x, y),
    ]
    before = model.predict_on_batch(x)
    np.testing.assert_allclose(before, _interpreted(model, x), rtol=1e-4, atol=1e-5)
    for change in changes:
        change()
        after = model.predict_on_batch(x)
        assert not np.allclose(after, before)
        np.testing.assert_allclose(after, _interpreted(model, x), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(
            model.predict(x, batch_size=3, verbose=0), after, rtol=1e-6, atol=1e-6
        )
        before = after


def test_concurrent_predictions_with_prepared_kernels(monkeypatch):
    # Each call has its own arenas, with their own prepared state: calls
    # from several threads (and after a weight change) stay exact.
    import concurrent.futures

    _prepare_any_map(monkeypatch)
    rng = np.random.default_rng(5)
    model, x = _prepared_model(rng)
    expected = model.predict_on_batch(x)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: model.predict_on_batch(x), range(16)))
    for result in results:
        np.testing.assert_array_equal(result, expected)
    kernel = model.layers[1].kernel
    kernel.assign(kernel.numpy() * 2)
    changed = model.predict_on_batch(x)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: model.predict_on_batch(x), range(16)))
    for result in results:
        np.testing.assert_array_equal(result, changed)

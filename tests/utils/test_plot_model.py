"""``kg.utils.plot_model``: Keras's look as DOT; PNG/SVG through Graphviz
when ``dot`` is installed, the DOT text and a clear warning when not."""

from __future__ import annotations

import shutil

import pytest

import kgraph as kg
from kgraph import layers as L
from kgraph.utils import plot

HAS_DOT = shutil.which("dot") is not None


@pytest.fixture
def model():
    kg.utils.clear_session()
    a, b = kg.Input((4,), name="a"), kg.Input((4,), name="b")
    shared = L.Dense(3, activation="relu", name="shared")
    x = L.Add()([shared(a), shared(b)])
    frozen = L.Dense(2, name="frozen")
    frozen.trainable = False
    return kg.Model([a, b], frozen(L.Concatenate()([x, a])), name="demo")


def test_dot_text_has_every_layer_and_edge(model):
    text = kg.utils.model_to_dot(
        model, show_shapes=True, show_dtype=True, show_layer_names=False
    )
    assert text.startswith("digraph G {") and text.rstrip().endswith("}")
    for name in ("InputLayer", "Dense", "Add", "Concatenate"):
        assert f"<b>{name}</b>" in text
    assert "Input shape: <b>[(None, 3), (None, 3)]</b>" in text
    assert "Output shape: <b>(None, 2)</b>" in text
    assert "Output dtype: <b>float32</b>" in text
    # a, b -> shared -> add (once); add, a -> concatenate -> frozen
    assert text.count("->") == 6
    assert "rankdir=TB" in text


def test_options(model):
    text = kg.utils.model_to_dot(
        model,
        show_layer_names=True,
        show_layer_activations=True,
        show_trainable=True,
        rankdir="LR",
    )
    assert "<b>shared</b> (Dense)" in text
    assert "Activation: <b>relu</b>" in text
    assert "Non-trainable" in text and ">Trainable<" in text.replace("<b>", "")
    assert "rankdir=LR" in text
    with pytest.raises(ValueError, match="rankdir"):
        kg.utils.model_to_dot(model, rankdir="XY")


def test_sequential_leaves_out_its_input_layer():
    kg.utils.clear_session()
    model = kg.Sequential([kg.Input((3,)), L.Dense(2), L.Dense(1)])
    text = kg.utils.model_to_dot(model)
    assert "InputLayer" not in text and text.count("->") == 1


def test_dot_file(model, tmp_path):
    path = kg.utils.plot_model(model, tmp_path / "model.dot", show_shapes=True)
    assert path.endswith("model.dot")
    assert (tmp_path / "model.dot").read_text().startswith("digraph")


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_rendered_with_graphviz(model, tmp_path, suffix):
    target = tmp_path / f"model.{suffix}"
    assert kg.utils.plot_model(model, target, show_shapes=True, dpi=72) == str(target)
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in data


def test_without_graphviz_writes_dot_and_warns(model, tmp_path, monkeypatch):
    monkeypatch.setattr(plot.shutil, "which", lambda name: None)
    with pytest.warns(UserWarning, match="Graphviz.*not installed.*model.dot"):
        path = kg.utils.plot_model(model, tmp_path / "model.png")
    assert path == str(tmp_path / "model.dot")
    assert not (tmp_path / "model.png").exists()
    assert (tmp_path / "model.dot").read_text().startswith("digraph")


def test_unknown_extension(model, tmp_path):
    with pytest.raises(ValueError, match=r"png, \.svg"):
        kg.utils.plot_model(model, tmp_path / "model.bmp")

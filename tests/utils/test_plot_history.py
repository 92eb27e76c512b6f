"""``kg.utils.plot_history``: loss and metrics per epoch with matplotlib
(optional): a clear ImportError naming it when missing."""

from __future__ import annotations

import sys

import pytest

import kgraph as kg

HISTORY = {
    "loss": [1.0, 0.6, 0.4],
    "accuracy": [0.5, 0.7, 0.8],
    "val_loss": [1.1, 0.8, 0.7],
    "val_accuracy": [0.4, 0.6, 0.7],
}


def test_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = kg.utils.plot_history(HISTORY, tmp_path / "history.png", dpi=40)
    assert path == str(tmp_path / "history.png")
    assert (tmp_path / "history.png").read_bytes().startswith(b"\x89PNG")


def test_figure_has_one_panel_per_quantity():
    pytest.importorskip("matplotlib")
    figure = kg.utils.plot_history(HISTORY, to_file=None)
    panels = [axis for axis in figure.axes if axis.get_visible()]
    assert [axis.get_title() for axis in panels] == ["loss", "accuracy"]
    labels = [line.get_label() for line in panels[0].get_lines()]
    assert labels == ["training", "validation"]


def test_takes_a_history_object(tmp_path):
    pytest.importorskip("matplotlib")
    x = kg.Input((2,))
    model = kg.Model(x, kg.layers.Dense(1)(x))
    model.compile("sgd", "mse", backend="numpy")
    history = model.fit([[0.0, 1.0]] * 4, [[1.0]] * 4, epochs=2, verbose=0)
    kg.utils.plot_history(history, tmp_path / "h.svg")
    assert b"<svg" in (tmp_path / "h.svg").read_bytes()


def test_bad_input():
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="History"):
        kg.utils.plot_history({})


def test_missing_matplotlib_names_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        kg.utils.plot_history(HISTORY)

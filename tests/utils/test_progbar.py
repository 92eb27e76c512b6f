"""Progbar prints Keras 3's verbose=1 bar and verbose=2 line."""

import pytest

from kgraph.utils import progbar as progbar_module
from kgraph.utils.progbar import Progbar
from kgraph.utils.progbar import format_time
from kgraph.utils.progbar import format_value

VALUES = [("accuracy", 0.0913), ("loss", 2.3603)]


class Clock:
    """A settable replacement for the progress bar's clock."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progbar_module, "_now", clock)
    return clock


def test_verbose_2_prints_one_line_at_the_end(clock, capsys):
    bar = Progbar(25, verbose=2, stateful_metrics=["accuracy", "loss"])
    clock.now = 0.3
    bar.update(10, VALUES)
    assert capsys.readouterr().out == ""
    clock.now = 0.725
    bar.update(25, [*VALUES, ("val_accuracy", 0.105), ("val_loss", 2.3206)])
    assert capsys.readouterr().out == (
        "25/25 - 1s - 29ms/step - accuracy: 0.0913 - loss: 2.3603"
        " - val_accuracy: 0.1050 - val_loss: 2.3206\n"
    )


def test_verbose_1_final_line_has_bar_and_values(clock, capsys):
    bar = Progbar(32, stateful_metrics=["accuracy", "loss"])
    clock.now = 0.064
    bar.update(32, [("accuracy", 0.1), ("loss", 2.3222)])
    assert capsys.readouterr().out == (
        "\r32/32 " + "━" * 20 + " 0s 2ms/step - accuracy: 0.1000 - loss: 2.3222\n"
    )


def test_verbose_1_redraws_in_place_with_eta(clock, capsys):
    bar = Progbar(10, interval=0.05)
    clock.now = 1.0
    bar.update(5, [("loss", 1.0)])
    clock.now = 1.01  # Within the interval: not redrawn.
    bar.update(6, [("loss", 1.0)])
    out = capsys.readouterr().out
    assert out == "\r 5/10 " + "━" * 10 + "─" * 10 + " 1s 200ms/step - loss: 1.0000"


def test_shorter_line_is_padded_over_the_previous_one(clock, capsys):
    bar = Progbar(2, stateful_metrics=["loss", "accuracy"])
    clock.now = 1.0
    bar.update(1, [("loss", 1.0), ("accuracy", 0.5)])
    first = capsys.readouterr().out
    clock.now = 2.0
    bar._values_order.remove("accuracy")
    bar.update(2, [("loss", 1.0)])
    second = capsys.readouterr().out
    assert len(second) - 1 == len(first)  # Same width, plus the newline.
    assert second.endswith(" \n")


def test_terminal_output_is_bold_and_coloured(clock, capsys, monkeypatch):
    monkeypatch.setattr(progbar_module, "_is_terminal", lambda: True)
    bar = Progbar(4, width=4, stateful_metrics=["loss"])
    clock.now = 0.5
    bar.update(2, [("loss", 0.5)], finalize=False)
    assert capsys.readouterr().out == (
        "\r\x1b[1m2/4\x1b[0m \x1b[32m━━\x1b[0m\x1b[37m━━\x1b[0m"
        " \x1b[1m0s\x1b[0m 250ms/step - loss: 0.5000"
    )


def test_stateless_values_are_averaged_over_steps(clock):
    bar = Progbar(10, verbose=0)
    bar.update(2, [("loss", 1.0)])
    bar.update(6, [("loss", 4.0)])
    assert bar.values() == {"loss": pytest.approx((2 * 1.0 + 4 * 4.0) / 6)}
    bar.update(10, [("loss", 9.0)])  # The final value is shown as given.
    assert bar.values() == {"loss": 9.0}


def test_stateful_values_are_shown_as_given(clock):
    bar = Progbar(10, verbose=0, stateful_metrics=["loss"])
    bar.update(2, [("loss", 1.0)])
    bar.update(6, [("loss", 4.0)])
    assert bar.values() == {"loss": 4.0}


def test_unknown_target(clock, capsys):
    bar = Progbar(None)
    clock.now = 3.0
    bar.update(3, [("loss", 0.0)], finalize=True)
    assert capsys.readouterr().out == (
        "\r      3/Unknown 3s 1s/step - loss: 0.0000e+00\n"
    )


def test_verbose_0_prints_nothing(clock, capsys):
    bar = Progbar(3, verbose=0)
    bar.update(3, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_add_advances(clock):
    bar = Progbar(10, verbose=0)
    bar.add(3)
    bar.add(4)
    assert bar._seen_so_far == 7


def test_both_metric_kinds_raise():
    with pytest.raises(ValueError, match="Only one"):
        Progbar(1, stateful_metrics=[], stateless_metrics=[])


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2.4, " 2s/step"), (0.0, " 0s/step"), (0.029, " 29ms/step"), (4e-6, " 4us/step")],
)
def test_format_time(seconds, text):
    assert format_time(seconds, "step") == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(2.36034, "2.3603"), (-0.5, "-0.5000"), (0.0001, "1.0000e-04"), ("x", "x")],
)
def test_format_value(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize(
    ("current", "now", "eta"),
    [(50, 50.0, "50s"), (10, 10.0, "1:30"), (1, 100.0, "2:45:00")],
)
def test_eta_formats(clock, capsys, current, now, eta):
    bar = Progbar(100)
    clock.now = now
    bar.update(current)
    assert f" {eta} " in capsys.readouterr().out

"""format_summary reproduces Keras 3's rich-rendered model.summary()."""

import pytest

from kgraph.utils.summary import column_widths
from kgraph.utils.summary import format_summary
from kgraph.utils.summary import print_summary
from kgraph.utils.summary import readable_memory_size
from kgraph.utils.summary import wrap_cell

# FIELD.md 1.15, measured verbatim from Keras 3 (80-column terminal).
MLP_SUMMARY = """\
Model: "mlp"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 64)             │         1,344 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 64)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 1,994 (7.79 KB)
 Trainable params: 1,994 (7.79 KB)
 Non-trainable params: 0 (0.00 B)"""

MLP_ROWS = [
    ("dense (Dense)", "(None, 64)", 1344, []),
    ("dropout (Dropout)", "(None, 64)", 0, []),
    ("dense_1 (Dense)", "(None, 10)", 650, []),
]

# Rendered by Keras's summary code with rich 15 (line length 76).
FUNCTIONAL_SUMMARY = """\
Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ input_layer         │ (None, 8)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ d1 (Dense)          │ (None, 4)         │         36 │ input_layer[0][0] │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ d2 (Dense)          │ (None, 4)         │         36 │ input_layer[0][0] │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ add (Add)           │ (None, 4)         │          0 │ d1[0][0],         │
│                     │                   │            │ d2[0][0]          │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ a_very_long_layer_… │ (None, 1)         │          5 │ add[0][0]         │
│ (Dense)             │                   │            │                   │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 112 (452.00 B)
 Trainable params: 72 (288.00 B)
 Non-trainable params: 0 (0.00 B)
 Optimizer params: 40 (164.00 B)"""

FUNCTIONAL_ROWS = [
    ("input_layer (InputLayer)", "(None, 8)", 0, []),
    ("d1 (Dense)", "(None, 4)", 36, ["input_layer[0][0]"]),
    ("d2 (Dense)", "(None, 4)", 36, ["input_layer[0][0]"]),
    ("add (Add)", "(None, 4)", 0, ["d1[0][0]", "d2[0][0]"]),
    ("a_very_long_layer_name_that_will_not_fit (Dense)", "(None, 1)", 5, ["add[0][0]"]),
]


def test_field_example_in_an_80_column_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert format_summary("mlp", MLP_ROWS, 1994, 1994, 0) == MLP_SUMMARY


def test_field_example_with_explicit_line_length():
    assert format_summary("mlp", MLP_ROWS, 1994, 1994, 0, line_length=76) == (
        MLP_SUMMARY
    )


def test_default_line_length_is_88_in_a_wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    lines = format_summary("mlp", MLP_ROWS, 1994, 1994, 0).splitlines()
    assert len(lines[1]) == 88


def test_functional_table_wraps_and_truncates_like_rich():
    text = format_summary(
        "functional",
        FUNCTIONAL_ROWS,
        (112, 452),
        72,
        0,
        optimizer_params=(40, 164),
        connected=True,
        line_length=76,
    )
    assert text == FUNCTIONAL_SUMMARY


def test_unbuilt_params_string_and_empty_model():
    text = format_summary(
        "m", [("d (Dense)", "?", "0 (unbuilt)", [])], 0, 0, 0, line_length=76
    )
    assert "│ d (Dense)" in text
    assert "0 (unbuilt) │" in text
    empty = format_summary("empty", [], 0, 0, 0, line_length=50).splitlines()
    assert empty[3].startswith("┡") and empty[4].startswith("└")


def test_too_narrow_raises():
    with pytest.raises(ValueError, match="Insufficient console width"):
        format_summary("m", MLP_ROWS, 0, 0, 0, line_length=8)


def test_print_summary_to_stdout_and_print_fn(capsys):
    print_summary("mlp", MLP_ROWS, 1994, 1994, 0, line_length=76)
    assert capsys.readouterr().out == MLP_SUMMARY + "\n"
    captured = []
    print_summary(
        "mlp", MLP_ROWS, 1994, 1994, 0, line_length=76, print_fn=captured.append
    )
    assert captured == [MLP_SUMMARY + "\n"]


def test_helpers():
    assert column_widths(76, [0.45, 0.80, 1.0]) == [33, 24, 15]
    assert readable_memory_size(164) == "164.00 B"
    assert readable_memory_size(3 * 1024**3) == "3.00 GB"
    assert wrap_cell("12345", 3, "right") == ["12…"]
    assert wrap_cell("a\nbb", 3) == ["a  ", "bb "]

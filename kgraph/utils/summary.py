"""Keras 3's `model.summary()` table, rendered without `rich`.

Keras draws the summary with a `rich` table (heavy head, a line between rows,
one space of padding in each cell). This module reproduces that layout
character for character: the column widths, rich's shrinking of the columns
to the line length, its word wrapping and its "…" truncation.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from collections.abc import Sequence
from itertools import pairwise

_PADDING = 1
_WORD = re.compile(r"\s*\S+\s*")
_TRAILING_SPACE = re.compile(r"\s+$")

# A row: (name and type, output shape, params, connected-to layers), and
# with ``show_trainable`` a fifth cell: "Y", "N" or "-".
Row = tuple
# A parameter count, or (count, size in bytes) when not 4 bytes a parameter.
ParamCount = int | tuple[int, float]


def readable_memory_size(size: float) -> str:
    """Formats a size in bytes as Keras does: `"7.79 KB"`.

    Args:
        size: Size in bytes.

    Returns:
        The size with two decimals in B, KB, MB, GB, TB or PB (1024 based).

    Example:

    >>> readable_memory_size(7976)
    '7.79 KB'
    >>> readable_memory_size(0)
    '0.00 B'
    """
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    for unit in units:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {units[-1]}"


def _ratio_reduce(
    total: int, ratios: list[int], maximums: list[int], values: list[int]
) -> list[int]:
    """Takes `total` away from `values` in proportion to `ratios` (rich)."""
    ratios = [
        ratio if maximum else 0 for ratio, maximum in zip(ratios, maximums, strict=True)
    ]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    result = []
    for ratio, maximum, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _requested_widths(line_length: int, positions: Sequence[float]) -> list[int]:
    """Returns the column widths Keras asks for, from relative positions."""
    widths = []
    current = 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    return widths


def column_widths(line_length: int, positions: Sequence[float]) -> list[int]:
    """Returns the width of each cell (padding included, borders excluded).

    The cells and their borders fill `line_length` characters, as rich lays
    out a table of fixed-width columns wider than the table.

    Args:
        line_length: Total width of the table.
        positions: Right edge of each column, as a fraction of the line.

    Returns:
        One width per column.

    Raises:
        ValueError: If a column would be narrower than 4 characters.

    Example:

    >>> column_widths(76, [0.45, 0.80, 1.0])
    [33, 24, 15]
    """
    requested = _requested_widths(line_length, positions)
    max_width = line_length - (len(positions) + 1)
    widths = [min(w + 2 * _PADDING, max_width) for w in requested]
    excess = sum(widths) - max_width
    if excess > 0:
        widths = _ratio_reduce(excess, [1] * len(widths), widths, widths)
    return widths


def _divide_line(text: str, width: int) -> list[int]:
    """Returns the offsets where rich breaks `text` into lines of `width`."""
    breaks = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        word_length = len(word.rstrip())
        if width - offset >= word_length:
            offset += len(word)
        elif word_length > width or offset:
            if start:
                breaks.append(start)
            offset = len(word)
    return breaks


def _truncate(line: str, width: int) -> str:
    """Cuts `line` to `width` characters, ending with "…" when cut."""
    if len(line) <= width:
        return line
    return line[: max(width - 1, 0)] + "…"


def _rstrip_end(line: str, width: int) -> str:
    """Removes trailing whitespace that lies beyond `width`."""
    excess = len(line) - width
    match = _TRAILING_SPACE.search(line)
    if excess <= 0 or match is None:
        return line
    return line[: len(line) - min(len(match.group(0)), excess)]


def _justify(line: str, width: int, justify: str) -> str:
    """Truncates and pads one line to `width`: left, right or center."""
    if justify == "right":
        return _truncate(line.rstrip(), width).rjust(width)
    if justify == "center":
        return _truncate(line.strip(), width).center(width)
    return _truncate(line, width).ljust(width)


def wrap_cell(text: str, width: int, justify: str = "left") -> list[str]:
    """Word-wraps cell text to `width` characters as rich does.

    Words longer than the width are cut and end with "…".

    Args:
        text: The cell text; newlines start new lines.
        width: Width of the cell content, padding excluded.
        justify: `"left"` or `"right"`.

    Returns:
        The lines, each exactly `width` characters.

    Example:

    >>> wrap_cell("d1[0][0], d2[0][0]", 10)
    ['d1[0][0], ', 'd2[0][0]  ']
    """
    if width <= 0:
        return [""]
    lines = []
    for paragraph in text.split("\n"):
        bounds = [0, *_divide_line(paragraph, width), len(paragraph)]
        for start, end in pairwise(bounds):
            piece = _rstrip_end(paragraph[start:end], width)
            lines.append(_justify(piece, width, justify))
    return lines


def _render_row(
    cells: Sequence[str],
    widths: Sequence[int],
    justify: Sequence[str],
    vertical: str,
    bottom: bool = False,
) -> list[str]:
    """Renders one table row (possibly several lines tall)."""
    pad = " " * _PADDING
    wrapped = [
        [pad + line + pad for line in wrap_cell(c, w - 2 * _PADDING, j)]
        for c, w, j in zip(cells, widths, justify, strict=True)
    ]
    height = max(len(lines) for lines in wrapped)
    for lines, width in zip(wrapped, widths, strict=True):
        blank = [" " * width] * (height - len(lines))
        lines[:] = blank + lines if bottom else lines + blank
    return [
        vertical + vertical.join(parts) + vertical
        for parts in zip(*wrapped, strict=True)
    ]


def _rule(widths: Sequence[int], chars: str) -> str:
    """Returns a horizontal rule: left corner, fill, joint, right corner."""
    left, fill, joint, right = chars
    return left + joint.join(fill * w for w in widths) + right


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    justify: Sequence[str],
) -> list[str]:
    """Renders a rich "heavy head" table with lines between rows.

    Args:
        header: Column titles.
        rows: Cell texts, one sequence per row.
        widths: Cell widths, padding included (see `column_widths`).
        justify: `"left"` or `"right"` per column.

    Returns:
        The lines of the table.

    Example:

    >>> print("\\n".join(render_table(["a", "b"], [["x", "1"]], [5, 5],
    ...                               ["left", "right"])))
    ┏━━━━━┳━━━━━┓
    ┃ a   ┃   b ┃
    ┡━━━━━╇━━━━━┩
    │ x   │   1 │
    └─────┴─────┘
    """
    lines = [_rule(widths, "┏━┳┓")]
    lines += _render_row(header, widths, justify, "┃", bottom=True)
    lines.append(_rule(widths, "┡━╇┩"))
    for index, row in enumerate(rows):
        if index:
            lines.append(_rule(widths, "├─┼┤"))
        lines += _render_row(row, widths, justify, "│")
    lines.append(_rule(widths, "└─┴┘"))
    return lines


def _count_and_size(params: ParamCount) -> tuple[int, float]:
    """Splits a parameter count into (count, bytes), 4 bytes a parameter."""
    if isinstance(params, tuple):
        return int(params[0]), float(params[1])
    return int(params), 4.0 * int(params)


def _params_line(label: str, params: ParamCount) -> str:
    """Returns e.g. `" Total params: 1,994 (7.79 KB)"`."""
    count, size = _count_and_size(params)
    return f" {label}: {count:,} ({readable_memory_size(size)})"


def _row_cells(row: Row, connected: bool, trainable: bool = False) -> list[str]:
    """Returns the cell texts of one layer row."""
    name, shape, params, connected_to = row[:4]
    count = f"{params:,}" if isinstance(params, int) else str(params)
    cells = [name, shape, count]
    if connected:
        cells.append(", ".join(connected_to) if connected_to else "-")
    if trainable:
        cells.append(row[4] if len(row) > 4 else "-")
    return cells


def _layout(
    connected: bool, trainable: bool = False
) -> tuple[list[str], list[str], int, list[float]]:
    """Returns Keras's header, alignment, default length and positions;
    ``trainable`` adds a 12-character "Trainable" column at the end."""
    header = ["Layer (type)", "Output Shape", "Param #"]
    justify = ["left", "left", "right"]
    if not connected:
        length, positions = 88, [0.45, 0.80, 1.0]
    else:
        header.append("Connected to")
        justify.append("left")
        length, positions = 108, [0.3, 0.56, 0.74, 1.0]
    if trainable:
        scale = length / (length + 12)
        positions = [p * scale for p in positions] + [1.0]
        length += 12
        header.append("Trainable")
        justify.append("center")
    return header, justify, length, positions


def format_summary(
    model_name: str,
    rows: Sequence[Row],
    total_params: ParamCount,
    trainable_params: ParamCount,
    non_trainable_params: ParamCount,
    optimizer_params: ParamCount | None = None,
    connected: bool = False,
    line_length: int | None = None,
    positions: Sequence[float] | None = None,
    show_trainable: bool = False,
) -> str:
    """Formats a model summary exactly as Keras 3's `model.summary()`.

    Args:
        model_name: Name shown in the `Model: "..."` title.
        rows: One `(name_and_type, output_shape, params, connected_to)` per
            layer, e.g. `("dense (Dense)", "(None, 64)", 1344, [])`. `params`
            may be a string (e.g. `"0 (unbuilt)"`), shown as given;
            `connected_to` holds entries like `"d1[0][0]"`.
        total_params: Total count (weights plus optimizer variables).
        trainable_params: Trainable weight count.
        non_trainable_params: Non-trainable weight count.
        optimizer_params: Optimizer variable count; the line is printed only
            when this is not `None`.
        connected: Whether to add the "Connected to" column (functional
            models that are not a plain chain).
        line_length: Total width; by default 88 (108 with "Connected to"),
            capped at the terminal width minus 4, as in Keras.
        positions: Right edge of each column as a fraction of the line.
        show_trainable: Whether to add the "Trainable" column (each row's
            fifth cell).

    Each count may also be a `(count, size_in_bytes)` tuple when its
    variables are not all 4-byte floats; a plain count is sized 4 bytes each.

    Returns:
        The summary text, without a trailing newline.

    Raises:
        ValueError: If the line is too short for the columns.

    Example:

    >>> text = format_summary("m", [("d (Dense)", "(None, 2)", 6, [])],
    ...                       6, 6, 0, line_length=50)
    >>> print(text)
    Model: "m"
    ┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
    ┃ Layer (type)        ┃ Output Shape   ┃ Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
    │ d (Dense)           │ (None, 2)      │       6 │
    └─────────────────────┴────────────────┴─────────┘
     Total params: 6 (24.00 B)
     Trainable params: 6 (24.00 B)
     Non-trainable params: 0 (0.00 B)
    """
    header, justify, default_length, default_positions = _layout(
        connected, show_trainable
    )
    if line_length is None:
        terminal = shutil.get_terminal_size().columns - 4
        line_length = min(default_length, terminal)
    widths = column_widths(line_length, positions or default_positions)
    cells = [_row_cells(row, connected, show_trainable) for row in rows]
    lines = [f'Model: "{model_name}"']
    lines += render_table(header, cells, widths, justify)
    lines.append(_params_line("Total params", total_params))
    lines.append(_params_line("Trainable params", trainable_params))
    lines.append(_params_line("Non-trainable params", non_trainable_params))
    if optimizer_params is not None:
        lines.append(_params_line("Optimizer params", optimizer_params))
    return "\n".join(lines)


def print_summary(
    model_name: str,
    rows: Sequence[Row],
    total_params: ParamCount,
    trainable_params: ParamCount,
    non_trainable_params: ParamCount,
    optimizer_params: ParamCount | None = None,
    connected: bool = False,
    line_length: int | None = None,
    positions: Sequence[float] | None = None,
    print_fn: Callable[[str], object] | None = None,
    show_trainable: bool = False,
) -> None:
    """Prints `format_summary(...)` to stdout, or passes it to `print_fn`.

    As in Keras 3, `print_fn` is called once with the whole summary (ending
    in a newline).

    Args:
        model_name: See `format_summary`.
        rows: See `format_summary`.
        total_params: See `format_summary`.
        trainable_params: See `format_summary`.
        non_trainable_params: See `format_summary`.
        optimizer_params: See `format_summary`.
        connected: See `format_summary`.
        line_length: See `format_summary`.
        positions: See `format_summary`.
        print_fn: Called with the summary text; `None` writes to
            `sys.stdout`.
        show_trainable: See `format_summary`.

    Example:

    >>> lines = []
    >>> print_summary("m", [], 0, 0, 0, line_length=40, print_fn=lines.append)
    >>> lines[0].splitlines()[0]
    'Model: "m"'
    """
    text = format_summary(
        model_name,
        rows,
        total_params,
        trainable_params,
        non_trainable_params,
        optimizer_params=optimizer_params,
        connected=connected,
        line_length=line_length,
        positions=positions,
        show_trainable=show_trainable,
    )
    if print_fn is None:
        sys.stdout.write(text + "\n")
    else:
        print_fn(text + "\n")

"""``plot_history``: the loss and metrics of ``fit`` per epoch, drawn with
matplotlib (an optional dependency, in the ``examples`` extra)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


def _require_matplotlib() -> Any:
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise ImportError(
            "plot_history needs matplotlib, an optional dependency of kgraph: "
            "`pip install matplotlib` (or `pip install kgraph[examples]`). "
            "Received: matplotlib is not installed"
        ) from None
    return Figure, MaxNLocator


def _series(history: Any) -> dict[str, list[float]]:
    values = getattr(history, "history", history)
    if not isinstance(values, Mapping) or not values:
        raise ValueError(
            "plot_history takes the History that fit returns (or its `history` "
            f"dict of per-epoch lists). Received: {type(history).__name__}"
        )
    return {str(key): [float(v) for v in series] for key, series in values.items()}


def plot_history(
    history: Any,
    to_file: str | os.PathLike[str] | None = "history.png",
    dpi: int = 100,
) -> Any:
    """Draws the loss and each metric per epoch, training and validation.

    One panel per quantity (``loss``, then the metrics); the validation
    curve (``val_<name>``) shares its panel, dashed.

    Args:
        history: the ``History`` returned by ``fit``, or its ``history``
            dict.
        to_file: the picture to write (PNG, SVG, PDF... by extension);
            ``None`` returns the figure instead.
        dpi: the resolution of raster pictures.

    Returns:
        The path written, or the matplotlib ``Figure`` when ``to_file`` is
        ``None``.

    Raises:
        ImportError: naming ``pip install matplotlib`` when it is missing.
        ValueError: for something that is not a history.

    Example:

    ```python
    history = model.fit(x, y, validation_split=0.2, epochs=10)
    kg.utils.plot_history(history, "history.png")
    ```
    """
    figure_class, integer_locator = _require_matplotlib()
    series = _series(history)
    names = [key for key in series if not key.startswith("val_")]
    names += [
        key[4:] for key in series if key.startswith("val_") and key[4:] not in names
    ]
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure = figure_class(figsize=(4.5 * columns, 3.4 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis in axes[len(names) :]:
        axis.set_visible(False)
    for axis, name in zip(axes, names, strict=False):
        for key, style, label in (
            (name, "-", "training"),
            (f"val_{name}", "--", "validation"),
        ):
            if key in series:
                epochs = range(1, len(series[key]) + 1)
                axis.plot(
                    epochs, series[key], style, marker="o", markersize=3, label=label
                )
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(integer_locator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend()
    if to_file is None:
        return figure
    figure.savefig(os.fspath(to_file), dpi=dpi)
    return os.fspath(to_file)

"""``plot_model`` and ``model_to_dot``: the layer graph as a picture.

The DOT text is made here, with Keras 3's look (a black title bar with the
class, or the name and the class; white cells with the shapes, dtype,
activation, trainability). Graphviz's ``dot`` program renders it to PNG,
SVG or PDF when it is installed; without it ``plot_model`` writes the DOT
text next to the requested file and says so. No Python package (pydot) is
needed.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

from kgraph.utils import layer_graph

_RENDERED = ("png", "svg", "pdf", "jpg", "jpeg", "gif")


def _cell(text: str, colspan: int | None = None, bgcolor: str = "white") -> str:
    span = f' colspan="{colspan}"' if colspan else ""
    return f'<td bgcolor="{bgcolor}"{span}><font point-size="14">{text}</font></td>'


def _label(node: layer_graph.LayerNode, options: dict[str, bool]) -> str:
    """Keras's HTML-like table label for one layer."""
    name = html.escape(node.name)
    title = (
        f"<b>{name}</b> ({node.class_name})"
        if options["show_layer_names"]
        else f"<b>{node.class_name}</b>"
    )
    cols = []
    if options["show_shapes"]:
        if node.class_name != "InputLayer":
            shape = html.escape(node.shapes_text("input"))
            cols.append(_cell(f"Input shape: <b>{shape}</b>"))
        cols.append(
            _cell(f"Output shape: <b>{html.escape(node.shapes_text('output'))}</b>")
        )
    if options["show_dtype"]:
        cols.append(_cell(f"Output dtype: <b>{node.dtype}</b>"))
    if options["show_trainable"] and node.params:
        text, color = (
            ("Trainable", "forestgreen")
            if node.trainable
            else (
                "Non-trainable",
                "firebrick",
            )
        )
        cols.append(
            f'<td bgcolor="{color}"><font point-size="14" color="white">'
            f"<b>{text}</b></font></td>"
        )
    colspan = max(1, len(cols))
    rows = [
        f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" '
        f'color="white">{title}</font></td></tr>'
    ]
    if options["show_layer_activations"] and node.activation:
        rows.append(
            f"<tr>{_cell(f'Activation: <b>{node.activation}</b>', colspan)}</tr>"
        )
    if cols:
        rows.append(f"<tr>{''.join(cols)}</tr>")
    return (
        '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
        + "".join(rows)
        + "</table>>"
    )


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> str:
    """Returns the model's layer graph as Graphviz DOT text.

    Args:
        model: a functional or Sequential model.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show layer names as well as classes.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        expand_nested: accepted for Keras compatibility (kgraph does not
            nest models).
        dpi: the resolution of rendered pictures.
        subgraph: return a ``subgraph cluster_<model name>`` block, to
            include in another graph, instead of a whole ``digraph``
            (Keras returns a pydot ``Cluster`` then).
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether layers with weights are trainable.
        splines: Graphviz's edge style (Keras uses ``"ortho"``).
        **kwargs: none are recognized (Keras's are internal).

    Returns:
        The DOT text.

    Raises:
        ValueError: for an unknown ``rankdir`` or keyword argument.
    """
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments. Received: {kwargs}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(
            "rankdir must be one of 'TB', 'LR', 'BT', 'RL'. "
            f"Received: rankdir={rankdir!r}"
        )
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    nodes = layer_graph.layer_graph(model, with_sequential_input=False)
    ids = {node.name: f"n{index}" for index, node in enumerate(nodes)}
    header = f'subgraph "cluster_{model.name}" {{' if subgraph else "digraph G {"
    lines = [
        header,
        f"  graph [rankdir={rankdir}, concentrate=true, dpi={int(dpi)}, "
        f"splines={splines}];",
        '  node [shape=plaintext, fontname="Helvetica"];',
        '  edge [color="#444444"];',
    ]
    for node in nodes:
        lines.append(f"  {ids[node.name]} [label={_label(node, options)}];")
    for node in nodes:
        for source in dict.fromkeys(node.inputs):
            lines.append(f"  {ids[source]} -> {ids[node.name]};")
    lines.append("}")
    return "\n".join(lines)


def plot_model(
    model: Any,
    to_file: str | os.PathLike[str] = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> str:
    """Draws the model's layer graph to a file, as Keras's ``plot_model``.

    ``.png``, ``.svg``, ``.pdf`` and ``.jpg`` files are rendered by
    Graphviz's ``dot`` program; a ``.dot`` file gets the DOT text. When
    ``dot`` is not installed, the DOT text is written next to ``to_file``
    (same name, ``.dot`` suffix) with a warning saying so.

    Args:
        model: a functional or Sequential model.
        to_file: the file to write.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
        dpi, show_layer_activations, show_trainable, splines: as
        ``model_to_dot``.
        **kwargs: none are recognized (Keras's are internal).

    Returns:
        The path of the file written.

    Raises:
        ValueError: for an unknown file extension or option.
        RuntimeError: when ``dot`` fails.

    Example:

    ```python
    kg.utils.plot_model(model, "model.svg", show_shapes=True)
    ```
    """
    if kwargs:
        raise ValueError(
            f"Unrecognized keyword arguments: {sorted(kwargs)}. Received: {kwargs}"
        )
    text = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    path = Path(to_file)
    extension = path.suffix.lower().lstrip(".")
    if extension == "dot" or extension == "gv":
        path.write_text(text + "\n", encoding="utf-8")
        return str(path)
    if extension not in _RENDERED:
        raise ValueError(
            f"plot_model writes .png, .svg, .pdf, .jpg or .dot files. "
            f"Received: to_file={os.fspath(to_file)}"
        )
    dot = shutil.which("dot")
    if dot is None:
        fallback = path.with_suffix(".dot")
        fallback.write_text(text + "\n", encoding="utf-8")
        warnings.warn(
            f"Graphviz's `dot` program is not installed, so plot_model could not "
            f"render {path.name}; it wrote the DOT text to {fallback} instead. "
            "Install Graphviz (e.g. `apt-get install graphviz` or `brew install "
            "graphviz`) to get pictures, or view the .dot file with any Graphviz "
            "viewer.",
            stacklevel=2,
        )
        return str(fallback)
    render(text, extension, path, dot)
    return str(path)


def render(text: str, extension: str, path: Path, dot: str | None = None) -> None:
    """Runs Graphviz's ``dot`` on DOT text, writing ``path``.

    Raises:
        RuntimeError: when ``dot`` is missing or fails.
    """
    dot = dot or shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            "Graphviz's `dot` program is not installed (e.g. `apt-get install "
            "graphviz`). Received: no `dot` on PATH"
        )
    kind = "jpg" if extension == "jpeg" else extension
    result = subprocess.run(
        [dot, f"-T{kind}", "-o", str(path)],
        input=text.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"Graphviz's dot failed to render {path}: "
            f"{result.stderr.decode(errors='replace').strip()}"
        )

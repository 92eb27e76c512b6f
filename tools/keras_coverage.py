"""Which of Keras's public names kgraph offers, module by module.

Reads a listing of Keras's public API in the format of
``keras-<version>-public-api.txt`` (``## keras.layers (175 names)`` headings,
then one ``name(signature)  [kind]`` line per name; member sections are
headed ``## keras.Model members (84)``) and checks each name against the
matching kgraph module or class.

Usage::

    python tools/keras_coverage.py LISTING [--missing] [--markdown]

Names that do not fit a CPU compiler (TensorFlow-, JAX- or Torch-specific
wrappers, TensorFlow's dataset readers) are listed in ``OUT_OF_SCOPE`` with
the reason, and are left out of the percentages.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

# Module sections whose coverage the project tracks, in the table's order.
MODULES = (
    "layers",
    "ops",
    "losses",
    "metrics",
    "optimizers",
    "optimizers.schedules",
    "callbacks",
    "activations",
    "initializers",
    "regularizers",
    "constraints",
    "utils",
    "models",
    "saving",
    "random",
    "backend",
    "applications",
    "tree",
)
MEMBERS = ("Model", "Layer", "Variable", "Metric", "Optimizer", "Callback")

_TF_SPECIFIC = "needs TensorFlow, JAX or Torch objects"
_TF_DATA = "reads files into tf.data datasets"
_LOW_PRECISION = "quantized and mixed-precision variables are not supported"
_BOXES = "bounding-box utilities of the vision preprocessing API"
_COMPLEX = "needs complex dtypes, which kgraph does not have"

OUT_OF_SCOPE: dict[str, str] = {
    "layers.TFSMLayer": _TF_SPECIFIC,
    "layers.JaxLayer": _TF_SPECIFIC,
    "layers.FlaxLayer": _TF_SPECIFIC,
    "layers.TorchModuleWrapper": _TF_SPECIFIC,
    "callbacks.TensorBoard": "writes TensorFlow's event files",
    "callbacks.OrbaxCheckpoint": _TF_SPECIFIC,
    "utils.audio_dataset_from_directory": _TF_DATA,
    "utils.image_dataset_from_directory": _TF_DATA,
    "utils.text_dataset_from_directory": _TF_DATA,
    "utils.bounding_boxes": _BOXES,
    "utils.FeatureSpace": _TF_DATA,
    "losses.CTC": "CTC needs a dynamic-programming op not yet in the IR",
    "losses.ctc": "CTC needs a dynamic-programming op not yet in the IR",
    "ops.ctc_loss": "CTC needs a dynamic-programming op not yet in the IR",
    "ops.ctc_decode": "CTC needs a dynamic-programming op not yet in the IR",
    "ops.polar": _COMPLEX,
    "ops.view_as_complex": _COMPLEX,
    "ops.view_as_real": _COMPLEX,
    "Layer.quantize": _LOW_PRECISION,
    "Layer.quantization_mode": _LOW_PRECISION,
    "Layer.quantized_build": _LOW_PRECISION,
    "Model.quantization_mode": _LOW_PRECISION,
    "Model.quantized_build": _LOW_PRECISION,
    "Model.get_quantization_layer_structure": _LOW_PRECISION,
    "layers.MaxNumBoundingBoxes": _BOXES,
    "Layer.quantized_call": _LOW_PRECISION,
    "Model.quantize": _LOW_PRECISION,
    "Model.quantized_call": _LOW_PRECISION,
    "Layer.dtype_policy": _LOW_PRECISION,
    "Model.dtype_policy": _LOW_PRECISION,
}

_HEADING = re.compile(
    r"^## keras\.?(?P<name>[\w.]*?)(?: members)? \((?P<count>\d+)(?: names)?\)"
)
_ENTRY = re.compile(r"^(?P<name>[A-Za-z_]\w*)")


@dataclass
class Section:
    """One module or class of the listing and the names it holds."""

    name: str
    members: bool
    names: list[str] = field(default_factory=list)


def read_listing(path: Path) -> dict[str, Section]:
    """Parses a public-API listing into its sections.

    Args:
        path: The listing file.

    Returns:
        Sections by name (``"layers"``, ``"Model"``, ...).
    """
    sections: dict[str, Section] = {}
    current: Section | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = _HEADING.match(line)
        if heading:
            name = heading.group("name")
            current = Section(
                name, members=line.rstrip().endswith(")") and " members " in line
            )
            sections[name] = current
            continue
        entry = _ENTRY.match(line)
        if current is not None and entry:
            current.names.append(entry.group("name"))
    return sections


def _target(section: Section) -> object | None:
    import kgraph

    if section.members:
        return getattr(kgraph, section.name, None) or _member_class(section.name)
    try:
        return importlib.import_module(f"kgraph.{section.name}")
    except ImportError:
        return None


def _member_class(name: str) -> object | None:
    import kgraph

    places = {
        "Metric": "metrics",
        "Optimizer": "optimizers",
        "Callback": "callbacks",
    }
    module = getattr(kgraph, places.get(name, ""), None)
    return getattr(module, name, None) if module is not None else None


def coverage(
    sections: dict[str, Section],
) -> list[tuple[str, list[str], list[str], list[str]]]:
    """Checks every section's names against kgraph.

    Args:
        sections: From `read_listing`.

    Returns:
        ``(section, present, missing, out_of_scope)`` rows in table order.
    """
    rows = []
    for name in (*MODULES, *MEMBERS):
        section = sections.get(name)
        if section is None:
            continue
        target = _target(section)
        present, missing, skipped = [], [], []
        for entry in section.names:
            if f"{name}.{entry}" in OUT_OF_SCOPE:
                skipped.append(entry)
            elif target is not None and hasattr(target, entry):
                present.append(entry)
            else:
                missing.append(entry)
        rows.append((name, present, missing, skipped))
    return rows


def _percent(present: int, missing: int) -> str:
    total = present + missing
    return f"{100.0 * present / total:.0f}%" if total else "-"


def format_table(
    rows: list[tuple[str, list[str], list[str], list[str]]], markdown: bool
) -> str:
    """Renders the coverage rows as a plain or Markdown table.

    Args:
        rows: From `coverage`.
        markdown: Whether to write a Markdown table.

    Returns:
        The table as text.
    """
    lines = []
    if markdown:
        lines.append("| Keras | kgraph has | in scope | coverage |")
        lines.append("|---|---|---|---|")
    else:
        lines.append(f"{'Keras':<24}{'has':>6}{'scope':>7}{'cover':>8}")
    for name, present, missing, _ in rows:
        label = f"keras.{name}" if name[0].islower() else f"{name} members"
        scope = len(present) + len(missing)
        cover = _percent(len(present), len(missing))
        if markdown:
            lines.append(f"| `{label}` | {len(present)} | {scope} | {cover} |")
        else:
            lines.append(f"{label:<24}{len(present):>6}{scope:>7}{cover:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Prints the coverage table (and the missing names when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "listing", type=Path, help="a keras-<version>-public-api.txt file"
    )
    parser.add_argument("--missing", action="store_true", help="list the missing names")
    parser.add_argument(
        "--markdown", action="store_true", help="print a Markdown table"
    )
    args = parser.parse_args(argv)
    rows = coverage(read_listing(args.listing))
    print(format_table(rows, args.markdown))
    if args.missing:
        for name, _, missing, skipped in rows:
            if missing:
                print(f"\nmissing from {name}: {', '.join(missing)}")
            for entry in skipped:
                print(
                    f"out of scope: {name}.{entry}: {OUT_OF_SCOPE[f'{name}.{entry}']}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

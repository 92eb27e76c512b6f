"""The ``kgraph`` command line.

::

    kgraph dump FILE [--stage S] [--format text|dot|svg|json] [-o OUT]
    kgraph viz MODEL -o graph.html [--stage S]
    kgraph summary MODEL

``FILE`` is a saved model (``.kgraph`` or ``.keras``) or a graph saved with
``Graph.to_json()`` (``.json``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kgraph.ir.graph import Graph

_STAGES_HELP = (
    "layers (one node per layer), forward (default), train-step, eval-step, "
    "predict-step, the name of a pass of the training pipeline (e.g. "
    "differentiate, inline_optimizer, fuse), or for dump only llvm-ir, "
    "llvm-ir-optimized, asm"
)
_EPILOG = "FILE: a model saved with model.save() (.kgraph, .keras) or a graph .json."


class CommandError(Exception):
    """A failure to report in one line, without a traceback."""


def _load_graph(path: str) -> Graph:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None
    try:
        return Graph.from_json(text)
    except (ValueError, KeyError, TypeError) as error:
        raise CommandError(f"{path} is not a kgraph graph file: {error}") from None


def _load(path: str, unsafe: bool = False) -> Any:
    """A graph for ``.json`` files, else a saved model."""
    if path.endswith(".json"):
        return _load_graph(path)
    from kgraph.saving import api

    if not Path(path).is_file():
        raise CommandError(f"cannot read {path}: No such file or directory")
    return api.load_model(path, safe_mode=not unsafe)


def _svg(dot_text: str) -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise CommandError(
            "--format svg needs Graphviz's 'dot' program, which is not "
            "installed (for example: apt-get install graphviz). Use --format dot "
            "to get the DOT text instead."
        )
    result = subprocess.run(
        [dot, "-Tsvg"], input=dot_text, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise CommandError(f"dot failed: {result.stderr.strip()}")
    return result.stdout


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


def _dump(args: argparse.Namespace) -> int:
    from kgraph.dump import dump

    target = _load(args.file, args.unsafe)
    if isinstance(target, Graph) and args.stage is not None:
        raise CommandError(
            f"a graph file has no stages. Received: --stage {args.stage}"
        )
    if args.format == "svg":
        text = _svg(dump(target, "dot", stage=args.stage, batch_size=args.batch_size))
    else:
        text = dump(target, args.format, stage=args.stage, batch_size=args.batch_size)
    _write(text, args.output)
    return 0


def _viz(args: argparse.Namespace) -> int:
    from kgraph import viz

    target = _load(args.file, args.unsafe)
    stage = None if isinstance(target, Graph) else args.stage
    if isinstance(target, Graph) and args.stage is not None:
        raise CommandError(
            f"a graph file has no stages. Received: --stage {args.stage}"
        )
    viz.write_html(target, args.output, stage=stage, batch_size=args.batch_size)
    print(f"wrote {args.output}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    model = _load(args.file, args.unsafe)
    if isinstance(model, Graph):
        raise CommandError(f"{args.file} is a graph, not a model: use `kgraph dump`")
    model.summary()
    return 0


def _export(args: argparse.Namespace) -> int:
    model = _load(args.model, args.unsafe)
    if isinstance(model, Graph):
        raise CommandError(f"{args.model} is a graph, not a model: export a model")
    options = {
        key: value
        for key, value in (
            ("name", args.name),
            ("target", args.target),
            ("cpu", args.cpu),
            ("features", args.features),
        )
        if value is not None
    }
    model.export(args.output, format="c", batch_size=args.batch, **options)
    return 0


def _add_model_options(parser: argparse.ArgumentParser, with_stage: bool) -> None:
    parser.add_argument(
        "file", metavar="FILE", help="a .kgraph/.keras model or a .json graph"
    )
    if with_stage:
        parser.add_argument(
            "--stage", default=None, help=f"what to show: {_STAGES_HELP}"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=32,
            help="batch size the step graphs are compiled for (default 32)",
        )
    parser.add_argument(
        "--unsafe",
        action="store_true",
        help="load Lambda layers' bytecode (only for files you trust)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser of the ``kgraph`` command."""
    parser = argparse.ArgumentParser(
        prog="kgraph", description="Inspect kgraph models and graphs.", epilog=_EPILOG
    )
    commands = parser.add_subparsers(dest="command", required=True)
    dump_parser = commands.add_parser(
        "dump",
        help="print a model's graph at any compiler stage (text, DOT, SVG, JSON)",
        description="Print a model's (or a graph file's) graph at a compiler stage.",
        epilog=_EPILOG,
    )
    _add_model_options(dump_parser, with_stage=True)
    dump_parser.add_argument(
        "--format",
        choices=("text", "dot", "svg", "json"),
        default="text",
        help="text (one line per node), dot (Graphviz), svg (needs Graphviz), json",
    )
    dump_parser.add_argument("-o", "--output", help="write to this file")
    dump_parser.set_defaults(handler=_dump)
    viz_parser = commands.add_parser(
        "viz",
        help="write one self-contained HTML page showing a graph",
        description=(
            "Write one HTML page (no network, no server) showing the graph of a "
            "stage: click a node for its attributes, drag to pan, scroll to zoom."
        ),
        epilog=_EPILOG,
    )
    _add_model_options(viz_parser, with_stage=True)
    viz_parser.add_argument(
        "-o", "--output", default="graph.html", help="the page to write (graph.html)"
    )
    viz_parser.set_defaults(handler=_viz)
    summary_parser = commands.add_parser(
        "summary",
        help="print model.summary() of a saved model",
        description="Print the summary table of a saved model.",
    )
    _add_model_options(summary_parser, with_stage=False)
    summary_parser.set_defaults(handler=_summary)
    export_parser = commands.add_parser(
        "export",
        help="write a saved model's predict loop as a C header and object file",
        description=(
            "Write NAME.h and NAME.o (the predict loop with its weights, for a "
            "target CPU) into a folder: see README.txt there for the build line."
        ),
    )
    export_parser.add_argument("model", help="a saved model (.kgraph or .keras)")
    export_parser.add_argument("-o", "--output", required=True, help="the folder")
    export_parser.add_argument("--name", help="the C prefix (the model's name)")
    export_parser.add_argument(
        "--target", help="an LLVM target triple (default: this machine's)"
    )
    export_parser.add_argument("--cpu", help="the target CPU (default: this one)")
    export_parser.add_argument(
        "--features", help="target features, LLVM's form: +avx2,-avx512f"
    )
    export_parser.add_argument(
        "--batch", type=int, default=1, help="rows per step (default 1: any count)"
    )
    export_parser.add_argument(
        "--unsafe",
        action="store_true",
        help="load Lambda layers' bytecode (only for files you trust)",
    )
    export_parser.set_defaults(handler=_export)
    for command in (dump_parser, viz_parser, summary_parser, export_parser):
        command.add_argument(
            "--debug", action="store_true", help="show the traceback of an error"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status: 0, or 2 with one
    line on stderr naming the problem (``--debug`` shows the traceback)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except Exception as error:
        if getattr(args, "debug", False):
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"kgraph: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

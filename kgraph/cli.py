"""The ``kgraph`` command line: ``kgraph dump FILE.json --format text|dot|svg|json``."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from kgraph import errors
from kgraph.dump import dump
from kgraph.ir.graph import Graph


def _load_graph(path: str) -> Graph:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise SystemExit(f"kgraph: cannot read {path}: {error.strerror}") from None
    try:
        return Graph.from_json(text)
    except (ValueError, KeyError, TypeError) as error:
        raise SystemExit(
            f"kgraph: {path} is not a kgraph graph file: {error}"
        ) from None


def _svg(dot_text: str) -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise SystemExit(
            "kgraph: --format svg needs Graphviz's 'dot' program, which is not "
            "installed (for example: apt-get install graphviz). Use --format dot "
            "to get the DOT text instead."
        )
    result = subprocess.run(
        [dot, "-Tsvg"], input=dot_text, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"kgraph: dot failed: {result.stderr.strip()}")
    return result.stdout


def _dump(args: argparse.Namespace) -> int:
    graph = _load_graph(args.file)
    if args.format == "svg":
        text = _svg(dump(graph, "dot"))
    else:
        text = dump(graph, args.format)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser of the ``kgraph`` command."""
    parser = argparse.ArgumentParser(
        prog="kgraph", description="Inspect kgraph graphs and models."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    dump_parser = commands.add_parser(
        "dump", help="print a saved graph as text, DOT, SVG or JSON"
    )
    dump_parser.add_argument("file", help="a graph saved with Graph.to_json()")
    dump_parser.add_argument(
        "--format", choices=("text", "dot", "svg", "json"), default="text"
    )
    dump_parser.add_argument("-o", "--output", help="write to this file")
    dump_parser.set_defaults(handler=_dump)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except errors.KGraphError as error:
        print(f"kgraph: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

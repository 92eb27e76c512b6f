"""The one-way flow of docs/architecture.md, enforced: import-linter's
contracts (``[tool.importlinter]`` in pyproject.toml), ``llvmlite.binding``
only in the JIT, no new import cycle between kgraph's top-level modules,
and the type checker over the IR, the compiler and the backends."""

from __future__ import annotations

import ast
import itertools
import logging
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kgraph"

# Import cycles between top-level modules, each a pair of modules importing
# each other: none. (The tensor types live in kgraph.ops, whose functions
# their Python operators call; kgraph.tensor re-exports them.)
KNOWN_CYCLES: set[tuple[str, str]] = set()


def test_the_import_contracts_hold():
    cli = pytest.importorskip("importlinter.cli")
    # import-linter configures logging with dictConfig, which disables every
    # logger that exists already (kgraph's among them): restore them after.
    loggers = logging.root.manager.loggerDict.values()
    enabled = [
        lg for lg in loggers if isinstance(lg, logging.Logger) and not lg.disabled
    ]
    try:
        assert cli.lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0
    finally:
        for logger in enabled:
            logger.disabled = False


def test_llvmlite_binding_is_imported_only_by_the_jit():
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            if any(name.startswith("llvmlite.binding") for name in names):
                importers.add(path.relative_to(ROOT).as_posix())
    # The JIT, and the compiler it shares with its helper process.
    assert importers == {
        "kgraph/backends/llvm/jit.py",
        "kgraph/backends/llvm/compile_worker.py",
    }


def _top(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_only_the_known_import_cycles_remain():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("kgraph")
    edges = set()
    for module in graph.modules:
        if not module.startswith("kgraph."):
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("kgraph.") and _top(imported) != _top(module):
                edges.add((_top(module), _top(imported)))
    tops = sorted({a for a, _ in edges} | {b for _, b in edges})
    cycles = {
        (a, b)
        for a, b in itertools.combinations(tops, 2)
        if (a, b) in edges and (b, a) in edges
    }
    assert cycles == KNOWN_CYCLES


def test_the_type_checker_passes_over_ir_compiler_and_backends():
    api = pytest.importorskip("mypy.api")
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            str(PACKAGE / "ir"),
            str(PACKAGE / "compiler"),
            str(PACKAGE / "backends"),
            str(PACKAGE / "objects.py"),
            str(PACKAGE / "errors.py"),
        ]
    )
    assert status == 0, stdout + stderr

"""The Example sections of the docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import kgraph

_SKIP = ("kgraph.cli",)
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(kgraph.__path__, "kgraph.")
    if not info.name.startswith(_SKIP)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

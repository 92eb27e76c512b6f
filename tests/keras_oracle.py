"""Real Keras as the oracle of generated parity tests.

The tests are generated from kgraph's public names that Keras also
exports, each compared with Keras's on the same inputs. Where Keras is not
installed they are generated from kgraph's names alone, and each skips. ``pip install -e
".[test,parity]"`` installs Keras and JAX, its backend here.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

import numpy as np
import pytest

try:
    import keras
except ImportError:  # the parity extra is not installed
    keras = None


def keras_twin(module: str, name: str) -> Any:
    """Keras's object of the same name in ``keras.<module>``; skips the
    test when Keras, or the name in it, is missing."""
    if keras is None:
        pytest.skip('Keras is not installed: pip install -e ".[test,parity]"')
    twin = getattr(getattr(keras, module), name, None)
    if twin is None:
        pytest.skip(f"keras.{module} has no {name}")
    return twin


def shared(module: str, names: list[str]) -> list[str]:
    """The ``names`` that ``keras.<module>`` has too (all of them where
    Keras is not installed: their tests skip)."""
    if keras is None:
        return names
    return [name for name in names if hasattr(getattr(keras, module), name)]


def shared_classes(module: ModuleType, base: type, keras_module: str) -> list[str]:
    """The public subclasses of ``base`` in ``module`` (``base`` excluded)
    that Keras has too, sorted."""
    return shared(
        keras_module,
        sorted(
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and inspect.isclass(value)
            and issubclass(value, base)
            and value is not base
        ),
    )


def shared_functions(module: ModuleType, keras_module: str) -> list[str]:
    """The public functions of ``module`` that Keras has too, sorted."""
    return shared(
        keras_module,
        sorted(
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and inspect.isfunction(value)
        ),
    )


def as_array(value: Any) -> np.ndarray:
    """A Keras or kgraph result as a NumPy array."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value)


def required_arguments(cls: Any, values: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments ``cls``'s constructor requires, from ``values`` by
    name (``None`` when ``values`` lacks one)."""
    arguments = {}
    for parameter in inspect.signature(cls).parameters.values():
        if parameter.default is not inspect.Parameter.empty or parameter.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            continue
        if parameter.name not in values:
            return None
        arguments[parameter.name] = values[parameter.name]
    return arguments


def assert_config_holds(ours: dict, theirs: dict, unlike: tuple[str, ...] = ()) -> None:
    """kgraph's config holds every key of Keras's (it may hold more: Keras
    leaves some arguments out, so its own round trip loses them) with the
    same value, but for the ``unlike`` keys (names Keras numbers, objects
    of each library)."""
    assert not set(theirs) - set(ours) - set(unlike)
    for key, value in theirs.items():
        if key not in unlike:
            assert ours[key] == pytest.approx(value), key

"""Keras's namespaces of ``keras.ops`` (``numpy``, ``nn``, ``linalg``,
``image``): each re-exports the functions of ``kgraph.ops``, defined once."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import kgraph as keras
from kgraph import ops

NAMESPACES = ("numpy", "nn", "linalg", "image")


@pytest.mark.parametrize("name", NAMESPACES)
def test_a_namespace_is_reachable_as_keras_has_it(name):
    module = getattr(keras.ops, name)
    assert module is importlib.import_module(f"kgraph.ops.{name}")
    assert module.__doc__


@pytest.mark.parametrize("name", ("numpy", "nn", "linalg"))
def test_every_name_is_the_function_of_kgraph_ops(name):
    module = getattr(ops, name)
    for member in module.__all__:
        assert getattr(module, member) is getattr(ops, member), member


def test_keras_names_sit_where_keras_puts_them():
    # A sample of each namespace (Keras 3.15's dir(keras.ops.<namespace>)).
    for member in ("gelu", "log_softmax", "depth_to_space", "space_to_depth", "conv"):
        assert member in ops.nn.__all__
    for member in ("abs", "einsum", "where", "nanmedian", "get_item", "matmul"):
        assert member in ops.numpy.__all__
    for member in ("norm", "qr", "svd", "solve_triangular", "jvp"):
        assert member in ops.linalg.__all__
    assert len(ops.numpy.__all__) == 220
    assert len(ops.linalg.__all__) == 16
    # Keras's CTC functions and polar (complex numbers) are out of scope.
    assert len(ops.nn.__all__) == 55 - 3
    assert "gelu" not in ops.numpy.__all__


def test_namespaced_functions_compute():
    x = np.array([-1.0, 0.0, 2.0], "float32")
    np.testing.assert_allclose(ops.numpy.abs(x).numpy(), [1.0, 0.0, 2.0])
    np.testing.assert_allclose(ops.nn.relu(x).numpy(), [0.0, 0.0, 2.0])
    assert float(ops.linalg.norm(x).numpy()) == pytest.approx(np.sqrt(5.0))

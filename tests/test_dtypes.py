"""The dtype table and promotion."""

import numpy as np
import pytest

from kgraph import dtypes
from kgraph import errors


def test_promotion():
    assert dtypes.result_type("int32", "float32") == "float32"
    assert dtypes.result_type("int64", "float32") == "float32"
    assert dtypes.result_type("float32", "float64") == "float64"
    assert dtypes.result_type("bool", "int32") == "int32"
    assert dtypes.result_type("int32", "int64") == "int64"


def test_canonical_names():
    assert dtypes.canonical(np.float32) == "float32"
    assert dtypes.canonical("f64") == "float64"
    with pytest.raises(errors.DTypeError, match="Unsupported dtype"):
        dtypes.canonical("complex64")

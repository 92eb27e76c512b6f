"""TensorType and broadcasting with unknown dimensions."""

import pytest

from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ir.types import broadcast_shapes


def test_printed_form_round_trips():
    for text in ["f32[?,784]", "i32[]", "bool[1,2,3]", "f64[0]"]:
        assert str(TensorType.parse(text)) == text


def test_accepts():
    t = TensorType((None, 3), "float32")
    assert t.accepts((5, 3)) and not t.accepts((5, 4)) and not t.accepts((3,))
    assert not t.is_static and t.size is None
    assert TensorType((2, 3), "int32").size == 6


def test_broadcast_with_unknowns():
    assert broadcast_shapes((None, 3), (3,)) == (None, 3)
    assert broadcast_shapes((None, 1), (1, 4)) == (None, 4)
    assert broadcast_shapes((None,), (5,)) == (5,)
    assert broadcast_shapes((), (2, 1)) == (2, 1)
    with pytest.raises(errors.ShapeError, match="cannot be broadcast"):
        broadcast_shapes((2, 3), (4, 3))


def test_negative_dims_rejected():
    with pytest.raises(errors.ShapeError, match="non-negative"):
        TensorType((-1,), "float32")

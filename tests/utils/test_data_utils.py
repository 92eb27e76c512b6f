"""pack/unpack_x_y_sample_weight and split_dataset, as Keras documents them."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg


def test_unpack_follows_keras():
    unpack = kg.utils.unpack_x_y_sample_weight
    assert unpack("x") == ("x", None, None)
    assert unpack(("x",)) == ("x", None, None)
    assert unpack(["x", "y"]) == ("x", "y", None)
    assert unpack(("x", "y", "w")) == ("x", "y", "w")
    with pytest.raises(ValueError, match="format"):
        unpack((1, 2, 3, 4))


def test_pack_follows_keras():
    pack = kg.utils.pack_x_y_sample_weight
    assert pack("x") == "x"
    assert pack(["a", "b"]) == (["a", "b"],)
    assert pack("x", "y") == ("x", "y")
    assert pack("x", "y", "w") == ("x", "y", "w")


def test_split_dataset_takes_the_left_and_the_last_samples():
    data = np.arange(10)
    left, right = kg.utils.split_dataset(data, left_size=0.8)
    np.testing.assert_array_equal(left, np.arange(8))
    np.testing.assert_array_equal(right, [8, 9])
    left, right = kg.utils.split_dataset(data, left_size=3, right_size=2)
    np.testing.assert_array_equal(left, [0, 1, 2])
    np.testing.assert_array_equal(right, [8, 9])


def test_split_dataset_of_a_tuple_keeps_samples_together():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    (x_left, y_left), (x_right, y_right) = kg.utils.split_dataset(
        (x, y), right_size=0.3, shuffle=True, seed=1
    )
    assert len(x_left) == 7 and len(x_right) == 3
    np.testing.assert_array_equal(x_left[:, 0] // 2, y_left)
    np.testing.assert_array_equal(x_right[:, 0] // 2, y_right)
    assert sorted([*y_left, *y_right]) == list(range(10))


@pytest.mark.parametrize(
    ("left", "right", "error"),
    [
        (None, None, ValueError),
        (1.5, None, ValueError),
        (0, None, ValueError),
        (0.6, 0.6, ValueError),
        ("half", None, TypeError),
    ],
)
def test_split_dataset_refuses_bad_sizes(left, right, error):
    with pytest.raises(error):
        kg.utils.split_dataset(np.arange(10), left_size=left, right_size=right)


def test_split_dataset_refuses_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="one length"):
        kg.utils.split_dataset((np.arange(3), np.arange(4)), left_size=1)

"""``pad_sequences`` against Keras's documented behaviour."""

import numpy as np
import pytest

import kgraph as kg


def test_pads_and_truncates_at_either_end():
    seqs = [[1, 2, 3, 4], [5], [6, 7]]
    np.testing.assert_array_equal(
        kg.utils.pad_sequences(seqs), [[1, 2, 3, 4], [0, 0, 0, 5], [0, 0, 6, 7]]
    )
    np.testing.assert_array_equal(
        kg.utils.pad_sequences(seqs, maxlen=3, padding="post", truncating="post"),
        [[1, 2, 3], [5, 0, 0], [6, 7, 0]],
    )
    np.testing.assert_array_equal(
        kg.utils.pad_sequences(seqs, maxlen=2), [[3, 4], [0, 5], [6, 7]]
    )
    assert kg.utils.pad_sequences(seqs).dtype == np.int32


def test_values_dtypes_and_element_shapes():
    out = kg.utils.pad_sequences([[0.5], [1.5, 2.5]], dtype="float32", value=-1.0)
    np.testing.assert_array_equal(out, [[-1.0, 0.5], [1.5, 2.5]])
    frames = [np.ones((2, 3)), np.zeros((1, 3))]
    assert kg.utils.pad_sequences(frames, dtype="float32").shape == (2, 2, 3)
    assert kg.utils.pad_sequences([[], [1]]).tolist() == [[0], [1]]
    assert kg.utils.pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='padding must be "pre" or "post"'):
        kg.utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="is different from expected shape"):
        kg.utils.pad_sequences([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="not compatible with `value`"):
        kg.utils.pad_sequences([[1]], value="x")

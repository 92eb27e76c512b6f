"""timeseries_dataset_from_array against a NumPy transcription of Keras's
windows, and as data for fit."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg


def _windows(data, targets, length, stride, rate, start, end):
    """Keras's windows: data[start + p + k * rate], target targets[start + p]."""
    end = len(data) if end is None else end
    count = end - start - (length - 1) * rate
    if targets is not None:
        count = min(count, len(targets))
    starts = range(0, count, stride)
    x = [data[[start + p + k * rate for k in range(length)]] for p in starts]
    y = None if targets is None else [targets[start + p] for p in starts]
    return np.array(x), y if y is None else np.array(y)


@pytest.mark.parametrize(
    ("length", "stride", "rate", "start", "end", "batch"),
    [(3, 1, 1, None, None, 4), (10, 3, 2, None, None, 2), (4, 2, 1, 5, 60, 128)],
)
def test_windows_and_targets_match_keras(length, stride, rate, start, end, batch):
    data = np.arange(100).reshape(100, 1) * 1.0
    targets = np.arange(100) * 10
    dataset = kg.utils.timeseries_dataset_from_array(
        data,
        targets,
        sequence_length=length,
        sequence_stride=stride,
        sampling_rate=rate,
        start_index=start,
        end_index=end,
        batch_size=batch,
    )
    x = np.concatenate([b[0] for b in dataset])
    y = np.concatenate([b[1] for b in dataset])
    expected_x, expected_y = _windows(
        data, targets, length, stride, rate, start or 0, end
    )
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    assert len(dataset) == -(-len(expected_x) // batch)


def test_without_targets_batches_are_inputs_and_none_batch_size_gives_windows():
    dataset = kg.utils.timeseries_dataset_from_array(
        np.arange(10), None, sequence_length=3, sequence_stride=2, batch_size=None
    )
    assert [w.tolist() for w in dataset] == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]]


def test_shuffle_keeps_every_window_once():
    dataset = kg.utils.timeseries_dataset_from_array(
        np.arange(50), np.arange(50), 5, batch_size=7, shuffle=True, seed=3
    )
    starts = np.concatenate([b[0][:, 0] for b in dataset])
    np.testing.assert_array_equal(np.sort(starts), np.arange(46))
    assert not np.array_equal(starts, np.arange(46))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sampling_rate": 0},
        {"sequence_stride": 0},
        {"start_index": -1},
        {"end_index": 200},
        {"format": "numpy"},
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        kg.utils.timeseries_dataset_from_array(np.arange(100), None, 3, **kwargs)


def test_fit_trains_on_the_dataset(backend):
    series = np.sin(np.arange(200) / 5.0).astype("float32")[:, None]
    dataset = kg.utils.timeseries_dataset_from_array(
        series[:-5], series[5:, 0], sequence_length=5, batch_size=32
    )
    kg.utils.set_random_seed(0)
    model = kg.Sequential([kg.Input((5, 1)), kg.layers.Flatten(), kg.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(dataset, verbose=0).shape == (len(series) - 5 - 4, 1)

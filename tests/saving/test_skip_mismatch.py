"""load_weights(skip_mismatch=True) leaves out what does not fit, with a
warning, in every weights format; save_weights refuses sharding."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg


def _model(units):
    kg.utils.set_random_seed(units)
    return kg.Sequential(
        [
            kg.Input((3,)),
            kg.layers.Dense(4, name="hidden"),
            kg.layers.Dense(units, name="out"),
        ]
    )


@pytest.mark.parametrize("suffix", [".weights.npz", ".weights.h5", ".keras", ".kgraph"])
def test_mismatching_weights_are_skipped_and_the_rest_loaded(tmp_path, suffix):
    if suffix in (".weights.h5", ".keras"):
        pytest.importorskip("h5py")
    source, target = _model(2), _model(5)
    path = tmp_path / f"model{suffix}"
    if suffix.startswith(".weights"):
        source.save_weights(path)
    else:
        source.save(path)
    before = target.layers[-1].kernel.numpy()
    with pytest.raises(ValueError):
        target.load_weights(path)
    with pytest.warns(UserWarning, match="skip"):
        target.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(
        target.get_layer("hidden").kernel.numpy(),
        source.get_layer("hidden").kernel.numpy(),
    )
    np.testing.assert_array_equal(target.layers[-1].kernel.numpy(), before)


def test_sharding_and_unknown_arguments_are_refused(tmp_path):
    model = _model(2)
    with pytest.raises(ValueError, match="sharding"):
        model.save_weights(tmp_path / "m.weights.npz", max_shard_size=1)
    with pytest.raises(ValueError, match="by_name"):
        model.load_weights(tmp_path / "m.weights.npz", by_name=True)

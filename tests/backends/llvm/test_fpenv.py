"""The native loops flush denormal results to zero (``fpenv.py``), restore
the caller's mode, and keep IEEE denormals when asked to."""

import numpy as np
import pytest

import kgraph as kg
from kgraph.backends.llvm import fpenv

pytestmark = pytest.mark.skipif(
    not fpenv.applies(), reason="flush-to-zero is set on x86-64 only"
)


def _tiny_model():
    kg.utils.clear_session()
    model = kg.Sequential(
        [
            kg.layers.Dense(
                1,
                use_bias=False,
                kernel_initializer=kg.initializers.Constant(1e-20),
                input_shape=(1,),
            )
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_denormal_results_are_flushed_and_the_mode_restored():
    x = np.full((4, 1), 1e-20, "float32")
    assert (_tiny_model().predict(x, verbose=0) == 0).all()
    product = np.float32(1e-20) * np.float32(1e-20)
    assert product != 0, "the caller's floating-point mode was not restored"


def test_ieee_denormals_on_request(monkeypatch):
    monkeypatch.setenv("KGRAPH_FLUSH_DENORMALS", "0")
    assert not fpenv.applies()
    x = np.full((4, 1), 1e-20, "float32")
    result = _tiny_model().predict(x, verbose=0)
    np.testing.assert_allclose(result, np.float32(1e-20) * np.float32(1e-20))
    assert (result != 0).all()

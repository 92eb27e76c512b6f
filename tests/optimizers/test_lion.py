"""Lion against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Lion


class LionReference:
    """Keras 3's Lion in float64."""

    def __init__(self, params, lr=0.001, beta_1=0.9, beta_2=0.99):
        self.params = [p.astype(np.float64) for p in params]
        self.slots = [{"momentum": np.zeros_like(p)} for p in self.params]
        self.lr, self.beta_1, self.beta_2 = lr, beta_1, beta_2

    def step(self, t, lr, grads):
        lr = self.lr if lr is None else lr
        for i, grad in enumerate(grads):
            m = self.slots[i]["momentum"]
            direction = np.sign(m * self.beta_1 + grad * (1 - self.beta_1))
            self.params[i] = self.params[i] - lr * direction
            self.slots[i]["momentum"] = m * self.beta_2 + grad * (1 - self.beta_2)


def test_defaults_match_keras():
    opt = Lion()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2) == (0.001, 0.9, 0.99)
    assert opt.name == "lion"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate": 0.01, "beta_1": 1.0, "beta_2": 0.5}],
    ids=["defaults", "hyperparameters"],
)
def test_steps_match_reference(
    kwargs, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    opt = Lion(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    reference = LionReference(params, opt.learning_rate, opt.beta_1, opt.beta_2)
    assert_trajectory(actual, reference_run(reference, grads, [None] * 3))


def test_slot_order_is_keras_order():
    bias = kgraph.Variable(np.zeros(2, "float32"), "bias", "dense/bias")
    opt = Lion()
    opt.build([bias])
    assert [v.path for v in opt.variables] == [
        "lion/iterations",
        "lion/dense/bias/momentum",
    ]


def test_fit_matches_reference(backend, fit_linear):
    weights, expected = fit_linear(
        Lion(learning_rate=0.05), lambda p: LionReference(p, lr=0.05)
    )
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("value", [0.0, -0.5, 1.5])
def test_beta_1_outside_zero_one_degenerates(value):
    with pytest.raises(ValueError, match="degenerates to SignSGD") as info:
        Lion(beta_1=value)
    assert str(info.value).endswith(f"Received: beta_1={value!r}")


def test_config_round_trip():
    opt = Lion(learning_rate=0.01, beta_1=0.95)
    config = opt.get_config()
    assert list(config)[-2:] == ["beta_1", "beta_2"]
    assert Lion.from_config(config).get_config() == config

"""Lamb against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Lamb


class LambReference:
    """Keras 3's Lamb in float64 (trust ratio over the whole parameter)."""

    def __init__(self, params, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.params = [p.astype(np.float64) for p in params]
        self.slots = [
            {"momentum": np.zeros_like(p), "velocity": np.zeros_like(p)}
            for p in self.params
        ]
        self.lr, self.beta_1, self.beta_2, self.epsilon = lr, beta_1, beta_2, epsilon

    def step(self, t, lr, grads):
        lr = self.lr if lr is None else lr
        t1 = t + 1
        for i, grad in enumerate(grads):
            s = self.slots[i]
            s["momentum"] = s["momentum"] + (grad - s["momentum"]) * (1 - self.beta_1)
            s["velocity"] = s["velocity"] + (grad**2 - s["velocity"]) * (
                1 - self.beta_2
            )
            m_hat = s["momentum"] / (1 - self.beta_1**t1)
            v_sqrt = np.sqrt(s["velocity"] / (1 - self.beta_2**t1)) + self.epsilon
            update = m_hat / v_sqrt
            w_norm = np.sqrt(np.sum(self.params[i] ** 2))
            u_norm = np.sqrt(np.sum(update**2))
            ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
            self.params[i] = self.params[i] - ratio * lr * update


def test_defaults_match_keras():
    opt = Lamb()
    assert opt.learning_rate == 0.001
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.9, 0.999, 1e-7)
    assert opt.name == "lamb"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}],
    ids=["defaults", "hyperparameters"],
)
def test_steps_match_reference(
    kwargs, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    opt = Lamb(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    reference = LambReference(
        params, opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon
    )
    assert_trajectory(actual, reference_run(reference, grads, [None] * 3))


def test_zero_weights_use_ratio_one(mode, run_steps, reference_run, assert_trajectory):
    params = [np.zeros(3, "float32")]
    grads = [[np.float32([0.5, -1.0, 2.0])]] * 2
    actual = run_steps(Lamb(learning_rate=0.1), params, grads, mode)
    reference = LambReference(params, lr=0.1)
    assert_trajectory(actual, reference_run(reference, grads, [None] * 2))


def test_slot_order_is_keras_order():
    bias = kgraph.Variable(np.zeros(2, "float32"), "bias", "dense/bias")
    opt = Lamb()
    opt.build([bias])
    assert [v.path for v in opt.variables] == [
        "lamb/iterations",
        "lamb/dense/bias/momentum",
        "lamb/dense/bias/velocity",
    ]


def test_fit_matches_reference(backend, fit_linear):
    weights, expected = fit_linear(
        Lamb(learning_rate=0.05), lambda p: LambReference(p, lr=0.05)
    )
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(("name", "value"), [("beta_2", 1.0), ("epsilon", -1.0)])
def test_invalid_arguments(name, value):
    with pytest.raises(ValueError, match=f"`{name}`") as info:
        Lamb(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = Lamb(learning_rate=0.01, beta_1=0.8)
    config = opt.get_config()
    assert list(config)[-3:] == ["beta_1", "beta_2", "epsilon"]
    assert Lamb.from_config(config).get_config() == config

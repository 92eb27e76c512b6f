"""Adamax against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Adamax


class AdamaxReference:
    """Keras 3's Adamax in float64."""

    def __init__(self, params, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.params = [p.astype(np.float64) for p in params]
        self.slots = [
            {"momentum": np.zeros_like(p), "norm": np.zeros_like(p)}
            for p in self.params
        ]
        self.lr, self.beta_1, self.beta_2, self.epsilon = lr, beta_1, beta_2, epsilon

    def step(self, t, lr, grads):
        lr = self.lr if lr is None else lr
        correction = 1 - self.beta_1 ** (t + 1)
        for i, grad in enumerate(grads):
            s = self.slots[i]
            s["momentum"] = s["momentum"] + (grad - s["momentum"]) * (1 - self.beta_1)
            s["norm"] = np.maximum(self.beta_2 * s["norm"], np.abs(grad))
            self.params[i] = self.params[i] - lr * s["momentum"] / (
                correction * (s["norm"] + self.epsilon)
            )


def test_defaults_match_keras():
    opt = Adamax()
    assert opt.learning_rate == 0.001
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.9, 0.999, 1e-7)
    assert opt.name == "adamax"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.5, "epsilon": 1e-3}],
    ids=["defaults", "hyperparameters"],
)
def test_steps_match_reference(
    kwargs, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    opt = Adamax(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    reference = AdamaxReference(
        params, opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon
    )
    assert_trajectory(actual, reference_run(reference, grads, [None] * 3))


def test_slot_order_is_keras_order():
    kernel = kgraph.Variable(np.ones((3, 2), "float32"), "kernel", "dense/kernel")
    bias = kgraph.Variable(np.zeros(2, "float32"), "bias", "dense/bias")
    opt = Adamax()
    opt.build([kernel, bias])
    assert [v.path for v in opt.variables] == [
        "adamax/iterations",
        "adamax/dense/kernel/momentum",
        "adamax/dense/kernel/norm",
        "adamax/dense/bias/momentum",
        "adamax/dense/bias/norm",
    ]


def test_fit_matches_reference(backend, fit_linear):
    weights, expected = fit_linear(
        Adamax(learning_rate=0.05), lambda p: AdamaxReference(p, lr=0.05)
    )
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(("name", "value"), [("beta_1", -0.5), ("epsilon", -1.0)])
def test_invalid_arguments(name, value):
    with pytest.raises(ValueError, match=f"`{name}`") as info:
        Adamax(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = Adamax(learning_rate=0.01, beta_2=0.9)
    config = opt.get_config()
    assert list(config)[-3:] == ["beta_1", "beta_2", "epsilon"]
    assert Adamax.from_config(config).get_config() == config

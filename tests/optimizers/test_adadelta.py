"""Adadelta against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Adadelta


class AdadeltaReference:
    """Keras 3's Adadelta in float64."""

    def __init__(self, params, lr=0.001, rho=0.95, epsilon=1e-7):
        self.params = [p.astype(np.float64) for p in params]
        self.slots = [
            {
                "accumulated_grad": np.zeros_like(p),
                "accumulated_delta_var": np.zeros_like(p),
            }
            for p in self.params
        ]
        self.lr, self.rho, self.epsilon = lr, rho, epsilon

    def step(self, t, lr, grads):
        lr = self.lr if lr is None else lr
        rho, eps = self.rho, self.epsilon
        for i, grad in enumerate(grads):
            s = self.slots[i]
            s["accumulated_grad"] = rho * s["accumulated_grad"] + (1 - rho) * grad**2
            delta = (
                -np.sqrt(s["accumulated_delta_var"] + eps)
                * grad
                / np.sqrt(s["accumulated_grad"] + eps)
            )
            s["accumulated_delta_var"] = (
                rho * s["accumulated_delta_var"] + (1 - rho) * delta**2
            )
            self.params[i] = self.params[i] + lr * delta


def test_defaults_match_keras():
    opt = Adadelta()
    assert (opt.learning_rate, opt.rho, opt.epsilon) == (0.001, 0.95, 1e-7)
    assert opt.name == "adadelta"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate": 1.0, "rho": 0.5, "epsilon": 1e-3}],
    ids=["defaults", "hyperparameters"],
)
def test_steps_match_reference(
    kwargs, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    opt = Adadelta(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    reference = AdadeltaReference(params, opt.learning_rate, opt.rho, opt.epsilon)
    assert_trajectory(actual, reference_run(reference, grads, [None] * 3))


def test_slot_order_is_keras_order():
    bias = kgraph.Variable(np.zeros(2, "float32"), "bias", "dense/bias")
    opt = Adadelta()
    opt.build([bias])
    assert [v.path for v in opt.variables] == [
        "adadelta/iterations",
        "adadelta/dense/bias/accumulated_grad",
        "adadelta/dense/bias/accumulated_delta_var",
    ]


def test_fit_matches_reference(backend, fit_linear):
    weights, expected = fit_linear(
        Adadelta(learning_rate=1.0), lambda p: AdadeltaReference(p, lr=1.0)
    )
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(("name", "value"), [("rho", 1.5), ("epsilon", -1.0)])
def test_invalid_arguments(name, value):
    with pytest.raises(ValueError, match=f"`{name}`") as info:
        Adadelta(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = Adadelta(learning_rate=1.0, rho=0.9)
    config = opt.get_config()
    assert list(config)[-2:] == ["rho", "epsilon"]
    assert Adadelta.from_config(config).get_config() == config

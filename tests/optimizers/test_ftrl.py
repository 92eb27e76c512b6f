"""Ftrl against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Ftrl


class FtrlReference:
    """Keras 3's FTRL in float64."""

    def __init__(
        self,
        params,
        lr=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1=0.0,
        l2=0.0,
        l2_shrinkage=0.0,
        beta=0.0,
    ):
        self.params = [p.astype(np.float64) for p in params]
        self.slots = [
            {
                "accumulator": np.full_like(p, initial_accumulator_value),
                "linear": np.zeros_like(p),
            }
            for p in self.params
        ]
        self.lr, self.power = lr, -learning_rate_power
        self.l1, self.l2, self.l2_shrinkage, self.beta = l1, l2, l2_shrinkage, beta

    def step(self, t, lr, grads):
        lr = self.lr if lr is None else lr
        l2 = self.l2 + self.beta / (2.0 * lr)
        for i, grad in enumerate(grads):
            s, w = self.slots[i], self.params[i]
            grad_to_use = grad + 2 * self.l2_shrinkage * w
            new_accum = s["accumulator"] + grad**2
            sigma = (new_accum**self.power - s["accumulator"] ** self.power) / lr
            s["linear"] = s["linear"] + grad_to_use - sigma * w
            quadratic = new_accum**self.power / lr + 2 * l2
            clipped = np.clip(s["linear"], -self.l1, self.l1)
            self.params[i] = (clipped - s["linear"]) / quadratic
            s["accumulator"] = new_accum


def test_defaults_match_keras():
    opt = Ftrl()
    assert opt.learning_rate == 0.001
    assert opt.learning_rate_power == -0.5
    assert opt.initial_accumulator_value == 0.1
    assert opt.l1_regularization_strength == 0.0
    assert opt.l2_regularization_strength == 0.0
    assert opt.l2_shrinkage_regularization_strength == 0.0
    assert opt.beta == 0.0
    assert opt.name == "ftrl"


CASES = {
    "defaults": {},
    "regularized": {
        "learning_rate": 0.1,
        "learning_rate_power": -0.3,
        "initial_accumulator_value": 0.5,
        "l1_regularization_strength": 0.01,
        "l2_regularization_strength": 0.02,
        "l2_shrinkage_regularization_strength": 0.03,
        "beta": 0.5,
    },
}


def _reference(params, opt):
    return FtrlReference(
        params,
        opt.learning_rate,
        opt.learning_rate_power,
        opt.initial_accumulator_value,
        opt.l1_regularization_strength,
        opt.l2_regularization_strength,
        opt.l2_shrinkage_regularization_strength,
        opt.beta,
    )


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_steps_match_reference(
    kwargs, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    opt = Ftrl(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    expected = reference_run(_reference(params, opt), grads, [None] * 3)
    assert_trajectory(actual, expected, rtol=1e-5, atol=1e-6)


def test_slots_start_at_the_initial_accumulator_value():
    bias = kgraph.Variable(np.zeros(2, "float32"), "bias", "dense/bias")
    opt = Ftrl(initial_accumulator_value=0.25)
    opt.build([bias])
    assert [v.path for v in opt.variables] == [
        "ftrl/iterations",
        "ftrl/dense/bias/accumulator",
        "ftrl/dense/bias/linear",
    ]
    np.testing.assert_array_equal(opt.slots(bias)["accumulator"].numpy(), [0.25] * 2)


def test_fit_matches_reference(backend, fit_linear):
    opt = Ftrl(**CASES["regularized"])
    weights, expected = fit_linear(opt, lambda p: _reference(p, opt))
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "value", "sign"),
    [
        ("learning_rate_power", 0.5, "negative or zero"),
        ("initial_accumulator_value", -0.1, "positive or zero"),
        ("l1_regularization_strength", -1.0, "positive or zero"),
        ("l2_regularization_strength", -1.0, "positive or zero"),
        ("l2_shrinkage_regularization_strength", -1.0, "positive or zero"),
    ],
)
def test_invalid_arguments(name, value, sign):
    with pytest.raises(ValueError, match=f"`{name}` needs to be {sign}") as info:
        Ftrl(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = Ftrl(**CASES["regularized"])
    config = opt.get_config()
    assert list(config)[-6:] == [
        "learning_rate_power",
        "initial_accumulator_value",
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
        "beta",
    ]
    assert Ftrl.from_config(config).get_config() == config

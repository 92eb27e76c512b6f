"""Nadam against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Nadam

FIT_RTOL = 1e-4


class NadamReference:
    """Keras 3's Nadam in float64: one ``u_product`` scalar for all params."""

    def __init__(self, params, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.params = [p.astype(np.float64) for p in params]
        self.slots = [
            {"momentum": np.zeros_like(p), "velocity": np.zeros_like(p)}
            for p in self.params
        ]
        self.lr, self.beta_1, self.beta_2, self.epsilon = lr, beta_1, beta_2, epsilon
        self.u_product = 1.0

    def mu(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96**t)

    def step(self, t, lr, grads):
        lr = self.lr if lr is None else lr
        t1 = t + 1
        self.u_product *= self.mu(t1)
        u_t, u_next = self.mu(t1), self.mu(t1 + 1)
        product_next = self.u_product * u_next
        for i, grad in enumerate(grads):
            s = self.slots[i]
            s["momentum"] = s["momentum"] + (grad - s["momentum"]) * (1 - self.beta_1)
            s["velocity"] = s["velocity"] + (grad**2 - s["velocity"]) * (
                1 - self.beta_2
            )
            m_hat = u_next * s["momentum"] / (1 - product_next) + (1 - u_t) * grad / (
                1 - self.u_product
            )
            v_hat = s["velocity"] / (1 - self.beta_2**t1)
            self.params[i] = self.params[i] - lr * m_hat / (
                np.sqrt(v_hat) + self.epsilon
            )


def test_defaults_match_keras():
    opt = Nadam()
    assert opt.learning_rate == 0.001
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.9, 0.999, 1e-7)
    assert opt.name == "nadam"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}],
    ids=["defaults", "hyperparameters"],
)
def test_steps_match_reference(
    kwargs, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    opt = Nadam(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    reference = NadamReference(
        params, opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon
    )
    assert_trajectory(actual, reference_run(reference, grads, [None] * 3))


def test_u_product_is_an_optimizer_variable_after_the_slots():
    kernel = kgraph.Variable(np.ones((3, 2), "float32"), "kernel", "dense/kernel")
    opt = Nadam()
    opt.build([kernel])
    assert [v.path for v in opt.variables] == [
        "nadam/iterations",
        "nadam/dense/kernel/momentum",
        "nadam/dense/kernel/velocity",
        "nadam/u_product",
    ]
    assert float(opt.state()["u_product"].numpy()) == 1.0
    opt.apply_gradients([(np.ones((3, 2), "float32"), kernel)])
    assert opt.state()["u_product"].numpy() == pytest.approx(0.9 * 0.52)


def test_fit_matches_reference(backend, fit_linear):
    weights, expected = fit_linear(
        Nadam(learning_rate=0.05), lambda p: NadamReference(p, lr=0.05)
    )
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=FIT_RTOL, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "value"), [("beta_1", 1.0), ("beta_2", -0.1), ("epsilon", -1.0)]
)
def test_invalid_arguments(name, value):
    with pytest.raises(ValueError, match=f"`{name}`") as info:
        Nadam(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = Nadam(learning_rate=0.01, beta_1=0.8, epsilon=1e-5)
    config = opt.get_config()
    assert list(config)[-3:] == ["beta_1", "beta_2", "epsilon"]
    assert Nadam.from_config(config).get_config() == config
    assert kgraph.optimizers.get("nadam").name == "nadam"

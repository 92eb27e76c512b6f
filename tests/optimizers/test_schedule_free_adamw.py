"""ScheduleFreeAdamW against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import ScheduleFreeAdamW


class ScheduleFreeReference:
    """Keras 3's ScheduleFreeAdamW in float64; momentum starts at the weights."""

    def __init__(
        self, params, lr=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup=0
    ):
        self.params = [p.astype(np.float64) for p in params]
        self.slots = [
            {"momentum": p.copy(), "velocity": np.zeros_like(p)} for p in self.params
        ]
        self.lr, self.beta_1, self.beta_2 = lr, beta_1, beta_2
        self.epsilon, self.warmup = epsilon, warmup

    def step(self, t, lr, grads):
        lr = self.lr if lr is None else lr
        t1 = t + 1.0
        if self.warmup > 0:
            lr = lr * min(t1 / self.warmup, 1.0)
        b1, b2 = self.beta_1, self.beta_2
        for i, grad in enumerate(grads):
            s, y = self.slots[i], self.params[i]
            s["velocity"] = s["velocity"] + (grad**2 - s["velocity"]) * (1 - b2)
            denom = np.sqrt(s["velocity"] / (1 - b2**t1)) + self.epsilon
            old = s["momentum"]
            s["momentum"] = old - lr * grad / denom
            x = (y - (1 - b1) * old) / b1
            x = (1 - 1 / t1) * x + (1 / t1) * s["momentum"]
            self.params[i] = (1 - b1) * s["momentum"] + b1 * x


def test_defaults_match_keras():
    opt = ScheduleFreeAdamW()
    assert opt.learning_rate == 0.0025
    assert (opt.beta_1, opt.beta_2, opt.epsilon, opt.warmup_steps) == (
        0.9,
        0.999,
        1e-8,
        0,
    )
    assert opt.name == "schedule_free_adam_w"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "warmup_steps": 2}],
    ids=["defaults", "warmup"],
)
def test_steps_match_reference(
    kwargs, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    opt = ScheduleFreeAdamW(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    reference = ScheduleFreeReference(
        params,
        opt.learning_rate,
        opt.beta_1,
        opt.beta_2,
        opt.epsilon,
        opt.warmup_steps,
    )
    expected = reference_run(reference, grads, [None] * 3)
    assert_trajectory(actual, expected, atol=1e-6)


def test_momentum_starts_at_the_weights():
    kernel = kgraph.Variable(np.full((2, 2), 3.0, "float32"), "kernel", "d/kernel")
    opt = ScheduleFreeAdamW()
    opt.build([kernel])
    np.testing.assert_array_equal(opt.slots(kernel)["momentum"].numpy(), kernel.numpy())
    assert not opt.slots(kernel)["velocity"].numpy().any()


def test_fit_matches_reference(backend, fit_linear):
    weights, expected = fit_linear(
        ScheduleFreeAdamW(learning_rate=0.05, warmup_steps=2),
        lambda p: ScheduleFreeReference(p, lr=0.05, warmup=2),
    )
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "value"), [("beta_1", 0.0), ("warmup_steps", -1), ("epsilon", -1.0)]
)
def test_invalid_arguments(name, value):
    with pytest.raises(ValueError, match=f"`{name}`") as info:
        ScheduleFreeAdamW(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = ScheduleFreeAdamW(learning_rate=0.01, warmup_steps=10)
    config = opt.get_config()
    assert list(config)[-4:] == ["beta_1", "beta_2", "epsilon", "warmup_steps"]
    assert ScheduleFreeAdamW.from_config(config).get_config() == config

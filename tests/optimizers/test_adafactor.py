"""Adafactor against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Adafactor
from kgraph.optimizers import schedules


def rms(x):
    return np.sqrt(np.mean(x**2))


class AdafactorReference:
    """Keras 3's Adafactor in float64 (r, c factored for rank >= 2)."""

    def __init__(
        self,
        params,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        schedule=None,
    ):
        self.params = [p.astype(np.float64) for p in params]
        self.slots = []
        for p in self.params:
            if p.ndim >= 2:
                slots = {
                    "r": np.zeros(p.shape[:-1]),
                    "c": np.zeros(p.shape[:-2] + p.shape[-1:]),
                }
            else:
                slots = {"r": np.zeros((), "int32"), "c": np.zeros((), "int32")}
            slots["velocity"] = np.zeros_like(p)
            self.slots.append(slots)
        self.lr, self.decay, self.schedule = learning_rate, beta_2_decay, schedule
        self.eps1, self.eps2, self.clip = epsilon_1, epsilon_2, clip_threshold
        self.relative_step = relative_step

    def step(self, t, lr, grads):
        t1 = t + 1.0
        if self.schedule is not None:
            lr = float(self.schedule(t))
        elif lr is None:
            lr = self.lr
        if self.schedule is None and self.relative_step:
            lr = min(lr, 1 / np.sqrt(t1))
        rho = min(lr, 1 / np.sqrt(t1))
        beta = 1 - t1**self.decay
        for i, grad in enumerate(grads):
            w, s = self.params[i], self.slots[i]
            alpha = max(self.eps2, rms(w)) * rho
            sq = grad**2 + self.eps1
            if w.ndim >= 2:
                s["r"] = beta * s["r"] + (1 - beta) * sq.mean(axis=-1)
                s["c"] = beta * s["c"] + (1 - beta) * sq.mean(axis=-2)
                rows = s["r"] / s["r"].mean(axis=-1, keepdims=True)
                s["velocity"] = rows[..., None] * s["c"][..., None, :]
            else:
                s["velocity"] = beta * s["velocity"] + (1 - beta) * sq
            u = grad / np.sqrt(s["velocity"])
            self.params[i] = w - alpha * u / max(1.0, rms(u) / self.clip)


def test_defaults_match_keras():
    opt = Adafactor()
    assert opt.learning_rate == 0.001
    assert (opt.beta_2_decay, opt.epsilon_1, opt.epsilon_2) == (-0.8, 1e-30, 1e-3)
    assert (opt.clip_threshold, opt.relative_step) == (1.0, True)
    assert opt.name == "adafactor"


CASES = {
    "defaults": {},
    "large-rate": {"learning_rate": 0.5, "clip_threshold": 0.5},
    "no-relative-step": {
        "learning_rate": 0.7,
        "relative_step": False,
        "beta_2_decay": -0.5,
        "epsilon_2": 0.01,
    },
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_steps_match_reference(
    kwargs, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    opt = Adafactor(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    reference = AdafactorReference(params, **kwargs)
    # Large steps leave weights near 0 by cancellation: float32's absolute
    # rounding of the operands, not a relative error, bounds the difference.
    expected = reference_run(reference, grads, [None] * 3)
    assert_trajectory(actual, expected, atol=1e-6)


def test_schedule_is_not_capped_by_relative_step(
    mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    schedule = schedules.ExponentialDecay(2.0, 1, 0.5)
    opt = Adafactor(learning_rate=schedule)
    actual = run_steps(opt, params, grads, mode)
    reference = AdafactorReference(params, schedule=schedule)
    assert_trajectory(actual, reference_run(reference, grads, [None] * 3))


def test_slots_are_factored_in_keras_order():
    kernel = kgraph.Variable(np.ones((4, 3, 2), "float32"), "kernel", "conv/kernel")
    bias = kgraph.Variable(np.zeros(2, "float32"), "bias", "conv/bias")
    opt = Adafactor()
    opt.build([kernel, bias])
    assert [(v.path, v.shape, v.dtype) for v in opt.variables] == [
        ("adafactor/iterations", (), "int64"),
        ("adafactor/conv/kernel/r", (4, 3), "float32"),
        ("adafactor/conv/kernel/c", (4, 2), "float32"),
        ("adafactor/conv/kernel/velocity", (4, 3, 2), "float32"),
        ("adafactor/conv/bias/r", (), "int32"),
        ("adafactor/conv/bias/c", (), "int32"),
        ("adafactor/conv/bias/velocity", (2,), "float32"),
    ]


def test_fit_matches_reference(backend, fit_linear):
    weights, expected = fit_linear(
        Adafactor(learning_rate=0.3), lambda p: AdafactorReference(p, learning_rate=0.3)
    )
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "value"), [("epsilon_2", -1.0), ("relative_step", "yes")]
)
def test_invalid_arguments(name, value):
    with pytest.raises(ValueError, match=f"`{name}`") as info:
        Adafactor(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = Adafactor(learning_rate=0.01, clip_threshold=2.0, relative_step=False)
    config = opt.get_config()
    assert list(config)[-5:] == [
        "beta_2_decay",
        "epsilon_1",
        "epsilon_2",
        "clip_threshold",
        "relative_step",
    ]
    assert Adafactor.from_config(config).get_config() == config

"""AdamW: Adam after Keras 3's decoupled weight decay."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph.optimizers import AdamW
from kgraph.optimizers import schedules


def adamw_reference(params, grads_per_step, lrs, weight_decay, amsgrad=False):
    """Keras 3's AdamW in float64: ``w -= w * wd * lr``, then Adam's step."""
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7
    weights = [p.astype(np.float64) for p in params]
    momentums = [np.zeros_like(w) for w in weights]
    velocities = [np.zeros_like(w) for w in weights]
    velocity_hats = [np.zeros_like(w) for w in weights]
    history = []
    for step, (rate, grads) in enumerate(zip(lrs, grads_per_step, strict=True)):
        t = step + 1
        alpha = rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        for i, grad in enumerate(grads):
            grad = grad.astype(np.float64)
            weights[i] = weights[i] - weights[i] * weight_decay * rate
            momentums[i] = momentums[i] + (grad - momentums[i]) * (1 - beta_1)
            velocities[i] = velocities[i] + (grad**2 - velocities[i]) * (1 - beta_2)
            used = velocities[i]
            if amsgrad:
                velocity_hats[i] = np.maximum(velocity_hats[i], velocities[i])
                used = velocity_hats[i]
            weights[i] = weights[i] - alpha * momentums[i] / (np.sqrt(used) + epsilon)
        slots = []
        for i in range(len(weights)):
            group = {"momentum": momentums[i].copy(), "velocity": velocities[i].copy()}
            if amsgrad:
                group["velocity_hat"] = velocity_hats[i].copy()
            slots.append(group)
        history.append(([w.copy() for w in weights], slots))
    return history


def test_defaults_match_keras():
    opt = AdamW()
    assert opt.weight_decay == 0.004
    assert opt.learning_rate == 0.001
    assert (opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad) == (
        0.9,
        0.999,
        1e-7,
        False,
    )
    assert opt.name == "adamw"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"learning_rate": 0.01, "weight_decay": 0.1},
        {"learning_rate": 0.01, "weight_decay": 0.05, "amsgrad": True},
        {"weight_decay": 0.0},
    ],
    ids=["defaults", "strong-decay", "amsgrad", "zero-decay"],
)
def test_three_steps_match_reference(
    kwargs, mode, problem, run_steps, assert_trajectory
):
    params, grads = problem
    opt = AdamW(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    expected = adamw_reference(
        params, grads, [opt.learning_rate] * 3, opt.weight_decay, amsgrad=opt.amsgrad
    )
    assert_trajectory(actual, expected)


def test_weight_decay_uses_the_scheduled_rate(
    mode, problem, run_steps, assert_trajectory
):
    params, grads = problem
    schedule = schedules.PiecewiseConstantDecay([0, 1], [0.1, 0.05, 0.01])
    opt = AdamW(learning_rate=schedule, weight_decay=0.5)
    actual = run_steps(opt, params, grads, mode)
    expected = adamw_reference(params, grads, [0.1, 0.05, 0.01], 0.5)
    assert_trajectory(actual, expected)


def test_one_step_by_hand(mode, run_steps):
    # Decay first: w = 1 - 1 * 0.004 * 0.001 = 0.999996; then Adam's step of
    # 0.001 / (1 + 1e-7 / (sqrt(0.001) * 0.5)) = 0.000999993675.
    history = run_steps(AdamW(), [np.float32([1.0])], [[np.float32([0.5])]], mode)
    expected = 0.999996 - 0.000999993675
    np.testing.assert_allclose(history[0][0][0], [expected], atol=6e-8, rtol=0)


def test_weight_decay_is_required():
    with pytest.raises(
        ValueError,
        match=r"`weight_decay` must be a float. Received: weight_decay=None$",
    ):
        AdamW(weight_decay=None)


def test_negative_weight_decay():
    with pytest.raises(
        ValueError,
        match=r"`weight_decay` must be a float >= 0.*Received: weight_decay=-0.1$",
    ):
        AdamW(weight_decay=-0.1)


def test_config_round_trip():
    opt = AdamW(learning_rate=0.002, weight_decay=0.01, amsgrad=True)
    config = opt.get_config()
    assert config["weight_decay"] == 0.01
    assert config["name"] == "adamw"
    restored = AdamW.from_config(config)
    assert isinstance(restored, AdamW)
    assert restored.get_config() == config

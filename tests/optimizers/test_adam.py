"""Adam against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Adam


def adam_reference(
    params,
    grads_per_step,
    lrs,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    amsgrad=False,
    weight_decay=None,
):
    """Keras 3's Adam in float64 (bias correction folded into alpha)."""
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
            if weight_decay is not None:
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
    opt = Adam()
    assert opt.learning_rate == 0.001
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.9, 0.999, 1e-7)
    assert opt.amsgrad is False
    assert opt.name == "adam"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"amsgrad": True},
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3},
        {"learning_rate": 0.01, "beta_1": 0.0, "amsgrad": True},
        {"learning_rate": 0.01, "weight_decay": 0.1},
    ],
    ids=[
        "defaults",
        "amsgrad",
        "hyperparameters",
        "beta1-zero-amsgrad",
        "weight-decay",
    ],
)
def test_three_steps_match_reference(
    kwargs, mode, problem, run_steps, assert_trajectory
):
    params, grads = problem
    opt = Adam(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    expected = adam_reference(
        params,
        grads,
        [opt.learning_rate] * 3,
        beta_1=opt.beta_1,
        beta_2=opt.beta_2,
        epsilon=opt.epsilon,
        amsgrad=opt.amsgrad,
        weight_decay=opt.weight_decay,
    )
    assert_trajectory(actual, expected)


def test_amsgrad_keeps_the_largest_velocity(mode, run_steps):
    # A large gradient then small ones: velocity decays, velocity_hat does not.
    opt = Adam(learning_rate=0.01, beta_2=0.5, amsgrad=True)
    grads = [[np.float32([4.0])], [np.float32([0.1])], [np.float32([0.1])]]
    history = run_steps(opt, [np.float32([1.0])], grads, mode)
    expected = adam_reference(
        [np.float32([1.0])], grads, [0.01] * 3, beta_2=0.5, amsgrad=True
    )
    slots = history[-1][1][0]
    assert slots["velocity_hat"][0] > slots["velocity"][0]
    np.testing.assert_allclose(slots["velocity_hat"], [8.0], rtol=1e-6)
    np.testing.assert_allclose(history[-1][0][0], expected[-1][0][0], rtol=1e-5)


def test_one_step_by_hand(mode, run_steps):
    # From w = 1 with g = 0.5: m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025,
    # alpha = 0.001 * sqrt(0.001) / 0.1, so the step is
    # 0.001 * sqrt(0.001) * 0.5 / (sqrt(0.001) * 0.5 + 1e-7)
    # = 0.001 / (1 + 1e-7 / 0.0158113883) = 0.000999993675...
    history = run_steps(Adam(), [np.float32([1.0])], [[np.float32([0.5])]], mode)
    params, slots = history[0]
    np.testing.assert_allclose(params[0], [1.0 - 0.000999993675], atol=6e-8, rtol=0)
    np.testing.assert_allclose(slots[0]["momentum"], [0.05], rtol=1e-6)
    np.testing.assert_allclose(slots[0]["velocity"], [0.00025], rtol=1e-5)


def test_slot_order_is_keras_order():
    kernel = kgraph.Variable(
        np.ones((3, 2), "float32"), name="kernel", path="dense/kernel"
    )
    bias = kgraph.Variable(np.zeros(2, "float32"), name="bias", path="dense/bias")
    opt = Adam(amsgrad=True)
    opt.build([kernel, bias])
    assert [v.path for v in opt.variables] == [
        "adam/iterations",
        "adam/dense/kernel/momentum",
        "adam/dense/kernel/velocity",
        "adam/dense/bias/momentum",
        "adam/dense/bias/velocity",
        "adam/dense/kernel/velocity_hat",
        "adam/dense/bias/velocity_hat",
    ]
    assert sorted(opt.slots(bias)) == ["momentum", "velocity", "velocity_hat"]
    for slot in opt.variables[1:]:
        assert slot.trainable is False
        assert slot.dtype == "float32"
        assert not slot.numpy().any()


@pytest.mark.parametrize(
    ("name", "value", "pattern"),
    [
        ("beta_1", 1.0, r"`beta_1` must be a float in \[0, 1\)"),
        ("beta_1", -0.5, r"`beta_1` must be a float in \[0, 1\)"),
        ("beta_2", 1.5, r"`beta_2` must be a float in \[0, 1\)"),
        ("epsilon", -1e-7, r"`epsilon` must be a float >= 0"),
        ("learning_rate", -0.001, r"`learning_rate` must be a non-negative float"),
        ("amsgrad", "yes", r"`amsgrad` must be True or False"),
    ],
)
def test_invalid_arguments(name, value, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        Adam(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-5, amsgrad=True)
    config = opt.get_config()
    assert list(config) == [
        "name",
        "learning_rate",
        "weight_decay",
        "clipnorm",
        "global_clipnorm",
        "clipvalue",
        "use_ema",
        "ema_momentum",
        "ema_overwrite_frequency",
        "loss_scale_factor",
        "gradient_accumulation_steps",
        "beta_1",
        "beta_2",
        "epsilon",
        "amsgrad",
    ]
    assert Adam.from_config(config).get_config() == config

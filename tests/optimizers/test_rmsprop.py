"""RMSprop against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import RMSprop


def rmsprop_reference(
    params, grads_per_step, lrs, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False
):
    """Keras 3's RMSprop in float64 (epsilon inside the square root)."""
    weights = [p.astype(np.float64) for p in params]
    velocities = [np.zeros_like(w) for w in weights]
    momentums = [np.zeros_like(w) for w in weights]
    averages = [np.zeros_like(w) for w in weights]
    history = []
    for rate, grads in zip(lrs, grads_per_step, strict=True):
        for i, grad in enumerate(grads):
            grad = grad.astype(np.float64)
            velocities[i] = rho * velocities[i] + (1 - rho) * grad**2
            if centered:
                averages[i] = rho * averages[i] + (1 - rho) * grad
                denominator = velocities[i] - averages[i] ** 2 + epsilon
            else:
                denominator = velocities[i] + epsilon
            increment = rate * grad / np.sqrt(denominator)
            if momentum > 0:
                momentums[i] = momentum * momentums[i] + increment
                weights[i] = weights[i] - momentums[i]
            else:
                weights[i] = weights[i] - increment
        slots = []
        for i in range(len(weights)):
            group = {"velocity": velocities[i].copy()}
            if momentum > 0:
                group["momentum"] = momentums[i].copy()
            if centered:
                group["average_gradient"] = averages[i].copy()
            slots.append(group)
        history.append(([w.copy() for w in weights], slots))
    return history


def test_defaults_match_keras():
    opt = RMSprop()
    assert opt.learning_rate == 0.001
    assert (opt.rho, opt.momentum, opt.epsilon, opt.centered) == (0.9, 0.0, 1e-7, False)
    assert opt.name == "rmsprop"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"learning_rate": 0.01, "momentum": 0.9},
        {"learning_rate": 0.01, "centered": True},
        {"learning_rate": 0.01, "centered": True, "momentum": 0.5},
        {"learning_rate": 0.05, "rho": 0.5, "epsilon": 1e-3},
    ],
    ids=["defaults", "momentum", "centered", "centered-momentum", "hyperparameters"],
)
def test_three_steps_match_reference(
    kwargs, mode, problem, run_steps, assert_trajectory
):
    params, grads = problem
    opt = RMSprop(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    expected = rmsprop_reference(
        params,
        grads,
        [opt.learning_rate] * 3,
        rho=opt.rho,
        momentum=opt.momentum,
        epsilon=opt.epsilon,
        centered=opt.centered,
    )
    assert_trajectory(actual, expected)


def test_keras_docstring_example(mode, run_steps):
    # Keras's RMSprop docstring: lr 0.1, var 10, loss var**2 / 2 -> 9.683772.
    # v = 0.1 * 100 = 10; w = 10 - 0.1 * 10 / sqrt(10 + 1e-7) = 9.6837722...
    opt = RMSprop(learning_rate=0.1)
    history = run_steps(opt, [np.float32([10.0])], [[np.float32([10.0])]], mode)
    np.testing.assert_allclose(history[0][0][0], [9.683772], atol=1e-6, rtol=0)
    np.testing.assert_allclose(history[0][1][0]["velocity"], [10.0], rtol=1e-6)


def test_apply_gradients_matches_keras_docstring():
    var = kgraph.Variable([10.0], name="var")
    opt = RMSprop(learning_rate=0.1)
    opt.apply_gradients([(var.numpy(), var)])
    np.testing.assert_allclose(var.numpy(), [9.683772], atol=1e-6, rtol=0)
    assert int(opt.iterations.numpy()) == 1
    np.testing.assert_allclose(opt.slots(var)["velocity"].numpy(), [10.0], rtol=1e-6)


def test_centered_by_hand(mode, run_steps):
    # g = 1, rho = 0.9: v = 0.1, mg = 0.1, denominator = 0.1 - 0.01 + 1e-7;
    # w = 1 - 0.1 / sqrt(0.0900001) = 1 - 0.333333148...
    opt = RMSprop(learning_rate=0.1, centered=True)
    history = run_steps(opt, [np.float32([1.0])], [[np.float32([1.0])]], mode)
    np.testing.assert_allclose(history[0][0][0], [0.666666852], atol=1e-7, rtol=0)
    np.testing.assert_allclose(history[0][1][0]["average_gradient"], [0.1], rtol=1e-6)


def test_slot_order_is_keras_order():
    kernel = kgraph.Variable(np.ones((2, 2), "float32"), name="kernel", path="d/kernel")
    bias = kgraph.Variable(np.ones(2, "float32"), name="bias", path="d/bias")
    opt = RMSprop(momentum=0.5, centered=True)
    opt.build([kernel, bias])
    assert [v.path for v in opt.variables] == [
        "rmsprop/iterations",
        "rmsprop/d/kernel/velocity",
        "rmsprop/d/bias/velocity",
        "rmsprop/d/kernel/momentum",
        "rmsprop/d/bias/momentum",
        "rmsprop/d/kernel/average_gradient",
        "rmsprop/d/bias/average_gradient",
    ]
    plain = RMSprop()
    plain.build([kernel, bias])
    assert list(plain.slots(kernel)) == ["velocity"]


@pytest.mark.parametrize(
    ("name", "value", "pattern"),
    [
        ("rho", 1.5, r"`rho` must be a float in \[0, 1\]"),
        ("rho", -0.1, r"`rho` must be a float in \[0, 1\]"),
        ("momentum", 2.0, r"`momentum` must be a float in \[0, 1\]"),
        ("epsilon", -1.0, r"`epsilon` must be a float >= 0"),
        ("centered", 1, r"`centered` must be True or False"),
    ],
)
def test_invalid_arguments(name, value, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        RMSprop(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = RMSprop(
        learning_rate=0.01, rho=0.8, momentum=0.3, epsilon=1e-4, centered=True
    )
    config = opt.get_config()
    assert {k: config[k] for k in ("rho", "momentum", "epsilon", "centered")} == {
        "rho": 0.8,
        "momentum": 0.3,
        "epsilon": 1e-4,
        "centered": True,
    }
    assert RMSprop.from_config(config).get_config() == config

"""Adagrad against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Adagrad


def adagrad_reference(
    params, grads_per_step, lrs, initial_accumulator_value=0.1, epsilon=1e-7
):
    """Keras 3's Adagrad in float64."""
    weights = [p.astype(np.float64) for p in params]
    accumulators = [np.full_like(w, initial_accumulator_value) for w in weights]
    history = []
    for rate, grads in zip(lrs, grads_per_step, strict=True):
        for i, grad in enumerate(grads):
            grad = grad.astype(np.float64)
            accumulators[i] = accumulators[i] + grad**2
            weights[i] = weights[i] - rate * grad / np.sqrt(accumulators[i] + epsilon)
        slots = [{"accumulator": a.copy()} for a in accumulators]
        history.append(([w.copy() for w in weights], slots))
    return history


def test_defaults_match_keras():
    opt = Adagrad()
    assert opt.learning_rate == 0.001
    assert opt.initial_accumulator_value == 0.1
    assert opt.epsilon == 1e-7
    assert opt.name == "adagrad"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3},
        {"learning_rate": 0.1, "initial_accumulator_value": 0.0},
    ],
    ids=["defaults", "hyperparameters", "zero-accumulator"],
)
def test_three_steps_match_reference(
    kwargs, mode, problem, run_steps, assert_trajectory
):
    params, grads = problem
    opt = Adagrad(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    expected = adagrad_reference(
        params,
        grads,
        [opt.learning_rate] * 3,
        initial_accumulator_value=opt.initial_accumulator_value,
        epsilon=opt.epsilon,
    )
    assert_trajectory(actual, expected)


def test_one_step_by_hand(mode, run_steps):
    # acc = 0.1 + 0.25 = 0.35; w = 1 - 0.1 * 0.5 / sqrt(0.35 + 1e-7)
    # = 1 - 0.05 / 0.5916080628 = 0.91548458660...
    opt = Adagrad(learning_rate=0.1)
    history = run_steps(opt, [np.float32([1.0])], [[np.float32([0.5])]], mode)
    np.testing.assert_allclose(history[0][0][0], [0.9154845866], atol=6e-8, rtol=0)
    np.testing.assert_allclose(history[0][1][0]["accumulator"], [0.35], rtol=1e-6)


def test_accumulators_start_at_initial_value():
    kernel = kgraph.Variable(np.ones((2, 3), "float32"), name="kernel", path="d/kernel")
    opt = Adagrad(initial_accumulator_value=0.25)
    opt.build([kernel])
    accumulator = opt.slots(kernel)["accumulator"]
    assert accumulator.path == "adagrad/d/kernel/accumulator"
    assert accumulator.dtype == "float32"
    np.testing.assert_array_equal(accumulator.numpy(), np.full((2, 3), 0.25))


@pytest.mark.parametrize(
    ("name", "value", "pattern"),
    [
        (
            "initial_accumulator_value",
            -0.1,
            r"`initial_accumulator_value` must be a float >= 0",
        ),
        ("epsilon", -1.0, r"`epsilon` must be a float >= 0"),
        ("learning_rate", "fast", r"`learning_rate` must be a non-negative float"),
    ],
)
def test_invalid_arguments(name, value, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        Adagrad(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = Adagrad(learning_rate=0.1, initial_accumulator_value=0.3, epsilon=1e-6)
    config = opt.get_config()
    assert config["initial_accumulator_value"] == 0.3
    assert config["epsilon"] == 1e-6
    assert Adagrad.from_config(config).get_config() == config

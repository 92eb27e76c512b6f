"""SGD against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph.optimizers import SGD
from kgraph.optimizers import schedules


def sgd_reference(params, grads_per_step, lrs, momentum=0.0, nesterov=False):
    """Keras 3's SGD in float64; ``lrs`` holds the learning rate per step."""
    weights = [p.astype(np.float64) for p in params]
    velocities = [np.zeros_like(w) for w in weights]
    history = []
    for rate, grads in zip(lrs, grads_per_step, strict=True):
        for i, grad in enumerate(grads):
            grad = grad.astype(np.float64)
            if momentum:
                velocities[i] = momentum * velocities[i] - rate * grad
                if nesterov:
                    weights[i] = weights[i] + momentum * velocities[i] - rate * grad
                else:
                    weights[i] = weights[i] + velocities[i]
            else:
                weights[i] = weights[i] - rate * grad
        slots = [{"momentum": v.copy()} if momentum else {} for v in velocities]
        history.append(([w.copy() for w in weights], slots))
    return history


def test_defaults_match_keras():
    opt = SGD()
    assert opt.learning_rate == 0.01
    assert opt.momentum == 0.0
    assert opt.nesterov is False
    assert opt.name == "sgd"
    assert opt.weight_decay is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"learning_rate": 0.1},
        {"learning_rate": 0.1, "momentum": 0.9},
        {"learning_rate": 0.05, "momentum": 0.5, "nesterov": True},
        {"nesterov": True},
        {"learning_rate": 0.1, "momentum": 1.0},
    ],
    ids=[
        "defaults",
        "lr",
        "momentum",
        "nesterov",
        "nesterov-no-momentum",
        "momentum-1",
    ],
)
def test_three_steps_match_reference(
    kwargs, mode, problem, run_steps, assert_trajectory
):
    params, grads = problem
    opt = SGD(**kwargs)
    actual = run_steps(opt, params, grads, mode)
    expected = sgd_reference(
        params,
        grads,
        [opt.learning_rate] * 3,
        momentum=opt.momentum,
        nesterov=opt.nesterov,
    )
    assert_trajectory(actual, expected)


def test_momentum_by_hand(mode, run_steps):
    # m1 = -0.1*0.5 = -0.05, w1 = 0.95; m2 = 0.9*-0.05 - 0.05 = -0.095, w2 = 0.855.
    opt = SGD(learning_rate=0.1, momentum=0.9)
    grads = [[np.float32([0.5])]] * 2
    history = run_steps(opt, [np.float32([1.0])], grads, mode)
    np.testing.assert_allclose(history[0][0][0], [0.95], rtol=1e-6)
    np.testing.assert_allclose(history[0][1][0]["momentum"], [-0.05], rtol=1e-6)
    np.testing.assert_allclose(history[1][0][0], [0.855], rtol=1e-6)
    np.testing.assert_allclose(history[1][1][0]["momentum"], [-0.095], rtol=1e-6)


def test_nesterov_by_hand(mode, run_steps):
    # m1 = -0.05; w1 = 1 + 0.9*-0.05 - 0.05 = 0.905.
    opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    history = run_steps(opt, [np.float32([1.0])], [[np.float32([0.5])]], mode)
    np.testing.assert_allclose(history[0][0][0], [0.905], rtol=1e-6)


def test_schedule_drives_the_learning_rate(mode, problem, run_steps, assert_trajectory):
    params, grads = problem
    schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = SGD(learning_rate=schedule, momentum=0.9)
    actual = run_steps(opt, params, grads, mode)
    lrs = [0.1 * 0.5 ** (t / 2) for t in range(3)]
    assert_trajectory(actual, sgd_reference(params, grads, lrs, momentum=0.9))


def test_learning_rate_set_between_steps(mode, problem, run_steps, assert_trajectory):
    # What LearningRateScheduler and ReduceLROnPlateau do between batches.
    params, grads = problem
    opt = SGD(learning_rate=0.1, momentum=0.9)

    def before_step(t):
        if t == 1:
            opt.learning_rate = 0.05

    actual = run_steps(opt, params, grads, mode, before_step=before_step)
    expected = sgd_reference(params, grads, [0.1, 0.05, 0.05], momentum=0.9)
    assert_trajectory(actual, expected)


def test_slots():
    import kgraph

    kernel = kgraph.Variable(np.ones((3, 2), "float32"), name="kernel", path="d/kernel")
    bias = kgraph.Variable(np.ones(2, "float32"), name="bias", path="d/bias")
    plain = SGD()
    plain.build([kernel, bias])
    assert plain.slots(kernel) == {}
    assert [v.path for v in plain.variables] == ["sgd/iterations"]
    opt = SGD(momentum=0.9)
    opt.build([kernel, bias])
    assert [v.path for v in opt.variables] == [
        "sgd/iterations",
        "sgd/d/kernel/momentum",
        "sgd/d/bias/momentum",
    ]
    assert opt.slots(kernel)["momentum"].shape == (3, 2)


@pytest.mark.parametrize("momentum", [-0.1, 1.5, "0.9", None, float("nan")])
def test_invalid_momentum(momentum):
    with pytest.raises(ValueError, match=r"`momentum` must be a float in \[0, 1\]"):
        SGD(momentum=momentum)
    with pytest.raises(ValueError, match=f"Received: momentum={momentum!r}$"):
        SGD(momentum=momentum)


def test_invalid_nesterov():
    with pytest.raises(
        ValueError, match=r"`nesterov` must be True or False. Received: nesterov=1$"
    ):
        SGD(nesterov=1)


def test_config_round_trip():
    opt = SGD(learning_rate=0.2, momentum=0.8, nesterov=True, clipvalue=1.0, name="s")
    config = opt.get_config()
    assert config["momentum"] == 0.8
    assert config["nesterov"] is True
    restored = SGD.from_config(config)
    assert restored.get_config() == config

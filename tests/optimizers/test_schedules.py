"""Learning-rate schedules: Keras 3's formulas, eagerly and in a graph."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.ops.verify import verify_graph
from kgraph.optimizers import schedules


def evaluate(schedule, steps, mode):
    """The schedule at each step: eagerly, or as one graph run per step."""
    if mode == "graph":
        graph = kgraph.Graph()
        step = ops.placeholder(graph, "step", (), "int64", "scalar")
        rate = schedule(step)
        assert rate.dtype == "float32"
        graph.set_output("lr", rate.node_id)
        verify_graph(graph)
        return [
            float(interpreter.run(graph, {"step": np.int64(s)})["lr"]) for s in steps
        ]
    wrap = kgraph.Tensor if mode == "eager_tensor" else np.int64
    values = [schedule(wrap(s)) for s in steps]
    assert all(v.dtype == "float32" for v in values)
    return [float(v) for v in values]


def assert_rates(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-8)


def test_exponential_decay(mode):
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    # 0.1 * 0.5 ** (step / 10)
    expected = [0.1, 0.0707106781, 0.05, 0.0176776695, 0.1 * 0.5**100]
    assert_rates(evaluate(schedule, [0, 5, 10, 25, 1000], mode), expected)


def test_exponential_decay_staircase(mode):
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    # 0.1 * 0.5 ** floor(step / 10)
    expected = [0.1, 0.1, 0.05, 0.05, 0.025]
    assert_rates(evaluate(schedule, [0, 9, 10, 19, 25], mode), expected)


def test_piecewise_constant_decay(mode):
    schedule = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    steps = [0, 10, 11, 20, 21, 10_000]
    assert_rates(evaluate(schedule, steps, mode), [1.0, 1.0, 0.5, 0.5, 0.1, 0.1])


def test_piecewise_constant_decay_single_boundary(mode):
    schedule = schedules.PiecewiseConstantDecay([3], [0.3, 0.03])
    assert_rates(evaluate(schedule, [2, 3, 4], mode), [0.3, 0.3, 0.03])


def test_cosine_decay(mode):
    schedule = schedules.CosineDecay(0.1, decay_steps=100)
    # 0.1 * 0.5 * (1 + cos(pi * min(step, 100) / 100))
    expected = [0.1, 0.0853553391, 0.05, 0.0146446609, 0.0, 0.0]
    assert_rates(evaluate(schedule, [0, 25, 50, 75, 100, 150], mode), expected)


def test_cosine_decay_alpha(mode):
    schedule = schedules.CosineDecay(0.1, decay_steps=100, alpha=0.1)
    # 0.1 * (0.9 * 0.5 * (1 + cos(pi * step / 100)) + 0.1)
    expected = [0.1, 0.0868198052, 0.055, 0.01, 0.01]
    assert_rates(evaluate(schedule, [0, 25, 50, 100, 200], mode), expected)


def test_cosine_decay_warmup(mode):
    schedule = schedules.CosineDecay(
        0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10
    )
    # Linear from 0 to 0.1 over 10 steps, then cosine decay from 0.1 over 100.
    steps = [0, 5, 10, 35, 60, 110, 500]
    expected = [0.0, 0.05, 0.1, 0.0853553391, 0.05, 0.0, 0.0]
    assert_rates(evaluate(schedule, steps, mode), expected)


def test_cosine_decay_warmup_from_nonzero(mode):
    schedule = schedules.CosineDecay(
        0.01, decay_steps=10, alpha=0.5, warmup_target=0.1, warmup_steps=4
    )
    # warmup: 0.09 * step / 4 + 0.01; decay: 0.1 * (0.5 * cosine + 0.5).
    expected = [0.01, 0.0325, 0.1, 0.075, 0.05]
    assert_rates(evaluate(schedule, [0, 1, 4, 9, 14], mode), expected)


@pytest.mark.parametrize(
    "schedule",
    [
        schedules.ExponentialDecay(0.1, 1000, 0.96, staircase=True, name="decay"),
        schedules.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001]),
        schedules.CosineDecay(0.0, 500, alpha=0.1, warmup_target=0.1, warmup_steps=50),
    ],
    ids=lambda s: type(s).__name__,
)
def test_serialize_round_trip(schedule):
    data = schedules.serialize(schedule)
    assert data["module"] == "keras.optimizers.schedules"
    assert data["class_name"] == type(schedule).__name__
    restored = schedules.deserialize(data)
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    assert (
        type(schedule).from_config(schedule.get_config()).get_config() == data["config"]
    )


def test_configs_have_keras_keys():
    assert schedules.ExponentialDecay(0.1, 10, 0.5).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "decay_rate": 0.5,
        "staircase": False,
        "name": "ExponentialDecay",
    }
    assert schedules.PiecewiseConstantDecay([1], [0.1, 0.2]).get_config() == {
        "boundaries": [1],
        "values": [0.1, 0.2],
        "name": "PiecewiseConstant",
    }
    assert schedules.CosineDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "alpha": 0.0,
        "name": "CosineDecay",
        "warmup_target": None,
        "warmup_steps": 0,
    }


@pytest.mark.parametrize("decay_steps", [0, -5])
def test_decay_steps_must_be_positive(decay_steps):
    pattern = f"`decay_steps` must be > 0. Received: decay_steps={decay_steps}$"
    with pytest.raises(ValueError, match=pattern):
        schedules.ExponentialDecay(0.1, decay_steps, 0.5)
    with pytest.raises(ValueError, match=pattern):
        schedules.CosineDecay(0.1, decay_steps)


def test_warmup_steps_must_not_be_negative():
    with pytest.raises(ValueError, match=r"Received: warmup_steps=-1$"):
        schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1)


@pytest.mark.parametrize(
    ("boundaries", "values"), [([10, 20], [1.0, 0.5]), ([], [1.0]), ([10], [1.0])]
)
def test_piecewise_lengths(boundaries, values):
    with pytest.raises(
        ValueError, match=r"1 less than the length of values.*Received: boundaries="
    ):
        schedules.PiecewiseConstantDecay(boundaries, values)


def test_deserialize_unknown():
    with pytest.raises(
        ValueError, match=r"Unknown learning rate schedule.*Received: config="
    ):
        schedules.deserialize({"class_name": "Nope", "config": {}})


def test_base_class_must_be_overridden():
    schedule = schedules.LearningRateSchedule()
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedule(0)
    with pytest.raises(NotImplementedError, match="must override `get_config"):
        schedule.get_config()


class InverseTime(schedules.LearningRateSchedule):
    """A user schedule written with Python operators on the step."""

    def __init__(self, initial_learning_rate):
        self.initial_learning_rate = initial_learning_rate

    def __call__(self, step):
        return self.initial_learning_rate / (ops.cast(step, "float32") + 1.0)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate}


def test_user_schedule(mode):
    assert_rates(evaluate(InverseTime(0.1), [0, 1, 4], mode), [0.1, 0.05, 0.02])
    data = schedules.serialize(InverseTime(0.3))
    restored = schedules.deserialize(data, custom_objects={"InverseTime": InverseTime})
    assert restored.initial_learning_rate == 0.3


# -- PolynomialDecay, InverseTimeDecay, CosineDecayRestarts ---------------------


def polynomial_reference(step, initial, decay_steps, end=1e-4, power=1.0, cycle=False):
    if cycle:
        multiplier = 1.0 if step == 0 else np.ceil(step / decay_steps)
        decay_steps = decay_steps * multiplier
    else:
        step = min(step, decay_steps)
    return (initial - end) * (1 - step / decay_steps) ** power + end


def inverse_time_reference(step, initial, decay_steps, rate, staircase=False):
    fraction = step / decay_steps
    if staircase:
        fraction = np.floor(fraction)
    return initial / (1 + rate * fraction)


def restarts_reference(step, initial, first, t_mul=2.0, m_mul=1.0, alpha=0.0):
    done = step / first
    if t_mul == 1.0:
        restart = np.floor(done)
        fraction = done - restart
    else:
        restart = np.floor(np.log(1 - done * (1 - t_mul)) / np.log(t_mul))
        before = (1 - t_mul**restart) / (1 - t_mul)
        fraction = (done - before) / t_mul**restart
    cosine = 0.5 * m_mul**restart * (1 + np.cos(np.pi * fraction))
    return initial * ((1 - alpha) * cosine + alpha)


STEPS = [0, 1, 5, 9, 10, 11, 17, 29, 30, 31, 75, 200]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"end_learning_rate": 0.01, "power": 2.0},
        {"end_learning_rate": 0.01, "power": 0.5, "cycle": True},
    ],
    ids=["linear", "power", "cycle"],
)
def test_polynomial_decay(kwargs, mode):
    schedule = schedules.PolynomialDecay(0.1, 10, **kwargs)
    keys = {"end_learning_rate": "end"}
    ref = {keys.get(k, k): v for k, v in kwargs.items()}
    expected = [polynomial_reference(s, 0.1, 10, **ref) for s in STEPS]
    assert_rates(evaluate(schedule, STEPS, mode), expected)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase, mode):
    schedule = schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=staircase)
    expected = [inverse_time_reference(s, 0.1, 10, 0.5, staircase) for s in STEPS]
    assert_rates(evaluate(schedule, STEPS, mode), expected)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"t_mul": 1.0, "m_mul": 0.5}, {"t_mul": 1.5, "m_mul": 0.8, "alpha": 0.1}],
    ids=["defaults", "fixed-period", "geometric"],
)
def test_cosine_decay_restarts(kwargs, mode):
    schedule = schedules.CosineDecayRestarts(0.1, 10, **kwargs)
    expected = [restarts_reference(s, 0.1, 10, **kwargs) for s in STEPS]
    np.testing.assert_allclose(
        evaluate(schedule, STEPS, mode), expected, rtol=1e-5, atol=1e-7
    )


def test_new_schedule_configs_have_keras_keys():
    assert schedules.PolynomialDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "end_learning_rate": 0.0001,
        "power": 1.0,
        "cycle": False,
        "name": "PolynomialDecay",
    }
    assert schedules.InverseTimeDecay(0.1, 10, 0.5).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "decay_rate": 0.5,
        "staircase": False,
        "name": "InverseTimeDecay",
    }
    assert schedules.CosineDecayRestarts(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "first_decay_steps": 10,
        "t_mul": 2.0,
        "m_mul": 1.0,
        "alpha": 0.0,
        "name": "SGDRDecay",
    }


@pytest.mark.parametrize(
    "schedule",
    [
        schedules.PolynomialDecay(0.1, 100, 0.01, power=2.0, cycle=True),
        schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
        schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.1),
    ],
    ids=lambda s: type(s).__name__,
)
def test_new_schedules_round_trip(schedule):
    restored = schedules.deserialize(schedules.serialize(schedule))
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()


def test_new_schedules_check_their_steps():
    with pytest.raises(ValueError, match=r"Received: decay_steps=0$"):
        schedules.PolynomialDecay(0.1, 0)
    with pytest.raises(ValueError, match=r"Received: decay_steps=-1$"):
        schedules.InverseTimeDecay(0.1, -1, 0.5)
    with pytest.raises(ValueError, match=r"Received: first_decay_steps=0$"):
        schedules.CosineDecayRestarts(0.1, 0)


class _ScheduledSGD:
    """Plain SGD in float64 with a schedule of the step (Keras's rule)."""

    def __init__(self, params, schedule):
        self.params, self.slots, self.schedule = params, [{}, {}], schedule

    def step(self, t, lr, grads):
        rate = self.schedule(t)
        self.params = [p - rate * g for p, g in zip(self.params, grads, strict=True)]


def test_schedules_run_inside_the_compiled_step(backend, fit_linear):
    from kgraph.optimizers import SGD

    for schedule, formula in [
        (
            schedules.CosineDecayRestarts(0.5, 2, t_mul=1.5, m_mul=0.7),
            lambda t: restarts_reference(t, 0.5, 2, 1.5, 0.7),
        ),
        (
            schedules.PolynomialDecay(0.5, 3, 0.1, power=2.0, cycle=True),
            lambda t: polynomial_reference(t, 0.5, 3, 0.1, 2.0, True),
        ),
        (
            schedules.InverseTimeDecay(0.5, 2, 1.0, staircase=True),
            lambda t: inverse_time_reference(t, 0.5, 2, 1.0, True),
        ),
    ]:
        weights, expected = fit_linear(
            SGD(learning_rate=schedule),
            lambda p, f=formula: _ScheduledSGD(p, f),
            steps=7,
        )
        for got, want in zip(weights, expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

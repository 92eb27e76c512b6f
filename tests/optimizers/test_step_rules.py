"""Keras 3's step-level optimizer options inside the update: gradient
accumulation, the weights' moving average (EMA) and loss scaling, against
a float64 NumPy transcription of Keras's (JAX) semantics, eagerly, as one
graph, and in ``fit`` on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import SGD
from kgraph.optimizers import Adam
from kgraph.optimizers import Nadam
from kgraph.optimizers import step_rules


class AdamRule:
    """Keras 3's Adam in float64, stepped with the optimizer's counter."""

    def __init__(self, params, lr):
        self.lr = lr
        self.slots = [
            {"momentum": np.zeros_like(p), "velocity": np.zeros_like(p)} for p in params
        ]

    def update(self, t, params, grads):
        alpha = self.lr * np.sqrt(1 - 0.999 ** (t + 1)) / (1 - 0.9 ** (t + 1))
        new = []
        for p, g, s in zip(params, grads, self.slots, strict=True):
            s["momentum"] = s["momentum"] + (g - s["momentum"]) * 0.1
            s["velocity"] = s["velocity"] + (g**2 - s["velocity"]) * 0.001
            new.append(p - alpha * s["momentum"] / (np.sqrt(s["velocity"]) + 1e-7))
        return new


class OptionsReference:
    """Keras's ``_backend_apply_gradients`` (JAX) around a rule: accumulate
    the gradients every ``steps`` steps, then the EMA and its overwrite."""

    def __init__(self, params, lr, steps=None, ema=None, frequency=None, scale=None):
        self.params = [p.astype(np.float64) for p in params]
        self.rule = AdamRule(self.params, lr)
        self.steps, self.ema, self.frequency, self.scale = steps, ema, frequency, scale
        self.accumulators = [np.zeros_like(p) for p in self.params]
        self.averages = [np.zeros_like(p) for p in self.params]
        self.count = 0

    @property
    def slots(self):
        result = []
        for i, own in enumerate(self.rule.slots):
            group = dict(own)
            if self.ema is not None:
                group["average"] = self.averages[i]
            if self.steps:
                group["gradient_accumulator"] = self.accumulators[i]
            result.append(group)
        return result

    def step(self, t, lr, grads):
        assert t == self.count
        if self.scale is not None:
            grads = [g / self.scale for g in grads]
        opt_step, update = self.count, True
        if self.steps:
            opt_step = self.count // self.steps
            update = (self.count + 1) % self.steps == 0
            if update:
                grads = [
                    (g + a) / self.steps
                    for g, a in zip(grads, self.accumulators, strict=True)
                ]
                self.accumulators = [np.zeros_like(a) for a in self.accumulators]
            else:
                self.accumulators = [
                    a + g for a, g in zip(self.accumulators, grads, strict=True)
                ]
        if update:
            self.params = self.rule.update(opt_step, self.params, grads)
        if self.ema is not None:
            m = self.ema if opt_step != 0 else 0.0
            self.averages = [
                m * a + (1 - m) * p
                for a, p in zip(self.averages, self.params, strict=True)
            ]
            if self.frequency and (opt_step + 1) % self.frequency == 0:
                self.params = [a.copy() for a in self.averages]
        self.count += 1


def _many_steps(problem, steps=7):
    params, grads = problem
    return params, [grads[i % len(grads)] for i in range(steps)]


CASES = {
    "accumulate-2": ({"gradient_accumulation_steps": 2}, {"steps": 2}),
    "accumulate-3": ({"gradient_accumulation_steps": 3}, {"steps": 3}),
    "ema": ({"use_ema": True, "ema_momentum": 0.8}, {"ema": 0.8}),
    "ema-overwrite": (
        {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 3},
        {"ema": 0.5, "frequency": 3},
    ),
    "both": (
        {
            "gradient_accumulation_steps": 2,
            "use_ema": True,
            "ema_momentum": 0.7,
            "ema_overwrite_frequency": 2,
        },
        {"steps": 2, "ema": 0.7, "frequency": 2},
    ),
    "loss-scale": ({"loss_scale_factor": 4.0}, {"scale": 4.0}),
}


@pytest.mark.parametrize(("kwargs", "ref"), CASES.values(), ids=CASES.keys())
def test_steps_match_keras(
    kwargs, ref, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = _many_steps(problem)
    opt = Adam(learning_rate=0.05, **kwargs)
    actual = run_steps(opt, params, grads, mode)
    reference = OptionsReference(params, 0.05, **ref)
    expected = reference_run(reference, grads, [None] * len(grads))
    # Seven float32 steps of parameters of size ~1: absolute rounding.
    assert_trajectory(actual, expected, atol=1e-5)


@pytest.mark.parametrize(("kwargs", "ref"), CASES.values(), ids=CASES.keys())
def test_fit_matches_keras(kwargs, ref, backend, fit_linear):
    references = []

    # Keras's fit scales the loss by `loss_scale_factor` and the update
    # divides the gradients back: the rule sees the true gradients.
    options = {k: v for k, v in ref.items() if k != "scale"}

    def make(params):
        references.append(OptionsReference(params, 0.05, **options))
        return references[-1]

    weights, expected = fit_linear(Adam(learning_rate=0.05, **kwargs), make, steps=7)
    if "use_ema" in kwargs:
        # fit ends with `finalize_variable_values`: the weights become their
        # averages.
        expected = references[0].averages
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_fit_ends_with_the_moving_average(backend, fit_linear):
    """Without an overwrite frequency, fit's end copies the averages in."""
    reference_box = {}

    def make(p):
        reference_box["ref"] = OptionsReference(p, 0.05, ema=0.8)
        return reference_box["ref"]

    weights, _ = fit_linear(
        Adam(learning_rate=0.05, use_ema=True, ema_momentum=0.8), make, steps=5
    )
    for got, want in zip(weights, reference_box["ref"].averages, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_accumulation_counts_updates_as_iterations():
    var = kgraph.Variable(np.ones(2, "float32"), "w", "w")
    opt = SGD(learning_rate=0.1, gradient_accumulation_steps=3)
    for step in range(1, 8):
        opt.apply_gradients([(np.ones(2, "float32"), var)])
        assert int(opt.iterations_variable.numpy()) == step
        assert int(opt.iterations) == step // 3
    # Two updates of 0.1 * mean(ones): 1 - 0.2.
    np.testing.assert_allclose(var.numpy(), [0.8, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(
        opt.slots(var)["gradient_accumulator"].numpy(), [1.0, 1.0]
    )


def test_accumulation_keeps_nadam_state_between_updates():
    var = kgraph.Variable(np.ones(2, "float32"), "w", "w")
    opt = Nadam(gradient_accumulation_steps=2)
    opt.apply_gradients([(np.ones(2, "float32"), var)])
    assert float(opt.state()["u_product"].numpy()) == 1.0
    opt.apply_gradients([(np.ones(2, "float32"), var)])
    assert float(opt.state()["u_product"].numpy()) == pytest.approx(0.9 * 0.52)


def test_ema_and_accumulator_slots_come_first_in_keras_order():
    kernel = kgraph.Variable(np.ones((3, 2), "float32"), "kernel", "dense/kernel")
    bias = kgraph.Variable(np.zeros(2, "float32"), "bias", "dense/bias")
    opt = Adam(use_ema=True, gradient_accumulation_steps=2)
    opt.build([kernel, bias])
    assert [v.path for v in opt.variables] == [
        "adam/iterations",
        "adam/dense/kernel/average",
        "adam/dense/bias/average",
        "adam/dense/kernel/gradient_accumulator",
        "adam/dense/bias/gradient_accumulator",
        "adam/dense/kernel/momentum",
        "adam/dense/kernel/velocity",
        "adam/dense/bias/momentum",
        "adam/dense/bias/velocity",
    ]


def test_finalize_variable_values():
    var = kgraph.Variable(np.ones(2, "float32"), "w", "w")
    opt = SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.5)
    opt.apply_gradients([(np.ones(2, "float32"), var)])  # w = 0.5, avg = 0.5
    opt.apply_gradients([(np.ones(2, "float32"), var)])  # w = 0, avg = 0.25
    np.testing.assert_allclose(var.numpy(), [0.0, 0.0])
    opt.finalize_variable_values([var])
    np.testing.assert_allclose(var.numpy(), [0.25, 0.25])
    plain = SGD()
    plain.finalize_variable_values([var])  # Nothing to do without EMA.
    np.testing.assert_allclose(var.numpy(), [0.25, 0.25])


def test_config_keeps_the_options():
    opt = Adam(
        use_ema=True,
        ema_momentum=0.9,
        ema_overwrite_frequency=5,
        loss_scale_factor=8.0,
        gradient_accumulation_steps=4,
    )
    config = opt.get_config()
    assert config["use_ema"] is True
    assert (config["ema_momentum"], config["ema_overwrite_frequency"]) == (0.9, 5)
    assert (config["loss_scale_factor"], config["gradient_accumulation_steps"]) == (
        8.0,
        4,
    )
    assert Adam.from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("step", "period", "last"),
    [
        (0, 1, True),
        (0, 2, False),
        (1, 2, True),
        (5, 3, True),
        (6, 3, False),
        (2**40 - 1, 2**20, True),
    ],
)
def test_is_last_of_and_floor_divide(step, period, last):
    assert bool(step_rules.is_last_of(np.int64(step), period)) is last
    assert int(step_rules.floor_divide(np.int64(step), period)) == step // period


def test_accumulation_over_several_batches_per_native_call(backend):
    """Several batches run in one native loop: each batch's update reads
    the accumulator before it is reset in place (a regression test: the
    LLVM backend once let a reload see the reset value)."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (16, 3)).astype("float32")
    y = rng.uniform(-1, 1, (16, 2)).astype("float32")
    kernel = rng.uniform(-1, 1, (3, 2)).astype("float32")
    bias = rng.uniform(-1, 1, (2,)).astype("float32")
    model = kgraph.Sequential([kgraph.Input((3,)), kgraph.layers.Dense(2)])
    model.set_weights([kernel, bias])
    model.compile(
        optimizer=SGD(learning_rate=0.1, gradient_accumulation_steps=3), loss="mse"
    )
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    w, b = kernel.astype(np.float64), bias.astype(np.float64)
    acc_w, acc_b = np.zeros_like(w), np.zeros_like(b)
    for step in range(8):
        xb = x[(step % 4) * 4 : (step % 4) * 4 + 4].astype(np.float64)
        yb = y[(step % 4) * 4 : (step % 4) * 4 + 4].astype(np.float64)
        error = 2 * (xb @ w + b - yb) / yb.size
        gw, gb = xb.T @ error, error.sum(axis=0)
        if (step + 1) % 3 == 0:
            w = w - 0.1 * (gw + acc_w) / 3
            b = b - 0.1 * (gb + acc_b) / 3
            acc_w, acc_b = np.zeros_like(w), np.zeros_like(b)
        else:
            acc_w, acc_b = acc_w + gw, acc_b + gb
    got_w, got_b = model.get_weights()
    np.testing.assert_allclose(got_w, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_b, b, rtol=1e-5, atol=1e-6)

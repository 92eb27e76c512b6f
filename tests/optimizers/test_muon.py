"""Muon against a float64 NumPy transcription of Keras 3's rule."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import Muon


def newton_schulz(x, steps, a=3.4445, b=-4.775, c=2.0315):
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    x = x / (np.sqrt(np.sum(x**2)) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


class MuonReference:
    """Keras 3's Muon in float64: Muon for rank-2 weights, Adam otherwise."""

    def __init__(
        self,
        params,
        lr=0.001,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        weight_decay=0.004,
        adam_weight_decay=0.004,
        adam_lr_ratio=1.0,
        adam=None,
    ):
        self.params = [p.astype(np.float64) for p in params]
        self.adam = adam or [p.ndim != 2 for p in self.params]
        self.slots = [
            {
                "momentum": np.zeros_like(p),
                **({"velocity": np.zeros_like(p)} if a else {}),
            }
            for p, a in zip(self.params, self.adam, strict=True)
        ]
        self.lr, self.rate, self.ns_steps, self.nesterov = (
            lr,
            momentum,
            ns_steps,
            nesterov,
        )
        self.rms_rate, self.wd, self.adam_wd = rms_rate, weight_decay, adam_weight_decay
        self.adam_lr_ratio = adam_lr_ratio

    def step(self, t, lr, grads):
        lr = self.lr if lr is None else lr
        for i, grad in enumerate(grads):
            s, w = self.slots[i], self.params[i]
            decay = self.adam_wd if self.adam[i] else self.wd
            if decay is not None:
                w = w - w * decay * lr
            if self.adam[i]:
                rate = lr * self.adam_lr_ratio
                alpha = rate * np.sqrt(1 - 0.999 ** (t + 1)) / (1 - 0.9 ** (t + 1))
                s["momentum"] = s["momentum"] + (grad - s["momentum"]) * 0.1
                s["velocity"] = s["velocity"] + (grad**2 - s["velocity"]) * 0.001
                w = w - alpha * s["momentum"] / (np.sqrt(s["velocity"]) + 1e-7)
            else:
                s["momentum"] = self.rate * s["momentum"] + grad
                u = grad + self.rate * s["momentum"] if self.nesterov else s["momentum"]
                update = lr * newton_schulz(u, self.ns_steps)
                if self.rms_rate is not None:
                    update = update * np.sqrt(max(w.shape)) * self.rms_rate
                w = w - update
            self.params[i] = w


def test_defaults_match_keras():
    opt = Muon()
    assert opt.learning_rate == 0.001
    assert (opt.adam_beta_1, opt.adam_beta_2, opt.epsilon) == (0.9, 0.999, 1e-7)
    assert (opt.weight_decay, opt.adam_weight_decay) == (0.004, 0.004)
    assert (opt.muon_a, opt.muon_b, opt.muon_c) == (3.4445, -4.775, 2.0315)
    assert (opt.momentum, opt.ns_steps, opt.nesterov, opt.rms_rate) == (
        0.95,
        5,
        True,
        0.2,
    )
    assert (opt.exclude_layers, opt.exclude_embeddings, opt.adam_lr_ratio) == (
        [],
        True,
        1,
    )
    assert opt.name == "muon"


CASES = {
    "defaults": ({"learning_rate": 0.05}, {"lr": 0.05}),
    "plain": (
        {
            "learning_rate": 0.05,
            "nesterov": False,
            "rms_rate": None,
            "ns_steps": 3,
            "weight_decay": None,
            "adam_lr_ratio": 0.1,
        },
        {
            "lr": 0.05,
            "nesterov": False,
            "rms_rate": None,
            "ns_steps": 3,
            "weight_decay": None,
            "adam_lr_ratio": 0.1,
        },
    ),
}


@pytest.mark.parametrize(("kwargs", "ref"), CASES.values(), ids=CASES.keys())
def test_steps_match_reference(
    kwargs, ref, mode, problem, run_steps, reference_run, assert_trajectory
):
    params, grads = problem
    actual = run_steps(Muon(**kwargs), params, grads, mode)
    expected = reference_run(MuonReference(params, **ref), grads, [None] * 3)
    assert_trajectory(actual, expected, atol=1e-6)


def test_tall_matrix_is_orthogonalized_through_its_transpose(
    mode, run_steps, reference_run, assert_trajectory
):
    rng = np.random.default_rng(2)
    params = [rng.uniform(-1, 1, (4, 2)).astype("float32")]
    grads = [[rng.uniform(-1, 1, (4, 2)).astype("float32")] for _ in range(2)]
    actual = run_steps(Muon(learning_rate=0.05), params, grads, mode)
    expected = reference_run(MuonReference(params, lr=0.05), grads, [None] * 2)
    assert_trajectory(actual, expected, atol=1e-6)


def test_which_weights_get_adam():
    opt = Muon(exclude_layers=["^head/"])
    kernel = kgraph.Variable(np.ones((3, 2), "float32"), "kernel", "dense/kernel")
    head = kgraph.Variable(np.ones((3, 2), "float32"), "kernel", "head/kernel")
    table = kgraph.Variable(
        np.ones((5, 2), "float32"), "embeddings", "embedding/embeddings"
    )
    bias = kgraph.Variable(np.ones(2, "float32"), "bias", "dense/bias")
    conv = kgraph.Variable(np.ones((2, 2, 1, 3), "float32"), "kernel", "conv/kernel")
    assert [opt.uses_adam(v) for v in (kernel, head, table, bias, conv)] == [
        False,
        True,
        True,
        True,
        True,
    ]
    opt.build([kernel, bias])
    assert [v.path for v in opt.variables] == [
        "muon/iterations",
        "muon/dense/kernel/momentum",
        "muon/dense/bias/momentum",
        "muon/dense/bias/velocity",
    ]


def test_fit_matches_reference(backend, fit_linear):
    weights, expected = fit_linear(
        Muon(learning_rate=0.05), lambda p: MuonReference(p, lr=0.05)
    )
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "value"), [("momentum", 1.0), ("ns_steps", -1), ("adam_beta_1", 1.5)]
)
def test_invalid_arguments(name, value):
    with pytest.raises(ValueError, match=f"`{name}`") as info:
        Muon(**{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_config_round_trip():
    opt = Muon(learning_rate=0.01, exclude_layers=["head"], rms_rate=None)
    config = opt.get_config()
    assert list(config)[11:] == [
        "adam_beta_1",
        "adam_beta_2",
        "epsilon",
        "exclude_layers",
        "muon_a",
        "muon_b",
        "muon_c",
        "adam_lr_ratio",
        "momentum",
        "ns_steps",
        "nesterov",
        "exclude_embeddings",
        "adam_weight_decay",
        "rms_rate",
    ]
    assert Muon.from_config(config).get_config() == config
